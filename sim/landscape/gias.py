"""``landscape=gias``: real schools from a Get Information About Schools (GIAS) extract.

GIAS (https://get-information-schools.service.gov.uk/Downloads) publishes England's register of
schools as ``edubasealldata<date>.csv`` (cp1252, one row per establishment, dates dd-mm-yyyy). The
loader keeps open primary and secondary schools, optionally in some local authorities or regions,
and turns existing trusts and federations into the run's initial (formal) partnerships.

Bad rows (docs/landscapes.md): the rows of the selected local authorities and regions are checked;
a malformed one (wrong number of fields, unreadable URN, text or off-England coordinates, ...) is
skipped and named, and the load stops with one ``ConfigError`` line only when more than
``max_bad_row_share`` of the selected rows are bad. Rows outside the selection are not checked.
Every imputed value and skipped school is listed in the table's ``notes`` and logged with the
first few URNs. The whole file is read and checked when the config is validated, so a bad file
stops a run before any work.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import logging
import operator
import re
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
LA_COLUMN = "LA (name)"
REGION_COLUMN = "GOR (name)"  # needed only to filter by region
TYPE_GROUP_COLUMN = "EstablishmentTypeGroup (name)"  # used, when present, to drop independents
# ... and to tell academies (converters, sponsored, free schools) from maintained schools.
TYPE_GROUPS_ACADEMY = {"Academies", "Free Schools"}

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
# England on the British National Grid (metres), a box around its extreme points with a margin:
# Bishop Rock (Scilly) ~81 km E / ~7 km N, Lowestoft Ness ~655 km E, Marshall Meadows (by
# Berwick) ~657 km N. A school outside it has a corrupt (e.g. truncated) coordinate.
EASTING_RANGE_M = (60_000.0, 670_000.0)
NORTHING_RANGE_M = (5_000.0, 670_000.0)
URN_PATTERN = r"\d{1,18}"  # a whole number that fits the int64 school_id
MAX_ROWS_SHOWN = 8
NOTE_COLUMNS = ("school_id", "line", "field", "action", "value", "reason")


class Gias(Landscape):
    """Open state-funded primary and secondary schools of England from a GIAS extract."""

    @dataclass
    class Params:
        path: str = ""  # a GIAS edubasealldata CSV (required); relative to the working directory
        local_authorities: list[str] = field(default_factory=list)  # names as in 'LA (name)'; [] = all
        regions: list[str] = field(default_factory=list)  # names as in 'GOR (name)'; [] = all
        encoding: str = "cp1252"  # GIAS publishes its CSVs in Windows-1252
        # Assumption: up to 1% of the selected rows may be malformed (each is skipped and named);
        # more means the file is damaged or not what the loader expects, and the load stops.
        max_bad_row_share: float = 0.01

        def __post_init__(self) -> None:
            check("landscape.path", self.path, bool(self.path),
                  "the path of a GIAS edubasealldata CSV, e.g. "
                  "landscape.path=data/edubasealldata20250101.csv (see docs/landscapes.md)")
            for key in ("local_authorities", "regions"):
                names = getattr(self, key)
                check(f"landscape.{key}", names,
                      isinstance(names, list | tuple) and all(isinstance(x, str) for x in names),
                      "a list of names, e.g. [Devon, Cornwall]")
            check("landscape.encoding", self.encoding, _known_encoding(self.encoding),
                  "a text encoding Python knows, e.g. cp1252 (GIAS's own) or utf-8")
            share = self.max_bad_row_share
            check("landscape.max_bad_row_share", share,
                  isinstance(share, int | float) and not isinstance(share, bool)
                  and 0.0 <= share <= 1.0, "a share between 0 and 1")
            # Load now, so a bad file or filter stops the run at validation, before any work.
            self.schools()

        def schools(self) -> SchoolTable:
            """The schools this file and filter give (read once per file version, then cached)."""
            path = Path(self.path).expanduser()
            check("landscape.path", self.path, path.is_file(), "an existing file")
            stat = path.stat()
            return _load(str(path.resolve()), stat.st_mtime_ns, stat.st_size, self.encoding,
                         tuple(self.local_authorities), tuple(self.regions),
                         float(self.max_bad_row_share))

    def build(self, rng: np.random.Generator) -> SchoolTable:
        table = self.p.schools()
        return SchoolTable(
            school_id=table.school_id.copy(), phase=table.phase.copy(), x_km=table.x_km.copy(),
            y_km=table.y_km.copy(), rural=table.rural.copy(), pupils=table.pupils.copy(),
            fsm=table.fsm.copy(), grade=table.grade.copy(),
            initial_partnerships=[(m.copy(), kind) for m, kind in table.initial_partnerships],
            academy=table.academy.copy(), notes=None if table.notes is None else table.notes.copy())


@functools.lru_cache(maxsize=4)
def _known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _load(path: str, mtime_ns: int, size: int, encoding: str, local_authorities: tuple[str, ...],
          regions: tuple[str, ...], max_bad_row_share: float = 0.01) -> SchoolTable:
    """Read, check, filter and convert a GIAS extract (cached on the file's path, time and size)."""
    extract = read_extract(path, encoding, need_region=bool(regions))
    return to_school_table(extract, path, local_authorities, regions, max_bad_row_share)


@dataclass
class Extract:
    """A read GIAS file: the rows with as many fields as the header, and the others."""

    frame: pd.DataFrame  # the used columns as stripped text, and 'line': the file line of the row
    header: list[str]
    # Rows whose number of fields differs from the header's: (first line, last line, fields).
    malformed: list[tuple[int, int, list[str]]]


def read_extract(path: str, encoding: str = "cp1252", need_region: bool = False) -> Extract:
    """Read the columns the model uses, as text, checking every row's number of fields.

    Lines are numbered as a text editor (or a spreadsheet) shows them: the header is line 1. A
    row with more or fewer fields than the header is set aside whole (its values cannot be
    trusted: a truncated row, or a name with an unquoted comma, shifts or loses values).
    """
    name = Path(path).name
    reader = None
    try:
        with open(path, encoding=encoding, newline="") as file:
            reader = csv.reader(file)
            header = next(reader, None)
            if not header:
                raise ConfigError(f"landscape.path: {name} is empty; is it an edubasealldata "
                                  "extract?")
            header[0] = header[0].removeprefix("\ufeff")  # a byte-order mark, if re-saved as UTF-8
            wanted = list(REQUIRED_COLUMNS) + [REGION_COLUMN] * need_region
            missing = [c for c in wanted if c not in header]
            if missing:
                raise ConfigError(f"landscape.path: {name} lacks the GIAS column(s) "
                                  f"{', '.join(repr(c) for c in missing)}; is it an "
                                  "edubasealldata extract?")
            optional = [c for c in (REGION_COLUMN, TYPE_GROUP_COLUMN)
                        if c in header and c not in wanted]
            columns = wanted + optional
            pick = operator.itemgetter(*(header.index(c) for c in columns))
            n_fields = len(header)
            rows, lines, malformed = [], [], []
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                if len(row) == n_fields and (end == start or not _holds_rows(row, n_fields)):
                    rows.append(pick(row))
                    lines.append(start)
                elif len(row) > 1 or (row and row[0].strip()):  # not a blank line
                    malformed.append((start, end, row))
    except UnicodeDecodeError as error:
        line = reader.line_num + 1 if reader is not None else 1
        raise ConfigError(f"landscape.path: {name} is not {encoding} text ({error.reason} near "
                          f"line {line}); set landscape.encoding") from None
    except csv.Error as error:
        line = reader.line_num if reader is not None else 1
        hint = "; an unclosed quote?" if "field limit" in str(error) else ""
        raise ConfigError(f"landscape.path: {name} is not a readable CSV ({error}, line {line}"
                          f"{hint})") from None
    frame = pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)) if rows else
                         {c: [] for c in columns}, columns=columns, dtype=str)
    frame = frame.apply(lambda column: column.str.strip())
    frame["line"] = np.array(lines, dtype=np.int64)
    return Extract(frame, header, malformed)


