"""RunResult.yearly(): a run's time series at whole years (what sweeps store)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.running import RunResult


def test_yearly_samples_stocks_at_year_ends_and_sums_flows_over_each_year():
    import numpy as np

    steps = np.arange(9)  # 4 steps a year, 2 years; step 0's flows belong to the spin-up
    timeseries = pd.DataFrame({"step": steps, "time_years": steps / 4,
                               "new_formed": [5, 1, 1, 1, 1, 2, 2, 2, 2], "new_dissolved": 0,
                               "new_left": 1, "new_converted": 2, "new_sponsored": 0,
                               "spend_gbp": 10.0, "mean_outcome": steps * 0.5})
    schools = pd.DataFrame({"year": [0, 0, 1, 1, 2, 2], "pupils": [10, 20, 11, 20, 12, 20]})
    table = RunResult(timeseries, schools, pd.DataFrame(),
                      meta={"config": {"steps_per_year": 4}}).yearly()
    assert table.year.tolist() == [0, 1, 2]
    assert table.mean_outcome.tolist() == [0.0, 2.0, 4.0]  # stocks at steps 0, 4, 8
    assert table.new_formed.tolist() == [0, 4, 8]  # flows of steps 1-4 and 5-8
    assert table.spend_gbp.tolist() == [0, 40, 40]
    assert table.new_left.tolist() == [0, 4, 4]  # a flow too (schools leaving a trust)
    assert table.new_converted.tolist() == [0, 8, 8]  # and schools becoming academies
    assert table.n_pupils.tolist() == [30, 31, 32]


@pytest.mark.parametrize("scenario", ["baseline", "pathfinder"])
def test_yearly_recording_gives_the_yearly_rows_of_recording_every_step(scenario):
    """Sweeps record the time series at whole years only (output.timeseries=year): the same
    yearly table, flows summed over each year, as recording every step."""
    from conftest import settings_for
    from sim.running import simulate

    args = ("landscape.n_schools=120", "years=3", "spinup_years=3", f"scenario={scenario}")
    every_step = simulate(settings_for(*args))
    yearly = simulate(settings_for(*args, "output.timeseries=year"))
    assert len(yearly.timeseries) == 4 < len(every_step.timeseries)
    pd.testing.assert_frame_equal(yearly.yearly(), every_step.yearly(), check_exact=False,
                                  rtol=1e-12)
    assert yearly.timeseries.new_formed.sum() > 0  # flows were there to sum
    pd.testing.assert_frame_equal(yearly.schools, every_step.schools)
