"""The command line: `python -m sim` writes the promised files; a user's mistake gets one line."""

from __future__ import annotations

import json
import os
import re
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
    # A policy run saves its counterfactual (today's policy, same seed) beside it.
    counterfactual = json.loads((tmp_path / "counterfactual" / "run.json").read_text())
    assert counterfactual["seed"] == 5 and counterfactual["config"]["funding"]["programme"] == "none"
    cf_ts = pd.read_parquet(tmp_path / "counterfactual" / "timeseries.parquet")
    assert (cf_ts.time_years == ts.time_years).all()
    cf_partnerships = pd.read_parquet(tmp_path / "counterfactual" / "partnerships.parquet")

    def programme_funded(table):  # funded partnerships other than RISE's (today's policy)
        return int(((table.funding_gbp > 0) & (table.origin != "rise")).sum())

    assert programme_funded(cf_partnerships) == 0 and programme_funded(partnerships) > 0
    assert "policy − counterfactual" in done.stdout


def test_counts_print_as_whole_numbers_and_months_with_two_decimals(tmp_path):
    done = run_cli("landscape.n_schools=80", "years=3", "spinup_years=2", "seed=5",
                   "scenario=pathfinder", f"hydra.run.dir={tmp_path}", "output.plot=false")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    counts = [line for line in lines if line.strip().startswith((
        "Active partnerships", "Schools in a partnership", "Executive heads",
        "Partnerships formed", "Money spent"))]
    assert len(counts) == 5, done.stdout
    for line in counts:  # the labels hold no digits: every number on the line is a value
        numbers = re.findall(r"-?\d[\d,]*(?:\.\d+)?", line)
        assert numbers and all("." not in n for n in numbers), line
    months = next(line for line in lines if "Disadvantage gap" in line)
    assert all(re.fullmatch(r"-?\d+\.\d\d", n) for n in months.split(")")[1].split()), months
    assert "-0.00" not in done.stdout


def test_a_baseline_run_has_no_counterfactual_and_the_switch_turns_it_off(tmp_path):
    done = run_cli("landscape.n_schools=80", "years=2", "spinup_years=2", "output.plot=false",
                   f"hydra.run.dir={tmp_path / 'baseline'}")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "baseline" / "counterfactual").exists()
    assert "counterfactual" not in done.stdout
    done = run_cli("landscape.n_schools=80", "years=2", "spinup_years=2", "output.plot=false",
                   "scenario=pathfinder", "output.counterfactual=false",
                   f"hydra.run.dir={tmp_path / 'off'}")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "off" / "timeseries.parquet").exists()
    assert not (tmp_path / "off" / "counterfactual").exists()


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
