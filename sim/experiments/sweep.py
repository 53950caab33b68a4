"""Sweeps: scenarios x replications (x parameter points) on common random numbers, resumable.

``python -m sim.sweep experiments/<name>.yaml`` reads an experiment file (see docs/sweeps.md),
composes and validates every run before any starts, runs them on every core (joblib's loky backend;
``--backend dask|ray`` for a cluster), saves each finished run to the store as soon as it returns
(``sim.store``), skips runs already done, and writes the report (``sim.report``) at the end.

Replication *k* of every scenario and parameter point uses seed ``first_seed + k``: each policy is
compared with the baseline on the same draws. A seed's runs share one spin-up (it does not depend on
the scenario): a worker spins the model up once and forks it for each scenario.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import platform
import sys
import time
import traceback
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.config import CONF_DIR, compose, validate
from sim.core.checks import ConfigError
from sim.core.settings import Settings
from sim.running import git_commit, package_versions, simulate, spin_up
from sim.storage.store import Store

BACKENDS = ("loky", "dask", "ray", "sequential")
SAMPLING_METHODS = ("grid", "lhs", "sobol")
# Columns of a run's time series that can be outcomes (see sim.results.Recorder), plus n_pupils.
OUTCOME_COLUMNS = (
    "mean_outcome", "disadvantage_gap", "outcome_spread", "mean_talent", "mean_capacity",
    "n_partnerships", "n_informal", "n_funded", "n_federation", "new_formed", "new_dissolved",
    "n_schools_partnered", "n_executive_heads", "n_schools_executive_covered", "n_head_vacancies",
    "mean_time_away", "spend_gbp", "cum_spend_gbp", "share_outstanding", "share_good",
    "share_requires_improvement", "share_inadequate", "n_pupils",
)
# Time-series columns that count events during a step: summed over each year, not sampled.
FLOW_COLUMNS = ("new_formed", "new_dissolved", "new_left", "spend_gbp")
# Keys the experiment sets itself, so overrides and parameter ranges may not.
RESERVED_KEYS = ("seed", "years", "scenario", "name", "landscape")


# -- the experiment file -------------------------------------------------------------------------
@dataclass
class Parameters:
    """Parameter ranges to explore; every sampled point is a set of extra config overrides."""

    method: str = "grid"  # grid: every combination of listed values; lhs | sobol: samples in ranges
    samples: int = 8  # points drawn for lhs / sobol (sobol: a power of 2 is best)
    sampler_seed: int = 0  # seed of the lhs / sobol sampler (not of the simulation)
    scenarios: list[str] | None = None  # scenarios the values apply to; None: every scenario
    ranges: dict[str, Any] = field(default_factory=dict)  # key: [values] (grid) or [low, high]


@dataclass
class Execution:
    """Where runs execute: one setting moves a sweep from this machine to a cluster."""

    backend: str = "loky"  # loky (local processes) | dask | ray | sequential (in this process)
    n_jobs: int = -1  # workers for loky (-1: every core)
    address: str | None = None  # dask scheduler or ray cluster address; None: start a local one


@dataclass
class Experiment:
    """A sweep a policymaker can copy and edit (see experiments/*.yaml and docs/sweeps.md)."""

    name: str
    scenarios: list[str]
    description: str = ""
    baseline: str = "baseline"  # the counterfactual every scenario is compared with
    replications: int = 10  # seeds first_seed .. first_seed + replications - 1
    first_seed: int = 0
    years: float = 20.0  # simulated years after the spin-up
    landscape: str = "synthetic"  # a file of conf/landscape/
    overrides: list[str] = field(default_factory=list)  # Hydra overrides applied to every run
    parameters: Parameters | None = None
    outcomes: dict[str, str] = field(default_factory=lambda: {
        "mean_outcome": "higher", "disadvantage_gap": "lower", "outcome_spread": "lower",
        "n_schools_partnered": "higher", "n_head_vacancies": "lower"})  # which way is better
    store: str | None = None  # results directory; None: results/<name>
    execution: Execution = field(default_factory=Execution)

    @property
    def all_scenarios(self) -> list[str]:
        """The baseline first, then the other scenarios in the file's order."""
        return [self.baseline] + [s for s in self.scenarios if s != self.baseline]


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file; raise ``ConfigError`` naming the key on a mistake."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"experiment file {str(path)!r} not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"experiment file {str(path)!r} is not valid YAML: {error}") from None
    return experiment_from_dict(data if data is not None else {})


def experiment_from_dict(data: Any) -> Experiment:
    """Build an ``Experiment`` from a mapping, checking every key, type and value."""
    experiment = _dataclass_from_mapping(Experiment, data, prefix="")
    _check_experiment(experiment)
    return experiment


def _dataclass_from_mapping(cls: type, data: Any, prefix: str):
    where = prefix.rstrip(".") or "the experiment file"
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping of keys to values, not {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            raise ConfigError(f"experiment key '{prefix}{key}' is unknown; allowed keys: "
                              f"{', '.join(fields)}")
    missing = [name for name, f in fields.items() if name not in data
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"experiment key '{prefix}{missing[0]}' is required")
    values = {key: _typed(f"{prefix}{key}", value, fields[key].type)
              for key, value in data.items()}
    return cls(**values)


def _typed(key: str, value: Any, type_name: str) -> Any:
    """Check ``value`` against a field's annotation (a string under PEP 563)."""
    def fail(allowed: str):
        raise ConfigError(f"experiment key '{key}' = {value!r} is not allowed: {allowed}")

    if type_name.endswith("| None"):
        if value is None:
            return None
        type_name = type_name.removesuffix("| None").strip()
    if type_name == "str":
        return value if isinstance(value, str) else fail("a string")
    if type_name == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) else fail("an integer")
    if type_name == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else fail("a number")
    if type_name == "list[str]":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return value if ok else fail("a list of strings")
    if type_name == "dict[str, str]":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        return value if ok else fail("a mapping of names to strings")
    if type_name == "dict[str, Any]":
        return value if isinstance(value, dict) else fail("a mapping")
    if type_name in ("Parameters", "Execution"):
        return _dataclass_from_mapping(globals()[type_name], value, prefix=f"{key}.")
    raise TypeError(f"unsupported field type {type_name}")  # a bug here, not a user mistake


def _check_experiment(e: Experiment) -> None:
    def check(key: str, value: Any, ok: bool, allowed: str) -> None:
        if not ok:
            raise ConfigError(f"experiment key '{key}' = {value!r} is not allowed: {allowed}")

    known = sorted(p.stem for p in (CONF_DIR / "scenario").glob("*.yaml"))
    landscapes = sorted(p.stem for p in (CONF_DIR / "landscape").glob("*.yaml"))
    check("name", e.name, e.name.replace("_", "").replace("-", "").isalnum(),
          "letters, digits, '_' or '-'")
    check("scenarios", e.scenarios, len(e.scenarios) > 0, "a non-empty list of scenarios")
    for scenario in e.scenarios:
        check("scenarios", scenario, scenario in known, f"one of {known}")
    check("scenarios", e.scenarios, len(set(e.scenarios)) == len(e.scenarios),
          "each scenario once")
    check("baseline", e.baseline, e.baseline in known, f"one of {known}")
    check("replications", e.replications, e.replications >= 1, "an integer >= 1")
    check("first_seed", e.first_seed, e.first_seed >= 0, "an integer >= 0")
    check("years", e.years, 0 < e.years <= 200, "a number of years in (0, 200]")
    check("landscape", e.landscape, e.landscape in landscapes, f"one of {landscapes}")
    for override in e.overrides:
        check("overrides", override, "=" in override, "Hydra overrides 'key=value'")
        key = override.split("=", 1)[0].lstrip("+~")
        check("overrides", override, key not in RESERVED_KEYS,
              f"not one of {list(RESERVED_KEYS)} (set them with the experiment's own keys; "
              "landscape parameters as 'landscape.<param>=...')")
    for outcome, better in e.outcomes.items():
        check(f"outcomes.{outcome}", outcome, outcome in OUTCOME_COLUMNS,
              f"a time-series column: one of {list(OUTCOME_COLUMNS)}")
        check(f"outcomes.{outcome}", better, better in ("higher", "lower"),
              "'higher' or 'lower' (which way is better)")
    x = e.execution
    check("execution.backend", x.backend, x.backend in BACKENDS, f"one of {list(BACKENDS)}")
    check("execution.n_jobs", x.n_jobs, x.n_jobs != 0, "-1 (every core) or a number of workers")
    if e.parameters is not None:
        _check_parameters(e.parameters, e.all_scenarios, e.baseline, check)


def _check_parameters(p: Parameters, scenarios: list[str], baseline: str, check) -> None:
    check("parameters.method", p.method, p.method in SAMPLING_METHODS,
          f"one of {list(SAMPLING_METHODS)}")
    check("parameters.samples", p.samples, p.samples >= 1, "an integer >= 1")
    check("parameters.ranges", p.ranges, len(p.ranges) > 0, "at least one key to vary")
    for scenario in p.scenarios or []:
        check("parameters.scenarios", scenario, scenario in scenarios,
              f"one of the experiment's scenarios {scenarios}")
    if p.scenarios is not None and baseline in p.scenarios:
        check("parameters.scenarios", p.scenarios, set(p.scenarios) == set(scenarios),
              "if the baseline is varied, every scenario must be (so each has its pair)")
    for key, values in p.ranges.items():
        where = f"parameters.ranges.{key}"
        check(where, key, key.split(".")[0] not in RESERVED_KEYS,
              f"not one of {list(RESERVED_KEYS)}")
        if p.method == "grid":
            check(where, values, isinstance(values, list) and len(values) > 0
                  and all(isinstance(v, str | int | float | bool) for v in values),
                  "a non-empty list of values (method: grid)")
        else:
            numbers = isinstance(values, list) and len(values) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            check(where, values, numbers and values[0] < values[1],
                  f"[low, high] with low < high (method: {p.method})")


def parameter_points(p: Parameters | None) -> list[dict[str, Any]]:
    """The parameter points to run: one dict of config key -> value per point ([] if none).

    grid: every combination of the listed values. lhs / sobol: ``samples`` points from
    scipy.stats.qmc, scaled to [low, high]; a range whose bounds are both integers gives integers.
    """
    if p is None:
        return []
    keys = list(p.ranges)
    if p.method == "grid":
        return [dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(p.ranges[k] for k in keys))]
    from scipy.stats import qmc

    if p.method == "lhs":
        sampler = qmc.LatinHypercube(d=len(keys), seed=p.sampler_seed)
    else:
        sampler = qmc.Sobol(d=len(keys), scramble=True, seed=p.sampler_seed)
    low = np.array([p.ranges[k][0] for k in keys], dtype=float)
    high = np.array([p.ranges[k][1] for k in keys], dtype=float)
    unit = sampler.random(p.samples)
    scaled = qmc.scale(unit, low, high)
    points = []
    for row in scaled:
        point = {}
        for key, value in zip(keys, row, strict=True):
            integer = all(isinstance(v, int) for v in p.ranges[key])
            point[key] = int(round(value)) if integer else float(value)
        points.append(point)
    return points


# -- the plan ------------------------------------------------------------------------------------
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


def plan_sweep(experiment: Experiment) -> list[PlannedRun]:
    """Compose and validate every run of the sweep; raise ``ConfigError`` on any mistake."""
    points = parameter_points(experiment.parameters)
    varied = set()
    if points:
        varied = set(experiment.parameters.scenarios or experiment.all_scenarios)
    seeds = range(experiment.first_seed, experiment.first_seed + experiment.replications)
    # The store keeps yearly tables, so runs record the time series at whole years only.
    common = [f"landscape={experiment.landscape}", f"years={experiment.years!r}",
              "output.timeseries=year", *experiment.overrides]
    runs: list[PlannedRun] = []
    run_ids: dict[tuple[str, int, int], str] = {}  # (scenario, point, seed) -> run_id
    for scenario in experiment.all_scenarios:  # the baseline first, so its runs exist to pair with
        scenario_points = list(enumerate(points)) if scenario in varied else [(-1, {})]
        for point, values in scenario_points:
            overrides = [f"scenario={scenario}", *common,
                         *(f"{key}={override_value(v)}" for key, v in values.items())]
            settings = compose_and_validate(overrides, scenario, point)
            baseline_point = point if experiment.baseline in varied else -1
            for seed in seeds:
                # Only the seed differs: the landscape and rules validated above still hold.
                run_settings = dataclasses.replace(
                    settings, config=dataclasses.replace(settings.config, seed=seed))
                digest = config_hash(run_settings)
                run_id = run_name(scenario, point, seed, digest)
                run_ids[(scenario, point, seed)] = run_id
                runs.append(PlannedRun(
                    run_id=run_id, scenario=scenario, point=point, seed=seed, parameters=values,
                    overrides=overrides, config_hash=digest,
                    baseline_run_id=run_ids[(experiment.baseline, baseline_point, seed)],
                    settings=run_settings))
    return runs


def run_name(scenario: str, point: int, seed: int, digest: str) -> str:
    """A file-system-safe run id; the config hash makes an edited experiment start afresh."""
    point_part = f"-p{point:03d}" if point >= 0 else ""
    return f"{scenario}{point_part}-s{seed:04d}-{digest[:10]}"


def compose_and_validate(overrides: list[str], scenario: str, point: int) -> Settings:
    """``compose`` + ``validate``, turning Hydra's errors into one ``ConfigError`` line."""
    from hydra.errors import HydraException

    where = f"scenario '{scenario}'" + (f", parameter point {point}" if point >= 0 else "")
    try:
        return validate(compose(overrides))
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    except HydraException as error:
        first_lines = " ".join(str(error).splitlines()[:2])
        raise ConfigError(f"{where}: {first_lines} (overrides: {' '.join(overrides)})") from None


def plan_table(runs: list[PlannedRun]) -> pd.DataFrame:
    """The plan as a table, one row per run, parameter values as columns ``param:<key>``."""
    rows = []
    for r in runs:
        row = {"run_id": r.run_id, "scenario": r.scenario, "point": r.point, "seed": r.seed,
               "baseline_run_id": r.baseline_run_id, "config_hash": r.config_hash,
               "overrides": " ".join(r.overrides),
               "years": r.settings.config.years,
               "steps_per_year": r.settings.config.steps_per_year}
        row.update({f"param:{key}": value for key, value in r.parameters.items()})
        rows.append(row)
    return pd.DataFrame(rows)


# -- the workers ---------------------------------------------------------------------------------
@dataclass
class RunOutcome:
    """What a worker sends back for one run: its tables, or its error."""

    run_id: str
    yearly: pd.DataFrame | None = None
    partnerships: pd.DataFrame | None = None
    meta: dict = field(default_factory=dict)
    error: str | None = None
    compute_s: float = 0.0  # simulation time of this run, with its share of the spin-up (wall)
    cpu_s: float = 0.0  # the same in CPU time of the worker (unaffected by other processes)


def run_group(runs: list[tuple[str, Settings]]) -> list[RunOutcome]:
    """Run one seed's runs (all with the same ``spinup_key``): spin up once, fork for each."""
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        spun_up = spin_up(runs[0][1])
    except Exception:
        error = "spin-up failed:\n" + traceback.format_exc()
        return [RunOutcome(run_id, error=error) for run_id, _ in runs]
    spinup_share_s = (time.perf_counter() - start) / len(runs)
    spinup_share_cpu_s = (time.process_time() - start_cpu) / len(runs)
    outcomes = []
    for run_id, settings in runs:
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            result = simulate(settings, start_from=spun_up)
            outcome = RunOutcome(run_id, yearly=yearly_table(result.timeseries, result.schools,
                                                             settings.config.steps_per_year),
                                 partnerships=partnerships_during_run(result.partnerships),
                                 meta=result.meta)
        except Exception:
            outcome = RunOutcome(run_id, error=traceback.format_exc())
        outcome.compute_s = time.perf_counter() - started + spinup_share_s
        outcome.cpu_s = time.process_time() - started_cpu + spinup_share_cpu_s
        outcomes.append(outcome)
    return outcomes


def yearly_table(timeseries: pd.DataFrame, schools: pd.DataFrame, steps_per_year: int
                 ) -> pd.DataFrame:
    """The time series at whole years: stocks at each year's end, flows summed over the year.

    Year 0 is the state at time 0 (just after the spin-up), with no flows yet (the time series'
    first row counts the last spin-up step); ``n_pupils`` is the region's roll.
    """
    step = timeseries["step"].to_numpy()
    year_of_step = np.ceil(step / steps_per_year).astype(np.int64)  # step 12 ends year 1
    year_of_step[step <= 0] = -1  # not part of any year of the run
    at_year_end = timeseries[step % steps_per_year == 0].copy()
    at_year_end.insert(0, "year", (at_year_end["step"] // steps_per_year).astype(np.int64))
    flows = timeseries[list(FLOW_COLUMNS)].groupby(year_of_step).sum()
    at_year_end[list(FLOW_COLUMNS)] = flows.reindex(at_year_end["year"], fill_value=0).to_numpy()
    pupils = schools.groupby("year")["pupils"].sum()
    at_year_end["n_pupils"] = pupils.reindex(at_year_end["year"]).to_numpy()
    return at_year_end.drop(columns=["step", "time_years"]).reset_index(drop=True)


def partnerships_during_run(partnerships: pd.DataFrame) -> pd.DataFrame:
    """Partnerships alive at some time after time 0, without member lists (keeps files small)."""
    alive = partnerships["ended_at"].isna() | (partnerships["ended_at"] > 0)
    return partnerships.loc[alive].drop(columns=["members"]).reset_index(drop=True)


# -- the engine ----------------------------------------------------------------------------------
@dataclass
class SweepSummary:
    """Counts and timings of one invocation of a sweep."""

    store: Path
    planned: int
    skipped: int  # already done before this invocation
    finished: int
    failed: int
    wall_s: float  # running the runs (not planning nor the report)
    compute_s: float  # summed simulation time inside workers (wall)
    cpu_s: float  # the same in CPU time
    n_workers: int
    report_s: float = 0.0
    failed_ids: list[str] = field(default_factory=list)


@contextmanager
def parallel_engine(execution: Execution):
    """A joblib ``Parallel`` on the chosen backend, yielding results as they finish.

    Returns (parallel, n_workers). ``dask``: connect to ``address`` (a scheduler) or start a local
    cluster; ``ray``: ``ray.init(address)`` and joblib's ray backend.
    """
    from joblib import Parallel, effective_n_jobs, parallel_config

    if execution.backend in ("loky", "sequential"):
        n_jobs = 1 if execution.backend == "sequential" else execution.n_jobs
        yield (Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered"),
               effective_n_jobs(n_jobs))
    elif execution.backend == "dask":
        from distributed import Client, LocalCluster

        with ExitStack() as stack:
            address = execution.address or stack.enter_context(LocalCluster(
                threads_per_worker=1, processes=True, dashboard_address=None))
            client = stack.enter_context(Client(address))
            stack.enter_context(parallel_config(backend="dask"))
            n_workers = sum(client.nthreads().values())
            yield Parallel(n_jobs=-1, return_as="generator_unordered"), n_workers
    else:  # ray
        import ray
        from ray.util.joblib import register_ray

        ray.init(address=execution.address)
        register_ray()
        try:
            with parallel_config(backend="ray"):
                yield (Parallel(n_jobs=-1, return_as="generator_unordered"),
                       int(ray.cluster_resources().get("CPU", 1)))
        finally:
            ray.shutdown()


def run_sweep(experiment: Experiment, experiment_text: str = "", store_dir: str | Path | None = None,
              progress: bool = True, report: bool = True,
              runs: list[PlannedRun] | None = None) -> SweepSummary:
    """Plan (or take ``runs``, already planned), run what is not done yet, record failures, and
    write the report."""
    from joblib import delayed
    from tqdm import tqdm

    from sim.core.model import spinup_key

    if runs is None:
        runs = plan_sweep(experiment)  # every run composed and validated before any starts
    store = Store(store_dir or experiment.store or Path("results") / experiment.name)
    store.remove_temporary_files()
    store.write_plan(plan_table(runs), sweep_info(experiment, len(runs)),
                     experiment_text or yaml.safe_dump(asdict(experiment), sort_keys=False))
    done = store.done_run_ids()
    todo = [r for r in runs if r.run_id not in done]
    groups: dict[tuple, list[PlannedRun]] = {}
    for run in todo:
        groups.setdefault((run.seed, spinup_key(run.settings)), []).append(run)
    by_id = {r.run_id: r for r in todo}
    summary = SweepSummary(store=store.root, planned=len(runs), skipped=len(runs) - len(todo),
                           finished=0, failed=0, wall_s=0.0, compute_s=0.0, cpu_s=0.0,
                           n_workers=1)
    if progress and summary.skipped:
        print(f"{summary.skipped} of {len(runs)} runs already done in {store.root}; "
              f"running the other {len(todo)}", file=sys.stderr)
    start = time.perf_counter()
    if todo:
        tasks = [delayed(run_group)([(r.run_id, r.settings) for r in group])
                 for group in groups.values()]
        with parallel_engine(experiment.execution) as (parallel, n_workers), \
                tqdm(total=len(todo), unit="run", desc=experiment.name, disable=not progress,
                     smoothing=0.1) as bar:
            summary.n_workers = n_workers
            for outcomes in parallel(tasks):
                for outcome in outcomes:
                    save_outcome(store, by_id[outcome.run_id], outcome, summary)
                    bar.update(1)
    summary.wall_s = time.perf_counter() - start
    if report:
        from sim.views.report import write_report

        started = time.perf_counter()
        write_report(store.root)
        summary.report_s = time.perf_counter() - started
    return summary


def save_outcome(store: Store, run: PlannedRun, outcome: RunOutcome, summary: SweepSummary) -> None:
    """Write one run's result (or its failure) to the store, as soon as it comes back."""
    summary.compute_s += outcome.compute_s
    summary.cpu_s += outcome.cpu_s
    identity = {"run_id": run.run_id, "scenario": run.scenario, "point": run.point,
                "seed": run.seed}
    if outcome.error is not None:
        summary.failed += 1
        summary.failed_ids.append(run.run_id)
        store.write_failure(run.run_id, {**identity, "config_hash": run.config_hash,
                                         "overrides": run.overrides, "error": outcome.error})
        return
    manifest = {**identity, "config_hash": run.config_hash, "baseline_run_id": run.baseline_run_id,
                "overrides": run.overrides, "parameters": run.parameters,
                "compute_s": round(outcome.compute_s, 3), "cpu_s": round(outcome.cpu_s, 3),
                **outcome.meta}
    yearly = outcome.yearly.assign(**identity)
    partnerships = outcome.partnerships.assign(**identity)
    store.write_run(run.run_id, yearly, partnerships, manifest)
    summary.finished += 1


def sweep_info(experiment: Experiment, n_runs: int) -> dict:
    """What the store's sweep.json records: the experiment, versions and git commit."""
    return {"experiment": asdict(experiment), "n_runs": n_runs,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(), "packages": package_versions(),
            "git_commit": git_commit()}


# -- the command line ----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.sweep",
        description="Run a sweep of scenarios x replications defined in an experiment file.")
    parser.add_argument("experiment", help="experiment file, e.g. experiments/compare_policies.yaml")
    parser.add_argument("--store", help="results directory (default: the file's 'store', "
                                        "else results/<name>)")
    parser.add_argument("--backend", choices=BACKENDS, help="override execution.backend")
    parser.add_argument("--address", help="dask scheduler / ray cluster address")
    parser.add_argument("--n-jobs", type=int, help="override execution.n_jobs")
    parser.add_argument("--no-report", action="store_true", help="skip the report at the end")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        experiment = load_experiment(args.experiment)
        execution = experiment.execution
        if args.backend:
            execution.backend = args.backend
        if args.address:
            execution.address = args.address
        if args.n_jobs is not None:
            execution.n_jobs = args.n_jobs
        _check_experiment(experiment)
        summary = run_sweep(experiment, Path(args.experiment).read_text(), store_dir=args.store,
                            progress=not args.quiet, report=not args.no_report)
    except ConfigError as error:
        print(f"Experiment error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted. Finished runs are saved; run the same command to resume.",
              file=sys.stderr)
        return 130
    print(describe(summary))
    return 1 if summary.failed else 0


def describe(s: SweepSummary) -> str:
    """A few lines on what a sweep did and how fast."""
    lines = [f"Sweep store: {s.store}",
             f"  {s.planned} runs planned, {s.skipped} already done, {s.finished} finished now, "
             f"{s.failed} failed"]
    if s.finished + s.failed:
        rate = (s.finished + s.failed) / s.wall_s * 60
        busy = s.compute_s / (s.wall_s * s.n_workers) if s.wall_s > 0 else 0.0
        lines.append(f"  {s.wall_s:.1f} s on {s.n_workers} workers: {rate:.1f} runs/min, "
                     f"{busy:.0%} of worker time simulating")
    if s.report_s:
        lines.append(f"  report written in {s.report_s:.1f} s: {s.store / 'report' / 'report.html'}")
    for run_id in s.failed_ids[:10]:
        lines.append(f"  FAILED {run_id}: see {s.store / 'failed' / (run_id + '.json')}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
