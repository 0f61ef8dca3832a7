"""Build the yearly report: harmonise the inputs, compute the sections, write HTML and data files.

:func:`build_report` is what ``samhandling report`` runs.  It writes into ``out``::

    out/index.html                  the whole report, self-contained (inline CSS, SVG charts, a small script)
    out/data/<name>.parquet         the data behind each chart and table (units, status, provenance kept)
    out/data/<name>.csv             the same as CSV (+ <name>.csv.meta.json with units and provenance)
    out/data/<name>.xlsx            the same for Excel, when openpyxl is installed

A report built from synthetic inputs says so on every page, inside every chart and in every data file
(its metadata and a ``synthetic`` column on every row).  Rows of an input the report cannot use are set
aside and become findings in its appendix (:mod:`samhandling.report.screening`); ``strict=True`` stops
the build on them and on every error the quality checks find instead.
"""

from __future__ import annotations

import logging
import time
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from samhandling import __version__
from samhandling.errors import ExportError, SamhandlingError
from samhandling.levels import Level
from samhandling.report.context import DataSet, ReportContext, labelled
from samhandling.report.document import ReportDocument, SourceEntry
from samhandling.report.inputs import ROLES, InputError, ReportInputs, _where
from samhandling.report.messages import label, msg
from samhandling.tables import Provenance, StatTable

if TYPE_CHECKING:
    from samhandling.checks import Finding
    from samhandling.disclosure import DisclosureRules, ProtectionSummary
    from samhandling.geography import Geography
    from samhandling.plugins import PluginManager
    from samhandling.report.kostra_groups import KostraGroups

__all__ = ["DEFAULT_FORMATS", "STEPS", "ReportResult", "build_demo_report", "build_report"]

logger = logging.getLogger("samhandling.report")

#: The data formats written by default; ``xlsx`` is skipped when openpyxl or its exporter is missing.
DEFAULT_FORMATS: tuple[str, ...] = ("parquet", "csv", "xlsx")
_SUFFIX = {"parquet": ".parquet", "csv": ".csv", "xlsx": ".xlsx", "jsonstat": ".json"}

