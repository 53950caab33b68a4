"""The interactive dashboard (Mesa's SolaraViz): a scenario and its counterfactual, side by side.

    make dashboard                        # or: .venv/bin/solara run sim/views/dashboard.py
    make dashboard ARGS="landscape.n_schools=600 seed=4"    # Hydra overrides for both runs

Only the interactive view lives here; the model is ``sim.core.model.PartnershipModel``. The environment
variable ``SIM_DASHBOARD_OVERRIDES`` (what ``make dashboard ARGS=...`` sets) holds extra Hydra
overrides, e.g. a smaller landscape for a laptop or a test. See docs/dashboard.md.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import os
import shlex
import sys
import threading
import time
import warnings

import mesa
import numpy as np
import pandas as pd
import solara
from hydra.errors import HydraException
from matplotlib.figure import Figure
from omegaconf.errors import OmegaConfBaseException

from sim.analysis.intervals import t_interval
from sim.config import compose, validate
from sim.core.checks import ConfigError
from sim.core.levers import LEVERS, differs_from_today
from sim.core.model import PartnershipModel
from sim.core.paths import CONF_DIR
from sim.core.vocabulary import HEAD_EXECUTIVE
from sim.running import counterfactual_of, run_paired, spin_up
from sim.views.animate import (
    draw_school_map,
    map_legend_handles,
    model_link_groups,
    outcome_limit,
    padded_range,
)
from sim.views.plots import (
    DIFFERENCE_FLOOR_MONTHS,
    OUTCOME_FLOOR_SPAN_MONTHS,
    span_at_least,
    symmetric_at_least,
)

with warnings.catch_warnings():  # Mesa's own ComponentsView trips solara's hook check: harmless
    warnings.filterwarnings("ignore", message=".*found despite early return", category=UserWarning)
    from mesa.visualization.utils import force_update, update_counter

# Where the dashboard listens (`make dashboard` passes it to solara's --host). Only this machine by
# default: whoever reaches the dashboard can run the model at any size (docs/security.md).
HOST = os.environ.get("SIM_DASHBOARD_HOST", "127.0.0.1")
if HOST not in ("127.0.0.1", "localhost", "::1"):
    print(f"Warning: the dashboard listens on {HOST} (SIM_DASHBOARD_HOST): anyone who can reach "
          "this address can run the model; see docs/security.md", file=sys.stderr)

SCENARIOS = sorted(path.stem for path in (CONF_DIR / "scenario").glob("*.yaml"))
AS_SCENARIO = "as the scenario sets it"
RENDER_INTERVAL = 3  # steps per redraw (and per click of Step): a quarter of a year at monthly steps
PLAY_PAUSE_S = 0.1  # pause between redraws while playing
ENSEMBLE_SEEDS = 10  # paired seeds behind the difference panel's mean and 95% band
POLICY_START_YEAR = 2  # a lever the scenario leaves alone starts here when changed, like the scenarios'

# Each lever's selector: label shown -> Hydra overrides.
LEVER_CHOICES = {
    "funding": {
        AS_SCENARIO: [],
        "no programme (£0)": ["funding.budget_gbp_per_year_per_1000_schools=0"],
        "£450k a year per 1,000 schools": ["funding.budget_gbp_per_year_per_1000_schools=450000"],
        "£900k a year per 1,000 schools": ["funding.budget_gbp_per_year_per_1000_schools=900000"],
        "£1.8m a year per 1,000 schools": ["funding.budget_gbp_per_year_per_1000_schools=1800000"],
    },
    "distance": {
        AS_SCENARIO: [],
        "no limit": ["distance.max_partner_km=null"],
        "partners within 30 km": ["distance.max_partner_km=30"],
        "partners within 15 km": ["distance.max_partner_km=15"],
        "partners within 8 km": ["distance.max_partner_km=8"],
    },
    "accountability": {
        AS_SCENARIO: [],
        "low stakes (0.2)": ["accountability.stakes=0.2"],
        "today's stakes (0.5)": ["accountability.stakes=0.5"],
        "high stakes (0.9)": ["accountability.stakes=0.9"],
    },
    "executive_headship": {
        AS_SCENARIO: [],
        "up to 3% of heads (today)": ["executive_headship.max_share_of_heads=0.03"],
        "up to 8% of heads": ["executive_headship.max_share_of_heads=0.08"],
        "up to 15% of heads": ["executive_headship.max_share_of_heads=0.15"],
        "up to 25% of heads": ["executive_headship.max_share_of_heads=0.25"],
    },
}
LEVER_LABELS = {"funding": "Funding", "distance": "Distance between partners",
                "accountability": "Accountability", "executive_headship": "Executive heads"}
SELECTOR_LABELS = {"funding": "Funding budget", "distance": "Distance between partners",
                   "accountability": "Accountability stakes",
                   "executive_headship": "Executive heads (cap)"}


def dashboard_overrides() -> tuple[str, ...]:
    """Extra Hydra overrides from ``SIM_DASHBOARD_OVERRIDES`` (e.g. a small landscape)."""
    return tuple(shlex.split(os.environ.get("SIM_DASHBOARD_OVERRIDES", "")))


def initial_seed(overrides: tuple[str, ...]) -> int:
    """The seed given in the overrides (the last ``seed=N``), else 0: the seed slider's start."""
    seeds = [o.split("=", 1)[1] for o in overrides if o.startswith("seed=")]
    return int(seeds[-1]) if seeds and seeds[-1].isdigit() else 0


