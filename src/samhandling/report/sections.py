"""The numbers of the yearly report, section by section.

Each ``*_section`` function computes what one section shows from the (already harmonised) inputs, with
the library's own building blocks (:func:`samhandling.aggregate.roll_up`,
:func:`samhandling.aggregate.per_10000`, :func:`samhandling.model.coverage`,
:func:`samhandling.checks.run_checks`), records the data behind every chart and table as a
:class:`DataSet` and returns a :class:`~samhandling.report.document.Section` of formatted blocks.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.checks import FINDINGS_SCHEMA
from samhandling.disclosure.rules import DisclosureRules
from samhandling.errors import SamhandlingError
from samhandling.levels import Level
from samhandling.model import AgreementKind, StatutorySubject, coverage, required_subjects
from samhandling.report import charts
from samhandling.report.document import Cell, Column, Figure, Headline, Note, Section, Table
from samhandling.report.formatting import format_change, format_number, format_percent
from samhandling.report.inputs import ReportInputs
from samhandling.report.tabular import lookup, plain, stat_table, sum_by
from samhandling.tables import StatTable, Variable

if TYPE_CHECKING:
    from samhandling.checks import Finding
    from samhandling.disclosure.protection import ProtectionSummary
    from samhandling.geography import Geography
    from samhandling.plugins import PluginManager

__all__ = [
    "ALL_UNIT_TYPES",
    "CHECK_OPTIONS",
    "NOT_HIGHER_EDUCATION",
    "PROFESSION_LABELS",
    "SUBJECT_SHORT_LABELS",
    "TARGET_GROUP_LABELS",
    "UNIT_TYPE_LABELS",
    "AdmissionTables",
    "DataSet",
    "ReportContext",
    "admission_tables",
    "admissions_by_unit_type",
    "admissions_section",
    "agreements_section",
    "competence_shares",
    "complete_answers",
    "findings_section",
    "fte_by_target_group",
    "fte_rates",
    "fte_section",
    "municipality_coverage",
    "municipality_section",
    "ohd_beds",
    "ohd_section",
    "profession_rows",
    "run_quality_checks",
]

SOURCE = "samhandling-report"

TARGET_GROUP_LABELS: dict[str, str] = {"adults": "Voksne (18+)", "children_young": "Barn og unge (0–17)"}
_TARGET_AGES = {"adults": "18+", "children_young": "0-17"}

#: Column headings for the survey's profession codes, in the survey's order.
PROFESSION_LABELS: dict[str, str] = {
    "nurse_specialised": "Sykepleier m/ videreutd.",
    "nurse_other": "Sykepleier, annen",
    "social_worker": "Sosionom",
    "child_welfare_officer": "Barnevernspedagog",
    "social_educator": "Vernepleier",
    "occupational_therapist": "Ergoterapeut",
    "psychologist": "Psykolog",
    "physician": "Lege",
    "experience_consultant": "Erfaringskonsulent",
    "other_higher_education": "Annen høyere utd.",
    "no_higher_education": "Uten høyere utd.",
}

UNIT_TYPE_LABELS: dict[str, str] = {
    "DPS": "DPS",
    "acute": "Akuttpost",
    "TSB": "TSB (rus)",
    "BUP": "BUP",
    "other": "Annet",
    "unknown": "Ukjent enhet",
}

#: Short Norwegian names of the subjects of helse- og omsorgstjenesteloven § 6-2, for charts.
SUBJECT_SHORT_LABELS: dict[StatutorySubject, str] = {
    StatutorySubject.TASK_DIVISION: "Oppgavefordeling",
    StatutorySubject.COORDINATED_SERVICES: "Koordinerte tjenester",
    StatutorySubject.HOSPITAL_ADMISSION: "Innleggelse i sykehus",
    StatutorySubject.EMERGENCY_BEDS: "Døgnopphold øyeblikkelig hjelp",
    StatutorySubject.DISCHARGE_READY_PATIENTS: "Utskrivningsklare pasienter",
    StatutorySubject.KNOWLEDGE_TRANSFER: "Kunnskapsoverføring",
    StatutorySubject.RESEARCH_AND_EDUCATION: "Forskning og utdanning",
    StatutorySubject.MIDWIFERY: "Jordmortjenester",
    StatutorySubject.ICT: "IKT-løsninger",
    StatutorySubject.PREVENTION: "Forebygging",
    StatutorySubject.PREPAREDNESS: "Beredskap og akuttkjede",
    StatutorySubject.JOINT_PLANNING: "Felles planlegging og utvikling",
    StatutorySubject.CHILDREN_COMPLEX_NEEDS: "Barn og unge med sammensatte behov",
}

_YES_NO_LABELS: dict[str, str] = {
    "ohd_offer_mental_health_substance_use": "Har ØHD-tilbud for psykisk helse og rus",
    "agreement_voluntary_organisations": "Avtale med frivillige organisasjoner",
    "low_threshold_offer": "Har lavterskeltilbud",
    "uses_individual_plan": "Bruker individuell plan",
    "uses_coordinator": "Bruker koordinator",
    "uses_responsibility_group": "Bruker ansvarsgruppe",
}

_ROLLUP_LEVELS: tuple[Level, ...] = (Level.NATIONAL, Level.COUNTY, Level.HEALTH_TRUST, Level.DPS)
_LEVEL_LABELS = {
    Level.NATIONAL: "hele landet",
    Level.COUNTY: "fylke",
    Level.HEALTH_TRUST: "helseforetak",
    Level.DPS: "DPS-opptaksområde",
}


@typing.final
@attrs.frozen(kw_only=True)
class DataSet:
    """The data behind one chart or table, written to ``data/<name>.<suffix>``.

    ``table`` is a StatTable (written with :func:`samhandling.export`) or, for lists that are not
    statistics (quality findings, services), a plain Arrow table.
    """

    name: str
    title: str
    table: StatTable | pa.Table


def _rate_variable(variable: str, label: str, *, unit: str) -> Variable:
    return Variable(
        id=f"{variable}_per_10000",
        unit=unit,
        additive=False,
        label=label,
        numerator=variable,
        denominator="population",
        scale=10_000.0,
    )


@attrs.define
class ReportContext:
    """What every section needs: the harmonised inputs, the map, the names, and the data sets so far."""

    inputs: ReportInputs
    geography: Geography
    plugin_manager: PluginManager | None = None
    datasets: list[DataSet] = attrs.field(factory=list)
    findings: list[tuple[str, Finding]] = attrs.field(factory=list)
    excluded: dict[str, set[str]] = attrs.field(factory=dict)
    #: The rules every published count of people follows (``None``: built without protection).
    disclosure: DisclosureRules | None = attrs.field(factory=DisclosureRules)
    protections: list[ProtectionSummary] = attrs.field(factory=list)
    _population_cache: dict[str, StatTable] = attrs.field(factory=dict)
    _names: dict[str, dict[str, str]] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        geo = self.geography
        self._names = {
            "municipality": {m.code: m.name for m in geo.municipalities},
            "district": {d.code: d.name for d in geo.districts},
            "county": {c.code: c.name for c in geo.counties},
            "health_trust": {t.code: t.name for t in geo.health_trusts},
            "dps": {d.code: d.name for d in geo.dps},
            "health_region": {r.code: r.name for r in geo.health_regions},
        }

    # -- basics -----------------------------------------------------------------------------------
    @property
    def national(self) -> str:
        """ "Hele landet" when the survey covers every municipality of the map, else what it covers."""
        survey = self.inputs.survey
        assert survey is not None
        rows = plain(survey.where(level="municipality"))
        have = set(pc.unique(rows.column("region")).to_pylist()) if rows.num_rows else set()
        every = set(self.codes("municipality"))
        if every <= have:
            return "Hele landet"
        return f"Kommunene i datagrunnlaget ({len(have & every)} av {len(every)})"

    @property
    def year(self) -> int:
        """The report year."""
        return self.inputs.year

    @property
    def extra(self) -> dict[str, Any]:
        """Metadata every data file carries (synthetic data is labelled in every file)."""
        extra: dict[str, Any] = {"report_year": self.year}
        if self.inputs.synthetic:
            extra["synthetic"] = True
            extra["note"] = "SYNTETISKE DEMODATA – ingen tall beskriver en virkelig kommune"
        return extra

    def name(self, level: str, code: str) -> str:
        """``"3301 Drammen"`` for a municipality; the plain name for other levels."""
        if level == "municipality" and len(code) == 6:
            level = "district"
        names = self._names.get(level, {})
        if level == "district":
            city = self._names["municipality"].get(code[:4], code[:4])
            return f"{code} {names.get(code, '(ukjent kode)')} ({city.split(' - ')[0]})"
        if level == "municipality":
            return f"{code} {names.get(code, '(ukjent kode)')}"
        if level == "county":
            return names.get(code, code)
        return names.get(code, code)

    def codes(self, level: str) -> list[str]:
        """The codes of a level in the report year, sorted."""
        return sorted(self._names.get(level, {}))

    def publish(self, tables: Sequence[StatTable], context: Sequence[StatTable] = ()) -> list[StatTable]:
        """Tables with counts of people as the report may publish them: protected as one publication.

        Every table a section writes or shows that holds counts of people (or rates of them) must come
        from here; ``context`` holds the counts behind published rates.
        """
        from samhandling.report.protection import publish

        return publish(self, tables, context)

    def protection_notes(self) -> list[Note]:
        """The note about protection that a section with counts of people shows."""
        from samhandling.report.protection import protection_notes

        return protection_notes(self)

    def add(self, name: str, title: str, table: StatTable | pa.Table) -> str:
        """Record a data set and return its file stem (for the "Data:" line under a chart or table)."""
        if isinstance(table, StatTable):
            table = table.with_arrow(table.arrow, extra={**table.meta.extra, **self.extra}, title=title)
        self.datasets.append(DataSet(name=name, title=title, table=table))
        return name

    def population(self, level: Level | str) -> StatTable:
        """The population rolled up to ``level`` (cached)."""
        key = str(Level(level))
        if key not in self._population_cache:
            population = self.inputs.population
            assert population is not None
            if key == "municipality":
                self._population_cache[key] = population
            else:
                self._population_cache[key] = self.roll_up(population, key)
        return self._population_cache[key]

    def roll_up(self, table: StatTable, level: Level | str) -> StatTable:
        """Municipality figures rolled up to ``level`` on the report year's map.

        An area split between several parents with no district figures to place it (a city without
        district rows, or a municipality whose catchment shares are not published) is left out of that
        level, and the report says so in a note instead of guessing shares.
        """
        from samhandling.aggregate import roll_up
        from samhandling.geography import SplitAreaError

        target = Level(level)
        try:
            return roll_up(table, target, geography=self.geography)
        except SplitAreaError:
            rolled = roll_up(table, target, geography=self.geography, unassigned="exclude")
        excluded = [str(code) for code in rolled.meta.extra.get("roll_up_excluded", [])]
        known = self.excluded.setdefault(target.value, set())
        known.update(excluded)
        return rolled

    def exclusion_notes(self) -> list[str]:
        """One sentence per level where areas had to be left out of a roll-up."""
        notes = []
        for level, codes in self.excluded.items():
            if not codes:
                continue
            names = ", ".join(self.name("municipality", c) for c in sorted(codes))
            notes.append(
                f"Tall per {_LEVEL_LABELS.get(Level(level), level)} omfatter ikke {names}: området er delt "
                "mellom flere opptaksområder, og datagrunnlaget har ikke tall per bydel eller andeler som "
                "kan fordele det."
            )
        return notes

    def per_10000(self, table: StatTable, level: Level | str, ages: str) -> StatTable:
        """Rates per 10,000 inhabitants of ``ages`` at ``level``."""
        from samhandling.aggregate import per_10000

        return per_10000(table, self.population(level), ages=ages)

    def years(self, table: StatTable) -> list[int]:
        """Years of ``table`` that the population covers too, up to the report year."""
        population = self.inputs.population
        assert population is not None
        have = set(population.years())
        return [y for y in table.years() if y in have and y <= self.year]


def _national_value(rows: dict[tuple[Any, ...], tuple[float | None, str | None]], *key: Any) -> float | None:
    """The value of the one national row with ``key`` (national rows have a single region code)."""
    for found, (value, _status) in rows.items():
        if found[1:] == key:
            return value
    return None


# -------------------------------------------------------------------------------------------------
# FTEs per 10,000 over time
# -------------------------------------------------------------------------------------------------


def fte_by_target_group(survey: StatTable) -> StatTable:
    """FTEs per municipality, year and target group (adults, children and young people).

    Uses the survey's ``total`` profession rows where it has them, else sums the professions.
    """
    rows = plain(survey.where(variable="fte"))
    rows = rows.filter(pc.is_in(rows.column("target_group"), pa.array(list(TARGET_GROUP_LABELS))))
    if "profession" in rows.column_names:
        professions = set(pc.unique(rows.column("profession")).to_pylist())
        wanted = ["total"] if "total" in professions else [p for p in professions if p != "total"]
        rows = rows.filter(pc.is_in(rows.column("profession"), pa.array(wanted, pa.string())))
    summed = sum_by(rows, ["region", "level", "year", "target_group", "variable"])
    return StatTable.from_arrow(summed, meta=attrs.evolve(survey.meta, variables=[survey.variable("fte")]))


def fte_rates(ctx: ReportContext, fte: StatTable, level: Level) -> StatTable:
    """FTEs per 10,000 inhabitants of the target group's ages, at ``level``."""
    table = fte if level is Level.MUNICIPALITY else ctx.roll_up(fte, level)
    present = set(plain(table).column("target_group").to_pylist())
    variable = _rate_variable(
        "fte",
        "Årsverk per 10 000 innbyggere i målgruppen (voksne: 18 år og eldre; barn og unge: 0–17 år)",
        unit="årsverk / ten_thousand_inhabitants",
    )
    parts = [
        ctx.per_10000(table.where(target_group=group), level, ages)
        for group, ages in _TARGET_AGES.items()
        if group in present
    ]
    return StatTable.concat([p.with_arrow(p.arrow, variables=[variable]) for p in parts])


