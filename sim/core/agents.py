"""The Mesa agent: a thin handle onto one school's row of the state arrays."""

from __future__ import annotations

import mesa

from sim.core.vocabulary import HEAD_STATUS_NAMES, PHASE_NAMES


def _state_property(name: str, doc: str) -> property:
    return property(lambda self: self.model.schools.__dict__[name][self.idx], doc=doc)


class School(mesa.Agent):
    """One school. Rules work on whole arrays; this handle lets Mesa's AgentSet, DataCollector
    and visualisation see each school as an agent."""

    def __init__(self, model, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    outcome = _state_property("outcome", "Pupil attainment, months of progress vs national mean.")
    gap = _state_property("gap", "Gap between disadvantaged pupils and others, months.")
    capacity = _state_property("capacity", "Leadership and improvement capacity, 0-1.")
    talent = _state_property("talent", "Teaching quality of the staff, 0-1.")
    pupils = _state_property("pupils", "Pupils on roll.")
    fsm = _state_property("fsm", "Share of pupils eligible for free school meals.")
    grade = _state_property("grade", "Last inspection grade, 1 outstanding .. 4 inadequate.")
    n_partnerships = _state_property("n_partnerships", "Active partnerships the school is in.")
    school_id = _state_property("school_id", "The school's identifier (e.g. URN).")

    @property
    def phase(self) -> str:
        return str(PHASE_NAMES[self.model.schools.phase[self.idx]])

    @property
    def head_status(self) -> str:
        return HEAD_STATUS_NAMES[self.model.schools.head[self.idx]]

    @property
    def location_km(self) -> tuple[float, float]:
        """Location in km."""
        s = self.model.schools
        return float(s.x_km[self.idx]), float(s.y_km[self.idx])

    @property
    def partners(self) -> list[School]:
        """Schools sharing an active partnership with this one."""
        pid, school = self.model.partnerships.links()
        mine = pid[school == self.idx]
        others = set(school[(pid[:, None] == mine).any(axis=1)].tolist()) - {self.idx}
        return [self.model.school_agents[i] for i in sorted(others)]
