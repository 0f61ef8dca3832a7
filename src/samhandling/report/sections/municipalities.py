"""Section «Kommunetabell»: every municipality of the map in one table — inhabitants, årsverk and rates for
both target groups, årsverk by profession and the competence shares — searchable and sortable in the
browser (the page reads the same without scripts)."""

from __future__ import annotations

import attrs
import pyarrow as pa

from samhandling.levels import Level
from samhandling.report.context import ReportContext
from samhandling.report.document import Cell, Column, Figure, Note, Section, Table
from samhandling.report.messages import label, labels, msg
from samhandling.report.sections._common import cell
from samhandling.report.sections.competence import competence_parts, competence_shares
from samhandling.report.sections.fte import ALL_GROUPS, fte_data
from samhandling.report.survey import TARGET_GROUPS, fte_by_profession
from samhandling.report.tabular import lookup, plain, sum_by
from samhandling.tables import StatTable

__all__ = ["municipality_section"]


def municipality_section(ctx: ReportContext) -> Section:
    """Section «Kommunetabell»."""
    survey = ctx.inputs.survey
    assert survey is not None
    year = ctx.year
    data = fte_data(ctx)
    counts = data.counts[Level.MUNICIPALITY]
    rates = data.rates[Level.MUNICIPALITY]
    by_group = lookup(counts.where(year=year), ["region", "target_group"])
    rate_rows = lookup(rates.where(year=year), ["region", "target_group"])
    professions_now = fte_by_profession(survey.where(year=year))
    by_profession = lookup(professions_now, ["region", "profession"])
    population = lookup(
        sum_by(plain(ctx.population("municipality").where(year=year)), ["region"]), ["region"]
    )
    shares = ctx.cache.get("competence_shares")
    if shares is None and "profession" in survey.columns:
        shares = competence_shares(competence_parts(ctx, survey))
    share_rows = lookup(shares.where(year=year), ["region", "variable"]) if shares is not None else {}
    has_further = shares is not None and "fte_share_relevant_further_education" in shares.variable_ids()
    # What the table shows: FTEs by profession for both target groups together (the crossing with the
    # target groups, where the survey has it, is in the profession-mix data file nationally).
    detail = StatTable.from_arrow(
        professions_now.append_column("variable", pa.array(["fte"] * professions_now.num_rows, pa.string())),
        meta=attrs.evolve(survey.meta, variables=[survey.variable("fte")]),
    )
    data_fte = ctx.add("fte_by_profession_municipality", msg("municipalities.data_fte", year=year), detail)
    data_counts = ctx.add("fte_municipality", msg("municipalities.data_counts"), counts)
    data_rates = ctx.add("fte_per_10000_municipality", msg("municipalities.data_rates"), rates)
    files = [data_fte, data_counts, data_rates]
    if shares is not None:
        files.append(ctx.add("competence_municipality", msg("municipalities.data_shares"), shares))
    known = list(labels("profession_short"))
    professions = [p for p in known if any(k[1] == p for k in by_profession)]
    rows = []
    for code in ctx.codes("municipality"):
        row = [Cell(text=ctx.name("municipality", code)), cell(population.get((code,)), 0)]
        for group in (*TARGET_GROUPS, ALL_GROUPS):
            row += [cell(by_group.get((code, group))), cell(rate_rows.get((code, group)))]
        row += [cell(by_profession.get((code, p))) for p in professions]
        if shares is not None:
            row.append(cell(share_rows.get((code, "fte_share_higher_education")), 0, percent=True))
        if has_further:
            row.append(cell(share_rows.get((code, "fte_share_relevant_further_education")), 0, percent=True))
        rows.append(row)
    columns = [
        Column(label=msg("column.municipality"), sorted="asc"),
        Column(label=msg("column.inhabitants"), numeric=True),
    ]
    for group in (*TARGET_GROUPS, ALL_GROUPS):
        columns += [
            Column(label=msg("areas.column_fte", group=label("target_group", group)), numeric=True),
            Column(label=msg("areas.column_rate", ages=label("target_ages", group)), numeric=True),
        ]
    columns += [
        Column(
            label=label("profession_short", p),
            numeric=True,
            note=msg("municipalities.profession_note", profession=label("profession", p)),
        )
        for p in professions
    ]
    if shares is not None:
        columns.append(
            Column(label=msg("municipalities.higher"), numeric=True, note=msg("municipalities.higher_note"))
        )
    if has_further:
        columns.append(
            Column(label=msg("municipalities.further"), numeric=True, note=msg("municipalities.further_note"))
        )
    blocks: list[Figure | Table | Note] = [
        Table(
            id="municipalities",
            title=msg("municipalities.table_title", year=year),
            caption=msg("municipalities.table_caption", map_year=ctx.geography.year),
            columns=columns,
            rows=rows,
            data_files=tuple(files),
            compact=True,
            sortable=True,
            searchable=True,
        )
    ]
    return Section(
        id="kommuner", title=msg("municipalities.title"), intro=msg("municipalities.intro"), blocks=blocks
    )
