"""Shared helpers: small, fast runs of the model."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.config import compose, validate
from sim.core.model import PartnershipModel
from sim.core.partnerships import ACTIVE, TRUST
from sim.core.vocabulary import HEAD_EXECUTIVE
from sim.running import simulate


def load_script(path: Path):
    """A script that is not part of the package (scripts/, notebooks/), imported once as a
    module (registered before it runs: dataclasses look their module up there)."""
    if path.stem not in sys.modules:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    return sys.modules[path.stem]


def outside_blocks(text: str, markers) -> list[str]:
    """The pieces of ``text`` outside every generated block (``markers``: the blocks' Markers)."""
    for block in markers:
        before, rest = text.split(block.start)
        text = before + "\0" + rest.split(block.end)[1]
    return text.split("\0")


# Small enough for a quick test, big enough for every process to happen.
SMALL = ("landscape.n_schools=150", "years=4", "spinup_years=3")


def settings_for(*overrides: str):
    return validate(compose([*SMALL, *overrides]))


@functools.lru_cache(maxsize=64)
def _cached_run(overrides: tuple[str, ...]):
    return simulate(settings_for(*overrides))


@pytest.fixture
def run():
    """Run the model with ``SMALL`` plus overrides; results are cached across tests."""
    return lambda *overrides: _cached_run(tuple(overrides))


def build(*overrides: str) -> PartnershipModel:
    return PartnershipModel(settings_for(*overrides))


def assert_invariants(model: PartnershipModel) -> None:
    """Everything that must hold of any model state."""
    s, pt = model.schools, model.partnerships
    for name in ("talent", "capacity", "head_ability", "fsm", "need", "inward", "time_away"):
        values = getattr(s, name)
        assert np.all(np.isfinite(values)), name
        assert values.min() >= 0 and values.max() <= 1, (name, values.min(), values.max())
    for name in ("outcome", "gap", "pupils"):
        assert np.all(np.isfinite(getattr(s, name))), name
    assert s.gap.min() >= 0 and s.pupils.min() > 0
    assert set(np.unique(s.grade)) <= {1, 2, 3, 4}
    # Membership: links are active exactly while their partnership is, and counts agree.
    pid, school = pt.links()
    assert np.all(pt.end_reason[pid] == ACTIVE)
    counts = np.bincount(pid, minlength=pt.size)
    assert np.all(counts[pt.active] == pt.n_members[pt.active])
    assert np.all(pt.n_members[pt.active] >= 2), "a partnership without members"
    assert len(set(zip(pid.tolist(), school.tolist(), strict=True))) == len(pid), "duplicate member"
    assert np.array_equal(model.schools.n_partnerships, pt.count_per_school())
    assert np.all(np.isfinite(pt.strength)) and np.all((pt.strength >= 0) & (pt.strength <= 1))
    # A multi-academy trust holds academies only, and a school is in one trust at most.
    in_trust = school[pt.kind[pid] == TRUST]
    assert np.all(s.academy[in_trust]), "a maintained school in a trust"
    assert len(np.unique(in_trust)) == len(in_trust), "a school in two trusts"
    # Money is never negative and never more than awarded.
    assert np.all(pt.funding_gbp >= 0) and np.all(pt.spent_gbp >= 0)
    assert np.all(pt.spent_gbp <= pt.funding_gbp + 1e-6)
    # Executive heads: every covered school points at a lead whose count includes it.
    covered = np.flatnonzero(s.head == HEAD_EXECUTIVE)
    assert np.all(s.executive_lead[covered] >= 0)
    assert np.array_equal(np.bincount(s.executive_lead[covered], minlength=s.n), s.n_led)
    assert np.all(s.executive_lead[s.head != HEAD_EXECUTIVE] == -1)
