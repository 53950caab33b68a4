"""``landscape=gias``: real schools from a Get Information About Schools (GIAS) extract.

GIAS (https://get-information-schools.service.gov.uk/Downloads) publishes England's register of
schools as ``edubasealldata<date>.csv`` (cp1252, one row per establishment, dates dd-mm-yyyy). The
loader keeps open primary and secondary schools, optionally in some local authorities or regions,
and turns existing trusts and federations into the run's initial (formal) partnerships. What it
imputes, drops or rejects is listed in docs/landscapes.md; every such decision is logged with a count.
The whole file is read and checked when the config is validated, so a bad file stops a run before
any work, with a ``ConfigError`` naming the file, the column and the rows.
"""

from __future__ import annotations

import difflib
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from sim.core.checks import ConfigError, check
from sim.core.school_table import SchoolTable
from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.landscape.base import Landscape

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = (
    "URN", "EstablishmentName", "EstablishmentStatus (name)", "PhaseOfEducation (name)",
    "NumberOfPupils", "PercentageFSM", "Easting", "Northing", "LA (name)", "UrbanRural (name)",
    "OfstedRating (name)", "Trusts (code)", "Federations (code)",
)
REGION_COLUMN = "GOR (name)"  # needed only to filter by region
TYPE_GROUP_COLUMN = "EstablishmentTypeGroup (name)"  # used, when present, to drop independents

# Open schools are kept; "Proposed to open" have no pupils yet.
STATUS_KEPT = {"Open", "Open, but proposed to close"}
STATUS_DROPPED = {"Closed", "Proposed to open"}
# GIAS phases -> model phase, as DfE's school statistics count them: middle schools by the phase
# they are deemed to be; all-through schools with secondaries (they have a secondary roll).
PHASES = {
    "Primary": PRIMARY, "Middle deemed primary": PRIMARY,
    "Secondary": SECONDARY, "Middle deemed secondary": SECONDARY, "All-through": SECONDARY,
}
# Not part of the primary/secondary system the model represents: nursery schools, sixth-form
# (16 plus) institutions, and "Not applicable" (special schools, pupil referral units, most
# independent schools, children's centres, ...).
PHASES_DROPPED = {"Nursery", "16 plus", "Not applicable"}
# Establishment groups that are not state-funded schools (dropped when the column is present).
TYPE_GROUPS_DROPPED = {"Independent schools", "Universities", "Colleges", "Children's centres",
                       "Welsh schools", "Online provider", "Other types"}
GRADES = {"Outstanding": 1, "Good": 2, "Requires improvement": 3, "Inadequate": 4,
          "Serious Weaknesses": 4, "Special Measures": 4}
# British National Grid extent (metres): anything outside is a corrupt coordinate.
EASTING_RANGE_M = (0.0, 700_000.0)
NORTHING_RANGE_M = (0.0, 1_300_000.0)
MAX_ROWS_SHOWN = 8


class Gias(Landscape):
    """Open state-funded primary and secondary schools of England from a GIAS extract."""

    @dataclass
    class Params:
        path: str = ""  # a GIAS edubasealldata CSV (required); relative to the working directory
        local_authorities: list[str] = field(default_factory=list)  # names as in 'LA (name)'; [] = all
        regions: list[str] = field(default_factory=list)  # names as in 'GOR (name)'; [] = all
        encoding: str = "cp1252"  # GIAS publishes its CSVs in Windows-1252

        def __post_init__(self) -> None:
            check("landscape.path", self.path, bool(self.path),
                  "the path of a GIAS edubasealldata CSV, e.g. "
                  "landscape.path=data/edubasealldata20250101.csv (see docs/landscapes.md)")
            for key in ("local_authorities", "regions"):
                names = getattr(self, key)
                check(f"landscape.{key}", names,
                      isinstance(names, list | tuple) and all(isinstance(x, str) for x in names),
                      "a list of names, e.g. [Devon, Cornwall]")
            # Load now, so a bad file or filter stops the run at validation, before any work.
            self.schools()

        def schools(self) -> SchoolTable:
            """The schools this file and filter give (read once per file version, then cached)."""
            path = Path(self.path).expanduser()
            check("landscape.path", self.path, path.is_file(), "an existing file")
            stat = path.stat()
            return _load(str(path.resolve()), stat.st_mtime_ns, stat.st_size, self.encoding,
                         tuple(self.local_authorities), tuple(self.regions))

    def build(self, rng: np.random.Generator) -> SchoolTable:
        table = self.p.schools()
        return SchoolTable(
            school_id=table.school_id.copy(), phase=table.phase.copy(), x_km=table.x_km.copy(),
            y_km=table.y_km.copy(), rural=table.rural.copy(), pupils=table.pupils.copy(),
            fsm=table.fsm.copy(), grade=table.grade.copy(),
            initial_partnerships=[(m.copy(), kind) for m, kind in table.initial_partnerships])


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int, encoding: str, local_authorities: tuple[str, ...],
          regions: tuple[str, ...]) -> SchoolTable:
    """Read, check, filter and convert a GIAS extract (cached on the file's path, time and size)."""
    frame = read_extract(path, encoding, need_region=bool(regions))
    return to_school_table(frame, path, local_authorities, regions)


