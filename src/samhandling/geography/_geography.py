"""One year's map: the areas that existed, how they nest, and lookups by code or name.

:class:`Geography` is built from the embedded reference data (``data/*.csv``, and years added as data)
and cached per year, so ``Geography.for_year(2024)`` is cheap after the first call.  It answers the
questions an analyst asks of a year's map — which municipalities and city districts were there, which
county, health trust and DPS served an area, what a code meant — and gives :meth:`Geography.membership`,
the small area → parent table that :func:`samhandling.aggregate.roll_up` joins on.

Catchments (opptaksområder) are drawn per service (:class:`~samhandling.model.CatchmentKind`): adult
mental health (VOP, with DPSs) and child and adolescent mental health (BUP).  Every lookup that uses them
takes ``kind=`` (default adult mental health) and every membership says which kind it is.  For each area
and year the data says whether its catchment is *published* (a source lists it for that year),
*recorded* (a source states the change for that year) or *derived* (carried from the nearest published
year through the code changes, because the record is silent): :meth:`Geography.catchment_basis`.
"""

from __future__ import annotations

import typing
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import pyarrow as pa

from samhandling.errors import SamhandlingError, UnknownCodeError
from samhandling.geography import changes as _changes
from samhandling.geography._data import added_years, cached, rows, years
from samhandling.geography.lookup import NameIndex
from samhandling.levels import Level
from samhandling.model import (
    DPS,
    Catchment,
    CatchmentKind,
    County,
    District,
    HealthRegion,
    HealthTrust,
    Municipality,
)

