"""One year's map: the areas that existed, how they nest, and lookups by code or name.

:class:`Geography` is built from the embedded reference data (``data/*.csv``) and cached per year, so
``Geography.for_year(2024)`` is cheap after the first call.  It answers the questions an analyst asks
of a year's map — which municipalities were there, which county, health trust and DPS served a
municipality, what a code meant — and gives :meth:`Geography.membership`, the small area → parent
table that :func:`samhandling.aggregate.roll_up` joins on.
"""

from __future__ import annotations

import functools
import typing
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import pyarrow as pa

from samhandling.errors import SamhandlingError, UnknownCodeError, YearNotCoveredError
from samhandling.geography import changes as _changes
from samhandling.geography._data import YEARS, rows
from samhandling.geography.lookup import NameIndex
from samhandling.levels import Level
from samhandling.model import DPS, Catchment, County, District, HealthRegion, HealthTrust, Municipality

__all__ = [
    "CATCHMENT_YEARS",
    "DISTRICT_YEARS",
    "NATIONAL_CODE",
    "ROLL_UP_LEVELS",
    "Area",
    "Geography",
    "SplitAreaError",
]

#: SSB's code for the whole country (``Hele landet``).
NATIONAL_CODE = "0"
#: The levels :meth:`Geography.membership` and ``roll_up`` can group municipalities into.
ROLL_UP_LEVELS: tuple[Level, ...] = (
    Level.COUNTY,
    Level.HEALTH_TRUST,
    Level.HEALTH_REGION,
    Level.DPS,
    Level.NATIONAL,
)
#: Years for which the reference data lists city districts (bydeler).
DISTRICT_YEARS: tuple[int, ...] = tuple(
    sorted({y for row in rows("districts") for y in range(int(row["valid_from"]), int(row["valid_to"]) + 1)})
)
#: Years for which the catchments are published ones (SKDE); earlier years are derived from them.
CATCHMENT_YEARS: tuple[int, ...] = (2024, 2025)

Area = Municipality | County | District | HealthRegion | HealthTrust | DPS


class SplitAreaError(SamhandlingError, ValueError):
    """An area is divided between several parents (or successors) and nobody said in what shares.

    Oslo, for example, is served by four health trusts, split by city district; a figure for Oslo as a
    whole cannot be put into one of them.  The message names the area, the candidates and the ways to
    give the shares.
    """


def _level(value: Level | str, allowed: Iterable[Level] | None = None) -> Level:
    try:
        level = Level(value)
    except ValueError:
        raise UnknownCodeError(
            f"unknown level {value!r}; expected one of {[lvl.value for lvl in Level]}"
        ) from None
    if allowed is not None:
        allowed = tuple(allowed)
        if level not in allowed:
            raise UnknownCodeError(
                f"level {level.value!r} is not possible here; expected one of {[a.value for a in allowed]}"
            )
    return level


def _describe(area: Any) -> str:
    return f"{area.code} {area.name} ({area.level.value.replace('_', ' ')})"


@typing.final
@attrs.frozen(kw_only=True)
class _Catchments:
    """Who serves whom at one level: whole members and areas split between several owners."""

    whole: Mapping[str, str]
    split: Mapping[str, tuple[str, ...]]