def scenario_overrides(scenario: str, choices: dict[str, str], base: tuple[str, ...]) -> list[str]:
    """Hydra overrides for the scenario with the selected lever settings.

    A lever the scenario leaves at today's policy starts at ``POLICY_START_YEAR`` when changed, so
    the difference from the counterfactual is zero until then, as in every named scenario.
    """
    overrides = [*base, f"scenario={scenario}"]
    untouched = levers_left_alone(tuple(overrides))
    for lever, choice in choices.items():
        lever_overrides = LEVER_CHOICES[lever][choice]
        if lever_overrides and lever in untouched:
            lever_overrides = [*lever_overrides, f"{lever}.start_year={POLICY_START_YEAR}"]
        overrides += lever_overrides
    return overrides


@functools.lru_cache(maxsize=32)
def levers_left_alone(overrides: tuple[str, ...]) -> frozenset[str]:
    """The levers a config leaves at today's policy (composing takes a while: cached)."""
    config = validate(compose(overrides)).config
    return frozenset(lever for lever in LEVERS
                     if not differs_from_today(lever, getattr(config, lever)))


class DifferenceEnsemble:
    """Scenario minus counterfactual on several seeds (each pair forked from one spin-up), run in
    the background so the difference panel can show a mean with its 95% band while the user steps
    the single seed on the maps. Results accumulate as each seed finishes."""

    def __init__(self, policy, seeds) -> None:
        self.policy = policy  # validated settings; each seed replaces its seed
        self.seeds = list(seeds)
        self._lock = threading.Lock()
        self._outcome: list[np.ndarray] = []
        self._gap: list[np.ndarray] = []
        self.time_years: np.ndarray | None = None

    def run(self, cancel: threading.Event | None = None, on_result=None) -> None:
        """Run the seeds not yet done, in order; stop early when ``cancel`` is set."""
        for seed in self.seeds[self.done:]:
            if cancel is not None and cancel.is_set():
                return
            policy = validate(dataclasses.replace(self.policy.config, seed=seed))
            scenario, counterfactual = run_paired([policy, counterfactual_of(policy)])
            a, b = scenario.timeseries, counterfactual.timeseries
            with self._lock:
                self.time_years = a.time_years.to_numpy()
                self._outcome.append((a.mean_outcome - b.mean_outcome).to_numpy())
                self._gap.append((a.disadvantage_gap - b.disadvantage_gap).to_numpy())
            if on_result is not None:
                on_result(self.done)

    @property
    def done(self) -> int:
        with self._lock:
            return len(self._outcome)

    def band(self) -> pd.DataFrame:
        """Per step: mean difference and its 95% interval over the seeds done (empty if none)."""
        with self._lock:
            outcome, gap = np.array(self._outcome), np.array(self._gap)
        if not len(outcome):
            return pd.DataFrame(columns=["time_years", "n"])
        table = {"time_years": self.time_years, "n": len(outcome)}
        for name, values in (("outcome", outcome), ("gap", gap)):
            mean = values.mean(axis=0)
            sd = values.std(axis=0, ddof=1) if len(values) > 1 else np.full_like(mean, np.nan)
            low, high = t_interval(len(values), mean, sd)
            table |= {f"{name}_mean": mean, f"{name}_low": low, f"{name}_high": high}
        return pd.DataFrame(table)


