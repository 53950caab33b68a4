"""Morris screening of the rule parameters, and Sobol indices of the few that matter (SALib), run
on the sweep engine and store.

    python -m sim.sensitivity experiments/sensitivity.yaml [--method morris|sobol]
                                      [--store DIR] [--n-jobs N] [--figures docs/figures]

The experiment file is an ordinary sweep experiment (docs/sweeps.md) plus a ``morris`` section:

    morris:
      trajectories: 10        # r; points = r * (k + 1) for k parameters
      levels: 4               # levels of the Morris grid
      sampler_seed: 0
      effect_years: [5, 10]   # years after time 0 at which the policy's effect is read
      survival_years: 2.0     # partnerships formed after time 0 still active this long after
      ranges:                 # per parameter [low, high], or a range relative to its default:
        rules.<rule>.<param>: [low, high]
        rules.<rule>.<param>: {relative: 0.5}   # default x [0.5, 1.5]

A relative range follows the defaults (they move at every calibration): its default is read from
the experiment's baseline config (its landscape and overrides) when the file is loaded, and
``load`` replaces it by the resolved ``[low, high]``, so the design, the store's ``sweep.json`` and
everything downstream see numbers only. A run prints every resolved range before it starts.

Every Morris point is a set of overrides applied to every scenario *and* the baseline (rule
parameters change the world the baseline lives in), each on seeds ``first_seed ..``; the runs are
planned by the sweep's planner (``sim.experiments.planning``), executed and stored by its engine
(``sim.experiments.execution``, ``sim.storage.store``), so a killed screening resumes where it
stopped; runs record yearly, like a sweep's. Outcomes per point (means over seeds; months unless
stated), for the first scenario listed (the policy) against the baseline on the same seed:

* ``effect_y<k>``: policy - baseline, pupil-weighted mean outcome at year k (months);
* ``gap_effect_y<K>``: policy - baseline, national disadvantage gap at the last effect year K;
* ``gap_y<K>``: the baseline's disadvantage gap at year K (the level, months);
* ``survival_<s>y``: share of the baseline's partnerships formed after time 0 (and at least s
  years before the end) still active s years after forming.

Written: ``<store>/morris_points.csv`` (design and outcomes), ``<store>/morris_indices.csv``
(mu, mu*, its 95 % bootstrap interval, sigma and the noise floor, the mu* that seed noise alone would
give, per parameter and outcome; elementary effects are
per unit of the *normalised* range, i.e. the change in the outcome for a step of
levels / (2 (levels - 1)) of a parameter's range) and figures ``sensitivity_morris.png`` (mu* ranking
per outcome) and ``sensitivity_mu_sigma.png`` (mu* against sigma: non-linearity / interactions).

``--method sobol`` reads the file's ``sobol`` section instead:

    sobol:
      parameters: [rules.<rule>.<param>, ...]   # a few of morris.ranges (the ones Morris ranks high)
      base_samples: 64        # N (a power of 2); points = N (k + 2)
      sampler_seed: 0

and computes first-order (S1) and total (ST) Sobol indices with their 95 % bootstrap intervals
(Saltelli sampling, ``calc_second_order=False``) for the same outcomes, each parameter over its
Morris range and every other at its default. The outcome at a point is a mean over seeds, so part
of its variance is seed noise, which no parameter explains: ``noise_share`` (the pooled within-point
variance / seeds, over the variance between points) bounds it from above. It is only a bound: the
points share their seeds (common random numbers), so noise common to every point (for levels such
as the gap, mostly the landscape) cancels between points, and the share can exceed 1 for levels;
for paired policy effects it is closer. It writes ``sobol_points.csv``,
``sobol_indices.csv`` and ``sensitivity_sobol.png`` (store: ``results/<name>_sobol`` by default).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import MISSING

from sim.core.checks import ConfigError
from sim.experiments import samplers
from sim.experiments.design import (
    MAX_RUNS,
    Experiment,
    check,
    check_run_count,
    experiment_from_dict,
    read_yaml,
)
from sim.experiments.execution import describe, run_sweep_from_command_line
from sim.experiments.planning import PlannedRun, compose_scenario, plan_runs
from sim.storage.store import Store


@dataclass
class Morris:
    """The ``morris`` section of the file."""

    # behavioural parameter: [low, high] or {relative: r} (checked, and resolved to [low, high],
    # by load)
    ranges: dict[str, Any] = MISSING
    trajectories: int = 10
    levels: int = 4
    sampler_seed: int = 0
    effect_years: list[float] = field(default_factory=lambda: [5.0, 10.0])
    survival_years: float = 2.0

    def problem(self, names: list[str] | None = None) -> dict:
        """The SALib problem definition (of all the ranges, or of the ``names`` among them)."""
        names = list(self.ranges) if names is None else names
        return samplers.problem({name: self.ranges[name] for name in names})


@dataclass
class Sobol:
    """The ``sobol`` section of the file: Sobol indices of a few of the screened parameters."""

    parameters: list[str] = MISSING
    base_samples: int = 64
    sampler_seed: int = 0


@dataclass
class SensitivityExperiment(Experiment):
    """A sweep experiment with a Morris design (and optionally a Sobol one) instead of
    ``parameters``: the schema of ``experiments/sensitivity.yaml``."""

    morris: Morris = MISSING
    sobol: Sobol | None = None


def load(path: str | Path) -> tuple[SensitivityExperiment, Morris, Sobol | None, str]:
    """Read and check the file through the sweep's experiment schema extended by its sections;
    relative ranges are resolved against the baseline's defaults (``resolve_ranges``)."""
    data, text = read_yaml(path)
    experiment = experiment_from_dict(data if data is not None else {}, SensitivityExperiment)
    check("parameters", experiment.parameters, experiment.parameters is None,
          "not used with 'morris' (its ranges are the parameters)")
    morris, sobol = experiment.morris, experiment.sobol
    for key, bounds in morris.ranges.items():
        check(f"morris.ranges.{key}", bounds, key.startswith(("rules.", "landscape.")),
              "a behavioural parameter (rules.* or landscape.*) with [low, high] or "
              "{relative: r}")
        check_range(f"morris.ranges.{key}", bounds)
    check("morris.ranges", dict(morris.ranges), len(morris.ranges) > 0, "at least one parameter")
    check("morris.trajectories", morris.trajectories, 1 <= morris.trajectories <= MAX_RUNS,
          f"an integer from 1 to {MAX_RUNS:,}")
    check("morris.levels", morris.levels, morris.levels >= 2, "an integer >= 2")
    check("morris.effect_years", list(morris.effect_years), len(morris.effect_years) > 0
          and all(0 < year <= experiment.years for year in morris.effect_years),
          f"years within the run's years ({experiment.years:g})")
    n_points = morris.trajectories * (len(morris.ranges) + 1)
    if sobol is not None:
        unknown = [name for name in sobol.parameters if name not in morris.ranges]
        check("sobol.parameters", list(sobol.parameters), bool(sobol.parameters) and not unknown,
              "a non-empty list of keys of morris.ranges")
        n = sobol.base_samples
        check("sobol.base_samples", n, 2 <= n <= MAX_RUNS and not n & (n - 1),
              "a power of 2, at least 2")
        n_points = max(n_points, n * (len(sobol.parameters) + 2))
    check_run_count(experiment, n_points, len(experiment.all_scenarios))
    defaults = baseline_defaults(experiment, list(morris.ranges))
    morris.ranges = resolve_ranges(morris.ranges, defaults)
    return experiment, morris, sobol, text


