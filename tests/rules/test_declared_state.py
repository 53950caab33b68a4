"""Every rule changes exactly the state it declares (``Rule.writes``): nothing undeclared, and
nothing declared that it never changes; and it declares only names of real state (the naming
scheme of ``sim.core.rule``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import build, settings_for
from sim.core.levers import LEVERS
from sim.core.model import PartnershipModel
from sim.core.rule import changed_state, state_snapshot
from sim.rules.need import Need

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# Scenarios that between them make every process happen (funding of pairs and clusters,
# executive heads, interventions), plus the notebook's example rule swapped in for Formation.
CASES = {
    "pathfinder": ("scenario=pathfinder", "funding.start_year=0", "funding.duration_years=0.5"),
    "cluster_lump_sums": ("scenario=cluster_lump_sums", "funding.start_year=0"),
    "executive_heads": ("scenario=executive_heads", "executive_headship.start_year=0"),
    "high_stakes": ("scenario=high_stakes", "accountability.start_year=0"),
    "faith_formation": ("rules.formation._target_=faith_rules.FaithFormation",),
    # Schools leaving federations of three or more (rare in two years at the defaults).
    "federation_leavers": ("rules.dissolution.drift_per_year=3.0",),
    # Many federations and frequent inspections: schools graded inadequate leave their federation
    # for a sponsor's trust, and inadequate schools in weak trusts are rebrokered.
    "sponsored_out_of_federations": (
        "accountability=single_grades",  # inadequate grades, so sponsorships, are common there
        "landscape.federations_per_1000_schools=150", "rules.trusts.rebroker_probability=1",
        "accountability.stakes=1", "accountability.inspection_frequency=4",
        "accountability.start_year=0"),
    # Report cards finding safeguarding not met (1 % of inspections at the defaults: whether two
    # years show one depends on the seed's draws).
    "safeguarding_not_met": ("rules.accountability.safeguarding_not_met_share=0.3",),
    # Standalone academies with no trust to join found trusts of their own.
    "new_trusts": ("landscape.trusts_per_1000_schools=0", "rules.trusts.join_per_year_standalone=5"),
    # Informal partnerships of maintained schools federate (only after the spin-up), and schools
    # leave federations.
    "federating": ("rules.formation.formalise_rate_per_year=50", "rules.formation.formalise_min_age_years=0",
                   "rules.formation.formalise_min_strength=0", "landscape.federations_per_1000_schools=150",
                   "rules.dissolution.rel_hazard_federation=1",
                   # federations convert often enough that some become trusts (partnerships.kind)
                   "rules.trusts.convert_per_year_primary=0.5",
                   "rules.trusts.convert_per_year_secondary=0.5"),
}


def changes_by_rule(monkeypatch, overrides, years: int = 2) -> dict[type, set[str]]:
    """Build and run a model, snapshotting all state around every rule's setup, start and step;
    return, by rule class, the names of the state it changed."""
    monkeypatch.syspath_prepend(str(NOTEBOOKS))
    settings = settings_for(*overrides, f"years={years}")
    changed: dict[type, set[str]] = {cls: set() for _, cls, _ in settings.rules}
    with monkeypatch.context() as patch:  # undone on return, before another case patches
        for cls in changed:
            for hook in ("setup", "start", "step"):
                patch.setattr(cls, hook, _recording(getattr(cls, hook), changed))
        PartnershipModel(settings).run()
    return changed


def _recording(hook, changed: dict[type, set[str]]):
    """``hook`` (a rule's setup, start or step), adding what it changes to ``changed``."""
    def recorded(rule, model):
        before = state_snapshot(model)
        hook(rule, model)
        changed[type(rule)] |= changed_state(before, state_snapshot(model))
    return recorded


def test_every_rule_writes_exactly_the_state_it_declares(monkeypatch):
    seen: dict[type, set[str]] = {}
    for case, overrides in CASES.items():
        # Four years of the pathfinder, so that some school leaves a federation (Dissolution).
        years = 4 if case == "pathfinder" else 2
        for cls, names in changes_by_rule(monkeypatch, overrides, years).items():
            undeclared = names - set(cls.writes)
            assert not undeclared, f"{cls.__name__} writes {sorted(undeclared)} undeclared"
            seen.setdefault(cls, set()).update(names)
    for cls, names in seen.items():
        if not cls.__module__.startswith("sim.rules."):
            continue  # the notebook's rule runs in one short case only
        never = set(cls.writes) - names
        assert not never, f"{cls.__name__} declares {sorted(never)} but never wrote them here"


class QuietNeed(Need):
    """Need that also halves pressure, without declaring it."""

    def step(self, model):
        super().step(model)
        model.schools.pressure = model.schools.pressure * 0.5


def test_a_rule_writing_undeclared_state_is_caught(monkeypatch):
    changed = changes_by_rule(monkeypatch, (f"rules.need._target_={__name__}.QuietNeed",), years=1)
    assert changed[QuietNeed] - set(QuietNeed.writes) == {"schools.pressure"}


@pytest.mark.parametrize("case", ["pathfinder", "faith_formation"])
def test_declared_names_are_state_of_the_model(monkeypatch, case):
    """A typo in a declaration (``schools.talnet``) fails here rather than passing unnoticed."""
    monkeypatch.syspath_prepend(str(NOTEBOOKS))
    model = build(*CASES[case], "spinup_years=0")
    known = set(state_snapshot(model)) | {f"levers.{lever}" for lever in LEVERS}
    known |= {f"service.{service}" for rule in model.rules for service in rule.provides}
    for rule in model.rules:
        unknown = set(rule.reads + rule.writes) - known
        assert not unknown, f"{type(rule).__name__} declares {sorted(unknown)}"
        read_only = {name for name in rule.writes if name.split(".")[0] in ("levers", "service")}
        assert not read_only, f"{type(rule).__name__} cannot write {sorted(read_only)}"
