"""scripts/behaviour_at_defaults.py: ODD §1.1 as generated text, at a small size."""

from __future__ import annotations

import re

import pytest

from conftest import load_script
from sim.core.paths import CONF_DIR, PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "behaviour_at_defaults.py"


@pytest.fixture(scope="module")
def script():
    return load_script(SCRIPT)


@pytest.fixture(scope="module")
def figures(script):
    return script.generate([0], n_schools=60, years=8, spinup_years=10, n_jobs=1,
                           drift_seeds=2, drift_years=3)


def test_both_tables_have_every_row_and_no_nan(script, figures):
    scenarios = {p.stem for p in (CONF_DIR / "scenario").glob("*.yaml")} - {"baseline"}
    differences = figures["differences"]
    assert sorted(differences.scenario) == sorted(f"`{name}`" for name in scenarios)
    assert {"yr 2", "positive from yr", "distinguishable from yr"} <= set(differences.columns)
    # Paired on the same draws: no difference before a policy starts.
    for row in differences[differences["starts yr"] == "2"].itertuples():
        assert row[differences.columns.get_loc("yr 2") + 1] == "+0.00", row
    quantities = figures["quantities"]
    assert list(quantities.evidence) == list(script.EVIDENCE.values())
    mix = quantities.set_index("quantity").model["grade mix at time 0 (O/G/RI/I)"]
    assert abs(sum(int(share.strip(" %")) for share in mix.split("/")) - 100) <= 2
    for table in (differences, quantities):
        cells = table.astype(str).to_numpy().ravel()
        assert not [c for c in cells if "nan" in c.lower() or not c.strip()], table


def test_rewriting_is_idempotent_and_keeps_the_text_outside_the_markers(script, figures):
    document = SCRIPT.parent.parent.joinpath("docs", "ODD.md").read_text()
    block = script.block(figures, "scripts/behaviour_at_defaults.py --seeds 1", wall_s=1.0)
    once = script.MARKERS.rewrite(document, block)
    assert script.MARKERS.rewrite(once, block) == once
    before = document.split(script.MARKERS.start)[0]
    after = document.split(script.MARKERS.end)[1]
    assert once.startswith(before + block) and once.endswith(block + after)
    assert "| `pathfinder` |" in once and "seed 0" in once
    assert "Over 3 years the baseline's means (of 2 seeds, yearly) move" in once
    assert not re.search(r"\bnan\b", figures["drift"], re.IGNORECASE), figures["drift"]


def test_a_document_without_markers_stops_before_running(script, tmp_path, capsys):
    doc = tmp_path / "ODD.md"
    doc.write_text("# no markers here\n")
    assert script.main(["--doc", str(doc)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "behaviour-at-defaults" in error
    assert doc.read_text() == "# no markers here\n"
