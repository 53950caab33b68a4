"""Running one simulation and saving what it produced (used by the CLI and by sweeps)."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import validate
from sim.core.paths import PROJECT_DIR
from sim.core.recorder import FLOW_COLUMNS
from sim.core.settings import Settings
from sim.storage.files import write_atomic

PACKAGES = ("mesa", "numpy", "pandas", "scipy", "hydra-core", "omegaconf", "pyarrow", "matplotlib")


@dataclass
class RunResult:
    """A finished run: its tables and what is needed to reproduce it."""

    timeseries: pd.DataFrame
    schools: pd.DataFrame
    partnerships: pd.DataFrame
    meta: dict = field(default_factory=dict)
    memberships: pd.DataFrame | None = None  # who was in each partnership, from when to when
    landscape_notes: pd.DataFrame | None = None  # values a data landscape imputed, rows it skipped

    def save(self, out_dir: str | Path) -> Path:
        """Write timeseries/schools/partnerships/memberships Parquet files and run.json."""
        out = Path(out_dir)
        for name in ("timeseries", "schools", "partnerships", "memberships"):
            frame = getattr(self, name)
            if frame is not None:
                write_atomic(out / f"{name}.parquet",
                             lambda tmp, frame=frame: frame.to_parquet(tmp, index=False))
        if self.landscape_notes is not None and len(self.landscape_notes):
            write_atomic(out / "landscape_notes.csv",
                         lambda tmp: self.landscape_notes.to_csv(tmp, index=False))
        write_atomic(out / "run.json",
                     lambda tmp: Path(tmp).write_text(json.dumps(self.meta, indent=2, default=str)))
        return out

    def yearly(self) -> pd.DataFrame:
        """The time series at whole years: stocks at each year's end, flows summed over the year.

        Year 0 is the state at time 0 (just after the spin-up), with no flows yet (the time
        series' first row counts the last spin-up step); ``n_pupils`` is the region's roll.
        """
        steps_per_year = self.meta["config"]["steps_per_year"]
        timeseries, schools = self.timeseries, self.schools
        step = timeseries["step"].to_numpy()
        year_of_step = np.ceil(step / steps_per_year).astype(np.int64)  # step 12 ends year 1
        year_of_step[step <= 0] = -1  # not part of any year of the run
        at_year_end = timeseries[step % steps_per_year == 0].copy()
        at_year_end.insert(0, "year", (at_year_end["step"] // steps_per_year).astype(np.int64))
        flows = timeseries[list(FLOW_COLUMNS)].groupby(year_of_step).sum()
        at_year_end[list(FLOW_COLUMNS)] = flows.reindex(at_year_end["year"],
                                                        fill_value=0).to_numpy()
        pupils = schools.groupby("year")["pupils"].sum()
        at_year_end["n_pupils"] = pupils.reindex(at_year_end["year"]).to_numpy()
        return at_year_end.drop(columns=["step", "time_years"]).reset_index(drop=True)


def simulate(settings: Settings | dict, progress: bool = False, start_from=None,
             observer=None) -> RunResult:
    """Build the model, run it to the end and return its results.

    ``start_from``: a model just spun up (see ``spin_up``) with the same ``spinup_key``; the run
    forks it instead of repeating the spin-up, with identical results. ``observer``: see
    ``PartnershipModel.run``.
    """
    from sim.core.model import PartnershipModel

    if not isinstance(settings, Settings):
        settings = validate(settings)
    start = time.perf_counter()
    model = PartnershipModel(settings) if start_from is None else start_from.fork(settings)
    model.run(progress=progress, observer=observer)
    rec = model.recorder
    meta = run_metadata(settings, wall_time_s=time.perf_counter() - start)
    return RunResult(rec.timeseries, rec.schools, rec.partnerships, meta, rec.memberships,
                     model.landscape_notes)


def counterfactual_of(settings: Settings) -> Settings:
    """The same run under today's policy: every lever at its defaults, everything else (seed,
    landscape, rules, horizon) unchanged, so it pairs with ``settings`` in ``run_paired``."""
    from sim.core.levers import LEVERS, todays_policy

    config = dataclasses.replace(settings.config, name="counterfactual",
                                 **{lever: todays_policy(lever) for lever in LEVERS})
    return validate(config)


def is_policy_run(settings: Settings) -> bool:
    """Whether any lever differs from today's policy (a run with a counterfactual to compare)."""
    from sim.core.levers import LEVERS, differs_from_today

    return any(differs_from_today(lever, getattr(settings.config, lever)) for lever in LEVERS)


