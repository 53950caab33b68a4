"""Notebook conveniences: the notebook size switch, paired runs of several scenarios and the
notebooks' findings written from their results (so their text cannot go stale).

Statistics (intervals, first distinguishable year, event studies) come from ``sim.analysis``;
runs on the same draws from ``sim.running.run_paired``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import running
from sim.analysis.narrative import (
    ABOVE,
    BELOW,
    Narrative,
    effect_sentence,
    lasting_sentence,
    signed,
)
from sim.analysis.paired import comparison_table
from sim.config import compose, validate
from sim.running import RunResult


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
    """Run every scenario on every seed, spinning each seed up once and forking it per scenario
    (``sim.running.run_paired``).

    ``overrides``: Hydra overrides shared by all runs (e.g. ``["years=15"]``); ``configs``: an
    optional function ``(scenario, seed) -> composed config`` for configs built in Python.
    """
    out = PairedRuns(list(scenarios), list(seeds), {name: [] for name in scenarios})
    for seed in seeds:
        settings = [validate(configs(name, seed) if configs is not None else
                             compose([f"scenario={name}", f"seed={seed}", *overrides]))
                    for name in scenarios]
        for name, result in zip(scenarios, running.run_paired(settings), strict=True):
            out.runs[name].append(result)
    return out


def paired_difference(paired: PairedRuns, scenario: str, base: str, column: str) -> pd.DataFrame:
    """Step-by-step difference ``scenario - base`` in ``column`` over the replications: one row
    per time step with the mean ``difference`` and its 95% interval (``low``, ``high``), from
    ``sim.analysis.paired.comparison_table``."""
    pairs = pd.concat([pd.DataFrame({"year": b.timeseries.time_years,
                                     "value": a.timeseries[column].to_numpy(),
                                     "baseline_value": b.timeseries[column].to_numpy()})
                       for a, b in zip(paired.runs[scenario], paired.runs[base], strict=True)])
    pairs = pairs.assign(difference=pairs.value - pairs.baseline_value, scenario=scenario,
                         point=-1, variant=scenario, outcome=column)
    table = comparison_table(pairs)
    return pd.DataFrame({"time_years": table.year, "difference": table.mean_difference,
                         "low": table.ci95_low, "high": table.ci95_high})


# -- the notebooks' findings, written from their results (sim.analysis.narrative) ------------------
def _change_word(value: float, up: str, down: str, level: str = "stays level") -> str:
    return up if value > 0.005 else down if value < -0.005 else level


def one_region_story(first: dict, policy: str, start: float, end: float) -> Narrative:
    """Notebook 1, section 2: what one region's two futures show (one seed: no intervals)."""
    base, funded = first["baseline"], first[policy]
    change = base.mean_outcome.iloc[-1] - base.mean_outcome.iloc[0]
    difference = funded.mean_outcome - base.mean_outcome
    during = difference[(base.time_years >= start) & (base.time_years <= end)].mean()
    story = Narrative()
    story.add(f"- Under today's policy the region's mean outcome "
              f"{_change_word(change, 'rises', 'falls')} by **{signed(change)} months** over the "
              f"run, with no programme at all: a before-and-after comparison would count this "
              "change as part of any programme's effect.")
    story.add(f"- While the programme makes awards (years {start:g} to {end:g}) the funded line is "
              f"on average **{signed(during)} months** from today's policy "
              f"({_change_word(during, 'above', 'below', 'level with')} it); in the last year the "
              f"gap is **{signed(difference.iloc[-1])} months**.")
    return story


def effect_story(effect: pd.DataFrame, time_away: pd.DataFrame, start: float, end: float
                 ) -> Narrative:
    """Notebook 1, section 3: the dip, the final effect and when the benefit is distinguishable."""
    yearly = effect[np.isclose(effect.time_years % 1, 0)].set_index("time_years", drop=False)
    dip_year = yearly.difference.idxmin()
    last_year = yearly.index[-1]
    story = Narrative()
    story.add(effect_sentence(f"- Lowest point of the effect, year {dip_year:g}", yearly, dip_year))
    stop_year = float(np.ceil(end))
    if stop_year in yearly.index and stop_year != last_year:
        story.add(effect_sentence(f"- When the programme stops making awards, year {stop_year:g}",
                                  yearly, stop_year))
    story.add(effect_sentence(f"- Final year, year {last_year:g}", yearly, last_year))
    text, claims = lasting_sentence("- The benefit", effect, "time_years", ABOVE)
    year = claims[0].value
    if np.isfinite(year):
        text += (f" That is {year - start:g} years after the programme started and "
                 f"{year - end:g} years after it stopped making awards.")
    story.add((text, claims))
    points = time_away.assign(**{c: 100 * time_away[c] for c in ("difference", "low", "high")})
    peak = points.difference.idxmax()
    story.add(effect_sentence(f"- Extra share of leaders' time spent away at its peak "
                              f"(year {points.time_years[peak]:.1f})", points, peak,
                              unit="percentage points"))
    return story


