"""Checks of configuration values: a mistake raises ``ConfigError`` naming the key, the value and
what is allowed (one line, no traceback, before any work starts)."""

from __future__ import annotations

from typing import Any


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
