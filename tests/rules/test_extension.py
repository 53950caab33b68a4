"""The README's recipe for adding a rule works without editing the core."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
from omegaconf import open_dict

from sim.config import compose, validate
from sim.rules import Rule
from sim.running import simulate

ROOT = Path(__file__).resolve().parents[2]

RULE = textwrap.dedent('''
    from dataclasses import dataclass
    from sim.rules import Rule

    class ExtraTurnover(Rule):
        """Teachers in high-FSM schools leave more (an example)."""
        phase = "staffing"
        reads = ("schools.fsm", "schools.talent")
        writes = ("schools.talent",)

        @dataclass
        class Params:
            extra_loss_per_year: float = 0.02  # assumption

        def step(self, model):
            s = model.schools
            s.talent -= self.p.extra_loss_per_year * s.fsm * model.dt
''')


def run(tmp_path: Path, out: str, *args: str) -> pd.DataFrame:
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "sim", "landscape.n_schools=60", "years=2", "spinup_years=0",
         "output.plot=false", f"hydra.run.dir={tmp_path / out}", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return pd.read_parquet(tmp_path / out / "timeseries.parquet")


def test_a_new_rule_is_a_module_plus_a_line_of_config(tmp_path):
    assert RULE.strip() in (ROOT / "README.md").read_text(), "README's example differs from RULE"
    (tmp_path / "my_rules.py").write_text(RULE)
    config = tmp_path / "my_conf" / "rules" / "extra_turnover"
    config.mkdir(parents=True)
    (config / "default.yaml").write_text("_target_: my_rules.ExtraTurnover\nextra_loss_per_year: 0.02\n")
    plain = run(tmp_path, "plain")
    extended = run(tmp_path, "extended", f"hydra.searchpath=[file://{tmp_path / 'my_conf'}]",
                   "+rules/extra_turnover=default", "rules.extra_turnover.extra_loss_per_year=0.5")
    assert extended.mean_talent.iloc[-1] < plain.mean_talent.iloc[-1] - 0.01


class CountingRule(Rule):
    """Counts its own steps and reports the count as a time-series column."""

    phase = "improvement"

    def setup(self, model):
        self.steps_seen = 0

    def step(self, model):
        self.steps_seen += 1

    def report(self, model):
        return {"steps_seen": self.steps_seen}


def test_a_rule_can_add_its_own_time_series_column():
    cfg = compose(["landscape.n_schools=40", "years=1", "spinup_years=0"])
    with open_dict(cfg):
        cfg.rules.counter = {"_target_": "test_extension.CountingRule"}
    ts = simulate(validate(cfg)).timeseries
    assert ts.steps_seen.tolist() == list(range(len(ts)))

