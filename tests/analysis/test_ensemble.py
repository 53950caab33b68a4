"""sim/analysis/ensemble.py: effects over ensemble members x seeds, split into parameters and
chance, and the share of members in which a policy helps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.ensemble import ensemble_effects


def pairs(member_effects, seed_noise, seeds=4, year=5, outcome="mean_outcome", scenario="p"):
    rng = np.random.default_rng(0)
    rows = [{"scenario": scenario, "member": m, "seed": s, "year": year, "outcome": outcome,
             "difference": effect + seed_noise * rng.standard_normal()}
            for m, effect in enumerate(member_effects) for s in range(seeds)]
    return pd.DataFrame(rows)


def test_spread_between_members_without_chance_is_all_parameters():
    table = ensemble_effects(pairs([-1.0, 0.5, 1.0, 2.0], seed_noise=0.0), {"mean_outcome": "higher"})
    row = table.iloc[0]
    assert row["mean"] == pytest.approx(0.625)
    assert row.share_parameters == pytest.approx(1.0)
    assert row.sd_chance == 0.0
    assert row.share_members_helping == pytest.approx(0.75)  # 3 of 4 members gain
    assert row.low < row["mean"] < row.high
    assert row.members_low == pytest.approx(np.quantile([-1.0, 0.5, 1.0, 2.0], 0.025))


def test_identical_members_leave_the_spread_to_chance():
    table = ensemble_effects(pairs([0.3] * 30, seed_noise=1.0, seeds=6), {"mean_outcome": "higher"})
    row = table.iloc[0]
    assert row.share_parameters < 0.2
    assert row.sd_chance == pytest.approx(1.0, rel=0.2)


def test_parameter_uncertainty_widens_the_interval_beyond_chance():
    chance_only = ensemble_effects(pairs([0.5] * 20, seed_noise=0.5), {"mean_outcome": "higher"})
    with_parameters = ensemble_effects(pairs(np.linspace(-1.5, 2.5, 20), seed_noise=0.5),
                                       {"mean_outcome": "higher"})
    width = lambda t: float(t.high.iloc[0] - t.low.iloc[0])  # noqa: E731
    assert width(with_parameters) > 2 * width(chance_only)


def test_lower_is_better_counts_members_below_zero_and_years_are_chosen():
    data = pd.concat([pairs([-0.2, -0.1, 0.3], 0.0, outcome="disadvantage_gap", year=y)
                      for y in (5, 6, 10)])
    table = ensemble_effects(data, {"disadvantage_gap": "lower"}, years=(5, 10, 15))
    assert table.year.tolist() == [5, 10]
    assert table.share_members_helping.tolist() == pytest.approx([2 / 3, 2 / 3])


def test_runs_outside_an_ensemble_are_left_out():
    data = pairs([1.0, 2.0], 0.0).assign(member=-1)
    assert ensemble_effects(data, {"mean_outcome": "higher"}).empty
