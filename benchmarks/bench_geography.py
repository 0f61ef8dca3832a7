"""Benchmark: harmonise + roll up to county and health trust + rates per 10,000, from aggregated rows.

Input: admissions-style aggregates on the 2019 map (422 municipality codes × 12 months × 43 units × 6
variables ≈ 1.3 M rows, ~2 % suppressed), harmonised to the 2024 map (357 codes: mergers, renumbering,
the pure division of Ålesund shared by population and the 2020 divisions of Tysfjord and Snillfjord by
explicit weights), rolled up to county and to health trust (Oslo shared by explicit weights) and divided by
a population per 10,000.  The population is synthetic (no real figures).

The reference is the raw pyarrow pipeline on the same input: hash joins on ready-made old → new and
area → parent tables, multiply, ``group_by`` sums, and a join with the population — the kernels alone,
without checks, statuses, ratio recomputation or metadata.  Both are measured in the same run; the
script prints medians and the ratio.

Run: ``python benchmarks/bench_geography.py`` (``--quick`` for a small input, ``--repeat N``).
"""

from __future__ import annotations

import argparse
import statistics
import time
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.aggregate import per_10000, roll_up
from samhandling.geography import Geography, compose, harmonise, step_table
from samhandling.tables import StatTable, Variable

VARIABLES = ["admissions", "bed_days", "acute_admissions", "involuntary_stays", "readmissions_30d", "stays"]
SOURCE_YEAR, TARGET_YEAR = 2019, 2024


def _population(years: list[int]) -> StatTable:
    regions: list[str] = []
    out_years: list[int] = []
    values: list[float] = []
    for year in years:
        for code in sorted(Geography.for_year(year).codes("municipality")):
            regions.append(code)
            out_years.append(year)
            values.append(float(2000 + zlib.crc32(code.encode()) % 60000))
    return StatTable.from_pydict(
        {
            "region": regions,
            "level": ["municipality"] * len(regions),
            "year": out_years,
            "age": ["total"] * len(regions),
            "variable": ["population"] * len(regions),
            "value": values,
        },
        variables=[Variable(id="population", unit="innbygger")],
    )


def _explicit_weights() -> pa.Table:
    years: list[int] = []
    olds: list[str] = []
    news: list[str] = []
    weights: list[float] = []
    for year in range(SOURCE_YEAR + 1, TARGET_YEAR + 1):
        targets: dict[str, list[str]] = {}
        for pair in step_table("municipality", year):
            targets.setdefault(pair.old, []).append(pair.new)
        for old, new in targets.items():
            if len(new) > 1 and old != "1507":  # Ålesund goes by population
                for code in new:
                    years.append(year)
                    olds.append(old)
                    news.append(code)
                    weights.append(1.0 / len(new))
    return pa.table({"year": years, "old": olds, "new": news, "weight": weights})


def _oslo_weights() -> pa.Table:
    parents = Geography.for_year(TARGET_YEAR).parents("0301", "health_trust")
    return pa.table(
        {
            "region": ["0301"] * len(parents),
            "parent": list(parents),
            "weight": [1.0 / len(parents)] * len(parents),
        }
    )


def _input(units: int) -> StatTable:
    codes = sorted(Geography.for_year(SOURCE_YEAR).codes("municipality"))
    rng = np.random.default_rng(42)
    n = len(codes) * 12 * units * len(VARIABLES)
    region = np.repeat(np.arange(len(codes)), 12 * units * len(VARIABLES))
    month = np.tile(np.repeat(np.arange(1, 13), units * len(VARIABLES)), len(codes))
    unit = np.tile(np.repeat(np.arange(units), len(VARIABLES)), len(codes) * 12)
    variable = np.tile(np.arange(len(VARIABLES)), len(codes) * 12 * units)
    value = rng.poisson(6.0, n).astype(np.float64)
    suppressed = rng.random(n) < 0.02
    status = pa.DictionaryArray.from_arrays(
        pa.array(np.where(suppressed, 0, -1), pa.int8(), mask=~suppressed), pa.array([":"])
    )
    table = pa.table(
        {
            "region": pc.take(pa.array(codes), pa.array(region)),
            "level": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(n, np.int8)), pa.array(["municipality"])
            ),
            "year": pa.array(np.full(n, SOURCE_YEAR, np.int16)),
            "month": pa.array(month.astype(np.int8)),
            "unit": pa.DictionaryArray.from_arrays(
                pa.array(unit.astype(np.int32)), pa.array([f"unit-{i:02d}" for i in range(units)])
            ),
            "variable": pa.DictionaryArray.from_arrays(
                pa.array(variable.astype(np.int32)), pa.array(VARIABLES)
            ),
            "value": pa.array(value, mask=suppressed),
            "status": status,
        }
    )
    return StatTable.from_arrow(
        table,
        variables=[Variable(id=v, unit="opphold") for v in VARIABLES],
        geography_year=SOURCE_YEAR,
        source="bench",
    )


def _ours(
    table: StatTable, population: StatTable, rate_population: StatTable, explicit: pa.Table, oslo: pa.Table
) -> list[StatTable]:
    harmonised = harmonise(table, TARGET_YEAR, weights=explicit, population=population)
    county = roll_up(harmonised, "county")
    trust = roll_up(harmonised, "health_trust", weights=oslo)
    return [per_10000(county, rate_population), per_10000(trust, rate_population)]


