"""docs/ODD.md §1.1 "Behaviour at the defaults", generated: runs the model at its defaults and
rewrites the text between its two marker comments (``MARKERS``) in place.

    PYTHONPATH=$PWD python scripts/behaviour_at_defaults.py              # seeds 0-3: ~30 s on 2 cores
    PYTHONPATH=$PWD python scripts/behaviour_at_defaults.py --seeds 2 --schools 60 --years 4 \
        --spinup-years 5 --print                                         # a quick look, no rewrite

What it runs, for seeds 0 .. N-1 (default synthetic region, default spin-up, 12 steps a year):

* the historic single-grade regime, as the calibration runs it (``sim/experiments/calibration.py``:
  ``evaluate`` of the defaults under ``HISTORIC_REGIME``): the grade mix over ``HISTORIC_WINDOW``, inspection
  transitions counted per inspection and head turnover per head-year, pooled over the seeds, and the
  defaults' implausibility against the calibration targets;
* for each seed one spin-up forked (``sim.running.run_paired``) into today's baseline and every
  scenario of ``conf/scenario``, so every scenario is paired with the baseline on the same draws:
  the baseline's state at time 0 and its trend, why partnerships end, trust sizes; the pathfinder's
  funding cliff and its funded members against the same schools in the baseline; each scenario's
  difference from the baseline year by year (``sim.analysis.paired``).

Seeds run in parallel (joblib, ``--n-jobs``); the evaluation of the historic regime is one task.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from sim.analysis.paired import comparison_table, first_year_from_which, first_years
from sim.config import compose, validate
from sim.core.levers import LEVERS, differs_from_today
from sim.core.paths import CONF_DIR, PROJECT_DIR
from sim.core.recorder import disadvantage_gap
from sim.experiments.calibration import (
    HISTORIC_REGIME,
    HISTORIC_WINDOW,
    NO_GAIN_DELAY,
    STRENGTH_YEARS,
    TRUST_GROWTH_YEARS,
    base_configs,
    default_values,
    evaluate,
    funded_member_changes,
    funding_cliff,
    gain_delay,
    trust_sizes,
)
from sim.experiments.ensemble import load_members
from sim.running import run_paired, simulate
from sim.views.generated_text import Markers, git_state, markdown, today

MARKERS = Markers("behaviour-at-defaults", "scripts/behaviour_at_defaults.py")
ODD = PROJECT_DIR / "docs" / "ODD.md"
BASELINE = "baseline"
DIFFERENCE_YEARS = (2, 3, 4, 5, 6, 7, 8, 10, 12, 15)  # columns of the difference table (and the last)
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")

# The evidence column: each quantity's published figure and source (docs/evidence.md).
EVIDENCE = {
    "grades_time_0": "20 / 65 / 11 / 4 % (Ofsted)",
    "grades_over_years": "same",
    "good_reinspected": "84 / 3 / 11 / 2 % (Ofsted 2019/20)",
    "ri_to_good": "56–78 % (Ofsted)",
    "inadequate_to_good": "40–56 % (Ofsted)",
    "head_turnover": "~10 % (DfE)",
    "executive_heads": "~3 % in 2014 (Lord et al. 2016)",
    "gap_time_0": "~10 at 11 / ~18–19 at 16 (EPI)",
    "partnered_time_0": "87 % of secondaries work with other schools (NAO 2009; funded initiatives included)",
    "academies_time_0": "46.1 % / 83 % (DfE Jan 2025); 65.4 (1,321 trusts, DfE Dec 2023)",
    "residual_trend": "no trend expected",
    "end_reasons": "–",
    "funding_cliff": "about half (EEF Challenge the Gap)",
    "funded_gains": "2–4 years (Chapman et al. 2011); weaker gains most, stronger does not "
                    "decline (Chapman & Muijs 2014)",
    "trust_sizes": "7.3 in Dec 2023 (DfE); 6 in 2019 → more than 8 in 2024 (Schools Week 2024)",
}


# -- running --------------------------------------------------------------------------------------
def scenario_names() -> list[str]:
    """Every scenario of conf/scenario but the baseline."""
    return sorted(p.stem for p in (CONF_DIR / "scenario").glob("*.yaml") if p.stem != BASELINE)


def common_overrides(n_schools: int, years: int, spinup_years: float | None) -> list[str]:
    extra = [] if spinup_years is None else [f"spinup_years={spinup_years!r}"]
    return [f"landscape.n_schools={n_schools}", f"years={years}", "steps_per_year=12",
            "output.progress=false", *extra]


def policy_start(config) -> float:
    """The first year any lever differs from today's policy (NaN if none does)."""
    return min((getattr(config, lever).start_year for lever in LEVERS
                if differs_from_today(lever, getattr(config, lever))), default=math.nan)


