"""Calibrate the free parameters of the default dynamics to the no-policy targets of evidence.md.

    python -m sim.calibrate                      # 48 evaluations, 3 seeds, 300 schools
    python -m sim.calibrate --evaluations 4 --seeds 1 --n-schools 40 --years 3 \
        --spinup-years 2 --out /tmp/cal --fitted /tmp/cal/fitted.yaml --figures /tmp/cal  # smoke

What it fits (``FREE``: nine rule parameters with bounds) to what (``TARGETS``: the rows of
../shared/evidence.md that describe the system without any policy, plus the 2-4-year timing of
partnership gains), how (a two-stage Latin-hypercube search, documented below), and what it writes:

* ``<out>/evaluations.csv``: every evaluated parameter set, its objective and simulated quantities;
* ``<out>/summary.json``: the default and the best set, target by target;
* ``<fitted>`` (default ``conf/calibration/fitted.yaml``): the best values. Written there, they
  become the defaults every run uses: ``conf/rules/*/default.yaml`` and ``conf/calibration/none.yaml``
  are regenerated from them (``sim.config.generate``); ``python -m sim +calibration=none`` runs the
  uncalibrated assumptions (the rules' Params defaults) instead. Written elsewhere (``--fitted``),
  nothing in ``conf`` changes;
* ``<figures>/calibration_*.png``: target vs simulated, the gain-timing event study, the search.

**Simulated quantities** (each candidate runs on the same seeds: common random numbers). For every
seed the model is spun up once, then run ``years`` under the baseline (stepped here in Python) and
forked for the ``pathfinder`` scenario:

* grade mix: share of schools with each last grade, mean of the yearly school panel (years 0..end);
* inspection transitions: every inspection after time 0 in the baseline, read *per inspection*
  by stepping the model and comparing each school's grade before and after a step in which its
  ``t_inspected`` changed (exact, not a year-to-year approximation);
* head turnover: heads leaving a post per year / mean heads in post (baseline, after time 0);
* teacher turnover: the yearly probability implied by the staffing rule's rates, averaged over
  schools (an input of the model, reported for completeness, weight 0);
* disadvantage gap by phase: the national formula (``sim.results.disadvantage_gap``) on primary and
  on secondary schools, mean over the yearly panel;
* gain timing: an event study of the schools in partnerships funded by the pathfinder programme.
  For member school *i* of a partnership formed at time t_f, d_i(k) = [outcome_i in the pathfinder
  run - outcome_i in the baseline run on the same seed] at whole year floor(t_f) + k, minus the same
  difference at k = 0. The gain appears at the first event year k >= 1 from which the mean d(k)
  (pooled over members and seeds) is positive for two consecutive years (or at the last year
  observed). If it never turns positive, the delay counts as ``NO_GAIN_DELAY`` years.

**Objective**: sum over targets of weight * (relative error)^2. For a point target v the relative
error is (simulated - v) / max(|v|, floor), floor = 0.10 for shares (so a 3 % share missed by 3
points is an error of 0.3, not 1); for a range [a, b] it is 0 inside and the distance to the nearest
end divided by the range's midpoint outside.

**Search**: stage 1 evaluates the current defaults and a scrambled Latin hypercube of 2/3 of the
budget over the bounds (``scipy.stats.qmc``, seed ``--sampler-seed``); stage 2 spends the rest on a
Latin hypercube in a box of +/- 20 % of each range around the best point so far. The best evaluated
point so far. Because the best of many noisy evaluations looks better than it is (the winner's
curse), stage 3 evaluates the defaults and the ``--finalists`` best candidates again on
``--holdout-seeds`` fresh seeds (1000, 1001, ...) and the best *there* wins — which may be the
defaults, in which case the fitted file holds the current defaults. This is a documented random
search, not an optimiser: with few, noisy evaluations it finds a better region at best, not the
optimum; the parameters' uncertainty is not estimated.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.event_study import member_changes
from sim.analysis.paired import first_year_from_which
from sim.config import compose, validate
from sim.core.paths import PROJECT_DIR
from sim.core.recorder import disadvantage_gap
from sim.core.vocabulary import HEAD_IN_POST
from sim.experiments.samplers import latin_hypercube

# The free parameters: config key -> (low, high, unit and why it is free).
FREE: dict[str, tuple[float, float, str]] = {
    "rules.accountability.inspection_noise_sd": (
        0.2, 0.9, "score points; judgement noise: sets how often grades move between inspections"),
    "rules.accountability.weight_capacity": (
        0.3, 1.5, "score points per SD of capacity; how much inspections see leadership"),
    "rules.staffing.vacancy_fill_per_year": (
        1.0, 4.0, "1/year; how fast headships are filled (head turnover, recovery of weak schools)"),
    "rules.running.learn_rate_per_year": (
        0.2, 2.0, "1/year; how fast partners learn from stronger ones (size and timing of gains)"),
    "rules.running.trust_build_per_year": (
        0.3, 3.0, "1/year; how fast trust builds by meeting (timing of gains)"),
    "rules.improvement.lag_years": (
        0.5, 3.0, "years; lag of outcomes behind teaching and leadership (timing of gains)"),
    "rules.accountability.outstanding_margin_points": (
        0.0, 2.0, "score points; extra bar for a new outstanding grade (good -> outstanding)"),
    "rules.accountability.interval_outstanding_years": (
        4.0, 15.0, "years; re-inspection of outstanding schools (exempt 2012-2020: grade mix)"),
    "rules.accountability.support_per_year": (
        0.0, 2.0, "1/year at pressure 1; support after a low grade (RI, inadequate -> good)"),
}
SHARE_FLOOR = 0.10  # relative errors of shares are taken against at least this scale
NO_GAIN_DELAY = 12.0  # years counted when member schools' gain never turns positive


@dataclass(frozen=True)
class Target:
    """A published figure: a point (low == high) or a range, with its weight and source."""

    low: float
    high: float
    weight: float
    unit: str
    source: str
    floor: float = 0.0  # scale floor of the relative error (shares: SHARE_FLOOR)

    def error(self, simulated: float) -> float:
        """Relative error: point targets against max(|v|, floor), ranges 0 inside."""
        if simulated is None or not math.isfinite(simulated):
            return 10.0  # a missing quantity (e.g. no inspections seen) is a large miss
        if self.low == self.high:
            return (simulated - self.low) / max(abs(self.low), self.floor)
        mid = 0.5 * (self.low + self.high)
        if simulated < self.low:
            return (simulated - self.low) / mid
        if simulated > self.high:
            return (simulated - self.high) / mid
        return 0.0


def share(value: float, source: str, weight: float = 1.0) -> Target:
    return Target(value, value, weight, "share", source, SHARE_FLOOR)


TARGETS: dict[str, Target] = {
    "grade_outstanding": share(0.20, "Ofsted, Dec 2018"),
    "grade_good": share(0.65, "Ofsted, Dec 2018"),
    "grade_requires_improvement": share(0.11, "Ofsted, Dec 2018"),
    "grade_inadequate": share(0.04, "Ofsted, Dec 2018"),
    "good_stays_good": share(0.84, "Ofsted 2019/20, re-inspection of good schools"),
    "good_to_outstanding": share(0.03, "Ofsted 2019/20"),
    "good_to_requires_improvement": share(0.11, "Ofsted 2019/20"),
    "good_to_inadequate": share(0.02, "Ofsted 2019/20"),
    "ri_to_good_or_better": Target(0.56, 0.78, 1.0, "share", "Ofsted management information"),
    "inadequate_to_good_or_better": Target(0.40, 0.56, 1.0, "share", "Ofsted"),
    "head_turnover": Target(0.10, 0.10, 1.0, "share / year", "DfE, School leadership retention 2024"),
    "teacher_turnover": Target(0.10, 0.10, 0.0, "share / year",
                               "DfE school workforce census (an input: weight 0)"),
    "gap_primary_months": Target(10.0, 10.0, 1.0, "months", "EPI 2019-2024, age 11"),
    "gap_secondary_months": Target(18.0, 19.0, 1.0, "months", "EPI 2019-2024, age 16"),
    "gain_delay_years": Target(2.0, 4.0, 2.0, "years",
                               "Chapman, Muijs & MacAllister 2011 (gains 2-4 years after forming)"),
}


# -- simulating one candidate ---------------------------------------------------------------------
def base_configs(n_schools: int, years: float, spinup_years: float | None, steps_per_year: int):
    """The composed baseline and pathfinder configs (DictConfigs) candidates are applied to."""
    common = [f"landscape.n_schools={n_schools}", f"years={years!r}",
              f"steps_per_year={steps_per_year}", "output.progress=false",
              "accountability=single_grades"]  # the targets are the single grades' (issue 15)
    if spinup_years is not None:
        common.append(f"spinup_years={spinup_years!r}")
    return compose(["scenario=baseline", *common]), compose(["scenario=pathfinder", *common])


def with_values(cfg, values: dict[str, float], seed: int):
    """A validated copy of ``cfg`` with the candidate's values and the seed."""
    from omegaconf import OmegaConf

    cfg = cfg.copy()
    for key, value in values.items():
        OmegaConf.update(cfg, key, float(value), merge=False)
    cfg.seed = seed
    return validate(cfg)