def check_range(key: str, bounds: Any) -> None:
    """``[low, high]`` with low < high, or ``{relative: r}`` with 0 < r < 1."""
    if isinstance(bounds, dict):
        r = bounds.get("relative")
        check(key, bounds, set(bounds) == {"relative"} and isinstance(r, int | float)
              and not isinstance(r, bool) and 0 < r < 1,
              "{relative: r} with r between 0 and 1 (exclusive): the default x [1 - r, 1 + r]")
        return
    numbers = isinstance(bounds, list) and len(bounds) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in bounds)
    check(key, bounds, numbers and bounds[0] < bounds[1],
          "[low, high] with low < high, or {relative: r} (the default x [1 - r, 1 + r])")


def baseline_defaults(experiment: Experiment, keys: list[str]) -> dict[str, float]:
    """The value of each key in the experiment's baseline config (its landscape and overrides, as
    the planner composes it); ``ConfigError`` naming the first key that is not a number there."""
    from omegaconf import OmegaConf

    config = compose_scenario([f"scenario={experiment.baseline}",
                               f"landscape={experiment.landscape}", *experiment.overrides],
                              experiment.baseline)
    defaults = {}
    for key in keys:
        value = OmegaConf.select(config, key)
        if value is None:
            raise ConfigError(f"experiment key 'morris.ranges.{key}' is unknown: the baseline's "
                              f"config ('{experiment.baseline}') has no such key")
        check(f"morris.ranges.{key}", value, isinstance(value, int | float)
              and not isinstance(value, bool), "a key of a number in the baseline's config")
        defaults[key] = float(value)
    return defaults


