"""School improvement: pupil outcomes follow teaching and leadership with a lag
(BRIEF process 5; EPI for the disadvantage gap)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check_non_negative, check_positive, check_share
from sim.core.vocabulary import PRIMARY
from sim.rules import Rule, ou_noise, relax


class Improvement(Rule):
    """Outcomes (months of progress, on one scale for the whole run; results report them against
    the national mean at time 0) and the within-school disadvantage gap
    relax toward targets set by *effective* teaching and leadership, with a lag because pupils'
    results reflect years of teaching. Time away from the school lowers effective capacity, and
    released staff lower effective teaching for a while (S4, S0): the early cost, smaller in a
    school whose own leaders can step in (its capacity). Schools serving
    more disadvantaged pupils have lower mean outcomes by the size of the gap (composition).
    Cohort-to-cohort noise is larger in small schools."""

    phase = "improvement"
    summary = (
        "Outcomes and the within-school gap relax, with a lag, toward targets set by effective "
        "teaching and leadership (lowered by time away) and by disadvantage, plus cohort noise "
        "larger in small schools.")
    reads = (
        "schools.talent", "schools.capacity", "schools.time_away", "schools.phase", "schools.fsm",
        "schools.pupils", "schools.outcome", "schools.gap")
    writes = (
        "schools.outcome", "schools.gap", "schools.outcome_at_inspection",
        "schools.perceived_outcome", "schools.intake_months")

    @dataclass
    class Params:
        months_per_talent: float = 30.0  # assumption: outcome months per unit of teaching quality
        months_per_capacity: float = 15.0  # assumption: outcome months per unit of leadership capacity
        release_cost: float = 0.3  # assumption: share of time away that also takes teaching away (S0)
        bench_cover: float = 1.0  # assumption: a school's own deputies and middle leaders cover its time away in proportion to its capacity (S0 third point: succession planning); sized so the stronger partner is about level (Chapman & Muijs 2014; Muijs 2015)
        lag_years: float = 2.0  # assumption: results reflect years of teaching (gains at 2-4 years, Chapman et al. 2011)
        gap_primary_months: float = 10.0  # calibrated: the gap in a school of quality 0.5, fitted to the national gap (EPI: ~10 months at age 11), which better schools narrow
        gap_secondary_months: float = 18.5  # calibrated: likewise, to the national gap at age 16 (EPI: ~18-19 months)
        gap_quality_effect: float = 1.0  # assumption: relative narrowing of the gap per unit of quality above average
        fsm_national: float = 0.246  # DfE 2024: reference share for composition
        cohort_noise_months: float = 1.5  # assumption: spread of a 250-pupil school's results
        reference_pupils: float = 250.0  # assumption: size at which cohort noise is as above

        def __post_init__(self) -> None:
            for name in ("months_per_talent", "months_per_capacity", "gap_primary_months",
                         "gap_secondary_months", "gap_quality_effect", "cohort_noise_months"):
                check_non_negative(name, getattr(self, name))
            check_positive("lag_years", self.lag_years)
            check_positive("reference_pupils", self.reference_pupils)
            check_share("release_cost", self.release_cost)
            check_share("bench_cover", self.bench_cover)
            check_share("fsm_national", self.fsm_national)

    def targets(self, s) -> tuple[np.ndarray, np.ndarray]:
        """Where outcomes and the gap are heading, given teaching and leadership now."""
        p = self.p
        # A strong school's own leaders step in while others are away: the cost falls with capacity.
        uncovered = s.time_away * (1 - p.bench_cover * s.capacity)
        talent = s.talent * (1 - p.release_cost * uncovered)
        capacity = s.capacity * (1 - uncovered)
        base_gap = np.where(s.phase == PRIMARY, p.gap_primary_months, p.gap_secondary_months)
        quality = 0.6 * (talent - 0.5) + 0.4 * (capacity - 0.5)
        gap = base_gap * np.maximum(0.0, 1 - p.gap_quality_effect * quality)
        outcome = (p.months_per_talent * (talent - 0.5) + p.months_per_capacity * (capacity - 0.5)
                   + self.intake(s))
        return outcome, gap

    def intake(self, s) -> np.ndarray:
        """Months the school's intake alone predicts against the national mix (composition):
        negative for more disadvantaged intakes."""
        base_gap = np.where(s.phase == PRIMARY, self.p.gap_primary_months, self.p.gap_secondary_months)
        return -base_gap * (s.fsm - self.p.fsm_national)

    def setup(self, model) -> None:
        s = model.schools
        s.outcome, s.gap = self.targets(s)
        s.intake_months = self.intake(s)  # what inspection discounts to judge in context
        # One scale for the whole run: months relative to the national mean at the start.
        self.centre = float(np.average(s.outcome, weights=s.pupils))
        s.outcome = s.outcome - self.centre
        s.outcome_at_inspection = s.outcome.copy()
        s.perceived_outcome = s.outcome.copy()

    def step(self, model) -> None:
        p, s, dt = self.p, model.schools, model.dt
        outcome, gap = self.targets(s)
        rate = 1.0 / p.lag_years
        noise_sd = p.cohort_noise_months * np.sqrt(p.reference_pupils / np.maximum(s.pupils, 1))
        s.outcome = relax(s.outcome, outcome - self.centre, rate, dt) + ou_noise(self.rng, s.n, noise_sd, rate, dt)
        s.gap = np.maximum(0.0, relax(s.gap, gap, rate, dt) + ou_noise(self.rng, s.n, 0.5 * noise_sd, rate, dt))
