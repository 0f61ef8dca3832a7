"""Section «Samhandlingsteam»: the cooperation teams of the team register — who staffs them (årsverk by
employer: municipality, DPS, NAV …) and whether their patients use less inpatient care after joining
the team than before, against the other patients of the team's municipalities.

The outcomes (acute admissions, bed-days, stays under involuntary care, TPH) come from a before/after
table, e.g. :func:`samhandling_nimes.before_after` on the stay-level NIMES extract, with the columns
``patient_group`` (``team`` / ``other``) and ``period`` (``before`` / ``after``).  Counts of patients,
admissions and involuntary stays are counts of people: the section publishes them through disclosure
control, and shows a change only where both of its numbers are published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pyarrow as pa

from samhandling.levels import Level
from samhandling.report import charts
from samhandling.report.context import SOURCE, ReportContext
from samhandling.report.document import Cell, Column, Figure, Headline, Note, Section, Table
from samhandling.report.formatting import format_change, format_number
from samhandling.report.messages import label, msg
from samhandling.report.sections._common import cell, sort_value
from samhandling.report.tabular import lookup, plain, stat_table, sum_by
from samhandling.report.teams import TeamRegister
from samhandling.tables import StatTable, Variable

__all__ = ["OUTCOMES", "team_outcomes", "teams_section"]

#: The outcomes the section shows, in order (the project plans' outcome goals).
OUTCOMES: tuple[str, ...] = ("acute_admissions", "bed_days", "involuntary_stays")
_GROUPS = ("team", "other")
_PERIODS = ("before", "after")
_PEOPLE = {"acute_admissions", "involuntary_stays", "admissions", "patients"}


def _variables(outcomes: StatTable | None) -> list[Variable]:
    declared = outcomes.meta.variables if outcomes is not None else {}
    found = []
    for name in (*OUTCOMES, "patients"):
        variable = declared.get(name)
        if variable is None or not variable.additive:
            variable = Variable(
                id=name,
                unit="liggedøgn" if name == "bed_days" else ("pasient" if name == "patients" else "opphold"),
                additive=True,
                label=label("variable", name),
                counts_people=name in _PEOPLE,
            )
        elif name in _PEOPLE and not variable.counts_people:
            variable = Variable(**{**variable.to_dict(), "counts_people": True})
        found.append(variable)
    return found


def team_outcomes(
    ctx: ReportContext, register: TeamRegister, outcomes: StatTable | None
) -> tuple[StatTable | None, str]:
    """The before/after outcomes per team, patient group and period, before protection, and a note on
    what could not be used (empty when all went well)."""
    teams = [t.name for t in register.teams]
    rows: dict[str, list[object]] = {
        k: [] for k in ("team", "patient_group", "period", "variable", "value", "status")
    }
    problem = ""
    if outcomes is not None:
        data = plain(outcomes)
        if "patient_group" not in data.column_names or "period" not in data.column_names:
            problem = msg("teams.outcomes_shape")
        else:
            if "team" not in data.column_names:
                if len(teams) != 1:
                    problem = msg("teams.outcomes_which_team")
                    data = data.slice(0, 0).append_column("team", pa.array([], pa.string()))
                else:
                    data = data.append_column("team", pa.array([teams[0]] * data.num_rows, pa.string()))
            summed = sum_by(data, ["team", "patient_group", "period", "variable"])
            wanted = set(OUTCOMES) | {"patients"}
            for row in summed.to_pylist():
                if row["variable"] not in wanted or row["team"] not in teams:
                    continue
                if row["patient_group"] not in _GROUPS:
                    continue
                period = row["period"] if row["variable"] != "patients" else "total"
                if row["variable"] != "patients" and period not in _PERIODS:
                    continue
                for key in ("team", "patient_group", "variable", "value", "status"):
                    rows[key].append(row[key])
                rows["period"].append(period)
    have_patients = {
        (t, g)
        for t, g, v in zip(rows["team"], rows["patient_group"], rows["variable"], strict=True)
        if v == "patients"
    }
    end = dt.date(ctx.year, 12, 31)
    for team in teams:
        if (team, "team") in have_patients:
            continue
        count = len(register.patients_of(team, on=end))
        if count:
            for key, value in (
                ("team", team),
                ("patient_group", "team"),
                ("period", "total"),
                ("variable", "patients"),
                ("value", float(count)),
                ("status", None),
            ):
                rows[key].append(value)
    if not rows["team"]:
        return None, problem
    count = len(rows["team"])
    table = stat_table(
        {
            "region": ["0"] * count,
            "year": [ctx.year] * count,
            "team": rows["team"],
            "patient_group": rows["patient_group"],
            "period": rows["period"],
            "variable": rows["variable"],
            "value": pa.array(rows["value"], pa.float64()),
            "status": pa.array(rows["status"], pa.string()),
        },
        level=Level.NATIONAL,
        variables=_variables(outcomes),
        geography_year=ctx.geography.year,
        source=SOURCE,
        title=msg("teams.data_outcomes"),
        provenance=outcomes.provenance if outcomes is not None else (),
    )
    return table, problem


def _staffing(ctx: ReportContext, register: TeamRegister) -> list[Figure | Table | Note]:
    records: dict[str, list[object]] = {
        k: [] for k in ("team", "employer", "employer_level", "profession", "percent", "fte")
    }
    for team in register.teams:
        for position in team.positions:
            records["team"].append(team.name)
            records["employer"].append(position.employer)
            records["employer_level"].append(position.employer_level.value)
            records["profession"].append(position.profession)
            records["percent"].append(float(position.percent.magnitude))
            records["fte"].append(float(position.fte.magnitude))
    name = ctx.add("team_positions", msg("teams.data_positions"), pa.table(records))
    levels = []
    for team in register.teams:
        for level in team.fte_by_level():
            if level.value not in levels:
                levels.append(level.value)
    stacks = {
        label("employer_level", level): [
            next((float(q.magnitude) for lv, q in t.fte_by_level().items() if lv.value == level), 0.0)
            for t in register.teams
        ]
        for level in levels
    }
    blocks: list[Figure | Table | Note] = [
        Figure.of(
            charts.stacked_bars(
                "team-staffing",
                [t.name for t in register.teams],
                stacks,
                description=msg("teams.staffing_description"),
                xlabel=msg("axis.fte"),
                stamp=ctx.stamp,
                decimals=1,
            ),
            id="team-staffing",
            title=msg("teams.staffing_title"),
            caption=msg("teams.staffing_caption"),
            data_files=(name,),
        )
    ]
    rows = []
    for team in register.teams:
        professions: dict[str, list[str]] = {}
        for position in team.positions:
            professions.setdefault(position.employer, []).append(position.profession)
        for employer, fte in team.fte_by_employer().items():
            employer_level = next(p.employer_level.value for p in team.positions if p.employer == employer)
            rows.append(
                [
                    Cell(text=team.name),
                    Cell(text=employer),
                    Cell(text=label("employer_level", employer_level)),
                    Cell(text=format_number(float(fte.magnitude), 1), sort=sort_value(float(fte.magnitude))),
                    Cell(text=", ".join(dict.fromkeys(professions[employer]))),
                ]
            )
        rows.append(
            [
                Cell(text=team.name, emphasis=True),
                Cell(text=msg("column.total"), emphasis=True),
                Cell(text=""),
                Cell(text=format_number(float(team.fte_total().magnitude), 1), emphasis=True),
                Cell(text=msg("teams.positions", count=len(team.positions))),
            ]
        )
    blocks.append(
        Table(
            id="team-staffing",
            title=msg("teams.staffing_table_title"),
            caption=msg("teams.staffing_table_caption"),
            columns=[
                Column(label=msg("teams.column_team")),
                Column(label=msg("teams.column_employer")),
                Column(label=msg("teams.column_level")),
                Column(label=msg("axis.fte"), numeric=True),
                Column(label=msg("teams.column_professions")),
            ],
            rows=rows,
            data_files=(name,),
        )
    )
    return blocks


def _change(
    found: Mapping[tuple[str, ...], tuple[float | None, str | None]], team: str, group: str, outcome: str
) -> float | None:
    before = found.get((team, group, "before", outcome), (None, None))[0]
    after = found.get((team, group, "after", outcome), (None, None))[0]
    if before is None or after is None or not before:
        return None
    return 100.0 * (after - before) / before


def _outcome_blocks(
    ctx: ReportContext, register: TeamRegister, published: StatTable
) -> tuple[list[Figure | Table | Note], list[Headline]]:
    name = ctx.add("team_outcomes", msg("teams.data_outcomes"), published)
    found = lookup(published, ["team", "patient_group", "period", "variable"])
    blocks: list[Figure | Table | Note] = []
    headlines: list[Headline] = []
    for team in register.teams:
        present = [o for o in OUTCOMES if any(k[0] == team.name and k[3] == o for k in found)]
        if not present:
            continue
        rows = []
        for outcome in present:
            row = [Cell(text=label("variable", outcome))]
            for group in _GROUPS:
                for period in _PERIODS:
                    row.append(cell(found.get((team.name, group, period, outcome)), 0))
                change = _change(found, team.name, group, outcome)
                row.append(
                    Cell(
                        text=f"{format_change(change, 0)}\u00a0%"
                        if change is not None
                        else ":"
                        if _hidden(found, team.name, group, outcome)
                        else "..",
                        symbol=change is None,
                        sort=sort_value(change),
                    )
                )
            rows.append(row)
        patients = [cell(found.get((team.name, g, "total", "patients")), 0) for g in _GROUPS]
        rows.append(
            [
                Cell(text=label("variable", "patients")),
                patients[0],
                Cell(text=""),
                Cell(text=""),
                patients[1],
                Cell(text=""),
                Cell(text=""),
            ]
        )
        team_label, other_label = label("patient_group", "team"), label("patient_group", "other")
        blocks.append(
            Table(
                id=f"team-outcomes-{_slug(team.name)}",
                title=msg("teams.outcomes_title", team=team.name),
                caption=msg("teams.outcomes_caption", start=team.start.isoformat() if team.start else "–"),
                columns=[
                    Column(label=msg("teams.column_outcome")),
                    Column(label=msg("teams.column_before", group=team_label), numeric=True),
                    Column(label=msg("teams.column_after", group=team_label), numeric=True),
                    Column(label=msg("teams.column_change", group=team_label), numeric=True),
                    Column(label=msg("teams.column_before", group=other_label), numeric=True),
                    Column(label=msg("teams.column_after", group=other_label), numeric=True),
                    Column(label=msg("teams.column_change", group=other_label), numeric=True),
                ],
                rows=rows,
                data_files=(name,),
            )
        )
        blocks.append(
            Figure.of(
                charts.grouped_bars(
                    f"team-change-{_slug(team.name)}",
                    [label("variable", o) for o in present],
                    {
                        label("patient_group_long", g): [_change(found, team.name, g, o) for o in present]
                        for g in _GROUPS
                    },
                    description=msg("teams.change_description", team=team.name),
                    xlabel=msg("axis.change_percent"),
                    stamp=ctx.stamp,
                    symbols=[
                        ":" if any(_hidden(found, team.name, g, o) for g in _GROUPS) else ".."
                        for o in present
                    ],
                    decimals=0,
                    percent=True,
                ),
                id=f"team-change-{_slug(team.name)}",
                title=msg("teams.change_title", team=team.name),
                caption=msg("teams.change_caption"),
                data_files=(name,),
            )
        )
        change = _change(found, team.name, "team", "acute_admissions")
        if change is not None:
            headlines.append(
                Headline(
                    label=msg("teams.headline", team=team.name),
                    value=f"{format_change(change, 0)}\u00a0%",
                    detail=msg(
                        "teams.headline_detail",
                        other=format_change(_change(found, team.name, "other", "acute_admissions"), 0),
                    ),
                )
            )
    return blocks, headlines


def _hidden(
    found: Mapping[tuple[str, ...], tuple[float | None, str | None]], team: str, group: str, outcome: str
) -> bool:
    return any(found.get((team, group, p, outcome), (None, None))[1] == ":" for p in _PERIODS)


def _slug(text: str) -> str:
    import re
    import unicodedata

    plain_text = unicodedata.normalize(
        "NFKD", text.lower().replace("ø", "o").replace("æ", "ae").replace("å", "a")
    )
    return re.sub(r"[^a-z0-9]+", "-", plain_text.encode("ascii", "ignore").decode()).strip("-")


def teams_section(ctx: ReportContext) -> Section:
    """Section «Samhandlingsteam»."""
    title, intro = msg("teams.title"), msg("teams.intro")
    register = ctx.inputs.teams
    if register is None or not register.teams:
        return Section(id="team", title=title, intro=intro, blocks=[Note(text=msg("teams.none"))])
    blocks: list[Figure | Table | Note] = []
    blocks.extend(_staffing(ctx, register))
    table, problem = team_outcomes(ctx, register, ctx.inputs.outcomes)
    if problem:
        blocks.append(Note(text=problem, kind="warning"))
    headlines: list[Headline] = []
    if ctx.inputs.outcomes is None:
        blocks.append(Note(text=msg("teams.no_outcomes"), kind="warning"))
    if table is not None:
        [published] = ctx.publish([table])
        blocks.extend(ctx.protection_notes())
        more, headlines = _outcome_blocks(ctx, register, published)
        blocks.extend(more)
    return Section(id="team", title=title, intro=intro, headlines=headlines, blocks=blocks)