def _series_for(
    rows: dict[tuple[Any, ...], tuple[float | None, str | None]],
    region: str,
    group: str,
    years: Sequence[int],
) -> tuple[float | None, ...]:
    return tuple(rows.get((region, group, y), (None, None))[0] for y in years)


def fte_section(ctx: ReportContext, fte: StatTable) -> tuple[Section, dict[Level, StatTable]]:
    """Section 1: FTEs per 10,000 inhabitants over time, nationally and per county, health trust and DPS."""
    years = ctx.years(fte)
    blocks: list[Figure | Table | Note] = []
    rates: dict[Level, StatTable] = {}
    for level in _ROLLUP_LEVELS:
        try:
            rates[level] = fte_rates(ctx, fte, level)
        except SamhandlingError as exc:
            blocks.append(
                Note(text=f"Årsverk per {_LEVEL_LABELS[level]} kunne ikke beregnes: {exc}", kind="warning")
            )
    rates[Level.MUNICIPALITY] = fte_rates(ctx, fte, Level.MUNICIPALITY)
    headlines: list[Headline] = []
    national_rows: dict[tuple[Any, ...], tuple[float | None, str | None]] = {}
    if Level.NATIONAL in rates:
        data = ctx.add(
            "fte_per_10000_national", "Årsverk per 10 000 innbyggere, hele landet", rates[Level.NATIONAL]
        )
        national_rows = lookup(rates[Level.NATIONAL], ["region", "target_group", "year"])
        series = [
            charts.Series(
                label=TARGET_GROUP_LABELS[g], x=years, y=[_national_value(national_rows, g, y) for y in years]
            )
            for g in TARGET_GROUP_LABELS
        ]
        blocks.append(
            Figure(
                id="fte-national",
                title="Årsverk per 10 000 innbyggere i målgruppen, hele landet",
                caption=(
                    "Voksne: per 10 000 innbyggere 18 år og eldre. "
                    "Barn og unge: per 10 000 innbyggere 0–17 år."
                ),
                svg=charts.line_chart(
                    "fte-national",
                    series,
                    description="Linjediagram: årsverk per 10 000 innbyggere over tid, voksne og barn/unge",
                    ylabel="Årsverk per 10 000",
                ),
                data_files=(data,),
            )
        )
        for group in TARGET_GROUP_LABELS:
            now = _national_value(national_rows, group, ctx.year)
            before = _national_value(national_rows, group, ctx.year - 1)
            headlines.append(
                Headline(
                    label=f"Årsverk per 10 000, {TARGET_GROUP_LABELS[group].lower()}",
                    value=format_number(now, 1),
                    change=(
                        f"{format_change(now - before, 1)} fra {ctx.year - 1}"
                        if now is not None and before is not None
                        else ""
                    ),
                    detail=f"{ctx.national}, {ctx.year}",
                )
            )
    national_adults = tuple(_national_value(national_rows, "adults", y) for y in years)
    for level, chart_id, title in (
        (Level.COUNTY, "fte-county", "per fylke"),
        (Level.HEALTH_TRUST, "fte-health-trust", "per helseforetak (opptaksområde)"),
    ):
        if level not in rates:
            continue
        data = ctx.add(f"fte_per_10000_{level.value}", f"Årsverk per 10 000 innbyggere {title}", rates[level])
        rows = lookup(rates[level], ["region", "target_group", "year"])
        regions = sorted({key[0] for key in rows}, key=lambda code: ctx.name(level.value, code))
        panels = [
            charts.Panel(
                title=ctx.name(level.value, region),
                series=[
                    charts.Series(
                        label=TARGET_GROUP_LABELS[g], x=years, y=_series_for(rows, region, g, years)
                    )
                    for g in TARGET_GROUP_LABELS
                ]
                + [charts.Series(label=f"{ctx.national}, voksne", x=years, y=national_adults, dashed=True)],
            )
            for region in regions
        ]
        if panels:
            blocks.append(
                Figure(
                    id=chart_id,
                    title=f"Årsverk per 10 000 innbyggere i målgruppen {title}",
                    caption=f"Stiplet linje: {ctx.national.lower()}, voksne. Samme skala i alle småbildene.",
                    svg=charts.small_multiples(
                        chart_id,
                        panels,
                        description=f"Småbilder: årsverk per 10 000 innbyggere over tid {title}",
                        ylabel="Årsverk per 10 000",
                    ),
                    data_files=(data,),
                )
            )
    if Level.DPS in rates:
        data = ctx.add(
            "fte_per_10000_dps", "Årsverk per 10 000 innbyggere per DPS-opptaksområde", rates[Level.DPS]
        )
        rows = lookup(rates[Level.DPS], ["region", "target_group", "year"])
        regions = sorted({key[0] for key in rows}, key=lambda code: ctx.name("dps", code))
        shown = years[-5:]
        table_rows = []
        for region in regions:
            cells = [Cell(text=ctx.name("dps", region))]
            for year in shown:
                value, status = rows.get((region, "adults", year), (None, None))
                cells.append(Cell(text=status or format_number(value, 1), symbol=value is None))
            value, status = rows.get((region, "children_young", ctx.year), (None, None))
            cells.append(Cell(text=status or format_number(value, 1), symbol=value is None))
            table_rows.append(cells)
        blocks.append(
            Table(
                id="fte-dps",
                title="Årsverk per 10 000 innbyggere per DPS-opptaksområde",
                caption=(
                    "Kommuner og bydeler er fordelt på DPS etter opptaksområdene; en kommune som er delt "
                    "mellom flere DPS, er fordelt etter andel."
                ),
                columns=[Column(label="DPS", sorted="asc")]
                + [Column(label=f"Voksne {y}", numeric=True) for y in shown]
                + [Column(label=f"Barn og unge {ctx.year}", numeric=True)],
                rows=table_rows,
                data_files=(data,),
                compact=True,
            )
        )
    section = Section(
        id="arsverk",
        title="Årsverk per 10 000 innbyggere over tid",
        title_en="FTEs per 10,000 inhabitants over time",
        intro=(
            "Årsverk i kommunalt psykisk helse- og rusarbeid per 10 000 innbyggere i målgruppen, for hele "
            "landet, hvert fylke, hvert helseforetak og hvert DPS-opptaksområde. Alle år er regnet på "
            f"kommunestrukturen for {ctx.geography.year}."
        ),
        headlines=headlines,
        blocks=blocks,
    )
    return section, rates


