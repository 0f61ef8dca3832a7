"""The sums behind harmonise and roll_up on tables of additive variables.

The engine numbers the key columns other than region once and sums per (target, number); a table it
builds remembers that numbering for the next step.  Checked here: the sums equal a plain pyarrow
``group_by`` of the rows spread over their targets, and the general path, for random tables with
dictionary and plain columns, empty units, statuses and several years; and a remembered numbering is
used only for the very table it was made from, so a changed table is never summed with a stale one.
"""

from __future__ import annotations

import gc
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samhandling import keys
from samhandling.aggregate import roll_up
from samhandling.geography import Geography, _engine, _harmonise, harmonise
from samhandling.tables import StatTable, Variable

VARIABLES = {v: Variable(id=v, unit="opphold") for v in ("admissions", "bed_days", "acute")}
#: the priority a status gives a sum (the strongest part wins), written out here independently
PRIORITY = {"-": 0, None: 1, ".": 2, "...": 3, "..": 4, ":": 5}
SYMBOL = {p: s for s, p in PRIORITY.items()}


def _random_table(seed: int, rows: int, *, dictionary: bool, statuses: bool) -> tuple[pa.Table, np.ndarray]:
    """A canonical long table of ``rows`` rows with distinct keys, and a source key (0–8) per row."""
    rng = np.random.default_rng(seed)
    combos = [
        (key, year, month, unit, variable)
        for key in range(9)
        for year in (2019, 2020, 2023)
        for month in range(1, 5)
        for unit in ("DPS A", "BUP", None)
        for variable in VARIABLES
    ]
    chosen = [combos[i] for i in rng.choice(len(combos), size=min(rows, len(combos)), replace=False)]
    row_key = np.array([c[0] for c in chosen], np.int64)
    status: list[str | None] = [None] * len(chosen)
    value: list[float | None] = [float(v) for v in rng.integers(0, 50, len(chosen))]
    if statuses:
        for i in np.flatnonzero(rng.random(len(chosen)) < 0.3).tolist():
            status[i] = str(rng.choice(["-", ".", "...", "..", ":"]))
            value[i] = 0.0 if status[i] == "-" else None
    else:
        value = [v + float(rng.random()) if v is not None else v for v in value]

    def text(values: list[Any]) -> pa.Array:
        array = pa.array(values, pa.string())
        return array.dictionary_encode() if dictionary else array

    table = pa.table(
        {
            "region": text([f"k{c[0]}" for c in chosen]),
            "level": pa.array(["municipality"] * len(chosen))
            .dictionary_encode()
            .cast(pa.dictionary(pa.int8(), pa.string())),
            "year": pa.array([c[1] for c in chosen], pa.int16()),
            "month": pa.array([c[2] for c in chosen], pa.int8()),
            "unit": text([c[3] for c in chosen]),
            "variable": pa.array([c[4] for c in chosen]).dictionary_encode(),
            "value": pa.array(value, pa.float64()),
            "status": pa.array(status, pa.string())
            .dictionary_encode()
            .cast(pa.dictionary(pa.int8(), pa.string())),
        }
    )
    return table, row_key


#: per source key 0–8: relabelled (k0, k1), merged (k2+k3 → m), weighted and shared (k4, k5), summed
#: with a relabelled one's target (k6 → t1 only with k1, not simple), alone but weighted (k7), and
#: left out (k8, no target: roll_up's unassigned="exclude")
TARGETS = [
    [("t0", 1.0)],
    [("t1", 1.0)],
    [("m", 1.0)],
    [("m", 1.0)],
    [("s1", 0.25), ("s2", 0.75)],
    [("s2", 0.5), ("m", 0.5)],
    [("t1", 1.0)],
    [("w", 0.125)],
    [],
]


def _remap(
    table: pa.Table, row_key: np.ndarray, targets: list[list[tuple[str, float]]], **kw: Any
) -> pa.Table:
    return _engine.remap(
        table,
        row_key=row_key,
        targets=targets,
        domain=np.zeros(len(targets), np.int64),
        variables=VARIABLES,
        level="county",
        describe_key=[f"k{i}" for i in range(len(targets))],
        operation="roll_up",
        **kw,
    )


