"""Region labels as SSB writes them, turned into a region code and a level.

SSB names areas in many ways, and adds rows that are not areas:

======================================================  ===================  =======================
SSB writes                                              ``region``           ``level``
======================================================  ===================  =======================
``3301 Drammen``, ``K-3301 …``, ``K.3301 …``            ``3301``             municipality
``0602 Drammen (-2019)``                                ``0602``             municipality
``33 Buskerud``, ``F-33 Buskerud``, ``EKA33 Buskerud``  ``33``               county
``030101 Gamle Oslo``, ``030101a Gamle Oslo``           ``030101``           district
``030100aa Oslo total``, ``460100 Bergen total``        ``0301``, ``4601``   municipality
``030101 Bygdøy-Frogner (1988-2003)``                   ``030101:1988-2003`` historical_district
``0 Hele landet``, ``EAK Landet``, ``TOTAL Hele landet`` ``0``                national
``K-21-22 Svalbard og Jan Mayen``, ``K-23 …``           ``21-22``, ``23``    unallocated
``K-Rest Delte kommuner og uoppgitt``                   ``Rest``             unallocated
``21`` … ``26``, ``88``, ``99`` (county), ``9999``,     as written           unallocated
``0399 Uoppgitt komm. Oslo``, ``030199 Uoppgitt …``
``02-03 Oslo og Akershus (-2019)``, ``03+30 …``         ``02-03``, ``03+30`` region_group
``001 Oslo med Bærum`` (another division)               ``001``              region_group
``EKG13 KOSTRA-gruppe 13``, ``EAKUO Landet uten Oslo``  as written           kostra_group
======================================================  ===================  =======================

A city district whose label carries the years it existed (``(1988-2003)``, ``(-2019)``) belongs to an
earlier division: SSB has given the same digits to other districts since (``030101`` was Bygdøy-Frogner
until 2003 and is Gamle Oslo now; in the same file today's district is ``030101a``).  Its code therefore
keeps the years — ``030101:1988-2003`` — and its level is ``historical_district``, so it is never taken
for today's district.  The letter suffixes SSB uses to tell the divisions apart (``a``, ``aa``) are
dropped from today's districts.

:func:`parse_region_label` reads one label; readers parse each *distinct* label once and map the result
back to the rows with a dictionary ``take``.
"""

from __future__ import annotations

import functools
import re
import typing

import attrs

from samhandling.levels import NON_AREA_LEVELS, Level

__all__ = [
    "NATIONAL_NAMES",
    "NOT_AREAS",
    "PSEUDO_COUNTIES",
    "RegionLabel",
    "UnreadableRegion",
    "parse_region_label",
]

#: Levels of rows that ``groups="drop"`` leaves out (pseudo-regions, grouped codes, KOSTRA groups).
NOT_AREAS: frozenset[str] = frozenset(
    level.value for level in NON_AREA_LEVELS if level is not Level.HISTORICAL_DISTRICT
)

#: County-level codes that are not counties: Svalbard, Jan Mayen, the continental shelf, abroad, sea
#: areas, not resident in Norway, unknown.  Municipality codes starting with them are not municipalities.
PSEUDO_COUNTIES: frozenset[str] = frozenset({"21", "22", "23", "25", "26", "88", "99"})

#: Names SSB (and its English pages) use for the whole country when no code is given.
NATIONAL_NAMES: frozenset[str] = frozenset(
    {"hele landet", "heile landet", "landet", "norge", "i alt", "the whole country", "whole country", "total"}
)

_SPAN = re.compile(
    r"\s*\((?P<span>(?P<first>\d{4})?\s*[-–]\s*(?P<last>\d{4})?|t\.?o\.?m\.?\s*(?P<until>\d{4}))\)\s*$",
    re.IGNORECASE,
)
_LABEL = re.compile(
    r"""^(?:(?P<prefix>[KFB])(?P<mark>[-.]))?
        (?P<code>\d+(?:[-+]\d+)+|\d+[a-z]{1,2}|\d+|Rest|TOTAL|EAKUO|EAFKUO|EAFK|EAK|EAB|EKA\d{2}|EKG\d{2}
                 |EK[A-Z]{1,3}\d{0,2}|EA[A-Z]{1,4})
        (?:\s+(?P<name>.*))?$""",
    re.VERBOSE,
)
_DIGIT_LEVELS = {
    1: Level.NATIONAL,
    2: Level.COUNTY,
    3: Level.REGION_GROUP,  # SSB's other divisions, e.g. the house-price regions (KLASS 30: 001 … 011)
    4: Level.MUNICIPALITY,
    6: Level.DISTRICT,
}
_PREFIX_LEVELS = {"K": Level.MUNICIPALITY, "F": Level.COUNTY, "B": Level.DISTRICT}  # by the letter
_NATIONAL_CODES = frozenset({"TOTAL", "EAK", "EAFK"})