# -------------------------------------------------------------------------------------------------
# FTEs by profession and competence, per municipality
# -------------------------------------------------------------------------------------------------


#: Professions whose FTEs do not count as "with higher education": staff without it, and experience
#: consultants, who are hired for their lived experience (the survey form does not ask their education).
NOT_HIGHER_EDUCATION: frozenset[str] = frozenset({"no_higher_education", "experience_consultant"})


def _total_or_groups(rows: pa.Table) -> pa.Table:
    """Rows for all target groups: the survey's ``total`` rows where it has them, else adults + children."""
    if "target_group" not in rows.column_names:
        return rows
    groups = rows.column("target_group")
    if pc.any(pc.fill_null(pc.equal(groups, "total"), False)).as_py():
        return rows.filter(pc.fill_null(pc.equal(groups, "total"), False))
    return rows.filter(pc.is_in(groups, pa.array(list(TARGET_GROUP_LABELS))))


def profession_rows(survey: StatTable) -> pa.Table:
    """FTEs per area, year and profession over all target groups (the ``total`` profession left out).

    The IS-24/8 survey asks for FTEs by profession for both target groups together; a table that has
    them per target group instead is summed over the groups.
    """
    rows = plain(survey.where(variable="fte"))
    if "profession" not in rows.column_names:
        return pa.table({"region": [], "level": [], "year": [], "profession": [], "value": [], "status": []})
    known = pc.and_(pc.is_valid(rows.column("profession")), pc.not_equal(rows.column("profession"), "total"))
    rows = _total_or_groups(rows.filter(pc.fill_null(known, False)))
    return sum_by(rows, ["region", "level", "year", "profession"])


