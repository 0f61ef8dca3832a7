"""A partitioned extract aggregated partition by partition (as Dask tasks) and combined = one pass."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import samhandling_nimes as nimes

from samhandling.errors import SchemaError

Episodes = Callable[..., pa.Table]
UNTIL = dt.date(2025, 6, 1)

pytest.importorskip("dask")


def _rows(table: Any) -> list[tuple[Any, ...]]:
    arrow = table.arrow
    columns = [c for c in arrow.column_names if c != "status"]
    return sorted(zip(*(arrow.column(c).cast(pa.string()).to_pylist() for c in columns)))


def _split(table: pa.Table, folder: Path, part: np.ndarray, name: str) -> Path:
    for value in np.unique(part):
        where = folder / f"{name}={value}"
        where.mkdir(parents=True)
        pq.write_table(table.filter(pa.array(part == value)), where / "part-0.parquet")
    return folder


def test_partitioned_by_patient_gives_every_table_of_one_pass(episodes: Episodes, tmp_path: Path) -> None:
    table = episodes(4000, seed=21, int_ids=True)
    whole = tmp_path / "whole.parquet"
    pq.write_table(table, whole)
    options: dict[str, Any] = {"observed_until": UNTIL, "geography_year": 2024, "diagnosis_groups": True}
    one_pass = nimes.aggregate_stays(whole, **options)
    patients = table.column("lopenr").to_numpy()
    folder = _split(table, tmp_path / "by_patient", patients % 4, "part")
    assert len(nimes.partitions_of(folder)) == 4
    combined = nimes.aggregate_partitions(folder, partitioned_by="patient", scheduler="threads", **options)
    assert _rows(combined) == _rows(one_pass)
    assert combined.meta.extra["stays"] == one_pass.meta.extra["stays"] == 4000
    assert len(combined.meta.provenance) == 4
    assert set(combined.variable_ids()) == set(one_pass.variable_ids())
    # what a Dask worker sends back survives pickling
    assert _rows(pickle.loads(pickle.dumps(one_pass))) == _rows(one_pass)


def test_partitioned_by_year_combines_all_but_readmissions(episodes: Episodes, tmp_path: Path) -> None:
    table = episodes(3000, seed=8)
    year = pc.year(table.column("inndato")).to_numpy()
    folder = _split(table, tmp_path / "by_year", year, "year")
    without = [v.id for v in nimes.VARIABLES if v.id != "readmissions_30d"]
    options: dict[str, Any] = {"observed_until": UNTIL, "geography_year": 2024}
    with pytest.raises(
        SchemaError, match=r"\['readmissions_30d'\] do not add up over partitions split by month"
    ):
        nimes.aggregate_partitions(folder, partitioned_by="month", scheduler="synchronous", **options)
    combined = nimes.aggregate_partitions(
        folder, partitioned_by="month", scheduler="synchronous", variables=without, **options
    )
    whole = tmp_path / "whole.parquet"
    pq.write_table(table, whole)
    assert _rows(combined) == _rows(nimes.aggregate_stays(whole, variables=without, **options))
    # a split that is not by patient cannot add distinct patients up
    parts = [nimes.aggregate_stays(p, variables=without, **options) for p in nimes.partitions_of(folder)]
    with pytest.raises(SchemaError, match="do not add up over partitions split by rows"):
        nimes.combine_aggregates(parts, partitioned_by="rows")
    # and a month found in two partitions is not a split by month
    twice = [parts[0], parts[0]]
    with pytest.raises(SchemaError, match="is in several partitions"):
        nimes.combine_aggregates(twice, partitioned_by="month")


def test_partitions_on_different_maps_are_refused(episodes: Episodes, tmp_path: Path) -> None:
    table = episodes(300, seed=1)
    path = tmp_path / "e.parquet"
    pq.write_table(table, path)
    counts = ["admissions", "bed_days"]
    a = nimes.aggregate_stays(path, variables=counts, geography_year=2024, observed_until=UNTIL)
    b = nimes.aggregate_stays(path, variables=counts, geography_year=2023, observed_until=UNTIL)
    with pytest.raises(SchemaError, match="different municipality maps"):
        nimes.combine_aggregates([a, b], partitioned_by="patient")
    with pytest.raises(SchemaError, match="partitioned_by must be one of"):
        nimes.combine_aggregates([a], partitioned_by="hash")  # type: ignore[arg-type]
