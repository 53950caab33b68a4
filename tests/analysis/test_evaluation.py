"""Participants' effects and evaluators' estimators on hand-made panels with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.costs import eef_cost_rating, present_value
from sim.analysis.evaluation import (
    evaluation_estimates,
    joined_years,
    participant_effect,
    subgroup_effect,
)
from sim.analysis.intervals import summarise

YEARS = range(7)
TREND = 0.5  # months a year, shared by every school
EFFECT = 1.0  # months, for participants from the year after they join


def panel(with_policy: bool) -> pd.DataFrame:
    """Twenty primaries of grade 2 on a common trend; schools 0-9 join at year 1.0 (base year 1)
    and, with the policy, gain EFFECT from year 2 on."""
    rows = []
    for school in range(20):
        joins = school < 10
        for year in YEARS:
            gain = EFFECT if with_policy and joins and year >= 2 else 0.0
            rows.append({"school_id": school, "year": year,
                         "outcome": 0.1 * school + TREND * year + gain, "grade": 2,
                         "pupils": 100.0, "phase": "primary", "rural": school % 2 == 0,
                         "fsm_quintile": 1 + school % 5,
                         "joined_year": 1.0 if joins and with_policy else np.nan})
    return pd.DataFrame(rows)


def test_before_after_counts_the_common_trend_and_matched_did_does_not():
    found = evaluation_estimates(panel(True), panel(False), k=2)
    assert found["true_effect"] == pytest.approx(EFFECT)
    assert found["before_after"] == pytest.approx(EFFECT + 2 * TREND)
    assert found["matched_did"] == pytest.approx(EFFECT)
    assert found["n_participants"] == 10 and found["n_matched"] == 10


def test_no_estimate_beyond_the_run():
    found = evaluation_estimates(panel(True), panel(False), k=6)  # base 1 + 6 > last year 6
    assert found["n_participants"] == 0 and np.isnan(found["before_after"])


def test_participant_effect_is_against_the_same_schools_in_the_counterfactual():
    effect = participant_effect(panel(True), panel(False)).set_index("year")
    assert effect.loc[1, "difference"] == 0 and effect.loc[2, "difference"] == pytest.approx(EFFECT)
    assert (effect.n_schools == 10).all()


def test_subgroup_effect_is_pupil_weighted_within_each_group():
    by_quintile = subgroup_effect(panel(True), panel(False), year=3, by="fsm_quintile")
    # schools 0-9 gain EFFECT; each quintile holds 2 of them and 2 of schools 10-19
    assert by_quintile.to_numpy() == pytest.approx([EFFECT / 2] * 5)


def test_joined_years_counts_policy_partnerships_joined_during_the_run():
    partnerships = pd.DataFrame({"partnership_id": [1, 2, 3], "funding_gbp": [0.0, 5.0, 0.0],
                                 "origin": ["organic", "organic", "programme"]})
    memberships = pd.DataFrame({"partnership_id": [1, 2, 3, 3], "school_id": [7, 8, 8, 9],
                                "joined_at": [0.5, 2.0, 1.5, -1.0]})
    # 7: organic unfunded (not policy); 8: funded at 2.0 and programme at 1.5; 9: before time 0
    assert joined_years(partnerships, memberships).to_dict() == {8: 1.5}


def test_summarise_gives_mean_interval_and_share_of_pairs_with_a_gain():
    table = pd.DataFrame({"group": ["a"] * 4 + ["b"] * 2,
                          "difference": [1.0, 2.0, 3.0, -2.0, 5.0, 5.0]})
    out = summarise(table, ["group"]).set_index("group")
    assert out.loc["a", "n"] == 4 and out.loc["a", "mean"] == pytest.approx(1.0)
    assert out.loc["a", "share_positive"] == pytest.approx(0.75)
    assert out.loc["b", "low"] == out.loc["b", "high"] == 5.0  # no spread, no width


def test_eef_cost_ratings_and_present_value():
    assert [eef_cost_rating(x) for x in (80, 81, 200, 720, 1200, 1201)] == [
        "very low", "low", "low", "moderate", "high", "very high"]
    assert present_value([100.0, 103.5], 0.035) == pytest.approx(200.0)
    assert present_value([100.0, 100.0], 0.0) == 200.0
