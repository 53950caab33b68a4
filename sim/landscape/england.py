"""``landscape=england`` (a whole synthetic England) and ``landscape=region`` (a smaller area with an
urban, rural, coastal or average character), generated to match ../shared/evidence.md.

England is laid out as its nine regions (rectangles of their real areas, in three rows north to
south, London a square inside the South East). In each area, urban schools cluster around towns
whose sizes follow a Zipf law and rural schools spread evenly; pupil rolls, free-school-meal shares,
inspection grades and existing trusts, federations and clusters are then drawn so that their
distributions match the evidence (docs/landscapes.md compares generated and target figures).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from sim.core.checks import check
from sim.core.school_table import SchoolTable
from sim.core.vocabulary import GRADE_SHARES, PRIMARY, SECONDARY
from sim.landscape.base import Landscape, pupils_on_roll
from sim.landscape.structure import StructureParams, initial_structures

# -- national figures (../shared/evidence.md unless marked) ------------------------------------
N_PRIMARY = 16_764  # state-funded primaries, 2023/24 (DfE, Schools, pupils and their characteristics)
N_SECONDARY = 3_450  # state-funded secondaries (DfE, same series)
# Secondaries are rarer than primaries in the countryside: their rural share is this fraction of
# the primaries' (assumption, set so that ~27% of all schools are rural, RSN/CofE 2014).
RURAL_SECONDARY_RATIO = 0.4
FSM_RURAL_RATIO = 0.7  # assumption: rural catchments' FSM share relative to urban ones nearby
FSM_CONCENTRATION = 8.0  # assumption: Beta a+b, so schools' FSM shares spread with SD ~0.14
URBAN_SCHOOLS_PER_KM2 = 1.2  # assumption: peak density of schools in a town (London: ~1.6)
SCHOOLS_PER_TOWN = 60.0  # assumption: sets how many towns an area has (sizes follow Zipf)


@dataclass(frozen=True)
class Character:
    """What makes an area's schools differ from England's average."""

    rural_primary: float  # share of primaries that are rural
    fsm: float  # share of pupils eligible for free school meals
    size_factor: float  # multiplies every school's pupil roll
    km2_per_school: float  # land area per school
    coastal: bool = False  # towns along one edge (the coast); nothing beyond it
    all_urban: bool = False  # one continuous city filling the area (London)


@dataclass(frozen=True)
class RegionSpec:
    """One of England's nine regions: its area, share of schools and character."""

    name: str
    area_km2: float  # ONS standard area measurements (approximate)
    school_share: float  # assumption: region's share of England's schools (approx. DfE 2023/24)
    character: Character


def _region(name, area_km2, school_share, rural_primary, fsm, size_factor=1.0, all_urban=False):
    n_schools = school_share * (N_PRIMARY + N_SECONDARY)
    return RegionSpec(name, area_km2, school_share,
                      Character(rural_primary, fsm, size_factor, area_km2 / n_schools,
                                all_urban=all_urban))


# FSM shares: North East 31.2% and South East 19.7% (DfE 2024, evidence.md), South West 20.5%
# (DfE 2024, reported by The Independent 6 June 2024); the others are assumptions set so that the
# national share is 24.6%. Rural shares of primaries are assumptions (national ~30%, London none);
# size factors are assumptions giving London ~2% and the South West ~22% of primaries under 100.
REGIONS = (
    _region("North West", 14_108, 0.144, 0.22, 0.280),
    _region("North East", 8_581, 0.049, 0.25, 0.312),
    _region("Yorkshire and the Humber", 15_405, 0.104, 0.28, 0.262),
    _region("West Midlands", 12_998, 0.109, 0.30, 0.280),
    _region("East Midlands", 15_624, 0.100, 0.38, 0.232),
    _region("East of England", 19_116, 0.126, 0.42, 0.207),
    _region("South West", 23_829, 0.110, 0.55, 0.205, size_factor=0.92),
    _region("South East", 19_069, 0.150, 0.32, 0.197),
    _region("London", 1_572, 0.108, 0.0, 0.262, size_factor=1.2, all_urban=True),
)
ROWS = (("North West", "North East", "Yorkshire and the Humber"),
        ("West Midlands", "East Midlands", "East of England"),
        ("South West", "South East"))  # London is a square at the South East's north-east corner

# Region presets (assumptions, each from England's own regions: see docs/landscapes.md).
PRESETS = {
    # England's average mix.
    "average": Character(rural_primary=0.30, fsm=0.246, size_factor=1.0, km2_per_school=6.4),
    # A metropolitan area like Greater Manchester or the West Midlands conurbation.
    "urban": Character(rural_primary=0.03, fsm=0.30, size_factor=1.15, km2_per_school=1.5),
    # A shire county like Devon, Cumbria or North Yorkshire: many small village schools.
    "rural": Character(rural_primary=0.65, fsm=0.16, size_factor=0.8, km2_per_school=18.0),
    # A coastal strip with deprived seaside towns (coastal deprivation is an assumption here).
    "coastal": Character(rural_primary=0.40, fsm=0.28, size_factor=0.95, km2_per_school=10.0,
                         coastal=True),
}


