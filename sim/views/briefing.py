"""The report's first page: per scenario, plain sentences generated from the results (no number
typed by hand), and the tables behind them. ``briefing_tables`` computes, ``scenario_paragraph``
and ``evaluation_table`` write."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from sim.analysis.costs import eef_cost_rating
from sim.analysis.headline import (
    evaluation_differences,
    participant_differences,
    participants,
    run_costs,
    subgroup_differences,
)
from sim.analysis.intervals import summarise
from sim.analysis.paired import first_distinguishable_year
from sim.analysis.results import SweepResults
from sim.views.formatting import interval, label, money, months, number, percent, scenario_label

HEADLINE = "mean_outcome"  # months of progress, higher is better
HEADLINE_YEARS = (2, 5, 10)
MIN_PAIRS = 10  # below this the intervals mean little (banner)
BY = ["scenario", "variant", "year"]


def briefing_tables(results: SweepResults, pairs: pd.DataFrame, costs: pd.DataFrame,
                    discount_rate: float) -> dict[str, pd.DataFrame]:
    """Summaries (mean, 95% interval, share of pairs with a gain) behind the first page.
    ``pairs``: paired differences of the headline; ``costs``: ``cost_table``."""
    last = int(results.yearly.year.max())
    policy_pairs = pairs[(pairs.outcome == HEADLINE) & (pairs.scenario != results.baseline)]
    taking_part = participants(results)
    baseline_n = taking_part[taking_part.scenario == results.baseline].n.mean()
    more = taking_part.groupby("scenario").n.mean()
    with_participants = set(more[more > (baseline_n if np.isfinite(baseline_n) else 0)].index)
    participant_rows = participant_differences(results)
    participant_rows = participant_rows[participant_rows.scenario.isin(with_participants)]
    evaluation = evaluation_differences(results)
    return {
        "all_pupils": summarise(policy_pairs, BY),
        "participants": summarise(participant_rows, BY),
        "n_participants": more.rename("n_participants").reset_index(),
        "who_gains": summarise(subgroup_differences(results, last),
                               ["scenario", "variant", "grouping", "group"]),
        "evaluation": summarise(evaluation[evaluation.scenario.isin(with_participants)],
                                ["scenario", "variant", "years_after", "estimator"], "value"),
        "run_costs": _cost_summaries(run_costs(results, discount_rate)),
        "per_month": costs[(costs.outcome == HEADLINE) & (costs.year == last)],
    }


def _cost_summaries(costs: pd.DataFrame) -> pd.DataFrame:
    """Mean and interval of each cost measure per variant (``measure`` names it)."""
    if costs.empty:
        return pd.DataFrame(columns=["scenario", "variant", "measure", "n", "mean", "low", "high"])
    long = costs.melt(id_vars=["scenario", "variant", "seed"], var_name="measure",
                      value_vars=["extra_gbp", "present_value_gbp", "gbp_per_pupil_per_year",
                                  "pupils_reached"])
    return summarise(long, ["scenario", "variant", "measure"], "value")


def replication_banner(n_pairs: int) -> str:
    """A warning when there are too few paired runs for the intervals to mean much; '' if enough."""
    if n_pairs >= MIN_PAIRS:
        return ""
    return (f"<div class='banner'><b>Too few runs for firm conclusions.</b> Each comparison rests "
            f"on {n_pairs} pair{'s' if n_pairs != 1 else ''} of runs (a policy and today's policy "
            f"on the same random draws); at least {MIN_PAIRS} are needed. With fewer, the spread "
            "between runs is poorly known and the 95% intervals are very wide or misleading "
            f"(the t multiplier is {_t_multiplier(n_pairs)} instead of about 2), so an apparent "
            "gain or loss may be chance. Treat this as a check that the model runs, not as "
            "evidence.</div>")


def _t_multiplier(n: int) -> str:
    from scipy import stats

    return f"{stats.t.ppf(0.975, n - 1):.1f}" if n >= 2 else "undefined"


def _effect_phrase(table: pd.DataFrame, variant: str, years: list[int]) -> str:
    parts = []
    for year in years:
        row = table[(table.variant == variant) & (table.year == year)]
        if row.empty:
            continue
        r = row.iloc[0]
        if r["mean"] == 0 and r.low == 0 and r.high == 0:
            parts.append(f"no difference yet at year {year}")
            continue
        parts.append(f"{months(r['mean'])} months at year {year} (95% interval "
                     f"{interval(r.low, r.high)}; {percent(r.share_positive)} of pairs gained)")
    return "; ".join(parts)


def _timing_sentence(table: pd.DataFrame, variant: str, who: str) -> str:
    g = table[table.variant == variant].sort_values("year")
    if g.empty:
        return ""
    year = first_distinguishable_year(g.year, g.low, g.high, "above", lasting=True)
    before = g[g.year < year] if np.isfinite(year) else g
    dip = before.loc[before["mean"].idxmin()] if len(before) else None
    dip_text = (f" The early cost: {who} fall to {months(dip['mean'])} months at year "
                f"{int(dip.year)} (95% interval {interval(dip.low, dip.high)})"
                + (" before the benefit shows." if np.isfinite(year) else ".")
                if dip is not None and dip["mean"] < 0 else "")
    if np.isfinite(year):
        return f"For {who}, the benefit is distinguishable from zero from year {int(year)} on." \
               + dip_text
    return (f"For {who}, no lasting benefit is distinguishable from zero by year "
            f"{int(g.year.max())}." + dip_text)


def scenario_paragraph(tables: dict, variant: str, scenario: str, years: list[int],
                       discount_rate: float) -> str:
    """The plain-words summary of one scenario (HTML)."""
    parts = [f"<h3>{html.escape(scenario_label(variant))}</h3><p>"]
    everyone = tables["all_pupils"]
    n = int(everyone[everyone.variant == variant].n.max())
    taking_part = tables["participants"]
    n_part = tables["n_participants"].set_index("scenario").n_participants.get(scenario, 0)
    if (taking_part.variant == variant).any():
        parts.append(f"<b>Participating schools</b> (the {number(n_part)} schools per run, on "
                     "average, that joined a partnership the policy created or funded, against "
                     f"the same schools under today's policy): "
                     f"{_effect_phrase(taking_part, variant, years)}. ")
    else:
        parts.append("No more schools join policy partnerships than under today's policy, so "
                     "there is no participants' effect to report. ")
    parts.append(f"<b>All pupils</b> in the region: {_effect_phrase(everyone, variant, years)}. ")
    parts.append(f"(Each from {n} pairs of runs.)</p><p>")
    if (taking_part.variant == variant).any():
        parts.append(_timing_sentence(taking_part, variant, "participating schools") + " ")
    parts.append(_timing_sentence(everyone, variant, "all pupils") + "</p><p>")
    parts.append(_cost_sentence(tables, variant, discount_rate) + "</p><p>")
    parts.append(_who_gains_sentence(tables["who_gains"], variant) + "</p>")
    return "".join(parts)


def _cost_sentence(tables: dict, variant: str, discount_rate: float) -> str:
    costs = tables["run_costs"]
    if costs.empty or not (costs.variant == variant).any():
        return "<b>Cost</b>: not available."
    c = costs[costs.variant == variant].set_index("measure")["mean"]
    if c["extra_gbp"] <= 0:
        return "<b>Cost</b>: no programme spending recorded beyond today's policy."
    per_pupil = c["gbp_per_pupil_per_year"]
    text = (f"<b>Cost</b>: {money(per_pupil)} per pupil per year (EEF cost rating: "
            f"{eef_cost_rating(per_pupil)}; spending divided by the {number(c['pupils_reached'])} "
            f"pupils it reached and the years it was spent), {money(c['extra_gbp'])} in total over "
            f"the run, a present value of {money(c['present_value_gbp'])} at a discount rate of "
            f"{100 * discount_rate:g}% a year. ")
    per_month = tables["per_month"]
    row = per_month[per_month.variant == variant]
    if len(row) and np.isfinite(row.iloc[0].gbp_per_pupil_per_unit):
        text += (f"Each month of progress gained per pupil costs "
                 f"{money(row.iloc[0].gbp_per_pupil_per_unit)} per pupil (year "
                 f"{int(row.iloc[0].year)}).")
    else:
        text += ("No cost per month of progress: the gain for all pupils is not distinguishable "
                 "from zero at the end of the run.")
    return text


def _who_gains_sentence(who: pd.DataFrame, variant: str) -> str:
    g = who[who.variant == variant]
    if g.empty:
        return "<b>Who gains</b>: not available (no school panels in this store)."
    year_note = "at the end of the run"
    pieces = []
    for grouping, rows in g.groupby("grouping", sort=False):
        rows = rows.sort_values("group")
        names = [_group_label(grouping, v) for v in rows.group]
        pieces.append(f"by {label(grouping)}: " + ", ".join(
            f"{name} {months(m)}" for name, m in zip(names, rows["mean"], strict=True)))
    best = g.loc[g["mean"].idxmax()]
    most = "largest gain" if best["mean"] > 0 else "smallest loss"
    return (f"<b>Who gains</b> {year_note} (months, all schools of each group, pupil-weighted): "
            + "; ".join(pieces) + f". The {most} is for "
            f"{_group_label(best.grouping, best.group)} schools ({months(best['mean'])}, "
            f"95% interval {interval(best.low, best.high)}).")


def _group_label(grouping: str, value: str) -> str:
    if grouping == "fsm_quintile":
        extra = {"1": " (least disadvantaged)", "5": " (most disadvantaged)"}.get(value, "")
        return f"FSM quintile {value}{extra}"
    return value


def at_a_glance(tables: dict, year: int) -> str:
    """One row per policy: the effects at ``year``, when the benefit shows, and the cost (HTML)."""
    rows = ["<table><tr><th>Policy</th><th>Participating schools</th><th>All pupils</th>"
            "<th>Pairs of runs with a gain (all pupils)</th>"
            "<th>Benefit for all pupils distinguishable from</th>"
            "<th>Cost per pupil per year</th></tr>"]
    everyone, taking_part = tables["all_pupils"], tables["participants"]
    costs = tables["run_costs"]
    for variant, g in everyone.groupby("variant", sort=False):
        g = g.sort_values("year")
        now = g[g.year == year].iloc[0]
        mine = taking_part[(taking_part.variant == variant) & (taking_part.year == year)]
        benefit = first_distinguishable_year(g.year, g.low, g.high, "above", lasting=True)
        cost = costs[(costs.variant == variant) & (costs.measure == "gbp_per_pupil_per_year")]
        per_pupil = cost["mean"].iloc[0] if len(cost) else np.nan
        rows.append(
            f"<tr><td>{html.escape(scenario_label(variant))}</td>"
            f"<td>{_cell(mine.iloc[0]) if len(mine) else 'no participants'}</td>"
            f"<td>{_cell(now)}</td><td>{percent(now.share_positive)} of {int(now.n)}</td>"
            f"<td>{f'year {int(benefit)}' if np.isfinite(benefit) else 'not within the run'}</td>"
            f"<td>{f'{money(per_pupil)} ({eef_cost_rating(per_pupil)})' if per_pupil > 0 else 'no spending'}"
            "</td></tr>")
    return (f"<p>Difference from today's policy at year {year}, in months of progress (95% "
            "interval):</p>" + "".join(rows) + "</table>")


def _cell(row) -> str:
    return f"{months(row['mean'])} ({interval(row.low, row.high)})"


def evaluation_table(tables: dict) -> str:
    """What an evaluation would see: per scenario and years after joining, the true effect on
    participants and the two estimators' answers (HTML table; '' if nothing to show)."""
    ev = tables["evaluation"]
    ev = ev[ev.n >= 2]  # an interval needs two pairs of runs with participants observed so long
    if ev.empty:
        return ""
    rows = ["<table><tr><th>Policy</th><th>Years after joining</th><th>True effect</th>"
            "<th>Before-and-after comparison</th><th>Matched difference-in-differences</th>"
            "<th>Pairs of runs</th></tr>"]
    for (variant, k), g in ev.groupby(["variant", "years_after"], sort=False):
        cells = {r.estimator: f"{months(r['mean'])} ({interval(r.low, r.high)})"
                 for _, r in g.iterrows()}
        rows.append(f"<tr><td>{html.escape(scenario_label(variant))}</td><td>{k}</td>"
                    + "".join(f"<td>{cells.get(e, '-')}</td>"
                              for e in ("true_effect", "before_after", "matched_did"))
                    + f"<td>{int(g.n.max())}</td></tr>")
    return "".join(rows) + "</table>"
