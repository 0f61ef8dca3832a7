"""Section «Årsverk etter område»: årsverk per 10,000 inhabitants by health region, county, health trust,
DPS catchment, municipality size group and KOSTRA group, each total with how many of its municipalities it
covers.

KOSTRA groups are shown when the user gives the membership (``--kostra-groups``, read by
:mod:`samhandling.report.kostra_groups`): SSB publishes it in its classification service (KLASS 112), and
the library ships no copy of it, so without the file the report says how to give one instead of guessing
a grouping.  Municipalities of the map the file leaves out are named, never put in a group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from samhandling.levels import Level
from samhandling.report import charts
from samhandling.report.context import Coverage, ReportContext
from samhandling.report.document import Cell, Column, Figure, Note, Section, Table
from samhandling.report.grouping import SIZE_BANDS, group_members, size_groups, sum_groups
from samhandling.report.messages import label, msg
from samhandling.report.sections._common import Found, cell, coverage_text, national_value, series_for
from samhandling.report.sections.fte import ALL_GROUPS, fte_data, national_rates
from samhandling.report.survey import TARGET_AGES, TARGET_GROUPS
from samhandling.report.tabular import lookup, plain, sum_by
from samhandling.tables import StatTable

__all__ = ["areas_section", "group_rates", "size_group_rates"]

_CHART_LEVELS = (Level.HEALTH_REGION, Level.COUNTY, Level.HEALTH_TRUST)
_SERIES_LEVELS = (Level.COUNTY, Level.HEALTH_TRUST)


def _level_table(
    ctx: ReportContext,
    level: Level,
    counts: Found,
    rates: Found,
    coverage: Coverage,
    regions: list[str],
    data_files: tuple[str, ...],
) -> Table:
    rows = []
    for region in regions:
        row = [Cell(text=ctx.name(level.value, region)), coverage_text(coverage, region, ctx.year, "fte")]
        for group in (*TARGET_GROUPS, ALL_GROUPS):
            row += [
                cell(counts.get((region, group, ctx.year)), 0),
                cell(rates.get((region, group, ctx.year)), 1),
            ]
        rows.append(row)
    return Table(
        id=f"fte-{level.value.replace('_', '-')}",
        title=msg("areas.table_title", level=label("level_lower", level.value), year=ctx.year),
        caption=msg("areas.table_caption"),
        columns=_columns(label("level", level.value)),
        rows=rows,
        data_files=data_files,
        compact=True,
        sortable=True,
    )


def _columns(first: str) -> list[Column]:
    columns = [
        Column(label=first, sorted="asc"),
        Column(label=msg("column.coverage"), numeric=True, note=msg("column.coverage_note")),
    ]
    for group in (*TARGET_GROUPS, ALL_GROUPS):
        columns += [
            Column(label=msg("areas.column_fte", group=label("target_group", group)), numeric=True),
            Column(label=msg("areas.column_rate", ages=label("target_ages", group)), numeric=True),
        ]
    return columns


def _dot_plot(ctx: ReportContext, level: Level, rates: Found, regions: list[str], data_file: str) -> Figure:
    national = national_rates(ctx)
    ordered = sorted(
        regions,
        key=lambda r: -(rates.get((r, "adults", ctx.year), (None, None))[0] or -1.0),
    )
    references = [
        (msg("areas.reference", group=label("target_group", g).lower()), value, index)
        for index, g in enumerate(TARGET_GROUPS)
        if (value := national.get(g)) is not None
    ]
    chart_id = f"fte-dots-{level.value.replace('_', '-')}"
    return Figure.of(
        charts.dot_plot(
            chart_id,
            [ctx.name(level.value, r) for r in ordered],
            {
                label("target_group_ages", g): [rates.get((r, g, ctx.year), (None, None))[0] for r in ordered]
                for g in TARGET_GROUPS
            },
            description=msg("areas.dots_description", level=label("level_lower", level.value), year=ctx.year),
            xlabel=msg("axis.fte_per_10000_target"),
            stamp=ctx.stamp,
            references=references,
            decimals=1,
        ),
        id=chart_id,
        title=msg("areas.dots_title", level=label("level_lower", level.value), year=ctx.year),
        caption=msg("areas.dots_caption"),
        data_files=(data_file,),
    )


def _series(ctx: ReportContext, level: Level, rates: StatTable, regions: list[str], data_file: str) -> Figure:
    years = ctx.years(rates)
    rows = lookup(rates, ["region", "target_group", "year"])
    data = fte_data(ctx)
    national = (
        lookup(data.rates[Level.NATIONAL], ["region", "target_group", "year"])
        if Level.NATIONAL in data.rates
        else {}
    )
    national_adults = tuple(national_value(national, "adults", y) for y in years)
    panels = [
        charts.Panel(
            title=ctx.name(level.value, region),
            series=[
                charts.Series(label=label("target_group", g), x=years, y=series_for(rows, region, g, years))
                for g in TARGET_GROUPS
            ]
            + [
                charts.Series(
                    label=msg("areas.national_adults", national=ctx.national),
                    x=years,
                    y=national_adults,
                    dashed=True,
                )
            ],
        )
        for region in regions
    ]
    chart_id = f"fte-series-{level.value.replace('_', '-')}"
    return Figure.of(
        charts.small_multiples(
            chart_id,
            panels,
            description=msg("areas.series_description", level=label("level_lower", level.value)),
            ylabel=msg("axis.fte_per_10000_target"),
            stamp=ctx.stamp,
        ),
        id=chart_id,
        title=msg("areas.series_title", level=label("level_lower", level.value)),
        caption=msg("areas.series_caption", national=ctx.national.lower()),
        data_files=(data_file,),
    )


def _dps_table(ctx: ReportContext, rates: StatTable, coverage: Coverage, data_file: str) -> Table:
    rows = lookup(rates, ["region", "target_group", "year"])
    regions = ctx.sorted_by_name("dps", {key[0] for key in rows})
    shown = ctx.years(rates)[-5:]
    table_rows = []
    for region in regions:
        cells = [Cell(text=ctx.name("dps", region)), coverage_text(coverage, region, ctx.year, "fte")]
        cells += [cell(rows.get((region, "adults", year)), 1) for year in shown]
        cells.append(cell(rows.get((region, "children_young", ctx.year)), 1))
        table_rows.append(cells)
    return Table(
        id="fte-dps",
        title=msg("areas.dps_title"),
        caption=msg("areas.dps_caption"),
        columns=[
            Column(label=label("level", "dps"), sorted="asc"),
            Column(label=msg("column.coverage"), numeric=True, note=msg("column.coverage_note")),
        ]
        + [Column(label=msg("areas.dps_adults", year=y), numeric=True) for y in shown]
        + [Column(label=msg("areas.dps_children", year=ctx.year), numeric=True)],
        rows=table_rows,
        data_files=(data_file,),
        compact=True,
        sortable=True,
    )


def size_group_rates(ctx: ReportContext) -> tuple[StatTable, StatTable, Coverage, dict[str, list[str]]]:
    """FTEs and FTEs per 10,000 by municipality size group (report year's sizes), with coverage."""
    population = ctx.inputs.population
    assert population is not None
    groups = size_groups(population, ctx.year)
    counts, rates, coverage = group_rates(ctx, groups, level=Level.REGION_GROUP, grouping="size_group")
    return counts, rates, coverage, group_members(groups)


def group_rates(
    ctx: ReportContext, groups: Mapping[str, str], *, level: Level, grouping: str
) -> tuple[StatTable, StatTable, Coverage]:
    """FTEs and FTEs per 10,000 of each group of municipalities (``groups``: municipality → group).

    A group's rate is its summed FTEs over its summed population of the target group's ages, never an
    average of its municipalities' rates; a group with a missing part has no value, as every sum of the
    report.
    """
    population = ctx.inputs.population
    assert population is not None
    data = fte_data(ctx)
    counts, coverage = sum_groups(data.counts[Level.MUNICIPALITY], groups, level=level, grouping=grouping)
    people = plain(population.where(level="municipality"))
    rates = []
    for group, ages in {**TARGET_AGES, ALL_GROUPS: "all"}.items():
        wanted = (
            [a for a in set(people.column("age").to_pylist()) if _in_ages(a, ages)]
            if "age" in people.column_names
            else []
        )
        chosen = (
            population.where(level="municipality", age=wanted)
            if wanted
            else population.where(level="municipality")
        )
        summed, _cov = sum_groups(chosen, groups, level=level, grouping=grouping)
        totals = sum_by(plain(summed), ["region", "year"])
        fte = plain(counts.where(target_group=group))
        joined = fte.join(
            totals.rename_columns(["region", "year", "population", "population_status"]), ["region", "year"]
        )
        value = pc.multiply(pc.divide(joined.column("value"), joined.column("population")), 10_000.0)
        rates.append(
            pa.table(
                {
                    "region": joined.column("region"),
                    "level": joined.column("level"),
                    "year": joined.column("year"),
                    "target_group": joined.column("target_group"),
                    "variable": pa.array(["fte_per_10000"] * joined.num_rows, pa.string()),
                    "value": value,
                    "status": pc.if_else(
                        pc.is_null(value),
                        pc.coalesce(joined.column("status"), pa.scalar("..")),
                        pa.scalar(None, pa.string()),
                    ),
                }
            )
        )
    rate_table = data.rates[Level.MUNICIPALITY].with_arrow(pa.concat_tables(rates))
    rate_table = rate_table.with_arrow(
        rate_table.arrow, extra={**rate_table.meta.extra, "grouping": grouping}
    )
    return counts, rate_table, coverage


def _in_ages(label_text: str, ages: str) -> bool:
    from samhandling.aggregate import age_range

    if ages == "all":
        return True
    found = age_range(label_text)
    wanted = age_range(ages)
    if found is None or wanted is None:
        return False
    low, high = found
    want_low, want_high = wanted
    return low >= want_low and (want_high is None or (high is not None and high <= want_high))


def _size_blocks(ctx: ReportContext) -> list[Figure | Table | Note]:
    counts, rates, coverage, members = size_group_rates(ctx)
    codes = [code for code, _low, _high in SIZE_BANDS if code in members]
    return _group_blocks(
        ctx,
        "size_group",
        (counts, rates, coverage),
        codes,
        short=lambda code: label("size_group", code),
        long=lambda code: label("size_group", code),
        caption=msg("areas.size_caption", year=ctx.year),
        sortable=False,
    )


def _group_blocks(
    ctx: ReportContext,
    grouping: str,
    sums: tuple[StatTable, StatTable, Coverage],
    codes: list[str],
    *,
    short: Callable[[str], str],
    long: Callable[[str], str],
    caption: str,
    sortable: bool,
) -> list[Figure | Table | Note]:
    """A chart and a table of årsverk and årsverk per 10,000 by a grouping of municipalities (size group
    or KOSTRA group), with the data files behind them.

    :param sums: the årsverk, the rates and the coverage per group (see :func:`group_rates`).
    :param short: a group's label in the chart; ``long``: in the table.
    """
    counts, rates, coverage = sums
    key = {"size_group": "size", "kostra_group": "kostra"}[grouping]
    slug = f"fte-{grouping.replace('_', '-')}"
    name_counts = ctx.add(f"fte_{grouping}", msg(f"areas.{key}_data_counts"), counts)
    name_rates = ctx.add(f"fte_per_10000_{grouping}", msg(f"areas.{key}_data_rates"), rates)
    found_counts = lookup(counts, ["region", "target_group", "year"])
    found_rates = lookup(rates, ["region", "target_group", "year"])
    figure = Figure.of(
        charts.grouped_bars(
            slug,
            [short(c) for c in codes],
            {
                label("target_group_ages", g): [
                    found_rates.get((c, g, ctx.year), (None, None))[0] for c in codes
                ]
                for g in TARGET_GROUPS
            },
            description=msg(f"areas.{key}_description", year=ctx.year),
            xlabel=msg("axis.fte_per_10000_target"),
            stamp=ctx.stamp,
            decimals=1,
        ),
        id=slug,
        title=msg(f"areas.{key}_title", year=ctx.year),
        caption=caption,
        data_files=(name_rates,),
    )
    rows = []
    for code in codes:
        row = [Cell(text=long(code)), coverage_text(coverage, code, ctx.year, "fte")]
        for group in (*TARGET_GROUPS, ALL_GROUPS):
            row += [
                cell(found_counts.get((code, group, ctx.year)), 0),
                cell(found_rates.get((code, group, ctx.year)), 1),
            ]
        rows.append(row)
    table = Table(
        id=slug,
        title=msg(f"areas.{key}_table_title", year=ctx.year),
        caption=msg(f"areas.{key}_table_caption"),
        columns=_columns(msg(f"column.{grouping}")),
        rows=rows,
        data_files=(name_counts, name_rates),
        compact=True,
        sortable=sortable,
    )
    return [figure, table]


def _kostra_label(ctx: ReportContext, code: str, *, long: bool) -> str:
    """``EKG13`` in charts; ``EKG13 – <name in the file>`` in tables (a group given by name: the name)."""
    groups = ctx.kostra_groups
    name = groups.name(code) if groups is not None else ""
    if " " in code.strip():  # given by its name in a two-column file
        return code
    if long and name:
        return msg("areas.kostra_label", code=code, name=name)
    return code if not long else ctx.name(Level.KOSTRA_GROUP.value, code)


def _kostra_blocks(ctx: ReportContext) -> list[Figure | Table | Note]:
    """Årsverk per 10,000 by KOSTRA group, from the membership the user gave (or a note on how to)."""
    groups = ctx.kostra_groups
    if groups is None:
        return [Note(text=msg("areas.kostra_groups"))]
    from pathlib import Path

    file_name = Path(groups.path).name
    membership, unknown, missing = groups.on_map(ctx.codes("municipality"))
    notes: list[Figure | Table | Note] = []
    if unknown:
        notes.append(
            Note(
                text=msg(
                    "areas.kostra_unknown",
                    file=file_name,
                    count=len(unknown),
                    codes=", ".join(sorted({m.municipality for m in unknown})),
                    year=ctx.geography.year,
                ),
                kind="warning",
            )
        )
    if missing:
        names = [ctx.name("municipality", code) for code in missing]
        shown = ", ".join(names[:20])
        if len(names) > 20:
            shown = msg("areas.kostra_more", names=shown, more=len(names) - 20)
        notes.append(
            Note(
                text=msg(
                    "areas.kostra_missing", file=file_name, count=len(missing), names=shown, year=ctx.year
                ),
                kind="warning",
            )
        )
    if not membership:
        return notes
    sums = group_rates(ctx, membership, level=Level.KOSTRA_GROUP, grouping="kostra_group")
    used = set(membership.values())
    codes = [g.code for g in groups.groups if g.code in used]
    blocks = _group_blocks(
        ctx,
        "kostra_group",
        sums,
        codes,
        short=lambda code: _kostra_label(ctx, code, long=False),
        long=lambda code: _kostra_label(ctx, code, long=True),
        caption=msg("areas.kostra_caption", file=file_name),
        sortable=True,
    )
    return [*blocks, *notes]


def areas_section(ctx: ReportContext) -> Section:
    """Section «Årsverk etter område»."""
    data = fte_data(ctx)
    blocks: list[Figure | Table | Note] = [Note(text=text, kind="warning") for text in ctx.exclusion_notes()]
    for level in _CHART_LEVELS:
        if level not in data.rates:
            continue
        stem = level.value
        name_counts = ctx.add(
            f"fte_{stem}", msg("areas.data_counts", level=label("level_lower", stem)), data.counts[level]
        )
        name_rates = ctx.add(
            f"fte_per_10000_{stem}",
            msg("areas.data_rates", level=label("level_lower", stem)),
            data.rates[level],
        )
        counts = lookup(data.counts[level], ["region", "target_group", "year"])
        rates = lookup(data.rates[level], ["region", "target_group", "year"])
        regions = ctx.sorted_by_name(stem, {k[0] for k in counts})
        blocks.append(_dot_plot(ctx, level, rates, regions, name_rates))
        if level in _SERIES_LEVELS:
            blocks.append(_series(ctx, level, data.rates[level], regions, name_rates))
        blocks.append(
            _level_table(ctx, level, counts, rates, data.coverage[level], regions, (name_counts, name_rates))
        )
    if Level.DPS in data.rates:
        name = ctx.add(
            "fte_per_10000_dps",
            msg("areas.data_rates", level=label("level_lower", "dps")),
            data.rates[Level.DPS],
        )
        ctx.add(
            "fte_dps", msg("areas.data_counts", level=label("level_lower", "dps")), data.counts[Level.DPS]
        )
        blocks.append(_dps_table(ctx, data.rates[Level.DPS], data.coverage[Level.DPS], name))
    blocks.extend(_size_blocks(ctx))
    blocks.extend(_kostra_blocks(ctx))
    return Section(
        id="omrader",
        title=msg("areas.title"),
        intro=msg("areas.intro", map_year=ctx.geography.year),
        blocks=blocks,
    )
