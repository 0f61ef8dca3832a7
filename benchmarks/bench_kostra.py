"""Benchmark of samhandling-kostra: a statbank CSV and a JSON-stat response to a StatTable.

Run by ``nox -s bench`` (or directly: ``python benchmarks/bench_kostra.py [--quick] [--repeat N]``).

**CSV.**  A synthetic file shaped like SSB's population table 07459 as the statbank writes it: a title
line, a blank line, a quoted semicolon-separated header, 1 million data rows over ~430 municipality labels
(``"3301 Kommune …"``), 106 ages (``"31 år"``), ten years, values with a decimal comma and 9.5 % special
symbols (``..``, ``:``, ``.``, ``-``), rows in random order.  Measured in the same run, the two taking
turns (medians):

* ``raw pyarrow``: ``pyarrow.csv.read_csv`` with string columns, the region code split off on the
  dictionary of the region column, the year cast to int16, the symbols found with ``index_in``, the
  decimal comma replaced and the values cast — the kernels alone, without layout detection, age
  normalisation, catalogue, checksum or error reporting;
* ``samhandling-kostra``: :func:`samhandling_kostra.read_statbank_csv` (everything, including the file's
  SHA-256 in the provenance).

Targets: ≤ 0.25 s and ≤ 1.15 × the raw pipeline for 1 M rows.

**JSON-stat.**  A PxWebApi-shaped dataset of 1 million cells (400 regions × 125 ages × 20 years, 9.5 %
suppressed with a status object), read from bytes by :func:`samhandling_kostra.read_jsonstat` — as
JSON-stat 2.0 and as a JSON-stat 1.x bundle (``{"dataset": …}`` with ``id``/``size``/``role`` inside
``dimension``, as the statbank still serves it).  Reference: ``json.loads`` of the whole document alone.
Target: ≤ 0.25 s.

**PX.**  The same cube as a PX file (ISO-8859-1, stub region × age, heading contents × year, one decimal,
9.5 % of the cells ``".."``), read by :func:`samhandling_kostra.read_px`.  Reference: pyarrow's CSV
reader on the DATA block alone (one cell a line).  Target: ≤ 0.25 s.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from samhandling_kostra import read_jsonstat, read_px, read_statbank_csv

SYMBOLS = pa.array([".", "..", "...", ":", "-"])


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """The synthetic 07459-shaped statbank CSV (see the module docstring)."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(np.arange(101, 5700), 430, replace=False)
    regions = np.array([f"{c:04d} Kommune {i} æøå" for i, c in enumerate(codes)])
    ages = np.array([f"{a} år" for a in range(106)])
    years = np.array([str(y) for y in range(2015, 2025)])
    values = np.char.replace(np.round(rng.random(rows) * 1000, 1).astype(str), ".", ",")
    special = rng.random(rows) < 0.095
    values[special] = np.array(["..", ":", "-", "."])[rng.integers(0, 4, int(special.sum()))]
    body = np.char.add('"', regions[rng.integers(0, 430, rows)])
    for part in (
        '";"',
        ages[rng.integers(0, 106, rows)],
        '";"Personer";"',
        years[rng.integers(0, 10, rows)],
        '";',
    ):
        body = np.char.add(body, part)
    body = np.char.add(body, values)
    head = [
        '"07459: Befolkning, etter region, alder, statistikkvariabel og år"',
        "",
        '"region";"alder";"statistikkvariabel";"år";"07459: Befolkning"',
    ]
    path.write_text("\n".join(head + body.tolist()) + "\n", encoding="utf-8")


def raw_pyarrow(path: Path) -> pa.Table:
    """The reference pipeline: the same result columns from pyarrow kernels alone."""
    names = ["region", "alder", "statistikkvariabel", "år", "value"]
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(skip_rows=3, column_names=names),
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
    )
    region = pc.dictionary_encode(table.column("region")).combine_chunks()
    code = pc.list_element(pc.split_pattern(region.dictionary, " ", max_splits=1), 0).take(region.indices)
    year = table.column("år").cast(pa.int16())
    cells = table.column("value")
    index = pc.index_in(cells, value_set=SYMBOLS)
    numbers = pc.if_else(pc.is_valid(index), pa.scalar(None, pa.string()), cells)
    value = pc.replace_substring(numbers, ",", ".").cast(pa.float64())
    return pa.table(
        {
            "region": code,
            "year": year,
            "age": table.column("alder"),
            "variable": table.column("statistikkvariabel"),
            "value": value,
            "status": index,
        }
    )


