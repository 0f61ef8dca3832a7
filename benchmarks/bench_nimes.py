"""Benchmark of samhandling-nimes: aggregating patient-level extracts, against raw pyarrow and DuckDB.

Run by ``nox -s bench`` (or directly: ``python benchmarks/bench_nimes.py [--quick] [--repeat N]``).

Two extracts of 10 million stays, shaped differently, so that no figure depends on one shape of data:

* **A** — dictionary-typed columns, sorted by admission date, the 422 municipality codes of 2019 with
  Pareto-skewed sizes, 40 units, lengths of stay geometric (mean 20 days) with a 1 % tail of 60–700 days,
  acute and TPH as booleans, integer patient ids;
* **B** — plain text columns written without dictionary pages (the reader has to build the
  dictionaries), the 357 codes of 2024 with Zipf-skewed sizes, 60 units (five known to the catalogue),
  admission dates shuffled within blocks of 50,000 stays and 3 % anywhere (partly sorted), lengths of
  stay log-normal (median 5 days, heavy tail up to 4,000 days), NPR's urgency codes 1–5 and the TPH
  flag as text, integer patient ids.

B is also written as CSV, and three more extracts of 10 million rows each (B's shape with a care-level
column) hold only inpatient stays, only day treatments and only outpatient contacts.

Measured in the same run, the pipelines of a group taking turns (one warm-up call each, then medians),
so that a change in the load of the shared machine hits all of them alike:

* ``raw pyarrow``: read the needed columns with dictionary keys, month as year*12+month, ``group_by``
  count and sums (it sums lengths of stay by admission month: less work than splitting bed-days);
* ``DuckDB``: the identical work in SQL — admissions, acute and TPH by admission month, and bed-days
  split over the calendar months they fall in (``generate_series`` over each stay's months);
* ``aggregate_stays`` (the long StatTable) and ``aggregate_stays_wide`` for the four additive counts,
  and for all six variables (patients and readmissions added);
* CSV: pyarrow's own ``read_csv`` of the same file against ``aggregate_stays`` on it;
* end to end (A, harmonised 2019 → 2024 and rolled up to county and health trust): raw pyarrow,
  ``aggregate_stays_to``, and the generic path ``aggregate_stays`` → ``harmonise`` → ``roll_up``;
* levels of care: ``aggregate_stays`` on the three single-level extracts.

Wall time and CPU time (of the whole process, all threads) are reported, and the load average of the
machine before and after.  Peak memory is measured in a fresh process (``VmHWM`` after resetting it)
as a multiple of the Arrow size of the input.

Targets: ``aggregate_stays`` ≥ 25 M stays/s on both extracts; CSV within 1.3× of pyarrow's
``read_csv``; all six variables ≥ 15 M stays/s at ≤ 1.5× the input in memory; the generic long-table
path ≥ 15 M stays/s end to end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

ADDITIVE = ("admissions", "bed_days", "acute_admissions", "involuntary_stays")
FROM_YEAR, TO_YEAR = 2019, 2024


def generate(n: int, folder: Path, *, seed: int = 2024) -> tuple[Path, int]:
    """Write a date-sorted synthetic extract of ``n`` stays; return its path and Arrow size in bytes."""
    from samhandling_nimes import builtin_care_units

    from samhandling.geography import Geography

    rng = np.random.default_rng(seed)
    codes = sorted(Geography.for_year(FROM_YEAR).codes("municipality"))
    units = [unit.code for unit, _ in builtin_care_units()][:40]
    first = int(np.datetime64("2010-01-01", "D").astype(np.int64))
    admitted = np.sort(rng.integers(first, first + 3652, n)).astype(np.int32)
    length = (rng.geometric(1 / 20, n) - 1).astype(np.int32)
    long_stays = rng.random(n) < 0.01
    length[long_stays] += rng.integers(60, 700, int(long_stays.sum())).astype(np.int32)
    # bigger municipalities have more stays: a skewed choice over the codes
    weights = rng.pareto(1.2, len(codes)) + 0.05
    area = rng.choice(len(codes), n, p=weights / weights.sum()).astype(np.int32)
    table = pa.table(
        {
            "patient_id": pa.array(rng.integers(0, 2_000_000, n, dtype=np.int64)),
            "municipality": pa.DictionaryArray.from_arrays(pa.array(area), pa.array(codes)),
            "unit": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, len(units), n).astype(np.int32)), pa.array(units)
            ),
            "admitted": pa.array(admitted).cast(pa.date32()),
            "discharged": pa.array(admitted + length).cast(pa.date32()),
            "acute": pa.array(rng.random(n) < 0.6),
            "involuntary": pa.array(rng.random(n) < 0.12),
        }
    )
    path = folder / "stays.parquet"
    pq.write_table(table, path, row_group_size=1 << 20)
    return path, int(table.nbytes)


def as_csv(path: Path) -> Path:
    """The same extract as a UTF-8 CSV file (dictionary columns written as their text, ISO dates)."""
    table = pq.read_table(path)
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.string()))
    csv_path = path.with_suffix(".csv")
    pcsv.write_csv(table, csv_path)
    return csv_path


def split_weights() -> pa.Table:
    """Equal shares for every municipality divided between 2019 and 2024 (the benchmark needs some)."""
    from samhandling.geography.changes import compose

    rows: list[dict[str, Any]] = []

    def resolve(split: Any) -> list[float]:
        share = 1.0 / len(split.new)
        rows.extend({"year": split.year, "old": split.old, "new": new, "weight": share} for new in split.new)
        return [share] * len(split.new)

    compose("municipality", FROM_YEAR, TO_YEAR, resolve)
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [("year", pa.int16()), ("old", pa.string()), ("new", pa.string()), ("weight", pa.float64())]
        ),
    )


def code_mapping() -> pa.Table:
    """old code (2019) → new code (2024) with weights, for the raw pipeline's join."""
    from samhandling.geography.changes import compose

    mapping = compose(
        "municipality", FROM_YEAR, TO_YEAR, lambda split: [1.0 / len(split.new)] * len(split.new)
    )
    rows = [(old, new, w) for old, targets in mapping.items() for new, w in targets]
    return pa.table(
        {
            "municipality": [r[0] for r in rows],
            "new": [r[1] for r in rows],
            "share": pa.array([r[2] for r in rows], pa.float64()),
        }
    )


