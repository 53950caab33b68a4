"""``python -m sim.sweep experiments/<name>.yaml``: run a sweep defined in an experiment file, then
write its report (see docs/sweeps.md). The sweep itself is ``sim.experiments.execution``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.core.checks import ConfigError
from sim.experiments.design import BACKENDS, check_experiment, load_experiment
from sim.experiments.execution import describe, run_sweep_from_command_line
from sim.views.report import write_report


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
        summary, code = run_sweep_from_command_line(
            experiment, Path(args.experiment).read_text(), args.store, progress=not args.quiet)
    except ConfigError as error:  # also from planning, inside the sweep
        print(f"Experiment error: {error}", file=sys.stderr)
        return 2
    if summary is None:
        return code
    if not args.no_report:
        started = time.perf_counter()
        write_report(summary.store)
        summary.report_s = time.perf_counter() - started
    print(describe(summary))
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
