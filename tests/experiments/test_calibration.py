"""sim/experiments/calibration.py: a tiny calibration runs end to end, its fitted file applies, and the
committed fitted values are the defaults every run uses."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim.config import compose, validate
from sim.core.paths import CONF_DIR


@pytest.fixture(scope="module")
def calibrate():
    import sim.experiments.calibration as module

    return module


@pytest.fixture(scope="module")
def tiny_run(calibrate, tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration")
    code = calibrate.main(["--evaluations", "3", "--seeds", "1", "--n-schools", "40",
                           "--holdout-seeds", "1", "--finalists", "1",
                           "--years", "4", "--spinup-years", "2", "--steps-per-year", "4",
                           "--out", str(out), "--fitted", str(out / "fitted.yaml"),
                           "--figures", str(out / "figures")])
    assert code == 0
    return out


def test_tiny_calibration_writes_its_results(calibrate, tiny_run):
    evaluations = pd.read_csv(tiny_run / "evaluations.csv")
    assert len(evaluations) == 3
    assert evaluations.objective.map(math.isfinite).all()
    summary = json.loads((tiny_run / "summary.json").read_text())
    # stage 3: the defaults and the best finalist on a fresh seed; the better there wins
    holdout = summary["holdout"]
    assert holdout["seeds"] == [1000]
    finalists = holdout["finalists"]
    assert len(finalists) == 2
    assert finalists[1]["objective_search"] == evaluations.objective.iloc[1:].min()
    assert holdout["best"]["objective"] == min(f["objective_holdout"] for f in finalists)
    assert holdout["best"]["objective"] <= holdout["default"]["objective"]
    targets = pd.read_csv(tiny_run / "targets.csv")
    assert set(targets.target) == set(calibrate.TARGETS) | {"OBJECTIVE"}
    for name in ("calibration_targets", "calibration_gain_timing", "calibration_search"):
        assert (tiny_run / "figures" / f"{name}.png").stat().st_size > 0


def test_the_first_evaluation_is_the_current_defaults(calibrate, tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    defaults = compose([])
    for key, value in summary["default"]["values"].items():
        assert value == pytest.approx(float(OmegaConf.select(defaults, key)))


def test_fitted_values_apply_as_overrides(calibrate, tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    overrides = calibrate.fitted_overrides(tiny_run / "fitted.yaml")
    assert len(overrides) == len(calibrate.FREE)
    settings = validate(compose(overrides))
    rules = {name: params for name, _, params in settings.rules}
    for key, value in summary["best"]["values"].items():
        _, rule, param = key.split(".")
        assert getattr(rules[rule], param) == pytest.approx(value, rel=1e-2)


def test_the_default_config_carries_the_committed_fitted_values(calibrate):
    path = CONF_DIR / "calibration" / "fitted.yaml"
    assert path.read_text().startswith("# @package _global_")
    overrides = calibrate.fitted_overrides(path)
    assert {o.split("=")[0] for o in overrides} == set(calibrate.FREE)
    for extra in ([], ["+calibration=fitted"], ["scenario=pathfinder"]):
        rules = {name: params for name, _, params in validate(compose(extra)).rules}
        for override in overrides:
            key, value = override.split("=")
            _, rule, param = key.split(".")
            assert getattr(rules[rule], param) == pytest.approx(float(value)), (extra, key)


def test_calibration_none_runs_the_uncalibrated_assumptions(calibrate):
    rules = {name: (cls, params) for name, cls, params in
             validate(compose(["+calibration=none"])).rules}
    for key in calibrate.FREE:
        _, rule, param = key.split(".")
        cls, params = rules[rule]
        assert getattr(params, param) == getattr(cls.Params(), param), key


def test_a_written_option_changes_the_rules_it_names(calibrate, tmp_path):
    values = {"rules.accountability.inspection_noise_sd": 0.61, "rules.improvement.lag_years": 1.3}
    calibrate.write_fitted(tmp_path / "calibration" / "probe.yaml", values, {"note": "test"})
    settings = validate(compose([f"hydra.searchpath=[file://{tmp_path}]", "+calibration=probe"]))
    rules = {name: params for name, _, params in settings.rules}
    assert rules["accountability"].inspection_noise_sd == 0.61
    assert rules["improvement"].lag_years == 1.3
    defaults = {name: params for name, _, params in validate(compose([])).rules}
    assert defaults["improvement"].lag_years != 1.3  # without the option: the defaults
    assert rules["running"] == defaults["running"]  # rules it does not name are untouched


def test_objective_is_a_weighted_sum_of_squared_relative_errors(calibrate):
    point = calibrate.Target(0.5, 0.5, 2.0, "share", "test", floor=0.1)
    assert point.error(0.6) == pytest.approx(0.2)
    small = calibrate.Target(0.02, 0.02, 1.0, "share", "test", floor=0.1)
    assert small.error(0.05) == pytest.approx(0.3)  # floored scale
    band = calibrate.Target(2.0, 4.0, 1.0, "years", "test")
    assert band.error(3.0) == 0.0
    assert band.error(6.0) == pytest.approx(2.0 / 3.0)
    assert band.error(float("nan")) == 10.0


def test_gain_delay_is_the_first_lasting_positive_year(calibrate):
    curve = pd.Series({0: 0.0, 1: -0.2, 2: 0.1, 3: -0.1, 4: 0.2, 5: 0.3})
    assert calibrate.gain_delay(curve) == 4.0
    assert calibrate.gain_delay(pd.Series({0: 0.0, 1: -0.1})) == calibrate.NO_GAIN_DELAY


def test_replot_redraws_the_figures_from_the_saved_results(calibrate, tiny_run, tmp_path):
    assert calibrate.main(["--replot", "--out", str(tiny_run), "--figures", str(tmp_path)]) == 0
    assert (tmp_path / "calibration_gain_timing.png").stat().st_size > 0
