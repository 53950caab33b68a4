"""``landscape=synthetic``: a made-up region whose mix is set by a handful of knobs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check, check_non_negative, check_positive, check_share
from sim.core.school_table import SchoolTable
from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.landscape.base import Landscape, pupils_on_roll
from sim.landscape.structure import StructureParams, initial_structures


class SyntheticRegion(Landscape):
    """A made-up region with England's mix of phases, sizes, disadvantage and rurality.

    Urban schools sit around towns whose sizes follow a Zipf-like law; rural schools are spread
    evenly. Sizes and free-school-meal shares follow ../shared/evidence.md (see docs/ODD.md).
    """

    @dataclass
    class Params(StructureParams):
        n_schools: int = 300
        share_secondary: float = 0.17  # 3,450 of ~20,200 state-funded schools (DfE 2023/24)
        share_rural: float = 0.27  # ~27% of schools rural (Rural Services Network / CofE 2014)
        area_km2_per_school: float = 6.5  # England: ~130,000 km2 / ~20,200 schools
        schools_per_town: float = 60.0  # assumption: sets how many towns the region has
        town_spread_km: float = 3.0  # assumption: spread of a town's schools around its centre
        fsm_mean: float = 0.246  # DfE 2024
        fsm_rural_mean: float = 0.17  # assumption: rural catchments less deprived than urban
        fsm_concentration: float = 8.0  # assumption: Beta a+b, sets the spread between schools

        def __post_init__(self) -> None:
            super().__post_init__()
            check("landscape.n_schools", self.n_schools, self.n_schools >= 2,
                  "an integer of at least 2")
            check_share("landscape.share_secondary", self.share_secondary)
            check_share("landscape.share_rural", self.share_rural)
            check_positive("landscape.area_km2_per_school", self.area_km2_per_school)
            check("landscape.schools_per_town", self.schools_per_town, self.schools_per_town >= 1,
                  "a number >= 1 (a town has at least one school)")
            check_non_negative("landscape.town_spread_km", self.town_spread_km)
            for name in ("fsm_mean", "fsm_rural_mean"):
                value = getattr(self, name)
                check(f"landscape.{name}", value, 0 < value < 1, "a share strictly between 0 and 1")
            check_positive("landscape.fsm_concentration", self.fsm_concentration)

    def build(self, rng: np.random.Generator) -> SchoolTable:
        p = self.p
        n = p.n_schools
        phase = np.where(rng.random(n) < p.share_secondary, SECONDARY, PRIMARY).astype(np.int8)
        rural = rng.random(n) < p.share_rural
        x_km, y_km = self._locations(rng, rural)
        pupils, fsm = pupils_on_roll(rng, phase, rural), self._fsm(rng, rural)
        academy, partnerships = initial_structures(rng, phase, x_km, y_km, self.p)
        return SchoolTable(
            school_id=np.arange(1, n + 1, dtype=np.int64),
            phase=phase,
            x_km=x_km,
            y_km=y_km,
            rural=rural,
            pupils=pupils,
            fsm=fsm,
            grade=np.zeros(n, dtype=np.int8),
            initial_partnerships=partnerships,
            academy=academy,
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

    def _fsm(self, rng: np.random.Generator, rural: np.ndarray) -> np.ndarray:
        p = self.p
        share_rural = rural.mean() if len(rural) else 0.0
        urban_mean = (p.fsm_mean - share_rural * p.fsm_rural_mean) / max(1e-9, 1 - share_rural)
        mean = np.clip(np.where(rural, p.fsm_rural_mean, urban_mean), 0.01, 0.99)
        a = mean * p.fsm_concentration
        b = (1 - mean) * p.fsm_concentration
        return np.clip(rng.beta(a, b), 0.0, 1.0)
