"""The rule interface: the phases of a step, the base class of every rule and its helpers.

A rule declares its ``phase``, the services it ``provides`` to other rules and a ``Params``
dataclass (one line per parameter, with unit and source, or marked as an assumption); the model
builds it from config (``rules.<name>._target_``) and never imports a particular rule, and rules
never look each other up by class. Each rule draws only from its own random stream ``self.rng``.
Where the calibration (``sim.experiments.calibration``) fitted a parameter, the fitted value is
the default runs use, and the Params default is the assumption it replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.core.checks import check

if TYPE_CHECKING:
    from sim.core.model import PartnershipModel

# The fixed order of a step. Rules in the same phase run in the order config lists them.
PHASES = (
    "staffing",            # heads and teachers leave and are recruited; vacancies
    "accountability",      # inspections, grades, pressure, competition, interventions
    "executive_headship",  # strong heads take on struggling or headless schools
    "need",                # schools judge what they need and what they are strong at
    "formation",           # partnerships form (organic, then funded programmes), and formalise
    "running",             # joint work: time away, trust, learning, spending
    "dissolution",         # partnerships end
    "improvement",         # pupil outcomes follow teaching and leadership, with a lag
)


class Rule:
    """Base class of every rule."""

    phase: ClassVar[str] = ""
    # Services this rule offers other rules, by name. A rule that needs one asks the model for it
    # by that name (``model.provider(name)``), never by class, so a subclass swapped in through
    # config keeps serving it. The service names in use:
    #   "funding_programme": ``eligible(model, funding)``, the schools the programme would fund.
    provides: ClassVar[tuple[str, ...]] = ()

    @dataclass
    class Params:
        pass

    def __init__(self, params: Params, rng: np.random.Generator) -> None:
        self.p = params
        self.rng = rng

    def setup(self, model: PartnershipModel) -> None:
        """Called once after the model is built, before the spin-up."""

    def start(self, model: PartnershipModel) -> None:
        """Called once at time 0, after the spin-up and before the first recorded step."""

    def step(self, model: PartnershipModel) -> None:
        raise NotImplementedError

    def report(self, model: PartnershipModel) -> dict[str, float]:
        """Extra time-series columns this rule adds to every recorded step (none by default)."""
        return {}


def check_services(rules: list[tuple[str, type, object]]) -> None:
    """Refuse two switched-on rules (config name, class, params) providing the same service."""
    served = {}
    for name, cls, _ in rules:
        for service in cls.provides:
            check(f"rules.{name}._target_", cls.__name__, service not in served,
                  f"a rule not providing {service!r}, which rules.{served.get(service)} provides")
            served[service] = name


def p_event(rate_per_year, dt_years: float):
    """Probability that an event with a constant yearly rate happens within one step."""
    return -np.expm1(-np.asarray(rate_per_year) * dt_years)


def relax(x, target, rate_per_year, dt_years: float):
    """Move ``x`` toward ``target`` exactly as d x/dt = rate (target - x) would over one step."""
    return target + (x - target) * np.exp(-np.asarray(rate_per_year) * dt_years)


def ou_noise(rng: np.random.Generator, n: int, sd_stationary, rate_per_year, dt_years: float):
    """Noise of an Ornstein-Uhlenbeck process over one step, so the spread is step-length free."""
    decay = np.exp(-2 * np.asarray(rate_per_year) * dt_years)
    return np.asarray(sd_stationary) * np.sqrt(1 - decay) * rng.normal(size=n)