__all__ = [
    "CATCHMENT_YEARS",
    "DISTRICT_YEARS",
    "NATIONAL_CODE",
    "ROLL_UP_LEVELS",
    "Area",
    "CatchmentBasis",
    "CatchmentException",
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
#: The levels whose membership depends on the kind of catchment.
CATCHMENT_LEVELS: tuple[Level, ...] = (Level.HEALTH_TRUST, Level.HEALTH_REGION, Level.DPS)
#: Shipped years for which the reference data lists city districts (bydeler).
DISTRICT_YEARS: tuple[int, ...] = tuple(
    sorted({y for row in rows("districts") for y in range(int(row["valid_from"]), int(row["valid_to"]) + 1)})
)
#: Years for which the shipped adult mental-health catchments are published ones (SKDE); other years
#: are recorded or derived area by area (see :meth:`Geography.catchment_basis`).
CATCHMENT_YEARS: tuple[int, ...] = (2024, 2025)

_DEFAULT_KIND = CatchmentKind.ADULT_MENTAL_HEALTH

Area = Municipality | County | District | HealthRegion | HealthTrust | DPS


class SplitAreaError(SamhandlingError, ValueError):
    """An area is divided between several parents (or successors) and nobody said in what shares.

    Oslo, for example, is served by four health trusts, split by city district; a figure for Oslo as a
    whole cannot be put into one of them.  The message names the area, the candidates and the ways to
    give the shares.
    """


@typing.final
@attrs.frozen(kw_only=True)
class CatchmentBasis:
    """On what the catchment of one area in one year rests.

    ``basis`` is ``"published"`` (a source lists it for the year), ``"recorded"`` (a source states it for
    the year, typically a change: Kongsvinger to Akershus universitetssykehus in 2019) or ``"derived"``
    (carried from ``derived_from``, the nearest year with a published list, through the code changes).
    ``source`` holds the source keys of ``docs/reference-data.md``; ``note`` says what a reader should know.
    """

    basis: str
    source: str
    note: str = ""
    derived_from: int | None = None


@typing.final
@attrs.frozen(kw_only=True)
class CatchmentException:
    """An area whose DPS is owned by another health trust than the one whose catchment holds it.

    The health-trust and DPS layers of the reference data agree for every area and year except these;
    each is recorded with the sources that disagree (``data/catchment_exceptions.csv``).  Rolling the
    same rows up to health trusts directly and via DPSs gives different totals for exactly these areas.
    """

    kind: CatchmentKind
    member: str
    health_trust: str
    dps: str
    source: str
    note: str


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


def _kind(value: CatchmentKind | str) -> CatchmentKind:
    try:
        return CatchmentKind(value)
    except ValueError:
        raise UnknownCodeError(
            f"unknown catchment kind {value!r}; expected one of {[k.value for k in CatchmentKind]} "
            f"(vop: adult mental health, bup: child and adolescent mental health, tsb: substance use)"
        ) from None


def _describe(area: Any) -> str:
    return f"{area.code} {area.name} ({area.level.value.replace('_', ' ')})"


@typing.final
@attrs.frozen(kw_only=True)
class _Served:
    """Who serves whom at one level of one kind in one year."""

    whole: Mapping[str, str]
    split: Mapping[str, tuple[str, ...]]
    unknown: Mapping[str, str]
    basis: Mapping[str, CatchmentBasis]


@typing.final
@attrs.frozen(kw_only=True, eq=False)
class Geography:
    """The areas of one year (1 January), with their hierarchy and catchments.

    Build it with :meth:`for_year`; the attributes are tuples of the model's frozen area objects, sorted
    by code.  Lookups take a code or a name and forgive case and Norwegian letters (``"bodo"`` finds
    Bodø); official names are SSB's (KLASS) for the year, with Sami and Kven forms, and everyday short
    names are found too (``"Kautokeino"``).  They never choose between two candidates: ``"Herøy"`` raises
    :class:`~samhandling.errors.AmbiguousNameError` listing 1515 and 1818.

    Catchments: see the module docstring; ``catchments`` holds every kind, each :class:`Catchment`
    says its ``kind``.  ``origin`` is ``"shipped"`` for a year of this release and ``"added"`` for a year
    added as data (:func:`samhandling.geography.add_year`).
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
    origin: str = "shipped"
    _indexes: Mapping[Level, NameIndex[Any]] = attrs.field(repr=False, alias="indexes")

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def for_year(cls, year: int) -> Geography:
        """The map of ``year`` (1 January); :class:`~samhandling.errors.YearNotCoveredError` outside.

        The error names the shipped years, the years added as data and how to add a later one.

        :param year: the year whose 1 January map is wanted.
        """
        return _build(_changes.check_year(year))

    @staticmethod
    def years() -> tuple[int, ...]:
        """Every year there is a map for: shipped, then added as data."""
        return years()

    @staticmethod
    def shipped_years() -> tuple[int, ...]:
        """The years this release ships maps for (2017–2026)."""
        from samhandling.geography._data import SHIPPED_YEARS

        return SHIPPED_YEARS

    @staticmethod
    def added_years() -> tuple[int, ...]:
        """The years added as data in this process (:func:`samhandling.geography.add_year`)."""
        return tuple(sorted(added_years()))

    @property
    def added_from(self) -> Mapping[str, Any]:
        """For a year added as data: the files it was made from and their checksums (else empty)."""
        return added_years().get(self.year, {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Geography) and other.year == self.year and other.origin == self.origin

    def __hash__(self) -> int:
        return hash(("Geography", self.year))

    def __repr__(self) -> str:
        origin = "" if self.origin == "shipped" else " (added as data)"
        return (
            f"<Geography {self.year}{origin}: {len(self.counties)} counties, {len(self.municipalities)} "
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

    def health_trust_of(self, code: str, *, kind: CatchmentKind | str = _DEFAULT_KIND) -> HealthTrust:
        """The health trust whose ``kind`` catchment holds this municipality or district.

        :param kind: the service (default adult mental health, ``"vop"``; ``"bup"`` for children and
            young people).
        :raises SplitAreaError: the area is split between health trusts (Oslo, by district); ask
            for a district, or use :meth:`parents` to list the candidates.
        """
        return self.health_trust(self._single_parent(code, Level.HEALTH_TRUST, _kind(kind)))

    def dps_of(self, code: str, *, kind: CatchmentKind | str = _DEFAULT_KIND) -> DPS:
        """The DPS whose catchment holds this municipality or district (adult mental health only)."""
        return self.dps_unit(self._single_parent(code, Level.DPS, _kind(kind)))

    def health_region_of(self, code: str, *, kind: CatchmentKind | str = _DEFAULT_KIND) -> HealthRegion:
        """The regional health authority (RHF) serving this municipality or district."""
        return self.health_region(self._single_parent(code, Level.HEALTH_REGION, _kind(kind)))

    def parents(
        self, code: str, to: Level | str, *, kind: CatchmentKind | str = _DEFAULT_KIND
    ) -> tuple[str, ...]:
        """The code(s) at level ``to`` that serve this municipality or district: one, or several if split.

        :param kind: for health trusts, health regions and DPSs, which service's catchment (default
            adult mental health).
        :raises UnknownCodeError: the reference data has no catchment for the area this year (the
            message says why), or the code is not an area of this year.
        """
        target = _level(to, ROLL_UP_LEVELS)
        self._check_area(code)
        if target is Level.NATIONAL:
            return (NATIONAL_CODE,)
        if target is Level.COUNTY:
            return (self._municipality_code(code)[:2],)
        lookup = _kind(kind)
        served = _served(self.year, lookup, target)
        for key in (code, code[:4]) if len(code) == 6 else (code,):
            if key in served.whole:
                return (served.whole[key],)
            if key in served.split:
                return served.split[key]
            if key in served.unknown:
                raise UnknownCodeError(
                    f"{self._describe_code(code)} has no {_layer_name(lookup, target)} in {self.year}: "
                    f"{served.unknown[key]} (see docs/reference-data.md)"
                )
        raise UnknownCodeError(f"{code!r} is in no {_layer_name(lookup, target)} in {self.year}")

    def unassigned_reason(
        self, code: str, to: Level | str, *, kind: CatchmentKind | str = _DEFAULT_KIND
    ) -> str | None:
        """Why an area of this year belongs to no catchment at level ``to``, or None if it belongs to one."""
        target = _level(to, ROLL_UP_LEVELS)
        if target not in CATCHMENT_LEVELS:
            return None
        served = _served(self.year, _kind(kind), target)
        for key in (code, code[:4]) if len(code) == 6 else (code,):
            if key in served.whole or key in served.split:
                return None
            if key in served.unknown:
                return served.unknown[key]
        return None

    def catchment_basis(
        self, code: str, to: Level | str = Level.HEALTH_TRUST, *, kind: CatchmentKind | str = _DEFAULT_KIND
    ) -> CatchmentBasis:
        """Whether the catchment of ``code`` this year is published, recorded or derived, and from where.

        ``geo.catchment_basis("0402")`` in 2018 is recorded (Kongsvinger: Sykehuset Innlandet until
        1 February 2019, SKDE); most areas of 2017–2023 are derived from the published lists of 2024.
        """
        target = _level(to, CATCHMENT_LEVELS)
        self._check_area(code)
        if target is Level.HEALTH_REGION:
            target = Level.HEALTH_TRUST
        served = _served(self.year, _kind(kind), target)
        for key in (code, code[:4]) if len(code) == 6 else (code,):
            if key in served.basis:
                return served.basis[key]
        raise UnknownCodeError(f"{code!r} is in no {_layer_name(_kind(kind), target)} in {self.year}")

    def catchment_exceptions(
        self, *, kind: CatchmentKind | str = _DEFAULT_KIND
    ) -> tuple[CatchmentException, ...]:
        """The areas whose DPS belongs to another health trust than their own this year, with sources."""
        lookup = _kind(kind)
        return tuple(e for e in _exceptions(self.year) if e.kind is lookup)

    def _single_parent(self, code: str, level: Level, kind: CatchmentKind) -> str:
        found = self.parents(code, level, kind=kind)
        if len(found) == 1:
            return found[0]
        what = level.value.replace("_", " ")
        hint = (
            "ask for one of its city districts or list them with parents()"
            if len(code) == 4 and any(d.municipality == code for d in self.districts)
            else "list them with parents(); roll-ups need weights for it"
        )
        raise SplitAreaError(
            f"{self._describe_code(code)} is split between {len(found)} {what} catchments "
            f"({kind.label}) in {self.year}: {', '.join(found)}; {hint}"
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
        elif code not in self.codes(Level.DISTRICT):
            self.municipality(code[:4])  # a district of a city whose districts the data lacks this year
            raise UnknownCodeError(
                f"district code {code!r} is not in the {self.year} district list"
                if any(d.municipality == code[:4] for d in self.districts)
                else f"district code {code!r}: the reference data has no district list for {code[:4]} "
                f"in {self.year}"
            )

    def _describe_code(self, code: str) -> str:
        if len(code) == 6:
            return _describe(self.district(code))
        return _describe(self.municipality(code))

    # -- codes and membership -------------------------------------------------------------------------
    def codes(self, level: Level | str) -> frozenset[str]:
        """Every code in use at ``level`` this year (``"national"`` is SSB's ``"0"``)."""
        return _codes(self.year, _level(level))

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
            used = [y for y, names in _changes._names(level).items() if code in names]
            events: tuple[Any, ...] = ()
            try:
                if any(y < self.year for y in used):
                    events = _changes.lineage(code, level=level)
                elif used:
                    events = tuple(reversed(_changes.where_from(code, min(used), level=level)))
            except SamhandlingError:
                events = ()
            if events:
                message += "; " + "; ".join(str(e) for e in events)
            restored = [str(r) for r in _changes.restorations(level) if code in (r.old_code, r.new_code)]
            if restored:
                message += "; " + "; ".join(restored)
            return message
        return f"{code!r} is not an area code of {self.year}"

    def membership(self, to: Level | str, *, kind: CatchmentKind | str = _DEFAULT_KIND) -> pa.Table:
        """The area → parent table for rolling municipalities and districts up to level ``to``.

        Columns ``region`` (municipality or district code), ``parent`` (code at level ``to``) and
        ``weight`` (float64, the share of the region that belongs to the parent).  A region wholly in
        one parent has one row with weight 1.  A region split between parents (Oslo between health
        trusts, Levanger between DPSs) has one row per candidate with an empty weight: the shares are
        not published, so :func:`~samhandling.aggregate.roll_up` asks for district rows or weights.
        An area the data has no catchment for this year has no row (:meth:`unassigned_reason`).
        The schema metadata says the level, the kind and the year (``samhandling.membership``).

        :param kind: for health trusts, health regions and DPSs, which service's catchment.
        """
        target = _level(to, ROLL_UP_LEVELS)
        lookup = _kind(kind) if target in CATCHMENT_LEVELS else _DEFAULT_KIND
        return _membership(self.year, target, lookup)

    def catchment(self, owner: str, *, kind: CatchmentKind | str = _DEFAULT_KIND) -> Catchment:
        """The catchment (whole members) of a DPS or health trust this year, for ``kind``."""
        lookup = _kind(kind)
        for item in self.catchments:
            if item.owner == owner and item.kind is lookup:
                return item
        raise UnknownCodeError(f"no {lookup.label} catchment for {owner!r} in {self.year}")


def _layer_name(kind: CatchmentKind, level: Level) -> str:
    return f"{level.value.replace('_', ' ')} catchment for {kind.label} ({kind.value})"


# -- building ---------------------------------------------------------------------------------------------
def _valid(row: Mapping[str, str], year: int) -> bool:
    return int(row["valid_from"]) <= year <= int(row["valid_to"])


@cached
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
    }.get(level, ())
    return frozenset(item.code for item in items)


