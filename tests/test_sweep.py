"""Sweeps: paired design, resume after a kill, failures recorded, worker-count invariance, bad
input, every experiment file, and the Dask cluster path. Tiny regions keep these quick."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.config import CONF_DIR
from sim.core.checks import ConfigError
from sim.experiments.sweep import (
    Execution,
    Experiment,
    Parameters,
    experiment_from_dict,
    load_experiment,
    main,
    parameter_points,
    plan_sweep,
    run_sweep,
)
from sim.storage.store import Store
from sim.views.report import load_results

# Experiment files run by `python -m sim.sweep`; a sensitivity design (a `morris` section) is the
# input of `python -m sim.sensitivity`, tested with it.
EXPERIMENTS = sorted(p for p in (Path(__file__).resolve().parent.parent / "experiments")
                     .glob("*.yaml") if "morris" not in yaml.safe_load(p.read_text()))
TINY = ["landscape.n_schools=40", "spinup_years=1", "steps_per_year=4"]


def tiny(experiment: Experiment, replications: int = 2, years: float = 2.0,
         backend: str = "sequential") -> Experiment:
    """The same experiment on a tiny region, few replications and years."""
    keys = {o.split("=")[0] for o in TINY}
    overrides = [o for o in experiment.overrides if o.split("=")[0] not in keys] + TINY
    parameters = experiment.parameters
    if parameters is not None:
        ranges = parameters.ranges if parameters.method != "grid" else {
            key: values[:2] for key, values in parameters.ranges.items()}
        parameters = dataclasses.replace(parameters, samples=2, ranges=ranges)
    return dataclasses.replace(experiment, replications=replications, years=years,
                               overrides=overrides, parameters=parameters,
                               execution=Execution(backend=backend))


def two_scenarios(**changes) -> Experiment:
    """Baseline and pathfinder, 2 replications of 2 years on a tiny region (unless changed)."""
    experiment = tiny(Experiment(name="pair", scenarios=["baseline", "pathfinder"]))
    return dataclasses.replace(experiment, **changes)


def run_frames(store_dir: Path) -> dict[str, pd.DataFrame]:
    """Every finished run's yearly table, by run id."""
    store = Store(store_dir)
    return {run_id: store.read_runs([run_id]) for run_id in sorted(store.done_run_ids())}


def test_baseline_against_itself_and_a_policy_that_never_starts_differ_by_exactly_zero(tmp_path):
    # The pathfinder programme switched on only after the horizon: the same draws must give the
    # same run, so every paired difference is exactly zero (common random numbers).
    experiment = two_scenarios()
    experiment.overrides += ["funding.start_year=50", "funding.stop_year=60"]
    run_sweep(experiment, store_dir=tmp_path, progress=False, report=False)
    from sim.views.report import comparison_table, paired_differences

    results = load_results(tmp_path)
    pairs = paired_differences(results, list(results.outcomes))
    assert set(pairs.scenario) == {"baseline", "pathfinder"}
    assert len(pairs) == 2 * 2 * 3 * len(results.outcomes)  # scenarios x seeds x years x outcomes
    assert (pairs["difference"] == 0).all()
    table = comparison_table(pairs)
    assert (table[["mean_difference", "ci95_low", "ci95_high"]] == 0).all().all()


def test_replication_k_of_every_scenario_uses_seed_k_and_pairs_with_the_baseline():
    runs = plan_sweep(two_scenarios(replications=3, first_seed=5))
    by_id = {r.run_id: r for r in runs}
    assert sorted({r.seed for r in runs}) == [5, 6, 7]
    for run in runs:
        assert run.settings.config.seed == run.seed
        baseline = by_id[run.baseline_run_id]
        assert baseline.scenario == "baseline" and baseline.seed == run.seed
    assert len({r.config_hash for r in runs}) == len(runs)


