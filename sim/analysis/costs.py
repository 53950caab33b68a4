"""What a policy costs over the baseline, and what it costs per unit of outcome gained."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.intervals import mean_ci
from sim.analysis.results import SweepResults

COST = "cum_spend_gbp"
HORIZONS = (5, 10, 15, 20)  # years at which costs are summarised (and the last year)
COST_COLUMNS = ["scenario", "point", "variant", "year", "extra_cost_gbp", "extra_cost_ci95_low",
                "extra_cost_ci95_high", "outcome", "gain", "gain_ci95_low", "gain_ci95_high",
                "gbp_per_unit_gained", "gbp_per_pupil_per_unit"]


def cost_table(pairs: pd.DataFrame, results: SweepResults, horizons=HORIZONS) -> pd.DataFrame:
    """Extra cumulative cost (GBP, paired) and cost per unit of each outcome gained, at horizons.

    ``pairs``: ``sim.analysis.paired.paired_differences`` including the ``COST`` column.
    ``gbp_per_unit_gained`` = mean extra cost / mean gain (in the better direction), given only
    where the gain is distinguishable from zero (95% CI wholly positive); ``gbp_per_pupil_per_unit``
    divides by the region's pupils (for per-pupil measures: GBP per pupil-month of progress).
    """
    if pairs.empty:
        return pd.DataFrame(columns=COST_COLUMNS)
    last = int(pairs["year"].max())
    years = sorted({y for y in horizons if y <= last} | {last})
    pupils = results.yearly.groupby("year")["n_pupils"].mean()
    cost = pairs[pairs.outcome == COST]
    rows = []
    for (scenario, point, variant), g in pairs[pairs.year.isin(years)].groupby(
            ["scenario", "point", "variant"], sort=False):
        if scenario == results.baseline:
            continue
        for year in years:
            extra = cost[(cost.variant == variant) & (cost.year == year)]
            extra_cost, cost_low, cost_high = mean_ci(extra["difference"].to_numpy())
            for outcome, better in results.outcomes.items():
                d = g[(g.outcome == outcome) & (g.year == year)]["difference"].to_numpy()
                gain, low, high = mean_ci(d if better == "higher" else -d)
                per_unit = extra_cost / gain if low > 0 else np.nan
                rows.append({"scenario": scenario, "point": point, "variant": variant,
                             "year": year, "extra_cost_gbp": extra_cost,
                             "extra_cost_ci95_low": cost_low, "extra_cost_ci95_high": cost_high,
                             "outcome": outcome, "gain": gain, "gain_ci95_low": low,
                             "gain_ci95_high": high, "gbp_per_unit_gained": per_unit,
                             "gbp_per_pupil_per_unit": per_unit / pupils.get(year, np.nan)})
    return pd.DataFrame(rows, columns=COST_COLUMNS)


# EEF cost rating: upper bounds in GBP per pupil per year (docs/evidence.md)
EEF_COST_RATINGS = ((80, "very low"), (200, "low"), (720, "moderate"), (1200, "high"),
                    (np.inf, "very high"))
DISCOUNT_RATE = 0.035  # HM Treasury Green Book social time preference rate


def eef_cost_rating(gbp_per_pupil_per_year: float) -> str:
    """The Education Endowment Foundation's cost rating of a cost per pupil per year."""
    return next(name for bound, name in EEF_COST_RATINGS if gbp_per_pupil_per_year <= bound)


def present_value(yearly: np.ndarray, rate: float = DISCOUNT_RATE) -> float:
    """Present value of amounts spent in years 1, 2, ... (``yearly[0]`` is year 1), discounted to
    the start of year 1: year t is divided by (1 + rate)^(t - 1)."""
    yearly = np.asarray(yearly, dtype=float)
    return float((yearly / (1 + rate) ** np.arange(len(yearly))).sum())