class DashboardModel(mesa.Model):
    """A scenario and its counterfactual (today's policy) on the same seed, stepped together.

    The counterfactual is built and spun up once; the scenario is a fork of it at time 0, so the
    two share every random draw and differ only once a lever switches on. A configuration mistake
    is kept in ``error`` (shown on the page) instead of raised.
    """

    def __init__(self, scenario: str = "pathfinder", funding: str = AS_SCENARIO,
                 distance: str = AS_SCENARIO, accountability: str = AS_SCENARIO,
                 executive_headship: str = AS_SCENARIO, seed: int = 0,
                 overrides: tuple[str, ...] = ()) -> None:
        super().__init__(rng=seed)
        self.scenario_name = scenario
        self.error: str | None = None
        self.counterfactual: PartnershipModel | None = None
        self.scenario: PartnershipModel | None = None
        choices = {"funding": funding, "distance": distance, "accountability": accountability,
                   "executive_headship": executive_headship}
        base = (*overrides, f"seed={seed}")
        try:
            policy = validate(compose(scenario_overrides(scenario, choices, base)))
            counterfactual = validate(compose([*base, "scenario=baseline"]))
        except (ConfigError, HydraException, OmegaConfBaseException) as error:
            self.error = str(error)
            self.running = False
            return
        self.counterfactual = spin_up(counterfactual)
        self.scenario = self.counterfactual.fork(policy)
        self.outcome_limit = outcome_limit(self.counterfactual.schools.outcome)
        self.ensemble = DifferenceEnsemble(policy, range(seed, seed + ENSEMBLE_SEEDS))

    def step(self) -> None:
        """Advance both runs one step (a month by default); stop at the end of the horizon."""
        if self.scenario is None or self.scenario.tick >= self.scenario.n_steps:
            self.running = False
            return
        self.counterfactual.step()
        self.scenario.step()
        self.running = self.scenario.tick < self.scenario.n_steps

    def difference(self) -> pd.DataFrame:
        """Time series of both runs and scenario minus counterfactual, so far."""
        ts = pd.DataFrame(self.scenario.recorder.rows)
        base = pd.DataFrame(self.counterfactual.recorder.rows)
        ts["outcome_difference"] = ts.mean_outcome - base.mean_outcome
        ts["gap_difference"] = ts.disadvantage_gap - base.disadvantage_gap
        for column in ("mean_outcome", "disadvantage_gap", "n_informal", "n_funded",
                       "n_federation", "n_trust", "cum_spend_gbp"):
            ts[f"counterfactual_{column}"] = base[column]
        return ts


# -- the views ------------------------------------------------------------------------------------
# Figures use fixed margins rather than a layout engine: they are redrawn on every step.
KIND_SERIES = (("n_informal", "informal", "#9e9e9e"), ("n_funded", "funded", "#1b9e77"),
               ("n_federation", "federation", "#7b3294"), ("n_trust", "trust", "#d95f02"))


def map_figure(model: DashboardModel) -> Figure:
    """The counterfactual's and the scenario's schools and partnerships, side by side."""
    fig = Figure(figsize=(10, 5.6))
    axes = fig.subplots(1, 2, sharex=True, sharey=True,
                        gridspec_kw={"left": 0.07, "right": 0.87, "bottom": 0.17, "top": 0.84,
                                     "wspace": 0.06})
    runs = ((model.counterfactual, "Counterfactual: today's policy"),
            (model.scenario, f"Scenario: {model.scenario_name}"))
    for ax, (run, title) in zip(axes, runs, strict=True):
        s = run.schools
        dots = draw_school_map(ax, s.x_km, s.y_km, s.outcome, s.pupils, model_link_groups(run),
                               model.outcome_limit, f"{title}\n{run.partnerships.active.sum()} "
                               "active partnerships", executive=s.head == HEAD_EXECUTIVE)
        ax.set_xlim(*padded_range(s.x_km))
        ax.set_ylim(*padded_range(s.y_km))
    axes[1].set_ylabel("")
    fig.colorbar(dots, cax=fig.add_axes((0.89, 0.2, 0.015, 0.6)),
                 label="pupil outcome\n(months vs national mean)")
    fig.legend(handles=map_legend_handles(), loc="lower center", ncol=4, fontsize=9)
    fig.suptitle(f"Schools coloured by outcome, sized by roll — year {model.scenario.now_years:.1f}",
                 y=0.98)
    return fig


