"""scripts/sensitivity_tables.py: docs/sensitivity.md's figures generated from tiny Morris and Sobol
stores made by the real ``python -m sim.sensitivity``."""

from __future__ import annotations

import re

import pytest
import yaml
from test_sensitivity import TINY

from conftest import load_script, outside_blocks
from sim.config import compose
from sim.core.paths import PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "sensitivity_tables.py"
DOC = PROJECT_DIR / "docs" / "sensitivity.md"
OUTCOMES = ["effect_y1", "effect_y3", "gap_effect_y3", "gap_y3", "survival_1y"]
# The Sobol store runs at other defaults, of a parameter neither method varies and of one with a
# relative range (so its range moves): the page must say so.
OTHER_DEFAULTS = ["rules.dissolution.worth_exchange=1.0", "rules.improvement.lag_years=1.2"]


@pytest.fixture(scope="module")
def script():
    return load_script(SCRIPT)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Two seeds per point, so the noise floor and the noise share exist."""
    from sim.experiments import sensitivity

    root = tmp_path_factory.mktemp("sensitivity_tables")
    experiment = root / "tiny.yaml"
    experiment.write_text(yaml.safe_dump(dict(TINY, replications=2)))
    other = root / "tiny_other_default.yaml"
    other.write_text(yaml.safe_dump(dict(TINY, replications=2,
                                         overrides=TINY["overrides"] + OTHER_DEFAULTS)))
    # --n-jobs changes where runs execute, not what they give: not a difference from the file.
    assert sensitivity.main([str(experiment), "--store", str(root / "morris"), "--n-jobs", "1",
                             "--quiet"]) == 0
    assert sensitivity.main([str(other), "--method", "sobol", "--store", str(root / "sobol"),
                             "--quiet"]) == 0
    return root


def arguments(stores, doc) -> list[str]:
    return ["--experiment", str(stores / "tiny.yaml"), "--morris", str(stores / "morris"),
            "--sobol", str(stores / "sobol"), "--doc", str(doc)]


@pytest.fixture(scope="module")
def blocks(script, stores):
    experiment = stores / "tiny.yaml"
    now = script.read_now(experiment)
    morris = script.read_store(stores / "morris", "morris", experiment)
    sobol = script.read_store(stores / "sobol", "sobol", experiment)
    return script.blocks(morris, sobol, now, experiment)


def rows(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.startswith("| ")]


def test_every_outcome_and_parameter_has_a_row_and_no_figure_is_nan(script, blocks):
    assert set(blocks) == set(script.BLOCKS)
    for name in ("outcomes", "morris", "sobol"):
        first_cells = [re.match(r"\| `(\w+)`", r).group(1) for r in rows(blocks[name])[1:]]
        assert first_cells == OUTCOMES, name
    parameters = rows(blocks["parameters"])[1:]
    assert len(parameters) == len(TINY["morris"]["ranges"])
    for key in TINY["morris"]["ranges"]:
        assert sum(f"`{key.removeprefix('rules.')}` [" in r for r in parameters) == 1, key
    # The relative range is the default now x [0.5, 1.5], marked as such; a calibrated parameter
    # names the assumption it replaces.
    lag = next(r for r in parameters if "lag_years" in r)
    default = float(lag.split(" | ")[1])
    low, high = (float(v) for v in re.search(r"\[(.*?), (.*?)\]", lag).groups())
    # (The page shows three significant figures: up to 0.5 % off for a value like 1.485.)
    assert (low, high) == pytest.approx((0.5 * default, 1.5 * default), rel=5e-3)
    assert "(default ± 50 %)" in lag and "calibrated (assumption 2)" in lag
    assert "| assumption |" in next(r for r in parameters if "seek_rate" in r)
    for outcome in OUTCOMES:
        assert sum(f"**`{outcome}`**" in line for line in blocks["plain-words"].splitlines()) == 1
    text = "\n".join(blocks.values())
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), text
    assert not re.search(r"\bNone\b|[{}]", text), text  # no missing value, no unfilled format


def test_stores_at_different_defaults_are_said_so(script, blocks):
    settings = blocks["settings"]
    assert "**The Morris and Sobol stores ran at different defaults**" in settings
    one_line = settings.replace("\n", " ")
    defaults = compose([]).rules  # the Morris store ran at today's defaults
    worth, lag = float(defaults.dissolution.worth_exchange), float(defaults.improvement.lag_years)
    assert f"`rules.dissolution.worth_exchange` {script.value(worth)} (Morris) vs 1 (Sobol)" \
        in one_line
    assert "**The Morris and Sobol stores screened different ranges**: " \
        f"`rules.improvement.lag_years` {script.value([0.5 * lag, 1.5 * lag])} (Morris) " \
        "vs [0.6, 1.8] (Sobol)" in one_line
    assert "**The Sobol store differs from" in settings
    assert "**The Morris store differs" not in settings  # it ran the file as it is now
    assert "**The Morris and Sobol stores were made at different commits" not in settings


def test_a_store_matching_the_file_now_is_said_to_match(script, stores):
    experiment = stores / "tiny.yaml"
    morris = script.read_store(stores / "morris", "morris", experiment)
    sentences = script.consistency(morris, morris, script.read_now(experiment), experiment)
    assert len(sentences) == 1 and sentences[0].startswith("Both stores were made at the same")


def test_rewriting_is_idempotent_and_keeps_the_text_outside_the_markers(script, stores, tmp_path,
                                                                        capsys):
    doc = tmp_path / "sensitivity.md"
    original = DOC.read_text()
    doc.write_text(original)
    assert script.main(arguments(stores, doc)) == 0
    once = doc.read_text()
    assert script.main(arguments(stores, doc)) == 0
    assert doc.read_text() == once

    assert (outside_blocks(once, script.BLOCKS.values())
            == outside_blocks(original, script.BLOCKS.values()))
    assert once != original


@pytest.mark.parametrize(("store", "named"), [
    ("morris", ["morris_points.csv", "`python -m sim.sensitivity "]),
    ("sobol", ["sobol_points.csv", "--method sobol`"]),
])
def test_a_missing_store_is_one_line_naming_the_file_and_the_command(
        script, stores, tmp_path, capsys, store, named):
    doc = tmp_path / "sensitivity.md"
    doc.write_text(DOC.read_text())
    args = arguments(stores, doc)
    args[args.index(f"--{store}") + 1] = str(tmp_path / "not_run")
    assert script.main(args) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and all(word in error for word in named), error
    assert doc.read_text() == DOC.read_text()


def test_the_page_has_every_marker_and_a_page_without_them_is_refused(script, stores, tmp_path,
                                                                      capsys):
    script.check_markers(DOC.read_text())
    doc = tmp_path / "sensitivity.md"
    doc.write_text("# no markers here\n")
    assert script.main(arguments(stores, doc)) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "sensitivity-tables settings" in error
    assert doc.read_text() == "# no markers here\n"