def _holds_rows(fields: list[str], n_fields: int) -> bool:
    """Whether a value that runs over several lines holds whole rows (a quote left open swallows
    the lines up to the next quote; the record may even end with the right number of fields)."""
    return any(("\n" in x or "\r" in x) and x.count(",") >= n_fields - 1 for x in fields)


class _Notes:
    """Per-school notes: what was imputed or skipped, and why (see ``NOTE_COLUMNS``)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, school_id, line, field: str, action: str, value, reason) -> None:
        part = pd.DataFrame({"school_id": pd.array(school_id, dtype="Int64"), "line": line,
                             "field": field, "action": action, "value": value, "reason": reason})
        if len(part):
            self.parts.append(part.astype({"line": np.int64, "field": str, "action": str,
                                           "value": str, "reason": str}))

    def skip(self, rows: pd.DataFrame, field: str, value, reason) -> None:
        """Note ``rows`` (URN column numeric or text) as skipped."""
        urn = rows["URN"]
        ids = urn if urn.dtype.kind in "iu" else pd.to_numeric(
            urn.where(urn.str.fullmatch(URN_PATTERN).fillna(False).astype(bool)), errors="coerce")
        self.add(ids.to_numpy(), rows["line"].to_numpy(), field, "skipped", value, reason)

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"school_id": pd.array([], dtype="Int64"),
                                 "line": np.array([], dtype=np.int64)} |
                                {c: pd.Series([], dtype=str) for c in NOTE_COLUMNS[2:]})
        notes = pd.concat(self.parts, ignore_index=True)
        return notes.sort_values(["line", "field"], kind="stable", ignore_index=True)


def to_school_table(extract: Extract, path: str, local_authorities=(), regions=(),
                    max_bad_row_share: float = 0.01) -> SchoolTable:
    """Filter a read extract to open primary and secondary schools of the selected local
    authorities and regions, skip (and note) the bad rows among them, and convert the rest."""
    name = Path(path).name
    frame = extract.frame
    notes = _Notes()
    is_school = (frame["EstablishmentStatus (name)"].isin(STATUS_KEPT)
                 & frame["PhaseOfEducation (name)"].isin(PHASES))
    if TYPE_GROUP_COLUMN in frame:
        is_school &= ~frame[TYPE_GROUP_COLUMN].isin(TYPE_GROUPS_DROPPED)
    log.info("%s: %d establishments, %d open, %d open primary or secondary state-funded schools",
             name, len(frame) + len(extract.malformed),
             int(frame["EstablishmentStatus (name)"].isin(STATUS_KEPT).sum()), int(is_school.sum()))

    # Select first, so that the rows of other local authorities and regions are never checked.
    selected = pd.Series(True, index=frame.index)
    filters = []
    for column, key, what, names in ((LA_COLUMN, "local_authorities", "local authority",
                                      local_authorities),
                                     (REGION_COLUMN, "regions", "region", regions)):
        if names:
            chosen = _chosen(frame.loc[is_school & selected, column], key, what, names, name)
            selected &= frame[column].isin(chosen)
            filters.append((extract.header.index(column), {c.lower() for c in chosen}))
            log.info("%s: %d schools in %s", name, int((is_school & selected).sum()),
                     ", ".join(sorted(chosen)))
    malformed = [(start, end, fields) for start, end, fields in extract.malformed
                 if _in_selection(fields, len(extract.header), filters, several_lines=end > start)]
    if len(malformed) < len(extract.malformed):
        log.info("%s: %d malformed row(s) outside the selected local authorities and regions "
                 "ignored", name, len(extract.malformed) - len(malformed))
    frame = frame[selected]
    # A record that runs over several lines (an unclosed quote) may hide a row on each of them.
    n_malformed = sum(end - start + 1 for start, end, _ in malformed)
    n_selected = len(frame) + n_malformed

    _note_malformed(malformed, extract.header, notes)
    frame, n_bad = _check_rows(frame, notes)
    frame = frame[frame["EstablishmentStatus (name)"].isin(STATUS_KEPT)
                  & frame["PhaseOfEducation (name)"].isin(PHASES)]
    if TYPE_GROUP_COLUMN in frame:
        frame = frame[~frame[TYPE_GROUP_COLUMN].isin(TYPE_GROUPS_DROPPED)]
    frame, n_bad_values = _check_values(frame, notes)
    n_bad += n_bad_values + n_malformed
    if n_bad:
        bad = notes.table()
        bad = bad[(bad.action == "skipped") & (bad.field != "Easting/Northing")]
        shown = "; ".join(_describe(bad.head(MAX_ROWS_SHOWN)))
        more = f"; and {len(bad) - MAX_ROWS_SHOWN} more" if len(bad) > MAX_ROWS_SHOWN else ""
        if n_bad > max_bad_row_share * n_selected:
            raise ConfigError(
                f"landscape.path: {name}: {n_bad} of the {n_selected} selected rows "
                f"{'is' if n_bad == 1 else 'are'} malformed, "
                f"more than landscape.max_bad_row_share={max_bad_row_share:g} allows: "
                f"{shown}{more}")
        log.warning("%s: %d malformed row(s) of %d skipped: %s%s", name, n_bad, n_selected,
                    shown, more)

    frame = _coordinates(frame, name, notes)
    if len(frame) < 2:
        raise ConfigError(f"landscape: {name} has {len(frame)} open primary or secondary "
                          "school(s) with coordinates after filtering; a run needs at least 2")
    frame = frame.reset_index(drop=True)
    phase = frame["PhaseOfEducation (name)"].map(PHASES).to_numpy(np.int8)
    x_km = frame["Easting"].to_numpy(float) / 1000.0
    y_km = frame["Northing"].to_numpy(float) / 1000.0
    academy = _academies(frame)
    table = SchoolTable(
        school_id=frame["URN"].to_numpy(np.int64),
        phase=phase,
        x_km=x_km,
        y_km=y_km,
        rural=_rural(frame, x_km, y_km, name, notes),
        pupils=_pupils(frame, phase, name, notes),
        fsm=_fsm(frame, phase, name, notes),
        grade=_grades(frame, name, notes),
        initial_partnerships=_groups(frame, academy, name),
        academy=academy,
        notes=notes.table(),
    )
    kinds = [kind for _, kind in table.initial_partnerships]
    log.info("%s: %d schools loaded (%d primary, %d secondary; %d academies), %d multi-academy "
             "trusts and %d federations", name, table.n, int((phase == PRIMARY).sum()),
             int((phase == SECONDARY).sum()), int(academy.sum()), kinds.count("trust"),
             kinds.count("federation"))
    return table


def _urns(urns) -> str:
    """'URN 113004, 113018' (the first few, and how many more), for log lines."""
    urns = [str(u) for u in urns]
    more = f" and {len(urns) - MAX_ROWS_SHOWN} more" if len(urns) > MAX_ROWS_SHOWN else ""
    return f"URN {', '.join(urns[:MAX_ROWS_SHOWN])}{more}"


def _describe(bad: pd.DataFrame) -> list[str]:
    """'line 5 (URN 113004): Easting 'not known' is not a number' for each skipped row."""
    return [f"line {line}" + ("" if pd.isna(urn) else f" (URN {urn})") + f": {reason}"
            for urn, line, reason in zip(bad.school_id, bad.line, bad.reason, strict=True)]


def _chosen(values: pd.Series, key: str, what: str, names, name: str) -> set[str]:
    """The names in ``values`` that ``names`` pick (case-insensitive); an unknown name is an error."""
    column = values.name
    known = sorted(set(values) - {""})
    by_lower = {k.lower(): k for k in known}
    for wanted in names:
        if wanted.strip().lower() not in by_lower:
            close = difflib.get_close_matches(wanted, known, n=5, cutoff=0.6)
            hint = f"close matches: {', '.join(close)}" if close else \
                f"{len(known)} names in the file, e.g. {', '.join(known[:5])}"
            raise ConfigError(f"config key 'landscape.{key}': {wanted!r} is not the {what} "
                              f"({column!r}) of any open primary or secondary school in {name}; "
                              f"{hint}")
    return {by_lower[w.strip().lower()] for w in names}


def _in_selection(fields: list[str], n_fields: int, filters, several_lines: bool = False) -> bool:
    """Whether a row with the wrong number of fields may be in the selection: its local authority
    (region) is a chosen one, read where the header puts it or shifted by the surplus of fields
    (the damage may lie before or after that column). A row too short to show it is outside. A
    record over several lines is in the selection if any of its lines is."""
    if several_lines:
        return any(_in_selection(row, n_fields, filters)
                   for row in csv.reader(",".join(fields).splitlines()))
    shift = len(fields) - n_fields
    for index, chosen in filters:
        candidates = {fields[i].strip().lower() for i in (index, index + shift)
                      if 0 <= i < len(fields)}
        if not candidates & chosen:
            return False
    return True


def _note_malformed(malformed, header: list[str], notes: _Notes) -> None:
    """Note the selected rows with the wrong number of fields (or that hold other rows) as
    skipped; the value noted is the number of fields."""
    if not malformed:
        return
    urn_index = header.index("URN")
    ids, lines, counts, reasons = [], [], [], []
    for start, end, fields in malformed:
        urn = fields[urn_index].strip() if urn_index < len(fields) else ""
        ids.append(int(urn) if re.fullmatch(URN_PATTERN, urn) else None)
        lines.append(start)
        counts.append(str(len(fields)))
        if len(fields) == len(header):
            reasons.append(f"a value runs over lines {start}-{end} and holds whole rows (an "
                           "unclosed quote?)")
            continue
        hint = (f"its fields run over lines {start}-{end} (an unclosed quote?)" if end > start else
                "a comma in a value without quotes?" if len(fields) > len(header) else
                "a truncated row?")
        reasons.append(f"{len(fields)} fields where the header has {len(header)} ({hint})")
    notes.add(ids, lines, "(row)", "skipped", counts, reasons)


def _check_rows(frame: pd.DataFrame, notes: _Notes) -> tuple[pd.DataFrame, int]:
    """Skip (and note) selected rows with an unreadable or repeated URN, or an unknown status or
    phase; return the rest, with URN as int64, and how many were skipped."""
    n_before = len(frame)
    urn = frame["URN"]
    bad = ~urn.str.fullmatch(URN_PATTERN).fillna(False).astype(bool)
    if bad.any():
        notes.skip(frame[bad], "URN", urn[bad],
                   "URN " + urn[bad].map(repr) + " is not a whole number of up to 18 digits")
        frame = frame[~bad]
    frame = frame.assign(URN=frame["URN"].astype(np.int64))
    repeated = frame["URN"].duplicated(keep=False)
    if repeated.any():
        lines = frame[repeated].groupby("URN")["line"].agg(lambda x: ", ".join(map(str, x)))
        rows = frame[repeated]
        notes.skip(rows, "URN", rows["URN"].astype(str),
                   "URN repeated on lines " + rows["URN"].map(lines))
        frame = frame[~repeated]
    for column, allowed, what in (("EstablishmentStatus (name)", STATUS_KEPT | STATUS_DROPPED,
                                   "status"),
                                  ("PhaseOfEducation (name)", set(PHASES) | PHASES_DROPPED,
                                   "phase")):
        bad = ~frame[column].isin(allowed)
        if bad.any():
            notes.skip(frame[bad], column, frame.loc[bad, column],
                       f"unknown {what} " + frame.loc[bad, column].map(repr) +
                       f" in {column!r} (known: {', '.join(sorted(allowed))})")
            frame = frame[~bad]
    return frame, n_before - len(frame)


def _check_values(frame: pd.DataFrame, notes: _Notes) -> tuple[pd.DataFrame, int]:
    """Skip (and note) schools whose coordinates, pupils or FSM are text or out of range (blank
    values are dealt with later); return the rest, with the coordinates as numbers."""
    n_before = len(frame)
    checks = (("Easting", *EASTING_RANGE_M, " m", "outside England"),
              ("Northing", *NORTHING_RANGE_M, " m", "outside England"),
              ("NumberOfPupils", 0, 10_000, "", "not a number of pupils"),
              ("PercentageFSM", 0, 100, "", "not a percentage"))
    for column, low, high, unit, meaning in checks:
        text = frame[column]
        blank = text == ""
        values = pd.to_numeric(text.where(~blank, None), errors="coerce")
        not_number = ~blank & values.isna()
        outside = ~blank & ~not_number & ((values < low) | (values > high))
        for bad, reason in ((not_number, " is not a number"),
                            (outside, f" is {meaning} ({low:,.0f} to {high:,.0f}{unit})")):
            if bad.any():
                notes.skip(frame[bad], column, text[bad],
                           column + " " + text[bad].map(repr) + reason)
        frame = frame[~(not_number | outside)]
    return frame, n_before - len(frame)


def _coordinates(frame: pd.DataFrame, name: str, notes: _Notes) -> pd.DataFrame:
    """Blank Easting/Northing: dropped (noted and logged); the rest as numbers (checked before)."""
    blank = (frame["Easting"] == "") | (frame["Northing"] == "")
    if blank.any():
        rows = frame[blank]
        notes.skip(rows, "Easting/Northing", rows["Easting"] + "/" + rows["Northing"],
                   "no Easting/Northing")
        urns = ", ".join(str(u) for u in frame.loc[blank, "URN"].head(MAX_ROWS_SHOWN))
        log.warning("%s: %d school(s) dropped: no Easting/Northing (URN %s%s)", name,
                    int(blank.sum()), urns, ", ..." if blank.sum() > MAX_ROWS_SHOWN else "")
        frame = frame[~blank]
    return frame.assign(**{c: pd.to_numeric(frame[c]) for c in ("Easting", "Northing")})


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column (checked before) with blanks as NaN."""
    blank = frame[column] == ""
    return pd.to_numeric(frame[column].where(~blank, None), errors="coerce").to_numpy(
        float, copy=True)