class SystemTally:
    """What the baseline's tables do not keep, tallied around each step: inspection grade
    transitions, heads leaving, heads in post."""

    def __init__(self) -> None:
        self.transitions = np.zeros((5, 5), dtype=np.int64)  # [grade before, grade after]
        self.head_leavers = 0
        self.heads_in_post: list[int] = []

    def before_step(self, model) -> None:
        s = model.schools
        self.grade_before = s.grade.copy()
        self.inspected_before = s.t_inspected.copy()
        self.in_post_before = s.head == HEAD_IN_POST
        self.heads_in_post.append(int(self.in_post_before.sum()))

    def after_step(self, model) -> None:
        s = model.schools
        inspected = s.t_inspected != self.inspected_before
        np.add.at(self.transitions, (self.grade_before[inspected], s.grade[inspected]), 1)
        self.head_leavers += int((s.head_left_now & self.in_post_before).sum())


def run_seed(base_cfg, pf_cfg, values: dict[str, float], seed: int) -> dict:
    """One seed: the baseline and the pathfinder on the same draws (one spin-up, forked), the
    baseline tallied step by step; return raw tallies."""
    from sim.running import run_paired

    base = with_values(base_cfg, values, seed)
    pathfinder = with_values(pf_cfg, values, seed)
    tally = SystemTally()
    base_run, pf = run_paired([base, pathfinder], observers=[tally, None])
    staffing = next(p for name, _, p in base.rules if name == "staffing")
    rural = base_run.schools.drop_duplicates("school_id").rural.to_numpy()
    tau = staffing.teacher_turnover_per_year * np.where(
        rural, 1.0, staffing.rel_teacher_turnover_urban)
    return {
        "panel": base_run.schools, "pf_panel": pf.schools, "pf_partnerships": pf.partnerships,
        "pf_timeseries": pf.timeseries, "base_timeseries": base_run.timeseries,
        "transitions": tally.transitions, "head_leavers": tally.head_leavers,
        "head_years": float(np.mean(tally.heads_in_post)) * base.config.years,
        "teacher_turnover": float(np.mean(1 - np.exp(-tau))),
    }


