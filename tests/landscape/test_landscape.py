"""Generated landscapes match the evidence (../shared/evidence.md) within tolerances."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from sim.config import compose, validate
from sim.core.checks import ConfigError
from sim.core.school_table import SchoolTable
from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.landscape import England, Region, SyntheticRegion
from sim.landscape.england import PRESETS, region_of
from sim.landscape.structure import TRUST_SIZE_BINS, trust_sizes

MILE_KM = 1.609344


@pytest.fixture(scope="module")
def england():
    landscape = England(England.Params())
    return landscape.build(np.random.default_rng(0)), region_of(landscape.areas())


def pupil_weighted_fsm(table: SchoolTable, mask=True) -> float:
    mask = np.broadcast_to(mask, table.fsm.shape)
    return float((table.fsm * table.pupils)[mask].sum() / table.pupils[mask].sum())


def test_england_counts_and_area(england):
    table, _ = england
    assert abs((table.phase == PRIMARY).sum() - 16_764) <= 10  # DfE 2023/24
    assert abs((table.phase == SECONDARY).sum() - 3_450) <= 10
    area_km2 = np.ptp(table.x_km) * np.ptp(table.y_km)
    assert area_km2 == pytest.approx(130_300, rel=0.02)  # England, ONS


def test_england_school_sizes(england):
    table, region = england
    primary = table.phase == PRIMARY
    pupils = table.pupils
    assert pupils[primary].mean() == pytest.approx(275, abs=15)  # DfE: 4.61m / 16,764
    assert pupils[~primary].mean() == pytest.approx(1_060, abs=50)  # DfE: 3.67m / 3,450
    assert (pupils[primary] < 100).mean() == pytest.approx(0.12, abs=0.02)  # Howson (DfE census)
    assert (pupils[primary & table.rural] < 110).mean() == pytest.approx(0.33, abs=0.06)  # RSN/CofE
    assert (pupils[primary & ~table.rural] < 110).mean() == pytest.approx(0.05, abs=0.02)
    assert (pupils[primary & (region == "London")] < 100).mean() == pytest.approx(0.02, abs=0.015)
    assert (pupils[primary & (region == "South West")] < 100).mean() == pytest.approx(0.22, abs=0.04)


def test_england_rurality_and_disadvantage(england):
    table, region = england
    assert table.rural.mean() == pytest.approx(0.27, abs=0.02)  # RSN/CofE 2014
    assert pupil_weighted_fsm(table) == pytest.approx(0.246, abs=0.01)  # DfE 2024
    assert pupil_weighted_fsm(table, region == "North East") == pytest.approx(0.312, abs=0.025)
    assert pupil_weighted_fsm(table, region == "South East") == pytest.approx(0.197, abs=0.015)
    assert 0.10 < table.fsm.std() < 0.20  # schools differ widely


def test_england_grades(england):
    table, _ = england
    shares = np.bincount(table.grade, minlength=5)[1:] / table.n
    assert shares == pytest.approx([0.20, 0.65, 0.11, 0.04], abs=0.015)  # Ofsted, Dec 2018
    # More deprived schools are graded worse on average (assumption, mild).
    high_fsm = table.fsm > np.median(table.fsm)
    assert table.grade[high_fsm].mean() > table.grade[~high_fsm].mean()


def trusts_of(table: SchoolTable) -> list[np.ndarray]:
    return [members for members, kind in table.initial_partnerships if kind == "trust"]


def test_england_trusts_and_academies(england):
    """Trust count, size mix and membership and academy shares by phase as in evidence.md."""
    table, _ = england
    sizes = np.array([len(m) for m in trusts_of(table)])
    # DfE, December 2023, within 3%: the last (smallest) trusts placed may find no two free
    # academies near them, as nine in ten academies are in a trust by then (FFT Datalab 2024).
    assert len(sizes) == pytest.approx(1_321, rel=0.03)
    target = np.array([count for *_, count in TRUST_SIZE_BINS], dtype=float)
    generated = np.array([((sizes >= low) & (sizes <= high)).sum()
                          for low, high, _ in TRUST_SIZE_BINS], dtype=float)
    # Size mix within 4 percentage points per bin (a group may fall short of its drawn size).
    assert generated / generated.sum() == pytest.approx(target / target.sum(), abs=0.04)
    # 2019's mix gives today's sizes: a mean of 7.3 schools (9,603 academies in 1,321 trusts,
    # December 2023, DfE) and three in four trusts under 10 schools (75%, FFT Datalab 2024).
    assert sizes.mean() == pytest.approx(9_603 / 1_321, abs=0.5)
    assert (sizes < 10).mean() == pytest.approx(0.75, abs=0.05)
    # Academies, Jan 2025 (DfE): 46.1% of primaries and 83% of secondaries, within half a point.
    primary = table.phase == PRIMARY
    assert table.academy[primary].mean() == pytest.approx(0.461, abs=0.005)
    assert table.academy[~primary].mean() == pytest.approx(0.83, abs=0.005)
    # Trust schools are academies, and about nine in ten academies are in a multi-academy trust
    # (89%, FFT Datalab 2024; 9,603 of ~10,600 in December 2023, DfE): the rest stand alone.
    in_trust = np.zeros(table.n, dtype=bool)
    for members in trusts_of(table):
        in_trust[members] = True
    assert table.academy[in_trust].all()
    assert in_trust[table.academy].mean() == pytest.approx(0.89, abs=0.04)


def test_region_trust_sizes_are_capped_to_the_area():
    """A 300-school area cannot hold a 26+-school trust whole: one trust holds at most 8% of its
    schools (24), the rest of a larger trust lying elsewhere; the number of trusts is kept."""
    table = Region(Region.Params(n_schools=300)).build(np.random.default_rng(2))
    sizes = np.array([len(m) for m in trusts_of(table)])
    assert sizes.max() <= 24
    assert len(sizes) == round(65.4 * 300 / 1000)
    # The cap follows the area's size: all of England holds the largest trusts whole.
    rng = np.random.default_rng(3)
    assert trust_sizes(rng, 1_000, 300, 0.08).max() == 24
    assert trust_sizes(rng, 1_000, 20_214, 0.08).max() > 50


def test_england_partnerships_are_local_and_mixed(england):
    table, _ = england
    kinds = [kind for _, kind in table.initial_partnerships]
    assert {"trust", "federation", "informal"} == set(kinds)
    # Federations are a small separate structure of maintained schools, of two or three.
    assert kinds.count("federation") == pytest.approx(25 * table.n / 1000, rel=0.05)
    in_formal = np.zeros(table.n, dtype=bool)
    for members, kind in table.initial_partnerships:
        assert len(np.unique(members)) == len(members) >= 2
        if kind == "federation":
            assert len(members) <= 3 and not table.academy[members].any()
        if kind != "informal":
            assert not in_formal[members].any()  # a school is in one trust or federation at most
            in_formal[members] = True
    assert 0.45 < in_formal.mean() < 0.58  # trusts (~48% of schools) plus federations (~5%)


def test_england_rural_travel_distances(england):
    """Straight-line distance from countryside points to the nearest school is below the distance
    pupils from small rural settlements travel (3.4 miles to primary, 7.0 to secondary, Defra), which
    also reflects road detours and schools chosen beyond the nearest, but of the same order."""
    table, _ = england
    rng = np.random.default_rng(5)
    xy = np.column_stack([table.x_km, table.y_km])
    points = np.column_stack([rng.uniform(table.x_km.min(), table.x_km.max(), 20_000),
                              rng.uniform(table.y_km.min(), table.y_km.max(), 20_000)])
    countryside = points[table.rural[cKDTree(xy).query(points)[1]]]  # nearest school is rural
    primary = table.phase == PRIMARY
    to_primary = cKDTree(xy[primary]).query(countryside)[0].mean()
    to_secondary = cKDTree(xy[~primary]).query(countryside)[0].mean()
    assert 0.3 * 3.4 * MILE_KM < to_primary < 3.4 * MILE_KM
    assert 0.3 * 7.0 * MILE_KM < to_secondary < 7.0 * MILE_KM
    assert to_secondary > 2 * to_primary


def test_england_scale_keeps_density():
    table = England(England.Params(scale=0.1)).build(np.random.default_rng(0))
    assert table.n == pytest.approx(2_021, rel=0.01)
    area_km2 = np.ptp(table.x_km) * np.ptp(table.y_km)
    assert area_km2 == pytest.approx(13_030, rel=0.05)


def test_same_seed_same_landscape():
    a = Region(Region.Params(preset="coastal")).build(np.random.default_rng(3))
    b = Region(Region.Params(preset="coastal")).build(np.random.default_rng(3))
    assert np.array_equal(a.x_km, b.x_km) and np.array_equal(a.pupils, b.pupils)
    assert all(np.array_equal(m, n) for (m, _), (n, _) in
               zip(a.initial_partnerships, b.initial_partnerships, strict=True))


@pytest.fixture(scope="module")
def presets():
    return {name: Region(Region.Params(preset=name, n_schools=1_500)).build(np.random.default_rng(2))
            for name in PRESETS}


def test_region_presets_have_their_character(presets):
    urban, rural, coastal, average = (presets[k] for k in ("urban", "rural", "coastal", "average"))

    def small_primaries(t):
        return (t.pupils[t.phase == PRIMARY] < 100).mean()

    def nearest_km(t):
        xy = np.column_stack([t.x_km, t.y_km])
        return cKDTree(xy).query(xy, k=2)[0][:, 1].mean()

    assert urban.rural.mean() < 0.05 < average.rural.mean() < rural.rural.mean()
    assert small_primaries(urban) < small_primaries(average) < small_primaries(rural)
    assert pupil_weighted_fsm(rural) < pupil_weighted_fsm(average) < pupil_weighted_fsm(urban)
    assert nearest_km(urban) < nearest_km(average) < nearest_km(rural)
    # Coastal: deprived towns along the coast (y = 0), countryside inland.
    assert pupil_weighted_fsm(coastal) > pupil_weighted_fsm(average)
    assert np.median(coastal.y_km[~coastal.rural]) < np.median(coastal.y_km[coastal.rural])


def test_region_average_preset_matches_england(presets):
    table = presets["average"]
    primary = table.phase == PRIMARY
    assert table.pupils[primary].mean() == pytest.approx(275, abs=25)
    assert table.rural.mean() == pytest.approx(0.27, abs=0.04)
    assert pupil_weighted_fsm(table) == pytest.approx(0.246, abs=0.02)
    assert (table.phase == SECONDARY).mean() == pytest.approx(3_450 / 20_214, abs=0.01)


@pytest.mark.parametrize(("overrides", "message"), [
    (["landscape=region", "landscape.preset=rurall"], r"landscape.preset.*average, urban, rural, coastal"),
    (["landscape=region", "landscape.n_schools=3"], r"landscape.n_schools"),
    (["landscape=england", "landscape.scale=0"], r"landscape.scale"),
    (["landscape=england", "landscape.informal_share=1.5"], r"landscape.informal_share"),
    (["landscape=england", "+landscape.n_schools=10"], r"landscape.n_schools.*parameter of England"),
])
def test_bad_landscape_config_is_a_clear_error(overrides, message):
    with pytest.raises(ConfigError, match=message):
        validate(compose(overrides))


def test_landscape_yaml_lists_every_param_at_its_default():
    from sim.config.generate import CONF, LANDSCAPES, expected_files

    files = expected_files()
    for name in LANDSCAPES:
        path = CONF / "landscape" / f"{name}.yaml"
        assert path.read_text() == files[path], f"run `python -m sim.config.generate` ({path.name})"


def test_synthetic_region_initial_partnerships():
    table = SyntheticRegion(SyntheticRegion.Params(n_schools=2_000)).build(np.random.default_rng(0))
    kinds = [kind for _, kind in table.initial_partnerships]
    # England's trusts per 1,000 schools (the last may find no two free academies: within 3%)
    assert kinds.count("trust") == pytest.approx(65.4 * 2, rel=0.03)
    assert kinds.count("federation") == 50  # 25 per 1,000 (assumption)
    formal = np.concatenate([m for m, kind in table.initial_partnerships if kind != "informal"])
    assert len(np.unique(formal)) == len(formal)  # each school in one trust or federation at most
    assert table.academy[table.phase == SECONDARY].mean() == pytest.approx(0.83, abs=0.01)


def test_end_to_end_run_on_a_region():
    from sim.running import simulate

    cfg = compose(["landscape=region", "landscape.preset=rural", "landscape.n_schools=60",
                   "years=1", "spinup_years=1", "steps_per_year=4"])
    result = simulate(validate(cfg))
    assert result.schools.school_id.nunique() == 60
    assert (result.partnerships.origin == "initial").any()