def _pupils(frame: pd.DataFrame, phase: np.ndarray, name: str, notes: _Notes) -> np.ndarray:
    """Pupils on roll; blank or 0 (new schools) imputed by the median of the same phase."""
    pupils = _numbers(frame, "NumberOfPupils")
    missing = np.isnan(pupils) | (pupils == 0)
    for ph in (PRIMARY, SECONDARY):
        gap = missing & (phase == ph)
        if gap.any():
            known = pupils[~missing & (phase == ph)]
            median = float(np.median(known)) if len(known) else (275.0, 1060.0)[ph]  # DfE means
            pupils[gap] = median
            what = ("primary", "secondary")[ph]
            rows = frame[gap]
            notes.add(rows["URN"].to_numpy(), rows["line"].to_numpy(), "NumberOfPupils", "imputed",
                      f"{median:g}", rows["NumberOfPupils"].where(rows["NumberOfPupils"] != "",
                                                                  "blank")
                      + f": the median of the loaded {what} schools")
            log.warning("%s: NumberOfPupils blank or 0 for %d %s school(s); set to the %s median, "
                        "%g (%s)", name, int(gap.sum()), what, what, median,
                        _urns(rows["URN"]))
    return pupils


def _fsm(frame: pd.DataFrame, phase: np.ndarray, name: str, notes: _Notes) -> np.ndarray:
    """FSM share (GIAS gives a percentage); blank imputed by the local authority's median of the
    same phase, else the phase median."""
    fsm = _numbers(frame, "PercentageFSM") / 100.0
    missing = np.isnan(fsm)
    if missing.any():
        keys = pd.DataFrame({"la": frame["LA (name)"].to_numpy(), "phase": phase, "fsm": fsm})
        by_la = keys.groupby(["la", "phase"])["fsm"].transform("median").to_numpy()
        by_phase = keys.groupby("phase")["fsm"].transform("median").to_numpy()
        fill = np.where(np.isnan(by_la), by_phase, by_la)
        source = np.where(np.isnan(fill), "the national share (DfE 2024)",
                          np.where(np.isnan(by_la), "the median of its phase",
                                   "the median of its local authority and phase"))
        fill = np.where(np.isnan(fill), 0.246, fill)  # DfE 2024 national share, if all are blank
        fsm[missing] = fill[missing]
        rows = frame[missing]
        notes.add(rows["URN"].to_numpy(), rows["line"].to_numpy(), "PercentageFSM", "imputed",
                  [f"{100 * x:.6g}" for x in fill[missing]],
                  [f"blank: {x}" for x in source[missing]])
        log.warning("%s: PercentageFSM blank for %d school(s); set to the median of their local "
                    "authority and phase (%s)", name, int(missing.sum()), _urns(rows["URN"]))
    return fsm