def jsonstat_document(regions: int, ages: int, years: int, seed: int = 1, *, legacy: bool = False) -> bytes:
    """A PxWebApi v2-shaped JSON-stat 2.0 dataset with ``regions × ages × years`` cells, or the same as a
    JSON-stat 1.x bundle (``legacy=True``)."""
    rng = np.random.default_rng(seed)
    total = regions * ages * years
    region_codes = [f"{3000 + i:04d}" for i in range(regions)]
    age_codes = [f"{a:03d}" for a in range(ages)]
    year_codes = [str(2024 - years + 1 + i) for i in range(years)]
    values: list[Any] = np.round(rng.random(total) * 1000, 1).tolist()
    suppressed = rng.choice(total, int(total * 0.095), replace=False)
    for cell in suppressed.tolist():
        values[cell] = None
    document: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "label": "07459: Befolkning, etter region, alder, statistikkvariabel og år",
        "id": ["Region", "Alder", "ContentsCode", "Tid"],
        "size": [regions, ages, 1, years],
        "role": {"geo": ["Region"], "time": ["Tid"], "metric": ["ContentsCode"]},
        "dimension": {
            "Region": {"label": "region", "category": {"index": {c: i for i, c in enumerate(region_codes)}}},
            "Alder": {
                "label": "alder",
                "category": {
                    "index": {c: i for i, c in enumerate(age_codes)},
                    "label": {c: f"{int(c)} år" for c in age_codes},
                },
            },
            "ContentsCode": {
                "label": "statistikkvariabel",
                "category": {
                    "index": {"Personer1": 0},
                    "label": {"Personer1": "Personer"},
                    "unit": {"Personer1": {"base": "personer", "decimals": 0}},
                },
            },
            "Tid": {"label": "år", "category": {"index": {y: i for i, y in enumerate(year_codes)}}},
        },
        "value": values,
        "status": {str(cell): ":" for cell in suppressed.tolist()},
    }
    if legacy:
        del document["version"], document["class"]
        dimension = document.pop("dimension")
        dimension.update(id=document.pop("id"), size=document.pop("size"), role=document.pop("role"))
        document = {"dataset": {"dimension": dimension, **document}}
    return json.dumps(document).encode("utf-8")


def px_document(path: Path, regions: int, ages: int, years: int, seed: int = 2) -> None:
    """The same cube as a PX file: stub region × age, heading contents × year, 9.5 % ``".."`` cells."""
    rng = np.random.default_rng(seed)
    total = regions * ages * years
    region_codes = [f"{3000 + i:04d}" for i in range(regions)]
    year_codes = [str(2024 - years + 1 + i) for i in range(years)]
    cells = np.char.mod("%.1f", np.round(rng.random(total) * 1000, 1))
    cells[rng.random(total) < 0.095] = '"."'
    data = "\n".join(" ".join(row) for row in cells.reshape(regions * ages, years))

    def quoted(items: Sequence[str]) -> str:
        return ",".join(f'"{item}"' for item in items)

    head = [
        'CHARSET="ANSI";',
        'CODEPAGE="iso-8859-1";',
        "DECIMALS=1;",
        'TITLE="07459: Befolkning, etter region, alder, statistikkvariabel og år";',
        'CONTENTS="07459: Befolkning,";',
        'STUB="region","alder";',
        'HEADING="statistikkvariabel","år";',
        'CONTVARIABLE="statistikkvariabel";',
        f'VALUES("region")={quoted([f"Kommune {c}" for c in region_codes])};',
        f'VALUES("alder")={quoted([f"{a} år" for a in range(ages)])};',
        'VALUES("statistikkvariabel")="Personer";',
        f'VALUES("år")={quoted(year_codes)};',
        f'TIMEVAL("år")=TLIST(A1),{quoted(year_codes)};',
        f'CODES("region")={quoted(region_codes)};',
        'CODES("statistikkvariabel")="Personer1";',
        'VARIABLE-TYPE("region")="G";',
        'UNITS="personer";',
        'DATASYMBOL1="..";',
        "DATA=",
    ]
    path.write_bytes(("\n".join(head) + "\n" + data + "\n;\n").encode("latin-1"))


def px_data_block(path: Path) -> pa.Table:
    """The reference for PX: pyarrow's CSV reader on the DATA block alone, one cell a line."""
    raw = path.read_bytes()
    body = raw[raw.index(b"\nDATA=") + 7 : raw.rindex(b";")].translate(bytes.maketrans(b" \r", b"\n\n"))
    return pacsv.read_csv(
        pa.BufferReader(body),
        read_options=pacsv.ReadOptions(column_names=["cell"]),
        parse_options=pacsv.ParseOptions(ignore_empty_lines=True),
        convert_options=pacsv.ConvertOptions(column_types={"cell": pa.string()}),
    )


