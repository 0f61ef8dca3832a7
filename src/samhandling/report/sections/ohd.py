"""Section «ØHD»: emergency 24-hour beds (øyeblikkelig hjelp døgnopphold) for mental health and substance
use per 10,000 inhabitants, the ØHD units of the agreement register and whom they serve, how many
municipalities share a unit with others, and the survey's yes/no answers per county."""

from __future__ import annotations

import datetime as dt

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import SamhandlingError
from samhandling.geography._coverage import ABSENT_ROWS_MEAN_ZERO
from samhandling.levels import Level
from samhandling.model import AgreementKind
from samhandling.report import charts
from samhandling.report.context import SOURCE, ReportContext
from samhandling.report.document import Cell, Column, Figure, Headline, Note, Section, Table
from samhandling.report.formatting import format_number, format_percent
from samhandling.report.messages import label, labels, msg
from samhandling.report.sections._common import national_value
from samhandling.report.tabular import lookup, plain, stat_table, sum_by
from samhandling.tables import StatTable, Variable

__all__ = ["ohd_beds", "ohd_section"]


def ohd_beds(ctx: ReportContext) -> StatTable | None:
    """ØHD places per municipality: each ØHD unit's places shared out by population, plus ``capacity``."""
    register = ctx.inputs.register
    day = dt.date(ctx.year, 7, 1)
    population = lookup(
        sum_by(plain(ctx.population("municipality").where(year=ctx.year)), ["region"]), ["region"]
    )
    known = set(ctx.codes("municipality"))
    region: list[str] = []
    value: list[float] = []
    for service in register.services if register is not None else ():
        if service.kind != "ohd" or service.capacity is None or not service.is_active_on(day):
            continue
        members = [c for c in service.municipalities if c in known]
        weights = [population.get((c,), (None, None))[0] or 0.0 for c in members]
        total = sum(weights)
        places = float(service.capacity.to("plass").magnitude)
        for code, weight in zip(members, weights, strict=True):
            region.append(code)
            value.append(places * weight / total if total else places / len(members))
    parts: list[StatTable] = []
    variable = Variable(id="ohd_beds", unit="plass", additive=True, label=msg("variable.ohd_beds"))
    if region:
        table = sum_by(pa.table({"region": region, "value": value}), ["region"])
        parts.append(
            stat_table(
                {
                    "region": table.column("region"),
                    "year": [ctx.year] * table.num_rows,
                    "variable": ["ohd_beds"] * table.num_rows,
                    "value": table.column("value"),
                },
                level=Level.MUNICIPALITY,
                variables=[variable],
                geography_year=ctx.geography.year,
                source=SOURCE,
                title=msg("ohd.data_register"),
                provenance=(),
            )
        )
    capacity = ctx.inputs.capacity
    if capacity is not None:
        rows = plain(capacity.where(variable="ohd_beds", year=ctx.year))
        summed = sum_by(rows, ["region", "level", "year", "variable"])
        parts.append(
            StatTable.from_arrow(
                summed, meta=attrs.evolve(capacity.meta, variables=[capacity.variable("ohd_beds")])
            )
        )
    if not parts:
        return None
    combined = plain(StatTable.concat(parts)) if len(parts) > 1 else plain(parts[0])
    summed = sum_by(combined, ["region", "level", "year", "variable"])
    meta = (
        parts[0].meta
        if len(parts) == 1
        else attrs.evolve(parts[0].meta, provenance=tuple(p for t in parts for p in t.provenance))
    )
    # A municipality that no ØHD unit serves has no places: its missing row is a zero, not a gap.
    meta = attrs.evolve(meta, extra={**meta.extra, ABSENT_ROWS_MEAN_ZERO: True})
    return StatTable.from_arrow(summed, meta=meta)


