"""SchoolState: the arrays the rules compute on, built from a landscape's school table."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.school_table import SchoolTable
from sim.core.state import N_NEIGHBOURS, SchoolState
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


def test_neighbours_are_the_nearest_other_schools_with_their_distances():
    s = SchoolState(table(), np.random.default_rng(0))
    assert s.neighbours.shape == (s.n, min(N_NEIGHBOURS, s.n - 1))
    assert not (s.neighbours == np.arange(s.n)[:, None]).any(), "a school is not its own neighbour"
    i = 7
    km = np.hypot(s.x_km - s.x_km[i], s.y_km - s.y_km[i])
    km[i] = np.inf
    assert s.neighbour_km[i] == pytest.approx(np.sort(km)[: s.neighbours.shape[1]])
    assert s.distance_km(np.array([i]), s.neighbours[i, :1]) == pytest.approx(s.neighbour_km[i, :1])


def test_ties_are_remembered_both_ways_and_keep_the_strongest():
    s = SchoolState(table(), np.random.default_rng(0))
    a, b = 3, int(s.neighbours[3, 2])
    s.record_ties(np.array([a]), np.array([b]), np.array([0.4]))
    s.record_ties(np.array([a]), np.array([b]), np.array([0.2]))  # a weaker tie does not erase it
    assert s.ties[a, 2] == 0.4
    assert s.ties[b][s.neighbours[b] == a] == pytest.approx([0.4])
    assert s.ties.sum() == pytest.approx(0.8)


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
