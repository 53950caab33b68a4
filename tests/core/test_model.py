"""PartnershipModel: lifecycle, time, levers in force, the shared changes, forking."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import build, settings_for
from sim.core.model import PartnershipModel, random_stream, spinup_key
from sim.core.partnerships import ACTIVE, INFORMAL


def test_the_spin_up_runs_at_its_own_step_and_ends_at_time_zero():
    model = build("spinup_years=3", "spinup_steps_per_year=2", "steps_per_year=12")
    assert model.tick == 0 and model.now_years == 0
    assert model.time_at(-6) == -3.0 and model.time_at(12) == 1.0
    assert model.dt == pytest.approx(1 / 12)
    assert len(model.recorder.rows) == 1  # time 0 is recorded once, before any step


def test_levers_are_in_force_only_inside_their_window():
    model = build("scenario=pathfinder", "funding.start_year=1", "funding.stop_year=2")
    assert not model.policy_in_force("funding", 0.5)
    assert model.policy_in_force("funding", 1.0) and model.policy_in_force("funding", 1.99)
    assert not model.policy_in_force("funding", 2.0)
    assert not model.policy_in_force("distance", 1.5)  # the scenario leaves it at today's policy
    assert model.lever("funding") == model.todays_policy("funding")  # at time 0: not yet


def test_forming_and_ending_a_partnership_keep_counts_and_ties():
    model = build()
    pt, s = model.partnerships, model.schools
    # The nearest other school that has never worked with school 0 (the spin-up leaves ties).
    a, b = 0, next(int(b) for b in s.near(0, 1e6)[0]
                   if s.tie(np.array([0]), np.array([b]))[0] == 0 and not pt.partnered(0, b))
    before = s.n_past_partnerships[[a, b]].copy()
    pid = model.form_partnership([a, b], INFORMAL, "organic")
    assert pt.end_reason[pid] == ACTIVE and model.flows.formed == 1
    assert (s.n_past_partnerships[[a, b]] == before + 1).all()
    pt.update([pid], strength=0.6)
    model.end_partnerships([pid], "drift")
    assert pt.end_reason[pid] != ACTIVE and pt.ended_at[pid] == model.now_years
    assert s.tie(np.array([a, b]), np.array([b, a])) == pytest.approx([0.6, 0.6])  # both remember


def test_ending_partnerships_together_is_ending_them_one_by_one():
    """``end_partnerships`` handles a batch at once (member pairs by partnership size, executive
    heads released together): the ties it leaves and the heads it releases must be those of
    ending the same partnerships one at a time, also for a school covered by one lead through
    two partnerships."""
    import pickle

    from sim.core.partnerships import FEDERATION
    from sim.core.vocabulary import HEAD_EXECUTIVE, HEAD_IN_POST, HEAD_VACANT

    model = build("spinup_years=0")
    s = model.schools
    lead, x, y, *rest = np.flatnonzero((s.head == HEAD_IN_POST) & (s.n_led == 0))[:10].tolist()
    pids = [model.form_partnership([x, lead], FEDERATION, "executive_head", lead=lead),
            model.form_partnership([x, y, lead], FEDERATION, "executive_head", lead=lead),
            model.form_partnership(rest[:4], INFORMAL, "organic"),
            model.form_partnership(rest[4:6], INFORMAL, "organic"),
            model.form_partnership([y, *rest[6:8]], INFORMAL, "organic")]
    model.partnerships.update(pids, strength=np.array([0.1, 0.2, 0.3, 0.4, 0.5]))
    s.head[[x, y]] = HEAD_EXECUTIVE
    s.executive_lead[[x, y]] = lead
    s.n_led[lead] = 2
    one_by_one = pickle.loads(pickle.dumps(model))
    model.end_partnerships(pids, "drift")
    for pid in pids:
        one_by_one.end_partnerships([pid], "drift")
    for name in ("ties", "tie_partner", "head", "executive_lead", "n_led"):
        assert np.array_equal(getattr(model.schools, name), getattr(one_by_one.schools, name)), name
    assert s.head[x] == s.head[y] == HEAD_VACANT and s.n_led[lead] == 0
    assert s.tie(np.array([x, y, rest[0]]), np.array([lead, x, rest[3]])) == pytest.approx([0.2, 0.2, 0.3])


def test_a_fork_is_independent_of_the_model_it_came_from():
    spun = PartnershipModel(settings_for("years=1"))
    fork = spun.fork(settings_for("years=1", "scenario=pathfinder", "funding.start_year=0"))
    fork.run()
    assert spun.tick == 0 and fork.tick == fork.n_steps
    assert not np.shares_memory(spun.schools.outcome, fork.schools.outcome)
    with pytest.raises(ValueError, match="same seed"):
        spun.fork(settings_for("years=1", "seed=99"))
    with pytest.raises(RuntimeError, match="time 0"):
        fork.fork(settings_for("years=1"))


def test_the_spin_up_key_ignores_levers_but_not_the_seed():
    base = spinup_key(settings_for())
    assert spinup_key(settings_for("scenario=high_stakes")) == base
    assert spinup_key(settings_for("seed=5")) != base


def test_random_streams_are_independent_by_name():
    a = random_stream(3, "rule:formation").random(4)
    assert np.array_equal(a, random_stream(3, "rule:formation").random(4))
    assert not np.array_equal(a, random_stream(3, "rule:staffing").random(4))