def resolve_ranges(ranges: dict[str, Any], defaults: dict[str, float]) -> dict[str, list[float]]:
    """Every range as [low, high]: ``{relative: r}`` becomes the default x [1 - r, 1 + r]."""
    resolved = {}
    for key, bounds in ranges.items():
        if isinstance(bounds, dict):
            default, r = defaults[key], bounds["relative"]
            check(f"morris.ranges.{key}", bounds, default != 0,
                  "[low, high]: the default is 0, so a relative range would be empty")
            bounds = sorted([default * (1 - r), default * (1 + r)])  # a negative default flips
        resolved[key] = [float(bounds[0]), float(bounds[1])]
    return resolved


def describe_ranges(morris: Morris, defaults: dict[str, float], keys: list[str]) -> str:
    """The resolved ranges of ``keys`` with each default, one line each (printed before a run)."""
    width = max(len(key) for key in keys)
    return "\n".join(f"  {key:<{width}}  [{morris.ranges[key][0]:.4g}, {morris.ranges[key][1]:.4g}]"
                     f"  (default {defaults[key]:.4g})" for key in keys)


def design(morris: Morris) -> np.ndarray:
    """The Morris design: trajectories x (k + 1) points, in parameter units."""
    return samplers.morris(dict(morris.ranges), morris.trajectories, morris.levels,
                           morris.sampler_seed)


def sobol_design(morris: Morris, sobol: Sobol) -> np.ndarray:
    """Saltelli's design for first-order and total indices: N (k + 2) points, parameter units."""
    return samplers.saltelli({name: morris.ranges[name] for name in sobol.parameters},
                             sobol.base_samples, sobol.sampler_seed)


def plan(experiment: Experiment, keys: list[str], points: np.ndarray) -> list[PlannedRun]:
    """Every run: each point (values of ``keys``) x (baseline + scenarios) x seed, planned by the
    sweep's planner; every scenario is varied (the parameters change the baseline's world too)."""
    point_values = [{key: float(value) for key, value in zip(keys, row, strict=True)}
                    for row in points]
    return plan_runs(experiment, point_values, set(experiment.all_scenarios))