def read_extract(path: str, encoding: str = "cp1252", need_region: bool = False) -> pd.DataFrame:
    """The columns the model uses, as text, with a ``row`` column: the row number a spreadsheet
    shows (the header is row 1)."""
    name = Path(path).name
    try:
        header = pd.read_csv(path, encoding=encoding, nrows=0).columns
    except UnicodeDecodeError as error:
        raise ConfigError(f"landscape.path: {name} is not {encoding} text ({error.reason} at byte "
                          f"{error.start}); set landscape.encoding") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ConfigError(f"landscape.path: {name} is not a readable CSV ({error})") from None
    wanted = list(REQUIRED_COLUMNS) + [REGION_COLUMN] * need_region
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ConfigError(f"landscape.path: {name} lacks the GIAS column(s) "
                          f"{', '.join(repr(c) for c in missing)}; is it an edubasealldata extract?")
    optional = [c for c in (REGION_COLUMN, TYPE_GROUP_COLUMN) if c in header and c not in wanted]
    try:
        frame = pd.read_csv(path, encoding=encoding, usecols=wanted + optional, dtype=str,
                            keep_default_na=False)
    except UnicodeDecodeError as error:
        raise ConfigError(f"landscape.path: {name} is not {encoding} text ({error.reason} at byte "
                          f"{error.start}); set landscape.encoding") from None
    except pd.errors.ParserError as error:
        raise ConfigError(f"landscape.path: {name} is not a readable CSV ({error})") from None
    frame = frame.apply(lambda column: column.str.strip())
    frame["row"] = np.arange(2, len(frame) + 2)  # row 1 is the header
    return frame


def to_school_table(frame: pd.DataFrame, path: str, local_authorities=(), regions=()) -> SchoolTable:
    """Filter a read extract to open primary and secondary schools and convert it to a table."""
    name = Path(path).name
    urn = _integers(frame, "URN", name)
    duplicated = urn.duplicated(keep=False)
    if duplicated.any():
        raise ConfigError(f"landscape.path: {name}: column 'URN' repeats URNs "
                          f"{sorted(set(urn[duplicated]))[:MAX_ROWS_SHOWN]} at "
                          f"{_rows(frame[duplicated])}")
    frame = frame.assign(URN=urn)
    _check_values(frame, "EstablishmentStatus (name)", STATUS_KEPT | STATUS_DROPPED, name)
    _check_values(frame, "PhaseOfEducation (name)", set(PHASES) | PHASES_DROPPED, name)

    n_read = len(frame)
    frame = frame[frame["EstablishmentStatus (name)"].isin(STATUS_KEPT)]
    n_open = len(frame)
    frame = frame[frame["PhaseOfEducation (name)"].isin(PHASES)]
    if TYPE_GROUP_COLUMN in frame:
        frame = frame[~frame[TYPE_GROUP_COLUMN].isin(TYPE_GROUPS_DROPPED)]
    log.info("%s: %d establishments, %d open, %d open primary or secondary state-funded schools",
             name, n_read, n_open, len(frame))
    frame = _filter(frame, "LA (name)", "local_authorities", "local authority", local_authorities,
                    name)
    frame = _filter(frame, REGION_COLUMN, "regions", "region", regions, name)

    frame = _coordinates(frame, name)
    if len(frame) < 2:
        raise ConfigError(f"landscape: {name} has {len(frame)} open primary or secondary "
                          "school(s) with coordinates after filtering; a run needs at least 2")
    frame = frame.reset_index(drop=True)
    phase = frame["PhaseOfEducation (name)"].map(PHASES).to_numpy(np.int8)
    x_km = frame["Easting"].to_numpy(float) / 1000.0
    y_km = frame["Northing"].to_numpy(float) / 1000.0
    table = SchoolTable(
        school_id=frame["URN"].to_numpy(np.int64),
        phase=phase,
        x_km=x_km,
        y_km=y_km,
        rural=_rural(frame, x_km, y_km, name),
        pupils=_pupils(frame, phase, name),
        fsm=_fsm(frame, phase, name),
        grade=_grades(frame, name),
        initial_partnerships=_groups(frame, name),
    )
    log.info("%s: %d schools loaded (%d primary, %d secondary), %d trusts and federations",
             name, table.n, int((phase == PRIMARY).sum()), int((phase == SECONDARY).sum()),
             len(table.initial_partnerships))
    return table


