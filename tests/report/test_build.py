"""build_report from Python: a small region, missing inputs, suppressed values, progress and errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import attrs
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from samhandling.geography import Geography
from samhandling.plugins import PluginManager
from samhandling.report import InputError, ReportInputs, build_report, demo_inputs
from samhandling.report.agreements import AgreementRegister
from samhandling.report.build import STEPS
from samhandling.report.document import Note
from samhandling.tables import StatTable

YEAR = 2024
COUNTY = "33"  # Buskerud


def _only_county(table: StatTable, codes: list[str]) -> StatTable:
    return table.where(region=codes)


@pytest.fixture(scope="module")
def buskerud() -> tuple[ReportInputs, list[str]]:
    """The demo inputs for the municipalities of one county, two years."""
    geography = Geography.for_year(YEAR)
    inputs = demo_inputs(YEAR, span=2, geography=geography)
    codes = sorted(m.code for m in geography.municipalities if m.county == COUNTY)
    assert inputs.survey is not None
    assert inputs.population is not None
    assert inputs.admissions is not None
    assert inputs.register is not None
    register = AgreementRegister(
        agreements=[a for a in inputs.register.agreements if set(a.municipalities) & set(codes)],
        services=[s for s in inputs.register.services if set(s.municipalities) & set(codes)],
    )
    subset = attrs.evolve(
        inputs,
        survey=_only_county(inputs.survey, codes),
        population=_only_county(inputs.population, codes),
        admissions=_only_county(inputs.admissions, codes),
        register=register,
    )
    return subset, codes


def _suppress(table: StatTable, region: str, **where: str) -> StatTable:
    """The table with one cell suppressed (value empty, status ':'), as SSB publishes small numbers."""
    arrow = table.arrow
    mask = pc.equal(arrow["region"], region)
    for column, value in where.items():
        mask = pc.and_(mask, pc.equal(arrow[column].cast(pa.string()), value))
    assert pc.sum(mask.cast(pa.int64())).as_py() == 1
    value = pc.if_else(mask, pa.scalar(None, pa.float64()), arrow["value"])
    status = pc.if_else(mask, ":", arrow["status"].cast(pa.string()))
    arrow = arrow.set_column(arrow.column_names.index("value"), "value", value)
    arrow = arrow.set_column(arrow.column_names.index("status"), "status", status)
    return table.with_arrow(arrow)


def test_suppressed_survey_value_stays_suppressed_in_tables_and_totals(
    buskerud: tuple[ReportInputs, list[str]],
    tmp_path: pytest.TempPathFactory,
    core_plugin_manager: PluginManager,
) -> None:
    inputs, codes = buskerud
    assert inputs.survey is not None
    target = codes[3]
    survey = _suppress(
        inputs.survey,
        target,
        year=str(YEAR),
        variable="fte",
        target_group="adults",
        profession="total",
        service="total",
    )
    steps: list[str] = []
    result = build_report(
        attrs.evolve(inputs, survey=survey),
        tmp_path / "out",  # type: ignore[operator]
        formats=("parquet",),
        plugin_manager=core_plugin_manager,
        progress=steps.append,
    )
    assert steps == list(STEPS)
    rates = StatTable.from_arrow(
        pq.read_table(result.html.parent / "data" / "fte_per_10000_municipality.parquet")
    )
    row = rates.where(region=target, year=YEAR, target_group="adults").to_pylist()
    assert row[0]["value"] is None
    assert row[0]["status"] == ":"
    county = StatTable.from_arrow(pq.read_table(result.html.parent / "data" / "fte_per_10000_county.parquet"))
    total = county.where(region=COUNTY, year=YEAR, target_group="adults").to_pylist()[0]
    assert total["value"] is None
    assert total["status"] is not None
    [municipalities] = [t for s in result.document.sections for t in s.tables if t.id == "municipalities"]
    [cells] = [r for r in municipalities.rows if r[0].text.startswith(target)]
    assert cells[2].text == ":"
    assert cells[2].symbol
    others = [r for r in municipalities.rows if r[0].text[:4] in codes and not r[0].text.startswith(target)]
    assert all(not r[2].symbol for r in others)
    # The data files are only those asked for.
    assert {p.suffix for p in result.data_files} == {".parquet"}


def test_missing_optional_inputs_are_said_not_hidden(
    buskerud: tuple[ReportInputs, list[str]],
    tmp_path: pytest.TempPathFactory,
    core_plugin_manager: PluginManager,
) -> None:
    inputs, _codes = buskerud
    assert inputs.survey is not None
    real = inputs.survey.with_arrow(inputs.survey.arrow, provenance=(), extra={})  # as if read from a file
    bare = ReportInputs(year=YEAR, survey=real, population=inputs.population)
    result = build_report(
        bare,
        tmp_path / "bare",  # type: ignore[operator]
        formats=("csv", "jsonstat"),
        plugin_manager=core_plugin_manager,
    )
    html = result.html.read_text(encoding="utf-8")
    assert "--nimes" in html
    assert "--agreements" in html
    sections = {s.id: s for s in result.document.sections}
    assert any(b.kind == "warning" for b in sections["innleggelser"].blocks if isinstance(b, Note))
    assert not sections["avtaler"].figures
    suffixes = [p.suffix for p in result.data_files]
    assert set(suffixes) == {".csv", ".json"}
    assert suffixes.count(".csv") == suffixes.count(".json")  # every data set in both formats
    findings = json.loads((result.html.parent / "data" / "findings.json").read_text(encoding="utf-8"))
    assert isinstance(findings, list)
    cube = json.loads((result.html.parent / "data" / "fte_per_10000_county.json").read_text(encoding="utf-8"))
    assert cube["class"] == "dataset"
    assert 'class="demo-banner"' not in html


def test_report_without_population_names_the_missing_input(tmp_path: pytest.TempPathFactory) -> None:
    survey = StatTable.from_pydict(
        {
            "region": ["3301"],
            "level": ["municipality"],
            "year": [YEAR],
            "target_group": ["adults"],
            "variable": ["fte"],
            "value": [10.0],
        },
        geography_year=YEAR,
    )
    with pytest.raises(InputError, match=r"--kostra"):
        build_report(ReportInputs(year=YEAR, survey=survey), tmp_path / "x")  # type: ignore[operator]


def test_survey_without_fte_is_refused_with_the_role(buskerud: tuple[ReportInputs, list[str]]) -> None:
    inputs, _codes = buskerud
    with pytest.raises(InputError, match=r"--survey .*no variable 'fte'"):
        ReportInputs(year=YEAR, survey=inputs.population, population=inputs.population).check()


def test_agreement_coverage_follows_the_register(buskerud: tuple[ReportInputs, list[str]]) -> None:
    from samhandling.report.sections import ReportContext, municipality_coverage

    inputs, codes = buskerud
    assert inputs.register is not None
    lacking = codes[0]
    register = AgreementRegister(
        agreements=[a for a in inputs.register.agreements if lacking not in a.municipalities],
        services=inputs.register.services,
    )
    context = ReportContext(
        inputs=attrs.evolve(inputs, register=register), geography=Geography.for_year(YEAR)
    )
    found = municipality_coverage(context)
    assert found[lacking][0] is None
    assert not any(found[lacking][1].values())
    covered = found[codes[1]][1]
    main = next(a for a in inputs.register.agreements if a.id == f"sa-{codes[1]}")
    subs = [
        a for a in inputs.register.agreements if a.parent == main.id and a.is_valid_on(dt.date(YEAR, 7, 1))
    ]
    expected = set(main.subjects).union(*(s.subjects for s in subs))
    assert {s for s, yes in covered.items() if yes} == expected


def test_monthly_admissions_are_summed_per_year_and_a_partial_year_is_said(
    buskerud: tuple[ReportInputs, list[str]], core_plugin_manager: PluginManager
) -> None:
    from samhandling.report.sections import ReportContext, admission_tables, admissions_section

    inputs, codes = buskerud
    assert inputs.admissions is not None
    yearly = inputs.admissions.where(year=YEAR, level="municipality").arrow
    # Spread each yearly count over January–June (whole numbers), plus a "total" row that must not count.
    months = []
    for month in range(1, 7):
        part = pc.floor(pc.divide(yearly["value"], 6.0))
        if month == 6:
            part = pc.subtract(yearly["value"], pc.multiply(pc.floor(pc.divide(yearly["value"], 6.0)), 5.0))
        table = yearly.set_column(yearly.column_names.index("value"), "value", part)
        months.append(table.append_column("month", pa.array([month] * table.num_rows, pa.int8())))
    total = yearly.append_column("month", pa.array([6] * yearly.num_rows, pa.int8()))
    total = total.set_column(
        total.column_names.index("unit_type"), "unit_type", pa.array(["total"] * total.num_rows)
    )
    monthly = inputs.admissions.with_arrow(pa.concat_tables([*months, total], promote_options="permissive"))
    context = ReportContext(
        inputs=attrs.evolve(inputs, admissions=monthly),
        geography=Geography.for_year(YEAR),
        plugin_manager=core_plugin_manager,
        disclosure=None,  # the sums are checked here, so nothing is suppressed
    )
    section = admissions_section(context, admission_tables(context))
    notes = [b.text for b in section.blocks if isinstance(b, Note) and b.kind == "warning"]
    assert any("6 måneder" in text for text in notes)
    counts = next(d for d in context.datasets if d.name == "admissions_municipality").table
    assert isinstance(counts, StatTable)
    got = pc.sum(
        counts.where(year=YEAR).where(unit_type=["DPS", "acute", "TSB", "BUP", "other"]).arrow["value"]
    ).as_py()
    assert got == pytest.approx(pc.sum(yearly["value"]).as_py())  # the months, not the "total" rows
    assert codes[0] in set(counts.arrow["region"].to_pylist())


def test_synthetic_inputs_label_every_output_even_without_the_demo_flag(
    buskerud: tuple[ReportInputs, list[str]], tmp_path: Path, core_plugin_manager: PluginManager
) -> None:
    """The flag travels with the provenance: a synthetic table read back from a file labels the report."""
    from samhandling.exporters import export
    from samhandling.report import load_inputs

    inputs, _codes = buskerud
    assert inputs.survey is not None
    assert inputs.population is not None
    survey = export(inputs.survey, tmp_path / "kartlegging.csv", plugin_manager=core_plugin_manager)
    population = export(
        inputs.population, tmp_path / "folkemengde.parquet", plugin_manager=core_plugin_manager
    )
    loaded = load_inputs(YEAR, survey=[survey], kostra=[population], plugin_manager=core_plugin_manager)
    assert loaded.survey is not None
    assert loaded.survey.synthetic
    assert loaded.is_synthetic
    assert loaded.population is not None
    assert not loaded.population.synthetic
    result = build_report(loaded, tmp_path / "out", formats=("csv",), plugin_manager=core_plugin_manager)
    assert result.document.demo
    html = result.html.read_text(encoding="utf-8")
    assert 'class="demo-banner"' in html
    for path in result.data_files:
        if path.suffix == ".csv":
            lines = path.read_text(encoding="utf-8").splitlines()
            assert "synthetic" in lines[0].replace('"', "").split(","), path.name
            assert all("syntetiske demodata" in line for line in lines[1:]), path.name


def _with_rows(table: StatTable, rows: pa.Table) -> StatTable:
    return table.with_arrow(pa.concat_tables([table.arrow, rows.cast(table.arrow.schema)]))


def test_errors_in_an_input_become_findings_not_an_aborted_report(
    buskerud: tuple[ReportInputs, list[str]], tmp_path: Path, core_plugin_manager: PluginManager
) -> None:
    """An old municipality code and a row entered twice are set aside and reported; --strict stops."""
    inputs, codes = buskerud
    assert inputs.survey is not None
    arrow = inputs.survey.where(
        year=YEAR, target_group="adults", profession="total", service="total", variable="fte"
    ).arrow
    first = arrow.slice(0, 1)
    old_code = first.set_column(
        0,
        "region",
        pa.array(["0602"]).dictionary_encode()
        if pa.types.is_dictionary(first.schema.field("region").type)
        else pa.array(["0602"]),
    )
    survey = _with_rows(inputs.survey, pa.concat_tables([old_code, first]))
    result = build_report(
        attrs.evolve(inputs, survey=survey),
        tmp_path / "report",
        formats=("parquet",),
        plugin_manager=core_plugin_manager,
    )
    set_aside = [f for _role, f in result.findings if f.rule == "set-aside"]
    assert {f.values["reason"] for f in set_aside} == {"invalid-code", "duplicate"}
    assert {f.region for f in set_aside} == {"0602", first.column("region")[0].as_py()}
    html = result.html.read_text(encoding="utf-8")
    assert "0602" in html
    assert "holdt utenfor" in html
    with pytest.raises(InputError, match="--strict"):
        build_report(
            attrs.evolve(inputs, survey=survey),
            tmp_path / "strict",
            formats=("parquet",),
            plugin_manager=core_plugin_manager,
            strict=True,
        )
    del codes