def outcomes(experiment: Experiment, morris: Morris, runs: list[PlannedRun], store_dir: Path
             ) -> pd.DataFrame:
    """One row per Morris point and seed (index ``point``, ``seed``): every outcome."""
    store = Store(store_dir)
    yearly = store.read_runs([r.run_id for r in runs])
    policy = next(s for s in experiment.scenarios if s != experiment.baseline)
    base = yearly[yearly.scenario == experiment.baseline].set_index(["point", "seed", "year"])
    pol = yearly[yearly.scenario == policy].set_index(["point", "seed", "year"])
    diff = (pol[["mean_outcome", "disadvantage_gap"]] - base[["mean_outcome", "disadvantage_gap"]])
    last = int(max(morris.effect_years))
    table = pd.DataFrame(index=base.xs(0, level="year").index)
    for k in morris.effect_years:
        table[f"effect_y{int(k)}"] = diff.xs(int(k), level="year").mean_outcome
    table[f"gap_effect_y{last}"] = diff.xs(last, level="year").disadvantage_gap
    table[f"gap_y{last}"] = base.xs(last, level="year").disadvantage_gap
    base_ids = [r.run_id for r in runs if r.scenario == experiment.baseline]
    pt = store.read_partnerships(base_ids)
    s = morris.survival_years
    formed = pt[(pt.formed_at > 0) & (pt.formed_at <= experiment.years - s)]
    lasted = formed.ended_at.isna() | (formed.ended_at - formed.formed_at >= s)
    table[f"survival_{s:g}y"] = lasted.groupby([formed.point, formed.seed]).mean()
    return table.sort_index()


def noise_floor(per_seed: pd.DataFrame, levels: int) -> pd.Series:
    """The mu* that seed noise alone would give, per outcome (NaN with one seed per point).

    The outcome at a point is a mean over n seeds with standard error se (pooled within points);
    an elementary effect is the difference of two such means over a step delta, so pure noise gives
    |EE| with mean sqrt(2/pi) * sqrt(2) * se / delta. Parameters whose mu* is near this floor are
    not distinguishable from noise at this number of seeds. The points share their seeds (common
    random numbers), so noise that is common to both ends of a step cancels: the floor assumes
    independent noise and is an upper bound, loose for levels (e.g. the baseline gap, where much of
    the seed-to-seed spread is the landscape), closer for policy effects (paired differences).
    """
    n = per_seed.groupby("point").size().min()
    if n < 2:
        return pd.Series(np.nan, index=per_seed.columns)
    se = np.sqrt(per_seed.groupby("point").var().mean()) / np.sqrt(n)
    delta = levels / (2 * (levels - 1))
    return np.sqrt(2 / np.pi) * np.sqrt(2) * se / delta


def analyse(morris: Morris, points: np.ndarray, table: pd.DataFrame, seed: int = 0,
            floor: pd.Series | None = None) -> pd.DataFrame:
    """Morris indices (SALib) for every outcome column of ``table`` (one row per point)."""
    from SALib.analyze import morris as morris_analyze

    rows = []
    for outcome in table.columns:
        y = table[outcome].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):  # e.g. no partnership formed at a point: use the mean
            y = np.where(np.isfinite(y), y, np.nanmean(y) if np.isfinite(y).any() else 0.0)
        result = morris_analyze.analyze(morris.problem(), points, y, num_levels=morris.levels,
                                        seed=seed, print_to_console=False)
        for i, name in enumerate(result["names"]):
            rows.append({"outcome": outcome, "parameter": name, "mu": result["mu"][i],
                         "mu_star": result["mu_star"][i], "mu_star_conf": result["mu_star_conf"][i],
                         "sigma": result["sigma"][i],
                         "noise_floor": np.nan if floor is None else float(floor[outcome])})
    return pd.DataFrame(rows)


def analyse_sobol(problem: dict, table: pd.DataFrame, per_seed: pd.DataFrame, seed: int = 0
                  ) -> pd.DataFrame:
    """First-order and total Sobol indices (SALib) for every outcome column of ``table`` (one row
    per point, in design order), with the share of its variance that is seed noise."""
    from SALib.analyze import sobol as sobol_analyze

    n_seeds = per_seed.groupby("point").size().min()
    rows = []
    for outcome in table.columns:
        y = table[outcome].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            y = np.where(np.isfinite(y), y, np.nanmean(y) if np.isfinite(y).any() else 0.0)
        within = per_seed[outcome].groupby("point").var().mean() if n_seeds > 1 else np.nan
        noise_share = float(within / n_seeds / np.var(y, ddof=1)) if np.var(y) > 0 else np.nan
        result = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed,
                                       print_to_console=False)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": outcome, "parameter": name, "S1": result["S1"][i],
                         "S1_conf": result["S1_conf"][i], "ST": result["ST"][i],
                         "ST_conf": result["ST_conf"][i], "noise_share": noise_share})
    return pd.DataFrame(rows)


