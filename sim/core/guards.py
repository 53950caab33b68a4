"""A run never writes NaN or infinite results: after each step the model checks its float state
and stops at the first quantity that went non-finite (a mistake in a rule or a parameter).

Every step checks what a step changes: each school attribute but the wide table of past ties,
and the rows of running partnerships. The rest (the ties, which change only as partnerships end,
from their strength, checked while they run; ended partnerships' rows, two in three by the end of
a national run) is checked at each whole year and before results are built. Checking all of it
every step was about 5% of a national run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.core.model import PartnershipModel

CHECKED_YEARLY = ("ties",)  # school attributes left to the full check


class NonFiniteError(RuntimeError):
    """A quantity of the model became NaN or infinite during a step."""


def check_finite_state(model: PartnershipModel, full: bool = True) -> None:
    """Raise ``NonFiniteError`` naming the first school attribute or partnership column that holds
    a NaN or an infinity (columns whose blank is NaN, such as ``ended_at``, may hold NaN).

    ``full=False`` checks what a step can change (above); ``full=True`` checks everything."""
    step = f"in the step to year {model.now_years:g} (step {model.tick})"
    year = f"by year {model.now_years:g} (step {model.tick}; found by the yearly full check)"
    yearly = []
    for name, values in vars(model.schools).items():
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            if name in CHECKED_YEARLY:
                yearly.append((f"school attribute '{name}'", values, False))
            else:
                _check(f"school attribute '{name}'", values, False, step)
    running = model.partnerships.active_ids()
    for name, values, blank_is_nan in model.partnerships.float_columns():
        _check(f"partnership column '{name}'", values[running], blank_is_nan, step)
        yearly.append((f"partnership column '{name}'", values, blank_is_nan))
    if full:
        for what, values, blank_is_nan in yearly:
            _check(what, values, blank_is_nan, year)


def _check(what: str, values: np.ndarray, blank_is_nan: bool, when: str) -> None:
    if blank_is_nan:
        bad = np.isinf(values)
        if bad.any():
            _stop(what, values[bad], when)
    elif not _all_finite(values):
        _stop(what, values[~np.isfinite(values)], when)


def _all_finite(values: np.ndarray) -> bool:
    """Whether every value is finite. A sum is finite only if every term is, and takes one pass
    without making a mask; only when it is not (a non-finite value, or an overflow) is each value
    checked."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = values.sum()
    return bool(np.isfinite(total)) or bool(np.isfinite(values).all())


def _stop(what: str, bad_values: np.ndarray, when: str) -> None:
    # The healthy case above is one pass per column; finding the value happens only here.
    raise NonFiniteError(
        f"{what} became {bad_values.ravel()[0]} {when}; the run stopped before writing results: "
        "check the rules' parameters")
