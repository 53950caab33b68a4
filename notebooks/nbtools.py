"""Small helpers the notebooks share: paired runs, year-by-year differences with intervals, an
event study aligned on each partnership's start, and the notebook size switch.

They read results tables only (timeseries, schools, partnerships), never the model's insides.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from sim.config import compose, validate
from sim.running import RunResult, simulate, spin_up


def small() -> bool:
    """Whether the notebooks run at test size (``SIM_NOTEBOOK_SMALL=1``, set by the tests)."""
    return os.environ.get("SIM_NOTEBOOK_SMALL", "0") not in ("", "0", "false", "False")


def size(full, test):
    """``full`` normally, ``test`` when the notebooks run at test size."""
    return test if small() else full


@dataclass
class PairedRuns:
    """Runs of several scenarios, replication ``k`` of each on seed ``k`` (common random numbers)."""

    scenarios: list[str]
    seeds: list[int]
    runs: dict[str, list[RunResult]] = field(default_factory=dict)

    def timeseries(self, scenario: str) -> pd.DataFrame:
        """The scenario's time series, all replications stacked, with a ``seed`` column."""
        return pd.concat([r.timeseries.assign(seed=seed)
                          for seed, r in zip(self.seeds, self.runs[scenario], strict=True)],
                         ignore_index=True)


def run_paired(scenarios, seeds, overrides=(), configs=None) -> PairedRuns:
    """Run every scenario on every seed, spinning each seed up once and forking it per scenario.

    ``overrides``: Hydra overrides shared by all runs (e.g. ``["years=15"]``); ``configs``: an
    optional function ``(scenario, seed) -> composed config`` for configs built in Python.
    """
    out = PairedRuns(list(scenarios), list(seeds), {name: [] for name in scenarios})
    for seed in seeds:
        spun = None
        for name in scenarios:
            cfg = configs(name, seed) if configs is not None else \
                compose([f"scenario={name}", f"seed={seed}", *overrides])
            settings = validate(cfg)
            if spun is None:
                spun = spin_up(settings)
            out.runs[name].append(simulate(settings, start_from=spun))
    return out


def interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and a t-interval for the mean of ``values`` (one value per replication)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, mean - half, mean + half


def paired_difference(paired: PairedRuns, scenario: str, base: str, column: str,
                      per_year: bool = False) -> pd.DataFrame:
    """Year-by-year difference ``scenario - base`` in ``column``, one row per step, with the mean
    over replications, its 95% interval and ``distinguishable`` (interval excludes zero)."""
    diffs = np.array([a.timeseries[column].to_numpy() - b.timeseries[column].to_numpy()
                      for a, b in zip(paired.runs[scenario], paired.runs[base], strict=True)])
    t = paired.runs[base][0].timeseries.time_years.to_numpy()
    rows = [interval(diffs[:, i]) for i in range(diffs.shape[1])]
    table = pd.DataFrame(rows, columns=["difference", "low", "high"])
    table.insert(0, "time_years", t)
    table["distinguishable"] = (table.low > 0) | (table.high < 0)
    return table


def first_year_distinguishable(table: pd.DataFrame, sign: int = 1) -> float | None:
    """The first time from which the difference stays distinguishable from zero with the given sign."""
    ok = (table.low > 0) if sign > 0 else (table.high < 0)
    ok = ok.to_numpy()
    for i in range(len(ok)):
        if ok[i:].all():
            return float(table.time_years.iloc[i])
    return None


def _members_long(partnerships: pd.DataFrame) -> pd.DataFrame:
    """One row per (partnership, member school)."""
    long = partnerships[["partnership_id", "members", "formed_at", "funding_gbp", "origin"]]
    return long.explode("members").rename(columns={"members": "school_id"}).astype({"school_id": "int64"})


def event_study(runs, treated, pre: int = 2, post: int = 8, by_strength: bool = False) -> pd.DataFrame:
    """Outcome change of member schools by whole years since their partnership formed, minus the
    change of similar schools that did not join such a partnership, with a 95% interval.

    ``treated(partnerships) -> mask`` picks the partnerships studied (formed at time >= 0). Each
    member is compared with schools of the same phase and inspection grade in the year before
    the partnership formed (the base year) that joined no studied partnership from ``pre`` years
    before to ``post`` years after it, in the same run. Years since forming ``k`` run from
    ``-pre`` to ``post``; changes are measured from the base year, so ``k = 0`` is zero.
    ``by_strength``: split members into the weaker one (lowest teaching + leadership in the base
    year) and the stronger ones. The interval treats runs (replications) as independent units.
    """
    per_run = []
    for run_no, r in enumerate(runs):
        rows = _event_rows(r, treated, pre, post)
        if rows.empty:
            continue
        if not by_strength:
            rows["group"] = "all members"
        per_run.append(rows.groupby(["group", "k"]).effect.mean().rename(run_no))
    wide = pd.concat(per_run, axis=1)  # (group, k) x run
    out = []
    for (group, k), values in wide.iterrows():
        mean, low, high = interval(values.dropna().to_numpy())
        out.append((group, k, mean, low, high, int(values.notna().sum())))
    return pd.DataFrame(out, columns=["group", "years_since_forming", "difference", "low", "high",
                                      "n_runs"])


def _event_rows(r: RunResult, treated, pre: int, post: int) -> pd.DataFrame:
    """One row per (member, years since forming) of one run: its change minus similar schools'."""
    pt = r.partnerships
    chosen = pt[treated(pt) & (pt.formed_at >= 0)]
    columns = ["group", "k", "effect"]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    members = _members_long(chosen)
    members["base_year"] = np.floor(members.formed_at).astype(int)
    panel = r.schools.set_index(["school_id", "year"])
    outcome = panel.outcome.unstack("year")  # school x year
    grade = panel.grade.unstack("year")
    strength = (panel.talent + panel.capacity).unstack("year")
    phase = r.schools.drop_duplicates("school_id").set_index("school_id").phase
    last_year = int(outcome.columns.max())
    members["strength"] = [strength.loc[s, b] for s, b in zip(members.school_id, members.base_year,
                                                               strict=True)]
    weakest = members.groupby("partnership_id").strength.transform("min")
    members["group"] = np.where(members.strength == weakest, "weaker partner", "stronger partner(s)")
    join_years = members.groupby("school_id").base_year.apply(np.array)
    similar_cache: dict[tuple, pd.Index] = {}
    rows = []
    for school, base, group in zip(members.school_id, members.base_year, members.group, strict=True):
        key = (base, phase[school], grade.loc[school, base])
        if key not in similar_cache:
            busy = [s for s, years in join_years.items()
                    if ((years >= base - pre) & (years <= base + post)).any()]
            pool = phase.index[(phase == key[1]) & (grade[base] == key[2])]
            similar_cache[key] = pool.difference(busy)
        similar = similar_cache[key]
        if len(similar) == 0:
            continue
        years = [base + k for k in range(-pre, post + 1) if 0 <= base + k <= last_year]
        own = outcome.loc[school, years] - outcome.loc[school, base]
        ref = outcome.loc[similar, years].sub(outcome.loc[similar, base], axis=0).mean()
        for year in years:
            rows.append((group, year - base, own[year] - ref[year]))
    return pd.DataFrame(rows, columns=columns)