def _competence_parts(ctx: ReportContext, survey: StatTable) -> StatTable:
    """Additive parts of the competence shares per area: FTEs in all, with higher education, and with
    relevant further education (when the survey has it)."""
    professions = profession_rows(survey)
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
        Variable(id="fte_total", unit="årsverk", label="Årsverk i alt (summen av yrkesgruppene)"),
        Variable(
            id="fte_higher_education",
            unit="årsverk",
            label="Årsverk med høyere utdanning (uten erfaringskonsulenter)",
        ),
    ]
    if "fte_relevant_further_education" in survey.variable_ids():
        further = _total_or_groups(plain(survey.where(variable="fte_relevant_further_education")))
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
                label="Årsverk med relevant videreutdanning",
            )
        )
    table = pa.concat_tables(parts)
    return stat_table(
        {name: table.column(name) for name in table.column_names},
        level=Level.MUNICIPALITY,
        variables=variables,
        geography_year=ctx.geography.year,
        source=SOURCE,
        title="Årsverk etter utdanning",
        provenance=survey.provenance,
    )


_SHARES = {
    "fte_share_higher_education": ("fte_higher_education", "Andel årsverk med høyere utdanning"),
    "fte_share_relevant_further_education": (
        "fte_relevant_further_education",
        "Andel årsverk med relevant videreutdanning",
    ),
}


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
    for share, (numerator, label) in _SHARES.items():
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
                label=label,
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
        title="Kompetanse",
        provenance=parts.provenance,
    )


