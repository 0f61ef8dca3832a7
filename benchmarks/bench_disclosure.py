"""Benchmark: disclosure control of a year of admissions per municipality × unit × month, with margins.

Input (synthetic, deterministic): the 357 municipalities of the 2024 map with log-normal sizes summing to
about 5.5 million inhabitants; 40 units, two of them local to each health trust's catchment and the
rest taken by a few patients from everywhere; Poisson admissions per municipality, unit and month
(about 90,000 a year — most monthly cells are 0, 1 or 2, as in the real NIMES tables).  The table
holds the whole grid (zeros included) with every margin: the year, all units, both, and the roll-ups
to county, health trust, DPS (split municipalities left out, as the roll-up records) and the country:
about 250,000 cells a year, in the order they are built (municipality rows first, then each level).

Measured (medians of wall time, and the process's own CPU time, since the machine is shared):

* ``protect_publication`` on one year: building the cells and their sums, primary suppression, the
  hypercube certificates and writing the statuses back into the tables;
* the same on ten years (ten independent blocks, reported once);
* the raw pyarrow floor: primary suppression alone (a count from 1 to 2 set to ``:``) on the same
  rows with ``pyarrow.compute`` — what a publisher that forgot secondary suppression would spend.

Run: ``python benchmarks/bench_disclosure.py`` (``--quick`` skips ten years, ``--repeat N``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.aggregate import roll_up
from samhandling.disclosure import protect_publication
from samhandling.geography import Geography
from samhandling.tables import StatTable, Variable

ADMISSIONS = Variable(id="admissions", unit="opphold", counts_people=True)
UNITS = 40


def admissions(years: Sequence[int], seed: int = 2024) -> StatTable:
    """Admissions per municipality, unit and month for ``years`` (the whole grid, zeros included)."""
    geography = Geography.for_year(2024)
    rng = np.random.default_rng(seed)
    codes = sorted(m.code for m in geography.municipalities)
    people = np.exp(rng.normal(8.6, 1.2, len(codes)))
    people *= 5_550_000 / people.sum()
    trusts = sorted(t.code for t in geography.health_trusts)
    membership = geography.membership("health_trust")
    trust_of: dict[str, str] = {}
    for region, parent in zip(
        membership["region"].to_pylist(), membership["parent"].to_pylist(), strict=True
    ):
        trust_of.setdefault(region, parent)
    rate = np.full((len(codes), UNITS), 0.4)  # admissions per 10,000 a year to a distant unit
    for i, code in enumerate(codes):
        local = trusts.index(trust_of[code]) * 2 % UNITS
        rate[i, local], rate[i, local + 1] = 95.0, 55.0
    expected = people[:, None, None] * rate[:, :, None] / 10_000 / 12 * np.ones(12)
    columns: dict[str, list[object]] = {"region": [], "year": [], "month": [], "unit": [], "value": []}
    grid = [(code, unit, month) for code in codes for unit in range(UNITS) for month in range(1, 13)]
    for year in years:
        counts = rng.poisson(expected).ravel()
        columns["region"] += [g[0] for g in grid]
        columns["unit"] += [f"U{g[1]:02d}" for g in grid]
        columns["month"] += [g[2] for g in grid]
        columns["year"] += [year] * len(grid)
        columns["value"] += counts.astype(float).tolist()
    n = len(columns["region"])
    return StatTable.from_pydict(
        {**columns, "level": ["municipality"] * n, "variable": ["admissions"] * n},
        geography_year=2024,
        variables=[ADMISSIONS],
    )


def with_margins(base: StatTable) -> list[StatTable]:
    """The table with its year, all-unit and both margins, rolled up to every level."""
    plain = pa.table(
        {
            "region": base.arrow["region"],
            "year": base.arrow["year"],
            "month": base.arrow["month"],
            "unit": base.arrow["unit"].cast(pa.string()),
            "value": base.arrow["value"],
        }
    )
    parts = [base]
    for dropped in (("month",), ("unit",), ("month", "unit")):
        keys = [c for c in plain.column_names if c not in (*dropped, "value")]
        summed = plain.group_by(keys, use_threads=False).aggregate([("value", "sum")])
        summed = summed.rename_columns([*keys, "value"])
        m = summed.num_rows
        data = {k: summed[k] for k in keys}
        data |= {"level": pa.array(["municipality"] * m), "variable": pa.array(["admissions"] * m)}
        data["value"] = summed["value"]
        parts.append(StatTable.from_arrow(pa.table(data), meta=base.meta))
    municipalities = StatTable.concat(parts)
    levels = ("county", "health_trust", "dps", "national")
    return [municipalities, *(roll_up(municipalities, level, unassigned="exclude") for level in levels)]


def primary_only(tables: Sequence[StatTable]) -> list[pa.Table]:
    """The raw pyarrow floor: counts from 1 to 2 get status ':' and no value (no secondary cells)."""
    out = []
    for table in tables:
        value = table.arrow["value"]
        small = pc.and_(pc.greater(value, 0.0), pc.less(value, 3.0))
        arrow = table.arrow.set_column(
            table.arrow.column_names.index("value"),
            "value",
            pc.if_else(small, pa.scalar(None, pa.float64()), value),
        )
        status = pc.if_else(small, pa.scalar(":"), table.arrow["status"].cast(pa.string()))
        out.append(arrow.set_column(arrow.column_names.index("status"), "status", status))
    return out


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of ``repeat`` calls (after one warm-up call)."""
    function()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one year only")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} when starting (shared machine)")
    one_year = with_margins(admissions([2024]))
    cells = sum(t.num_rows for t in one_year)
    result = protect_publication(one_year)
    summary = result.summary
    print(
        f"one year: {cells:,} cells, {summary.primary:,} small counts (primary), "
        f"{summary.secondary:,} secondary cells, {summary.fallbacks} fallback certificate(s)"
    )
    wall, cpu = timed(lambda: protect_publication(one_year), args.repeat)
    floor_wall, floor_cpu = timed(lambda: primary_only(one_year), args.repeat)
    print(f"  protect_publication: {wall:.2f} s wall, {cpu:.2f} s CPU (target: <= 2 s)")
    print(f"  raw pyarrow, primary suppression only: {floor_wall:.3f} s wall, {floor_cpu:.3f} s CPU")
    print(f"  ratio to the floor (CPU): {cpu / max(floor_cpu, 1e-9):.0f}x")
    if not args.quick:
        ten_years = with_margins(admissions(list(range(2015, 2025))))
        start, start_cpu = time.perf_counter(), time.process_time()
        ten = protect_publication(ten_years)
        wall10, cpu10 = time.perf_counter() - start, time.process_time() - start_cpu
        print(
            f"ten years: {sum(t.num_rows for t in ten_years):,} cells, {ten.summary.primary:,} primary, "
            f"{ten.summary.secondary:,} secondary: {wall10:.1f} s wall, {cpu10:.1f} s CPU (one run)"
        )


if __name__ == "__main__":
    main()
