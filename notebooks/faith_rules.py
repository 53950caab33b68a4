"""An example extension (notebook 3): schools with a religious character, and a formation rule in
which schools prefer partners of the same character (S2 policymaker lesson 4 asks faith bodies to
encourage *cross*-church/community partnerships, which suggests that, left alone, they are rarer).

Use it from config with ``rules.formation._target_: faith_rules.FaithFormation`` (this folder on
the Python path), or see ``my_conf/rules/formation/faith.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check_share
from sim.core.vocabulary import PRIMARY
from sim.rules.formation import Formation


class FaithFormation(Formation):
    """The default formation rule, plus a religious character for every school and
    ``weight_same_faith`` points for a candidate of the same character (both with one, or both
    without). A negative weight stands for faith bodies brokering cross-character partnerships."""

    # Besides what the default rule reads and writes: the character it gives every school.
    reads = (*Formation.reads, "schools.faith")
    writes = (*Formation.writes, "schools.faith")

    @dataclass
    class Params(Formation.Params):
        weight_same_faith: float = 1.0  # assumption: points for a partner of the same character
        share_faith_primary: float = 0.37  # approx. share of state primaries with a religious character (England)
        share_faith_secondary: float = 0.19  # approx., secondaries (England)

        def __post_init__(self) -> None:
            super().__post_init__()
            check_share("share_faith_primary", self.share_faith_primary)
            check_share("share_faith_secondary", self.share_faith_secondary)

    def setup(self, model) -> None:
        """Give each school a religious character (True) or none, from a stream of its own."""
        super().setup(model)  # the default rule's own preparation
        s = model.schools
        # A child stream: the parent's draws (used for partner choice) stay exactly as they are.
        draws = self.rng.spawn(1)[0].random(s.n)
        share = np.where(s.phase == PRIMARY, self.p.share_faith_primary, self.p.share_faith_secondary)
        s.faith = draws < share

    def candidate_scores(self, model, seekers, fundable=None):
        me, cand, score = super().candidate_scores(model, seekers, fundable)
        faith = model.schools.faith
        return me, cand, score + self.p.weight_same_faith * (faith[cand] == faith[me])