def test_a_killed_sweep_resumes_without_losing_or_repeating_runs(tmp_path, monkeypatch):
    experiment = two_scenarios(replications=3)
    writes = []
    original = Store.write_run

    def write_then_die(self, run_id, *args):
        if len(writes) == 3:
            raise KeyboardInterrupt  # the sweep is killed after three runs were saved
        original(self, run_id, *args)
        writes.append(run_id)

    monkeypatch.setattr(Store, "write_run", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(experiment, store_dir=tmp_path, progress=False, report=False)
    monkeypatch.undo()
    store = Store(tmp_path)
    assert store.done_run_ids() == set(writes)
    saved_at = {r: (store.runs / f"{r}.parquet").stat().st_mtime_ns for r in writes}
    (store.runs / ".half-written.parquet.x.tmp").write_text("killed mid-write")

    summary = run_sweep(experiment, store_dir=tmp_path, progress=False, report=False)
    assert (summary.skipped, summary.finished, summary.failed) == (3, 3, 0)
    plan = store.read_plan()
    assert store.done_run_ids() == set(plan.run_id)
    assert sorted(p.name for p in store.runs.iterdir()) == sorted(f"{r}.parquet" for r in plan.run_id)
    assert {r: (store.runs / f"{r}.parquet").stat().st_mtime_ns for r in writes} == saved_at
    results = load_results(tmp_path)
    assert not results.yearly.duplicated(["run_id", "year"]).any()
    assert len(results.yearly) == len(plan) * 3  # years 0, 1, 2

    again = run_sweep(experiment, store_dir=tmp_path, progress=False, report=False)
    assert (again.skipped, again.finished) == (6, 0)


def test_a_failing_run_is_recorded_while_the_others_finish(tmp_path, monkeypatch):
    import sim.experiments.sweep

    real_simulate = sim.experiments.sweep.simulate

    def simulate_or_fail(settings, **kwargs):
        if settings.config.name == "pathfinder" and settings.config.seed == 1:
            raise RuntimeError("boom in pathfinder seed 1")
        return real_simulate(settings, **kwargs)

    monkeypatch.setattr(sim.experiments.sweep, "simulate", simulate_or_fail)
    summary = run_sweep(two_scenarios(), store_dir=tmp_path, progress=False, report=True)
    assert (summary.finished, summary.failed) == (3, 1)
    store = Store(tmp_path)
    (failed_id,) = store.failed_run_ids()
    assert failed_id.startswith("pathfinder-s0001")
    assert "boom in pathfinder seed 1" in store.read_failure(failed_id)["error"]
    runs = pd.read_csv(tmp_path / "report" / "runs.csv")
    assert runs.set_index("run_id").loc[failed_id, "status"] == "failed"
    assert (runs.status == "done").sum() == 3

    monkeypatch.undo()  # the next invocation retries the failed run only
    retry = run_sweep(two_scenarios(), store_dir=tmp_path, progress=False, report=False)
    assert (retry.skipped, retry.finished, retry.failed) == (3, 1, 0)
    assert store.failed_run_ids() == set()


def test_results_are_identical_whatever_the_number_of_workers(tmp_path):
    experiment = two_scenarios(replications=3)
    run_sweep(experiment, store_dir=tmp_path / "one", progress=False, report=False)
    parallel = dataclasses.replace(experiment, execution=Execution(backend="loky", n_jobs=2))
    run_sweep(parallel, store_dir=tmp_path / "two", progress=False, report=False)
    one, two = run_frames(tmp_path / "one"), run_frames(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) == 6
    for run_id in one:
        pd.testing.assert_frame_equal(one[run_id], two[run_id])


@pytest.mark.cluster
def test_a_sweep_runs_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    experiment = two_scenarios()
    run_sweep(experiment, store_dir=tmp_path / "local", progress=False, report=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_cluster = dataclasses.replace(
            experiment, execution=Execution(backend="dask", address=cluster.scheduler_address))
        summary = run_sweep(on_cluster, store_dir=tmp_path / "dask", progress=False, report=False)
    assert (summary.finished, summary.failed, summary.n_workers) == (4, 0, 2)
    local, remote = run_frames(tmp_path / "local"), run_frames(tmp_path / "dask")
    assert local.keys() == remote.keys()
    for run_id in local:
        pd.testing.assert_frame_equal(local[run_id], remote[run_id])


def test_smoke_experiment_covers_every_scenario():
    scenarios = {p.stem for p in (CONF_DIR / "scenario").glob("*.yaml")}
    smoke = load_experiment(Path(__file__).resolve().parent.parent / "experiments" / "smoke.yaml")
    assert set(smoke.all_scenarios) == scenarios


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_every_experiment_file_composes_and_smoke_runs(path, tmp_path):
    # Every scenario, override and parameter of the file composes and runs (on a tiny region);
    # the report is tested in test_report.py and test_a_failing_run_is_recorded...
    experiment = tiny(load_experiment(path), replications=1, years=1.0)
    summary = run_sweep(experiment, store_dir=tmp_path, progress=False, report=False)
    assert summary.failed == 0 and summary.finished == summary.planned > 0


def write_experiment(tmp_path: Path, text: str) -> str:
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    return str(path)


GOOD = "name: bad\nscenarios: [pathfinder]\nreplications: 1\nyears: 1\n"


@pytest.mark.parametrize(("text", "named"), [
    (GOOD + "replicatoins: 3\n", "'replicatoins' is unknown"),
    ("name: bad\nscenarios: [pathfindr]\n", "'pathfindr'"),
    (GOOD.replace("years: 1", "years: ten"), "'years' = 'ten'"),
    (GOOD + "execution: {backend: spark}\n", "'execution.backend' = 'spark'"),
    (GOOD + "outcomes: {happiness: higher}\n", "'outcomes.happiness'"),
    (GOOD + "overrides: [seed=3]\n", "'overrides' = 'seed=3'"),
    (GOOD + "overrides: [landscape.n_schoolz=3]\n", "landscape.n_schoolz"),
    (GOOD + "overrides: [funding.duration_years=-1]\n", "funding.duration_years"),
    (GOOD + "parameters: {method: lhs, ranges: {funding.duration_years: [3, 1]}}\n",
     "'parameters.ranges.funding.duration_years'"),
    (GOOD + "parameters: {method: grid, ranges: {rules.running.learn_ratez: [1, 2]}}\n",
     "rules.running.learn_ratez"),
])
def test_bad_experiment_is_refused_before_any_run_with_a_clear_message(
        tmp_path, capsys, text, named):
    store = tmp_path / "store"
    code = main([write_experiment(tmp_path, text), "--store", str(store), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("Experiment error:") and named in err
    assert "Traceback" not in err
    assert not (store / "runs").exists()


def test_missing_experiment_file_is_a_clear_error(tmp_path, capsys):
    assert main([str(tmp_path / "nope.yaml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_parameter_points_grid_lhs_and_sobol():
    grid = Parameters(method="grid", ranges={"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(parameter_points(grid)) == 6
    assert {"a": 2, "b": "z"} in parameter_points(grid)
    for method in ("lhs", "sobol"):
        p = Parameters(method=method, samples=8, ranges={"a": [0.5, 2.0], "n": [2, 6]})
        points = parameter_points(p)
        assert len(points) == 8
        assert all(0.5 <= q["a"] <= 2.0 and isinstance(q["n"], int) and 2 <= q["n"] <= 6
                   for q in points)
        assert points == parameter_points(p)  # the sampler is seeded


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
    with pytest.raises(ConfigError, match="parameters.scenarios"):
        experiment_from_dict({"name": "x", "scenarios": ["pathfinder"],
                              "parameters": {"scenarios": ["baseline"],
                                             "ranges": {"seedling": [1]}}})


@pytest.mark.slow
def test_a_sweep_killed_by_a_signal_resumes_from_where_it_stopped(tmp_path):
    # A real kill (SIGKILL, no clean-up) of `python -m sim.sweep` once a few runs are saved.
    import signal
    import subprocess
    import sys
    import time

    experiment = tmp_path / "killme.yaml"
    experiment.write_text(
        "name: killme\nscenarios: [baseline, pathfinder]\nreplications: 3\nyears: 2\n"
        f"overrides: [{', '.join(TINY)}]\nexecution: {{backend: sequential}}\n")
    store = tmp_path / "store"
    command = [sys.executable, "-m", "sim.sweep", str(experiment), "--store", str(store),
               "--quiet", "--no-report"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not any(store.glob("runs/*.parquet")) and process.poll() is None:
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    saved = {p.name: p.stat().st_mtime_ns for p in store.glob("runs/*.parquet")}
    assert 1 <= len(saved) < 6, "the sweep should have been killed part-way"

    assert subprocess.run(command, capture_output=True).returncode == 0
    plan = Store(store).read_plan()
    assert sorted(p.name for p in store.glob("runs/*")) == sorted(f"{r}.parquet"
                                                                  for r in plan.run_id)
    assert {name: (store / "runs" / name).stat().st_mtime_ns for name in saved} == saved


def test_yearly_table_samples_stocks_at_year_ends_and_sums_flows_over_each_year():
    import numpy as np

    from sim.experiments.sweep import yearly_table

    steps = np.arange(9)  # 4 steps a year, 2 years; step 0's flows belong to the spin-up
    timeseries = pd.DataFrame({"step": steps, "time_years": steps / 4,
                               "new_formed": [5, 1, 1, 1, 1, 2, 2, 2, 2], "new_dissolved": 0, "new_left": 1,
                               "spend_gbp": 10.0, "mean_outcome": steps * 0.5})
    schools = pd.DataFrame({"year": [0, 0, 1, 1, 2, 2], "pupils": [10, 20, 11, 20, 12, 20]})
    table = yearly_table(timeseries, schools, steps_per_year=4)
    assert table.year.tolist() == [0, 1, 2]
    assert table.mean_outcome.tolist() == [0.0, 2.0, 4.0]  # stocks at steps 0, 4, 8
    assert table.new_formed.tolist() == [0, 4, 8]  # flows of steps 1-4 and 5-8
    assert table.spend_gbp.tolist() == [0, 40, 40]
    assert table.new_left.tolist() == [0, 4, 4]  # a flow too (schools leaving a trust)
    assert table.n_pupils.tolist() == [30, 31, 32]


@pytest.mark.parametrize("scenario", ["baseline", "pathfinder"])
def test_yearly_recording_gives_the_yearly_table_of_recording_every_step(scenario):
    """Sweeps record the time series at whole years only (output.timeseries=year): the same
    yearly table, flows summed over each year, as recording every step."""
    from conftest import settings_for
    from sim.experiments.sweep import yearly_table
    from sim.running import simulate

    args = ("landscape.n_schools=120", "years=3", "spinup_years=3", f"scenario={scenario}")
    every_step = simulate(settings_for(*args))
    yearly = simulate(settings_for(*args, "output.timeseries=year"))
    assert len(yearly.timeseries) == 4 < len(every_step.timeseries)
    pd.testing.assert_frame_equal(yearly_table(yearly.timeseries, yearly.schools, 12),
                                  yearly_table(every_step.timeseries, every_step.schools, 12),
                                  check_exact=False, rtol=1e-12)
    assert yearly.timeseries.new_formed.sum() > 0  # flows were there to sum
    pd.testing.assert_frame_equal(yearly.schools, every_step.schools)
    assert plan_sweep(tiny(load_experiment(EXPERIMENTS[0]), replications=1))[0] \
        .settings.config.output.timeseries == "year"