# -- the raw pyarrow pipeline ----------------------------------------------------------------------


#: field → column name, per extract
COLUMNS_A = {
    "patient": "patient_id",
    "municipality": "municipality",
    "unit": "unit",
    "admitted": "admitted",
    "discharged": "discharged",
    "acute": "acute",
    "involuntary": "involuntary",
}
COLUMNS_B = {
    "patient": "lopenr",
    "municipality": "bostedskommune",
    "unit": "behandlingssted",
    "admitted": "inndato",
    "discharged": "utdato",
    "acute": "hastegrad",
    "involuntary": "tph",
}


def generate_b(n: int, folder: Path, *, seed: int = 7, level: str | None = None) -> tuple[Path, int]:
    """Extract B (see the module): plain text columns, partly sorted, heavy-tailed, Zipf-skewed.

    With ``level`` (NPR's omsorgsnivå, ``"1"``, ``"2"`` or ``"3"``) every row is of that level of care;
    day treatments and outpatient contacts end the day they begin.
    """
    from samhandling.geography import Geography

    rng = np.random.default_rng(seed)
    codes = sorted(Geography.for_year(TO_YEAR).codes("municipality"))
    units = [f"U{i:03d}" for i in range(55)] + ["RDPS", "LIER", "ARA", "dps-asker", "BUPA"]
    first = int(np.datetime64("2015-01-01", "D").astype(np.int64))
    admitted = np.sort(rng.integers(first, first + 3652, n)).astype(np.int32)
    for start in range(0, n, 50_000):  # shuffled within blocks (a view: shuffled in place)
        rng.shuffle(admitted[start : start + 50_000])
    anywhere = rng.random(n) < 0.03
    admitted[anywhere] = rng.integers(first, first + 3652, int(anywhere.sum()))
    length = np.minimum(np.floor(rng.lognormal(1.6, 1.4, n)), 4000).astype(np.int32)
    if level in ("2", "3"):
        length[:] = 0
    zipf = 1.0 / np.arange(1, len(codes) + 1) ** 1.1
    area = rng.choice(len(codes), n, p=(zipf / zipf.sum())[rng.permutation(len(codes))])
    weights = rng.pareto(1.5, len(units)) + 0.1
    unit = rng.choice(len(units), n, p=weights / weights.sum())
    columns = {
        "lopenr": pa.array(rng.integers(0, 3_000_000, n, dtype=np.int64)),
        "bostedskommune": pa.array(np.asarray(codes, dtype=object)[area], pa.string()),
        "behandlingssted": pa.array(np.asarray(units, dtype=object)[unit], pa.string()),
        "inndato": pa.array(admitted).cast(pa.date32()),
        "utdato": pa.array(admitted + length).cast(pa.date32()),
        "hastegrad": pa.array(
            np.asarray(["1", "2", "3", "4", "5"], dtype=object)[
                rng.choice(5, n, p=[0.45, 0.05, 0.05, 0.4, 0.05])
            ],
            pa.string(),
        ),
        "tph": pa.array(np.where(rng.random(n) < 0.1, "1", "0").astype(object), pa.string()),
    }
    if level is not None:
        columns["omsorgsniva"] = pa.array(np.full(n, level, dtype=object), pa.string())
    table = pa.table(columns)
    path = folder / (f"level-{level}.parquet" if level else "b.parquet")
    pq.write_table(table, path, row_group_size=1 << 20, use_dictionary=False)
    return path, int(table.nbytes)