def _by_group_by(
    table: pa.Table, row_key: np.ndarray, targets: list[list[tuple[str, float]]]
) -> dict[Any, Any]:
    """The reference: every row repeated once per target, weighted, then pyarrow's group_by."""
    positions, target, weight = [], [], []
    for row, key in enumerate(row_key.tolist()):
        for code, share in targets[key]:
            positions.append(row)
            target.append(code)
            weight.append(share)
    spread = table.take(pa.array(positions, pa.int64()))
    plain = {name: spread.column(name).cast(pa.string()) for name in ("unit", "variable", "status")}
    status = plain["status"].to_pylist()
    frame = pa.table(
        {
            "region": pa.array(target, pa.string()),
            "year": spread.column("year"),
            "month": spread.column("month"),
            "unit": plain["unit"],
            "variable": plain["variable"],
            "part": pc.multiply(pc.fill_null(spread.column("value"), 0.0), pa.array(weight, pa.float64())),
            "priority": pa.array([PRIORITY[s] for s in status], pa.int8()),
        }
    )
    names = ["region", "year", "month", "unit", "variable"]
    grouped = frame.group_by(names, use_threads=False).aggregate([("part", "sum"), ("priority", "max")])
    out = {}
    for row in grouped.to_pylist():
        priority = row["priority_max"]
        value = 0.0 if priority == 0 else row["part_sum"] if priority == 1 else None
        out[tuple(row[n] for n in names)] = (value, SYMBOL[priority])
    return out


def _as_dict(result: pa.Table) -> dict[Any, Any]:
    names = ["region", "year", "month", "unit", "variable"]
    out = {}
    for row in result.to_pylist():
        key = tuple(row[n] for n in names)
        assert key not in out, f"{key} twice"
        out[key] = (row["value"], row["status"])
    return out


def _assert_same(found: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert found.keys() == expected.keys()
    for key, (value, status) in expected.items():
        assert found[key][1] == status, key
        if value is None:
            assert found[key][0] is None, key
        else:
            assert math.isclose(found[key][0], value, rel_tol=1e-12, abs_tol=1e-12), key


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 400),
    dictionary=st.booleans(),
    statuses=st.booleans(),
    keys_used=st.sets(st.integers(0, 8), min_size=1),
)
def test_sums_equal_a_pyarrow_group_by_and_the_general_path(
    seed: int, rows: int, dictionary: bool, statuses: bool, keys_used: set[int]
) -> None:
    table, row_key = _random_table(seed, rows, dictionary=dictionary, statuses=statuses)
    keep = np.isin(row_key, sorted(keys_used))
    if not keep.any():
        return
    table, row_key = table.filter(pa.array(keep)), row_key[keep]
    fast = _remap(table, row_key, TARGETS)
    _assert_same(_as_dict(fast), _by_group_by(table, row_key, TARGETS))
    with pytest.MonkeyPatch.context() as patch:  # the general path: the same rows
        patch.setattr(_engine, "_sums_only", lambda *_args: False)
        general = _remap(table, row_key, TARGETS)
    if not general.num_rows:  # every row left out (the general path types an empty region as text)
        assert not fast.num_rows
        return
    assert fast.schema == general.schema
    rows_fast, rows_general = fast.to_pylist(), general.to_pylist()
    if not dictionary:  # plain text is numbered in the order met, which differs between the two

        def order(row: dict[str, Any]) -> tuple[Any, ...]:
            return tuple(
                (row[n] is None, row[n] or 0) for n in ("region", "year", "month", "unit", "variable")
            )

        rows_fast.sort(key=order)
        rows_general.sort(key=order)
    for one, other in zip(rows_fast, rows_general, strict=True):
        assert {k: v for k, v in one.items() if k != "value"} == {
            k: v for k, v in other.items() if k != "value"
        }
        assert (one["value"] is None) == (other["value"] is None)
        if one["value"] is not None:
            assert math.isclose(one["value"], other["value"], rel_tol=1e-12, abs_tol=1e-12)


def test_sums_with_a_numbering_given_and_one_remembered() -> None:
    table, row_key = _random_table(5, 300, dictionary=True, statuses=True)
    expected = _by_group_by(table, row_key, TARGETS)
    columns = _engine.rest_columns(table)
    codes = keys.number_keys(table, columns)
    result = _remap(table, row_key, TARGETS, codes=codes)
    _assert_same(_as_dict(result), expected)
    remembered = keys.remembered_codes(result, columns)
    assert remembered is not None  # the result carries the numbering of its own rows
    again = keys.number_keys(result, columns)
    # the same key values share a number, and different ones do not
    pairs = set(zip(remembered.index.tolist(), again.index.tolist()))
    assert len({a for a, _ in pairs}) == len(pairs) == len({b for _, b in pairs})
    assert keys.remembered_codes(result, [*columns, "region"]) is None  # other columns: not this one


def test_a_numbering_is_tied_to_the_very_table() -> None:
    table, _row_key = _random_table(9, 100, dictionary=False, statuses=False)
    columns = ["year", "month", "unit", "variable"]
    codes = keys.number_keys(table, columns)
    keys.remember_codes(table, codes)
    assert keys.remembered_codes(table, columns) is codes
    assert keys.remembered_codes(table.select(table.column_names), columns) is None  # equal, not the same
    changed = table.set_column(table.column_names.index("month"), "month", pa.array([1] * 100, pa.int8()))
    assert keys.remembered_codes(changed, columns) is None
    with pytest.raises(ValueError, match="codes for a table of"):
        keys.remember_codes(table.slice(0, 10), codes)
    count = len(keys._REMEMBERED)
    del table, changed
    gc.collect()
    assert len(keys._REMEMBERED) == count - 1  # forgotten with the table


