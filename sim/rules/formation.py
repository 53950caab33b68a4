"""Formation: schools look for partners, both sides must accept, and partnerships formalise
(BRIEF process 2; S0, S1, S2 lessons 1-2 and 9, S4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check, check_non_negative, check_positive, check_share
from sim.core.partnerships import FEDERATION, FOCUS_NAMES, INFORMAL
from sim.core.state import expand_ranges
from sim.core.vocabulary import PRIMARY, QUALITY_SD, SECONDARY
from sim.rules import FORM_PARTNERSHIP_WRITES, Rule, occurs, p_event


def complement(s, me, other) -> np.ndarray:
    """How much stronger ``other`` is than ``me`` in teaching and leadership, in SDs (S0)."""
    return (np.maximum(0, s.talent[other] - s.talent[me])
            + np.maximum(0, s.capacity[other] - s.capacity[me])) / QUALITY_SD


class Formation(Rule):
    """Schools seek partners at a rate raised by need (S0), by their history of partnering
    (S2 lesson 1) and by funding on offer, and lowered by an inward-turning accountability regime
    (S2 PL lesson 9). A seeker scores every school within its search radius (wider between
    secondaries, which are few and far apart) on complementarity (S0), past ties
    (S2 lesson 1, S4), shared values (S1 theme 1, S4), different catchments (S0), phase and
    distance (S2 lesson 2), and asks the best; the candidate accepts on its own view of the match.
    A seeker may join the candidate's small informal cluster instead of pairing (S4: small first,
    growing). Established informal partnerships of two or three maintained schools federate
    (S2 LA lesson 2, S1 theme 5)."""

    phase = "formation"
    summary = (
        "Schools seek partners (rate raised by need, history and funding on offer, lowered by "
        "inwardness), score the schools within their search radius, ask one; the candidate "
        "accepts on its own view; the seeker may join the candidate's informal cluster instead; "
        "mature, strong informal partnerships of two or three maintained schools federate.")
    reads = (
        "schools.need", "schools.n_past_partnerships", "schools.inward", "schools.n_partnerships",
        "schools.talent", "schools.capacity", "schools.ties", "schools.ethos", "schools.fsm",
        "schools.phase", "schools.x_km", "schools.y_km", "schools.tie_partner",
        "partnerships.members",
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
        distance_scale_secondary_km: float = 16.5  # assumption: between secondaries, distance weighs in proportion to pupils' journeys (7.0 against 3.4 miles, Defra: x2.06; S0: partners for fit, not closeness)
        search_radius_primary_km: float = 10.0  # assumption: about two rural primary journeys (3.4 miles, Defra); also the radius between phases (S2 lesson 2: keep it local)
        search_radius_secondary_km: float = 50.0  # assumption: between secondaries, about four rural secondary journeys (7.0 miles, Defra), so distance caps up to 50 km bite (S0: different, not close)
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
            check_positive("distance_scale_secondary_km", self.distance_scale_secondary_km)
            check_positive("search_radius_primary_km", self.search_radius_primary_km)
            check_positive("search_radius_secondary_km", self.search_radius_secondary_km)
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
        # Who each school may ask: every school within its search radius (a sparse table), and
        # the part of each match's score that rests on fixed characteristics (SchoolState):
        # shared values, different catchments, the same phase and distance (at no subsidy).
        p, s = self.p, model.schools
        self.candidates = s.neighbour_table(
            {PRIMARY: p.search_radius_primary_km, SECONDARY: p.search_radius_secondary_km},
            cross_phase_km=p.search_radius_primary_km)
        me = np.repeat(np.arange(s.n, dtype=np.int32), self.candidates.count())
        cand = self.candidates.index
        ethos, fsm = s.ethos.astype(np.float32), s.fsm.astype(np.float32)  # float32: a big table
        both_secondary = (s.phase[cand] == SECONDARY) & (s.phase[me] == SECONDARY)
        # Points one km costs: less between secondaries, whose pupils travel further.
        self.per_km = np.where(both_secondary, 1 / p.distance_scale_secondary_km,
                               1 / p.distance_scale_km).astype(np.float32)
        self.affinity = (p.weight_ethos * (1 - 2 * np.abs(ethos[cand] - ethos[me]))
                         + p.weight_catchment_difference * np.abs(fsm[cand] - fsm[me]) / 0.15
                         + p.weight_same_phase * (s.phase[cand] == s.phase[me])
                         - self.candidates.km * self.per_km).astype(np.float32)

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
        seekers = np.flatnonzero(room & occurs(draws[:, 0], rate, model.dt))
        if len(seekers):
            self._match(model, seekers, draws, programme if on_offer else None, funding)
        self._formalise(model)

    def candidate_scores(self, model, seekers: np.ndarray, fundable=None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(seeker, candidate, score) for every school within each seeker's search radius,
        seeker by seeker (``seekers`` ascending); the score is -inf where the match is not allowed."""
        p, s, n = self.p, model.schools, model.schools.n
        me, at = self.candidates.entries(seekers)
        cand = self.candidates.index[at].astype(np.int64)
        distance = model.lever("distance")
        # In float32 (the arrays are long): complement as in ``complement``, then the fixed part.
        busy = (p.weight_busy * s.n_partnerships).astype(np.float32)
        talent, capacity = s.talent.astype(np.float32), s.capacity.astype(np.float32)
        stronger = (np.maximum(0, talent[cand] - talent[me])
                    + np.maximum(0, capacity[cand] - capacity[me]))
        score = (np.float32(p.weight_complement / QUALITY_SD) * stronger + self.affinity[at]
                 - busy[cand])
        if distance.transport_subsidy_share > 0:  # the subsidy pays back part of the distance cost
            score += (self.candidates.km[at] * self.per_km[at]
                      * np.float32(distance.transport_subsidy_share))
        # Past joint work and current partners, looked up by pair: keys ``me * n + cand`` are
        # ascending (seekers ascending, candidates ascending within each), so a search finds them.
        keys = me * n + cand
        tied, other, strength = s.ties_of(seekers)
        where, found = _positions(keys, tied * n + other)
        score[where[found]] += p.weight_tie * strength[found]
        if fundable is not None:
            score += np.float32(p.weight_funding) * (fundable[cand] & fundable[me])
        allowed = (s.n_partnerships < p.max_partnerships_per_school)[cand]
        where, found = _positions(keys, _partner_keys(model, seekers))
        allowed[where[found]] = False
        if distance.max_partner_km is not None:
            allowed &= self.candidates.km[at] <= distance.max_partner_km
        return me, cand, np.where(allowed, score, np.float32(-np.inf))

    def _match(self, model, seekers, draws, programme, funding) -> None:
        p, s, pt = self.p, model.schools, model.partnerships
        fundable = programme.eligible(model, funding) if programme is not None else None
        me, cand, score = self.candidate_scores(model, seekers, fundable)
        if len(me) == 0:
            return
        best = self.choose(me, score)
        seekers, partners, score = me[best], cand[best], score[best]
        # The candidate's view: the same match seen from its side (what *it* would gain), plus
        # its own need and how inward the regime has turned it.
        view = (p.accept_bias + score
                + p.weight_complement * (complement(s, partners, seekers) - complement(s, seekers, partners))
                + p.accept_weight_need * s.need[partners]
                - p.accept_weight_inward * s.inward[partners])
        with np.errstate(over="ignore"):  # a very negative view: exp overflows, the chance is 0
            accepted = draws[seekers, 1] < 1.0 / (1.0 + np.exp(-view))
        seekers, partners = seekers[accepted], partners[accepted]
        # What each match would be, decided at once; the loop below only settles conflicts
        # within the step (room used up by an earlier match, a cluster grown full).
        cluster = self._small_clusters(model)[partners]
        joins = (cluster >= 0) & (draws[seekers, 2] < p.join_cluster_probability)
        # Work on the seeker's weaker side, or on sharing data (S3's three areas).
        weaker_in_teaching = (s.talent[seekers] - s.talent[partners]
                              < s.capacity[seekers] - s.capacity[partners])
        focus = np.where(draws[seekers, 4] < p.data_focus_share, FOCUS_NAMES.index("data_assessment"),
                         np.where(weaker_in_teaching, FOCUS_NAMES.index("teaching_learning"),
                                  FOCUS_NAMES.index("leadership")))
        measure = draws[seekers, 3] < p.informal_impact_measure_share
        # Room left of the schools in a match, in plain Python for the loop.
        involved = np.unique(np.concatenate([seekers, partners]))
        room = dict(zip(involved.tolist(),
                        (p.max_partnerships_per_school - s.n_partnerships[involved]).tolist(),
                        strict=True))
        for me, other, pid, join, area, with_measure in zip(
                seekers.tolist(), partners.tolist(), cluster.tolist(), joins.tolist(),
                focus.tolist(), measure.tolist(), strict=True):
            if room[me] <= 0 or room[other] <= 0 or pt.partnered(me, other):
                continue  # an earlier match this step used up the room
            if join and pt.n_members[pid] < p.max_cluster_size \
                    and not any(pt.partnered(me, x) for x in pt.member_lists()[pid]):
                pt.join(pid, me, model.now_years)
                s.n_past_partnerships[me] += 1
                room[me] -= 1
                continue
            model.form_partnership([me, other], INFORMAL, "organic", focus=area,
                                   impact_measure=with_measure)
            room[me] -= 1
            room[other] -= 1
        n_partnerships = s.n_partnerships.copy()
        n_partnerships[list(room)] = p.max_partnerships_per_school - np.fromiter(
            room.values(), dtype=np.int64, count=len(room))
        s.n_partnerships = n_partnerships

    def choose(self, me: np.ndarray, score: np.ndarray) -> np.ndarray:
        """The entry each seeker asks: its best score after choice noise (multinomial logit), a
        maximum over each seeker's run of entries; seekers with nothing allowed ask no one."""
        exponential = self.rng.standard_exponential(len(score), dtype=np.float32)
        np.maximum(exponential, np.finfo(np.float32).tiny, out=exponential)  # a float32 draw may be 0
        noisy = score - np.log(exponential)  # + Gumbel noise
        first = np.flatnonzero(np.concatenate([[True], me[1:] != me[:-1]]))
        top = np.flatnonzero(noisy == np.repeat(np.maximum.reduceat(noisy, first),
                                                np.diff(np.append(first, len(me)))))
        best = top[np.concatenate([[True], me[top][1:] != me[top][:-1]])]  # first top per seeker
        return best[np.isfinite(score[best])]

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
        draw = self.rng.random(len(ids))  # one per running partnership (CRN)
        # The few drawn are checked (the same as checking every one, then keeping those drawn).
        ids = ids[draw < p_event(p.formalise_rate_per_year, model.dt)]
        ready = ((pt.kind[ids] == INFORMAL) & (pt.strength[ids] >= p.formalise_min_strength)
                 & (model.now_years - pt.formed_at[ids] >= p.formalise_min_age_years)
                 & (pt.n_members[ids] <= p.max_federation_size))
        member_lists = pt.member_lists()
        has_academy = np.array([s.academy[member_lists[pid]].any() for pid in ids.tolist()],
                               dtype=bool)
        pt.update(ids[ready & ~has_academy], kind=FEDERATION, formalised_at=model.now_years)


def _positions(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` sits in ``sorted_keys``, and whether it is there at all."""
    where = np.minimum(np.searchsorted(sorted_keys, keys), max(len(sorted_keys) - 1, 0))
    found = sorted_keys[where] == keys if len(sorted_keys) else np.zeros(len(keys), dtype=bool)
    return where, found


def _partner_keys(model, seekers: np.ndarray) -> np.ndarray:
    """Keys ``seeker * n + partner`` of every school each seeker now shares a partnership with."""
    pid, school = model.partnerships.links()
    n = model.schools.n
    is_seeker = np.zeros(n, dtype=bool)
    is_seeker[seekers] = True
    mine = is_seeker[school]
    # Only the links of the seekers' partnerships, sorted by partnership (a few of ~50,000).
    wanted = np.zeros(model.partnerships.size, dtype=bool)
    wanted[pid[mine]] = True
    theirs = np.flatnonzero(wanted[pid])
    order = theirs[np.argsort(pid[theirs], kind="stable")]
    by_pid = pid[order]
    start = np.searchsorted(by_pid, pid[mine], side="left")
    stop = np.searchsorted(by_pid, pid[mine], side="right")
    return np.repeat(school[mine], stop - start) * n + school[order][expand_ranges(start, stop)]
