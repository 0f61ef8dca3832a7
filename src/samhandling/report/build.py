"""Build the yearly report: harmonise the inputs, compute the sections, write HTML and data files.

:func:`build_report` is what ``samhandling report`` runs.  It writes into ``out``::

    out/index.html                  the whole report, self-contained (inline CSS and SVG charts)
    out/data/<name>.parquet         the data behind each chart and table (units, status, provenance kept)
    out/data/<name>.csv             the same as CSV (+ <name>.csv.meta.json with units and provenance)
    out/data/<name>.xlsx            the same for Excel, when openpyxl is installed
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pyarrow as pa

from samhandling import __version__
from samhandling.errors import ExportError, SamhandlingError
from samhandling.levels import Level
from samhandling.report.document import Note, ReportDocument, Section, SourceEntry
from samhandling.report.inputs import ROLES, InputError, ReportInputs, _where
from samhandling.report.sections import (
    DataSet,
    ReportContext,
    admission_tables,
    admissions_section,
    agreements_section,
    findings_section,
    fte_by_target_group,
    fte_section,
    municipality_section,
    ohd_section,
    run_quality_checks,
)
from samhandling.tables import Provenance, StatTable

if TYPE_CHECKING:
    from samhandling.checks import Finding
    from samhandling.disclosure import DisclosureRules, ProtectionSummary
    from samhandling.geography import Geography
    from samhandling.plugins import PluginManager

__all__ = ["DEFAULT_FORMATS", "STEPS", "ReportResult", "build_demo_report", "build_report"]

logger = logging.getLogger("samhandling.report")

#: The data formats written by default; ``xlsx`` is skipped when openpyxl or its exporter is missing.
DEFAULT_FORMATS: tuple[str, ...] = ("parquet", "csv", "xlsx")
_SUFFIX = {"parquet": ".parquet", "csv": ".csv", "xlsx": ".xlsx", "jsonstat": ".json"}

#: The steps :func:`build_report` reports progress for, in order.
STEPS: tuple[str, ...] = (
    "Checking the inputs",
    "Harmonising to the report year's map",
    "FTEs per 10,000 over time",
    "FTEs and competence per municipality",
    "Admissions to specialist care",
    "Emergency beds and inter-municipal arrangements",
    "Agreement coverage",
    "Quality checks",
    "Writing the data files",
    "Writing the HTML report",
)


def _paths(value: Iterable[Path]) -> tuple[Path, ...]:
    return tuple(value)


def _findings(value: Iterable[tuple[str, Finding]]) -> tuple[tuple[str, Finding], ...]:
    return tuple(value)


def _summaries(value: Iterable[ProtectionSummary]) -> tuple[ProtectionSummary, ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class ReportResult:
    """What :func:`build_report` wrote and found.

    Fields: ``html`` (the report file, ``out/index.html``); ``data_files`` (every data file written, in
    the order of the report); ``document`` (the report as data: sections, figures, tables); ``findings``
    (the quality findings, each with the role of the input it was found in); ``skipped_formats``
    (formats asked for but not written, with the reason, e.g. xlsx without openpyxl); ``protection``
    (what disclosure control did to each publication of counts of people; empty and ``protected`` false
    when the report was built without it).
    """

    html: Path
    data_files: tuple[Path, ...] = attrs.field(converter=_paths)
    document: ReportDocument
    findings: tuple[tuple[str, Finding], ...] = attrs.field(converter=_findings)
    skipped_formats: dict[str, str] = attrs.field(factory=dict)
    protection: tuple[ProtectionSummary, ...] = attrs.field(default=(), converter=_summaries)
    protected: bool = True


def _harmonise(inputs: ReportInputs, year: int, note: Callable[[str], None]) -> ReportInputs:
    """Every table on the report year's map (a table without a geography year uses its latest year's)."""
    from samhandling.geography import harmonise

    changed: dict[str, StatTable] = {}
    population = inputs.population
    for role, table in inputs.tables().items():
        source_year = table.geography_year
        if source_year is None:
            source_year = max(table.years())
            table = table.with_arrow(table.arrow, geography_year=source_year)
        if source_year == year:
            changed[role] = table
            continue
        weights = (
            population
            if population is not None and population.geography_year == source_year and role != "population"
            else None
        )
        try:
            changed[role] = harmonise(table, year, population=weights)
        except SamhandlingError as exc:
            raise InputError(
                f"{ROLES[role][0]} {_where(table)}: cannot be put on the {year} map: {exc}"
            ) from exc
        note(f"{ROLES[role][0]}: harmonisert fra kommunestrukturen for {source_year} til {year}.")
    return ReportInputs(
        year=inputs.year,
        survey=changed.get("survey"),
        population=changed.get("population"),
        admissions=changed.get("admissions"),
        capacity=changed.get("capacity"),
        register=inputs.register,
        synthetic=inputs.synthetic,
    )


def _source_entries(inputs: ReportInputs, geography_year: int) -> list[SourceEntry]:
    entries: list[SourceEntry] = []
    labels = {
        "survey": "Kartlegging (årsverk)",
        "population": "Folkemengde",
        "admissions": "Innleggelser (NIMES)",
        "capacity": "Kapasitet (ØHD-plasser)",
    }
    for role, table in inputs.tables().items():
        years = table.years()
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "")
        provenance = table.provenance or (
            Provenance(source=table.source or "?", location="(in memory)", retrieved=""),
        )
        for p in provenance:
            entries.append(
                SourceEntry(
                    role=labels[role],
                    source=p.source,
                    location=p.location,
                    checksum=p.checksum or "",
                    retrieved=p.retrieved,
                    note=p.note,
                    rows=table.num_rows,
                    years=span,
                )
            )
    register = inputs.register
    if register is not None:
        if register.paths:
            for path in register.paths:
                p = Provenance.for_file("agreement-register", path)
                entries.append(
                    SourceEntry(
                        role="Avtaleregister",
                        source=p.source,
                        location=p.location,
                        checksum=p.checksum or "",
                        retrieved=p.retrieved,
                        rows=None,
                    )
                )
        else:
            entries.append(
                SourceEntry(
                    role="Avtaleregister",
                    source="samhandling-demo" if inputs.synthetic else "(in memory)",
                    location="samhandling.report.demo:register" if inputs.synthetic else "(in memory)",
                    note="SYNTETISKE DEMODATA" if inputs.synthetic else "",
                    rows=len(register.agreements) + len(register.services),
                )
            )
    entries.append(
        SourceEntry(
            role="Kommunestruktur og opptaksområder",
            source="samhandling.geography",
            location=f"embedded reference data, map of {geography_year}",
            note="SSB KLASS codes and names, SKDE catchment areas (see the reference-data page)",
        )
    )
    return entries


def _write_data(
    datasets: Sequence[DataSet], folder: Path, formats: Sequence[str], plugin_manager: PluginManager | None
) -> tuple[list[Path], dict[str, str]]:
    from samhandling.exporters import export, exporter_for

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    skipped: dict[str, str] = {}
    usable: list[str] = []
    for fmt in formats:
        if fmt not in _SUFFIX:
            raise ExportError(f"unknown data format {fmt!r} for the report (expected {', '.join(_SUFFIX)})")
        try:
            exporter_for(format=fmt, plugin_manager=plugin_manager)
        except ExportError as exc:
            skipped[fmt] = str(exc)
            continue
        if fmt == "xlsx":
            try:
                import openpyxl  # noqa: F401
            except ImportError:
                skipped[fmt] = "openpyxl is not installed (pip install 'samhandling[xlsx]')"
                continue
        usable.append(fmt)
    for dataset in datasets:
        for fmt in usable:
            target = folder / f"{dataset.name}{_SUFFIX[fmt]}"
            if isinstance(dataset.table, StatTable):
                written.append(export(dataset.table, target, format=fmt, plugin_manager=plugin_manager))
            else:
                path = _write_plain(dataset.table, target, fmt)
                if path is not None:
                    written.append(path)
    return written, skipped


def _write_plain(table: pa.Table, target: Path, fmt: str) -> Path | None:
    """Lists that are not statistics (findings, services) are written with pyarrow / openpyxl directly,
    atomically, and with text a spreadsheet would run as a formula written as text (CSV and xlsx)."""
    from samhandling import atomic
    from samhandling.exporters.formulas import is_formula_like, neutralise_table

    if fmt == "parquet":
        import pyarrow.parquet as pq

        with atomic.atomic_path(target) as temporary:
            pq.write_table(table, temporary)
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        with atomic.atomic_path(target) as temporary:
            pacsv.write_csv(neutralise_table(table), temporary)
    elif fmt == "xlsx":
        import openpyxl
        from openpyxl.cell import WriteOnlyCell

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(target.stem[:31])
        sheet.append(table.column_names)
        for row in table.to_pylist():
            cells: list[object] = []
            for value in row.values():
                if isinstance(value, str) and is_formula_like(value):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type, cell.quotePrefix = "s", True
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
        with atomic.atomic_path(target) as temporary:
            book.save(temporary)
    elif fmt == "jsonstat":  # a list is no cube: plain JSON records beside the JSON-stat files
        import json

        atomic.write_text(target, json.dumps(table.to_pylist(), ensure_ascii=False, indent=1, default=str))
    else:
        return None
    return target


def build_report(
    inputs: ReportInputs,
    out: str | Path,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    geography: Geography | None = None,
    plugin_manager: PluginManager | None = None,
    progress: Callable[[str], None] | None = None,
    protection: DisclosureRules | bool = True,
) -> ReportResult:
    """Build the yearly report for ``inputs`` into the folder ``out`` (created if needed).

    >>> from samhandling.report import build_report, demo_inputs
    >>> result = build_report(demo_inputs(2024), "report")          # doctest: +SKIP
    >>> result.html                                                 # doctest: +SKIP
    PosixPath('report/index.html')

    :param inputs: the tables and register (see :func:`~samhandling.report.load_inputs` and
        :func:`~samhandling.report.demo_inputs`).
    :param out: the folder to write ``index.html`` and ``data/`` into.
    :param formats: data formats to write next to the HTML (``parquet``, ``csv``, ``xlsx``, ``jsonstat``).
    :param geography: the report year's map (default ``Geography.for_year(inputs.year)``).
    :param progress: called with the name of each step (from :data:`STEPS`) as it starts.
    :param protection: disclosure control of every count of people the report publishes: ``True``
        (default: :class:`~samhandling.disclosure.DisclosureRules`), other rules, or ``False`` for a
        report for internal use only, which says so on every page and in every data file (and is logged).
    :raises InputError: a required input is missing or lacks its variable.
    """
    from samhandling.report.protection import (
        check_datasets,
        protection_lines,
        redact_findings,
        require_rules,
        symbol_notes,
    )

    rules = require_rules(protection)
    if rules is None:
        logger.warning(
            "the report is built WITHOUT disclosure control: for internal use only, not for publication"
        )
    step = progress or (lambda _name: None)
    step(STEPS[0])
    inputs.check()
    if geography is None:
        from samhandling.geography import Geography

        geography = Geography.for_year(inputs.year)
    notes: list[str] = []
    step(STEPS[1])
    raw_tables = inputs.tables()
    harmonised = _harmonise(inputs, inputs.year, notes.append)
    ctx = ReportContext(
        inputs=harmonised, geography=geography, plugin_manager=plugin_manager, disclosure=rules
    )
    survey = harmonised.survey
    assert survey is not None
    step(STEPS[2])
    fte = fte_by_target_group(survey)
    fte_part, rates = fte_section(ctx, fte)
    checked = dict(raw_tables)
    checked["rates"] = rates[Level.MUNICIPALITY]
    step(STEPS[3])
    municipalities, _shares = municipality_section(ctx, survey, rates[Level.MUNICIPALITY])
    step(STEPS[4])
    admission_data = admission_tables(ctx)
    if admission_data is not None:  # counts and rates of people: protected as one publication
        admission_data = admission_data.replaced(
            ctx.publish(admission_data.published(), admission_data.context)
        )
    admissions = admissions_section(ctx, admission_data)
    step(STEPS[5])
    ohd, _rate = ohd_section(ctx)
    step(STEPS[6])
    agreements, without = agreements_section(ctx)
    step(STEPS[7])
    run_quality_checks(ctx, checked, without_agreement=without)
    if rules is not None:  # a finding about a count of people may quote the count
        ctx.findings[:] = redact_findings(ctx.findings, checked.values())
    appendix = findings_section(ctx)
    summary_headlines = (
        *fte_part.headlines,
        *municipalities.headlines,
        *admissions.headlines,
        *ohd.headlines,
        *agreements.headlines,
    )
    summary = Section(
        id="sammendrag",
        title="Sammendrag",
        title_en="Summary",
        intro=(
            f"Nøkkeltall for {inputs.year}. Alle tall er regnet på kommunestrukturen for {geography.year}; "
            "datagrunnlaget for hver figur og tabell ligger i mappen data/."
        ),
        headlines=summary_headlines,
        blocks=[Note(text=n) for n in notes] + [Note(text=n, kind="warning") for n in ctx.exclusion_notes()],
    )
    document = ReportDocument(
        title="Kommunalt psykisk helse- og rusarbeid og samhandling",
        subtitle=(
            f"Årsrapport {inputs.year}: årsverk og kompetanse, innleggelser, øyeblikkelig hjelp døgnopphold "
            "og samarbeidsavtaler"
        ),
        year=inputs.year,
        geography_year=geography.year,
        demo=inputs.synthetic,
        sections=[
            summary,
            attrs.evolve(fte_part, headlines=()),
            attrs.evolve(municipalities, headlines=()),
            attrs.evolve(admissions, headlines=()),
            attrs.evolve(ohd, headlines=()),
            attrs.evolve(agreements, headlines=()),
            appendix,
        ],
        sources=_source_entries(harmonised if notes else inputs, geography.year),
        generated_by=f"samhandling {__version__}",
        symbol_notes=symbol_notes(rules),
        protection=protection_lines(ctx),
        protected=rules is not None,
    )
    folder = Path(out)
    step(STEPS[8])
    check_datasets(ctx.datasets)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written, skipped = _write_data(ctx.datasets, folder / "data", formats, plugin_manager)
    except OSError as exc:
        raise ExportError(f"cannot write the report's data files into {folder}: {exc}") from exc
    step(STEPS[9])
    from samhandling.report.render import render_html

    html = folder / "index.html"
    try:
        from samhandling import atomic

        atomic.write_text(html, render_html(document))
    except OSError as exc:
        raise ExportError(f"cannot write {html}: {exc}") from exc
    except SamhandlingError:
        raise
    return ReportResult(
        html=html,
        data_files=written,
        document=document,
        findings=ctx.findings,
        skipped_formats=skipped,
        protection=tuple(ctx.protections),
        protected=rules is not None,
    )


def build_demo_report(
    out: str | Path,
    *,
    year: int | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    progress: Callable[[str], None] | None = None,
    plugin_manager: PluginManager | None = None,
    protection: DisclosureRules | bool = True,
) -> ReportResult:
    """The report on the embedded synthetic demo data (see :mod:`samhandling.report.demo`), labelled as such.

    Needs no files and no plugins: only the core, the geography and the built-in exporters.
    """
    from samhandling.geography import Geography
    from samhandling.report.demo import DEFAULT_YEAR, demo_inputs

    report_year = DEFAULT_YEAR if year is None else year
    geography = Geography.for_year(report_year)
    return build_report(
        demo_inputs(report_year, geography=geography),
        out,
        formats=formats,
        geography=geography,
        plugin_manager=plugin_manager,
        progress=progress,
        protection=protection,
    )
