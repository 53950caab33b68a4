"""Invariants under random valid configurations (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import assert_invariants, build
from sim.core.vocabulary import PRIMARY, SECONDARY

SCENARIOS = ["baseline", "pathfinder", "rural_clusters", "executive_heads",
             "partnership_accountability", "cluster_lump_sums", "high_stakes"]


@st.composite
def valid_overrides(draw) -> list[str]:
    share = st.floats(0, 1)
    overrides = [
        f"scenario={draw(st.sampled_from(SCENARIOS))}",
        f"seed={draw(st.integers(0, 2**31))}",
        f"landscape.n_schools={draw(st.integers(8, 120))}",
        f"landscape.share_rural={draw(share)}",
        f"landscape.informal_share={draw(share)}",
        f"landscape.trusts_per_1000_schools={draw(st.floats(0, 150))}",
        f"landscape.federations_per_1000_schools={draw(st.floats(0, 150))}",
        f"landscape.academy_share_primary={draw(share)}",
        f"years={draw(st.integers(1, 3))}",
        f"spinup_years={draw(st.integers(0, 2))}",
        f"steps_per_year={draw(st.sampled_from([1, 2, 4, 12, 52]))}",
        f"funding.budget_gbp_per_year_per_1000_schools={draw(st.floats(0, 5e6))}",
        f"funding.recipient={draw(st.sampled_from(['pair', 'cluster']))}",
        f"funding.cluster_size={draw(st.integers(2, 6))}",
        f"funding.eligible={draw(st.sampled_from(['all', 'small_rural', 'struggling']))}",
        f"funding.duration_years={draw(st.floats(0.1, 4))}",
        f"accountability.stakes={draw(share)}",
        f"accountability.competition={draw(share)}",
        f"accountability.partnership_credit={draw(share)}",
        f"accountability.inspection_frequency={draw(st.floats(0.2, 4))}",
        f"executive_headship.max_share_of_heads={draw(share)}",
        f"executive_headship.max_schools_per_head={draw(st.integers(2, 5))}",
        f"executive_headship.triggers={draw(st.sampled_from(['[vacancy]', '[vacancy,failing,small]', '[]']))}",
        f"distance.transport_subsidy_share={draw(share)}",
    ]
    if draw(st.booleans()):
        overrides.append(f"distance.max_partner_km={draw(st.floats(0.5, 50))}")
    return overrides


def test_no_school_is_its_own_neighbour_even_when_schools_share_a_location():
    model = build("landscape.n_schools=11", "landscape.share_rural=0.5", "seed=255",
                  "spinup_years=0")
    s = model.schools
    table = s.neighbour_table({PRIMARY: 1e6, SECONDARY: 1e6}, cross_phase_km=1e6)
    assert (table.count() == s.n - 1).all(), "every other school, including one at the same place"
    assert not np.any(table.index == np.repeat(np.arange(s.n), table.count()))
    assert (table.km >= 0).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_overrides())
def test_invariants_hold_at_every_step(overrides):
    model = build(*overrides)
    assert_invariants(model)
    for _ in range(model.n_steps):
        model.step()
        assert_invariants(model)
    model.recorder.finish()
    ts = model.recorder.timeseries
    numeric = ts.select_dtypes("number")
    assert not numeric.isna().any().any(), numeric.columns[numeric.isna().any()].tolist()
    assert (ts.spend_gbp >= 0).all()
    assert np.all(np.diff(ts.cum_spend_gbp) >= -1e-9)
    pt = model.recorder.partnerships
    assert (pt.n_members >= 2).all()
    ended = pt.end_reason != ""
    assert (pt.ended_at[ended] >= pt.formed_at[ended]).all()
    assert pt.ended_at[~ended].isna().all()
    assert not model.recorder.schools.drop(columns=[]).isna().any().any()
