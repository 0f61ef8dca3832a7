"""Areas: the places statistics are counted for and the specialist-care areas they are grouped into.

Two hierarchies meet here.  The administrative one is fylke → kommune → bydel (county, municipality,
city district), with SSB's codes: a municipality code has four digits and starts with its county's two
(``"3301"`` Drammen is in county ``"33"`` Buskerud), a district code has six and starts with its
municipality's four (``"030101"`` Gamle Oslo).  The specialist-care one is regionalt helseforetak →
helseforetak → DPS (health region, health trust, community mental-health centre).  The two are tied by
*opptaksområder* (:class:`Catchment`): which municipalities or districts one DPS or health trust serves in
a given year.  That is what lets the library show figures at DPS and health-trust level.

These classes describe single areas.  Which areas exist in which year, code changes and the embedded
reference data live in :mod:`samhandling.geography`; numbers live in StatTables.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from samhandling.errors import ValidationError
from samhandling.levels import Level
from samhandling.model import _validators as v

__all__ = [
    "DPS",
    "Catchment",
    "CatchmentKind",
    "County",
    "District",
    "HealthRegion",
    "HealthTrust",
    "Municipality",
]


def _valid_in(valid_from: int | None, valid_to: int | None, year: int) -> bool:
    return (valid_from is None or valid_from <= year) and (valid_to is None or year <= valid_to)


def _name_field() -> Any:
    return attrs.field(converter=v.strip_text, validator=v.text)


def _valid_from_field() -> Any:
    return attrs.field(default=None, converter=v.to_optional_int, validator=v.optional(v.year))


def _valid_to_field() -> Any:
    return attrs.field(
        default=None,
        converter=v.to_optional_int,
        validator=[v.optional(v.year), v.not_before("valid_from")],
    )


def _text(row: Mapping[str, Any], key: str, cls: str) -> str:
    try:
        value = row[key]
    except KeyError:
        raise ValidationError(f"{cls}.from_row: the row has no {key!r} (keys found: {sorted(row)})") from None
    return value if isinstance(value, str) else str(value)


def _optional(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _prefix(length: int) -> Any:
    """Default for a parent code: the first ``length`` characters of ``code`` (the validator checks it)."""

    def default(self: Any) -> str:
        return self.code[:length] if isinstance(self.code, str) else ""

    return attrs.Factory(default, takes_self=True)


def _prefix_of_code(length: int, parent: str) -> v.Validator:
    """The parent code (``county``, ``municipality``) is the first ``length`` digits of ``code``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if instance.code[:length] != value:
            v.fail(
                instance,
                attribute,
                value,
                f"does not match code {instance.code!r} (a {parent} code is the first {length} digits "
                f"of the code, here {instance.code[:length]!r})",
            )

    return check


@typing.final
@attrs.frozen(kw_only=True)
class County:
    """A fylke, with SSB's two-digit code (``"03"`` Oslo, ``"33"`` Buskerud from 2024).

    ``valid_from``/``valid_to`` are the first and last year the code was in use (``None``: open), since
    the regional reforms of 2020 and 2024 changed most counties.
    """

    code: str = attrs.field(validator=v.matches(v.COUNTY_CODE))
    name: str = _name_field()
    valid_from: int | None = _valid_from_field()
    valid_to: int | None = _valid_to_field()
    short_name: str = attrs.field(default="", converter=v.strip_text)
    """The everyday Norwegian name when the official one has several forms (``"Troms"`` for
    ``"Troms - Romsa - Tromssa"``); empty when it is the official name."""

    @property
    def level(self) -> Level:
        """Always :attr:`Level.COUNTY`."""
        return Level.COUNTY

    def valid_in(self, year: int) -> bool:
        """Whether the code was in use in ``year``."""
        return _valid_in(self.valid_from, self.valid_to, year)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> County:
        """Build from a table row with ``code``, ``name`` and optional ``valid_from``/``valid_to``."""
        return cls(
            code=_text(row, "code", cls.__name__),
            name=_text(row, "name", cls.__name__),
            valid_from=_optional(row, "valid_from"),
            valid_to=_optional(row, "valid_to"),
            short_name=_optional(row, "short_name") or "",
        )