@cached
def _layer(kind: CatchmentKind, level: Level) -> tuple[Mapping[str, str], ...]:
    return tuple(r for r in rows("catchments") if r["kind"] == kind.value and r["level"] == level.value)


@cached
def _published_years(kind: CatchmentKind, level: Level) -> tuple[int, ...]:
    found: set[int] = set()
    for r in _layer(kind, level):
        if r["basis"] == "published":
            found.update(range(int(r["valid_from"]), int(r["valid_to"]) + 1))
    return tuple(sorted(found & set(years())))


def _no_layer(kind: CatchmentKind, level: Level) -> str:
    if kind is CatchmentKind.SUBSTANCE_USE:
        return (
            "no public municipality-level list of catchments for specialised substance-use treatment (TSB) "
            "has been found, so the reference data has none; use the adult mental-health catchments "
            "(kind='vop') if your health trust's TSB catchment is the same, or give your own membership "
            "through roll_up(weights=...)"
        )
    if kind is CatchmentKind.CHILD_ADOLESCENT_MENTAL_HEALTH and level is Level.DPS:
        return "child and adolescent mental health (BUP) has no DPS catchments; roll up to health_trust"
    return f"the reference data has no {_layer_name(kind, level)}"


def _area_codes(year: int) -> tuple[list[str], list[str]]:
    municipalities = sorted(_changes.codes_in(Level.MUNICIPALITY, year))
    districts = sorted(r["code"] for r in rows("districts") if _valid(r, year))
    return municipalities, districts