@typing.final
@attrs.frozen(kw_only=True, eq=False)
class Geography:
    """The areas of one year (1 January), with their hierarchy and catchments.

    Build it with :meth:`for_year`; the attributes are tuples of the model's frozen area objects, sorted
    by code.  Lookups take a code or a name and forgive case and Norwegian letters (``"bodo"`` finds
    Bodø) but never choose between two candidates: ``"Herøy"`` raises
    :class:`~samhandling.errors.AmbiguousNameError` listing 1515 Herøy and 1818 Herøy.

    Catchments (opptaksområder) for 2024 and 2025 are SKDE's; for 2017–2023 they are the 2024 ones
    carried back through the code changes (``catchments_derived`` is then true), because no yearly
    public list could be confirmed.
    """

    year: int
    municipalities: tuple[Municipality, ...]
    counties: tuple[County, ...]
    districts: tuple[District, ...]
    health_regions: tuple[HealthRegion, ...]
    health_trusts: tuple[HealthTrust, ...]
    dps: tuple[DPS, ...]
    catchments: tuple[Catchment, ...]
    catchments_derived: bool
    _indexes: Mapping[Level, NameIndex[Any]] = attrs.field(repr=False, alias="indexes")
    _served: Mapping[Level, _Catchments] = attrs.field(repr=False, alias="served")

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def for_year(cls, year: int) -> Geography:
        """The map of ``year`` (2017–2025); :class:`~samhandling.errors.YearNotCoveredError` outside.

        :param year: the year whose 1 January map is wanted.
        """
        return _build(_changes.check_year(year))

    @staticmethod
    def years() -> tuple[int, ...]:
        """Every year the embedded data covers."""
        return YEARS

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Geography) and other.year == self.year

    def __hash__(self) -> int:
        return hash(("Geography", self.year))

    def __repr__(self) -> str:
        return (
            f"<Geography {self.year}: {len(self.counties)} counties, {len(self.municipalities)} "
            f"municipalities, {len(self.districts)} districts, {len(self.health_trusts)} health trusts, "
            f"{len(self.dps)} DPS>"
        )

    def _repr_html_(self) -> str:
        """In a notebook: the areas of each level and the sources of the map."""
        from samhandling.notebook import geography_html

        return geography_html(self)

    # -- lookups ----------------------------------------------------------------------------------
    def municipality(self, code_or_name: str) -> Municipality:
        """The municipality with this code or name in this year.

        :raises UnknownCodeError: no such municipality this year (the message says when the code was used).
        :raises AmbiguousNameError: the name fits several municipalities.
        """
        return typing.cast(Municipality, self._one(Level.MUNICIPALITY, code_or_name))

    def county(self, code_or_name: str) -> County:
        """The county with this code or name in this year (``"Viken"`` only 2020–2023)."""
        return typing.cast(County, self._one(Level.COUNTY, code_or_name))

    def district(self, code_or_name: str) -> District:
        """The city district (bydel) with this code or name; names are qualified by city if ambiguous."""
        return typing.cast(District, self._one(Level.DISTRICT, code_or_name))

    def health_region(self, code_or_name: str) -> HealthRegion:
        """The regional health authority (RHF) with this slug or name (``"Helse Vest"``)."""
        return typing.cast(HealthRegion, self._one(Level.HEALTH_REGION, code_or_name))

    def health_trust(self, code_or_name: str) -> HealthTrust:
        """The health trust (HF) with this slug, name or short name (``"Vestre Viken"``, ``"OUS"``)."""
        return typing.cast(HealthTrust, self._one(Level.HEALTH_TRUST, code_or_name))

    def dps_unit(self, code_or_name: str) -> DPS:
        """The DPS with this slug or name, with or without the word DPS (``"Asker DPS"``, ``"dps-asker"``)."""
        return typing.cast(DPS, self._one(Level.DPS, code_or_name))

    def area(self, query: str, *, level: Level | str | None = None) -> Area:
        """Exactly one area of any level (or of ``level``) for a code or name; raises instead of guessing."""
        hits = self.find(query, level=level)
        if len(hits) == 1:
            return hits[0]
        if hits:
            from samhandling.errors import AmbiguousNameError

            raise AmbiguousNameError(
                f"{query!r} matches {len(hits)} areas in {self.year}: "
                f"{'; '.join(_describe(h) for h in hits)}. Give the code or the level"
            )
        if level is not None:
            return typing.cast(Area, self._one(_level(level), query))  # raises with suggestions
        close = sorted({s for index in self._indexes.values() for s in index.suggestions(query)})
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise UnknownCodeError(f"no area with code or name {query!r} in {self.year}{hint}")

    def find(self, query: str, *, level: Level | str | None = None) -> tuple[Area, ...]:
        """Every area whose code or name matches ``query``, from the largest level down.

        Matching forgives case, æ/ø/å written as ae/oe/aa or a/o/e, accents and punctuation; it is
        exact otherwise, so the result lists all candidates and never picks one.  An empty tuple
        means no match.

        :param level: only look at this level (``"municipality"``, ``"county"``, ``"dps"`` …).
        """
        levels = [_level(level)] if level is not None else list(self._indexes)
        found: list[Area] = []
        for lvl in levels:
            index = self._indexes.get(lvl)
            if index is not None:
                found.extend(index.find(query))
        return tuple(found)

    def _one(self, level: Level, query: str) -> Any:
        query = str(query)
        index = self._indexes[level]
        if index.find(query):
            return index.one(query, what=level.value.replace("_", " "), year=self.year)
        if level in (Level.MUNICIPALITY, Level.COUNTY) and query.strip().isdigit():
            raise UnknownCodeError(_changes._not_in_year(level, query.strip(), self.year))
        return index.one(query, what=level.value.replace("_", " "), year=self.year)

    # -- hierarchy --------------------------------------------------------------------------------
    def county_of(self, code: str) -> County:
        """The county of a municipality or district code of this year."""
        municipality = self._municipality_code(code)
        return self.county(municipality[:2])

    def health_trust_of(self, code: str) -> HealthTrust:
        """The health trust whose catchment holds this municipality or district.

        :raises SplitAreaError: the area is split between health trusts (Oslo, by district); ask
            for a district, or use :meth:`parents` to list the candidates.
        """
        return self.health_trust(self._single_parent(code, Level.HEALTH_TRUST))

    def dps_of(self, code: str) -> DPS:
        """The DPS whose catchment holds this municipality or district (see :meth:`health_trust_of`)."""
        return self.dps_unit(self._single_parent(code, Level.DPS))

    def health_region_of(self, code: str) -> HealthRegion:
        """The regional health authority (RHF) serving this municipality or district."""
        return self.health_region(self._single_parent(code, Level.HEALTH_REGION))

    def parents(self, code: str, to: Level | str) -> tuple[str, ...]:
        """The code(s) at level ``to`` that serve this municipality or district: one, or several if split."""
        target = _level(to, ROLL_UP_LEVELS)
        self._check_area(code)
        if target is Level.NATIONAL:
            return (NATIONAL_CODE,)
        if target is Level.COUNTY:
            return (self._municipality_code(code)[:2],)
        served = self._served[target]
        if code in served.whole:
            return (served.whole[code],)
        if code in served.split:
            return served.split[code]
        if len(code) == 6 and code[:4] in served.whole:
            return (served.whole[code[:4]],)
        if len(code) == 6 and code[:4] in served.split:
            return served.split[code[:4]]
        raise UnknownCodeError(f"{code!r} is in no {target.value.replace('_', ' ')} catchment in {self.year}")

    def _single_parent(self, code: str, level: Level) -> str:
        found = self.parents(code, level)
        if len(found) == 1:
            return found[0]
        what = level.value.replace("_", " ")
        raise SplitAreaError(
            f"{self._describe_code(code)} is split between {len(found)} {what} catchments in {self.year}: "
            f"{', '.join(found)}; ask for one of its city districts or list them with parents()"
        )

    def _municipality_code(self, code: str) -> str:
        self._check_area(code)
        return code[:4]

    def _check_area(self, code: str) -> None:
        if not isinstance(code, str) or len(code) not in (4, 6):
            raise UnknownCodeError(
                f"{code!r} is not a municipality (4 digits) or district (6 digits) code of {self.year}"
            )
        if len(code) == 4:
            self.municipality(code)
        elif not self.districts or code not in self.codes(Level.DISTRICT):
            self.municipality(code[:4])  # a district of a city whose districts the data lacks this year
            raise UnknownCodeError(
                f"district code {code!r} is not in the {self.year} district list"
                if self.districts
                else f"district code {code!r}: the reference data has no district list for {self.year}"
            )

    def _describe_code(self, code: str) -> str:
        if len(code) == 6:
            return _describe(self.district(code))
        return _describe(self.municipality(code))

    # -- codes and membership -------------------------------------------------------------------------
    def codes(self, level: Level | str) -> frozenset[str]:
        """Every code in use at ``level`` this year (``"national"`` is SSB's ``"0"``).

        :raises YearNotCoveredError: ``level`` is ``"district"`` and the reference data has no
            district list for this year (it has 2024–2025), so no code can be called valid or not.
        """
        lvl = _level(level)
        if lvl is Level.DISTRICT and not self.districts:
            raise YearNotCoveredError(
                f"no city-district (bydel) list for {self.year}: the reference data has districts for "
                f"{', '.join(str(y) for y in DISTRICT_YEARS)} only"
            )
        return _codes(self.year, lvl)

    def explain_code(self, code: str) -> str:
        """A sentence on what ``code`` means in this year, or what became of it (for messages)."""
        code = str(code).strip()
        for level in (Level.MUNICIPALITY, Level.COUNTY, Level.DISTRICT):
            if code in _codes(self.year, level):
                area = self._one(level, code)
                return f"{_describe(area)} in {self.year}"
        if len(code) in (2, 4) and code.isdigit():
            level = Level.COUNTY if len(code) == 2 else Level.MUNICIPALITY
            message = _changes._not_in_year(level, code, self.year)
            try:
                if any(code in names for y, names in _changes._names(level).items() if y < self.year):
                    events = _changes.lineage(code, level=level)
                else:
                    events = tuple(
                        reversed(_changes.where_from(code, self._first_year(level, code), level=level))
                    )
            except SamhandlingError:
                events = ()
            if events:
                message += "; " + "; ".join(str(e) for e in events)
            restored = [str(r) for r in _changes.restorations(level) if code in (r.old_code, r.new_code)]
            if restored:
                message += "; " + "; ".join(restored)
            return message
        return f"{code!r} is not an area code of {self.year}"

    @staticmethod
    def _first_year(level: Level, code: str) -> int:
        return min(y for y, names in _changes._names(level).items() if code in names)

    def membership(self, to: Level | str) -> pa.Table:
        """The area → parent table for rolling municipalities and districts up to level ``to``.

        Columns ``region`` (municipality or district code), ``parent`` (code at level ``to``) and
        ``weight`` (float64, the share of the region that belongs to the parent).  A region wholly in
        one parent has one row with weight 1.  A region split between parents (Oslo between health
        trusts, Levanger between DPSs) has one row per candidate with an empty weight: the shares are
        not published, so :func:`~samhandling.aggregate.roll_up` asks for district rows or weights.
        """
        return _membership(self.year, _level(to, ROLL_UP_LEVELS))

    def catchment(self, owner: str) -> Catchment:
        """The catchment (whole members) of a DPS or health trust this year."""
        for item in self.catchments:
            if item.owner == owner:
                return item
        raise UnknownCodeError(f"no catchment for {owner!r} in {self.year}")


