"""scripts/calibration_tables.py: docs/calibration.md's figures as generated text, from a tiny real
calibration and a tiny sweep over its ensemble."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import sim
from conftest import load_script, outside_blocks
from sim.core.paths import PROJECT_DIR
from sim.experiments.design import Execution, Experiment

SCRIPT = PROJECT_DIR / "scripts" / "calibration_tables.py"
DOC = PROJECT_DIR / "docs" / "calibration.md"


@pytest.fixture(scope="module")
def script():
    return load_script(SCRIPT)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A calibration of two waves of three sets on 40 schools, and every policy of two against the
    baseline under its three members x 2 seeds."""
    import sim.experiments.calibration as calibration
    import sim.experiments.ensemble as ensemble

    root = tmp_path_factory.mktemp("caltables")
    assert calibration.main([
        "--n-schools", "40", "--years", "8", "--spinup-years", "5", "--steps-per-year", "4",
        "--waves", "2", "--per-wave", "3", "--seeds", "1", "--members", "3",
        "--confirm-seeds", "1", "--holdout-seeds", "1", "--n-jobs", "1", "--out", str(root / "calibration"),
        "--fitted", "", "--ensemble", str(root / "ensemble.csv"), "--figures", ""]) == 0
    experiment = Experiment(
        name="ensemble_policies", scenarios=["pathfinder", "high_stakes"],
        parameter_sets="ensemble", members=3, replications=2, years=3.0,
        overrides=["landscape.n_schools=40", "spinup_years=1", "steps_per_year=4",
                   "funding.start_year=0"],
        store=str(root / "store"), execution=Execution(backend="sequential", n_jobs=1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ensemble, "ENSEMBLE", root / "ensemble.csv")
        sim.run_experiment(experiment, progress=False, report=False)
    return root


def arguments(root, doc) -> list[str]:
    return ["--results", str(root / "calibration"), "--ensemble", str(root / "ensemble.csv"),
            "--store", str(root / "store"), "--doc", str(doc)]


def test_every_target_and_parameter_has_a_row_and_no_figure_is_nan(script, inputs, tmp_path):
    doc = tmp_path / "calibration.md"
    doc.write_text(DOC.read_text())
    assert script.main(arguments(inputs, doc)) == 0
    text = doc.read_text()
    for name in script.TARGETS:
        assert re.search(rf"^\| `{name}` \| ", text, re.MULTILINE), name
    for key in script.FREE:
        assert re.search(rf"^\| `{re.escape(key)}` \| ", text, re.MULTILINE), key
    for scenario in ("pathfinder", "high_stakes"):
        for who in ("all pupils", "participating schools"):
            assert f"| `{scenario}` | {who} | 3 |" in text
    generated = "".join(text.split(markers.start)[1].split(markers.end)[0]
                        for markers in script.BLOCKS.values())
    assert not re.search(r"\bnan\b", generated, re.IGNORECASE)
    assert "Not yet generated" not in generated
    # 3 + 3 sets searched; all six confirmed on a fresh seed (at least twice the members)
    assert re.search(r"\*\*6 sets × 1 seed \+ 6 × 1 seed\*\*", generated)
    assert re.search(r"^\| confirmation \(.*\) \| seed 100 \|", generated, re.MULTILINE)
    assert re.search(r"^\| wave 2 \(.*\) \| seed 1 \|", generated, re.MULTILINE)  # fresh seeds
    assert generated.count("Generated on ") == len(script.BLOCKS)


def test_rewriting_is_idempotent_and_keeps_the_text_outside_the_markers(script, inputs, tmp_path):
    doc = tmp_path / "calibration.md"
    original = DOC.read_text()
    doc.write_text(original)
    assert script.main(arguments(inputs, doc)) == 0
    once = doc.read_text()
    assert script.main(arguments(inputs, doc)) == 0
    assert doc.read_text() == once
    assert (outside_blocks(once, script.BLOCKS.values())
            == outside_blocks(original, script.BLOCKS.values()))
    for image in ("calibration_targets.png", "calibration_gain_timing.png",
                  "calibration_waves.png"):
        assert f"(figures/{image})" in once


@pytest.mark.parametrize("missing, command", [
    ("calibration/summary.json", "python -m sim.calibrate"),
    ("calibration/evaluations.csv", "python -m sim.calibrate"),
    ("ensemble.csv", "python -m sim.calibrate"),
    ("store/sweep.json", "python -m sim.sweep experiments/ensemble_policies.yaml")])
def test_a_missing_input_stops_with_one_line_naming_it(script, inputs, tmp_path, capsys,
                                                        missing, command):
    import shutil

    root = tmp_path / "inputs"
    shutil.copytree(inputs, root)
    (root / missing).unlink()
    doc = tmp_path / "calibration.md"
    doc.write_text(DOC.read_text())
    assert script.main(arguments(root, doc)) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert missing.split("/")[-1] in error and command in error
    assert doc.read_text() == DOC.read_text()


def test_a_store_of_other_parameter_sets_stops_with_one_line(script, inputs, tmp_path, capsys):
    ensemble = pd.read_csv(inputs / "ensemble.csv")
    ensemble.loc[1, "rules.improvement.lag_years"] += 0.5  # as a later calibration would
    other = tmp_path / "ensemble.csv"
    ensemble.to_csv(other, index=False)
    doc = tmp_path / "calibration.md"
    doc.write_text(DOC.read_text())
    argv = arguments(inputs, doc)
    argv[argv.index("--ensemble") + 1] = str(other)
    assert script.main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "other parameter sets" in error


def test_pairs_that_exclude_each_other_come_first(script):
    """Two targets never met together (each by half the sets) against targets met by all."""
    fitted = [name for name, t in script.TARGETS.items() if t.weight > 0]
    a, b = fitted[0], fitted[1]
    n = 40
    evaluations = pd.DataFrame({f"imp:{name}": np.zeros(n) for name in fitted})
    evaluations[f"imp:{a}"] = np.tile([0.5, 2.0], n // 2)
    evaluations[f"imp:{b}"] = np.tile([2.0, 0.5], n // 2)
    pairs, alone = script.pair_table(evaluations)
    assert (pairs.iloc[0].a, pairs.iloc[0].b) == (a, b)
    assert pairs.iloc[0].both == 0 and pairs.iloc[0]["product"] == pytest.approx(0.25)
    assert alone[a] == alone[b] == 0.5 and alone[fitted[2]] == 1.0
    assert (pairs.iloc[1:].ratio == 1).all()  # independent of the always-met targets


def test_agreement_separates_signs_all_members_share_from_split_ones(script):
    effects = pd.DataFrame({
        "scenario": ["p", "p", "h", "h"], "who": "all pupils", "year": [5, 10, 5, 10],
        "share_members_helping": [0.6, 1.0, 1.0, 0.0]})
    survives, does_not = (
        [" ".join(item.split()) for item in items] for items in script.agreement(effects))  # unwrapped
    assert survives == ["- all pupils: `p` helps in every set at year 10; `h` helps in every set "
                        "at year 5; `h` helps in no set at year 10."]
    assert does_not == ["- all pupils: `p` at year 5 (helps in 60% of sets)."]
