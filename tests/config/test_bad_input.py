"""Bad input never runs: every mistake is refused before work starts, in one line naming the key,
with exit code 2 and nothing written; a run that goes non-finite stops with one line, exit 1."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from omegaconf import open_dict

from conftest import build
from sim.config import compose, memory_needed, validate
from sim.config.command_line import check_command_line
from sim.core.checks import ConfigError
from sim.core.guards import NonFiniteError, check_finite_state
from sim.core.partnerships import ACTIVE
from sim.rules.funding import FundedProgramme
from sim.storage.files import write_atomic

ROOT = Path(__file__).resolve().parents[2]
SMALL = ("landscape.n_schools=60", "years=2", "spinup_years=5")


def run_cli(cwd: Path, *args: str, pythonpath: str = "") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), pythonpath]))
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


# (command line, the key the one line must name); run from an empty folder with SMALL added.
REFUSED = [
    (["accountability.stake=0.9"], "accountability.stake"),
    (["+accountability.stake=0.9"], "accountability.stake"),
    (["+yeras=20"], "yeras"),
    (["seed=100000000000000000000000"], "seed"),
    (["name=" + "a" * 300], "name"),
    (["+foo=1"], "foo"),
    (["+funding.foo=1"], "funding.foo"),
    (["funding.programme=anything"], "funding.programme"),
    (["accountability.regime=anything"], "accountability.regime"),
    (["scenario=pathfinder", "~rules/funding"], "rules.funding"),
    (["scenario=pathfinder", "~rules/running"], "rules.running"),
    (["executive_headship=programme", "~rules/executive_headship"], "rules.executive_headship"),
    (["rules.running.learn_rate_per_year=inf"], "rules.running.learn_rate_per_year"),
    (["rules.improvement.months_per_talent=1e308"], "rules.improvement.months_per_talent"),
    (["years=0.01"], "years"),
    (["funding.amount_secondary_gbp=inf"], "funding.amount_secondary_gbp"),
    (["landscape.n_schools=1000000000"], "landscape.n_schools"),
    (["landscape.schools_per_town=1e-9"], "landscape.schools_per_town"),
    (["years=abc"], "years"),
    (["foo=1"], "foo"),
    (["scenario=pathfinderr"], "scenario"),
    (["seed=1,2"], "seed"),
    (["-m", "seed=1,2", "years=abc"], "years"),
    (["rules.formation._target_=os.system"], "rules.formation._target_"),
    (["+hydra.callbacks.spy._target_=os.getcwd"], "hydra.callbacks.spy._target_"),
    (["hydra/launcher=basic"], "hydra/launcher"),
    (["name=../../../x"], "name"),
    (["name=${oc.env:HOME}"], "name"),
    (["hydra.output_subdir=../../y"], "hydra.output_subdir"),
    (["hydra.run.dir=../../z"], "hydra.run.dir"),
    (["hydra.job_logging.handlers.file.filename=/tmp/x.log"], "hydra.job_logging.handlers.file.filename"),
    (["funding=../../../../tmp/x"], "funding"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "key"), REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_bad_input_is_refused_in_one_line_before_anything_is_written(tmp_path, args, key):
    flags = [arg for arg in args if arg.startswith("-")]  # Hydra's parser wants flags first
    done = run_cli(tmp_path, *flags, *SMALL, *[arg for arg in args if arg not in flags])
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"Configuration error: config key '{key}'"), lines[0]
    assert "is not allowed" in lines[0]
    assert list(tmp_path.iterdir()) == [], "a refused run left files behind"


def test_a_run_that_goes_non_finite_stops_in_one_line(tmp_path):
    (tmp_path / "nan_rule.py").write_text(
        "import numpy as np\nfrom sim.rules import Rule\n\n"
        "class Poison(Rule):\n    phase = 'improvement'\n\n"
        "    def step(self, model):\n"
        "        if model.tick >= 3:\n            model.schools.outcome[7] = np.nan\n")
    done = run_cli(tmp_path, "+rules.poison._target_=nan_rule.Poison", *SMALL,
                   "output.progress=false", "hydra.run.dir=run", pythonpath=str(tmp_path))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1 and "school attribute 'outcome' became nan" in lines[0], done.stderr
    assert not (tmp_path / "run" / "timeseries.parquet").exists()


def test_the_guard_names_the_first_non_finite_quantity():
    model = build("landscape.n_schools=40", "years=3", "spinup_years=3")
    model.run()  # some partnerships end after time 0 (the spin-up's ended ones are dropped)
    check_finite_state(model)  # a healthy model passes; below, corruption is injected directly
    model.partnerships._cols["ended_at"][: model.partnerships.size] = np.nan  # NaN means "not yet"
    check_finite_state(model)
    model.partnerships._cols["spent_gbp"][:2] = 1e308  # finite, though their sum overflows
    check_finite_state(model)
    model.partnerships._cols["spent_gbp"][0] = np.inf
    with pytest.raises(NonFiniteError, match="partnership column 'spent_gbp' became inf"):
        check_finite_state(model)
    model.partnerships._cols["spent_gbp"][0] = 0.0
    model.schools.ties[3, 2] = np.nan
    check_finite_state(model, full=False)  # within a year, a step leaves the ties table alone
    with pytest.raises(NonFiniteError, match="school attribute 'ties' became nan by year"):
        check_finite_state(model)
    model.schools.ties[3, 2] = 0.0
    pt = model.partnerships
    ended = np.flatnonzero(pt.end_reason != ACTIVE)
    assert len(ended) and len(pt.active_ids())
    pt._cols["strength"][ended[0]] = np.nan  # an ended partnership's row: history
    check_finite_state(model, full=False)
    with pytest.raises(NonFiniteError, match="partnership column 'strength' became nan by year"):
        check_finite_state(model)
    pt._cols["strength"][ended[0]] = 0.0
    pt._cols["strength"][pt.active_ids()[0]] = np.nan  # a running one's: every step
    with pytest.raises(NonFiniteError, match="'strength' became nan in the step to year"):
        check_finite_state(model, full=False)


def test_a_run_finds_a_non_finite_tie_at_the_end_of_the_year():
    model = build("landscape.n_schools=40", "years=2", "steps_per_year=4", "spinup_years=1")
    model.schools.ties[0, 0] = np.nan
    for _ in range(3):  # steps within the year check what a step changes
        model.step()
    with pytest.raises(NonFiniteError, match="'ties' became nan by year 1 "):
        model.step()


class MyProgramme(FundedProgramme):
    """A researcher's variant of the funding rule."""


