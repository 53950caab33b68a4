"""Today's regime in figures (issue 15): report cards' shares by area, and RISE's reach, effect
and cost.

For each seed one spin-up is forked (``sim.running.run_paired``) into the baseline (today's
regime: report cards and RISE) and ``no_rise`` (report cards without RISE), so the two share every
random draw until RISE first acts. Prints:

* under report cards, the share of schools at each point of the scale by area: at time 0 (the
  report card every school would get if inspected then: by construction the assumed shares, as
  the boundaries are set on it) and, among schools holding a report card, at year 1 and at the
  last year;
* RISE's reach: schools taken on a year (per 1,000 schools and scaled to England's ~20,200), and
  stuck schools at the end with and without RISE;
* RISE's effect on the supported school (stuck when paired) and the supporting school, at 2 and
  5 years after pairing, against the same school in the ``no_rise`` run on the same seed
  (``sim.analysis.event_study.member_changes(..., against="counterfactual")``), mean over seeds
  with a 95% interval across seeds;
* cost per supported school (awarded, and drawn down by the end of the run).

    PYTHONPATH=$PWD python scripts/regime_figures.py --seeds 10 --schools 600 --years 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sim.analysis.event_study import member_changes
from sim.analysis.intervals import t_interval
from sim.config import compose, validate
from sim.core.vocabulary import REPORT_CARD_AREAS, REPORT_CARD_POINTS
from sim.rules.accountability import Accountability
from sim.running import run_paired, spin_up

ENGLAND_SCHOOLS = 20_200  # state-funded primary and secondary schools (docs/evidence.md)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="paired seeds (default 10)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--schools", type=int, default=600, help="schools in the region (default 600)")
    parser.add_argument("--years", type=int, default=10, help="years after time 0 (default 10)")
    parser.add_argument("overrides", nargs="*", help="extra config overrides for every run")
    return parser.parse_args()


def shares_at_time_0(settings) -> pd.DataFrame:
    """Areas x points: the report card every school would get at time 0 (a fresh spin-up)."""
    model = spin_up(settings)
    rule = next(r for r in model.rules if isinstance(r, Accountability))
    points = rule.area_points(rule._noisy_area_scores(model, model.config.accountability))
    return pd.DataFrame([np.bincount(points[:, a], minlength=6)[1:] / len(points)
                         for a in range(len(REPORT_CARD_AREAS))],
                        index=list(REPORT_CARD_AREAS), columns=list(REPORT_CARD_POINTS))


def shares_in_row(row: pd.Series) -> pd.DataFrame:
    """Areas x points from a time-series row (among schools holding a report card)."""
    return pd.DataFrame([[row[f"share_{area}_{point}"] for point in REPORT_CARD_POINTS]
                         for area in REPORT_CARD_AREAS],
                        index=list(REPORT_CARD_AREAS), columns=list(REPORT_CARD_POINTS))


def roles(panel: pd.DataFrame, changes: pd.DataFrame, partnerships: pd.DataFrame) -> pd.Series:
    """Each member's role in its RISE pair: the supported school was stuck in the base year."""
    base = partnerships.set_index("partnership_id").formed_at.apply(np.floor).astype(int)
    stuck = panel.set_index(["school_id", "year"]).stuck
    key = zip(changes.school_id, base[changes.partnership_id].to_numpy(), strict=True)
    return pd.Series(np.where(stuck.loc[list(key)].to_numpy(), "supported", "supporting"),
                     index=changes.index)


def main() -> None:
    args = arguments()
    common = [f"landscape.n_schools={args.schools}", f"years={args.years}",
              "output.progress=false", *args.overrides]
    configs = {"baseline": ["scenario=baseline", *common],  # overrides, seed added per seed
               "no_rise": ["scenario=no_rise", *common]}
    effects, reach, stuck, cost, first, last = [], [], [], [], [], []
    start = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        settings = [validate(compose([*overrides, f"seed={seed}"])) for overrides in configs.values()]
        today, without = run_paired(settings)
        ts = today.timeseries
        if seed == args.first_seed:
            at_time_0 = shares_at_time_0(settings[0])
        first.append(shares_in_row(ts[np.isclose(ts.time_years, 1)].iloc[0]))
        last.append(shares_in_row(ts.iloc[-1]))
        started = ts.cum_rise_started.iloc[-1]
        reach.append(started / args.years / args.schools * 1000)
        stuck.append((ts.n_stuck.iloc[-1], without.timeseries.n_stuck.iloc[-1]))
        pairs = today.partnerships[today.partnerships.origin == "rise"]
        cost.append((ts.cum_rise_awarded_gbp.iloc[-1], pairs.spent_gbp.sum(), started))
        changes = member_changes(today.schools, today.partnerships,
                                 lambda table: table.origin == "rise", "counterfactual",
                                 without.schools, pre=0, post=5)
        if len(changes):
            changes["group"] = roles(today.schools, changes, today.partnerships)
            effects.append(changes[changes.k.isin([2, 5])].groupby(["group", "k"]).effect.mean())
    print(f"{args.seeds} seeds, {args.schools} schools, {args.years} years "
          f"({time.perf_counter() - start:.0f} s)\n")

    pd.set_option("display.width", 160)
    print("Report cards: share of schools at each point, by area")
    print("time 0 (the card every school would get if inspected then; about the assumed shares):")
    print(at_time_0.round(3).to_string())
    print("\nyear 1, among schools holding a report card (mean over seeds):")
    print((sum(first) / len(first)).round(3).to_string())
    print(f"\nyear {args.years}, among schools holding a report card (mean over seeds):")
    print((sum(last) / len(last)).round(3).to_string())

    reach = np.array(reach)
    print(f"\nRISE reach: {reach.mean():.1f} schools a year per 1,000 schools "
          f"(seeds {reach.min():.1f}-{reach.max():.1f}); about "
          f"{reach.mean() * ENGLAND_SCHOOLS / 1000:.0f} a year in England")
    stuck = np.array(stuck, dtype=float)
    print(f"Stuck schools at year {args.years}: {stuck[:, 0].mean():.1f} with RISE, "
          f"{stuck[:, 1].mean():.1f} without (per {args.schools} schools, mean over seeds)")
    awarded, spent, n = np.array(cost).sum(axis=0)
    print(f"Cost per supported school: £{awarded / n:,.0f} awarded, £{spent / n:,.0f} drawn "
          f"down by year {args.years} ({int(n)} schools)")

    print("\nRISE's effect against the same school without RISE (months of progress since "
          "pairing; mean over seeds, 95% interval across seeds):")
    if not effects:
        print("  no RISE pairs formed")
        return
    wide = pd.concat(effects, axis=1)
    n = wide.count(axis=1).to_numpy()
    low, high = t_interval(n, wide.mean(axis=1), wide.std(axis=1))
    for (group, k), mean, lo, hi, m in zip(wide.index, wide.mean(axis=1), low, high, n, strict=True):
        print(f"  {group:10s} at {k} years: {mean:+.2f} [{lo:+.2f}, {hi:+.2f}] ({m} seeds)")


if __name__ == "__main__":
    main()
