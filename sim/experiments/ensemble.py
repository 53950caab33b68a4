"""The calibrated ensemble: the parameter sets nearest the evidence (conf/calibration/ensemble.csv,
written by sim/experiments/calibration.py, best first). Sweeps (``parameter_sets: ensemble``) and
``sim.compare(..., ensemble=n)`` run its first ``n`` members, each as a set of config values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.core.checks import ConfigError
from sim.core.paths import CONF_DIR

ENSEMBLE = CONF_DIR / "calibration" / "ensemble.csv"


def load_members(n: int, path: str | Path | None = None, key: str = "members"
                 ) -> list[dict[str, float]]:
    """The first ``n`` members as {config key: value}; ``ConfigError`` naming ``key`` if the
    ensemble has fewer."""
    path = Path(path) if path is not None else ENSEMBLE
    if not path.is_file():
        raise ConfigError(f"no ensemble at {path}: run python -m sim.calibrate first")
    table = pd.read_csv(path)
    if not 1 <= n <= len(table):
        raise ConfigError(f"'{key}' = {n!r} is not allowed: 1 to {len(table)} (the members of "
                          f"{path.name})")
    columns = [c for c in table.columns if c.startswith("rules.")]
    return [{c: float(row[c]) for c in columns} for _, row in table.head(n).iterrows()]