@typing.final
@attrs.frozen(kw_only=True)
class RegionLabel:
    """What one region label means: the region code, its level and the name printed with it."""

    code: str
    level: str
    name: str = ""

    @property
    def is_area(self) -> bool:
        """Whether the label names an area of the geography (not a pseudo-region, group or KOSTRA group)."""
        return self.level not in NOT_AREAS


@typing.final
@attrs.frozen(kw_only=True)
class UnreadableRegion(Exception):
    """A region label that has no code SSB uses (raised with the label; readers add file and line)."""

    label: str
    reason: str

    def __str__(self) -> str:
        return f"region {self.label!r}: {self.reason}"


def _span(name: str) -> tuple[str, str | None]:
    """The name without a trailing ``(1988-2003)``, ``(-2019)`` or ``(t.o.m. 1971)``, and the span."""
    match = _SPAN.search(name)
    if match is None:
        return name.strip(), None
    span = f"-{match['until']}" if match["until"] else f"{match['first'] or ''}-{match['last'] or ''}"
    return name[: match.start()].strip(), span


def parse_region_label(label: str) -> RegionLabel:
    """Read one label such as ``"3301 Drammen"``, ``"K-Rest Delte kommuner"`` or ``"0 Hele landet"``.

    :raises UnreadableRegion: the label has no code (only a name), or a code of a length SSB does not use
        for areas (grunnkrets codes of 7–8 digits are not read yet).  A three-digit code belongs to another
        of SSB's divisions (the house-price regions ``001 Oslo med Bærum`` … of table 07221, KLASS 30): a
        group of areas, read as ``region_group``.
    """
    text = " ".join(label.split())
    if not text:
        raise UnreadableRegion(label=label, reason="empty region; expected a code such as '3301 Drammen'")
    if text.casefold() in NATIONAL_NAMES:
        return RegionLabel(code="0", level=Level.NATIONAL.value, name=text)
    match = _LABEL.match(text)
    if match is None:
        if text[0].isdigit() or re.match(r"[KFB][-.]", text):
            reason = (
                "the label does not start with a region code SSB uses (e.g. '3301 Drammen', 'K-3301 Drammen')"
            )
        else:
            reason = (
                "the label has no region code (only a name); the statbank writes codes when a table is "
                "downloaded with 'code and text' or 'code' (e.g. '3301 Drammen')"
            )
        raise UnreadableRegion(label=label, reason=reason)
    prefix, code = match["prefix"], match["code"]
    if prefix is not None:
        prefix = f"{prefix}{match['mark']}"  # "K-" or, in some downloads, "K."
    name, span = _span(match["name"] or "")
    if code == "Rest":
        return RegionLabel(code=code, level=Level.UNALLOCATED.value, name=name)
    if re.fullmatch(r"\d+(?:[-+]\d+)+", code):
        parts = re.split(r"[-+]", code)
        level = Level.UNALLOCATED if all(p in PSEUDO_COUNTIES for p in parts) else Level.REGION_GROUP
        return RegionLabel(code=code, level=level.value, name=name)
    digits = code.rstrip("abcdefghijklmnopqrstuvwxyz")
    if digits.isdigit():
        return _numbered(label, prefix, code, digits, name, span)
    if prefix is not None:
        raise UnreadableRegion(label=label, reason=f"prefix '{prefix}' must be followed by a code")
    if code in _NATIONAL_CODES:
        return RegionLabel(code="0", level=Level.NATIONAL.value, name=name or "Landet")
    if code.startswith("EKA") and code[3:].isdigit() and len(code) == 5:
        # KOSTRA reports "the municipalities of county NN" with code EKANN: the county as a whole.
        return RegionLabel(code=code[3:], level=Level.COUNTY.value, name=name)
    return RegionLabel(code=code, level=Level.KOSTRA_GROUP.value, name=name)


