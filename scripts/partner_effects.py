"""What partnering does to the weaker and the stronger partner, and how funded partnerships fare
when their money stops (issue 14, points 3 and 4).

For each seed, one spin-up is forked (``sim.running.run_paired``) into the baseline, the
pathfinder, the executive-heads programme and the sponsorship counterfactual, and each kind of
partnership is compared with the same school in its counterfactual run on the same seed
(``sim.analysis.event_study.member_changes(..., against="counterfactual")``):

* pathfinder: programme partnerships in the pathfinder run against the baseline;
* executive heads: executive-head federations in the executive-heads run against the baseline;
* sponsorship: every school sponsored into a trust in the baseline (a new sponsor-led trust, or
  an existing trust it was brokered into: memberships with ``joined_how == "intervention"``), as
  the weaker partner, with the trust's schools at that moment as the stronger, against the
  baseline with sponsorship switched off (``--no-sponsorship``, by default
  ``accountability.intervention=none``).

Prints the mean change (months of progress) of the weaker and the stronger partner at 3 and 5
years, with a 95% interval across seeds, and the share of funded partnerships still running 12
months after their money stopped.

    PYTHONPATH=$PWD python scripts/partner_effects.py --seeds 10 --schools 600 --years 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sim.analysis.event_study import member_changes
from sim.analysis.intervals import t_interval
from sim.config import compose, validate
from sim.running import run_paired

GROUPS = {"weaker partner": "weak", "stronger partner(s)": "strong"}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="paired seeds (default 10)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--schools", type=int, default=600, help="schools in the region (default 600)")
    parser.add_argument("--years", type=int, default=10, help="years after time 0 (default 10)")
    parser.add_argument("--no-sponsorship", default="accountability.intervention=none",
                        help="override giving the counterfactual of sponsorship "
                             "(default accountability.intervention=none)")
    parser.add_argument("overrides", nargs="*", help="extra config overrides for every run")
    return parser.parse_args()


def still_running_after_money(partnerships: pd.DataFrame, end_of_run: float) -> tuple[int, int]:
    """(funded partnerships still running 12 months after their money stopped, those running
    when it stopped), among awards that stopped at least a year before the run's end."""
    funded = partnerships[(partnerships.funding_gbp > 0)
                          & (partnerships.funded_until <= end_of_run - 1.0)]
    ended = funded.ended_at.to_numpy(dtype=float)
    stop = funded.funded_until.to_numpy(dtype=float)
    reached = np.isnan(ended) | (ended >= stop - 1e-9)
    survived = np.isnan(ended) | (ended > stop + 1.0)
    return int((reached & survived).sum()), int(reached.sum())


def sponsorship_events(memberships: pd.DataFrame) -> pd.DataFrame:
    """One row per school sponsored into a trust, shaped like the partnerships table for
    ``member_changes``: the sponsored school and the trust's schools at that moment (founders of a
    new sponsor-led trust included), formed at the time it joined; ids are the events' own."""
    sponsored = memberships[memberships.joined_how == "intervention"]
    rows = []
    for event, (trust, school, joined) in enumerate(
            zip(sponsored.partnership_id, sponsored.school_id, sponsored.joined_at, strict=True)):
        spells = memberships[memberships.partnership_id == trust]
        present = spells[(spells.joined_at <= joined)
                         & (spells.left_at.isna() | (spells.left_at > joined))]
        others = [int(x) for x in present.school_id if x != school]
        if others:
            rows.append((event, [int(school), *others], float(joined)))
    return pd.DataFrame(rows, columns=["partnership_id", "members", "formed_at"])


def main() -> None:
    args = arguments()
    common = [f"landscape.n_schools={args.schools}", f"years={args.years}",
              "output.progress=false", *args.overrides]
    configs = {"baseline": ["scenario=baseline", *common],  # overrides, seed added per seed
               "pathfinder": ["scenario=pathfinder", *common],
               "executive_heads": ["scenario=executive_heads", *common],
               "no_sponsorship": ["scenario=baseline", args.no_sponsorship, *common]}
    studies = {  # name: (run studied, its counterfactual, origin of the partnerships studied)
        "pathfinder": ("pathfinder", "baseline", "programme"),
        "executive heads": ("executive_heads", "baseline", "executive_head"),
        "sponsorship": ("baseline", "no_sponsorship", None),  # from memberships
    }
    per_seed = {name: [] for name in studies}
    survived = reached = 0
    start = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        settings = [validate(compose([*overrides, f"seed={seed}"])) for overrides in configs.values()]
        runs = dict(zip(configs, run_paired(settings), strict=True))
        for name, (studied, counterfactual, origin) in studies.items():
            run = runs[studied]
            if origin is None:  # the sponsored school is the weaker partner by definition
                events = sponsorship_events(run.memberships)
                changes = member_changes(run.schools, events, lambda table: table.members.map(len) > 0,
                                         "counterfactual", runs[counterfactual].schools, pre=0, post=5)
                sponsored = dict(zip(events.partnership_id, events.members.str[0], strict=True))
                changes["group"] = np.where(changes.school_id == changes.partnership_id.map(sponsored),
                                            "weaker partner", "stronger partner(s)")
            else:
                changes = member_changes(run.schools, run.partnerships,
                                         lambda table, origin=origin: table.origin == origin,
                                         "counterfactual", runs[counterfactual].schools,
                                         pre=0, post=5, by_strength=True)
            if len(changes):
                per_seed[name].append(changes[changes.k.isin([3, 5])]
                                      .groupby(["group", "k"]).effect.mean())
        kept, at_stop = still_running_after_money(runs["pathfinder"].partnerships, args.years)
        survived, reached = survived + kept, reached + at_stop
    print(f"{args.seeds} seeds, {args.schools} schools, {args.years} years "
          f"({time.perf_counter() - start:.0f} s)")
    print("Change against the same school in the counterfactual run (months of progress; "
          "mean over seeds, 95% interval across seeds):")
    for name, tables in per_seed.items():
        if not tables:
            print(f"  {name:16s} no partnerships formed")
            continue
        wide = pd.concat(tables, axis=1)
        low, high = t_interval(wide.count(axis=1).to_numpy(), wide.mean(axis=1), wide.std(axis=1))
        for (group, k), mean, lo, hi, n in zip(wide.index, wide.mean(axis=1), low, high,
                                               wide.count(axis=1), strict=True):
            print(f"  {name:16s} {GROUPS[group]:6s} at {k} years: {mean:+.2f} [{lo:+.2f}, {hi:+.2f}] "
                  f"({n} seeds)")
    share = survived / reached if reached else float("nan")
    print(f"Funded partnerships still running 12 months after their money stopped: "
          f"{share:.0%} ({survived} of {reached})")


if __name__ == "__main__":
    main()
