"""sim/experiments/execution.py (and the sweep CLI): paired design, resume after a kill, failures
recorded, worker-count invariance, every experiment file, the Dask path, and faults: a lost
worker, a stopped driver, a store or cluster that cannot be used. Tiny regions keep these quick."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from tiny_sweeps import EXPERIMENTS, experiment_file, run_frames, tiny, two_scenarios

import sim.experiments.execution as execution
from sim.analysis.results import load_results
from sim.experiments.design import Execution, load_experiment
from sim.experiments.execution import run_sweep
from sim.storage.store import Store
from sim.sweep import main
from sim.views.report import write_report


def test_baseline_against_itself_and_a_policy_that_never_starts_differ_by_exactly_zero(tmp_path):
    # The pathfinder programme switched on only after the horizon: the same draws must give the
    # same run, so every paired difference is exactly zero (common random numbers).
    experiment = two_scenarios()
    experiment.overrides += ["funding.start_year=50", "funding.stop_year=60"]
    run_sweep(experiment, store_dir=tmp_path, progress=False)
    from sim.analysis.paired import comparison_table, paired_differences

    results = load_results(tmp_path)
    pairs = paired_differences(results, list(results.outcomes))
    assert set(pairs.scenario) == {"baseline", "pathfinder"}
    assert len(pairs) == 2 * 2 * 3 * len(results.outcomes)  # scenarios x seeds x years x outcomes
    assert (pairs["difference"] == 0).all()
    table = comparison_table(pairs)
    assert (table[["mean_difference", "ci95_low", "ci95_high"]] == 0).all().all()


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
        run_sweep(experiment, store_dir=tmp_path, progress=False)
    monkeypatch.undo()
    store = Store(tmp_path)
    assert store.done_run_ids() == set(writes)
    saved_at = {r: (store.runs / f"{r}.parquet").stat().st_mtime_ns for r in writes}
    (store.runs / ".half-written.parquet.x.tmp").write_text("killed mid-write")

    summary = run_sweep(experiment, store_dir=tmp_path, progress=False)
    assert (summary.skipped, summary.finished, summary.failed) == (3, 3, 0)
    plan = store.read_plan()
    assert store.done_run_ids() == set(plan.run_id)
    assert sorted(p.name for p in store.runs.iterdir()) == sorted(f"{r}.parquet" for r in plan.run_id)
    assert {r: (store.runs / f"{r}.parquet").stat().st_mtime_ns for r in writes} == saved_at
    results = load_results(tmp_path)
    assert not results.yearly.duplicated(["run_id", "year"]).any()
    assert len(results.yearly) == len(plan) * 3  # years 0, 1, 2

    again = run_sweep(experiment, store_dir=tmp_path, progress=False)
    assert (again.skipped, again.finished) == (6, 0)


def test_an_empty_or_truncated_run_file_is_run_again(tmp_path):
    experiment = two_scenarios(replications=1)
    run_sweep(experiment, store_dir=tmp_path, progress=False)
    store = Store(tmp_path)
    baseline_id, pathfinder_id = sorted(store.done_run_ids())
    table = store.read_runs([baseline_id])
    good = (store.runs / f"{baseline_id}.parquet").read_bytes()
    (store.runs / f"{baseline_id}.parquet").write_bytes(b"")  # e.g. a crash before the data landed
    (store.runs / f"{pathfinder_id}.parquet").write_bytes(good[: len(good) // 2])
    assert store.done_run_ids() == set()

    summary = run_sweep(experiment, store_dir=tmp_path, progress=False)
    assert (summary.skipped, summary.finished, summary.failed) == (0, 2, 0)
    pd.testing.assert_frame_equal(store.read_runs([baseline_id]), table)
    assert store.done_run_ids() == {baseline_id, pathfinder_id}


def test_a_failing_run_is_recorded_while_the_others_finish(tmp_path, monkeypatch):
    import sim.running

    real_simulate = sim.running.simulate

    def simulate_or_fail(settings, **kwargs):
        if settings.config.name == "pathfinder" and settings.config.seed == 1:
            raise RuntimeError("boom in pathfinder seed 1")
        return real_simulate(settings, **kwargs)

    monkeypatch.setattr(sim.running, "simulate", simulate_or_fail)
    summary = run_sweep(two_scenarios(), store_dir=tmp_path, progress=False)
    write_report(tmp_path)
    assert (summary.finished, summary.failed) == (3, 1)
    store = Store(tmp_path)
    (failed_id,) = store.failed_run_ids()
    assert failed_id.startswith("pathfinder-s0001")
    assert "boom in pathfinder seed 1" in store.read_failure(failed_id)["error"]
    runs = pd.read_csv(tmp_path / "report" / "runs.csv")
    assert runs.set_index("run_id").loc[failed_id, "status"] == "failed"
    assert (runs.status == "done").sum() == 3

    monkeypatch.undo()  # the next invocation retries the failed run only
    retry = run_sweep(two_scenarios(), store_dir=tmp_path, progress=False)
    assert (retry.skipped, retry.finished, retry.failed) == (3, 1, 0)
    assert store.failed_run_ids() == set()


def test_results_are_identical_whatever_the_number_of_workers(tmp_path):
    experiment = two_scenarios(replications=3)
    run_sweep(experiment, store_dir=tmp_path / "one", progress=False)
    parallel = dataclasses.replace(experiment, execution=Execution(backend="loky", n_jobs=2))
    run_sweep(parallel, store_dir=tmp_path / "two", progress=False)
    one, two = run_frames(tmp_path / "one"), run_frames(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) == 6
    for run_id in one:
        pd.testing.assert_frame_equal(one[run_id], two[run_id])


def crash_on_seed_1(runs):
    """A worker killed while running seed 1 (as by the out-of-memory killer): no clean-up."""
    if any(settings.config.seed == 1 for _, settings in runs):
        os._exit(9)
    return execution_run_group(runs)


execution_run_group = execution.run_group


@pytest.mark.slow
def test_a_lost_worker_fails_its_runs_and_the_sweep_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(execution, "run_group", crash_on_seed_1)
    experiment = two_scenarios(replications=3, execution=Execution(backend="loky", n_jobs=2))
    summary = run_sweep(experiment, store_dir=tmp_path, progress=False)
    assert (summary.finished, summary.failed) == (4, 2)
    store = Store(tmp_path)
    assert {run_id.split("-")[1] for run_id in store.failed_run_ids()} == {"s0001"}
    assert {run_id.split("-")[1] for run_id in store.done_run_ids()} == {"s0000", "s0002"}
    for run_id in store.failed_run_ids():
        assert "worker lost" in store.read_failure(run_id)["error"]


@pytest.mark.slow
def test_a_sweep_stopped_by_sigterm_stops_its_workers_and_keeps_finished_runs(tmp_path):
    import psutil

    # Enough runs that the sweep cannot finish between its first saved run and the signal.
    path = experiment_file(tmp_path, "stopme", replications=300, backend="loky")
    store = tmp_path / "store"
    process = subprocess.Popen([sys.executable, "-m", "sim.sweep", str(path), "--store", str(store),
                                "--quiet", "--no-report", "--n-jobs", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while not any(store.glob("runs/*.parquet")) and process.poll() is None:
            time.sleep(0.05)
        children = psutil.Process(process.pid).children(recursive=True)
        assert children, "the sweep should be running its workers"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            process.kill()
    assert "Interrupted" in process.stderr.read()
    _, alive = psutil.wait_procs(children, timeout=15)
    assert alive == []
    done = Store(store).done_run_ids()
    assert 1 <= len(done) < 600


def test_a_store_that_is_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    in_the_way = tmp_path / "results"
    in_the_way.write_text("not a directory")
    path = experiment_file(tmp_path, "blocked", replications=1)
    assert main([str(path), "--store", str(in_the_way), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot write the results store") and err.count("\n") == 1


def test_a_read_only_store_is_one_line_and_exit_2(tmp_path, capsys):
    store = tmp_path / "read_only"
    store.mkdir()
    store.chmod(0o500)
    try:
        if os.access(store, os.W_OK):
            pytest.skip("running as root: permissions do not stop writes")
        path = experiment_file(tmp_path, "readonly", replications=1)
        assert main([str(path), "--store", str(store / "sweep"), "--quiet"]) == 2
    finally:
        store.chmod(0o700)
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot write the results store") and "Permission denied" in err
    assert err.count("\n") == 1


def test_an_unreachable_dask_scheduler_is_one_line_and_exit_2(tmp_path, capsys):
    pytest.importorskip("distributed")  # its config defaults loaded before they are changed
    import dask
    path = experiment_file(tmp_path, "nowhere", replications=1)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main([str(path), "--store", str(tmp_path / "store"), "--quiet", "--backend", "dask",
                     "--address", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.cluster
def test_a_sweep_runs_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    experiment = two_scenarios()
    run_sweep(experiment, store_dir=tmp_path / "local", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_cluster = dataclasses.replace(
            experiment, execution=Execution(backend="dask", address=cluster.scheduler_address))
        summary = run_sweep(on_cluster, store_dir=tmp_path / "dask", progress=False)
    assert (summary.finished, summary.failed, summary.n_workers) == (4, 0, 2)
    local, remote = run_frames(tmp_path / "local"), run_frames(tmp_path / "dask")
    assert local.keys() == remote.keys()
    for run_id in local:
        pd.testing.assert_frame_equal(local[run_id], remote[run_id])


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_every_experiment_file_composes_and_smoke_runs(path, tmp_path):
    # Every scenario, override and parameter of the file composes and runs (on a tiny region);
    # the report is tested in test_report.py and test_a_failing_run_is_recorded...
    experiment = tiny(load_experiment(path), replications=1, years=1.0)
    summary = run_sweep(experiment, store_dir=tmp_path, progress=False)
    assert summary.failed == 0 and summary.finished == summary.planned > 0


@pytest.mark.slow
def test_a_sweep_killed_by_a_signal_resumes_from_where_it_stopped(tmp_path):
    # A real kill (SIGKILL, no clean-up) of `python -m sim.sweep` once a few runs are saved.
    path = experiment_file(tmp_path, "killme", replications=3)
    store = tmp_path / "store"
    command = [sys.executable, "-m", "sim.sweep", str(path), "--store", str(store),
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
