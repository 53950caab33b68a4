"""Tiny experiments for the sweep tests: a small region, few seeds and years, so runs are quick."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import yaml

from sim.experiments.design import Execution, Experiment
from sim.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent.parent
# Experiment files run by `python -m sim.sweep`; a sensitivity design (a `morris` section) is the
# input of `python -m sim.sensitivity`, tested with it.
EXPERIMENTS = sorted(p for p in (ROOT / "experiments").glob("*.yaml")
                     if "morris" not in yaml.safe_load(p.read_text()))
TINY = ["landscape.n_schools=40", "spinup_years=1", "steps_per_year=4"]


def tiny(experiment: Experiment, replications: int = 2, years: float = 2.0,
         backend: str = "sequential", n_jobs: int = -1) -> Experiment:
    """The same experiment on a tiny region, few replications and years."""
    keys = {o.split("=")[0] for o in TINY}
    overrides = [o for o in experiment.overrides if o.split("=")[0] not in keys] + TINY
    parameters = experiment.parameters
    if parameters is not None:
        ranges = parameters.ranges if parameters.method != "grid" else {
            key: values[:2] for key, values in parameters.ranges.items()}
        parameters = dataclasses.replace(parameters, samples=2, ranges=ranges)
    return dataclasses.replace(experiment, replications=replications, years=years,
                               overrides=overrides, parameters=parameters,
                               members=min(experiment.members, 2),
                               execution=Execution(backend=backend, n_jobs=n_jobs))


def two_scenarios(**changes) -> Experiment:
    """Baseline and pathfinder, 2 replications of 2 years on a tiny region (unless changed)."""
    experiment = tiny(Experiment(name="pair", scenarios=["baseline", "pathfinder"]))
    return dataclasses.replace(experiment, **changes)


def run_frames(store_dir: Path) -> dict[str, pd.DataFrame]:
    """Every finished run's yearly table, by run id."""
    store = Store(store_dir)
    return {run_id: store.read_runs([run_id]) for run_id in sorted(store.done_run_ids())}


def experiment_file(tmp_path: Path, name: str, replications: int = 3, backend: str = "sequential",
                    extra: str = "") -> Path:
    """A tiny experiment file for ``python -m sim.sweep``."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nscenarios: [baseline, pathfinder]\nreplications: {replications}\n"
        f"years: 2\noverrides: [{', '.join(TINY)}]\nexecution: {{backend: {backend}}}\n{extra}")
    return path
