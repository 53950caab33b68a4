"""A run never writes NaN or infinite results: after each step the model checks its float state
and stops at the first quantity that went non-finite (a mistake in a rule or a parameter)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.core.model import PartnershipModel


class NonFiniteError(RuntimeError):
    """A quantity of the model became NaN or infinite during a step."""


def check_finite_state(model: PartnershipModel) -> None:
    """Raise ``NonFiniteError`` naming the first school attribute or partnership column that holds
    a NaN or an infinity (columns whose blank is NaN, such as ``ended_at``, may hold NaN)."""
    for name, values in vars(model.schools).items():
        if isinstance(values, np.ndarray) and values.dtype.kind == "f" and not _all_finite(values):
            _stop(model, f"school attribute '{name}'", values[~np.isfinite(values)])
    for name, values, blank_is_nan in model.partnerships.float_columns():
        if blank_is_nan:
            if np.isinf(values).any():
                _stop(model, f"partnership column '{name}'", values[np.isinf(values)])
        elif not _all_finite(values):
            _stop(model, f"partnership column '{name}'", values[~np.isfinite(values)])


def _all_finite(values: np.ndarray) -> bool:
    """Whether every value is finite. A sum is finite only if every term is, and takes one pass
    without making a mask; only when it is not (a non-finite value, or an overflow) is each value
    checked."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = values.sum()
    return bool(np.isfinite(total)) or bool(np.isfinite(values).all())


def _stop(model: PartnershipModel, what: str, bad_values: np.ndarray) -> None:
    # The healthy case above is one pass per column; finding the value happens only here.
    raise NonFiniteError(
        f"{what} became {bad_values.ravel()[0]} in the step to year {model.now_years:g} "
        f"(step {model.tick}); the run stopped before writing results: check the rules' "
        "parameters")