def funded_member_changes(base_panel: pd.DataFrame, pf_panel: pd.DataFrame,
                          partnerships: pd.DataFrame) -> pd.DataFrame:
    """d_i(k) (``effect``, months) for members of partnerships funded in the pathfinder run, one
    row each: the event study against the same school in the baseline run on the same seed."""
    return member_changes(pf_panel, partnerships, treated=lambda pt: pt.funding_gbp > 0,
                          against="counterfactual", counterfactual_panel=base_panel,
                          pre=0, post=None)


def gain_delay(curve: pd.Series) -> float:
    """First event year k >= 1 from which the mean gain is positive two years running."""
    ks = [k for k in curve.index if k >= 1]
    for k in ks:
        nxt = curve.get(k + 1)
        if curve[k] > 0 and (nxt is None or nxt > 0):
            return float(k)
    return NO_GAIN_DELAY


def programme_crossing(base_ts: list[pd.DataFrame], pf_ts: list[pd.DataFrame],
                       start_year: float) -> float:
    """Years after the programme starts until the region's mean-outcome difference turns
    positive for good (mean over seeds, yearly); NaN if it never does (reported, not fitted)."""
    diffs = []
    for b, p in zip(base_ts, pf_ts, strict=True):
        b = b.set_index("time_years").mean_outcome
        p = p.set_index("time_years").mean_outcome
        d = (p - b).dropna()
        diffs.append(d[np.isclose(d.index % 1.0, 0) | np.isclose(d.index % 1.0, 1)])
    mean = pd.concat(diffs, axis=1).mean(axis=1)
    mean = mean[mean.index > start_year]
    return float(round(first_year_from_which(mean.index, mean > 0) - start_year, 6))


