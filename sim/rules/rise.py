"""RISE: the DfE's Regional Improvement for Standards and Excellence teams broker support for
"stuck" schools with strong trusts (issue 15; docs/evidence.md, RISE)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check, check_non_negative, check_positive
from sim.core.partnerships import FOCUS_NAMES, FUNDED, INFORMAL, ORIGIN_CODES, TRUST
from sim.core.vocabulary import HEAD_IN_POST
from sim.rules import FORM_PARTNERSHIP_WRITES, Rule


class Rise(Rule):
    """From time 0 (RISE began in 2025), RISE advisers take on stuck schools (two consecutive
    inspections below the standard, ``SchoolState.stuck``) as far as their capacity allows: the
    accountability lever's advisers per 1,000 schools times the schools one adviser takes on a
    year. Longest-stuck schools come first. Each is paired with a supporting school: the most
    capable school of the strongest trust within reach (the trust's schools good on average, and
    a trust supports at most ``max_schools_per_trust`` RISE schools at a time), or, with none in
    reach, the most capable good or outstanding school nearby (RISE's "other supporting
    organisations"). The pair is a funded partnership led by the supporter (origin
    ``rise``), awarded ``rise_gbp_per_school`` over ``rise_duration_years``: the existing
    mechanisms do the rest. The money pays for leadership time and cover in the lever's
    ``rise_share_*`` (Running, as for programme money), the pair learns from each other as trust builds (the supported school from the
    stronger, the supporter by releasing staff) and, when the money stops, the pair goes on only
    if its members judge it worth its cost (Dissolution). A school that stays stuck may be taken
    on again ``repeat_after_years`` after its support ended."""

    phase = "trusts"
    summary = (
        "From time 0, RISE advisers take on stuck schools (two consecutive inspections below the "
        "standard), longest stuck first, up to their capacity (advisers x schools each a year); "
        "each is paired with the most capable school of the strongest trust in reach (or a strong "
        "school nearby) in a funded partnership led by the supporter, paying for cover and "
        "leadership time for the support's duration.")
    reads = (
        "schools.inspections_below_standard", "schools.grade", "schools.capacity",
        "schools.phase", "schools.head", "schools.x_km", "schools.y_km", "schools.rise_until",
        "schools.rise_count", "partnerships.members", "partnerships.kind",
        "partnerships.origin", "partnerships.lead", "partnerships.funded_until",
        "levers.accountability")
    writes = ("schools.rise_until", "schools.rise_count", *FORM_PARTNERSHIP_WRITES)

    @dataclass
    class Params:
        search_km: float = 15.0  # assumption: a supporter is in reach within this distance (as Trusts' join_radius_km; RISE teams are regional)
        strong_trust_max_grade: float = 2.0  # assumption: a strong trust's schools are good on average, on the four-point standing (as Trusts)
        max_schools_per_trust: int = 2  # assumption: RISE schools one trust supports at a time (its central capacity)
        repeat_after_years: float = 3.0  # assumption: a school still stuck may be taken on again this long after its support ended

        def __post_init__(self) -> None:
            check_positive("search_km", self.search_km)
            check("strong_trust_max_grade", self.strong_trust_max_grade,
                  1 <= self.strong_trust_max_grade <= 4, "a mean grade from 1 to 4")
            check("max_schools_per_trust", self.max_schools_per_trust,
                  self.max_schools_per_trust >= 1, "an integer >= 1")
            check_non_negative("repeat_after_years", self.repeat_after_years)

    def setup(self, model) -> None:
        s = model.schools
        s.rise_until = np.zeros(s.n)  # when the school's RISE support ends (with rise_count > 0)
        s.rise_count = np.zeros(s.n, dtype=np.int64)  # times RISE took the school on
        self.places = 0.0  # advisers' places not yet taken up (accrue each step, lapse after a year)
        self.started = 0  # schools taken on since time 0
        self.awarded_gbp = 0.0  # money awarded since time 0

    def qualifies(self, model) -> np.ndarray:
        """Stuck schools not under RISE support, nor within ``repeat_after_years`` of it."""
        s = model.schools
        rested = (s.rise_count == 0) | (model.now_years >= s.rise_until + self.p.repeat_after_years)
        return s.stuck & rested

    def step(self, model) -> None:
        regime = model.lever("accountability")
        capacity = regime.rise_schools_per_year_per_1000_schools * model.schools.n / 1000
        draw = self.rng.random(model.schools.n)  # fixed size: common random numbers
        if model.tick < 0 or capacity <= 0:
            self.places = 0.0
            return
        self.places = min(self.places + capacity * model.dt, max(capacity, 1.0))
        waiting = np.flatnonzero(self.qualifies(model))
        if self.places < 1 or len(waiting) == 0:
            return
        s = model.schools
        order = np.lexsort((draw[waiting], -s.inspections_below_standard[waiting]))
        trusts = self._strong_trusts(model)
        for school in waiting[order].tolist():
            if self.places < 1:
                break
            supporter = self._supporter(model, school, trusts)
            if supporter < 0:
                continue
            self._pair(model, regime, school, supporter)

    def _strong_trusts(self, model) -> dict[str, np.ndarray]:
        """Trust members by row: trust id, school, and whether the trust is strong with room."""
        s, pt = model.schools, model.partnerships
        trusts, pid, school, row = pt.links_by_row(TRUST)  # per-trust means by row
        size = np.maximum(np.bincount(row, minlength=len(trusts)), 1)
        mean_grade = np.bincount(row, s.grade[school], minlength=len(trusts)) / size
        mean_capacity = np.bincount(row, s.capacity[school], minlength=len(trusts)) / size
        # RISE schools each trust supports now: running RISE partnerships led by its schools.
        trust_of = self.trust_of = pt.trust_of(s.n)
        rise = pt.active_ids()
        rise = rise[(pt.origin[rise] == ORIGIN_CODES["rise"]) & (pt.kind[rise] == FUNDED)
                    & (pt.funded_until[rise] > model.now_years)]
        leads = trust_of[pt.lead[rise][pt.lead[rise] >= 0]]
        self.load = np.bincount(leads[leads >= 0], minlength=pt.size)
        strong = mean_grade[row] <= self.p.strong_trust_max_grade
        row_of_school = np.full(s.n, -1, dtype=np.int64)  # a school is in one trust at most
        row_of_school[school] = np.arange(len(school))
        return {"pid": pid, "school": school, "strong": strong, "merit": mean_capacity[row],
                "x_km": s.x_km[school], "y_km": s.y_km[school], "row_of_school": row_of_school}

    def _supporter(self, model, school: int, trusts: dict[str, np.ndarray]) -> int:
        """The most capable school (head in post) of the strongest trust in reach with room, not
        the school's own trust; else the most capable good or outstanding school in reach; -1."""
        s, p = model.schools, self.p
        # Only the other trust members near the school can be in reach: measuring just those
        # (in row order) is what keeps this fast at national scale. They come from the schools'
        # spatial index, asked a hair beyond the reach, and the reach is then tested as over
        # every member.
        rows = trusts["row_of_school"][s.within(school, p.search_km + 1e-6)]
        rows = np.sort(rows[rows >= 0])
        pid, member = trusts["pid"][rows], trusts["school"][rows]
        km = np.hypot(trusts["x_km"][rows] - s.x_km[school], trusts["y_km"][rows] - s.y_km[school])
        ok = (trusts["strong"][rows] & (km <= p.search_km) & (pid != self.trust_of[school])
              & (self.load[pid] < p.max_schools_per_trust) & (s.head[member] == HEAD_IN_POST))
        if ok.any():
            merit = np.where(ok, trusts["merit"][rows] - km / p.search_km, -np.inf)
            trust = pid[np.argmax(merit)]
            capacity = np.where(ok & (pid == trust), s.capacity[member], -np.inf)
            return int(member[np.argmax(capacity)])
        near, km = s.near(school, p.search_km)
        ok = (s.grade[near] <= 2) & (s.head[near] == HEAD_IN_POST) & (near != school)
        if not ok.any():
            return -1
        merit = np.where(ok, s.capacity[near] - km / p.search_km, -np.inf)
        return int(near[np.argmax(merit)])

    def _pair(self, model, regime, school: int, supporter: int) -> None:
        s, pt = model.schools, model.partnerships
        pid = model.form_partnership([school, supporter], INFORMAL, "rise",
                                     lead=supporter, focus=FOCUS_NAMES.index("leadership"))
        pt.fund(pid, regime.rise_gbp_per_school, regime.rise_duration_years, model.now_years)
        s.rise_until[school] = model.now_years + regime.rise_duration_years
        s.rise_count[school] += 1
        if self.trust_of[supporter] >= 0:
            self.load[self.trust_of[supporter]] += 1
        self.places -= 1
        self.started += 1
        self.awarded_gbp += regime.rise_gbp_per_school

    def report(self, model) -> dict[str, float]:
        s = model.schools
        return {"n_stuck": int(s.stuck.sum()),
                "n_rise_supported": int(((s.rise_count > 0) & (s.rise_until > model.now_years)).sum()),
                "cum_rise_started": self.started,
                "cum_rise_awarded_gbp": self.awarded_gbp}
