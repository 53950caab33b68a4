"""Configuration: composing a run's config with Hydra and validating it into ``Settings``.

The schema (the run settings and the four policy levers) is typed in ``sim.core.settings`` and
``sim.core.levers``; the behavioural parameters of each process live with its rule (``sim/rules``)
and of each landscape with it (``sim/landscape``). Values are checked once, at start, by
``validate``; a mistake raises ``ConfigError`` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import typing
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.core.checks import ConfigError, check, check_finite
from sim.core.levers import LEVERS, NEEDS_RULES, differs_from_today
from sim.core.paths import CONF_DIR
from sim.core.rule import PHASES, Rule, check_services
from sim.core.settings import Config, Settings
from sim.landscape import Landscape


def compose(overrides: list[str] | tuple[str, ...] = (), hydra_config: bool = False) -> DictConfig:
    """The run config that ``python -m sim <overrides>`` would use, for use from Python (with
    Hydra's own settings under ``hydra`` if ``hydra_config``)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=hydra_config)


def register_configs() -> None:
    """Register the schema with Hydra so ``conf/config.yaml`` is type-checked against it."""
    ConfigStore.instance().store(name="config_schema", node=Config)


def component(key: str, node: Any, base: type) -> tuple[type, Any]:
    """Import a pluggable part (a rule, a landscape) from ``_target_``; build its validated Params."""
    check(key, node, isinstance(node, dict) and "_target_" in node,
          f"a mapping with a '_target_' naming a subclass of {base.__module__}.{base.__name__}")
    params = dict(node)
    target = params.pop("_target_")
    check(f"{key}._target_", target, isinstance(target, str) and _may_import(target),
          f"a class in your own module or in sim.rules / sim.landscape, not in {_module(target)!r}"
          " (see docs/security.md)")
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
            check_finite(f"{key}.{f.name}", params[f.name])
    try:
        return cls, cls.Params(**params)
    except ConfigError as error:
        message = str(error)
        if f"config key '{key}." not in message:  # Params name keys relative to their node
            message = message.replace("config key '", f"config key '{key}.", 1)
        raise ConfigError(message) from None


def _module(target: Any) -> str:
    return str(target).rpartition(".")[0]


def _may_import(target: str) -> bool:
    """Whether a ``_target_``'s module may be imported (importing runs its code): the package's
    rules and landscapes, or a researcher's own module; never another part of this package or a
    module of Python's standard library, which hold no rule or landscape."""
    module = _module(target)
    top = module.partition(".")[0]
    if top == "sim":
        return module == "sim.rules" or module == "sim.landscape" or \
            module.startswith(("sim.rules.", "sim.landscape."))
    return bool(module) and top not in sys.stdlib_module_names


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
            _check_known_keys(_plain(cfg), Config)
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
    _check_levers_have_their_rules(config, rules)
    settings = Settings(config=config, landscape=landscape, rules=rules)
    _check_memory(settings)
    return settings


def _check_known_keys(node: Any, schema: type, prefix: str = "") -> None:
    """Every key is a field of the schema (``+key=value`` may add only a key the schema lacks
    nowhere but in ``landscape`` and ``rules``, which ``component`` checks against their Params)."""
    if not isinstance(node, dict):
        return
    types = typing.get_type_hints(schema)
    for key, value in node.items():
        check(f"{prefix}{key}", value, key in types, known_keys(prefix.rstrip(".")))
        if dataclasses.is_dataclass(types[key]):
            _check_known_keys(value, types[key], f"{prefix}{key}.")


def known_keys(parent: str) -> str:
    """What may stand under ``parent`` (a dotted key; "" for the top), in words for a message."""
    schema: Any = Config
    for part in filter(None, parent.split(".")):
        schema = typing.get_type_hints(schema).get(part) if dataclasses.is_dataclass(schema) else None
    if not dataclasses.is_dataclass(schema):
        return "a parameter of the rule or landscape's Params (see `python -m sim --cfg job`)"
    return f"a key of {parent or 'the run config'}: one of {', '.join(typing.get_type_hints(schema))}"


def _check_levers_have_their_rules(config: Config, rules: list[tuple[str, type, Any]]) -> None:
    """A lever that differs from today's policy needs the rules that carry it out (NEEDS_RULES):
    by config name, and of the declared class or a subclass of it."""
    switched_on = {name: cls for name, cls, _ in rules}
    for lever in LEVERS:
        if not differs_from_today(lever, getattr(config, lever)):
            continue
        for name, target in NEEDS_RULES[lever].items():
            needed = get_class(target)
            check(f"rules.{name}", switched_on[name].__name__ if name in switched_on else None,
                  name in switched_on and issubclass(switched_on[name], needed),
                  f"the '{lever}' lever differs from today's policy, so it needs rules.{name} "
                  f"switched on as a {target} (or a subclass)")


# Memory a run needs per school: the state, its neighbour table and the model's agents; and per
# school and recorded year, the recorder's yearly panels and the growing partnership table.
# Measured as peak RSS on synthetic regions of 2,000 and 8,000 schools over 2 and 20 years
# (~5 kB and ~0.7 kB), doubled and more for a margin.
BYTES_PER_SCHOOL = 10_000
BYTES_PER_SCHOOL_YEAR = 2_000


def memory_needed(settings: Settings) -> tuple[str, float, int]:
    """(the key that sets the size, its value, bytes the run needs), before anything is allocated."""
    from sim.landscape.england import N_PRIMARY, N_SECONDARY

    params = settings.landscape[1]
    if hasattr(params, "n_schools"):
        key, value, n_schools = "landscape.n_schools", params.n_schools, params.n_schools
    elif hasattr(params, "scale"):  # England, sized by its share
        key, value = "landscape.scale", params.scale
        n_schools = params.scale * (N_PRIMARY + N_SECONDARY)
    else:  # a GIAS file: bounded by its rows (all of England's schools)
        return "landscape", 0, 0
    years = settings.config.years + 1  # the recorder's yearly panels include time 0
    return key, value, int(n_schools * (BYTES_PER_SCHOOL + BYTES_PER_SCHOOL_YEAR * years))


def memory_available() -> int:
    """Memory this machine can give a run now (MemAvailable; all physical memory if unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _check_memory(settings: Settings) -> None:
    key, value, needed = memory_needed(settings)
    available = memory_available()
    check(key, value, needed <= available,
          f"the run would need about {needed / 2**30:,.1f} GiB of memory and "
          f"{available / 2**30:,.1f} GiB is available (use fewer schools or fewer years)")


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node) if OmegaConf.is_config(node) else node


def _describe_omegaconf_error(error: OmegaConfBaseException) -> str:
    key = getattr(error, "full_key", None) or "?"
    first_line = str(error).splitlines()[0]
    return f"config key '{key}': {first_line}"