def median_times(functions: Sequence[Callable[[], object]], repeat: int) -> list[tuple[float, float]]:
    """Median wall time and median CPU time (all threads) of ``repeat`` calls of each function.

    The functions take turns (after one warm-up call each), so that a change in the load of a shared
    machine affects them alike.  The CPU time shows the work done; it varies less than the wall time.
    """
    for function in functions:
        function()
    walls: list[list[float]] = [[] for _ in functions]
    cpus: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for position, function in enumerate(functions):
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            walls[position].append(time.perf_counter() - start)
            cpus[position].append(time.process_time() - start_cpu)
    return [(statistics.median(wall), statistics.median(cpu)) for wall, cpu in zip(walls, cpus, strict=True)]


def main() -> None:
    """Run both benchmarks and print medians, ratios and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows/cells instead of 1 million")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "07459.csv"
        write_csv(path, rows)
        ours = read_statbank_csv(path)
        assert ours.num_rows == rows
        (reference, reference_cpu), (measured, measured_cpu) = median_times(
            [lambda: raw_pyarrow(path), lambda: read_statbank_csv(path)], args.repeat
        )
        print(f"statbank CSV, {rows:,} rows with symbols (input order: random)")
        print(f"  raw pyarrow          {reference:8.3f} s   (cpu {reference_cpu:.3f} s)")
        print(
            f"  samhandling-kostra   {measured:8.3f} s   (cpu {measured_cpu:.3f} s)   "
            f"ratio {measured / reference:5.2f}x (cpu {measured_cpu / reference_cpu:4.2f}x)"
        )
        print("  target               ≤ 0.25 s for 1 M rows and ≤ 1.15x")
    ages = 125 if not args.quick else 25
    document = jsonstat_document(400, ages, 20)
    cells = 400 * ages * 20
    table = read_jsonstat(document)
    assert table.num_rows == cells
    (loads, loads_cpu), (measured_json, measured_json_cpu) = median_times(
        [lambda: json.loads(document), lambda: read_jsonstat(document)], args.repeat
    )
    print(f"JSON-stat 2.0 dataset, {cells:,} cells ({len(document) / 1e6:.1f} MB)")
    print(f"  json.loads alone     {loads:8.3f} s   (cpu {loads_cpu:.3f} s)")
    print(
        f"  samhandling-kostra   {measured_json:8.3f} s   (cpu {measured_json_cpu:.3f} s)   "
        f"ratio {measured_json / loads:5.2f}x"
    )
    print("  target               ≤ 0.25 s for 1 M cells")
    legacy = jsonstat_document(400, ages, 20, legacy=True)
    assert read_jsonstat(legacy).num_rows == cells
    (loads, loads_cpu), (measured_json, measured_json_cpu) = median_times(
        [lambda: json.loads(legacy), lambda: read_jsonstat(legacy)], args.repeat
    )
    print(f"JSON-stat 1.x bundle, {cells:,} cells ({len(legacy) / 1e6:.1f} MB)")
    print(f"  json.loads alone     {loads:8.3f} s   (cpu {loads_cpu:.3f} s)")
    print(
        f"  samhandling-kostra   {measured_json:8.3f} s   (cpu {measured_json_cpu:.3f} s)   "
        f"ratio {measured_json / loads:5.2f}x"
    )
    print("  target               ≤ 0.25 s for 1 M cells")
    with tempfile.TemporaryDirectory() as folder:
        px_path = Path(folder) / "07459.px"
        px_document(px_path, 400, ages, 20)
        assert read_px(px_path).num_rows == cells
        (block, block_cpu), (measured_px, measured_px_cpu) = median_times(
            [lambda: px_data_block(px_path), lambda: read_px(px_path)], args.repeat
        )
        print(f"PX file, {cells:,} cells ({px_path.stat().st_size / 1e6:.1f} MB)")
        print(f"  DATA block (pyarrow) {block:8.3f} s   (cpu {block_cpu:.3f} s)")
        print(
            f"  samhandling-kostra   {measured_px:8.3f} s   (cpu {measured_px_cpu:.3f} s)   "
            f"ratio {measured_px / block:5.2f}x"
        )
        print("  target               ≤ 0.25 s for 1 M cells")


if __name__ == "__main__":
    main()