def run_today(seed: int, n_schools: int, years: int, spinup_years: float | None) -> dict:
    """One seed under today's regime: one spin-up forked into the baseline and every scenario;
    what the tables need of each."""
    names = [BASELINE, *scenario_names()]
    common = common_overrides(n_schools, years, spinup_years)
    settings = [validate(compose([f"scenario={name}", f"seed={seed}", *common])) for name in names]
    results = dict(zip(names, run_paired(settings), strict=True))
    base, pathfinder = results[BASELINE], results["pathfinder"]
    return {
        "seed": seed,
        "yearly": {name: r.yearly() for name, r in results.items()},
        "starts": {name: policy_start(s.config) for name, s in zip(names, settings, strict=True)
                   if name != BASELINE},
        "base_schools": base.schools, "base_partnerships": base.partnerships,
        "pf_schools": pathfinder.schools, "pf_partnerships": pathfinder.partnerships,
        "config": settings[0].config,
    }


def run_historic(seeds: list[int], n_schools: int, years: int,
                 spinup_years: float | None) -> dict:
    """The defaults evaluated as the calibration does, under the historic single-grade regime."""
    base_cfg, pf_cfg = base_configs(n_schools, years, spinup_years, 12)
    return evaluate(default_values(base_cfg), seeds, base_cfg, pf_cfg)


def run_drift(seed: int, n_schools: int, years: int, spinup_years: float | None) -> pd.DataFrame:
    """Today's baseline alone over ``years``, yearly (the residual drift over decades)."""
    common = common_overrides(n_schools, years, spinup_years)
    return simulate(validate(compose([f"scenario={BASELINE}", f"seed={seed}", *common]))).yearly()


def drift_text(runs: list[pd.DataFrame], years: int) -> str:
    """One paragraph: how far the baseline's means move over ``years`` (means over seeds)."""
    mean = pd.concat(runs).groupby("year").mean(numeric_only=True)
    start, end = mean.loc[0], mean.loc[years]
    outcome = mean.mean_outcome - start.mean_outcome
    far = outcome.abs().idxmax()
    spread = end.outcome_spread / start.outcome_spread - 1
    return (f"Over {years} years the baseline's means (of {len(runs)} seeds, yearly) move: mean "
            f"outcome at most {abs(outcome[far]):.2f} months from time 0 (year {far}; "
            f"{outcome[years]:+.2f} at year {years}); national disadvantage gap "
            f"{start.disadvantage_gap:.1f} → {end.disadvantage_gap:.1f} months (range "
            f"{mean.disadvantage_gap.min():.1f}–{mean.disadvantage_gap.max():.1f}); mean capacity "
            f"{start.mean_capacity:.3f} → {end.mean_capacity:.3f}; mean talent "
            f"{start.mean_talent:.3f} → {end.mean_talent:.3f}; spread of outcomes between "
            f"schools {start.outcome_spread:.2f} → {end.outcome_spread:.2f} months "
            f"({spread:+.0%}); partnerships {start.n_partnerships:.0f} → "
            f"{end.n_partnerships:.0f}, schools in a trust {start.n_schools_in_trust:.0f} → "
            f"{end.n_schools_in_trust:.0f}. Scenario comparisons are paired on the same seeds, so "
            "a drift shared with the baseline cancels; a study of levels or spread over decades "
            "should account for it.")


def generate(seeds: list[int], n_schools: int = 300, years: int = 15,
             spinup_years: float | None = None, n_jobs: int = 2,
             drift_seeds: int = 6, drift_years: int = 30) -> dict:
    """Run everything §1.1 reports; return its two tables and the figures its prose quotes."""
    tasks = [delayed(run_historic)(seeds, n_schools, years, spinup_years)]
    tasks += [delayed(run_today)(seed, n_schools, years, spinup_years) for seed in seeds]
    tasks += [delayed(run_drift)(seed, n_schools, drift_years, spinup_years)
              for seed in range(drift_seeds)]
    historic, *rest = Parallel(n_jobs=min(n_jobs, len(tasks)))(tasks)
    today, drift = rest[:len(seeds)], rest[len(seeds):]
    config = today[0]["config"]
    differences, noise = difference_table(today, years)
    return {
        "drift": drift_text(drift, drift_years) if drift else None,
        "quantities": quantity_table(historic, today, years),
        "differences": differences,
        "seed_noise": noise,
        "max_implausibility": historic["max_implausibility"],
        "objective": historic["objective"],
        "defaults_are_member_0": defaults_are_member_0(n_schools, years, spinup_years),
        "seeds": seeds, "n_schools": n_schools, "years": years,
        "spinup_years": config.spinup_years, "spinup_steps_per_year": config.spinup_steps_per_year,
        "steps_per_year": config.steps_per_year,
    }


