"""JSON-stat 2.0 datasets and collections, as PxWebApi v2 returns them, and samhandling's own files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from samhandling_kostra import read_jsonstat
from samhandling_kostra.jsonstat import parse_document

from samhandling.errors import ParseError
from samhandling.exporters.jsonstat import dumps
from samhandling.tables import StatTable
from samhandling.testing import example_table


def test_dense_dataset_with_status_object_and_roles(data_dir: Path) -> None:
    table = read_jsonstat(data_dir / "07459_dataset.json")
    StatTable.from_arrow(table.arrow)
    assert table.variable_ids() == ["population"]
    assert table.variable("population").unit == "person"
    rows = {(r["region"], r["age"], r["year"]): r for r in table.to_pylist()}
    assert rows[("3301", "0", 2024)]["value"] == 1107.0
    assert rows[("3303", "105+", 2023)]["status"] == ":"
    assert rows[("3303", "105+", 2023)]["value"] is None
    assert rows[("3301", "105+", 2023)]["status"] == "-"
    assert rows[("3301", "105+", 2023)]["value"] == 0.0
    assert rows[("0", "105+", 2024)]["status"] == ".."
    # KOSTRA groups are kept as rows of their own level (groups="drop" leaves them out)
    assert {r["level"] for r in table.to_pylist() if r["region"] == "EKG13"} == {"kostra_group"}
    assert table.meta.extra["region_names"] == {"EKG13": "KOSTRA-gruppe 13"}
    assert table.num_rows == 24
    dropped = read_jsonstat(data_dir / "07459_dataset.json", groups="drop")
    assert dropped.meta.extra["dropped_regions"] == {"EKG13": "KOSTRA-gruppe 13"}
    assert dropped.num_rows == 18
    assert (table.provenance[-1].checksum or "").startswith("sha256:")


def test_sparse_values_status_array_and_no_geo_role(data_dir: Path) -> None:
    table = read_jsonstat(data_dir / "12228_sparse.json")
    rows = {(r["region"], r["variable"], r["year"]): r for r in table.to_pylist()}
    assert rows[("0", "psychiatric_nurse_fte", 2019)]["value"] == 5101.9  # EAK = the country
    assert rows[("3301", "psychiatric_nurse_fte", 2019)] == {
        "region": "3301",
        "level": "municipality",
        "year": 2019,
        "variable": "psychiatric_nurse_fte",
        "value": 0.0,
        "status": "-",
    }
    assert rows[("3301", "kosvedtakrus0000", 2018)]["status"] == ":"
    rate = table.variable("kosvedtakrus0000")  # "Antall vedtak … per 10 000 innbyggere", unit "antall"
    assert rate.additive is False
    assert rate.unit == "count / ten_thousand_inhabitants"
    assert table.num_rows == 8


def test_collection_of_datasets(data_dir: Path) -> None:
    table = read_jsonstat(data_dir / "collection.json")
    assert set(table.variable_ids()) == {"population", "kosvedtakrus0000", "psychiatric_nurse_fte"}
    assert table.geography_year == 2024
    assert table.status_counts()[".."] == 2


def test_reads_back_what_the_core_exporter_wrote(tmp_path: Path) -> None:
    original = example_table()
    path = tmp_path / "example.json"
    path.write_text(dumps(original, value_form="sparse"), encoding="utf-8")
    back = read_jsonstat(path)
    assert back.equals(original)


def test_index_as_array_string_status_and_no_metric(tmp_path: Path) -> None:
    document = {
        "version": "2.0",
        "class": "dataset",
        "label": "05810: Befolkning, etter kjønn og år",
        "id": ["Kjonn", "Tid"],
        "size": [2, 2],
        "role": {"time": ["Tid"]},
        "dimension": {
            "Kjonn": {
                "label": "kjønn",
                "category": {"index": ["1", "2"], "label": {"1": "Menn", "2": "Kvinner"}},
            },
            "Tid": {"label": "år", "category": {"index": ["2023", "2024"]}},
        },
        "value": [None, None, None, None],
        "status": "..",
    }
    table = read_jsonstat(json.dumps(document).encode())
    assert {r["sex"] for r in table.to_pylist()} == {"male", "female"}
    assert {r["region"] for r in table.to_pylist()} == {"0"}
    assert table.variable_ids() == ["population"]  # "Befolkning" from the title
    assert table.status_counts() == {"..": 4}


def _tiny(**changes: object) -> dict[str, object]:
    document: dict[str, object] = {
        "version": "2.0",
        "class": "dataset",
        "id": ["Region", "Tid"],
        "size": [2, 1],
        "role": {"geo": ["Region"], "time": ["Tid"]},
        "dimension": {
            "Region": {"category": {"index": {"3301": 0, "3303": 1}}},
            "Tid": {"category": {"index": {"2024": 0}}},
        },
        "label": "Personer",
        "value": [1, 2],
    }
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": [1]}, r"'value' has 1 entries, but the sizes give a cube of 2 cells \(\[2, 1\]\)"),
        ({"value": [1, None]}, r"cell 1 \(Region='3303', Tid='2024'\) has no value and no status"),
        (
            {"status": {"1": "x"}},
            r"'status' of cell 1 \(Region='3303', Tid='2024'\) is 'x', not one of SSB's",
        ),
        ({"size": [3, 1]}, "dimension 'Region' has 2 categories but 'size' gives 3"),
        ({"id": ["Region"]}, "'id' names 1 dimensions but 'size' gives 2"),
        ({"class": "bundle"}, "the JSON-stat bundle holds no datasets"),
        ({"class": "cube"}, "JSON-stat class 'cube' is not read"),
    ],
)
def test_malformed_datasets_are_reported(tmp_path: Path, changes: dict[str, object], message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_tiny(**changes)), encoding="utf-8")
    with pytest.raises(ParseError, match=message) as caught:
        read_jsonstat(path)
    assert caught.value.path == str(path)


def test_missing_cells_can_be_dropped() -> None:
    table = read_jsonstat(_tiny(value=[1, None]), missing="drop")
    assert [r["region"] for r in table.to_pylist()] == ["3301"]


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"version": "2.0",\n "id": [', encoding="utf-8")
    with pytest.raises(ParseError, match="not valid JSON") as caught:
        read_jsonstat(path)
    assert caught.value.line == 2


def test_large_value_arrays_are_cut_out_of_the_text() -> None:
    values = [float(i) if i % 7 else None for i in range(5000)]
    status = {str(i): ":" for i in range(0, 5000, 7)}
    document = _tiny(size=[5000, 1], value=values, status=status)
    document["dimension"] = {
        "Region": {
            "category": {"index": [f"{3000 + i:04d}" if i < 1000 else f"{i:06d}" for i in range(5000)]}
        },
        "Tid": {"category": {"index": ["2024"]}},
    }
    raw = json.dumps(document).encode()
    parsed, fast = parse_document(raw)
    assert fast is not None
    assert parsed["value"] != values
    assert fast.to_pylist() == values
    table = read_jsonstat(raw)
    assert table.num_rows == 5000
    assert table.status_counts()[":"] == len(status)