def _basis_of(row: Mapping[str, str]) -> CatchmentBasis:
    return CatchmentBasis(basis=row["basis"], source=row["source"], note=row.get("note", "") or "")


def _owners_in(served: _Served, code: str) -> tuple[set[str], bool, str | None]:
    """The owners serving an area of the base year, whether it is served whole, and an 'unknown' note."""
    if code in served.whole:
        return {served.whole[code]}, True, None
    if code in served.split:
        return set(served.split[code]), False, None
    if code in served.unknown:
        return set(), False, served.unknown[code]
    if len(code) == 6:
        return _owners_in(served, code[:4]) if code[:4] in served.whole else (set(), False, None)
    by_district: set[str] = set()
    for member, owner in served.whole.items():
        if len(member) == 6 and member[:4] == code:
            by_district.add(owner)
    for member, owners in served.split.items():
        if len(member) == 6 and member[:4] == code:
            by_district.update(owners)
    return by_district, False, None


def _even(split: _changes.Split) -> Sequence[float]:
    return [1.0 / len(split.new)] * len(split.new)


@cached
def _served(year: int, kind: CatchmentKind, level: Level) -> _Served:
    """The catchments of one kind and level in one year: explicit rows, then derived areas."""
    if level is Level.HEALTH_REGION:
        return _region_served(year, kind)
    published = _published_years(kind, level)
    if not published:
        raise UnknownCodeError(_no_layer(kind, level))
    whole: dict[str, str] = {}
    split: dict[str, list[str]] = defaultdict(list)
    unknown: dict[str, str] = {}
    basis: dict[str, CatchmentBasis] = {}
    for row in _layer(kind, level):
        if not _valid(row, year):
            continue
        member = row["member"]
        if row["status"] == "member":
            whole[member] = row["owner"]
        elif row["status"] == "split":
            split[member].append(row["owner"])
        else:
            unknown[member] = row.get("note", "") or "no source names it"
        basis.setdefault(member, _basis_of(row))
    municipalities, districts = _area_codes(year)
    if year not in published:
        # before the published years: from the nearest published year; after them: from the year before,
        # so that recorded changes (Alna 2026) are carried forward too
        base_year = year - 1 if year > max(published) else min(p for p in published if p > year)
        base = _served(base_year, kind, level)
        explicit = set(whole) | set(split) | set(unknown)
        missing_municipalities = [m for m in municipalities if m not in explicit]
        successors = (
            _changes.compose(Level.MUNICIPALITY, year, base_year, _even, codes=missing_municipalities)
            if missing_municipalities
            else {}
        )
        for code in missing_municipalities + [d for d in districts if d not in explicit]:
            district = _changes.district_successor(code, year, base_year)
            targets = [district] if district else [t for t, _w in successors.get(code, [])]
            owners: set[str] = set()
            all_whole = bool(targets)
            sources: set[str] = set()
            for target in targets:
                found, is_whole, gap = _owners_in(base, target)
                if gap is not None:
                    all_whole = False
                owners |= found
                all_whole = all_whole and is_whole
                origin = base.basis.get(target) or base.basis.get(target[:4])
                if origin is not None:
                    sources.update(origin.source.split(";"))
            if not owners:
                continue
            if len(owners) == 1 and all_whole:
                whole[code] = owners.pop()
            else:
                split[code] = sorted(owners)
            basis[code] = CatchmentBasis(
                basis="derived",
                source=";".join(sorted(sources | {"klass131-changes"})),
                note=f"carried from the catchments of {base_year} through the code changes",
                derived_from=base_year,
            )
    frozen_split = {k: tuple(sorted(set(v))) for k, v in split.items()}
    # A city served by district (Oslo at health-trust level) gets the owners of its districts.
    cities = {member[:4] for member in (*whole, *frozen_split) if len(member) == 6}
    provisional = _Served(whole=whole, split=frozen_split, unknown=unknown, basis=basis)
    for city in cities - set(whole) - set(frozen_split) - set(unknown):
        owners, _whole, _gap = _owners_in(provisional, city)
        if not owners:
            continue
        if len(owners) == 1:
            whole[city] = owners.pop()
        else:
            frozen_split[city] = tuple(sorted(owners))
        districts_basis = {basis[d].basis for d in basis if d[:4] == city and len(d) == 6}
        basis[city] = CatchmentBasis(
            basis="derived" if "derived" in districts_basis else next(iter(districts_basis), "published"),
            source=";".join(
                sorted(
                    {s for d in basis if d[:4] == city and len(d) == 6 for s in basis[d].source.split(";")}
                )
            ),
            note="the health trusts or DPSs of its city districts",
        )
    return _Served(whole=whole, split=frozen_split, unknown=unknown, basis=basis)