def _flag(column: pa.ChunkedArray, yes: list[str]) -> pa.ChunkedArray:
    if pa.types.is_boolean(column.type):
        return column.cast(pa.int32())
    return pc.is_in(column.cast(pa.string()), pa.array(yes)).cast(pa.int32())


def raw_aggregate(path: Path, names: dict[str, str] = COLUMNS_A) -> pa.Table:
    fields = ["municipality", "unit", "admitted", "discharged", "acute", "involuntary"]
    table = pq.read_table(
        path,
        columns=[names[f] for f in fields],
        read_dictionary=[names["municipality"], names["unit"], names["acute"], names["involuntary"]],
    ).unify_dictionaries()
    admitted = table.column(names["admitted"])
    month = pc.add(pc.multiply(pc.year(admitted), 12), pc.month(admitted))
    length = pc.subtract(table.column(names["discharged"]).cast(pa.int32()), admitted.cast(pa.int32()))
    work = pa.table(
        {
            "municipality": table.column(names["municipality"]),
            "unit": table.column(names["unit"]),
            "month": month,
            "length": length,
            "acute": _flag(table.column(names["acute"]), ["1", "2", "3"]),
            "involuntary": _flag(table.column(names["involuntary"]), ["1"]),
        }
    )
    return work.group_by(["municipality", "unit", "month"]).aggregate(
        [("length", "count"), ("length", "sum"), ("acute", "sum"), ("involuntary", "sum")]
    )


def duckdb_aggregate(path: Path, names: dict[str, str]) -> pa.Table:
    """The identical work in DuckDB: counts by admission month, bed-days split over calendar months."""
    import duckdb

    def flag(field: str, yes: str) -> str:
        column = names[field]
        return f"sum(({column} IN ({yes}))::INT)" if names is COLUMNS_B else f"sum({column}::INT)"

    sql = f"""
    WITH s AS (
        SELECT {names["municipality"]} AS municipality, {names["unit"]} AS unit,
               {names["admitted"]} AS admitted, {names["discharged"]} AS discharged,
               {names["acute"]}, {names["involuntary"]}
        FROM read_parquet('{path}')),
    adm AS (
        SELECT municipality, unit, date_trunc('month', admitted) AS m, count(*) AS admissions,
               {flag("acute", "'1', '2', '3'")} AS acute, {flag("involuntary", "'1'")} AS involuntary
        FROM s GROUP BY ALL),
    nights AS (
        SELECT municipality, unit, m::DATE AS m,
               sum(datediff('day', greatest(admitted::TIMESTAMP, m),
                                   least(discharged::TIMESTAMP, m + INTERVAL 1 MONTH))) AS bed_days
        FROM (SELECT *, unnest(generate_series(date_trunc('month', admitted)::TIMESTAMP,
                                               date_trunc('month', discharged - 1)::TIMESTAMP,
                                               INTERVAL 1 MONTH)) AS m
              FROM s WHERE discharged > admitted)
        GROUP BY ALL)
    SELECT * FROM adm FULL OUTER JOIN nights USING (municipality, unit, m)
    """
    with duckdb.connect() as connection:
        return connection.sql(sql).to_arrow_table()


