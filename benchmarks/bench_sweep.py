"""Sweep speed, end to end: plan + runs + report, for every scenario on common seeds.

    python benchmarks/bench_sweep.py                       # 1,001 runs: 7 scenarios x 143 seeds
    python benchmarks/bench_sweep.py --runs 210 --keep     # a shorter one; keep the store

Prints runs per minute and the share of worker time that is overhead rather than simulation
(spin-up and run). Prints figures only; never asserts (timings depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

from sim.experiments.design import Execution, Experiment
from sim.experiments.execution import run_sweep
from sim.experiments.planning import plan_sweep
from sim.views.report import write_report

SCENARIOS = ["pathfinder", "rural_clusters", "cluster_lump_sums", "executive_heads",
             "partnership_accountability", "high_stakes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="about this many runs (7 scenarios)")
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--years", type=float, default=20.0)
    parser.add_argument("--steps-per-year", type=int, default=12)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--store", help="results directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the store afterwards")
    args = parser.parse_args()

    replications = math.ceil(args.runs / (len(SCENARIOS) + 1))
    experiment = Experiment(
        name="bench_sweep", scenarios=SCENARIOS, replications=replications, years=args.years,
        overrides=[f"landscape.n_schools={args.schools}", f"steps_per_year={args.steps_per_year}"],
        execution=Execution(backend="loky", n_jobs=args.n_jobs))
    store = Path(args.store or tempfile.mkdtemp(prefix="bench_sweep_"))
    if any(store.glob("runs/*.parquet")):
        raise SystemExit(f"{store} already holds runs: give an empty --store for a fair timing")
    load_before = os.getloadavg()

    start = time.perf_counter()
    n_runs = len(plan_sweep(experiment))
    plan_s = time.perf_counter() - start  # run_sweep plans again: subtracted below
    start = time.perf_counter()
    summary = run_sweep(experiment, store_dir=store, progress=True)
    report_start = time.perf_counter()
    write_report(summary.store)
    summary.report_s = time.perf_counter() - report_start
    total_s = time.perf_counter() - start
    worker_s = summary.wall_s * summary.n_workers

    print(f"\nSweep of {n_runs} runs: {len(SCENARIOS) + 1} scenarios x {replications} seeds, "
          f"{args.schools} schools, {args.years:g} years x {args.steps_per_year} steps "
          f"(+ spin-up), {summary.n_workers} workers, load average before "
          f"{load_before[0]:.1f} on {os.cpu_count()} cores")
    print(f"  end to end (plan + runs + report):  {total_s:8.1f} s = {total_s / 60:.2f} min")
    print(f"    planning (compose + validate):  {plan_s:8.1f} s")
    print(f"    runs:                           {summary.wall_s:8.1f} s")
    print(f"    report (aggregation + figures): {summary.report_s:8.1f} s")
    print(f"  runs per minute, end to end:      {n_runs / total_s * 60:8.1f}")
    print(f"  runs per minute, running only:    {n_runs / summary.wall_s * 60:8.1f}")
    finished = max(summary.finished, 1)
    print(f"  simulation per run (spin-up share + run): {summary.compute_s / finished:.2f} s "
          f"wall, {summary.cpu_s / finished:.2f} s CPU")
    print(f"  runs per minute if the {summary.n_workers} workers had their cores to themselves "
          f"(CPU time): {summary.n_workers * 60 / (summary.cpu_s / finished):.1f}")
    print(f"  overhead share of worker time while running: "
          f"{1 - summary.compute_s / worker_s:.1%}")
    print(f"  overhead share end to end (planning, workers starting, saving, report): "
          f"{1 - summary.compute_s / (total_s * summary.n_workers):.1%}")
    print(f"  failed runs: {summary.failed}; store: {store}")
    if not args.keep and not args.store:
        shutil.rmtree(store)


if __name__ == "__main__":
    main()