def _region_served(year: int, kind: CatchmentKind) -> _Served:
    trusts = _served(year, kind, Level.HEALTH_TRUST)
    region_of = {r["code"]: r["region"] for r in rows("health_trusts")}
    whole: dict[str, str] = {code: region_of[owner] for code, owner in trusts.whole.items()}
    split: dict[str, tuple[str, ...]] = {}
    for code, owners in trusts.split.items():
        regions = sorted({region_of[o] for o in owners})
        if len(regions) == 1:
            whole[code] = regions[0]
        else:
            split[code] = tuple(regions)
    return _Served(whole=whole, split=split, unknown=dict(trusts.unknown), basis=dict(trusts.basis))


@cached
def _dps_units(year: int) -> tuple[DPS, ...]:
    out: dict[str, DPS] = {}
    for r in rows("dps"):
        if _valid(r, year):
            out[r["code"]] = DPS(code=r["code"], name=r["name"], health_trust=r["health_trust"])
    return tuple(out[code] for code in sorted(out))


@cached
def _exceptions(year: int) -> tuple[CatchmentException, ...]:
    return tuple(
        CatchmentException(
            kind=CatchmentKind(r["kind"]),
            member=r["member"],
            health_trust=r["health_trust"],
            dps=r["dps"],
            source=r["source"],
            note=r["note"],
        )
        for r in rows("catchment_exceptions")
        if _valid(r, year)
    )


