"""Sweeps and ``sim.compare`` over the calibrated ensemble: every scenario under each member x
seed, each policy run paired with the baseline run of the same member on the same seed, and the
report's split of the spread into parameters and chance."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from tiny_sweeps import tiny

import sim
from sim.core.checks import ConfigError
from sim.experiments.design import Experiment, experiment_from_dict
from sim.experiments.planning import plan_sweep, plan_table

# Three members far apart in how fast partners learn, so their effects differ.
MEMBERS = pd.DataFrame({"member": [0, 1, 2], "objective": [1.0, 2.0, 3.0],
                        "max_implausibility": [0.5, 0.8, 0.9],
                        "rules.running.learn_rate_per_year": [0.3, 1.0, 2.0],
                        "rules.improvement.lag_years": [1.5, 1.0, 0.7]})


@pytest.fixture
def ensemble_file(tmp_path, monkeypatch):
    import sim.experiments.ensemble as ensemble

    path = tmp_path / "ensemble.csv"
    MEMBERS.to_csv(path, index=False)
    monkeypatch.setattr(ensemble, "ENSEMBLE", path)
    return path


def ensemble_experiment(members: int = 2, **changes) -> Experiment:
    experiment = tiny(Experiment(name="ens", scenarios=["pathfinder"],
                                 parameter_sets="ensemble", members=members))
    return dataclasses.replace(experiment, members=members, **changes)


def test_each_policy_run_pairs_with_the_baseline_of_the_same_member_and_seed(ensemble_file):
    runs = plan_sweep(ensemble_experiment(members=3))
    assert len(runs) == 2 * 3 * 2  # scenarios x members x seeds
    by_id = {r.run_id: r for r in runs}
    for run in runs:
        pair = by_id[run.baseline_run_id]
        assert (pair.scenario, pair.member, pair.seed) == ("baseline", run.member, run.seed)
        rules = {name: params for name, _, params in run.settings.rules}
        assert rules["running"].learn_rate_per_year == \
            MEMBERS.loc[run.member, "rules.running.learn_rate_per_year"]
    assert sorted(plan_table(runs).member.unique()) == [0, 1, 2]


def test_ensemble_settings_are_checked_before_any_run(ensemble_file):
    with pytest.raises(ConfigError, match="'members' = 4 is not allowed: 1 to 3"):
        experiment_from_dict({"name": "x", "scenarios": ["pathfinder"],
                              "parameter_sets": "ensemble", "members": 4})
    with pytest.raises(ConfigError, match="parameter_sets"):
        experiment_from_dict({"name": "x", "scenarios": ["pathfinder"],
                              "parameter_sets": "posterior"})
    with pytest.raises(ConfigError, match="parameter_sets"):
        experiment_from_dict({"name": "x", "scenarios": ["pathfinder"],
                              "parameter_sets": "ensemble", "parameters": {
                                  "ranges": {"rules.running.learn_rate_per_year": [0.5, 1.0]}}})


def test_an_ensemble_sweep_reports_parameters_and_chance(ensemble_file, tmp_path):
    experiment = ensemble_experiment(members=3, years=3.0, replications=2,
                                     store=str(tmp_path / "store"),
                                     overrides=[*tiny(Experiment(name="x", scenarios=["pathfinder"])
                                                      ).overrides, "funding.start_year=0"])
    sim.run_experiment(experiment, progress=False)
    report = tmp_path / "store" / "report"
    table = pd.read_csv(report / "ensemble.csv")
    headline = table[(table.outcome == "mean_outcome") & (table.who == "all pupils")]
    assert set(headline.n_members) == {3}
    assert set(headline.seeds_per_member) == {2.0}
    assert ((headline.share_parameters >= 0) & (headline.share_parameters <= 1)).all()
    assert "Parameters or chance" in (report / "report.html").read_text()
    comparison = pd.read_csv(report / "comparison.csv")
    assert set(comparison.variant) == {"baseline", "pathfinder"}  # members pooled, not variants
    assert comparison[comparison.scenario == "pathfinder"].n_pairs.max() == 3 * 2


def test_compare_over_the_ensemble_pairs_each_member_with_its_own_baseline(ensemble_file):
    small = ["landscape.n_schools=60", "years=2", "spinup_years=2", "funding.start_year=0"]
    table = sim.compare("pathfinder", seeds=[5], overrides=small, outcomes=["mean_outcome"],
                        ensemble=2)
    assert sorted(table.member.unique()) == [0, 1]
    member_overrides = ["rules.running.learn_rate_per_year=1.0", "rules.improvement.lag_years=1.0"]
    alone = sim.run_scenario("pathfinder", seed=5, overrides=[*small, *member_overrides]).yearly()
    base = sim.run_scenario("baseline", seed=5, overrides=[*small, *member_overrides]).yearly()
    one = table[table.member == 1]
    assert one.value.tolist() == alone.mean_outcome.tolist()
    assert one.difference.tolist() == pytest.approx((alone.mean_outcome
                                                     - base.mean_outcome).tolist())
    assert table[table.member == 0].value.tolist() != one.value.tolist()  # members differ
    with pytest.raises(ConfigError, match="'ensemble' = 5"):
        sim.compare("pathfinder", seeds=[5], overrides=small, ensemble=5)