def municipality_section(
    ctx: ReportContext, survey: StatTable, rates: StatTable
) -> tuple[Section, dict[tuple[Any, ...], tuple[float | None, str | None]]]:
    """Section 2: FTEs by profession and the competence level, for every municipality."""
    year = ctx.year
    by_profession = lookup(profession_rows(survey.where(year=year)), ["region", "profession"])
    by_group = lookup(fte_by_target_group(survey.where(year=year)), ["region", "target_group"])
    rate_rows = lookup(rates.where(year=year), ["region", "target_group"])
    population = lookup(
        sum_by(plain(ctx.population("municipality").where(year=year)), ["region"]), ["region"]
    )
    parts = _competence_parts(ctx, survey)
    shares = competence_shares(parts)
    share_rows = lookup(shares.where(year=year), ["region", "variable"])
    has_further = "fte_share_relevant_further_education" in shares.variable_ids()
    detail = survey.where(variable="fte", year=year)
    data_fte = ctx.add(
        "fte_by_profession_municipality", f"Årsverk etter yrke og målgruppe per kommune {year}", detail
    )
    data_rates = ctx.add("fte_per_10000_municipality", "Årsverk per 10 000 innbyggere per kommune", rates)
    data_shares = ctx.add("competence_municipality", "Kompetanse per kommune", shares)

    def cell(found: tuple[float | None, str | None] | None, decimals: int = 1, percent: bool = False) -> Cell:
        value, status = found if found is not None else (None, None)
        if value is None:
            return Cell(text=status or "..", symbol=True)
        return Cell(text=format_percent(value) if percent else format_number(value, decimals))

    professions = [p for p in PROFESSION_LABELS if any(k[1] == p for k in by_profession)]
    rows = []
    for code in ctx.codes("municipality"):
        row = [
            Cell(text=ctx.name("municipality", code)),
            cell(population.get((code,)), 0),
            cell(by_group.get((code, "adults"))),
            cell(rate_rows.get((code, "adults"))),
            cell(by_group.get((code, "children_young"))),
            cell(rate_rows.get((code, "children_young"))),
        ]
        row += [cell(by_profession.get((code, p))) for p in professions]
        row.append(cell(share_rows.get((code, "fte_share_higher_education")), percent=True))
        if has_further:
            row.append(cell(share_rows.get((code, "fte_share_relevant_further_education")), percent=True))
        rows.append(row)
    columns = [
        Column(label="Kommune", sorted="asc"),
        Column(label="Innbyggere", numeric=True),
        Column(label="Årsverk voksne", numeric=True),
        Column(label="Per 10 000 (18+)", numeric=True),
        Column(label="Årsverk barn og unge", numeric=True),
        Column(label="Per 10 000 (0–17)", numeric=True),
        *(
            Column(label=PROFESSION_LABELS[p], numeric=True, note="Årsverk, begge målgrupper")
            for p in professions
        ),
        Column(
            label="Høyere utd.",
            numeric=True,
            note="Andel årsverk med høyere utdanning (erfaringskonsulenter regnes ikke med)",
        ),
    ]
    if has_further:
        columns.append(
            Column(
                label="Relevant videreutd.", numeric=True, note="Andel årsverk med relevant videreutdanning"
            )
        )
    blocks: list[Figure | Table | Note] = []
    # Competence by county (recomputed from the additive parts, never averaged).
    headlines: list[Headline] = []
    complete, left_out = complete_answers(parts)
    try:
        county_shares = competence_shares(ctx.roll_up(complete, Level.COUNTY))
        national_shares = competence_shares(ctx.roll_up(complete, Level.NATIONAL))
    except SamhandlingError as exc:
        blocks.append(Note(text=f"Kompetanse per fylke kunne ikke beregnes: {exc}", kind="warning"))
    else:
        data_county = ctx.add("competence_county", "Kompetanse per fylke", county_shares)
        county_rows = lookup(county_shares.where(year=year), ["region", "variable"])
        counties = sorted({k[0] for k in county_rows}, key=lambda c: ctx.name("county", c))
        groups = {
            "Høyere utdanning": [
                county_rows.get((c, "fte_share_higher_education"), (None, None))[0] for c in counties
            ]
        }
        if has_further:
            groups["Relevant videreutdanning"] = [
                county_rows.get((c, "fte_share_relevant_further_education"), (None, None))[0]
                for c in counties
            ]
        blocks.append(
            Figure(
                id="competence-county",
                title=f"Andel årsverk med høyere utdanning og med relevant videreutdanning per fylke, {year}",
                caption=(
                    "Regnet fra summen av årsverk i fylket, ikke som gjennomsnitt av kommunenes andeler."
                    + (
                        f" {len(left_out.get(year, []))} kommuner med ufullstendige svar i {year} er holdt "
                        "utenfor andelene (se tabellen under)."
                        if left_out.get(year)
                        else ""
                    )
                ),
                svg=charts.grouped_bars(
                    "competence-county",
                    [ctx.name("county", c) for c in counties],
                    groups,
                    description="Stolpediagram: kompetanse i årsverkene per fylke",
                    xlabel="Prosent av årsverkene",
                ),
                data_files=(data_county,),
            )
        )
        national = lookup(national_shares.where(year=year), ["region", "variable"])
        higher = _national_value(national, "fte_share_higher_education")
        headlines.append(
            Headline(
                label="Andel årsverk med høyere utdanning",
                value=format_percent(higher),
                detail=f"{ctx.national}, {year}",
            )
        )
        if has_further:
            further = _national_value(national, "fte_share_relevant_further_education")
            headlines.append(
                Headline(
                    label="Andel årsverk med relevant videreutdanning",
                    value=format_percent(further),
                    detail=f"{ctx.national}, {year}",
                )
            )
    blocks.append(
        Table(
            id="municipalities",
            title=f"Årsverk etter yrke og kompetanse per kommune, {year}",
            caption=(
                "Årsverk for voksne og for barn og unge, og per 10 000 innbyggere i målgruppen; "
                "yrkesgruppene summerer "
                "begge målgrupper. Kommunenummer og navn etter kommunestrukturen for "
                f"{ctx.geography.year}."
            ),
            columns=columns,
            rows=rows,
            data_files=(data_fte, data_rates, data_shares),
            compact=True,
        )
    )
    section = Section(
        id="kommuner",
        title="Årsverk og kompetanse per kommune",
        title_en="FTEs by profession and competence, per municipality",
        intro=(
            "Hvilke yrkesgrupper årsverkene er fordelt på, og hvor stor andel som har høyere utdanning og "
            "relevant videreutdanning i psykisk helse- og rusarbeid."
        ),
        headlines=headlines,
        blocks=blocks,
    )
    return section, share_rows


# -------------------------------------------------------------------------------------------------
# Admissions to specialist care
# -------------------------------------------------------------------------------------------------


def admissions_by_unit_type(admissions: StatTable) -> StatTable:
    """Admissions per municipality, year and unit type (months and single units summed)."""
    rows = plain(admissions.where(variable="admissions"))
    # Rows without a unit type or marked "total" are sums of the other rows: counting them would
    # count the same admissions twice.
    types = rows.column("unit_type").cast(pa.string())
    rows = rows.filter(pc.fill_null(pc.not_equal(types, "total"), False))
    summed = sum_by(rows, ["region", "level", "year", "unit_type", "variable"])
    return StatTable.from_arrow(
        summed, meta=attrs.evolve(admissions.meta, variables=[admissions.variable("admissions")])
    )


def _unit_label(code: str) -> str:
    return UNIT_TYPE_LABELS.get(code, code)


#: The ``unit_type`` of the rows that sum every unit type (an area's "i alt").
ALL_UNIT_TYPES = "total"


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


def _shown(found: tuple[float | None, str | None] | None, decimals: int) -> Cell:
    value, status = found if found is not None else (None, None)
    if value is None:
        return Cell(text=status or "..", symbol=True)
    return Cell(text=format_number(value, decimals))