def _rural(frame: pd.DataFrame, x_km: np.ndarray, y_km: np.ndarray, name: str,
           notes: _Notes) -> np.ndarray:
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
        rows = frame[unknown]
        nearest_urn = frame["URN"].to_numpy()[known[nearest]]
        notes.add(rows["URN"].to_numpy(), rows["line"].to_numpy(), "UrbanRural (name)", "imputed",
                  np.where(is_rural[unknown], "rural", "urban"),
                  [f"{'blank' if not v else repr(v) + ' names neither urban nor rural'}: as the "
                   f"nearest classified school, URN {u}" for v, u in
                   zip(text[unknown], nearest_urn, strict=True)])
        log.warning("%s: UrbanRural blank or neither urban nor rural (%s) for %d school(s); taken "
                    "from the nearest classified school (%s)", name, ", ".join(values),
                    int(unknown.sum()), _urns(rows["URN"]))
    return is_rural


def _grades(frame: pd.DataFrame, name: str, notes: _Notes) -> np.ndarray:
    """Last Ofsted overall grade, 1-4; blank or other (e.g. no single-word grade) is 0, unknown,
    which the model draws from the national mix."""
    grade = frame["OfstedRating (name)"].map(GRADES).fillna(0).to_numpy(np.int8)
    unknown = grade == 0
    n_unknown = int(unknown.sum())
    if n_unknown:
        rows = frame[unknown]
        text = rows["OfstedRating (name)"]
        notes.add(rows["URN"].to_numpy(), rows["line"].to_numpy(), "OfstedRating (name)",
                  "imputed", "0", ("no grade in " + text.map(repr)).where(text != "", "blank")
                  + ": unknown (0), the model draws the grade from the national mix")
        log.info("%s: no overall Ofsted grade for %d school(s); the model draws them from the "
                 "national mix (%s)", name, n_unknown, _urns(rows["URN"]))
    return grade