def test_a_subclass_of_a_needed_rule_still_counts():
    settings = validate(compose(["scenario=pathfinder",
                                 "rules.funding._target_=test_bad_input.MyProgramme"]))
    assert dict((name, cls) for name, cls, _ in settings.rules)["funding"] is MyProgramme
    cfg = compose(["scenario=pathfinder"])
    with open_dict(cfg):
        cfg.rules.funding = {"_target_": "sim.rules.need.Need"}  # another rule under its name
    with pytest.raises(ConfigError, match="needs rules.funding switched on as a sim.rules.funding"):
        validate(cfg)


def test_a_lever_at_todays_policy_needs_no_rule():
    validate(compose(["~rules/funding", "~rules/executive_headship"]))


def test_memory_is_estimated_from_the_size_and_horizon():
    small = validate(compose(["landscape.n_schools=100", "years=5"]))
    key, value, needed = memory_needed(small)
    assert (key, value) == ("landscape.n_schools", 100)
    longer = validate(compose(["landscape.n_schools=100", "years=50"]))
    bigger = validate(compose(["landscape.n_schools=1000", "years=5"]))
    assert memory_needed(longer)[2] > needed and memory_needed(bigger)[2] == pytest.approx(10 * needed, rel=1e-6)
    assert memory_needed(validate(compose(["landscape=england", "landscape.scale=0.1"])))[0] == "landscape.scale"


@pytest.mark.parametrize("overrides", [
    ["landscape.n_schools=500", "years=20"],  # docs/sweeps.md's example size
    ["landscape=region", "landscape.preset=coastal", "landscape.n_schools=800"],
    ["landscape=england", "landscape.scale=0.1"],
])
def test_documented_command_lines_pass(overrides):
    check_command_line(overrides)


def test_a_multirun_is_checked_job_by_job():
    check_command_line(["seed=1,2", "years=1,2"], multirun=True)
    with pytest.raises(ConfigError, match="'years' = 0.01"):
        check_command_line(["seed=1,2", "years=1,0.01"], multirun=True)


def test_files_follow_the_umask(tmp_path):
    path = tmp_path / "out.txt"
    write_atomic(path, lambda tmp: Path(tmp).write_text("x"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
