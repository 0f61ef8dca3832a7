"""aggregate_stays_to: the same tables as aggregate → harmonise → roll_up on the long table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import samhandling_nimes as nimes

import samhandling as sh
from samhandling.errors import SamhandlingError, SchemaError
from samhandling.tables import TableMeta

MakeStays = Callable[..., pa.Table]
ADDITIVE = ["admissions", "bed_days", "acute_admissions", "involuntary_stays", "readmissions_30d"]
# Ålesund (1507 from 2020) was divided in 2024 into Ålesund 1508 and Haram 1580
WEIGHTS = pa.table({"old": ["1507", "1507"], "new": ["1508", "1580"], "weight": [0.7, 0.3]})


def _on_2019_map(stays: pa.Table) -> pa.Table:
    """The fixture's areas as codes of 2019: Ålesund 1504 and Haram 1534 instead of 3305 and 1103."""
    codes = stays.column("bostedskommune").to_pylist()
    renamed = {"3305": "1504", "1103": "1534"}
    return stays.set_column(
        stays.column_names.index("bostedskommune"),
        "bostedskommune",
        pa.array([renamed.get(c, c) for c in codes]),
    )


def _rows(table: sh.StatTable) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    key = ("region", "level", "year", "month", "unit", "unit_type", "variable")
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in key))


def _timeless(meta: TableMeta) -> TableMeta:
    return attrs.evolve(meta, provenance=[attrs.evolve(p, retrieved="") for p in meta.provenance])


def _assert_same(fast: sh.StatTable, generic: sh.StatTable) -> None:
    assert _timeless(fast.meta) == _timeless(generic.meta)  # the same but for when the file was read
    assert fast.arrow.schema == generic.arrow.schema
    left, right = _rows(fast), _rows(generic)
    assert len(left) == len(right)
    for a, b in zip(left, right):
        # the same rows and statuses; values up to the order of floating-point additions
        assert {k: v for k, v in a.items() if k != "value"} == {k: v for k, v in b.items() if k != "value"}
        assert a["value"] == pytest.approx(b["value"], rel=1e-12)


def _error_of(call: Callable[[], object]) -> SamhandlingError:
    with pytest.raises(SamhandlingError) as caught:
        call()
    return caught.value


@pytest.fixture
def extract(tmp_path: Path, make_stays: MakeStays) -> Path:
    path = tmp_path / "stays.parquet"
    pq.write_table(_on_2019_map(make_stays(700, seed=21)), path, row_group_size=400)
    return path


def test_same_tables_as_the_generic_path(extract: Path) -> None:
    levels = ["municipality", "county", "health_trust", "national"]
    fast = nimes.aggregate_stays_to(
        extract,
        levels,
        harmonise_to=2024,
        weights=WEIGHTS,
        unassigned="exclude",
        variables=ADDITIVE,
        geography_year=2019,
        batch_size=150,
    )
    assert list(fast) == levels
    table = nimes.aggregate_stays(extract, variables=ADDITIVE, geography_year=2019, batch_size=150)
    harmonised = sh.harmonise(table, 2024, weights=WEIGHTS)
    _assert_same(fast["municipality"], harmonised)
    for level in levels[1:]:
        _assert_same(fast[level], sh.roll_up(harmonised, level, unassigned="exclude"))
    # the divided area is shared out, Ringerike carried to its 2024 code, nothing lost
    regions = set(fast["municipality"].arrow.column("region").to_pylist())
    assert {"1508", "1580", "3305"} <= regions
    assert not regions & {"1504", "1534", "0605"}
    # (the district rows of Oslo are parts of its municipality row, not counted again)
    total = pc.sum(table.where(variable="bed_days", level="municipality").arrow.column("value")).as_py()
    national = pc.sum(fast["national"].where(variable="bed_days").arrow.column("value")).as_py()
    assert national == pytest.approx(total)


def test_without_harmonising_the_municipality_table_is_aggregate_stays(extract: Path) -> None:
    fast = nimes.aggregate_stays_to(extract, "municipality", variables=ADDITIVE, geography_year=2019)
    table = nimes.aggregate_stays(extract, variables=ADDITIVE, geography_year=2019)
    assert fast["municipality"].equals(table)
    assert _timeless(fast["municipality"].meta) == _timeless(table.meta)
    # the 2019 map has Oslo's districts too: their rows roll up on it, the same in both paths
    county = nimes.aggregate_stays_to(extract, sh.Level.COUNTY, variables=ADDITIVE, geography_year=2019)
    _assert_same(county["county"], sh.roll_up(table, "county"))


def test_unknown_codes_and_refusals_are_the_generic_errors(
    extract: Path, tmp_path: Path, make_stays: MakeStays
) -> None:
    # Ringerike's code 3305 did not exist in 2019: an explicit error in both paths, never a dropped row
    mixed = tmp_path / "mixed.parquet"
    pq.write_table(make_stays(200, seed=3), mixed)
    unknown = [
        _error_of(
            lambda: sh.harmonise(nimes.aggregate_stays(mixed, variables=ADDITIVE, geography_year=2019), 2024)
        ),
        _error_of(
            lambda: nimes.aggregate_stays_to(
                mixed, "county", harmonise_to=2024, variables=ADDITIVE, geography_year=2019
            )
        ),
    ]
    assert type(unknown[0]) is type(unknown[1])
    assert str(unknown[0]) == str(unknown[1])
    assert "3305" in str(unknown[1])

    # distinct patients cannot be added up into a county
    def generic() -> object:
        table = nimes.aggregate_stays(extract, geography_year=2019)
        return sh.roll_up(sh.harmonise(table, 2024, weights=WEIGHTS), "county", unassigned="exclude")

    refused = [
        _error_of(generic),
        _error_of(
            lambda: nimes.aggregate_stays_to(
                extract,
                "county",
                harmonise_to=2024,
                weights=WEIGHTS,
                unassigned="exclude",
                geography_year=2019,
            )
        ),
    ]
    assert type(refused[0]) is type(refused[1])
    # the same message, but for which of the areas is met first
    assert str(refused[0]).split("the first area")[0] == str(refused[1]).split("the first area")[0]
    assert "'patients' is not additive" in str(refused[1])


def test_levels_are_checked(extract: Path) -> None:
    with pytest.raises(SchemaError, match="levels must be among"):
        nimes.aggregate_stays_to(extract, "kommune", geography_year=2019)
    with pytest.raises(SchemaError, match="levels must be among"):
        nimes.aggregate_stays_to(extract, [], geography_year=2019)