def _raw_inputs(population: StatTable, rate_population: StatTable, oslo: pa.Table) -> dict[str, pa.Table]:
    """The ready-made tables the raw pipeline joins on (prepared outside the timing)."""
    pop = population.arrow
    pop_2024 = {r["region"]: r["value"] for r in pop.filter(pc.equal(pop["year"], TARGET_YEAR)).to_pylist()}

    def resolve(split: Any) -> list[float]:
        if split.old == "1507":
            sizes = [pop_2024[c] for c in split.new]
            return [s / sum(sizes) for s in sizes]
        return [1.0 / len(split.new)] * len(split.new)

    mapping = compose("municipality", SOURCE_YEAR, TARGET_YEAR, resolve)
    old = [o for o, pairs in mapping.items() for _ in pairs]
    new = [n for pairs in mapping.values() for n, _ in pairs]
    weight = [w for pairs in mapping.values() for _, w in pairs]
    geo = Geography.for_year(TARGET_YEAR)
    county = geo.membership("county")
    trust = geo.membership("health_trust")
    trust = pa.concat_tables(
        [trust.filter(pc.is_valid(trust["weight"])), oslo.select(["region", "parent", "weight"])]
    )
    rate_pop = rate_population.arrow.select(["region", "value"])
    pop_county = (
        rate_pop.join(county, "region")
        .group_by("parent")
        .aggregate([("value", "sum")])
        .rename_columns(["parent", "pop"])
    )
    pop_trust = (
        rate_pop.join(trust.filter(pc.equal(trust["weight"], 1.0)), "region")
        .group_by("parent")
        .aggregate([("value", "sum")])
        .rename_columns(["parent", "pop"])
    )
    return {
        "mapping": pa.table({"region": old, "new": new, "w": weight}),
        "county": county.rename_columns(["new", "parent", "pw"]),
        "trust": trust.rename_columns(["new", "parent", "pw"]),
        "pop_county": pop_county,
        "pop_trust": pop_trust,
    }


def _raw(table: pa.Table, ready: dict[str, pa.Table]) -> list[pa.Table]:
    keys = ["year", "month", "unit", "variable"]
    data = table.select(["region", *keys, "value"])
    joined = data.join(ready["mapping"], "region", use_threads=False)
    joined = joined.append_column("v", pc.multiply(joined["value"], joined["w"]))
    harmonised = joined.group_by(["new", *keys], use_threads=False).aggregate([("v", "sum")])
    out = []
    for level in ("county", "trust"):
        up = harmonised.join(ready[level], "new", use_threads=False)
        up = up.append_column("x", pc.multiply(up["v_sum"], up["pw"]))
        rolled = up.group_by(["parent", *keys], use_threads=False).aggregate([("x", "sum")])
        rated = rolled.join(ready[f"pop_{level}"], "parent", use_threads=False)
        out.append(rated.append_column("rate", pc.multiply(pc.divide(rated["x_sum"], rated["pop"]), 10000.0)))
    return out


def _medians(
    first: Callable[[], Any], second: Callable[[], Any], repeat: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Wall-clock and CPU medians of the two, run alternately so that a change in load hits both alike.

    Both pipelines run single-threaded, so on a shared machine the CPU time is the fairer measure of
    the work done; the wall-clock time is what a user waits.
    """
    wall: tuple[list[float], list[float]] = ([], [])
    cpu: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for index, function in enumerate((first, second)):
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            wall[index].append(time.perf_counter() - start)
            cpu[index].append(time.process_time() - start_cpu)
    return (
        (statistics.median(wall[0]), statistics.median(cpu[0])),
        (statistics.median(wall[1]), statistics.median(cpu[1])),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small input (4 units instead of 43)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median reported)")
    args = parser.parse_args()
    units = 4 if args.quick else 43
    table = _input(units)
    population = _population([SOURCE_YEAR, TARGET_YEAR])
    explicit, oslo = _explicit_weights(), _oslo_weights()
    # the 2019 population on the 2024 map: the denominator of the rates (prepared once, like the raw side)
    rate_population = harmonise(
        population.where(year=SOURCE_YEAR), TARGET_YEAR, weights=explicit, population=population
    )
    ready = _raw_inputs(population, rate_population, oslo)
    raw_input = table.arrow
    _ours(table, population, rate_population, explicit, oslo)  # warm the caches of the maps
    (ours, ours_cpu), (raw, raw_cpu) = _medians(
        lambda: _ours(table, population, rate_population, explicit, oslo),
        lambda: _raw(raw_input, ready),
        args.repeat,
    )
    print(
        f"input: {table.num_rows:,} rows (municipality x month x unit x variable), "
        f"map {SOURCE_YEAR} → {TARGET_YEAR}, rows in region order"
    )
    print(
        "samhandling harmonise + roll_up(county, health_trust) + per_10000: "
        f"median {ours:.3f} s wall, {ours_cpu:.3f} s CPU"
    )
    print(
        "raw pyarrow kernels (joins + group_by, no checks):               "
        f"median {raw:.3f} s wall, {raw_cpu:.3f} s CPU"
    )
    print(
        f"ratio: {ours / raw:.2f}x wall, {ours_cpu / raw_cpu:.2f}x CPU   "
        "(targets: ≤ 0.55 s and ≤ 1.3x on the full input)"
    )


if __name__ == "__main__":
    main()