def policy_periods(run: PartnershipModel, horizon: float) -> list[tuple[str, float, float]]:
    """(lever, start, end) of every lever the scenario sets differently from today's policy."""
    periods = []
    for lever in LEVERS:
        settings = getattr(run.config, lever)
        if differs_from_today(lever, settings) and settings.start_year < horizon:
            end = horizon if settings.stop_year is None else min(settings.stop_year, horizon)
            periods.append((lever.replace("_", " "), settings.start_year, end))
    return periods


def time_chart(model: DashboardModel, title: str, ylabel: str, size=(5, 3.6),
               label_policy: bool = False):
    """An empty chart over the whole horizon with the scenario's policy periods shaded."""
    fig = Figure(figsize=size)
    ax = fig.subplots(gridspec_kw={"left": 0.16, "right": 0.97, "bottom": 0.14, "top": 0.9})
    horizon = model.scenario.n_steps * model.scenario.dt
    for lever, start, end in policy_periods(model.scenario, horizon):
        ax.axvspan(start, end, color="tab:orange", alpha=0.12,
                   label=f"policy in force: {lever}" if label_policy else None)
    ax.set_xlim(0, horizon)
    ax.ticklabel_format(axis="y", useOffset=False)
    ax.set(title=title, xlabel="time (years)", ylabel=ylabel)
    ax.grid(alpha=0.3)
    return fig, ax


def difference_figure(model: DashboardModel) -> Figure:
    """Scenario minus counterfactual: the mean over the background seeds with its 95% band (as
    they finish), and this seed's curve so far. The axis spans at least +/- half a month, so that
    one seed's noise does not look like an effect (see sim.views.plots)."""
    ts = model.difference()
    band = model.ensemble.band()
    n = len(model.ensemble.seeds)
    fig, ax = time_chart(model, "Scenario − counterfactual (same random draws)",
                         "difference (months)", size=(6, 5.6), label_policy=True)
    ax.axhline(0, color="black", lw=0.8)
    shown = [ts.outcome_difference, ts.gap_difference]
    if len(band):
        label = f"mean of {band.n.iloc[0]} of {n} seeds, 95% band"
        for name, colour, what in (("outcome", "tab:blue", "mean pupil outcome"),
                                   ("gap", "tab:red", "disadvantage gap")):
            if band.n.iloc[0] > 1:
                ax.fill_between(band.time_years, band[f"{name}_low"], band[f"{name}_high"],
                                color=colour, alpha=0.18, lw=0)
                shown += [band[f"{name}_low"], band[f"{name}_high"]]
            ax.plot(band.time_years, band[f"{name}_mean"], color=colour, lw=2,
                    label=f"{what}: {label}")
    else:
        ax.text(0.5, 0.92, f"computing {n} seeds in the background…", transform=ax.transAxes,
                ha="center", fontsize=9, color="grey")
    ax.plot(ts.time_years, ts.outcome_difference, color="tab:blue", lw=1, ls="--",
            label="mean pupil outcome: this seed (the maps)")
    ax.plot(ts.time_years, ts.gap_difference, color="tab:red", lw=1, ls="--",
            label="disadvantage gap: this seed (below 0: narrower)")
    ax.axvline(ts.time_years.iloc[-1], color="grey", lw=0.8, ls=":")  # where the maps are
    symmetric_at_least(ax, np.concatenate([np.asarray(v, dtype=float) for v in shown]),
                       DIFFERENCE_FLOOR_MONTHS)
    ax.legend(loc="lower left", fontsize=7)
    return fig


def against_counterfactual(model: DashboardModel, column: str, title: str, ylabel: str,
                           colour: str) -> Figure:
    """One time-series column for the scenario and, dashed, for its counterfactual."""
    ts = model.difference()
    fig, ax = time_chart(model, title, ylabel)
    ax.plot(ts.time_years, ts[f"counterfactual_{column}"], color="grey", ls="--",
            label="counterfactual")
    ax.plot(ts.time_years, ts[column], color=colour, label="scenario")
    span_at_least(ax, np.r_[ts[column], ts[f"counterfactual_{column}"]],
                  OUTCOME_FLOOR_SPAN_MONTHS)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def outcome_figure(model: DashboardModel) -> Figure:
    return against_counterfactual(model, "mean_outcome", "Mean pupil outcome",
                                  "months vs national mean at start", "tab:blue")


