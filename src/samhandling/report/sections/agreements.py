"""Section «Samarbeidsavtaler»: how well the cooperation agreements between municipalities and health
trusts cover the subjects helse- og omsorgstjenesteloven § 6-2 requires on 1 July of the report year (the
main agreement and its sub-agreements together), and which municipalities have gaps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from samhandling.levels import Level
from samhandling.model import AgreementKind, StatutorySubject, coverage, required_subjects
from samhandling.report import charts
from samhandling.report.context import SOURCE, ReportContext
from samhandling.report.document import Cell, Column, Figure, Headline, Note, Section, Table
from samhandling.report.formatting import format_percent
from samhandling.report.messages import label, msg
from samhandling.report.tabular import stat_table
from samhandling.tables import Variable

__all__ = ["agreements_section", "municipality_coverage"]


def municipality_coverage(ctx: ReportContext) -> dict[str, tuple[str | None, dict[StatutorySubject, bool]]]:
    """For every municipality: its health trust (from the agreement) and which § 6-2 subjects are covered.

    A municipality without a cooperation agreement in force has ``None`` and nothing covered.
    """
    register = ctx.inputs.register
    assert register is not None
    day = dt.date(ctx.year, 7, 1)
    main_of: dict[str, list[Any]] = {}
    subs: dict[str, list[Any]] = {}
    for agreement in register.agreements:
        if not agreement.is_valid_on(day):
            continue
        if agreement.kind is AgreementKind.COOPERATION_AGREEMENT:
            for code in agreement.municipalities:
                main_of.setdefault(code, []).append(agreement)
        elif agreement.kind is AgreementKind.SUB_AGREEMENT and agreement.parent is not None:
            subs.setdefault(agreement.parent, []).append(agreement)
    result: dict[str, tuple[str | None, dict[StatutorySubject, bool]]] = {}
    required = required_subjects(day)
    for code in ctx.codes("municipality"):
        mains = main_of.get(code, [])
        if not mains:
            result[code] = (None, dict.fromkeys(required, False))
            continue
        chosen = [*mains, *(s for m in mains for s in subs.get(m.id, []))]
        trust = next(
            (p.code or p.name for m in mains for p in m.parties if p.kind.value == "health_trust"), None
        )
        covered = coverage(chosen, on=day)
        result[code] = (trust, {subject: covered[subject] for subject in required})
    return result


def agreements_section(ctx: ReportContext) -> tuple[Section, list[str]]:
    """Section «Samarbeidsavtaler»: which of the statutory subjects in force the agreements cover."""
    title = msg("agreements.title")
    day = dt.date(ctx.year, 7, 1)
    subjects = list(required_subjects(day))
    count_text = label("number_word", str(len(subjects)))
    intro = msg("agreements.intro", count=count_text, year=ctx.year)
    if ctx.inputs.register is None:
        return (
            Section(
                id="avtaler",
                title=title,
                intro=intro,
                blocks=[Note(text=msg("agreements.none"), kind="warning")],
            ),
            [],
        )
    found = municipality_coverage(ctx)
    codes = sorted(found)
    table = stat_table(
        {
            "region": [c for c in codes for _ in subjects],
            "year": [ctx.year] * (len(codes) * len(subjects)),
            "subject": [str(s.number) for _ in codes for s in subjects],
            "variable": ["agreement_covers_subject"] * (len(codes) * len(subjects)),
            "value": [1.0 if found[c][1][s] else 0.0 for c in codes for s in subjects],
        },
        level=Level.MUNICIPALITY,
        variables=[
            Variable(
                id="agreement_covers_subject",
                unit="dimensionless",
                additive=True,
                label=msg("variable.agreement_covers_subject"),
            )
        ],
        geography_year=ctx.geography.year,
        source=SOURCE,
        title=msg("agreements.data"),
    )
    data = ctx.add("agreement_coverage_municipality", msg("agreements.data"), table)
    count = len(codes)
    shares = [100.0 * sum(found[c][1][s] for c in codes) / count if count else None for s in subjects]
    without = [c for c in codes if found[c][0] is None]
    gaps = [c for c in codes if found[c][0] is not None and not all(found[c][1].values())]
    complete = count - len(without) - len(gaps)
    blocks: list[Figure | Table | Note] = [
        Figure.of(
            charts.bar_chart(
                "agreement-subjects",
                [f"{s.number}. {label('subject', str(s.number))}" for s in subjects],
                shares,
                description=msg("agreements.chart_description", count=count_text),
                xlabel=msg("axis.share_of_municipalities"),
                stamp=ctx.stamp,
                decimals=0,
            ),
            id="agreement-subjects",
            title=msg("agreements.chart_title", year=ctx.year),
            caption=msg("agreements.chart_caption"),
            data_files=(data,),
        )
    ]
    gap_rows: list[list[Cell]] = []
    for c in without + gaps:
        trust, covered = found[c]
        missing = [s for s in subjects if not covered[s]]
        gap_rows.append(
            [
                Cell(text=ctx.name("municipality", c)),
                Cell(text=ctx.name("health_trust", trust) if trust else "–"),
                Cell(
                    text=msg("agreements.no_agreement")
                    if trust is None
                    else ", ".join(f"{s.number} {label('subject', str(s.number)).lower()}" for s in missing),
                    emphasis=trust is None,
                ),
            ]
        )
    gap_rows.sort(key=lambda row: row[0].text)
    if gap_rows:
        blocks.append(
            Table(
                id="agreement-gaps",
                title=msg("agreements.gaps_title"),
                columns=[
                    Column(label=msg("column.municipality"), sorted="asc"),
                    Column(label=label("level", "health_trust")),
                    Column(label=msg("agreements.column_missing")),
                ],
                rows=gap_rows,
                data_files=(data,),
                compact=True,
            )
        )
    else:
        blocks.append(Note(text=msg("agreements.all_covered", count=count_text)))
    headline = Headline(
        label=msg("agreements.headline", count=count_text),
        value=format_percent(100.0 * complete / count if count else None),
        detail=msg("agreements.headline_detail", have=complete, every=count, year=ctx.year),
    )
    return Section(id="avtaler", title=title, intro=intro, headlines=[headline], blocks=blocks), without
