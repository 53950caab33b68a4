"""Running a planned sweep: workers, the parallel engine, saving each run as it returns.

Runs go to an executor (loky processes on this machine, a Dask or Ray cluster, or this process),
one task per seed: the worker spins the model up once and forks it for each scenario
(``sim.running.run_paired``). Each finished run is saved to the store at once, so a stopped sweep
resumes where it stopped. Faults are contained: a run that raises is recorded as failed; a worker
that dies (killed by the out-of-memory killer, say) fails the runs it held and the sweep goes on
with the rest; stopping the driver stops its workers.
"""

from __future__ import annotations

import collections
import platform
import signal
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from sim.analysis.evaluation import school_panel
from sim.core.settings import Settings
from sim.experiments.design import Execution, Experiment
from sim.experiments.planning import PlannedRun, plan_sweep, plan_table
from sim.running import RunFailure, git_commit, package_versions, run_paired
from sim.storage.store import Store, StoreError

LOST_WORKER = "worker lost (the process died, e.g. killed by the out-of-memory killer) " \
              "while running this seed's runs"


class EngineError(Exception):
    """The executor cannot start (e.g. an unreachable cluster): one line for the user."""


# -- the workers ---------------------------------------------------------------------------------
@dataclass
class RunOutcome:
    """What a worker sends back for one run: its tables, or its error."""

    run_id: str
    yearly: pd.DataFrame | None = None
    partnerships: pd.DataFrame | None = None
    schools: pd.DataFrame | None = None  # compact school panel (sim.analysis.evaluation)
    meta: dict = field(default_factory=dict)
    error: str | None = None
    compute_s: float = 0.0  # simulation time of this run, with its share of the spin-up (wall)
    cpu_s: float = 0.0  # CPU time of the worker, the seed's total shared in proportion to wall


def run_group(runs: list[tuple[str, Settings]]) -> list[RunOutcome]:
    """Run one seed's runs (all with the same ``spinup_key``) through ``run_paired``."""
    start_cpu = time.process_time()
    outcomes = []
    results = run_paired([settings for _, settings in runs], keep_going=True)
    for (run_id, _), result in zip(runs, results, strict=True):
        if isinstance(result, RunFailure):
            outcomes.append(RunOutcome(run_id, error=result.error))
            continue
        outcomes.append(RunOutcome(
            run_id, yearly=result.yearly(),
            partnerships=partnerships_during_run(result.partnerships),
            schools=school_panel(result.schools, result.partnerships, result.memberships),
            meta=result.meta,
            compute_s=result.meta["wall_time_s"] + result.meta["spinup_s"]))
    total_wall = sum(o.compute_s for o in outcomes)
    total_cpu = time.process_time() - start_cpu
    for outcome in outcomes:
        outcome.cpu_s = total_cpu * outcome.compute_s / total_wall if total_wall > 0 else 0.0
    return outcomes


def partnerships_during_run(partnerships: pd.DataFrame) -> pd.DataFrame:
    """Partnerships alive at some time after time 0, without member lists (keeps files small)."""
    alive = partnerships["ended_at"].isna() | (partnerships["ended_at"] > 0)
    return partnerships.loc[alive].drop(columns=["members"]).reset_index(drop=True)


# -- the engine ----------------------------------------------------------------------------------
class InProcessExecutor(Executor):
    """Runs each task at once in this process (backend ``sequential``: debugging, profiling)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


class RayExecutor(Executor):
    """Ray tasks as ``concurrent.futures`` futures."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        import ray

        return ray.remote(fn).remote(*args, **kwargs).future()


class Engine:
    """An executor on the chosen backend, replaced by a fresh one if a local worker dies."""

    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.generation = 0  # counts executors: a lost worker breaks only its own generation
        self.executor: Executor | None = None
        self.n_workers = 1
        self._close = lambda kill: None

    def start(self) -> None:
        x = self.execution
        if x.backend == "sequential":
            self.executor = InProcessExecutor()
        elif x.backend == "loky":
            from joblib import effective_n_jobs
            from joblib.externals.loky import ProcessPoolExecutor

            self.n_workers = effective_n_jobs(x.n_jobs)
            executor = self.executor = ProcessPoolExecutor(max_workers=self.n_workers)
            self._close = lambda kill: executor.shutdown(wait=True, kill_workers=kill)
        elif x.backend == "dask":
            self._start_dask(x.address)
        else:
            import ray

            ray.init(address=x.address)
            self.executor = RayExecutor()
            self.n_workers = int(ray.cluster_resources().get("CPU", 1))
            self._close = lambda kill: ray.shutdown()

    def _start_dask(self, address: str | None) -> None:
        from distributed import Client, LocalCluster

        cluster = None
        try:
            if address is None:
                cluster = LocalCluster(threads_per_worker=1, processes=True,
                                       dashboard_address=None)
            client = Client(address or cluster)
        except (OSError, TimeoutError) as error:
            if cluster is not None:
                cluster.close()
            where = f"the Dask scheduler at {address}" if address else "a local Dask cluster"
            raise EngineError(f"cannot reach {where}: {str(error).splitlines()[0]}") from None
        self.executor = client.get_executor(pure=False)
        self.n_workers = max(1, sum(client.nthreads().values()))

        def close(kill: bool) -> None:
            client.close()
            if cluster is not None:
                cluster.close()

        self._close = close

    def restart(self) -> None:
        """After a worker was lost: the executor is broken; kill what is left and start afresh."""
        self.close(kill=True)
        self.generation += 1
        self.start()

    def close(self, kill: bool) -> None:
        self._close(kill)
        self._close = lambda kill: None