@dataclass
class Area:
    """A rectangle to fill with schools (x0, y0 its south-west corner, km)."""

    name: str
    x0: float
    y0: float
    width_km: float
    height_km: float
    n_primary: int
    n_secondary: int
    character: Character
    hole: tuple[float, float, float, float] | None = None  # (x0, y0, x1, y1) left empty


@dataclass
class PartnershipParams(StructureParams):
    """What every generated landscape of England starts with: structures, and grades."""

    grade_fsm_correlation: float = 0.2  # assumption: more deprived schools get somewhat worse grades

    def __post_init__(self) -> None:
        super().__post_init__()
        check("landscape.grade_fsm_correlation", self.grade_fsm_correlation,
              0 <= self.grade_fsm_correlation < 1, "a number in [0, 1)")


class England(Landscape):
    """A whole synthetic England: its nine regions, ~16,800 primaries and ~3,450 secondaries."""

    @dataclass
    class Params(PartnershipParams):
        scale: float = 1.0  # share of England to generate: each region's schools and area scale by it

        def __post_init__(self) -> None:
            super().__post_init__()
            check("landscape.scale", self.scale, 0 < self.scale <= 1,
                  "a share of England in (0, 1]; 1 is all of it")
            check("landscape.scale", self.scale, self.scale * (N_PRIMARY + N_SECONDARY) >= 100,
                  f"at least {100 / (N_PRIMARY + N_SECONDARY):.3f} (100 schools)")

    def areas(self) -> list[Area]:
        """The nine regions laid out as rectangles of their areas in three rows, north to south."""
        scale = self.p.scale
        by_name = {r.name: r for r in REGIONS}
        area = {r.name: r.area_km2 * scale for r in REGIONS}
        area["South East"] += area["London"]  # London is cut out of the South East's rectangle
        width = np.sqrt(sum(r.area_km2 for r in REGIONS) * scale)
        areas = []
        y_top = sum(sum(area[n] for n in row) / width for row in ROWS)
        for row in ROWS:
            height = sum(area[n] for n in row) / width
            y_top -= height
            x = 0.0
            for name in row:
                w = area[name] / height
                areas.append(self._area(by_name[name], x, y_top, w, height))
                if name == "South East":
                    side = np.sqrt(area["London"])
                    hole = (x + w - side, y_top + height - side, x + w, y_top + height)
                    areas[-1].hole = hole
                    areas.append(self._area(by_name["London"], hole[0], hole[1], side, side))
                x += w
        return areas

    def _area(self, region: RegionSpec, x0, y0, width, height) -> Area:
        n_primary = round(region.school_share * N_PRIMARY * self.p.scale)
        n_secondary = round(region.school_share * N_SECONDARY * self.p.scale)
        return Area(region.name, x0, y0, width, height, n_primary, n_secondary, region.character)

    def build(self, rng: np.random.Generator) -> SchoolTable:
        return generate(rng, self.areas(), self.p)


class Region(Landscape):
    """A smaller area with England's mix or an urban, rural or coastal character (``preset``)."""

    @dataclass
    class Params(PartnershipParams):
        preset: str = "average"  # average | urban | rural | coastal (see PRESETS)
        n_schools: int = 400  # assumption: about a large local authority

        def __post_init__(self) -> None:
            super().__post_init__()
            check("landscape.preset", self.preset, self.preset in PRESETS,
                  f"one of {', '.join(PRESETS)}")
            check("landscape.n_schools", self.n_schools, self.n_schools >= 10,
                  "an integer of at least 10")

    def areas(self) -> list[Area]:
        character = PRESETS[self.p.preset]
        n_secondary = round(self.p.n_schools * N_SECONDARY / (N_PRIMARY + N_SECONDARY))
        area_km2 = self.p.n_schools * character.km2_per_school
        # A coastal strip is twice as long as it is deep (assumption); other areas are square.
        width = np.sqrt(area_km2 * (2.0 if character.coastal else 1.0))
        return [Area(self.p.preset, 0.0, 0.0, width, area_km2 / width,
                     self.p.n_schools - n_secondary, n_secondary, character)]

    def build(self, rng: np.random.Generator) -> SchoolTable:
        return generate(rng, self.areas(), self.p)


# -- generation ---------------------------------------------------------------------------------
def generate(rng: np.random.Generator, areas: list[Area], p: PartnershipParams) -> SchoolTable:
    """Schools for every area, then grades and existing partnerships across them all."""
    parts = [_area_schools(rng, area) for area in areas]
    phase, x_km, y_km, rural, pupils, fsm = (np.concatenate([part[i] for part in parts])
                                             for i in range(6))
    n = len(phase)
    grade = grades(rng, fsm, p.grade_fsm_correlation)
    academy, partnerships = initial_structures(rng, phase, x_km, y_km, p)
    return SchoolTable(
        school_id=np.arange(1, n + 1, dtype=np.int64),
        phase=phase, x_km=x_km, y_km=y_km, rural=rural, pupils=pupils, fsm=fsm,
        grade=grade, initial_partnerships=partnerships, academy=academy,
    )


