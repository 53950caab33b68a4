"""The schools at the start of a run: what a landscape hands the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.core.checks import check

if TYPE_CHECKING:
    import pandas as pd

# Initial partnership kinds a landscape may declare (the model's kinds, see sim.core.partnerships).
INITIAL_KINDS = ("informal", "federation", "trust")


@dataclass
class SchoolTable:
    """The schools at the start of a run, one entry per school in each array."""

    school_id: np.ndarray  # int64, e.g. a URN
    phase: np.ndarray  # int8: 0 primary, 1 secondary
    x_km: np.ndarray
    y_km: np.ndarray
    rural: np.ndarray  # bool
    pupils: np.ndarray  # float64, pupils on roll
    fsm: np.ndarray  # share of pupils eligible for free school meals
    grade: np.ndarray  # int8: last inspection grade 1 outstanding .. 4 inadequate; 0 unknown
    initial_partnerships: list[tuple[np.ndarray, str]] = field(default_factory=list)
    # bool: an academy (in a multi-academy trust or on its own); None: no academies.
    academy: np.ndarray | None = None
    # What a landscape read from data imputed or skipped, one row per school and field (columns
    # school_id, line, field, action 'imputed' or 'skipped', value, reason); None for generated ones.
    notes: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        n = len(self.school_id)
        if self.academy is None:
            self.academy = np.zeros(n, dtype=bool)
        for name in ("phase", "x_km", "y_km", "rural", "pupils", "fsm", "grade", "academy"):
            check(f"landscape.{name}", f"{len(getattr(self, name))} values",
                  len(getattr(self, name)) == n, f"one value per school ({n})")
        check("landscape.n_schools", n, n >= 2, "at least 2 schools")
        for members, kind in self.initial_partnerships:
            check("landscape.initial_partnerships", kind, kind in INITIAL_KINDS, str(INITIAL_KINDS))
            check("landscape.initial_partnerships", list(members), len(members) >= 2,
                  "at least 2 member schools")
            if kind == "trust":  # a multi-academy trust holds academies only
                check("landscape.initial_partnerships", f"trust {list(members)}",
                      bool(np.all(self.academy[members])), "a trust whose schools are all academies")
            if kind == "federation":  # federations are of maintained schools
                check("landscape.initial_partnerships", f"federation {list(members)}",
                      not np.any(self.academy[members]), "a federation of maintained schools only")

    @property
    def n(self) -> int:
        return len(self.school_id)
