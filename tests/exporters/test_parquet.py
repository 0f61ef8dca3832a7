"""Parquet files and hive-partitioned datasets: lossless, readable by DuckDB and polars, appendable."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.errors import ExportError, ParseError, SchemaError, SourceError
from samhandling.exporters import export, exporter_for
from samhandling.exporters.parquet import DATASET_METADATA_FILE, read_dataset, write_dataset
from samhandling.tables import METADATA_KEY, TableMeta


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Every data file under ``root`` with its inode and modification time (to see rewrites)."""
    return {
        str(path.relative_to(root)): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*.parquet"))
    }


def test_single_file_reads_back_the_same_table(table: StatTable, tmp_path: Path) -> None:
    path = export(table, tmp_path / "fte.parquet")
    back = sh.read(path)
    assert back.equals(table)
    assert back.arrow.schema.remove_metadata() == table.arrow.schema.remove_metadata()
    assert back.meta == table.meta  # units, additivity, provenance (with its timestamp), title
    assert back.status_counts() == {None: 16, "-": 2, ":": 2, "..": 2}


def test_metadata_is_in_the_file_schema_for_any_parquet_reader(table: StatTable, tmp_path: Path) -> None:
    path = export(table, tmp_path / "fte.parquet")
    raw = pq.read_schema(path).metadata[METADATA_KEY]
    meta = TableMeta.from_json(raw)
    assert meta.variables["fte_per_10000"].denominator == "population"
    assert meta.provenance[0].checksum == "sha256:" + "ab" * 32


def test_exporter_is_chosen_by_suffix_and_name() -> None:
    assert exporter_for("out/a.parquet").name == "parquet"
    assert exporter_for("a.PQ").name == "parquet"
    assert exporter_for("a.bin", format="parquet").name == "parquet"


def test_dataset_layout_and_metadata_file(table: StatTable, tmp_path: Path) -> None:
    root = export(table, tmp_path / "ds", format="parquet", partition_by=("year", "level"))
    folders = sorted(str(p.relative_to(root)) for p in root.glob("*/*") if p.is_dir())
    assert folders == [
        "year=2023/level=county",
        "year=2023/level=municipality",
        "year=2023/level=national",
        "year=2024/level=county",
        "year=2024/level=municipality",
        "year=2024/level=national",
    ]
    description = json.loads((root / DATASET_METADATA_FILE).read_text(encoding="utf-8"))
    assert description["partition_by"] == ["year", "level"]
    assert description["meta"]["variables"]["fte"]["unit"] == "årsverk"
    back = sh.read(root)
    assert back.equals(table)
    assert back.meta.variables == table.meta.variables
    assert back.arrow.schema.field("year").type == pa.int16()


