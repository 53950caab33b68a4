"""School partnerships simulator: the front door. See docs/api.md.

    import sim

    result = sim.run_scenario("pathfinder", seed=3)          # one run: tables and metadata
    result.save("outputs/pathfinder")
    differences = sim.compare(["pathfinder"], seeds=range(10))  # paired on common random numbers
    uncertain = sim.compare(["pathfinder"], seeds=range(3), ensemble=30)  # x 30 parameter sets
    summary = sim.run_experiment("experiments/smoke.yaml")   # a sweep into a results store
    results = sim.load_results("results/smoke")              # a store's tables

Every function takes Hydra overrides (``["landscape.n_schools=600", "years=20"]``) exactly as
``python -m sim`` does. The layers behind them: ``sim.core`` (the model), ``sim.rules`` and
``sim.landscape`` (pluggable parts), ``sim.config``, ``sim.running``, ``sim.storage``,
``sim.experiments``, ``sim.analysis`` and ``sim.views`` (README, "Layout"). Importing ``sim`` is
cheap: each function imports what it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["compare", "load_results", "run_experiment", "run_scenario"]

# The time-series columns ``compare`` reports unless told otherwise.
DEFAULT_OUTCOMES = ("mean_outcome", "disadvantage_gap", "n_schools_partnered", "cum_spend_gbp")


def run_scenario(scenario: str = "baseline", seed: int = 0, overrides: Sequence[str] = (),
                 progress: bool = False):
    """Run one scenario; return its ``sim.running.RunResult`` (tables ``timeseries``, ``schools``,
    ``partnerships``, ``memberships``, dict ``meta``; ``.save(dir)`` writes them).

    Raises ``sim.core.checks.ConfigError`` (one line naming the key) on a configuration mistake.
    """
    from sim.config import compose, validate
    from sim.running import simulate

    settings = validate(compose([f"scenario={scenario}", f"seed={seed}", *overrides]))
    return simulate(settings, progress=progress)


def compare(scenarios: Sequence[str] | str, baseline: str = "baseline",
            seeds: Iterable[int] = range(10), overrides: Sequence[str] = (),
            outcomes: Sequence[str] = DEFAULT_OUTCOMES, ensemble: int | None = None):
    """Each scenario against ``baseline`` on the same seeds (common random numbers: for a seed,
    one spin-up, forked for every scenario), year by year.

    ``ensemble``: run under each of the first ``ensemble`` members of the calibrated ensemble
    (``conf/calibration/ensemble.csv``: the parameter sets nearest the evidence) x seeds, each
    scenario paired with the baseline of the same member on the same seed; ``None``: the fitted
    defaults only (member -1). ``sim.analysis.ensemble.ensemble_effects`` splits the spread into
    parameters and chance.

    Returns a tidy ``pandas.DataFrame``, one row per scenario, member, seed, year and outcome:
    ``value``, ``baseline_value`` and ``difference`` (scenario - baseline on that member and
    seed). ``sim.analysis`` summarises it (mean difference with its interval, first
    distinguishable year).
    """
    import pandas as pd

    from sim.config import compose, validate
    from sim.experiments.ensemble import load_members
    from sim.experiments.planning import override_value
    from sim.running import run_paired

    scenarios = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    names = [baseline, *[s for s in scenarios if s != baseline]]
    members = [{}] if ensemble is None else load_members(ensemble, key="ensemble")
    seeds = list(seeds)
    frames = []
    for member, values in enumerate(members):
        member_overrides = [f"{key}={override_value(v)}" for key, v in values.items()]
        for seed in seeds:
            settings = [validate(compose([f"scenario={name}", f"seed={seed}", *overrides,
                                          *member_overrides])) for name in names]
            yearly = {name: result.yearly()[["year", *outcomes]]
                      for name, result in zip(names, run_paired(settings), strict=True)}
            base = yearly[baseline].melt(id_vars="year", var_name="outcome",
                                         value_name="baseline_value")
            for name in names[1:]:
                table = yearly[name].melt(id_vars="year", var_name="outcome", value_name="value")
                table = table.merge(base, on=["year", "outcome"])
                frames.append(table.assign(scenario=name, member=member if values else -1,
                                           seed=seed,
                                           difference=table.value - table.baseline_value))
    columns = ["scenario", "member", "seed", "year", "outcome", "value", "baseline_value",
               "difference"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(
        columns=columns)


def run_experiment(experiment, store: str | Path | None = None, progress: bool = True,
                   report: bool = True):
    """Run a sweep (an experiment file's path, or a ``sim.experiments`` ``Experiment``) into its
    results store, resuming what is already done; write the report unless ``report=False``.
    Returns the sweep's summary (counts, timings, the store's path)."""
    from sim.experiments.design import load_experiment
    from sim.experiments.execution import run_sweep

    text = ""
    if not hasattr(experiment, "scenarios"):
        text = Path(experiment).read_text()
        experiment = load_experiment(experiment)
    summary = run_sweep(experiment, text, store_dir=store, progress=progress)
    if report:
        from sim.views.report import write_report

        write_report(summary.store)
    return summary


def load_results(store: str | Path):
    """A results store's tables: the plan, every finished run's yearly rows (``yearly``), the
    partnerships, each run's status, the experiment (``sim.analysis`` results)."""
    from sim.analysis.results import load_results as load

    return load(store)
