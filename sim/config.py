"""Configuration schema: the run settings, the landscape and the four policy levers.

Each lever is a dataclass whose fields are policy choices (EMA Workbench's *levers*); the behavioural
parameters of each process live with its rule (``sim/rules``). Values are checked once, at start, by
``validate``; a mistake raises ``ConfigError`` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException


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


@dataclass
class Lever:
    """Common timing of every lever: active from ``start_year`` until ``stop_year`` (None: never stops)."""

    start_year: float = 0.0
    stop_year: float | None = None

    def active(self, t_years: float) -> bool:
        """Whether the lever is in force at time ``t_years`` (years since the run started)."""
        return t_years >= self.start_year and (self.stop_year is None or t_years < self.stop_year)

    def _check_timing(self, group: str) -> None:
        check_non_negative(f"{group}.start_year", self.start_year)
        if self.stop_year is not None:
            check(f"{group}.stop_year", self.stop_year, self.stop_year > self.start_year,
                  f"a year after start_year ({self.start_year}), or null for no end")


@dataclass
class FundingConfig(Lever):
    """A partnership funding programme (S3: Wales Lead and Emerging Practitioner Pathfinder)."""

    programme: str = "none"
    budget_gbp_per_year_per_1000_schools: float = 0.0  # money for new awards; 0 = no programme
    amount_primary_gbp: float = 30_000.0  # per award, S3
    amount_secondary_gbp: float = 90_000.0  # per award, S3
    duration_years: float = 1.5  # S3: 18 months
    recipient: str = "pair"  # "pair": a lead + an emerging school; "cluster": lump sum to a cluster
    cluster_size: int = 2  # schools per funded cluster when recipient is "cluster" (assumption); pairs are 2
    eligible: str = "all"  # "all" | "small_rural" (S2: small rural primaries) | "struggling"
    share_leadership_time: float = 0.5  # what the money pays for (S2 lesson 8, LA 5); shares sum to 1
    share_cover: float = 0.4
    share_transport: float = 0.1

    def __post_init__(self) -> None:
        self._check_timing("funding")
        check_non_negative("funding.budget_gbp_per_year_per_1000_schools",
                           self.budget_gbp_per_year_per_1000_schools)
        check_positive("funding.amount_primary_gbp", self.amount_primary_gbp)
        check_positive("funding.amount_secondary_gbp", self.amount_secondary_gbp)
        check_positive("funding.duration_years", self.duration_years)
        check("funding.recipient", self.recipient, self.recipient in ("pair", "cluster"),
              "'pair' or 'cluster'")
        check("funding.cluster_size", self.cluster_size, 2 <= self.cluster_size <= 12,
              "an integer from 2 to 12")
        check("funding.eligible", self.eligible,
              self.eligible in ("all", "small_rural", "struggling"),
              "'all', 'small_rural' or 'struggling'")
        shares = ("share_leadership_time", "share_cover", "share_transport")
        for name in shares:
            check_share(f"funding.{name}", getattr(self, name))
        total = sum(getattr(self, name) for name in shares)
        check("funding.share_*", total, abs(total - 1.0) < 1e-6,
              "share_leadership_time + share_cover + share_transport must sum to 1")


@dataclass
class DistanceConfig(Lever):
    """Rules on how far apart partners may be (S2 lesson 2, LA lesson 5)."""

    max_partner_km: float | None = None  # null: no cap
    transport_subsidy_share: float = 0.0  # share of partnership travel cost paid centrally

    def __post_init__(self) -> None:
        self._check_timing("distance")
        if self.max_partner_km is not None:
            check_positive("distance.max_partner_km", self.max_partner_km)
        check_share("distance.transport_subsidy_share", self.transport_subsidy_share)


@dataclass
class AccountabilityConfig(Lever):
    """The inspection regime and competition for pupils (S2 policymaker lesson 9)."""

    regime: str = "current"
    inspection_frequency: float = 1.0  # multiplier on the base interval rates; 2 = twice as often
    stakes: float = 0.5  # 0..1: how much a low grade costs a school (pressure, intervention)
    competition: float = 0.3  # 0..1: strength of competition for pupils between nearby schools
    partnership_credit: float = 0.0  # 0..1: weight inspection gives to evidenced partnership work
    dip_penalty: float = 0.5  # 0..1: weight inspection gives to a recent fall in outcomes
    intervention: str = "support_partnership"  # on an inadequate grade: "support_partnership"|"none"

    def __post_init__(self) -> None:
        self._check_timing("accountability")
        check_positive("accountability.inspection_frequency", self.inspection_frequency)
        for name in ("stakes", "competition", "partnership_credit", "dip_penalty"):
            check_share(f"accountability.{name}", getattr(self, name))
        check("accountability.intervention", self.intervention,
              self.intervention in ("support_partnership", "none"),
              "'support_partnership' or 'none'")


@dataclass
class ExecutiveHeadshipConfig(Lever):
    """Executive headship: strong heads taking on struggling or headless schools (S2 LA 3, PL 5)."""

    programme: str = "none"
    max_share_of_heads: float = 0.03  # cap on executive heads, share of schools (3% in 2014, Lord et al. 2016)
    max_schools_per_head: int = 2  # schools one executive head leads, own school included
    triggers: list[str] = field(default_factory=lambda: ["vacancy"])  # vacancy | failing (inadequate) | small (small primary with a vacant headship: targets a programme at small schools)
    appointment_rate_per_year: float = 0.5  # rate a triggered school gets an executive head
    search_radius_km: float = 15.0  # how far away the lead school may be

    def __post_init__(self) -> None:
        self._check_timing("executive_headship")
        check_share("executive_headship.max_share_of_heads", self.max_share_of_heads)
        check("executive_headship.max_schools_per_head", self.max_schools_per_head,
              2 <= self.max_schools_per_head <= 10, "an integer from 2 to 10")
        for trigger in self.triggers:
            check("executive_headship.triggers", trigger, trigger in ("vacancy", "failing", "small"),
                  "a list drawn from 'vacancy', 'failing', 'small'")
        check_non_negative("executive_headship.appointment_rate_per_year",
                           self.appointment_rate_per_year)
        check_positive("executive_headship.search_radius_km", self.search_radius_km)


@dataclass
class OutputConfig:
    """What a run writes besides its tables."""

    progress: bool = True
    plot: bool = True
    summary: bool = True
    timeseries: str = "step"  # a row every step, or only at whole years (flows summed over the year: sweeps, cheaper)

    def __post_init__(self) -> None:
        check("output.timeseries", self.timeseries, self.timeseries in ("step", "year"),
              "'step' or 'year'")


@dataclass
class Config:
    """A whole run. Rates are per year; ``steps_per_year`` sets the step length."""

    name: str = "baseline"
    seed: int = 0
    years: float = 15.0
    steps_per_year: int = 12
    spinup_years: float = 60.0  # years run under today's policy before time 0: heads' learning settles over ~50 years
    spinup_steps_per_year: int = 2  # the spin-up's step (coarser is cheaper; rates are per year)
    landscape: dict[str, Any] = field(default_factory=dict)
    funding: FundingConfig = field(default_factory=FundingConfig)
    distance: DistanceConfig = field(default_factory=DistanceConfig)
    accountability: AccountabilityConfig = field(default_factory=AccountabilityConfig)
    executive_headship: ExecutiveHeadshipConfig = field(default_factory=ExecutiveHeadshipConfig)
    rules: dict[str, Any] = field(default_factory=dict)
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self) -> None:
        check("seed", self.seed, self.seed >= 0, "an integer >= 0")
        check("years", self.years, 0 < self.years <= 200, "a number of years in (0, 200]")
        check("steps_per_year", self.steps_per_year, 1 <= self.steps_per_year <= 365,
              "an integer from 1 to 365")
        check("spinup_years", self.spinup_years, 0 <= self.spinup_years <= 200,
              "a number of years in [0, 200]")
        check("spinup_steps_per_year", self.spinup_steps_per_year,
              1 <= self.spinup_steps_per_year <= 365, "an integer from 1 to 365")


CONF_DIR = Path(__file__).resolve().parent.parent / "conf"


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


@dataclass
class Settings:
    """A validated run: the typed config, the landscape (class, params) and the rules in config order,
    each as (name, class, params)."""

    config: Config
    landscape: tuple[type, Any]
    rules: list[tuple[str, type, Any]]


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
    from sim.landscape import Landscape  # here, not at the top: landscapes import this module
    from sim.rules import PHASES, Rule

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
    return Settings(config=config, landscape=landscape, rules=rules)


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node) if OmegaConf.is_config(node) else node


def _describe_omegaconf_error(error: OmegaConfBaseException) -> str:
    key = getattr(error, "full_key", None) or "?"
    first_line = str(error).splitlines()[0]
    return f"config key '{key}': {first_line}"
