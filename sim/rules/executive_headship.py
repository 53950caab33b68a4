"""Executive headship: a strong school's head takes on a struggling or headless school
(BRIEF process 8; S2 LA lesson 3, policymaker lesson 5; S1 theme 5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check_share
from sim.core.partnerships import FEDERATION, INFORMAL
from sim.core.vocabulary import HEAD_EXECUTIVE, HEAD_IN_POST, HEAD_VACANT
from sim.rules import FORM_PARTNERSHIP_WRITES, Rule, occurs


def arrangement_kind(academy: np.ndarray, trust_of: np.ndarray, school: int, lead: int) -> int | None:
    """The partnership an executive headship of ``school`` by ``lead``'s head is held by, from
    the two schools' governance: a federation if both are maintained (a federation is of
    maintained schools under one governing body: Education Act 2002; NGA 2016, "Federation
    First"); none if both are in the same multi-academy trust (the trust holds them: its
    executive head leads within it); otherwise an informal partnership (an academy's head leads
    a school outside its trust under an agreement between the two bodies; Lord et al. 2016).
    ``trust_of`` is each school's trust partnership, -1 if none."""
    if not academy[school] and not academy[lead]:
        return FEDERATION
    if trust_of[school] >= 0 and trust_of[school] == trust_of[lead]:
        return None
    return INFORMAL


class ExecutiveHeadship(Rule):
    """Schools meeting the lever's triggers get an executive head from a nearby good or
    outstanding school whose head has room; the arrangement follows the two schools' governance
    (``arrangement_kind``): two maintained schools federate, two schools of one trust need no new
    partnership, and otherwise the two form an informal partnership led by the lead school (a
    cross-boundary agreement). The covered school's vacancy is
    filled and its capacity follows the lead's (see Staffing), while the lead head's time is
    divided: each extra school takes a share of it away from the home school, most of which a
    head of school covers there (backfill)."""

    phase = "executive_headship"
    summary = (
        "Schools meeting the lever's triggers (vacancy, failing, small) may get the head of a "
        "strong nearby same-phase school as executive head, within a cap on their number; two "
        "maintained schools federate, two schools of one trust form no new partnership, others "
        "form an informal partnership led by the lead school; each extra school takes a share "
        "of the executive head's time.")
    reads = (
        "schools.head", "schools.head_left_now", "schools.grade", "schools.phase",
        "schools.pupils", "schools.n_led", "schools.head_ability", "schools.x_km",
        "schools.y_km", "schools.academy", "partnerships.members", "partnerships.kind",
        "levers.executive_headship")
    writes = (
        "schools.head", "schools.head_left_now", "schools.executive_lead", "schools.n_led",
        "schools.executive_time", *FORM_PARTNERSHIP_WRITES)

    @dataclass
    class Params:
        time_per_extra_school: float = 0.15  # assumption: share of a head's time each extra school takes (heads of school run the day to day)
        head_of_school_backfill: float = 0.7  # assumption, after Lord et al. 2016 (executive heads usually lead with a head of school in each school, the home school included): share of that time away a head of school covers at home

        def __post_init__(self) -> None:
            check_share("time_per_extra_school", self.time_per_extra_school)
            check_share("head_of_school_backfill", self.head_of_school_backfill)

    def step(self, model) -> None:
        s, n = model.schools, model.schools.n
        lever = model.lever("executive_headship")
        draw = self.rng.random(n)
        triggered = np.zeros(n, dtype=bool)
        if "vacancy" in lever.triggers:
            triggered |= s.head == HEAD_VACANT
        if "failing" in lever.triggers:
            triggered |= (s.grade == 4) & (s.head != HEAD_EXECUTIVE)
        if "small" in lever.triggers:
            triggered |= s.small & (s.head == HEAD_VACANT)
        triggered &= s.n_led == 0  # a head already leading others is not replaced
        # A post that fell vacant during this step was open for half of it, on average.
        open_for = np.where(s.head_left_now, model.dt / 2, model.dt)
        chosen = np.flatnonzero(triggered & occurs(draw, lever.appointment_rate_per_year * open_for, 1.0))
        room = int(lever.max_share_of_heads * n) - int((s.n_led > 0).sum())
        # This rule changes no trust, so one look a step will do.
        trust_of = model.partnerships.trust_of(n) if len(chosen) else None
        open_leads = self._open_leads(s, lever)
        for school in chosen:
            if room <= 0 and not open_leads:
                continue  # no head leading others has room, and no new one may start
            lead = self._find_lead(model, school, lever, allow_new_head=room > 0)
            if lead < 0:
                continue
            room -= s.n_led[lead] == 0
            if s.head[school] == HEAD_IN_POST:  # a failing school's head makes way
                s.head_left_now[school] = True
            s.head[school] = HEAD_EXECUTIVE
            s.executive_lead[school] = lead
            s.n_led[lead] += 1
            open_leads = self._open_leads(s, lever)
            kind = arrangement_kind(s.academy, trust_of, school, lead)
            if kind is not None:
                model.form_partnership([school, lead], kind, "executive_head", lead=lead,
                                       focus=1, impact_measure=True)
        # The home school's cost: the head's time away, less what a head of school covers there.
        s.executive_time = (self.p.time_per_extra_school * (1 - self.p.head_of_school_backfill)
                            * s.n_led)

    @staticmethod
    def _open_leads(s, lever) -> bool:
        """Whether any head already leading others has room for one more school."""
        return bool(((s.n_led > 0) & (s.n_led < lever.max_schools_per_head - 1)).any())

    @staticmethod
    def _find_lead(model, school: int, lever, allow_new_head: bool) -> int:
        """The strongest eligible head near ``school``, or -1."""
        s = model.schools
        candidates = s.within(school, lever.search_radius_km)
        ok = ((s.grade[candidates] <= 2) & (s.head[candidates] == HEAD_IN_POST)
              & (s.n_led[candidates] < lever.max_schools_per_head - 1)
              & (s.phase[candidates] == s.phase[school]))
        if not allow_new_head:
            ok &= s.n_led[candidates] > 0
        if not ok.any():
            return -1
        candidates, km = s.nearest_first(school, candidates[ok])  # ties go to the nearer school
        return int(candidates[np.argmax(s.head_ability[candidates] - 0.01 * km)])
