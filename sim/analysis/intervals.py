"""The t interval of a mean: one formula, for one sample (``mean_ci``) or many at once
(``t_interval`` on arrays of sizes, means and standard deviations)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def t_interval(n, mean, sd, level: float = 0.95):
    """Two-sided t confidence interval ``(low, high)`` of means of samples of size ``n`` with
    standard deviation ``sd`` (ddof=1); scalars or arrays. NaN where ``n`` < 2."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)
    return mean - half, mean + half


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` and its t interval: ``(mean, low, high)`` (NaN interval if fewer than 2)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean = float(values.mean()) if n else np.nan
    sd = values.std(ddof=1) if n >= 2 else np.nan  # ddof=1 of one value would warn
    low, high = t_interval(n, mean, sd, level)
    return mean, float(low), float(high)


def summarise(table: pd.DataFrame, by: list[str], value: str = "difference") -> pd.DataFrame:
    """Per group of ``by``: number of values (``n``), their mean with its 95% t interval, and the
    share above zero (``share_positive``: with paired seeds, the share of pairs with a gain).

    Values are treated as independent draws (seeds, for now); when an ensemble of parameter sets
    adds parameter uncertainty, pass the grouping without the parameter set so its spread counts.
    """
    grouped = table.groupby(by, sort=False, observed=True)[value]
    out = grouped.agg(n="count", mean="mean", sd="std",
                      share_positive=lambda v: float((v > 0).mean())).reset_index()
    out["low"], out["high"] = t_interval(out["n"].to_numpy(), out["mean"], out["sd"])
    return out.drop(columns="sd")