# -- building ---------------------------------------------------------------------------------------------
def _valid(row: Mapping[str, str], year: int) -> bool:
    return int(row["valid_from"]) <= year <= int(row["valid_to"])


@functools.cache
def _codes(year: int, level: Level) -> frozenset[str]:
    geo = _build(year)
    if level is Level.NATIONAL:
        return frozenset({NATIONAL_CODE})
    items: Sequence[Any] = {
        Level.MUNICIPALITY: geo.municipalities,
        Level.COUNTY: geo.counties,
        Level.DISTRICT: geo.districts,
        Level.HEALTH_REGION: geo.health_regions,
        Level.HEALTH_TRUST: geo.health_trusts,
        Level.DPS: geo.dps,
    }[level]
    return frozenset(item.code for item in items)


def _published_catchments() -> dict[Level, _Catchments]:
    whole: dict[Level, dict[str, str]] = {Level.HEALTH_TRUST: {}, Level.DPS: {}}
    split: dict[Level, dict[str, list[str]]] = {
        Level.HEALTH_TRUST: defaultdict(list),
        Level.DPS: defaultdict(list),
    }
    for row in rows("catchments"):
        level = Level(row["level"])
        if row["status"] == "member":
            whole[level][row["member"]] = row["owner"]
        else:
            split[level][row["member"]].append(row["owner"])
    out: dict[Level, _Catchments] = {}
    for level in whole:
        served = _Catchments(whole=whole[level], split={k: tuple(sorted(v)) for k, v in split[level].items()})
        # A city served by district (Oslo at health-trust level) gets the owners of its districts.
        cities = {member[:4] for member in (*served.whole, *served.split) if len(member) == 6}
        by_city_whole = dict(served.whole)
        by_city_split = dict(served.split)
        for city in cities - set(served.whole) - set(served.split):
            owners, _whole = _owners_2024(served, city)
            if len(owners) == 1:
                by_city_whole[city] = owners.pop()
            else:
                by_city_split[city] = tuple(sorted(owners))
        out[level] = _Catchments(whole=by_city_whole, split=by_city_split)
    return out


