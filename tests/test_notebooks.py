"""The notebooks (notebooks/*.ipynb) run top to bottom from a fresh kernel, at test size.

Each notebook is executed with nbclient in the ``python3`` kernel (ipykernel, from the ``dev``
extra) with ``SIM_NOTEBOOK_SMALL=1``, which shrinks regions, replications and horizons. A cell
that raises fails the test; notebook 3's own tests of its example rule run inside it. Each
notebook's findings are generated from its results and checked against them after it has run; its
hand-written Markdown may explain but states no results (no numbers, no directions).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


# Checked inside the kernel once a notebook has run: every generated narrative (a
# ``sim.analysis.narrative.Narrative`` left in a variable) against the tables it was written from.
CHECK_NARRATIVES = """
import json as _json
from sim.analysis.narrative import Narrative as _Narrative
_found = {name: value for name, value in dict(globals()).items() if isinstance(value, _Narrative)}
print("NARRATIVES" + _json.dumps({name: {"text": value.text, "claims": len(value.claims),
                                         "problems": value.disagreements()}
                                  for name, value in _found.items()}))
"""


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def executed(request):
    """A notebook run top to bottom at test size, with the narrative check appended."""
    path = request.param
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "notebooks are committed without outputs (clear them before committing)"
    notebook.cells.append(nbformat.v4.new_code_cell(CHECK_NARRATIVES))
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=dict(os.environ, SIM_NOTEBOOK_SMALL="1"))
    return notebook


@pytest.mark.notebook
def test_notebook_runs_top_to_bottom(executed):
    errors = [output for cell in executed.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    figures = [output for cell in executed.cells if cell.cell_type == "code"
               for output in cell.outputs if "image/png" in output.get("data", {})]
    assert figures, "every notebook shows at least one figure"


@pytest.mark.notebook
def test_the_notebooks_findings_agree_with_what_they_computed(executed):
    """Each notebook shows findings generated from its results, and each stated value, interval,
    verdict and year still agrees with the table it came from."""
    import json

    printed = executed.cells[-1].outputs[0]["text"]
    narratives = json.loads(printed.split("NARRATIVES", 1)[1])
    assert narratives, "a notebook states its findings through generated narratives"
    shown = [output["data"]["text/markdown"] for cell in executed.cells
             if cell.cell_type == "code" for output in cell.outputs
             if "text/markdown" in output.get("data", {})]
    assert sum(narrative["claims"] for narrative in narratives.values()) > 0
    for name, narrative in narratives.items():
        assert narrative["text"] in shown, f"{name} is computed but not displayed"
        assert narrative["problems"] == [], name


# -- what the notebooks' own Markdown may say ------------------------------------------------------
# Results (numbers and directions) belong in generated text. The Markdown cells may name the
# programmes' years (inputs, read from the scenarios), section, notebook and list numbers, sources
# (S0-S9, "lesson 4"), time 0 and year 0, "95%" (what an interval is) and anything in `code`.
DIRECTION_WORDS = re.compile(
    r"\b(rises?|rising|rose|falls?|falling|fell|dips?|dipped|gains|loses|lost|raises?|"
    r"raised|lowers?|lowered|higher|widens?|widened|narrows|narrowed|narrower|wider|largest|"
    r"smallest|improves?|improved|harms?|harmed|helps|helped|above zero|below zero|better|worse|"
    r"pulls? ahead|crosses over|catch(?:es)? up|outperforms?)\b", re.IGNORECASE)
ALLOWED_PHRASES = (  # definitions and questions that use a direction word without claiming one
    "whether members catch up with similar schools",
    "the interval stays above zero to the end",  # the headline table's columns, defined
    "**early dip**: the lowest point of the effect, if it was clearly below zero",
    "where the gain is clearly above zero",
    "once the gain is clearly above zero",
)


@functools.cache
def programme_years() -> frozenset[str]:
    """Every lever's start and stop year in the named scenarios: the only years text may state."""
    from sim.config import compose, validate
    from sim.core.levers import LEVERS, differs_from_today
    from sim.core.paths import CONF_DIR

    years = set()
    for scenario in (path.stem for path in (CONF_DIR / "scenario").glob("*.yaml")):
        config = validate(compose([f"scenario={scenario}"])).config
        for lever in LEVERS:
            settings = getattr(config, lever)
            if differs_from_today(lever, settings):
                years |= {f"{y:g}" for y in (settings.start_year, settings.stop_year)
                          if y is not None}
    return frozenset(years)


def stated_results(markdown: str) -> list[str]:
    """Digits and direction words in ``markdown`` that are not on the allowed list."""
    text = re.sub(r"`[^`]*`", "", markdown)  # code: names and settings, not results
    text = re.sub(r"^\s*(#+\s*\d+\.|\d+\.)", "", text, flags=re.MULTILINE)  # section/list numbers
    text = re.sub(r"\bS\d\b|\b95%|\b(section|notebook|lesson|PL) \d\b|\b(time|year) 0\b", "", text)
    years = programme_years()

    def programme(match) -> str:
        return "" if all(y in years for y in re.findall(r"\d+", match.group(0))) else match.group(0)

    text = re.sub(r"\byears? \d+(?:\s*(?:–|-|to year)\s*\d+)?", programme, text)
    text = re.sub(r"\s+", " ", text)  # phrases may break across lines
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, "")
    return re.findall(r"[^\s]*\d[^\s]*", text) + [m.group(0) for m in DIRECTION_WORDS.finditer(text)]


def test_the_markdown_checker_catches_hand_typed_results():
    assert stated_results("The effect is +0.7 to +0.8 months by year 15.") != []
    assert stated_results("High stakes loses about a month.") == ["loses"]
    assert stated_results("Results dip while the money is spent.") == ["dip"]
    assert stated_results("## 3. Set-up: awards in years 2–5 (S3); see `YEARS = 25`, a 95% interval.") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebooks_markdown_states_no_numbers_or_directions(path):
    notebook = nbformat.read(path, as_version=4)
    found = {index: stated_results(cell.source) for index, cell in enumerate(notebook.cells)
             if cell.cell_type == "markdown"}
    assert {index: words for index, words in found.items() if words} == {}


# -- the notebooks' shared helpers (notebooks/nbtools.py) -------------------------------------------

def _nbtools():
    from conftest import load_script

    return load_script(NOTEBOOKS[0].parent / "nbtools.py")


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