def _rows(rows: pd.DataFrame) -> str:
    """'rows 3, 7, 12 and 5 more' (the first few), for error messages."""
    numbers = [str(x) for x in rows["row"].head(MAX_ROWS_SHOWN)]
    more = f" and {len(rows) - len(numbers)} more" if len(rows) > len(numbers) else ""
    return f"row{'s' if len(rows) > 1 else ''} {', '.join(numbers)}{more}"


def _integers(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values != values.round())
    if bad.any():
        raise ConfigError(f"landscape.path: {name}: column {column!r} is missing or not a whole "
                          f"number at {_rows(frame[bad])}")
    return values.astype(np.int64)


def _check_values(frame: pd.DataFrame, column: str, allowed: set[str], name: str) -> None:
    bad = ~frame[column].isin(allowed)
    if bad.any():
        seen = sorted(set(frame.loc[bad, column]))[:MAX_ROWS_SHOWN]
        raise ConfigError(f"landscape.path: {name}: column {column!r} has unknown value(s) {seen} "
                          f"at {_rows(frame[bad])}; known: {sorted(allowed)}")


def _filter(frame: pd.DataFrame, column: str, key: str, what: str, names,
            name: str) -> pd.DataFrame:
    """Keep the schools whose ``column`` is one of ``names`` (case-insensitive); [] keeps all."""
    if not names:
        return frame
    known = sorted(set(frame[column]) - {""})
    by_lower = {k.lower(): k for k in known}
    for wanted in names:
        if wanted.strip().lower() not in by_lower:
            close = difflib.get_close_matches(wanted, known, n=5, cutoff=0.6)
            hint = f"close matches: {', '.join(close)}" if close else \
                f"{len(known)} names in the file, e.g. {', '.join(known[:5])}"
            raise ConfigError(f"config key 'landscape.{key}': {wanted!r} is not the {what} "
                              f"({column!r}) of any open primary or secondary school in {name}; "
                              f"{hint}")
    chosen = {by_lower[w.strip().lower()] for w in names}
    kept = frame[frame[column].isin(chosen)]
    log.info("%s: %d schools in %s", name, len(kept), ", ".join(sorted(chosen)))
    return kept