def simulate_candidate(values: dict[str, float], seeds: list[int], base_cfg, pf_cfg) -> dict:
    """Every simulated quantity of one parameter set, pooled over ``seeds``."""
    runs = [run_seed(base_cfg, pf_cfg, values, seed) for seed in seeds]
    panel = pd.concat([r["panel"] for r in runs])
    grades = panel.grade.value_counts(normalize=True)
    transitions = sum(r["transitions"] for r in runs)
    good = transitions[2, 1:].sum()
    ri = transitions[3, 1:].sum()
    inadequate = transitions[4, 1:].sum()

    def ratio(numerator, denominator):
        return float(numerator / denominator) if denominator > 0 else float("nan")

    gaps = {}
    for phase in ("primary", "secondary"):
        by_year = panel[panel.phase == phase].groupby(panel.year.name)
        gaps[phase] = float(np.mean([
            disadvantage_gap(g.pupils.to_numpy(), g.fsm.to_numpy(), g.outcome.to_numpy(),
                             g.gap.to_numpy()) for _, g in by_year]))
    events = pd.concat([funded_member_changes(r["panel"], r["pf_panel"], r["pf_partnerships"])
                        for r in runs], ignore_index=True)
    curve = events.groupby("k").effect.mean() if len(events) else pd.Series(dtype=float)
    start_year = float(pf_cfg.funding.start_year)
    return {
        "grade_outstanding": float(grades.get(1, 0.0)),
        "grade_good": float(grades.get(2, 0.0)),
        "grade_requires_improvement": float(grades.get(3, 0.0)),
        "grade_inadequate": float(grades.get(4, 0.0)),
        "good_stays_good": ratio(transitions[2, 2], good),
        "good_to_outstanding": ratio(transitions[2, 1], good),
        "good_to_requires_improvement": ratio(transitions[2, 3], good),
        "good_to_inadequate": ratio(transitions[2, 4], good),
        "ri_to_good_or_better": ratio(transitions[3, 1:3].sum(), ri),
        "inadequate_to_good_or_better": ratio(transitions[4, 1:3].sum(), inadequate),
        "head_turnover": ratio(sum(r["head_leavers"] for r in runs),
                               sum(r["head_years"] for r in runs)),
        "teacher_turnover": float(np.mean([r["teacher_turnover"] for r in runs])),
        "gap_primary_months": gaps["primary"],
        "gap_secondary_months": gaps["secondary"],
        "gain_delay_years": gain_delay(curve) if len(curve) else NO_GAIN_DELAY,
        # reported, not fitted:
        "n_inspections_good": int(good), "n_inspections_ri": int(ri),
        "n_inspections_inadequate": int(inadequate),
        "n_funded_member_schools": int(events[events.k == 0].shape[0]) if len(events) else 0,
        "programme_positive_after_years": programme_crossing(
            [r["base_timeseries"] for r in runs], [r["pf_timeseries"] for r in runs], start_year),
        "outcome_spread_months": float(panel.groupby("year").outcome.std().mean()),
        "event_curve": {int(k): round(float(v), 4) for k, v in curve.items()},
    }


