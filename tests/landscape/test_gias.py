"""The GIAS loader on small extracts in GIAS format (tests/data, written by make_gias_fixtures.py)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import compose, validate
from sim.core.checks import ConfigError
from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.landscape import Gias

DATA = Path(__file__).resolve().parents[1] / "data"
SMALL = DATA / "gias_small.csv"
DAMAGED = DATA / "gias_damaged.csv"  # gias_small.csv and six damaged rows (make_gias_fixtures.py)


def load(path=SMALL, **params):
    return Gias(Gias.Params(path=str(path), **params)).build(np.random.default_rng(0))


def rewrite(tmp_path, edit, name="edubasealldata.csv"):
    """A copy of the good fixture with ``edit(frame)`` applied, written as GIAS does (cp1252)."""
    frame = pd.read_csv(SMALL, encoding="cp1252", dtype=str, keep_default_na=False)
    edit(frame)
    path = tmp_path / name
    frame.to_csv(path, index=False, encoding="cp1252")
    return path


def test_keeps_open_primary_and_secondary_state_schools_and_maps_phases():
    table = load()
    urns = set(table.school_id.tolist())
    assert {113011, 113017}.isdisjoint(urns)  # closed; proposed to open
    assert {113012, 113013, 113014}.isdisjoint(urns)  # nursery, 16 plus, special (not applicable)
    assert 113015 not in urns  # independent
    assert 113019 not in urns  # no coordinates: dropped
    assert table.n == 23
    phase = dict(zip(table.school_id.tolist(), table.phase.tolist(), strict=True))
    assert phase[113016] == PRIMARY  # middle deemed primary
    assert phase[113007] == SECONDARY  # all-through
    assert phase[113005] == SECONDARY


def test_converts_units_and_grades():
    table = load()
    i = int(np.flatnonzero(table.school_id == 113001)[0])
    assert table.x_km[i] == pytest.approx(236.5) and table.y_km[i] == pytest.approx(101.2)
    assert table.fsm[i] == pytest.approx(0.125)  # GIAS gives a percentage
    assert table.pupils[i] == 92 and table.rural[i]
    grade = dict(zip(table.school_id.tolist(), table.grade.tolist(), strict=True))
    assert (grade[113002], grade[113001], grade[113003], grade[113020]) == (1, 2, 3, 4)
    assert grade[113021] == 4  # serious weaknesses: an inadequate grade
    assert grade[113008] == 0  # no grade: the model draws it from the national mix
    assert not table.rural[table.school_id == 113004][0]  # "Urban city and town"


def test_trusts_and_federations_map_to_their_kinds():
    table = load()
    groups = {tuple(sorted(table.school_id[m].tolist())): kind
              for m, kind in table.initial_partnerships}
    # Trusts (code) -> multi-academy trusts; Federations (code) -> federations.
    assert groups == {(113001, 113002, 113003): "trust", (113020, 113021, 113101): "trust",
                      (113201, 113202, 113203): "trust", (113009, 113010): "federation",
                      (113103, 113104): "federation"}
    # Academies by establishment type group ("Academies", "Free Schools"); the rest maintained.
    academy = dict(zip(table.school_id.tolist(), table.academy.tolist(), strict=True))
    assert academy[113001] and academy[113006] and academy[113007]  # in a trust, or standalone
    assert not academy[113004] and not academy[113009]
    # Okehampton's trust has one school: not a partnership.
    filtered = load(local_authorities=["Devon"])
    groups = {tuple(sorted(filtered.school_id[m].tolist())) for m, _ in filtered.initial_partnerships}
    assert (113020, 113021) in groups  # a trust cut by the filter keeps its members inside it


def test_local_authority_filter_is_case_insensitive_and_suggests_close_names():
    table = load(local_authorities=["devon", "Plymouth"])
    assert table.n == 14 + 5
    with pytest.raises(ConfigError, match=r"local_authorities.*'Devn'.*close matches: Devon"):
        load(local_authorities=["Devn"])


def test_region_filter():
    assert load(regions=["South West"]).n == 23
    with pytest.raises(ConfigError, match=r"regions.*close matches: South West"):
        load(regions=["South-West"])


def test_imputed_values():
    table = load(local_authorities=["Devon", "Torbay"])
    pupils = dict(zip(table.school_id.tolist(), table.pupils.tolist(), strict=True))
    primaries = table.pupils[(table.phase == PRIMARY) & (table.school_id != 113018)]
    assert pupils[113018] == np.median(primaries)  # 0 pupils (a new school): phase median
    secondaries = table.pupils[(table.phase == SECONDARY) & (table.school_id != 113008)]
    assert pupils[113008] == np.median(secondaries)
    i = int(np.flatnonzero(table.school_id == 113003)[0])  # blank FSM: Devon primaries' median
    assert table.fsm[i] == pytest.approx(0.09)
    i = int(np.flatnonzero(table.school_id == 113009)[0])  # blank urban/rural: nearest is rural
    assert table.rural[i]


def test_imputations_logged_on_a_fresh_file(tmp_path, caplog):
    def blank_pupils(frame):
        frame.loc[frame.URN == "113004", "NumberOfPupils"] = ""

    path = rewrite(tmp_path, blank_pupils)
    with caplog.at_level(logging.INFO, logger="sim.landscape.gias"):
        load(path)
    assert "NumberOfPupils blank or 0 for 2 primary school(s)" in caplog.text
    assert "1 school(s) dropped: no Easting/Northing (URN 113019)" in caplog.text
    assert "no overall Ofsted grade for 2 school(s)" in caplog.text


def test_text_in_a_coordinate_is_an_error_naming_the_rows():
    with pytest.raises(ConfigError, match=r"gias_bad_easting.csv: 2 of the 30 selected rows are "
                       r"malformed.*line 5 \(URN 113004\): Easting 'not known' is not a number; "
                       r"line 24 \(URN 113102\): Easting '29l500'"):
        load(DATA / "gias_bad_easting.csv")
    # Outside the filter, the bad lines do not matter.
    assert load(DATA / "gias_bad_easting.csv", local_authorities=["Plymouth"]).n == 5


def test_missing_column_and_missing_file_are_errors():
    with pytest.raises(ConfigError, match=r"gias_missing_column.csv lacks .*'Northing'"):
        load(DATA / "gias_missing_column.csv")
    with pytest.raises(ConfigError, match=r"landscape.path.*an existing file"):
        load(DATA / "no_such_file.csv")
    with pytest.raises(ConfigError, match=r"landscape.path.*edubasealldata"):
        Gias.Params()


@pytest.mark.parametrize(("column", "value", "urn", "reason"), [
    ("URN", "abc", "", r"URN 'abc' is not a whole number"),
    ("URN", "1e30", "", r"URN '1e30' is not a whole number"),
    ("URN", "12345678901234567890", "", r"URN '12345678901234567890' is not a whole number"),
    ("URN", "113001.5", "", r"URN '113001.5' is not a whole number"),
    ("URN", "113002", " (URN 113002)", r"URN repeated on lines 2, 3"),
    ("PhaseOfEducation (name)", "Primry", " (URN 113001)", r"unknown phase 'Primry'"),
    ("EstablishmentStatus (name)", "", " (URN 113001)", r"unknown status ''"),
    ("NumberOfPupils", "ninety", " (URN 113001)", r"NumberOfPupils 'ninety' is not a number"),
    ("PercentageFSM", "130", " (URN 113001)", r"PercentageFSM '130' is not a percentage"),
    ("Northing", "-5", " (URN 113001)", r"Northing '-5' is outside England"),
    ("Northing", "71", " (URN 113001)", r"Northing '71' is outside England"),
    ("Easting", "1e9", " (URN 113001)", r"Easting '1e9' is outside England"),
])
def test_a_malformed_value_skips_the_school_or_stops_a_small_file(tmp_path, column, value, urn,
                                                                  reason):
    def edit(frame):
        frame.loc[0, column] = value

    path = rewrite(tmp_path, edit)
    # One or two bad rows of 30 are more than the default 1%: the load stops, naming them.
    with pytest.raises(ConfigError, match=r"edubasealldata.csv: [12] of the 30 selected rows "
                       r"(is|are) malformed, more than landscape.max_bad_row_share=0.01 allows: "
                       r"line 2" + re.escape(urn) + ": " + reason):
        load(path)
    # Allowed, the row is skipped and named in the notes, with its value.
    table = load(path, max_bad_row_share=0.1)
    skipped = table.notes[(table.notes.action == "skipped") & (table.notes.line == 2)]
    assert len(skipped) == 1 and skipped.reason.str.contains(reason).all()
    assert skipped.field.iloc[0] == column and skipped.value.iloc[0] == value
    assert 113001 not in table.school_id and table.school_id.min() > 0
    assert table.y_km.min() > 5


def test_unclassified_urban_rural_is_taken_from_the_nearest_school(tmp_path, caplog):
    def edit(frame):
        frame.loc[frame.URN == "113010", "UrbanRural (name)"] = "(pseudo) Channel Islands/Isle of Man"

    with caplog.at_level(logging.WARNING, logger="sim.landscape.gias"):
        table = load(rewrite(tmp_path, edit))
    assert table.rural[table.school_id == 113010][0]  # its nearest classified school is rural
    assert "(pseudo) Channel Islands/Isle of Man" in caplog.text and "for 2 school(s)" in caplog.text


def test_utf8_file_read_with_the_right_encoding(tmp_path):
    frame = pd.read_csv(SMALL, encoding="cp1252", dtype=str, keep_default_na=False)
    path = tmp_path / "utf8.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    assert load(path, encoding="utf-8").n == 23


def test_end_to_end_run_on_a_fixture():
    from sim.running import simulate

    cfg = compose(["landscape=gias", f"landscape.path={SMALL}", "landscape.local_authorities=[Devon]",
                   "years=1", "spinup_years=1", "steps_per_year=4"])
    result = simulate(validate(cfg))
    assert set(result.schools.school_id.unique()) == set(load(local_authorities=["Devon"]).school_id)
    initial = result.partnerships[result.partnerships.origin == "initial"]
    assert len(initial) >= 1


def test_a_run_writes_what_it_imputed_and_skipped_beside_its_outputs(tmp_path):
    from sim.running import simulate

    cfg = compose(["landscape=gias", f"landscape.path={DAMAGED}", "landscape.local_authorities=[Devon]",
                   "landscape.max_bad_row_share=0.5", "years=1", "spinup_years=1",
                   "steps_per_year=4"])
    simulate(validate(cfg)).save(tmp_path)
    notes = pd.read_csv(tmp_path / "landscape_notes.csv")
    assert list(notes.columns) == ["school_id", "line", "field", "action", "value", "reason"]
    assert {"imputed", "skipped"} <= set(notes.action)
    assert 32 in notes[notes.action == "skipped"].line.tolist()  # the truncated row


def test_cli_prints_one_line_for_a_bad_file(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "sim", "landscape=gias",
         f"landscape.path={DATA / 'gias_bad_easting.csv'}", f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Configuration error" in done.stderr
    lines = [line for line in done.stderr.splitlines() if "gias_bad_easting.csv" in line]
    assert len(lines) == 1 and "line 5 (URN 113004)" in lines[0] and "line 24" in lines[0]


# Damaged files (issue 11): each bad row of the selection is skipped and named; the rows of other
# local authorities never stop a load; too many bad rows stop it with one line.

def notes_of(table, urn=None, line=None):
    notes = table.notes
    return notes[(notes.school_id == urn) if urn is not None else (notes.line == line)]


def test_damaged_rows_are_skipped_and_named_in_the_notes_and_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="sim.landscape.gias"):
        table = load(DAMAGED, local_authorities=["Devon"], max_bad_row_share=0.25)
    good = load(local_authorities=["Devon"])
    for name in ("school_id", "phase", "x_km", "y_km", "rural", "pupils", "fsm", "grade"):
        assert np.array_equal(getattr(table, name), getattr(good, name)), name  # only good rows
    skipped = table.notes[table.notes.action == "skipped"].set_index("line")
    expected = {  # line: (URN, reason)
        32: (113022, "20 fields where the header has 21 (a truncated row?)"),
        33: (113023, "22 fields where the header has 21 (a comma in a value without quotes?)"),
        35: (None, "URN '1e30' is not a whole number of up to 18 digits"),
        36: (113025, "Easting '2712OO' is not a number"),
        37: (113026, "Northing '1029000' is outside England (5,000 to 670,000 m)"),
    }
    for line, (urn, reason) in expected.items():
        assert skipped.loc[line, "reason"] == reason
        assert pd.isna(skipped.loc[line, "school_id"]) if urn is None else \
            skipped.loc[line, "school_id"] == urn
        assert f"line {line}{'' if urn is None else f' (URN {urn})'}: {reason}" in caplog.text
    assert skipped.loc[35, "value"] == "1e30"
    assert "5 malformed row(s) of 26 skipped" in caplog.text
    # The row with an extra field in Cornwall is outside the selection: counted, not named.
    assert 113301 not in table.notes.school_id.dropna().tolist()
    assert 34 not in table.notes.line.tolist()
    assert "1 malformed row(s) outside the selected local authorities and regions ignored" in \
        caplog.text


def test_a_truncated_row_never_yields_a_wrong_coordinate():
    table = load(DAMAGED, max_bad_row_share=0.25)
    assert 113022 not in table.school_id  # Northing cut from 71239 to 71 and its grade lost
    assert table.y_km.min() > 5 and 113026 not in table.school_id
    assert notes_of(table, 113022).reason.tolist() == [
        "20 fields where the header has 21 (a truncated row?)"]


def test_damage_in_another_local_authority_does_not_stop_a_load(caplog):
    with caplog.at_level(logging.INFO, logger="sim.landscape.gias"):
        table = load(DAMAGED, local_authorities=["Plymouth"])  # at the default limit, 1%
    assert table.n == 5 and len(table.notes) == 0
    assert "3 malformed row(s) outside the selected local authorities and regions ignored" in \
        caplog.text
    assert "Cornwall" not in caplog.text and "113301" not in caplog.text
    # By region: the Cornwall row with an extra field is in the South West, so it is selected.
    table = load(DAMAGED, regions=["South West"], max_bad_row_share=0.25)
    assert 34 in table.notes.line.tolist()


def test_too_many_bad_rows_stop_the_load_with_one_line():
    with pytest.raises(ConfigError) as error:
        load(DAMAGED, local_authorities=["Devon"])
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("landscape.path: gias_damaged.csv: 5 of the 26 selected rows are "
                              "malformed, more than landscape.max_bad_row_share=0.01 allows: "
                              "line 32 (URN 113022): 20 fields where the header has 21")
    assert "line 35: URN '1e30'" in message
    # The limit is a share: 5 of 26 is 19%.
    with pytest.raises(ConfigError, match="5 of the 26 selected rows"):
        load(DAMAGED, local_authorities=["Devon"], max_bad_row_share=0.19)
    assert load(DAMAGED, local_authorities=["Devon"], max_bad_row_share=0.2).n == 14


def test_one_bad_row_among_thousands_is_skipped(tmp_path, caplog):
    text = SMALL.read_text(encoding="cp1252").splitlines()
    row = next(t for t in text if t.startswith("113004,"))  # an urban Devon primary
    rows = [row.replace("113004,", f"{200000 + i},", 1) for i in range(2000)]
    rows[700] = rows[700][:rows[700].rindex(",92500") + 3]  # truncated Northing
    path = tmp_path / "edubasealldata.csv"
    path.write_text("\r\n".join(text + rows) + "\r\n", encoding="cp1252")
    with caplog.at_level(logging.WARNING, logger="sim.landscape.gias"):
        table = load(path)
    assert table.n == 23 + 1999 and 200700 not in table.school_id
    assert notes_of(table, 200700).line.tolist() == [31 + 701]
    assert "1 malformed row(s) of 2030 skipped: line 732 (URN 200700): 20 fields" in caplog.text


@pytest.mark.parametrize(("closed_on", "lines", "reason"), [
    (10, "6-10", r"a value runs over lines 6-10 and holds whole rows \(an unclosed quote\?\)"),
    (None, "6-31", r"\d+ fields where the header has 21 \(its fields run over lines 6-31 "
                   r"\(an unclosed quote\?\)\)"),
])
def test_a_quote_left_open_stops_the_load_counting_every_line(tmp_path, closed_on, lines, reason):
    text = SMALL.read_text(encoding="cp1252").splitlines()
    text[5] = text[5].replace("Clyst Vale", '"Clyst Vale')  # a quote opened on line 6
    if closed_on:  # and closed inside a name on line 10 (the record has the right field count)
        text[closed_on - 1] = text[closed_on - 1].replace("Chulmleigh Primary", 'Chulmleigh" Primary')
    path = tmp_path / "edubasealldata.csv"
    path.write_text("\r\n".join(text) + "\r\n", encoding="cp1252")
    first, last = (int(x) for x in lines.split("-"))
    n_rows = 30 - (last - first)  # the record is read as one row, but counts as one per line
    with pytest.raises(ConfigError, match=rf"{last - first + 1} of the {n_rows + last - first} "
                       rf"selected rows are malformed.*: line 6 \(URN 113005\): {reason}$"):
        load(path)
    if closed_on:  # allowed, the five schools are skipped, not read with wrong values
        table = load(path, max_bad_row_share=1.0)
        assert {113005, 113006, 113007, 113008, 113009}.isdisjoint(table.school_id)
        # All five lines are Devon schools: the record is outside a Plymouth selection.
        assert load(path, local_authorities=["Plymouth"]).n == 5


def test_imputations_are_listed_per_school(caplog):
    with caplog.at_level(logging.INFO, logger="sim.landscape.gias"):
        table = load(local_authorities=["Devon", "Torbay"])
    notes = table.notes
    assert list(notes.columns) == ["school_id", "line", "field", "action", "value", "reason"]
    i = int(np.flatnonzero(table.school_id == 113018)[0])
    row = notes_of(table, 113018).set_index("field").loc["NumberOfPupils"]
    assert (row.action, float(row.value), row.line) == ("imputed", table.pupils[i], 19)
    assert row.reason == "0: the median of the loaded primary schools"
    row = notes_of(table, 113003).set_index("field").loc["PercentageFSM"]
    assert (row.value, row.reason) == ("9", "blank: the median of its local authority and phase")
    row = notes_of(table, 113009).set_index("field").loc["UrbanRural (name)"]
    assert (row.value, row.reason) == ("rural", "blank: as the nearest classified school, URN "
                                       "113010")
    assert set(notes_of(table, 113008).field) == {"NumberOfPupils", "OfstedRating (name)"}
    row = notes_of(table, 113019).iloc[0]
    assert (row.action, row.field, row.reason) == ("skipped", "Easting/Northing",
                                                   "no Easting/Northing")
    assert set(notes.action) == {"imputed", "skipped"}
    # The log lines name the schools too.
    assert f"set to the primary median, {table.pupils[i]:g} (URN 113018)" in caplog.text
    assert "set to the median of their local authority and phase (URN 113003)" in caplog.text
    assert "national mix (URN 113008, 113018)" in caplog.text


def test_generated_landscapes_have_no_notes():
    from sim.landscape import SyntheticRegion

    table = SyntheticRegion(SyntheticRegion.Params()).build(np.random.default_rng(0))
    assert table.notes is None


@pytest.mark.parametrize("share", [-0.1, 1.5, "1%", True])
def test_max_bad_row_share_is_validated(share):
    with pytest.raises(ConfigError, match=r"landscape.max_bad_row_share.*a share between 0 and 1"):
        load(max_bad_row_share=share)


def test_an_unknown_encoding_is_refused_before_reading():
    with pytest.raises(ConfigError, match="landscape.encoding' = 'xyz'"):
        validate(compose(["landscape=gias", f"landscape.path={SMALL}", "landscape.encoding=xyz"]))