@contextmanager
def parallel_engine(execution: Execution):
    """An ``Engine`` for the sweep's lifetime; on any exit (an error, Ctrl-C, SIGTERM turned into
    ``KeyboardInterrupt`` by the CLI) its workers are killed, not left running."""
    engine = Engine(execution)
    engine.start()
    try:
        yield engine
    except BaseException:
        engine.close(kill=True)
        raise
    engine.close(kill=False)


def is_lost_worker(error: BaseException) -> bool:
    """A local worker process died (loky breaks the whole pool: every task in flight fails)."""
    from concurrent.futures.process import BrokenProcessPool

    from joblib.externals.loky.process_executor import TerminatedWorkerError

    return isinstance(error, TerminatedWorkerError | BrokenProcessPool)


# -- the driver ----------------------------------------------------------------------------------
@dataclass
class SweepSummary:
    """Counts and timings of one invocation of a sweep."""

    store: Path
    planned: int
    skipped: int  # already done before this invocation
    finished: int
    failed: int
    wall_s: float  # running the runs (not planning nor the report)
    compute_s: float  # summed simulation time inside workers (wall)
    cpu_s: float  # the same in CPU time
    n_workers: int
    report_s: float = 0.0
    failed_ids: list[str] = field(default_factory=list)


def run_sweep(experiment: Experiment, experiment_text: str = "", store_dir: str | Path | None = None,
              progress: bool = True, runs: list[PlannedRun] | None = None) -> SweepSummary:
    """Plan (or take ``runs``, already planned), run what is not done yet and record failures.
    (The report is a view of the store: ``sim.views.report.write_report``.)"""
    from tqdm import tqdm

    from sim.core.model import spinup_key

    if runs is None:
        runs = plan_sweep(experiment)  # every run composed and validated before any starts
    store = Store(store_dir or experiment.store or Path("results") / experiment.name)
    store.prepare()  # StoreError (one line) if it cannot be written
    store.remove_temporary_files()
    store.write_plan(plan_table(runs), sweep_info(experiment, len(runs)),
                     experiment_text or yaml.safe_dump(asdict(experiment), sort_keys=False))
    done = store.done_run_ids()  # only run files that read back whole
    todo = [r for r in runs if r.run_id not in done]
    groups: dict[tuple, list[PlannedRun]] = {}
    for run in todo:
        groups.setdefault((run.seed, spinup_key(run.settings)), []).append(run)
    summary = SweepSummary(store=store.root, planned=len(runs), skipped=len(runs) - len(todo),
                           finished=0, failed=0, wall_s=0.0, compute_s=0.0, cpu_s=0.0,
                           n_workers=1)
    if progress and summary.skipped:
        print(f"{summary.skipped} of {len(runs)} runs already done in {store.root}; "
              f"running the other {len(todo)}", file=sys.stderr)
    start = time.perf_counter()
    if todo:
        with parallel_engine(experiment.execution) as engine, \
                tqdm(total=len(todo), unit="run", desc=experiment.name, disable=not progress,
                     smoothing=0.1) as bar:
            summary.n_workers = engine.n_workers
            for group, outcomes in run_groups(engine, list(groups.values())):
                for run, outcome in zip(group, outcomes, strict=True):
                    save_outcome(store, run, outcome, summary)
                    bar.update(1)
    summary.wall_s = time.perf_counter() - start
    return summary