def _numbered(
    label: str, prefix: str | None, code: str, digits: str, name: str, span: str | None
) -> RegionLabel:
    level = _DIGIT_LEVELS.get(len(digits))
    if level is None:
        raise UnreadableRegion(
            label=label,
            reason=(
                f"a code of {len(digits)} digits is not an area level the library reads; expected 0 (the "
                f"country), 2 digits (county), 3 (another of SSB's divisions, read as a region group), 4 "
                f"(municipality) or 6 digits (city district) — grunnkrets (7–8 digits) are not read yet"
            ),
        )
    if digits != code and level is not Level.DISTRICT:
        raise UnreadableRegion(label=label, reason=f"letters after a {len(digits)}-digit code are not SSB's")
    if level is Level.REGION_GROUP and _lost_leading_zero(digits, name):
        raise UnreadableRegion(
            label=label,
            reason=(
                f"'{label.strip()}' is municipality 0{digits} with its leading zero lost (a spreadsheet "
                f"drops it); read the file as SSB wrote it, or write the codes as text"
            ),
        )
    if prefix is not None and _PREFIX_LEVELS[prefix[0]] is not level:
        if not (prefix[0] == "K" and len(digits) == 2 and digits in PSEUDO_COUNTIES):
            raise UnreadableRegion(
                label=label,
                reason=(
                    f"prefix '{prefix}' means a {_PREFIX_LEVELS[prefix[0]].value}, but {code!r} is not one"
                ),
            )
        return RegionLabel(code=digits, level=Level.UNALLOCATED.value, name=name)
    if level in (Level.COUNTY, Level.MUNICIPALITY) and digits[:2] in PSEUDO_COUNTIES:
        return RegionLabel(code=digits, level=Level.UNALLOCATED.value, name=name)
    if level is Level.MUNICIPALITY and digits.endswith("99"):
        # "0399 Uoppgitt komm. Oslo": the county's unknown municipality; no municipality ends in 99.
        return RegionLabel(code=digits, level=Level.UNALLOCATED.value, name=name)
    if level is not Level.DISTRICT:
        return RegionLabel(code=digits, level=level.value, name=name)
    # City districts: NNNN00 is the city as a whole, NNNN99 its unknown district.
    if span is not None:
        kind = Level.UNALLOCATED if digits.endswith("99") else Level.HISTORICAL_DISTRICT
        return RegionLabel(code=f"{digits}:{span}", level=kind.value, name=name)
    if digits.endswith("00"):
        return RegionLabel(code=digits[:4], level=Level.MUNICIPALITY.value, name=name)
    if digits.endswith("99"):
        return RegionLabel(code=digits, level=Level.UNALLOCATED.value, name=name)
    return RegionLabel(code=digits, level=Level.DISTRICT.value, name=name)


def _lost_leading_zero(digits: str, name: str) -> bool:
    """Whether a three-digit code is a municipality's code without its leading zero: ``0`` and the code
    is a municipality of a shipped year, and the label gives its name or no name at all."""
    known = _municipalities_by_name()
    code = f"0{digits}"
    if name.strip():
        return (code, name.strip().casefold()) in known
    return any(c == code for c, _ in known)


@functools.cache
def _municipalities_by_name() -> frozenset[tuple[str, str]]:
    """(code, name) of every municipality of the shipped years: a three-digit label that is one of them
    with its leading zero dropped (``301 Oslo``) is told apart from SSB's own three-digit divisions."""
    from samhandling.geography import SHIPPED_YEARS, Geography

    found: set[tuple[str, str]] = set()
    for year in SHIPPED_YEARS:
        geography = Geography.for_year(year)
        for code in geography.codes(Level.MUNICIPALITY):
            municipality = geography.municipality(code)
            found.add((code, municipality.name.casefold()))
            if municipality.short_name:
                found.add((code, municipality.short_name.casefold()))
    return frozenset(found)