def _owners_2024(served: _Catchments, code: str) -> tuple[set[str], bool]:
    """The owners serving a 2024 municipality code, and whether it is served whole by one."""
    if code in served.whole:
        return {served.whole[code]}, True
    if code in served.split:
        return set(served.split[code]), False
    by_district: set[str] = set()
    for member, owner in served.whole.items():
        if len(member) == 6 and member[:4] == code:
            by_district.add(owner)
    for member, owners in served.split.items():
        if len(member) == 6 and member[:4] == code:
            by_district.update(owners)
    return by_district, False


def _derived_catchments(year: int, published: Mapping[Level, _Catchments]) -> dict[Level, _Catchments]:
    """Catchments for a year before 2024: each code carried forward to the 2024 map and looked up there."""
    base = CATCHMENT_YEARS[0]
    successors = _changes.compose(
        Level.MUNICIPALITY, year, base, lambda split: [1.0 / len(split.new)] * len(split.new)
    )
    out: dict[Level, _Catchments] = {}
    for level, served in published.items():
        whole: dict[str, str] = {}
        split: dict[str, tuple[str, ...]] = {}
        for code in _changes.codes_in(Level.MUNICIPALITY, year):
            owners: set[str] = set()
            all_whole = True
            for new_code, _weight in successors[code]:
                found, is_whole = _owners_2024(served, new_code)
                owners |= found
                all_whole = all_whole and is_whole
            if len(owners) == 1 and all_whole:
                whole[code] = owners.pop()
            elif owners:
                split[code] = tuple(sorted(owners))
        out[level] = _Catchments(whole=whole, split=split)
    return out


