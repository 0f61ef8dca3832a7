"""The curated catalogue: SSB statistics variables this field uses, mapped to indicator ids.

A statbank table names what it measures by a *contents* code (``ContentsCode``, e.g. ``Personer1``)
and a label (``Personer``, ``Avtalte årsverk``).  :data:`CATALOGUE` maps the ones the field works with
to the library's indicator ids with a unit and additivity, so a KOSTRA table and an IS-24/8 table
speak of the same thing.  Labels are matched without regard to case, spacing or a trailing unit in
brackets (``"Avtalte årsverk (årsverk)"``), so the same entry matches a CSV download and an API
response.

Anything else still loads: :func:`variable_for` derives an id from the contents code or label, and the
unit and additivity from SSB's metadata and the labels (:mod:`samhandling.inference`).  The SSB table
numbers are documented in the
plugin README.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping

import attrs

from samhandling.catalogue import CORE_VARIABLES
from samhandling.inference import infer_variable, unit_from_text
from samhandling.tables import Variable
from samhandling_kostra.dimensions import slug

__all__ = [
    "CATALOGUE",
    "CatalogueEntry",
    "lookup",
    "normalise_label",
    "registered_variables",
    "unit_from_ssb",
    "variable_for",
]


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


_POPULATION = next(v for v in CORE_VARIABLES if v.id == "population")


@typing.final
@attrs.frozen(kw_only=True)
class CatalogueEntry:
    """One curated variable: its indicator, the SSB tables it comes from and how SSB labels it.

    ``fixed`` adds dimension values to the rows of this variable (``{"age": "18-66"}`` for SSB's
    "Befolkning 18-66 år"), so that it lines up with the same indicator from other tables.
    """

    variable: Variable
    tables: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    codes: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    labels: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    fixed: dict[str, str] = attrs.field(factory=dict)
    registered_here: bool = True


def _fte(id: str, label: str, description: str) -> Variable:
    return Variable(id=id, unit="årsverk", additive=True, label=label, description=description)


#: The curated variables, by indicator id (population is the core library's own variable).
CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        variable=_POPULATION,
        tables=("07459", "05810", "12228"),
        codes=("Personer1", "Personer"),
        labels=("Personer", "Folkemengde", "Befolkning", "Befolkning i alt", "Persons"),
        fixed={},
        registered_here=False,
    ),
    CatalogueEntry(
        variable=_POPULATION,
        tables=("12228",),
        labels=("Befolkning 18-66 år",),
        fixed={"age": "18-66"},
        registered_here=False,
    ),
    CatalogueEntry(
        variable=_fte(
            "care_fte",
            "Avtalte årsverk i omsorgstjenestene",
            "Agreed full-time equivalents in the municipal care services by education (SSB table 11924).",
        ),
        tables=("11924",),
        labels=("Avtalte årsverk",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="care_fte_per_10000",
            unit="årsverk / ten_thousand_inhabitants",
            additive=False,
            numerator="care_fte",
            denominator="population",
            scale=10000.0,
            label="Avtalte årsverk i omsorgstjenestene per 10 000 innbyggere",
            description="Agreed FTEs in the care services per 10,000 inhabitants (SSB table 11924).",
        ),
        tables=("11924",),
        labels=("Avtalte årsverk per 10 000 innbyggere",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="health_care_fte_per_10000",
            unit="årsverk / ten_thousand_inhabitants",
            additive=False,
            label="Årsverk i helse og omsorg per 10 000 innbyggere",
            description=(
                "Agreed FTEs in the municipal health and care services per 10,000 inhabitants (KOSTRA key "
                "figure KOSaarsverkhelso0000; FTE counts in SSB table 11994)."
            ),
        ),
        codes=("KOSaarsverkhelso0000",),
        labels=(
            "Årsverk helse og omsorg per 10 000 innbygger",
            "Årsverk helse og omsorg per 10 000 innbyggere",
        ),
    ),
    CatalogueEntry(
        variable=_fte(
            "psychiatric_nurse_fte",
            "Avtalte årsverk av psykiatriske sykepleiere",
            "FTEs of nurses specialised in psychiatry in the municipality (SSB table 12228).",
        ),
        tables=("12228",),
        labels=("Avtalte årsverk av psykiatriske sykepleiere",),
    ),
    CatalogueEntry(
        variable=_fte(
            "fte_further_education_mental_health",
            "Årsverk med videreutdanning i psykisk helsearbeid",
            "FTEs of health and social personnel with further education in mental-health work "
            "(SSB table 12228).",
        ),
        tables=("12228",),
        labels=("Årsverk av personer med videreutdanning i psykisk helsearbeid (helse og sosial)",),
    ),
    CatalogueEntry(
        variable=_fte(
            "fte_further_education_substance_use",
            "Årsverk med videreutdanning i rusarbeid",
            "FTEs of health and social personnel with further education in substance-use work "
            "(SSB table 12228).",
        ),
        tables=("12228",),
        labels=("Årsverk av personer med videreutdanning i rusarbeid (helse og sosial)",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="waiting_list_substance_use",
            unit="person",
            additive=True,
            label="Rusmiddelmisbrukere på venteliste",
            description="People with substance-use problems waiting for a municipal service (table 12228).",
            counts_people=True,
        ),
        tables=("12228",),
        labels=("Rusmiddelmisbrukere på venteliste",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="waiting_list_mental_illness",
            unit="person",
            additive=True,
            label="Psykiske lidelser, på venteliste",
            description="People with mental illness waiting for a municipal service (SSB table 12228).",
            counts_people=True,
        ),
        tables=("12228",),
        labels=("Psykiske lidelser, på venteliste",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="net_expenditure_substance_use",
            unit="thousand_NOK",
            additive=True,
            label="Netto driftsutgifter til tilbud til personer med rusproblemer",
            description="Net operating expenditure on services for people with substance-use problems.",
        ),
        tables=("12228",),
        labels=("Netto driftsutg. til tilbud til personer med rusproblemer",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="gross_expenditure_substance_use",
            unit="thousand_NOK",
            additive=True,
            label="Brutto driftsutgifter til tilbud til personer med rusproblemer",
            description="Gross operating expenditure on services for people with substance-use problems.",
        ),
        tables=("12228",),
        labels=("Brutto driftsutgifter til tilbud til personer med rusproblemer",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="care_service_users",
            unit="bruker",
            additive=True,
            label="Brukere av omsorgstjenester",
            description=(
                "Users of municipal care services on 31 December, by age and service group; a user with "
                "several services is counted once per group (SSB table 12003)."
            ),
            counts_people=True,
        ),
        tables=("12003",),
        labels=("Brukere", "Omsorgstjenester - brukere", "Antall brukere"),
    ),
    CatalogueEntry(
        variable=Variable(
            id="institution_places",
            unit="plass",
            additive=True,
            label="Institusjon - alle disponible plasser",
            description="All available places in municipal health and care institutions, 31 December.",
        ),
        tables=("11875",),
        labels=("Institusjon - alle disponible plasser",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="nursing_home_places",
            unit="plass",
            additive=True,
            label="Sykehjem - disponible plasser",
            description="Available nursing-home places, 31 December (SSB table 11875).",
        ),
        tables=("11875",),
        labels=("Sykehjem - disponible plasser",),
    ),
    CatalogueEntry(
        variable=Variable(
            id="ohd_beds",
            unit="plass",
            additive=True,
            label="Plasser til øyeblikkelig hjelp døgnopphold (ØHD/KAD)",
            description=(
                "Places for municipal emergency 24-hour care (øyeblikkelig hjelp døgnopphold, KAD), "
                "helse- og omsorgstjenesteloven § 3-5 third paragraph; matched by label in any SSB table."
            ),
        ),
        labels=(
            "Plasser til øyeblikkelig hjelp døgnopphold",
            "Plasser avsatt til øyeblikkelig hjelp døgnopphold",
            "Institusjon - plasser avsatt til øyeblikkelig hjelp døgnopphold",
            "Kommunale akutte døgnplasser",
            "KAD-plasser",
        ),
    ),
)

_UNIT_IN_BRACKETS = re.compile(r"\s*\((?:[^()]*)\)\s*$")


def normalise_label(label: str) -> str:
    """A label for matching: case-folded, single spaces, without a trailing unit in brackets."""
    text = " ".join(label.split()).casefold()
    stripped = _UNIT_IN_BRACKETS.sub("", text)
    return stripped or text


def _index() -> tuple[dict[tuple[str, str], CatalogueEntry], dict[str, CatalogueEntry]]:
    by_code: dict[tuple[str, str], CatalogueEntry] = {}
    by_label: dict[str, CatalogueEntry] = {}
    for entry in CATALOGUE:
        for code in entry.codes:
            for table in entry.tables or ("",):
                by_code[(table, code.casefold())] = entry
            by_code[("", code.casefold())] = entry
        for label in entry.labels:
            by_label[normalise_label(label)] = entry
            # Labels with a unit in brackets that is part of the name ("(helse og sosial)").
            by_label[" ".join(label.split()).casefold()] = entry
    return by_code, by_label


_BY_CODE, _BY_LABEL = _index()


def lookup(
    *, table: str | None = None, code: str | None = None, label: str | None = None
) -> CatalogueEntry | None:
    """The curated entry for a contents code (in a table) or a contents label, or ``None``."""
    if code:
        found = _BY_CODE.get((table or "", code.casefold())) or _BY_CODE.get(("", code.casefold()))
        if found is not None:
            return found
    if label:
        text = " ".join(label.split()).casefold()
        return _BY_LABEL.get(text) or _BY_LABEL.get(normalise_label(label))
    return None


def unit_from_ssb(text: str | None) -> str | None:
    """SSB's unit text as a pint unit string, or ``None`` when SSB's unit has no equivalent here.

    The mapping is the core library's (:data:`samhandling.inference.UNIT_TEXTS`).
    """
    return unit_from_text(text)


def variable_for(
    *,
    table: str | None,
    code: str | None,
    label: str,
    unit: str | None = None,
    measuring_type: str | None = None,
    title: str = "",
) -> tuple[Variable, dict[str, str], str | None]:
    """The variable one contents category stands for, and the dimension values it fixes.

    Curated contents get their catalogue entry.  Others get an id from the code (``KOSaarsverk0000``
    → ``kosaarsverk0000``) or the label, and the unit and additivity that SSB's unit text, the label
    and the table title say (:func:`samhandling.inference.infer_variable`: rates, shares, averages,
    coverages and indices are not additive).

    :returns: ``(variable, fixed_dimensions, unmapped_unit)`` — the last is SSB's unit text when it
        has no pint equivalent (the variable then has unit ``dimensionless``).
    """
    entry = lookup(table=table, code=code, label=label)
    if entry is not None:
        return entry.variable, dict(entry.fixed), None
    identifier = slug(code) if code else slug(normalise_label(label))
    inferred = infer_variable(identifier, label=label, unit=unit, title=title, measuring_type=measuring_type)
    description = (f"SSB table {table}" if table else "SSB statistics") + (
        f"; SSB's unit: {inferred.unit_text}" if inferred.unit_text else ""
    )
    variable = attrs.evolve(inferred.variable, description=description)
    return variable, {}, inferred.unmapped_unit


def registered_variables() -> tuple[Variable, ...]:
    """The catalogue's variables that this plugin registers (population belongs to the core)."""
    seen: dict[str, Variable] = {}
    for entry in CATALOGUE:
        if entry.registered_here:
            seen.setdefault(entry.variable.id, entry.variable)
    return tuple(seen.values())


def describe() -> list[Mapping[str, object]]:
    """The catalogue as rows (id, unit, additive, tables, labels) for documentation and the CLI."""
    return [
        {
            "id": e.variable.id,
            "unit": e.variable.unit,
            "additive": e.variable.additive,
            "tables": ", ".join(e.tables),
            "labels": "; ".join(e.labels),
        }
        for e in CATALOGUE
    ]