def gap_figure(model: DashboardModel) -> Figure:
    return against_counterfactual(model, "disadvantage_gap", "Disadvantage gap", "gap (months)",
                                  "tab:red")


def partnerships_figure(model: DashboardModel) -> Figure:
    ts = model.difference()
    fig, ax = time_chart(model, "Active partnerships by kind", "number")
    for column, label, colour in KIND_SERIES:
        ax.plot(ts.time_years, ts[f"counterfactual_{column}"], color=colour, ls="--")
        ax.plot(ts.time_years, ts[column], color=colour, label=label)
    ax.plot([], [], color="black", ls="--", label="counterfactual (dashed)")
    ax.set_ylim(0, 1.5 * max(1, ts[[c for c, _, _ in KIND_SERIES]].to_numpy().max()))  # legend room
    ax.legend(loc="upper left", fontsize=8)
    return fig


def _money(value: float) -> str:
    return f"£{value / 1e6:,.3g}m" if value >= 1e6 else f"£{value / 1e3:,.3g}k"


def _share(value: float) -> str:
    return f"{100 * value:.0f}%"


# Each lever setting in words, given its value (settings not listed fall back to their name).
LEVER_WORDS = {
    "programme": lambda v: f"programme: {v.replace('_', ' ')}",
    "budget_gbp_per_year_per_1000_schools": lambda v: f"{_money(v)} a year per 1,000 schools",
    "amount_primary_gbp": lambda v: f"{_money(v)} per primary award",
    "amount_secondary_gbp": lambda v: f"{_money(v)} per secondary award",
    "duration_years": lambda v: f"awards last {v:g} years",
    "recipient": lambda v: "paid to pairs of schools" if v == "pair" else "paid to clusters",
    "cluster_size": lambda v: f"clusters of {v} schools",
    "eligible": lambda v: {"all": "any school may apply", "small_rural": "small rural schools only",
                           "struggling": "struggling schools only"}.get(v, f"eligible: {v}"),
    "share_leadership_time": lambda v: f"{_share(v)} of the money for leaders' time",
    "share_cover": lambda v: f"{_share(v)} for cover staff",
    "share_transport": lambda v: f"{_share(v)} for transport",
    "max_partner_km": lambda v: "no distance limit" if v is None else f"partners within {v:g} km",
    "transport_subsidy_share": lambda v: f"{_share(v)} of travel costs paid centrally",
    "regime": lambda v: f"inspection regime: {v.replace('_', ' ')}",
    "grading": lambda v: ("Ofsted report cards" if v == "report_cards"
                          else "a single overall inspection grade"),
    "rise_advisers_per_1000_schools": lambda v: (f"{v:g} RISE advisers per 1,000 schools (today 3.2)"
                                                 if v > 0 else "no RISE advisers"),
    "rise_schools_per_adviser_per_year": lambda v: f"each RISE adviser takes on {v:g} schools a year",
    "rise_gbp_per_school": lambda v: f"{_money(v)} of RISE support per school",
    "rise_duration_years": lambda v: f"RISE support lasts {v:g} years",
    "inspection_frequency": lambda v: f"inspections {v:g} times as often as today",
    "outstanding_exempt": lambda v: ("outstanding schools exempt from routine inspection (as 2012-2020)"
                                     if v else "outstanding schools inspected in the normal cycle"),
    "stakes": lambda v: f"stakes of a low grade {v:g} (0 none, 1 highest; today 0.5)",
    "competition": lambda v: f"competition for pupils {v:g} (0 to 1; today 0.3)",
    "partnership_credit": lambda v: f"inspection credits partnership work, weight {v:g} (0 to 1)",
    "dip_penalty": lambda v: f"weight on a recent fall in results {v:g} (0 to 1)",
    "intervention": lambda v: ("an inadequate grade brings a supporting partner"
                               if v == "support_partnership" else "no intervention on an inadequate grade"),
    "max_share_of_heads": lambda v: f"executive heads for up to {_share(v)} of schools",
    "max_schools_per_head": lambda v: f"up to {v} schools per executive head",
    "triggers": lambda v: "executive heads for " + ", ".join(
        {"vacancy": "schools without a head", "failing": "failing schools",
         "small": "small primaries without a head"}.get(t, t) for t in v),
    "appointment_rate_per_year": lambda v: f"appointment rate {v:g} a year",
    "search_radius_km": lambda v: f"lead school within {v:g} km",
}