def _coordinates(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Blank Easting/Northing: dropped (logged). Text or off-grid values: an error naming rows."""
    blank = (frame["Easting"] == "") | (frame["Northing"] == "")
    if blank.any():
        urns = ", ".join(str(u) for u in frame.loc[blank, "URN"].head(MAX_ROWS_SHOWN))
        log.warning("%s: %d school(s) dropped: no Easting/Northing (URN %s%s)", name,
                    int(blank.sum()), urns, ", ..." if blank.sum() > MAX_ROWS_SHOWN else "")
        frame = frame[~blank]
    for column, (low, high) in (("Easting", EASTING_RANGE_M), ("Northing", NORTHING_RANGE_M)):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | (values < low) | (values > high)
        if bad.any():
            raise ConfigError(f"landscape.path: {name}: column {column!r} is not a British "
                              f"National Grid coordinate in metres ({low:,.0f} to {high:,.0f}) at "
                              f"{_rows(frame[bad])} (e.g. {frame.loc[bad, column].iloc[0]!r})")
        frame = frame.assign(**{column: values})
    return frame


def _numbers(frame: pd.DataFrame, column: str, low: float, high: float, unit: str,
             name: str) -> np.ndarray:
    """A numeric column with blanks as NaN; text or out-of-range values are an error."""
    blank = frame[column] == ""
    values = pd.to_numeric(frame[column].where(~blank, None), errors="coerce")
    bad = ~blank & (values.isna() | (values < low) | (values > high))
    if bad.any():
        raise ConfigError(f"landscape.path: {name}: column {column!r} is not {unit} ({low:g} to "
                          f"{high:g}) at {_rows(frame[bad])} "
                          f"(e.g. {frame.loc[bad, column].iloc[0]!r})")
    return values.to_numpy(float, copy=True)


def _pupils(frame: pd.DataFrame, phase: np.ndarray, name: str) -> np.ndarray:
    """Pupils on roll; blank or 0 (new schools) imputed by the median of the same phase."""
    pupils = _numbers(frame, "NumberOfPupils", 0, 10_000, "a number of pupils", name)
    missing = np.isnan(pupils) | (pupils == 0)
    for ph in (PRIMARY, SECONDARY):
        gap = missing & (phase == ph)
        if gap.any():
            known = pupils[~missing & (phase == ph)]
            median = float(np.median(known)) if len(known) else (275.0, 1060.0)[ph]  # DfE means
            pupils[gap] = median
            log.warning("%s: NumberOfPupils blank or 0 for %d %s school(s); set to the %s median, %g",
                        name, int(gap.sum()), ("primary", "secondary")[ph],
                        ("primary", "secondary")[ph], median)
    return pupils


def _fsm(frame: pd.DataFrame, phase: np.ndarray, name: str) -> np.ndarray:
    """FSM share (GIAS gives a percentage); blank imputed by the local authority's median of the
    same phase, else the phase median."""
    fsm = _numbers(frame, "PercentageFSM", 0, 100, "a percentage", name) / 100.0
    missing = np.isnan(fsm)
    if missing.any():
        keys = pd.DataFrame({"la": frame["LA (name)"].to_numpy(), "phase": phase, "fsm": fsm})
        by_la = keys.groupby(["la", "phase"])["fsm"].transform("median").to_numpy()
        by_phase = keys.groupby("phase")["fsm"].transform("median").to_numpy()
        fill = np.where(np.isnan(by_la), by_phase, by_la)
        fill = np.where(np.isnan(fill), 0.246, fill)  # DfE 2024 national share, if all are blank
        fsm[missing] = fill[missing]
        log.warning("%s: PercentageFSM blank for %d school(s); set to the median of their local "
                    "authority and phase", name, int(missing.sum()))
    return fsm


def _rural(frame: pd.DataFrame, x_km: np.ndarray, y_km: np.ndarray, name: str) -> np.ndarray:
    """Rural if the ONS rural-urban class says so; a blank class, or one naming neither urban nor
    rural, is taken from the nearest classified school (logged)."""
    text = frame["UrbanRural (name)"].to_numpy(str)
    is_rural = np.char.find(np.char.lower(text), "rural") >= 0
    is_urban = np.char.find(np.char.lower(text), "urban") >= 0
    unknown = ~is_rural & ~is_urban
    if unknown.all():
        raise ConfigError(f"landscape.path: {name}: column 'UrbanRural (name)' names neither urban "
                          "nor rural for any school")
    if unknown.any():
        known = np.flatnonzero(~unknown)
        _, nearest = cKDTree(np.column_stack([x_km[known], y_km[known]])).query(
            np.column_stack([x_km[unknown], y_km[unknown]]))
        is_rural[unknown] = is_rural[known[nearest]]
        values = sorted({v or "(blank)" for v in text[unknown]})[:MAX_ROWS_SHOWN]
        log.warning("%s: UrbanRural blank or neither urban nor rural (%s) for %d school(s); taken "
                    "from the nearest classified school", name, ", ".join(values),
                    int(unknown.sum()))
    return is_rural


def _grades(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Last Ofsted overall grade, 1-4; blank or other (e.g. no single-word grade) is 0, unknown,
    which the model draws from the national mix."""
    grade = frame["OfstedRating (name)"].map(GRADES).fillna(0).to_numpy(np.int8)
    n_unknown = int((grade == 0).sum())
    if n_unknown:
        log.info("%s: no overall Ofsted grade for %d school(s); the model draws them from the "
                 "national mix", name, n_unknown)
    return grade


def _groups(frame: pd.DataFrame, name: str) -> list[tuple[np.ndarray, str]]:
    """Trusts and federations with 2+ of the loaded schools, as formal ('federation') partnerships."""
    groups = []
    n_single = 0
    for column in ("Trusts (code)", "Federations (code)"):
        codes = frame[column]
        members = pd.Series(np.arange(len(frame)), index=frame.index)[codes != ""]
        for _, idx in members.groupby(codes[codes != ""], sort=True):
            if len(idx) >= 2:
                groups.append((idx.to_numpy(np.int64), "federation"))
            else:
                n_single += 1
    if n_single:
        log.info("%s: %d trust(s) or federation(s) with a single loaded school (single-academy "
                 "trusts, or split by the filter) are not partnerships", name, n_single)
    return groups
