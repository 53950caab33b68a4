"""Landscapes: the schools a run starts from, either generated or loaded.

A landscape is a class with a ``Params`` dataclass (its config keys) and ``build(rng)`` returning a
``SchoolTable``. ``conf/landscape/*.yaml`` picks one with ``_target_``, exactly as rules are picked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config import check, check_non_negative, check_positive, check_share

PRIMARY, SECONDARY = 0, 1
PHASE_NAMES = np.array(["primary", "secondary"])
# Initial partnership kinds a landscape may declare (the model's kinds, see sim.partnerships).
INITIAL_KINDS = ("informal", "federation")


@dataclass
class SchoolTable:
    """The schools at the start of a run, one entry per school in each array."""

    school_id: np.ndarray  # int64, e.g. a URN
    phase: np.ndarray  # int8: 0 primary, 1 secondary
    x_km: np.ndarray
    y_km: np.ndarray
    rural: np.ndarray  # bool
    pupils: np.ndarray  # float64, pupils on roll
    fsm: np.ndarray  # share of pupils eligible for free school meals
    grade: np.ndarray  # int8: last inspection grade 1 outstanding .. 4 inadequate; 0 unknown
    initial_partnerships: list[tuple[np.ndarray, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.school_id)
        for name in ("phase", "x_km", "y_km", "rural", "pupils", "fsm", "grade"):
            check(f"landscape.{name}", f"{len(getattr(self, name))} values",
                  len(getattr(self, name)) == n, f"one value per school ({n})")
        check("landscape.n_schools", n, n >= 2, "at least 2 schools")
        for members, kind in self.initial_partnerships:
            check("landscape.initial_partnerships", kind, kind in INITIAL_KINDS, str(INITIAL_KINDS))
            check("landscape.initial_partnerships", list(members), len(members) >= 2,
                  "at least 2 member schools")

    @property
    def n(self) -> int:
        return len(self.school_id)


class Landscape:
    """Base class of landscape builders: subclasses define ``Params`` and ``build``."""

    @dataclass
    class Params:
        pass

    def __init__(self, params: Params) -> None:
        self.p = params

    def build(self, rng: np.random.Generator) -> SchoolTable:
        raise NotImplementedError


class SyntheticRegion(Landscape):
    """A made-up region with England's mix of phases, sizes, disadvantage and rurality.

    Urban schools sit around towns whose sizes follow a Zipf-like law; rural schools are spread
    evenly. Sizes and free-school-meal shares follow ../shared/evidence.md (see docs/ODD.md).
    """

    @dataclass
    class Params:
        n_schools: int = 300
        share_secondary: float = 0.17  # 3,450 of ~20,200 state-funded schools (DfE 2023/24)
        share_rural: float = 0.27  # ~27% of schools rural (Rural Services Network / CofE 2014)
        area_km2_per_school: float = 6.5  # England: ~130,000 km2 / ~20,200 schools
        schools_per_town: float = 60.0  # assumption: sets how many towns the region has
        town_spread_km: float = 3.0  # assumption: spread of a town's schools around its centre
        fsm_mean: float = 0.246  # DfE 2024
        fsm_rural_mean: float = 0.17  # assumption: rural catchments less deprived than urban
        fsm_concentration: float = 8.0  # assumption: Beta a+b, sets the spread between schools
        initial_partnership_share: float = 0.5  # assumption: most schools work with others (MATs, alliances, clusters)
        initial_federation_share: float = 0.4  # assumption: of those partnerships, formal ones

        def __post_init__(self) -> None:
            check("landscape.n_schools", self.n_schools, self.n_schools >= 2,
                  "an integer of at least 2")
            check_share("landscape.share_secondary", self.share_secondary)
            check_share("landscape.share_rural", self.share_rural)
            check_positive("landscape.area_km2_per_school", self.area_km2_per_school)
            check_positive("landscape.schools_per_town", self.schools_per_town)
            check_non_negative("landscape.town_spread_km", self.town_spread_km)
            for name in ("fsm_mean", "fsm_rural_mean"):
                value = getattr(self, name)
                check(f"landscape.{name}", value, 0 < value < 1, "a share strictly between 0 and 1")
            check_positive("landscape.fsm_concentration", self.fsm_concentration)
            check_share("landscape.initial_partnership_share", self.initial_partnership_share)
            check_share("landscape.initial_federation_share", self.initial_federation_share)

    def build(self, rng: np.random.Generator) -> SchoolTable:
        p = self.p
        n = p.n_schools
        phase = np.where(rng.random(n) < p.share_secondary, SECONDARY, PRIMARY).astype(np.int8)
        rural = rng.random(n) < p.share_rural
        x_km, y_km = self._locations(rng, rural)
        return SchoolTable(
            school_id=np.arange(1, n + 1, dtype=np.int64),
            phase=phase,
            x_km=x_km,
            y_km=y_km,
            rural=rural,
            pupils=self._pupils(rng, phase, rural),
            fsm=self._fsm(rng, rural),
            grade=np.zeros(n, dtype=np.int8),
            initial_partnerships=self._initial_partnerships(rng, x_km, y_km),
        )

    def _locations(self, rng: np.random.Generator, rural: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(rural)
        side_km = np.sqrt(n * self.p.area_km2_per_school)
        n_towns = max(1, round(n / self.p.schools_per_town))
        towns = rng.uniform(0.1 * side_km, 0.9 * side_km, size=(n_towns, 2))
        town_weight = 1.0 / np.arange(1, n_towns + 1)  # Zipf-like town sizes
        town = rng.choice(n_towns, size=n, p=town_weight / town_weight.sum())
        spread = self.p.town_spread_km * np.sqrt(town_weight[town] / town_weight[0]) ** 0.5
        urban_xy = towns[town] + rng.normal(size=(n, 2)) * spread[:, None] * 2.0
        rural_xy = rng.uniform(0, side_km, size=(n, 2))
        xy = np.clip(np.where(rural[:, None], rural_xy, urban_xy), 0, side_km)
        return xy[:, 0].copy(), xy[:, 1].copy()

    @staticmethod
    def _pupils(rng: np.random.Generator, phase: np.ndarray, rural: np.ndarray) -> np.ndarray:
        # Medians and spreads chosen so that: primary mean ~ 275, 5% of urban and 33% of rural
        # primaries under 110 pupils (RSN/CofE 2014), secondary mean ~ 1,060 (DfE 2023/24).
        median = np.where(phase == PRIMARY, np.where(rural, 137.0, 260.0),
                          np.where(rural, 800.0, 1000.0))
        sigma = np.where(phase == PRIMARY, np.where(rural, 0.5, 0.52), 0.35)
        return np.maximum(15.0, np.round(median * np.exp(sigma * rng.normal(size=len(phase)))))

    def _fsm(self, rng: np.random.Generator, rural: np.ndarray) -> np.ndarray:
        p = self.p
        share_rural = rural.mean() if len(rural) else 0.0
        urban_mean = (p.fsm_mean - share_rural * p.fsm_rural_mean) / max(1e-9, 1 - share_rural)
        mean = np.clip(np.where(rural, p.fsm_rural_mean, urban_mean), 0.01, 0.99)
        a = mean * p.fsm_concentration
        b = (1 - mean) * p.fsm_concentration
        return np.clip(rng.beta(a, b), 0.0, 1.0)

    def _initial_partnerships(self, rng: np.random.Generator, x_km: np.ndarray,
                              y_km: np.ndarray) -> list[tuple[np.ndarray, str]]:
        """Small groups of near neighbours, as existing clusters, federations and trusts."""
        from scipy.spatial import cKDTree

        n = len(x_km)
        target = round(self.p.initial_partnership_share * n)
        free = np.ones(n, dtype=bool)
        tree = cKDTree(np.column_stack([x_km, y_km]))
        partnerships: list[tuple[np.ndarray, str]] = []
        placed = 0
        for seed_school in rng.permutation(n):
            if placed >= target:
                break
            if not free[seed_school]:
                continue
            size = int(rng.integers(2, 5))  # 2-4 schools: most trusts are small (DfE via BESA)
            _, near = tree.query([x_km[seed_school], y_km[seed_school]], k=min(n, 12))
            members = [i for i in np.atleast_1d(near) if free[i]][:size]
            if len(members) < 2:
                continue
            free[members] = False
            placed += len(members)
            kind = "federation" if rng.random() < self.p.initial_federation_share else "informal"
            partnerships.append((np.array(members, dtype=np.int64), kind))
        return partnerships