def raw_end_to_end(path: Path, mapping: pa.Table, memberships: dict[str, pa.Table]) -> dict[str, pa.Table]:
    aggregated = raw_aggregate(path)
    aggregated = aggregated.set_column(0, "municipality", aggregated.column("municipality").cast(pa.string()))
    joined = aggregated.join(mapping, "municipality")
    sums = ["length_count", "length_sum", "acute_sum", "involuntary_sum"]
    weighted = {
        name: pc.multiply(joined.column(name).cast(pa.float64()), joined.column("share")) for name in sums
    }
    harmonised = pa.table(
        {
            "region": joined.column("new"),
            "unit": joined.column("unit"),
            "month": joined.column("month"),
            **weighted,
        }
    )
    harmonised = harmonised.group_by(["region", "unit", "month"]).aggregate([(s, "sum") for s in sums])
    out = {}
    for level, membership in memberships.items():
        rolled = harmonised.join(membership, "region")
        parts = {s: pc.multiply(rolled.column(f"{s}_sum"), rolled.column("weight")) for s in sums}
        frame = pa.table(
            {
                "parent": rolled.column("parent"),
                "unit": rolled.column("unit"),
                "month": rolled.column("month"),
                **parts,
            }
        )
        out[level] = frame.group_by(["parent", "unit", "month"]).aggregate([(s, "sum") for s in sums])
    return out


# -- ours ------------------------------------------------------------------------------------------


def ours_long(path: Path, variables: tuple[str, ...] | None, year: int) -> Any:
    from samhandling_nimes import aggregate_stays

    return aggregate_stays(path, variables=variables, geography_year=year)


def ours_wide(path: Path, variables: tuple[str, ...] | None, year: int) -> pa.Table:
    from samhandling_nimes import aggregate_stays_wide

    return aggregate_stays_wide(path, variables=variables, geography_year=year).wide


def ours_end_to_end_fast(path: Path, weights: pa.Table) -> dict[str, Any]:
    from samhandling_nimes import aggregate_stays_to

    return aggregate_stays_to(
        path,
        ["county", "health_trust"],
        harmonise_to=TO_YEAR,
        weights=weights,
        variables=ADDITIVE,
        geography_year=FROM_YEAR,
        unassigned="exclude",
    )


def ours_end_to_end(path: Path, weights: pa.Table | None, year: int = FROM_YEAR) -> dict[str, Any]:
    """The generic path every analyst uses: the long table, ``harmonise`` (if the map changes), then
    ``roll_up``."""
    from samhandling_nimes import aggregate_stays

    import samhandling as sh

    table = aggregate_stays(path, variables=ADDITIVE, geography_year=year)
    if year != TO_YEAR:
        table = sh.harmonise(table, TO_YEAR, weights=weights)
    return {
        "county": sh.roll_up(table, "county"),
        "health_trust": sh.roll_up(table, "health_trust", unassigned="exclude"),
    }


#: The variables counted for each level of care (NPR's omsorgsnivå).
LEVELS = {
    "1": None,
    "2": ("day_treatments", "day_patients"),
    "3": ("outpatient_contacts", "outpatient_patients"),
}
LEVEL_NAMES = {"1": "inpatient stays", "2": "day treatments", "3": "outpatient contacts"}


# -- measuring -------------------------------------------------------------------------------------


