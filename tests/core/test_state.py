"""SchoolState: the arrays the rules compute on, built from a landscape's school table."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.school_table import SchoolTable
from sim.core.state import SchoolState
from sim.core.vocabulary import GRADE_SHARES, HEAD_IN_POST, PRIMARY, SECONDARY


def table(n: int = 60, grade: int = 0) -> SchoolTable:
    rng = np.random.default_rng(1)
    return SchoolTable(school_id=np.arange(1000, 1000 + n), phase=np.where(np.arange(n) % 5, PRIMARY, SECONDARY),
                       x_km=rng.uniform(0, 20, n), y_km=rng.uniform(0, 20, n),
                       rural=np.arange(n) % 3 == 0, pupils=np.full(n, 200.0),
                       fsm=np.full(n, 0.25), grade=np.full(n, grade, dtype=np.int8))


def test_known_grades_are_kept_and_unknown_ones_drawn_from_the_national_mix():
    known = SchoolState(table(grade=3), np.random.default_rng(0))
    assert (known.grade == 3).all()
    drawn = SchoolState(table(n=4000), np.random.default_rng(0))
    shares = np.bincount(drawn.grade, minlength=5)[1:] / drawn.n
    assert shares == pytest.approx(GRADE_SHARES, abs=0.02)


def test_latent_quality_follows_the_grade():
    s = SchoolState(table(n=4000), np.random.default_rng(0))
    talent_by_grade = [s.talent[s.grade == g].mean() for g in (1, 2, 3, 4)]
    assert talent_by_grade == sorted(talent_by_grade, reverse=True)  # better grade, more talent
    assert (s.head == HEAD_IN_POST).all() and (s.executive_lead == -1).all()


def tiny_table() -> SchoolTable:
    """Five schools on a line, km 0, 1, 3, 7 and 20; the last two secondaries."""
    x = np.array([0.0, 1.0, 3.0, 7.0, 20.0])
    return SchoolTable(school_id=np.arange(5), phase=np.array([PRIMARY] * 3 + [SECONDARY] * 2),
                       x_km=x, y_km=np.zeros(5), rural=np.zeros(5, dtype=bool),
                       pupils=np.full(5, 200.0), fsm=np.full(5, 0.2), grade=np.full(5, 2, dtype=np.int8))


def test_a_schools_neighbours_are_exactly_the_schools_within_the_radius_of_the_pair():
    s = SchoolState(tiny_table(), np.random.default_rng(0))
    # Primaries look 3 km, secondaries 15 km for each other, across phases 4 km (inclusive).
    table = s.neighbour_table({PRIMARY: 3.0, SECONDARY: 15.0}, cross_phase_km=4.0)
    expected = {0: [1, 2], 1: [0, 2], 2: [0, 1, 3], 3: [2, 4], 4: [3]}
    for school, others in expected.items():
        index, km = table.of(school)
        assert index.tolist() == others
        assert km == pytest.approx(np.abs(s.x_km[others] - s.x_km[school]))
    assert table.count().tolist() == [2, 2, 3, 2, 1]
    same_phase_only = s.neighbour_table({PRIMARY: 3.0, SECONDARY: 15.0})
    assert same_phase_only.of(2)[0].tolist() == [0, 1] and same_phase_only.of(3)[0].tolist() == [4]
    school, at = table.entries(np.array([1, 4]))
    assert school.tolist() == [1, 1, 4] and table.index[at].tolist() == [0, 2, 3]


def test_near_lists_the_schools_within_a_radius_nearest_first():
    s = SchoolState(tiny_table(), np.random.default_rng(0))
    others, km = s.near(2, 4.0)
    assert others.tolist() == [1, 0, 3] and km == pytest.approx([2.0, 3.0, 4.0])
    assert s.near(4, 5.0)[0].tolist() == []


def test_filtering_the_schools_within_reach_before_sorting_keeps_nears_order():
    # Pairs of schools share a location, so equal distances are common: their order must not
    # depend on whether a rule filters before sorting (nearest_first) or after (near).
    t = table(n=400)
    t.x_km[1::2], t.y_km[1::2] = t.x_km[::2], t.y_km[::2]
    s = SchoolState(t, np.random.default_rng(0))
    keep = np.random.default_rng(1).random(s.n) < 0.4
    for school in range(0, s.n, 7):
        others, km = s.near(school, 5.0)
        assert school not in others and (np.diff(km) >= 0).all()
        found = s.within(school, 5.0)
        assert sorted(found.tolist()) == sorted(others.tolist())
        filtered, filtered_km = s.nearest_first(school, found[keep[found]])
        assert filtered.tolist() == others[keep[others]].tolist()
        assert filtered_km.tolist() == km[keep[others]].tolist()


def test_ties_are_remembered_both_ways_for_any_pair_and_keep_the_strongest():
    s = SchoolState(table(), np.random.default_rng(0))
    far = int(np.argmax(s.distance_km(np.full(s.n, 3), np.arange(s.n))))  # however far apart
    s.record_ties(np.array([3]), np.array([far]), np.array([0.4]))
    s.record_ties(np.array([3]), np.array([far]), np.array([0.2]))  # a weaker tie does not erase it
    assert s.tie(np.array([3, far, 3]), np.array([far, 3, 5])) == pytest.approx([0.4, 0.4, 0.0])
    # Many past partners at once, one school twice in a call: the table widens, nothing is lost.
    others = np.array([o for o in range(s.n) if o not in (3, far)])[:9]
    s.record_ties(np.full(9, 3), others, np.linspace(0.1, 0.9, 9))
    s.record_ties(np.array([3, 3]), np.array([others[0], others[0]]), np.array([0.5, 0.05]))
    school, partner, strength = s.ties_of(np.array([3]))
    assert sorted(partner.tolist()) == sorted([far, *others.tolist()])
    assert dict(zip(partner.tolist(), strength.tolist(), strict=True))[int(others[0])] == pytest.approx(0.5)
    assert s.ties.sum() == pytest.approx(2 * (0.4 + 0.5 + np.linspace(0.1, 0.9, 9)[1:].sum()))
    # One pair at a time (pair_tie, plain Python) gives exactly what the vectorised tie gives.
    never = next(o for o in range(s.n) if o not in (3, far, *others.tolist()))
    for b in [far, *others.tolist(), never]:
        assert s.pair_tie(3, b) == s.tie(np.array([3]), np.array([b]))[0]
    assert s.pair_tie(3, never) == 0.0 and s.pair_tie(3, int(others[0])) == 0.5


def test_per_step_events_are_cleared():
    s = SchoolState(table(), np.random.default_rng(0))
    s.head_left_now[[1, 2]] = True
    s.clear_per_step()
    assert not s.head_left_now.any()


def test_small_and_struggling():
    s = SchoolState(table(grade=4), np.random.default_rng(0))
    s.pupils[:] = 90
    assert (s.small == (s.phase == PRIMARY)).all()
    assert s.struggling.all()


def test_rivals_are_the_nearest_schools_of_the_same_phase_within_the_radius():
    s = SchoolState(tiny_table(), np.random.default_rng(0))  # km 0, 1, 3 primaries; 7, 20 secondaries
    two = s.neighbour_table({PRIMARY: 0.0, SECONDARY: 0.0})
    assert two.count().sum() == 0
    rivals = s.nearest_of_phase(1, {PRIMARY: 1.5, SECONDARY: 15.0})
    assert [rivals.of(i)[0].tolist() for i in range(5)] == [[1], [0], [], [4], [3]]
    rivals = s.nearest_of_phase(2, {PRIMARY: 3.0, SECONDARY: 10.0})
    assert [rivals.of(i)[0].tolist() for i in range(5)] == [[1, 2], [0, 2], [0, 1], [], []]
    assert rivals.of(2)[1] == pytest.approx([3.0, 2.0])
