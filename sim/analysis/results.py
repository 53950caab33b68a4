"""A sweep store's tables, read through ``sim.storage.store.Store``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.storage.store import Store


@dataclass
class SweepResults:
    """A store's tables: the plan, every finished run's yearly rows and partnerships."""

    plan: pd.DataFrame
    yearly: pd.DataFrame
    partnerships: pd.DataFrame
    runs: pd.DataFrame  # one row per planned run with its status
    info: dict  # sweep.json
    outcomes: dict[str, str]  # outcome -> "higher" | "lower" (which way is better)
    baseline: str
    schools: pd.DataFrame = field(default_factory=pd.DataFrame)  # school panels, if stored


def load_results(store_dir: str | Path) -> SweepResults:
    """Read the runs listed in a store's plan (ignoring stale files of an edited experiment)."""
    store = Store(store_dir)
    plan = store.read_plan()
    info = store.read_sweep_info()
    done = store.done_run_ids()
    failed = store.failed_run_ids()
    finished = [r for r in plan.run_id if r in done]
    rows = []
    for run_id in plan.run_id:
        row = {"run_id": run_id, "status": "pending", "error": ""}
        if run_id in done:
            manifest = store.read_manifest(run_id)
            row.update(status="done", git_commit=manifest.get("git_commit"),
                       compute_s=manifest.get("compute_s"), wall_time_s=manifest.get("wall_time_s"),
                       python=manifest.get("python"),
                       **{f"version:{k}": v for k, v in manifest.get("packages", {}).items()})
        elif run_id in failed:
            error = store.read_failure(run_id)["error"].strip().splitlines()
            row.update(status="failed", error=error[-1] if error else "")
        rows.append(row)
    runs = plan.merge(pd.DataFrame(rows), on="run_id")
    experiment = info["experiment"]
    return SweepResults(plan=plan, yearly=store.read_runs(finished),
                        partnerships=store.read_partnerships(finished), runs=runs, info=info,
                        outcomes=experiment["outcomes"],
                        baseline=experiment["baseline"],
                        schools=store.read_school_panels(finished))
