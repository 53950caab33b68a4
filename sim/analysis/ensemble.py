"""Effects under parameter uncertainty: paired differences from an ensemble of calibrated parameter
sets x seeds, summarised per scenario, outcome and year.

Each member's effect is the mean of its paired differences over seeds (the policy run minus the
baseline run of the same member on the same seed). A one-way random-effects split of the
differences: ``chance`` variance is the mean within-member variance over seeds (s_w^2); the
``parameters`` variance is what the spread of member means adds beyond chance,
s_p^2 = max(0, var(member means) - s_w^2 / seeds per member). Reported:

* ``mean``, ``low``, ``high``: the ensemble's mean effect and its 95% t interval over member means
  (a member's mean carries both its parameters and its seeds' chance, so the interval includes
  parameter uncertainty);
* ``members_low``, ``members_high``: the 2.5th and 97.5th percentiles of member means, the range
  of effects the evidence allows;
* ``share_parameters``: s_p^2 / (s_p^2 + s_w^2), the share of a single run's spread that is
  parameters rather than chance;
* ``share_members_helping``: the share of members whose mean effect is on the better side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.intervals import t_interval

COLUMNS = ["scenario", "outcome", "year", "n_members", "seeds_per_member", "mean", "low", "high",
           "members_low", "members_high", "sd_parameters", "sd_chance", "share_parameters",
           "share_members_helping"]


def ensemble_effects(pairs: pd.DataFrame, better: dict[str, str], years=(5, 10, 15)
                     ) -> pd.DataFrame:
    """Per scenario, outcome in ``better`` ("higher" or "lower" is better) and year in ``years``
    (those observed): the summary of the module docstring. ``pairs``: one row per policy run
    and year with ``scenario``, ``member``, ``seed``, ``year``, ``outcome``, ``difference``."""
    chosen = pairs[pairs.outcome.isin(list(better)) & pairs.year.isin(list(years))
                   & (pairs.member >= 0)]
    rows = []
    for (scenario, outcome, year), g in chosen.groupby(["scenario", "outcome", "year"], sort=False):
        by_member = g.groupby("member").difference
        means, variances, sizes = by_member.mean(), by_member.var(ddof=1), by_member.size()
        n, seeds = len(means), float(sizes.mean())
        chance = float(variances.mean()) if (sizes >= 2).any() else np.nan
        between = float(means.var(ddof=1)) if n >= 2 else np.nan
        parameters = max(0.0, between - chance / seeds) if np.isfinite(between + chance) \
            else np.nan
        low, high = t_interval(n, float(means.mean()), float(means.std(ddof=1)) if n >= 2
                               else np.nan)
        helps = means > 0 if better[outcome] == "higher" else means < 0
        rows.append({
            "scenario": scenario, "outcome": outcome, "year": year, "n_members": n,
            "seeds_per_member": seeds, "mean": float(means.mean()), "low": float(low),
            "high": float(high), "members_low": float(means.quantile(0.025)),
            "members_high": float(means.quantile(0.975)),
            "sd_parameters": float(np.sqrt(parameters)), "sd_chance": float(np.sqrt(chance)),
            "share_parameters": parameters / (parameters + chance)
            if parameters + chance > 0 else np.nan,
            "share_members_helping": float(helps.mean())})
    return pd.DataFrame(rows, columns=COLUMNS)
