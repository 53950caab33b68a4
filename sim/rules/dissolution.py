"""Dissolution: partnerships end (BRIEF process 4; S4, S1 theme 5, S2 lesson 3, S2 PL lesson 9)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import check_non_negative, check_share
from sim.partnerships import FEDERATION, FUNDED, INFORMAL
from sim.rules import Rule, p_event


class Dissolution(Rule):
    """Competing risks, each traced to a seed, scaled down by formality ("glue", S1 theme 5):

    - *not worth it*: members judge it gives less than it takes (S4), once it has had time to
      show; an agreed impact measure makes the gains visible (S2 lesson 10);
    - *competition*: an inward-turning accountability regime (S2 policymaker lesson 9);
    - *drift*: a background hazard;
    - *funding ended*: when an award runs out, a funded partnership either ends or carries on
      as an informal one, more likely the stronger its relationships (S1 theme 5);
    - *head left*: when a member's head leaves, an informal or funded partnership may end,
      less likely the stronger the relationships (S2 lesson 3: welcoming new heads).
    """

    phase = "dissolution"

    @dataclass
    class Params:
        drift_per_year: float = 0.05  # assumption
        not_worth_it_per_year: float = 0.6  # assumption: hazard when it gives nothing back (S4)
        worth_exchange: float = 2.0  # assumption: a yearly gain of 0.05 (talent) is worth 0.1 of leaders' time
        judge_after_years: float = 1.0  # assumption: schools give a new partnership a year (S4)
        impact_measure_relief: float = 0.5  # assumption: share of the not-worth-it hazard removed (S2 lesson 10)
        competition_per_year: float = 0.3  # assumption: hazard at a fully inward regime (S2 PL 9)
        end_when_funding_stops: float = 0.6  # assumption: chance a weak-trust funded partnership ends (S1 theme 5)
        end_when_head_leaves: float = 0.4  # assumption: chance a weak-trust partnership ends (S2 lesson 3)
        rel_hazard_funded: float = 0.5  # assumption: while funded
        rel_hazard_federation: float = 0.3  # assumption: shared governance (S1 theme 5); trusts and federations rarely break up

        def __post_init__(self) -> None:
            for name in ("drift_per_year", "not_worth_it_per_year", "worth_exchange",
                         "judge_after_years", "competition_per_year"):
                check_non_negative(name, getattr(self, name))
            for name in ("impact_measure_relief", "end_when_funding_stops", "end_when_head_leaves",
                         "rel_hazard_funded", "rel_hazard_federation"):
                check_share(name, getattr(self, name))

    def step(self, model) -> None:
        p, s, pt, now = self.p, model.schools, model.partnerships, model.now_years
        size = pt.size
        draws = self.rng.random((size, 3))
        active = pt.active
        strength = pt.strength
        pid, school = pt.links()
        n_members = np.maximum(pt.n_members, 1)

        # Funding runs out: end, or carry on as an informal partnership.
        expired = active & (pt.kind == FUNDED) & (pt.funded_until <= now)
        ends = expired & (draws[:, 0] < p.end_when_funding_stops * (1 - strength))
        pt.cols["kind"][:size][expired & ~ends] = INFORMAL
        model.end_partnerships(np.flatnonzero(ends), "funding_ended")
        active = pt.active

        # A member's head left this step.
        hit = np.bincount(pid, s.head_left_now[school], minlength=size) > 0
        fragile = active & hit & (pt.kind != FEDERATION)
        ends = fragile & (draws[:, 1] < p.end_when_head_leaves * (1 - strength))
        model.end_partnerships(np.flatnonzero(ends), "head_left")
        active = pt.active

        # Competing hazards.
        judged = (now - pt.formed_at) >= p.judge_after_years
        shortfall = np.maximum(0.0, 1 - p.worth_exchange * pt.benefit / np.maximum(pt.time_cost, 1e-9))
        relief = np.where(pt.impact_measure, 1 - p.impact_measure_relief, 1.0)
        inward = np.bincount(pid, s.inward[school], minlength=size) / n_members
        hazards = np.stack([
            p.not_worth_it_per_year * shortfall * relief * judged,
            p.competition_per_year * inward,
            np.full(size, p.drift_per_year),
        ])
        rel = np.select([pt.kind == FEDERATION, pt.kind == FUNDED],
                        [p.rel_hazard_federation, p.rel_hazard_funded], 1.0)
        total = hazards.sum(axis=0) * rel
        ending = np.flatnonzero(active & (draws[:, 2] < p_event(total, model.dt)))
        if len(ending):
            # Which risk ended it: chosen in proportion to the hazards (competing risks).
            share = hazards[:, ending] / np.maximum(hazards[:, ending].sum(axis=0), 1e-12)
            pick = (self.rng.random(len(ending)) > np.cumsum(share, axis=0)[:-1]).sum(axis=0)
            for code, reason in enumerate(("not_worth_it", "competition", "drift")):
                model.end_partnerships(ending[pick == code], reason)

