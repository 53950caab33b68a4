"""sim/analysis/intervals.py: one t interval for one sample or many."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.analysis.intervals import mean_ci, t_interval


def test_a_sample_without_spread_has_a_zero_width_interval():
    assert mean_ci([1.0, 1.0, 1.0]) == (1.0, 1.0, 1.0)


def test_mean_ci_is_scipys_one_sample_t_interval():
    values = np.array([0.3, -0.1, 0.8, 0.25, 0.4])
    expected = stats.ttest_1samp(values, 0).confidence_interval(0.9)
    mean, low, high = mean_ci(values, level=0.9)
    assert mean == pytest.approx(values.mean())
    assert (low, high) == pytest.approx((expected.low, expected.high))


def test_many_samples_at_once_give_each_samples_interval():
    samples = [np.array([1.0, 2.0]), np.array([0.5, 0.7, -0.2]), np.array([3.0, 3.5, 4.0, 2.0])]
    n = np.array([len(s) for s in samples])
    mean = np.array([s.mean() for s in samples])
    sd = np.array([s.std(ddof=1) for s in samples])
    low, high = t_interval(n, mean, sd)
    for i, sample in enumerate(samples):
        assert (low[i], high[i]) == pytest.approx(mean_ci(sample)[1:])


def test_fewer_than_two_values_have_no_interval():
    mean, low, high = mean_ci([2.5])
    assert mean == 2.5 and np.isnan(low) and np.isnan(high)
    assert all(np.isnan(mean_ci([])))
    low, high = t_interval(np.array([1, 0]), np.array([1.0, np.nan]), np.array([np.nan, np.nan]))
    assert np.isnan(low).all() and np.isnan(high).all()
