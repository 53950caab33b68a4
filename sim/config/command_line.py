"""Check a ``python -m sim`` command line before Hydra runs anything: compose and validate every run
it asks for, refuse what a config may not do (docs/security.md), and turn Hydra's own errors into
the one-line ``ConfigError`` every other mistake gets. Hydra creates the output folder only after
this passes, so a refused command leaves nothing behind."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.config import compose, known_keys, validate
from sim.core.checks import ConfigError, check
from sim.core.paths import CONF_DIR
from sim.core.settings import NAME

# Hydra's own launcher and sweeper: the only ones a run may use (others run code and start jobs).
BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
# Interpolations allowed in Hydra's output paths: the run's name, the time, the job's own fields.
PATH_INTERPOLATION = re.compile(r"\$\{(name|now:[^}]*|hydra\.job\.[a-z_]+|hydra\.runtime\.output_dir)\}")
RESOLVER = re.compile(r"\$\{\s*[\w.]+\s*:")  # ${oc.env:...}, ${now:...}: a resolver call
FORBIDDEN_OVERRIDES = ("hydra.callbacks", "hydra/callbacks", "hydra.launcher", "hydra/launcher",
                       "hydra.sweeper", "hydra/sweeper")


def check_command_line(overrides: Sequence[str], multirun: bool = False) -> None:
    """Raise ``ConfigError`` (one line) unless every run the command line asks for is valid."""
    parsed = [_parse(override) for override in overrides]
    for override in parsed:
        _check_override(override)
    if multirun:
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

        # Hydra first composes the command line without its sweeps, then each job.
        _compose([o.input_line for o in parsed if not o.is_sweep_override()])
        jobs = [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    else:
        jobs = [list(overrides)]
    for job in jobs:
        cfg = _compose(job)
        _check_hydra(cfg.hydra)
        with open_dict(cfg):
            del cfg["hydra"]
        _check_no_resolvers(OmegaConf.to_container(cfg, resolve=False))
        validate(cfg)


def _parse(override: str):
    try:
        return OverridesParser.create().parse_overrides([override])[0]
    except OverrideParseException as error:
        key, _, value = override.partition("=")
        raise ConfigError(f"config key '{key}' = {value!r} is not allowed: "
                          f"not a valid override ({str(error).splitlines()[0]})") from None


def _check_override(override) -> None:
    key = override.key_or_group.lstrip("+~")
    value = override.value()
    check(key, value, not key.startswith(FORBIDDEN_OVERRIDES),
          "Hydra callbacks, launchers and sweepers run code, so a run may not set them "
          "(docs/security.md)")
    if "/" in key or (CONF_DIR / key).is_dir():  # a config group: its value names an option file
        check(key, value, value is None or not isinstance(value, str) or NAME.fullmatch(value),
              "the name of an option file of that group: letters, digits, '_' and '-'")


def _compose(overrides: list[str]) -> DictConfig:
    """Compose as ``python -m sim`` would (with Hydra's own settings), naming a mistake in one line."""
    try:
        return compose(overrides, hydra_config=True)
    except MissingConfigException as error:
        group, _, option = (error.missing_cfg_file or "?").rpartition("/")
        allowed = f"one of {', '.join(error.options)}" if error.options else "an existing config file"
        raise ConfigError(f"config key '{group or option}' = {option!r} is not allowed: {allowed}") \
            from None
    except ConfigCompositionException as error:
        raise ConfigError(_describe_composition_error(error, overrides)) from None
    except OverrideParseException as error:
        raise ConfigError(f"config overrides {overrides} are not allowed: "
                          f"{str(error).splitlines()[0]}") from None
    except OmegaConfBaseException as error:
        key = getattr(error, "full_key", None) or "?"
        raise ConfigError(f"config key '{key}' is not allowed: {str(error).splitlines()[0]}") \
            from None


def _describe_composition_error(error: ConfigCompositionException, overrides: list[str]) -> str:
    cause = error.__cause__
    key = getattr(cause, "full_key", None)
    message = str(error).splitlines()[0]
    if key is None:  # e.g. "Ambiguous value for argument 'seed=1,2'" or a missing ~group
        found = re.search(r"'([^'=]+)=?([^']*)'", message)
        key = found.group(1) if found else "?"
    value = next((o.partition("=")[2] for o in overrides if o.lstrip("+~").partition("=")[0] == key),
                 None)
    detail = str(cause).splitlines()[0] if cause is not None else message
    if "not in" in detail:
        allowed = known_keys(key.rpartition(".")[0])
    elif "Ambiguous value" in message:
        allowed = "a single value (to sweep over several, add --multirun)"
    else:
        allowed = {"Float": "a number", "Integer": "an integer", "Boolean": "true or false"}.get(
            detail.rpartition(" ")[2], detail)
    return f"config key '{key}' = {value!r} is not allowed: {allowed}"


def _check_hydra(hydra: DictConfig) -> None:
    """Hydra's settings may only say where results go, inside paths a config cannot redirect."""
    raw = OmegaConf.to_container(hydra, resolve=False)
    check("hydra.callbacks", raw.get("callbacks"), not raw.get("callbacks"),
          "no callbacks: they run code (docs/security.md)")
    check("hydra.launcher._target_", raw["launcher"].get("_target_"),
          raw["launcher"].get("_target_") == BASIC_LAUNCHER, f"Hydra's {BASIC_LAUNCHER}")
    check("hydra.sweeper._target_", raw["sweeper"].get("_target_"),
          raw["sweeper"].get("_target_") == BASIC_SWEEPER, f"Hydra's {BASIC_SWEEPER}")
    for key, path in (("hydra.run.dir", raw["run"]["dir"]), ("hydra.sweep.dir", raw["sweep"]["dir"]),
                      ("hydra.sweep.subdir", raw["sweep"]["subdir"])):
        _check_path(key, path)
    subdir = raw.get("output_subdir")
    check("hydra.output_subdir", subdir, subdir is None or (
        isinstance(subdir, str) and re.fullmatch(r"[A-Za-z0-9_.-]+", subdir) and subdir not in (".", "..")),
        "a folder name inside the run's folder (letters, digits, '.', '_', '-') or null")
    for logging in ("job_logging", "hydra_logging"):
        for name, handler in (raw.get(logging) or {}).get("handlers", {}).items():
            if "filename" in handler:
                key = f"hydra.{logging}.handlers.{name}.filename"
                filename = str(handler["filename"])
                check(key, filename, filename.startswith("${hydra.runtime.output_dir}/"),
                      "a file inside the run's folder: ${hydra.runtime.output_dir}/<name>")
                _check_path(key, filename)


def _check_path(key: str, path: Any) -> None:
    path = str(path)
    check(key, path, ".." not in PurePath(path).parts, "a path without '..'")
    check(key, path, RESOLVER.search(PATH_INTERPOLATION.sub("", path)) is None
          and "${" not in PATH_INTERPOLATION.sub("", path),
          "a path whose only interpolations are ${name}, ${now:...} and ${hydra.job.*}")


def _check_no_resolvers(node: Any, key: str = "") -> None:
    """No value calls a resolver (``${oc.env:...}`` would copy the environment into results)."""
    if isinstance(node, dict):
        for name, value in node.items():
            _check_no_resolvers(value, f"{key}{name}." if isinstance(value, dict | list) else f"{key}{name}")
    elif isinstance(node, list):
        for value in node:
            _check_no_resolvers(value, key.rstrip("."))
    elif isinstance(node, str):
        check(key, node, "${" not in node, "a plain value, not an interpolation")

