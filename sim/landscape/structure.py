"""The structures schools are in when a run starts, shared by the generated landscapes: academies
(by phase), multi-academy trusts (sizes from the national bins), federations of maintained schools
and informal clusters. Figures from docs/evidence.md unless marked as assumptions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check, check_share
from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.landscape.base import neighbour_groups

N_SCHOOLS_ENGLAND = 16_764 + 3_450  # state-funded primaries + secondaries, 2023/24 (DfE)
# Multi-academy trusts with 2+ schools by size (DfE via BESA, 2019): 598 have 2-5 schools, 259 have
# 6-11, 85 have 12-25, 29 have 26+. (The bins sum to 971 of the 1,170 trusts quoted; we use their
# proportions.) The largest bin's upper end, 60 schools, is an assumption. The latest official size
# mix in bins; drawn uniformly within bins its mean size and share under 10 schools are close to
# December 2023's and 2024's (tests/landscape/test_landscape.py checks this against evidence.md).
TRUST_SIZE_BINS = ((2, 5, 598), (6, 11, 259), (12, 25, 85), (26, 60, 29))
# 1,321 multi-academy trusts in December 2023 (DfE, written answer, 9 Jan 2024): the count nearest
# in time to the academy shares below (January 2025).
TRUSTS_PER_1000_SCHOOLS = 1_000 * 1_321 / N_SCHOOLS_ENGLAND


@dataclass
class StructureParams:
    """Config keys of the starting structures (shared by every generated landscape)."""

    academy_share_primary: float = 0.461  # Jan 2025: 46.1% of primaries are academies (DfE)
    academy_share_secondary: float = 0.83  # Jan 2025: 83% of secondaries are academies (DfE)
    trusts_per_1000_schools: float = round(TRUSTS_PER_1000_SCHOOLS, 1)  # 1,321 MATs (Dec 2023) / 20,214 schools (2023/24), DfE
    max_trust_share_of_area: float = 0.08  # assumption: one trust holds at most this share of an area's schools (a larger one lies partly outside it)
    federations_per_1000_schools: float = 25.0  # assumption: maintained-school federations of 2-3 schools
    informal_share: float = 0.3  # assumption: share of schools in an informal cluster of 3-6 (S2 policymaker lesson 7) at the start

    def __post_init__(self) -> None:
        check_share("landscape.academy_share_primary", self.academy_share_primary)
        check_share("landscape.academy_share_secondary", self.academy_share_secondary)
        check("landscape.trusts_per_1000_schools", self.trusts_per_1000_schools,
              0 <= self.trusts_per_1000_schools <= 150, "a number from 0 to 150")
        check("landscape.max_trust_share_of_area", self.max_trust_share_of_area,
              0 < self.max_trust_share_of_area <= 1, "a share in (0, 1]")
        check("landscape.federations_per_1000_schools", self.federations_per_1000_schools,
              0 <= self.federations_per_1000_schools <= 150, "a number from 0 to 150")
        check_share("landscape.informal_share", self.informal_share)


def trust_sizes(rng: np.random.Generator, n_trusts: int, n_schools: int,
                max_share: float) -> np.ndarray:
    """Trust sizes drawn from the national size bins, uniform within a bin, and capped for the
    area: a trust larger than ``max_share`` of its ``n_schools`` (at least 2) has only that many
    schools here, the rest of it being elsewhere in England. (A 300-school region at 0.08 holds at
    most 24 schools of one trust; England's tenth, 2,021 schools, is not capped.)"""
    low, high, count = (np.array(v) for v in zip(*TRUST_SIZE_BINS, strict=True))
    bin_ = rng.choice(len(count), size=n_trusts, p=count / count.sum())
    sizes = rng.integers(low[bin_], high[bin_] + 1)
    return np.minimum(sizes, max(2, int(max_share * n_schools)))


def academies(rng: np.random.Generator, phase: np.ndarray, p: StructureParams) -> np.ndarray:
    """Which schools are academies: the configured share of each phase, chosen at random."""
    academy = np.zeros(len(phase), dtype=bool)
    for code, share in ((PRIMARY, p.academy_share_primary), (SECONDARY, p.academy_share_secondary)):
        schools = np.flatnonzero(phase == code)
        academy[rng.choice(schools, size=round(share * len(schools)), replace=False)] = True
    return academy


def initial_structures(rng: np.random.Generator, phase: np.ndarray, x_km: np.ndarray,
                       y_km: np.ndarray, p: StructureParams
                       ) -> tuple[np.ndarray, list[tuple[np.ndarray, str]]]:
    """Academies, then trusts of near academies (largest first; the academies left over are
    single-academy trusts), federations of 2-3 near maintained schools, and informal clusters of
    3-6 that may include schools of a trust or federation (a school may be in several, S2 lesson 9).
    Returns (academy, initial partnerships)."""
    n = len(phase)
    academy = academies(rng, phase, p)
    sizes = np.sort(trust_sizes(rng, round(p.trusts_per_1000_schools * n / 1000), n,
                                p.max_trust_share_of_area))[::-1]
    # Only academies are free to join a trust: look further for them than for any school.
    search = 3 / max(academy.mean(), 0.05)
    trusts = neighbour_groups(rng, x_km, y_km, sizes, free=academy.copy(), search_factor=search)
    federation_sizes = rng.integers(2, 4, size=round(p.federations_per_1000_schools * n / 1000))
    federations = neighbour_groups(rng, x_km, y_km, federation_sizes, free=~academy)
    cluster_sizes = rng.integers(3, 7, size=round(p.informal_share * n / 4.5))  # mean 4.5
    informal = neighbour_groups(rng, x_km, y_km, cluster_sizes)
    return academy, ([(m, "trust") for m in trusts] + [(m, "federation") for m in federations]
                     + [(m, "informal") for m in informal])
