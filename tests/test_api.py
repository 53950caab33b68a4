"""docs/api.md's examples run as written (in a fresh working directory), so the page and the
front door (``import sim``) cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sim
from sim.core.checks import ConfigError

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_api_page_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(API_DOC.read_text())
    assert len(blocks) >= 4
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(API_DOC), "exec"), namespace)  # noqa: S102 - our own doc
    assert (tmp_path / "outputs" / "pathfinder_small" / "timeseries.parquet").exists()
    assert (tmp_path / "results" / "tiny" / "report" / "report.html").exists()


def test_the_front_door_is_small_and_documented():
    assert sorted(sim.__all__) == ["compare", "load_results", "run_experiment", "run_scenario"]
    for name in sim.__all__:
        assert getattr(sim, name).__doc__, name
        assert f"sim.{name}" in API_DOC.read_text(), name


def test_a_mistake_is_one_line_naming_the_key():
    with pytest.raises(ConfigError, match="accountability.stakes"):
        sim.run_scenario("baseline", overrides=["accountability.stakes=1.5"])


def test_compare_pairs_each_scenario_with_the_baseline_on_the_same_seed():
    small = ["landscape.n_schools=60", "years=2", "spinup_years=2", "funding.start_year=0"]
    table = sim.compare("pathfinder", seeds=[5], overrides=small, outcomes=["cum_spend_gbp"])
    alone = sim.run_scenario("pathfinder", seed=5, overrides=small).yearly()
    base = sim.run_scenario("baseline", seed=5, overrides=small).yearly()
    assert table.value.tolist() == alone.cum_spend_gbp.tolist()
    assert table.difference.tolist() == (alone.cum_spend_gbp - base.cum_spend_gbp).tolist()
    assert table.difference.iloc[-1] > 0  # the programme spends money the baseline does not
