"""sim/analysis/costs.py: extra cost over the baseline and cost per unit gained."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.costs import COST, cost_table
from sim.analysis.results import SweepResults


def pairs_and_results(gains: list[float]):
    """A policy costing exactly GBP 500 more per year on every seed, gaining ``gains[seed]`` a
    year in mean_outcome; 100 pupils."""
    rows = []
    for seed, gain in enumerate(gains):
        for year in range(4):
            for outcome, difference in ((COST, 500.0 * year), ("mean_outcome", gain * year)):
                rows.append({"scenario": "policy", "point": -1, "variant": "policy",
                             "seed": seed, "year": year, "outcome": outcome,
                             "difference": difference})
    yearly = pd.DataFrame({"year": range(4), "n_pupils": 100})
    results = SweepResults(plan=None, yearly=yearly, partnerships=None, runs=None, info={},
                           outcomes={"mean_outcome": "higher"}, baseline="baseline")
    return pd.DataFrame(rows), results


def test_cost_per_unit_gained_is_extra_cost_over_gain():
    pairs, results = pairs_and_results([1.0, 1.0, 1.0])
    row = cost_table(pairs, results, horizons=(2,)).set_index("year").loc[3]
    assert (row.extra_cost_gbp, row.extra_cost_ci95_low, row.extra_cost_ci95_high) == (1500, 1500,
                                                                                       1500)
    assert row.gain == 3.0
    assert row.gbp_per_unit_gained == pytest.approx(500.0)
    assert row.gbp_per_pupil_per_unit == pytest.approx(5.0)


def test_no_cost_per_unit_where_the_gain_is_not_distinguishable_from_zero():
    pairs, results = pairs_and_results([1.0, -1.0, 0.5])
    table = cost_table(pairs, results)
    assert list(table.year) == [3]  # horizons beyond the run are left out; the last year kept
    assert table.gain_ci95_low.iloc[0] < 0 and np.isnan(table.gbp_per_unit_gained.iloc[0])


def test_no_pairs_give_an_empty_table_with_its_columns():
    pairs, results = pairs_and_results([1.0])
    table = cost_table(pairs.iloc[:0], results)
    assert table.empty and "gbp_per_unit_gained" in table.columns