def run_groups(engine: Engine, groups: list[list[PlannedRun]]):
    """Yield (group, its outcomes) as each group finishes, at most one group per worker in flight.

    A lost worker fails every group in flight with it, and which of them killed it is unknown: they
    are run again one at a time, so a group that loses its worker alone is the culprit and is
    recorded as failed (``LOST_WORKER``); the others finish normally.
    """
    pending = collections.deque(groups)
    suspects: collections.deque = collections.deque()  # in flight when a worker was lost
    in_flight: dict[Future, tuple[list[PlannedRun], bool, int]] = {}
    while pending or suspects or in_flight:
        queue, room = (suspects, 1) if suspects else (pending, engine.n_workers)
        while queue and len(in_flight) < room:
            group = queue.popleft()
            future = engine.executor.submit(run_group, [(r.run_id, r.settings) for r in group])
            in_flight[future] = (group, room == 1, engine.generation)
        finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
        for future in finished:
            group, alone, generation = in_flight.pop(future)
            try:
                outcomes = future.result()
            except Exception as error:
                if not is_lost_worker(error):  # e.g. Dask's KilledWorker: it knows the culprit
                    message = "".join(traceback.format_exception_only(error)).strip()
                    outcomes = [RunOutcome(r.run_id, error=message) for r in group]
                else:
                    if generation == engine.generation:
                        engine.restart()
                    if not alone:
                        suspects.append(group)
                        continue
                    outcomes = [RunOutcome(r.run_id, error=f"{LOST_WORKER}: {error}")
                                for r in group]
            yield group, outcomes


def save_outcome(store: Store, run: PlannedRun, outcome: RunOutcome, summary: SweepSummary) -> None:
    """Write one run's result (or its failure) to the store, as soon as it comes back."""
    summary.compute_s += outcome.compute_s
    summary.cpu_s += outcome.cpu_s
    identity = {"run_id": run.run_id, "scenario": run.scenario, "point": run.point,
                "seed": run.seed}
    if outcome.error is not None:
        summary.failed += 1
        summary.failed_ids.append(run.run_id)
        store.write_failure(run.run_id, {**identity, "config_hash": run.config_hash,
                                         "overrides": run.overrides, "error": outcome.error})
        return
    manifest = {**identity, "config_hash": run.config_hash, "baseline_run_id": run.baseline_run_id,
                "overrides": run.overrides, "parameters": run.parameters,
                "compute_s": round(outcome.compute_s, 3), "cpu_s": round(outcome.cpu_s, 3),
                **outcome.meta}
    yearly = outcome.yearly.assign(**identity)
    partnerships = outcome.partnerships.assign(**identity)
    schools = outcome.schools.assign(run_id=run.run_id) if outcome.schools is not None else None
    store.write_run(run.run_id, yearly, partnerships, manifest, schools)
    summary.finished += 1


def sweep_info(experiment: Experiment, n_runs: int) -> dict:
    """What the store's sweep.json records: the experiment, versions and git commit."""
    return {"experiment": asdict(experiment), "n_runs": n_runs,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(), "packages": package_versions(),
            "git_commit": git_commit()}


def describe(s: SweepSummary) -> str:
    """A few lines on what a sweep did and how fast."""
    lines = [f"Sweep store: {s.store}",
             f"  {s.planned} runs planned, {s.skipped} already done, {s.finished} finished now, "
             f"{s.failed} failed"]
    if s.finished + s.failed:
        rate = (s.finished + s.failed) / s.wall_s * 60
        busy = s.compute_s / (s.wall_s * s.n_workers) if s.wall_s > 0 else 0.0
        lines.append(f"  {s.wall_s:.1f} s on {s.n_workers} workers: {rate:.1f} runs/min, "
                     f"{busy:.0%} of worker time simulating")
    if s.report_s:
        lines.append(f"  report written in {s.report_s:.1f} s: {s.store / 'report' / 'report.html'}")
    for run_id in s.failed_ids[:10]:
        lines.append(f"  FAILED {run_id}: see {s.store / 'failed' / (run_id + '.json')}")
    return "\n".join(lines)


@contextmanager
def sigterm_as_interrupt():
    """SIGTERM (a scheduler or ``kill`` stopping a sweep) acts as Ctrl-C while inside: the engine
    then kills its workers and the finished runs stay in the store."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_sweep_from_command_line(experiment: Experiment, experiment_text: str,
                                store_dir: str | Path | None, progress: bool,
                                runs: list[PlannedRun] | None = None
                                ) -> tuple[SweepSummary | None, int]:
    """``run_sweep`` for a command (``python -m sim.sweep``, ``python -m sim.sensitivity``):
    SIGTERM acts as Ctrl-C, and a store or engine error or an interrupt becomes one line on
    stderr. Returns (the summary, 0), or (None, the exit code: 2 for an error, 130 when stopped;
    finished runs stay in the store)."""
    try:
        with sigterm_as_interrupt():
            return run_sweep(experiment, experiment_text, store_dir, progress=progress,
                             runs=runs), 0
    except (StoreError, EngineError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return None, 2
    except KeyboardInterrupt:
        print("\nInterrupted. Finished runs are saved; run the same command to resume.",
              file=sys.stderr)
        return None, 130
