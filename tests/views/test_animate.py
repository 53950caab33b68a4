"""The animation for slides (sim/animate.py): counterfactual difference, kinds over time, the file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim.config import compose, validate
from sim.running import simulate
from sim.views.animate import animate, difference_from_counterfactual, kinds_at, main

TINY = ("landscape.n_schools=80", "spinup_years=2", "years=4", "seed=5")


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory):
    """A saved pathfinder run (policy years 2-5) and its saved counterfactual on the same seed."""
    root = tmp_path_factory.mktemp("runs")
    dirs = {}
    for scenario in ("pathfinder", "baseline"):
        result = simulate(validate(compose([*TINY, f"scenario={scenario}"])))
        dirs[scenario] = result.save(root / scenario)
    return dirs


def test_rerun_counterfactual_matches_the_saved_one_and_is_zero_until_the_policy(run_dirs):
    rerun = difference_from_counterfactual(run_dirs["pathfinder"])
    saved = difference_from_counterfactual(run_dirs["pathfinder"], run_dirs["baseline"])
    pd.testing.assert_frame_equal(rerun, saved)
    before = rerun.time_years < 2
    assert (rerun.loc[before, ["outcome_difference", "gap_difference"]] == 0).all().all()
    # The flag marks the steps run under the policy: those ending after year 2.
    after = rerun.time_years > 2 + 1e-9
    assert not rerun.policy_on[~after].any() and rerun.policy_on[after].all()
    assert (rerun.outcome_difference[rerun.time_years > 2.5] != 0).any()


def test_a_counterfactual_saved_in_the_run_directory_is_used_instead_of_a_rerun(run_dirs, tmp_path):
    import shutil

    run_dir = shutil.copytree(run_dirs["pathfinder"], tmp_path / "run")
    shutil.copytree(run_dirs["baseline"], run_dir / "counterfactual")
    saved = pd.read_parquet(run_dir / "counterfactual" / "timeseries.parquet")
    saved["mean_outcome"] += 1.0  # a marker: a re-run could not produce this
    saved.to_parquet(run_dir / "counterfactual" / "timeseries.parquet")
    difference = difference_from_counterfactual(run_dir)
    assert np.allclose(difference.outcome_difference[difference.time_years < 2], -1.0)


def test_animation_has_one_frame_per_year(run_dirs, tmp_path):
    out = animate(run_dirs["pathfinder"], tmp_path / "talk.gif", run_dirs["baseline"], fps=4)
    with Image.open(out) as gif:
        assert gif.n_frames == 5  # years 0..4
        assert gif.size == (1200, 560)
        first = np.asarray(gif.convert("RGB"))
        gif.seek(4)
        last = np.asarray(gif.convert("RGB"))
    assert (first != last).any()


def test_command_line(run_dirs, tmp_path, capsys):
    out = tmp_path / "anim.gif"
    assert main([str(run_dirs["pathfinder"]), "--baseline", str(run_dirs["baseline"]),
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 0 and str(out) in capsys.readouterr().out
    assert main([str(tmp_path), "--out", str(out)]) == 2  # not a run directory
    assert "no run.json" in capsys.readouterr().err
    assert main([str(run_dirs["pathfinder"]), "--baseline", str(run_dirs["baseline"]),
                 "--out", str(tmp_path / "anim.avi")]) == 2
    assert "use .gif or .mp4" in capsys.readouterr().err


def test_kinds_over_time_follow_the_funding_award():
    table = pd.DataFrame({
        "kind": ["informal", "federation", "funded", "informal"],
        "funding_gbp": [30_000.0, 0.0, 30_000.0, 0.0],
        "funded_until": [3.5, np.nan, 4.0, np.nan],
    })
    # An award of 1.5 years: the first is funded in [2, 3.5), the third in [2.5, 4.0).
    assert kinds_at(table, 1.9, 1.5).tolist() == ["informal", "federation", "informal", "informal"]
    assert kinds_at(table, 3.0, 1.5).tolist() == ["funded", "federation", "funded", "informal"]
    assert kinds_at(table, 3.6, 1.5).tolist() == ["informal", "federation", "funded", "informal"]


def test_policy_periods_run_from_the_start_of_the_first_step_under_the_policy():
    """Row i flags the step ending at time i; a policy in force from year 1 to year 3 (quarterly
    steps) shades [1, 3], and a policy in force from time 0 starts at 0."""
    from sim.views.plots import policy_periods

    t = np.arange(0, 5.25, 0.25)
    in_force = (t > 1 + 1e-9) & (t < 3 + 1e-9)
    assert policy_periods(t, in_force) == [(1.0, 3.0, 12)]
    from_start = t < 2 + 1e-9
    assert policy_periods(t, from_start) == [(0.0, 2.0, 8)]
    assert policy_periods(t, np.zeros_like(t, dtype=bool)) == []
