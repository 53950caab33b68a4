"""``python -m sim.sweep``: run a sweep defined in an experiment file (see docs/sweeps.md)."""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from sim.core.checks import ConfigError
from sim.experiments.design import BACKENDS, check_experiment, load_experiment
from sim.experiments.execution import EngineError, describe, run_sweep
from sim.storage.store import StoreError


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.sweep",
        description="Run a sweep of scenarios x replications defined in an experiment file.")
    parser.add_argument("experiment", help="experiment file, e.g. experiments/compare_policies.yaml")
    parser.add_argument("--store", help="results directory (default: the file's 'store', "
                                        "else results/<name>)")
    parser.add_argument("--backend", choices=BACKENDS, help="override execution.backend")
    parser.add_argument("--address", help="dask scheduler / ray cluster address")
    parser.add_argument("--n-jobs", type=int, help="override execution.n_jobs")
    parser.add_argument("--no-report", action="store_true", help="skip the report at the end")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        experiment = load_experiment(args.experiment)
        execution = experiment.execution
        if args.backend:
            execution.backend = args.backend
        if args.address:
            execution.address = args.address
        if args.n_jobs is not None:
            execution.n_jobs = args.n_jobs
        check_experiment(experiment)
        with sigterm_as_interrupt():
            summary = run_sweep(experiment, Path(args.experiment).read_text(),
                                store_dir=args.store, progress=not args.quiet,
                                report=not args.no_report)
    except ConfigError as error:
        print(f"Experiment error: {error}", file=sys.stderr)
        return 2
    except (StoreError, EngineError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted. Finished runs are saved; run the same command to resume.",
              file=sys.stderr)
        return 130
    print(describe(summary))
    return 1 if summary.failed else 0