def admissions_section(ctx: ReportContext, tables: AdmissionTables | None = None) -> Section:
    """Section 3: admissions to specialist care per 10,000 inhabitants by municipality and unit type.

    ``tables`` are the published (protected) tables from :func:`admission_tables`.
    """
    intro = (
        "Innleggelser i psykisk helsevern og tverrfaglig spesialisert rusbehandling etter pasientens "
        "bostedskommune og type enhet, per 10 000 innbyggere (alle aldre)."
    )
    if tables is None:
        return Section(
            id="innleggelser",
            title="Innleggelser i spesialisthelsetjenesten",
            title_en="Admissions to specialist care",
            intro=intro,
            blocks=[
                Note(text="Ingen NIMES-tabell ble gitt (--nimes), så denne delen er tom.", kind="warning")
            ],
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
                    text=f"NIMES-tabellen har bare {len(months)} måneder for {year} "
                    f"({', '.join(map(str, months))}); tallene for året omfatter bare disse.",
                    kind="warning",
                )
            )
    blocks.extend(ctx.protection_notes())
    headlines: list[Headline] = []
    unit_types = sorted(
        {u for u in plain(tables.counts).column("unit_type").to_pylist() if u != ALL_UNIT_TYPES},
        key=lambda u: (list(UNIT_TYPE_LABELS).index(u) if u in UNIT_TYPE_LABELS else 99, u),
    )
    if tables.national is None or tables.county is None:
        blocks.append(
            Note(text=f"Innleggelser per fylke kunne ikke beregnes: {tables.problem}", kind="warning")
        )
    else:
        years = ctx.years(tables.national)
        data_national = ctx.add(
            "admissions_per_10000_national",
            "Innleggelser per 10 000 innbyggere, hele landet",
            tables.national,
        )
        national_rows = lookup(tables.national, ["region", "unit_type", "year"])
        blocks.append(
            Figure(
                id="admissions-national",
                title="Innleggelser per 10 000 innbyggere etter type enhet, hele landet",
                svg=charts.line_chart(
                    "admissions-national",
                    [
                        charts.Series(
                            label=_unit_label(u),
                            x=years,
                            y=[_national_value(national_rows, u, y) for y in years],
                        )
                        for u in unit_types
                    ],
                    description="Linjediagram: innleggelser per 10 000 innbyggere over tid etter type enhet",
                    ylabel="Innleggelser per 10 000",
                ),
                data_files=(data_national,),
            )
        )
        total_now = next(
            (found for key, found in national_rows.items() if key[1:] == (ALL_UNIT_TYPES, year)), None
        )
        if total_now is not None:
            headlines.append(
                Headline(
                    label="Innleggelser per 10 000 innbyggere",
                    value=_shown(total_now, 0).text,
                    detail=f"Alle typer enheter, hele landet, {year}",
                )
            )
        data_county = ctx.add(
            "admissions_per_10000_county", "Innleggelser per 10 000 innbyggere per fylke", tables.county
        )
        county_rows = lookup(tables.county.where(year=year), ["region", "unit_type"])
        counties = sorted(
            {k[0] for k in county_rows if k[1] != ALL_UNIT_TYPES}, key=lambda c: ctx.name("county", c)
        )
        blocks.append(
            Figure(
                id="admissions-county",
                title=f"Innleggelser per 10 000 innbyggere etter type enhet per fylke, {year}",
                caption="Tallet ved enden av stolpen er summen; * betyr at en del mangler.",
                svg=charts.stacked_bars(
                    "admissions-county",
                    [ctx.name("county", c) for c in counties],
                    {
                        _unit_label(u): [county_rows.get((c, u), (None, None))[0] for c in counties]
                        for u in unit_types
                    },
                    description="Stablede stolper: innleggelser per 10 000 innbyggere etter enhet per fylke",
                    xlabel="Innleggelser per 10 000 innbyggere",
                ),
                data_files=(data_county,),
            )
        )
    # The municipality table shows the report year; so do its data files (the series are per county).
    data_muni = ctx.add(
        "admissions_per_10000_municipality",
        f"Innleggelser per 10 000 innbyggere per kommune, {year}",
        tables.municipal,
    )
    data_counts = ctx.add(
        "admissions_municipality", f"Innleggelser per kommune og type enhet, {year}", tables.counts
    )
    rate_rows = lookup(tables.municipal, ["region", "unit_type"])
    count_rows = lookup(tables.counts, ["region", "unit_type"])
    rows = []
    for code in ctx.codes("municipality"):
        row = [Cell(text=ctx.name("municipality", code)), _shown(count_rows.get((code, ALL_UNIT_TYPES)), 0)]
        row += [_shown(rate_rows.get((code, u)), 1) for u in unit_types]
        rows.append(row)
    blocks.append(
        Table(
            id="admissions-municipality",
            title=f"Innleggelser per 10 000 innbyggere per kommune og type enhet, {year}",
            columns=[Column(label="Kommune", sorted="asc"), Column(label="Innleggelser i alt", numeric=True)]
            + [Column(label=_unit_label(u), numeric=True, note="Per 10 000 innbyggere") for u in unit_types],
            rows=rows,
            data_files=(data_muni, data_counts),
            compact=True,
        )
    )
    return Section(
        id="innleggelser",
        title="Innleggelser i spesialisthelsetjenesten",
        title_en="Admissions to specialist care",
        intro=intro,
        headlines=headlines,
        blocks=blocks,
    )


# -------------------------------------------------------------------------------------------------
# Emergency beds (ØHD) and inter-municipal arrangements
# -------------------------------------------------------------------------------------------------


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
    variable = Variable(
        id="ohd_beds", unit="plass", additive=True, label="ØHD-plasser for psykisk helse og rus"
    )
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
                title="ØHD-plasser fra avtaleregisteret",
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
    return StatTable.from_arrow(summed, meta=meta)