@typing.final
@attrs.frozen(kw_only=True)
class Municipality:
    """A kommune, with SSB's four-digit code whose first two digits are the county (``"3301"`` Drammen).

    ``county`` defaults to the first two digits of ``code`` and, if given, must equal them: a code and a
    county that disagree are a sign of mixing two years' classifications.  Codes change with mergers
    and county reforms; ``valid_from``/``valid_to`` bound the years this code was in use.
    """

    code: str = attrs.field(validator=v.matches(v.MUNICIPALITY_CODE))
    name: str = _name_field()
    county: str = attrs.field(
        default=_prefix(2), validator=[v.matches(v.COUNTY_CODE), _prefix_of_code(2, "county")]
    )
    valid_from: int | None = _valid_from_field()
    valid_to: int | None = _valid_to_field()
    short_name: str = attrs.field(default="", converter=v.strip_text)
    """The everyday name when SSB's official name has several forms or a qualifier (``"Kautokeino"`` for
    ``"Guovdageaidnu - Kautokeino"``, ``"Herøy"`` for ``"Herøy (Nordland)"``); empty when it is the official
    name.  Lookups find the area by it too."""

    @property
    def level(self) -> Level:
        """Always :attr:`Level.MUNICIPALITY`."""
        return Level.MUNICIPALITY

    def valid_in(self, year: int) -> bool:
        """Whether the code was in use in ``year``."""
        return _valid_in(self.valid_from, self.valid_to, year)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Municipality:
        """Build from a row with ``code``, ``name`` and optional ``county``, ``valid_from``, ``valid_to``.

        Codes are taken as text: a code read as the number ``301`` is rejected, not padded, because the
        leading zero cannot be told apart from a missing digit.
        """
        county = _optional(row, "county")
        return cls(
            code=_text(row, "code", cls.__name__),
            name=_text(row, "name", cls.__name__),
            valid_from=_optional(row, "valid_from"),
            valid_to=_optional(row, "valid_to"),
            short_name=_optional(row, "short_name") or "",
            **({} if county is None else {"county": str(county)}),
        )


@typing.final
@attrs.frozen(kw_only=True)
class District:
    """A bydel in Oslo, Bergen, Trondheim or Stavanger, with a six-digit code (``"030101"`` Gamle Oslo).

    ``municipality`` defaults to the first four digits of ``code`` and, if given, must equal them.
    DPS catchments in the big cities are drawn by district, which is why districts are areas here.
    """

    code: str = attrs.field(validator=v.matches(v.DISTRICT_CODE))
    name: str = _name_field()
    municipality: str = attrs.field(
        default=_prefix(4), validator=[v.matches(v.MUNICIPALITY_CODE), _prefix_of_code(4, "municipality")]
    )
    valid_from: int | None = _valid_from_field()
    valid_to: int | None = _valid_to_field()

    @property
    def level(self) -> Level:
        """Always :attr:`Level.DISTRICT`."""
        return Level.DISTRICT

    def valid_in(self, year: int) -> bool:
        """Whether the code was in use in ``year``."""
        return _valid_in(self.valid_from, self.valid_to, year)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> District:
        """Build from a row with ``code``, ``name`` and optional ``municipality`` and validity years.

        Codes are taken as text, as for :meth:`Municipality.from_row`.
        """
        municipality = _optional(row, "municipality")
        return cls(
            code=_text(row, "code", cls.__name__),
            name=_text(row, "name", cls.__name__),
            valid_from=_optional(row, "valid_from"),
            valid_to=_optional(row, "valid_to"),
            **({} if municipality is None else {"municipality": str(municipality)}),
        )


@typing.final
@attrs.frozen(kw_only=True)
class HealthRegion:
    """A regionalt helseforetak (RHF): Helse Sør-Øst, Helse Vest, Helse Midt-Norge or Helse Nord.

    There is no official numeric code, so the code is a slug such as ``"helse-sor-ost"``.
    """

    code: str = attrs.field(validator=v.matches(v.IDENTIFIER))
    name: str = _name_field()

    @property
    def level(self) -> Level:
        """Always :attr:`Level.HEALTH_REGION`."""
        return Level.HEALTH_REGION


@typing.final
@attrs.frozen(kw_only=True)
class HealthTrust:
    """A helseforetak (HF) such as Vestre Viken HF, owned by the health region ``region`` (its code).

    The health trust is the municipality's partner in the statutory cooperation agreement
    (samarbeidsavtale) and runs the DPSs, TSB and BUP units.
    """

    code: str = attrs.field(validator=v.matches(v.IDENTIFIER))
    name: str = _name_field()
    region: str = attrs.field(validator=v.matches(v.IDENTIFIER))
    valid_from: int | None = _valid_from_field()
    valid_to: int | None = _valid_to_field()

    @property
    def level(self) -> Level:
        """Always :attr:`Level.HEALTH_TRUST`."""
        return Level.HEALTH_TRUST

    def valid_in(self, year: int) -> bool:
        """Whether the health trust existed in ``year``."""
        return _valid_in(self.valid_from, self.valid_to, year)


