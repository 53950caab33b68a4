"""The partnership table keeps membership consistent through add, join and end."""

from __future__ import annotations

import numpy as np
import pytest

from sim.partnerships import ACTIVE, FEDERATION, FUNDED, INFORMAL, REASON_CODES, PartnershipTable


def test_add_join_and_end_keep_links_and_pairs_consistent():
    table = PartnershipTable(n_schools=10, capacity=1)
    a = table.add([1, 2], INFORMAL, 0.5, "organic")
    b = table.add([2, 3, 4], FEDERATION, 1.0, "initial")
    table.join(a, 5)
    assert table.members(a).tolist() == [1, 2, 5]
    assert table.partnered(1, 5) and table.partnered(3, 4) and not table.partnered(1, 3)
    assert table.count_per_school().tolist() == [0, 1, 2, 1, 1, 1, 0, 0, 0, 0]
    assert table.partnered_many(np.array([1, 1, 2]), np.array([5, 3, 4])).tolist() == [True, False, True]
    table.end([a], "not_worth_it", 2.0)
    assert not table.partnered(1, 5) and table.partnered(2, 3)
    assert table.end_reason[a] == REASON_CODES["not_worth_it"] and table.ended_at[a] == 2.0
    assert table.end_reason[b] == ACTIVE
    assert table.count_per_school().tolist() == [0, 0, 1, 1, 1, 0, 0, 0, 0, 0]
    assert table.members(a).tolist() == [1, 2, 5]  # remembered after the end
    with pytest.raises(AssertionError):
        table.end([a], "drift", 3.0)


def test_a_partnership_needs_two_schools():
    with pytest.raises(ValueError):
        PartnershipTable(5).add([3, 3], INFORMAL, 0.0, "organic")


def test_funding_an_award_sets_kind_rate_and_end():
    table = PartnershipTable(4)
    pid = table.add([0, 1], INFORMAL, 0.0, "programme")
    table.fund(pid, 30_000, 1.5, 2.0)
    assert table.kind[pid] == FUNDED and table.funding_rate_gbp[pid] == 20_000
    assert table.funded_until[pid] == 3.5 and table.impact_measure[pid]


def test_a_school_leaving_keeps_the_rest_together():
    table = PartnershipTable(6)
    pid = table.add([0, 1, 2, 3], FEDERATION, 0.0, "initial")
    table.leave(pid, 2)
    assert table.members(pid).tolist() == [0, 1, 3] and table.n_members[pid] == 3
    assert not table.partnered(2, 0) and table.partnered(0, 3)
    assert table.count_per_school().tolist() == [1, 1, 0, 1, 0, 0]
    assert table.end_reason[pid] == ACTIVE