def objective(simulated: dict) -> tuple[float, dict[str, float]]:
    """Weighted sum of squared relative errors, and each target's relative error."""
    errors = {name: t.error(simulated[name]) for name, t in TARGETS.items()}
    return float(sum(TARGETS[n].weight * e ** 2 for n, e in errors.items())), errors


def evaluate(values: dict[str, float], seeds: list[int], base_cfg, pf_cfg) -> dict:
    """One evaluation: the candidate's values, simulated quantities, errors and objective."""
    started = time.perf_counter()
    simulated = simulate_candidate(values, seeds, base_cfg, pf_cfg)
    value, errors = objective(simulated)
    return {"values": values, "simulated": simulated, "errors": errors, "objective": value,
            "seconds": time.perf_counter() - started}


# -- the search -----------------------------------------------------------------------------------
def default_values(base_cfg) -> dict[str, float]:
    """The current defaults of the free parameters (from conf/rules)."""
    from omegaconf import OmegaConf

    return {key: float(OmegaConf.select(base_cfg, key)) for key in FREE}


def search(evaluations: int, seeds: list[int], base_cfg, pf_cfg, sampler_seed: int = 0,
           n_jobs: int = 1, log=print) -> list[dict]:
    """Two-stage Latin-hypercube search (module docstring); returns every evaluation in order."""
    from joblib import Parallel, delayed

    keys = list(FREE)
    low = np.array([FREE[k][0] for k in keys])
    high = np.array([FREE[k][1] for k in keys])
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")  # log each as it finishes

    def run(points: list[dict], stage: str) -> list[dict]:
        results = []
        for r in parallel(delayed(evaluate)(p, seeds, base_cfg, pf_cfg) for p in points):
            r["stage"] = stage
            results.append(r)
            log(f"[{stage}] objective {r['objective']:.3f} ({r['seconds']:.0f} s) "
                + " ".join(f"{k.split('.')[-1]}={v:.3g}" for k, v in r["values"].items()),
                flush=True)
        return results

    n1 = max(0, round((evaluations - 1) * 2 / 3))
    n2 = max(0, evaluations - 1 - n1)
    stage1 = [default_values(base_cfg)] + [
        dict(zip(keys, map(float, row), strict=True)) for row in latin_hypercube(n1, low, high, sampler_seed)]
    done = run(stage1, "stage 1")
    best = min(done, key=lambda r: r["objective"])["values"]
    centre = np.array([best[k] for k in keys])
    half = 0.2 * (high - low)
    box_low, box_high = np.maximum(low, centre - half), np.minimum(high, centre + half)
    stage2 = [dict(zip(keys, map(float, row), strict=True))
              for row in latin_hypercube(n2, box_low, box_high, sampler_seed + 1)]
    done += run(stage2, "stage 2")
    return done


def choose(results: list[dict], finalists: int, holdout_seeds: int, base_cfg, pf_cfg,
           n_jobs: int = 1) -> tuple[dict, dict]:
    """Stage 3: the defaults and the ``finalists`` best candidates on fresh seeds; the best there
    wins (it may be the defaults). Returns (winner's search evaluation, holdout details)."""
    default = results[0]
    if holdout_seeds <= 0:
        return min(results, key=lambda r: r["objective"]), {}
    from joblib import Parallel, delayed

    fresh = list(range(1000, 1000 + holdout_seeds))
    ranked = sorted(results[1:], key=lambda r: r["objective"])[:finalists]
    candidates = [default] + ranked
    checks = Parallel(n_jobs=n_jobs)(delayed(evaluate)(r["values"], fresh, base_cfg, pf_cfg)
                                     for r in candidates)
    winner = int(np.argmin([c["objective"] for c in checks]))
    for i, (r, c) in enumerate(zip(candidates, checks, strict=True)):
        print(f"[stage 3] {'defaults' if i == 0 else f'finalist {i}'}: objective "
              f"{r['objective']:.3f} on the search seeds, {c['objective']:.3f} on seeds {fresh}"
              + ("  <- winner" if i == winner else ""), flush=True)
    holdout = {"seeds": fresh, "default": checks[0], "best": checks[winner],
               "search_best": checks[1] if len(checks) > 1 else checks[0],
               "winner_is_default": winner == 0,
               "finalists": [{"values": r["values"], "objective_search": r["objective"],
                              "objective_holdout": c["objective"]}
                             for r, c in zip(candidates, checks, strict=True)]}
    return candidates[winner], holdout