@typing.final
@attrs.frozen(kw_only=True)
class DPS:
    """A distriktspsykiatrisk senter, run by the health trust ``health_trust`` (its code).

    The DPS is the level of specialist care closest to the municipalities, and the usual partner in
    cooperation teams (samhandlingsteam) and FACT teams; its :class:`Catchment` says whom it serves.
    """

    code: str = attrs.field(validator=v.matches(v.IDENTIFIER))
    name: str = _name_field()
    health_trust: str = attrs.field(validator=v.matches(v.IDENTIFIER))
    valid_from: int | None = _valid_from_field()
    valid_to: int | None = _valid_to_field()

    @property
    def level(self) -> Level:
        """Always :attr:`Level.DPS`."""
        return Level.DPS

    def valid_in(self, year: int) -> bool:
        """Whether the DPS existed in ``year``."""
        return _valid_in(self.valid_from, self.valid_to, year)


_CATCHMENT_LEVELS = (Level.DPS, Level.HEALTH_TRUST)


class CatchmentKind(enum.StrEnum):
    """Which specialist service a catchment (opptaksområde) is for: they are drawn per service.

    A municipality can belong to one health trust for adults and another for children (4635 Gulen:
    Helse Bergen for adult mental health, Helse Førde for child and adolescent mental health, 2024).
    """

    ADULT_MENTAL_HEALTH = "vop"
    """Psykisk helsevern for voksne (VOP): health trusts and their DPSs."""
    CHILD_ADOLESCENT_MENTAL_HEALTH = "bup"
    """Psykisk helsevern for barn og unge (BUP): health trusts; BUP units have no DPS catchments."""
    SUBSTANCE_USE = "tsb"
    """Tverrfaglig spesialisert rusbehandling (TSB): no public municipality-level list has been found, so
    the reference data has none; asking for it raises an error that says so."""

    @property
    def label(self) -> str:
        """The Norwegian name of the service."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    CatchmentKind.ADULT_MENTAL_HEALTH: "psykisk helsevern for voksne",
    CatchmentKind.CHILD_ADOLESCENT_MENTAL_HEALTH: "psykisk helsevern for barn og unge",
    CatchmentKind.SUBSTANCE_USE: "tverrfaglig spesialisert rusbehandling",
}


def _to_kind(value: CatchmentKind | str) -> CatchmentKind:
    return v.coerce_enum(CatchmentKind, value)


def _to_level(value: Level | str) -> Level:
    """``"dps"`` → :attr:`Level.DPS`; an unknown value is left for the validator to report."""
    try:
        return Level(value)
    except ValueError:
        return typing.cast(Level, value)


def _catchment_level(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in _CATCHMENT_LEVELS:
        v.fail(
            instance, attribute, value, "is not a catchment level (expected Level.DPS or Level.HEALTH_TRUST)"
        )


@typing.final
@attrs.frozen(kw_only=True)
class Catchment:
    """An opptaksområde: the municipalities and districts one DPS or health trust serves in one year.

    ``owner`` is the DPS or health-trust code and ``level`` says which (:attr:`Level.DPS` or
    :attr:`Level.HEALTH_TRUST`); ``kind`` is the service the catchment is for (adult mental health by
    default, :class:`CatchmentKind`).  ``members`` are four-digit municipality or six-digit district codes;
    they are deduplicated and sorted, so two catchments with the same members compare equal.  Big-city
    municipalities are split between DPSs by district, so a municipality can appear in several catchments
    only through its districts.
    """

    owner: str = attrs.field(validator=v.matches(v.IDENTIFIER))
    level: Level = attrs.field(converter=_to_level, validator=_catchment_level)
    year: int = attrs.field(validator=v.year)
    members: tuple[str, ...] = attrs.field(
        converter=v.to_sorted_unique,
        validator=[v.non_empty("at least one municipality or district code"), v.each(v.matches(v.AREA_CODE))],
    )
    kind: CatchmentKind = attrs.field(
        default=CatchmentKind.ADULT_MENTAL_HEALTH, converter=_to_kind, validator=v.member_of(CatchmentKind)
    )

    def covers(self, code: str) -> bool:
        """Whether the area ``code`` is served by this catchment.

        A district is covered when it or its whole municipality is a member.  A municipality is covered
        only when it is a member as a whole: if only some of its districts are members, it is split
        between catchments and ``covers`` says ``False``.
        """
        return code in self.members or (len(code) == 6 and code[:4] in self.members)

    @property
    def municipalities(self) -> tuple[str, ...]:
        """The municipality codes with at least part of their area in the catchment, sorted."""
        return tuple(sorted({member[:4] for member in self.members}))
