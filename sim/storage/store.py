"""The results store of a sweep: one Parquet file per finished run, written atomically.

Layout of a store directory (``sim.sweep`` writes it, ``sim.report`` reads it)::

    experiment.yaml                 the experiment file the sweep ran, as given
    sweep.json                      the resolved experiment, versions and git commit of the sweep
    plan.parquet                    every planned run: run_id, scenario, point, seed,
                                    baseline_run_id (its pair), config_hash, overrides, parameters
    runs/<run_id>.parquet           a finished run: its yearly time series, with the run's manifest
                                    (config hash, seed, versions, git commit, timings) in the file's
                                    metadata; a file that reads back whole marks the run
                                    as done (one that does not is run again)
    partnerships/<run_id>.parquet   the partnerships alive during the run (for survival analysis)
    schools/<run_id>.parquet        the run's compact school panel, one row per school and year
                                    (outcome, grade, pupils, phase, rural, FSM quintile, year it
                                    joined a policy partnership): participants' effects
    failed/<run_id>.json            a run that raised: its error and traceback (retried next time)
    report/                         tables, figures and report.html

This module only reads and writes tables; it never imports the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.storage.files import write_atomic

MANIFEST_KEY = b"sim_manifest"


class StoreError(Exception):
    """The store cannot be written (a file in the way, read-only, a name too long): one line."""


class Store:
    """Paths and file formats of one results store directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.partnerships = self.root / "partnerships"
        self.schools = self.root / "schools"
        self.failed = self.root / "failed"
        self.report = self.root / "report"
        self.plan_path = self.root / "plan.parquet"
        self.sweep_path = self.root / "sweep.json"
        self.experiment_path = self.root / "experiment.yaml"

    # -- writing (the sweep's driver process only) ------------------------------------------
    def prepare(self) -> None:
        """Create the store's folders and check a file can be written there; ``StoreError`` if not."""
        try:
            for folder in (self.root, self.runs, self.partnerships, self.schools, self.failed):
                folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.root / ".write-check", lambda tmp: Path(tmp).write_text("ok"))
            (self.root / ".write-check").unlink()
        except OSError as error:
            reason = error.strerror or str(error)
            raise StoreError(f"cannot write the results store {str(self.root)!r}: {reason}"
                             + (f" ({error.filename})" if error.filename else "")) from None

    def write_plan(self, plan: pd.DataFrame, sweep_info: dict, experiment_text: str) -> None:
        write_atomic(self.experiment_path, lambda tmp: Path(tmp).write_text(experiment_text))
        write_atomic(self.sweep_path,
                     lambda tmp: Path(tmp).write_text(json.dumps(sweep_info, indent=2, default=str)))
        write_atomic(self.plan_path, lambda tmp: plan.to_parquet(tmp, index=False))

    def write_run(self, run_id: str, yearly: pd.DataFrame, partnerships: pd.DataFrame,
                  manifest: dict, schools: pd.DataFrame | None = None) -> None:
        """Save a finished run: partnerships and school panel first, then the run file that marks
        it done."""
        write_atomic(self.partnerships / f"{run_id}.parquet",
                     lambda tmp: partnerships.to_parquet(tmp, index=False))
        if schools is not None:
            self.schools.mkdir(exist_ok=True)  # stores written before school panels existed
            write_atomic(self.schools / f"{run_id}.parquet",
                         lambda tmp: schools.to_parquet(tmp, index=False))
        table = pa.Table.from_pandas(yearly, preserve_index=False)
        metadata = dict(table.schema.metadata or {})
        metadata[MANIFEST_KEY] = json.dumps(manifest, default=str).encode()
        table = table.replace_schema_metadata(metadata)
        write_atomic(self.runs / f"{run_id}.parquet", lambda tmp: pq.write_table(table, tmp))
        (self.failed / f"{run_id}.json").unlink(missing_ok=True)

    def write_failure(self, run_id: str, failure: dict) -> None:
        write_atomic(self.failed / f"{run_id}.json",
                     lambda tmp: Path(tmp).write_text(json.dumps(failure, indent=2, default=str)))

    def remove_temporary_files(self) -> int:
        """Delete half-written temporary files left by a sweep that was killed; return how many."""
        removed = 0
        for folder in (self.runs, self.partnerships, self.schools, self.failed):
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink()
                removed += 1
        return removed

    # -- reading ---------------------------------------------------------------------------
    def done_run_ids(self) -> set[str]:
        """Runs whose result file reads back whole, with its manifest. Files are written atomically
        and flushed to disk, but a crash of the machine or a full disk can still leave an empty or
        truncated one: such a run is not done (the sweep runs it again and replaces the file)."""
        return {path.stem for path in self.runs.glob("*.parquet") if _is_whole(path)}

    def failed_run_ids(self) -> set[str]:
        return {path.stem for path in self.failed.glob("*.json")}

    def read_plan(self) -> pd.DataFrame:
        if not self.plan_path.exists():
            raise FileNotFoundError(f"{self.root} is not a sweep store: it has no plan.parquet")
        return pd.read_parquet(self.plan_path)

    def read_sweep_info(self) -> dict:
        return json.loads(self.sweep_path.read_text())

    def read_manifest(self, run_id: str) -> dict:
        metadata = pq.read_schema(self.runs / f"{run_id}.parquet").metadata
        return json.loads(metadata[MANIFEST_KEY])

    def read_failure(self, run_id: str) -> dict:
        return json.loads((self.failed / f"{run_id}.json").read_text())

    def read_runs(self, run_ids) -> pd.DataFrame:
        """Yearly time series of the given finished runs, stacked (one row per run and year)."""
        return _read_many([self.runs / f"{r}.parquet" for r in run_ids])

    def read_partnerships(self, run_ids) -> pd.DataFrame:
        return _read_many([self.partnerships / f"{r}.parquet" for r in run_ids])

    def read_school_panels(self, run_ids) -> pd.DataFrame:
        """The school panels of the given runs that have one, stacked (with ``run_id``)."""
        return _read_many([p for r in run_ids if (p := self.schools / f"{r}.parquet").exists()])


def _is_whole(path: Path) -> bool:
    """A Parquet file whose footer and schema read back, with the run's manifest."""
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException):
        return False
    return MANIFEST_KEY in metadata


def _read_many(paths: list[Path]) -> pd.DataFrame:
    if not paths:
        return pd.DataFrame()
    tables = [pq.read_table(path) for path in paths]
    return pa.concat_tables(tables, promote_options="default").to_pandas()