def ohd_section(ctx: ReportContext) -> tuple[Section, float | None]:
    """Section 4: ØHD places per 10,000 inhabitants and the spread of inter-municipal arrangements."""
    year = ctx.year
    register = ctx.inputs.register
    blocks: list[Figure | Table | Note] = []
    headlines: list[Headline] = []
    national_rate: float | None = None
    beds = ohd_beds(ctx)
    if beds is None:
        blocks.append(
            Note(
                text=(
                    "Verken avtaleregisteret (--agreements) eller en kapasitetstabell (--capacity) "
                    "oppgir ØHD-plasser."
                ),
                kind="warning",
            )
        )
    else:
        try:
            county = ctx.per_10000(ctx.roll_up(beds, Level.COUNTY), Level.COUNTY, "all")
            national = ctx.per_10000(ctx.roll_up(beds, Level.NATIONAL), Level.NATIONAL, "all")
        except SamhandlingError as exc:
            blocks.append(Note(text=f"ØHD-plasser per fylke kunne ikke beregnes: {exc}", kind="warning"))
        else:
            ctx.add("ohd_beds_municipality", "ØHD-plasser per kommune", beds)
            data = ctx.add("ohd_beds_per_10000_county", "ØHD-plasser per 10 000 innbyggere per fylke", county)
            rows = lookup(county, ["region"])
            counties = sorted({k[0] for k in rows}, key=lambda c: ctx.name("county", c))
            national_rate = _national_value(lookup(national, ["region"]))
            blocks.append(
                Figure(
                    id="ohd-county",
                    title=f"ØHD-plasser for psykisk helse og rus per 10 000 innbyggere per fylke, {year}",
                    caption="Plassene i en interkommunal enhet er fordelt på kommunene etter folketall.",
                    svg=charts.bar_chart(
                        "ohd-county",
                        [ctx.name("county", c) for c in counties],
                        [rows.get((c,), (None, None))[0] for c in counties],
                        description="Stolpediagram: ØHD-plasser per 10 000 innbyggere per fylke",
                        xlabel="Plasser per 10 000 innbyggere",
                        reference=(ctx.national, national_rate) if national_rate is not None else None,
                        symbols=[rows.get((c,), (None, None))[1] or ".." for c in counties],
                        decimals=2,
                    ),
                    data_files=(data,),
                )
            )
            total_places = sum(v or 0.0 for v in plain(beds).column("value").to_pylist())
            headlines.append(
                Headline(
                    label="ØHD-plasser for psykisk helse og rus",
                    value=format_number(total_places, 0),
                    detail=f"{ctx.national}, {year}",
                )
            )
    if register is None:
        blocks.append(
            Note(
                text="Ingen avtaleregister ble gitt (--agreements): interkommunale ordninger vises ikke.",
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
        title="Øyeblikkelig hjelp døgnopphold og interkommunale ordninger",
        title_en="Emergency 24-hour beds (ØHD) and inter-municipal arrangements",
        intro=(
            "Kommunene har siden 2017 plikt til å tilby døgnopphold for øyeblikkelig hjelp også for psykisk "
            "helse og rus (helse- og omsorgstjenesteloven § 3-5 tredje ledd), ofte sammen med nabokommuner."
        ),
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
    Variable(id="municipalities", unit="count", label="Kommuner"),
    Variable(id="with_ohd", unit="count", label="Kommuner med ØHD-tilbud for psykisk helse og rus"),
    Variable(id="inter_municipal_ohd", unit="count", label="Kommuner i interkommunal ØHD"),
    Variable(
        id="inter_municipal_agreements", unit="count", label="Interkommunale avtaler kommunen er part i"
    ),
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
        title="ØHD og interkommunale ordninger per kommune",
    )
    blocks: list[Figure | Table | Note] = []
    data_muni = ctx.add("arrangements_municipality", "ØHD og interkommunale ordninger per kommune", table)
    try:
        county = ctx.roll_up(table, Level.COUNTY)
    except SamhandlingError as exc:
        return [Note(text=f"Ordninger per fylke kunne ikke beregnes: {exc}", kind="warning")]
    data_county = ctx.add("arrangements_county", "ØHD og interkommunale ordninger per fylke", county)
    rows = lookup(county, ["region", "variable"])
    counties = sorted({k[0] for k in rows}, key=lambda c: ctx.name("county", c))
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
            title=f"Kommuner med ØHD-tilbud og i interkommunale ØHD-ordninger per fylke, {ctx.year}",
            caption=(
                "En kommune som deler en kommunal eller interkommunal enhet med andre, "
                "regnes som interkommunal."
            ),
            columns=[
                Column(label="Fylke", sorted="asc"),
                Column(label="Kommuner", numeric=True),
                Column(label="Med ØHD", numeric=True),
                Column(label="Andel", numeric=True),
                Column(label="I interkommunal ØHD", numeric=True),
                Column(label="Andel", numeric=True),
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
    data_services = ctx.add("ohd_services", "ØHD-enheter i avtaleregisteret", service_table)
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
                Cell(text=s.level.label),
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
            title="ØHD-enheter for psykisk helse og rus",
            caption="Fra avtaleregisteret; plasser per 10 000 innbyggere i kommunene enheten betjener.",
            columns=[
                Column(label="Enhet"),
                Column(label="Drives av"),
                Column(label="Nivå"),
                Column(label="Kommuner"),
                Column(label="Innbyggere", numeric=True),
                Column(label="Plasser", numeric=True),
                Column(label="Per 10 000", numeric=True),
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
            label="Kommuner i interkommunal ØHD",
            value=format_percent(100.0 * inter / count if count else None),
            detail=f"{format_number(inter, 0)} av {count} kommuner, {ctx.year}",
        )
    ]


def _yes_no_block(ctx: ReportContext) -> Table | None:
    survey = ctx.inputs.survey
    assert survey is not None
    present = [v for v in _YES_NO_LABELS if v in survey.variable_ids()]
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
        *(Variable(id=v, unit="dimensionless", label=_YES_NO_LABELS[v]) for v in present),
        *(
            Variable(id=f"{v}_answered", unit="count", label=f"Kommuner som svarte: {_YES_NO_LABELS[v]}")
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
        title="Svar ja/nei i kartleggingen",
        provenance=survey.provenance,
    )
    try:
        county = ctx.roll_up(table, Level.COUNTY)
    except SamhandlingError:
        return None
    name = ctx.add("survey_answers_county", "Andel kommuner som svarer ja, per fylke", county)
    found = lookup(county, ["region", "variable"])
    counties = sorted({k[0] for k in found}, key=lambda c: ctx.name("county", c))
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
        title=f"Andel kommuner som svarer ja i kartleggingen per fylke, {ctx.year}",
        columns=[
            Column(label="Fylke", sorted="asc"),
            *(Column(label=_YES_NO_LABELS[v], numeric=True) for v in present),
        ],
        rows=table_rows,
        data_files=(name,),
    )


