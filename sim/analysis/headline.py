"""Per-run tables behind the briefing: each policy run against its baseline run on the same seed
(and parameter point). One row per run (and year, group or estimator), so that
``sim.analysis.intervals.summarise`` turns any of them into means, intervals and shares of pairs
with a gain, grouped as the caller chooses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.costs import present_value
from sim.analysis.evaluation import evaluation_estimates, participant_effect, subgroup_effect
from sim.analysis.paired import variant_labels
from sim.analysis.results import SweepResults

KEYS = ["scenario", "variant", "member", "seed"]  # member: of a calibrated ensemble, else -1
SUBGROUPS = ("phase", "rural", "fsm_quintile")


def policy_pairs(results: SweepResults) -> pd.DataFrame:
    """Finished policy runs whose baseline run finished too: run_id, baseline_run_id, KEYS."""
    plan = results.plan.assign(variant=variant_labels(results.plan))
    if "member" not in plan:  # a store planned before ensembles
        plan["member"] = -1
    done = set(results.yearly.run_id) if not results.yearly.empty else set()
    pairs = plan[(plan.scenario != results.baseline) & plan.run_id.isin(done)
                 & plan.baseline_run_id.isin(done)]
    return pairs[["run_id", "baseline_run_id", *KEYS]].reset_index(drop=True)


def _panels(results: SweepResults):
    """(policy pair, its school panel, its baseline's school panel) for pairs with both panels."""
    if results.schools.empty:
        return
    panels = dict(tuple(results.schools.groupby("run_id", sort=False)))
    for pair in policy_pairs(results).itertuples(index=False):
        if pair.run_id in panels and pair.baseline_run_id in panels:
            yield pair, panels[pair.run_id], panels[pair.baseline_run_id]


def participants(results: SweepResults) -> pd.DataFrame:
    """Per run with a school panel: how many schools joined a policy partnership (``n``)."""
    if results.schools.empty:
        return pd.DataFrame(columns=["run_id", "scenario", "n"])
    plan = results.plan[["run_id", "scenario"]]
    joined = results.schools[results.schools.joined_year.notna()]
    n = joined.groupby("run_id").school_id.nunique()
    return plan.assign(n=plan.run_id.map(n).fillna(0)).loc[
        plan.run_id.isin(results.schools.run_id.unique())]


def participant_differences(results: SweepResults) -> pd.DataFrame:
    """Per policy run and year: participants' mean outcome minus the same schools' in the baseline
    run (``difference``, months) and how many schools (``n_schools``)."""
    rows = [participant_effect(own, other).assign(**dict(zip(KEYS, pair[2:], strict=True)))
            for pair, own, other in _panels(results)]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=[*KEYS, "year", "difference", "n_schools"])


def subgroup_differences(results: SweepResults, year: int) -> pd.DataFrame:
    """Per policy run, grouping (phase, rural, FSM quintile) and group: pupil-weighted outcome
    difference from the baseline run at ``year`` over all schools of the group."""
    rows = []
    for pair, own, other in _panels(results):
        for by in SUBGROUPS:
            for group, value in subgroup_effect(own, other, year, by).items():
                rows.append({**dict(zip(KEYS, pair[2:], strict=True)), "grouping": by,
                             "group": _group_name(by, group), "difference": value})
    return pd.DataFrame(rows, columns=[*KEYS, "grouping", "group", "difference"])


def _group_name(by: str, group) -> str:
    """Group values as text (so True and 1 of different groupings never merge)."""
    if by == "rural":
        return "rural" if group else "urban"
    return str(group)


def evaluation_differences(results: SweepResults, years_after: tuple[int, ...] = (2, 5)
                           ) -> pd.DataFrame:
    """Per policy run, years after joining ``k`` and estimator: the true effect on participants and
    what a before-and-after and a matched difference-in-differences evaluation would estimate."""
    rows = []
    for pair, own, other in _panels(results):
        for k in years_after:
            found = evaluation_estimates(own, other, k)
            for estimator in ("true_effect", "before_after", "matched_did"):
                rows.append({**dict(zip(KEYS, pair[2:], strict=True)), "years_after": k,
                             "estimator": estimator, "value": found[estimator],
                             "n_participants": found["n_participants"]})
    return pd.DataFrame(rows, columns=[*KEYS, "years_after", "estimator", "value",
                                       "n_participants"]).dropna(subset=["value"])


def run_costs(results: SweepResults, discount_rate: float) -> pd.DataFrame:
    """Per policy run: extra spend over its baseline run (total and present value at
    ``discount_rate``), years with extra spend, pupils it reached (in participating schools if
    more schools took part than in the baseline run, else every pupil) and GBP per pupil per year
    of spending."""
    yearly = results.yearly.set_index(["run_id", "year"])
    panels = dict(tuple(results.schools.groupby("run_id"))) if not results.schools.empty else {}
    rows = []
    for pair in policy_pairs(results).itertuples(index=False):
        extra = (yearly.loc[pair.run_id, "spend_gbp"] - yearly.loc[pair.baseline_run_id, "spend_gbp"])
        extra = extra[extra.index > 0].to_numpy()  # year 0 has no spending
        reached = float(yearly.loc[(pair.run_id, 0), "n_pupils"])
        own, other = panels.get(pair.run_id), panels.get(pair.baseline_run_id)
        if own is not None and other is not None:
            joined = own[own.joined_year.notna() & (own.year == own.year.min())]
            if joined.school_id.nunique() > other[other.joined_year.notna()].school_id.nunique():
                reached = float(joined.pupils.sum())
        spend_years = max(int((extra > 0).sum()), 1)
        rows.append({**dict(zip(KEYS, pair[2:], strict=True)), "extra_gbp": float(extra.sum()),
                     "present_value_gbp": present_value(extra, discount_rate),
                     "spend_years": spend_years, "pupils_reached": reached,
                     "gbp_per_pupil_per_year": float(extra.sum()) / spend_years / reached
                     if reached else np.nan})
    return pd.DataFrame(rows)
