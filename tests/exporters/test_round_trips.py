"""Property tests: StatTable → Parquet / JSON-stat / CSV → StatTable gives the same table.

"The same" is :meth:`StatTable.equals` (rows in any order, values, statuses, units, additivity and the
parts of rates) plus identical metadata, provenance included, and identical column types.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samhandling as sh
from samhandling import Provenance, StatTable, Variable
from samhandling.exporters import export
from samhandling.exporters.parquet import write_dataset

REGIONS = {
    "0": "national",
    "03": "county",
    "33": "county",
    "0301": "municipality",
    "3301": "municipality",
    "3305": "municipality",
    "030101": "district",
    "HF-VV": "health_trust",
    "DPS-DR": "dps",
}
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(',;"\n\r\t_'),
    max_size=8,
)
VARIABLES = [
    Variable(id="fte", unit="årsverk", label="Årsverk"),
    Variable(id="users", unit="bruker", label="Brukere", description="Brukere med vedtak"),
    Variable(id="bed_days", unit="liggedøgn"),
    Variable(
        id="users_per_10000",
        unit="bruker / ten_thousand_inhabitants",
        additive=False,
        numerator="users",
        denominator="population",
        scale=10000.0,
    ),
]
VALUES = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def stat_tables(draw: st.DrawFn) -> StatTable:
    """Tables with unique cells, statuses, optional month, string and integer dimensions, odd texts."""
    monthly = draw(st.booleans())
    dimensions = draw(
        st.lists(st.sampled_from(["profession", "age", "target_group"]), unique=True, max_size=2)
    )
    key = st.fixed_dictionaries(
        {
            "region": st.sampled_from(sorted(REGIONS)),
            "year": st.integers(2017, 2025),
            "variable": st.sampled_from([v.id for v in VARIABLES]),
            **({"month": st.integers(1, 12)} if monthly else {}),
            **{
                name: (st.none() | st.integers(0, 105)) if name == "age" else (st.none() | TEXT)
                for name in dimensions
            },
        }
    )
    keys = draw(
        st.lists(
            key, min_size=1, max_size=25, unique_by=lambda k: tuple(sorted((n, str(v)) for n, v in k.items()))
        )
    )
    rows: dict[str, list[Any]] = {name: [] for name in ["region", "level", *keys[0], "value", "status"]}
    for cell in keys:
        status = draw(st.sampled_from([None, None, None, "..", ":", "-", "...", "."]))
        value = None if status not in (None, "-") else (0.0 if status == "-" else draw(VALUES))
        for name, item in cell.items():
            rows[name].append(item)
        rows["level"].append(REGIONS[str(cell["region"])])
        rows["value"].append(value)
        rows["status"].append(status)
    arrays = {name: pa.array(column, pa.int16() if name == "age" else None) for name, column in rows.items()}
    if all(v is None for v in rows["value"]):
        arrays["value"] = pa.array(rows["value"], pa.float64())
    if all(s is None for s in rows["status"]):
        arrays["status"] = pa.array(rows["status"], pa.string())
    for name in dimensions:
        if all(v is None for v in rows[name]):
            arrays[name] = pa.array(rows[name], pa.int16() if name == "age" else pa.string())
    provenance = draw(
        st.lists(
            st.builds(
                Provenance,
                source=st.sampled_from(["kostra", "survey"]),
                # a location is always a file or URL (an empty one does not survive TableMeta.to_json)
                location=TEXT.filter(bool),
                checksum=st.none() | st.just("sha256:" + "0" * 64),
                retrieved=st.just("2025-01-31T12:00:00+00:00"),
                note=TEXT,
            ),
            max_size=2,
        )
    )
    return StatTable.from_arrow(
        pa.table(arrays),
        source=draw(st.sampled_from(["", "kostra", "survey+nimes"])),
        geography_year=draw(st.none() | st.integers(2017, 2025)),
        variables=VARIABLES,
        provenance=provenance,
        title=draw(TEXT),
    )


def _assert_same(back: StatTable, table: StatTable) -> None:
    assert back.equals(table), (back.to_pylist(), table.to_pylist())
    assert back.meta == table.meta
    assert back.arrow.schema.remove_metadata() == table.arrow.schema.remove_metadata()


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(stat_tables())
def test_parquet_file(table: StatTable) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _assert_same(sh.read(export(table, Path(folder) / "t.parquet")), table)


@SETTINGS
@given(stat_tables())
def test_parquet_dataset(table: StatTable) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _assert_same(
            sh.read(write_dataset(table, Path(folder) / "ds", partition_by=("year", "level"))), table
        )


@SETTINGS
@given(stat_tables(), st.sampled_from(["auto", "dense", "sparse"]))
def test_jsonstat(table: StatTable, value_form: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _assert_same(sh.read(export(table, Path(folder) / "t.json", value_form=value_form)), table)


@SETTINGS
@given(stat_tables(), st.booleans())
def test_csv(table: StatTable, norwegian: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _assert_same(sh.read(export(table, Path(folder) / "t.csv", norwegian=norwegian)), table)
