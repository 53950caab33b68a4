"""Shortcuts taken for speed (rule helpers, the recorder's named columns) give the plain
formulas' results, value for value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.core.partnerships import ACTIVE, REASON_NAMES
from sim.core.recorder import named, reason_names
from sim.core.rule import occurs, p_event, relax

RATES = st.one_of(st.just(0.0), st.floats(0, 1e-12), st.floats(0, 50), st.floats(1e-300, 1e-15))


@settings(max_examples=300, deadline=None)
@given(rates=arrays(np.float64, st.integers(1, 60), elements=RATES),
       seed=st.integers(0, 2**32 - 1), dt=st.sampled_from([1.0, 0.5, 1 / 12, 1 / 52]))
def test_occurs_is_the_plain_test_for_every_draw(rates, seed, dt):
    draw = np.random.default_rng(seed).random(len(rates))
    # Draws placed exactly on the probability and just either side of it: the edge cases.
    exact = p_event(rates, dt)
    draw[::3] = exact[::3]
    draw[1::3] = np.nextafter(exact[1::3], 0)
    assert np.array_equal(occurs(draw, rates, dt), draw < p_event(rates, dt))
    scalar = float(rates[0])  # one rate for every school
    assert np.array_equal(occurs(draw, scalar, dt), draw < p_event(scalar, dt))


def test_occurs_at_national_scale_matches_and_is_rare_where_rates_are_low():
    rng = np.random.default_rng(7)
    rate = rng.gamma(2.0, 0.2, size=24_000)
    draw = rng.random(24_000)
    happens = occurs(draw, rate, 1 / 12)
    assert np.array_equal(happens, draw < p_event(rate, 1 / 12))
    assert 0 < happens.mean() < 0.1


@settings(max_examples=200, deadline=None)
@given(x=arrays(np.float64, 40, elements=st.floats(-10, 10)),
       rate=arrays(np.float64, 40, elements=st.one_of(st.just(0.0), st.floats(0, 20))),
       target=st.floats(-5, 5), dt=st.sampled_from([0.5, 1 / 12]))
def test_relax_where_the_rate_may_be_non_zero_is_relax_everywhere(x, rate, target, dt):
    plain = relax(x, target, rate, dt)
    assert np.array_equal(relax(x, target, rate, dt, where=rate > 0), plain)
    # Rounding: with a rate of 0, target + (x - target) need not be x; both ways agree on it.
    assert np.array_equal(relax(x, target, np.zeros(40), dt, where=np.zeros(40, dtype=bool)),
                          target + (x - target))


def test_named_columns_are_what_pandas_makes_of_numpy_strings(tmp_path):
    codes = np.random.default_rng(3).integers(-1, len(REASON_NAMES), 1000).astype(np.int8)
    names = np.array(["primary", "secondary"])
    fast = pd.DataFrame({"phase": named(names, (codes > 2).astype(np.int8)),
                         "reason": reason_names(codes)})
    plain = pd.DataFrame({"phase": names[(codes > 2).astype(np.int8)],
                          "reason": np.where(codes == ACTIVE, "",
                                             np.array(REASON_NAMES)[np.maximum(codes, 0)])})
    pd.testing.assert_frame_equal(fast, plain)
    fast.to_parquet(tmp_path / "fast.parquet")
    plain.to_parquet(tmp_path / "plain.parquet")
    assert (tmp_path / "fast.parquet").read_bytes() == (tmp_path / "plain.parquet").read_bytes()
