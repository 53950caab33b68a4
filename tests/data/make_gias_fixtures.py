"""Write the small GIAS-format fixtures used by tests/test_gias.py: ``python tests/data/make_gias_fixtures.py``.

They mimic a GIAS ``edubasealldata`` extract: its column names (a subset, in GIAS order), Windows-1252
encoding (note the curly apostrophe in "St Mary’s"), dd-mm-yyyy dates and blank cells for missing values.
Schools are real-sounding but made up; coordinates are British National Grid metres in Devon,
Torbay and Plymouth.
"""

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["URN", "LA (code)", "LA (name)", "EstablishmentName", "EstablishmentTypeGroup (name)",
           "EstablishmentStatus (name)", "OpenDate", "CloseDate", "PhaseOfEducation (name)",
           "NumberOfPupils", "PercentageFSM", "Trusts (code)", "Trusts (name)",
           "Federations (code)", "Federations (name)", "OfstedLastInsp", "GOR (name)",
           "UrbanRural (name)", "Easting", "Northing", "OfstedRating (name)"]
RV, RS, RH, RT = ("(England/Wales) Rural village", "(England/Wales) Rural village in a sparse setting",
                  "(England/Wales) Rural hamlet and isolated dwellings",
                  "(England/Wales) Rural town and fringe")
UC = "(England/Wales) Urban city and town"
LA = {"Devon": "878", "Torbay": "880", "Plymouth": "879"}
TRUSTS = {"5001": "Tarka Learning Partnership", "5002": "Okehampton College Trust",
          "5003": "Ventrus Multi Academy Trust", "5004": "Westcountry Schools Trust"}
FEDERATIONS = {"FED1": "Chulmleigh and Lapford Federation", "FED2": "Brixham Federation"}
# URN, LA, name, type group, status, phase, pupils, FSM %, trust, federation, urban/rural,
# easting, northing, Ofsted grade, close date
SCHOOLS = [
    (113001, "Devon", "St Mary’s Church of England Primary School", "A", "Open", "Primary", "92", "12.5", "5001", "", RV, "236500", "101200", "Good", ""),
    (113002, "Devon", "Ashwater Primary School", "A", "Open", "Primary", "45", "8.9", "5001", "", RS, "238600", "95300", "Outstanding", ""),
    (113003, "Devon", "Black Torrington Church of England Primary School", "A", "Open", "Primary", "61", "", "5001", "", RH, "246500", "105600", "Requires improvement", ""),
    (113004, "Devon", "Exeter Road Community Primary School", "L", "Open", "Primary", "410", "22.1", "", "", UC, "292100", "92500", "Good", ""),
    (113005, "Devon", "Clyst Vale Community College", "L", "Open", "Secondary", "1050", "10.2", "", "", RT, "298700", "97800", "Good", ""),
    (113006, "Devon", "Okehampton College", "A", "Open", "Secondary", "1320", "14.8", "5002", "", RT, "258900", "94900", "Outstanding", ""),
    (113007, "Devon", "Bradworthy Academy", "A", "Open", "All-through", "520", "16.0", "", "", RV, "232200", "114100", "Requires improvement", ""),
    (113008, "Devon", "Holsworthy Community College", "L", "Open", "Secondary", "", "13.0", "", "", RT, "234400", "103600", "", ""),
    (113009, "Devon", "Chulmleigh Primary School", "L", "Open", "Primary", "150", "9.0", "", "FED1", "", "268500", "114200", "Good", ""),
    (113010, "Devon", "Lapford Community Primary School", "L", "Open", "Primary", "70", "10", "", "FED1", RV, "273100", "108300", "Good", ""),
    (113011, "Devon", "Old Closed Primary School", "L", "Closed", "Primary", "30", "5.0", "", "", RV, "270000", "100000", "Good", "31-08-2019"),
    (113012, "Devon", "Exeter Nursery School", "L", "Open", "Nursery", "80", "12.0", "", "", UC, "292500", "92900", "Outstanding", ""),
    (113013, "Devon", "Exeter College", "C", "Open", "16 plus", "6000", "", "", "", UC, "291900", "92800", "Outstanding", ""),
    (113014, "Devon", "Ellen Tinkham School", "S", "Open", "Not applicable", "200", "40.0", "", "", UC, "295200", "93400", "Outstanding", ""),
    (113015, "Devon", "Mount House School", "I", "Open", "Primary", "220", "", "", "", RV, "247200", "74600", "", ""),
    (113016, "Devon", "Axe Valley Middle School", "L", "Open", "Middle deemed primary", "300", "18", "", "", RT, "325300", "100300", "Good", ""),
    (113017, "Devon", "Cranbrook New Free School", "F", "Proposed to open", "Primary", "", "", "", "", UC, "300100", "95500", "", ""),
    (113018, "Devon", "Ide Primary School", "L", "Open", "Primary", "0", "3.1", "", "", RV, "289500", "90400", "", ""),
    (113019, "Devon", "No Coordinates Primary School", "L", "Open", "Primary", "120", "11.0", "", "", RV, "", "", "Good", ""),
    (113020, "Devon", "Woodbury Salterton Church of England Primary School", "A", "Open", "Primary", "58", "5.0", "5003", "", RV, "301300", "89100", "Inadequate", ""),
    (113021, "Devon", "Lympstone Church of England Primary School", "A", "Open", "Primary", "190", "7.5", "5003", "", RT, "299400", "84200", "Serious Weaknesses", ""),
    (113101, "Torbay", "Paignton Academy", "A", "Open", "Secondary", "1800", "25", "5003", "", UC, "288300", "59800", "Requires improvement", ""),
    (113102, "Torbay", "Torquay Primary School", "L", "Open", "Primary", "420", "30", "", "", UC, "291500", "64300", "Good", ""),
    (113103, "Torbay", "Brixham Church of England Primary School", "L", "Open", "Primary", "300", "26", "", "FED2", UC, "292200", "55900", "Good", ""),
    (113104, "Torbay", "Churston Ferrers Grammar School", "L", "Open", "Secondary", "900", "4", "", "FED2", UC, "290700", "56400", "Outstanding", ""),
    (113201, "Plymouth", "Plymstock School", "A", "Open", "Secondary", "1600", "15", "5004", "", UC, "251800", "53100", "Good", ""),
    (113202, "Plymouth", "Plympton St Maurice Primary School", "A", "Open", "Primary", "330", "20", "5004", "", UC, "254200", "55900", "Good", ""),
    (113203, "Plymouth", "Stoke Damerel Primary Academy", "A", "Open", "Primary", "250", "35", "5004", "", UC, "246100", "55700", "Good", ""),
    (113204, "Plymouth", "Ford Primary School", "L", "Open", "Primary", "210", "45", "", "", UC, "246000", "56700", "Requires improvement", ""),
    (113205, "Plymouth", "Ernesettle Community School", "L", "Open", "Primary", "200", "50", "", "", UC, "244800", "59500", "Inadequate", ""),
]
TYPE_GROUPS = {"A": "Academies", "L": "Local authority maintained schools", "C": "Colleges",
               "S": "Special schools", "I": "Independent schools", "F": "Free Schools"}


