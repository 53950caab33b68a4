"""Multi-academy trusts (sim.rules.trusts): conversion, sponsorship after a failing grade, growth,
central capacity; federations stay a separate structure of maintained schools."""

from __future__ import annotations

import pickle

import numpy as np

from conftest import build
from sim.core.partnerships import FEDERATION, ORIGIN_CODES, TRUST
from sim.rules.trusts import TrustIndex, Trusts


def trusts_rule(model) -> Trusts:
    return next(rule for rule in model.rules if isinstance(rule, Trusts))


def sponsored_after(model, failing: np.ndarray) -> tuple[int, int]:
    """(sponsored, schools in a trust) after one step of the trusts rule on a copy of ``model``
    in which the ``failing`` schools were just graded inadequate."""
    copy = pickle.loads(pickle.dumps(model))
    s = copy.schools
    s.clear_per_step()  # as at the start of a step: only this step's grades count
    s.graded_inadequate_now[failing] = True
    s.grade[failing] = 4
    trusts_rule(copy).step(copy)
    # Every sponsored school is marked so in its membership (how it came in)
    spells = copy.partnerships.memberships(np.arange(copy.partnerships.size))
    brought_in = spells["school"][(spells["how"] == ORIGIN_CODES["intervention"])
                                  & (spells["joined"] == copy.now_years)]
    # (a new sponsor-led trust's sponsor is marked too: it founded the trust by intervention)
    assert np.isin(brought_in, failing).sum() == copy.flows.sponsored
    return copy.flows.sponsored, int((copy.partnerships.count_per_school([TRUST]) > 0).sum())


def test_trusts_in_reach_are_those_with_a_school_that_close_at_their_nearest_schools_distance():
    model = build("landscape.n_schools=300", "spinup_years=1")
    s, index = model.schools, TrustIndex(model)
    index.add(5, int(index.trust_of[index.trust_of >= 0][0]))  # a joiner extends its trust's reach
    n_in_reach = 0
    for school in range(s.n):
        trusts, km = index.in_reach(school, 12.0)
        # Brute force: every school within reach, nearest first; each open trust at its first.
        expected = {}
        for other, distance in zip(*s.near(school, 12.0), strict=True):
            trust = int(index.trust_of[other])
            if trust >= 0 and index.size[trust] > 0:
                expected.setdefault(trust, float(distance))
        assert dict(zip(trusts.tolist(), km.tolist(), strict=True)) == expected
        assert trusts.tolist() == sorted(expected)
        n_in_reach += len(trusts)
    assert n_in_reach > s.n  # most schools have trusts in reach


NO_CONVERSION = ("rules.trusts.join_per_year_standalone=0", "rules.trusts.convert_per_year_primary=0",
                 "rules.trusts.convert_per_year_secondary=0")


def test_a_failing_grade_brings_more_sponsored_trust_joiners():
    model = build("landscape.n_schools=300", "spinup_years=1", *NO_CONVERSION)
    in_trust = model.partnerships.count_per_school([TRUST]) > 0
    outside = np.flatnonzero(~in_trust & (model.schools.grade <= 3))[:20]
    assert len(outside) == 20
    none_failing = sponsored_after(model, outside[:0])
    some_failing = sponsored_after(model, outside)
    assert none_failing == (0, int(in_trust.sum()))
    assert some_failing[0] >= 8  # 0.8 chance each at today's stakes (0.5), if a sponsor is near
    assert some_failing[1] > none_failing[1]
    # Without the regime's support partnerships, a failing grade brings no sponsor.
    model = build("landscape.n_schools=300", "spinup_years=1", *NO_CONVERSION,
                  "accountability.intervention=none", "accountability.start_year=0")
    assert sponsored_after(model, outside)[0] == 0


def test_trusts_stay_whole_and_grow_while_schools_convert():
    model = build("landscape.n_schools=300", "years=10", "spinup_years=2")
    pt, s = model.partnerships, model.schools
    initial = np.flatnonzero((pt.origin == 0) & (pt.kind == TRUST))
    sizes = pt.n_members[initial].copy()
    academies = s.academy.copy()
    model.run()
    assert np.all(pt.end_reason[initial] == -1), "a trust broke up"
    transferred = model.recorder.memberships.left_reason == "transferred"
    assert pt.n_members[initial].sum() > sizes.sum() - transferred.sum()
    assert pt.n_members[initial].sum() > sizes.sum()  # trusts grow as schools convert and join
    assert np.all(s.academy[academies]), "an academy went back to being maintained"
    ts = model.recorder.timeseries
    assert ts.share_academy_primary.iloc[-1] > ts.share_academy_primary.iloc[0]
    assert ts.new_converted.sum() == s.academy.sum() - academies.sum()
    assert ts.n_trust.iloc[0] == len(initial)


def test_no_conversion_means_no_new_academies_but_sponsored_ones():
    model = build("landscape.n_schools=300", "years=5", "spinup_years=2", *NO_CONVERSION)
    academies = model.schools.academy.sum()
    model.run()
    ts = model.recorder.timeseries
    # Only sponsorship (a maintained school and, in a new trust, its sponsor) makes academies.
    assert model.schools.academy.sum() - academies <= 2 * ts.new_sponsored.sum()