def spin_up(settings: Settings):
    """A model built and spun up to time 0, to fork for several scenarios on the same draws."""
    from sim.core.model import PartnershipModel

    return PartnershipModel(settings)


@dataclass
class RunFailure:
    """A run of ``run_paired`` that raised (with ``keep_going``): its settings and traceback."""

    settings: Settings
    error: str


def run_paired(settings_list, progress: bool = False, keep_going: bool = False, observers=None):
    """Runs that differ only after time 0 (the same seed, landscape, rules and spin-up): spin up
    once, then fork the spun-up model for each, so every run shares the same random draws up to
    time 0 and beyond (common random numbers). The one place runs are paired this way.

    Yields a ``RunResult`` per settings, in order, as each finishes; each result's ``meta`` holds
    ``spinup_s``, its share of the spin-up's wall time. With ``keep_going`` a run that raises
    yields a ``RunFailure`` instead (a failed spin-up fails every run) and the others go on.
    ``observers``: one per settings (or None), passed to ``simulate``.
    """
    import traceback

    settings_list = list(settings_list)
    if not settings_list:
        return
    start = time.perf_counter()
    try:
        spun_up = spin_up(settings_list[0])
    except Exception:
        if not keep_going:
            raise
        error = "spin-up failed:\n" + traceback.format_exc()
        yield from (RunFailure(settings, error) for settings in settings_list)
        return
    spinup_share_s = (time.perf_counter() - start) / len(settings_list)
    observers = list(observers) if observers is not None else [None] * len(settings_list)
    for settings, observer in zip(settings_list, observers, strict=True):
        try:
            result = simulate(settings, progress=progress, start_from=spun_up, observer=observer)
        except Exception:
            if not keep_going:
                raise
            yield RunFailure(settings, traceback.format_exc())
            continue
        result.meta["spinup_s"] = round(spinup_share_s, 3)
        yield result


def run_metadata(settings: Settings, wall_time_s: float) -> dict:
    """Seed, versions, git commit, resolved config and wall time of a run."""
    return {
        "seed": settings.config.seed,
        "scenario": settings.config.name,
        "python": platform.python_version(),
        "packages": dict(package_versions()),
        "git_commit": git_commit(),
        "config": asdict(settings.config),
        "wall_time_s": round(wall_time_s, 3),
    }


@functools.cache  # once per process: a sweep's workers run many simulations
def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@functools.cache
def git_commit() -> str | None:
    """The project's git commit (with '-dirty' if there are uncommitted changes), if any."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        # No optional index lock: a worker killed mid-call (a stopped sweep) must not leave one.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=PROJECT_DIR, capture_output=True, text=True, timeout=5,
                               env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"}).stdout
        return commit + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def summary_table(result: RunResult) -> pd.DataFrame:
    """A short table for the end of a run: start, end and change of the headline measures."""
    ts = result.timeseries
    pt = result.partnerships
    first, last = ts.iloc[0], ts.iloc[-1]
    rows = [
        ("Mean pupil outcome (months vs start)", first.mean_outcome, last.mean_outcome),
        ("Disadvantage gap (months)", first.disadvantage_gap, last.disadvantage_gap),
        ("Spread between schools (SD, months)", first.outcome_spread, last.outcome_spread),
        ("Active partnerships", first.n_partnerships, last.n_partnerships),
        ("Schools in a partnership", first.n_schools_partnered, last.n_schools_partnered),
        ("Executive heads", first.n_executive_heads, last.n_executive_heads),
        ("Head vacancies", first.n_head_vacancies, last.n_head_vacancies),
    ]
    table = pd.DataFrame(rows, columns=["measure", "start", "end"])
    table["change"] = table["end"] - table["start"]
    during = pd.DataFrame([
        ("Partnerships formed during the run", ts.new_formed.sum()),
        ("Partnerships dissolved during the run", ts.new_dissolved.sum()),
        ("Schools leaving a federation or trust", ts.new_left.sum()),
        ("Funded partnerships during the run", int(((pt.funding_gbp > 0) & (pt.formed_at >= 0)).sum())),
        ("Money spent on partnerships (GBP)", ts.spend_gbp.sum()),
    ], columns=["measure", "change"])
    return pd.concat([table, during], ignore_index=True)
