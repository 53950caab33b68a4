"""sim/experiments/sensitivity.py: a tiny Morris screening, and tiny Sobol indices, on the sweep store
give every index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.core.checks import ConfigError

ROOT = Path(__file__).resolve().parents[2]

TINY = {
    "name": "sensitivity_tiny",
    "scenarios": ["pathfinder"],
    "replications": 1,
    "years": 3,
    "overrides": ["landscape.n_schools=40", "spinup_years=2", "steps_per_year=4",
                  "funding.start_year=0"],
    "execution": {"backend": "sequential"},
    "morris": {"trajectories": 2, "levels": 4, "effect_years": [1, 3], "survival_years": 1,
               "ranges": {"rules.running.learn_rate_per_year": [0.25, 1.0],
                          "rules.improvement.lag_years": {"relative": 0.5},
                          "rules.formation.seek_rate_per_year": [0.05, 0.2]}},
    "sobol": {"parameters": ["rules.running.learn_rate_per_year", "rules.improvement.lag_years"],
              "base_samples": 4},
}


@pytest.fixture(scope="module")
def sensitivity():
    import sim.experiments.sensitivity as module

    return module


@pytest.fixture(scope="module")
def tiny_store(sensitivity, tmp_path_factory):
    root = tmp_path_factory.mktemp("sensitivity")
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    code = sensitivity.main([str(path), "--store", str(root / "store"), "--quiet"])
    assert code == 0
    return root / "store"


def test_morris_indices_for_every_parameter_and_outcome(tiny_store):
    indices = pd.read_csv(tiny_store / "morris_indices.csv")
    outcomes = {"effect_y1", "effect_y3", "gap_effect_y3", "gap_y3", "survival_1y"}
    assert set(indices.outcome) == outcomes
    for _, d in indices.groupby("outcome"):
        assert set(d.parameter) == set(TINY["morris"]["ranges"])
    assert np.isfinite(indices[["mu", "mu_star", "sigma"]].to_numpy()).all()
    assert (indices.mu_star >= 0).all()
    assert (tiny_store / "figures" / "sensitivity_morris.png").stat().st_size > 0


def test_runs_are_in_the_sweep_store_with_their_pairs(tiny_store):
    plan = pd.read_parquet(tiny_store / "plan.parquet")
    n_points = 2 * (3 + 1)
    assert len(plan) == n_points * 2  # baseline + pathfinder at every point, one seed
    done = {p.stem for p in (tiny_store / "runs").glob("*.parquet")}
    assert set(plan.run_id) == done
    base = plan[plan.scenario == "baseline"].set_index("point").run_id
    policy = plan[plan.scenario == "pathfinder"].set_index("point")
    assert (policy.baseline_run_id == base.loc[policy.index]).all()
    points = pd.read_csv(tiny_store / "morris_points.csv")
    assert len(points) == n_points


def test_a_second_invocation_resumes_without_running_again(sensitivity, tiny_store, capsys):
    path = tiny_store.parent / "tiny.yaml"
    assert sensitivity.main([str(path), "--store", str(tiny_store), "--quiet"]) == 0
    output = capsys.readouterr()
    assert "0 finished now" in output.out
    # The resolved ranges come first, each with its default (lag_years is relative: +-50 %).
    lag = next(line for line in output.err.splitlines() if "rules.improvement.lag_years" in line)
    default = float(lag.split("(default ")[1].rstrip(")"))
    assert f"[{0.5 * default:.4g}, {1.5 * default:.4g}]" in lag


def relative_file(tmp_path, ranges, overrides=()):
    path = tmp_path / "relative.yaml"
    path.write_text(yaml.safe_dump(dict(TINY, overrides=TINY["overrides"] + list(overrides),
                                        morris=dict(TINY["morris"], ranges=ranges))))
    return path


def test_a_relative_range_is_the_baselines_default_times_one_plus_minus_r(sensitivity, tmp_path):
    ranges = dict(TINY["morris"]["ranges"], **{"rules.running.learn_rate_per_year":
                                               {"relative": 0.25}})
    path = relative_file(tmp_path, ranges, ["rules.running.learn_rate_per_year=0.4"])
    _, morris, _, _ = sensitivity.load(path)
    assert morris.ranges["rules.running.learn_rate_per_year"] == pytest.approx([0.3, 0.5])
    assert morris.ranges["rules.formation.seek_rate_per_year"] == [0.05, 0.2]  # absolute: as given


def test_relative_ranges_give_the_same_design_as_the_numbers_they_resolve_to(
        sensitivity, tmp_path):
    relative = relative_file(tmp_path, TINY["morris"]["ranges"])
    _, morris, sobol, _ = sensitivity.load(relative)
    assert isinstance(TINY["morris"]["ranges"]["rules.improvement.lag_years"], dict)
    absolute = tmp_path / "absolute.yaml"
    absolute.write_text(yaml.safe_dump(dict(TINY, morris=dict(TINY["morris"],
                                                              ranges=morris.ranges))))
    _, same, same_sobol, _ = sensitivity.load(absolute)
    assert same.ranges == morris.ranges
    assert np.array_equal(sensitivity.design(same), sensitivity.design(morris))
    assert np.array_equal(sensitivity.sobol_design(same, same_sobol),
                          sensitivity.sobol_design(morris, sobol))


def test_the_shipped_file_gives_every_calibrated_parameter_a_relative_range():
    from sim.experiments.calibration import FREE

    ranges = yaml.safe_load((ROOT / "experiments" / "sensitivity.yaml").read_text())["morris"][
        "ranges"]
    calibrated = [key for key in ranges if key in FREE]
    assert len(calibrated) >= 6
    assert all(ranges[key] == {"relative": 0.5} for key in calibrated), ranges


@pytest.mark.parametrize(("key", "bounds", "overrides", "named"), [
    ("rules.running.learn_rate_per_year", {"relative": 1.5}, [], "between 0 and 1"),
    ("rules.running.learn_rate_per_year", {"relative": 0}, [], "between 0 and 1"),
    ("rules.running.learn_rate_per_year", {"relative": "half"}, [], "between 0 and 1"),
    ("rules.running.learn_rate_per_year", {"relative": 0.5, "around": 1}, [], "between 0 and 1"),
    ("rules.running.learn_rate_per_year", [0.5], [], "low < high"),
    ("rules.running.learn_rate_per_yer", {"relative": 0.5}, [], "is unknown"),
    ("rules.running.learn_rate_per_yer", [0.1, 0.2], [], "is unknown"),
    ("rules.running.learn_rate_per_year", {"relative": 0.5},
     ["rules.running.learn_rate_per_year=0"], "the default is 0"),
])
def test_a_bad_range_is_one_line_naming_its_key(sensitivity, tmp_path, key, bounds, overrides,
                                                named):
    path = relative_file(tmp_path, dict(TINY["morris"]["ranges"], **{key: bounds}), overrides)
    with pytest.raises(ConfigError, match=named) as error:
        sensitivity.load(path)
    message = str(error.value)
    assert message.startswith(f"experiment key 'morris.ranges.{key}'") and "\n" not in message


def test_a_mistake_is_reported_before_running(sensitivity, tmp_path):
    bad = dict(TINY, morris=dict(TINY["morris"], ranges={"funding.duration_years": [1, 2]}))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match="behavioural parameter"):
        sensitivity.load(path)


def test_the_shipped_screening_file_is_valid(sensitivity):
    experiment, morris, sobol, _ = sensitivity.load(ROOT / "experiments" / "sensitivity.yaml")
    assert len(morris.ranges) >= 8 and experiment.scenarios == ["pathfinder"]
    assert set(sobol.parameters) <= set(morris.ranges)


def test_sobol_indices_for_the_chosen_parameters_and_every_outcome(sensitivity, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(dict(TINY, replications=2)))
    store = tmp_path / "sobol_store"
    assert sensitivity.main([str(path), "--method", "sobol", "--store", str(store), "--quiet"]) == 0
    n_points = 4 * (2 + 2)  # Saltelli: N (k + 2)
    plan = pd.read_parquet(store / "plan.parquet")
    assert len(plan) == n_points * 2 * 2  # baseline + pathfinder, two seeds
    indices = pd.read_csv(store / "sobol_indices.csv")
    assert set(indices.outcome) == {"effect_y1", "effect_y3", "gap_effect_y3", "gap_y3",
                                    "survival_1y"}
    for _, d in indices.groupby("outcome"):
        assert set(d.parameter) == set(TINY["sobol"]["parameters"])
    assert np.isfinite(indices[["S1", "ST"]].to_numpy()).all()
    assert (indices.noise_share >= 0).all()  # seed noise over the variance between points (a bound)
    assert (store / "figures" / "sensitivity_sobol.png").stat().st_size > 0


def test_sobol_indices_recover_a_known_function(sensitivity):
    """On y = 4 a + b (no noise) over equal ranges, a explains 16/17 of the variance."""
    morris = sensitivity.Morris(ranges={"a": [0.0, 1.0], "b": [0.0, 1.0], "c": [0.0, 1.0]})
    sobol = sensitivity.Sobol(parameters=["a", "b"], base_samples=512)
    points = sensitivity.sobol_design(morris, sobol)
    table = pd.DataFrame({"y": 4 * points[:, 0] + points[:, 1]})
    per_seed = table.rename_axis("point")
    indices = sensitivity.analyse_sobol(morris.problem(sobol.parameters), table, per_seed)
    s1 = indices.set_index("parameter").S1
    assert s1["a"] == pytest.approx(16 / 17, abs=0.05) and s1["b"] == pytest.approx(1 / 17, abs=0.05)


def test_a_sobol_section_naming_an_unscreened_parameter_is_refused(sensitivity, tmp_path):
    bad = dict(TINY, sobol={"parameters": ["rules.staffing.cpd_gain"], "base_samples": 4})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match="sobol.parameters"):
        sensitivity.load(path)


def test_noise_floor_is_the_mu_star_of_pure_seed_noise(sensitivity):
    rng = np.random.default_rng(0)
    index = pd.MultiIndex.from_product([range(400), range(2)], names=["point", "seed"])
    per_seed = pd.DataFrame({"y": rng.normal(0.0, 1.0, len(index))}, index=index)
    floor = sensitivity.noise_floor(per_seed, levels=4)["y"]
    # means of 2 seeds differ by N(0, 1) / (2/3) per step: E|.| = sqrt(2/pi) * 1.5
    assert floor == pytest.approx(np.sqrt(2 / np.pi) * 1.5, rel=0.1)
    one_seed = per_seed.xs(0, level="seed", drop_level=False)
    assert np.isnan(sensitivity.noise_floor(one_seed, levels=4)["y"])


@pytest.mark.parametrize(("change", "named"), [
    ({"morris": None}, "'morris'"),
    ({"morris": dict(TINY["morris"], trajectoires=3)}, "'morris.trajectoires' is unknown"),
    ({"morris": dict(TINY["morris"], levels="four")}, "'morris.levels' = 'four'"),
    ({"morris": dict(TINY["morris"], levels=1)}, "'morris.levels' = 1"),
    ({"morris": dict(TINY["morris"], effect_years=[1, 30])}, "'morris.effect_years'"),
    ({"morris": dict(TINY["morris"], trajectories=10**9)}, "'morris.trajectories'"),
    ({"sobol": dict(TINY["sobol"], base_samples=6)}, "'sobol.base_samples' = 6"),
    ({"parameters": {"ranges": {"rules.running.learn_rate_per_year": [1, 2]}}}, "'parameters'"),
])
def test_sensitivity_sections_are_checked_like_every_experiment_key(
        sensitivity, tmp_path, change, named):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({key: value for key, value in dict(TINY, **change).items()
                                    if value is not None}))
    with pytest.raises(ConfigError, match=named) as error:
        sensitivity.load(path)
    assert str(error.value).startswith("experiment key '") and "\n" not in str(error.value)


def test_sensitivity_runs_are_planned_by_the_sweep_planner_and_record_yearly(sensitivity, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    experiment, morris, _, _ = sensitivity.load(path)
    runs = sensitivity.plan(experiment, list(morris.ranges), sensitivity.design(morris))
    assert all(r.settings.config.output.timeseries == "year" for r in runs)
    first = runs[0]
    assert first.settings.config.rules["running"]["learn_rate_per_year"] \
        == first.parameters["rules.running.learn_rate_per_year"]
