"""The model description stays true to the code: every rule parameter is in docs/ODD.md with the
default runs use (the Params default, or the calibrated value where sim/experiments/calibration.py fitted
one), and calibrated parameters say so and give the assumption they replace."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hydra.utils import get_class

from sim.config.generate import DEFAULT_RULES, calibrated, rule_defaults

ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
SECTION = re.compile(r"^###\s.*\(`(sim/rules/\w+\.py)`")
ROW = re.compile(r"^\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|")


def documented_rows(module_path: str) -> dict[str, str]:
    """The parameter table rows of a rule module's ODD section: name -> whole row."""
    rows: dict[str, str] = {}
    module = None
    for line in ODD.read_text().splitlines():
        if line.startswith("#"):
            match = SECTION.match(line)
            module = match.group(1) if match else None
            continue
        if module == module_path and ROW.match(line):
            rows[ROW.match(line).group(1)] = line
    return rows


def number(text: str) -> float:
    return float(text.replace(",", "").replace("£", "").replace("−", "-"))


@pytest.mark.parametrize("name", sorted(DEFAULT_RULES))
def test_every_rule_parameter_is_documented_with_its_default(name):
    cls = get_class(DEFAULT_RULES[name])
    module = "sim/rules/" + cls.__module__.rsplit(".", 1)[1] + ".py"
    rows = documented_rows(module)
    defaults = rule_defaults(name)
    fitted = calibrated().get(name, {})
    for field in dataclasses.fields(cls.Params):
        assert field.name in rows, f"{field.name} of {cls.__name__} missing from docs/ODD.md"
        text = ROW.match(rows[field.name]).group(2)
        assert number(text) == pytest.approx(float(defaults[field.name])), (
            f"docs/ODD.md says {cls.__name__}.{field.name} = {text}, "
            f"runs use {defaults[field.name]}")
        if field.name in fitted:  # "calibrated (assumption: <Params default>)" in the row
            match = re.search(r"calibrated[^|]*?assumption:?\s*([-−0-9.,]+)", rows[field.name])
            assert match, f"docs/ODD.md: mark {cls.__name__}.{field.name} as calibrated"
            assert number(match.group(1).rstrip(".,")) == pytest.approx(float(field.default)), (
                f"docs/ODD.md gives the wrong assumption for {cls.__name__}.{field.name}")