def ohd_section(ctx: ReportContext) -> tuple[Section, float | None]:
    """Section «ØHD»: places per 10,000 inhabitants and the spread of inter-municipal arrangements."""
    year = ctx.year
    register = ctx.inputs.register
    blocks: list[Figure | Table | Note] = []
    headlines: list[Headline] = []
    national_rate: float | None = None
    beds = ohd_beds(ctx)
    if beds is None:
        blocks.append(
            Note(
                text=msg("ohd.no_places"),
                kind="warning",
            )
        )
    else:
        try:
            county = ctx.per_10000(ctx.roll_up(beds, Level.COUNTY), Level.COUNTY, "all")
            national = ctx.per_10000(ctx.roll_up(beds, Level.NATIONAL), Level.NATIONAL, "all")
        except SamhandlingError as exc:
            blocks.append(Note(text=msg("ohd.county_problem", problem=str(exc)), kind="warning"))
        else:
            ctx.add("ohd_beds_municipality", msg("ohd.data_municipal"), beds)
            data = ctx.add("ohd_beds_per_10000_county", msg("ohd.data_county"), county)
            rows = lookup(county, ["region"])
            counties = ctx.sorted_by_name("county", {k[0] for k in rows})
            national_rate = national_value(lookup(national, ["region"]))
            blocks.append(
                Figure.of(
                    charts.bar_chart(
                        "ohd-county",
                        [ctx.name("county", c) for c in counties],
                        [rows.get((c,), (None, None))[0] for c in counties],
                        description=msg("ohd.chart_description"),
                        xlabel=msg("axis.places_per_10000"),
                        stamp=ctx.stamp,
                        reference=(ctx.national, national_rate) if national_rate is not None else None,
                        symbols=[rows.get((c,), (None, None))[1] or ".." for c in counties],
                        decimals=2,
                    ),
                    id="ohd-county",
                    title=msg("ohd.chart_title", year=year),
                    caption=msg("ohd.chart_caption"),
                    data_files=(data,),
                )
            )
            total_places = sum(v or 0.0 for v in plain(beds).column("value").to_pylist())
            headlines.append(
                Headline(
                    label=msg("ohd.headline"),
                    value=format_number(total_places, 0),
                    detail=msg("headline.detail", national=ctx.national, year=year),
                )
            )
    if register is None:
        blocks.append(
            Note(
                text=msg("ohd.no_register"),
                kind="warning",
            )
        )
    else:
        blocks.extend(_arrangements(ctx))
        headlines.extend(_arrangement_headlines(ctx))
    yes_no = _yes_no_block(ctx)
    if yes_no is not None:
        blocks.append(yes_no)
    section = Section(
        id="ohd",
        title=msg("ohd.title"),
        intro=msg("ohd.intro"),
        headlines=headlines,
        blocks=blocks,
    )
    return section, national_rate


def _municipality_flags(ctx: ReportContext) -> dict[str, dict[str, float]]:
    register = ctx.inputs.register
    assert register is not None
    day = dt.date(ctx.year, 7, 1)
    flags = {
        code: {
            "municipalities": 1.0,
            "with_ohd": 0.0,
            "inter_municipal_ohd": 0.0,
            "inter_municipal_agreements": 0.0,
        }
        for code in ctx.codes("municipality")
    }
    for service in register.services:
        if service.kind != "ohd" or not service.is_active_on(day):
            continue
        for code in service.municipalities:
            if code in flags:
                flags[code]["with_ohd"] = 1.0
                if service.is_inter_municipal:
                    flags[code]["inter_municipal_ohd"] = 1.0
    for agreement in register.agreements:
        if agreement.kind is AgreementKind.INTER_MUNICIPAL and agreement.is_valid_on(day):
            for code in agreement.municipalities:
                if code in flags:
                    flags[code]["inter_municipal_agreements"] += 1.0
    return flags


_FLAG_VARIABLES = (
    Variable(id="municipalities", unit="count", label=msg("variable.municipalities")),
    Variable(id="with_ohd", unit="count", label=msg("variable.with_ohd")),
    Variable(id="inter_municipal_ohd", unit="count", label=msg("variable.inter_municipal_ohd")),
    Variable(id="inter_municipal_agreements", unit="count", label=msg("variable.inter_municipal_agreements")),
)


