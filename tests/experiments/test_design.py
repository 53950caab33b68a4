"""sim/experiments/design.py: experiment files are checked through their structured config; every
mistake is one line naming the key, before anything is planned or run."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_sweeps import EXPERIMENTS, ROOT

from sim.core.checks import ConfigError
from sim.core.paths import CONF_DIR
from sim.experiments.design import MAX_RUNS, Experiment, experiment_from_dict, load_experiment
from sim.sweep import main


def write_experiment(tmp_path: Path, text: str) -> str:
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    return str(path)


GOOD = "name: bad\nscenarios: [pathfinder]\nreplications: 1\nyears: 1\n"
LHS = "parameters: {method: lhs, ranges: {funding.duration_years: [1.0, 3.0]}}\n"


@pytest.mark.parametrize(("text", "named"), [
    (GOOD + "replicatoins: 3\n", "'replicatoins' is unknown"),
    (GOOD + "execution: {backnd: loky}\n", "'execution.backnd' is unknown"),
    ("scenarios: [pathfinder]\n", "'name' is required"),
    ("name: bad\nscenarios: [pathfindr]\n", "'pathfindr'"),
    (GOOD.replace("years: 1", "years: ten"), "'years' = 'ten' is not allowed: a number"),
    (GOOD.replace("replications: 1", "replications: 2.5"), "'replications' = 2.5"),
    (GOOD + "execution: {backend: spark}\n", "'execution.backend' = 'spark'"),
    (GOOD + "outcomes: {happiness: higher}\n", "'outcomes.happiness'"),
    (GOOD + "overrides: [seed=3]\n", "'overrides' = 'seed=3'"),
    (GOOD + "overrides: [landscape.n_schoolz=3]\n", "landscape.n_schoolz"),
    (GOOD + "overrides: [funding.duration_years=-1]\n", "funding.duration_years"),
    (GOOD + "parameters: {method: lhs, ranges: {funding.duration_years: [3, 1]}}\n",
     "'parameters.ranges.funding.duration_years'"),
    (GOOD + "parameters: {method: grid, ranges: {rules.running.learn_ratez: [1, 2]}}\n",
     "rules.running.learn_ratez"),
    (GOOD + "replications: 2\n", "'replications' is given twice (line 5)"),
    (GOOD + "execution: {n_jobs: 1, n_jobs: 2}\n", "'n_jobs' is given twice"),
    (GOOD.replace("years: 1", "years: .inf"), "'years' = inf is not allowed: a finite number"),
    (GOOD + "parameters: {method: lhs, ranges: {funding.duration_years: [1.0, .nan]}}\n",
     "'parameters.ranges.funding.duration_years' = nan"),
    (GOOD + LHS.replace("lhs,", "lhs, samples: 1.0e+9,"), "'parameters.samples' = 1000000000"),
    (GOOD.replace("replications: 1", "replications: 100000000000"), "'replications'"),
    (GOOD + "parameters: {method: grid, ranges: {a.b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "
     "c.d: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], e.f: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "
     "g.h: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], i.j: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "
     "k.l: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}}\n", f"at most {MAX_RUNS:,} are allowed"),
    (GOOD + f"first_seed: {2**63}\n", "'first_seed'"),
    (GOOD + "discount_rate: 3.5\n", "'discount_rate' = 3.5 is not allowed"),
    (GOOD.replace("name: bad", "name: " + "x" * 300), "at most 100 characters"),
])
def test_bad_experiment_is_refused_before_any_run_with_one_clear_line(
        tmp_path, capsys, text, named):
    store = tmp_path / "store"
    code = main([write_experiment(tmp_path, text), "--store", str(store), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("Experiment error:") and named in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not store.exists()


def test_missing_experiment_file_is_a_clear_error(tmp_path, capsys):
    assert main([str(tmp_path / "nope.yaml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_a_good_file_gives_typed_values_and_defaults(tmp_path):
    experiment = load_experiment(write_experiment(
        tmp_path, GOOD + "first_seed: 3\n" + LHS + "execution: {n_jobs: 2}\n"))
    assert isinstance(experiment, Experiment)
    assert experiment.years == 1.0 and isinstance(experiment.years, float)
    assert (experiment.first_seed, experiment.replications) == (3, 1)
    assert experiment.parameters.method == "lhs" and experiment.parameters.samples == 8
    assert experiment.execution.n_jobs == 2 and experiment.execution.backend == "loky"
    assert experiment.all_scenarios == ["baseline", "pathfinder"]


def test_a_varied_baseline_needs_every_scenario_varied():
    with pytest.raises(ConfigError, match="parameters.scenarios"):
        experiment_from_dict({"name": "x", "scenarios": ["pathfinder"],
                              "parameters": {"scenarios": ["baseline"],
                                             "ranges": {"seedling": [1]}}})


def test_smoke_experiment_covers_every_scenario():
    scenarios = {p.stem for p in (CONF_DIR / "scenario").glob("*.yaml")}
    smoke = load_experiment(ROOT / "experiments" / "smoke.yaml")
    assert set(smoke.all_scenarios) == scenarios


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_every_shipped_experiment_file_loads(path):
    assert load_experiment(path).name == path.stem