def test_central_support_thins_when_a_trust_grows_fast():
    model = build("landscape.n_schools=60", "spinup_years=0", "landscape.trusts_per_1000_schools=0",
                  "landscape.federations_per_1000_schools=0", "landscape.informal_share=0")
    pt, s = model.partnerships, model.schools
    s.academy[:10] = True
    settled = pt.add(np.arange(5), TRUST, -5.0, "initial")  # schools joined five years ago
    grown = pt.add(np.arange(5, 10), TRUST, 0.0, "organic")  # every school joined just now
    s.capacity[:10] = np.tile([0.3, 0.7, 0.7, 0.7, 0.7], 2)
    trusts_rule(model)._support(model)
    assert s.capacity[0] > s.capacity[5] > 0.3  # both lifted toward the mean, the settled more
    assert np.all(s.capacity[[1, 6]] == 0.7)  # never pulled down
    assert pt.kind[settled] == pt.kind[grown] == TRUST


def test_only_small_groups_of_maintained_schools_federate():
    model = build("landscape.n_schools=300", "years=15", "spinup_years=1",
                  "rules.formation.formalise_rate_per_year=1.0")
    pt, s = model.partnerships, model.schools
    before = set(np.flatnonzero(pt.kind == FEDERATION).tolist())
    academy_at_start = s.academy.copy()
    model.run()
    formalised = [pid for pid in np.flatnonzero((pt.kind == FEDERATION) & (pt.origin == 1))
                  if pid not in before]
    assert formalised, "no informal partnership federated"
    spells = model.recorder.memberships
    assert spells[spells.partnership_id.isin(formalised)].groupby("partnership_id").size().max() <= 3
    # Schools that were academies from the start never federate organically.
    organic = pt.memberships(formalised)
    assert not academy_at_start[organic["school"]].any()


def converted_federation(with_trust_near: bool):
    """(the federation, its schools, a trust nearby or -1, the model) after the federation's
    schools convert in one step of the trusts rule, in a small area with nothing else formal."""
    model = build("landscape.n_schools=60", "spinup_years=0", "landscape.trusts_per_1000_schools=0",
                  "landscape.federations_per_1000_schools=0", "landscape.informal_share=0")
    pt, s, rule = model.partnerships, model.schools, trusts_rule(model)
    near, km = s.near(0, rule.p.join_radius_km)
    assert len(near) >= 3 and km[2] < rule.p.join_radius_km
    s.academy[:] = False
    trust = -1
    if with_trust_near:
        s.academy[[0, near[0]]] = True
        trust = pt.add([0, near[0]], TRUST, -5.0, "initial")
    federation = pt.add(near[1:3], FEDERATION, -5.0, "initial")
    rule.p.max_growth_per_year = 1.0  # the trust of two has room for both schools this year
    rule.index = TrustIndex(model)
    draw = np.ones(s.n)
    draw[near[1]] = 0.0  # one member's conversion converts its federation
    rule._convert(model, draw)
    return federation, near[1:3], trust, model


def test_a_converting_federation_joins_a_trust_in_reach_or_else_becomes_one():
    federation, members, trust, model = converted_federation(with_trust_near=True)
    pt, s = model.partnerships, model.schools
    assert s.academy[members].all()
    assert set(members.tolist()) <= set(pt.members(trust).tolist())  # both joined the trust
    assert pt.end_reason[federation] != -1  # and left their federation, which ended
    assert pt.kind[federation] == FEDERATION
    # With no trust in reach the federation converts as a trust of its own.
    federation, members, _, model = converted_federation(with_trust_near=False)
    pt = model.partnerships
    assert pt.kind[federation] == TRUST and pt.end_reason[federation] == -1
    assert sorted(pt.members(federation).tolist()) == sorted(members.tolist())
    assert model.schools.academy[members].all()


def test_a_federation_converts_at_one_schools_rate_and_only_where_its_schools_fit():
    model = build("landscape.n_schools=60", "spinup_years=0", "landscape.trusts_per_1000_schools=0",
                  "landscape.federations_per_1000_schools=0", "landscape.informal_share=0")
    pt, s, rule = model.partnerships, model.schools, trusts_rule(model)
    near, _ = s.near(0, rule.p.join_radius_km)
    s.academy[:] = False
    s.academy[[0, near[0]]] = True
    trust = pt.add([0, near[0]], TRUST, -5.0, "initial")
    federation = pt.add(near[1:3], FEDERATION, -5.0, "initial")
    rule.index = TrustIndex(model)
    assert rule.index.federation_size[near[1:3]].tolist() == [2.0, 2.0]
    assert rule.index.federation_size[near[3]] == 1.0
    # A draw between half a school's chance and all of it converts a school on its own, not a
    # member of a federation of two (whose governing body decides once for both).
    chance = 1 - np.exp(-rule.p.convert_per_year_primary * model.dt)
    draw = np.ones(s.n)
    draw[[near[1], near[3]]] = 0.75 * chance
    rule._convert(model, draw)
    assert s.academy[near[3]] and not s.academy[near[1:3]].any()
    # Room is for every school joining: a trust one school short of its limit takes a single
    # converter but not a federation of two, which becomes a trust of its own.
    rule.p.max_trust_size = int(rule.index.size[trust]) + 1
    rule.p.max_growth_per_year = 10.0
    assert rule._best_trust(near[1], strong=False) == trust
    assert rule._best_trust(near[1], strong=False, joining=2) == -1
    draw[:] = 1.0
    draw[near[1]] = 0.0
    rule._convert(model, draw)
    assert pt.kind[federation] == TRUST and pt.n_members[trust] == 2 + s.academy[near[3]]
