"""Section «Innleggelser»: admissions to specialist mental-health and substance-use care per 10,000
inhabitants, by home municipality and unit type, nationally over time, per county and per municipality.

Admissions are counts of people: :func:`admission_tables` computes the counts and rates, the build
protects them as one publication, and the section renders only what came back.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import SamhandlingError
from samhandling.levels import Level
from samhandling.report import charts
from samhandling.report.context import ReportContext
from samhandling.report.document import Cell, Column, Figure, Headline, Note, Section, Table
from samhandling.report.messages import label, labels, msg
from samhandling.report.sections._common import cell, national_value
from samhandling.report.tabular import lookup, plain, sum_by
from samhandling.tables import StatTable

__all__ = [
    "ALL_UNIT_TYPES",
    "AdmissionTables",
    "admission_tables",
    "admissions_by_unit_type",
    "admissions_section",
]

#: The ``unit_type`` of the rows that sum every unit type (an area's "i alt").
ALL_UNIT_TYPES = "total"


def admissions_by_unit_type(admissions: StatTable) -> StatTable:
    """Admissions per municipality, year and unit type (months and single units summed)."""
    rows = plain(admissions.where(variable="admissions"))
    # Rows without a unit type or marked "total" are sums of the other rows: counting them would
    # count the same admissions twice.
    types = rows.column("unit_type").cast(pa.string())
    rows = rows.filter(pc.fill_null(pc.not_equal(types, ALL_UNIT_TYPES), False))
    summed = sum_by(rows, ["region", "level", "year", "unit_type", "variable"])
    return StatTable.from_arrow(
        summed, meta=attrs.evolve(admissions.meta, variables=[admissions.variable("admissions")])
    )


def _with_totals(admissions: StatTable) -> StatTable:
    """The counts with one ``total`` row per area and year that sums the unit types."""
    rows = plain(admissions)
    summed = sum_by(rows, ["region", "level", "year", "variable"])
    totals = summed.append_column("unit_type", pa.array([ALL_UNIT_TYPES] * summed.num_rows, pa.string()))
    both = pa.concat_tables([rows.select(totals.column_names), totals.select(totals.column_names)])
    return admissions.with_arrow(both)


@typing.final
@attrs.frozen(kw_only=True)
class AdmissionTables:
    """What the report publishes about admissions: one publication of counts and rates, with totals.

    ``counts`` per municipality (and city district) and unit type for the report year, with a
    ``total`` row per area; ``municipal`` their rates per 10,000 inhabitants; ``county`` and
    ``national`` rates for every year (with ``total`` rows), or ``None`` with ``problem`` saying why;
    ``context`` the county and national counts behind those rates (not published themselves, but
    what the rates reveal, so that protection knows them).
    """

    counts: StatTable
    municipal: StatTable
    county: StatTable | None = None
    national: StatTable | None = None
    context: tuple[StatTable, ...] = ()
    problem: str = ""

    def published(self) -> list[StatTable]:
        """The tables the report writes and shows, in a fixed order."""
        return [t for t in (self.counts, self.municipal, self.county, self.national) if t is not None]

    def replaced(self, tables: Sequence[StatTable]) -> AdmissionTables:
        """The same tables replaced, in the order of :meth:`published` (e.g. after protection)."""
        found = list(tables)
        counts, municipal = found[0], found[1]
        rest = found[2:]
        county = rest.pop(0) if self.county is not None else None
        national = rest.pop(0) if self.national is not None else None
        return attrs.evolve(self, counts=counts, municipal=municipal, county=county, national=national)


def admission_tables(ctx: ReportContext) -> AdmissionTables | None:
    """The admission counts and rates of the report, before protection (``None`` without NIMES input)."""
    if ctx.inputs.admissions is None:
        return None
    year = ctx.year
    admissions = _with_totals(admissions_by_unit_type(ctx.inputs.admissions))
    counts = admissions.where(year=year)
    municipal = ctx.per_10000(counts, Level.MUNICIPALITY, "all")
    try:
        national_counts = ctx.roll_up(admissions, Level.NATIONAL)
        county_counts = ctx.roll_up(admissions, Level.COUNTY)
        national = ctx.per_10000(national_counts, Level.NATIONAL, "all")
        county = ctx.per_10000(county_counts, Level.COUNTY, "all")
    except SamhandlingError as exc:
        return AdmissionTables(counts=counts, municipal=municipal, problem=str(exc))
    return AdmissionTables(
        counts=counts,
        municipal=municipal,
        county=county,
        national=national,
        context=(national_counts, county_counts),
    )


def _unit_order(codes: set[str]) -> list[str]:
    known = list(labels("unit_type"))
    return sorted(codes, key=lambda u: (known.index(u) if u in known else len(known), u))


def admissions_section(ctx: ReportContext, tables: AdmissionTables | None = None) -> Section:
    """Section «Innleggelser»; ``tables`` are the published (protected) tables of :func:`admission_tables`."""
    title, intro = msg("admissions.title"), msg("admissions.intro")
    if tables is None:
        return Section(
            id="innleggelser",
            title=title,
            intro=intro,
            blocks=[Note(text=msg("admissions.none"), kind="warning")],
        )
    year = ctx.year
    blocks: list[Figure | Table | Note] = []
    admissions = ctx.inputs.admissions
    if admissions is not None and admissions.has_month:
        found = plain(admissions.where(year=year)).column("month")
        months = sorted(int(m) for m in pc.unique(found).to_pylist() if m is not None)
        if months and len(months) < 12:
            blocks.append(
                Note(
                    text=msg(
                        "admissions.partial_year",
                        count=len(months),
                        year=year,
                        months=", ".join(map(str, months)),
                    ),
                    kind="warning",
                )
            )
    blocks.extend(ctx.protection_notes())
    headlines: list[Headline] = []
    unit_types = _unit_order(
        {u for u in plain(tables.counts).column("unit_type").to_pylist() if u != ALL_UNIT_TYPES}
    )
    if tables.national is None or tables.county is None:
        blocks.append(Note(text=msg("admissions.county_problem", problem=tables.problem), kind="warning"))
    else:
        years = ctx.years(tables.national)
        data_national = ctx.add(
            "admissions_per_10000_national", msg("admissions.data_national"), tables.national
        )
        national_rows = lookup(tables.national, ["region", "unit_type", "year"])
        blocks.append(
            Figure.of(
                charts.line_chart(
                    "admissions-national",
                    [
                        charts.Series(
                            label=label("unit_type", u),
                            x=years,
                            y=[national_value(national_rows, u, y) for y in years],
                        )
                        for u in unit_types
                    ],
                    description=msg("admissions.national_description"),
                    ylabel=msg("axis.admissions_per_10000"),
                    stamp=ctx.stamp,
                ),
                id="admissions-national",
                title=msg("admissions.national_title", national=ctx.national),
                data_files=(data_national,),
            )
        )
        total_now = next(
            (found for key, found in national_rows.items() if key[1:] == (ALL_UNIT_TYPES, year)), None
        )
        if total_now is not None:
            headlines.append(
                Headline(
                    label=msg("admissions.headline"),
                    value=cell(total_now, 0).text,
                    detail=msg("admissions.headline_detail", national=ctx.national, year=year),
                )
            )
        data_county = ctx.add("admissions_per_10000_county", msg("admissions.data_county"), tables.county)
        county_rows = lookup(tables.county.where(year=year), ["region", "unit_type"])
        counties = ctx.sorted_by_name("county", {k[0] for k in county_rows if k[1] != ALL_UNIT_TYPES})
        blocks.append(
            Figure.of(
                charts.stacked_bars(
                    "admissions-county",
                    [ctx.name("county", c) for c in counties],
                    {
                        label("unit_type", u): [county_rows.get((c, u), (None, None))[0] for c in counties]
                        for u in unit_types
                    },
                    description=msg("admissions.county_description"),
                    xlabel=msg("axis.admissions_per_10000"),
                    stamp=ctx.stamp,
                ),
                id="admissions-county",
                title=msg("admissions.county_title", year=year),
                caption=msg("admissions.county_caption"),
                data_files=(data_county,),
            )
        )
    data_muni = ctx.add(
        "admissions_per_10000_municipality", msg("admissions.data_municipal", year=year), tables.municipal
    )
    data_counts = ctx.add("admissions_municipality", msg("admissions.data_counts", year=year), tables.counts)
    rate_rows = lookup(tables.municipal, ["region", "unit_type"])
    count_rows = lookup(tables.counts, ["region", "unit_type"])
    rows = []
    for code in ctx.codes("municipality"):
        row = [Cell(text=ctx.name("municipality", code)), cell(count_rows.get((code, ALL_UNIT_TYPES)), 0)]
        row += [cell(rate_rows.get((code, u)), 1) for u in (ALL_UNIT_TYPES, *unit_types)]
        rows.append(row)
    blocks.append(
        Table(
            id="admissions-municipality",
            title=msg("admissions.table_title", year=year),
            caption=msg("admissions.table_caption"),
            columns=[
                Column(label=msg("column.municipality"), sorted="asc"),
                Column(label=msg("admissions.column_count"), numeric=True),
            ]
            + [
                Column(label=label("unit_type", u), numeric=True, note=msg("admissions.column_rate_note"))
                for u in (ALL_UNIT_TYPES, *unit_types)
            ],
            rows=rows,
            data_files=(data_muni, data_counts),
            compact=True,
            sortable=True,
            searchable=True,
        )
    )
    return Section(id="innleggelser", title=title, intro=intro, headlines=headlines, blocks=blocks)
