"""Every design of parameter points: grid, Latin hypercube and Sobol sequences (scipy.stats.qmc),
Morris trajectories and Saltelli's design (SALib). Sweeps, sensitivity analysis and calibration all
draw their points here. Seeded: the same arguments give the same points.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np


def grid(values: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the listed values, the first key varying slowest."""
    keys = list(values)
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(values[k] for k in keys))]


def latin_hypercube(n: int, low: np.ndarray, high: np.ndarray, seed: int) -> np.ndarray:
    """``n`` points of a Latin hypercube in the box [low, high] (one row per point)."""
    from scipy.stats import qmc

    if n <= 0:
        return np.empty((0, len(low)))
    return qmc.scale(qmc.LatinHypercube(d=len(low), seed=seed).random(n), low, high)


def sobol_sequence(n: int, low: np.ndarray, high: np.ndarray, seed: int) -> np.ndarray:
    """``n`` points of a scrambled Sobol sequence in the box [low, high] (a power of 2 is best)."""
    from scipy.stats import qmc

    return qmc.scale(qmc.Sobol(d=len(low), scramble=True, seed=seed).random(n), low, high)


def problem(bounds: dict[str, list[float]]) -> dict:
    """SALib's problem definition of parameters ``name: [low, high]``."""
    return {"num_vars": len(bounds), "names": list(bounds),
            "bounds": [[float(low), float(high)] for low, high in bounds.values()]}


def morris(bounds: dict[str, list[float]], trajectories: int, levels: int, seed: int
           ) -> np.ndarray:
    """Morris's design: trajectories x (k + 1) points, in parameter units."""
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(problem(bounds), N=trajectories, num_levels=levels, seed=seed)


def saltelli(bounds: dict[str, list[float]], base_samples: int, seed: int) -> np.ndarray:
    """Saltelli's design for first-order and total Sobol indices: N (k + 2) points."""
    from SALib.sample import sobol as sobol_sample

    return sobol_sample.sample(problem(bounds), base_samples, calc_second_order=False, seed=seed)
