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
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            _check(model, f"school attribute '{name}'", ~np.isfinite(values), values)
    for name, values, blank_is_nan in model.partnerships.float_columns():
        _check(model, f"partnership column '{name}'",
               np.isinf(values) if blank_is_nan else ~np.isfinite(values), values)


def _check(model: PartnershipModel, what: str, bad: np.ndarray, values: np.ndarray) -> None:
    if bad.any():
        raise NonFiniteError(
            f"{what} became {values[bad].ravel()[0]} in the step to year {model.now_years:g} "
            f"(step {model.tick}); the run stopped before writing results: check the rules' "
            "parameters")
