"""The experiment file: its schema (OmegaConf structured configs, like run configs), loading and
checks. A mistake raises ``ConfigError`` in one line naming the key, before anything is planned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from sim.core.checks import ConfigError
from sim.core.paths import CONF_DIR

BACKENDS = ("loky", "dask", "ray", "sequential")
PARAMETER_SETS = ("default", "ensemble")
SAMPLING_METHODS = ("grid", "lhs", "sobol")
# Columns of a run's time series that can be outcomes (see sim.core.recorder), plus n_pupils.
OUTCOME_COLUMNS = (
    "mean_outcome", "disadvantage_gap", "outcome_spread", "mean_talent", "mean_capacity",
    "n_partnerships", "n_informal", "n_funded", "n_federation", "n_trust", "n_schools_in_trust",
    "n_standalone_academies",
    "share_academy_primary", "share_academy_secondary", "new_formed", "new_dissolved",
    "n_schools_partnered", "n_executive_heads", "n_schools_executive_covered", "n_head_vacancies",
    "mean_time_away", "spend_gbp", "cum_spend_gbp", "share_outstanding", "share_good",
    "share_requires_improvement", "share_inadequate", "n_pupils",
)
# Keys the experiment sets itself, so overrides and parameter ranges may not.
RESERVED_KEYS = ("seed", "years", "scenario", "name", "landscape")
MAX_RUNS = 1_000_000  # more planned runs than this is a typo (samples: 1e9), not a plan
MAX_NAME_LENGTH = 100  # the name is a directory name: file systems allow 255 bytes
MAX_SEED = 2**63 - 1  # seeds are stored as 64-bit integers


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
    # default: the fitted values (conf/calibration/fitted.yaml); ensemble: every scenario and seed
    # under each of the first `members` parameter sets of conf/calibration/ensemble.csv, each policy
    # run paired with the baseline run of the same member and seed (parameter uncertainty)
    parameter_sets: str = "default"
    members: int = 30
    outcomes: dict[str, str] = field(default_factory=lambda: {
        "mean_outcome": "higher", "disadvantage_gap": "lower", "outcome_spread": "lower",
        "n_schools_partnered": "higher", "n_head_vacancies": "lower"})  # which way is better
    discount_rate: float = 0.035  # for the report's present values (HM Treasury Green Book)
    store: str | None = None  # results directory; None: results/<name>
    execution: Execution = field(default_factory=Execution)

    @property
    def all_scenarios(self) -> list[str]:
        """The baseline first, then the other scenarios in the file's order."""
        return [self.baseline] + [s for s in self.scenarios if s != self.baseline]


def check(key: str, value: Any, ok: bool, allowed: str) -> None:
    """Raise ``ConfigError`` naming the experiment key, the value and what is allowed."""
    if not ok:
        raise ConfigError(f"experiment key '{key}' = {value!r} is not allowed: {allowed}")


