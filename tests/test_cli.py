"""The command line: `python -m sim` writes the promised files; a user's mistake gets one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    env.pop("HYDRA_FULL_ERROR")
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)


def test_a_run_writes_tables_metadata_and_figure(tmp_path):
    done = run_cli("landscape.n_schools=80", "years=3", "spinup_years=2", "seed=5",
                   "scenario=pathfinder", f"hydra.run.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    for name in ("timeseries.parquet", "schools.parquet", "partnerships.parquet",
                 "memberships.parquet", "run.json", "summary.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert len(ts) == 3 * 12 + 1 and ts.time_years.iloc[-1] == pytest.approx(3.0)
    schools = pd.read_parquet(tmp_path / "schools.parquet")
    assert sorted(schools.year.unique()) == [0, 1, 2, 3] and schools.school_id.nunique() == 80
    partnerships = pd.read_parquet(tmp_path / "partnerships.parquet")
    assert {"members", "kind", "formed_at", "ended_at", "end_reason", "funding_gbp"} <= set(partnerships)
    memberships = pd.read_parquet(tmp_path / "memberships.parquet")
    assert set(memberships.partnership_id) == set(partnerships.partnership_id)
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["seed"] == 5 and meta["config"]["funding"]["programme"] == "pathfinder"
    assert meta["packages"]["mesa"].startswith("3.") and meta["wall_time_s"] > 0
    assert "Disadvantage gap" in done.stdout and "Partnerships formed" in done.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["accountability.stakes=1.5"], "'accountability.stakes' = 1.5 is not allowed: a share between 0 and 1"),
    (["landscape.n_schools=0"], "'landscape.n_schools' = 0 is not allowed"),
    (["colour=blue"], "config key 'colour' = 'blue' is not allowed: a key of the run config"),
    (["seed=abc"], "config key 'seed' = 'abc' is not allowed: an integer"),
])
def test_a_mistake_gets_a_clear_message_and_no_traceback(tmp_path, args, expected):
    done = run_cli(*args, f"hydra.run.dir={tmp_path}")
    assert done.returncode == 2
    assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "timeseries.parquet").exists()


def test_hydra_information_flags_still_work():
    done = run_cli("--cfg", "job", "scenario=pathfinder")
    assert done.returncode == 0 and "name: pathfinder" in done.stdout, done.stderr
    assert run_cli("--help").returncode == 0


def test_results_that_cannot_be_written_stop_in_one_line(tmp_path):
    """A full or read-only disk is the machine's fault, not the model's: one line, exit 1."""
    (tmp_path / "timeseries.parquet").mkdir()  # a folder where the results file must go
    done = run_cli("landscape.n_schools=40", "years=1", "spinup_years=1", "output.progress=false",
                   f"hydra.run.dir={tmp_path}")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Run stopped: cannot write the results to {tmp_path}")
