"""Paired differences: every run minus the baseline run on the same seed (and parameter point),
their mean with a t interval per year, and the first year a difference is distinguishable from
zero. Pairing removes the noise the two runs share, so small effects show."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.intervals import t_interval
from sim.analysis.results import SweepResults

FIRST_YEARS_COLUMNS = ["scenario", "point", "variant", "outcome", "better_if", "first_year_benefit",
                       "benefit_from_year_on", "first_year_harm", "last_year",
                       "difference_last_year", "ci95_low", "ci95_high"]


def variant_labels(plan: pd.DataFrame) -> pd.Series:
    """'scenario' or 'scenario [p3: key=value, ...]' for each run of the plan. Members of a
    calibrated ensemble are not variants: they are pooled under the scenario's name, so every
    summary's spread includes parameter uncertainty (``sim.analysis.ensemble`` splits it)."""
    params = [c for c in plan.columns if c.startswith("param:")]

    def one(row) -> str:
        if row.point < 0 or getattr(row, "member", -1) >= 0:
            return row.scenario
        values = ", ".join(f"{c.split('.')[-1]}={_short(row[c])}" for c in params
                           if pd.notna(row[c]))
        return f"{row.scenario} [p{row.point}: {values}]"

    return plan.apply(one, axis=1)


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def paired_differences(results: SweepResults, columns: list[str]) -> pd.DataFrame:
    """Tidy table: one row per run, year and column with its value, its baseline pair's value and
    the difference (run - baseline on the same seed and point, or ensemble ``member``). Baseline
    runs pair with themselves.
    """
    plan = results.plan.assign(variant=variant_labels(results.plan))
    keys = ["run_id", "year"]
    runs = results.yearly[keys + columns].melt(id_vars=keys, var_name="outcome", value_name="value")
    if "member" not in plan:  # a store planned before ensembles
        plan["member"] = -1
    runs = runs.merge(plan[["run_id", "scenario", "point", "member", "seed", "variant",
                            "baseline_run_id"]], on="run_id")
    base = runs[["run_id", "year", "outcome", "value"]].rename(
        columns={"run_id": "baseline_run_id", "value": "baseline_value"})
    pairs = runs.merge(base, on=["baseline_run_id", "year", "outcome"], how="inner")
    pairs["difference"] = pairs["value"] - pairs["baseline_value"]
    # Ensemble members pool under their scenario (point -1), each still paired with its own member.
    pairs.loc[pairs.member >= 0, "point"] = -1
    return pairs


def comparison_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, point, year and outcome: n pairs, means, mean paired difference, 95% CI."""
    keys = ["scenario", "point", "variant", "year", "outcome"]
    table = pairs.groupby(keys, sort=False).agg(
        n_pairs=("difference", "size"), mean_scenario=("value", "mean"),
        mean_baseline=("baseline_value", "mean"), mean_difference=("difference", "mean"),
        sd_difference=("difference", "std")).reset_index()
    table["ci95_low"], table["ci95_high"] = t_interval(
        table["n_pairs"].to_numpy(), table["mean_difference"], table["sd_difference"])
    return table


def first_year_from_which(years, holds):
    """The first of ``years`` from which ``holds`` is true in every later year (NaN if it is not
    true in the last year)."""
    years, holds = np.asarray(years), np.asarray(holds, dtype=bool)
    failing = years[~holds]
    lasting = years[years > failing.max()] if len(failing) else years
    return lasting.min() if len(lasting) else np.nan


def first_distinguishable_year(years, low, high, side: str = "above", lasting: bool = False):
    """First year whose interval ``[low, high]`` lies wholly ``side`` ("above" or "below") zero;
    with ``lasting``, the first year from which every later year's interval does. NaN if none."""
    if side not in ("above", "below"):
        raise ValueError(f"side must be 'above' or 'below', not {side!r}")
    holds = np.asarray(low) > 0 if side == "above" else np.asarray(high) < 0
    if lasting:
        return first_year_from_which(years, holds)
    return np.asarray(years)[holds].min() if holds.any() else np.nan


def first_years(comparison: pd.DataFrame, outcomes: dict[str, str], baseline: str
                ) -> pd.DataFrame:
    """Per scenario (other than the baseline) and outcome: the first year the 95% CI of the paired
    difference lies wholly on the better side (benefit) or the worse side (harm); the year from
    which it stays on the better side to the end; and the difference at the last year."""
    rows = []
    for (scenario, point, variant, outcome), g in comparison.groupby(
            ["scenario", "point", "variant", "outcome"], sort=False):
        if outcome not in outcomes or scenario == baseline:
            continue
        g = g.sort_values("year")
        better, worse = ("above", "below") if outcomes[outcome] == "higher" else ("below", "above")
        last = g.iloc[-1]
        rows.append({"scenario": scenario, "point": point, "variant": variant, "outcome": outcome,
                     "better_if": outcomes[outcome],
                     "first_year_benefit": first_distinguishable_year(
                         g.year, g.ci95_low, g.ci95_high, better),
                     "benefit_from_year_on": first_distinguishable_year(
                         g.year, g.ci95_low, g.ci95_high, better, lasting=True),
                     "first_year_harm": first_distinguishable_year(
                         g.year, g.ci95_low, g.ci95_high, worse),
                     "last_year": last.year, "difference_last_year": last.mean_difference,
                     "ci95_low": last.ci95_low, "ci95_high": last.ci95_high})
    return pd.DataFrame(rows, columns=FIRST_YEARS_COLUMNS)