def defaults_are_member_0(n_schools: int, years: int, spinup_years: float | None) -> bool:
    """Whether the rules' defaults of the calibrated parameters are member 0 of the ensemble."""
    defaults = default_values(base_configs(n_schools, years, spinup_years, 12)[0])
    return all(math.isclose(defaults[key], value, rel_tol=1e-6)
               for key, value in load_members(1)[0].items())


# -- the quantity table ---------------------------------------------------------------------------
def pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def at_year(today: list[dict], column: str, year: int) -> float:
    """Mean over seeds of a baseline yearly column at ``year``."""
    return float(np.mean([t["yearly"][BASELINE].set_index("year").loc[year, column]
                          for t in today]))


def n_schools_at(today: list[dict], year: int) -> float:
    return float(np.mean([(t["base_schools"].year == year).sum() for t in today]))


def gap_by_phase(today: list[dict], phase: str) -> float:
    """The baseline's disadvantage gap at time 0 among schools of ``phase``, mean over seeds."""
    gaps = []
    for t in today:
        g = t["base_schools"]
        g = g[(g.year == 0) & (g.phase == phase)]
        gaps.append(disadvantage_gap(g.pupils.to_numpy(), g.fsm.to_numpy(),
                                     g.outcome.to_numpy(), g.gap.to_numpy()))
    return float(np.mean(gaps))


