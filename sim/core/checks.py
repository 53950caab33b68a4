"""Checks of configuration values: a mistake raises ``ConfigError`` naming the key, the value and
what is allowed (one line, no traceback, before any work starts)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

# No parameter of this model is meaningfully larger: a bigger number can only be a typo, and it
# could overflow to inf or NaN in the arithmetic of a run.
LARGEST = 1e9


class ConfigError(ValueError):
    """A user's configuration mistake, reported without a traceback."""


def check(key: str, value: Any, ok: bool, allowed: str) -> None:
    """Raise ``ConfigError`` naming ``key``, ``value`` and what is allowed unless ``ok``."""
    if not ok:
        raise ConfigError(f"config key '{key}' = {value!r} is not allowed: {allowed}")


def check_share(key: str, value: float) -> None:
    check(key, value, 0.0 <= value <= 1.0, "a share between 0 and 1")


def check_non_negative(key: str, value: float) -> None:
    check(key, value, value >= 0, "a number >= 0")


def check_positive(key: str, value: float) -> None:
    check(key, value, value > 0, "a number > 0")


def check_finite(key: str, value: Any) -> None:
    """Every float (also inside lists and mappings) is finite and of magnitude <= ``LARGEST``."""
    if isinstance(value, float):
        check(key, value, math.isfinite(value) and abs(value) <= LARGEST,
              f"a finite number of magnitude at most {LARGEST:g}")
    elif isinstance(value, list | tuple):
        for item in value:
            check_finite(key, item)
    elif isinstance(value, dict):
        for name, item in value.items():
            check_finite(f"{key}.{name}", item)


def check_fields_finite(prefix: str, obj: Any) -> None:
    """``check_finite`` on every field of the dataclass ``obj`` (keys named ``prefix.field``)."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if not dataclasses.is_dataclass(value):  # nested dataclasses check themselves
            check_finite(f"{prefix}{f.name}", value)