def lever_in_words(name: str, value) -> str:
    words = LEVER_WORDS.get(name)
    return words(value) if words is not None else f"{name.replace('_', ' ')}: {value}"


def policy_description(run: PartnershipModel) -> str:
    """The scenario's levers in words: what differs from today's policy, and when."""
    parts = []
    for lever in LEVERS:
        settings = dataclasses.asdict(getattr(run.config, lever))
        today = dataclasses.asdict(run.todays_policy(lever))
        changed = [lever_in_words(name, value) for name, value in settings.items()
                   if value != today[name] and name not in ("start_year", "stop_year")]
        if changed:
            stop = settings["stop_year"]
            when = (f"years {settings['start_year']:g}–{stop:g}" if stop is not None
                    else f"from year {settings['start_year']:g}")
            parts.append(f"<i>{LEVER_LABELS[lever].lower()}</i> ({when}): "
                         + html.escape(", ".join(changed)))
    return "; ".join(parts) if parts else "none (the scenario is today's policy)"


def summary_html(model: DashboardModel) -> str:
    """One paragraph: where the run is and how far the scenario is from the counterfactual."""
    ts = model.difference().iloc[-1]
    horizon = model.scenario.n_steps * model.scenario.dt
    spend = ts.cum_spend_gbp - ts.counterfactual_cum_spend_gbp
    band = model.ensemble.band()
    if len(band) and band.n.iloc[0] > 1:
        now = band.iloc[int(np.argmin(np.abs(band.time_years - ts.time_years)))]
        average = (f"Over {int(now.n)} of {len(model.ensemble.seeds)} seeds: "
                   f"<b>{now.outcome_mean:+.2f} months</b> (95% interval {now.outcome_low:+.2f} "
                   f"to {now.outcome_high:+.2f}). ")
    else:
        average = (f"The average over {len(model.ensemble.seeds)} seeds is being computed "
                   f"({model.ensemble.done} done). ")
    return (f"<b>Year {ts.time_years:.1f} of {horizon:g}</b> — scenario "
            f"<b>{html.escape(model.scenario_name)}</b> against today's policy, seed "
            f"{model.scenario.config.seed}, {model.scenario.schools.n} schools. "
            f"Difference in mean pupil outcome now: this seed "
            f"<b>{ts.outcome_difference:+.2f} months</b>. {average}"
            f"This seed's difference in the disadvantage gap: <b>{ts.gap_difference:+.2f} months"
            f"</b>; extra money spent: <b>£{spend:,.0f}</b>.<br>"
            f"<small>Policy changes: {policy_description(model.scenario)}.</small>")


def figure(fig: Figure):
    return solara.FigureMatplotlib(fig, format="png", dpi=90)


@solara.component
def Dashboard(model: DashboardModel):
    """The main view: summary, maps and the difference curve, then the three other charts. The
    difference panel's seeds run in a background thread and redraw the page as each finishes."""
    update_counter.get()  # re-render after every step and every finished seed

    def compute_seeds(cancel: threading.Event) -> None:
        if model.error is None:
            model.ensemble.run(cancel, on_result=lambda done: force_update())

    solara.use_thread(compute_seeds, dependencies=[model], intrusive_cancel=False)
    if model.error is not None:
        solara.Error(f"Configuration error: {model.error}")
        return
    solara.HTML(tag="p", unsafe_innerHTML=summary_html(model), classes=["dashboard-summary"])
    with solara.Columns([3, 2]):
        figure(map_figure(model))
        figure(difference_figure(model))
    with solara.Columns([1, 1, 1]):
        figure(outcome_figure(model))
        figure(gap_figure(model))
        figure(partnerships_figure(model))


