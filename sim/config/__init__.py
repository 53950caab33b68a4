"""Configuration: composing a run's config with Hydra and validating it into ``Settings``.

The schema (the run settings and the four policy levers) is typed in ``sim.core.settings`` and
``sim.core.levers``; the behavioural parameters of each process live with its rule (``sim/rules``)
and of each landscape with it (``sim/landscape``). Values are checked once, at start, by
``validate``; a mistake raises ``ConfigError`` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.core.checks import ConfigError, check
from sim.core.rule import PHASES, Rule, check_services
from sim.core.settings import Config, Settings
from sim.landscape import Landscape

CONF_DIR = Path(__file__).resolve().parent.parent.parent / "conf"


def compose(overrides: list[str] | tuple[str, ...] = ()) -> DictConfig:
    """The run config that ``python -m sim <overrides>`` would use, for use from Python."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose("config", overrides=list(overrides))


def register_configs() -> None:
    """Register the schema with Hydra so ``conf/config.yaml`` is type-checked against it."""
    ConfigStore.instance().store(name="config_schema", node=Config)


def component(key: str, node: Any, base: type) -> tuple[type, Any]:
    """Import a pluggable part (a rule, a landscape) from ``_target_``; build its validated Params."""
    check(key, node, isinstance(node, dict) and "_target_" in node,
          f"a mapping with a '_target_' naming a subclass of {base.__module__}.{base.__name__}")
    params = dict(node)
    target = params.pop("_target_")
    try:
        cls = get_class(target)
    except Exception as error:  # Hydra wraps import failures in several types
        raise ConfigError(f"config key '{key}._target_' = {target!r}: cannot import it ({error})") \
            from None
    check(f"{key}._target_", target, isinstance(cls, type) and issubclass(cls, base),
          f"a subclass of {base.__module__}.{base.__name__}")
    allowed = {f.name for f in dataclasses.fields(cls.Params)}
    for param in params:
        check(f"{key}.{param}", params[param], param in allowed,
              f"a parameter of {cls.__name__}: one of {sorted(allowed)}")
    for f in dataclasses.fields(cls.Params):
        if f.name in params:
            params[f.name] = _coerce(f"{key}.{f.name}", params[f.name], f.type)
    try:
        return cls, cls.Params(**params)
    except ConfigError as error:
        message = str(error)
        if f"config key '{key}." not in message:  # Params name keys relative to their node
            message = message.replace("config key '", f"config key '{key}.", 1)
        raise ConfigError(message) from None


def _coerce(key: str, value: Any, type_name: Any) -> Any:
    """Check a rule parameter's type against its dataclass annotation (a string under PEP 563)."""
    type_name = str(type_name)
    if type_name == "float":
        check(key, value, isinstance(value, int | float) and not isinstance(value, bool), "a number")
        return float(value)
    if type_name == "int":
        check(key, value, isinstance(value, int) and not isinstance(value, bool), "an integer")
    if type_name == "bool":
        check(key, value, isinstance(value, bool), "true or false")
    return value


def validate(cfg: DictConfig | Config | dict) -> Settings:
    """Check a composed config once, before any work starts; raise ``ConfigError`` on a mistake."""
    try:
        if isinstance(cfg, Config):
            config = cfg
        else:
            merged = OmegaConf.merge(OmegaConf.structured(Config), cfg)
            config = OmegaConf.to_object(merged)
    except OmegaConfBaseException as error:
        raise ConfigError(_describe_omegaconf_error(error)) from None
    except ValueError as error:
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(str(error)) from None

    landscape = component("landscape", _plain(config.landscape), Landscape)
    rules = []
    for name, node in config.rules.items():
        if node is None:  # a rule switched off
            continue
        cls, params = component(f"rules.{name}", _plain(node), Rule)
        check(f"rules.{name}._target_", f"{cls.__name__} (phase {cls.phase!r})", cls.phase in PHASES,
              f"a rule whose phase is one of {PHASES}")
        rules.append((name, cls, params))
    check("rules", sorted(config.rules), bool(rules), "at least one rule switched on")
    check_services(rules)
    return Settings(config=config, landscape=landscape, rules=rules)


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node) if OmegaConf.is_config(node) else node


def _describe_omegaconf_error(error: OmegaConfBaseException) -> str:
    key = getattr(error, "full_key", None) or "?"
    first_line = str(error).splitlines()[0]
    return f"config key '{key}': {first_line}"
