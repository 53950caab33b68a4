"""sim/analysis/survival.py: Kaplan-Meier survival of partnerships."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.results import SweepResults
from sim.analysis.survival import kaplan_meier, median_survival, survival_at, survival_table


def test_kaplan_meier_on_four_durations_with_one_censored():
    # Ends at 1 (1 of 4 at risk), at 2 (1 of 3), censored at 3, ends at 4 (1 of 1).
    sf = kaplan_meier(np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, True, False, True]))
    assert survival_at(sf, 0.5) == 1.0
    assert survival_at(sf, 1.0) == pytest.approx(0.75)
    assert survival_at(sf, 2.5) == pytest.approx(0.5)
    assert survival_at(sf, 3.5) == pytest.approx(0.5)  # censoring does not lower survival
    assert survival_at(sf, 4.0) == pytest.approx(0.0)
    assert median_survival(sf) == pytest.approx(2.0)


def test_nothing_ended_means_everything_survives_and_no_median():
    sf = kaplan_meier(np.array([1.0, 2.0]), np.array([False, False]))
    assert survival_at(sf, 10) == 1.0
    assert np.isnan(median_survival(sf))


def test_survival_table_counts_partnerships_formed_in_the_run_by_kind_and_funding():
    plan = pd.DataFrame({"run_id": ["a"], "scenario": ["policy"], "point": [-1], "years": [5.0]})
    partnerships = pd.DataFrame({
        "run_id": "a", "kind": ["informal", "informal", "funded", "informal"],
        "formed_at": [0.0, 1.0, 0.0, -2.0], "ended_at": [2.0, np.nan, 1.0, 0.5],
        "funding_gbp": [0.0, 0.0, 5000.0, 0.0]})
    results = SweepResults(plan=plan, yearly=pd.DataFrame(), partnerships=partnerships,
                           runs=pd.DataFrame(), info={}, outcomes={}, baseline="baseline")
    table = survival_table(results).set_index(["kind", "funding"])
    informal = table.loc[("informal", "unfunded")]
    assert informal.n_partnerships == 2 and informal.n_ended == 1  # the spin-up one left out
    assert informal.surviving_1y == 1.0 and informal.surviving_2y == pytest.approx(0.5)
    funded = table.loc[("funded", "funded")]
    assert (funded.n_partnerships, funded.surviving_1y, funded.median_years) == (1, 0.0, 1.0)
