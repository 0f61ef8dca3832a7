"""What every section of the report shares: the inputs, the map, one name per area, and what was written.

:class:`ReportContext` is handed from section to section.  It names every area the same way everywhere
(:meth:`ReportContext.name`), rolls tables up on the report year's map and keeps their coverage,
computes rates per 10,000 (an area without population becomes a finding, not a crash), records the data
behind every chart and table (:class:`DataSet`, labelled synthetic when the inputs are) and collects the
quality findings.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.disclosure.rules import DisclosureRules
from samhandling.levels import Level
from samhandling.report.document import Note
from samhandling.report.inputs import ReportInputs
from samhandling.report.messages import label, msg
from samhandling.report.tabular import plain
from samhandling.tables import Provenance, StatTable

if TYPE_CHECKING:
    from samhandling.checks import Finding
    from samhandling.disclosure.protection import ProtectionSummary
    from samhandling.geography import Geography
    from samhandling.plugins import PluginManager
    from samhandling.report.kostra_groups import KostraGroups

__all__ = ["SOURCE", "SYNTHETIC_COLUMN", "Coverage", "DataSet", "ReportContext", "labelled"]

#: The ``source`` of the tables the report computes.
SOURCE = "samhandling-report"
#: The column every data file of a report built from synthetic inputs carries (value :data:`SYNTHETIC_VALUE`).
SYNTHETIC_COLUMN = "synthetic"

#: (members with data, members) of one total, by (region, year, variable).
Coverage = dict[tuple[str, int, str], tuple[int, int]]


@typing.final
@attrs.frozen(kw_only=True)
class DataSet:
    """The data behind one chart or table, written to ``data/<name>.<suffix>``.

    ``table`` is a StatTable (written with :func:`samhandling.export`) or, for lists that are not
    statistics (quality findings, services, funnel limits), a plain Arrow table.
    """

    name: str
    title: str
    table: StatTable | pa.Table


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
    #: Which KOSTRA group each municipality is in, when the user gave the membership (``None``: not given).
    kostra_groups: KostraGroups | None = None
    _population_cache: dict[tuple[str, str], StatTable] = attrs.field(factory=dict)
    _names: dict[str, dict[str, str]] = attrs.field(factory=dict)
    _without_population: set[tuple[str, int]] = attrs.field(factory=set)
    cache: dict[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        geo = self.geography
        self._names = {
            "municipality": {m.code: m.short_name or m.name for m in geo.municipalities},
            "district": {d.code: d.name for d in geo.districts},
            "county": {c.code: c.short_name or c.name for c in geo.counties},
            "health_trust": {t.code: t.name for t in geo.health_trusts},
            "dps": {d.code: d.name for d in geo.dps},
            "health_region": {r.code: r.name for r in geo.health_regions},
        }

    # -- basics -----------------------------------------------------------------------------------
    @property
    def year(self) -> int:
        """The report year."""
        return self.inputs.year

    @property
    def synthetic(self) -> bool:
        """Whether any input is synthetic (the report then says so everywhere)."""
        return self.inputs.synthetic

    @property
    def stamp(self) -> str:
        """The label every chart of a synthetic report carries inside the picture ("" for real data)."""
        return msg("demo.stamp") if self.synthetic else ""

    @property
    def national(self) -> str:
        """ "Hele landet" when the survey covers every municipality of the map, else what it covers."""
        if "national" in self.cache:
            return str(self.cache["national"])
        survey = self.inputs.survey
        assert survey is not None
        rows = plain(survey.where(level="municipality", year=self.year))
        have = set(pc.unique(rows.column("region")).to_pylist()) if rows.num_rows else set()
        every = set(self.codes("municipality"))
        if every <= have:
            text = msg("area.national")
        else:
            text = msg("area.partial_national", have=len(have & every), every=len(every))
        self.cache["national"] = text
        return text

    @property
    def extra(self) -> dict[str, Any]:
        """Metadata every data file carries (synthetic data is labelled in every file)."""
        extra: dict[str, Any] = {"report_year": self.year}
        if self.synthetic:
            extra["synthetic"] = True
            extra["note"] = msg("demo.file_note")
        return extra

    def name(self, level: str, code: str) -> str:
        """The one name of an area the report uses everywhere.

        ``"3301 Drammen"`` for a municipality (number and the Norwegian form of its name), ``"030101
        Gamle Oslo (Oslo)"`` for a city district, the Norwegian form of a county's name, and the full
        names of health regions, health trusts and DPSs.  The same area has the same name in every chart,
        table and note.
        """
        if level == "municipality" and len(code) == 6:
            level = "district"
        names = self._names.get(level, {})
        if level == "district":
            city = self._names["municipality"].get(code[:4], code[:4])
            return msg("area.district", code=code, name=names.get(code, msg("area.unknown")), city=city)
        if level == "municipality":
            return f"{code} {names.get(code, msg('area.unknown'))}"
        if level == Level.NATIONAL.value:
            return msg("area.national")
        if level == "size_group":
            return label("size_group", code)
        if level == "kostra_group":
            return msg("area.kostra_group", code=code)
        return names.get(code, code)

    def codes(self, level: str) -> list[str]:
        """The codes of a level in the report year, sorted."""
        return sorted(self._names.get(level, {}))

    def sorted_by_name(self, level: str, codes: Iterable[str]) -> list[str]:
        """``codes`` in the order of their names (as readers look areas up)."""
        return sorted(codes, key=lambda code: self.name(level, code))

    # -- publishing -------------------------------------------------------------------------------
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
        """Record a data set and return its file stem (for the "Data:" line under a chart or table).

        A report built from synthetic inputs labels every data set: its title, its metadata and its
        provenance say so (a synthetic provenance entry, which the spreadsheet's sources sheet shows), and
        the CSV files get a column :data:`SYNTHETIC_COLUMN` on every row (see :func:`labelled`), so the
        label survives a file opened on its own.  Lists that are not statistics get the column in every
        format.
        """
        if isinstance(table, StatTable):
            changes: dict[str, Any] = {"extra": {**table.meta.extra, **self.extra}, "title": title}
            if self.synthetic:
                changes["title"] = msg("demo.data_title", title=title)
                if not any(p.synthetic for p in table.provenance):
                    changes["provenance"] = (*table.provenance, _synthetic_provenance())
            table = StatTable(table.arrow, attrs.evolve(table.meta, **changes))
            table = table.with_arrow(table.arrow)
        else:
            if self.synthetic and SYNTHETIC_COLUMN not in table.column_names:
                table = _with_label(table)
            metadata = {b"samhandling.report": _json({"title": title, "extra": self.extra})}
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
        self.datasets.append(DataSet(name=name, title=title, table=table))
        return name

    # -- geography --------------------------------------------------------------------------------
    def population(self, level: Level | str, kind: str = "vop") -> StatTable:
        """The population rolled up to ``level`` (cached)."""
        key = (str(Level(level)), kind)
        if key not in self._population_cache:
            population = self.inputs.population
            assert population is not None
            if key[0] == "municipality":
                self._population_cache[key] = population
            else:
                self._population_cache[key] = self.roll_up(population, key[0], kind=kind)
        return self._population_cache[key]

    def roll_up(self, table: StatTable, level: Level | str, *, kind: str = "vop") -> StatTable:
        """Municipality figures rolled up to ``level`` on the report year's map, coverage recorded.

        A total some of whose member areas have no figures is left empty (``..``), as
        :func:`samhandling.aggregate.roll_up` does by default; :meth:`coverage` says how many members it
        had.  An area split between several parents with no district figures to place it is left out of
        that level, and the report says so instead of guessing shares.
        """
        from samhandling.aggregate import roll_up
        from samhandling.geography import SplitAreaError

        target = Level(level)
        try:
            return roll_up(table, target, geography=self.geography, kind=kind)
        except SplitAreaError:
            rolled = roll_up(table, target, geography=self.geography, unassigned="exclude", kind=kind)
        excluded = [str(code) for code in rolled.meta.extra.get("roll_up_excluded", [])]
        self.excluded.setdefault(target.value, set()).update(excluded)
        return rolled

    def coverage(self, table: StatTable, level: Level | str) -> Coverage:
        """For every total of a rolled-up table: how many of its member areas had figures, of how many."""
        from samhandling.aggregate import coverage_table

        recorded = table.meta.extra.get("coverage", {})
        key = str(Level(level))
        if key not in recorded:
            return {}
        rows = coverage_table(table, key)
        return {
            (str(r), int(y), str(v)): (int(w), int(m))
            for r, y, v, w, m in zip(
                *(
                    rows.column(c).to_pylist()
                    for c in ("region", "year", "variable", "members_with_data", "members")
                ),
                strict=True,
            )
        }

    def exclusion_notes(self) -> list[str]:
        """One sentence per level where areas had to be left out of a roll-up."""
        notes = []
        for level, codes in self.excluded.items():
            if not codes:
                continue
            names = ", ".join(self.name("municipality", c) for c in sorted(codes))
            notes.append(msg("note.excluded", level=label("level_lower", level), names=names))
        return notes

    def per_10000(self, table: StatTable, level: Level | str, ages: str, *, kind: str = "vop") -> StatTable:
        """Rates per 10,000 inhabitants of ``ages`` at ``level``.

        Areas and years the population has no figures for get no rate (shown as ``..``) and one quality
        finding each, instead of stopping the report.
        """
        from samhandling.aggregate import per_10000

        population = self.population(level, kind)
        table = self._with_population(table, population)
        return per_10000(table, population, ages=ages)

    def _with_population(self, table: StatTable, population: StatTable) -> StatTable:
        keys = (
            pa.table(
                {
                    "region": population.arrow.column("region").cast(pa.string()),
                    "year": population.arrow.column("year"),
                }
            )
            .group_by(["region", "year"], use_threads=False)
            .aggregate([])
        )
        rows = table.arrow
        wanted = pa.table({"region": rows.column("region").cast(pa.string()), "year": rows.column("year")})
        found = pc.is_in(
            pc.binary_join_element_wise(
                wanted.column("region"), pc.cast(wanted.column("year"), pa.string()), "|"
            ),
            value_set=pc.binary_join_element_wise(
                keys.column("region"), pc.cast(keys.column("year"), pa.string()), "|"
            ),
        )
        if pc.all(found).as_py() is not False:
            return table
        missing = (
            wanted.filter(pc.invert(found)).group_by(["region", "year"], use_threads=False).aggregate([])
        )
        from samhandling.checks import Finding

        for region, year in zip(
            missing.column("region").to_pylist(), missing.column("year").to_pylist(), strict=True
        ):
            key = (str(region), int(year))
            if key in self._without_population:
                continue
            self._without_population.add(key)
            self.findings.append(
                (
                    "population",
                    Finding(
                        rule="population-missing",
                        severity="warning",
                        message=f"no population for {region} in {year}; its rates are left out",
                        region=str(region),
                        year=int(year),
                    ),
                )
            )
        return StatTable(rows.filter(found), table.meta)

    def years(self, table: StatTable) -> list[int]:
        """Years of ``table`` that the population covers too, up to the report year."""
        population = self.inputs.population
        assert population is not None
        have = set(population.years())
        return [y for y in table.years() if y in have and y <= self.year]

    def note_notes(self) -> list[Note]:
        """The exclusion notes as warning boxes."""
        return [Note(text=text, kind="warning") for text in self.exclusion_notes()]


def labelled(table: StatTable) -> StatTable:
    """``table`` with the column :data:`SYNTHETIC_COLUMN` on every row when its data is synthetic (for
    formats without metadata a reader sees, such as CSV); other tables unchanged."""
    if not table.synthetic or SYNTHETIC_COLUMN in table.arrow.column_names:
        return table
    return table.with_arrow(_with_label(table.arrow))


def _synthetic_provenance() -> Provenance:
    return Provenance(
        source=SOURCE,
        location=msg("demo.provenance_location"),
        retrieved="",
        note=msg("demo.file_note"),
        synthetic=True,
    )


def _with_label(table: pa.Table) -> pa.Table:
    value = msg("demo.column_value")
    column = pa.DictionaryArray.from_arrays(
        pa.array([0] * table.num_rows, pa.int8()), pa.array([value], pa.string())
    )
    if "variable" in table.column_names and "region" in table.column_names:  # a statistics table: a dimension
        return table.add_column(table.column_names.index("variable"), SYNTHETIC_COLUMN, column)
    return table.append_column(SYNTHETIC_COLUMN, column)


def _json(value: Mapping[str, Any]) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
