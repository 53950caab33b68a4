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


def _fake_run(seed_effect: float, years=7):
    """A run whose mean outcome is 0 for two years, then ``seed_effect``."""
    import numpy as np
    import pandas as pd

    from sim.running import RunResult

    time_years = np.arange(years, dtype=float)
    timeseries = pd.DataFrame({"time_years": time_years,
                               "mean_outcome": np.where(time_years >= 2, seed_effect, 0.0)})
    return RunResult(timeseries, pd.DataFrame(), pd.DataFrame())


def test_paired_difference_is_the_mean_difference_over_replications_with_its_interval():
    import numpy as np

    from sim.analysis.intervals import mean_ci

    nbtools = _nbtools()
    base = [_fake_run(0.0) for _ in range(3)]
    policy = [_fake_run(1.0 + 0.01 * k) for k in range(3)]
    paired = nbtools.PairedRuns(["baseline", "policy"], [0, 1, 2],
                                {"baseline": base, "policy": policy})
    table = nbtools.paired_difference(paired, "policy", "baseline", "mean_outcome")
    assert table.time_years.tolist() == list(range(7))
    assert np.allclose(table.difference, np.where(table.time_years >= 2, 1.01, 0.0))
    _, low, high = mean_ci([1.0, 1.01, 1.02])
    assert np.allclose(table[table.time_years >= 2][["low", "high"]], [low, high])
    assert (table[table.time_years < 2][["low", "high"]] == 0).all().all()
