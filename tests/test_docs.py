"""The model description stays true to the code: every rule parameter is in docs/ODD.md with the
default the code uses."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hydra.utils import get_class

from sim.configgen import DEFAULT_RULES

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
SECTION = re.compile(r"^###\s.*\(`(sim/rules/\w+\.py)`")
ROW = re.compile(r"^\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|")


def documented_defaults() -> dict[str, dict[str, str]]:
    """Per rule module, the parameter table rows of its ODD section: name -> default text."""
    tables: dict[str, dict[str, str]] = {}
    module = None
    for line in ODD.read_text().splitlines():
        if line.startswith("#"):
            match = SECTION.match(line)
            module = match.group(1) if match else None
            continue
        row = ROW.match(line)
        if module and row:
            tables.setdefault(module, {})[row.group(1)] = row.group(2)
    return tables


@pytest.mark.parametrize("name", sorted(DEFAULT_RULES))
def test_every_rule_parameter_is_documented_with_its_default(name):
    cls = get_class(DEFAULT_RULES[name])
    module = "sim/rules/" + cls.__module__.rsplit(".", 1)[1] + ".py"
    table = documented_defaults().get(module, {})
    for field in dataclasses.fields(cls.Params):
        assert field.name in table, f"{field.name} of {cls.__name__} missing from docs/ODD.md"
        text = table[field.name].replace(",", "").replace("£", "").replace("−", "-")
        assert float(text) == pytest.approx(float(field.default)), (
            f"docs/ODD.md says {cls.__name__}.{field.name} = {table[field.name]}, "
            f"the code says {field.default}")