# -------------------------------------------------------------------------------------------------
# Agreement coverage of the statutory subjects
# -------------------------------------------------------------------------------------------------


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
    """Section 5: which of the statutory subjects in force the municipalities' agreements cover."""
    title = "Samarbeidsavtalene og de lovpålagte temaene"
    title_en = "Agreement coverage of the statutory subjects"
    day = dt.date(ctx.year, 7, 1)
    subjects = list(required_subjects(day))
    count_text = {11: "elleve", 13: "tretten"}.get(len(subjects), str(len(subjects)))
    intro = (
        "Helse- og omsorgstjenesteloven § 6-2 krever at samarbeidsavtalen mellom kommune og helseforetak "
        f"minst dekker {count_text} temaer per 1. juli {ctx.year} (elleve fram til 31. juli 2022; punkt 12 "
        "og 13 gjelder fra 1. august 2022 og skulle være med i avtalene fra 1. juli 2023). Her telles "
        f"hovedavtalen og delavtalene sammen, slik de gjaldt 1. juli {ctx.year}."
    )
    if ctx.inputs.register is None:
        return (
            Section(
                id="avtaler",
                title=title,
                title_en=title_en,
                intro=intro,
                blocks=[
                    Note(
                        text="Ingen avtaleregister ble gitt (--agreements), så denne delen er tom.",
                        kind="warning",
                    )
                ],
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
                label="Avtalene dekker temaet (1 = ja); summen er antall kommuner",
            )
        ],
        geography_year=ctx.geography.year,
        source=SOURCE,
        title="Dekning av lovpålagte temaer per kommune",
    )
    data = ctx.add("agreement_coverage_municipality", "Dekning av lovpålagte temaer per kommune", table)
    count = len(codes)
    shares = [100.0 * sum(found[c][1][s] for c in codes) / count if count else None for s in subjects]
    without = [c for c in codes if found[c][0] is None]
    gaps = [c for c in codes if found[c][0] is not None and not all(found[c][1].values())]
    complete = count - len(without) - len(gaps)
    blocks: list[Figure | Table | Note] = [
        Figure(
            id="agreement-subjects",
            title=f"Andel kommuner der avtalene dekker temaet, {ctx.year}",
            caption=(
                "Temaene nummerert som i § 6-2. Kommuner uten registrert samarbeidsavtale "
                "teller som ikke dekket."
            ),
            svg=charts.bar_chart(
                "agreement-subjects",
                [f"{s.number}. {SUBJECT_SHORT_LABELS[s]}" for s in subjects],
                shares,
                description=(
                    f"Stolpediagram: andel kommuner der avtalene dekker hvert av de {count_text} temaene"
                ),
                xlabel="Prosent av kommunene",
                decimals=0,
            ),
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
                    text="ingen samarbeidsavtale registrert"
                    if trust is None
                    else ", ".join(f"{s.number} {SUBJECT_SHORT_LABELS[s].lower()}" for s in missing),
                    emphasis=trust is None,
                ),
            ]
        )
    gap_rows.sort(key=lambda row: row[0].text)
    if gap_rows:
        blocks.append(
            Table(
                id="agreement-gaps",
                title="Kommuner der avtalene mangler ett eller flere temaer",
                columns=[
                    Column(label="Kommune", sorted="asc"),
                    Column(label="Helseforetak"),
                    Column(label="Mangler"),
                ],
                rows=gap_rows,
                data_files=(data,),
                compact=True,
            )
        )
    else:
        blocks.append(Note(text=f"Avtalene til alle kommunene dekker alle de {count_text} temaene."))
    headline = Headline(
        label=f"Kommuner med alle {count_text} temaer dekket",
        value=format_percent(100.0 * complete / count if count else None),
        detail=f"{complete} av {count} kommuner, {ctx.year}",
    )
    return Section(
        id="avtaler", title=title, title_en=title_en, intro=intro, headlines=[headline], blocks=blocks
    ), without


# -------------------------------------------------------------------------------------------------
# Quality findings
# -------------------------------------------------------------------------------------------------

_ROLE_LABELS = {
    "survey": "Kartlegging",
    "population": "Folkemengde",
    "admissions": "Innleggelser",
    "capacity": "Kapasitet",
    "rates": "Årsverk per 10 000 (beregnet)",
    "agreements": "Avtaleregister",
}
_SEVERITY_LABELS = {"error": "feil", "warning": "advarsel", "info": "info"}
_APPENDIX_ROWS = 200


#: Check options per input (see :mod:`samhandling.checks.rules`): admission counts of small
#: municipalities swing by half from year to year by chance, so only changes of 25 or more count.
CHECK_OPTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "admissions": {"year-on-year": {"min_change": 25.0}},
}


def run_quality_checks(
    ctx: ReportContext,
    tables: dict[str, StatTable],
    *,
    without_agreement: Sequence[str] = (),
    options: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> None:
    """Run every registered check on each input table (and the computed rates); collect the findings.

    :param options: check options per input role (``{"admissions": {"year-on-year": {...}}}``),
        default :data:`CHECK_OPTIONS`.
    """
    from samhandling.checks import CheckContext, Finding, run_checks

    chosen = CHECK_OPTIONS if options is None else options
    for role, table in tables.items():
        context = CheckContext(
            population=ctx.inputs.population,
            options={rule: dict(values) for rule, values in chosen.get(role, {}).items()},
        )
        for finding in run_checks(table, context=context, plugin_manager=ctx.plugin_manager):
            ctx.findings.append((role, finding))
    for code in without_agreement:
        ctx.findings.append(
            (
                "agreements",
                Finding(
                    rule="agreement-missing",
                    severity="warning",
                    message=f"{ctx.name('municipality', code)} has no cooperation agreement "
                    "(samarbeidsavtale) "
                    f"in force on 1 July {ctx.year} in the register",
                    region=code,
                    year=ctx.year,
                ),
            )
        )


def findings_section(ctx: ReportContext) -> Section:
    """Appendix A: what the quality checks found in the inputs."""
    rows = [{"input": role, **finding.to_dict()} for role, finding in ctx.findings]
    schema = pa.schema([pa.field("input", pa.string()), *FINDINGS_SCHEMA])
    data = ctx.add("findings", "Funn fra kvalitetskontrollen", pa.Table.from_pylist(rows, schema=schema))
    counts = {s: sum(1 for _r, f in ctx.findings if f.severity.value == s) for s in _SEVERITY_LABELS}
    blocks: list[Figure | Table | Note] = []
    if not ctx.findings:
        blocks.append(Note(text="Kontrollene fant ingenting å merke seg i datagrunnlaget."))
    else:
        shown = ctx.findings[:_APPENDIX_ROWS]
        table_rows = [
            [
                Cell(
                    text=_SEVERITY_LABELS.get(f.severity.value, f.severity.value),
                    emphasis=f.severity.value == "error",
                ),
                Cell(text=_ROLE_LABELS.get(role, role)),
                Cell(text=f.rule),
                Cell(
                    text=ctx.name("municipality", f.region)
                    if f.region and len(f.region) in (4, 6)
                    else (f.region or "–")
                ),
                Cell(text=str(f.year) if f.year is not None else "–"),
                Cell(text=f.message),
            ]
            for role, f in shown
        ]
        blocks.append(
            Table(
                id="findings",
                title="Funn",
                caption=(
                    f"{counts['error']} feil, {counts['warning']} advarsler og {counts['info']} merknader."
                    + (
                        f" De første {_APPENDIX_ROWS} vises her; alle ligger i datafilen."
                        if len(ctx.findings) > _APPENDIX_ROWS
                        else ""
                    )
                ),
                columns=[
                    Column(label="Alvor"),
                    Column(label="Kilde"),
                    Column(label="Regel"),
                    Column(label="Område"),
                    Column(label="År"),
                    Column(label="Hva"),
                ],
                rows=table_rows,
                data_files=(data,),
                compact=True,
            )
        )
    return Section(
        id="kvalitet",
        title="Kvalitetskontroll av datagrunnlaget",
        title_en="Quality findings",
        intro=(
            "Alle registrerte kontroller er kjørt på hver inndatatabell før harmonisering, og på de "
            "beregnede årsverkene per 10 000 innbyggere. Funnene endrer ingen tall i rapporten; de viser "
            "hva som bør sjekkes."
        ),
        blocks=blocks,
        appendix=True,
    )
