"""Benchmark: write 10 M rows to Parquet and CSV, against the plain pyarrow writers in the same run.

Input: a monthly admissions-style StatTable in canonical form — region (4-digit string over 430
codes), level, year, month, unit (40 care units), variable (4 ids), value (float64 with two decimals
or whole numbers) and status (≈ 5 % suppressed ``:``, 1 % ``-``), rows in date order.

Measured (medians):

* Parquet: ``ParquetExporter.write`` (zstd) against ``pyarrow.parquet.write_table`` (zstd) on the same
  Arrow table — the exporter's extra work is its metadata, which is already in the schema;
* Parquet dataset partitioned by year: ``write_dataset`` against ``pyarrow.dataset.write_dataset``;
* CSV: ``CsvExporter.write`` against ``pyarrow.csv.write_csv`` on the same table (the exporter adds
  the quoting check and the ``.meta.json``);
* CSV, Norwegian (semicolon, decimal comma, BOM) against the same pyarrow writer with ``;`` — the
  exporter also turns every number into text with a decimal comma, work pyarrow's writer never does.

The exporters write atomically and durably (temporary file, ``fsync``, rename; a dataset is staged
and committed under a lock) and the CSV exporter hashes its output (BLAKE3, in a second thread); the
plain pyarrow writers do none of this.  See ``docs/concepts/guarantees.md`` for the figures measured.

Run: ``python benchmarks/bench_exporters.py`` (``--quick`` for 1 M rows, ``--repeat N``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from samhandling.exporters.csv import CsvExporter
from samhandling.exporters.parquet import ParquetExporter, write_dataset
from samhandling.tables import StatTable, Variable

VARIABLES = ["admissions", "bed_days", "acute_admissions", "involuntary_stays"]


def make_table(rows: int, seed: int = 7) -> StatTable:
    """A canonical monthly table of ``rows`` rows, in date order."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"{c:04d}" for c in rng.choice(np.arange(301, 5700), 430, replace=False)])
    units = np.array([f"unit-{u:02d}" for u in range(40)])
    month_index = np.sort(rng.integers(0, 120, rows))  # ten years of months, date order
    value = np.round(rng.gamma(2.0, 30.0, rows), 2)
    whole = rng.random(rows) < 0.5  # counts are whole numbers, bed-day averages have decimals
    value[whole] = np.floor(value[whole])
    draw = rng.random(rows)
    status = np.where(draw < 0.05, 0, np.where(draw < 0.06, 1, -1))
    value_array = pa.array(np.where(status == 1, 0.0, value), pa.float64(), mask=status == 0)
    status_array = pa.DictionaryArray.from_arrays(
        pa.array(status.astype(np.int8), pa.int8(), mask=status < 0), pa.array([":", "-"])
    )
    table = pa.table(
        {
            "region": pa.array(codes[rng.integers(0, len(codes), rows)]),
            "level": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(rows, np.int8)), pa.array(["municipality"])
            ),
            "year": pa.array((2015 + month_index // 12).astype(np.int16)),
            "month": pa.array((1 + month_index % 12).astype(np.int8)),
            "unit": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, len(units), rows).astype(np.int32)), pa.array(units)
            ),
            "variable": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, len(VARIABLES), rows).astype(np.int32)), pa.array(VARIABLES)
            ),
            "value": value_array,
            "status": status_array,
        }
    )
    variables = [Variable(id=v, unit="opphold" if v != "bed_days" else "liggedøgn") for v in VARIABLES]
    return StatTable.from_arrow(table, variables=variables, geography_year=2024, source="bench")


def _medians(ours: Callable[[], object], raw: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median times of both, run alternately so that a change in machine load hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for function, sink in ((ours, times[0]), (raw, times[1])):
            start = time.perf_counter()
            function()
            sink.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 M rows instead of 10 M")
    parser.add_argument("--rows", type=int, default=None, help="number of rows (overrides --quick)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = args.rows or (1_000_000 if args.quick else 10_000_000)
    start = time.perf_counter()
    table = make_table(rows)
    arrow = table.arrow
    print(
        f"input: {rows:,} rows, {arrow.nbytes / 2**20:.0f} MiB in Arrow, built in "
        f"{time.perf_counter() - start:.1f} s; medians of {args.repeat} runs"
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-exporters-"))
    parquet, csv = ParquetExporter(), CsvExporter()
    year_schema = pa.schema([pa.field("year", pa.int16())])
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        (
            "parquet file (zstd)",
            lambda: parquet.write(table, folder / "ours.parquet"),
            lambda: pq.write_table(arrow, folder / "raw.parquet", compression="zstd"),
        ),
        (
            "parquet dataset by year",
            lambda: write_dataset(table, folder / "ours-ds", partition_by=("year",)),
            lambda: ds.write_dataset(
                arrow,
                folder / "raw-ds",
                format="parquet",
                partitioning=ds.partitioning(year_schema, flavor="hive"),
                existing_data_behavior="delete_matching",
                file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
            ),
        ),
        (
            "csv",
            lambda: csv.write(table, folder / "ours.csv"),
            lambda: pacsv.write_csv(
                arrow, folder / "raw.csv", write_options=pacsv.WriteOptions(quoting_style="none")
            ),
        ),
        (
            "csv norwegian (; , BOM)",
            lambda: csv.write(table, folder / "ours-no.csv", norwegian=True),
            lambda: pacsv.write_csv(
                arrow,
                folder / "raw-no.csv",
                write_options=pacsv.WriteOptions(delimiter=";", quoting_style="none"),
            ),
        ),
    ]
    try:
        print(f"{'operation':<26} {'samhandling':>12} {'pyarrow':>10} {'ratio':>7} {'rows/s':>12}")
        for name, ours, raw in cases:
            ours(), raw()  # warm up (and create the folders)
            ours_time, raw_time = _medians(ours, raw, args.repeat)
            print(
                f"{name:<26} {ours_time:>11.3f}s {raw_time:>9.3f}s {ours_time / raw_time:>6.2f}x "
                f"{rows / ours_time / 1e6:>9.1f} M"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
