"""sim/experiments/planning.py: seeds pair every scenario with the baseline, parameter points go
where the file says, runs record yearly, and bad points are refused in one line."""

from __future__ import annotations

import pytest
from tiny_sweeps import EXPERIMENTS, tiny, two_scenarios

from sim.config import compose, validate
from sim.core.checks import ConfigError
from sim.experiments.design import experiment_from_dict, load_experiment
from sim.experiments.planning import config_hash, plan_runs, plan_sweep, plan_table


def test_replication_k_of_every_scenario_uses_seed_k_and_pairs_with_the_baseline():
    runs = plan_sweep(two_scenarios(replications=3, first_seed=5))
    by_id = {r.run_id: r for r in runs}
    assert sorted({r.seed for r in runs}) == [5, 6, 7]
    for run in runs:
        assert run.settings.config.seed == run.seed
        baseline = by_id[run.baseline_run_id]
        assert baseline.scenario == "baseline" and baseline.seed == run.seed
    assert len({r.config_hash for r in runs}) == len(runs)


def test_varied_policy_scenario_pairs_with_the_one_unvaried_baseline():
    experiment = tiny(experiment_from_dict({
        "name": "budget", "scenarios": ["pathfinder"],
        "parameters": {"method": "grid", "scenarios": ["pathfinder"],
                       "ranges": {"funding.budget_gbp_per_year_per_1000_schools": [1e5, 1e6]}}}))
    runs = plan_sweep(experiment)
    baseline = [r for r in runs if r.scenario == "baseline"]
    policy = [r for r in runs if r.scenario == "pathfinder"]
    assert len(baseline) == 2 and len(policy) == 4  # 2 seeds; 2 points x 2 seeds
    assert {r.point for r in baseline} == {-1}
    assert {r.settings.config.funding.budget_gbp_per_year_per_1000_schools for r in policy} \
        == {1e5, 1e6}
    ids = {r.run_id: r for r in runs}
    assert all(ids[r.baseline_run_id].seed == r.seed for r in policy)
    assert set(plan_table(runs)["param:funding.budget_gbp_per_year_per_1000_schools"].dropna()) \
        == {1e5, 1e6}


def test_a_point_gives_the_run_that_its_overrides_compose_to():
    # The planner sets a point's values on the composed scenario; `python -m sim <overrides>`
    # must give the same run (same config hash, so the same run id).
    experiment = two_scenarios(replications=1)
    (run,) = plan_runs(experiment, [{"rules.running.learn_rate_per_year": 0.7}], {"pathfinder"})[1:]
    composed = validate(compose(run.overrides))
    assert composed.config.seed == 0 == run.seed
    assert config_hash(composed) == run.config_hash
    assert run.settings.config.rules["running"]["learn_rate_per_year"] == 0.7


def test_every_scenario_varied_pairs_each_point_with_the_baseline_at_that_point():
    points = [{"rules.improvement.lag_years": 1.0}, {"rules.improvement.lag_years": 2.0}]
    runs = plan_runs(two_scenarios(), points, {"baseline", "pathfinder"})
    ids = {r.run_id: r for r in runs}
    for run in runs:
        pair = ids[run.baseline_run_id]
        assert (pair.scenario, pair.point, pair.seed) == ("baseline", run.point, run.seed)


def test_an_unknown_key_in_a_point_names_the_scenario_point_and_key():
    with pytest.raises(ConfigError, match=r"scenario 'baseline', parameter point 0: .*learn_ratez"):
        plan_runs(two_scenarios(), [{"rules.running.learn_ratez": 1.0}], {"baseline", "pathfinder"})


def test_runs_record_the_time_series_at_whole_years():
    run = plan_sweep(tiny(load_experiment(EXPERIMENTS[0]), replications=1))[0]
    assert run.settings.config.output.timeseries == "year"
    assert "output.timeseries=year" in run.overrides