def rows():
    for (urn, la, name, group, status, phase, pupils, fsm, trust, fed, urban_rural, easting,
         northing, grade, close_date) in SCHOOLS:
        yield {"URN": urn, "LA (code)": LA[la], "LA (name)": la, "EstablishmentName": name,
               "EstablishmentTypeGroup (name)": TYPE_GROUPS[group],
               "EstablishmentStatus (name)": status, "OpenDate": "01-09-2011",
               "CloseDate": close_date, "PhaseOfEducation (name)": phase,
               "NumberOfPupils": pupils, "PercentageFSM": fsm, "Trusts (code)": trust,
               "Trusts (name)": TRUSTS.get(trust, ""), "Federations (code)": fed,
               "Federations (name)": FEDERATIONS.get(fed, ""), "OfstedLastInsp": "14-03-2019",
               "GOR (name)": "South West", "UrbanRural (name)": urban_rural, "Easting": easting,
               "Northing": northing, "OfstedRating (name)": grade}


def write(name, records, columns=COLUMNS):
    with open(HERE / name, "w", encoding="cp1252", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)


def line(record):
    """One row as GIAS writes it (a CSV line, quoted where needed), without the line end."""
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore").writerow(record)
    return out.getvalue().rstrip("\r\n")


def school(urn, la, name, easting, northing, **values):
    """A good open primary school row (a record of rows()) for the damaged fixture."""
    record = next(rows()) | {"URN": urn, "LA (code)": LA.get(la, "908"), "LA (name)": la,
                            "EstablishmentName": name, "Trusts (code)": "", "Trusts (name)": "",
                            "Easting": easting, "Northing": northing}
    return record | values


# The damaged rows of gias_damaged.csv (lines 32-37, after the 30 good rows): each is written as
# a good row, then damaged in its text as a broken export or a hand edit would.
DAMAGED = [
    # Cut short after the first two digits of its Northing (71239): the Ofsted grade is lost too.
    (line(school(113022, "Devon", "Landkey Primary School", "256400", "71239")),
     lambda text: text[:text.index(",71239") + 3]),
    # A comma in the name without quotes: one field too many, in the selected local authority ...
    (line(school(113023, "Devon", "Bideford Westward Ho Primary School", "243000", "126500")),
     lambda text: text.replace("Bideford Westward Ho", "Bideford, Westward Ho")),
    # ... and in another one (Cornwall).
    (line(school(113301, "Cornwall", "Truro St Mary Primary School", "182600", "44900")),
     lambda text: text.replace("Truro St Mary", "Truro, St Mary")),
    # A URN that a spreadsheet turned into a huge number.
    (line(school(113024, "Devon", "Bishops Nympton Primary School", "276100", "123700")),
     lambda text: text.replace("113024", "1e30", 1)),
    # Text in a coordinate (letter O for zero).
    (line(school(113025, "Devon", "Chawleigh Primary School", "271200", "112500")),
     lambda text: text.replace("271200", "2712OO")),
    # A Northing with a digit too many: on the British National Grid, but north of England.
    (line(school(113026, "Devon", "Copplestone Primary School", "276800", "102900")),
     lambda text: text.replace("102900", "1029000")),
]


if __name__ == "__main__":
    good = list(rows())
    write("gias_small.csv", good)
    # Text where a coordinate should be (rows 5 and 24, counting the header as row 1).
    bad = [dict(r) for r in good]
    bad[3]["Easting"] = "not known"
    bad[22]["Easting"] = "29l500"
    write("gias_bad_easting.csv", bad)
    # An extract without the Northing column.
    write("gias_missing_column.csv", good, [c for c in COLUMNS if c != "Northing"])
    # The good rows and, after them, the damaged rows above (lines 32-37).
    write("gias_damaged.csv", good)
    with open(HERE / "gias_damaged.csv", "a", encoding="cp1252", newline="") as out:
        for text, damage in DAMAGED:
            out.write(damage(text) + "\r\n")
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("gias_*.csv"))))
