"""Fuzzing: random valid configurations (levers with their timing, rule rates scaled around their
defaults, tiny regions and horizons) never give NaN, negative money, a partnership of fewer than two
schools or a member of an ended partnership."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import assert_invariants
from sim.config import compose, validate
from sim.config.generate import rule_defaults
from sim.core.checks import ConfigError
from sim.core.model import PartnershipModel
from sim.core.partnerships import ACTIVE

RULES = ("staffing", "accountability", "executive_headship", "need", "formation", "funding",
         "running", "dissolution", "improvement")
# Every float parameter of every default rule: the fuzzer scales a few of them.
RULE_FLOATS = [f"rules.{rule}.{name}" for rule in RULES
               for name, value in rule_defaults(rule).items()
               if isinstance(value, float)]
DEFAULTS = {key: rule_defaults(key.split(".")[1])[key.split(".")[2]] for key in RULE_FLOATS}


@st.composite
def valid_settings(draw):
    share = st.floats(0, 1)
    overrides = [
        f"scenario={draw(st.sampled_from(['baseline', 'pathfinder', 'rural_clusters', 'executive_heads', 'cluster_lump_sums', 'high_stakes']))}",
        f"seed={draw(st.integers(0, 10_000))}",
        f"landscape.n_schools={draw(st.integers(10, 60))}",
        f"years={draw(st.integers(1, 3))}",
        f"spinup_years={draw(st.integers(0, 2))}",
        f"steps_per_year={draw(st.sampled_from([1, 4, 12]))}",
        f"funding.start_year={draw(st.sampled_from([0, 1]))}",
        f"funding.budget_gbp_per_year_per_1000_schools={draw(st.floats(0, 1e7))}",
        f"funding.amount_primary_gbp={draw(st.floats(1, 1e6))}",
        f"accountability.stakes={draw(share)}",
        f"distance.transport_subsidy_share={draw(share)}",
    ]
    for key in draw(st.lists(st.sampled_from(RULE_FLOATS), max_size=5, unique=True)):
        overrides.append(f"{key}={DEFAULTS[key] * draw(st.floats(0, 3))!r}")
    try:
        return validate(compose(overrides))
    except ConfigError:
        assume(False)  # scaled out of its allowed range: not a valid config


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(valid_settings())
def test_random_valid_configs_keep_every_invariant(settings_):
    model = PartnershipModel(settings_)
    assert_invariants(model)
    model.run()  # sim.core.guards stops it at the first NaN or infinity
    assert_invariants(model)
    pt = model.partnerships
    ended = pt.end_reason != ACTIVE
    pid, _ = pt.links()
    assert not np.any(ended[pid]), "a school still linked to an ended partnership"
    for name, values in vars(model.schools).items():
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            assert np.isfinite(values).all(), name
    for column in ("funding_gbp", "spent_gbp", "funding_rate_gbp"):
        assert (getattr(pt, column) >= 0).all(), column
