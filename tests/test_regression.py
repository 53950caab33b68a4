"""Fixed-seed regression: catches unintended changes in behaviour.

When a change in behaviour is intended, regenerate the files and commit them with the change:
    UPDATE_REGRESSION=1 .venv/bin/python -m pytest tests/test_regression.py
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import settings_for
from sim.running import simulate

DATA = Path(__file__).parent / "data"
CASES = {
    "baseline": ("seed=2024", "landscape.n_schools=200", "years=6", "spinup_years=5"),
    "pathfinder": ("seed=2024", "landscape.n_schools=200", "years=6", "spinup_years=5",
                   "scenario=pathfinder", "funding.start_year=1"),
}


def yearly(name: str) -> pd.DataFrame:
    ts = simulate(settings_for(*CASES[name])).timeseries
    return ts[np.isclose(ts.time_years % 1, 0)].reset_index(drop=True)


@pytest.mark.parametrize("name", CASES)
def test_fixed_seed_results_are_unchanged(name):
    path = DATA / f"regression_{name}.csv"
    got = yearly(name)
    if os.environ.get("UPDATE_REGRESSION"):
        got.to_csv(path, index=False, float_format="%.10g")
    expected = pd.read_csv(path)
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        if expected[column].dtype == bool:
            assert got[column].tolist() == expected[column].tolist(), column
        else:
            assert np.allclose(got[column].to_numpy(float), expected[column].to_numpy(float),
                               rtol=1e-6, atol=1e-9), column
