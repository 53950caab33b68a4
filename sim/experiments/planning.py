"""The plan of a sweep: every run composed and validated before any starts, with its id and pair.

Replication *k* of every scenario and parameter point uses seed ``first_seed + k``: each policy is
compared with the baseline on the same draws (common random numbers).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import compose, validate
from sim.core.checks import ConfigError
from sim.core.settings import Settings
from sim.experiments import samplers
from sim.experiments.design import Experiment, Parameters


@dataclass
class PlannedRun:
    """One run of a sweep, composed and validated."""

    run_id: str
    scenario: str
    point: int  # index of the parameter point, -1 if the run is not varied
    seed: int
    parameters: dict[str, Any]
    overrides: list[str]
    config_hash: str
    baseline_run_id: str  # the baseline run on the same seed (and point) it is compared with
    settings: Settings
    member: int = -1  # the ensemble member (= point) of an ensemble sweep, -1 otherwise


def parameter_points(p: Parameters | None) -> list[dict[str, Any]]:
    """The parameter points to run: one dict of config key -> value per point ([] if none).

    grid: every combination of the listed values. lhs / sobol: ``samples`` points scaled to
    [low, high]; a range whose bounds are both integers gives integers.
    """
    if p is None:
        return []
    if p.method == "grid":
        return samplers.grid(p.ranges)
    keys = list(p.ranges)
    low = np.array([p.ranges[k][0] for k in keys], dtype=float)
    high = np.array([p.ranges[k][1] for k in keys], dtype=float)
    sample = samplers.latin_hypercube if p.method == "lhs" else samplers.sobol_sequence
    integer = {k: all(isinstance(v, int) for v in p.ranges[k]) for k in keys}
    return [{key: int(round(value)) if integer[key] else float(value)
             for key, value in zip(keys, row, strict=True)}
            for row in sample(p.samples, low, high, p.sampler_seed)]


def override_value(value: Any) -> str:
    """A YAML scalar as a Hydra override value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def config_hash(settings: Settings) -> str:
    """SHA-256 of the resolved config (all that decides a run's results; not output options)."""
    config = asdict(settings.config)
    config.pop("output")
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def run_name(scenario: str, point: int, seed: int, digest: str) -> str:
    """A file-system-safe run id; the config hash makes an edited experiment start afresh."""
    point_part = f"-p{point:03d}" if point >= 0 else ""
    return f"{scenario}{point_part}-s{seed:04d}-{digest[:10]}"


def plan_sweep(experiment: Experiment) -> list[PlannedRun]:
    """Compose and validate every run of the sweep; raise ``ConfigError`` on any mistake."""
    if experiment.parameter_sets == "ensemble":
        from sim.experiments.ensemble import load_members

        # Each member is a point of every scenario: a policy run pairs with the baseline run of
        # the same member and seed.
        return plan_runs(experiment, load_members(experiment.members),
                         set(experiment.all_scenarios), ensemble=True)
    points = parameter_points(experiment.parameters)
    varied = set()
    if points:
        varied = set(experiment.parameters.scenarios or experiment.all_scenarios)
    return plan_runs(experiment, points, varied)


def plan_runs(experiment: Experiment, points: list[dict[str, Any]], varied: set[str],
              ensemble: bool = False) -> list[PlannedRun]:
    """Every run: each scenario (at each point if it is in ``varied``) x seed, composed and
    validated. The one planner of sweeps and sensitivity analyses.

    Each scenario is composed once (Hydra); a point's values are set on that config, as the
    override ``key=value`` would, and validated: much faster than composing every point.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    seeds = range(experiment.first_seed, experiment.first_seed + experiment.replications)
    # The store keeps yearly tables, so runs record the time series at whole years only.
    common = [f"landscape={experiment.landscape}", f"years={experiment.years!r}",
              "output.timeseries=year", *experiment.overrides]
    runs: list[PlannedRun] = []
    run_ids: dict[tuple[str, int, int], str] = {}  # (scenario, point, seed) -> run_id
    for scenario in experiment.all_scenarios:  # the baseline first, so its runs exist to pair with
        scenario_cfg = compose_scenario([f"scenario={scenario}", *common], scenario)
        scenario_points = list(enumerate(points)) if scenario in varied else [(-1, {})]
        baseline_point = -1 if experiment.baseline not in varied else None
        for point, values in scenario_points:
            where = f"scenario '{scenario}'" + (f", parameter point {point}" if point >= 0 else "")
            cfg = scenario_cfg.copy()
            try:
                for key, value in values.items():
                    OmegaConf.update(cfg, key, value, merge=False)
                point_settings = validate(cfg)
            except OmegaConfBaseException as error:
                raise ConfigError(f"{where}: config key '{error.full_key}': "
                                  f"{str(error).splitlines()[0]}") from None
            except ConfigError as error:
                raise ConfigError(f"{where}: {error}") from None
            overrides = [f"scenario={scenario}", *common,
                         *(f"{key}={override_value(v)}" for key, v in values.items())]
            for seed in seeds:
                # Only the seed differs: the landscape and rules validated above still hold.
                settings = dataclasses.replace(
                    point_settings, config=dataclasses.replace(point_settings.config, seed=seed))
                digest = config_hash(settings)
                run_id = run_name(scenario, point, seed, digest)
                run_ids[(scenario, point, seed)] = run_id
                pair = (experiment.baseline, point if baseline_point is None else -1, seed)
                runs.append(PlannedRun(
                    run_id=run_id, scenario=scenario, point=point, seed=seed, parameters=values,
                    overrides=overrides, config_hash=digest, baseline_run_id=run_ids[pair],
                    settings=settings, member=point if ensemble else -1))
    return runs


def compose_scenario(overrides: list[str], scenario: str):
    """``compose``, turning Hydra's errors into one ``ConfigError`` line."""
    from hydra.errors import HydraException

    try:
        return compose(overrides)
    except HydraException as error:
        first_lines = " ".join(str(error).splitlines()[:2])
        raise ConfigError(f"scenario '{scenario}': {first_lines} "
                          f"(overrides: {' '.join(overrides)})") from None


def plan_table(runs: list[PlannedRun]) -> pd.DataFrame:
    """The plan as a table, one row per run, parameter values as columns ``param:<key>``."""
    rows = []
    for r in runs:
        row = {"run_id": r.run_id, "scenario": r.scenario, "point": r.point, "member": r.member,
               "seed": r.seed,
               "baseline_run_id": r.baseline_run_id, "config_hash": r.config_hash,
               "overrides": " ".join(r.overrides),
               "years": r.settings.config.years,
               "steps_per_year": r.settings.config.steps_per_year}
        row.update({f"param:{key}": value for key, value in r.parameters.items()})
        rows.append(row)
    return pd.DataFrame(rows)