def _arrangements(ctx: ReportContext) -> list[Figure | Table | Note]:
    register = ctx.inputs.register
    assert register is not None
    flags = _municipality_flags(ctx)
    codes = sorted(flags)
    names = [v.id for v in _FLAG_VARIABLES]
    table = stat_table(
        {
            "region": [c for c in codes for _ in names],
            "year": [ctx.year] * (len(codes) * len(names)),
            "variable": names * len(codes),
            "value": [flags[c][n] for c in codes for n in names],
        },
        level=Level.MUNICIPALITY,
        variables=_FLAG_VARIABLES,
        geography_year=ctx.geography.year,
        source=SOURCE,
        title=msg("ohd.data_arrangements_municipal"),
    )
    blocks: list[Figure | Table | Note] = []
    data_muni = ctx.add("arrangements_municipality", msg("ohd.data_arrangements_municipal"), table)
    try:
        county = ctx.roll_up(table, Level.COUNTY)
    except SamhandlingError as exc:
        return [Note(text=msg("ohd.arrangements_problem", problem=str(exc)), kind="warning")]
    data_county = ctx.add("arrangements_county", msg("ohd.data_arrangements_county"), county)
    rows = lookup(county, ["region", "variable"])
    counties = ctx.sorted_by_name("county", {k[0] for k in rows})
    table_rows = []
    for c in counties:
        count = rows.get((c, "municipalities"), (None, None))[0] or 0.0
        cells = [Cell(text=ctx.name("county", c)), Cell(text=format_number(count, 0))]
        for name in ("with_ohd", "inter_municipal_ohd"):
            value = rows.get((c, name), (None, None))[0]
            cells.append(Cell(text=format_number(value, 0)))
            cells.append(
                Cell(text=format_percent(100.0 * value / count if value is not None and count else None))
            )
        table_rows.append(cells)
    blocks.append(
        Table(
            id="arrangements-county",
            title=msg("ohd.arrangements_title", year=ctx.year),
            caption=msg("ohd.arrangements_caption"),
            columns=[
                Column(label=label("level", "county"), sorted="asc"),
                Column(label=msg("ohd.column_municipalities"), numeric=True),
                Column(label=msg("ohd.column_with_ohd"), numeric=True),
                Column(label=msg("column.share"), numeric=True),
                Column(label=msg("ohd.column_inter_municipal"), numeric=True),
                Column(label=msg("column.share"), numeric=True),
            ],
            rows=table_rows,
            data_files=(data_county, data_muni),
        )
    )
    services = sorted(
        (s for s in register.services if s.kind == "ohd" and s.is_active_on(dt.date(ctx.year, 7, 1))),
        key=lambda s: (s.municipalities[0] if s.municipalities else "", s.name),
    )
    population = lookup(
        sum_by(plain(ctx.population("municipality").where(year=ctx.year)), ["region"]), ["region"]
    )
    service_table = pa.table(
        {
            "name": [s.name for s in services],
            "provider": [s.provider for s in services],
            "level": [s.level.value for s in services],
            "municipalities": [" ".join(s.municipalities) for s in services],
            "inhabitants": [
                sum(population.get((c,), (0.0, None))[0] or 0.0 for c in s.municipalities) for s in services
            ],
            "places": [
                None if s.capacity is None else float(s.capacity.to("plass").magnitude) for s in services
            ],
        }
    )
    data_services = ctx.add("ohd_services", msg("ohd.data_services"), service_table)
    service_rows = []
    for s, served, places in zip(
        services,
        service_table.column("inhabitants").to_pylist(),
        service_table.column("places").to_pylist(),
        strict=True,
    ):
        service_rows.append(
            [
                Cell(text=s.name),
                Cell(text=s.provider),
                Cell(text=label("service_level", s.level.value)),
                Cell(
                    text=", ".join(
                        ctx.name("municipality", c).split(" ", 1)[1] for c in s.municipalities if c in flags
                    )
                    or "–"
                ),
                Cell(text=format_number(served, 0)),
                Cell(text=format_number(places, 0) if places is not None else "..", symbol=places is None),
                Cell(
                    text=format_number(10_000.0 * places / served, 2)
                    if places is not None and served
                    else "..",
                    symbol=places is None or not served,
                ),
            ]
        )
    blocks.append(
        Table(
            id="ohd-services",
            title=msg("ohd.services_title"),
            caption=msg("ohd.services_caption"),
            columns=[
                Column(label=msg("ohd.column_unit")),
                Column(label=msg("ohd.column_provider")),
                Column(label=msg("ohd.column_level")),
                Column(label=msg("ohd.column_served")),
                Column(label=msg("column.inhabitants"), numeric=True),
                Column(label=msg("ohd.column_places"), numeric=True),
                Column(label=msg("ohd.column_per_10000"), numeric=True),
            ],
            rows=service_rows,
            data_files=(data_services,),
            compact=True,
        )
    )
    return blocks


