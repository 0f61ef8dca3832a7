"""Demo inputs for ``samhandling report --demo``: the real population, synthetic service figures at the
published national magnitudes, on the real map.

Why it exists: the yearly report needs inputs that are not all public (the IS-24/8 survey per
municipality, agreement and team registers, admissions per home municipality), so a fresh install could
otherwise show nothing.  The demo gives every section something to show, with numbers of the right size:

population — **real**
    SSB table 07459 (municipalities, 1 January 2017–2021) and 10826 (city districts, 2021) as the library
    ships them (:func:`samhandling.geography.population.population`), harmonised to the report year's map.
    What the shipped files cannot give is said in the table's provenance: the two municipalities divided
    in the 2020 reform (Snillfjord, Tysfjord; about 2 900 inhabitants) are shared evenly between the
    municipalities that took them over, because SSB publishes no population for the parts; city districts
    in 2017–2020 are the city's population shared by its districts' shares in 2021; a year after 2021 uses
    the 2021 population.
survey, admissions, users, agreements, teams — **synthetic**
    drawn with a fixed seed (:data:`DEMO_SEED`) per municipality (per city district in the four cities),
    around the published national figures in :data:`PUBLISHED_FTE` (IS-24/8, see
    ``docs/concepts/demo-data.md`` for every level and its source).  Every such table is labelled
    synthetic in its provenance and metadata, and the report says so on every page, inside every chart
    and in every data file.

Deterministic: the same year and span give the same tables on every machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.model import (
    Agreement,
    AgreementKind,
    Party,
    PartyKind,
    Position,
    Service,
    ServiceLevel,
    Team,
)
from samhandling.report.agreements import AgreementRegister
from samhandling.report.inputs import ReportInputs
from samhandling.report.teams import TeamPatient, TeamRegister
from samhandling.tables import Provenance, StatTable, TableMeta, Variable

if TYPE_CHECKING:
    from samhandling.geography import Geography

__all__ = [
    "DEFAULT_YEAR",
    "DEMO_SEED",
    "DEMO_SOURCE",
    "PROFESSIONS",
    "PUBLISHED_FTE",
    "SERVICES",
    "UNIT_TYPES",
    "demo_admissions",
    "demo_inputs",
    "demo_outcomes",
    "demo_population",
    "demo_register",
    "demo_survey",
    "demo_teams",
    "published_fte",
]

#: The seed every demo table is drawn from; changing it changes every synthetic number.
DEMO_SEED = 20_240_601
#: The ``source`` name of every synthetic demo table.
DEMO_SOURCE = "samhandling-demo"
#: The report year ``--demo`` uses unless told otherwise: the last year of the shipped population.
DEFAULT_YEAR = 2021
#: How many years of time series the demo draws by default (2017–2021: every year the population covers).
DEFAULT_SPAN = 5
_NOTE = (
    "SYNTETISKE DEMODATA – tilfeldig trukket med fast frø rundt publiserte nasjonale tall; "
    "beskriver ingen virkelig kommune"
)

#: National årsverk (adults, children and young people) in the IS-24/8 survey, by survey year, with the
#: sources of ``is248-published.md`` they come from: the demo's national totals are drawn to match them.
#: 2021 is inferred there from 2022 and the published change.  Years after 2023 continue 2020–2023's
#: average growth (adults +1.2 %, children and young people +3.5 % a year): no comparable figure exists.
PUBLISHED_FTE: dict[int, tuple[float, float, str]] = {
    2016: (11_063.0, 2_873.0, "HD-PK, RP-0"),
    2017: (11_534.0, 3_099.0, "HD-PK, KR17"),
    2018: (12_563.0, 3_331.0, "HD-PK, RP-0, KR18"),
    2019: (12_872.0, 3_527.0, "HD-PK, KFK19"),
    2020: (12_966.0, 3_603.0, "HD-PK, RP-0, NA20"),
    2021: (13_091.0, 3_700.0, "SP-21, NAPHA22, SP-22 (inferred)"),
    2022: (13_291.0, 3_783.0, "RP-0, SP-22, NAPHA22"),
    2023: (13_445.0, 3_991.0, "RP-0, SP, AD23"),
}
_LATER_GROWTH = (1.012, 1.035)

#: County levels relative to the country (årsverk per inhabitant), drawn around the published spread:
#: 2018 national 3.0 per 1 000, Trøndelag and Vest-Agder 3.8, Akershus 2.1 (HD-KI18); 2024 Oslo 2.1 to
#: Agder 3.9 (HD-KI24).  By the county's Norwegian name, so every map year finds its counties.
COUNTY_LEVELS: dict[str, float] = {
    "Oslo": 0.85,
    "Akershus": 0.72,
    "Viken": 0.82,
    "Østfold": 0.95,
    "Buskerud": 0.95,
    "Vestfold": 0.98,
    "Telemark": 1.02,
    "Vestfold og Telemark": 1.0,
    "Agder": 1.22,
    "Vest-Agder": 1.3,
    "Aust-Agder": 1.22,
    "Trøndelag": 1.24,
    "Sør-Trøndelag": 1.2,
    "Nord-Trøndelag": 1.26,
    "Nordland": 1.1,
    "Troms og Finnmark": 1.05,
    "Troms": 1.1,
    "Finnmark": 1.12,
    "Sogn og Fjordane": 1.1,
    "Møre og Romsdal": 1.05,
    "Rogaland": 0.95,
}

#: Profession codes of the survey with the typical share of adult-services FTEs and of children's.
#: Psychologists: about 250 of 13 445 adult and 390 of 3 991 children's årsverk in 2023 (RP-0).
PROFESSIONS: dict[str, tuple[float, float]] = {
    "nurse_specialised": (0.20, 0.12),
    "nurse_other": (0.08, 0.10),
    "social_worker": (0.12, 0.08),
    "child_welfare_officer": (0.03, 0.11),
    "social_educator": (0.10, 0.04),
    "occupational_therapist": (0.03, 0.01),
    "psychologist": (0.02, 0.10),
    "physician": (0.005, 0.005),
    "experience_consultant": (0.02, 0.005),
    "other_higher_education": (0.20, 0.32),
    "no_higher_education": (0.195, 0.11),
}
#: Service kinds (tiltak) with their share of adults' and of children's årsverk.  The health centres and
#: school health service hold about 47 % of children's årsverk (≈1 780 of 3 783 in 2022, RP-0); the other
#: shares are the demo's own assumption (the full category list is not published).
SERVICES: dict[str, tuple[float, float]] = {
    "housing_with_staff": (0.34, 0.0),
    "treatment_and_follow_up": (0.30, 0.28),
    "outreach_teams": (0.07, 0.0),
    "low_threshold": (0.10, 0.12),
    "day_and_activity": (0.10, 0.0),
    "health_centre_and_school": (0.0, 0.47),
    "other": (0.09, 0.13),
}
#: Users per 10,000 inhabitants of the target group's ages (the demo's assumption: about 2 % of adults,
#: as BrukerPlan's counts suggest (BP19), and 0.6 % of children and young people).
USERS_PER_10000: tuple[float, float] = (195.0, 60.0)
#: Admission rates per 10,000 inhabitants by unit type, nationally (the demo's assumption).
UNIT_TYPES: dict[str, float] = {"DPS": 45.0, "acute": 30.0, "TSB": 24.0, "BUP": 6.5, "other": 4.0}

_AGES = ("0-17", "18-66", "67+")
_GROUPS = ("adults", "children_young")
_YES_NO = (
    "ohd_offer_mental_health_substance_use",
    "agreement_voluntary_organisations",
    "low_threshold_offer",
    "uses_individual_plan",
    "uses_coordinator",
)
#: The municipalities divided in the 2020 reform, shared evenly (SSB publishes no population for the parts).
_EVEN_SPLITS = pa.table(
    {
        "old": ["5012", "5012", "5012", "1850", "1850"],
        "new": ["5055", "5056", "5059", "1806", "1875"],
        "weight": [1 / 3, 1 / 3, 1 / 3, 0.5, 0.5],
    }
)


def _rng(*keys: int) -> np.random.Generator:
    return np.random.default_rng([DEMO_SEED, *keys])


def _provenance(what: str) -> Provenance:
    return Provenance(
        source=DEMO_SOURCE,
        location=f"samhandling.report.demo:{what}",
        retrieved="",
        note=_NOTE,
        synthetic=True,
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


def published_fte(year: int) -> tuple[float, float]:
    """The national årsverk (adults, children and young people) the demo draws ``year`` around."""
    if year in PUBLISHED_FTE:
        adults, young, _source = PUBLISHED_FTE[year]
        return adults, young
    last = max(PUBLISHED_FTE)
    adults, young, _source = PUBLISHED_FTE[last]
    steps = year - last
    return adults * _LATER_GROWTH[0] ** steps, young * _LATER_GROWTH[1] ** steps


# -- population (real) ------------------------------------------------------------------------------


def demo_population(geography: Geography, years: Sequence[int]) -> StatTable:
    """The real population (SSB 07459/10826) by municipality, city district, year and age band
    (``0-17``, ``18-66``, ``67+``) on ``geography``'s map, for ``years``.

    Not synthetic; the provenance says what had to be estimated (see the module docstring).
    """
    from samhandling.geography import harmonise
    from samhandling.geography.population import POPULATION_YEARS, population

    last = max(POPULATION_YEARS)
    shipped_years = sorted({min(max(y, POPULATION_YEARS[0]), last) for y in years})
    table = population(years=shipped_years, ages="bands", level="all")
    if geography.year >= 2020 and shipped_years[0] < 2020:
        # Across the 2020 reform the two divided municipalities need shares; later divisions (Ålesund
        # 2024) are shared by the shipped population, as harmonise does by default.
        table = harmonise(table, min(geography.year, 2023), weights=_EVEN_SPLITS)
    if table.geography_year != geography.year:
        table = harmonise(table, geography.year)
    arrow = table.arrow
    notes = []
    later = [y for y in years if y > last]
    if later:
        base = arrow.filter(pc.equal(arrow.column("year"), last))
        copies = [
            base.set_column(
                base.column_names.index("year"), "year", pa.array([y] * base.num_rows, pa.int16())
            )
            for y in later
        ]
        arrow = pa.concat_tables([arrow, *copies])
        notes.append(f"{', '.join(map(str, later))}: the population of {last} (the latest the library ships)")
    arrow = arrow.filter(pc.is_in(arrow.column("year"), pa.array(sorted(set(years)), pa.int16())))
    arrow, estimated = _estimated_districts(arrow)
    if estimated:
        notes.append(
            f"city districts {', '.join(map(str, estimated))}: the city's population by its districts' "
            f"shares in {last}"
        )
    if any(y < 2020 for y in years) and geography.year >= 2020:
        notes.append(
            "5012 Snillfjord and 1850 Tysfjord (divided in 2020) shared evenly between their successors"
        )
    provenance = (
        *table.provenance,
        Provenance(
            source=DEMO_SOURCE,
            location="samhandling.report.demo:population",
            retrieved="",
            note="estimated for the demo: " + "; ".join(notes) if notes else "on the report year's map",
        ),
    )
    return StatTable.from_arrow(
        arrow,
        meta=attrs.evolve(
            table.meta,
            geography_year=geography.year,
            provenance=provenance,
            title="Folkemengde 1. januar (SSB 07459 og 10826)",
            extra={"demo_population_notes": notes},
        ),
    )


def _estimated_districts(arrow: pa.Table) -> tuple[pa.Table, list[int]]:
    """District rows for the years that have none: each city's rows shared by its districts' latest shares."""
    level = arrow.column("level").cast(pa.string())
    districts = arrow.filter(pc.equal(level, "district"))
    if not districts.num_rows:
        return arrow, []
    have = set(districts.column("year").to_pylist())
    latest = max(have)
    base = districts.filter(pc.equal(districts.column("year"), latest))
    base_region = base.column("region").cast(pa.string())
    city = pc.utf8_slice_codeunits(base_region, 0, 4)
    shares = pa.table(
        {
            "region": base_region,
            "city": city,
            "age": base.column("age").cast(pa.string()),
            "value": base.column("value"),
        }
    )
    totals = shares.group_by(["city", "age"], use_threads=False).aggregate([("value", "sum")])
    shares = shares.join(totals, ["city", "age"], use_threads=False)
    shares = shares.append_column(
        "share", pc.divide(shares.column("value"), shares.column("value_sum"))
    ).select(["region", "city", "age", "share"])
    cities = sorted(set(city.to_pylist()))
    missing = sorted(set(arrow.column("year").to_pylist()) - have)
    if not missing:
        return arrow, []
    municipal = arrow.filter(
        pc.and_(
            pc.equal(level, "municipality"),
            pc.is_in(arrow.column("region").cast(pa.string()), pa.array(cities)),
        )
    )
    municipal = municipal.filter(pc.is_in(municipal.column("year"), pa.array(missing, pa.int16())))
    rows = pa.table(
        {
            "city": municipal.column("region").cast(pa.string()),
            "year": municipal.column("year"),
            "age": municipal.column("age").cast(pa.string()),
            "total": municipal.column("value"),
        }
    ).join(shares, ["city", "age"], use_threads=False)
    value = pc.round(pc.multiply(rows.column("total"), rows.column("share")), 0)
    made = pa.table(
        {
            "region": rows.column("region"),
            "level": pa.array(["district"] * rows.num_rows, pa.string()),
            "year": rows.column("year"),
            "age": rows.column("age"),
            "variable": pa.array(["population"] * rows.num_rows, pa.string()),
            "value": value,
        }
    )
    plain_arrow = pa.table(
        {
            "region": arrow.column("region").cast(pa.string()),
            "level": level,
            "year": arrow.column("year"),
            "age": arrow.column("age").cast(pa.string()),
            "variable": arrow.column("variable").cast(pa.string()),
            "value": arrow.column("value"),
        }
    )
    return pa.concat_tables([plain_arrow, made]), missing


# -- units: municipalities, and city districts where a city has them ---------------------------------


@attrs.frozen
class _Units:
    """The areas the demo draws numbers for: every municipality, except that the four cities are drawn
    per city district (their rows are then the sums of their districts)."""

    codes: list[str]
    city_of: list[str]  # the municipality a unit belongs to (itself for a municipality)
    adults: np.ndarray  # (years, units)
    young: np.ndarray
    county: list[str]


def _units(geography: Geography, population: StatTable, years: Sequence[int]) -> _Units:
    rows = population.arrow
    region = rows.column("region").cast(pa.string()).to_numpy(zero_copy_only=False)
    level = rows.column("level").cast(pa.string()).to_numpy(zero_copy_only=False)
    year = rows.column("year").to_numpy(zero_copy_only=False)
    age = rows.column("age").cast(pa.string()).to_numpy(zero_copy_only=False)
    value = rows.column("value").to_numpy(zero_copy_only=False).astype(float)
    district_cities = sorted({code[:4] for code in region[level == "district"]})
    municipalities = sorted(m.code for m in geography.municipalities)
    codes = [c for c in municipalities if c not in district_cities]
    codes += sorted({c for c in region[level == "district"] if not c.endswith("99")})
    index = {c: i for i, c in enumerate(codes)}
    year_index = {y: i for i, y in enumerate(years)}
    adults = np.zeros((len(years), len(codes)))
    young = np.zeros((len(years), len(codes)))
    for r, lv, y, a, v in zip(region, level, year, age, value, strict=True):
        i = index.get(r)
        t = year_index.get(int(y))
        if i is None or t is None or (lv == "municipality" and len(r) != 4):
            continue
        if a == "0-17":
            young[t, i] += v
        else:
            adults[t, i] += v
    counties = {m.code: m.county for m in geography.municipalities}
    names = {c.code: c.short_name or c.name for c in geography.counties}
    return _Units(
        codes=codes,
        city_of=[c[:4] for c in codes],
        adults=adults,
        young=young,
        county=[names.get(counties.get(c[:4], ""), "") for c in codes],
    )


def _with_cities(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """Add a row per city (level municipality) that sums its districts' rows with the same keys."""
    region = table.column("region")
    is_district = pc.equal(pc.utf8_length(region), 6)
    districts = table.filter(is_district)
    if not districts.num_rows:
        return table
    city = pc.utf8_slice_codeunits(districts.column("region"), 0, 4)
    grouped = (
        districts.set_column(districts.column_names.index("region"), "region", city)
        .group_by(["region", *keys], use_threads=False)
        .aggregate([("value", "sum")])
        .rename_columns(["region", *keys, "value"])
    )
    grouped = grouped.set_column(
        grouped.column_names.index("value"), "value", pc.round(grouped.column("value"), 2)
    )
    level = pc.if_else(is_district, "district", "municipality")
    table = table.set_column(table.column_names.index("level"), "level", level)
    grouped = grouped.append_column("level", pa.array(["municipality"] * grouped.num_rows, pa.string()))
    return pa.concat_tables([table, grouped.select(table.column_names)]).sort_by(
        [("region", "ascending"), ("year", "ascending")]
    )


