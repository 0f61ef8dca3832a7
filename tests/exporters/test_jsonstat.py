"""JSON-stat 2.0: valid against the official schema, SSB's conventions, and a lossless way back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pytest

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.errors import ExportError, ParseError
from samhandling.exporters import export
from samhandling.exporters.jsonstat import (
    JsonStatSource,
    decode_cells,
    dumps,
    from_jsonstat,
    read_jsonstat,
    restore_table,
    to_jsonstat,
)

SCHEMA = json.loads((Path(__file__).parent / "data" / "jsonstat-2.0.schema.json").read_text(encoding="utf-8"))


def _valid(document: dict[str, Any]) -> dict[str, Any]:
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    return document


@pytest.mark.parametrize("value_form", ["auto", "dense", "sparse"])
def test_valid_against_the_schema_and_lossless(table: StatTable, value_form: str, tmp_path: Path) -> None:
    path = export(table, tmp_path / "fte.json", value_form=value_form)
    _valid(json.loads(path.read_text(encoding="utf-8")))
    back = sh.read(path)
    assert back.equals(table)
    assert back.meta == table.meta
    assert back.arrow.schema.remove_metadata() == table.arrow.schema.remove_metadata()


def test_dimensions_roles_units_and_labels(table: StatTable) -> None:
    document = _valid(to_jsonstat(table, updated="2025-03-01T10:00:00Z"))
    assert document["version"] == "2.0"
    assert document["class"] == "dataset"
    assert document["label"] == "Årsverk i kommunalt psykisk helse- og rusarbeid"
    assert document["updated"] == "2025-03-01T10:00:00Z"
    assert document["id"] == ["region", "profession", "variable", "year"]
    assert document["size"] == [5, 3, 3, 2]
    assert document["role"] == {"geo": ["region"], "time": ["year"], "metric": ["variable"]}
    variable = document["dimension"]["variable"]
    assert variable["label"] == "statistikkvariabel"
    assert variable["category"]["label"]["fte"] == "Årsverk"
    assert variable["category"]["unit"] == {
        "fte": {"label": "årsverk", "decimals": 2},
        "fte_per_10000": {"label": "årsverk / ten_thousand_inhabitants", "decimals": 3},
        "users": {"label": "bruker", "decimals": 0},
    }
    profession = document["dimension"]["profession"]["category"]
    assert profession["index"] == ["nurse_specialised", "psychologist", "_"]
    assert profession["label"]["_"] == "(ikke fordelt)"
    assert document["dimension"]["year"]["category"]["index"] == ["2023", "2024"]


def test_status_symbols_and_their_explanation(table: StatTable) -> None:
    document = to_jsonstat(table, value_form="sparse")
    statuses = sorted(document["status"].values())
    assert statuses == ["-", "-", "..", "..", ":", ":"]
    assert document["note"] == [
        ".. Tallgrunnlag mangler",
        ": Vises ikke av konfidensialitetshensyn",
        "- Null",
    ]
    # a '-' cell has the value 0, a ':' cell has none
    for cell, symbol in document["status"].items():
        assert document["value"].get(cell) == (0 if symbol == "-" else None)


def test_cell_positions_follow_the_row_major_order(table: StatTable) -> None:
    document = to_jsonstat(table, value_form="dense")
    ids, sizes = document["id"], document["size"]
    index = {d: document["dimension"][d]["category"]["index"] for d in ids}

    def cell(**coordinates: str) -> Any:
        position = 0
        for dimension, size in zip(ids, sizes, strict=True):
            position = position * size + index[dimension].index(coordinates[dimension])
        return document["value"][position]

    assert cell(region="0301", profession="psychologist", variable="fte", year="2024") == 310.0
    assert cell(region="3301", profession="nurse_specialised", variable="fte", year="2024") == 13.5
    assert cell(region="0", profession="_", variable="users", year="2023") == 152_345
    assert cell(region="0", profession="_", variable="fte", year="2023") is None


def test_provenance_and_metadata_in_the_extension(table: StatTable) -> None:
    extension = to_jsonstat(table)["extension"]["samhandling"]
    assert extension["geography_year"] == 2024
    assert extension["provenance"] == [
        {
            "source": "survey",
            "location": "IS-24-8_2024.xlsx",
            "checksum": "sha256:" + "ab" * 32,
            "retrieved": "2025-03-01T10:00:00+00:00",
            "note": "kommunale årsverk",
        }
    ]
    assert extension["variables"]["fte_per_10000"]["numerator"] == "fte"
    assert extension["levels"] == {
        "0": "national",
        "0301": "municipality",
        "33": "county",
        "3301": "municipality",
        "3305": "municipality",
    }


def test_monthly_tables_have_two_time_dimensions(monthly: StatTable, tmp_path: Path) -> None:
    document = _valid(to_jsonstat(monthly))
    assert document["id"] == ["region", "unit", "variable", "year", "month"]
    assert document["role"]["time"] == ["year", "month"]
    assert read_jsonstat(export(monthly, tmp_path / "admissions.jsonstat")).equals(monthly)


def test_a_code_at_two_levels_becomes_a_level_dimension(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {
            "region": ["46", "46", "4601"],
            "level": ["county", "health_trust", "municipality"],
            "year": [2024] * 3,
            "variable": ["users"] * 3,
            "value": [10.0, 11.0, 3.0],
        },
        variables=[Variable(id="users", unit="bruker")],
    )
    document = _valid(to_jsonstat(table))
    assert document["id"][:2] == ["region", "level"]
    assert "levels" not in document["extension"]["samhandling"]
    assert read_jsonstat(export(table, tmp_path / "users.json")).equals(table)


def test_region_labels(table: StatTable) -> None:
    document = to_jsonstat(table, region_labels={"3301": "Drammen", "0": "Hele landet"})
    labels = document["dimension"]["region"]["category"]["label"]
    assert labels["3301"] == "Drammen"
    assert labels["0"] == "Hele landet"
    assert labels["3305"] == "3305"
    # by default the names come from the geography of the table's year
    labels = to_jsonstat(table)["dimension"]["region"]["category"]["label"]
    assert labels == {
        "0": "Hele landet",
        "33": "Buskerud",
        "0301": "Oslo",
        "3301": "Drammen",
        "3305": "Ringerike",
    }
    assert set(
        to_jsonstat(table, region_labels=False)["dimension"]["region"]["category"]["label"].values()
    ) == {
        "0",
        "33",
        "0301",
        "3301",
        "3305",
    }


def test_the_kostra_plugin_reads_what_the_exporter_writes(table: StatTable, tmp_path: Path) -> None:
    kostra = pytest.importorskip("samhandling_kostra.sources")
    path = export(table, tmp_path / "fte.json")
    source = kostra.JsonStatSource()
    assert source.can_read(path)
    back = source.read(path)
    assert back.equals(table)
    assert back.meta.variables == table.meta.variables
    assert set(table.provenance) <= set(back.provenance)


def test_integer_dimensions_and_a_taken_null_category(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {
            "region": ["3301"] * 4,
            "level": ["municipality"] * 4,
            "year": [2024] * 4,
            "age": pa.array([18, 67, None, 30], pa.int16()),
            "group": ["_", "a", "b", None],
            "variable": ["population"] * 4,
            "value": [1.0, 2.0, 3.0, 4.0],
        },
        variables=[Variable(id="population", unit="innbygger")],
    )
    document = to_jsonstat(table)
    assert document["extension"]["samhandling"]["null_category"] == {"age": "_", "group": "__"}
    back = read_jsonstat(export(table, tmp_path / "population.json"))
    assert back.equals(table)
    assert back.arrow.schema.field("age").type == pa.int16()


def test_the_source_recognises_only_files_samhandling_wrote(table: StatTable, tmp_path: Path) -> None:
    source = JsonStatSource()
    ours = export(table, tmp_path / "ours.json")
    assert source.can_read(ours)
    foreign = tmp_path / "ssb.json"
    document = to_jsonstat(table)
    del document["extension"]
    foreign.write_text(json.dumps(document), encoding="utf-8")
    assert not source.can_read(foreign)
    assert not source.can_read(tmp_path / "missing.json")
    assert not source.can_read(tmp_path)
    with pytest.raises(ParseError, match=r"ssb\.json: the JSON-stat dataset has no extension\.samhandling"):
        read_jsonstat(foreign)


def test_pretty_printed_files_are_recognised_too(table: StatTable, tmp_path: Path) -> None:
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(to_jsonstat(table), indent=2, ensure_ascii=False), encoding="utf-8")
    assert JsonStatSource().can_read(path)
    assert sh.read(path).equals(table)


def test_decoding_ssb_style_responses() -> None:
    """Status as an array, index as an object, one category given only by its label."""
    document = {
        "version": "2.0",
        "class": "dataset",
        "id": ["Region", "ContentsCode", "Tid"],
        "size": [2, 1, 2],
        "dimension": {
            "Region": {"category": {"index": {"3301": 0, "3305": 1}, "label": {"3301": "Drammen"}}},
            "ContentsCode": {"category": {"label": {"Personer": "Personer"}}},
            "Tid": {"category": {"index": ["2023", "2024"]}},
        },
        "value": [103_291, None, 28_400, 28_611],
        "status": [None, "..", None, None],
    }
    cells = decode_cells(document)
    assert cells.column_names == ["Region", "ContentsCode", "Tid", "value", "status"]
    rows = [tuple(r.values()) for r in cells.to_pylist()]
    assert rows == [
        ("3301", "Personer", "2023", 103_291.0, None),
        ("3301", "Personer", "2024", None, ".."),
        ("3305", "Personer", "2023", 28_400.0, None),
        ("3305", "Personer", "2024", 28_611.0, None),
    ]
    sparse = {**document, "value": {"0": 1, "3": 2}, "status": {"1": ":"}}
    assert decode_cells(sparse).column("status").to_pylist() == [None, ":", None]
    assert decode_cells({**document, "status": ".."}).column("status").to_pylist() == [".."] * 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"class": "collection"}, "read each dataset of a collection separately"),
        ({"size": [2, 1]}, "do not match"),
        ({"size": [3, 1, 2]}, "'Region' has 2 categories but 'size' gives 3"),
        ({"value": [1, 2, 3]}, "'value' has 3 entries, but the sizes give a cube of 4 cells"),
        ({"value": {"7": 1}}, "names cell 7, outside the cube of 4 cells"),
        ({"value": {"x": 1}}, "has a key that is not a cell number"),
        ({"value": ["a", 1, 2, 3]}, "not a number or null"),
        ({"status": [None, None]}, "'status' has 2 entries"),
        ({"id": ["Region", "ContentsCode", "Year"]}, r"dimension\(s\) \['Year'\]"),
    ],
)
def test_broken_documents_say_what_is_wrong(change: dict[str, Any], message: str) -> None:
    document: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "id": ["Region", "ContentsCode", "Tid"],
        "size": [2, 1, 2],
        "dimension": {
            "Region": {"category": {"index": ["3301", "3305"]}},
            "ContentsCode": {"category": {"index": ["Personer"]}},
            "Tid": {"category": {"index": ["2023", "2024"]}},
        },
        "value": [1, 2, 3, 4],
    }
    document.update(change)
    with pytest.raises(ParseError, match=message):
        decode_cells(document, location="ssb.json")


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"version": "2.0",\n "class": "dataset",\n "id": [}', encoding="utf-8")
    with pytest.raises(ParseError, match=r"broken\.json, line 3, column 9: not valid JSON"):
        read_jsonstat(path)
    with pytest.raises(ParseError, match=r"expected JSON-stat version '2\.0', found '1\.0'"):
        from_jsonstat({"version": "1.0"})


def test_restore_table_needs_the_extension() -> None:
    with pytest.raises(ParseError, match=r"no extension\.samhandling\.columns"):
        restore_table(pa.table({"value": [1.0]}), {})


def test_tables_json_stat_cannot_hold(table: StatTable) -> None:
    with pytest.raises(ExportError, match="the table is empty"):
        dumps(table.filter(pa.array([False] * table.num_rows)))
    duplicated = StatTable.concat([table.where(region="3301"), table.where(region="3301")])
    with pytest.raises(ExportError, match=r"rows \d+ and \d+ describe the same cell \(region='3301'"):
        dumps(duplicated)
    infinite = StatTable.from_pydict(
        {
            "region": ["3301"],
            "level": ["municipality"],
            "year": [2024],
            "variable": ["x"],
            "value": [float("inf")],
        }
    )
    with pytest.raises(ExportError, match="row 0 has the value inf, which JSON cannot hold"):
        dumps(infinite)
    with pytest.raises(ExportError, match="value_form must be"):
        dumps(table, value_form="compact")  # type: ignore[arg-type]
