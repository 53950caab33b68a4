"""How long partnerships last: Kaplan-Meier survival of partnerships formed during the runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.paired import variant_labels
from sim.analysis.results import SweepResults


def survival_data(results: SweepResults) -> tuple[pd.DataFrame, list[str]]:
    """Partnerships formed during the runs (formed_at >= 0), with their run's variant and length
    (``years``); and every variant of the plan, in order."""
    plan = results.plan.assign(variant=variant_labels(results.plan))
    pt = results.partnerships
    columns = ["run_id", "kind", "formed_at", "ended_at", "funding_gbp"]
    pt = pt.loc[pt.formed_at >= 0, columns].merge(plan[["run_id", "variant", "years"]], on="run_id")
    return pt, list(dict.fromkeys(plan.variant))


def durations(pt: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(years each partnership lasted, whether it ended): still-active ones are censored at the
    end of their run."""
    return (pt.ended_at.fillna(pt.years) - pt.formed_at).to_numpy(), pt.ended_at.notna().to_numpy()


def survival_table(results: SweepResults, at_years=(1, 2, 5)) -> pd.DataFrame:
    """Kaplan-Meier survival of partnerships formed during the run (formed_at >= 0), pooled over
    replications, by variant, kind (final kind) and funding status; still-active ones are censored
    at the end of the run. Median and survival probabilities in years."""
    if results.partnerships.empty:
        return pd.DataFrame()
    pt, _ = survival_data(results)
    pt = pt.assign(funding=np.where(pt.funding_gbp > 0, "funded", "unfunded"))
    rows = []
    for (variant, kind, funding), g in pt.groupby(["variant", "kind", "funding"], sort=False):
        duration, ended = durations(g)
        sf = kaplan_meier(duration, ended)
        row = {"variant": variant, "kind": kind, "funding": funding, "n_partnerships": len(g),
               "n_ended": int(ended.sum()), "median_years": median_survival(sf)}
        for t in at_years:
            row[f"surviving_{t}y"] = float(survival_at(sf, t))
        rows.append(row)
    return pd.DataFrame(rows)


def kaplan_meier(duration: np.ndarray, ended: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(times, survival probabilities) of the Kaplan-Meier estimate (scipy.stats.ecdf)."""
    if not ended.any():  # nothing ended: survival stays 1 over what was observed
        return np.array([0.0]), np.array([1.0])
    data = stats.CensoredData(uncensored=duration[ended], right=duration[~ended])
    sf = stats.ecdf(data).sf
    return np.concatenate([[0.0], sf.quantiles]), np.concatenate([[1.0], sf.probabilities])


def survival_at(sf: tuple[np.ndarray, np.ndarray], t: float) -> float:
    """Survival probability at time ``t`` (a step function, right-continuous)."""
    times, probs = sf
    return probs[np.searchsorted(times, t, side="right") - 1]


def median_survival(sf: tuple[np.ndarray, np.ndarray]) -> float:
    """First time survival falls to 0.5 or below (NaN if it never does within the run)."""
    times, probs = sf
    below = np.nonzero(probs <= 0.5)[0]
    return float(times[below[0]]) if len(below) else np.nan
