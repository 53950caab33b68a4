"""School agents are real Mesa agents: AgentSet and DataCollector work on them."""

from __future__ import annotations

import numpy as np
from mesa import DataCollector

from conftest import build
from sim.core.agents import School


def test_school_agents_are_thin_handles_onto_the_state_arrays():
    model = build("spinup_years=1")
    schools = model.agents_by_type[School]
    assert len(schools) == model.schools.n
    agent = model.school_agents[7]
    model.schools.outcome[7] = 3.25
    assert agent.outcome == 3.25
    assert agent.location_km == (model.schools.x_km[7], model.schools.y_km[7])
    assert agent.phase in ("primary", "secondary")


def test_agentset_selection_and_datacollector_see_the_model_state():
    model = build("spinup_years=1", "years=2")
    collector = DataCollector(
        model_reporters={"partnerships": lambda m: int(m.partnerships.active.sum())},
        agent_reporters={"outcome": "outcome", "n_partnerships": "n_partnerships"})
    for _ in range(3):
        model.step()
        collector.collect(model)
    agents = collector.get_agent_vars_dataframe()
    assert len(agents) == 3 * model.schools.n
    last = agents.xs(3, level="Step")
    assert np.allclose(np.sort(last.outcome.to_numpy()), np.sort(model.schools.outcome))
    partnered = model.agents.select(lambda a: a.n_partnerships > 0)
    assert len(partnered) == int((model.schools.n_partnerships > 0).sum())
    school = next(iter(partnered))
    assert all(isinstance(p, School) for p in school.partners) and school.partners


def test_models_are_freed_once_dropped():
    """Mesa 3.3 keeps a per-model agent-id counter on the Agent class; a sweep worker that builds
    thousands of models must not keep them (and all their state) alive through it."""
    import gc
    import weakref

    from conftest import settings_for
    from sim.running import simulate, spin_up

    spun_up = spin_up(settings_for("spinup_years=1", "years=1"))
    result = simulate(settings_for("spinup_years=1", "years=1", "scenario=pathfinder"),
                      start_from=spun_up)
    assert len(result.timeseries) > 1
    ref = weakref.ref(spun_up)
    del spun_up
    gc.collect()
    assert ref() is None
