"""Need and self-knowledge: each school judges what it needs (BRIEF process 1; S0, S1 theme 2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check_non_negative, check_positive, check_share
from sim.core.partnerships import FOCUS_NAMES
from sim.core.vocabulary import QUALITY_SD
from sim.rules import Rule, ou_noise, relax


class Need(Rule):
    """A school sees its outcomes with an error (smaller when a partner shares data with it,
    S1 theme 2, S3) and judges its need from how far it falls short of expectation, how weak its
    leadership capacity is, and the accountability pressure on it. Need is a 0-1 score."""

    phase = "need"
    summary = (
        "Each school perceives its outcome with error and judges its need from shortfall, weak "
        "capacity and pressure.")
    reads = (
        "schools.outcome", "schools.pupils", "schools.capacity", "schools.pressure",
        "partnerships.members", "partnerships.focus")
    writes = ("schools.perceived_outcome", "schools.need")

    @dataclass
    class Params:
        expectation_months: float = 0.0  # assumption: months above the current national mean a school expects of itself
        need_scale_months: float = 4.0  # assumption: shortfall that moves need by one logit point
        weight_capacity: float = 0.5  # assumption: logit points per SD of capacity below average
        weight_pressure: float = 2.0  # assumption: logit points at full accountability pressure
        self_knowledge_sd_months: float = 2.0  # assumption: error in a school's view of its results
        rel_error_data_partner: float = 0.5  # assumption: data-sharing partners halve it (S1, S3)

        def __post_init__(self) -> None:
            check_positive("need_scale_months", self.need_scale_months)
            for name in ("weight_capacity", "weight_pressure", "self_knowledge_sd_months"):
                check_non_negative(name, getattr(self, name))
            check_share("rel_error_data_partner", self.rel_error_data_partner)

    def setup(self, model) -> None:
        self.error = self.p.self_knowledge_sd_months * self.rng.normal(size=model.schools.n)

    def step(self, model) -> None:
        p, s, dt = self.p, model.schools, model.dt
        pid, school = model.partnerships.links()
        data_partner = np.zeros(s.n, dtype=bool)
        data_partner[school[model.partnerships.focus[pid] == FOCUS_NAMES.index("data_assessment")]] = True
        sd = p.self_knowledge_sd_months * np.where(data_partner, p.rel_error_data_partner, 1.0)
        self.error = relax(self.error, 0.0, 1.0, dt) + ou_noise(self.rng, s.n, sd, 1.0, dt)
        s.perceived_outcome = s.outcome + self.error
        national = np.multiply(s.outcome, s.pupils).sum() / s.pupils.sum()  # np.average, cheaper
        logit = ((national + p.expectation_months - s.perceived_outcome) / p.need_scale_months
                 + p.weight_capacity * (0.5 - s.capacity) / QUALITY_SD
                 + p.weight_pressure * s.pressure - 1.0)
        s.need = 1.0 / (1.0 + np.exp(-logit))