def _arrangement_headlines(ctx: ReportContext) -> list[Headline]:
    flags = _municipality_flags(ctx)
    count = len(flags)
    inter = sum(f["inter_municipal_ohd"] for f in flags.values())
    return [
        Headline(
            label=msg("ohd.headline_inter"),
            value=format_percent(100.0 * inter / count if count else None),
            detail=msg("ohd.headline_inter_detail", have=format_number(inter, 0), every=count, year=ctx.year),
        )
    ]


def _yes_no_block(ctx: ReportContext) -> Table | None:
    survey = ctx.inputs.survey
    assert survey is not None
    present = [v for v in labels("yes_no") if v in survey.variable_ids()]
    if not present:
        return None
    rows = plain(survey.where(variable=present, year=ctx.year))
    answered = rows.filter(pc.is_valid(rows.column("value")))
    if not answered.num_rows:
        return None
    yes = sum_by(answered, ["region", "variable"])
    base = pa.table(
        {
            "region": answered.column("region"),
            "variable": pc.binary_join_element_wise(answered.column("variable"), "_answered", ""),
            "value": pa.array([1.0] * answered.num_rows),
        }
    )
    count = sum_by(base, ["region", "variable"])
    data = pa.concat_tables([yes, count])
    variables = [
        *(Variable(id=v, unit="dimensionless", label=label("yes_no", v)) for v in present),
        *(
            Variable(id=f"{v}_answered", unit="count", label=msg("ohd.answered", question=label("yes_no", v)))
            for v in present
        ),
    ]
    table = stat_table(
        {
            "region": data.column("region"),
            "year": [ctx.year] * data.num_rows,
            "variable": data.column("variable"),
            "value": data.column("value"),
            "status": data.column("status"),
        },
        level=Level.MUNICIPALITY,
        variables=variables,
        geography_year=ctx.geography.year,
        source=SOURCE,
        title=msg("ohd.data_answers"),
        provenance=survey.provenance,
    )
    try:
        county = ctx.roll_up(table, Level.COUNTY)
    except SamhandlingError:
        return None
    name = ctx.add("survey_answers_county", msg("ohd.data_answers_county"), county)
    found = lookup(county, ["region", "variable"])
    counties = ctx.sorted_by_name("county", {k[0] for k in found})
    table_rows = []
    for c in counties:
        cells = [Cell(text=ctx.name("county", c))]
        for v in present:
            yes_count = found.get((c, v), (None, None))[0]
            asked = found.get((c, f"{v}_answered"), (None, None))[0]
            share = 100.0 * yes_count / asked if yes_count is not None and asked else None
            cells.append(Cell(text=format_percent(share), symbol=share is None))
        table_rows.append(cells)
    return Table(
        id="survey-answers",
        title=msg("ohd.answers_title", year=ctx.year),
        columns=[
            Column(label=label("level", "county"), sorted="asc"),
            *(Column(label=label("yes_no", v), numeric=True) for v in present),
        ],
        rows=table_rows,
        data_files=(name,),
    )
