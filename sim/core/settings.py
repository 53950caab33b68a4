"""A whole run's settings: the typed run config (with its four levers) and, once validated, the
landscape and rules to build (``sim.config.validate`` makes a ``Settings``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sim.core.checks import check, check_fields_finite
from sim.core.levers import (
    AccountabilityConfig,
    DistanceConfig,
    ExecutiveHeadshipConfig,
    FundingConfig,
)

NAME = re.compile(r"[A-Za-z0-9_-]+")  # a run's name: it becomes a folder name


@dataclass
class OutputConfig:
    """What a run writes besides its tables."""

    progress: bool = True
    plot: bool = True
    summary: bool = True
    counterfactual: bool = True  # a policy run also runs today's policy on the same draws (counterfactual/)
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
        check_fields_finite("", self)
        check("name", self.name, NAME.fullmatch(self.name) is not None and len(self.name) <= 100,
              "up to 100 letters, digits, '_' and '-' (it names the output folder)")
        check("seed", self.seed, 0 <= self.seed < 2**63,
              "an integer from 0 to 2**63 - 1 (results tables store it as a 64-bit integer)")
        check("years", self.years, 0 < self.years <= 200, "a number of years in (0, 200]")
        check("steps_per_year", self.steps_per_year, 1 <= self.steps_per_year <= 365,
              "an integer from 1 to 365")
        check("years", self.years, round(self.years * self.steps_per_year) >= 1,
              f"at least one step: years * steps_per_year >= 0.5 (steps_per_year = {self.steps_per_year})")
        check("spinup_years", self.spinup_years, 0 <= self.spinup_years <= 200,
              "a number of years in [0, 200]")
        check("spinup_steps_per_year", self.spinup_steps_per_year,
              1 <= self.spinup_steps_per_year <= 365, "an integer from 1 to 365")


@dataclass
class Settings:
    """A validated run: the typed config, the landscape (class, params) and the rules in config order,
    each as (name, class, params)."""

    config: Config
    landscape: tuple[type, Any]
    rules: list[tuple[str, type, Any]]
