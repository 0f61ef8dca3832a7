"""Section «Kompetanse og yrkesgrupper»: the profession mix of the årsverk, for adults and for children
and young people apart where the survey has it, and the shares with higher education and with relevant
further education, nationally and per county (always computed from summed årsverk, never as an average
of shares)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import SamhandlingError
from samhandling.levels import Level
from samhandling.report import charts
from samhandling.report.context import SOURCE, ReportContext
from samhandling.report.document import Cell, Column, Figure, Headline, Note, Section, Table
from samhandling.report.formatting import format_percent
from samhandling.report.messages import label, labels, msg
from samhandling.report.sections._common import cell, national_value, sort_value
from samhandling.report.survey import (
    NOT_HIGHER_EDUCATION,
    TARGET_GROUPS,
    fte_by_profession,
    pick,
    professions_by_group,
)
from samhandling.report.tabular import lookup, plain, stat_table, sum_by
from samhandling.tables import StatTable, Variable

__all__ = ["competence_parts", "competence_section", "competence_shares", "complete_answers"]

_SHARES = {
    "fte_share_higher_education": "fte_higher_education",
    "fte_share_relevant_further_education": "fte_relevant_further_education",
}


def competence_parts(ctx: ReportContext, survey: StatTable) -> StatTable:
    """Additive parts of the competence shares per area: FTEs in all, with higher education, and with
    relevant further education (when the survey has it)."""
    professions = fte_by_profession(survey)
    keys = ["region", "level", "year"]
    total = sum_by(professions, keys)
    higher_rows = professions.filter(
        pc.invert(pc.is_in(professions.column("profession"), pa.array(sorted(NOT_HIGHER_EDUCATION))))
    )
    higher = sum_by(higher_rows, keys)
    parts = [
        total.append_column("variable", pa.array(["fte_total"] * total.num_rows, pa.string())),
        higher.append_column("variable", pa.array(["fte_higher_education"] * higher.num_rows, pa.string())),
    ]
    variables = [
        Variable(id="fte_total", unit="årsverk", label=msg("variable.fte_total")),
        Variable(id="fte_higher_education", unit="årsverk", label=msg("variable.fte_higher_education")),
    ]
    if "fte_relevant_further_education" in survey.variable_ids():
        further = pick(survey.where(variable="fte_relevant_further_education").arrow, {})
        summed = sum_by(further, keys)
        parts.append(
            summed.append_column(
                "variable", pa.array(["fte_relevant_further_education"] * summed.num_rows, pa.string())
            )
        )
        variables.append(
            Variable(
                id="fte_relevant_further_education",
                unit="årsverk",
                label=msg("variable.fte_relevant_further_education"),
            )
        )
    table = pa.concat_tables(parts)
    return stat_table(
        {name: table.column(name) for name in table.column_names},
        level=Level.MUNICIPALITY,
        variables=variables,
        geography_year=ctx.geography.year,
        source=SOURCE,
        title=msg("competence.data_parts"),
        provenance=survey.provenance,
    )


def complete_answers(parts: StatTable) -> tuple[StatTable, dict[int, list[str]]]:
    """The competence parts of the areas whose every part has a number, and the areas left out per year.

    A share summed over areas must have the same areas above and below the line: a municipality that
    did not report one profession is left out of both, instead of making the county's share unknown.
    """
    data = plain(parts)
    keys = ["region", "level", "year"]
    missing = data.append_column("_missing", pc.cast(pc.is_null(data.column("value")), pa.int64()))
    gaps = missing.group_by(keys, use_threads=False).aggregate([("_missing", "sum")])
    bad = gaps.filter(pc.greater(gaps.column("_missing_sum"), 0))
    if not bad.num_rows:
        return parts, {}
    kept = data.join(bad.select(keys), keys, join_type="left anti", use_threads=False)
    left_out: dict[int, list[str]] = {}
    for region, year in zip(bad.column("region").to_pylist(), bad.column("year").to_pylist(), strict=True):
        left_out.setdefault(int(year), []).append(str(region))
    return parts.with_arrow(kept), {y: sorted(codes) for y, codes in left_out.items()}


def competence_shares(parts: StatTable) -> StatTable:
    """Shares (per cent) with higher education and with relevant further education, from the parts.

    Computed from the summed parts of each area, so a county's share is never an average of shares.
    """
    data = plain(parts)
    keys = ["region", "level", "year"]

    def part(name: str) -> pa.Table:
        rows = data.filter(pc.equal(data.column("variable"), name))
        return rows.select([*keys, "value", "status"])

    total = part("fte_total").rename_columns([*keys, "total", "total_status"])
    pieces = []
    present = set(data.column("variable").to_pylist())
    variables = []
    for share, numerator in _SHARES.items():
        if numerator not in present:
            continue
        joined = part(numerator).join(total, keys, join_type="inner", use_threads=False)
        ratio = pc.multiply(pc.divide(joined.column("value"), joined.column("total")), 100.0)
        usable = pc.and_(pc.is_valid(ratio), pc.greater(pc.fill_null(joined.column("total"), 0.0), 0.0))
        value = pc.if_else(usable, ratio, pa.scalar(None, pa.float64()))
        status = pc.if_else(
            usable,
            pa.scalar(None, pa.string()),
            pc.coalesce(joined.column("status"), joined.column("total_status"), pa.scalar("..")),
        )
        pieces.append(
            pa.table(
                {
                    **{k: joined.column(k) for k in keys},
                    "variable": pa.array([share] * joined.num_rows, pa.string()),
                    "value": value,
                    "status": status,
                }
            )
        )
        variables.append(
            Variable(
                id=share,
                unit="percent",
                additive=False,
                label=msg(f"variable.{share}"),
                numerator=numerator,
                denominator="fte_total",
                scale=100.0,
            )
        )
    table = pa.concat_tables(pieces).sort_by([(k, "ascending") for k in keys])
    return stat_table(
        {name: table.column(name) for name in table.column_names},
        level=Level.MUNICIPALITY,
        variables=variables,
        geography_year=parts.geography_year or 0,
        source=SOURCE,
        title=msg("competence.data_shares"),
        provenance=parts.provenance,
    )


def _profession_order(codes: set[str]) -> list[str]:
    known = list(labels("profession"))
    return sorted(codes, key=lambda c: (known.index(c) if c in known else len(known), c))


def _mix(ctx: ReportContext, survey: StatTable) -> list[Figure | Table | Note]:
    """The profession mix: a chart of shares and a table of årsverk and shares, per target group."""
    crossed = professions_by_group(survey.where(year=ctx.year))
    if crossed is not None:
        rows = crossed
        groups = list(TARGET_GROUPS)
    else:
        base = fte_by_profession(survey.where(year=ctx.year))
        rows = base.append_column("target_group", pa.array(["total"] * base.num_rows, pa.string()))
        groups = ["total"]
    municipal = rows.filter(pc.equal(rows.column("level"), "municipality"))
    summed = sum_by(municipal, ["year", "target_group", "profession"])
    table = stat_table(
        {
            "region": pa.array(["0"] * summed.num_rows, pa.string()),
            "year": summed.column("year"),
            "target_group": summed.column("target_group"),
            "profession": summed.column("profession"),
            "variable": pa.array(["fte"] * summed.num_rows, pa.string()),
            "value": summed.column("value"),
            "status": summed.column("status"),
        },
        level=Level.NATIONAL,
        variables=[survey.variable("fte")],
        geography_year=ctx.geography.year,
        source=SOURCE,
        title=msg("competence.data_mix", year=ctx.year),
        provenance=survey.provenance,
    )
    name = ctx.add("fte_by_profession_national", msg("competence.data_mix", year=ctx.year), table)
    found = lookup(table, ["target_group", "profession"])
    professions = _profession_order({k[1] for k in found})
    totals = {g: sum(found.get((g, p), (0.0, None))[0] or 0.0 for p in professions) for g in groups}

    def share(group: str, profession: str) -> float | None:
        value = found.get((group, profession), (None, None))[0]
        return 100.0 * value / totals[group] if value is not None and totals[group] else None

    group_labels = {g: label("target_group", g) for g in groups}
    figure = Figure.of(
        charts.grouped_bars(
            "profession-mix",
            [label("profession", p) for p in professions],
            {group_labels[g]: [share(g, p) for p in professions] for g in groups},
            description=msg("competence.mix_description", year=ctx.year),
            xlabel=msg("axis.share_of_fte"),
            stamp=ctx.stamp,
            decimals=0,
            percent=True,
        ),
        id="profession-mix",
        title=msg("competence.mix_title", year=ctx.year, national=ctx.national),
        caption=msg("competence.mix_caption") if crossed is not None else msg("competence.mix_caption_total"),
        data_files=(name,),
    )
    table_rows = []
    for profession in professions:
        row = [Cell(text=label("profession", profession))]
        for group in groups:
            row.append(cell(found.get((group, profession)), 0))
            value = share(group, profession)
            row.append(
                Cell(
                    text=format_percent(value, 0) if value is not None else "..",
                    symbol=value is None,
                    sort=sort_value(value),
                )
            )
        table_rows.append(row)
    footer = [Cell(text=msg("column.total"))]
    for group in groups:
        footer += [cell((totals[group], None), 0), Cell(text=format_percent(100.0))]
    columns = [Column(label=msg("column.profession"))]
    for group in groups:
        columns += [
            Column(label=msg("competence.column_fte", group=group_labels[group]), numeric=True),
            Column(label=msg("column.share"), numeric=True),
        ]
    return [
        figure,
        Table(
            id="profession-mix",
            title=msg("competence.mix_table_title", year=ctx.year),
            caption=msg("competence.mix_table_caption"),
            columns=columns,
            rows=table_rows,
            footer=tuple(footer),
            data_files=(name,),
        ),
    ]


def competence_section(ctx: ReportContext) -> Section:
    """Section «Kompetanse og yrkesgrupper»."""
    survey = ctx.inputs.survey
    assert survey is not None
    year = ctx.year
    blocks: list[Figure | Table | Note] = []
    headlines: list[Headline] = []
    if "profession" not in survey.columns:
        blocks.append(Note(text=msg("competence.no_professions"), kind="warning"))
        return Section(
            id="kompetanse", title=msg("competence.title"), intro=msg("competence.intro"), blocks=blocks
        )
    blocks.extend(_mix(ctx, survey))
    parts = competence_parts(ctx, survey)
    shares = competence_shares(parts)
    ctx.cache["competence_shares"] = shares
    has_further = "fte_share_relevant_further_education" in shares.variable_ids()
    complete, left_out = complete_answers(parts)
    try:
        county_shares = competence_shares(ctx.roll_up(complete, Level.COUNTY))
        national_shares = competence_shares(ctx.roll_up(complete, Level.NATIONAL))
    except SamhandlingError as exc:
        blocks.append(Note(text=msg("competence.county_problem", problem=str(exc)), kind="warning"))
    else:
        data_county = ctx.add("competence_county", msg("competence.data_county"), county_shares)
        ctx.add("competence_national", msg("competence.data_national"), national_shares)
        county_rows = lookup(county_shares.where(year=year), ["region", "variable"])
        counties = ctx.sorted_by_name("county", {k[0] for k in county_rows})
        groups = {
            msg("competence.higher"): [
                county_rows.get((c, "fte_share_higher_education"), (None, None))[0] for c in counties
            ]
        }
        if has_further:
            groups[msg("competence.further")] = [
                county_rows.get((c, "fte_share_relevant_further_education"), (None, None))[0]
                for c in counties
            ]
        missing = len(left_out.get(year, []))
        blocks.append(
            Figure.of(
                charts.grouped_bars(
                    "competence-county",
                    [ctx.name("county", c) for c in counties],
                    groups,
                    description=msg("competence.county_description", year=year),
                    xlabel=msg("axis.share_of_fte"),
                    stamp=ctx.stamp,
                    decimals=0,
                    percent=True,
                ),
                id="competence-county",
                title=msg("competence.county_title", year=year),
                caption=msg("competence.county_caption")
                + (" " + msg("competence.left_out", count=missing, year=year) if missing else ""),
                data_files=(data_county,),
            )
        )
        national = lookup(national_shares.where(year=year), ["region", "variable"])
        for share in ("fte_share_higher_education", "fte_share_relevant_further_education"):
            if share == "fte_share_relevant_further_education" and not has_further:
                continue
            headlines.append(
                Headline(
                    label=msg(f"competence.headline.{share}"),
                    value=format_percent(national_value(national, share)),
                    detail=msg("headline.detail", national=ctx.national, year=year),
                )
            )
    return Section(
        id="kompetanse",
        title=msg("competence.title"),
        intro=msg("competence.intro"),
        headlines=headlines,
        blocks=blocks,
    )
