"""Section «Årsverk»: the headline of the yearly report — årsverk for adults and for children and young
people, their total and change from the year before, nationally, with how many municipalities the
totals cover; and årsverk per 10,000 inhabitants of the target group over time.

:func:`fte_data` computes the FTE figures every later section builds on (counts and rates at every level
of the map, with coverage), once per report.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs
import pyarrow as pa

from samhandling.errors import SamhandlingError
from samhandling.levels import Level
from samhandling.report import charts
from samhandling.report.context import Coverage, ReportContext
from samhandling.report.document import Cell, Column, Figure, Headline, Note, Section, Table
from samhandling.report.formatting import format_change, format_number, format_percent
from samhandling.report.messages import label, msg
from samhandling.report.sections._common import (
    ROLLUP_LEVELS,
    Found,
    cell,
    coverage_text,
    national_value,
    sort_value,
)
from samhandling.report.survey import TARGET_AGES, TARGET_GROUPS, fte_by_target_group
from samhandling.report.tabular import lookup, plain, sum_by
from samhandling.tables import StatTable, Variable

__all__ = ["ALL_GROUPS", "FteData", "fte_data", "fte_rates", "fte_section", "rate_variable"]

#: The ``target_group`` of the rows that sum adults and children and young people.
ALL_GROUPS = "total"


def rate_variable(variable: str, label_text: str, *, unit: str) -> Variable:
    """A rate per 10,000 inhabitants of ``variable``."""
    return Variable(
        id=f"{variable}_per_10000",
        unit=unit,
        additive=False,
        label=label_text,
        numerator=variable,
        denominator="population",
        scale=10_000.0,
    )


@typing.final
@attrs.frozen(kw_only=True)
class FteData:
    """The FTE figures of the report: counts and rates per 10,000 at every level, with coverage.

    ``counts[level]`` has ``target_group`` ``adults``, ``children_young`` and ``total`` (their sum);
    ``rates[level]`` the rates per 10,000 inhabitants of the group's ages (all ages for ``total``);
    ``coverage[level]`` how many member areas each total had figures for; ``problems`` the levels that
    could not be computed, with the reason.
    """

    counts: dict[Level, StatTable]
    rates: dict[Level, StatTable]
    coverage: dict[Level, Coverage]
    problems: dict[Level, str]


def _with_total(fte: StatTable) -> StatTable:
    rows = plain(fte)
    summed = sum_by(rows, ["region", "level", "year", "variable"])
    total = summed.append_column("target_group", pa.array([ALL_GROUPS] * summed.num_rows, pa.string()))
    both = pa.concat_tables([rows.select(total.column_names), total.select(total.column_names)])
    return fte.with_arrow(both)


def fte_rates(ctx: ReportContext, counts: StatTable, level: Level) -> StatTable:
    """FTEs per 10,000 inhabitants of the target group's ages (all ages for the total), at ``level``."""
    present = set(plain(counts).column("target_group").to_pylist())
    variable = rate_variable("fte", msg("variable.fte_per_10000"), unit="årsverk / ten_thousand_inhabitants")
    ages = {**TARGET_AGES, ALL_GROUPS: "all"}
    parts = [
        ctx.per_10000(counts.where(target_group=group), level, age)
        for group, age in ages.items()
        if group in present
    ]
    return StatTable.concat([p.with_arrow(p.arrow, variables=[variable]) for p in parts])


def fte_data(ctx: ReportContext) -> FteData:
    """The FTE counts and rates of the report (computed once, kept in ``ctx.cache``)."""
    if "fte" in ctx.cache:
        return typing.cast(FteData, ctx.cache["fte"])
    survey = ctx.inputs.survey
    assert survey is not None
    fte = _with_total(fte_by_target_group(survey))
    counts: dict[Level, StatTable] = {Level.MUNICIPALITY: fte}
    rates: dict[Level, StatTable] = {}
    coverage: dict[Level, Coverage] = {}
    problems: dict[Level, str] = {}
    for level in ROLLUP_LEVELS:
        try:
            counts[level] = ctx.roll_up(fte, level)
            coverage[level] = ctx.coverage(counts[level], level)
            rates[level] = fte_rates(ctx, counts[level], level)
        except SamhandlingError as exc:
            problems[level] = str(exc)
            counts.pop(level, None)
    rates[Level.MUNICIPALITY] = fte_rates(ctx, fte, Level.MUNICIPALITY)
    data = FteData(counts=counts, rates=rates, coverage=coverage, problems=problems)
    ctx.cache["fte"] = data
    return data


def _change(now: float | None, before: float | None) -> tuple[float | None, float | None]:
    if now is None or before is None:
        return None, None
    return now - before, (100.0 * (now - before) / before if before else None)