def median_times(functions: list[Callable[[], object]], repeat: int) -> list[tuple[float, float]]:
    """Median wall and CPU time (this process, all threads) of each function; they take turns."""
    for function in functions:
        function()  # warm-up: imports, caches, page cache
    walls: list[list[float]] = [[] for _ in functions]
    cpus: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for index, function in enumerate(functions):
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            walls[index].append(time.perf_counter() - start)
            cpus[index].append(time.process_time() - start_cpu)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus)]


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def child_memory(path: Path, what: str) -> None:
    """Run one pipeline in this (fresh) process and print its peak memory above the baseline as JSON."""
    import samhandling_nimes

    import samhandling as sh

    year = FROM_YEAR if path.name == "stays.parquet" else TO_YEAR
    sh.Geography.for_year(year)
    _ = samhandling_nimes.unit_lookup()
    baseline = _status("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    if what == "aggregate":
        ours_long(path, ADDITIVE, year)
    elif what == "aggregate_all":
        ours_long(path, None, year)
    elif what == "aggregate_csv":
        ours_long(path.with_suffix(".csv"), ADDITIVE, year)
    elif what == "raw":
        raw_aggregate(path, COLUMNS_A if path.name == "stays.parquet" else COLUMNS_B)
    print(json.dumps({"peak": _status("VmHWM") - baseline, "reset": reset}))


def peak_memory(path: Path, what: str) -> int | None:
    done = subprocess.run(
        [sys.executable, __file__, "--child", what, "--path", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"  (memory of {what} not measured: {done.stderr.strip().splitlines()[-1:]})")
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return int(result["peak"]) if result["reset"] else None


def _check_same_counts(raw: pa.Table, duck: pa.Table, ours: pa.Table, n: int) -> None:
    """The pipelines count the same stays (and DuckDB and ours the same bed-days)."""
    assert pc.sum(raw.column("length_count")).as_py() == n
    assert pc.sum(ours.column("admissions")).as_py() == n
    assert pc.sum(duck.column("admissions")).as_py() == n
    assert pc.sum(raw.column("acute_sum")).as_py() == pc.sum(ours.column("acute_admissions")).as_py()
    assert pc.sum(duck.column("acute")).as_py() == pc.sum(ours.column("acute_admissions")).as_py()
    assert pc.sum(duck.column("involuntary")).as_py() == pc.sum(ours.column("involuntary_stays")).as_py()
    assert pc.sum(duck.column("bed_days")).as_py() == pc.sum(ours.column("bed_days")).as_py()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 million stays instead of 10 million")
    parser.add_argument("--stays", type=int, default=None, help="number of stays")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per pipeline (median)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--path", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_memory(Path(args.path), args.child)
        return
    n = args.stays or (1_000_000 if args.quick else 10_000_000)
    repeat = args.repeat or (3 if args.quick else 5)
    from samhandling.geography import Geography

    load_before = _load()
    rows: list[tuple[str, str, float, float, str, str]] = []  # group, name, wall, cpu, ratio, memory
    rates: dict[str, float] = {}

    def record(group: str, names: list[str], timings: list[tuple[float, float]], base: int | None) -> None:
        for index, (name, (wall, cpu)) in enumerate(zip(names, timings)):
            ratio = "" if base is None or index == base else f"{timings[base][0] / wall:.2f}"
            rows.append((group, name, wall, cpu, ratio, ""))
            rates[f"{group}: {name}"] = n / wall / 1e6

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path_a, bytes_a = generate(n, folder)
        path_b, bytes_b = generate_b(n, folder)
        csv_b = as_csv(path_b)
        weights = split_weights()
        mapping = code_mapping()
        geography = Geography.for_year(TO_YEAR)
        memberships = {
            "county": geography.membership("county"),
            "health_trust": geography.membership("health_trust"),
        }
        for label, path, names, year in (
            ("A", path_a, COLUMNS_A, FROM_YEAR),
            ("B", path_b, COLUMNS_B, TO_YEAR),
        ):
            _check_same_counts(
                raw_aggregate(path, names), duckdb_aggregate(path, names), ours_wide(path, ADDITIVE, year), n
            )
            pipelines: list[tuple[str, Callable[[], object]]] = [
                ("raw pyarrow (lengths by admission month)", partial(raw_aggregate, path, names)),
                ("DuckDB (identical work)", partial(duckdb_aggregate, path, names)),
                ("aggregate_stays, 4 counts", partial(ours_long, path, ADDITIVE, year)),
                ("aggregate_stays_wide, 4 counts", partial(ours_wide, path, ADDITIVE, year)),
                ("aggregate_stays, all 6 variables", partial(ours_long, path, None, year)),
            ]
            record(label, [p[0] for p in pipelines], median_times([p[1] for p in pipelines], repeat), 1)
        record(
            "B as CSV",
            ["pyarrow read_csv of the file", "aggregate_stays, 4 counts"],
            median_times([lambda: pcsv.read_csv(csv_b), lambda: ours_long(csv_b, ADDITIVE, TO_YEAR)], repeat),
            0,
        )
        record(
            "A end to end",
            ["raw pyarrow", "aggregate_stays_to", "generic: aggregate_stays, harmonise, roll_up x2"],
            median_times(
                [
                    lambda: raw_end_to_end(path_a, mapping, memberships),
                    lambda: ours_end_to_end_fast(path_a, weights),
                    lambda: ours_end_to_end(path_a, weights),
                ],
                repeat,
            ),
            0,
        )
        record(
            "B end to end",
            ["generic: aggregate_stays, roll_up x2"],
            median_times([lambda: ours_end_to_end(path_b, None, TO_YEAR)], repeat),
            None,
        )
        for level, variables in LEVELS.items():
            level_path, _ = generate_b(n, folder, seed=11 + int(level), level=level)
            counts_only = variables[:1] if variables else ADDITIVE
            record(
                f"level {level} ({LEVEL_NAMES[level]})",
                [
                    f"aggregate_stays, {'4 counts' if variables is None else counts_only[0]}",
                    f"aggregate_stays, {'all 6 variables' if variables is None else ' + '.join(variables)}",
                ],
                median_times(
                    [
                        partial(ours_long, level_path, counts_only, TO_YEAR),
                        partial(ours_long, level_path, variables, TO_YEAR),
                    ],
                    repeat,
                ),
                None,
            )
            level_path.unlink()
        memory = {
            ("A", "raw pyarrow (lengths by admission month)"): (peak_memory(path_a, "raw"), bytes_a),
            ("A", "aggregate_stays, 4 counts"): (peak_memory(path_a, "aggregate"), bytes_a),
            ("A", "aggregate_stays, all 6 variables"): (peak_memory(path_a, "aggregate_all"), bytes_a),
            ("B", "aggregate_stays, 4 counts"): (peak_memory(path_b, "aggregate"), bytes_b),
            ("B", "aggregate_stays, all 6 variables"): (peak_memory(path_b, "aggregate_all"), bytes_b),
            ("B as CSV", "aggregate_stays, 4 counts"): (peak_memory(path_b, "aggregate_csv"), bytes_b),
        }
    load_after = _load()
    print(
        f"samhandling-nimes benchmark: {n:,} stays per extract; Arrow size A {bytes_a / 1e6:.0f} MB, "
        f"B {bytes_b / 1e6:.0f} MB"
    )
    print(f"load average (1, 5, 15 min) before: {load_before}; after: {load_after} (2 cores)")
    print(f"medians of {repeat} runs, taking turns; ratio = the group's reference time / this time")
    header = (
        f"{'extract':26} {'pipeline':50} {'wall s':>7} {'cpu s':>7} {'M/s':>6} {'ratio':>6} {'memory':>7}"
    )
    print(header)
    print("-" * len(header))
    for group, name, wall, cpu, ratio, _ in rows:
        peak = memory.get((group, name))
        shown = f"{peak[0] / peak[1]:.2f}x" if peak is not None and peak[0] is not None else ""
        print(f"{group:29} {name:50} {wall:7.3f} {cpu:7.3f} {n / wall / 1e6:6.1f} {ratio:>6} {shown:>7}")
    print()
    if n < 10_000_000:
        print("(targets are for 10 million stays; with fewer, the fixed costs of the key space count more)")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    for label in ("A", "B"):
        rate = rates[f"{label}: aggregate_stays, 4 counts"]
        print(f"target {label}: aggregate_stays >= 25 M stays/s: {rate:.1f} ({verdict(rate >= 25)})")
        rate = rates[f"{label}: aggregate_stays, all 6 variables"]
        used, size = memory[(label, "aggregate_stays, all 6 variables")]
        shown = f", memory {used / size:.2f}x" if used is not None else ""
        ok = rate >= 15 and (used is None or used / size <= 1.5)
        print(
            f"target {label}: all 6 variables >= 15 M stays/s at <= 1.5x memory: {rate:.1f}{shown} ", end=""
        )
        print(f"({verdict(ok)})")
    csv_ratio = rates["B as CSV: pyarrow read_csv of the file"] / rates["B as CSV: aggregate_stays, 4 counts"]
    print(f"target CSV within 1.3x of pyarrow read_csv: {csv_ratio:.2f}x ({verdict(csv_ratio <= 1.3)})")
    for label in (
        "A end to end: generic: aggregate_stays, harmonise, roll_up x2",
        "B end to end: generic: aggregate_stays, roll_up x2",
    ):
        rate = rates[label]
        what = label.split(":")[0]
        print(f"target {what} generic long-table path >= 15 M stays/s: {rate:.1f} ({verdict(rate >= 15)})")


if __name__ == "__main__":
    main()
