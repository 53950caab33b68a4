"""The partnership table keeps membership consistent through add, join and end, and remembers
who was a member from when to when."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import build
from sim.core.partnerships import (
    ACTIVE,
    FEDERATION,
    FUNDED,
    INFORMAL,
    REASON_CODES,
    TRUST,
    PartnershipTable,
)


def test_add_join_and_end_keep_links_and_pairs_consistent():
    table = PartnershipTable(n_schools=10, capacity=1)
    a = table.add([1, 2], INFORMAL, 0.5, "organic")
    b = table.add([2, 3, 4], FEDERATION, 1.0, "initial")
    table.join(a, 5, 0.75)
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


def test_each_school_is_mapped_to_its_running_trust_only():
    table = PartnershipTable(8)
    trust = table.add([0, 1], TRUST, 0.0, "initial")
    ended = table.add([2, 3], TRUST, 0.0, "initial")
    table.add([4, 5], FEDERATION, 0.0, "initial")
    table.join(trust, 6, 1.0)
    table.end([ended], "not_worth_it", 2.0)
    assert table.trust_of(8).tolist() == [trust, trust, -1, -1, -1, -1, trust, -1]


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
    table.leave(pid, 2, "competition", 0.5)
    assert table.members(pid).tolist() == [0, 1, 3] and table.n_members[pid] == 3
    assert not table.partnered(2, 0) and table.partnered(0, 3)
    assert table.count_per_school().tolist() == [1, 1, 0, 1, 0, 0]
    assert table.end_reason[pid] == ACTIVE


def test_memberships_record_who_joined_and_left_when_and_why():
    table = PartnershipTable(n_schools=8, capacity=1)
    a = table.add([1, 2], INFORMAL, 0.5, "organic")
    b = table.add([3, 4, 5], FEDERATION, 1.0, "initial")
    table.join(a, 6, 0.75)
    table.leave(b, 4, "drift", 1.5)
    table.end([a], "not_worth_it", 2.0)
    spells = table.memberships([a, b])
    rows = list(zip(*(spells[k].tolist() for k in ("pid", "school", "joined", "left", "reason")),
                    strict=True))
    nan_free = [(p, s, j, None if np.isnan(left) else left, r) for p, s, j, left, r in rows]
    not_worth_it, drift = REASON_CODES["not_worth_it"], REASON_CODES["drift"]
    assert nan_free == [(a, 1, 0.5, 2.0, not_worth_it), (a, 2, 0.5, 2.0, not_worth_it),
                        (a, 6, 0.75, 2.0, not_worth_it),
                        (b, 3, 1.0, None, ACTIVE), (b, 4, 1.0, 1.5, drift), (b, 5, 1.0, None, ACTIVE)]
    assert table.memberships([b])["pid"].tolist() == [b, b, b]


def test_memberships_survive_compacting_the_link_table():
    table = PartnershipTable(n_schools=3000, capacity=8)
    pids = [table.add([i, i + 1], INFORMAL, float(i), "organic") for i in range(0, 2400, 2)]
    table.end(pids[:1000], "drift", 5000.0)
    table.links()  # compacts: most links have ended
    assert table.n_links == 2 * 200 and len(table.past_links["pid"]) == 2 * 1000
    spells = table.memberships(pids)
    assert len(spells["pid"]) == 2 * len(pids)
    ended = np.isin(spells["pid"], pids[:1000])
    assert (spells["left"][ended] == 5000.0).all() and np.isnan(spells["left"][~ended]).all()
    assert (spells["joined"] == spells["school"] - spells["school"] % 2).all()
    later = table.add([2500, 2501], INFORMAL, 6000.0, "organic")  # reuses a compacted row
    assert np.isnan(table.memberships([later])["left"]).all()


def fresh_links(table: PartnershipTable) -> tuple[list[int], list[int]]:
    """What ``links`` gives, from a pass over the link table (no cache)."""
    on = table.link_active[: table.n_links]
    return table.link_pid[: table.n_links][on].tolist(), table.link_school[: table.n_links][on].tolist()


def test_links_kept_up_to_date_as_rows_are_added_match_a_fresh_table():
    """``links`` extends its cache with added and joined rows rather than starting again: it
    must give what a table that never cached gives, in the same order, and still compact the
    link table once appended rows take it past the size where compacting starts."""
    fresh = fresh_links
    table = PartnershipTable(n_schools=3000, capacity=8)
    pids = [table.add([i, i + 1], INFORMAL, 0.0, "organic") for i in range(0, 900, 2)]
    table.end(pids[:400], "drift", 1.0)
    table.links()  # 900 rows, 800 ended: too small to compact
    assert table.n_links == 900 and len(table.past_links["pid"]) == 0
    table.join(pids[420], 2000, 2.0)  # a row for an older partnership, after newer ones
    added = table.add([2001, 2002, 2003], FEDERATION, 2.0, "initial")
    pid, school = table.links()
    assert (pid.tolist(), school.tolist()) == fresh(table)
    assert pid[-4:].tolist() == [pids[420], added, added, added]
    for i in range(2100, 2300, 2):  # past 1024 rows, still mostly ended: compacts
        table.add([i, i + 1], INFORMAL, 3.0, "organic")
    pid, school = table.links()
    assert len(table.past_links["pid"]) == 800 and table.n_links == len(pid)
    assert (pid.tolist(), school.tolist()) == fresh(table)
    table.leave(added, 2002, "drift", 4.0)
    assert 2002 not in table.links()[1].tolist() and table.links()[1].tolist() == fresh(table)[1]


def test_links_drop_the_memberships_of_ended_partnerships_as_a_fresh_table_would():
    """``links`` filters its cache when partnerships end rather than starting again, also for
    rows added after the cache was made and ended before ``links`` was asked again."""
    table = PartnershipTable(n_schools=5000, capacity=8)
    pids = [table.add([i, i + 1], INFORMAL, 0.0, "organic") for i in range(0, 1600, 2)]
    table.links()
    table.join(pids[10], 3000, 1.0)
    late = table.add([3001, 3002, 3003], FEDERATION, 1.0, "initial")
    kept = table.add([3004, 3005], INFORMAL, 1.0, "organic")
    table.end([pids[10], late, pids[20]], "drift", 2.0)
    pid, school = table.links()
    assert (pid.tolist(), school.tolist()) == fresh_links(table)
    assert {pids[10], late, pids[20]}.isdisjoint(pid.tolist()) and pid[-1] == kept
    table.end(pids[21:521], "drift", 3.0)  # most rows ended: the table compacts
    table.join(pids[600], 3006, 3.0)
    pid, school = table.links()
    assert (pid.tolist(), school.tolist()) == fresh_links(table)
    assert table.n_links == len(pid) == 2 * 298 + 2 + 1 and len(table.past_links["pid"]) > 0
    table.end(pids[600], "drift", 4.0)  # after compacting, rows renumbered: still right
    assert table.links()[0].tolist() == fresh_links(table)[0]


def test_a_runs_memberships_agree_with_its_partnerships():
    from conftest import settings_for
    from sim.running import simulate

    # Schools leave federations often here, so some memberships end before their partnership
    # (200 schools: enough federations of three that one carries on when a school leaves).
    result = simulate(settings_for("scenario=pathfinder", "funding.start_year=0", "seed=3",
                                   "rules.dissolution.rel_hazard_federation=1",
                                   "landscape.n_schools=200"))
    pt = result.partnerships.set_index("partnership_id")
    ms = result.memberships
    assert set(ms.partnership_id) == set(pt.index)
    assert (ms.left_at.isna() == (ms.left_reason == "")).all()
    assert (ms.joined_at >= pt.formed_at.loc[ms.partnership_id].to_numpy()).all()
    assert (ms.left_at.dropna() >= ms.joined_at[ms.left_at.notna()]).all()
    assert (ms.left_at.dropna() >= -3).all() and ms.left_reason.isin(["", *REASON_CODES]).all()
    left_early = 0
    for pid, spells in ms.groupby("partnership_id"):
        row = pt.loc[pid]
        current = spells[spells.left_at.isna()]
        if row.ended_at != row.ended_at:  # still running: its open memberships are its members
            assert sorted(current.school_id) == sorted(row.members) == sorted(
                spells.school_id[spells.left_at.isna()])
            assert len(current) == row.n_members
        else:  # ended: every membership closed, the last members with the partnership
            assert current.empty and (spells.left_at <= row.ended_at).all()
            last = spells[spells.school_id.isin(row.members)]
            assert (last.left_at == row.ended_at).all() and (last.left_reason == row.end_reason).all()
        left_early += int((spells.left_at < row.ended_at).sum()) if row.ended_at == row.ended_at \
            else int(spells.left_at.notna().sum())
    assert left_early > 0  # schools left federations that carried on: their spells are there too


def test_columns_are_read_only_and_change_through_methods():
    """Outsiders read columns as views that refuse writes (also after the table grows and after
    a pickle round trip, as a fork makes); ``update`` changes the updatable ones."""
    import pickle

    table = PartnershipTable(n_schools=6, capacity=1)
    a = table.add([0, 1], INFORMAL, 0.0, "organic")
    b = table.add([2, 3], INFORMAL, 0.0, "organic")  # grows the columns
    for copy in (table, pickle.loads(pickle.dumps(table))):
        with pytest.raises(ValueError, match="read-only"):
            copy.strength[a] = 0.5
        with pytest.raises(ValueError, match="read-only"):
            copy.kind[[a, b]] = FEDERATION
        copy.update([a, b], strength=np.array([0.25, 0.5]), kind=FEDERATION)
        assert copy.strength.tolist() == [0.25, 0.5] and (copy.kind == FEDERATION).all()
    assert table.strength.tolist() == [0.25, 0.5]


def test_update_refuses_columns_that_change_with_a_partnerships_life():
    table = PartnershipTable(n_schools=4)
    pid = table.add([0, 1], INFORMAL, 0.0, "organic")
    for column in ("end_reason", "n_members", "funding_gbp"):
        with pytest.raises(ValueError, match=f"'{column}' cannot be updated"):
            table.update(pid, **{column: 1})
    assert table.end_reason[pid] == ACTIVE and table.n_members[pid] == 2


def test_dropping_the_ended_keeps_the_running_renumbered_with_their_history():
    table = PartnershipTable(n_schools=12, capacity=2)
    gone = table.add([0, 1], INFORMAL, -3.0, "organic")
    federation = table.add([2, 3, 4], FEDERATION, -3.0, "initial")
    also_gone = table.add([5, 6], INFORMAL, -2.0, "organic")
    trust = table.add([7, 8], TRUST, -2.0, "initial")
    table.leave(federation, 4, "drift", -1.5)  # a past member of a running partnership
    table.join(trust, 9, -1.0)
    table.end([gone, also_gone], "drift", -0.5)
    strength = table.strength.copy()
    table.update([federation, trust], strength=[0.25, 0.75])
    table.drop_ended()
    assert table.size == 2 and (table.end_reason == ACTIVE).all()
    assert [table.members(pid).tolist() for pid in range(2)] == [[2, 3], [7, 8, 9]]
    assert table.kind.tolist() == [FEDERATION, TRUST] and table.strength.tolist() == [0.25, 0.75]
    assert strength.shape == (4,)  # the columns were copied, not changed in place
    pid, school = table.links()
    assert sorted(zip(pid.tolist(), school.tolist(), strict=True)) == [
        (0, 2), (0, 3), (1, 7), (1, 8), (1, 9)]
    spells = table.memberships([0, 1])
    assert spells["pid"].tolist() == [0, 0, 0, 1, 1, 1]
    assert spells["school"].tolist() == [2, 3, 4, 7, 8, 9]
    assert np.isnan(spells["left"][:2]).all() and spells["left"][2] == -1.5
    assert table.trust_of(12)[[7, 8, 9]].tolist() == [1, 1, 1]
    assert table.partnered(2, 3) and table.partnered(7, 9) and not table.partnered(0, 1)
    # The table goes on as before: new ids follow, and ending one updates the links.
    new = table.add([0, 10], INFORMAL, 0.5, "organic")
    assert new == 2 and table.count_per_school().tolist() == [1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0]
    table.end([0], "drift", 1.0)
    assert table.count_per_school().tolist() == [1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0]
    assert table.memberships([0])["left"].tolist() == [1.0, 1.0, -1.5]


def test_results_hold_every_partnership_running_at_time_0_or_formed_since():
    model = build("landscape.n_schools=120", "years=2", "spinup_years=6")
    pt = model.partnerships
    assert (pt.end_reason == ACTIVE).all() and pt.size == len(pt.active_ids())
    model.run()
    parts = model.recorder.partnerships
    assert parts.partnership_id.tolist() == list(range(pt.size))
    assert ((parts.formed_at >= 0) | (parts.ended_at.isna()) | (parts.ended_at >= 0)).all()
    assert set(model.recorder.memberships.partnership_id) == set(parts.partnership_id)