def region_of(areas: list[Area]) -> np.ndarray:
    """Each school's area name (schools are generated area by area, in order)."""
    return np.repeat([a.name for a in areas], [a.n_primary + a.n_secondary for a in areas])


def _area_schools(rng: np.random.Generator, area: Area):
    c = area.character
    phase = np.repeat(np.array([PRIMARY, SECONDARY], dtype=np.int8),
                      [area.n_primary, area.n_secondary])
    rural_share = np.where(phase == PRIMARY, c.rural_primary, c.rural_primary * RURAL_SECONDARY_RATIO)
    rural = rng.random(len(phase)) < rural_share
    x_km, y_km = _locations(rng, area, rural)
    pupils = pupils_on_roll(rng, phase, rural, c.size_factor)
    fsm = _fsm(rng, rural, pupils, c.fsm)
    return phase, x_km, y_km, rural, pupils, fsm


def _locations(rng: np.random.Generator, area: Area, rural: np.ndarray):
    """Rural schools spread evenly; urban ones around Zipf-sized towns (or evenly, all_urban)."""
    n = len(rural)
    xy = _uniform(rng, area, n)
    urban = np.flatnonzero(~rural)
    if len(urban) and not area.character.all_urban:
        n_towns = max(1, round(len(urban) / SCHOOLS_PER_TOWN))
        centres = _uniform(rng, area, n_towns, margin=0.05)
        if area.character.coastal:
            centres[:, 1] = area.y0 + rng.uniform(0, 0.1, n_towns) * area.height_km
        weight = 1.0 / np.arange(1, n_towns + 1)  # Zipf: the k-th town has 1/k of the first's schools
        town = rng.choice(n_towns, size=len(urban), p=weight / weight.sum())
        size = np.bincount(town, minlength=n_towns)
        spread = np.sqrt(size / (2 * np.pi * URBAN_SCHOOLS_PER_KM2))  # peak density as set
        xy[urban] = _inside(rng, area, centres[town], spread[town])
    return xy[:, 0].copy(), xy[:, 1].copy()


def _uniform(rng: np.random.Generator, area: Area, n: int, margin: float = 0.0) -> np.ndarray:
    """Points spread evenly over the area (outside its hole)."""
    xy = np.empty((n, 2))
    todo = np.arange(n)
    while len(todo):
        xy[todo, 0] = area.x0 + area.width_km * rng.uniform(margin, 1 - margin, len(todo))
        xy[todo, 1] = area.y0 + area.height_km * rng.uniform(margin, 1 - margin, len(todo))
        todo = todo[_in_hole(area, xy[todo])]
    return xy


def _inside(rng: np.random.Generator, area: Area, centre: np.ndarray, spread: np.ndarray):
    """Normal scatter around ``centre`` (SD ``spread`` km), redrawn until inside the area; on the
    coast, a point beyond the coastline is reflected inland."""
    xy = np.empty_like(centre)
    todo = np.arange(len(centre))
    for _ in range(50):
        xy[todo] = centre[todo] + rng.normal(size=(len(todo), 2)) * spread[todo, None]
        if area.character.coastal:
            xy[todo, 1] = area.y0 + np.abs(xy[todo, 1] - area.y0)
        outside = ((xy[todo, 0] < area.x0) | (xy[todo, 0] > area.x0 + area.width_km)
                   | (xy[todo, 1] < area.y0) | (xy[todo, 1] > area.y0 + area.height_km)
                   | _in_hole(area, xy[todo]))
        todo = todo[outside]
        if not len(todo):
            break
    xy[todo] = _uniform(rng, area, len(todo))  # the rare stragglers
    return xy


def _in_hole(area: Area, xy: np.ndarray) -> np.ndarray:
    if area.hole is None:
        return np.zeros(len(xy), dtype=bool)
    x0, y0, x1, y1 = area.hole
    return (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)


def _fsm(rng: np.random.Generator, rural, pupils, fsm_share: float) -> np.ndarray:
    """Schools' FSM shares (Beta) whose pupil-weighted mean is ``fsm_share`` in expectation."""
    weight = np.where(rural, FSM_RURAL_RATIO, 1.0)
    urban_mean = fsm_share * pupils.sum() / max(1e-9, (pupils * weight).sum())
    mean = np.clip(urban_mean * weight, 0.01, 0.95)
    return rng.beta(mean * FSM_CONCENTRATION, (1 - mean) * FSM_CONCENTRATION)


def grades(rng: np.random.Generator, fsm: np.ndarray, correlation: float) -> np.ndarray:
    """Last inspection grades in the national mix, worse where FSM is higher (Gaussian copula)."""
    n = len(fsm)
    rank = (np.argsort(np.argsort(fsm)) + 0.5) / n
    latent = correlation * norm.ppf(rank) + np.sqrt(1 - correlation**2) * rng.normal(size=n)
    cut = norm.ppf(np.cumsum(GRADE_SHARES)[:-1])  # latent: low is good
    return (np.searchsorted(cut, latent) + 1).astype(np.int8)