OUTCOME_LABELS = {
    "effect_y": "pathfinder effect on mean outcome, year {k} (months)",
    "gap_effect_y": "pathfinder effect on the gap, year {k} (months)",
    "gap_y": "baseline disadvantage gap, year {k} (months)",
    "survival_": "baseline partnerships surviving {k} (share)",
}


def label(outcome: str) -> str:
    for prefix, text in OUTCOME_LABELS.items():
        if outcome.startswith(prefix):
            return text.format(k=outcome.removeprefix(prefix))
    return outcome


def _outcome_panels(names: list[str]):
    """A figure with one panel per outcome (the spare panels hidden)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncols = 3 if len(names) > 4 else 2
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows), squeeze=False)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    return fig, list(axes.flat)[:len(names)]


def _save(fig, axes: list, title: str, path: Path, **legend) -> Path:
    import matplotlib.pyplot as plt

    axes[0].legend(fontsize=7, **legend)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def figures(indices: pd.DataFrame, out: Path, title: str) -> list[Path]:
    """mu* ranking per outcome, and mu* against sigma."""
    names = list(dict.fromkeys(indices.outcome))
    fig, axes = _outcome_panels(names)
    for ax, outcome in zip(axes, names, strict=True):
        d = indices[indices.outcome == outcome].sort_values("mu_star")
        short = [p.removeprefix("rules.") for p in d.parameter]
        ax.barh(short, d.mu_star, xerr=d.mu_star_conf, color="tab:blue", alpha=0.8,
                label="μ* (95 % bootstrap interval)")
        if np.isfinite(d.noise_floor.iloc[0]):
            ax.axvline(d.noise_floor.iloc[0], color="red", ls="--", lw=1,
                       label="μ* from seed noise alone")
        ax.set_title(label(outcome), fontsize=9)
        ax.set_xlabel("μ*: mean |elementary effect| (outcome units per normalised step)",
                      fontsize=7)
        ax.tick_params(labelsize=7)
    paths = [_save(fig, axes, title, out / "sensitivity_morris.png", loc="lower right")]

    fig, axes = _outcome_panels(names)
    for ax, outcome in zip(axes, names, strict=True):
        d = indices[indices.outcome == outcome]
        ax.scatter(d.mu_star, d.sigma, s=14, label="parameters")
        top = d.nlargest(4, "mu_star")
        for row in top.itertuples():
            ax.annotate(row.parameter.split(".")[-1], (row.mu_star, row.sigma), fontsize=6)
        lim = float(max(d.mu_star.max(), d.sigma.max(), 1e-12))
        ax.plot([0, lim], [0, lim], color="grey", lw=0.8, ls="--", label="σ = μ*")
        ax.set_title(label(outcome), fontsize=9)
        ax.set_xlabel("μ* (importance)", fontsize=7)
        ax.set_ylabel("σ (interactions / non-linearity)", fontsize=7)
        ax.tick_params(labelsize=7)
    paths.append(_save(fig, axes, "Morris μ* against σ", out / "sensitivity_mu_sigma.png"))
    return paths


def sobol_figure(indices: pd.DataFrame, out: Path, title: str) -> Path:
    """S1 and ST with their 95 % intervals, one panel per outcome."""
    names = list(dict.fromkeys(indices.outcome))
    fig, axes = _outcome_panels(names)
    for ax, outcome in zip(axes, names, strict=True):
        d = indices[indices.outcome == outcome]
        y = np.arange(len(d))
        ax.barh(y + 0.2, d.S1, height=0.4, xerr=d.S1_conf, color="tab:blue", label="S1 (alone)")
        ax.barh(y - 0.2, d.ST, height=0.4, xerr=d.ST_conf, color="tab:orange",
                label="ST (with interactions)")
        ax.set_yticks(y, [p.removeprefix("rules.") for p in d.parameter], fontsize=7)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(f"{label(outcome)}\nseed noise: at most {d.noise_share.iloc[0]:.0%} of the "
                     "variance", fontsize=8)
        ax.set_xlabel("share of the outcome's variance", fontsize=7)
        ax.tick_params(labelsize=7)
    return _save(fig, axes, title, out / "sensitivity_sobol.png", loc="lower right")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.sensitivity",
                                     description="Morris screening or Sobol indices on the sweep "
                                                 "engine (SALib).")
    parser.add_argument("experiment", help="e.g. experiments/sensitivity.yaml")
    parser.add_argument("--method", choices=("morris", "sobol"), default="morris")
    parser.add_argument("--store", help="results directory (default: results/<name>, "
                                        "results/<name>_sobol for Sobol)")
    parser.add_argument("--n-jobs", type=int, help="override execution.n_jobs")
    parser.add_argument("--figures", default=None,
                        help="where to write the PNGs (default: <store>/figures)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        experiment, morris, sobol, text = load(args.experiment)
        if args.n_jobs is not None:
            experiment.execution.n_jobs = args.n_jobs
        default_store = Path("results") / experiment.name
        if args.method == "sobol":
            if sobol is None:
                raise ConfigError("experiment key 'sobol' is required for --method sobol")
            keys, points = sobol.parameters, sobol_design(morris, sobol)
            default_store = Path("results") / f"{experiment.name}_sobol"
        else:
            keys, points = list(morris.ranges), design(morris)
        store_dir = Path(args.store or experiment.store or default_store)
        runs = plan(experiment, keys, points)
        defaults = baseline_defaults(experiment, list(morris.ranges))
    except ConfigError as error:
        print(f"Experiment error: {error}", file=sys.stderr)
        return 2
    print(f"{args.method.capitalize()}: {len(keys)} parameters, {len(points)} points, "
          f"{len(runs)} runs; ranges (relative ones resolved at the baseline's defaults):\n"
          + describe_ranges(morris, defaults, keys), file=sys.stderr)
    summary, code = run_sweep_from_command_line(experiment, text, store_dir,
                                                progress=not args.quiet, runs=runs)
    if summary is None:
        return code
    print(describe(summary))
    if summary.failed:
        return 1
    per_seed = outcomes(experiment, morris, runs, store_dir)
    table = per_seed.groupby("point").mean().reindex(range(len(points)))
    design_table = pd.DataFrame(points, columns=keys)
    pd.concat([design_table, table.reset_index(drop=True)], axis=1).to_csv(
        store_dir / f"{args.method}_points.csv", index_label="point")
    figures_dir = Path(args.figures) if args.figures else store_dir / "figures"
    pd.set_option("display.width", 160)
    if args.method == "sobol":
        indices = analyse_sobol(morris.problem(keys), table, per_seed)
        indices.to_csv(store_dir / "sobol_indices.csv", index=False)
        sobol_figure(indices, figures_dir,
                     f"Sobol indices: {len(keys)} parameters, N = {sobol.base_samples} "
                     f"({len(points)} points), {experiment.replications} seeds per point")
        columns, order = ["parameter", "S1", "S1_conf", "ST", "ST_conf", "noise_share"], "ST"
    else:
        indices = analyse(morris, points, table, floor=noise_floor(per_seed, morris.levels))
        indices.to_csv(store_dir / "morris_indices.csv", index=False)
        figures(indices, figures_dir,
                f"Morris screening: {len(keys)} parameters, {morris.trajectories} "
                f"trajectories, {experiment.replications} seeds per point")
        columns, order = ["parameter", "mu_star", "mu_star_conf", "mu", "sigma", "noise_floor"], \
            "mu_star"
    for outcome, d in indices.groupby("outcome", sort=False):
        print(f"\n{outcome}:")
        print(d.sort_values(order, ascending=False)[columns]
              .to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