# -- survey (synthetic) -----------------------------------------------------------------------------

_SURVEY_VARIABLES = (
    Variable(
        id="fte",
        unit="årsverk",
        additive=True,
        label="Årsverk i kommunalt psykisk helse- og rusarbeid (syntetisk)",
        description="Synthetic FTEs by profession, service kind and target group, as in the IS-24/8 survey.",
    ),
    Variable(
        id="fte_by_service",
        unit="årsverk",
        additive=True,
        label="Årsverk etter tiltak (syntetisk)",
        description="Synthetic FTEs by service kind (column service) and target group; the same FTEs as "
        "'fte', classified by what they are used for.",
    ),
    Variable(
        id="fte_relevant_further_education",
        unit="årsverk",
        additive=True,
        label="Årsverk med relevant videreutdanning (syntetisk)",
        description="Synthetic FTEs held by staff with further education in mental health or substance use.",
    ),
    Variable(
        id="users",
        unit="bruker",
        additive=True,
        label="Brukere (syntetisk)",
        description="Synthetic users of the municipal services, by target group.",
        counts_people=True,
    ),
    *(
        Variable(id=name, unit="dimensionless", additive=True, label=f"{name} (ja = 1, syntetisk)")
        for name in _YES_NO
    ),
)


def _parts(total: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """``total`` (units) split by ``shares`` (units × parts), rounded to 0.01 årsverk with the largest part
    taking the rounding, so the parts sum to the rounded total exactly."""
    rounded_total = np.round(total, 2)
    parts = np.round(rounded_total[:, None] * shares, 2)
    largest = np.argmax(shares, axis=1)
    rows = np.arange(len(total))
    parts[rows, largest] = np.round(rounded_total - (parts.sum(axis=1) - parts[rows, largest]), 2)
    return np.asarray(parts, dtype=float)


def demo_survey(
    geography: Geography,
    population: StatTable,
    years: Sequence[int],
    *,
    register: AgreementRegister | None = None,
) -> StatTable:
    """Synthetic survey answers: FTEs by profession (``fte``) and by service kind (``fte_by_service``,
    column ``service``) for both target groups, FTEs with further education, users by target group and
    yes/no answers.

    The national årsverk of every year match :data:`PUBLISHED_FTE`; municipalities differ by county
    (:data:`COUNTY_LEVELS`), size (smaller municipalities have more årsverk per inhabitant, as the
    IS-24/8 reports find) and chance.  One municipality's FTEs are doubled in the year before the last,
    a planted typing error for the quality checks to find.
    """
    units = _units(geography, population, years)
    rng = _rng(2, geography.year)
    n, _t_count = len(units.codes), len(years)
    people = units.adults[-1] + units.young[-1]
    city_size: dict[str, float] = {}
    for code, size in zip(units.city_of, people, strict=True):
        city_size[code] = city_size.get(code, 0.0) + size
    size = np.array([city_size[c] for c in units.city_of])
    size_effect = (np.maximum(size, 200.0) / 20_000.0) ** -0.08
    county = np.array([COUNTY_LEVELS.get(c, 1.0) for c in units.county])
    level = {
        "adults": county * size_effect * np.exp(rng.normal(0.0, 0.16, n)),
        "children_young": county**0.7 * size_effect * np.exp(rng.normal(0.0, 0.22, n)),
    }
    noise_scale = 0.05 - 0.04 * (np.clip(np.log10(np.maximum(size, 1000.0)), 3.0, 6.0) - 3.0) / 3.0
    professions = list(PROFESSIONS)
    services = {g: [s for s in SERVICES if SERVICES[s][i] > 0] for i, g in enumerate(_GROUPS)}
    profession_shares = {
        g: rng.dirichlet(np.array([PROFESSIONS[p][i] for p in professions]) * 150.0, n)
        for i, g in enumerate(_GROUPS)
    }
    service_shares = {
        g: rng.dirichlet(np.array([SERVICES[s][i] for s in services[g]]) * 200.0, n)
        for i, g in enumerate(_GROUPS)
    }
    further_share = (0.33 + rng.normal(0, 0.07, n)).clip(0.05, 0.7)
    users_level = np.exp(rng.normal(0.0, 0.2, (2, n)))
    candidates = [i for i, code in enumerate(units.codes) if len(code) == 4 and 3_000 < size[i] < 50_000]
    error_unit = candidates[int(rng.integers(0, len(candidates)))]
    error_year = years[-2] if len(years) > 1 else years[-1]
    columns: dict[str, list[Any]] = {
        k: [] for k in ("region", "year", "target_group", "profession", "service", "variable", "value")
    }

    def add(
        year: int,
        group: str,
        profession: str | Sequence[str],
        service: str | Sequence[str],
        variable: str,
        values: np.ndarray,
    ) -> None:
        flat = values.reshape(-1)
        count = flat.size
        columns["region"].extend(
            units.codes if values.ndim == 1 else [c for c in units.codes for _ in range(values.shape[1])]
        )
        columns["year"].extend([year] * count)
        columns["target_group"].extend([group] * count)
        if isinstance(profession, str):
            columns["profession"].extend([profession] * count)
        else:
            columns["profession"].extend(list(profession) * n)
        if isinstance(service, str):
            columns["service"].extend([service] * count)
        else:
            columns["service"].extend(list(service) * n)
        columns["variable"].extend([variable] * count)
        columns["value"].extend(flat.tolist())

    for t, year in enumerate(years):
        noise = np.exp(rng.normal(0.0, 1.0, (2, n)) * noise_scale)
        national = published_fte(year)
        users_drift = np.exp(rng.normal(0.0, 0.03, (2, n)))
        for g, group in enumerate(_GROUPS):
            inhabitants = units.adults[t] if group == "adults" else units.young[t]
            raw = level[group] * noise[g] * inhabitants
            total = raw * national[g] / raw.sum()
            if group == "adults" and year == error_year:
                total = total.copy()
                total[error_unit] *= 2.0
            by_profession = _parts(total, profession_shares[group])
            exact = by_profession.sum(axis=1)
            add(year, group, professions, "total", "fte", by_profession)
            add(year, group, "total", "total", "fte", np.round(exact, 2))
            add(year, group, "total", services[group], "fte_by_service", _parts(exact, service_shares[group]))
            add(year, group, "total", "total", "fte_by_service", np.round(exact, 2))
            add(
                year,
                group,
                "total",
                "total",
                "fte_relevant_further_education",
                np.round(exact * further_share, 2),
            )
            rate = USERS_PER_10000[g] * np.sqrt(level[group]) * users_level[g] * users_drift[g]
            add(year, group, "total", "total", "users", np.round(inhabitants * rate / 10_000.0))
    table = pa.table(
        {
            "region": pa.array(columns["region"], pa.string()),
            "level": pa.array(["municipality"] * len(columns["region"]), pa.string()),
            "year": pa.array(columns["year"], pa.int16()),
            "target_group": pa.array(columns["target_group"], pa.string()),
            "profession": pa.array(columns["profession"], pa.string()),
            "service": pa.array(columns["service"], pa.string()),
            "variable": pa.array(columns["variable"], pa.string()),
            "value": pa.array(columns["value"], pa.float64()),
        }
    )
    table = _with_cities(table, ["year", "target_group", "profession", "service", "variable"])
    table = pa.concat_tables([table, _yes_no(geography, years, register, rng)])
    return _stat(
        table,
        geography,
        title="Syntetisk kartlegging av kommunalt psykisk helse- og rusarbeid (demodata)",
        variables=_SURVEY_VARIABLES,
        what="survey",
        year=max(years),
    )


def _yes_no(
    geography: Geography, years: Sequence[int], register: AgreementRegister | None, rng: np.random.Generator
) -> pa.Table:
    codes = sorted(m.code for m in geography.municipalities)
    n = len(codes)
    with_ohd = _ohd_members(register) if register is not None else set()
    answers = rng.random((len(_YES_NO), n))
    flips = rng.random((len(years), len(_YES_NO), n)) < 0.04
    likelihood = {
        "agreement_voluntary_organisations": 0.55,
        "low_threshold_offer": 0.8,
        "uses_individual_plan": 0.93,
        "uses_coordinator": 0.97,
    }
    final = max(years)
    region, year_column, variable, value = [], [], [], []
    for t, year in enumerate(years):
        for k, name in enumerate(_YES_NO):
            if name == "ohd_offer_mental_health_substance_use" and register is not None:
                yes = np.array([code in with_ohd for code in codes])
            else:
                yes = (answers[k] < likelihood.get(name, 0.85)) != (flips[t, k] & (year != final))
            region += codes
            year_column += [year] * n
            variable += [name] * n
            value += yes.astype(float).tolist()
    count = len(region)
    return pa.table(
        {
            "region": pa.array(region, pa.string()),
            "level": pa.array(["municipality"] * count, pa.string()),
            "year": pa.array(year_column, pa.int16()),
            "target_group": pa.array(["total"] * count, pa.string()),
            "profession": pa.array(["total"] * count, pa.string()),
            "service": pa.array(["total"] * count, pa.string()),
            "variable": pa.array(variable, pa.string()),
            "value": pa.array(value, pa.float64()),
        }
    )


# -- admissions (synthetic) -------------------------------------------------------------------------


def demo_admissions(geography: Geography, population: StatTable, years: Sequence[int]) -> StatTable:
    """Synthetic admissions to specialist care per home municipality (and city district), year and unit
    type: Poisson counts around :data:`UNIT_TYPES`, with a lasting local level per area."""
    units = _units(geography, population, years)
    rng = _rng(3, geography.year)
    n = len(units.codes)
    local = {unit: np.exp(rng.normal(0.0, 0.25, n)) for unit in UNIT_TYPES}
    region: list[str] = []
    year_column: list[int] = []
    unit_type: list[str] = []
    value: list[float] = []
    for t, year in enumerate(years):
        everyone = units.adults[t] + units.young[t]
        for unit, rate in UNIT_TYPES.items():
            counts = rng.poisson(everyone * rate * local[unit] / 10_000.0)
            region += units.codes
            year_column += [year] * n
            unit_type += [unit] * n
            value += counts.astype(float).tolist()
    count = len(region)
    table = pa.table(
        {
            "region": pa.array(region, pa.string()),
            "level": pa.array(["municipality"] * count, pa.string()),
            "year": pa.array(year_column, pa.int16()),
            "unit_type": pa.array(unit_type, pa.string()),
            "variable": pa.array(["admissions"] * count, pa.string()),
            "value": pa.array(value, pa.float64()),
        }
    )
    table = _with_cities(table, ["year", "unit_type", "variable"])
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


# -- agreement register (synthetic) -----------------------------------------------------------------


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


def _municipal_population(population: StatTable, year: int) -> dict[str, float]:
    rows = population.where(level="municipality", year=year).arrow
    grouped = (
        pa.table({"region": rows.column("region").cast(pa.string()), "value": rows.column("value")})
        .group_by("region")
        .aggregate([("value", "sum")])
    )
    return dict(
        zip(grouped.column("region").to_pylist(), grouped.column("value_sum").to_pylist(), strict=True)
    )


def demo_register(geography: Geography, population: StatTable, year: int) -> AgreementRegister:
    """A synthetic agreement register: cooperation agreements with sub-agreements, ØHD units.

    Every municipality the catchment data places in a health trust gets a cooperation agreement with
    it; sub-agreements fill in the § 6-2 subjects, with some subjects missing for some municipalities.
    Neighbouring municipalities (by code, within a county) share ØHD units by inter-municipal agreement,
    with about 0.3 places per 10,000 inhabitants.
    """
    codes = sorted(m.code for m in geography.municipalities)
    names = {m.code: m.short_name or m.name for m in geography.municipalities}
    trusts = {t.code: t.name for t in geography.health_trusts}
    main_trust = _main_trust(geography)
    everyone = _municipal_population(population, year)
    rng = _rng(4, geography.year)
    agreements: list[Agreement] = []
    services: list[Service] = []
    main_subjects = (1, 2)
    groups = ((3, 4, 5), (6, 7), (8, 9), (10, 11))
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
        revised = dt.date(2015 + int(rng.integers(0, 3)), 1 + int(rng.integers(0, 12)), 1)
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
            served = sum(everyone.get(c, 0.0) for c in members)
            places = max(1, round(served / 10_000.0 * 0.3 * float(np.exp(rng.normal(0, 0.3)))))
            host = max(members, key=lambda c: everyone.get(c, 0.0))
            shared = len(members) > 1
            services.append(
                Service(
                    name=f"ØHD psykisk helse og rus, {names[host]}" + (" (interkommunal)" if shared else ""),
                    kind="ohd",
                    provider=f"{names[host]} kommune",
                    level=ServiceLevel.INTER_MUNICIPAL if shared else ServiceLevel.MUNICIPAL,
                    capacity=f"{places} plass",
                    municipalities=members,
                    start=dt.date(2017, 1, 1),
                )
            )
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


# -- cooperation teams (synthetic) --------------------------------------------------------------------

#: Per patient and year: acute admissions, bed-days, involuntary stays (TPH).
_Rates = tuple[float, float, float]

#: The demo's teams: name, kind, the municipalities (by name), the positions (profession, employer,
#: level, per cent), the number of patients, and the patients' rates before and after joining (the
#: demo's assumptions: a group with severe illness whose use of inpatient care falls, as the project
#: plans' outcome goals hope).  The first follows the staffing a municipality–DPS project plan proposed for a
#: cooperation team with FACT elements (Drammen DPS with Drammen and Lier, NAV): about seven positions
#: "within existing resources", each paid by its ordinary employer.
_TEAMS: tuple[
    tuple[str, str, tuple[str, ...], tuple[tuple[str, str, str, float], ...], int, tuple[_Rates, _Rates]], ...
] = (
    (
        "Samhandlingsteam Drammen og Lier",
        "samhandlingsteam",
        ("Drammen", "Lier"),
        (
            ("Teamleder (sykepleier)", "Drammen DPS, Vestre Viken HF", "specialist", 100.0),
            ("Sykepleier", "Drammen DPS, Vestre Viken HF", "specialist", 100.0),
            ("Psykiater", "Drammen DPS, Vestre Viken HF", "specialist", 50.0),
            ("Psykolog", "Drammen DPS, Vestre Viken HF", "specialist", 50.0),
            ("Sosionom", "Drammen kommune", "municipal", 100.0),
            ("Psykisk helsearbeider, psykososialt team", "Drammen kommune", "municipal", 50.0),
            ("Ruskonsulent", "Drammen kommune", "municipal", 50.0),
            ("Boligkonsulent", "Drammen kommune", "municipal", 20.0),
            ("Vernepleier", "Lier kommune", "municipal", 100.0),
            ("Veileder", "NAV Drammen", "nav", 50.0),
            ("IPS-jobbspesialist", "NAV Drammen", "nav", 20.0),
        ),
        46,
        ((1.3, 40.0, 0.35), (0.85, 28.0, 0.19)),
    ),
    (
        "FACT Ringerike og Hole",
        "fact",
        ("Ringerike", "Hole"),
        (
            ("Teamleder (psykologspesialist)", "Ringerike DPS, Vestre Viken HF", "specialist", 100.0),
            ("Psykiater", "Ringerike DPS, Vestre Viken HF", "specialist", 50.0),
            ("Sykepleier", "Ringerike DPS, Vestre Viken HF", "specialist", 100.0),
            ("Rusbehandler", "Ringerike DPS, Vestre Viken HF", "specialist", 100.0),
            ("Sykepleier", "Ringerike kommune", "municipal", 100.0),
            ("Vernepleier", "Ringerike kommune", "municipal", 100.0),
            ("Erfaringskonsulent", "Ringerike kommune", "municipal", 50.0),
            ("Psykisk helsearbeider", "Hole kommune", "municipal", 50.0),
            ("IPS-jobbspesialist", "NAV Ringerike", "nav", 100.0),
        ),
        24,
        ((1.4, 45.0, 0.30), (1.0, 30.0, 0.08)),
    ),
)


def demo_teams(geography: Geography, year: int) -> TeamRegister:
    """Two synthetic cooperation teams with their positions and patients (pseudonymous ids).

    The teams started in the autumn two years before ``year``; their patients joined from then until
    the end of the year before ``year``, so a year after each patient's start is observed by the end of
    the report year.
    """
    rng = _rng(7, geography.year)
    teams: list[Team] = []
    patients: list[TeamPatient] = []
    start = dt.date(year - 2, 9, 1)
    end = dt.date(year - 1, 12, 31)
    for number, (name, kind, places, positions, count, _rates) in enumerate(_TEAMS, start=1):
        codes = [geography.municipality(place).code for place in places]
        teams.append(
            Team(
                name=name,
                kind=kind,
                municipalities=codes,
                start=start,
                target_groups=("rop",),
                positions=tuple(
                    Position(profession=p, employer=e, employer_level=level, percent=percent)
                    for p, e, level, percent in positions
                ),
            )
        )
        days = np.sort(rng.integers(0, (end - start).days + 1, count))
        patients += [
            TeamPatient(team=name, patient=f"T{number}-{i + 1:03d}", start=start + dt.timedelta(days=int(d)))
            for i, d in enumerate(days)
        ]
    return TeamRegister(teams=teams, patients=patients)


#: Per patient and year, before and after: the other patients of the teams' municipalities (the demo's
#: assumption: about 0.7 % of the inhabitants, with little change).
_OTHER_RATES: tuple[_Rates, _Rates] = ((0.8, 15.0, 0.20), (0.78, 14.8, 0.195))


def demo_outcomes(geography: Geography, teams: TeamRegister, population: StatTable, year: int) -> StatTable:
    """Synthetic before/after outcomes of the teams' patients and of the other patients of the teams'
    municipalities, per team, home municipality, patient group, period and month relative to the start
    (−12 … 11), as a stay-level before/after count gives them."""
    rng = _rng(8, geography.year)
    people = _municipal_population(population, year)
    team_rates = {entry[0]: entry[5] for entry in _TEAMS}
    columns: dict[str, list[Any]] = {
        k: [] for k in ("region", "team", "patient_group", "period", "relative_month", "variable", "value")
    }

    def add(region: str, team: str, group: str, period: str, month: int, variable: str, value: float) -> None:
        for key, item in zip(columns, (region, team, group, period, month, variable, value), strict=True):
            columns[key].append(item)

    for team in teams.teams:
        share = np.array([people.get(c, 0.0) for c in team.municipalities])
        share = share / share.sum() if share.sum() else np.full(len(share), 1.0 / len(share))
        team_patients = len(teams.patients_of(team.name))
        counts = {
            "team": rng.multinomial(team_patients, share),
            "other": np.round(np.array([people.get(c, 0.0) for c in team.municipalities]) * 0.007),
        }
        for group in ("team", "other"):
            for m, code in enumerate(team.municipalities):
                patients = float(counts[group][m])
                add(code, team.name, group, "total", 0, "patients", patients)
                for p, period in enumerate(("before", "after")):
                    acute, bed_days, tph = (team_rates[team.name] if group == "team" else _OTHER_RATES)[p]
                    for month in range(-12, 0) if period == "before" else range(12):
                        add(
                            code,
                            team.name,
                            group,
                            period,
                            month,
                            "acute_admissions",
                            float(rng.poisson(patients * acute / 12.0)),
                        )
                        add(
                            code,
                            team.name,
                            group,
                            period,
                            month,
                            "involuntary_stays",
                            float(rng.poisson(patients * tph / 12.0)),
                        )
                        mean = patients * bed_days / 12.0
                        add(
                            code,
                            team.name,
                            group,
                            period,
                            month,
                            "bed_days",
                            float(rng.negative_binomial(2, 2 / (2 + mean)) if mean else 0.0),
                        )
    count = len(columns["region"])
    table = pa.table(
        {
            "region": pa.array(columns["region"], pa.string()),
            "level": pa.array(["municipality"] * count, pa.string()),
            "year": pa.array([year] * count, pa.int16()),
            "team": pa.array(columns["team"], pa.string()),
            "patient_group": pa.array(columns["patient_group"], pa.string()),
            "period": pa.array(columns["period"], pa.string()),
            "relative_month": pa.array(columns["relative_month"], pa.int16()),
            "variable": pa.array(columns["variable"], pa.string()),
            "value": pa.array(columns["value"], pa.float64()),
        }
    )
    return _stat(
        table,
        geography,
        title="Syntetiske utfall før og etter oppstart i team (demodata)",
        variables=[
            Variable(
                id="acute_admissions",
                unit="opphold",
                label="Akutte innleggelser (syntetisk)",
                counts_people=True,
            ),
            Variable(id="bed_days", unit="liggedøgn", label="Liggedøgn (syntetisk)"),
            Variable(
                id="involuntary_stays",
                unit="opphold",
                label="Opphold under tvungent psykisk helsevern (syntetisk)",
                counts_people=True,
            ),
            Variable(id="patients", unit="pasient", label="Pasienter (syntetisk)", counts_people=True),
        ],
        what="outcomes",
        year=year,
    )


# -- everything ---------------------------------------------------------------------------------------


def demo_inputs(
    year: int = DEFAULT_YEAR, *, span: int = DEFAULT_SPAN, geography: Geography | None = None
) -> ReportInputs:
    """All inputs of a demo report for ``year``: the real population and synthetic survey, admissions,
    agreement register, teams and team outcomes.

    The same ``year`` and ``span`` give the same numbers on every machine.  All tables are on the report
    year's map.  The series starts no earlier than 2017, the first year of the library's maps.

    :param year: the report year (the geography must cover it: 2017–2026); the population is real for
        2017–2021 and the 2021 figures for later years.
    :param span: how many years of time series, ending with ``year``.
    :param geography: the map to use (default ``Geography.for_year(year)``).
    """
    if geography is None:
        from samhandling.geography import Geography

        geography = Geography.for_year(year)
    years = [y for y in range(year - span + 1, year + 1) if y >= 2017]
    population = demo_population(geography, years)
    register = demo_register(geography, population, year)
    teams = demo_teams(geography, year)
    return ReportInputs(
        year=year,
        survey=demo_survey(geography, population, years, register=register),
        population=population,
        admissions=demo_admissions(geography, population, years),
        register=register,
        teams=teams,
        outcomes=demo_outcomes(geography, teams, population, year),
        synthetic=True,
    )