def _academies(frame: pd.DataFrame) -> np.ndarray:
    """Academies: by establishment type group where the extract has it; without it, the schools
    of an academy trust (``Trusts (code)``)."""
    if TYPE_GROUP_COLUMN in frame:
        return frame[TYPE_GROUP_COLUMN].isin(TYPE_GROUPS_ACADEMY).to_numpy()
    return (frame["Trusts (code)"] != "").to_numpy()


def _groups(frame: pd.DataFrame, academy: np.ndarray, name: str) -> list[tuple[np.ndarray, str]]:
    """Multi-academy trusts (``Trusts (code)``, kind 'trust': its academies) and federations
    (``Federations (code)``, kind 'federation': its maintained schools) with 2+ of the loaded
    schools."""
    groups = []
    n_single = 0
    for column, kind, allowed in (("Trusts (code)", "trust", academy),
                                  ("Federations (code)", "federation", ~academy)):
        codes = frame[column].where(allowed, "")
        members = pd.Series(np.arange(len(frame)), index=frame.index)[codes != ""]
        for _, idx in members.groupby(codes[codes != ""], sort=True):
            if len(idx) >= 2:
                groups.append((idx.to_numpy(np.int64), kind))
            else:
                n_single += 1
    if n_single:
        log.info("%s: %d trust(s) or federation(s) with a single loaded school (single-academy "
                 "trusts, or split by the filter) are not partnerships", name, n_single)
    return groups
