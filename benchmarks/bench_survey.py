"""Benchmark of the quality checks and the survey reader.

Run by ``nox -s bench`` (or directly: ``python benchmarks/bench_survey.py [--quick] [--repeat N]``).

**Checks.**  A synthetic survey-shaped series on the 2024 map: every municipality (357) × ten years ×
the survey's rows (11 professions and their total, two target groups, six yes/no answers, three user
counts), 0.3 % of the values changed to be caught (negatives, a total off its parts, jumps), three
municipalities missing from a year and one entered twice; and a clean 1-million-row table shaped like
admissions per municipality, unit and month over seven years (``--quick``: three years of the survey
and a tenth of the monthly rows).  Measured in the same run (medians):

* ``raw pyarrow``: the kernels the four heaviest rules rest on, without messages or options: a
  ``group_by`` count over the full key (duplicates), a ``group_by`` sum of the parts joined to the
  totals (sum of parts), a self-join on the key shifted by one year (year on year) and a filter of
  negative values;
* ``run_checks``: every built-in rule (also invalid codes, missing regions, impossible values and rate
  bands), with their findings built.

Target: ``run_checks`` within 1.5 × the raw kernels although it runs eight rules and explains every
finding: pairing a value with the year before and finding repeated keys sort one integer per row (the
key columns' dictionary codes in mixed radix) instead of hash-joining the string columns.

**Reader.**  A national-size survey workbook (357 municipalities, the 2023 layout with merged header
rows) read with :func:`samhandling_survey.read_survey`, against ``openpyxl.load_workbook`` and reading
the cells alone.  Target: within 1.5 × openpyxl (the parsing is Arrow compute; openpyxl dominates).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.checks import CheckContext, run_checks
from samhandling.geography import Geography
from samhandling.plugins import get_plugin_manager
from samhandling.tables import StatTable, Variable

PROFESSIONS = [
    "nurse_specialised",
    "nurse_other",
    "social_worker",
    "child_welfare_officer",
    "social_educator",
    "occupational_therapist",
    "psychologist",
    "physician",
    "experience_consultant",
    "other_higher_education",
    "no_higher_education",
]
YES_NO = ["ohd", "voluntary", "ip", "coordinator", "responsibility", "low_threshold"]


def _median(function: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def survey_series(years: int, seed: int = 0) -> StatTable:
    """The synthetic survey-shaped series (see the module docstring)."""
    rng = np.random.default_rng(seed)
    codes = sorted(Geography.for_year(2024).codes("municipality"))
    base = {code: np.round(rng.gamma(2.0, 1.5, len(PROFESSIONS)), 1) for code in codes}
    users = {code: (int(rng.integers(20, 900)), int(rng.integers(5, 300))) for code in codes}
    answers = {code: rng.random(len(YES_NO)) < 0.8 for code in codes}
    region, year, profession, target, variable, value = [], [], [], [], [], []
    for step, y in enumerate(range(2024 - years + 1, 2025)):
        for code in codes:
            parts = np.round(base[code] * (1.03**step) * rng.uniform(0.95, 1.05, len(PROFESSIONS)), 1)
            rows: list[tuple[str | None, str | None, str, float]] = [
                (p, "total", "fte", float(v)) for p, v in zip(PROFESSIONS, parts, strict=True)
            ]
            total = round(float(parts.sum()), 1)
            children = round(total * 0.25, 1)
            rows += [
                ("total", "total", "fte", total),
                ("total", "adults", "fte", round(total - children, 1)),
                ("total", "children_young", "fte", children),
            ]
            rows += [(None, None, name, float(yes)) for name, yes in zip(YES_NO, answers[code], strict=True)]
            adults, young = (int(u * 1.02**step) for u in users[code])
            rows += [
                (None, "adults", "users", float(adults)),
                (None, "children_young", "users", float(young)),
                (None, "total", "users", float(adults + young)),
            ]
            for p, t, v, x in rows:
                region.append(code)
                year.append(y)
                profession.append(p)
                target.append(t)
                variable.append(v)
                value.append(x)
    values = np.asarray(value, dtype="float64")
    changed = rng.random(len(values)) < 0.003
    values[changed] *= rng.choice([-1.0, 3.0, 10.0], int(changed.sum()))
    keep = ~((np.asarray(year) == 2024) & np.isin(np.asarray(region), codes[:3]))
    table = pa.table(
        {
            "region": pa.array(region, pa.string()),
            "level": pa.array(["municipality"] * len(region)),
            "year": pa.array(year, pa.int16()),
            "profession": pa.array(profession, pa.string()),
            "target_group": pa.array(target, pa.string()),
            "variable": pa.array(variable, pa.string()),
            "value": pa.array(values),
        }
    ).filter(pa.array(keep))
    table = pa.concat_tables([table, table.slice(0, 27)])  # one municipality-year entered twice
    return StatTable.from_arrow(
        table,
        geography_year=2024,
        variables=[
            Variable(id="fte", unit="årsverk"),
            Variable(id="users", unit="bruker"),
            *[Variable(id=name, unit="dimensionless") for name in YES_NO],
        ],
    )


def monthly_table(rows: int, seed: int = 1) -> StatTable:
    """Admissions-shaped counts per municipality, unit and month (clean: no findings expected)."""
    rng = np.random.default_rng(seed)
    codes = np.asarray(sorted(Geography.for_year(2024).codes("municipality")))
    units = np.asarray([f"unit-{i:02d}" for i in range(40)])
    per_month = len(codes) * len(units)
    months = max(1, rows // per_month)
    index = np.arange(per_month * months)
    period = index // per_month
    level = np.round(rng.gamma(4.0, 4.0, per_month)) + 20  # each municipality and unit keeps its size
    value = np.round(level[index % per_month] * rng.uniform(0.85, 1.15, len(index)))
    return StatTable.from_arrow(
        pa.table(
            {
                "region": pa.array(codes[index % len(codes)]),
                "level": pa.array(np.full(len(index), "municipality")),
                "year": pa.array((2024 - period // 12).astype(np.int16)),
                "month": pa.array((period % 12 + 1).astype(np.int8)),
                "unit": pa.array(units[index // len(codes) % len(units)]),
                "variable": pa.array(np.full(len(index), "admissions")),
                "value": pa.array(value),
            }
        ),
        geography_year=2024,
        variables=[Variable(id="admissions", unit="opphold")],
    )


def raw_kernels(table: StatTable) -> int:
    """The kernels of duplicates, sum of parts, year on year and negatives, in plain pyarrow."""
    arrow = table.arrow
    dims = list(table.dimensions)
    plain = pa.table(
        {
            name: (
                pc.fill_null(arrow.column(name).cast(pa.string()), "") if name in dims else arrow.column(name)
            )
            for name in [
                "region",
                "year",
                *(["month"] if table.has_month else []),
                *dims,
                "variable",
                "value",
            ]
        }
    )
    plain = plain.set_column(
        plain.column_names.index("variable"), "variable", plain.column("variable").cast(pa.string())
    )
    keys = [c for c in plain.column_names if c != "value"]
    found: int = plain.group_by(keys).aggregate([([], "count_all")]).num_rows
    for dimension in dims:
        is_total = pc.equal(plain.column(dimension), "total")
        parts_keys = [k for k in keys if k != dimension]
        sums = plain.filter(pc.invert(is_total)).group_by(parts_keys).aggregate([("value", "sum")])
        joined = plain.filter(is_total).join(sums, parts_keys)
        found += joined.filter(
            pc.greater(pc.abs(pc.subtract(joined["value"], joined["value_sum"])), 0.5)
        ).num_rows
    if len(table.years()) > 1:
        shifted = plain.set_column(
            plain.column_names.index("year"),
            "year",
            pc.add(plain.column("year").cast(pa.int32()), 1).cast(pa.int16()),
        ).rename_columns([*keys, "previous"])
        pairs = plain.join(shifted, keys)
        found += pairs.filter(pc.greater(pc.abs(pc.subtract(pairs["value"], pairs["previous"])), 1)).num_rows
    found += plain.filter(pc.less(plain.column("value"), 0)).num_rows
    return found


def bench_checks(repeat: int, quick: bool) -> None:
    pm = get_plugin_manager(autoload=False)
    context = CheckContext()
    for label, table in (
        (f"survey series, {3 if quick else 10} years", survey_series(3 if quick else 10)),
        ("monthly counts", monthly_table(100_000 if quick else 1_000_000)),
    ):
        run_checks(table, context=context, plugin_manager=pm)  # warm the geography caches
        findings = len(run_checks(table, context=context, plugin_manager=pm))
        raw = _median(functools.partial(raw_kernels, table), repeat)
        ours = _median(functools.partial(run_checks, table, context=context, plugin_manager=pm), repeat)
        print(
            f"checks  {label:26} {table.num_rows:>9,} rows  raw pyarrow {raw:6.3f} s  "
            f"run_checks {ours:6.3f} s  ratio {ours / raw:4.2f}  ({findings} findings)"
        )


def _write_workbook(path: Path) -> None:
    import openpyxl
    from samhandling_survey import SurveySpec

    spec = SurveySpec.for_year(2023)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Kommuner"
    sheet.append(["IS-24/8 Kommunalt psykisk helse- og rusarbeid 2023 (syntetisk)"])
    groups = ["Kommunenummer"] + [c.header[0].rpartition(" / ")[0] for c in spec.columns]
    leaves = [None] + [c.header[0].rpartition(" / ")[2] for c in spec.columns]
    sheet.append(groups)
    sheet.append(leaves)
    rng = np.random.default_rng(3)
    for code in sorted(Geography.for_year(2023).codes("municipality")):
        row: list[object] = [int(code)]
        for column in spec.columns:
            row.append(
                ("Ja" if rng.random() < 0.8 else "Nei")
                if column.kind == "yes_no"
                else round(float(rng.gamma(2.0, 2.0)), 1)
            )
        sheet.append(row)
    workbook.save(path)


def bench_reader(repeat: int) -> None:
    import openpyxl
    from samhandling_survey import read_survey

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "is248-2023.xlsx"
        _write_workbook(path)

        def raw() -> int:
            workbook = openpyxl.load_workbook(path, data_only=True)
            sheet = workbook.active
            assert sheet is not None
            cells = sum(len(r) for r in sheet.iter_rows(values_only=True))
            workbook.close()
            return cells

        rows = read_survey(path).num_rows
        base = _median(raw, repeat)
        ours = _median(lambda: read_survey(path), repeat)
        print(
            f"reader  national XLSX (2023 layout)  {rows:>9,} rows  openpyxl {base:6.3f} s  "
            f"read_survey {ours:6.3f} s  ratio {ours / base:4.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs (a smoke test)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args()
    bench_checks(args.repeat, args.quick)
    bench_reader(max(1, args.repeat if not args.quick else 1))


if __name__ == "__main__":
    main()
