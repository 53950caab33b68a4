"""Notebook conveniences: the notebook size switch and paired runs of several scenarios.

Statistics (intervals, first distinguishable year, event studies) come from ``sim.analysis``;
runs on the same draws from ``sim.running.run_paired``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from sim import running
from sim.analysis.paired import comparison_table
from sim.config import compose, validate
from sim.running import RunResult


def small() -> bool:
    """Whether the notebooks run at test size (``SIM_NOTEBOOK_SMALL=1``, set by the tests)."""
    return os.environ.get("SIM_NOTEBOOK_SMALL", "0") not in ("", "0", "false", "False")


def size(full, test):
    """``full`` normally, ``test`` when the notebooks run at test size."""
    return test if small() else full


@dataclass
class PairedRuns:
    """Runs of several scenarios, replication ``k`` of each on seed ``k`` (common random numbers)."""

    scenarios: list[str]
    seeds: list[int]
    runs: dict[str, list[RunResult]] = field(default_factory=dict)

    def timeseries(self, scenario: str) -> pd.DataFrame:
        """The scenario's time series, all replications stacked, with a ``seed`` column."""
        return pd.concat([r.timeseries.assign(seed=seed)
                          for seed, r in zip(self.seeds, self.runs[scenario], strict=True)],
                         ignore_index=True)


def run_paired(scenarios, seeds, overrides=(), configs=None) -> PairedRuns:
    """Run every scenario on every seed, spinning each seed up once and forking it per scenario
    (``sim.running.run_paired``).

    ``overrides``: Hydra overrides shared by all runs (e.g. ``["years=15"]``); ``configs``: an
    optional function ``(scenario, seed) -> composed config`` for configs built in Python.
    """
    out = PairedRuns(list(scenarios), list(seeds), {name: [] for name in scenarios})
    for seed in seeds:
        settings = [validate(configs(name, seed) if configs is not None else
                             compose([f"scenario={name}", f"seed={seed}", *overrides]))
                    for name in scenarios]
        for name, result in zip(scenarios, running.run_paired(settings), strict=True):
            out.runs[name].append(result)
    return out


def paired_difference(paired: PairedRuns, scenario: str, base: str, column: str) -> pd.DataFrame:
    """Step-by-step difference ``scenario - base`` in ``column`` over the replications: one row
    per time step with the mean ``difference`` and its 95% interval (``low``, ``high``), from
    ``sim.analysis.paired.comparison_table``."""
    pairs = pd.concat([pd.DataFrame({"year": b.timeseries.time_years,
                                     "value": a.timeseries[column].to_numpy(),
                                     "baseline_value": b.timeseries[column].to_numpy()})
                       for a, b in zip(paired.runs[scenario], paired.runs[base], strict=True)])
    pairs = pairs.assign(difference=pairs.value - pairs.baseline_value, scenario=scenario,
                         point=-1, variant=scenario, outcome=column)
    table = comparison_table(pairs)
    return pd.DataFrame({"time_years": table.year, "difference": table.mean_difference,
                         "low": table.ci95_low, "high": table.ci95_high})