def _kinds_and_levels() -> list[tuple[CatchmentKind, Level]]:
    return [
        (kind, level)
        for kind in CatchmentKind
        for level in (Level.HEALTH_TRUST, Level.DPS)
        if _published_years(kind, level)
    ]


@cached
def _build(year: int) -> Geography:
    counties = tuple(
        sorted((County.from_row(row) for row in rows("counties") if _valid(row, year)), key=lambda c: c.code)
    )
    county_names = {c.code: c for c in counties}
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
    dps_units = _dps_units(year)

    catchments: list[Catchment] = []
    derived = False
    for kind, level in _kinds_and_levels():
        served = _served(year, kind, level)
        if kind is _DEFAULT_KIND and level is Level.HEALTH_TRUST:
            derived = any(b.basis == "derived" for b in served.basis.values())
        members: dict[str, list[str]] = defaultdict(list)
        for code, owner in served.whole.items():
            members[owner].append(code)
        catchments += [
            Catchment(owner=owner, level=level, year=year, members=tuple(codes), kind=kind)
            for owner, codes in sorted(members.items())
        ]

    indexes: dict[Level, NameIndex[Any]] = {
        lvl: NameIndex(_describe)
        for lvl in (
            Level.HEALTH_REGION,
            Level.COUNTY,
            Level.HEALTH_TRUST,
            Level.DPS,
            Level.MUNICIPALITY,
            Level.DISTRICT,
        )
    }
    for county in counties:
        indexes[Level.COUNTY].add(county.code, county.name, county, aliases=[county.short_name])
    for municipality in municipalities:
        its_county = county_names.get(municipality.county)
        indexes[Level.MUNICIPALITY].add(
            municipality.code,
            municipality.name,
            municipality,
            qualifier=its_county.name if its_county is not None else None,
            aliases=[municipality.short_name],
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
        origin="added" if year in added_years() else "shipped",
        indexes=indexes,
    )


@cached
def _membership(year: int, to: Level, kind: CatchmentKind) -> pa.Table:
    geo = _build(year)
    regions: list[str] = []
    parents: list[str] = []
    weights: list[float | None] = []
    areas = [m.code for m in geo.municipalities] + [d.code for d in geo.districts]
    for code in areas:
        if to in CATCHMENT_LEVELS and geo.unassigned_reason(code, to, kind=kind) is not None:
            continue
        try:
            found = geo.parents(code, to, kind=kind)
        except UnknownCodeError:
            continue
        weight = 1.0 if len(found) == 1 else None
        for parent in found:
            regions.append(code)
            parents.append(parent)
            weights.append(weight)
    table = pa.table(
        {
            "region": pa.array(regions, pa.string()),
            "parent": pa.array(parents, pa.string()),
            "weight": pa.array(weights, pa.float64()),
        }
    )
    import json

    meta = {"level": to.value, "year": year}
    if to in CATCHMENT_LEVELS:
        meta["kind"] = kind.value
    return table.replace_schema_metadata({"samhandling.membership": json.dumps(meta)})
