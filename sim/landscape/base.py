"""What every landscape shares: its base class, pupils on roll, and grouping schools into the
partnerships that exist when a run starts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from sim.core.school_table import SchoolTable
from sim.core.vocabulary import PRIMARY

# Pupils on roll: log-normal, median x exp(sigma * z). Chosen so that primaries average ~275 with
# 12% under 100, 33% of rural and ~5% of urban primaries under 110 (RSN/CofE 2014), secondaries
# average ~1,060 (DfE 2023/24); see docs/landscapes.md for the generated figures.
PRIMARY_URBAN_MEDIAN, PRIMARY_URBAN_SIGMA = 270.0, 0.58
PRIMARY_RURAL_MEDIAN, PRIMARY_RURAL_SIGMA = 132.0, 0.50
SECONDARY_URBAN_MEDIAN, SECONDARY_RURAL_MEDIAN, SECONDARY_SIGMA = 1_000.0, 820.0, 0.35
MIN_PUPILS = 15.0  # assumption: the smallest open schools have about 15 pupils


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
                     n_near: int = 12, search_factor: float = 1.0) -> list[np.ndarray]:
    """Groups of near neighbours, one per requested size, each around a random free seed school.

    Schools already in a group (or not ``free``) are skipped: a group takes the free schools among
    the seed's ``max(n_near, 2 * size * search_factor)`` nearest (so a group may be smaller than
    asked), and one that cannot find two is left out. ``free`` is updated.
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
        want = min(n, max(n_near, round(2 * int(size) * search_factor)))
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