#: The steps :func:`build_report` reports progress for, in order.
STEPS: tuple[str, ...] = (
    "Checking the inputs",
    "Harmonising to the report year's map",
    "FTEs: the national figures, service kinds and competence",
    "FTEs by area and size group",
    "Admissions to specialist care",
    "Variation between municipalities",
    "Municipalities and users",
    "Emergency beds and inter-municipal arrangements",
    "Agreement coverage",
    "Cooperation teams",
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
    when the report was built without it); ``seconds`` and ``cpu_seconds`` (how long the build took, on
    the clock and in processor time — on a busy machine the two differ).
    """

    html: Path
    data_files: tuple[Path, ...] = attrs.field(converter=_paths)
    document: ReportDocument
    findings: tuple[tuple[str, Finding], ...] = attrs.field(converter=_findings)
    skipped_formats: dict[str, str] = attrs.field(factory=dict)
    protection: tuple[ProtectionSummary, ...] = attrs.field(default=(), converter=_summaries)
    protected: bool = True
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def _screen(inputs: ReportInputs) -> ReportInputs:
    """The inputs without the rows the report cannot use (recorded in each table, see screening)."""
    from samhandling.report.screening import screen

    tables: dict[str, Any] = {role: screen(table) for role, table in inputs.tables().items()}
    return attrs.evolve(inputs, **tables)


def _harmonise(inputs: ReportInputs, year: int, note: Callable[[str], None]) -> ReportInputs:
    """Every table on the report year's map.

    A table without a geography year is a series read as reported, each row in its own year's codes,
    and is harmonised year by year.
    """
    from samhandling.geography import harmonise

    changed: dict[str, Any] = {}
    population = inputs.population
    for role, table in inputs.tables().items():
        source_year = table.geography_year
        if source_year is None and set(table.years()) <= {year}:
            table = table.with_arrow(table.arrow, geography_year=year)
            source_year = year
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
        if source_year is None:
            note(msg("note.harmonised_series", input=label("role", role), year=year))
        else:
            note(msg("note.harmonised", input=label("role", role), source=source_year, year=year))
    return attrs.evolve(inputs, synthetic=inputs.is_synthetic, **changed)


def _source_entries(ctx: ReportContext, inputs: ReportInputs, geography_year: int) -> list[SourceEntry]:
    entries: list[SourceEntry] = []
    for role, table in inputs.tables().items():
        years = table.years()
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "")
        provenance = table.provenance or (
            Provenance(source=table.source or "?", location=msg("sources.in_memory"), retrieved=""),
        )
        for p in provenance:
            entries.append(
                SourceEntry(
                    role=label("role", role),
                    source=p.source,
                    location=p.location,
                    checksum=p.checksum or "",
                    retrieved=p.retrieved,
                    note=(msg("sources.synthetic") + " " + p.note).strip()
                    if p.synthetic and msg("sources.synthetic") not in p.note
                    else p.note,
                    rows=table.num_rows,
                    years=span,
                )
            )
    for role, register, count in (
        (
            "agreements",
            inputs.register,
            (len(inputs.register.agreements) + len(inputs.register.services)) if inputs.register else 0,
        ),
        (
            "teams",
            inputs.teams,
            (len(inputs.teams.teams) + len(inputs.teams.patients)) if inputs.teams else 0,
        ),
    ):
        if register is None:
            continue
        if register.paths:
            for path in register.paths:
                p = Provenance.for_file(f"{role}-register", path)
                entries.append(
                    SourceEntry(
                        role=label("role", role),
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
                    role=label("role", role),
                    source="samhandling-demo" if ctx.synthetic else msg("sources.in_memory"),
                    location=f"samhandling.report.demo:{role}" if ctx.synthetic else msg("sources.in_memory"),
                    note=msg("sources.synthetic") if ctx.synthetic else "",
                    rows=count,
                )
            )
    if ctx.kostra_groups is not None:
        entries.append(
            SourceEntry(
                role=label("role", "kostra_groups"),
                source="kostra-groups",
                location=ctx.kostra_groups.path,
                checksum=ctx.kostra_groups.checksum,
                retrieved="",
                note=msg("sources.kostra_groups", layout=label("kostra_layout", ctx.kostra_groups.layout)),
                rows=len(ctx.kostra_groups.members),
            )
        )
    entries.append(
        SourceEntry(
            role=msg("sources.geography_role"),
            source="samhandling.geography",
            location=msg("sources.geography_location", year=geography_year),
            note=msg("sources.geography_note"),
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
                table = labelled(dataset.table) if fmt == "csv" else dataset.table
                written.append(export(table, target, format=fmt, plugin_manager=plugin_manager))
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


def _kostra_groups(given: str | Path | KostraGroups | None, year: int) -> KostraGroups | None:
    """The KOSTRA-group membership given to :func:`build_report`, read for 1 January of ``year``."""
    from samhandling.report.kostra_groups import KostraGroups, read_kostra_groups

    if given is None or isinstance(given, KostraGroups):
        return given
    if not Path(given).exists():
        raise InputError(f"--kostra-groups {given}: no such file")
    return read_kostra_groups(given, on=year)


def build_report(
    inputs: ReportInputs,
    out: str | Path,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    geography: Geography | None = None,
    plugin_manager: PluginManager | None = None,
    progress: Callable[[str], None] | None = None,
    protection: DisclosureRules | bool = True,
    strict: bool = False,
    kostra_groups: str | Path | KostraGroups | None = None,
) -> ReportResult:
    """Build the yearly report for ``inputs`` into the folder ``out`` (created if needed).

    >>> from samhandling.report import build_report, demo_inputs
    >>> result = build_report(demo_inputs(), "report")              # doctest: +SKIP
    >>> result.html                                                 # doctest: +SKIP
    PosixPath('report/index.html')

    :param inputs: the tables and registers (see :func:`~samhandling.report.load_inputs` and
        :func:`~samhandling.report.demo_inputs`).
    :param out: the folder to write ``index.html`` and ``data/`` into.
    :param formats: data formats to write next to the HTML (``parquet``, ``csv``, ``xlsx``, ``jsonstat``).
    :param geography: the report year's map (default ``Geography.for_year(inputs.year)``).
    :param progress: called with the name of each step (from :data:`STEPS`) as it starts.
    :param protection: disclosure control of every count of people the report publishes: ``True``
        (default: :class:`~samhandling.disclosure.DisclosureRules`), other rules, or ``False`` for a
        report for internal use only, which says so on every page and in every data file (and is logged).
    :param strict: stop with :class:`InputError` when an input has rows the report would set aside, or
        when the quality checks find an error in an input, instead of reporting them in the appendix.
    :param kostra_groups: which KOSTRA group each municipality is in: a file (SSB's KLASS 112 export or
        correspondence, or a CSV ``kommune;kostragruppe``; see :mod:`samhandling.report.kostra_groups`),
        read for 1 January of the report year, or what :func:`read_kostra_groups` returned.  The areas
        section then shows FTEs per 10,000 by KOSTRA group; without it, it says how to give one.
    :raises InputError: a required input is missing or lacks its variable (or, with ``strict``, an input
        has errors).
    :raises ParseError: the KOSTRA-group file is not a membership (the message names line and column).
    """
    from samhandling.report.protection import (
        check_datasets,
        protection_lines,
        redact_findings,
        require_rules,
        symbol_notes,
    )
    from samhandling.report.screening import set_aside_findings
    from samhandling.report.sections import (
        admission_tables,
        admissions_section,
        agreements_section,
        areas_section,
        competence_section,
        findings_section,
        fte_data,
        fte_section,
        municipality_section,
        ohd_section,
        run_quality_checks,
        services_section,
        summary_section,
        teams_section,
        users_section,
        variation_section,
    )
    from samhandling.report.sections.quality import agreement_findings

    started, cpu_started = time.perf_counter(), time.process_time()
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
    groups = _kostra_groups(kostra_groups, inputs.year)
    screened = _screen(inputs)
    notes: list[str] = []
    step(STEPS[1])
    harmonised = _harmonise(screened, inputs.year, notes.append)
    ctx = ReportContext(
        inputs=harmonised,
        geography=geography,
        plugin_manager=plugin_manager,
        disclosure=rules,
        kostra_groups=groups,
    )
    for role, table in screened.tables().items():
        ctx.findings.extend((role, f) for f in set_aside_findings(role, table))
    if groups is not None:
        from samhandling.report.kostra_groups import membership_findings

        found = membership_findings(groups, ctx.codes("municipality"), geography.year)
        ctx.findings.extend(("kostra_groups", f) for f in found)
    checked = {role: t for role, t in screened.tables().items() if role != "outcomes"}
    run_quality_checks(ctx, checked)
    if strict:
        errors = [(role, f) for role, f in ctx.findings if f.severity.value == "error"]
        if errors:
            shown = "; ".join(f"{ROLES.get(role, (role,))[0]}: {f.message}" for role, f in errors[:5])
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            raise InputError(f"--strict: the inputs have {len(errors)} error(s): {shown}{more}")
    step(STEPS[2])
    fte = fte_section(ctx)
    services = services_section(ctx)
    competence = competence_section(ctx)
    step(STEPS[3])
    areas = areas_section(ctx)
    step(STEPS[4])
    admission_data = admission_tables(ctx)
    if admission_data is not None:  # counts and rates of people: protected as one publication
        admission_data = admission_data.replaced(
            ctx.publish(admission_data.published(), admission_data.context)
        )
    ctx.cache["admissions"] = admission_data
    admissions = admissions_section(ctx, admission_data)
    step(STEPS[5])
    variation = variation_section(ctx)
    step(STEPS[6])
    municipalities = municipality_section(ctx)
    users = users_section(ctx)
    step(STEPS[7])
    ohd, _rate = ohd_section(ctx)
    step(STEPS[8])
    agreements, without = agreements_section(ctx)
    step(STEPS[9])
    teams = teams_section(ctx)
    step(STEPS[10])
    run_quality_checks(ctx, {"rates": fte_data(ctx).rates[Level.MUNICIPALITY]})
    agreement_findings(ctx, without)
    if rules is not None:  # a finding about a count of people may quote the count
        ctx.findings[:] = redact_findings(
            ctx.findings,
            [*checked.values(), *(d.table for d in ctx.datasets if isinstance(d.table, StatTable))],
        )
    appendix = findings_section(ctx)
    body = [
        fte,
        services,
        competence,
        areas,
        variation,
        municipalities,
        users,
        admissions,
        ohd,
        agreements,
        teams,
    ]
    set_aside = sum(1 for _role, f in ctx.findings if f.rule == "set-aside")
    warnings = [*ctx.exclusion_notes()]
    if set_aside:
        warnings.append(msg("note.set_aside", count=set_aside))
    summary = summary_section(ctx, body, notes, warnings)
    document = ReportDocument(
        title=msg("report.title"),
        subtitle=msg("report.subtitle", year=inputs.year),
        year=inputs.year,
        geography_year=geography.year,
        demo=ctx.synthetic,
        demo_note=msg("demo.banner") if ctx.synthetic else "",
        sections=[summary, *(attrs.evolve(s, headlines=()) for s in body), appendix],
        sources=_source_entries(ctx, harmonised if notes else screened, geography.year),
        generated_by=f"samhandling {__version__}",
        symbol_notes=symbol_notes(rules),
        protection=protection_lines(ctx),
        protected=rules is not None,
    )
    folder = Path(out)
    step(STEPS[11])
    check_datasets(ctx.datasets)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written, skipped = _write_data(ctx.datasets, folder / "data", formats, plugin_manager)
    except OSError as exc:
        raise ExportError(f"cannot write the report's data files into {folder}: {exc}") from exc
    step(STEPS[12])
    from samhandling.report.render import render_html

    html = folder / "index.html"
    try:
        from samhandling import atomic

        atomic.write_text(html, render_html(document))
    except OSError as exc:
        raise ExportError(f"cannot write {html}: {exc}") from exc
    except SamhandlingError:
        raise
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    logger.info("report built in %.2f s (%.2f s of processor time)", seconds, cpu_seconds)
    return ReportResult(
        html=html,
        data_files=written,
        document=document,
        findings=ctx.findings,
        skipped_formats=skipped,
        protection=tuple(ctx.protections),
        protected=rules is not None,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
    )


def build_demo_report(
    out: str | Path,
    *,
    year: int | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    progress: Callable[[str], None] | None = None,
    plugin_manager: PluginManager | None = None,
    protection: DisclosureRules | bool = True,
    strict: bool = False,
    kostra_groups: str | Path | KostraGroups | None = None,
) -> ReportResult:
    """The report on the embedded demo data (see :mod:`samhandling.report.demo`), labelled synthetic.

    Needs no files and no plugins: only the core, the geography and the built-in exporters.  A
    ``kostra_groups`` file (as for :func:`build_report`) adds the KOSTRA groups to the areas section.
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
        strict=strict,
        kostra_groups=kostra_groups,
    )
