"""School state: one numpy array per attribute, indexed by school (Starsim-style declared state)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree
from scipy.stats import norm

from sim.core.school_table import SchoolTable
from sim.core.vocabulary import (
    GRADE_SHARES,
    HEAD_IN_POST,
    PHASE_NAMES,
    PRIMARY,
    QUALITY_SD,
    REPORT_CARD_AREAS,
    SMALL_PRIMARY_PUPILS,
)


def expand_ranges(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The positions ``start[0]..stop[0]-1``, then ``start[1]..stop[1]-1``, ... as one array."""
    length = stop - start
    total = int(length.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offset = np.repeat(start - np.cumsum(length) + length, length)
    return offset + np.arange(total)


class Neighbours:
    """For each school, the other schools within a search radius: a sparse (CSR) table.

    School ``i``'s neighbours are ``index[ptr[i]:ptr[i + 1]]``, in ascending order, at distances
    ``km`` (float32). Built from radius queries on a k-d tree, so its size follows the schools
    within reach (hundreds in a city, a few in the countryside), not a fixed count."""

    def __init__(self, n: int, a: np.ndarray, b: np.ndarray, km: np.ndarray) -> None:
        """From entries: ``b[i]`` is a neighbour of ``a[i]``, ``km[i]`` away."""
        # scipy orders the entries (by school, then neighbour); each entry carries its position
        # + 1 as its value (a distance may be 0, which a sparse matrix would not keep).
        m = len(a)
        table = csr_matrix((np.arange(1, m + 1, dtype=np.int32 if m < 2**31 else np.int64), (a, b)),
                           shape=(n, n))
        table.sort_indices()
        self.index = table.indices.astype(np.int32, copy=False)
        self.km = km.astype(np.float32, copy=False)[table.data - 1]
        self.ptr = table.indptr.astype(np.int64)

    def count(self) -> np.ndarray:
        """Number of neighbours of each school."""
        return np.diff(self.ptr)

    def of(self, school: int) -> tuple[np.ndarray, np.ndarray]:
        """(neighbours, km) of one school."""
        span = slice(self.ptr[school], self.ptr[school + 1])
        return self.index[span], self.km[span]

    def entries(self, schools: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(school, position in ``index``/``km``) of every neighbour entry of ``schools``, school
        by school: what a per-entry array (e.g. a score per school and neighbour) is indexed by."""
        start, stop = self.ptr[schools], self.ptr[schools + 1]
        return np.repeat(schools, stop - start), expand_ranges(start, stop)


class SchoolState:
    """All school attributes the rules compute on, as arrays of length ``n``.

    Units: ``outcome`` and ``gap`` in months of progress (outcome relative to the national mean at
    the start); ``talent``, ``capacity`` and ``head_ability`` on a 0-1 scale; times in years.
    """

    # Events of the current step only: the model clears them at the start of every step, so they
    # never outlive their step whichever rules are switched on.
    PER_STEP = ("head_left_now", "graded_inadequate_now")

    def __init__(self, table: SchoolTable, rng: np.random.Generator, t_start: float = 0.0) -> None:
        n = table.n
        self.n = n
        # Fixed characteristics
        self.school_id = table.school_id.copy()
        self.phase = table.phase.astype(np.int8)
        self.x_km = table.x_km.astype(float)
        self.y_km = table.y_km.astype(float)
        self.rural = table.rural.astype(bool)
        self.fsm = table.fsm.astype(float)
        self.ethos = rng.random(n)  # assumption: shared values / priorities as one 0-1 trait (S1, S4)
        self.pupils = table.pupils.astype(float)
        self.academy = table.academy.astype(bool)  # kept once converted (sim.rules.trusts)

        # Accountability standing: a known grade is kept; an unknown one is drawn from the mix.
        grade = table.grade.astype(np.int8)
        unknown = grade == 0
        grade[unknown] = rng.choice(np.arange(1, 5), size=int(unknown.sum()), p=GRADE_SHARES)
        self.grade = grade
        # Latent quality consistent with the grade: a draw from its slice of a standard normal.
        # (Landscapes that set grades, e.g. england and region, link them to FSM.)
        upper = norm.ppf(1 - np.concatenate([[0.0], np.cumsum(GRADE_SHARES)])[:-1])
        lower = norm.ppf(1 - np.cumsum(GRADE_SHARES))
        u = rng.random(n)
        q = norm.ppf(norm.cdf(lower[grade - 1]) + u * (norm.cdf(upper[grade - 1]) - norm.cdf(lower[grade - 1])))
        q = np.clip(q, -4, 4)
        self.head_ability = np.clip(0.5 + QUALITY_SD * (0.8 * q + 0.6 * rng.normal(size=n)), 0.05, 0.95)
        self.capacity = self.head_ability.copy()
        self.talent = np.clip(0.5 + QUALITY_SD * (0.8 * q + 0.6 * rng.normal(size=n)), 0.05, 0.95)
        self.outcome = np.zeros(n)  # set by the improvement rule's setup
        self.gap = np.zeros(n)
        self.outcome_at_inspection = np.zeros(n)
        self.perceived_outcome = np.zeros(n)
        self.intake_months = np.zeros(n)  # outcome the intake's disadvantage predicts (set by Improvement)

        self.t_inspected = t_start - rng.random(n) * 4.0  # last inspection, spread over a cycle
        self.interval_draw = np.ones(n)  # next inspection interval relative to the policy's, drawn at each (Accountability)
        # When the school opened in its present legal form: a sponsored academy is a new school,
        # first inspected some years after opening (Accountability). Schools start as opened
        # before their last inspection (only that order matters).
        self.opened_years = self.t_inspected - 1.0
        self.head = np.full(n, HEAD_IN_POST, dtype=np.int8)
        self.head_left_now = np.zeros(n, dtype=bool)  # the head left during this step (PER_STEP)
        self.graded_inadequate_now = np.zeros(n, dtype=bool)  # inspected and graded 4 this step (PER_STEP)
        # Report cards (Accountability): the point, 1 exceptional .. 5 urgent improvement, in each
        # area of REPORT_CARD_AREAS (0: no report card yet), and whether safeguarding was met.
        self.area_grade = np.zeros((n, len(REPORT_CARD_AREAS)), dtype=np.int8)
        self.safeguarding_met = np.ones(n, dtype=bool)
        # Consecutive inspections below the standard (below good; under report cards, needs
        # attention or worse in leadership or achievement, or safeguarding not met): 2 = "stuck".
        self.inspections_below_standard = np.zeros(n, dtype=np.int8)
        self.executive_lead = np.full(n, -1, dtype=np.int64)  # school whose head covers this one
        self.n_led = np.zeros(n, dtype=np.int64)  # other schools this school's head leads

        # Derived each step by the rules
        self.need = np.zeros(n)
        self.pressure = np.zeros(n)
        self.inward = np.zeros(n)  # how far the accountability regime turns the school inward, 0-1
        self.time_away = np.zeros(n)  # share of leadership time spent away from the school
        self.executive_time = np.zeros(n)  # of which: an executive head leading other schools
        self.n_partnerships = np.zeros(n, dtype=np.int64)
        self.n_past_partnerships = np.zeros(n, dtype=np.int64)  # history (S2 lesson 1)

        # Where schools are (a k-d tree for radius queries) and who worked with whom: each
        # school's past partners, however far away (slots filled from the left, -1 empty; the
        # table widens when a school has more), and the strength of that past work, 0-1.
        self.tree = cKDTree(np.column_stack([self.x_km, self.y_km]))
        self.tie_partner = np.full((n, 4), -1, dtype=np.int32)
        self.ties = np.zeros((n, 4))

    def clear_per_step(self) -> None:
        """Reset the ``PER_STEP`` events (called by the model as each step starts)."""
        for name in self.PER_STEP:
            getattr(self, name).fill(0)

    @property
    def small(self) -> np.ndarray:
        """Small primaries (under 110 pupils)."""
        return (self.phase == PRIMARY) & (self.pupils < SMALL_PRIMARY_PUPILS)

    @property
    def struggling(self) -> np.ndarray:
        """Schools last graded requires improvement or inadequate."""
        return self.grade >= 3

    @property
    def stuck(self) -> np.ndarray:
        """Schools "stuck": their last two inspections below the standard (the DfE's definition:
        the latest requires improvement or worse and the one before also below good)."""
        return self.inspections_below_standard >= 2

    def distance_km(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Straight-line distance between schools ``a`` and ``b``."""
        return np.hypot(self.x_km[a] - self.x_km[b], self.y_km[a] - self.y_km[b])

    def near(self, school: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """(other schools, km) within ``radius_km`` of ``school``, nearest first."""
        return self.nearest_first(school, self.within(school, radius_km))

    def within(self, school: int, radius_km: float) -> np.ndarray:
        """Other schools within ``radius_km`` of ``school``, in the spatial index's order: to
        filter before ``nearest_first`` (cheaper than ``near`` when few of them qualify)."""
        found = self.tree.query_ball_point(self.tree.data[school], radius_km)
        found = np.fromiter(found, dtype=np.int64, count=len(found))  # faster than asarray
        return found[found != school]

    def nearest_first(self, school: int, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(``others``, their km from ``school``), nearest first; equal distances keep the order
        of ``others``, so filtering ``within``'s schools first gives ``near``'s order."""
        km = self.distance_km(np.full(len(others), school), others)
        order = np.argsort(km, kind="stable")
        return others[order], km[order]

    def neighbour_table(self, radius_km_by_phase: dict[int, float],
                        cross_phase_km: float | None = None) -> Neighbours:
        """Each school's neighbours: schools of its own phase within that phase's radius, and
        (with ``cross_phase_km``) schools of another phase within that radius."""
        xy, a, b = self.tree.data, [], []
        for phase, radius in radius_km_by_phase.items():
            members = np.flatnonzero(self.phase == phase).astype(np.int32)
            if radius > 0 and len(members) > 1:
                pairs = cKDTree(xy[members]).query_pairs(radius, output_type="ndarray")
                a.append(members[pairs[:, 0]])
                b.append(members[pairs[:, 1]])
        if cross_phase_km is not None and cross_phase_km > 0:
            for first in range(len(PHASE_NAMES)):
                for second in range(first + 1, len(PHASE_NAMES)):
                    m1 = np.flatnonzero(self.phase == first).astype(np.int32)
                    m2 = np.flatnonzero(self.phase == second).astype(np.int32)
                    if len(m1) and len(m2):
                        pairs = cKDTree(xy[m1]).sparse_distance_matrix(
                            cKDTree(xy[m2]), cross_phase_km, output_type="ndarray")
                        a.append(m1[pairs["i"]])
                        b.append(m2[pairs["j"]])
        a = np.concatenate(a) if a else np.zeros(0, dtype=np.int32)
        b = np.concatenate(b) if b else np.zeros(0, dtype=np.int32)
        km = self.distance_km(a, b).astype(np.float32)
        return Neighbours(self.n, np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([km, km]))

    def nearest_of_phase(self, k: int, radius_km_by_phase: dict[int, float]) -> Neighbours:
        """Each school's ``k`` nearest other schools of its own phase within that phase's radius."""
        a, b = [], []
        for phase, radius in radius_km_by_phase.items():
            members = np.flatnonzero(self.phase == phase)
            if len(members) < 2 or k < 1:
                continue
            xy = self.tree.data[members]
            bound = np.nextafter(radius, np.inf)  # within the radius, inclusive (as query_pairs)
            _, found = cKDTree(xy).query(xy, k=min(k + 1, len(members)), distance_upper_bound=bound)
            own = np.arange(len(members))[:, None]
            # Drop each school itself (not always first when two schools share a location) and
            # the places of missing neighbours (index len(members)); keep the k nearest.
            keep = (found != own) & (found < len(members))
            keep &= np.cumsum(keep, axis=1) <= k
            a.append(np.broadcast_to(members[:, None], found.shape)[keep])
            b.append(members[found[keep]])
        a = np.concatenate(a) if a else np.zeros(0, dtype=np.int64)
        b = np.concatenate(b) if b else np.zeros(0, dtype=np.int64)
        return Neighbours(self.n, a, b, self.distance_km(a, b))

    def record_ties(self, a: np.ndarray, b: np.ndarray, strength: np.ndarray) -> None:
        """Remember that pairs ``a[i]``, ``b[i]`` worked together (the strongest work counts)."""
        x = np.concatenate([a, b]).astype(np.int64)  # both directions
        y = np.concatenate([b, a]).astype(np.int64)
        strength = np.concatenate([strength, strength]).astype(float)
        order = np.lexsort((-strength, y, x))  # each pair's strongest first
        x, y, strength = x[order], y[order], strength[order]
        first = np.concatenate([[True], (x[1:] != x[:-1]) | (y[1:] != y[:-1])])
        x, y, strength = x[first], y[first], strength[first]
        match = self.tie_partner[x] == y[:, None]
        known = match.any(axis=1)
        slot = match.argmax(axis=1)
        self.ties[x[known], slot[known]] = np.maximum(self.ties[x[known], slot[known]], strength[known])
        x, y, strength = x[~known], y[~known], strength[~known]  # new past partners, by school
        if len(x) == 0:
            return
        run_start = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]]))
        rank = np.arange(len(x)) - np.repeat(run_start, np.diff(np.append(run_start, len(x))))
        slot = (self.tie_partner[x] >= 0).sum(axis=1) + rank
        width = self.tie_partner.shape[1]
        if slot.max() >= width:
            extra = -(-(int(slot.max()) + 1 - width) // 8) * 8  # to the next multiple of 8 slots
            self.tie_partner = np.pad(self.tie_partner, ((0, 0), (0, extra)), constant_values=-1)
            self.ties = np.pad(self.ties, ((0, 0), (0, extra)))
        self.tie_partner[x, slot] = y
        self.ties[x, slot] = strength

    def ties_of(self, schools: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(school, past partner, strength) of every remembered tie of ``schools``, school by school."""
        partner = self.tie_partner[schools]
        known = partner >= 0
        return (np.repeat(schools, known.sum(axis=1)), partner[known].astype(np.int64),
                self.ties[schools][known])

    def pair_tie(self, a: int, b: int) -> float:
        """``tie`` of one pair, in plain Python (a school's past partners fill a few slots, each
        at most once): cheaper than ``tie`` on one-element arrays, for per-partnership loops."""
        partners = self.tie_partner[a].tolist()
        return float(self.ties[a, partners.index(b)]) if b in partners else 0.0

    def tie(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Strength of past joint work of each pair ``a[i]``, ``b[i]`` (0 if none)."""
        match = self.tie_partner[np.asarray(a)] == np.asarray(b)[:, None]
        return (self.ties[np.asarray(a)] * match).sum(axis=1)