# -- outputs --------------------------------------------------------------------------------------
def round_value(value: float) -> float:
    """Three significant figures: the search cannot resolve more."""
    return float(f"{value:.3g}")


def write_fitted(path: Path, values: dict[str, float], header: dict) -> Path:
    """Write the fitted values as a Hydra option of the ``calibration`` group (package _global_).

    Written to the project's ``conf/calibration/fitted.yaml`` they become the defaults: the rule
    configs and ``conf/calibration/none.yaml`` are regenerated from them (``sim.config.generate``)."""
    from sim.config import generate as configgen

    lines = ["# @package _global_",
             "# Fitted by sim/experiments/calibration.py. These are the defaults: python -m sim.config.generate",
             "# writes them into conf/rules/*/default.yaml; `python -m sim +calibration=none` runs",
             "# the uncalibrated assumptions instead. See docs/calibration.md.",
             *(f"# {key}: {value}" for key, value in header.items()),
             "rules:"]
    groups: dict[str, dict[str, float]] = {}
    for key, value in values.items():
        _, rule, param = key.split(".")
        groups.setdefault(rule, {})[param] = round_value(value)
    for rule, params in groups.items():
        lines.append(f"  {rule}:")
        lines += [f"    {param}: {value}" for param, value in params.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    if path.resolve() == configgen.FITTED.resolve():
        configgen.write_files(log=lambda *_: None)
    return path


def fitted_overrides(path: Path) -> list[str]:
    """The fitted file as plain Hydra overrides (``rules.<rule>.<param>=<value>``)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text())
    return [f"rules.{rule}.{param}={value}" for rule, params in data["rules"].items()
            for param, value in params.items()]


def entries(default: dict, best: dict, search_best: dict, holdout: dict | None
            ) -> list[tuple[str, dict, dict | None]]:
    """(label, evaluation on the search seeds, evaluation on the holdout seeds) to report:
    the defaults, the winner (if not the defaults) and the best of the search (if not the winner)."""
    holdout = holdout or {}
    rows = [("defaults", default, holdout.get("default"))]
    if best["values"] != default["values"]:
        rows.append(("fitted", best, holdout.get("best")))
    if search_best["values"] != best["values"]:
        rows.append(("best of search", search_best, holdout.get("search_best")))
    return rows


def target_table(rows: list[tuple[str, dict, dict | None]]) -> pd.DataFrame:
    """Target vs simulated for each reported parameter set, on search and holdout seeds."""
    table = []
    for name, t in TARGETS.items():
        target = f"{t.low:g}" if t.low == t.high else f"{t.low:g}-{t.high:g}"
        row = {"target": name, "evidence": target, "unit": t.unit, "weight": t.weight}
        for label, search_eval, holdout_eval in rows:
            row[label] = search_eval["simulated"][name]
            if holdout_eval is not None:
                row[f"{label} (holdout)"] = holdout_eval["simulated"][name]
        row["source"] = t.source
        table.append(row)
    objective = {"target": "OBJECTIVE", "evidence": "", "unit": "", "weight": np.nan,
                 "source": "weighted sum of squared relative errors"}
    for label, search_eval, holdout_eval in rows:
        objective[label] = search_eval["objective"]
        if holdout_eval is not None:
            objective[f"{label} (holdout)"] = holdout_eval["objective"]
    return pd.DataFrame(table + [objective])


def figures(results: list[dict], default: dict, best: dict, out: Path,
            holdout: dict | None = None, search_best: dict | None = None) -> list[Path]:
    """Three small PNGs: targets, gain timing, search (holdout seeds drawn where given)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    rows = entries(default, best, search_best or best, holdout)
    colours = {"defaults": "tab:blue", "fitted": "tab:orange", "best of search": "tab:green"}
    fig, ax = plt.subplots(figsize=(8, 5.5))
    names = [n for n in TARGETS if TARGETS[n].weight > 0]
    y = np.arange(len(names))
    height = 0.8 / len(rows)
    for i, (label, search_eval, holdout_eval) in enumerate(rows):
        offset = (i - (len(rows) - 1) / 2) * height
        ax.barh(y + offset, [search_eval["errors"][n] for n in names], height=height,
                color=colours[label],
                label=f"{label}: objective {search_eval['objective']:.2f}"
                      + (f" ({holdout_eval['objective']:.2f} on holdout seeds)"
                         if holdout_eval is not None else ""))
        if holdout_eval is not None:
            ax.scatter([holdout_eval["errors"][n] for n in names], y + offset, marker="|", s=60,
                       color="black", label="holdout seeds" if i == 0 else None)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("relative error (simulated vs evidence; 0 = on target or inside the range)")
    ax.set_title("Calibration targets: relative error of each parameter set", fontsize=11)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    paths.append(out / "calibration_targets.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, search_eval, holdout_eval in rows:
        for r, style, suffix in ((search_eval, "-", ""), (holdout_eval, ":", ", holdout seeds")):
            if r is None:
                continue
            curve = {int(k): v for k, v in r["simulated"]["event_curve"].items()}  # JSON keys
            if curve:
                ks = sorted(curve)
                ax.plot(ks, [curve[k] for k in ks], marker="o", ms=3, color=colours[label],
                        ls=style, label=label + suffix)
    ax.axhline(0, color="black", lw=0.8)
    ax.axvspan(2, 4, color="green", alpha=0.15, label="gains appear (Chapman et al. 2011)")
    ax.set_xlabel("years since the partnership formed (event year k)")
    ax.set_ylabel("member outcome, pathfinder − baseline (months)")
    ax.set_title("Gain timing: schools in funded partnerships vs the same schools unfunded")
    ax.legend()
    fig.tight_layout()
    paths.append(out / "calibration_gain_timing.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)

    keys = list(FREE)
    fig, axes = plt.subplots(2, math.ceil(len(keys) / 2), figsize=(10, 5.5), sharey=True)
    objectives = np.array([r["objective"] for r in results])
    for ax, key in zip(axes.flat, keys, strict=False):
        xs = [r["values"][key] for r in results]
        ax.scatter(xs, objectives, s=12, alpha=0.7, label="evaluations")
        ax.scatter([default["values"][key]], [default["objective"]], marker="s", color="black",
                   label="defaults")
        ax.scatter([best["values"][key]], [best["objective"]], marker="*", s=120, color="red",
                   label="fitted")
        ax.set_xlabel(f"{key.split('.', 1)[1]} ({FREE[key][2].split(';')[0]})", fontsize=7)
    axes.flat[0].set_ylabel("objective (search seeds)")
    axes.flat[len(keys) // 2].set_ylabel("objective (search seeds)")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Calibration search: objective of every evaluated parameter set")
    fig.tight_layout()
    paths.append(out / "calibration_search.png")
    fig.savefig(paths[-1], dpi=80)
    plt.close(fig)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.calibrate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluations", type=int, default=48, help="parameter sets evaluated")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..n-1 for every candidate")
    parser.add_argument("--n-schools", type=int, default=300)
    parser.add_argument("--years", type=float, default=15.0, help="years after time 0")
    parser.add_argument("--spinup-years", type=float, default=None,
                        help="spin-up length (default: the model's, 60 years)")
    parser.add_argument("--steps-per-year", type=int, default=12)
    parser.add_argument("--sampler-seed", type=int, default=0)
    parser.add_argument("--holdout-seeds", type=int, default=4,
                        help="fresh seeds (1000, 1001, ...) on which the defaults and the "
                             "finalists are evaluated again to pick the winner; 0: no stage 3")
    parser.add_argument("--finalists", type=int, default=4,
                        help="best candidates of the search re-evaluated on the holdout seeds")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel evaluations (joblib)")
    parser.add_argument("--out", default="results/calibration", help="evaluations and summary")
    parser.add_argument("--fitted", default=str(PROJECT_DIR / "conf/calibration/fitted.yaml"),
                        help="where to write the fitted values ('' for nowhere)")
    parser.add_argument("--figures", default=str(PROJECT_DIR / "docs/figures"))
    parser.add_argument("--replot", action="store_true",
                        help="only redraw the figures from <out>/summary.json and evaluations.csv")
    args = parser.parse_args(argv)
    if args.replot:
        out = Path(args.out)
        summary = json.loads((out / "summary.json").read_text())
        evaluations = pd.read_csv(out / "evaluations.csv")
        results = [{"values": {k: row[k] for k in FREE}, "objective": row["objective"]}
                   for _, row in evaluations.iterrows()]
        figures(results, summary["default"], summary["best"], Path(args.figures),
                summary.get("holdout") or None, summary.get("search_best"))
        return 0
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    started = time.perf_counter()
    base_cfg, pf_cfg = base_configs(args.n_schools, args.years, args.spinup_years,
                                    args.steps_per_year)
    seeds = list(range(args.seeds))
    results = search(args.evaluations, seeds, base_cfg, pf_cfg, args.sampler_seed, args.n_jobs)
    default = results[0]
    best, holdout = choose(results, args.finalists, args.holdout_seeds, base_cfg, pf_cfg,
                           args.n_jobs)
    wall = time.perf_counter() - started
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    flat = [{"stage": r["stage"], "objective": r["objective"], "seconds": r["seconds"],
             **r["values"], **{f"sim:{k}": v for k, v in r["simulated"].items()
                               if k != "event_curve"}} for r in results]
    pd.DataFrame(flat).to_csv(out / "evaluations.csv", index=False)
    search_best = min(results[1:] or results, key=lambda r: r["objective"])  # = finalist 1
    table = target_table(entries(default, best, search_best, holdout))
    table.to_csv(out / "targets.csv", index=False)
    settings = {"evaluations": len(results), "seeds": seeds, "finalists": args.finalists,
                "holdout_seeds": holdout.get("seeds", []), "n_schools": args.n_schools,
                "years": args.years, "spinup_years": args.spinup_years or "model default (60)",
                "steps_per_year": args.steps_per_year, "sampler_seed": args.sampler_seed,
                "wall_s": round(wall, 1)}
    summary = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "settings": settings,
               "free": {k: list(v[:2]) for k, v in FREE.items()},
               "default": default, "best": best, "search_best": search_best, "holdout": holdout}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    if args.figures:
        figures(results, default, best, Path(args.figures), holdout, search_best)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"\nobjective on the search seeds: defaults {default['objective']:.3f}, "
          f"fitted {best['objective']:.3f} ({len(results)} evaluations x {len(seeds)} seeds, "
          f"{wall:.0f} s)")
    if holdout:
        print(f"objective on the holdout seeds {holdout['seeds']}: defaults "
              f"{holdout['default']['objective']:.3f}, fitted {holdout['best']['objective']:.3f}"
              + (" (the defaults won: the fitted file repeats them)"
                 if holdout["winner_is_default"] else ""))
    if args.fitted:
        scores = f"{best['objective']:.3f} (defaults: {default['objective']:.3f}) on the search seeds"
        if holdout:
            scores += (f"; {holdout['best']['objective']:.3f} (defaults: "
                       f"{holdout['default']['objective']:.3f}) on holdout seeds {holdout['seeds']}")
            if holdout["winner_is_default"]:
                scores += "; the defaults won, so these ARE the current defaults"
        path = write_fitted(Path(args.fitted), best["values"], {
            "created": summary["created"],
            "objective": scores,
            "search": ", ".join(f"{k}={v}" for k, v in settings.items())})
        from sim.config.generate import FITTED

        if path.resolve() == FITTED.resolve():
            print(f"fitted values written to {path}: they are now the defaults (conf/rules/*/"
                  "default.yaml regenerated); python -m sim +calibration=none runs the assumptions")
        else:
            print(f"fitted values written to {path}; apply with:\n  python -m sim "
                  + " ".join(fitted_overrides(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
