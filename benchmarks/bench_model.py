"""Speed and memory of one run at regional to national scale, against Mesa's Boltzmann example.

Prints figures; asserts nothing. Each case runs in a fresh process so peak memory is its own.

    .venv/bin/python benchmarks/bench_model.py            # all cases, 3 rounds
    .venv/bin/python benchmarks/bench_model.py --sizes 24000 --rounds 5
    .venv/bin/python benchmarks/bench_model.py --profile 24000   # where one run's time goes
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time

YEARS = 20
# One core means one thread for the numerical libraries too (as in a sweep's workers).
ONE_THREAD = {**os.environ, **{name: "1" for name in (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
STEPS_PER_YEAR = 12


def run_case(kind: str, n: int, profile: bool = False) -> dict:
    """Run one case in this process and return its figures (with ``profile``, print the
    functions taking most of the model's run, after its spin-up)."""
    if kind == "boltzmann":
        from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth

        model = BoltzmannWealth(n=n, width=100, height=100, seed=1)
        steps = 100
        start = time.perf_counter()
        for _ in range(steps):
            model.step()
        wall = time.perf_counter() - start
        return {"case": f"Mesa Boltzmann wealth, {n:,} agents", "build_s": 0.0,
                "spinup_s": 0.0, "run_s": wall, "us_per_agent_step": wall / (n * steps) * 1e6}

    from sim.config import compose, validate
    from sim.core.model import PartnershipModel

    settings = validate(compose([f"landscape.n_schools={n}", f"years={YEARS}",
                                 f"steps_per_year={STEPS_PER_YEAR}"]))
    start = time.perf_counter()
    spinup = settings.config.spinup_years
    model = PartnershipModel(validate(compose([f"landscape.n_schools={n}", "spinup_years=0"])))
    build = time.perf_counter() - start
    # The model built only to time the build is garbage: free it now, or the peak memory printed
    # would include it whenever the collector has not yet run (the model holds reference cycles).
    del model
    gc.collect()
    start = time.perf_counter()
    model = PartnershipModel(settings)  # build + spin-up
    spinup_s = time.perf_counter() - start - build
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    model.run()
    wall = time.perf_counter() - start
    if profiler:
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    steps = YEARS * STEPS_PER_YEAR
    return {"case": f"partnership model, {n:,} schools", "build_s": build,
            "spinup_s": spinup_s, "spinup_years": spinup, "run_s": wall,
            "us_per_agent_step": wall / (n * steps) * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[300, 2400, 24000])
    parser.add_argument("--profile", type=int, metavar="N",
                        help="profile one run of N schools (cProfile, one thread) and print where "
                             "its time goes, instead of the comparison")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of every case, one after another; the ratio to Boltzmann is "
                             "taken within each round and its median printed (a shared machine's "
                             "speed drifts by several per cent from one run to the next)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        os.environ.update(ONE_THREAD)  # read when numpy loads its libraries, below
        figures = run_case("model", args.profile, profile=True)
        print(f"\n{figures['case']}: {figures['run_s']:.2f} s under the profiler")
        return
    if args.child:
        figures = run_case(args.child[0], int(args.child[1]))
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    cases = [("model", n) for n in args.sizes] + [("boltzmann", 10_000)]
    rounds = []  # per round, one row per case
    for _ in range(args.rounds):
        rows = []
        for kind, n in cases:
            out = subprocess.run([sys.executable, __file__, "--child", kind, str(n)],
                                 capture_output=True, text=True, check=True, env=ONE_THREAD).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
        rounds.append(rows)
    print(f"One core; {YEARS} years x {STEPS_PER_YEAR} steps a year for the model "
          f"(plus its spin-up), 100 steps for Boltzmann; medians of {args.rounds} rounds.\n")
    header = f"{'case':42} {'build s':>8} {'spin-up s':>10} {'run s':>8} {'us/agent-step':>14} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for i, case in enumerate(rounds[0]):
        median = {key: statistics.median(rows[i][key] for rows in rounds)
                  for key in ("build_s", "spinup_s", "run_s", "us_per_agent_step", "peak_rss_mb")}
        print(f"{case['case']:42} {median['build_s']:8.2f} {median['spinup_s']:10.2f} "
              f"{median['run_s']:8.2f} {median['us_per_agent_step']:14.2f} {median['peak_rss_mb']:8.0f}")
    for i, case in enumerate(rounds[0][:-1]):
        ratios = [rows[i]["us_per_agent_step"] / rows[-1]["us_per_agent_step"] for rows in rounds]
        total = statistics.median(rows[i]["build_s"] + rows[i]["spinup_s"] + rows[i]["run_s"]
                                  for rows in rounds)
        print(f"\n{case['case']}: {statistics.median(ratios):.2f} x Boltzmann's cost per agent-step "
              f"(median; rounds {', '.join(f'{r:.2f}' for r in ratios)}); whole run incl. build "
              f"and {case['spinup_years']:g}-year spin-up {total:.1f} s")


if __name__ == "__main__":
    main()
