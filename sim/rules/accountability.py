"""Accountability: inspections, grades, pressure, competition for pupils, interventions
(BRIEF process 7; S2 policymaker lesson 9), under the historic single grades or the 2025 report
cards (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from sim.core.checks import check, check_non_negative, check_positive, check_share
from sim.core.vocabulary import (
    GRADE_SHARES,
    PRIMARY,
    QUALITY_SD,
    REPORT_CARD_AREAS,
    REPORT_CARD_SHARES,
    SECONDARY,
)
from sim.rules import Rule, relax


class Accountability(Rule):
    """Schools are inspected when due, at a time within the step (each interval is drawn around
    the policy for the school's grade), and graded from outcomes in context (against what their
    intake predicts), their progress since the last inspection and capacity (plus noise, credit
    for evidenced partnership work and a penalty for a recent dip, as the regime sets); from time
    0 a school not already outstanding must clear a higher bar to become outstanding (Ofsted's
    short inspections of good schools, since 2015). A sponsored academy is a new school, first
    inspected some years after it opens; its predecessor's grade stands until then. During the
    spin-up the grade boundaries are steered so that the grades on record give the national mix.
    A low grade raises pressure, brings monitoring and support that raise the school's capacity (an inadequate grade is marked for the Trusts rule, which may
    broker a sponsor); stakes and competition for pupils turn schools inward, away from
    partnership.

    Under report cards (the lever's ``grading``; today's since 10 November 2025) an inspection
    gives each of the six evaluation areas a point on a five-point scale and judges safeguarding
    met or not met; see ``_report_card``. The spin-up (history, before 2026) always uses single
    grades, so every regime starts from the same calibrated state."""

    phase = "accountability"
    summary = (
        "Schools are inspected at a time within the step when their interval (drawn around the "
        "policy for their grade) runs out, and graded from outcomes against what their intake "
        "predicts, progress since the last inspection and capacity, plus noise, credit "
        "for evidenced partnership work and a penalty for a recent dip (as the regime sets), a "
        "school not already outstanding needing a higher score to become outstanding (from time "
        "0), and a sponsored academy first inspected some years after it opens; under "
        "report cards each of six areas gets a point of five from its own mix of outcomes in "
        "context, teaching and leadership, and safeguarding is met or not; pressure "
        "and inwardness follow from stakes, competition and credit; schools under a low grade "
        "are supported (their capacity rises with pressure); pupils drift from worse- to "
        "better-graded rivals.")
    reads = (
        "schools.phase", "schools.x_km", "schools.y_km", "schools.outcome",
        "schools.outcome_at_inspection", "schools.capacity", "schools.grade",
        "schools.t_inspected", "schools.interval_draw", "schools.opened_years",
        "schools.intake_months",
        "schools.pupils", "schools.talent", "schools.area_grade", "schools.safeguarding_met",
        "schools.inspections_below_standard", "partnerships.members",
        "partnerships.impact_measure", "levers.accountability")
    writes = (
        "schools.grade", "schools.t_inspected", "schools.interval_draw",
        "schools.outcome_at_inspection",
        "schools.pressure", "schools.capacity", "schools.inward", "schools.pupils",
        "schools.graded_inadequate_now", "schools.area_grade", "schools.safeguarding_met",
        "schools.inspections_below_standard")

    @dataclass
    class Params:
        interval_good_years: float = 4.0  # assumption, after Ofsted's framework: good schools about every four years; outstanding ones too since the exemption was lifted (2020)
        interval_exempt_years: float = 13.0  # evidence: an outstanding school's interval while the regime exempts it (2012-2020: inspected only on concerns); exempt schools re-inspected in 2021/22 had gone 13 years on average, and when the exemption ended 43% had not been inspected for 10 years or more (Ofsted 2022)
        interval_ri_years: float = 2.5  # assumption, after Ofsted's framework: requires improvement within 30 months
        interval_inadequate_years: float = 1.5  # evidence and assumption (calibrated within 1.5-2.5): monitoring over the 18 months after special measures (Ofsted 2012), then re-inspection; schools took 20-27 months on average to leave special measures (Gray 2000, evidence.md)
        sponsored_first_inspection_years: float = 3.0  # evidence and assumption (calibrated within 2.5-4.5): a sponsored academy is a new school (a new URN), which Ofsted first inspects during its third year of operation (Ofsted, 2 Oct 2015); it opens some months after the inadequate judgement (assumption); until then Ofsted's statistics count the predecessor's grade (since 2018: about 700 schools, mostly new sponsor-led academies)
        interval_cv: float = 0.2  # assumption: spread of re-inspection intervals around the policy (coefficient of variation; inspections fall within windows, not on a date)
        outcome_scale_months: float = 4.0  # assumption: outcome difference worth one score point
        weight_capacity: float = 0.7  # assumption: weight of leadership capacity vs outcomes
        context_weight: float = 0.75  # assumption: share of the intake's predicted effect (composition) the judgement discounts (inspectors weigh progress and context; not all of it)
        weight_progress: float = 0.5  # assumption: score points per score point of outcome change since the last inspection (the regime weighs progress)
        inspection_noise_sd: float = 0.45  # assumption: judgement noise, score points (transitions)
        credit_points: float = 0.4  # assumption: score points for evidenced partnership work at credit 1
        dip_points: float = 0.5  # assumption: score points per point of dip at dip_penalty 1
        pupil_move_per_year: float = 0.04  # assumption: roll change per grade of difference at competition 1
        rival_primary_km: float = 5.5  # primaries within pupils' journey from small rural settlements compete for pupils (3.4 miles, Defra)
        rival_secondary_km: float = 11.3  # secondaries likewise (7.0 miles, Defra)
        max_rivals: int = 6  # the nearest such schools: as many as parents may list on an admissions application (six in London's coordinated scheme, at least three elsewhere; School Admissions Code)
        outstanding_margin_points: float = 1.0  # assumption, after Ofsted's framework: a good school's short (section 8) inspection confirms good and cannot award outstanding; the score must clear the boundary by this much
        support_per_year: float = 0.5  # assumption: rate at which monitoring and support raise the capacity of a school under a low grade, at pressure 1
        area_noise_sd: float = 0.5  # assumption: judgement noise of each report-card area, score points (each area rests on less evidence than a whole-school grade)
        safeguarding_not_met_share: float = 0.01  # assumption: share of inspections finding safeguarding not met (rare; under the old framework ineffective safeguarding meant inadequate)

        def __post_init__(self) -> None:
            for name in ("interval_exempt_years", "interval_good_years", "interval_ri_years",
                         "interval_inadequate_years", "sponsored_first_inspection_years",
                         "outcome_scale_months",
                         "rival_primary_km", "rival_secondary_km"):
                check_positive(name, getattr(self, name))
            for name in ("weight_capacity", "inspection_noise_sd", "credit_points", "dip_points",
                         "pupil_move_per_year", "outstanding_margin_points", "support_per_year"):
                check_non_negative(name, getattr(self, name))
            check_share("context_weight", self.context_weight)
            check_non_negative("area_noise_sd", self.area_noise_sd)
            check_share("safeguarding_not_met_share", self.safeguarding_not_met_share)
            check_non_negative("weight_progress", self.weight_progress)
            check_positive("interval_cv", self.interval_cv)
            check("max_rivals", self.max_rivals, self.max_rivals >= 1, "an integer >= 1")

    # Shares of schools graded below outstanding, below good and below RI in the national mix.
    TARGET_BELOW = 1.0 - np.cumsum(GRADE_SHARES)[:-1]
    STEER_PER_YEAR = 0.5  # assumption: how fast the spin-up's standard closes the gap to the mix on record

    PRESSURE_BY_GRADE = np.array([0.0, 0.0, 0.2, 0.7, 1.0])  # index = grade; assumption
    # Report cards: pressure from the worst area, index = point (0 none yet). Assumption: "urgent
    # improvement" weighs like inadequate; "needs attention" in one area a little less than
    # requires improvement overall; expected standard or better brings none.
    PRESSURE_BY_POINT = np.array([0.0, 0.0, 0.0, 0.0, 0.5, 1.0])
    # What drives each report-card area (rows: REPORT_CARD_AREAS), as weights on three scores in
    # score points: outcomes in context with progress (as the single grade weighs them), teaching
    # (talent) and leadership (capacity). Assumption: the framework names what each area covers,
    # not how a model state maps to it.
    AREA_DRIVERS = np.array([
        [0.5, 0.0, 0.5],   # inclusion: how disadvantaged and SEND pupils do, and leaders' work for them
        [0.0, 1.0, 0.0],   # curriculum and teaching
        [1.0, 0.0, 0.0],   # achievement: outcomes in context, with progress
        [0.0, 0.4, 0.6],   # attendance and behaviour: mostly leadership, some teaching
        [0.0, 0.5, 0.5],   # personal development and well-being
        [0.0, 0.0, 1.0],   # leadership and governance
    ])
    LEADERSHIP = REPORT_CARD_AREAS.index("leadership_and_governance")
    ACHIEVEMENT = REPORT_CARD_AREAS.index("achievement")

    def setup(self, model) -> None:
        self.thresholds = None  # grade boundaries on the score: set in the spin-up, fixed at time 0
        # Shares of schools below each boundary (outstanding, good, RI) in a full round of
        # inspections: steered during the spin-up so the grades on record match the mix.
        self.below_shares = self.TARGET_BELOW.copy()
        self.area_thresholds = None  # report-card boundaries by area: set at time 0
        # Report cards draw their noise from a stream of their own, so the single-grade regime's
        # draws are exactly those it made before report cards existed.
        self.area_rng = self.rng.spawn(1)[0]
        s = model.schools
        s.interval_draw = self._draw_intervals(s.n)
        # Rivals for pupils: the nearest same-phase schools within a pupil's journey. Row i of
        # the sparse matrix sums over school i's rivals (one product per step).
        rivals = s.nearest_of_phase(self.p.max_rivals, {PRIMARY: self.p.rival_primary_km,
                                                        SECONDARY: self.p.rival_secondary_km})
        self.has_rivals = rivals.count() > 0
        self.n_rivals = np.maximum(rivals.count(), 1)
        self.rivals = csr_matrix((np.ones(len(rivals.index)), rivals.index, rivals.ptr),
                                 shape=(s.n, s.n))

    def start(self, model) -> None:
        """Freeze the grade boundaries at time 0 (with no spin-up, grade every school once)."""
        if self.thresholds is None:
            s = model.schools
            score = self.score(model, model.todays_policy("accountability"))
            score = score + self.p.inspection_noise_sd * self.rng.normal(size=s.n)
            self.thresholds = self._boundaries(score)
            s.grade = (1 + np.searchsorted(-self.thresholds, -score, side="right")).astype(np.int8)
            s.interval_draw = self._draw_intervals(s.n)
        # Report-card boundaries: each area's shares (REPORT_CARD_SHARES, an assumption) among
        # all schools at time 0, then fixed (an absolute standard, as for single grades).
        scores = self._noisy_area_scores(model, model.todays_policy("accountability"))
        upper_shares = np.cumsum(REPORT_CARD_SHARES)[:-1]
        self.area_thresholds = np.quantile(scores, 1 - upper_shares, axis=0)  # (4 boundaries, areas)

    def area_points(self, scores: np.ndarray) -> np.ndarray:
        """Report-card points, 1 exceptional .. 5 urgent improvement, for area scores (schools x
        areas)."""
        return (1 + (scores[:, None, :] < self.area_thresholds[None]).sum(axis=1)).astype(np.int8)

    def _noisy_area_scores(self, model, regime, rows=slice(None)) -> np.ndarray:
        """Area scores plus judgement noise of the schools ``rows`` (default all). Every school
        draws its noise, whichever rows are scored, so the stream's draws do not depend on who
        is inspected (the same draws as ``normal``, which is ``0 + 1 * standard_normal``)."""
        noise = self.area_rng.standard_normal(size=(model.schools.n, len(REPORT_CARD_AREAS)))
        return self.area_scores(model, regime, rows) + self.p.area_noise_sd * noise[rows]

    def _draw_intervals(self, n: int) -> np.ndarray:
        """Each of ``n`` schools' next interval relative to the policy's: gamma draws with mean 1
        and ``interval_cv`` as coefficient of variation (inspections fall within windows, not on
        a date). The interval in years follows the regime in force (``policy_intervals``), so a
        change of policy (e.g. the exemption lifted) moves inspections already scheduled."""
        shape = 1.0 / self.p.interval_cv**2
        return self.rng.gamma(shape, 1.0 / shape, size=n)

    def policy_intervals(self, regime) -> np.ndarray:
        """Years between inspections by grade (index = grade; 0 never inspected) under
        ``regime``: outstanding schools on the good schools' cycle, or the exempt interval while
        the regime exempts them."""
        p = self.p
        outstanding = p.interval_exempt_years if regime.outstanding_exempt else p.interval_good_years
        return np.array([np.inf, outstanding, p.interval_good_years, p.interval_ri_years,
                         p.interval_inadequate_years])

    def _boundaries(self, raw: np.ndarray) -> np.ndarray:
        """Boundaries theta_1 > theta_2 > theta_3 on the score: quantiles of ``raw`` at the shares
        below them (``below_shares``)."""
        return np.quantile(raw, self.below_shares)

    def _steer_standard(self, model) -> None:
        """Spin-up only: move the full-round shares by the gap between the national mix and the
        grades on record (Ofsted's mix counts each school's most recent grade, and grades on
        record lag a full round: low grades are re-inspected sooner, recover, and the bar for
        outstanding and the intervals differ by grade)."""
        grade = model.schools.grade
        on_record = (grade[:, None] > np.arange(1, 4)[None, :]).mean(axis=0)
        self.below_shares = np.clip(
            self.below_shares + self.STEER_PER_YEAR * model.dt * (self.TARGET_BELOW - on_record),
            0.005, 0.995)
        self.below_shares = np.sort(self.below_shares)[::-1]

    def score(self, model, regime) -> np.ndarray:
        """Inspection score before judgement noise, in score points: outcomes in context (less
        the share ``context_weight`` of what the intake predicts), progress since the last
        inspection, and leadership capacity."""
        p, s = self.p, model.schools
        in_context = s.outcome - p.context_weight * s.intake_months
        progress = s.outcome - s.outcome_at_inspection
        points = ((in_context + p.weight_progress * progress) / p.outcome_scale_months
                  + p.weight_capacity * (s.capacity - 0.5) / QUALITY_SD)
        return self._credit_and_dip(model, regime, points)

    def _credit_and_dip(self, model, regime, points: np.ndarray) -> np.ndarray:
        """``points`` plus credit for evidenced partnership work, less the penalty for a dip."""
        s = model.schools
        if regime.partnership_credit > 0:
            pid, school = model.partnerships.links()
            with_measure = school[model.partnerships.impact_measure[pid]]
            evidenced = np.zeros(s.n, dtype=bool)
            evidenced[with_measure] = True
            points = points + regime.partnership_credit * self.p.credit_points * evidenced
        dip = np.maximum(0.0, s.outcome_at_inspection - s.outcome) / self.p.outcome_scale_months
        return points - regime.dip_penalty * self.p.dip_points * dip

    def area_scores(self, model, regime, rows=slice(None)) -> np.ndarray:
        """Report-card area scores before noise (schools ``rows``, default all, x areas), in
        score points: each area's mix (AREA_DRIVERS) of outcomes in context with progress,
        teaching and leadership, with the regime's credit and dip penalty."""
        p, s = self.p, model.schools
        # Over the rows asked for only (a step scores just the schools inspected), but for the
        # credit, which looks up memberships over every school.
        outcome = s.outcome[rows]
        achievement = ((outcome - p.context_weight * s.intake_months[rows]
                        + p.weight_progress * (outcome - s.outcome_at_inspection[rows]))
                       / p.outcome_scale_months)
        drivers = (achievement, (s.talent[rows] - 0.5) / QUALITY_SD,
                   (s.capacity[rows] - 0.5) / QUALITY_SD)
        scores = self._credit_and_dip(model, regime, np.zeros(s.n))[rows, None]
        for driver, weights in zip(drivers, self.AREA_DRIVERS.T, strict=True):
            scores = scores + driver[:, None] * weights  # elementwise: no BLAS threads
        return scores

    def step(self, model) -> None:
        p, s, n = self.p, model.schools, model.schools.n
        regime = model.lever("accountability")
        noise = p.inspection_noise_sd * self.rng.normal(size=n)  # drawn under either regime
        report_cards = model.tick >= 0 and regime.grading == "report_cards"
        if not report_cards:  # report cards score by area (_report_card)
            raw = self.score(model, regime)
        if model.tick < 0:
            # During the spin-up the standard follows the scores, steered so that the grades on
            # record come to the national grade mix (Ofsted, Dec 2018; _steer_standard); it is
            # fixed from time 0 on, an absolute standard.
            self.thresholds = self._boundaries(raw + noise)

        # An inspection falls due when the school's interval runs out (more frequent inspection
        # shortens every interval); it happens at that time within this step [now, now + dt), or
        # at the step's start if it was overdue (when the regime tightened).
        interval = self.policy_intervals(regime)[s.grade] * s.interval_draw
        t_due = s.t_inspected + interval / regime.inspection_frequency
        # A school that re-opened since its last inspection (a sponsored academy) is first
        # inspected as a new school; its predecessor's grade stands until then.
        reopened = s.opened_years > s.t_inspected
        if reopened.any():
            first = p.sponsored_first_inspection_years * s.interval_draw / regime.inspection_frequency
            t_due = np.where(reopened, s.opened_years + first, t_due)
        inspected = np.flatnonzero(t_due < model.now_years + model.dt)
        if report_cards:
            self._report_card(model, regime, inspected)
        else:
            score = raw[inspected] + noise[inspected]
            grade = 1 + np.searchsorted(-self.thresholds, -score, side="right")
            # Outstanding is awarded anew only on strong evidence: the bar is higher for a school
            # not already outstanding (a good school's short inspection can only confirm "good").
            # Short inspections began in September 2015; the spin-up, history before time 0,
            # inspected good schools in full, which could award outstanding.
            promoted = (grade == 1) & (s.grade[inspected] != 1) & (model.tick >= 0)
            grade[promoted & (score < self.thresholds[0] + p.outstanding_margin_points)] = 2
            s.grade[inspected] = grade
            s.area_grade[inspected] = 0  # a single grade replaces any report card
            s.safeguarding_met[inspected] = True
            below = s.grade[inspected] >= 3  # the DfE's "below good"
            s.inspections_below_standard[inspected] = np.where(
                below, s.inspections_below_standard[inspected] + 1, 0)
            s.graded_inadequate_now[inspected[s.grade[inspected] == 4]] = True  # for sponsorship (Trusts)
        s.t_inspected[inspected] = np.maximum(t_due[inspected], model.now_years)
        s.interval_draw[inspected] = self._draw_intervals(len(inspected))
        s.outcome_at_inspection[inspected] = s.outcome[inspected]
        if model.tick < 0:
            self._steer_standard(model)

        s.pressure = regime.stakes * self.PRESSURE_BY_GRADE[s.grade]
        under_concern = s.struggling
        if report_cards:  # a school with a report card: pressure from its worst area, any area
            carded = s.area_grade[:, 0] > 0
            worst = np.where(s.safeguarding_met, _row_max(s.area_grade), 5)
            s.pressure[carded] = regime.stakes * self.PRESSURE_BY_POINT[worst[carded]]
            under_concern = under_concern | (carded & (worst >= 4))
        # The improvement journey: a school under a low grade (RI, inadequate; under report
        # cards, needs attention or worse in any area) is monitored and supported (HMI
        # monitoring visits, local-authority or sponsor advisers): its capacity rises toward 1,
        # faster under more pressure.
        support = p.support_per_year * s.pressure * under_concern
        s.capacity = relax(s.capacity, 1.0, support, model.dt, where=support > 0)
        has_rivals = self._compete_for_pupils(model, regime)
        # Stakes and competition turn schools inward; a regime crediting partnership pulls back.
        s.inward = np.clip(regime.stakes * (regime.competition * has_rivals + 0.5 * regime.dip_penalty)
                           - 0.5 * regime.partnership_credit, 0.0, 1.0)

    def _report_card(self, model, regime, inspected: np.ndarray) -> None:
        """Report cards for the schools ``inspected``: a point in each area from its score plus
        noise against the fixed boundaries, and safeguarding met or not. From them, the standing
        the other rules read on the four-point scale (``grade``; assumptions, the DfE has not
        said how report cards map to the old grades, and Ofsted says they do not):

        - 4, failing (brings sponsorship, Trusts): urgent improvement in leadership and
          governance, or safeguarding not met (the 2025 framework's special measures);
        - 3, below the standard (two such inspections in a row: "stuck", RISE): needs attention
          or worse in leadership and governance or in achievement, or urgent improvement in any
          area;
        - 1: strong standard or better in at least four areas and none below expected (about
          the old outstanding share at time 0);
        - 2: otherwise.
        Pressure, by contrast, comes from the worst area, whichever it is (``step``).
        """
        s = model.schools
        points = self.area_points(self._noisy_area_scores(model, regime, inspected))
        safe = self.area_rng.random(len(inspected)) >= self.p.safeguarding_not_met_share
        s.area_grade[inspected] = points
        s.safeguarding_met[inspected] = safe
        failing = (points[:, self.LEADERSHIP] == 5) | ~safe
        below = ((points[:, [self.LEADERSHIP, self.ACHIEVEMENT]] >= 4).any(axis=1)
                 | (points.max(axis=1) == 5))
        strong = ((points <= 2).sum(axis=1) >= 4) & (points.max(axis=1) <= 3)
        s.grade[inspected] = np.where(failing, 4, np.where(below, 3, np.where(strong, 1, 2)))
        s.inspections_below_standard[inspected] = np.where(
            s.grade[inspected] >= 3, s.inspections_below_standard[inspected] + 1, 0)
        s.graded_inadequate_now[inspected[failing]] = True  # for sponsorship (Trusts)

    def _compete_for_pupils(self, model, regime) -> np.ndarray:
        """Pupils drift from schools graded worse than their same-phase neighbours to better ones.

        Returns which schools have same-phase rivals nearby."""
        s = model.schools
        if regime.competition > 0:
            appeal = -s.grade.astype(float)
            local = self.rivals @ appeal / self.n_rivals
            rate = regime.competition * self.p.pupil_move_per_year * (appeal - local) * self.has_rivals
            s.pupils = np.maximum(10.0, s.pupils * np.exp(rate * model.dt))
        return self.has_rivals


def _row_max(table: np.ndarray) -> np.ndarray:
    """Each row's largest value, a column at a time: for a few columns many times faster than
    ``table.max(axis=1)``, which reduces along the short rows."""
    largest = table[:, 0].copy()
    for column in table.T[1:]:
        np.maximum(largest, column, out=largest)
    return largest
