"""docs/ODD.md section 3.2 is what the default rules declare (python -m sim.config.generate)."""

from __future__ import annotations

from sim.config.generate import DEFAULT_RULES
from sim.config.process_overview import ODD, odd_text, overview
from sim.rules.need import Need


def test_the_odds_process_overview_is_what_the_rules_declare():
    assert ODD.read_text() == odd_text(DEFAULT_RULES), \
        "docs/ODD.md section 3.2 is stale: run python -m sim.config.generate"


def test_the_overview_follows_a_changed_declaration(monkeypatch):
    before = overview(DEFAULT_RULES)
    monkeypatch.setattr(Need, "writes", (*Need.writes, "schools.pressure"))
    after = overview(DEFAULT_RULES)
    assert "| `Need` |" in after and after != before
    need_row = next(line for line in after.splitlines() if line.startswith("| `Need` |"))
    assert need_row.endswith("schools: `perceived_outcome`, `need`, `pressure` |")


def test_rules_appear_in_step_order_with_their_config_key():
    rows = [line for line in overview(DEFAULT_RULES).splitlines()
            if line.startswith("| ") and line[2].isdigit()]
    assert [row.split(" | ")[1] for row in rows] == [
        "staffing", "accountability", "trusts", "trusts", "executive_headship", "need", "formation",
        "formation", "running", "dissolution", "improvement"]
    assert "`funding` → `FundedProgramme` (provides funding_programme)" in rows[7]
