"""The rule interface: the phases of a step, the base class of every rule and its helpers.

A rule declares its ``phase``, the services it ``provides`` to other rules and a ``Params``
dataclass (one line per parameter, with unit and source, or marked as an assumption); the model
builds it from config (``rules.<name>._target_``) and never imports a particular rule, and rules
never look each other up by class. Each rule declares the state it ``reads`` and ``writes``
(names below): a test fails if a rule changes state it did not declare, and the ODD's process
overview (docs/ODD.md section 3.2) is generated from the declarations. Each rule draws only from
its own random stream ``self.rng``.
Where the calibration (``sim.experiments.calibration``) fitted a parameter, the fitted value is
the default runs use, and the Params default is the assumption it replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.core.checks import check
from sim.core.partnerships import COLUMNS

if TYPE_CHECKING:
    from sim.core.model import PartnershipModel

# The fixed order of a step. Rules in the same phase run in the order config lists them.
PHASES = (
    "staffing",            # heads and teachers leave and are recruited; vacancies
    "accountability",      # inspections, grades, pressure, competition
    "trusts",              # conversion to academies, joining trusts, sponsorship after failure
    "executive_headship",  # strong heads take on struggling or headless schools
    "need",                # schools judge what they need and what they are strong at
    "formation",           # partnerships form (organic, then funded programmes), and formalise
    "running",             # joint work: time away, trust, learning, spending
    "dissolution",         # partnerships end
    "improvement",         # pupil outcomes follow teaching and leadership, with a lag
)


# Names of the state a rule reads or writes:
#   schools.<array>         a SchoolState array (a rule may add its own, e.g. schools.faith)
#   partnerships.<column>   a column of the partnership table, on partnerships that exist already
#   partnerships.rows       new partnerships (rows added)
#   partnerships.members    who is in which running partnership (join, leave, end)
#   flows.<count>           what happened during this step (the model's StepFlows)
#   levers.<lever>          a policy lever's settings (read only)
#   service.<name>          a service another rule provides (read only; see Rule.provides)
# What the model's shared changes write: a rule calling one lists these among its writes.
RELEASE_EXECUTIVE_WRITES = ("schools.head", "schools.executive_lead", "schools.n_led")
FORM_PARTNERSHIP_WRITES = ("partnerships.rows", "schools.n_past_partnerships", "flows.formed")
END_PARTNERSHIPS_WRITES = ("partnerships.ended_at", "partnerships.end_reason",
                           "partnerships.members", "schools.ties", "schools.tie_partner",
                           *RELEASE_EXECUTIVE_WRITES,
                           "flows.dissolved")
LEAVE_PARTNERSHIP_WRITES = (*END_PARTNERSHIPS_WRITES, "partnerships.n_members", "flows.left")
# ... and what the partnership table's ``fund`` writes.
FUND_WRITES = ("partnerships.kind", "partnerships.funding_gbp", "partnerships.funding_rate_gbp",
               "partnerships.funded_until", "partnerships.impact_measure")


class Rule:
    """Base class of every rule."""

    phase: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one or two sentences for the ODD's process overview
    # The state this rule's setup, start and step read and write (names above).
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()
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


def occurs(draw: np.ndarray, rate_per_year, dt_years: float) -> np.ndarray:
    """Whether each event happens within the step: ``draw < p_event(rate, dt)``, value for value.

    The exact test is made only where ``draw`` is below ``rate * dt``, an upper bound of the
    probability (1 - e^-x <= x; with a hair of margin for rounding): events are rare in a step,
    and an exponential costs about as much as twenty multiplications on CPUs whose numpy has
    no vectorised exp, so taking it for every school was a visible part of a national run."""
    x = np.broadcast_to(np.asarray(rate_per_year, dtype=float) * dt_years, np.shape(draw))
    maybe = np.flatnonzero(draw < x * (1 + 1e-9))
    happens = np.zeros(np.shape(draw), dtype=bool)
    happens[maybe] = draw[maybe] < -np.expm1(-x[maybe])
    return happens


def relax(x, target, rate_per_year, dt_years: float, where=None):
    """Move ``x`` toward ``target`` exactly as d x/dt = rate (target - x) would over one step.

    ``where`` (a mask, optional): the values whose rate may be non-zero; the exponential is taken
    for those only (see ``occurs``) and is 1 elsewhere, which it is for a rate of 0: the same
    result, value for value."""
    rate = np.asarray(rate_per_year)
    if where is None:
        return target + (x - target) * np.exp(-rate * dt_years)
    decay = np.ones(np.shape(rate))
    decay[where] = np.exp(-rate[where] * dt_years)
    return target + (x - target) * decay


def ou_noise(rng: np.random.Generator, n: int, sd_stationary, rate_per_year, dt_years: float):
    """Noise of an Ornstein-Uhlenbeck process over one step, so the spread is step-length free."""
    decay = np.exp(-2 * np.asarray(rate_per_year) * dt_years)
    return np.asarray(sd_stationary) * np.sqrt(1 - decay) * rng.normal(size=n)


def state_snapshot(model: PartnershipModel) -> dict[str, object]:
    """A copy of every piece of state a rule may write, by its declared name."""
    s, pt = model.schools, model.partnerships
    snapshot: dict[str, object] = {f"schools.{name}": value.copy()
                                   for name, value in vars(s).items() if isinstance(value, np.ndarray)}
    snapshot |= {f"partnerships.{name}": getattr(pt, name).copy() for name in COLUMNS}
    snapshot["partnerships.rows"] = pt.size
    pid, school = pt.links()
    snapshot["partnerships.members"] = set(zip(pid.tolist(), school.tolist(), strict=True))
    snapshot |= {f"flows.{name}": value for name, value in vars(model.flows).items()}
    return snapshot


def changed_state(before: dict[str, object], after: dict[str, object]) -> set[str]:
    """The names whose state differs between two snapshots. Partnerships added in between count
    as ``partnerships.rows`` only: their columns and members are compared on earlier rows."""
    rows = before["partnerships.rows"]
    changed = set(after) - set(before)
    for name, old in before.items():
        new = after[name]
        if name == "partnerships.members":
            new = {(pid, school) for pid, school in new if pid < rows}
        elif name.startswith("partnerships.") and name != "partnerships.rows":
            new = new[:rows]
        if isinstance(old, np.ndarray):
            same = old.shape == new.shape and np.array_equal(old, new, equal_nan=old.dtype.kind == "f")
        else:
            same = old == new
        if not same:
            changed.add(name)
    return changed