def fte_section(ctx: ReportContext) -> Section:
    """Section «Årsverk»: national årsverk by target group over the years, with change and coverage."""
    data = fte_data(ctx)
    blocks: list[Figure | Table | Note] = [
        Note(
            text=msg("fte.level_problem", level=label("level_lower", level.value), problem=problem),
            kind="warning",
        )
        for level, problem in data.problems.items()
    ]
    headlines: list[Headline] = []
    years = ctx.years(data.counts[Level.MUNICIPALITY])
    if Level.NATIONAL in data.counts:
        national = data.counts[Level.NATIONAL]
        coverage = data.coverage[Level.NATIONAL]
        counts = lookup(national, ["region", "target_group", "year"])
        name_counts = ctx.add("fte_national", msg("fte.data_national"), national)
        rates = data.rates[Level.NATIONAL]
        name_rates = ctx.add("fte_per_10000_national", msg("fte.data_rates_national"), rates)
        rate_rows = lookup(rates, ["region", "target_group", "year"])
        region = next(iter({k[0] for k in counts}), "0")
        for group in (ALL_GROUPS, *TARGET_GROUPS):
            now = national_value(counts, group, ctx.year)
            before = national_value(counts, group, ctx.year - 1)
            change, percent = _change(now, before)
            have, every = coverage.get((region, ctx.year, "fte"), (0, 0))
            headlines.append(
                Headline(
                    label=msg(f"fte.headline.{group}"),
                    value=format_number(now, 0),
                    change=msg(
                        "fte.headline.change",
                        change=format_change(change, 0),
                        percent=format_change(percent, 1),
                        year=ctx.year - 1,
                    )
                    if change is not None
                    else "",
                    detail=msg("fte.headline.detail", have=have, every=every, year=ctx.year),
                )
            )
        rows = []
        for year in years:
            values = {g: counts.get((region, g, year)) for g in (*TARGET_GROUPS, ALL_GROUPS)}
            now = national_value(counts, ALL_GROUPS, year)
            before = national_value(counts, ALL_GROUPS, year - 1)
            change, percent = _change(now, before)
            rows.append(
                [
                    Cell(text=str(year), sort=str(year)),
                    *(cell(values[g], 0) for g in (*TARGET_GROUPS, ALL_GROUPS)),
                    Cell(text=format_change(change, 0), symbol=change is None, sort=sort_value(change)),
                    Cell(
                        text=format_change(percent, 1) + "\u00a0%" if percent is not None else "..",
                        symbol=percent is None,
                        sort=sort_value(percent),
                    ),
                    coverage_text(coverage, region, year, "fte"),
                ]
            )
        blocks.append(
            Table(
                id="fte-national",
                title=msg("fte.table_title", first=years[0], last=years[-1])
                if years
                else msg("fte.table_title_plain"),
                caption=msg("fte.table_caption"),
                columns=[
                    Column(label=msg("column.year")),
                    Column(label=label("target_group", "adults"), numeric=True),
                    Column(label=label("target_group", "children_young"), numeric=True),
                    Column(label=msg("column.total"), numeric=True),
                    Column(label=msg("column.change"), numeric=True),
                    Column(label=msg("column.change_percent"), numeric=True),
                    Column(label=msg("column.coverage"), numeric=True, note=msg("column.coverage_note")),
                ],
                rows=rows,
                data_files=(name_counts,),
            )
        )
        series = [
            charts.Series(
                label=label("target_group_ages", g),
                x=years,
                y=[national_value(rate_rows, g, y) for y in years],
            )
            for g in TARGET_GROUPS
        ]
        blocks.append(
            Figure.of(
                charts.line_chart(
                    "fte-per-10000-national",
                    series,
                    description=msg("fte.chart_rates_description"),
                    ylabel=msg("axis.fte_per_10000"),
                    stamp=ctx.stamp,
                ),
                id="fte-per-10000-national",
                title=msg("fte.chart_rates_title", national=ctx.national),
                caption=msg("fte.chart_rates_caption"),
                data_files=(name_rates,),
            )
        )
        for group in TARGET_GROUPS:
            now = national_value(rate_rows, group, ctx.year)
            before = national_value(rate_rows, group, ctx.year - 1)
            change, _percent = _change(now, before)
            headlines.append(
                Headline(
                    label=msg(f"fte.headline_rate.{group}"),
                    value=format_number(now, 1),
                    change=msg("fte.headline_rate_change", change=format_change(change, 1), year=ctx.year - 1)
                    if change is not None
                    else "",
                    detail=msg("fte.headline_rate_detail", national=ctx.national, year=ctx.year),
                )
            )
        share = national_value(counts, "children_young", ctx.year)
        total = national_value(counts, ALL_GROUPS, ctx.year)
        if share is not None and total:
            blocks.append(
                Note(
                    text=msg(
                        "fte.children_share", share=format_percent(100.0 * share / total, 1), year=ctx.year
                    )
                )
            )
    return Section(
        id="arsverk",
        title=msg("fte.title"),
        intro=msg("fte.intro", map_year=ctx.geography.year),
        headlines=headlines,
        blocks=blocks,
    )


def national_rates(ctx: ReportContext) -> dict[str, Any]:
    """The national FTE rates per 10,000 of the report year, by target group (for other sections)."""
    data = fte_data(ctx)
    if Level.NATIONAL not in data.rates:
        return {}
    rows: Found = lookup(data.rates[Level.NATIONAL].where(year=ctx.year), ["region", "target_group"])
    return {g: national_value(rows, g) for g in (*TARGET_GROUPS, ALL_GROUPS)}
