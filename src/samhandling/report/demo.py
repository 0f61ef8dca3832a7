"""Deterministic synthetic demo data on the real municipality map, for ``samhandling report --demo``.

Why it exists: the yearly report needs four inputs that are not all public (the IS-24/8 survey per
municipality, agreement registers), so a fresh install could otherwise show nothing.  This module draws
numbers of realistic size for every municipality, county, health trust and DPS of the report year's
map (:meth:`samhandling.geography.Geography.for_year`), from a fixed seed, so the same call gives the same
tables on every machine.

**Everything here is made up.**  Every table carries ``synthetic: true`` and the seed in its metadata
and a provenance note saying so; the report prints a banner on every page.  How it is drawn (see
``docs/concepts/demo-data.md``):

population
    Log-normal municipality sizes scaled to about 5.5 million inhabitants; the twelve largest
    municipalities are set near their real order of magnitude (rounded to thousands) so the charts have
    the shape the field knows.  Age bands ``0-17``, ``18-66`` and ``67+``; small municipalities are older.
survey (``fte``)
    About 17 FTEs per 10,000 adults and 13 per 10,000 children and young people nationally, higher in
    small municipalities, growing about 1.5 % a year; split by profession around typical shares.  One
    municipality has a deliberate data-entry error (its FTEs doubled in one year) for the quality checks
    to find.  Also ``fte_relevant_further_education`` and the yes/no answers.
admissions (NIMES)
    Poisson counts around typical rates per 10,000 inhabitants for DPS, TSB, BUP, acute and other units.
register
    A cooperation agreement per municipality with its health trust and sub-agreements; about one in six
    municipalities lacks one or more of the § 6-2 subjects (nos. 1–11, and nos. 12–13 added by a revision
    in 2023).  ØHD units shared by neighbouring
    municipalities (inter-municipal agreements), about 0.3 places per 10,000 inhabitants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from samhandling.model import (
    Agreement,
    AgreementKind,
    Party,
    PartyKind,
    Service,
    ServiceLevel,
    StatutorySubject,
)
from samhandling.report.agreements import AgreementRegister
from samhandling.report.inputs import ReportInputs
from samhandling.tables import Provenance, StatTable, TableMeta, Variable

if TYPE_CHECKING:
    from samhandling.geography import Geography

__all__ = [
    "DEFAULT_YEAR",
    "DEMO_SEED",
    "DEMO_SOURCE",
    "PROFESSIONS",
    "UNIT_TYPES",
    "demo_admissions",
    "demo_inputs",
    "demo_population",
    "demo_register",
    "demo_survey",
]

#: The seed every demo table is drawn from; changing it changes every number.
DEMO_SEED = 20_240_601
#: The ``source`` name of every demo table.
DEMO_SOURCE = "samhandling-demo"
#: The report year ``--demo`` uses unless told otherwise.
DEFAULT_YEAR = 2024
_NOTE = "SYNTETISKE DEMODATA – tilfeldig trukket med fast frø, beskriver ingen virkelig kommune"

#: Profession codes of the survey with the typical share of adult-services FTEs and of children's.
PROFESSIONS: dict[str, tuple[float, float]] = {
    "nurse_specialised": (0.20, 0.12),
    "nurse_other": (0.08, 0.10),
    "social_worker": (0.12, 0.08),
    "child_welfare_officer": (0.03, 0.12),
    "social_educator": (0.10, 0.04),
    "occupational_therapist": (0.03, 0.01),
    "psychologist": (0.04, 0.12),
    "physician": (0.005, 0.005),
    "experience_consultant": (0.02, 0.005),
    "other_higher_education": (0.18, 0.29),
    "no_higher_education": (0.195, 0.11),
}
#: Admission rates per 10,000 inhabitants by unit type, nationally.
UNIT_TYPES: dict[str, float] = {"DPS": 45.0, "acute": 30.0, "TSB": 24.0, "BUP": 6.5, "other": 4.0}

_NATIONAL_POPULATION = 5_550_000
#: Rough 2024 sizes of the largest municipalities (thousands), by the first part of their name.
_LARGEST = {
    "Oslo": 717,
    "Bergen": 291,
    "Trondheim": 217,
    "Stavanger": 149,
    "Bærum": 131,
    "Kristiansand": 117,
    "Drammen": 104,
    "Asker": 98,
    "Lillestrøm": 93,
    "Fredrikstad": 85,
    "Sandnes": 83,
    "Tromsø": 78,
}
_AGES = ("0-17", "18-66", "67+")
_YES_NO = (
    "ohd_offer_mental_health_substance_use",
    "agreement_voluntary_organisations",
    "low_threshold_offer",
    "uses_individual_plan",
    "uses_coordinator",
)


def _rng(*keys: int) -> np.random.Generator:
    return np.random.default_rng([DEMO_SEED, *keys])


def _provenance(what: str) -> Provenance:
    return Provenance(
        source=DEMO_SOURCE, location=f"samhandling.report.demo:{what}", retrieved="", note=_NOTE
    )


def _extra(year: int) -> dict[str, Any]:
    return {"synthetic": True, "demo_seed": DEMO_SEED, "demo_note": _NOTE, "report_year": year}


def _stat(
    table: pa.Table, geography: Geography, *, title: str, variables: Sequence[Variable], what: str, year: int
) -> StatTable:
    meta = TableMeta(
        source=DEMO_SOURCE,
        geography_year=geography.year,
        variables=variables,
        provenance=(_provenance(what),),
        title=title,
        extra=_extra(year),
    )
    return StatTable.from_arrow(table, meta=meta)


def _codes(geography: Geography) -> list[str]:
    return sorted(m.code for m in geography.municipalities)


def _years(year: int, span: int) -> list[int]:
    return list(range(year - span + 1, year + 1))


def demo_population(geography: Geography, years: Sequence[int]) -> StatTable:
    """Synthetic inhabitants per municipality, year and age band (``0-17``, ``18-66``, ``67+``).

    :param geography: the map the codes come from (its year is the table's geography year).
    :param years: the years to draw; sizes change a little from year to year.
    """
    codes = _codes(geography)
    names = {m.code: m.name.split(" - ")[0] for m in geography.municipalities}
    rng = _rng(1, geography.year)
    size = np.exp(rng.normal(np.log(5200.0), 1.15, len(codes))).clip(200, 60_000)
    anchored = np.array([names[c] in _LARGEST for c in codes])
    anchors = np.array([_LARGEST.get(names[c], 0) * 1000.0 for c in codes])
    rest = _NATIONAL_POPULATION - anchors.sum()
    size = np.where(anchored, anchors, size * rest / size[~anchored].sum())
    small = np.clip(np.log10(size) - 3.0, 0.0, 3.0) / 3.0  # 0 for 1,000 inhabitants, 1 for a million
    share_young = (0.19 + 0.04 * small + rng.normal(0, 0.012, len(codes))).clip(0.14, 0.27)
    share_old = (0.25 - 0.10 * small + rng.normal(0, 0.02, len(codes))).clip(0.10, 0.33)
    growth = 0.011 * small - 0.004 + rng.normal(0, 0.004, len(codes))
    final_year = max(years)
    columns: dict[str, list[Any]] = {"region": [], "year": [], "age": [], "value": []}
    for year in years:
        factor = (1.0 + growth) ** (year - final_year)
        total = size * factor
        bands = {
            "0-17": np.round(total * share_young),
            "67+": np.round(total * share_old),
        }
        bands["18-66"] = np.round(total) - bands["0-17"] - bands["67+"]
        for age in _AGES:
            columns["region"].extend(codes)
            columns["year"].extend([year] * len(codes))
            columns["age"].extend([age] * len(codes))
            columns["value"].extend(bands[age].tolist())
    count = len(columns["region"])
    table = pa.table(
        {
            "region": columns["region"],
            "level": ["municipality"] * count,
            "year": pa.array(columns["year"], pa.int16()),
            "age": columns["age"],
            "variable": ["population"] * count,
            "value": columns["value"],
        }
    )
    table = _split_cities(table, _district_shares(geography, 0), decimals=0, variables=["population"])
    return _stat(
        table,
        geography,
        title="Syntetisk folkemengde 1. januar (demodata)",
        variables=[
            Variable(
                id="population",
                unit="innbygger",
                additive=True,
                label="Folkemengde 1. januar (syntetisk)",
                description="Synthetic inhabitants on 1 January by age band; not SSB's figures.",
            )
        ],
        what="population",
        year=final_year,
    )


def _district_shares(geography: Geography, table: int) -> pa.Table:
    """Each city district's share of its municipality (Oslo, Bergen, Trondheim, Stavanger).

    The shares are drawn once per map and varied a little per ``table`` (0 population, 1 survey,
    2 admissions), so districts differ in their rates as they do in reality.
    """
    by_city: dict[str, list[str]] = {}
    for district in geography.districts:
        if not district.code.endswith("99"):  # "uoppgitt" (not stated) holds no one in the demo
            by_city.setdefault(district.municipality, []).append(district.code)
    rng = _rng(5, geography.year)
    varied = _rng(6, geography.year, table)
    region: list[str] = []
    district_codes: list[str] = []
    share: list[float] = []
    for city in sorted(by_city):
        codes = sorted(by_city[city])
        weights = rng.dirichlet(np.full(len(codes), 12.0))
        if table:
            weights = weights * np.exp(varied.normal(0.0, 0.15, len(codes)))
            weights = weights / weights.sum()
        region.extend([city] * len(codes))
        district_codes.extend(codes)
        share.extend(float(w) for w in weights)
    return pa.table(
        {
            "region": pa.array(region, pa.string()),
            "district": pa.array(district_codes, pa.string()),
            "share": pa.array(share, pa.float64()),
        }
    )


def _split_cities(table: pa.Table, shares: pa.Table, *, decimals: int, variables: Sequence[str]) -> pa.Table:
    """Add district rows for the cities and make each city's row the sum of its districts' rows.

    Cities publish figures per district (bydel), and Oslo is served by four health trusts and five DPSs
    by district, so the demo data has both levels, consistent with each other.
    """
    import pyarrow.compute as pc

    if not shares.num_rows:  # a map without city districts (before 2020 the embedded data has none)
        return table
    splittable = pc.and_(
        pc.is_in(table.column("region"), shares.column("region")),
        pc.is_in(table.column("variable"), pa.array(list(variables), pa.string())),
    )
    cities = table.filter(splittable)
    others = table.filter(pc.invert(splittable))
    joined = cities.join(shares, "region", use_threads=False)
    values = pc.round(pc.multiply(joined.column("value"), joined.column("share")), decimals)
    districts = (
        joined.set_column(joined.column_names.index("value"), "value", values)
        .set_column(joined.column_names.index("region"), "region", joined.column("district"))
        .set_column(
            joined.column_names.index("level"), "level", pa.array(["district"] * joined.num_rows, pa.string())
        )
        .drop_columns(["district", "share"])
        .select(table.column_names)
    )
    keys = [c for c in table.column_names if c not in ("region", "level", "value")]
    city_of = pc.utf8_slice_codeunits(districts.column("region"), 0, 4)
    summed = (
        districts.set_column(0, "region", city_of)
        .group_by(["region", *keys], use_threads=False)
        .aggregate([("value", "sum")])
        .rename_columns(["region", *keys, "value"])
    )
    summed = summed.append_column("level", pa.array(["municipality"] * summed.num_rows, pa.string())).select(
        table.column_names
    )
    summed = summed.set_column(
        summed.column_names.index("value"), "value", pc.round(summed.column("value"), decimals)
    )
    return pa.concat_tables([others, summed, districts]).sort_by(
        [("region", "ascending"), ("year", "ascending")]
    )


def _totals_from_parts(table: pa.Table) -> pa.Table:
    """Make every ``profession = total`` FTE row the sum of its profession rows (after rounding)."""
    import pyarrow.compute as pc

    is_fte = pc.equal(table.column("variable"), "fte")
    is_total = pc.equal(table.column("profession"), "total")
    parts = table.filter(pc.and_(is_fte, pc.invert(is_total)))
    keys = ["region", "level", "year", "target_group"]
    sums = parts.group_by(keys, use_threads=False).aggregate([("value", "sum")])
    totals = pa.table(
        {
            **{k: sums.column(k) for k in keys},
            "profession": pa.array(["total"] * sums.num_rows),
            "variable": pa.array(["fte"] * sums.num_rows),
            "value": pc.round(sums.column("value_sum"), 1),
        }
    ).select(table.column_names)
    rest = table.filter(pc.invert(pc.and_(is_fte, is_total)))
    return pa.concat_tables([rest, totals]).sort_by([("region", "ascending"), ("year", "ascending")])


def _population_by(population: StatTable, ages: Sequence[str]) -> dict[tuple[str, int], float]:
    rows = population.where(age=list(ages), level="municipality").arrow
    grouped = (
        pa.table(
            {
                "region": rows.column("region"),
                "year": rows.column("year"),
                "value": rows.column("value"),
            }
        )
        .group_by(["region", "year"])
        .aggregate([("value", "sum")])
    )
    return {
        (r, int(y)): float(v)
        for r, y, v in zip(
            grouped.column("region").to_pylist(),
            grouped.column("year").to_pylist(),
            grouped.column("value_sum").to_pylist(),
            strict=True,
        )
    }


_SURVEY_VARIABLES = (
    Variable(
        id="fte",
        unit="årsverk",
        additive=True,
        label="Årsverk i kommunalt psykisk helse- og rusarbeid (syntetisk)",
        description="Synthetic FTEs by profession and target group, as in the IS-24/8 survey.",
    ),
    Variable(
        id="fte_relevant_further_education",
        unit="årsverk",
        additive=True,
        label="Årsverk med relevant videreutdanning (syntetisk)",
        description="Synthetic FTEs held by staff with further education in mental health or substance use.",
    ),
    Variable(
        id="fte_share_relevant_further_education",
        unit="percent",
        additive=False,
        label="Andel årsverk med relevant videreutdanning (syntetisk)",
        numerator="fte_relevant_further_education",
        denominator="fte",
        scale=100.0,
    ),
    *(
        Variable(id=name, unit="dimensionless", additive=True, label=f"{name} (ja = 1, syntetisk)")
        for name in _YES_NO
    ),
)


def demo_survey(
    geography: Geography,
    population: StatTable,
    years: Sequence[int],
    *,
    register: AgreementRegister | None = None,
) -> StatTable:
    """Synthetic survey answers: FTEs by profession and target group, further education, yes/no answers.

    ``fte`` has one row per profession (and a ``total`` row) for ``adults`` and ``children_young``;
    the yes/no answers (1/0) are for every year and, given the ``register``, agree with it on which
    municipalities have an ØHD offer.
    """
    codes = _codes(geography)
    adults = _population_by(population, ("18-66", "67+"))
    young = _population_by(population, ("0-17",))
    rng = _rng(2, geography.year)
    n = len(codes)
    final_year = max(years)
    size = np.array([adults[(c, final_year)] + young[(c, final_year)] for c in codes])
    small_bonus = (size / 20_000.0) ** -0.08
    # Year-to-year noise: a few per cent in a small municipality, under one per cent in the largest.
    noise_scale = 0.05 - 0.04 * (np.clip(np.log10(size), 3.0, 6.0) - 3.0) / 3.0
    level_adults = 17.0 * small_bonus * np.exp(rng.normal(0.0, 0.22, n)) / 1.02
    level_young = 13.0 * small_bonus * np.exp(rng.normal(0.0, 0.30, n)) / 1.02
    shares = {
        group: rng.dirichlet(np.array([PROFESSIONS[p][i] for p in PROFESSIONS]) * 90.0, n)
        for i, group in enumerate(("adults", "children_young"))
    }
    further_share = (0.33 + rng.normal(0, 0.07, n)).clip(0.05, 0.7)
    # A deliberate error for the quality checks: one municipality's FTEs doubled in one year.
    error_index = int(rng.integers(0, n))
    error_year = years[-2] if len(years) > 1 else years[-1]
    region: list[str] = []
    year_column: list[int] = []
    target: list[str] = []
    profession: list[str] = []
    variable: list[str] = []
    value: list[float] = []

    def add(code: str, year: int, group: str, prof: str, var: str, number: float) -> None:
        region.append(code)
        year_column.append(year)
        target.append(group)
        profession.append(prof)
        variable.append(var)
        value.append(number)

    for year in years:
        trend = 1.015 ** (year - final_year)
        noise = np.exp(rng.normal(0.0, 1.0, (2, n)) * noise_scale)
        for i, code in enumerate(codes):
            for g, (group, base, pop) in enumerate(
                (("adults", level_adults, adults), ("children_young", level_young, young))
            ):
                total = base[i] * trend * noise[g, i] * pop[(code, year)] / 10_000.0
                if i == error_index and year == error_year:
                    total *= 2.0
                parts = np.round(total * shares[group][i], 1)
                for prof, part in zip(PROFESSIONS, parts, strict=True):
                    add(code, year, group, prof, "fte", float(part))
                total_rounded = float(np.round(parts.sum(), 1))
                add(code, year, group, "total", "fte", total_rounded)
                add(
                    code,
                    year,
                    group,
                    "total",
                    "fte_relevant_further_education",
                    float(np.round(total_rounded * further_share[i], 1)),
                )
    with_ohd = _ohd_members(register) if register is not None else set()
    answers = rng.random((len(_YES_NO), n))
    flips = rng.random((len(years), len(_YES_NO), n)) < 0.04
    likelihood = {
        "agreement_voluntary_organisations": 0.55,
        "low_threshold_offer": 0.8,
        "uses_individual_plan": 0.93,
        "uses_coordinator": 0.97,
    }
    for t, year in enumerate(years):
        for k, name in enumerate(_YES_NO):
            for i, code in enumerate(codes):
                if name == "ohd_offer_mental_health_substance_use" and register is not None:
                    yes = code in with_ohd
                else:
                    # Mostly the same answer every year; a few municipalities change their answer.
                    yes = bool(answers[k, i] < likelihood.get(name, 0.85)) != bool(
                        flips[t, k, i] and year != final_year
                    )
                add(code, year, "total", "total", name, 1.0 if yes else 0.0)
    count = len(region)
    table = pa.table(
        {
            "region": region,
            "level": ["municipality"] * count,
            "year": pa.array(year_column, pa.int16()),
            "target_group": target,
            "profession": profession,
            "variable": variable,
            "value": value,
        }
    )
    table = _split_cities(
        table, _district_shares(geography, 1), decimals=1, variables=["fte", "fte_relevant_further_education"]
    )
    table = _totals_from_parts(table)
    return _stat(
        table,
        geography,
        title="Syntetisk kartlegging av kommunalt psykisk helse- og rusarbeid (demodata)",
        variables=_SURVEY_VARIABLES,
        what="survey",
        year=final_year,
    )


def demo_admissions(geography: Geography, population: StatTable, years: Sequence[int]) -> StatTable:
    """Synthetic admissions to specialist care per home municipality, year and unit type (NIMES-like)."""
    codes = _codes(geography)
    everyone = _population_by(population, _AGES)
    rng = _rng(3, geography.year)
    n = len(codes)
    local = {unit: np.exp(rng.normal(0.0, 0.25, n)) for unit in UNIT_TYPES}
    region: list[str] = []
    year_column: list[int] = []
    unit_type: list[str] = []
    value: list[float] = []
    for year in years:
        for unit, rate in UNIT_TYPES.items():
            expected = np.array([everyone[(c, year)] for c in codes]) * rate * local[unit] / 10_000.0
            counts = rng.poisson(expected)
            region.extend(codes)
            year_column.extend([year] * n)
            unit_type.extend([unit] * n)
            value.extend(float(c) for c in counts)
    count = len(region)
    table = pa.table(
        {
            "region": region,
            "level": ["municipality"] * count,
            "year": pa.array(year_column, pa.int16()),
            "unit_type": unit_type,
            "variable": ["admissions"] * count,
            "value": value,
        }
    )
    table = _split_cities(table, _district_shares(geography, 2), decimals=0, variables=["admissions"])
    return _stat(
        table,
        geography,
        title="Syntetiske innleggelser i spesialisthelsetjenesten (demodata)",
        variables=[
            Variable(
                id="admissions",
                unit="opphold",
                additive=True,
                label="Innleggelser (syntetisk)",
                description="Synthetic admissions by the patient's home municipality and unit type.",
                counts_people=True,
            )
        ],
        what="admissions",
        year=max(years),
    )


def _main_trust(geography: Geography) -> dict[str, str]:
    """Each municipality's health trust: the one with the largest share of it (Oslo is split by district)."""
    membership = geography.membership("health_trust")
    best: dict[str, tuple[float, str]] = {}
    for region, parent, weight in zip(
        membership.column("region").to_pylist(),
        membership.column("parent").to_pylist(),
        membership.column("weight").to_pylist(),
        strict=True,
    ):
        code = str(region)[:4]
        current = best.get(code)
        share = float(weight if weight is not None else 1.0)
        if current is None or share > current[0]:
            best[code] = (share, str(parent))
    return {code: parent for code, (_share, parent) in best.items()}


def _ohd_members(register: AgreementRegister) -> set[str]:
    return {code for service in register.services if service.kind == "ohd" for code in service.municipalities}


def demo_register(geography: Geography, population: StatTable, year: int) -> AgreementRegister:
    """A synthetic agreement register: cooperation agreements with sub-agreements, ØHD units.

    Every municipality the catchment data places in a health trust gets a cooperation agreement with
    it; sub-agreements fill in the § 6-2 subjects, with some subjects missing for some municipalities.
    Neighbouring municipalities (by code, within a county) share ØHD units by inter-municipal agreement.
    """
    codes = _codes(geography)
    names = {m.code: m.name for m in geography.municipalities}
    trusts = {t.code: t.name for t in geography.health_trusts}
    main_trust = _main_trust(geography)
    everyone = _population_by(population, _AGES)
    rng = _rng(4, geography.year)
    agreements: list[Agreement] = []
    services: list[Service] = []
    main_subjects = (StatutorySubject.TASK_DIVISION, StatutorySubject.COORDINATED_SERVICES)
    groups = (
        (3, 4, 5),
        (6, 7),
        (8, 9),
        (10, 11),
    )
    for code in codes:
        trust = main_trust.get(code)
        if trust is None or trust not in trusts:
            continue
        parties = (
            Party.municipality(code, f"{names[code]} kommune"),
            Party.health_trust(trust, trusts[trust]),
        )
        main_id = f"sa-{code}"
        signed = dt.date(2012 + int(rng.integers(0, 3)), 1 + int(rng.integers(0, 12)), 1)
        revised = dt.date(2019 + int(rng.integers(0, 4)), 1 + int(rng.integers(0, 12)), 1)
        agreements.append(
            Agreement(
                id=main_id,
                kind=AgreementKind.COOPERATION_AGREEMENT,
                title=f"Samarbeidsavtale mellom {names[code]} kommune og {trusts[trust]}",
                parties=parties,
                valid_from=signed,
                subjects=main_subjects,
            )
        )
        gaps = rng.random() < 0.17
        # Nos. 12 and 13 (in force from 1 August 2022) came in with a revision before the 1 July 2023
        # deadline; a municipality with gaps has not yet added no. 13.  No random draw, so the rest of the
        # synthetic register is unchanged.
        agreements.append(
            Agreement(
                id=f"ta-{code}-{len(groups) + 1}",
                kind=AgreementKind.SUB_AGREEMENT,
                title=f"Delavtale {len(groups) + 1} ({names[code]})",
                parties=parties,
                valid_from=dt.date(2023, 6, 1),
                subjects=(12,) if gaps else (12, 13),
                parent=main_id,
            )
        )
        for number, subjects in enumerate(groups, start=1):
            covered = [s for s in subjects if not (gaps and s in (4, 8, 9, 11) and rng.random() < 0.6)]
            if not covered:
                continue
            agreements.append(
                Agreement(
                    id=f"ta-{code}-{number}",
                    kind=AgreementKind.SUB_AGREEMENT,
                    title=f"Delavtale {number} ({names[code]})",
                    parties=parties,
                    valid_from=revised,
                    subjects=covered,
                    parent=main_id,
                )
            )
    # ØHD units: runs of neighbouring codes within a county, 1–6 municipalities each.
    by_county: dict[str, list[str]] = {}
    for code in codes:
        by_county.setdefault(code[:2], []).append(code)
    unit_number = 0
    for county_codes in by_county.values():
        start = 0
        while start < len(county_codes):
            length = int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.3, 0.15, 0.2, 0.15, 0.1, 0.1]))
            members = county_codes[start : start + length]
            start += length
            if rng.random() < 0.1:
                continue  # municipalities without an ØHD offer for mental health and substance use
            unit_number += 1
            served = sum(everyone[(c, year)] for c in members)
            places = max(1, round(served / 10_000.0 * 0.3 * float(np.exp(rng.normal(0, 0.3)))))
            host = max(members, key=lambda c: everyone[(c, year)])
            shared = len(members) > 1
            service = Service(
                name=f"ØHD psykisk helse og rus, {names[host]}" + (" (interkommunal)" if shared else ""),
                kind="ohd",
                provider=f"{names[host]} kommune",
                level=ServiceLevel.INTER_MUNICIPAL if shared else ServiceLevel.MUNICIPAL,
                capacity=f"{places} plass",
                municipalities=members,
                start=dt.date(2017, 1, 1),
            )
            services.append(service)
            if shared:
                agreements.append(
                    Agreement(
                        id=f"ik-ohd-{unit_number:03d}",
                        kind=AgreementKind.INTER_MUNICIPAL,
                        title=f"Interkommunal avtale om ØHD, vertskommune {names[host]}",
                        parties=tuple(
                            Party(name=f"{names[c]} kommune", kind=PartyKind.MUNICIPALITY, code=c)
                            for c in members
                        ),
                        valid_from=dt.date(2017, 1, 1),
                        services=("ohd",),
                    )
                )
    return AgreementRegister(agreements=agreements, services=services)


def demo_inputs(
    year: int = DEFAULT_YEAR, *, span: int = 6, geography: Geography | None = None
) -> ReportInputs:
    """All inputs of a demo report for ``year``: population, survey, admissions and register.

    The same ``year`` and ``span`` give the same numbers on every machine.  All years are drawn on the
    report year's map, as if already harmonised.

    :param year: the report year (the geography must cover it: 2017–2026).
    :param span: how many years of time series, ending with ``year``.
    :param geography: the map to use (default ``Geography.for_year(year)``).
    """
    if geography is None:
        from samhandling.geography import Geography

        geography = Geography.for_year(year)
    years = _years(year, span)
    population = demo_population(geography, years)
    register = demo_register(geography, population, year)
    return ReportInputs(
        year=year,
        survey=demo_survey(geography, population, years, register=register),
        population=population,
        admissions=demo_admissions(geography, population, years),
        register=register,
        synthetic=True,
    )