def members_story(members: pd.DataFrame) -> Narrative:
    """Notebook 1, section 4: member schools against similar schools, before and after forming."""
    table = members.set_index("years_since_forming", drop=False)
    story = Narrative()
    for year in sorted(y for y in table.index if y < 0):
        story.add(effect_sentence(f"- Before forming, year {year:g} (a check of the comparison)",
                                  table, year))
    after = table[table.index >= 0]
    worst = after.difference.idxmin()
    story.add(effect_sentence(f"- Largest shortfall after forming, year {worst:g}", table, worst))
    story.add(effect_sentence(f"- Last year followed, year {after.index[-1]:g}", table,
                              after.index[-1]))
    return story


def policies_story(comparison: pd.DataFrame, costs: pd.DataFrame, scenarios, last: int
                   ) -> Narrative:
    """Notebook 2, section 7: each policy's effect at the last year, when a benefit or harm is
    distinguishable, its early low point, the gap, and the cost per month of progress."""
    columns = ("mean_difference", "ci95_low", "ci95_high")
    story = Narrative()
    finals = {}
    for scenario in scenarios:
        outcome = comparison[(comparison.scenario == scenario)
                             & (comparison.outcome == "mean_outcome")]
        gap = comparison[(comparison.scenario == scenario)
                         & (comparison.outcome == "disadvantage_gap")]
        final = outcome[outcome.year == last].index[0]
        finals[scenario] = outcome.loc[final, "mean_difference"]
        low_point = outcome[outcome.year < last].mean_difference.idxmin()
        parts = [f"**{scenario}**"]
        for what, table, row in (
                (f"pupil outcomes at year {last}", comparison, final),
                (f"lowest point before that (year {outcome.loc[low_point, 'year']:g})",
                 comparison, low_point),
                (f"disadvantage gap at year {last} (minus: narrower)", comparison,
                 gap[gap.year == last].index[0])):
            text, claims = effect_sentence(what, table, row, columns=columns)
            parts.append(text)
            story.claims.extend(claims)
        for side, word in ((ABOVE, "A benefit"), (BELOW, "A loss")):
            text, claims = lasting_sentence(word, outcome, "year", side, columns)
            if np.isfinite(claims[0].value):
                parts.append(text)
                story.claims.extend(claims)
        cost = costs[(costs.scenario == scenario) & (costs.outcome == "mean_outcome")
                     & (costs.year == last)]
        if len(cost) and cost.extra_cost_gbp.iloc[0] > 0:
            per_unit = cost.gbp_per_pupil_per_unit.iloc[0]
            parts.append(f"Extra programme spending by year {last}: "
                         f"£{cost.extra_cost_gbp.iloc[0]:,.0f}; " +
                         (f"£{per_unit:,.0f} per pupil per month of progress gained."
                          if np.isfinite(per_unit) else
                          "no cost per month of progress, as the gain is not clearly above zero."))
        story.paragraphs.append("- " + " ".join(parts))
    ranked = sorted(finals, key=finals.get, reverse=True)
    story.paragraphs.append(
        f"Ranked by the average effect at year {last} (intervals above decide whether two "
        f"policies differ): " + ", ".join(f"{s} ({signed(finals[s])})" for s in ranked) + ".")
    return story


def variants_story(runs: pd.DataFrame, measures: dict, reference: str = "default") -> Narrative:
    """Notebook 3, section 4: each variant minus the ``reference`` on the same seed, per measure
    (``measures``: column -> (words, unit)), with its 95% interval."""
    from sim.analysis.intervals import mean_ci

    wide = runs.pivot(index="seed", columns="variant")
    rows = []
    for column in measures:
        for variant in runs.variant.unique():
            if variant != reference:
                values = wide[column][variant] - wide[column][reference]
                rows.append((variant, column, *mean_ci(values.to_numpy())))
    table = pd.DataFrame(rows, columns=["variant", "measure", "difference", "low", "high"])
    story = Narrative()
    for variant, g in table.groupby("variant", sort=False):
        sentences = [effect_sentence(f"{measures[row.measure][0]}", table, i,
                                     unit=measures[row.measure][1]) for i, row in g.iterrows()]
        story.paragraphs.append(f"- **{variant}** minus {reference}, same seeds: "
                                + " ".join(text for text, _ in sentences))
        story.claims.extend(claim for _, claims in sentences for claim in claims)
    return story
