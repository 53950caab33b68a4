"""Participating schools: their true effect (against the same schools in the counterfactual run)
and what an evaluation without a counterfactual would estimate.

A run's *school panel* has one row per school and whole year: ``school_id``, ``year``,
``outcome`` (months), ``grade`` (1-4), ``pupils``, ``phase``, ``rural``, ``fsm_quintile`` (1 least
to 5 most disadvantaged, at year 0) and ``joined_year``: the first year the school joined a
*policy partnership* during the run (``policy_partnership``), NaN if it never did. Schools are the
same in paired runs (same ids), so a participant can be followed in its counterfactual run.

Two estimators an evaluator could use, ``k`` years after a participant joined (base year
``b = floor(joined_year)``, the last whole year before the partnership could act):

* ``before_after``: its outcome at ``b + k`` minus at ``b``. Any common trend is counted as effect.
* ``matched_did``: that change minus the mean change of its matched non-participants *in the same
  run*: schools of the same phase and grade at ``b`` that had not joined by ``b + k``, the
  ``n_matches`` nearest in outcome at ``b``.

``true_effect``: its outcome at ``b + k`` minus the same school's outcome in the counterfactual
run at ``b + k`` (known only in a simulation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POLICY_ORIGINS = ("programme", "executive_head")  # partnerships a policy creates
ESTIMATORS = ("true_effect", "before_after", "matched_did")


def policy_partnership(partnerships: pd.DataFrame) -> pd.Series:
    """Partnerships a policy creates or pays for: origin programme or executive head, or funded."""
    return partnerships.origin.isin(POLICY_ORIGINS) | (partnerships.funding_gbp > 0)


def joined_years(partnerships: pd.DataFrame, memberships: pd.DataFrame) -> pd.Series:
    """The first time (years) each school joined a policy partnership during the run (at or after
    time 0), indexed by school_id; schools that never did are absent."""
    policy = partnerships.loc[policy_partnership(partnerships), "partnership_id"]
    joins = memberships[memberships.partnership_id.isin(policy) & (memberships.joined_at >= 0)]
    return joins.groupby("school_id").joined_at.min()


def school_panel(schools: pd.DataFrame, partnerships: pd.DataFrame,
                 memberships: pd.DataFrame) -> pd.DataFrame:
    """A run's compact school panel (module docstring) from its yearly school table, its
    partnerships and memberships: small types, a few hundred kB per 1,000 schools and 20 years."""
    start = schools[schools.year == schools.year.min()].set_index("school_id")
    quintile = np.ceil(5 * start.fsm.rank(method="first") / len(start)).astype("int8")
    panel = schools[["school_id", "year", "outcome", "grade", "pupils"]].astype(
        {"school_id": "int32", "year": "int16", "outcome": "float32", "grade": "int8",
         "pupils": "float32"})
    ids = panel.school_id
    panel["phase"] = pd.Categorical(ids.map(start.phase))
    panel["rural"] = ids.map(start.rural).astype(bool)
    panel["fsm_quintile"] = ids.map(quintile).astype("int8")
    panel["joined_year"] = ids.map(joined_years(partnerships, memberships)).astype("float32")
    return panel.reset_index(drop=True)


def participant_effect(panel: pd.DataFrame, counterfactual: pd.DataFrame) -> pd.DataFrame:
    """Year by year, the mean outcome of the schools that joined a policy partnership at any time
    in the run, minus the mean outcome of the same schools in the counterfactual run (schools
    unweighted). Columns: year, difference, n_schools; empty if no school took part."""
    ids = panel.loc[panel.joined_year.notna(), "school_id"].unique()
    if len(ids) == 0:
        return pd.DataFrame(columns=["year", "difference", "n_schools"])
    own = panel[panel.school_id.isin(ids)].groupby("year").outcome.mean()
    other = counterfactual[counterfactual.school_id.isin(ids)].groupby("year").outcome.mean()
    return pd.DataFrame({"year": own.index, "difference": (own - other).to_numpy(),
                         "n_schools": len(ids)})


def subgroup_effect(panel: pd.DataFrame, counterfactual: pd.DataFrame, year: int,
                    by: str) -> pd.Series:
    """Pupil-weighted mean outcome difference (run - counterfactual, same schools) at ``year`` in
    each group of column ``by`` (e.g. phase, rural, fsm_quintile) of all schools."""
    now = panel[panel.year == year].set_index("school_id")
    other = counterfactual[counterfactual.year == year].set_index("school_id").outcome
    difference = now.outcome - other.reindex(now.index)
    weighted = (difference * now.pupils).groupby(now[by]).sum()
    return weighted / now.pupils.groupby(now[by]).sum()


def evaluation_estimates(panel: pd.DataFrame, counterfactual: pd.DataFrame, k: int,
                         n_matches: int = 3) -> dict[str, float]:
    """Mean over the participants observed ``k`` years after joining of the true effect and of
    the two evaluators' estimates (module docstring); NaN where none can be computed. Also
    ``n_participants`` (those observed at ``b + k``) and ``n_matched`` (those with matches)."""
    outcome = panel.pivot(index="school_id", columns="year", values="outcome")
    grade = panel.pivot(index="school_id", columns="year", values="grade")
    static = panel.drop_duplicates("school_id").set_index("school_id")
    other = counterfactual.pivot(index="school_id", columns="year", values="outcome")
    joined = static.joined_year.dropna()
    base = np.floor(joined).astype(int)
    observed = base[base + k <= outcome.columns.max()]
    result = dict.fromkeys(ESTIMATORS, np.nan) | {"n_participants": len(observed),
                                                   "n_matched": 0}
    if observed.empty:
        return result
    true_effect, before_after, did = [], [], []
    for school, b in observed.items():
        change = outcome.at[school, b + k] - outcome.at[school, b]
        true_effect.append(outcome.at[school, b + k] - other.at[school, b + k])
        before_after.append(change)
        not_yet = static.joined_year.isna() | (static.joined_year >= b + k)
        pool = static.index[not_yet & (static.phase == static.at[school, "phase"])
                            & (grade[b] == grade.at[school, b])]
        if len(pool):
            nearest = (outcome.loc[pool, b] - outcome.at[school, b]).abs().nsmallest(n_matches)
            control = (outcome.loc[nearest.index, b + k] - outcome.loc[nearest.index, b]).mean()
            did.append(change - control)
    result.update(true_effect=float(np.mean(true_effect)), before_after=float(np.mean(before_after)),
                  matched_did=float(np.mean(did)) if did else np.nan, n_matched=len(did))
    return result