def quantity_table(historic: dict, today: list[dict], years: int) -> pd.DataFrame:
    """§1.1's first table: quantity, model, run, evidence."""
    sim_ = historic["simulated"]
    rows = []

    def row(key: str, quantity: str, model: str, run: str) -> None:
        rows.append({"quantity": quantity, "model": model, "run": run,
                     "evidence": EVIDENCE[key]})

    low, high = HISTORIC_WINDOW
    single = f"`{' '.join(HISTORIC_REGIME)}`, years {low:g}–{high:g}"  # the grade mix
    single_all = f"`{' '.join(HISTORIC_REGIME)}`, years 0–{years}"  # per inspection, per head-year
    grades_0 = pd.concat([t["base_schools"].query("year == 0") for t in today])
    mix_0 = grades_0.grade.value_counts(normalize=True)
    row("grades_time_0", "grade mix at time 0 (O/G/RI/I)",
        " / ".join(pct(mix_0.get(g, 0.0)) for g in (1, 2, 3, 4)), "the spin-up (any scenario)")
    row("grades_over_years", f"grade mix, mean over years {low:g}–{high:g}",
        " / ".join(pct(sim_[f"grade_{g}"]) for g in GRADES), single)
    row("good_reinspected",
        "good at re-inspection → good / outstanding / RI / inadequate",
        " / ".join(pct(sim_[k]) for k in ("good_stays_good", "good_to_outstanding",
                                          "good_to_requires_improvement", "good_to_inadequate"))
        + f" (of {sim_['n_inspections_good']} inspections)", single_all)
    row("ri_to_good", "requires improvement → good or better",
        pct(sim_["ri_to_good_or_better"]) + f" (of {sim_['n_inspections_ri']})", single_all)
    row("inadequate_to_good", "inadequate → good or better",
        pct(sim_["inadequate_to_good_or_better"]) + f" (of {sim_['n_inspections_inadequate']})",
        single_all)
    row("head_turnover", "heads leaving a year (share of heads in post)",
        pct(sim_["head_turnover"], 1), single_all)

    n0 = n_schools_at(today, 0)
    cap = today[0]["config"].executive_headship.max_share_of_heads
    row("executive_heads", "executive heads (share of schools) at time 0",
        f"{pct(at_year(today, 'n_executive_heads', 0) / n0, 1)} (cap: {pct(cap)})", BASELINE)
    row("gap_time_0", "disadvantage gap at time 0: primary / secondary / all",
        f"{gap_by_phase(today, 'primary'):.1f} / {gap_by_phase(today, 'secondary'):.1f} / "
        f"{at_year(today, 'disadvantage_gap', 0):.1f} months", BASELINE)
    kinds = [("n_informal", "informal"), ("n_funded", "funded"), ("n_federation", "federations"),
             ("n_trust", "trusts")]
    by_kind = ", ".join(f"{at_year(today, column, 0):.0f} {label}" for column, label in kinds
                        if at_year(today, column, 0) > 0)
    row("partnered_time_0", "schools in a partnership at time 0",
        f"{pct(at_year(today, 'n_schools_partnered', 0) / n0)}; "
        f"{at_year(today, 'n_partnerships', 0):.0f} partnerships ({by_kind})", BASELINE)
    row("academies_time_0",
        "academies at time 0: primary / secondary; trusts per 1,000 schools",
        f"{pct(at_year(today, 'share_academy_primary', 0), 1)} / "
        f"{pct(at_year(today, 'share_academy_secondary', 0), 1)}; "
        f"{1000 * at_year(today, 'n_trust', 0) / n0:.0f}", BASELINE)
    row("residual_trend", f"baseline mean outcome after {years} years (residual trend)",
        f"{at_year(today, 'mean_outcome', years) - at_year(today, 'mean_outcome', 0):+.2f} "
        f"months; mean talent {at_year(today, 'mean_talent', 0):.3f} → "
        f"{at_year(today, 'mean_talent', years):.3f}, capacity "
        f"{at_year(today, 'mean_capacity', 0):.3f} → {at_year(today, 'mean_capacity', years):.3f}",
        BASELINE)

    ended = pd.concat([t["base_partnerships"] for t in today])
    ended = ended[ended.ended_at.notna() & (ended.ended_at > 0)]
    reasons = ended.end_reason.value_counts(normalize=True)
    row("end_reasons", "partnerships ended after time 0, by reason",
        ", ".join(f"{reason} {pct(share)}" for reason, share in reasons.items())
        + f" (of {len(ended)})" if len(ended) else "none ended", BASELINE)

    cliffs = [funding_cliff(t["pf_partnerships"], float(years)) for t in today]
    stopped = sum(c[1] for c in cliffs)
    row("funding_cliff",
        "funded partnerships (pathfinder) ending within a year of the money stopping",
        f"{pct(ratio(sum(c[0] for c in cliffs), stopped))} (of {stopped})" if stopped
        else "– (no funding stopped a year before the end)", "`pathfinder`")

    row("funded_gains", "gains of members of funded partnerships (vs the same schools unfunded)",
        funded_gains(today), "`pathfinder` vs baseline")

    sizes = np.concatenate([trust_sizes(t["base_partnerships"]) for t in today])
    mean_size = " → ".join(
        f"{at_year(today, 'n_schools_in_trust', y) / at_year(today, 'n_trust', y):.1f}"
        for y in (0, int(TRUST_GROWTH_YEARS), years))
    row("trust_sizes", f"schools per multi-academy trust at years 0, {TRUST_GROWTH_YEARS:g} and "
        f"{years}; at year {years}, trusts with ≤ 5 / 12+ schools",
        f"{mean_size}; {pct(ratio((sizes <= 5).sum(), len(sizes)))} / "
        f"{pct(ratio((sizes >= 12).sum(), len(sizes)))} (of {len(sizes)})" if len(sizes)
        else "– (no trust of 2+ schools)", BASELINE)
    table = pd.DataFrame(rows)
    if table.model.str.contains("nan", case=False).any():
        raise ValueError("a quantity of §1.1 is NaN:\n" + table.to_string())
    return table


