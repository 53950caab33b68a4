"""School state: one numpy array per attribute, indexed by school (Starsim-style declared state)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.stats import norm

from sim.core.school_table import SchoolTable
from sim.core.vocabulary import (
    GRADE_SHARES,
    HEAD_IN_POST,
    PRIMARY,
    QUALITY_SD,
    SMALL_PRIMARY_PUPILS,
)

N_NEIGHBOURS = 24  # nearest schools each school knows of: candidates for partners and for competition


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
        self.inspection_interval = np.zeros(n)  # years to the next inspection, drawn at each (Accountability)
        self.head = np.full(n, HEAD_IN_POST, dtype=np.int8)
        self.head_left_now = np.zeros(n, dtype=bool)  # the head left during this step (PER_STEP)
        self.graded_inadequate_now = np.zeros(n, dtype=bool)  # inspected and graded 4 this step (PER_STEP)
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

        # Who knows whom: each school's nearest schools, their distances and past joint work.
        k = min(N_NEIGHBOURS, n - 1)
        tree = cKDTree(np.column_stack([self.x_km, self.y_km]))
        dist, idx = tree.query(np.column_stack([self.x_km, self.y_km]), k=k + 1)
        # Drop each school itself (not always first when two schools share a location).
        others = np.argsort(idx == np.arange(n)[:, None], axis=1, kind="stable")[:, :k]
        self.neighbours = np.take_along_axis(idx, others, axis=1).astype(np.int64)
        self.neighbour_km = np.take_along_axis(dist, others, axis=1)
        self.ties = np.zeros((n, k))  # strength of past joint work with each neighbour, 0-1

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

    def distance_km(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Straight-line distance between schools ``a`` and ``b``."""
        return np.hypot(self.x_km[a] - self.x_km[b], self.y_km[a] - self.y_km[b])

    def record_ties(self, a: np.ndarray, b: np.ndarray, strength: np.ndarray) -> None:
        """Remember that pairs ``a[i]``, ``b[i]`` worked together (where they are neighbours)."""
        x, y = np.concatenate([a, b]), np.concatenate([b, a])  # both directions
        match = self.neighbours[x] == y[:, None]
        known = match.any(axis=1)
        slot = match.argmax(axis=1)
        np.maximum.at(self.ties, (x[known], slot[known]), np.concatenate([strength, strength])[known])
