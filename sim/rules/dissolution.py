"""Dissolution: partnerships end (BRIEF process 4; S4, S1 theme 5, S2 lesson 3, S2 PL lesson 9)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check_non_negative, check_share
from sim.core.partnerships import ACTIVE, FEDERATION, FUNDED, INFORMAL, ORIGIN_CODES, is_formal
from sim.rules import LEAVE_PARTNERSHIP_WRITES, Rule, occurs


class Dissolution(Rule):
    """Competing risks, each traced to a seed, scaled down by formality ("glue", S1 theme 5):

    - *not worth it*: members judge it gives less than it takes (S4), once it has had time to
      show; an agreed impact measure makes the gains visible (S2 lesson 10);
    - *competition*: an inward-turning accountability regime (S2 policymaker lesson 9);
    - *drift*: a background hazard;
    - these three fall as the relationship strengthens, to ``rel_hazard_established`` of a new
      partnership's at full strength (S4: "after two years ... a robust and purposeful group");
      a partnership built on past joint work starts with that strength (S2 lesson 1:
      "partnership grows out of partnership"; see ``PartnershipModel.form_partnership``);
    - a federation does not break up as a whole: each member school leaves it at these
      hazards scaled by ``rel_hazard_federation``, and it ends when fewer than two remain; the
      landscape's own (observed) federations are kept whole through the spin-up;
    - a multi-academy trust is a legal body: it never ends here, and its schools leave it only
      when rebrokered (sim.rules.trusts);
    - *funding ended*: when an award runs out the members must pay for the partnership
      themselves: the cover, transport and coordination the award paid for become their own
      leaders' time (Running measures the time cost without the award). They weigh that against
      what they see it give; it ends with the chance that its cost is not worth it (the same
      exchange as *not worth it*), else carries on as an informal partnership (S1 theme 5: nothing
      formal holds it; EEF 2017: about half end within a year);
    - *head left*: when a member's head leaves, an informal or funded partnership may end,
      less likely the stronger the relationships (S2 lesson 3: welcoming new heads).
    """

    phase = "dissolution"
    summary = (
        "Funded partnerships whose award ended end if members judge them not worth their "
        "unfunded cost, else revert to informal; a head's departure may end an informal or "
        "funded partnership; these end at competing hazards (not worth it, competition, "
        "drift); a federation never breaks up as a whole — its schools leave one at a time at "
        "a much lower rate, and it ends when fewer than two remain; trusts never end here; "
        "the hazards fall as the relationship strengthens.")
    reads = (
        "schools.head_left_now", "schools.inward", "partnerships.members",
        "partnerships.n_members", "partnerships.kind", "partnerships.origin",
        "partnerships.strength", "partnerships.formed_at", "partnerships.funded_until",
        "partnerships.benefit", "partnerships.time_cost", "partnerships.impact_measure",
        "partnerships.end_reason")
    writes = ("partnerships.kind", *LEAVE_PARTNERSHIP_WRITES)

    @dataclass
    class Params:
        drift_per_year: float = 0.05  # assumption
        not_worth_it_per_year: float = 0.6  # assumption: hazard when it gives nothing back (S4)
        worth_exchange: float = 2.0  # assumption: a yearly gain of 0.05 (talent) is worth 0.1 of leaders' time
        judge_after_years: float = 1.0  # assumption: schools give a new partnership a year (S4)
        impact_measure_relief: float = 0.5  # assumption: share of the not-worth-it hazard removed (S2 lesson 10)
        competition_per_year: float = 0.3  # assumption: hazard at a fully inward regime (S2 PL 9)
        end_when_head_leaves: float = 0.4  # assumption: chance a weak-trust partnership ends (S2 lesson 3)
        rel_hazard_funded: float = 0.5  # assumption: while funded
        rel_hazard_federation: float = 0.05  # assumption: per school leaving a federation, ~1-2% a year (S1 theme 5: the "glue")
        rel_hazard_established: float = 0.3  # assumption: hazards at full relationship strength against a new partnership's (S4: robust after two years; S2 lesson 1)

        def __post_init__(self) -> None:
            for name in ("drift_per_year", "not_worth_it_per_year", "worth_exchange",
                         "judge_after_years", "competition_per_year"):
                check_non_negative(name, getattr(self, name))
            for name in ("impact_measure_relief", "end_when_head_leaves",
                         "rel_hazard_funded", "rel_hazard_federation", "rel_hazard_established"):
                check_share(name, getattr(self, name))

    def step(self, model) -> None:
        p, s, pt, now = self.p, model.schools, model.partnerships, model.now_years
        ids = pt.active_ids()  # per-partnership work covers running partnerships only
        if len(ids) == 0:
            return
        draws = self.rng.random((len(ids), 3))
        strength = pt.strength[ids]

        # Funding runs out: members weigh what it gives against what it now costs them (Running's
        # time cost without the award's cover, transport and coordination); the shortfall is the
        # chance they end it, else it carries on as an informal partnership.
        shortfall = np.maximum(0.0, 1 - p.worth_exchange * pt.benefit[ids]
                               / np.maximum(pt.time_cost[ids], 1e-9))
        expired = (pt.kind[ids] == FUNDED) & (pt.funded_until[ids] <= now)
        funding_ends = expired & (draws[:, 0] < shortfall)
        pt.update(ids[expired & ~funding_ends], kind=INFORMAL)

        kind = pt.kind[ids]

        # A member's head left this step. Per-partnership arrays by row (position in ``ids``).
        row_of = np.full(pt.size, -1, dtype=np.int64)
        row_of[ids] = np.arange(len(ids))
        pid, school = pt.links()
        row = row_of[pid]
        hit = np.zeros(len(ids), dtype=bool)
        hit[row[s.head_left_now[school]]] = True
        formal = is_formal(kind)
        # A departure before the partnership formed (e.g. the head who made way for an
        # executive head) is no reason to end it.
        hit &= pt.formed_at[ids] < now
        head_ends = (~funding_ends & hit & ~formal
                     & (draws[:, 1] < p.end_when_head_leaves * (1 - strength)))

        # Competing hazards.
        judged = (now - pt.formed_at[ids]) >= p.judge_after_years
        relief = np.where(pt.impact_measure[ids], 1 - p.impact_measure_relief, 1.0)
        inward = (np.bincount(row, s.inward[school], minlength=len(ids))
                  / np.maximum(pt.n_members[ids], 1))
        hazards = np.stack([
            p.not_worth_it_per_year * shortfall * relief * judged,
            p.competition_per_year * inward,
            np.full(len(ids), p.drift_per_year),
        ])
        reasons = ("not_worth_it", "competition", "drift")
        # Robust relationships last (S4, S2 lesson 1).
        rel = (np.where(kind == FUNDED, p.rel_hazard_funded, 1.0)
               * (1 - (1 - p.rel_hazard_established) * strength))
        hazard = hazards.sum(axis=0)
        total = hazard * rel
        hazard_ends = np.flatnonzero(~funding_ends & ~head_ends & ~formal
                                     & occurs(draws[:, 2], total, model.dt))
        pick = self._which_risk(hazards[:, hazard_ends])
        model.end_partnerships(
            np.concatenate([ids[funding_ends], ids[head_ends], ids[hazard_ends]]),
            ["funding_ended"] * int(funding_ends.sum()) + ["head_left"] * int(head_ends.sum())
            + [reasons[code] for code in pick])

        # A federation is held by shared governance: it does not break up as a whole; its
        # schools leave one at a time (it ends when fewer than two remain).
        leave_rate = hazard * p.rel_hazard_federation
        if model.tick < 0:  # the landscape's own federations are data: kept to time 0
            leave_rate = np.where(pt.origin[ids] == ORIGIN_CODES["initial"], 0.0, leave_rate)
        pid, school = pt.links()  # less the memberships that ended just now
        row = row_of[pid]
        federation = kind == FEDERATION
        rate = np.where((row >= 0) & federation[row], leave_rate[row], 0.0)
        leaving = np.flatnonzero(occurs(self.rng.random(len(pid)), rate, model.dt))
        if len(leaving) == 0:
            return
        why = np.array(reasons)[self._which_risk(hazards[:, row[leaving]])]
        # A school leaving a federation of two ends it (for the first leaver's reason).
        pair = pt.n_members[pid[leaving]] <= 2
        ended, first = np.unique(pid[leaving[pair]], return_index=True)
        model.end_partnerships(ended, why[pair][first])
        for link, reason in zip(leaving[~pair], why[~pair], strict=True):
            if pt.end_reason[pid[link]] == ACTIVE:  # an earlier leaver may have ended it
                model.leave_partnership(int(pid[link]), int(school[link]), str(reason))

    def _which_risk(self, hazards: np.ndarray) -> np.ndarray:
        """For each event, which of the competing risks caused it (in proportion to hazards)."""
        if hazards.shape[1] == 0:
            return np.zeros(0, dtype=np.int64)
        share = hazards / np.maximum(hazards.sum(axis=0), 1e-12)
        return (self.rng.random(hazards.shape[1]) > np.cumsum(share, axis=0)[:-1]).sum(axis=0)

