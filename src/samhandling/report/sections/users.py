"""Section «Brukere»: users of the municipal services per 10,000 inhabitants by user group (target group),
where the survey counts users.  Users are counts of people: every table of them is published through the
report's disclosure control, counts and rates of one publication together."""

from __future__ import annotations

import typing

import attrs

from samhandling.errors import SamhandlingError
from samhandling.levels import Level
from samhandling.report import charts
from samhandling.report.context import ReportContext
from samhandling.report.document import Cell, Column, Figure, Headline, Note, Section, Table
from samhandling.report.formatting import format_number
from samhandling.report.messages import label, msg
from samhandling.report.sections._common import cell, national_value
from samhandling.report.sections.fte import rate_variable
from samhandling.report.survey import TARGET_AGES, TARGET_GROUPS, users_by_target_group
from samhandling.report.tabular import lookup
from samhandling.tables import StatTable

__all__ = ["UserTables", "user_tables", "users_section"]


@typing.final
@attrs.frozen(kw_only=True)
class UserTables:
    """The user tables the report publishes: counts per municipality (report year), their rates, and
    county and national rates for every year; ``context`` the county and national counts behind them."""

    counts: StatTable
    municipal: StatTable
    county: StatTable
    national: StatTable
    context: tuple[StatTable, ...] = ()

    def published(self) -> list[StatTable]:
        """The tables the report writes and shows, in a fixed order."""
        return [self.counts, self.municipal, self.county, self.national]

    def replaced(self, tables: typing.Sequence[StatTable]) -> UserTables:
        """The same tables replaced, in the order of :meth:`published` (after protection)."""
        counts, municipal, county, national = tables
        return attrs.evolve(self, counts=counts, municipal=municipal, county=county, national=national)


def _rates(ctx: ReportContext, counts: StatTable, level: Level) -> StatTable:
    variable = rate_variable(
        "users", msg("variable.users_per_10000"), unit="bruker / ten_thousand_inhabitants"
    )
    parts = [ctx.per_10000(counts.where(target_group=g), level, TARGET_AGES[g]) for g in TARGET_GROUPS]
    return StatTable.concat([p.with_arrow(p.arrow, variables=[variable]) for p in parts if p.num_rows])


def user_tables(ctx: ReportContext) -> UserTables | None:
    """The user counts and rates before protection (``None`` when the survey counts no users)."""
    survey = ctx.inputs.survey
    assert survey is not None
    users = users_by_target_group(survey)
    if users is None:
        return None
    counts = users.where(year=ctx.year)
    national_counts = ctx.roll_up(users, Level.NATIONAL)
    county_counts = ctx.roll_up(users, Level.COUNTY)
    return UserTables(
        counts=counts,
        municipal=_rates(ctx, counts, Level.MUNICIPALITY),
        county=_rates(ctx, county_counts, Level.COUNTY),
        national=_rates(ctx, national_counts, Level.NATIONAL),
        context=(national_counts, county_counts),
    )


def users_section(ctx: ReportContext) -> Section:
    """Section «Brukere»."""
    title, intro = msg("users.title"), msg("users.intro")
    try:
        tables = user_tables(ctx)
    except SamhandlingError as exc:
        return Section(
            id="brukere",
            title=title,
            intro=intro,
            blocks=[Note(text=msg("users.problem", problem=str(exc)), kind="warning")],
        )
    if tables is None:
        return Section(id="brukere", title=title, intro=intro, blocks=[Note(text=msg("users.none"))])
    tables = tables.replaced(ctx.publish(tables.published(), tables.context))
    blocks: list[Figure | Table | Note] = list(ctx.protection_notes())
    name_counts = ctx.add("users_municipality", msg("users.data_counts", year=ctx.year), tables.counts)
    name_rates = ctx.add(
        "users_per_10000_municipality", msg("users.data_rates", year=ctx.year), tables.municipal
    )
    name_county = ctx.add("users_per_10000_county", msg("users.data_county"), tables.county)
    name_national = ctx.add("users_per_10000_national", msg("users.data_national"), tables.national)
    national = lookup(tables.national.where(year=ctx.year), ["region", "target_group"])
    headlines = [
        Headline(
            label=msg(f"users.headline.{g}"),
            value=format_number(national_value(national, g), 0),
            detail=msg("headline.detail", national=ctx.national, year=ctx.year),
        )
        for g in TARGET_GROUPS
    ]
    county = lookup(tables.county.where(year=ctx.year), ["region", "target_group"])
    counties = ctx.sorted_by_name("county", {k[0] for k in county})
    blocks.append(
        Figure.of(
            charts.grouped_bars(
                "users-county",
                [ctx.name("county", c) for c in counties],
                {
                    label("target_group_ages", g): [county.get((c, g), (None, None))[0] for c in counties]
                    for g in TARGET_GROUPS
                },
                description=msg("users.chart_description", year=ctx.year),
                xlabel=msg("axis.users_per_10000"),
                stamp=ctx.stamp,
                symbols=None,
                decimals=0,
            ),
            id="users-county",
            title=msg("users.chart_title", year=ctx.year),
            caption=msg("users.chart_caption"),
            data_files=(name_county, name_national),
        )
    )
    rows = [
        [Cell(text=ctx.name("county", c)), *(cell(county.get((c, g)), 0) for g in TARGET_GROUPS)]
        for c in counties
    ]
    blocks.append(
        Table(
            id="users-county",
            title=msg("users.table_title", year=ctx.year),
            caption=msg("users.table_caption"),
            columns=[Column(label=label("level", "county"), sorted="asc")]
            + [Column(label=label("target_group_ages", g), numeric=True) for g in TARGET_GROUPS],
            rows=rows,
            data_files=(name_county, name_rates, name_counts),
        )
    )
    return Section(id="brukere", title=title, intro=intro, headlines=headlines, blocks=blocks)
