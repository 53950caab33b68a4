"""Funded programmes: money for partnerships, as the funding lever sets it
(BRIEF funding lever; S3 pathfinder; S2 lesson 8, LA lesson 5, policymaker lesson 7)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from sim.core.checks import check_non_negative
from sim.core.partnerships import ACTIVE, FOCUS_NAMES, FUNDED, INFORMAL, ORIGIN_CODES
from sim.core.vocabulary import QUALITY_SD, SECONDARY
from sim.rules import FORM_PARTNERSHIP_WRITES, FUND_WRITES, Rule


class FundedProgramme(Rule):
    """While the funding lever is in force, a budget accrues each step. It first funds
    partnerships formed this step whose members are all eligible (schools applying), then
    brokers new ones: a lead school (good or outstanding, strong) with an emerging school in need
    (S3), or a lump sum to a cluster of nearby eligible schools (S2 policymaker lesson 7),
    building on an existing cluster where there is one (S2 lesson 1). Awards last
    ``duration_years`` and are drawn down evenly (see Running)."""

    phase = "formation"
    provides = ("funding_programme",)
    summary = (
        "While the funding lever is in force a budget accrues; it funds this step's new "
        "partnerships whose members are all eligible, then brokers lead + emerging pairs (S3) "
        "or lump sums to clusters (S2 PL 7).")
    reads = (
        "schools.phase", "schools.pupils", "schools.rural", "schools.grade", "schools.need",
        "schools.talent", "schools.capacity", "schools.x_km", "schools.y_km",
        "partnerships.members", "partnerships.formed_at", "partnerships.end_reason", "partnerships.origin",
        "partnerships.kind", "partnerships.funding_gbp", "levers.funding", "levers.distance")
    writes = (*FUND_WRITES, *FORM_PARTNERSHIP_WRITES)

    @dataclass
    class Params:
        emerging_min_need: float = 0.5  # assumption: need score that makes a school an emerging school
        lead_max_grade: int = 2  # assumption: lead schools are good or outstanding (S3 names no criterion)
        search_km: float = 20.0  # assumption: how far the programme looks for a lead school

        def __post_init__(self) -> None:
            check_non_negative("search_km", self.search_km)

    def setup(self, model) -> None:
        self.budget_gbp = 0.0

    def eligible(self, model, funding) -> np.ndarray:
        """Schools the programme may fund, by the lever's ``eligible`` setting."""
        s = model.schools
        if funding.eligible == "small_rural":
            return s.small & s.rural
        if funding.eligible == "struggling":
            return s.struggling | (s.need >= self.p.emerging_min_need)
        return np.ones(s.n, dtype=bool)

    def step(self, model) -> None:
        funding = model.lever("funding")
        if funding.budget_gbp_per_year_per_1000_schools <= 0:
            self.budget_gbp = 0.0  # unspent money lapses when a programme stops
            return
        s, pt = model.schools, model.partnerships
        self.budget_gbp += funding.budget_gbp_per_year_per_1000_schools * s.n / 1000 * model.dt
        eligible = self.eligible(model, funding)

        # Applications: partnerships formed this step that fit the programme (S0: school-led).
        new = np.flatnonzero((pt.formed_at == model.now_years) & (pt.end_reason == ACTIVE)
                             & (pt.kind == INFORMAL) & (pt.funding_gbp == 0)
                             & (pt.origin == ORIGIN_CODES["organic"]))  # not executive heads
        for pid in new:
            members = pt.members(pid)
            if self._fits(model, funding, members, eligible) \
                    and not self._award(model, funding, pid, members):
                return

        if self.budget_gbp < min(funding.amount_primary_gbp, funding.amount_secondary_gbp):
            return
        order = self.rng.permutation(s.n)
        in_funded = pt.count_per_school([FUNDED]) > 0
        for school in order[eligible[order] & ~in_funded[order]]:
            if funding.recipient == "pair":
                if s.need[school] < self.p.emerging_min_need:
                    continue
                members = self._lead_for(model, school, eligible)
            else:
                members = self._cluster_around(model, school, eligible & ~in_funded,
                                               funding.cluster_size)
            if members is None:
                continue
            if self._cost(funding, s, members) > self.budget_gbp:
                return
            pid = self._existing_cluster(model, members)
            if pid is None and any(pt.partnered(a, b) for a, b in combinations(members, 2)):
                continue  # some already work together elsewhere: no second partnership for them
            if pid is None:
                focus = FOCUS_NAMES.index("teaching_learning")  # S3: the main focus
                pid = model.form_partnership(members, INFORMAL, "programme", focus=focus,
                                             lead=int(members[-1]) if funding.recipient == "pair" else -1)
            self._award(model, funding, pid, pt.members(pid))
            in_funded[pt.members(pid)] = True

    def _fits(self, model, funding, members: np.ndarray, eligible: np.ndarray) -> bool:
        """Whether a partnership has the programme's shape: every member eligible; for clusters,
        at least ``cluster_size`` schools; for pairs, one lead school (good or outstanding) with
        one emerging school in need (S3)."""
        if not eligible[members].all():
            return False
        if funding.recipient == "cluster":
            return len(members) >= funding.cluster_size
        s = model.schools
        if len(members) != 2:
            return False
        lead = s.grade[members] <= self.p.lead_max_grade
        emerging = s.need[members] >= self.p.emerging_min_need
        return bool((lead[0] and emerging[1]) or (lead[1] and emerging[0]))

    @staticmethod
    def _cost(funding, s, members) -> float:
        secondary = (s.phase[members] == SECONDARY).any()
        return funding.amount_secondary_gbp if secondary else funding.amount_primary_gbp

    def _award(self, model, funding, pid: int, members) -> bool:
        amount = self._cost(funding, model.schools, members)
        if amount > self.budget_gbp:
            return False
        self.budget_gbp -= amount
        model.partnerships.fund(pid, amount, funding.duration_years, model.now_years)
        return True

    def _reach(self, model) -> float:
        """How far (km) the programme looks for partners: its own reach, within any distance cap."""
        cap = model.lever("distance").max_partner_km
        return self.p.search_km if cap is None else min(self.p.search_km, cap)

    def _lead_for(self, model, school: int, eligible) -> np.ndarray | None:
        """The strongest good or outstanding school nearby, for an emerging school (S3)."""
        s = model.schools
        cand, km = s.near(school, self._reach(model))
        ok = (s.grade[cand] <= self.p.lead_max_grade) & (s.phase[cand] == s.phase[school])
        strength = (s.talent[cand] + s.capacity[cand]) / QUALITY_SD - km / 10
        ranked = cand[ok][np.argsort(-strength[ok], kind="stable")]  # strongest first
        lead = next((int(c) for c in ranked if not model.partnerships.partnered(school, c)), -1)
        return None if lead < 0 else np.array([school, lead])

    def _cluster_around(self, model, school: int, eligible, size: int) -> np.ndarray | None:
        """``school`` and its nearest eligible neighbours within reach (S2: geographically focused)."""
        cand, _ = model.schools.near(school, self._reach(model))
        chosen = cand[eligible[cand]][: size - 1]
        return np.concatenate([[school], chosen]) if len(chosen) == size - 1 else None

    @staticmethod
    def _existing_cluster(model, members) -> int | None:
        """An active unfunded informal partnership holding all of ``members``, if any."""
        pt = model.partnerships
        pid, school = pt.links()
        mine = pid[school == members[0]]
        for candidate in mine:
            if pt.kind[candidate] == INFORMAL and pt.funding_gbp[candidate] == 0 \
                    and set(members) <= set(pt.members(candidate).tolist()):
                return int(candidate)
        return None
