"""sim/analysis/paired.py: paired differences, their yearly intervals and the first year they
are distinguishable from zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.paired import (
    comparison_table,
    first_distinguishable_year,
    first_year_from_which,
    first_years,
    paired_differences,
    variant_labels,
)
from sim.analysis.results import SweepResults

SEEDS = (0, 1, 2)


def results_with_a_policy_that_adds(effect: float) -> SweepResults:
    """Baseline and policy on three seeds over years 0-2; the policy adds ``effect`` every year."""
    plan, yearly = [], []
    for scenario in ("baseline", "policy"):
        for seed in SEEDS:
            run_id = f"{scenario}-{seed}"
            plan.append({"run_id": run_id, "scenario": scenario, "point": -1, "seed": seed,
                         "baseline_run_id": f"baseline-{seed}"})
            yearly.append(pd.DataFrame({
                "run_id": run_id, "year": [0, 1, 2],
                "mean_outcome": 2.0 * seed + np.array([0.0, 0.5, 1.25])
                + (effect if scenario == "policy" else 0.0)}))
    return SweepResults(plan=pd.DataFrame(plan), yearly=pd.concat(yearly), partnerships=None,
                        runs=None, info={}, outcomes={"mean_outcome": "higher"},
                        baseline="baseline")


def test_a_difference_of_exactly_one_has_interval_one_to_one_and_shows_from_year_zero():
    results = results_with_a_policy_that_adds(1.0)
    pairs = paired_differences(results, ["mean_outcome"])
    assert len(pairs) == 2 * len(SEEDS) * 3
    comparison = comparison_table(pairs).set_index(["scenario", "year"])
    policy = comparison.loc["policy"]
    assert (policy.n_pairs == 3).all()
    assert (policy.mean_difference == 1.0).all()
    assert (policy.ci95_low == 1.0).all() and (policy.ci95_high == 1.0).all()
    assert (comparison.loc["baseline", "mean_difference"] == 0).all()  # paired with itself
    row = first_years(comparison.reset_index(), results.outcomes, results.baseline).iloc[0]
    assert (row.scenario, row.first_year_benefit, row.benefit_from_year_on) == ("policy", 0, 0)
    assert np.isnan(row.first_year_harm)
    assert row.difference_last_year == 1.0


def test_a_lower_is_better_outcome_counts_a_rise_as_harm():
    results = results_with_a_policy_that_adds(1.0)
    comparison = comparison_table(paired_differences(results, ["mean_outcome"]))
    row = first_years(comparison, {"mean_outcome": "lower"}, "baseline").iloc[0]
    assert row.first_year_harm == 0 and np.isnan(row.first_year_benefit)


def test_benefit_from_year_on_needs_every_later_year_better():
    ci_low = [-1.0, 0.5, -0.2, 0.1, 0.3]  # better in years 1, 3 and 4; not in 2
    comparison = pd.DataFrame({
        "scenario": "policy", "point": -1, "variant": "policy", "outcome": "mean_outcome",
        "year": range(5), "mean_difference": 1.0, "ci95_low": ci_low, "ci95_high": 2.0})
    row = first_years(comparison, {"mean_outcome": "higher"}, "baseline").iloc[0]
    assert (row.first_year_benefit, row.benefit_from_year_on) == (1, 3)
    comparison.loc[4, "ci95_low"] = -0.1  # not better at the end: no sustained benefit
    row = first_years(comparison, {"mean_outcome": "higher"}, "baseline").iloc[0]
    assert np.isnan(row.benefit_from_year_on)


def test_first_distinguishable_year_below_zero_and_never():
    years = np.array([0.0, 0.5, 1.0, 1.5])
    low, high = np.array([-2.0, -2.0, -2.0, -1.0]), np.array([1.0, -0.1, 0.2, -0.5])
    assert first_distinguishable_year(years, low, high, "below") == 0.5
    assert first_distinguishable_year(years, low, high, "below", lasting=True) == 1.5
    assert np.isnan(first_distinguishable_year(years, low, high, "above"))
    assert np.isnan(first_distinguishable_year(years, low, high, "above", lasting=True))
    with pytest.raises(ValueError, match="side"):
        first_distinguishable_year(years, low, high, "higher")


def test_first_year_from_which_a_condition_lasts():
    assert first_year_from_which([1, 2, 3, 4], [True, False, True, True]) == 3
    assert first_year_from_which([1, 2, 3], [True, True, True]) == 1
    assert np.isnan(first_year_from_which([1, 2], [True, False]))
    assert np.isnan(first_year_from_which([], []))


def test_without_outcomes_or_without_a_policy_first_years_is_empty_with_its_columns():
    results = results_with_a_policy_that_adds(1.0)
    comparison = comparison_table(paired_differences(results, ["mean_outcome"]))
    no_outcomes = first_years(comparison, {}, "baseline")
    only_baseline = first_years(comparison[comparison.scenario == "baseline"],
                                {"mean_outcome": "higher"}, "baseline")
    for table in (no_outcomes, only_baseline):
        assert table.empty and "first_year_benefit" in table.columns


def test_variant_labels_name_parameter_points():
    plan = pd.DataFrame({"scenario": ["baseline", "policy"], "point": [-1, 3],
                         "param:rules.running.learn_rate_per_year": [np.nan, 0.5]})
    assert variant_labels(plan).tolist() == ["baseline", "policy [p3: learn_rate_per_year=0.5]"]