# -- loading -------------------------------------------------------------------------------------
class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise ConfigError(f"experiment key '{key}' is given twice (line "
                                  f"{key_node.start_mark.line + 1}): give each key once")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> tuple[Any, str]:
    """The file's data and text; ``ConfigError`` if it is missing, not YAML or repeats a key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"experiment file {str(path)!r} not found")
    text = path.read_text()
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader), text
    except yaml.YAMLError as error:
        first_line = str(error).splitlines()[0]
        raise ConfigError(f"experiment file {str(path)!r} is not valid YAML: {first_line}") from None


def load_experiment(path: str | Path, schema: type = Experiment):
    """Read and check an experiment file (of ``schema``: ``Experiment`` or an extension)."""
    data, _ = read_yaml(path)
    return experiment_from_dict(data if data is not None else {}, schema)


def experiment_from_dict(data: Any, schema: type = Experiment):
    """Build an experiment from a mapping through its structured config, checking every key, type
    and value."""
    if not isinstance(data, dict):
        raise ConfigError(f"the experiment file must be a mapping of keys to values, not {data!r}")
    _check_finite("", data)
    try:
        experiment = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), data))
    except OmegaConfBaseException as error:
        raise ConfigError(_describe(error)) from None
    check_experiment(experiment)
    return experiment


def _check_finite(prefix: str, value: Any) -> None:
    """Refuse inf and nan anywhere in the file (YAML's .inf, .nan)."""
    if isinstance(value, float) and not math.isfinite(value):
        check(prefix.rstrip("."), value, False, "a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_finite(f"{prefix}{key}.", item)
    elif isinstance(value, list):
        for item in value:
            _check_finite(prefix, item)


NODE_WORDS = {"IntegerNode": "an integer", "FloatNode": "a number", "StringNode": "a string",
              "BooleanNode": "true or false", "ListConfig": "a list", "DictConfig": "a mapping"}


def _describe(error: OmegaConfBaseException) -> str:
    """OmegaConf's error as one line in the experiment's words."""
    key = error.full_key or "?"
    if isinstance(error, MissingMandatoryValue):
        return f"experiment key '{key}' is required"
    if type(error).__name__ in ("ConfigKeyError", "ConfigAttributeError") and error.object_type:
        from dataclasses import fields

        allowed = ", ".join(f.name for f in fields(error.object_type))
        return f"experiment key '{key}' is unknown; allowed keys: {allowed}"
    allowed = NODE_WORDS.get(type(error.child_node).__name__, str(error).splitlines()[0])
    return f"experiment key '{key}' = {error.value!r} is not allowed: {allowed}"


# -- checks --------------------------------------------------------------------------------------
def check_experiment(e: Experiment) -> None:
    """Values the schema's types cannot check: names that must exist, ranges, sizes."""
    known = sorted(p.stem for p in (CONF_DIR / "scenario").glob("*.yaml"))
    landscapes = sorted(p.stem for p in (CONF_DIR / "landscape").glob("*.yaml"))
    check("name", e.name, e.name.replace("_", "").replace("-", "").isalnum(),
          "letters, digits, '_' or '-'")
    check("name", e.name, len(e.name) <= MAX_NAME_LENGTH,
          f"at most {MAX_NAME_LENGTH} characters (it names the results directory)")
    check("scenarios", e.scenarios, len(e.scenarios) > 0, "a non-empty list of scenarios")
    for scenario in e.scenarios:
        check("scenarios", scenario, scenario in known, f"one of {known}")
    check("scenarios", e.scenarios, len(set(e.scenarios)) == len(e.scenarios),
          "each scenario once")
    check("baseline", e.baseline, e.baseline in known, f"one of {known}")
    check("replications", e.replications, 1 <= e.replications <= MAX_RUNS,
          f"an integer from 1 to {MAX_RUNS:,}")
    check("first_seed", e.first_seed, 0 <= e.first_seed <= MAX_SEED - e.replications + 1,
          "an integer >= 0 whose last seed (first_seed + replications - 1) is below 2**63")
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
    check("discount_rate", e.discount_rate, 0 <= e.discount_rate < 1,
          "a yearly rate from 0 to below 1, e.g. 0.035")
    x = e.execution
    check("execution.backend", x.backend, x.backend in BACKENDS, f"one of {list(BACKENDS)}")
    check("execution.n_jobs", x.n_jobs, x.n_jobs != 0, "-1 (every core) or a number of workers")
    check("parameter_sets", e.parameter_sets, e.parameter_sets in PARAMETER_SETS,
          f"one of {list(PARAMETER_SETS)}")
    if e.parameters is not None:
        _check_parameters(e.parameters, e.all_scenarios, e.baseline)
    n_points = 0 if e.parameters is None else number_of_points(e.parameters)
    varied = len(e.all_scenarios) if e.parameters is None or e.parameters.scenarios is None \
        else len(e.parameters.scenarios)
    if e.parameter_sets == "ensemble":
        from sim.experiments.ensemble import load_members

        check("parameter_sets", e.parameter_sets, e.parameters is None,
              "'default' when 'parameters' ranges are given (the ensemble's members are the "
              "parameter points)")
        n_points, varied = len(load_members(e.members)), len(e.all_scenarios)
    check_run_count(e, n_points, varied)


def _check_parameters(p: Parameters, scenarios: list[str], baseline: str) -> None:
    check("parameters.method", p.method, p.method in SAMPLING_METHODS,
          f"one of {list(SAMPLING_METHODS)}")
    check("parameters.samples", p.samples, 1 <= p.samples <= MAX_RUNS,
          f"an integer from 1 to {MAX_RUNS:,}")
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
        check(where, key, "/" not in key, "a config value 'a.b.c', not a config group")
        if p.method == "grid":
            check(where, values, isinstance(values, list) and len(values) > 0
                  and all(isinstance(v, str | int | float | bool) for v in values),
                  "a non-empty list of values (method: grid)")
        else:
            numbers = isinstance(values, list) and len(values) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            check(where, values, numbers and values[0] < values[1],
                  f"[low, high] with low < high (method: {p.method})")


def number_of_points(p: Parameters) -> int:
    """How many parameter points ``p`` gives, without drawing them."""
    return math.prod(len(v) for v in p.ranges.values()) if p.method == "grid" else p.samples


def check_run_count(e: Experiment, n_points: int, n_varied: int) -> None:
    """Refuse a plan of more than ``MAX_RUNS`` runs before composing any of them."""
    per_seed = len(e.all_scenarios) if n_points == 0 else \
        n_varied * n_points + len(e.all_scenarios) - n_varied
    n_runs = per_seed * e.replications
    if n_runs > MAX_RUNS:
        raise ConfigError(f"the experiment plans {n_runs:,} runs ({per_seed:,} per seed x "
                          f"{e.replications:,} replications); at most {MAX_RUNS:,} are allowed")
