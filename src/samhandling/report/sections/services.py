"""Section «Årsverk etter tiltak»: where the årsverk go — housing with staff, treatment and follow-up,
outreach teams, low-threshold offers, the health centres and school health service … — for adults and for
children and young people, nationally, with the change from the year before."""

from __future__ import annotations

from samhandling.errors import SamhandlingError
from samhandling.levels import Level
from samhandling.report import charts
from samhandling.report.context import ReportContext
from samhandling.report.document import Cell, Column, Figure, Note, Section, Table
from samhandling.report.formatting import format_change, format_percent
from samhandling.report.messages import label, labels, msg
from samhandling.report.sections._common import cell, sort_value
from samhandling.report.survey import TARGET_GROUPS, fte_by_service
from samhandling.report.tabular import lookup

__all__ = ["services_section"]


def _order(codes: set[str]) -> list[str]:
    known = list(labels("service"))
    return sorted(codes, key=lambda c: (known.index(c) if c in known else len(known), c))


def services_section(ctx: ReportContext) -> Section:
    """Section «Årsverk etter tiltak»: årsverk by service kind and target group, nationally."""
    survey = ctx.inputs.survey
    assert survey is not None
    title, intro = msg("services.title"), msg("services.intro")
    by_service = fte_by_service(survey)
    if by_service is None:
        return Section(
            id="tiltak", title=title, intro=intro, blocks=[Note(text=msg("services.none"), kind="warning")]
        )
    try:
        national = ctx.roll_up(by_service, Level.NATIONAL)
    except SamhandlingError as exc:
        return Section(
            id="tiltak",
            title=title,
            intro=intro,
            blocks=[Note(text=msg("services.problem", problem=str(exc)), kind="warning")],
        )
    name = ctx.add("fte_by_service_national", msg("services.data_national"), national)
    ctx.add(
        "fte_by_service_municipality",
        msg("services.data_municipality", year=ctx.year),
        by_service.where(year=ctx.year),
    )
    found = lookup(national, ["target_group", "service", "year"])
    services = _order({k[1] for k in found})
    totals = {
        g: sum(found.get((g, s, ctx.year), (0.0, None))[0] or 0.0 for s in services) for g in TARGET_GROUPS
    }
    rows = []
    for service in services:
        row = [Cell(text=label("service", service))]
        for group in TARGET_GROUPS:
            now = found.get((group, service, ctx.year))
            if now is None:  # the service kind is not one of the group's (e.g. housing for children)
                row += [Cell(text=".", symbol=True), Cell(text=""), Cell(text="")]
                continue
            before = found.get((group, service, ctx.year - 1), (None, None))[0]
            value = now[0]
            row.append(cell(now, 0))
            share = 100.0 * value / totals[group] if value is not None and totals[group] else None
            row.append(Cell(text=format_percent(share) if share is not None else "", sort=sort_value(share)))
            change = 100.0 * (value - before) / before if value is not None and before else None
            row.append(
                Cell(
                    text=f"{format_change(change, 1)}\u00a0%" if change is not None else "",
                    sort=sort_value(change),
                )
            )
        rows.append(row)
    columns = [Column(label=msg("column.service"))]
    for group in TARGET_GROUPS:
        columns += [
            Column(label=msg("services.column_fte", group=label("target_group", group)), numeric=True),
            Column(label=msg("column.share"), numeric=True),
            Column(label=msg("services.column_change", year=ctx.year - 1), numeric=True),
        ]
    blocks: list[Figure | Table | Note] = [
        Figure.of(
            charts.grouped_bars(
                "fte-by-service",
                [label("service", s) for s in services],
                {
                    label("target_group", g): [found.get((g, s, ctx.year), (None, None))[0] for s in services]
                    for g in TARGET_GROUPS
                },
                description=msg("services.chart_description", year=ctx.year),
                xlabel=msg("axis.fte"),
                stamp=ctx.stamp,
                decimals=0,
                blank_missing=True,
            ),
            id="fte-by-service",
            title=msg("services.chart_title", year=ctx.year, national=ctx.national),
            caption=msg("services.chart_caption"),
            data_files=(name,),
        ),
        Table(
            id="fte-by-service",
            title=msg("services.table_title", year=ctx.year),
            caption=msg("services.table_caption"),
            columns=columns,
            rows=rows,
            data_files=(name,),
        ),
    ]
    return Section(id="tiltak", title=title, intro=intro, blocks=blocks)
