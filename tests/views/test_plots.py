"""The single run's summary figure (sim/views/plots.py): the counterfactual beside the policy."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim.views.plots import (
    COUNTERFACTUAL_LABEL,
    DIFFERENCE_FLOOR_MONTHS,
    OUTCOME_FLOOR_SPAN_MONTHS,
    summary_figure,
)


def _timeseries(outcome, funding_from: float | None = None) -> pd.DataFrame:
    t = np.linspace(0, 6, len(outcome))
    frame = pd.DataFrame({"time_years": t, "mean_outcome": outcome,
                          "disadvantage_gap": 13.0 + 0.01 * np.asarray(outcome),
                          "n_informal": 30, "n_funded": 0, "n_federation": 20, "n_trust": 6,
                          "n_executive_heads": 4})
    for lever in ("funding", "distance", "accountability", "executive_headship"):
        frame[f"{lever}_active"] = False
    if funding_from is not None:
        frame["funding_active"] = t > funding_from
    return frame


def _labels(ax) -> list[str]:
    return [line.get_label() for line in ax.get_lines()]


def test_a_policy_run_figure_draws_the_counterfactual_and_the_difference():
    counterfactual = _timeseries(np.full(25, 0.01))
    policy = _timeseries(0.01 + np.where(np.linspace(0, 6, 25) > 2, 0.02, 0.0), funding_from=2)
    fig = summary_figure(policy, counterfactual=counterfactual)
    outcome_ax, difference_ax = fig.axes[0], fig.axes[1]
    assert COUNTERFACTUAL_LABEL in _labels(outcome_ax)
    counterfactual_line = outcome_ax.get_lines()[_labels(outcome_ax).index(COUNTERFACTUAL_LABEL)]
    assert np.allclose(counterfactual_line.get_ydata(), counterfactual.mean_outcome)
    difference = next(line for line in difference_ax.get_lines()
                      if line.get_label().startswith("mean pupil outcome: policy − counterfactual"))
    assert np.allclose(difference.get_ydata(), policy.mean_outcome - counterfactual.mean_outcome)
    # A 0.02-month difference is drawn on an axis of at least +/- half a month: it looks small.
    low, high = difference_ax.get_ylim()
    assert low <= -DIFFERENCE_FLOOR_MONTHS and high >= DIFFERENCE_FLOOR_MONTHS
    low, high = outcome_ax.get_ylim()
    assert high - low >= OUTCOME_FLOOR_SPAN_MONTHS - 1e-9
    assert any(patch.get_label().startswith("policy in force") for patch in difference_ax.patches)
    plt.close(fig)


def test_a_run_without_counterfactual_has_three_panels_and_a_large_effect_is_not_clipped():
    fig = summary_figure(_timeseries(np.linspace(0, 5, 25)))
    assert len(fig.axes) == 3
    assert all(COUNTERFACTUAL_LABEL not in _labels(ax) for ax in fig.axes)
    low, high = fig.axes[0].get_ylim()
    assert low <= 0 and high >= 5
    plt.close(fig)


def test_a_counterfactual_on_other_time_steps_is_refused():
    with pytest.raises(ValueError, match="time steps"):
        summary_figure(_timeseries(np.zeros(25)), counterfactual=_timeseries(np.zeros(13)))
