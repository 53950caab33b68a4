"""The model's structure against England's (issue 14): formal structures at time 0, how far apart
partners are under distance caps, how much partnerships churn, how trusts grow and by which routes
schools become academies.

    PYTHONPATH=$PWD .venv/bin/python scripts/structure_figures.py structure     # time 0, 3 landscapes
    PYTHONPATH=$PWD .venv/bin/python scripts/structure_figures.py caps --seeds 3
    PYTHONPATH=$PWD .venv/bin/python scripts/structure_figures.py churn
    PYTHONPATH=$PWD .venv/bin/python scripts/structure_figures.py trusts --seeds 3
    PYTHONPATH=$PWD .venv/bin/python scripts/structure_figures.py conversions --seeds 5

Prints figures; asserts nothing (the tests hold the directions).
"""

from __future__ import annotations

import argparse

import numpy as np

from sim.config import compose, validate
from sim.core.model import PartnershipModel
from sim.core.partnerships import FEDERATION, KIND_NAMES, ORIGIN_CODES, ORIGIN_NAMES, TRUST
from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.running import spin_up

LANDSCAPES = {"synthetic (default)": [], "region": ["landscape=region"],
              "england, a tenth": ["landscape=england", "landscape.scale=0.1"]}
SIZE_BINS = [2, 6, 12, 26, 10**6]  # 2-5, 6-11, 12-25, 26+ (DfE 2019 bins)


def structure_at_time_0(model: PartnershipModel) -> str:
    s, pt = model.schools, model.partnerships
    ids = pt.active_ids()
    kinds = np.bincount(pt.kind[ids], minlength=len(KIND_NAMES))
    per_1000 = ", ".join(f"{name} {1000 * count / s.n:.0f}" for name, count in zip(KIND_NAMES, kinds, strict=True))
    trusts = pt.n_members[ids[pt.kind[ids] == TRUST]]
    bins = np.histogram(trusts, SIZE_BINS)[0]
    in_trust = pt.count_per_school([TRUST]) > 0
    federations = ids[pt.kind[ids] == FEDERATION]
    origins = np.bincount(pt.origin[federations], minlength=len(ORIGIN_NAMES))
    by_origin = ", ".join(f"{name} {1000 * count / s.n:.0f}"
                          for name, count in zip(ORIGIN_NAMES, origins, strict=True) if count)
    return (f"{s.n} schools; per 1,000 schools: {per_1000} (federations by origin: {by_origin or 'none'}); "
            "trusts by size 2-5/6-11/12-25/26+: "
            f"{'/'.join(map(str, bins))}; schools in a trust: primary {in_trust[s.phase == PRIMARY].mean():.0%}, "
            f"secondary {in_trust[s.phase == SECONDARY].mean():.0%}; academies: primary "
            f"{s.academy[s.phase == PRIMARY].mean():.0%}, secondary {s.academy[s.phase == SECONDARY].mean():.0%}")


def organic_partner_km(model: PartnershipModel) -> tuple[np.ndarray, np.ndarray]:
    """Distance between members of organic partnerships formed after time 0, and whether both
    members of the pair are secondaries."""
    s, pt = model.schools, model.partnerships
    km, secondary = [], []
    for pid in np.flatnonzero((pt.formed_at > 0) & (pt.origin == ORIGIN_CODES["organic"])):
        members = pt.members(pid)
        for i in range(len(members)):
            others = members[i + 1:]
            km.extend(s.distance_km(np.full(len(others), members[i]), others))
            secondary.extend((s.phase[others] == SECONDARY) & (s.phase[members[i]] == SECONDARY))
    return np.array(km), np.array(secondary, dtype=bool)


def caps(seeds: int) -> None:
    size = ["landscape.n_schools=600", "years=8", "spinup_years=10"]
    results: dict = {}
    for seed in range(1, seeds + 1):
        base = spin_up(validate(compose([*size, f"seed={seed}"])))
        for cap in (None, 40, 20, 10, 5):
            extra = [] if cap is None else [f"distance.max_partner_km={cap}"]
            model = base.fork(validate(compose([*size, f"seed={seed}", *extra])))
            model.run()
            results.setdefault(cap, []).append(organic_partner_km(model))
    for cap, runs in results.items():
        km = np.concatenate([run[0] for run in runs])
        secondary = np.concatenate([run[1] for run in runs])
        print(f"cap {'none' if cap is None else f'{cap} km'}: mean distance between organic partners "
              f"{km.mean():.2f} km over {len(km)} pairs; between secondaries "
              f"{km[secondary].mean():.2f} km over {secondary.sum()} pairs, other pairs "
              f"{km[~secondary].mean():.2f} km ({seeds} seeds, 600 schools, 8 years)")


