"""Event study: how member schools' outcomes change by whole years since their partnership formed.

Two comparisons answer two questions (``against``):

* ``"similar_schools"``: a member's change since the base year minus the mean change of schools
  *in the same run* of the same phase and inspection grade in the base year that joined no studied
  partnership from ``pre`` years before to ``post`` years after (a difference in differences).
  It estimates how joining compares with not joining, for schools that looked alike.
* ``"counterfactual"``: a member's outcome minus *the same school's* outcome in the counterfactual
  run (e.g. the baseline on the same seed, forked from the same spin-up), measured as a change
  since the base year. It estimates the policy's effect on the schools it funded.

The base year of a partnership is floor(formed_at); ``k`` is whole years since it, so ``k = 0`` is
zero. Only partnerships formed during the run (formed_at >= 0) are studied.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.intervals import t_interval

AGAINST = ("similar_schools", "counterfactual")
MEMBER_COLUMNS = ["partnership_id", "school_id", "group", "k", "effect"]


def event_study(runs, treated, against: str, counterfactuals=None, pre: int = 2,
                post: int | None = 8, by_strength: bool = False) -> pd.DataFrame:
    """Mean effect by years since forming over ``runs``, with a 95% t interval across runs.

    ``runs``: results of runs (anything with ``schools`` and ``partnerships`` tables, such as
    ``sim.running.RunResult``); ``counterfactuals``: with ``against="counterfactual"``, the paired
    runs without the policy, in the same order. ``treated(partnerships) -> mask`` picks the
    partnerships studied. Each run's members are averaged first; the interval treats runs
    (replications) as independent units. Columns: group, years_since_forming, difference, low,
    high, n_runs.
    """
    if against == "counterfactual" and (counterfactuals is None or len(counterfactuals) != len(runs)):
        raise ValueError("against='counterfactual' needs one counterfactual run per run")
    per_run = []
    for i, run in enumerate(runs):
        counterfactual = counterfactuals[i].schools if against == "counterfactual" else None
        rows = member_changes(run.schools, run.partnerships, treated, against, counterfactual,
                              pre, post, by_strength)
        if len(rows):
            per_run.append(rows.groupby(["group", "k"]).effect.mean().rename(i))
    columns = ["group", "years_since_forming", "difference", "low", "high", "n_runs"]
    if not per_run:
        return pd.DataFrame(columns=columns)
    wide = pd.concat(per_run, axis=1)  # (group, k) x run
    n, mean = wide.count(axis=1), wide.mean(axis=1)
    low, high = t_interval(n.to_numpy(), mean, wide.std(axis=1))
    table = pd.DataFrame({"difference": mean, "low": low, "high": high, "n_runs": n})
    return table.rename_axis(["group", "years_since_forming"]).reset_index()[columns]


def member_changes(panel: pd.DataFrame, partnerships: pd.DataFrame, treated, against: str,
                   counterfactual_panel: pd.DataFrame | None = None, pre: int = 2,
                   post: int | None = 8, by_strength: bool = False) -> pd.DataFrame:
    """One row per (member of a studied partnership, years since forming ``k``) of one run, in the
    order of the partnerships, their members and ``k``: its ``effect`` (change since the base year
    against the comparison ``against``; see the module docstring).

    ``panel``: the run's yearly school panel (school_id, year, outcome; phase and grade for
    ``"similar_schools"``, talent and capacity for ``by_strength``). ``k`` runs from ``-pre`` to
    ``post`` (``None``: to the end of the run) within the years observed. ``by_strength``: group
    members into the weaker partner (lowest talent + capacity in the base year) and the stronger
    ones; otherwise every member is in group "all members".
    """
    if against not in AGAINST:
        raise ValueError(f"against must be one of {', '.join(AGAINST)}, not {against!r}")
    chosen = partnerships[treated(partnerships) & (partnerships.formed_at >= 0)]
    if chosen.empty:
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    members = chosen[["partnership_id", "members", "formed_at"]].explode("members").rename(
        columns={"members": "school_id"}).astype({"school_id": "int64"})
    members["base_year"] = np.floor(members.formed_at).astype(int)
    members["group"] = _strength_groups(panel, members) if by_strength else "all members"
    last_year = int(panel.year.max())
    if against == "counterfactual":
        rows = _against_counterfactual(panel, counterfactual_panel, members, pre, post, last_year)
    else:
        rows = _against_similar_schools(panel, members, pre, post, last_year)
    return pd.DataFrame(rows, columns=MEMBER_COLUMNS)


def _event_years(base: int, pre: int, post: int | None, last_year: int) -> list[int]:
    """The observed years from ``pre`` years before ``base`` to ``post`` years after it."""
    end = last_year if post is None else min(base + post, last_year)
    return list(range(max(base - pre, 0), end + 1))


def _strength_groups(panel: pd.DataFrame, members: pd.DataFrame) -> np.ndarray:
    strength = (panel.talent + panel.capacity).set_axis(
        pd.MultiIndex.from_frame(panel[["school_id", "year"]]))
    own = strength.loc[list(zip(members.school_id, members.base_year, strict=True))].to_numpy()
    weakest = pd.Series(own, index=members.index).groupby(members.partnership_id).transform("min")
    return np.where(own == weakest.to_numpy(), "weaker partner", "stronger partner(s)")


def _against_counterfactual(panel, counterfactual_panel, members, pre, post, last_year) -> list:
    """Effect = (outcome - the same school's outcome in the counterfactual run) at the year, minus
    the same difference in the base year."""
    if counterfactual_panel is None:
        raise ValueError("against='counterfactual' needs the counterfactual run's school panel")
    diff = (panel.set_index(["school_id", "year"]).outcome
            - counterfactual_panel.set_index(["school_id", "year"]).outcome)
    rows = []
    for partnership, school, base, group in zip(members.partnership_id, members.school_id,
                                                members.base_year, members.group, strict=True):
        start = diff.get((school, base))
        if start is None:
            continue
        for year in _event_years(base, pre, post, last_year):
            rows.append((partnership, school, group, year - base,
                         float(diff[(school, year)] - start)))
    return rows


def _against_similar_schools(panel, members, pre, post, last_year) -> list:
    """Effect = the member's change since the base year minus the mean change of similar schools
    (same phase and base-year grade, in no studied partnership formed from ``pre`` years before to
    ``post`` years after)."""
    by_school_year = panel.set_index(["school_id", "year"])
    outcome = by_school_year.outcome.unstack("year")  # school x year
    grade = by_school_year.grade.unstack("year")
    phase = panel.drop_duplicates("school_id").set_index("school_id").phase
    join_years = members.groupby("school_id").base_year.apply(np.array)
    after = last_year if post is None else post
    similar_cache: dict[tuple, pd.Index] = {}
    rows = []
    for partnership, school, base, group in zip(members.partnership_id, members.school_id,
                                                members.base_year, members.group, strict=True):
        key = (base, phase[school], grade.loc[school, base])
        if key not in similar_cache:
            busy = [s for s, years in join_years.items()
                    if ((years >= base - pre) & (years <= base + after)).any()]
            pool = phase.index[(phase == key[1]) & (grade[base] == key[2])]
            similar_cache[key] = pool.difference(busy)
        similar = similar_cache[key]
        if len(similar) == 0:
            continue
        years = _event_years(base, pre, post, last_year)
        own = outcome.loc[school, years] - outcome.loc[school, base]
        reference = outcome.loc[similar, years].sub(outcome.loc[similar, base], axis=0).mean()
        for year in years:
            rows.append((partnership, school, group, year - base, own[year] - reference[year]))
    return rows
