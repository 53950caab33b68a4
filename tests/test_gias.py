"""The GIAS loader on small extracts in GIAS format (tests/data, written by make_gias_fixtures.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import compose, validate
from sim.core.checks import ConfigError
from sim.core.vocabulary import PRIMARY, SECONDARY
from sim.landscape import Gias

DATA = Path(__file__).resolve().parent / "data"
SMALL = DATA / "gias_small.csv"


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


def test_trusts_and_federations_become_formal_partnerships():
    table = load()
    groups = {tuple(sorted(table.school_id[m].tolist())) for m, kind in table.initial_partnerships}
    assert all(kind == "federation" for _, kind in table.initial_partnerships)
    assert groups == {(113001, 113002, 113003), (113020, 113021, 113101),
                      (113201, 113202, 113203), (113009, 113010), (113103, 113104)}
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
    with pytest.raises(ConfigError, match=r"gias_bad_easting.csv.*'Easting'.*rows 5, 24"):
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


@pytest.mark.parametrize(("column", "value", "message"), [
    ("URN", "abc", r"'URN' is missing or not a whole number at row 2"),
    ("URN", "113002", r"'URN' repeats URNs \[113002\] at rows 2, 3"),
    ("PhaseOfEducation (name)", "Primry", r"'PhaseOfEducation \(name\)' has unknown value.*'Primry'"),
    ("EstablishmentStatus (name)", "", r"'EstablishmentStatus \(name\)' has unknown value.*row 2"),
    ("NumberOfPupils", "ninety", r"'NumberOfPupils' is not a number of pupils .* at row 2"),
    ("PercentageFSM", "130", r"'PercentageFSM' is not a percentage .* at row 2"),
    ("Northing", "-5", r"'Northing' is not a British National Grid coordinate .* at row 2"),
])
def test_malformed_values_are_errors_naming_the_rows(tmp_path, column, value, message):
    def edit(frame):
        frame.loc[0, column] = value

    with pytest.raises(ConfigError, match=message):
        load(rewrite(tmp_path, edit))


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


def test_cli_prints_one_line_for_a_bad_file(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "sim", "landscape=gias",
         f"landscape.path={DATA / 'gias_bad_easting.csv'}", f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Configuration error" in done.stderr and "rows 5, 24" in done.stderr
