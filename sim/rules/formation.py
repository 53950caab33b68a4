"""Formation: schools look for partners, both sides must accept, and partnerships formalise
(BRIEF process 2; S0, S1, S2 lessons 1-2 and 9, S4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check, check_non_negative, check_positive, check_share
from sim.core.partnerships import FEDERATION, FOCUS_NAMES, INFORMAL
from sim.core.vocabulary import QUALITY_SD
from sim.rules import FORM_PARTNERSHIP_WRITES, Rule, p_event


def complement(s, me, other) -> np.ndarray:
    """How much stronger ``other`` is than ``me`` in teaching and leadership, in SDs (S0)."""
    return (np.maximum(0, s.talent[other] - s.talent[me])
            + np.maximum(0, s.capacity[other] - s.capacity[me])) / QUALITY_SD


class Formation(Rule):
    """Schools seek partners at a rate raised by need (S0), by their history of partnering
    (S2 lesson 1) and by funding on offer, and lowered by an inward-turning accountability regime
    (S2 PL lesson 9). A seeker scores its nearest schools on complementarity (S0), past ties
    (S2 lesson 1, S4), shared values (S1 theme 1, S4), different catchments (S0), phase and
    distance (S2 lesson 2), and asks the best; the candidate accepts on its own view of the match.
    A seeker may join the candidate's small informal cluster instead of pairing (S4: small first,
    growing). Established informal partnerships of two or three maintained schools federate
    (S2 LA lesson 2, S1 theme 5)."""

    phase = "formation"
    summary = (
        "Schools seek partners (rate raised by need, history and funding on offer, lowered by "
        "inwardness), score their neighbours, ask one; the candidate accepts on its own view; "
        "the seeker may join the candidate's informal cluster instead; mature, strong informal "
        "partnerships of two or three maintained schools federate.")
    reads = (
        "schools.need", "schools.n_past_partnerships", "schools.inward", "schools.n_partnerships",
        "schools.talent", "schools.capacity", "schools.ties", "schools.ethos", "schools.fsm",
        "schools.phase", "schools.neighbours", "schools.neighbour_km", "partnerships.members",
        "partnerships.kind", "partnerships.n_members", "partnerships.strength",
        "partnerships.formed_at", "schools.academy", "levers.funding", "levers.distance",
        "service.funding_programme")
    writes = (
        "schools.n_partnerships", "partnerships.members", "partnerships.n_members",
        "partnerships.kind", "partnerships.formalised_at", *FORM_PARTNERSHIP_WRITES)

    @dataclass
    class Params:
        seek_rate_per_year: float = 0.10  # assumption: calibrated to a steady share partnering
        rel_seek_need: float = 1.5  # assumption: extra seeking at full need (S0)
        rel_seek_per_past_partnership: float = 0.3  # assumption, up to 3 past partnerships (S2 lesson 1)
        rel_seek_funding_on_offer: float = 1.0  # assumption: extra seeking while a programme runs
        max_partnerships_per_school: int = 3  # assumption: time limits how many (S2 lesson 9)
        weight_complement: float = 1.0  # assumption: points per SD a candidate is stronger (S0)
        weight_tie: float = 2.0  # assumption: points for a past partner at full strength (S2 lesson 1)
        weight_ethos: float = 1.5  # assumption: points for identical values (S1 theme 1, S4)
        weight_catchment_difference: float = 0.3  # assumption: points per 0.15 FSM difference (S0)
        weight_same_phase: float = 1.0  # assumption: similar priorities within a phase (S4)
        distance_scale_km: float = 8.0  # assumption: each such distance costs one point (S2 lesson 2)
        weight_busy: float = 1.0  # assumption: points lost per partnership the candidate has
        weight_funding: float = 1.0  # assumption: points when the pair could be funded
        accept_bias: float = -1.0  # assumption: candidate's acceptance logit offset
        accept_weight_need: float = 2.0  # assumption: acceptance logit points at full need (S0)
        accept_weight_inward: float = 2.0  # assumption: logit points lost in a fully inward regime (S2 PL 9)
        join_cluster_probability: float = 0.5  # assumption (S4: small at first, growing)
        max_cluster_size: int = 6  # assumption
        informal_impact_measure_share: float = 0.3  # assumption: informal groups agreeing measures (S2 lesson 10)
        data_focus_share: float = 0.2  # assumption: share of new partnerships focused on data and assessment (S3)
        formalise_rate_per_year: float = 0.03  # assumption (S2 LA lesson 2, S1 theme 5)
        max_federation_size: int = 3  # BRIEF: federations are mostly two or three schools
        formalise_min_strength: float = 0.7  # assumption
        formalise_min_age_years: float = 2.0  # assumption (S4: robust after two years)

        def __post_init__(self) -> None:
            for name in ("seek_rate_per_year", "rel_seek_need", "rel_seek_per_past_partnership",
                         "rel_seek_funding_on_offer", "weight_complement", "weight_tie",
                         "weight_ethos", "weight_catchment_difference", "weight_same_phase",
                         "weight_busy", "weight_funding", "formalise_rate_per_year",
                         "accept_weight_need", "accept_weight_inward",
                         "formalise_min_age_years"):
                check_non_negative(name, getattr(self, name))
            check_positive("distance_scale_km", self.distance_scale_km)
            check("max_partnerships_per_school", self.max_partnerships_per_school,
                  self.max_partnerships_per_school >= 1, "an integer >= 1")
            check("max_cluster_size", self.max_cluster_size, self.max_cluster_size >= 2,
                  "an integer >= 2")
            check("max_federation_size", self.max_federation_size, self.max_federation_size >= 2,
                  "an integer >= 2")
            for name in ("join_cluster_probability", "informal_impact_measure_share", "data_focus_share",
                         "formalise_min_strength"):
                check_share(name, getattr(self, name))

    def setup(self, model) -> None:
        # The part of a match's score that rests on fixed characteristics (SchoolState): shared
        # values, different catchments and the same phase, for each school and each neighbour.
        p, s = self.p, model.schools
        cand, me = s.neighbours, np.arange(s.n)[:, None]
        self.affinity = (p.weight_ethos * (1 - 2 * np.abs(s.ethos[cand] - s.ethos[me]))
                         + p.weight_catchment_difference * np.abs(s.fsm[cand] - s.fsm[me]) / 0.15
                         + p.weight_same_phase * (s.phase[cand] == s.phase[me]))

    def step(self, model) -> None:
        p, s, n = self.p, model.schools, model.schools.n
        funding = model.lever("funding")
        programme = model.provider("funding_programme")
        on_offer = funding.budget_gbp_per_year_per_1000_schools > 0 and programme is not None
        draws = self.rng.random((n, 5))  # seek, accept, join, impact measure, focus: fixed size (CRN)

        history = np.minimum(s.n_past_partnerships, 3)
        rate = (p.seek_rate_per_year * (1 + p.rel_seek_need * s.need)
                * (1 + p.rel_seek_per_past_partnership * history)
                * (1 + p.rel_seek_funding_on_offer * on_offer) * (1 - s.inward))
        room = s.n_partnerships < p.max_partnerships_per_school
        seekers = np.flatnonzero(room & (draws[:, 0] < p_event(rate, model.dt)))
        if len(seekers):
            self._match(model, seekers, draws, programme if on_offer else None, funding)
        self._formalise(model)

    def candidate_scores(self, model, seekers: np.ndarray, fundable=None) -> tuple[np.ndarray, np.ndarray]:
        """Each seeker's score for each of its neighbours (-inf where not allowed)."""
        p, s = self.p, model.schools
        cand = s.neighbours[seekers]
        km = s.neighbour_km[seekers]
        me = seekers[:, None]
        distance = model.lever("distance")
        score = (p.weight_complement * complement(s, me, cand)
                 + p.weight_tie * s.ties[seekers]
                 + self.affinity[seekers]
                 - p.weight_busy * s.n_partnerships[cand]
                 - km / p.distance_scale_km * (1 - distance.transport_subsidy_share))
        if fundable is not None:
            score = score + p.weight_funding * (fundable[cand] & fundable[me])
        allowed = (s.n_partnerships[cand] < p.max_partnerships_per_school)
        allowed &= ~model.partnerships.partnered_many(me, cand)
        if distance.max_partner_km is not None:
            allowed &= km <= distance.max_partner_km
        return cand, np.where(allowed, score, -np.inf)

    def _match(self, model, seekers, draws, programme, funding) -> None:
        p, s, pt = self.p, model.schools, model.partnerships
        fundable = programme.eligible(model, funding) if programme is not None else None
        cand, score = self.candidate_scores(model, seekers, fundable)
        gumbel = -np.log(-np.log(self.rng.random(score.shape)))  # choice noise (logit choice)
        best = np.argmax(score + gumbel, axis=1)
        rows = np.arange(len(seekers))
        ok = np.isfinite(score[rows, best])
        seekers, partners, score = seekers[ok], cand[rows, best][ok], score[rows, best][ok]
        # The candidate's view: the same match seen from its side (what *it* would gain), plus
        # its own need and how inward the regime has turned it.
        view = (p.accept_bias + score
                + p.weight_complement * (complement(s, partners, seekers) - complement(s, seekers, partners))
                + p.accept_weight_need * s.need[partners]
                - p.accept_weight_inward * s.inward[partners])
        accepted = draws[seekers, 1] < 1.0 / (1.0 + np.exp(-view))
        clusters = self._small_clusters(model)
        for me, other in zip(seekers[accepted], partners[accepted], strict=True):
            if pt.partnered(me, other) or s.n_partnerships[me] >= p.max_partnerships_per_school \
                    or s.n_partnerships[other] >= p.max_partnerships_per_school:
                continue  # an earlier match this step used up the room
            cluster = clusters[other]
            if cluster >= 0 and draws[me, 2] < p.join_cluster_probability \
                    and pt.n_members[cluster] < p.max_cluster_size \
                    and not any(pt.partnered(me, x) for x in pt.members(cluster)):
                pt.join(cluster, int(me), model.now_years)
                s.n_past_partnerships[me] += 1
                s.n_partnerships[me] += 1
                continue
            # Work on the seeker's weaker side, or on sharing data (S3's three areas).
            weaker_in_teaching = s.talent[me] - s.talent[other] < s.capacity[me] - s.capacity[other]
            focus = FOCUS_NAMES.index(
                "data_assessment" if draws[me, 4] < p.data_focus_share
                else "teaching_learning" if weaker_in_teaching else "leadership")
            model.form_partnership([me, other], INFORMAL, "organic", focus=focus,
                                   impact_measure=bool(draws[me, 3] < p.informal_impact_measure_share))
            s.n_partnerships[[me, other]] += 1

    @staticmethod
    def _small_clusters(model) -> np.ndarray:
        """For each school, one informal partnership it belongs to, or -1 (offered to seekers)."""
        pt = model.partnerships
        pid, school = pt.links()
        informal = pt.kind[pid] == INFORMAL
        cluster = np.full(model.schools.n, -1, dtype=np.int64)
        cluster[school[informal]] = pid[informal]
        return cluster

    def _formalise(self, model) -> None:
        """A mature, strong informal partnership of a few maintained schools federates under one
        governing body (S2 LA lesson 2, S1 theme 5). Academies' formal structure is the trust
        (sim.rules.trusts). The landscape's structure holds through the spin-up."""
        if model.tick < 0:
            return
        p, pt, s = self.p, model.partnerships, model.schools
        ids = pt.active_ids()
        ready = ((pt.kind[ids] == INFORMAL) & (pt.strength[ids] >= p.formalise_min_strength)
                 & (model.now_years - pt.formed_at[ids] >= p.formalise_min_age_years)
                 & (pt.n_members[ids] <= p.max_federation_size))
        pid, school = pt.links()
        has_academy = np.bincount(pid, s.academy[school], minlength=pt.size)[ids] > 0
        draw = self.rng.random(len(ids))
        chosen = ids[ready & ~has_academy & (draw < p_event(p.formalise_rate_per_year, model.dt))]
        pt.update(chosen, kind=FEDERATION, formalised_at=model.now_years)
