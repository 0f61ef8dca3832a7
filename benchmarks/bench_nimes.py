"""Benchmark of samhandling-nimes: aggregating stay-level extracts, against the raw pyarrow pipeline.

Run by ``nox -s bench`` (or directly: ``python benchmarks/bench_nimes.py [--quick]``).  The input is a
synthetic but realistically shaped extract, sorted by admission date: home municipality as a 4-digit
code over the 422 municipalities of the 2019 map, 40 units, admission dates over ten years, lengths of
stay with a long tail, 2 million patients, acute and TPH flags.  It is written to Parquet (row groups of
one million stays) and read from there by every pipeline, so reading is part of every figure.

Measured in the same run (medians):

* ``raw pyarrow``: read the needed columns with dictionary keys, month as year*12+month, ``group_by``
  count and sums;
  end to end also joining the code-change table (2019 → 2024) and the county and health-trust
  memberships, with further ``group_by`` sums;
* ``samhandling-nimes``: :func:`samhandling_nimes.aggregate_stays_wide` for the four additive counts
  (admissions, bed-days, acute admissions, involuntary stays), for all six variables, and for the four
  counts from the same extract written as CSV (its memory is given against the Arrow size); end to end
  :func:`samhandling_nimes.aggregate_stays_to` (harmonised to 2024 and rolled up to county and health
  trust as weight-matrix products on the aggregate), and for comparison the generic path
  :func:`aggregate_stays` → ``harmonise`` → ``roll_up`` on the long table, which gives the same tables.

Wall time and CPU time (of the whole process, all threads) are both reported: the machine may be shared.

Note the work is not identical: the raw pipeline sums lengths of stay by admission month, ours splits
bed-days over the calendar months they fall in.  Peak memory is measured in a fresh process
(``VmHWM`` after resetting it) and given as a multiple of the Arrow size of the input.

Targets of the performance budget: aggregation ≥ 22 M stays/s, end to end ≥ 10 M stays/s, peak memory
≤ 1.5× input.
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
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
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
    """The same extract as a UTF-8 CSV file (codes and units as text, ISO dates)."""
    import pyarrow.csv as pcsv

    table = pq.read_table(path)
    for name in ("municipality", "unit"):
        table = table.set_column(table.column_names.index(name), name, table.column(name).cast(pa.string()))
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


def raw_aggregate(path: Path) -> pa.Table:
    columns = ["municipality", "unit", "admitted", "discharged", "acute", "involuntary"]
    table = pq.read_table(
        path, columns=columns, read_dictionary=["municipality", "unit"]
    ).unify_dictionaries()
    admitted = table.column("admitted")
    month = pc.add(pc.multiply(pc.year(admitted), 12), pc.month(admitted))
    length = pc.subtract(table.column("discharged").cast(pa.int32()), admitted.cast(pa.int32()))
    work = pa.table(
        {
            "municipality": table.column("municipality"),
            "unit": table.column("unit"),
            "month": month,
            "length": length,
            "acute": table.column("acute").cast(pa.int32()),
            "involuntary": table.column("involuntary").cast(pa.int32()),
        }
    )
    return work.group_by(["municipality", "unit", "month"]).aggregate(
        [("length", "count"), ("length", "sum"), ("acute", "sum"), ("involuntary", "sum")]
    )


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


def ours_aggregate(path: Path, variables: tuple[str, ...] | None) -> pa.Table:
    from samhandling_nimes import aggregate_stays_wide

    return aggregate_stays_wide(path, variables=variables, geography_year=FROM_YEAR).wide


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


def ours_end_to_end(path: Path, weights: pa.Table) -> dict[str, Any]:
    from samhandling_nimes import aggregate_stays

    import samhandling as sh

    table = aggregate_stays(path, variables=ADDITIVE, geography_year=FROM_YEAR)
    harmonised = sh.harmonise(table, TO_YEAR, weights=weights)
    return {
        "county": sh.roll_up(harmonised, "county"),
        "health_trust": sh.roll_up(harmonised, "health_trust", unassigned="exclude"),
    }


# -- measuring -------------------------------------------------------------------------------------


def median_time(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (all threads) over ``repeat`` runs."""
    function()  # warm-up: imports, caches, page cache
    times = []
    cpu = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu)


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def child_memory(path: Path, what: str) -> None:
    """Run one pipeline in this (fresh) process and print its peak memory above the baseline as JSON."""
    import samhandling_nimes

    import samhandling as sh

    weights = split_weights() if what == "end_to_end" else None
    sh.Geography.for_year(TO_YEAR)
    _ = samhandling_nimes.unit_lookup()
    baseline = _status("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    if what == "aggregate":
        ours_aggregate(path, ADDITIVE)
    elif what == "aggregate_all":
        ours_aggregate(path, None)
    elif what == "aggregate_csv":
        ours_aggregate(path.with_suffix(".csv"), ADDITIVE)
    elif what == "raw":
        raw_aggregate(path)
    elif what == "end_to_end_generic":
        assert weights is not None
        ours_end_to_end(path, weights)
    else:
        assert weights is not None
        ours_end_to_end_fast(path, weights)
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

    with tempfile.TemporaryDirectory() as tmp:
        path, input_bytes = generate(n, Path(tmp))
        csv_path = as_csv(path)
        weights = split_weights()
        mapping = code_mapping()
        geography = Geography.for_year(TO_YEAR)
        memberships = {
            "county": geography.membership("county"),
            "health_trust": geography.membership("health_trust"),
        }
        # the two pipelines count the same stays
        raw = raw_aggregate(path)
        ours = ours_aggregate(path, ADDITIVE)
        assert pc.sum(raw.column("length_count")).as_py() == pc.sum(ours.column("admissions")).as_py() == n
        assert pc.sum(raw.column("acute_sum")).as_py() == pc.sum(ours.column("acute_admissions")).as_py()
        assert pc.sum(raw.column("length_sum")).as_py() == pc.sum(ours.column("bed_days")).as_py()

        results = {
            "aggregate: raw pyarrow": median_time(lambda: raw_aggregate(path), repeat),
            "aggregate: samhandling-nimes, 4 counts": median_time(
                lambda: ours_aggregate(path, ADDITIVE), repeat
            ),
            "aggregate: samhandling-nimes, all 6 variables": median_time(
                lambda: ours_aggregate(path, None), repeat
            ),
            "aggregate: samhandling-nimes, 4 counts, from CSV": median_time(
                lambda: ours_aggregate(csv_path, ADDITIVE), repeat
            ),
            "end to end: raw pyarrow": median_time(
                lambda: raw_end_to_end(path, mapping, memberships), repeat
            ),
            "end to end: samhandling-nimes": median_time(lambda: ours_end_to_end_fast(path, weights), repeat),
            "end to end: generic (long table, harmonise, roll_up)": median_time(
                lambda: ours_end_to_end(path, weights), repeat
            ),
        }
        memory = {
            "aggregate: raw pyarrow": peak_memory(path, "raw"),
            "aggregate: samhandling-nimes, 4 counts": peak_memory(path, "aggregate"),
            "aggregate: samhandling-nimes, all 6 variables": peak_memory(path, "aggregate_all"),
            "aggregate: samhandling-nimes, 4 counts, from CSV": peak_memory(path, "aggregate_csv"),
            "end to end: samhandling-nimes": peak_memory(path, "end_to_end"),
        }
    print(
        f"samhandling-nimes benchmark: {n:,} date-sorted stays from Parquet, "
        f"Arrow size {input_bytes / 1e6:.0f} MB"
    )
    print(f"medians of {repeat} runs; ratio = raw pyarrow time / our time (above 1: faster than raw)")
    header = f"{'pipeline':52} {'median s':>9} {'cpu s':>7} {'M stays/s':>10} {'ratio':>6} {'peak mem':>9}"
    print(header)
    print("-" * len(header))
    for name, (seconds, cpu) in results.items():
        raw_name = "aggregate: raw pyarrow" if name.startswith("aggregate") else "end to end: raw pyarrow"
        # the raw pipeline reads Parquet: no ratio for reading CSV
        ratio_text = "-" if "CSV" in name else f"{results[raw_name][0] / seconds:6.2f}"
        peak = memory.get(name)
        shown = f"{peak / input_bytes:.2f}x" if peak is not None else "-"
        print(f"{name:52} {seconds:9.3f} {cpu:7.3f} {n / seconds / 1e6:10.1f} {ratio_text:>6} {shown:>9}")
    aggregate_rate = n / results["aggregate: samhandling-nimes, 4 counts"][0] / 1e6
    end_rate = n / results["end to end: samhandling-nimes"][0] / 1e6
    peak = memory["aggregate: samhandling-nimes, 4 counts"]
    print()
    if n < 10_000_000:
        print("(targets are for 10 million stays; with fewer, the fixed costs of the key space count more)")
    print(
        f"target aggregate >= 22 M stays/s: {aggregate_rate:.1f} "
        f"({'met' if aggregate_rate >= 22 else 'NOT met'})"
    )
    print(f"target end to end >= 10 M stays/s: {end_rate:.1f} ({'met' if end_rate >= 10 else 'NOT met'})")
    if peak is not None:
        ratio = peak / input_bytes
        print(f"target peak memory <= 1.5x input: {ratio:.2f}x ({'met' if ratio <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
