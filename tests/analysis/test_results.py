"""sim/analysis/results.py: reading a store's plan, finished runs, failures and pending runs."""

from __future__ import annotations

import pandas as pd

from sim.analysis.results import load_results
from sim.storage.store import Store


def test_finished_failed_and_pending_runs(tmp_path):
    store = Store(tmp_path)
    plan = pd.DataFrame({"run_id": ["b-0", "p-0", "p-1"], "scenario": ["baseline", "p", "p"],
                         "point": -1, "seed": [0, 0, 1], "baseline_run_id": ["b-0", "b-0", "b-1"]})
    experiment = {"name": "t", "baseline": "baseline", "outcomes": {"mean_outcome": "higher"}}
    store.write_plan(plan, {"experiment": experiment}, "name: t\n")
    partnerships = pd.DataFrame({"partnership_id": [0], "formed_at": [0.0]})
    for run_id in ("b-0", "stale"):  # "stale": a file of a run no longer in the plan
        store.write_run(run_id, pd.DataFrame({"run_id": run_id, "year": [0, 1],
                                              "mean_outcome": [0.0, 1.0]}),
                        partnerships.assign(run_id=run_id),
                        {"git_commit": "abc", "packages": {"mesa": "3.3.1"}})
    store.write_failure("p-0", {"error": "Traceback ...\nValueError: bad value"})
    results = load_results(tmp_path)
    status = results.runs.set_index("run_id")
    assert status.status.to_dict() == {"b-0": "done", "p-0": "failed", "p-1": "pending"}
    assert status.loc["p-0", "error"] == "ValueError: bad value"
    assert status.loc["b-0", "version:mesa"] == "3.3.1"
    assert set(results.yearly.run_id) == {"b-0"} and set(results.partnerships.run_id) == {"b-0"}
    assert (results.baseline, results.outcomes) == ("baseline", {"mean_outcome": "higher"})