# -- the controls ---------------------------------------------------------------------------------
class Stepper:
    """Runs the clicks on Step and the ▶ play of one model in a background thread, so that a click
    made while the model is busy is queued, never dropped, and the page stays responsive."""

    def __init__(self, model: DashboardModel) -> None:
        self.model = model
        self.playing = False
        self._queued = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()

    @property
    def queued(self) -> int:
        with self._lock:
            return self._queued

    def click_step(self) -> None:
        with self._lock:
            self._queued += 1
        self._wake.set()

    def toggle_play(self) -> None:
        self.playing = not self.playing
        self._wake.set()

    def _take_click(self) -> bool:
        with self._lock:
            if self._queued:
                self._queued -= 1
                return True
            return False

    def advance(self) -> None:
        """One click's worth: ``RENDER_INTERVAL`` steps (fewer at the horizon)."""
        for _ in range(RENDER_INTERVAL):
            if self.model.running:
                self.model.step()

    def loop(self, cancel: threading.Event, redraw=lambda: None) -> None:
        """Wait for clicks or play; run them until ``cancel`` is set (a new model, or the page
        closed)."""
        while not cancel.is_set():
            self._wake.wait(timeout=0.25)
            self._wake.clear()
            while not cancel.is_set() and self.model.running and (self._take_click()
                                                                  or self.playing):
                self.advance()
                redraw()
                if self.playing:
                    time.sleep(PLAY_PAUSE_S)
            if not self.model.running and self.playing:
                self.playing = False
                with self._lock:
                    self._queued = 0
                redraw()


@solara.component
def Controls(model: solara.Reactive[DashboardModel], overrides: tuple[str, ...]):
    """Scenario, levers and seed; Reset, ▶ and Step. Mesa's own SolaraViz sidebar is not used: its
    play and render intervals and its "Use Threads" box are fixed here (Step always runs
    ``RENDER_INTERVAL`` steps, in a background thread)."""
    update_counter.get()
    choices = solara.use_reactive({"scenario": "pathfinder",
                                   **{lever: AS_SCENARIO for lever in LEVERS}})
    seed = solara.use_reactive(initial_seed(overrides))
    stepper = solara.use_memo(lambda: Stepper(model.value), [model.value])
    solara.use_thread(lambda cancel: stepper.loop(cancel, force_update), dependencies=[stepper],
                      intrusive_cancel=False)

    def reset() -> None:
        stepper.playing = False
        model.set(DashboardModel(seed=seed.value, overrides=overrides, **choices.value))

    def play() -> None:
        stepper.toggle_play()
        force_update()

    def choose(name: str, value: str) -> None:
        choices.set({**choices.value, name: value})

    with solara.Card("Run"):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=reset)
            solara.Button("❚❚" if stepper.playing else "▶", color="primary", on_click=play,
                          disabled=not model.value.running)
            queued = stepper.queued
            solara.Button("Step" if not queued else f"Step ({queued} queued)", color="primary",
                          on_click=stepper.click_step, disabled=not model.value.running)
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"Step: {model.value.steps}<br><small><i>Step</i> advances {RENDER_INTERVAL} months "
            "(clicks made while the model is busy are queued); ▶ plays to the end; "
            "<i>Reset</i> starts again from the choices below.</small>"))
    with solara.Card("Scenario and levers"):
        solara.Select("Scenario", value=choices.value["scenario"], values=SCENARIOS,
                      on_value=lambda v: choose("scenario", v))
        for lever in LEVERS:
            solara.Select(SELECTOR_LABELS[lever], value=choices.value[lever],
                          values=list(LEVER_CHOICES[lever]),
                          on_value=lambda v, lever=lever: choose(lever, v))
        solara.SliderInt(f"Seed (random draws): {seed.value}", value=seed, min=0,
                         max=max(20, seed.value))
        solara.HTML(tag="div", unsafe_innerHTML=(
            "<small>Choose, then press <i>Reset</i>. The difference chart averages "
            f"{ENSEMBLE_SEEDS} seeds from this one on, computed in the background.</small>"))


@solara.component
def Page():
    """The page solara serves: controls in the sidebar, the dashboard beside them.

    Each browser session gets its own pair of runs; Reset rebuilds them from the controls.
    """
    overrides = dashboard_overrides()
    first = solara.use_memo(
        lambda: DashboardModel(seed=initial_seed(overrides), overrides=overrides), [])
    model = solara.use_reactive(first)
    with solara.AppBar():
        solara.AppBarTitle("School partnerships: scenario vs counterfactual")
    with solara.Sidebar():
        Controls(model, overrides)
    Dashboard(model.value)
