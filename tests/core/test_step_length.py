"""Rates are per year: halving or doubling steps_per_year leaves yearly results close."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import settings_for
from sim.running import simulate

N_SCHOOLS = 300
SEEDS = range(4)


def yearly_summary(steps_per_year: int) -> pd.DataFrame:
    """One row per seed."""
    rows = []
    for seed in SEEDS:
        ts = simulate(settings_for(f"steps_per_year={steps_per_year}", f"seed={seed}",
                                   f"landscape.n_schools={N_SCHOOLS}", "years=6", "spinup_years=12",
                                   "scenario=pathfinder")).timeseries
        yearly = ts[np.isclose(ts.time_years % 1, 0)]
        rows.append({
            "share_partnered": yearly.n_schools_partnered.mean() / N_SCHOOLS,
            "partnerships_per_school": yearly.n_partnerships.mean() / N_SCHOOLS,
            "head_vacancy_share": ts.n_head_vacancies.mean() / N_SCHOOLS,  # every step: less noise
            "formed_per_school_year": ts.new_formed.sum() / 6 / N_SCHOOLS,
            "dissolved_per_school_year": ts.new_dissolved.sum() / 6 / N_SCHOOLS,
            "spend_gbp": ts.spend_gbp.sum(),
            "mean_talent": yearly.mean_talent.mean(),
            "mean_capacity": yearly.mean_capacity.mean(),
            "disadvantage_gap": yearly.disadvantage_gap.mean(),
            "share_good": yearly.share_good.mean(),
        })
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return yearly_summary(12)


RELATIVE = 0.12  # counts and money: within 12% of the 12-steps-a-year figure
ABSOLUTE = {"mean_talent": 0.01, "mean_capacity": 0.01, "disadvantage_gap": 0.3, "share_good": 0.04}


@pytest.mark.slow
@pytest.mark.parametrize("steps_per_year", [6, 24])
def test_halving_or_doubling_the_step_keeps_yearly_results(steps_per_year, reference):
    other = yearly_summary(steps_per_year)
    # Step lengths draw differently, so the means differ by seed noise too: allow three standard
    # errors of the difference where that is wider than the tolerance (a bias beyond noise fails).
    noise = 3 * np.sqrt((reference.var() + other.var()) / len(SEEDS))
    for name, value in reference.mean().items():
        tolerance = max(ABSOLUTE[name] if name in ABSOLUTE else RELATIVE * abs(value), noise[name])
        assert abs(other[name].mean() - value) <= tolerance, (name, other[name].mean(), value)