def test_appending_a_year_leaves_older_partitions_untouched(
    make_yearly: Callable[..., StatTable], tmp_path: Path
) -> None:
    root = tmp_path / "ds"
    write_dataset(make_yearly((2022, 2023)), root)
    before = _files(root)
    # make sure a rewrite would show up in the modification time
    os.utime(root, ns=(0, 0))
    for path in root.rglob("*.parquet"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = _files(root)
    write_dataset(make_yearly((2024,)), root)
    after = _files(root)
    assert {k: v for k, v in after.items() if not k.startswith("year=2024")} == before
    assert any(k.startswith("year=2024/level=municipality") for k in after)
    back = read_dataset(root)
    assert back.years() == [2022, 2023, 2024]
    assert back.equals(StatTable.concat([make_yearly((2022, 2023)), make_yearly((2024,))]))


def test_rewriting_replaces_only_the_partitions_written(
    make_yearly: Callable[..., StatTable], tmp_path: Path
) -> None:
    root = tmp_path / "ds"
    write_dataset(make_yearly((2023, 2024)), root)
    corrected = make_yearly((2024,)).where(region="3301")  # municipality rows of 2024 only
    write_dataset(corrected, root)
    back = read_dataset(root)
    municipalities_2024 = back.where(year=2024, level="municipality")
    assert sorted(set(municipalities_2024.arrow.column("region").to_pylist())) == ["3301"]
    assert sorted(set(back.where(year=2024).arrow.column("region").to_pylist())) == ["0", "33", "3301"]
    assert back.where(year=2023).num_rows == make_yearly((2023,)).num_rows


def test_duckdb_reads_the_dataset_and_the_file_directly(table: StatTable, tmp_path: Path) -> None:
    root = write_dataset(table, tmp_path / "ds")
    export(table, tmp_path / "fte.parquet")
    query = (
        "select year, sum(value) as fte from read_parquet(?, hive_partitioning = true) "
        "where variable = 'fte' and level = 'municipality' group by year order by year"
    )
    with duckdb.connect() as connection:  # its own connection: the default one is shared with other tests
        rows = connection.execute(query, [str(root / "**" / "*.parquet")]).fetchall()
        single = connection.execute(
            "select count(*) from read_parquet(?) where status = ':'", [str(tmp_path / "fte.parquet")]
        ).fetchall()
    assert rows == [(2023, 12.5 + 3.2 + 0 + 1234.75 + 310.0), (2024, 13.5 + 3.2 + 0 + 1234.75 + 310.0)]
    assert single == [(2,)]


def test_polars_reads_the_dataset_directly(table: StatTable, tmp_path: Path) -> None:
    root = write_dataset(table, tmp_path / "ds")
    frame = pl.scan_parquet(root / "**" / "*.parquet", hive_partitioning=True).collect()
    assert frame.height == table.num_rows
    assert set(frame["level"].unique().to_list()) == {"municipality", "county", "national"}
    users = frame.filter((pl.col("variable") == "users") & (pl.col("region") == "0"))
    assert users["value"].to_list() == [152_345.0, 152_345.0]


def test_pyarrow_dataset_api_reads_it_and_ignores_the_metadata_file(table: StatTable, tmp_path: Path) -> None:
    root = write_dataset(table, tmp_path / "ds")
    dataset = ds.dataset(root, format="parquet", partitioning="hive")
    assert dataset.count_rows() == table.num_rows


def test_filters_skip_partitions(table: StatTable, tmp_path: Path) -> None:
    root = write_dataset(table, tmp_path / "ds")
    assert read_dataset(root, filters=[("year", "=", 2024)]).years() == [2024]
    only_county = read_dataset(root, filters=ds.field("level") == "county")
    assert only_county.levels() == ["county"]


def test_partition_by_other_columns(table: StatTable, tmp_path: Path) -> None:
    root = write_dataset(table, tmp_path / "ds", partition_by=("variable",))
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [
        "variable=fte",
        "variable=fte_per_10000",
        "variable=users",
    ]
    assert read_dataset(root).equals(table)


def test_a_new_dimension_in_a_later_year_reads_as_empty_before(tmp_path: Path) -> None:
    fte = Variable(id="fte", unit="årsverk")
    old = StatTable.from_pydict(
        {"region": ["3301"], "level": ["municipality"], "year": [2023], "variable": ["fte"], "value": [1.0]},
        variables=[fte],
        geography_year=2024,
    )
    new = StatTable.from_pydict(
        {
            "region": ["3301"],
            "level": ["municipality"],
            "year": [2024],
            "target_group": ["adults"],
            "variable": ["fte"],
            "value": [2.0],
        },
        variables=[fte],
        geography_year=2024,
    )
    root = tmp_path / "ds"
    write_dataset(old, root)
    write_dataset(new, root)
    back = read_dataset(root)
    assert back.dimensions == ["target_group"]
    assert back.where(year=2023).arrow.column("target_group").to_pylist() == [None]


def test_conflicting_metadata_is_refused(table: StatTable, tmp_path: Path) -> None:
    root = write_dataset(table, tmp_path / "ds")
    other_unit = StatTable.from_arrow(
        table.where(variable="fte").arrow,
        variables=[Variable(id="fte", unit="stillingsprosent")],
        geography_year=2024,
    )
    with pytest.raises(SchemaError, match=r"cannot add this table to the dataset .*'fte'"):
        write_dataset(other_unit, root)
    other_year = StatTable.from_arrow(table.arrow.replace_schema_metadata(None), meta=table.meta).with_arrow(
        table.arrow, geography_year=2020
    )
    with pytest.raises(SchemaError, match="different geography years"):
        write_dataset(other_year, root)


def test_partitioning_must_match_the_dataset(table: StatTable, tmp_path: Path) -> None:
    root = write_dataset(table, tmp_path / "ds", partition_by=("year",))
    with pytest.raises(ExportError, match=r"partitioned by \['year'\], not \['year', 'level'\]"):
        write_dataset(table, root, partition_by=("year", "level"))


def test_bad_destinations(table: StatTable, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"no column\(s\) \['sex'\]"):
        write_dataset(table, tmp_path / "ds", partition_by=("year", "sex"))
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        write_dataset(table, tmp_path / "a-file")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ExportError, match="is a folder; give partition_by"):
        export(table, tmp_path / "folder", format="parquet")


def test_broken_inputs_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(ParseError, match=r"broken\.parquet: not a readable Parquet file"):
        sh.read(broken)
    empty = tmp_path / "empty"
    (empty / "year=2024").mkdir(parents=True)
    (empty / "year=2024" / "x.txt").write_text("x")
    (empty / DATASET_METADATA_FILE).write_text(
        json.dumps({"partition_by": ["year"], "meta": {}}), encoding="utf-8"
    )
    with pytest.raises(SourceError, match="holds no Parquet files"):
        read_dataset(empty)
    (empty / DATASET_METADATA_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ParseError, match=r"_samhandling\.json: not a samhandling dataset description"):
        read_dataset(empty)


def test_stray_files_in_a_dataset_are_ignored(table: StatTable, tmp_path: Path) -> None:
    root = write_dataset(table, tmp_path / "ds")
    (root / "_SUCCESS").write_text("")
    (root / "README.txt").write_text("FTE survey, all years")
    (root / "year=2024" / ".part-0.parquet.crc").write_bytes(b"\x00\x01")
    assert read_dataset(root).equals(table)


def test_a_dataset_written_by_another_tool_is_read_with_discovered_partitions(
    table: StatTable, tmp_path: Path
) -> None:
    root = tmp_path / "foreign"
    ds.write_dataset(
        table.arrow,
        root,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([pa.field("year", pa.int16())]), flavor="hive"),
    )
    back = sh.read(root)
    assert back.equals(table)
