"""The one JSON-stat decoder: 2.0 datasets and collections, 1.x bundles and datasets, keys in any order, and
documents that lie about their size, hold booleans or nest too deeply get the library's own error."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np
import pytest

from samhandling.errors import ParseError
from samhandling.jsonstat import MIN_CELL_LIMIT, Dataset, datasets, parse


def _dataset(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "label": "Personer",
        "id": ["Region", "Tid"],
        "size": [2, 3],
        "role": {"geo": ["Region"], "time": ["Tid"]},
        "dimension": {
            "Region": {"label": "region", "category": {"index": {"3301": 0, "3303": 1}}},
            "Tid": {"label": "år", "category": {"index": ["2022", "2023", "2024"]}},
        },
        "value": [1, 2, 3, 4, None, 6],
        "status": {"4": ":"},
    }
    document.update(changes)
    return document


def _one(document: Any, **options: Any) -> Dataset:
    (found,) = datasets(document, **options)
    return found


def test_a_dense_dataset_its_cells_and_roles() -> None:
    dataset = _one(_dataset())
    assert dataset.version == "2.0"
    assert dataset.size == (2, 3)
    assert [d.role for d in dataset.dimensions] == ["geo", "time"]
    assert dataset.positions is None
    assert dataset.values.to_pylist() == [1, 2, 3, 4, None, 6]
    assert dataset.status is not None
    assert dataset.status.to_pylist() == [None, None, None, None, ":", None]
    assert dataset.category_index(0).tolist() == [0, 0, 0, 1, 1, 1]
    assert dataset.category_index(1).tolist() == [0, 1, 2, 0, 1, 2]
    assert dataset.describe_cell(4) == "Region='3303', Tid='2023'"


def test_sparse_values_with_status_only_cells() -> None:
    dataset = _one(_dataset(value={"5": 6, "0": 1}, status={"2": ".."}))
    assert dataset.positions is not None
    assert dataset.positions.tolist() == [0, 2, 5]
    assert dataset.values.to_pylist() == [1, None, 6]
    assert dataset.status is not None
    assert dataset.status.to_pylist() == [None, "..", None]


def test_jsonstat_1_bundles_and_datasets_and_keys_in_any_order() -> None:
    one = _dataset()
    legacy = {
        "label": one["label"],
        "value": one["value"],
        "dimension": {**one["dimension"], "id": one["id"], "size": one["size"], "role": one["role"]},
    }
    for document in ({"first": legacy, "second": legacy}, {"class": "bundle", "ds": legacy}, legacy):
        found = datasets(document)
        assert all(d.version == "1.x" and d.size == (2, 3) for d in found)
    assert len(datasets({"first": legacy, "second": legacy})) == 2
    late = json.dumps({"value": one["value"], **{k: v for k, v in one.items() if k != "value"}})
    parsed, fast = parse(late)
    assert _one(parsed, values=fast).values.to_pylist() == [1, 2, 3, 4, None, 6]


def test_a_collection_with_embedded_datasets() -> None:
    collection = {
        "version": "2.0",
        "class": "collection",
        "link": {"item": [_dataset(), _dataset(label="B")]},
    }
    assert [d.label for d in datasets(collection)] == ["Personer", "B"]
    with pytest.raises(ParseError, match="embeds no datasets"):
        datasets({"class": "collection", "link": {"item": [{"href": "https://example.org/a"}]}})


def test_a_large_dense_value_array_is_read_by_pyarrow_wherever_it_is() -> None:
    values = [float(i) if i % 7 else None for i in range(30_000)]
    document = _dataset(size=[10_000, 3], value=values, status={})
    document["dimension"]["Region"]["category"]["index"] = [f"{i:06d}" for i in range(10_000)]
    for raw in (
        json.dumps(document),
        json.dumps({"dataset": document}),
        json.dumps({"value": values, **document}),
    ):
        parsed, fast = parse(raw, location="big.json")
        assert fast is not None
        assert _one(parsed, values=fast).values.to_pylist() == values


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": [1, True, 3, 4, 5, 6]}, r"'value' of cell 1 \(Region='3301', Tid='2023'\) is a boolean"),
        ({"value": [1, "2", 3, 4, 5, 6]}, r"'value' of cell 1 .* is str '2', not a number or null"),
        ({"value": [1, 1e400, 3, 4, 5, 6]}, r"'value' of cell 1 .* is inf: a number too large for a float64"),
        ({"value": {"0": False}}, "is a boolean"),
        ({"size": [2, True]}, "'size' must hold non-negative whole numbers"),
        ({"size": [2, "3"]}, "'size' must hold non-negative whole numbers"),
        ({"id": "Region"}, "needs 'id' and 'size' lists"),
        ({"id": ["Region", "Region"]}, "must name each dimension once"),
        ({"dimension": {"Region": [], "Tid": {}}}, r"'id' lists dimension\(s\) \['Region'\]"),
        (
            {"dimension": {"Region": {"category": "3301"}, "Tid": {"category": {}}}},
            "has no 'category' object",
        ),
        (
            {"dimension": {"Region": {"category": {"index": "3301"}}, "Tid": {"category": {"index": ["1"]}}}},
            "category.index must be an array or an object",
        ),
        ({"status": 7}, "'status' must be a string, an array or an object"),
        ({"status": [1, 2, 3, 4, 5, 6]}, "'status' holds int 1; a status is a text"),
        ({"value": {"x": 1}}, "has a key that is not a cell number: 'x'"),
        ({"value": {"9": 1}}, "names cell 9, outside the cube of 6 cells"),
        ({"role": ["geo"]}, "'role' must be an object"),
        ({"version": "3.0"}, "JSON-stat version '3.0' is not read"),
    ],
)
def test_malformed_documents_get_our_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message) as error:
        datasets(_dataset(**changes), location="https://data.ssb.no/x")
    assert error.value.path == "https://data.ssb.no/x"


def test_a_huge_declared_cube_with_one_status_string_is_refused_before_anything_is_allocated() -> None:
    sizes = [1000, 1000, 1000]
    document = _dataset(id=["A", "B", "C"], size=sizes, value={"0": 1}, status="..")
    document["dimension"] = {
        name: {"category": {"index": [str(i) for i in range(n)]}}
        for name, n in zip("ABC", sizes, strict=True)
    }
    started = time.perf_counter()
    with pytest.raises(
        ParseError, match=r"declares 1000000000 cells .* holds only 1 values; refusing to expand"
    ):
        datasets(document, location="bomb.json")
    assert time.perf_counter() - started < 5  # refused, not allocated: generous bound for a shared machine
    small = _dataset(value={"0": 1}, status="..")
    assert _one(small).positions is not None
    assert math.prod(sizes) > MIN_CELL_LIMIT


def test_json_errors_name_the_file_and_deep_nesting_is_our_error() -> None:
    with pytest.raises(ParseError, match=r"f\.json, line 2, column 1: not valid JSON") as error:
        parse('{"a":\n}', location="f.json")
    assert error.value.path == "f.json"
    with pytest.raises(ParseError, match="nested too deeply") as error:
        parse("[" * 200_000 + "]" * 200_000, location="deep.json")
    assert error.value.path == "deep.json"
    with pytest.raises(ParseError, match="a JSON-stat document is a JSON object; found a JSON list"):
        parse("[1, 2]")
    with pytest.raises(ParseError, match=r"JSON must be UTF-8, but byte 0xf8 at offset 8"):
        parse(b'{"a": "B\xf8"}', location="latin1.json")
    with pytest.raises(ParseError, match=r"table metadata .* not data"):
        datasets({"title": "13861: Lønn", "variables": []}, location="meta.json")


def test_category_positions_are_computed_not_looped() -> None:
    dataset = _one(_dataset(size=[2, 3], value={"1": 1, "4": 2}))
    assert dataset.positions is not None
    assert np.array_equal(dataset.category_index(0), [0, 1])
    assert np.array_equal(dataset.category_index(1), [1, 1])