def _long_table() -> StatTable:
    """Municipality rows of 2019 (merged and divided by 2024) with months, units and two variables."""
    codes = sorted(c for c in Geography.for_year(2019).codes("municipality") if c[:2] in ("03", "15", "18"))
    rows: dict[str, list[Any]] = {k: [] for k in ("region", "year", "month", "unit", "variable", "value")}
    rng = np.random.default_rng(3)
    for code in codes:
        for month in (1, 2, 3):
            for unit in ("DPS A", "BUP", None):
                for variable in ("admissions", "bed_days"):
                    rows["region"].append(code)
                    rows["year"].append(2019)
                    rows["month"].append(month)
                    rows["unit"].append(unit)
                    rows["variable"].append(variable)
                    rows["value"].append(float(rng.integers(0, 40)))
    arrow = pa.table(
        {
            "region": pa.array(rows["region"]).dictionary_encode(),
            "level": pa.array(["municipality"] * len(rows["region"])),
            "year": pa.array(rows["year"], pa.int16()),
            "month": pa.array(rows["month"], pa.int8()),
            "unit": pa.array(rows["unit"], pa.string()).dictionary_encode(),
            "variable": pa.array(rows["variable"]),
            "value": pa.array(rows["value"], pa.float64()),
        }
    )
    return StatTable.from_arrow(
        arrow,
        geography_year=2019,
        variables=[Variable(id="admissions", unit="opphold"), Variable(id="bed_days", unit="døgn")],
    )


def _uncached(step: Any, table: StatTable, *args: Any, **kw: Any) -> StatTable:
    """``step`` on the same rows rebuilt from Python values, with no numbering remembered anywhere."""
    fresh = StatTable.from_arrow(pa.Table.from_pylist(table.arrow.to_pylist(), schema=table.arrow.schema))
    with pytest.MonkeyPatch.context() as patch:
        for module in (keys, _harmonise):
            patch.setattr(module, "remembered_codes", lambda *_args: None)
        result: StatTable = step(fresh, *args, **kw)
    return result


def test_harmonise_then_roll_up_reads_the_numbering_once(
    monkeypatch: Any, split_weights_table: pa.Table
) -> None:
    table = _long_table()
    calls: list[tuple[str, ...]] = []
    number = keys.number_keys

    def counted(arrow: pa.Table, columns: Any) -> keys.KeyCodes:
        calls.append(tuple(columns))
        return number(arrow, columns)

    monkeypatch.setattr(keys, "number_keys", counted)
    monkeypatch.setattr(_engine, "number_keys", counted)
    harmonised = harmonise(table, 2024, weights=split_weights_table, partial="keep")
    county = roll_up(harmonised, "county", partial="keep")
    trust = roll_up(harmonised, "health_trust", partial="keep", unassigned="exclude")
    assert calls == [("year", "month", "unit", "variable")]  # numbered in harmonise only
    monkeypatch.undo()
    assert county.equals(_uncached(roll_up, harmonised, "county", partial="keep"))
    assert trust.equals(_uncached(roll_up, harmonised, "health_trust", partial="keep", unassigned="exclude"))
    assert harmonised.equals(_uncached(harmonise, table, 2024, weights=split_weights_table, partial="keep"))


def test_a_changed_table_is_summed_from_its_own_rows(split_weights_table: pa.Table) -> None:
    harmonised = harmonise(_long_table(), 2024, weights=split_weights_table, partial="keep")
    roll_up(harmonised, "county", partial="keep")  # numbering remembered for harmonised.arrow
    arrow = harmonised.arrow
    # the same number of rows, other months: a numbering of the old rows would put them together wrongly
    months = pa.array(np.where(np.arange(arrow.num_rows) % 2 == 0, 1, 2).astype(np.int8))
    for changed in (
        arrow.set_column(arrow.column_names.index("month"), "month", months),
        arrow.set_column(arrow.column_names.index("value"), "value", pc.multiply(arrow.column("value"), 2.0)),
        arrow.filter(pc.not_equal(arrow.column("unit"), "BUP")),
        pa.concat_tables([arrow.slice(0, 10), arrow.slice(10)]),
    ):
        table = StatTable(changed, harmonised.meta)
        for result in (roll_up(table, "county", partial="keep"), roll_up(table, "county", partial="keep")):
            assert result.equals(_uncached(roll_up, table, "county", partial="keep"))
