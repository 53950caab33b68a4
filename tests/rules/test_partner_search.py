"""Partner search by distance (issue 14): a school's candidates are every school within its search
radius, so a secondary sees the secondaries around it, not only those among its nearest schools."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from conftest import build
from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.rules.formation import Formation

REGION = ("landscape.n_schools=600", "spinup_years=0", "years=1")
OLD_NEIGHBOURS = 24  # the fixed list of nearest schools partner search used before


def formation_of(model) -> Formation:
    return next(rule for rule in model.rules if isinstance(rule, Formation))


def test_candidates_are_exactly_the_schools_within_the_radius_of_the_pair():
    model = build(*REGION)
    s, formation = model.schools, formation_of(model)
    p = formation.p
    km = np.hypot(s.x_km[:, None] - s.x_km, s.y_km[:, None] - s.y_km)
    both_secondary = (s.phase[:, None] == SECONDARY) & (s.phase == SECONDARY)
    radius = np.where(both_secondary, p.search_radius_secondary_km, p.search_radius_primary_km)
    within = (km <= radius) & ~np.eye(s.n, dtype=bool)
    for school in range(s.n):
        index, distance = formation.candidates.of(school)
        assert index.tolist() == np.flatnonzero(within[school]).tolist()
        np.testing.assert_allclose(distance, km[school, index], atol=1e-4)


def test_a_secondary_in_need_sees_many_more_secondaries_than_among_its_nearest_schools():
    model = build(*REGION)
    s, formation = model.schools, formation_of(model)
    secondaries = np.flatnonzero(s.phase == SECONDARY)
    xy = np.column_stack([s.x_km, s.y_km])
    _, nearest = cKDTree(xy).query(xy[secondaries], k=OLD_NEIGHBOURS + 1)
    before = (s.phase[nearest[:, 1:]] == SECONDARY).sum(axis=1)
    now = np.array([(s.phase[formation.candidates.of(i)[0]] == SECONDARY).sum() for i in secondaries])
    primaries = np.flatnonzero(s.phase == PRIMARY)
    print(f"secondaries a secondary may ask, median: {np.median(before):g} among its "
          f"{OLD_NEIGHBOURS} nearest schools, {np.median(now):g} within its search radius; "
          f"candidates per primary, median: {np.median(formation.candidates.count()[primaries]):g}")
    assert np.median(now) >= 5 * np.median(before)
    assert (now >= before).all()


def test_each_seeker_asks_its_clearly_best_allowed_candidate_and_no_one_if_none_is_allowed():
    formation = formation_of(build(*REGION))
    me = np.array([3, 3, 3, 7, 7, 9, 9])
    score = np.array([0.0, 50.0, 1.0, -np.inf, -np.inf, 2.0, -np.inf])
    best = formation.choose(me, score)
    assert best.tolist() == [1, 5]  # seeker 3's 50-point candidate; seeker 7 asks no one