def _region_catchments(hf: _Catchments, region_of: Mapping[str, str]) -> _Catchments:
    whole: dict[str, str] = {code: region_of[owner] for code, owner in hf.whole.items()}
    split: dict[str, tuple[str, ...]] = {}
    for code, owners in hf.split.items():
        regions = sorted({region_of[o] for o in owners})
        if len(regions) == 1:
            whole[code] = regions[0]
        else:
            split[code] = tuple(regions)
    return _Catchments(whole=whole, split=split)


@functools.cache
def _build(year: int) -> Geography:
    counties = tuple(
        sorted((County.from_row(row) for row in rows("counties") if _valid(row, year)), key=lambda c: c.code)
    )
    county_names = {c.code: c.name for c in counties}
    municipalities = tuple(
        sorted(
            (Municipality.from_row(row) for row in rows("municipalities") if _valid(row, year)),
            key=lambda m: m.code,
        )
    )
    districts = tuple(
        sorted(
            (District.from_row(row) for row in rows("districts") if _valid(row, year)), key=lambda d: d.code
        )
    )
    regions = tuple(HealthRegion(code=r["code"], name=r["name"]) for r in rows("health_regions"))
    trusts = tuple(
        HealthTrust(code=r["code"], name=r["name"], region=r["region"]) for r in rows("health_trusts")
    )
    short_names = {r["code"]: r["short_name"] for r in rows("health_trusts")}
    dps_units = tuple(
        DPS(code=r["code"], name=r["name"], health_trust=r["health_trust"]) for r in rows("dps")
    )

    published = _published_catchments()
    derived = year < CATCHMENT_YEARS[0]
    served: dict[Level, _Catchments] = dict(_derived_catchments(year, published) if derived else published)
    served[Level.HEALTH_REGION] = _region_catchments(
        served[Level.HEALTH_TRUST], {t.code: t.region for t in trusts}
    )
    catchments: list[Catchment] = []
    for level in (Level.HEALTH_TRUST, Level.DPS):
        members: dict[str, list[str]] = defaultdict(list)
        for code, owner in served[level].whole.items():
            members[owner].append(code)
        catchments += [
            Catchment(owner=owner, level=level, year=year, members=tuple(codes))
            for owner, codes in sorted(members.items())
        ]

    indexes: dict[Level, NameIndex[Any]] = {
        lvl: NameIndex(_describe) for lvl in Level if lvl is not Level.NATIONAL
    }
    for county in counties:
        indexes[Level.COUNTY].add(county.code, county.name, county)
    for municipality in municipalities:
        indexes[Level.MUNICIPALITY].add(
            municipality.code,
            municipality.name,
            municipality,
            qualifier=county_names.get(municipality.county),
        )
    city_names = {m.code: m.name for m in municipalities}
    for district in districts:
        indexes[Level.DISTRICT].add(
            district.code, district.name, district, qualifier=city_names.get(district.municipality)
        )
    for region in regions:
        indexes[Level.HEALTH_REGION].add(
            region.code, region.name, region, aliases=[region.name.removesuffix(" RHF")]
        )
    for trust in trusts:
        indexes[Level.HEALTH_TRUST].add(
            trust.code,
            trust.name,
            trust,
            aliases=[short_names.get(trust.code, ""), trust.name.removesuffix(" HF")],
        )
    for unit in dps_units:
        indexes[Level.DPS].add(unit.code, unit.name, unit, aliases=[unit.name.removesuffix(" DPS")])
    return Geography(
        year=year,
        municipalities=municipalities,
        counties=counties,
        districts=districts,
        health_regions=regions,
        health_trusts=trusts,
        dps=dps_units,
        catchments=tuple(catchments),
        catchments_derived=derived,
        indexes=indexes,
        served=served,
    )


@functools.cache
def _membership(year: int, to: Level) -> pa.Table:
    geo = _build(year)
    regions: list[str] = []
    parents: list[str] = []
    weights: list[float | None] = []
    areas = [m.code for m in geo.municipalities] + [d.code for d in geo.districts]
    for code in areas:
        found = geo.parents(code, to)
        weight = 1.0 if len(found) == 1 else None
        for parent in found:
            regions.append(code)
            parents.append(parent)
            weights.append(weight)
    return pa.table(
        {
            "region": pa.array(regions, pa.string()),
            "parent": pa.array(parents, pa.string()),
            "weight": pa.array(weights, pa.float64()),
        }
    )
