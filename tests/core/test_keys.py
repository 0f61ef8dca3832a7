"""Grouping rows by their key: the same groups as the keys themselves say, in every key space."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from samhandling import keys
from samhandling.keys import find_duplicate_keys, group_rows


def _table(rows: int, seed: int, *, spread: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    region = rng.choice(np.array(["0301", "3301", "4601", None], dtype=object), rows)
    unit = pa.array(rng.choice(["DPS A", "DPS B", "BUP"], rows)).dictionary_encode()
    return pa.table(
        {
            "region": pa.array(region, pa.string()),
            "year": pa.array(rng.integers(2015, 2015 + spread, rows), pa.int16()),
            "month": pa.array(rng.integers(1, 13, rows), pa.int8()),
            "unit": unit,
            "code": pa.array(rng.integers(0, spread * 1000, rows), pa.int64()),
        }
    )


def _assert_groups_are_the_keys(table: pa.Table, names: list[str]) -> None:
    groups = group_rows(table, names)
    rows = list(zip(*(table.column(n).to_pylist() for n in names)))
    number_of: dict[tuple[object, ...], int] = {}
    for row, group in zip(rows, groups.index.tolist()):
        assert number_of.setdefault(row, group) == group  # one key, one group
    assert len(set(number_of.values())) == len(number_of) == groups.count  # one group, one key
    for group, row in enumerate(groups.rows.tolist()):
        assert number_of[rows[row]] == group


@pytest.mark.parametrize("spread", [3, 400])
def test_rows_with_the_same_key_and_only_they_share_a_group(spread: int) -> None:
    table = _table(3000, spread, spread=spread)
    _assert_groups_are_the_keys(table, ["region", "year", "month", "unit"])
    # a wide key space (the integer code spans 400,000 values): numbered by sorting, not addressing
    _assert_groups_are_the_keys(table, ["region", "year", "month", "unit", "code"])


def test_a_key_space_past_any_array_is_renumbered_on_the_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "_DENSE_CELLS", 8)
    table = _table(500, 1, spread=50)
    _assert_groups_are_the_keys(table, ["code", "region", "year", "month", "unit"])


def test_chunked_columns_and_empty_tables() -> None:
    table = _table(200, 2, spread=4)
    chunked = pa.concat_tables([table.slice(0, 70), table.slice(70)])
    _assert_groups_are_the_keys(chunked, ["region", "unit", "month"])
    empty = group_rows(table.slice(0, 0), ["region", "unit"])
    assert empty.count == 0
    assert len(empty.index) == 0


def test_duplicates_found_through_the_grouping() -> None:
    table = pa.table({"region": ["0301", "3301", "0301", None, None], "year": [2024, 2024, 2024, 2024, 2023]})
    found = find_duplicate_keys(table, ["region", "year"])
    assert found is not None
    assert (found.keys, found.rows) == (1, 2)
    assert found.examples[0].rows == (1, 3)
    assert find_duplicate_keys(table.slice(0, 2), ["region", "year"]) is None


def _assert_codes_are_the_keys(table: pa.Table, names: list[str]) -> None:
    codes = keys.number_keys(table, names)
    assert len(codes.index) == table.num_rows
    rows = list(zip(*(table.column(n).to_pylist() for n in names)))
    values = list(zip(*(codes.values.column(n).to_pylist() for n in names)))
    assert codes.values.num_rows == codes.count
    code_of: dict[tuple[object, ...], int] = {}
    for row, code in zip(rows, codes.index.tolist()):
        assert 0 <= code < codes.count
        assert code_of.setdefault(row, code) == code  # one key, one code
        assert values[code] == row  # the values of a code are its rows' values
    assert len(set(code_of.values())) == len(code_of)  # one code, one key
    # codes follow the order group_rows gives the keys
    groups = group_rows(table, names)
    assert sorted(code_of.values()) == [code_of[rows[r]] for r in groups.rows.tolist()]


@pytest.mark.parametrize("spread", [1, 3, 400])
def test_numbered_keys_dense_sparse_and_constant(spread: int) -> None:
    table = _table(3000, spread, spread=spread)
    _assert_codes_are_the_keys(table, ["year", "month", "unit"])  # most codes in use: the key itself
    _assert_codes_are_the_keys(table, ["region", "year", "code"])  # few in use: renumbered
    _assert_codes_are_the_keys(table, ["unit"])
    constant = keys.number_keys(table.slice(0, 5), ["year"]) if spread == 1 else None
    if constant is not None:
        assert constant.count == 1
        assert constant.index.tolist() == [0] * 5
    _assert_codes_are_the_keys(pa.concat_tables([table.slice(0, 70), table.slice(70)]), ["unit", "month"])
