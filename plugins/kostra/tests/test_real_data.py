"""Every statbank and API file in the shared real-data corpus, read in place and checked against an
independent parse written here (the ``csv`` and ``json`` modules and regular expressions, not the
reader): row counts, values, codes, periods and status symbols.  Files that are not statbank tables (KLASS
code lists, API metadata) must be refused with what they are.

The corpus lives beside the project (``../shared/real-data/ssb``, see its PROVENANCE.md); the tests are
skipped where it is absent.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import samhandling as sh
from samhandling.errors import ParseError
from samhandling.plugins import PluginManager, get_plugin_manager
from samhandling.tables import StatTable

CORPUS = Path(__file__).parents[3] / ".." / "shared" / "real-data" / "ssb"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared real-data corpus is not here")


@pytest.fixture(scope="module")
def pm() -> PluginManager:
    import samhandling_kostra

    return get_plugin_manager(autoload=False, extra=[samhandling_kostra])


def _read(name: str, pm: PluginManager, **options: Any) -> StatTable:
    table = sh.read(CORPUS / name, plugin_manager=pm, **options)
    StatTable.from_arrow(table.arrow)  # the table passes the library's own validation
    return table


# -- an independent reading of statbank CSV --------------------------------------------------------------


def _csv_rows(name: str, encoding: str, delimiter: str) -> tuple[str, list[str], list[list[str]]]:
    """``(title, header, data rows)``: title lines until the first line with the delimiter, no footnotes."""
    text = (CORPUS / name).read_bytes().decode(encoding)
    lines = [line for line in text.splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if delimiter in line)
    title = " ".join(line.strip().strip('"') for line in lines[:start])
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=delimiter))
    return title, rows[0], rows[1:]


def _code(label: str) -> str:
    """The region code a label carries, by the rules the docs give (written out again here)."""
    text = label.strip()
    text = re.sub(r"^[KF]-", "", text)
    code, _, rest = text.partition(" ")
    span = re.search(r"\((\d{4})?-(\d{4})?\)\s*$", rest)
    digits = re.sub(r"(?<=\d)[a-z]+$", "", code)
    if len(digits) == 6 and span:
        return f"{digits}:{span.group(1) or ''}-{span.group(2) or ''}"
    if len(digits) == 6 and digits.endswith("00"):
        return digits[:4]
    return digits


def _age(text: str) -> str:
    match = re.match(r"^(\d+) (?:år|years?)( eller eldre| or older)?$", text.strip())
    assert match, text
    return f"{int(match[1])}+" if match[2] else str(int(match[1]))


def _index(table: StatTable, keys: list[str]) -> dict[tuple[Any, ...], tuple[float | None, str | None]]:
    """``key → (value, status)`` for every row (columns read whole, not row by row)."""
    arrow = table.arrow
    columns = []
    for key in [*keys, "value", "status"]:
        column = arrow.column(key)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column.to_pylist())
    found: dict[tuple[Any, ...], tuple[float | None, str | None]] = {}
    for row in zip(*columns, strict=True):
        cell = tuple(row[: len(keys)])
        assert cell not in found, f"two rows for {cell}"
        found[cell] = (row[-2], row[-1])
    return found


def _sample(rows: list[Any], count: int = 40) -> Iterator[Any]:
    step = max(1, len(rows) // count)
    yield from rows[::step]
    yield rows[-1]


# -- region, age, years as columns: 07459 population in four layouts ----------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("07459_population_2015-2018_en_wide_tab_latin1.csv", "latin-1", "\t"),
        ("07459_population_2019_en_comma_unquoted_utf8-damaged.csv", "utf-8", ","),
        ("07459_population_2020_en_tab_K-prefix_latin1.csv", "latin-1", "\t"),
        ("07459_population_2021_en_semicolon_title_K-prefix_latin1.csv", "latin-1", ";"),
    ],
)
def test_population_by_region_and_age(pm: PluginManager, name: str, encoding: str, delimiter: str) -> None:
    title, header, rows = _csv_rows(name, encoding, delimiter)
    years = [int(re.search(r"(\d{4})$", h).group(1)) for h in header[2:]]  # type: ignore[union-attr]
    table = _read(name, pm)
    assert table.num_rows == len(rows) * len(years)
    assert table.variable_ids() == ["population"]
    assert table.years() == years
    assert set(table.arrow.column("region").to_pylist()) == {_code(r[0]) for r in rows}
    index = _index(table, ["region", "year", "age"])
    for row in _sample(rows):
        for year, text in zip(years, row[2:], strict=True):
            assert index[(_code(row[0]), year, _age(row[1]))] == (float(text), None), row
    levels = dict(
        zip(table.arrow.column("region").to_pylist(), table.arrow.column("level").to_pylist(), strict=True)
    )
    if "K-prefix" in name:
        # the pseudo-regions SSB adds to "all municipalities", kept with their own level
        assert {code: levels[code] for code in ("21-22", "23", "Rest")} == dict.fromkeys(
            ("21-22", "23", "Rest"), "unallocated"
        )
        assert table.meta.extra["region_names"]["Rest"] == "Divided municalities and unknown"
        assert levels["3001"] == "municipality"
        assert title.startswith("07459") == ("title" in name)
    else:
        assert set(levels.values()) == {"municipality"}
    if "damaged" in name:
        assert "U+FFFD" in table.provenance[-1].note
    assert ("windows-1252" in table.provenance[-1].note) == (encoding == "latin-1")


def test_city_districts_letter_suffixes_and_earlier_divisions(pm: PluginManager) -> None:
    name = "10826_population_bydel_2021_en_semicolon_title_latin1.csv"
    _title, _header, rows = _csv_rows(name, "latin-1", ";")
    table = _read(name, pm)
    assert table.num_rows == len(rows)
    index = _index(table, ["region", "year", "age"])
    for row in _sample(rows, 80):
        assert index[(_code(row[0]), 2021, _age(row[1]))] == (float(row[2]), None), row
    levels = dict(
        zip(table.arrow.column("region").to_pylist(), table.arrow.column("level").to_pylist(), strict=True)
    )
    # today's Gamle Oslo is written 030101a; the 030101 of 1988-2003 was Bygdøy-Frogner
    assert levels["030101"] == "district"
    assert levels["030101:1988-2003"] == "historical_district"
    assert table.meta.extra["region_names"]["030101:1988-2003"] == "Bygdøy-Frogner"
    assert levels["0301"] == "municipality"  # 030100aa Oslo total
    assert levels["030199"] == "unallocated"  # unknown district
    assert levels["160101:2005-2017"] == levels["160101:2001-2004"] == "historical_district"
    assert index[("0301", 2021, "0")][0] == float(
        next(r[2] for r in rows if r[0].startswith("030100aa") and r[1] == "0 years")
    )


# -- national series with a title: 10211 and 13599 --------------------------------------------------------


def test_population_by_age_and_sex_since_1846(pm: PluginManager) -> None:
    name = "10211_befolkning_alder_kjonn_1846-2023_no_semicolon_title_latin1.csv"
    title, header, rows = _csv_rows(name, "latin-1", ";")
    assert header == ["alder", "kjønn", "år", "Personer"]
    table = _read(name, pm)
    assert table.num_rows == len(rows)
    assert table.levels() == ["national"]
    assert set(table.arrow.column("region").to_pylist()) == {"0"}
    assert table.meta.title == title.split(": ", 1)[1]
    assert table.years() == sorted({int(r[2]) for r in rows})
    index = _index(table, ["year", "age", "sex"])
    for row in _sample(rows):
        assert index[(int(row[2]), _age(row[0]), "total")] == (float(row[3]), None)


def test_population_projections(pm: PluginManager) -> None:
    name = "13599_framskrevet_folkemengde_no_semicolon_title_latin1.csv"
    _title, header, rows = _csv_rows(name, "latin-1", ";")
    table = _read(name, pm)
    assert table.num_rows == len(rows)
    assert table.levels() == ["national"]
    index = _index(table, ["year", "age", "innvandringskategori_landbakgrunn", "alternativ"])
    for row in _sample(rows):
        assert index[(int(row[3]), _age(row[0]), row[1], row[2])] == (float(row[4]), None)
    assert header[1] == "innvandringskategori / landbakgrunn"


# -- counties since 1951 in the old layout (UTF-8, title as the value column) --------------------------------


def test_county_changes_old_layout_with_pseudo_counties(pm: PluginManager) -> None:
    name = "06913_folkemengde_endringer_fylker_1951-2015_no_semicolon_oldformat_utf8.csv"
    _title, header, rows = _csv_rows(name, "utf-8", ";")
    table = _read(name, pm)
    assert table.num_rows == len(rows)
    assert table.meta.title == header[3]
    assert table.years() == list(range(1951, 2016))
    contents = sorted({r[2] for r in rows})
    assert len(table.variable_ids()) == len(contents)
    born = next(v.id for v in table.variables.values() if v.label == "Levendefødte")
    index = _index(table, ["region", "year", "variable"])
    for row in _sample(rows, 80):
        variable = (
            "population"
            if row[2] == "Folkemengde"
            else next(v.id for v in table.variables.values() if v.label == row[2])
        )
        assert index[(row[0].split()[0], int(row[1]), variable)] == (float(row[3]), None), row
    levels = dict(
        zip(table.arrow.column("region").to_pylist(), table.arrow.column("level").to_pylist(), strict=True)
    )
    assert {levels[c] for c in ("21", "22", "23", "25", "26", "88", "99")} == {"unallocated"}
    assert levels["13"] == "county"  # "13 Bergen (t.o.m. 1971)"
    assert index[("13", 1951, born)][0] == float(
        next(r[3] for r in rows if r[0].startswith("13 ") and r[1] == "1951" and r[2] == "Levendefødte")
    )


# -- wages: tab with header, CRLF, no region, years as columns, 42.0-style numbers -------------------------


def test_wages_tab_separated_with_header(pm: PluginManager) -> None:
    name = "lonn_manedslonn_kjonn_2016-2022_no_tab_header_latin1_crlf.csv"
    _title, header, rows = _csv_rows(name, "latin-1", "\t")
    years = [int(h) for h in header[5:]]
    table = _read(name, pm)
    assert table.num_rows == len(rows) * len(years)
    assert table.levels() == ["national"]
    index = _index(table, ["year", "variable", "statistikkmal", "arbeidstid", "sex", "naering_sn2007"])
    ids = {v.label: v.id for v in table.variables.values()}
    sexes = {"Menn": "male", "Kvinner": "female", "Begge kjønn": "total"}
    for row in rows:
        for year, text in zip(years, row[5:], strict=True):
            key = (year, ids[row[0]], row[1], row[2], sexes[row[3]], row[4])
            assert index[key] == (float(text), None)
    # wages are averages of people: not summed over areas, and in NOK
    assert table.variable(ids["Månedslønn (kr)"]).additive is False
    assert table.variable(ids["Månedslønn (kr)"]).unit == "NOK"


# -- GP consultations: region x age in the column headers, '.' symbols (re-created file) -------------------


def test_region_and_age_in_the_column_headers(pm: PluginManager) -> None:
    name = (
        "not-byte-verified/09535_fastlegekonsultasjoner_fylker_no_semicolon_title_wide_crlf_RECONSTRUCTED.csv"
    )
    _title, header, rows = _csv_rows(name, "utf-8", ";")
    table = _read(name, pm)
    assert table.num_rows == len(rows) * (len(header) - 3)
    index = _index(table, ["region", "year", "age", "sex"])
    dots = 0
    for row in rows:
        for column, text in zip(header[3:], row[3:], strict=True):
            region = column.split()[0]
            assert column.endswith(" Alle aldre")
            expected = (None, ".") if text == "." else (float(text), None)
            dots += text == "."
            assert index[(region, int(row[1]), "total", "total")] == expected, (row[1], column)
    assert table.status_counts()["."] == dots
    assert table.variable("konsultasjoner_per_person").additive is False


# -- JSON-stat --------------------------------------------------------------------------------------------


def _cube(dataset: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    ids = dataset["id"] if "id" in dataset else dataset["dimension"]["id"]
    codes = []
    for dimension_id in ids:
        index = dataset["dimension"][dimension_id]["category"]["index"]
        codes.append(sorted(index, key=lambda code: index[code]) if isinstance(index, dict) else list(index))
    return ids, codes


def _cells(dataset: Mapping[str, Any]) -> Iterator[tuple[dict[str, str], Any, str | None]]:
    ids, codes = _cube(dataset)
    status = dataset.get("status") or {}
    for number, value in enumerate(dataset["value"]):
        position, coordinates = number, {}
        for dimension_id, categories in reversed(list(zip(ids, codes, strict=True))):
            position, at = divmod(position, len(categories))
            coordinates[dimension_id] = categories[at]
        yield coordinates, value, status.get(str(number)) if isinstance(status, dict) else None


def test_jsonstat_1_bundle_from_the_statbank(pm: PluginManager) -> None:
    name = "05813_sivilstand_1769-2022_jsonstat1_bundle_no.json"
    dataset = json.loads((CORPUS / name).read_text("utf-8"))["dataset"]
    table = _read(name, pm)
    assert table.source == "jsonstat"
    assert table.num_rows == len(dataset["value"]) == math.prod(dataset["dimension"]["size"])
    assert table.meta.extra["ssb_table"] == "05813"
    assert table.levels() == ["national"]
    labels = dataset["dimension"]["EkteskStatus"]["category"]["label"]
    index = _index(table, ["year", "sivilstand"])
    statuses = 0
    for cell, value, status in _cells(dataset):
        expected = (None, status) if status else (float(value), None)
        statuses += bool(status)
        assert index[(int(cell["Tid"]), labels[cell["EkteskStatus"]])] == expected
    assert table.status_counts()[".."] == statuses == 37


@pytest.mark.parametrize(
    "name",
    [
        "13861_lonnsfordeling_gini_jsonstat2_api_v0_no_pretty.json",
        "not-byte-verified/14406_friluftsliv_barn_unge_jsonstat2_statbank_download_compact_RECONSTRUCTED.json",
    ],
)
def test_jsonstat_2_datasets(pm: PluginManager, name: str) -> None:
    dataset = json.loads((CORPUS / name).read_text("utf-8"))
    table = _read(name, pm)
    assert table.num_rows == len(dataset["value"])
    ids, _codes = _cube(dataset)
    other = [i for i in ids if i not in ("ContentsCode", "Tid")]
    columns = {i: table.columns[3 + n] for n, i in enumerate(other)}
    variables = {v.label: v.id for v in table.variables.values()}
    contents = dataset["dimension"]["ContentsCode"]["category"]["label"]
    index = _index(table, ["year", *columns.values(), "variable"])
    for cell, value, _status in _cells(dataset):
        labels = [dataset["dimension"][i]["category"]["label"][cell[i]] for i in other]
        key = (int(cell["Tid"]), *labels, variables[contents[cell["ContentsCode"]]])
        assert index[key] == (float(value), None)
    for variable in table.variables.values():
        assert variable.additive is False  # Gini, P90/P10, "Andel personar (prosent)"


# -- PX ---------------------------------------------------------------------------------------------------


def _px(name: str) -> tuple[dict[str, list[str]], list[str]]:
    """Keywords (values as lists, sub-keys joined with '|') and the DATA cells, by regular expressions."""
    text = (CORPUS / name).read_bytes().decode("latin-1")
    head, _, data = text.partition("\nDATA=")
    keywords: dict[str, list[str]] = {}
    for match in re.finditer(r"^([A-Z\-0-9]+)(?:\(([^)]*)\))?=(.*?);\s*$", head, re.MULTILINE | re.DOTALL):
        key = match[1] + ("|" + match[2].replace('"', "") if match[2] else "")
        body = re.sub(r'"\s*\n\s*"', "", match[3])  # a text continued on the next line
        keywords[key] = re.findall(r'"([^"]*)"', body) or [body.strip()]
    cells = data.replace(";", " ").split()
    return keywords, cells


def _px_cells(keywords: dict[str, list[str]], cells: list[str]) -> Iterator[tuple[dict[str, int], str]]:
    names = keywords.get("STUB", []) + keywords.get("HEADING", [])
    sizes = [len(keywords[f"VALUES|{n}"]) for n in names]
    for number, cell in enumerate(cells):
        position, coordinates = number, {}
        for name, size in reversed(list(zip(names, sizes, strict=True))):
            position, at = divmod(position, size)
            coordinates[name] = at
        yield coordinates, cell


@pytest.mark.parametrize(
    ("name", "time", "column"),
    [
        ("14216_tettsteder_oslo_no_latin1.px", "år", None),
        ("12909_sykefravaer_innvandrere_quarterly_no_latin1.px", "kvartal", "quarter"),
        ("03024_laks_eksport_weekly_no_latin1.px", "uke", "week"),
        ("05333_varekonsumindeks_monthly_no_latin1.px", "måned", "month"),
        ("11327_flyttinger_statsborgerskap_quarterly_no_latin1.px", "kvartal", "quarter"),
        ("12093_ansatte_barnehage_single_value_no_latin1.px", "år", None),
    ],
)
def test_px_files(pm: PluginManager, name: str, time: str, column: str | None) -> None:
    keywords, cells = _px(name)
    table = _read(name, pm)
    assert table.source == "ssb-px"
    assert table.num_rows == len(cells)
    assert table.sub_year == column
    names = keywords.get("STUB", []) + keywords.get("HEADING", [])
    contents = keywords["CONTVARIABLE"][0]
    variables = {v.label: v.id for v in table.variables.values()}
    dimension_columns = list(table.dimensions)
    others = [n for n in names if n not in (time, contents, "region")]
    index = _index(table, ["region", "year", *([column] if column else []), *dimension_columns, "variable"])
    region_codes = keywords.get("CODES|region")
    for coordinates, cell in _sample(list(_px_cells(keywords, cells)), 60):
        period = keywords[f"CODES|{time}"][coordinates[time]]
        match = re.match(r"^(\d{4})(?:[KMU](\d+))?$", period)
        assert match
        when = (int(match[1]), *([int(match[2])] if column else []))
        region = region_codes[coordinates["region"]] if region_codes else "0"
        other = tuple(keywords[f"VALUES|{n}"][coordinates[n]] for n in others)
        if name.startswith("12093"):
            other = ("Alle ansatte", "total")  # yrke as written, kjønn as the library's code
        variable = variables[keywords[f"VALUES|{contents}"][coordinates[contents]]]
        assert index[(region, *when, *other, variable)] == (float(cell), None), (coordinates, cell)
    if name.startswith("12093"):
        assert table.levels() == ["county"]  # one cell: Oslo (county 03) in the heading
    else:
        assert table.levels() == ["national"]
    if name.startswith("14216"):
        # VALUES list 2025 before 2024; the cells follow VALUES, not TIMEVAL
        assert index[("0", 2025, "Oslo", "areal")] == (275.87, None)
        assert table.variable("areal").unit == "km**2"
    if name.startswith("03024"):
        assert table.variable("vekt").unit == "tonne"
        assert table.variable("kilopris").additive is False


# -- files that are not statbank tables -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("klass131_kommuner_2020-01_semicolon_latin1.csv", "KLASS classification export"),
        ("klass104_fylker_2020-01_semicolon_latin1.csv", "KLASS classification export"),
        ("klass103_bydeler_2020-01_semicolon_latin1.csv", "KLASS classification export"),
        ("13861_lonnsfordeling_table_metadata_api_v0_no_pretty.json", "PxWeb API table metadata"),
        (
            "not-byte-verified/05300_table_info_api_v2_no_pretty_RECONSTRUCTED.json",
            "PxWebApi 2 table information",
        ),
    ],
)
def test_files_that_are_not_tables_are_refused_with_what_they_are(
    pm: PluginManager, name: str, message: str
) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        sh.read(CORPUS / name, plugin_manager=pm)
    assert str(CORPUS / name) in str(caught.value)
