"""The interactive dashboard (Mesa's SolaraViz): a scenario and its counterfactual, side by side.

    make dashboard                        # or: .venv/bin/solara run sim/views/dashboard.py
    make dashboard ARGS="landscape.n_schools=600 seed=4"    # Hydra overrides for both runs

Only the interactive view lives here; the model is ``sim.core.model.PartnershipModel``. The environment
variable ``SIM_DASHBOARD_OVERRIDES`` (what ``make dashboard ARGS=...`` sets) holds extra Hydra
overrides, e.g. a smaller landscape for a laptop or a test. See docs/dashboard.md.
"""

from __future__ import annotations

import functools
import html
import os
import shlex
import sys
import warnings
from dataclasses import asdict

import mesa
import pandas as pd
import solara
from hydra.errors import HydraException
from matplotlib.figure import Figure
from omegaconf.errors import OmegaConfBaseException

from sim.config import compose, validate
from sim.core.checks import ConfigError
from sim.core.levers import LEVERS, differs_from_today
from sim.core.model import PartnershipModel
from sim.core.paths import CONF_DIR
from sim.core.vocabulary import HEAD_EXECUTIVE
from sim.running import spin_up
from sim.views.animate import (
    draw_school_map,
    map_legend_handles,
    model_link_groups,
    outcome_limit,
    padded_range,
)

with warnings.catch_warnings():  # Mesa's own ComponentsView trips solara's hook check: harmless
    warnings.filterwarnings("ignore", message=".*found despite early return", category=UserWarning)
    from mesa.visualization import Slider, SolaraViz
    from mesa.visualization.utils import update_counter

# Where the dashboard listens (`make dashboard` passes it to solara's --host). Only this machine by
# default: whoever reaches the dashboard can run the model at any size (docs/security.md).
HOST = os.environ.get("SIM_DASHBOARD_HOST", "127.0.0.1")
if HOST not in ("127.0.0.1", "localhost", "::1"):
    print(f"Warning: the dashboard listens on {HOST} (SIM_DASHBOARD_HOST): anyone who can reach "
          "this address can run the model; see docs/security.md", file=sys.stderr)

SCENARIOS = sorted(path.stem for path in (CONF_DIR / "scenario").glob("*.yaml"))
AS_SCENARIO = "as the scenario sets it"
RENDER_INTERVAL = 3  # steps per redraw (and per click of Step): a quarter of a year at monthly steps
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
LEVER_LABELS = {"funding": "Funding budget", "distance": "Distance between partners",
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
    """Scenario minus counterfactual: the curve that shows when benefits (and costs) appear."""
    ts = model.difference()
    fig, ax = time_chart(model, "Scenario − counterfactual (same random draws)",
                         "difference (months)", size=(6, 5.6), label_policy=True)
    ax.axhline(0, color="black", lw=0.8)
    ax.plot(ts.time_years, ts.outcome_difference, color="tab:blue", lw=2,
            label="mean pupil outcome")
    ax.plot(ts.time_years, ts.gap_difference, color="tab:red", lw=2,
            label="disadvantage gap (below 0: narrower)")
    ax.legend(loc="best", fontsize=8)  # the curves can go anywhere
    return fig


def against_counterfactual(model: DashboardModel, column: str, title: str, ylabel: str,
                           colour: str) -> Figure:
    """One time-series column for the scenario and, dashed, for its counterfactual."""
    ts = model.difference()
    fig, ax = time_chart(model, title, ylabel)
    ax.plot(ts.time_years, ts[f"counterfactual_{column}"], color="grey", ls="--",
            label="counterfactual")
    ax.plot(ts.time_years, ts[column], color=colour, label="scenario")
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


def policy_description(run: PartnershipModel) -> str:
    """The scenario's levers in words: what differs from today's policy, and when."""
    parts = []
    for lever in LEVERS:
        settings, today = asdict(getattr(run.config, lever)), asdict(run.todays_policy(lever))
        changed = [f"{name} = {value:,g}" if isinstance(value, float) else f"{name} = {value}"
                   for name, value in settings.items()
                   if value != today[name] and name not in ("start_year", "stop_year")]
        if changed:
            stop = settings["stop_year"]
            when = (f"years {settings['start_year']:g}–{stop:g}" if stop is not None
                    else f"from year {settings['start_year']:g}")
            parts.append(f"<i>{lever}</i> ({when}): " + html.escape(", ".join(changed)))
    return "; ".join(parts) if parts else "none (the scenario is today's policy)"


def summary_html(model: DashboardModel) -> str:
    """One paragraph: where the run is and how far the scenario is from the counterfactual."""
    ts = model.difference().iloc[-1]
    horizon = model.scenario.n_steps * model.scenario.dt
    spend = ts.cum_spend_gbp - ts.counterfactual_cum_spend_gbp
    return (f"<b>Year {ts.time_years:.1f} of {horizon:g}</b> — scenario "
            f"<b>{html.escape(model.scenario_name)}</b> against today's policy, seed "
            f"{model.scenario.config.seed}, {model.scenario.schools.n} schools. "
            f"Difference in mean pupil outcome: <b>{ts.outcome_difference:+.3f} months</b>; "
            f"in the disadvantage gap: <b>{ts.gap_difference:+.3f} months</b>; "
            f"extra money spent: <b>£{spend:,.0f}</b>.<br>"
            f"<small>Policy changes: {policy_description(model.scenario)}.</small>")


def figure(fig: Figure):
    return solara.FigureMatplotlib(fig, format="png", dpi=90)


@solara.component
def Dashboard(model: DashboardModel):
    """The main view: summary, maps and the difference curve, then the three other charts."""
    update_counter.get()  # re-render after every step (Mesa's documented hook)
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


model_params = {
    "scenario": {"type": "Select", "value": "pathfinder", "values": SCENARIOS,
                 "label": "Scenario"},
    **{lever: {"type": "Select", "value": AS_SCENARIO, "values": list(LEVER_CHOICES[lever]),
               "label": LEVER_LABELS[lever]} for lever in LEVERS},
    "seed": Slider("Seed (random draws)", value=initial_seed(dashboard_overrides()), min=0,
                   max=max(20, initial_seed(dashboard_overrides())), step=1),
    "overrides": dashboard_overrides(),
}


@solara.component
def Page():
    """The page solara serves: SolaraViz's controls in the sidebar, the dashboard beside them.

    Each browser session gets its own pair of runs; Reset rebuilds them from the controls.
    """
    overrides = dashboard_overrides()
    first = solara.use_memo(
        lambda: DashboardModel(seed=initial_seed(overrides), overrides=overrides), [])
    model = solara.use_reactive(first)
    SolaraViz(model, components=[], model_params=model_params,
              name="School partnerships: scenario vs counterfactual", play_interval=100,
              render_interval=RENDER_INTERVAL)
    Dashboard(model.value)
