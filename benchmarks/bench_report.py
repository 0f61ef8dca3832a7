"""Benchmark: the yearly report on the demo data, against a raw pyarrow pipeline in the same run.

Input: the deterministic demo data (``samhandling.report.demo``) on the 2024 map — 357 municipalities
and 34 city districts, six years (``--quick``: two), FTEs by profession and target group, population
by age band — in the order the demo draws it (by region, then year).

Measured (medians):

* the demo inputs themselves (``demo_inputs``);
* FTEs per 10,000 inhabitants of the target group at national, county, health-trust and DPS level:
  the report's ``fte_rates`` (``roll_up`` + ``per_10000`` from the library, with status symbols,
  split areas and metadata) against a raw pyarrow pipeline doing the same arithmetic on the same
  rows — join with the membership table of each level, weight, ``group_by`` sum, join the population
  summed over the target group's ages, divide (no statuses, no metadata, no checks);
* the whole report (``build_report`` with Parquet data files), which is dominated by drawing the
  charts — reported as an absolute time, since pyarrow has nothing to compare it with.

Run: ``python benchmarks/bench_report.py`` (``--quick`` for two years, ``--repeat N``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from samhandling.geography import Geography
from samhandling.levels import Level
from samhandling.plugins import get_plugin_manager
from samhandling.report.build import build_report
from samhandling.report.demo import demo_inputs
from samhandling.report.inputs import ReportInputs
from samhandling.report.sections import ReportContext, fte_by_target_group, fte_rates
from samhandling.report.tabular import plain

LEVELS = (Level.NATIONAL, Level.COUNTY, Level.HEALTH_TRUST, Level.DPS)
AGES = {"adults": ["18-66", "67+"], "children_young": ["0-17"]}


def median_time(function: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_pyarrow(fte: pa.Table, population: pa.Table, memberships: dict[Level, pa.Table]) -> list[pa.Table]:
    """FTEs per 10,000 per level with plain pyarrow: what the library does, minus statuses and metadata."""
    results = []
    for level, membership in memberships.items():
        weighted_fte = fte.join(membership, "region", use_threads=False)
        weighted_fte = weighted_fte.set_column(
            weighted_fte.column_names.index("value"),
            "value",
            pc.multiply(weighted_fte["value"], weighted_fte["weight"]),
        )
        counts = weighted_fte.group_by(["parent", "year", "target_group"]).aggregate([("value", "sum")])
        for group, ages in AGES.items():
            people = population.filter(pc.is_in(population["age"], pa.array(ages)))
            people = people.join(membership, "region", use_threads=False)
            people = people.set_column(
                people.column_names.index("value"), "value", pc.multiply(people["value"], people["weight"])
            )
            totals = people.group_by(["parent", "year"]).aggregate([("value", "sum")])
            totals = totals.rename_columns(["parent", "year", "population"])
            rows = counts.filter(pc.equal(counts["target_group"], group)).join(totals, ["parent", "year"])
            rate = pc.multiply(pc.divide(rows["value_sum"], rows["population"]), 10_000.0)
            results.append(
                rows.append_column("rate", rate).append_column("level", pa.array([level.value] * len(rows)))
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two years instead of six")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    span = 2 if args.quick else 6
    geography = Geography.for_year(2024)
    plugins = get_plugin_manager(autoload=False)

    inputs_time = median_time(
        lambda: demo_inputs(2024, span=span, geography=geography), max(1, args.repeat // 2)
    )
    inputs = demo_inputs(2024, span=span, geography=geography)
    assert inputs.survey is not None
    assert inputs.population is not None
    fte = fte_by_target_group(inputs.survey)
    print(
        f"input: demo 2024, {span} years; fte rows {fte.num_rows}, "
        f"population rows {inputs.population.num_rows}"
    )

    def library() -> None:
        context = ReportContext(inputs=inputs, geography=geography, plugin_manager=plugins)
        for level in LEVELS:
            fte_rates(context, fte, level)

    # The raw pipeline gets the membership tables for free (built outside the timing) and only the
    # municipality rows (it has no answer for split cities; the library places their districts).
    memberships = {level: geography.membership(level) for level in LEVELS}
    fte_plain = plain(fte).filter(pc.equal(plain(fte)["level"], "municipality"))
    population_plain = plain(inputs.population).filter(
        pc.equal(plain(inputs.population)["level"], "municipality")
    )

    def raw() -> None:
        raw_pyarrow(fte_plain, population_plain, memberships)

    library_time = median_time(library, args.repeat)
    raw_time = median_time(raw, args.repeat)

    with tempfile.TemporaryDirectory() as folder:

        def whole() -> None:
            build_report(
                ReportInputs(
                    year=2024,
                    survey=inputs.survey,
                    population=inputs.population,
                    admissions=inputs.admissions,
                    register=inputs.register,
                    synthetic=True,
                ),
                Path(folder) / "report",
                formats=("parquet",),
                geography=geography,
                plugin_manager=plugins,
            )

        whole_time = median_time(whole, max(1, args.repeat // 2))

    print(f"{'demo_inputs':<44} {inputs_time:8.3f} s")
    print(
        f"{'FTE per 10,000, 4 levels: library':<44} {library_time:8.3f} s  "
        f"({library_time / raw_time:5.2f}× raw)"
    )
    print(f"{'FTE per 10,000, 4 levels: raw pyarrow':<44} {raw_time:8.3f} s")
    print(f"{'whole report (HTML + Parquet)':<44} {whole_time:8.3f} s")


if __name__ == "__main__":
    main()