def churn() -> None:
    model = PartnershipModel(validate(compose(["years=20", "output.timeseries=year"])))
    model.run()
    ps = model.recorder.partnerships
    formed = ps[ps.formed_at >= 0]
    informal = formed[(formed.kind == "informal") & formed.ended_at.notna()]
    length = informal.ended_at - informal.formed_at
    print(f"20 years, default region: {len(formed) / model.schools.n:.2f} partnerships formed per "
          f"school; informal ones that ended lasted a median {length.median():.2f} years, "
          f"{(length <= 1.25).mean():.0%} at most 1.25 years")


def trusts(seeds: int) -> None:
    """Multi-academy trusts of 2+ schools at years 0, 7 and 15 of the calibration's baseline runs
    (300 schools, the historic regime: docs/calibration.md, target trust sizes)."""
    from sim.experiments.calibration import base_configs, with_values

    baseline, _ = base_configs(300, 15, None, 12)
    sizes: dict[int, list] = {0: [], 7: [], 15: []}
    for seed in range(seeds):
        model = spin_up(with_values(baseline, {}, seed))
        for year, found in sizes.items():
            while model.now_years < year - 1e-9:
                model.step()
            trust = model.partnerships.trust_of(model.schools.n)
            count = np.bincount(trust[trust >= 0])
            found.append(count[count >= 2])
    for year, found in sizes.items():
        size = np.concatenate(found)
        print(f"year {year}: {len(size) / seeds:.0f} trusts of 2+ schools a region, mean size "
              f"{size.mean():.1f}, with at most 5 schools {np.mean(size <= 5):.0%}, with 12 or more "
              f"{np.mean(size >= 12):.0%} ({seeds} seeds, the calibration's baseline)")


def conversions(seeds: int) -> None:
    """Maintained schools becoming academies over years 0-5 of the calibration's baseline runs
    (300 schools, the historic regime), by route: the DfE's rate (5.9 % of maintained primaries a
    year, 6.1 % of secondaries) counts every route."""
    from sim.experiments.calibration import TRUST_GROWTH_YEARS, base_configs, with_values

    baseline, _ = base_configs(300, TRUST_GROWTH_YEARS, None, 12)
    school_years = 0.0
    routes = {"sponsored after an inadequate grade": 0, "with its federation": 0,
              "on its own (or as a new trust's sponsor)": 0}
    for seed in range(seeds):
        model = spin_up(with_values(baseline, {}, seed))
        s, pt = model.schools, model.partnerships
        while model.now_years < TRUST_GROWTH_YEARS - 1e-9:
            maintained = ~s.academy
            federated = pt.count_per_school([FEDERATION]) > 0
            opened = s.opened_years.copy()
            school_years += maintained.sum() * model.dt
            model.step()
            became = maintained & s.academy
            sponsored = became & (s.opened_years != opened)
            routes["sponsored after an inadequate grade"] += int(sponsored.sum())
            routes["with its federation"] += int((became & ~sponsored & federated).sum())
            routes["on its own (or as a new trust's sponsor)"] += int(
                (became & ~sponsored & ~federated).sum())
    total = sum(routes.values())
    print(f"{total} conversions in {school_years:.0f} maintained school-years: "
          f"{total / school_years:.1%} a year ({seeds} seeds, years 0-{TRUST_GROWTH_YEARS:.0f}, "
          "the calibration's baseline)")
    for route, count in routes.items():
        print(f"  {route}: {count} ({count / school_years:.1%} a year)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("structure", "caps", "churn", "trusts", "conversions"))
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    if args.what == "structure":
        for name, overrides in LANDSCAPES.items():
            print(f"{name}: {structure_at_time_0(spin_up(validate(compose([*overrides, 'years=1']))))}")
    elif args.what == "caps":
        caps(args.seeds)
    elif args.what == "trusts":
        trusts(args.seeds)
    elif args.what == "conversions":
        conversions(args.seeds)
    else:
        churn()


if __name__ == "__main__":
    main()
