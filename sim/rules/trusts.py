"""Trusts: maintained schools convert to academies and join multi-academy trusts, inadequate
schools are sponsored into strong trusts, and a trust's central team supports its schools,
spread thinner as it grows (BRIEF, the partnership ladder; docs/evidence.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check, check_non_negative, check_positive, check_share
from sim.core.partnerships import ACTIVE, FEDERATION, TRUST
from sim.core.vocabulary import HEAD_IN_POST, SECONDARY
from sim.rules import FORM_PARTNERSHIP_WRITES, LEAVE_PARTNERSHIP_WRITES, Rule, p_event, relax


class Trusts(Rule):
    """Multi-academy trusts, a legal body holding academies (academy status is kept for good):

    - *conversion*: maintained schools become academies at a yearly rate by phase (calibrated so
      that every route together, sponsorship included, gives the recent trend of the academy
      share, DfE). A converter joins a nearby trust with room; a federation converts as a whole,
      at one school's rate (NGA 2016, "Federation First"), into a nearby trust with room or else
      as a trust of its own (the number of trusts has held since 2020 while their schools grew:
      schools join existing trusts); with no trust in reach a converter stands alone (a
      single-academy trust).
    - *joining*: a standalone academy joins a nearby trust with room, or founds one with the
      nearest standalone academy.
    - *sponsorship*: a school graded inadequate that is not in a trust is brokered, at the
      accountability regime's stakes, into a strong trust nearby (its schools good on average),
      leaving any federation; with none in reach, a strong nearby school not in a federation or
      trust sponsors it in a new trust of two (as RISE pairs "stuck" schools with strong trusts).
    - *growth limits*: a trust takes at most ``max_growth_per_year`` of its size a year (at least
      one school) and at most ``max_trust_size`` schools.
    - *central capacity*: each school's leadership capacity below its trust's mean is pulled up
      toward it; the pull thins when many schools joined in the past year.
    Schools leave a trust only by rebrokering (a school graded inadequate whose trust is weak
    moves to a strong one); trusts never break up. Structure is the landscape's until time 0: no
    conversions, joining or sponsorship during the spin-up.
    """

    phase = "trusts"
    summary = (
        "Maintained schools convert to academies at a yearly rate by phase and join a nearby "
        "trust with room (a federation converts whole, into such a trust or else as one); "
        "standalone academies join or found trusts; an inadequate school not in a trust is "
        "sponsored into a strong trust nearby (one in a weak trust is rebrokered); a trust grows "
        "at most so fast; its central team pulls members' capacity up toward the trust's mean, "
        "less while it grows fast.")
    reads = (
        "schools.phase", "schools.academy", "schools.graded_inadequate_now", "schools.grade",
        "schools.capacity", "schools.head", "schools.x_km", "schools.y_km",
        "partnerships.members", "partnerships.kind", "partnerships.n_members",
        "levers.accountability")
    writes = (
        "schools.academy", "schools.capacity", "schools.opened_years", "partnerships.members",
        "partnerships.n_members",
        "partnerships.kind", "flows.converted", "flows.sponsored", *FORM_PARTNERSHIP_WRITES,
        *LEAVE_PARTNERSHIP_WRITES)

    @dataclass
    class Params:
        convert_per_year_primary: float = 0.06  # evidence: academies 42.7% -> 46.1% of primaries, Jan 2024 -> 2025 (DfE): 5.9% of maintained primaries a year by every route; this is the voluntary route's rate, calibrated so that all routes (sponsorship too) give that trend
        convert_per_year_secondary: float = 0.06  # evidence: 81.9% -> 83% of secondaries (DfE): 6.1% of maintained secondaries a year by every route; calibrated likewise
        join_per_year_standalone: float = 0.05  # assumption, calibrated to the evidence: single-academy trusts joining or founding a multi-academy trust (their number fell 8% in the year to March 2024, Schools Week)
        join_radius_km: float = 15.0  # assumption: a trust is in reach when one of its schools is this close
        sponsor_probability: float = 0.8  # assumption: inadequate schools brokered to a sponsor at stakes >= 0.5 (was Accountability's intervention_probability)
        rebroker_probability: float = 0.3  # assumption: an inadequate school in a weak trust moved to a strong one
        strong_trust_max_grade: float = 2.0  # assumption: a strong trust's schools are good on average (RISE: "strong trusts")
        max_trust_size: int = 60  # assumption: the upper end of the largest size bin (evidence.md, trust sizes)
        max_growth_per_year: float = 0.25  # assumption: a trust takes in at most this share of its size a year (at least one school)
        central_support_per_year: float = 0.1  # assumption: rate at which the central team lifts a member's capacity toward the trust's mean
        growth_strain: float = 4.0  # assumption: the pull is divided by 1 + this x the share of schools that joined in the past year

        def __post_init__(self) -> None:
            for name in ("convert_per_year_primary", "convert_per_year_secondary",
                         "join_per_year_standalone", "central_support_per_year", "growth_strain",
                         "max_growth_per_year"):
                check_non_negative(name, getattr(self, name))
            check_positive("join_radius_km", self.join_radius_km)
            for name in ("sponsor_probability", "rebroker_probability"):
                check_share(name, getattr(self, name))
            check("strong_trust_max_grade", self.strong_trust_max_grade,
                  1 <= self.strong_trust_max_grade <= 4, "a mean grade from 1 to 4")
            check("max_trust_size", self.max_trust_size, self.max_trust_size >= 2,
                  "an integer >= 2")

    def step(self, model) -> None:
        s = model.schools
        draws = self.rng.random((s.n, 3))  # convert, join, sponsor: fixed size (common random numbers)
        if model.tick >= 0:  # the landscape's structure holds through the spin-up
            self.index = TrustIndex(model)
            self._sponsor(model, draws[:, 2])
            self._convert(model, draws[:, 0])
            self._join_standalone(model, draws[:, 1])
            del self.index
        self._support(model)

    # -- moves --------------------------------------------------------------------------------
    def _best_trust(self, school: int, strong: bool, exclude: int = -1, joining: int = 1) -> int:
        """The trust in reach with room (strong, if asked) that ``school`` would join, or -1: the
        one whose schools have the highest mean capacity, less a point per ``join_radius_km`` to
        its nearest school. Room is for ``joining`` schools (a federation converts whole)."""
        p, index = self.p, self.index
        trusts, km = index.in_reach(school, p.join_radius_km)
        size = np.maximum(index.size[trusts], 1)
        extra = joining - 1  # schools joining beside the first
        ok = ((trusts != exclude) & (size + extra < p.max_trust_size)
              & (index.recent[trusts] + extra < np.maximum(1.0, p.max_growth_per_year * size)))
        if strong:
            ok &= index.grade_sum[trusts] / size <= p.strong_trust_max_grade
        if not ok.any():
            return -1
        merit = index.capacity_sum[trusts] / size - km / p.join_radius_km
        return int(trusts[ok][np.argmax(merit[ok])])

    def _join(self, model, trust: int, school: int, how: str = "organic") -> None:
        model.partnerships.join(trust, school, model.now_years, how)
        model.schools.n_past_partnerships[school] += 1
        self.index.add(school, trust)
        self._become_academy(model, np.array([school]))

    @staticmethod
    def _become_academy(model, schools: np.ndarray) -> None:
        s = model.schools
        model.flows.converted += int((~s.academy[schools]).sum())
        s.academy[schools] = True

    def _leave_federations(self, model, school: int) -> None:
        """A school joining a trust leaves its federations (of maintained schools)."""
        for fed in self.index.federations_of(school):
            model.leave_partnership(fed, school, "joined_trust")

    def _convert(self, model, draw: np.ndarray) -> None:
        p, s, pt, index = self.p, model.schools, model.partnerships, self.index
        # A federation's governing body decides for its schools together: a member converts at
        # 1 / (the federation's size) of a school's rate, so a federation converts, whole, at one
        # school's rate (the DfE's rate counts schools: a federation's schools convert with it).
        chance = np.where(s.phase == SECONDARY, p_event(p.convert_per_year_secondary, model.dt),
                          p_event(p.convert_per_year_primary, model.dt)) / index.federation_size
        converting = np.flatnonzero(~s.academy & (draw < chance))
        for school in converting.tolist():
            if s.academy[school]:  # converted earlier this step with its federation
                continue
            feds = index.federations_of(school)
            if feds and (index.trust_of[pt.members(feds[0])] < 0).all():
                # The federation's governing body converts its schools together: into a trust in
                # reach with room if there is one (schools are expected to join existing trusts:
                # their number has held since 2020 while their schools grew, evidence.md), else
                # as a trust of its own. Each leaves its other federations (of maintained schools).
                members = pt.members(feds[0])
                self._become_academy(model, members)
                trust = self._best_trust(school, strong=False, joining=len(members))
                if trust >= 0:
                    for member in members.tolist():
                        self._leave_federations(model, member)
                        self._join(model, trust, member)
                    continue
                pt.update(feds[0], kind=TRUST)
                index.trust_of[members] = feds[0]
                for member in members.tolist():
                    self._leave_federations(model, member)
                continue
            self._leave_federations(model, school)
            trust = self._best_trust(school, strong=False)
            if trust >= 0:
                self._join(model, trust, school)
            else:
                self._become_academy(model, np.array([school]))  # a single-academy trust

    def _join_standalone(self, model, draw: np.ndarray) -> None:
        p, s, index = self.p, model.schools, self.index
        standalone = s.academy & (index.trust_of < 0)
        for school in np.flatnonzero(standalone & (draw < p_event(p.join_per_year_standalone,
                                                                  model.dt))).tolist():
            if index.trust_of[school] >= 0:  # joined by a founder earlier this step
                continue
            trust = self._best_trust(school, strong=False)
            if trust >= 0:
                self._join(model, trust, school)
                continue
            others = np.flatnonzero(s.academy & (index.trust_of < 0))
            others = others[others != school]
            if len(others) == 0:
                continue
            km = np.hypot(s.x_km[others] - s.x_km[school], s.y_km[others] - s.y_km[school])
            if km.min() <= p.join_radius_km:
                pair = [school, int(others[np.argmin(km)])]
                index.trust_of[pair] = model.form_partnership(pair, TRUST, "organic")

    def _sponsor(self, model, draw: np.ndarray) -> None:
        p, s, index = self.p, model.schools, self.index
        regime = model.lever("accountability")
        failing = np.flatnonzero(s.graded_inadequate_now)
        if regime.intervention != "support_partnership" or len(failing) == 0:
            return
        chance = p.sponsor_probability * min(1.0, 2 * regime.stakes)
        for school in failing[draw[failing] < chance].tolist():
            current = int(index.trust_of[school])
            if current >= 0:  # rebrokering: only out of a weak trust, and only sometimes
                weak = index.grade_sum[current] / index.size[current] > p.strong_trust_max_grade
                if not weak or draw[school] >= chance * p.rebroker_probability:
                    continue
            trust = self._best_trust(school, strong=True, exclude=current)
            if trust < 0 and current >= 0:
                continue  # no strong trust in reach to take it: it stays
            if current >= 0:
                model.leave_partnership(current, school, "transferred")
                index.remove(school, current)
            self._leave_federations(model, school)
            if trust >= 0:
                self._join(model, trust, school, how="intervention")
            elif not self._new_sponsor_trust(model, school):
                continue
            model.flows.sponsored += 1
            # The sponsored academy opens as a new school (a new URN), after the judgement that
            # failed its predecessor (within this step), and is inspected anew some years on;
            # until then the predecessor's grade stands (Ofsted's statistics since 2018).
            s.opened_years[school] = model.now_years + model.dt

    def _new_sponsor_trust(self, model, school: int) -> bool:
        """A strong school nearby, in no federation or trust, sponsors ``school`` in a new trust."""
        p, s, pt = self.p, model.schools, model.partnerships
        formal = pt.count_per_school([FEDERATION, TRUST]) > 0
        ok = (s.grade <= 2) & (s.head == HEAD_IN_POST) & ~formal
        ok[school] = False
        candidates = np.flatnonzero(ok)
        if len(candidates) == 0:
            return False
        km = np.hypot(s.x_km[candidates] - s.x_km[school], s.y_km[candidates] - s.y_km[school])
        near = km <= p.join_radius_km
        if not near.any():
            return False
        merit = np.where(near, s.capacity[candidates] - km / p.join_radius_km, -np.inf)
        sponsor = int(candidates[np.argmax(merit)])
        self._become_academy(model, np.array([school, sponsor]))
        pid = model.form_partnership([school, sponsor], TRUST, "intervention", lead=sponsor,
                                     focus=1, impact_measure=True)
        self.index.trust_of[[school, sponsor]] = pid
        return True

    def _support(self, model) -> None:
        """The central team lifts members' capacity toward the trust's mean, thinner when it grew
        fast in the past year."""
        p, s, pt = self.p, model.schools, model.partnerships
        trusts, pid, school, row = pt.links_by_row(TRUST)  # per-trust arrays by row
        if len(pid) == 0:
            return
        size = np.bincount(row, minlength=len(trusts))
        mean = np.bincount(row, s.capacity[school], minlength=len(trusts)) / np.maximum(size, 1)
        growth = pt.joined_since(model.now_years - 1.0)[trusts] / np.maximum(size, 1)
        rate = p.central_support_per_year / (1 + p.growth_strain * growth)
        capacity = s.capacity[school]
        below = np.flatnonzero(capacity < mean[row])
        s.capacity[school[below]] = relax(capacity[below], mean[row[below]], rate[row[below]], model.dt)


class TrustIndex:
    """The trusts as a step starts, for the step's many searches (fast at national scale): each
    trust's size, schools joined in the past year and sums of capacity and grade (kept up to date
    as schools join and leave), each school's trust, and its federations."""

    def __init__(self, model) -> None:
        s, pt = model.schools, model.partnerships
        self.model = model
        pid, school = pt.links()
        trust = pt.kind[pid] == TRUST
        self.pid, member = pid[trust], school[trust]
        self.size = np.bincount(self.pid, minlength=pt.size).astype(float)
        self.capacity_sum = np.bincount(self.pid, s.capacity[member], minlength=pt.size)
        self.grade_sum = np.bincount(self.pid, s.grade[member], minlength=pt.size).astype(float)
        self.recent = pt.joined_since(model.now_years - 1.0)[: pt.size].astype(float)
        self.trust_of = pt.trust_of(s.n)
        federation = pt.kind[pid] == FEDERATION
        self._federation, self._federation_school = pid[federation], school[federation]
        # Each school's federation size (the largest it is in), 1 outside federations.
        self.federation_size = np.ones(s.n)
        np.maximum.at(self.federation_size, self._federation_school,
                      pt.n_members[self._federation].astype(float))

    def in_reach(self, school: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Trusts (ids) with a school within ``radius_km`` of ``school``, and that distance (the
        schools' own spatial index: a school that joins a trust extends its reach at once)."""
        s = self.model.schools
        others = s.within(school, radius_km)
        trust = self.trust_of[others]
        member = (trust >= 0) & (trust < len(self.size))  # trusts founded this step open next step
        others, trust = others[member], trust[member]
        if len(trust) == 0:
            return trust, np.zeros(0)
        # Each trust's nearest school: its members' distances grouped by trust (only a trust's
        # nearest distance counts, so the order within a trust does not matter).
        km = np.hypot(s.x_km[school] - s.x_km[others], s.y_km[school] - s.y_km[others])  # distance_km
        order = np.argsort(trust)
        trust, km = trust[order], km[order]
        first = np.flatnonzero(np.concatenate([[True], trust[1:] != trust[:-1]]))
        trusts, km = trust[first], np.minimum.reduceat(km, first)
        open_ = self.size[trusts] > 0
        return trusts[open_], km[open_]

    def add(self, school: int, trust: int) -> None:
        s = self.model.schools
        self.size[trust] += 1
        self.recent[trust] += 1
        self.capacity_sum[trust] += s.capacity[school]
        self.grade_sum[trust] += s.grade[school]
        self.trust_of[school] = trust

    def remove(self, school: int, trust: int) -> None:
        """``school`` left ``trust`` (which ended if only one school was left)."""
        s, pt = self.model.schools, self.model.partnerships
        self.size[trust] -= 1
        self.capacity_sum[trust] -= s.capacity[school]
        self.grade_sum[trust] -= s.grade[school]
        self.trust_of[school] = -1
        if pt.end_reason[trust] != ACTIVE:
            self.size[trust] = 0  # closed to joiners
            self.trust_of[pt.members(trust)] = -1

    def federations_of(self, school: int) -> list[int]:
        """The running federations ``school`` is in."""
        pt = self.model.partnerships
        return [pid for pid in self._federation[self._federation_school == school].tolist()
                if pt.end_reason[pid] == ACTIVE and pt.kind[pid] == FEDERATION
                and school in pt.member_lists()[pid]]
