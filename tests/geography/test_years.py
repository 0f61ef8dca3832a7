"""Adding a year as data: KLASS code and change lists (JSON or CSV) and a catchment file, no release.

The year 2027 here is made up for the tests (a merger of 5006 Steinkjer and 5007 Namsos into a code 5099
that does not exist); the shapes of the files are KLASS's.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import samhandling as sh
from samhandling.errors import ParseError, SchemaError, YearNotCoveredError
from samhandling.geography import Geography
from samhandling.geography.years import add_year, load_years, read_klass_codes, remove_year
from samhandling.tables import StatTable, Variable

REAL = Path(__file__).parents[2] / ".." / "shared" / "real-data" / "ssb"
NEW_NAME = "Nordre Trøndelag (test)"


def _codes_2027() -> dict[str, Any]:
    codes = [
        {"code": m.code, "parentCode": None, "level": "1", "name": m.name, "shortName": ""}
        for m in Geography.for_year(2026).municipalities
        if m.code not in ("5006", "5007")
    ]
    codes.append({"code": "5099", "parentCode": None, "level": "1", "name": NEW_NAME, "shortName": ""})
    codes.append({"code": "9999", "parentCode": None, "level": "1", "name": "Uoppgitt", "shortName": ""})
    return {"codes": codes}


def _changes_2027() -> dict[str, Any]:
    return {
        "codeChanges": [
            {"oldCode": "5006", "oldName": "Steinkjer - Stïentje", "oldShortName": "", "newCode": "5099",
             "newName": NEW_NAME, "newShortName": "", "changeOccurred": "2027-01-01"},
            {"oldCode": "5007", "oldName": "Namsos - Nåavmesjenjaelmie", "oldShortName": "",
             "newCode": "5099", "newName": NEW_NAME, "newShortName": "", "changeOccurred": "2027-01-01"},
            {"oldCode": "0301", "oldName": "Oslo", "oldShortName": "", "newCode": "0301",
             "newName": "Oslo - Oslove", "newShortName": "", "changeOccurred": "2026-01-01"},
        ]
    }  # fmt: skip


@pytest.fixture
def clean() -> Iterator[None]:
    """Whatever a test adds is removed again, so no other test sees it."""
    yield
    for year in Geography.added_years():
        remove_year(year)


@pytest.mark.usefixtures("clean")
def test_a_year_from_klass_json(tmp_path: Path) -> None:
    codes, changes = tmp_path / "codes.json", tmp_path / "changes.json"
    codes.write_text(json.dumps(_codes_2027()), encoding="utf-8")
    changes.write_text(json.dumps(_changes_2027()), encoding="utf-8")
    catchments = tmp_path / "catchments.csv"
    catchments.write_text(
        "kind,level,owner,member,source,note\nvop,health_trust,st-olavs,5099,hf-decision-2026,a test row\n",
        encoding="utf-8",
    )
    geo = add_year(2027, codes=codes, changes=changes, catchments=catchments)
    assert Geography.for_year(2027) is geo
    assert geo.origin == "added"
    assert Geography.shipped_years()[-1] == 2026
    assert Geography.added_years() == (2027,)
    assert Geography.years()[-1] == 2027
    assert geo.added_from["files"]["codes"]["file"] == "codes.json"
    assert len(geo.added_from["files"]["changes"]["sha256"]) == 64
    assert len(geo.municipalities) == 356
    assert geo.municipality("5099").name == NEW_NAME
    assert geo.municipality("Oslo").name == "Oslo - Oslove"  # carried, with its short name
    merger = sh.geography.history("5099")[0]
    assert (merger.year, merger.old_codes) == (2027, ("5006", "5007"))
    # the catchment file says St. Olavs (recorded); the rest is carried forward from 2026 (derived)
    assert geo.health_trust_of("5099").code == "st-olavs"
    assert geo.catchment_basis("5099").basis == "recorded"
    assert geo.catchment_basis("5099").source == "hf-decision-2026"
    assert geo.health_trust_of("030112").code == "ous"  # Alna's move of 2026 carried forward
    assert geo.catchment_basis("3301").basis == "derived"
    assert geo.dps_of("3301").code == "dps-drammen"
    table = StatTable.from_pydict(
        {"region": ["5006", "5007"], "level": ["municipality"] * 2, "year": [2026] * 2,
         "variable": ["users"] * 2, "value": [1.0, 2.0]},
        variables=[Variable(id="users", unit="bruker")], geography_year=2026,
    )  # fmt: skip
    moved = sh.harmonise(table, 2027)
    assert moved.to_pylist()[0]["region"] == "5099"
    assert moved.to_pylist()[0]["value"] == 3.0
    assert "added as data" in repr(geo)


@pytest.mark.usefixtures("clean")
def test_a_year_from_klass_csv_exports(tmp_path: Path) -> None:
    codes = tmp_path / "klass131.csv"
    with codes.open("w", encoding="latin-1", newline="") as handle:  # as KLASS exports it
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writerow(["code", "parentCode", "level", "name", "shortName", "notes", "validFrom", "validTo"])
        for item in _codes_2027()["codes"]:
            name = item["name"].encode("latin-1", "replace").decode("latin-1")
            writer.writerow([item["code"], "", "1", name, "", "", "", ""])
    changes = tmp_path / "changes.csv"
    with changes.open("w", encoding="utf-8", newline="") as handle:
        rows = csv.DictWriter(handle, fieldnames=list(_changes_2027()["codeChanges"][0]))
        rows.writeheader()
        rows.writerows(_changes_2027()["codeChanges"])
    geo = add_year(2027, codes=codes, changes=changes)
    assert geo.municipality("5099").name == NEW_NAME
    assert geo.health_trust_of("5099").code == "helse-nord-trondelag"  # derived from Steinkjer and Namsos
    assert geo.catchment_basis("5099").basis == "derived"


def test_the_files_must_lead_from_the_last_map(tmp_path: Path) -> None:
    changes = _changes_2027()
    changes["codeChanges"] = changes["codeChanges"][:1]  # Namsos's row forgotten
    with pytest.raises(SchemaError, match=r"the 2027 code list lacks \['5007'\]|lacks"):
        add_year(2027, codes=_codes_2027(), changes=changes)
    assert 2027 not in Geography.years()
    with pytest.raises(YearNotCoveredError, match="the next is 2027"):
        add_year(2028, codes=_codes_2027(), changes=_changes_2027())
    with pytest.raises(YearNotCoveredError, match=r"2026 is already covered .shipped."):
        add_year(2026, codes=_codes_2027(), changes=_changes_2027())
    with pytest.raises(ParseError, match="a list 'codes'"):
        add_year(2027, codes={"items": []}, changes=_changes_2027())
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ParseError, match=r"bad\.json.*not valid JSON"):
        add_year(2027, codes=bad, changes=_changes_2027())
    wrong_owner = tmp_path / "catchments.csv"
    wrong_owner.write_text(
        "kind,level,owner,member\nvop,health_trust,helse-trondheim,5099\n", encoding="utf-8"
    )
    with pytest.raises(SchemaError, match=r"'helse-trondheim' is not a health trust code"):
        add_year(2027, codes=_codes_2027(), changes=_changes_2027(), catchments=wrong_owner)
    with pytest.raises(YearNotCoveredError, match="was not added as data"):
        remove_year(2027)


@pytest.mark.usefixtures("clean")
def test_a_folder_of_years(tmp_path: Path) -> None:
    folder = tmp_path / "years" / "2027"
    folder.mkdir(parents=True)
    (folder / "klass131-codes.json").write_text(json.dumps(_codes_2027()), encoding="utf-8")
    (folder / "klass131-changes.json").write_text(json.dumps(_changes_2027()), encoding="utf-8")
    assert load_years(tmp_path / "years") == (2027,)
    assert load_years(tmp_path / "years") == ()  # already there
    assert Geography.for_year(2027).origin == "added"


@pytest.mark.skipif(not REAL.is_dir(), reason="the real SSB files are not at hand")
def test_reading_ssbs_csv_export_of_the_2020_code_list() -> None:
    codes = read_klass_codes(REAL / "klass131_kommuner_2020-01_semicolon_latin1.csv")
    assert {c["code"] for c in codes} == Geography.for_year(2020).codes("municipality")
    assert next(c for c in codes if c["code"] == "5441")["name"] == "Deatnu - Tana"
