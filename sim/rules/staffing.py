"""Staffing: headteacher and teacher turnover and recruitment (BRIEF process 6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check_non_negative, check_positive, check_share
from sim.core.vocabulary import HEAD_EXECUTIVE, HEAD_IN_POST, HEAD_VACANT, QUALITY_SD
from sim.rules import RELEASE_EXECUTIVE_WRITES, Rule, occurs, ou_noise, relax


class Staffing(Rule):
    """Heads leave and posts fall vacant; vacancies are filled, worse for small, rural and
    struggling schools (S2 LA lesson 3). Teachers turn over toward the quality of the recruits a
    school can attract; capacity follows the leadership the school has, with a lag."""

    phase = "staffing"
    summary = (
        "Heads leave (more in struggling schools) and vacancies are filled, slower and with "
        "weaker recruits in small, rural and struggling schools (S2 LA 3); capacity relaxes "
        "toward the leadership in place (head, interim, or executive head); teaching quality "
        "relaxes toward the quality of recruits with turnover, plus in-house development and "
        "noise.")
    reads = (
        "schools.phase", "schools.pupils", "schools.rural", "schools.grade", "schools.head",
        "schools.head_left_now", "schools.executive_lead", "schools.head_ability",
        "schools.capacity", "schools.talent")
    writes = (
        "schools.head", "schools.head_left_now", "schools.head_ability", "schools.capacity",
        "schools.talent", *RELEASE_EXECUTIVE_WRITES)

    @dataclass
    class Params:
        head_turnover_per_year: float = 0.10  # DfE, School leadership retention 2024 (~10% a year)
        rel_head_turnover_struggling: float = 1.5  # assumption: heads of RI/inadequate schools leave more
        vacancy_fill_per_year: float = 2.0  # assumption: a post stays open ~6 months on average
        rel_fill_small: float = 0.5  # assumption on size, direction from S2 LA lesson 3
        rel_fill_rural: float = 0.7  # assumption on size, direction from S2 LA lesson 3
        rel_fill_struggling: float = 0.5  # assumption on size, direction from S2 LA lesson 3
        recruit_penalty: float = 0.04  # assumption: lower head / teacher quality per disadvantage (small, rural, struggling)
        vacancy_capacity: float = 0.3  # assumption: capacity an interim leadership sustains, 0-1
        capacity_lag_years: float = 2.0  # assumption: time for capacity to follow a change of head
        executive_share: float = 1.0  # assumption: an executive head brings the lead's ability ("spreads capacity", BRIEF process 8)
        teacher_turnover_per_year: float = 0.10  # DfE school workforce census (~10% leave or move)
        rel_teacher_turnover_urban: float = 1.15  # Inner London 12-15% vs North East ~8% (DfE)
        cpd_gain: float = 0.02  # assumption: yearly talent growth per unit of capacity above 0.5
        talent_noise_sd: float = 0.10  # assumption: lasting spread between schools from who joins or leaves

        def __post_init__(self) -> None:
            for name in ("head_turnover_per_year", "vacancy_fill_per_year",
                         "teacher_turnover_per_year", "cpd_gain", "talent_noise_sd",
                         "recruit_penalty", "rel_head_turnover_struggling",
                         "rel_teacher_turnover_urban"):
                check_non_negative(name, getattr(self, name))
            for name in ("rel_fill_small", "rel_fill_rural", "rel_fill_struggling",
                         "vacancy_capacity", "executive_share"):
                check_share(name, getattr(self, name))
            check_positive("capacity_lag_years", self.capacity_lag_years)

    def step(self, model) -> None:
        p, s, dt, n = self.p, model.schools, model.dt, model.schools.n
        small, struggling = s.small, s.struggling
        disadvantages = small.astype(float) + s.rural + struggling

        # Heads leave (an executive head's departure leaves the schools it covered vacant too).
        rate = p.head_turnover_per_year * np.where(struggling, p.rel_head_turnover_struggling, 1.0)
        leaving = occurs(self.rng.random(n), rate, dt) & (s.head == HEAD_IN_POST)
        s.head_left_now[leaving] = True  # (cleared by the model as the step started)
        s.head[leaving] = HEAD_VACANT
        orphaned = np.flatnonzero((s.head == HEAD_EXECUTIVE) & leaving[np.maximum(s.executive_lead, 0)])
        model.release_executive(orphaned)
        s.head_left_now[orphaned] = True

        # Vacancies are filled; the new head's ability depends on whom the school can attract.
        # (Every school draws, vacant or not: common random numbers; the rest is for the vacant.)
        luck = self.rng.normal(size=n)
        draw = self.rng.random(n)
        vacant = np.flatnonzero(s.head == HEAD_VACANT)
        fill_rate = (p.vacancy_fill_per_year
                     * np.where(small[vacant], p.rel_fill_small, 1.0)
                     * np.where(s.rural[vacant], p.rel_fill_rural, 1.0)
                     * np.where(struggling[vacant], p.rel_fill_struggling, 1.0))
        # A post that fell vacant during this step was open for half of it, on average.
        open_for = np.where(s.head_left_now[vacant], dt / 2, dt)
        filled = vacant[occurs(draw[vacant], fill_rate * open_for, 1.0)]
        s.head[filled] = HEAD_IN_POST
        ability = 0.5 - p.recruit_penalty * disadvantages[filled] + QUALITY_SD * luck[filled]
        s.head_ability[filled] = np.clip(ability, 0.05, 0.95)

        # Capacity follows the leadership in place.
        lead = np.maximum(s.executive_lead, 0)
        target = np.where(s.head == HEAD_IN_POST, s.head_ability,
                          np.where(s.head == HEAD_VACANT, p.vacancy_capacity,
                                   p.executive_share * s.head_ability[lead]))
        s.capacity = np.clip(relax(s.capacity, target, 1.0 / p.capacity_lag_years, dt), 0.0, 1.0)

        # Teachers turn over toward the quality of recruits; in-house development adds to it.
        turnover = p.teacher_turnover_per_year * np.where(s.rural, 1.0, p.rel_teacher_turnover_urban)
        recruits = 0.5 - p.recruit_penalty * disadvantages
        target = recruits + p.cpd_gain * (s.capacity - 0.5) / np.maximum(turnover, 1e-9)
        noise = ou_noise(self.rng, n, p.talent_noise_sd, turnover, dt)
        s.talent = np.clip(relax(s.talent, target, turnover, dt) + noise, 0.0, 1.0)
