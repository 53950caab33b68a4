"""Generated England against the evidence: ``python -m sim.landscape.compare [seed]`` prints the
table in docs/landscapes.md."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.landscape.england import England, region_of
from sim.landscape.structure import TRUST_SIZE_BINS


def compare_with_evidence(seed: int = 0) -> list[tuple[str, str, str]]:
    """(quantity, target, generated) for a whole England built with ``seed``."""
    landscape = England(England.Params())
    table = landscape.build(np.random.default_rng(seed))
    region = region_of(landscape.areas())
    primary, rural, pupils = table.phase == PRIMARY, table.rural, table.pupils

    def fsm(mask):
        return f"{100 * (table.fsm * pupils)[mask].sum() / pupils[mask].sum():.1f}%"

    def small(mask, below=100):
        return f"{100 * (pupils[primary & mask] < below).mean():.1f}%"

    everywhere = np.ones(table.n, dtype=bool)
    grade_shares = np.bincount(table.grade, minlength=5)[1:] / table.n
    sizes = np.array([len(m) for m, kind in table.initial_partnerships if kind == "trust"])
    academy = [100 * table.academy[table.phase == ph].mean() for ph in (PRIMARY, SECONDARY)]
    bins = [int(((sizes >= lo) & (sizes <= hi)).sum()) for lo, hi, _ in TRUST_SIZE_BINS]
    xy = np.column_stack([table.x_km, table.y_km])
    points = np.random.default_rng(seed).uniform(xy.min(0), xy.max(0), size=(20_000, 2))
    countryside = points[rural[cKDTree(xy).query(points)[1]]]  # nearest school is rural
    to_primary = cKDTree(xy[primary]).query(countryside)[0].mean() / 1.609344
    to_secondary = cKDTree(xy[~primary]).query(countryside)[0].mean() / 1.609344
    return [
        ("primary schools", "16,764", f"{primary.sum():,}"),
        ("secondary schools", "~3,450", f"{(~primary).sum():,}"),
        ("area (km2)", "~130,000", f"{np.ptp(table.x_km) * np.ptp(table.y_km):,.0f}"),
        ("primary mean pupils", "~275", f"{pupils[primary].mean():.0f}"),
        ("secondary mean pupils", "~1,060", f"{pupils[~primary].mean():.0f}"),
        ("primaries under 100 pupils", "12%", small(everywhere)),
        ("  in London / South West", "2% / 22%",
         f"{small(region == 'London')} / {small(region == 'South West')}"),
        ("primaries under 75 pupils", "~1,400", f"{(pupils[primary] < 75).sum():,}"),
        ("rural schools", "~27%", f"{100 * rural.mean():.1f}%"),
        ("rural / urban primaries under 110", "33% / 5%",
         f"{small(rural, 110)} / {small(~rural, 110)}"),
        ("pupils eligible for FSM", "24.6%", fsm(everywhere)),
        ("  North East / South East", "31.2% / 19.7%",
         f"{fsm(region == 'North East')} / {fsm(region == 'South East')}"),
        ("grades 1/2/3/4", "20/65/11/4%", "/".join(f"{100 * s:.0f}" for s in grade_shares) + "%"),
        ("trusts of 2-5/6-11/12-25/26+ schools", "598/259/85/29 (of 971)",
         "/".join(map(str, bins)) + f" (of {sum(bins)})"),
        ("multi-academy trusts (2+ schools), Dec 2023", "1,321", f"{len(sizes):,}"),
        ("academies: primary / secondary", "46.1% / 83%", f"{academy[0]:.1f}% / {academy[1]:.1f}%"),
        ("countryside to nearest primary (miles, straight line)", "travel 3.4", f"{to_primary:.1f}"),
        ("countryside to nearest secondary (miles, straight line)", "travel 7.0",
         f"{to_secondary:.1f}"),
    ]


if __name__ == "__main__":
    import sys

    rows = compare_with_evidence(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print("| quantity | target (evidence.md) | generated |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
