"""Benchmark: the yearly report on the demo data, and its FTE roll-ups against a raw pyarrow pipeline.

Target: ``samhandling report --demo`` takes at most 5 s warm (the Python files already compiled, the
second run of the command) on the reference machine (2 cores), however much the report grows.

Input: the demo inputs (``samhandling.report.demo``) for 2021 on the 2021 map — SSB's population of 356
municipalities and 42 city districts, 2017–2021, and synthetic FTEs by profession, service kind and target
group, users, admissions, agreements, two teams and their outcomes — in the order the demo draws them (by
region, then year).

Measured (medians; wall clock *and* processor time, because on a shared machine the clock also counts
time spent waiting for the processor):

* ``report --demo`` as a user runs it: the command in a fresh process, after one warm-up run;
* the whole build in a running interpreter (``build_demo_report`` with the default formats: Parquet, CSV
  and xlsx when openpyxl is installed), and the same with Parquet only (the rest is the spreadsheets);
* the demo inputs themselves (``demo_inputs``);
* FTEs per 10,000 inhabitants of the target group at national, health-region, county, health-trust and
  DPS level: the report's ``fte_rates`` (``roll_up`` + ``per_10000`` with status symbols, coverage, split
  areas and metadata) against a raw pyarrow pipeline doing the same arithmetic on the same rows — join
  with the membership table of each level, weight, ``group_by`` sum, join the population summed over the
  target group's ages, divide (no statuses, no coverage, no metadata, no checks).

Run: ``python benchmarks/bench_report.py`` (``--repeat N``; ``--no-command`` skips the subprocess runs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from samhandling.geography import Geography
from samhandling.levels import Level
from samhandling.plugins import get_plugin_manager
from samhandling.report.build import build_demo_report
from samhandling.report.context import ReportContext
from samhandling.report.demo import DEFAULT_YEAR, demo_inputs
from samhandling.report.sections.fte import fte_rates
from samhandling.report.survey import fte_by_target_group
from samhandling.report.tabular import plain

LEVELS = (Level.NATIONAL, Level.HEALTH_REGION, Level.COUNTY, Level.HEALTH_TRUST, Level.DPS)
AGES = {"adults": ["18-66", "67+"], "children_young": ["0-17"]}
TARGET_SECONDS = 5.0


def median_times(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and processor time of ``repeat`` calls (after one warm-up call)."""
    function()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def command_times(repeat: int) -> tuple[float, float]:
    """Median wall and processor time (user + system, of the child) of ``samhandling report --demo``."""
    env = dict(os.environ)
    env["SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # warm: the compiled files are kept and reused
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "samhandling", "report", "--demo", "--out", "report", "--quiet"]
        for run in range(repeat + 1):
            before = os.times()
            wall = time.perf_counter()
            subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
            elapsed = time.perf_counter() - wall
            after = os.times()
            if run:  # the first run compiles and warms the caches
                walls.append(elapsed)
                cpus.append(
                    (after.children_user - before.children_user)
                    + (after.children_system - before.children_system)
                )
    return statistics.median(walls), statistics.median(cpus)


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
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-command", action="store_true", help="skip the runs of the command itself")
    args = parser.parse_args()
    geography = Geography.for_year(DEFAULT_YEAR)
    plugins = get_plugin_manager(autoload=False)
    print(f"{'measured (median)':<46} {'wall':>8} {'processor':>10}")

    def show(name: str, times: tuple[float, float], extra: str = "") -> None:
        print(f"{name:<46} {times[0]:7.3f}s {times[1]:9.3f}s  {extra}")

    if not args.no_command:
        times = command_times(max(1, args.repeat // 2))
        verdict = "within" if times[0] <= TARGET_SECONDS else "OVER"
        show("report --demo (command, warm)", times, f"{verdict} the {TARGET_SECONDS:.0f} s target")
    with tempfile.TemporaryDirectory() as folder:
        show(
            "build_demo_report, default formats",
            median_times(lambda: build_demo_report(Path(folder) / "a", plugin_manager=plugins), args.repeat),
        )
        show(
            "build_demo_report, Parquet only",
            median_times(
                lambda: build_demo_report(Path(folder) / "b", formats=("parquet",), plugin_manager=plugins),
                args.repeat,
            ),
        )
    show("demo_inputs", median_times(lambda: demo_inputs(DEFAULT_YEAR, geography=geography), args.repeat))
    inputs = demo_inputs(DEFAULT_YEAR, geography=geography)
    assert inputs.survey is not None
    assert inputs.population is not None
    fte = fte_by_target_group(inputs.survey)

    def library() -> None:
        context = ReportContext(inputs=inputs, geography=geography, plugin_manager=plugins)
        for level in LEVELS:
            fte_rates(context, context.roll_up(fte, level), level)

    # The raw pipeline gets the membership tables for free (built outside the timing) and only the
    # municipality rows (it has no answer for split cities; the library places their districts).
    memberships = {level: geography.membership(level) for level in LEVELS}
    fte_plain = plain(fte).filter(pc.equal(plain(fte)["level"], "municipality"))
    population_plain = plain(inputs.population).filter(
        pc.equal(plain(inputs.population)["level"], "municipality")
    )
    library_times = median_times(library, args.repeat)
    raw_times = median_times(lambda: raw_pyarrow(fte_plain, population_plain, memberships), args.repeat)
    show("FTE per 10,000, 5 levels: library", library_times, f"{library_times[1] / raw_times[1]:5.2f}× raw")
    show("FTE per 10,000, 5 levels: raw pyarrow", raw_times)
    print(
        f"input: demo {DEFAULT_YEAR}, fte rows {fte.num_rows}, population rows {inputs.population.num_rows}"
    )


if __name__ == "__main__":
    main()
