"""What every landscape shares: the school table it returns, its base class, phases, and grouping
schools into the partnerships that exist when a run starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

from sim.config import check

if TYPE_CHECKING:
    import pandas as pd

PRIMARY, SECONDARY = 0, 1
PHASE_NAMES = np.array(["primary", "secondary"])
# Initial partnership kinds a landscape may declare (the model's kinds, see sim.partnerships).
INITIAL_KINDS = ("informal", "federation")

# Pupils on roll: log-normal, median x exp(sigma * z). Chosen so that primaries average ~275 with
# 12% under 100, 33% of rural and ~5% of urban primaries under 110 (RSN/CofE 2014), secondaries
# average ~1,060 (DfE 2023/24); see docs/landscapes.md for the generated figures.
PRIMARY_URBAN_MEDIAN, PRIMARY_URBAN_SIGMA = 270.0, 0.58
PRIMARY_RURAL_MEDIAN, PRIMARY_RURAL_SIGMA = 132.0, 0.50
SECONDARY_URBAN_MEDIAN, SECONDARY_RURAL_MEDIAN, SECONDARY_SIGMA = 1_000.0, 820.0, 0.35
MIN_PUPILS = 15.0  # assumption: the smallest open schools have about 15 pupils


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
    # What a landscape read from data imputed or skipped, one row per school and field (columns
    # school_id, line, field, action 'imputed' or 'skipped', value, reason); None for generated ones.
    notes: pd.DataFrame | None = None

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


def neighbour_groups(rng: np.random.Generator, x_km: np.ndarray, y_km: np.ndarray,
                     sizes: np.ndarray, free: np.ndarray | None = None,
                     n_near: int = 12) -> list[np.ndarray]:
    """Groups of near neighbours, one per requested size, each around a random seed school.

    Schools already in a group (or not ``free``) are skipped; a group that cannot find two free
    schools among the seed's ``max(n_near, 2 * size)`` nearest is left out. ``free`` is updated.
    The nearest neighbours of all schools are found in one vectorised query, so this is fast at
    national scale (20,000 schools).
    """
    n = len(x_km)
    free = np.ones(n, dtype=bool) if free is None else free
    if n < 2 or len(sizes) == 0:
        return []
    xy = np.column_stack([x_km, y_km])
    tree = cKDTree(xy)
    k = min(n, n_near)
    _, near_all = tree.query(xy, k=k)
    near_all = near_all.reshape(n, k)
    groups = []
    seeds = iter(rng.permutation(n))
    for size in sizes:
        for seed_school in seeds:
            if free[seed_school]:
                break
        else:
            break  # every school is taken
        want = min(n, max(n_near, 2 * int(size)))
        near = near_all[seed_school] if want <= k else tree.query(xy[seed_school], k=want)[1]
        members = near[free[near]][: int(size)]
        if len(members) < 2:
            continue
        free[members] = False
        groups.append(np.sort(members).astype(np.int64))
    return groups


def pupils_on_roll(rng: np.random.Generator, phase, rural, size_factor: float = 1.0) -> np.ndarray:
    """Pupils on roll of schools of the given phase and rurality (log-normal, as above)."""
    median = np.where(phase == PRIMARY,
                      np.where(rural, PRIMARY_RURAL_MEDIAN, PRIMARY_URBAN_MEDIAN),
                      np.where(rural, SECONDARY_RURAL_MEDIAN, SECONDARY_URBAN_MEDIAN))
    sigma = np.where(phase == PRIMARY, np.where(rural, PRIMARY_RURAL_SIGMA, PRIMARY_URBAN_SIGMA),
                     SECONDARY_SIGMA)
    pupils = median * size_factor * np.exp(sigma * rng.normal(size=len(phase)))
    return np.maximum(MIN_PUPILS, np.round(pupils))
