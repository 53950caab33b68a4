"""The notebooks (notebooks/*.ipynb) run top to bottom from a fresh kernel, at test size.

Each notebook is executed with nbclient in the ``python3`` kernel (ipykernel, from the ``dev``
extra) with ``SIM_NOTEBOOK_SMALL=1``, which shrinks regions, replications and horizons. A cell
that raises fails the test; notebook 3's own tests of its example rule run inside it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "notebooks are committed without outputs (clear them before committing)"
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=dict(os.environ, SIM_NOTEBOOK_SMALL="1"))
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    figures = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs if "image/png" in output.get("data", {})]
    assert figures, "every notebook shows at least one figure"


# -- the notebooks' shared helpers (notebooks/nbtools.py) -------------------------------------------

def _nbtools():
    import importlib.util
    import sys

    if "nbtools" not in sys.modules:
        spec = importlib.util.spec_from_file_location("nbtools", NOTEBOOKS[0].parent / "nbtools.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["nbtools"] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules["nbtools"]


def _fake_run(years=7):
    """Schools 0-1 partner at year 2.5 and then gain 1 month a year; schools 2-5 drift up 0.1."""
    import numpy as np
    import pandas as pd

    from sim.running import RunResult

    rows = []
    for year in range(years):
        for school in range(6):
            outcome = max(0, year - 2) if school < 2 else 0.1 * year
            rows.append({"year": year, "school_id": school, "phase": "primary", "grade": 2,
                         "outcome": float(outcome), "talent": 0.5, "capacity": 0.5})
    partnerships = pd.DataFrame({"partnership_id": [0], "members": [[0, 1]], "formed_at": [2.5],
                                 "funding_gbp": [30_000.0], "origin": ["programme"]})
    timeseries = pd.DataFrame({"time_years": np.arange(years, dtype=float),
                               "mean_outcome": np.zeros(years)})
    return RunResult(timeseries, pd.DataFrame(rows), partnerships)


def test_event_study_subtracts_similar_schools_change():
    nbtools = _nbtools()
    table = nbtools.event_study([_fake_run(), _fake_run()], treated=lambda pt: pt.funding_gbp > 0,
                                pre=2, post=4)
    expected = {k: max(0, k) - 0.1 * k for k in range(-2, 5)}
    assert table.years_since_forming.tolist() == list(expected)
    assert table.difference.round(9).tolist() == [round(v, 9) for v in expected.values()]
    assert (table.low.round(9) == table.difference.round(9)).all()  # identical runs: no spread


def test_paired_difference_and_first_distinguishable_year():
    import numpy as np

    nbtools = _nbtools()
    base = [_fake_run() for _ in range(3)]
    policy = [_fake_run() for _ in range(3)]
    for k, run in enumerate(policy):  # effect: 0 for two years, then 1 month, with noise
        run.timeseries["mean_outcome"] = np.where(run.timeseries.time_years >= 2, 1.0, 0.0) \
            + 0.01 * k * (run.timeseries.time_years >= 2)
    paired = nbtools.PairedRuns(["baseline", "policy"], [0, 1, 2],
                                {"baseline": base, "policy": policy})
    table = nbtools.paired_difference(paired, "policy", "baseline", "mean_outcome")
    assert np.allclose(table.difference, np.where(table.time_years >= 2, 1.01, 0.0))
    assert nbtools.first_year_distinguishable(table) == 2.0
    assert nbtools.first_year_distinguishable(table, sign=-1) is None