def funded_gains(today: list[dict]) -> str:
    """Members of pathfinder-funded partnerships against the same school in the baseline on the
    same seed, by years since forming (as the calibration's gain timing)."""
    events = pd.concat([funded_member_changes(t["base_schools"], t["pf_schools"],
                                              t["pf_partnerships"]) for t in today],
                       ignore_index=True)
    if not len(events):
        return "– (no funded partnership formed)"
    curve = events.groupby("k").effect.mean()
    delay = gain_delay(curve)
    text = ("never positive two years running" if delay == NO_GAIN_DELAY
            else f"positive from year {delay:.0f} after forming")
    after = curve[curve.index >= 1]
    if len(after):
        text += f"; peak {after.max():+.2f} months in year {after.idxmax():.0f}"
    window = events[events.k.isin(STRENGTH_YEARS)]
    if len(window):
        by_group = window.groupby("group").effect.mean()
        years = f"{min(STRENGTH_YEARS)}–{max(STRENGTH_YEARS)}"
        text += "; " + ", ".join(f"{label} {by_group[group]:+.2f}" for group, label in
                                 (("weaker partner", "weaker partner"),
                                  ("stronger partner(s)", "stronger")) if group in by_group)
        text += f" months over years {years}"
    return text + f" ({events[events.k == 0].shape[0]} member schools)"


# -- the difference table -------------------------------------------------------------------------
def difference_table(today: list[dict], years: int) -> tuple[pd.DataFrame, tuple[float, float]]:
    """§1.1's second table: per scenario, the mean difference from the baseline on the same seed
    by year, the year from which it stays positive (mean) and distinguishable from zero (95% t
    interval across seeds), the extra money spent; and the range over scenarios of the standard
    error of the mean difference in the last year (NaN with one seed)."""
    frames = []
    for t in today:
        base = t["yearly"][BASELINE].set_index("year")
        for name, start in t["starts"].items():
            run = t["yearly"][name].set_index("year")
            for outcome in ("mean_outcome", "cum_spend_gbp"):
                frames.append(pd.DataFrame({
                    "scenario": name, "point": -1, "variant": name, "seed": t["seed"],
                    "year": run.index, "outcome": outcome, "value": run[outcome].to_numpy(),
                    "baseline_value": base[outcome].reindex(run.index).to_numpy(),
                    "start": start}))
    pairs = pd.concat(frames, ignore_index=True)
    pairs["difference"] = pairs.value - pairs.baseline_value
    comparison = comparison_table(pairs)
    lasting = first_years(comparison, {"mean_outcome": "higher"}, BASELINE).set_index("scenario")
    outcome = comparison[comparison.outcome == "mean_outcome"]
    starts = pairs.groupby("scenario").start.first()
    shown = [y for y in DIFFERENCE_YEARS if y <= years] + ([years] if years not in
                                                          DIFFERENCE_YEARS else [])
    rows = []
    for name in scenario_names():
        g = outcome[outcome.scenario == name].set_index("year").sort_index()
        spend = comparison[(comparison.scenario == name) & (comparison.outcome == "cum_spend_gbp")]
        row = {"scenario": f"`{name}`",
               "starts yr": "–" if pd.isna(starts[name]) else f"{starts[name]:g}"}
        row.update({f"yr {y}": f"{g.mean_difference[y]:+.2f}" for y in shown})
        row["positive from yr"] = _year(first_year_from_which(g.index, g.mean_difference > 0))
        row["distinguishable from yr"] = _year(lasting.benefit_from_year_on[name])
        row[f"extra money spent (£, {years} years)"] = (
            f"{spend.set_index('year').mean_difference[years]:,.0f}")
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.apply(lambda c: c.str.contains("nan", case=False)).any().any():
        raise ValueError("a difference of §1.1 is NaN:\n" + table.to_string())
    last = outcome[outcome.year == years]
    standard_error = last.sd_difference / np.sqrt(last.n_pairs)
    return table, (float(standard_error.min()), float(standard_error.max()))


def _year(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.0f}"


# -- the text -------------------------------------------------------------------------------------
def seed_range(seeds: list[int]) -> str:
    return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else f"{seeds[0]}"


