"""``samhandling geo find | history | list`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from samhandling.cli import main


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["geo", *args])
    return result.exit_code, result.stdout, result.stderr


def test_find_forgiving_name_with_catchments() -> None:
    code, out, _ = _run("find", "bodo", "--year", "2024", "--format", "json")
    assert code == 0
    (row,) = json.loads(out)
    assert row == {
        "level": "municipality",
        "code": "1804",
        "name": "Bodø",
        "county": "Nordland - Nordlánnda",
        "health_trust": "Nordlandssykehuset HF",
        "dps": "Salten DPS",
    }


def test_find_lists_every_candidate_and_marks_splits() -> None:
    code, out, _ = _run("find", "Oslo", "--year", "2019", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["level"], r["code"]) for r in rows] == [("county", "03"), ("municipality", "0301")]
    assert rows[1]["health_trust"].startswith("split: ")
    code, out, _ = _run("find", "Herøy")
    assert code == 0
    assert "1515" in out
    assert "1818" in out


def test_find_nothing_is_an_error_with_a_suggestion() -> None:
    code, _, err = _run("find", "Bodøø", "--year", "2024")
    assert code == 1
    assert "no area with code or name 'Bodøø' in 2024; did you mean: 1804 Bodø" in err


def test_history_of_ringerike_and_alesund() -> None:
    code, out, _ = _run("history", "0605", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["year"], r["kind"], r["from"], r["to"]) for r in rows] == [
        ("2020", "renumber", "0605 Ringerike", "3007 Ringerike"),
        ("2024", "renumber", "3007 Ringerike", "3305 Ringerike"),
    ]
    code, out, _ = _run("history", "1507", "--format", "json")
    assert code == 0
    assert json.loads(out)[-1]["to"] == "1508 Ålesund + 1580 Haram"
    code, out, _ = _run("history", "1507")
    assert code == 0
    assert "split" in out
    code, out, _ = _run("history", "1101")
    assert (code, out.strip()) == (0, "1101: no changes 2017–2026")
    code, _, err = _run("history", "1299")
    assert code == 1
    assert "'1299' did not exist" in err


def test_list_within_a_parent() -> None:
    code, out, _ = _run("list", "municipality", "--year", "2020", "--in", "Viken", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 51  # Viken's municipalities 2020–2023
    assert {r["county"] for r in rows} == {"Viken"}
    code, out, _ = _run("list", "dps", "--in", "Vestre Viken", "--format", "json")
    assert code == 0
    assert {r["code"] for r in json.loads(out)} == {
        "dps-asker",
        "dps-baerum",
        "dps-drammen",
        "dps-kongsberg",
        "dps-ringerike",
    }
    code, out, _ = _run("list", "county", "--year", "2017", "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(out)))) == 19
    code, _, err = _run("list", "county", "--year", "2016")
    assert code == 2
    assert "2016" in err


def test_membership_table_for_analysts() -> None:
    code, out, _ = _run("membership", "health_trust", "--year", "2024", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    ringerike = next(r for r in rows if r["region"] == "3305")
    assert ringerike == {
        "region": "3305",
        "name": "Ringerike",
        "parent": "vestre-viken",
        "parent_name": "Vestre Viken HF",
        "weight": "1",
        "basis": "published",
    }
    code, out, _ = _run("membership", "health_trust", "--year", "2019", "--kind", "bup", "--format", "json")
    kongsvinger = next(r for r in json.loads(out) if r["region"] == "0402")
    assert (kongsvinger["parent"], kongsvinger["basis"]) == ("ahus", "recorded")  # SKDE-FORNY, 1 Feb 2019
    oslo = [r for r in rows if r["region"] == "0301"]
    assert len(oslo) == 4
    assert {r["weight"] for r in oslo} == {""}
    code, out, _ = _run("membership", "national", "--year", "2017", "--format", "json")
    rows = json.loads(out)
    assert len([r for r in rows if len(r["region"]) == 4]) == 426
    assert (
        len([r for r in rows if len(r["region"]) == 6]) == 40
    )  # Oslo 18, Stavanger 8, Bergen 9, Trondheim 5


def test_history_names_a_restored_area() -> None:
    code, out, _ = _run("history", "1534", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows[-1] == {
        "year": "2019→2024",
        "kind": "restored",
        "from": "1534 Haram",
        "to": "1580 Haram",
        "source": "haram-2024",
    }
    assert [r["kind"] for r in rows[:2]] == ["merge", "split"]