def block(figures: dict, command: str, wall_s: float) -> str:
    """The text from the start marker to the end marker (prose wrapped at 100 characters)."""
    seeds = ("seed " if len(figures["seeds"]) == 1 else "seeds ") + seed_range(figures["seeds"])
    years = figures["years"]
    low, high = figures["seed_noise"]
    noise = ("with one seed there is no estimate of seed noise" if math.isnan(low) else
             f"with {len(figures['seeds'])} seeds the standard error of the mean difference in "
             f"year {years} is {low:.2f}–{high:.2f} months (by scenario)")
    defaults = ("the defaults (`conf/calibration/fitted.yaml`: member 0 of the calibrated ensemble "
                "`conf/calibration/ensemble.csv`)" if figures["defaults_are_member_0"] else
                "the defaults (`conf/rules`; they are not member 0 of the calibrated ensemble)")
    quantities = figures["quantities"].rename(columns={"model": f"model ({seeds})"})
    parts = [
        f"Checks run on the default synthetic region ({figures['n_schools']} schools), default "
        f"spin-up ({figures['spinup_years']:g} years at {figures['spinup_steps_per_year']} steps a "
        f"year), {figures['steps_per_year']} steps a year, {years} years, {seeds} (see §10 for the "
        "caveats). They are observations of the code, not targets met by construction.",
        "The grade statistics and head turnover describe the regime under which the evidence was "
        f"measured, as the calibration runs it (`{' '.join(HISTORIC_REGIME)}`: single grades, "
        "with outstanding schools exempt from routine inspection as in 2012–2020; time 0 stands "
        f"for 2012 in these runs: the grade mix is read over years {HISTORIC_WINDOW[0]:g}–"
        f"{HISTORIC_WINDOW[1]:g}, 2016–2020, the transitions over every year); the other rows are today's "
        "baseline (report cards and RISE) or the scenario named in the run column. The baseline's "
        "report-card shares and RISE's reach are in §7.3a. Shares are pooled over the seeds, "
        "levels are means over the seeds.",
        markdown(quantities),
        "The transitions and head turnover are counted per inspection and per head-year by "
        f"`sim/experiments/calibration.py` (`evaluate` of the defaults on {seeds}, its chance "
        "term from these seeds' own spread rather than the calibration's pooled one: largest "
        f"implausibility {figures['max_implausibility']:.2f}, objective "
        f"{figures['objective']:.1f}); the rest from the runs' output files.",
        "Difference from the baseline on the same draws (one spin-up per seed, forked for every "
        f"scenario; mean of {seeds}), mean outcome in months, by years since time 0; each policy "
        "starts in the year shown. \"positive from yr\": the first year from which the mean "
        f"difference stays above zero to year {years}; \"distinguishable from yr\": the first "
        "year from which its 95% interval across seeds stays above zero "
        "(`sim.analysis.paired.first_years`); –: never. Extra money: the scenario's spending "
        "minus the baseline's.",
        markdown(figures["differences"]),
        f"These differences are at {defaults} only; {noise}; across the ensemble's parameter "
        "sets they differ far more (`docs/calibration.md`, \"Policies under parameter "
        "uncertainty\": effects with intervals that include parameter uncertainty and the share "
        "of parameter sets in which each policy helps).",
        *([figures["drift"]] if figures.get("drift") else []),
        f"Generated on {today()} by `PYTHONPATH=$PWD python {command}` at "
        f"{git_state()}, {seeds}, in {wall_s / 60:.1f} min; regenerate after changing defaults.",
    ]
    return MARKERS.block(parts)



def arguments(argv: list[str] | None) -> argparse.Namespace:
    def at_least_one(text: str) -> int:
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"{value} is not allowed: 1 or more")
        return value

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=at_least_one, default=4, help="seeds 0 .. N-1 (default 4)")
    parser.add_argument("--schools", type=at_least_one, default=300, help="default 300")
    parser.add_argument("--years", type=at_least_one, default=15, help="default 15")
    parser.add_argument("--spinup-years", type=float, default=None,
                        help="default: the model's (a smaller value for a quick look)")
    parser.add_argument("--n-jobs", type=at_least_one, default=2, help="parallel tasks (default 2)")
    parser.add_argument("--drift-seeds", type=int, default=6,
                        help="seeds of the baseline's long run (default 6; 0: none)")
    parser.add_argument("--drift-years", type=at_least_one, default=30,
                        help="years of the baseline's long run (default 30)")
    parser.add_argument("--doc", type=Path, default=ODD, help="the document to rewrite")
    parser.add_argument("--print", action="store_true", help="print the block, rewrite nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments(argv)
    try:
        text = args.doc.read_text()
        MARKERS.check(text)  # before the long run
    except (OSError, ValueError) as error:
        print(f"{args.doc}: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    figures = generate(list(range(args.seeds)), args.schools, args.years, args.spinup_years,
                       args.n_jobs, args.drift_seeds, args.drift_years)
    command = " ".join(["scripts/behaviour_at_defaults.py", *argv])
    new_block = block(figures, command, time.perf_counter() - started)
    if args.print:
        print(new_block)
    else:
        args.doc.write_text(MARKERS.rewrite(text, new_block))
        print(f"rewrote §1.1 of {args.doc} in {(time.perf_counter() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
