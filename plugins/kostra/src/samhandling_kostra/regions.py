"""Region labels as SSB writes them, turned into an area code and a level.

SSB's tables name areas in several ways: ``3301 Drammen`` (code and name), ``K-3301 Drammen`` (a
municipality in the aggregated time series codelist), ``F-33 Buskerud`` (a county), ``0 Hele landet`` or
``EAK Landet`` (the whole country), ``EKA33`` (the municipalities of a county, which KOSTRA reports as the
county), ``030101 Gamle Oslo`` (a city district), ``0602 Drammen (-2019)`` (a code no longer in use) and
the KOSTRA comparison groups ``EKG13 KOSTRA-gruppe 13`` and ``EAKUO Landet uten Oslo``.

:func:`parse_region_label` reads one label; :func:`parse_region_column` reads a whole column by parsing
each *distinct* label once and mapping the result back with a dictionary ``take`` — a column of a
million rows with 400 municipalities costs 400 parses.

KOSTRA groups and "the country without Oslo" are comparison aggregates, not areas of the geography, so
they get the levels :data:`KOSTRA_GROUP` and :data:`AGGREGATE`, which are not StatTable levels; the
readers drop or refuse them (see ``groups=`` on the readers).
"""

from __future__ import annotations

import re
import typing

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.levels import Level

__all__ = [
    "AGGREGATE",
    "COMPARISON_LEVELS",
    "KOSTRA_GROUP",
    "NATIONAL_NAMES",
    "RegionLabel",
    "UnreadableRegion",
    "parse_region_column",
    "parse_region_label",
]

#: Level of a KOSTRA comparison group (``EKG01`` … ``EKG17``).
KOSTRA_GROUP = "kostra_group"
#: Level of another statistical aggregate that is not an area (``EAKUO`` the country without Oslo).
AGGREGATE = "aggregate"
#: Levels a label may have that are not StatTable levels.
COMPARISON_LEVELS: frozenset[str] = frozenset({KOSTRA_GROUP, AGGREGATE})

#: Names SSB (and its English pages) use for the whole country when no code is given.
NATIONAL_NAMES: frozenset[str] = frozenset(
    {"hele landet", "heile landet", "landet", "norge", "i alt", "the whole country", "whole country", "total"}
)

_YEARS_SUFFIX = re.compile(r"\s*\((?:\d{4})?\s*[-–]\s*(?:\d{4})?\)\s*$")
_LABEL = re.compile(
    r"""^(?:(?P<prefix>[KFB])-)?
        (?P<code>\d+|EAKUO|EAFKUO|EAFK|EAK|EKA\d{2}|EKG\d{2}|EK[A-Z]{1,3}\d{0,2}|EA[A-Z]{1,4})
        (?:\s+(?P<name>.*))?$""",
    re.VERBOSE,
)
_DIGIT_LEVELS = {1: Level.NATIONAL, 2: Level.COUNTY, 4: Level.MUNICIPALITY, 6: Level.DISTRICT}
_PREFIX_LEVELS = {"K": Level.MUNICIPALITY, "F": Level.COUNTY, "B": Level.DISTRICT}


@typing.final
@attrs.frozen(kw_only=True)
class RegionLabel:
    """What one region label means: the area code, its level and the name printed with it."""

    code: str
    level: str
    name: str = ""

    @property
    def is_area(self) -> bool:
        """Whether the label names an area of the geography (not a comparison aggregate)."""
        return self.level not in COMPARISON_LEVELS


@typing.final
@attrs.frozen(kw_only=True)
class UnreadableRegion(Exception):
    """A region label that has no code SSB uses (raised with the label; readers add file and line)."""

    label: str
    reason: str

    def __str__(self) -> str:
        return f"region {self.label!r}: {self.reason}"


def parse_region_label(label: str) -> RegionLabel:
    """Read one label such as ``"3301 Drammen"``, ``"K-3301 Drammen"`` or ``"0 Hele landet"``.

    :raises UnreadableRegion: the label has no code (only a name), or a code of a length SSB does not use
        for areas (grunnkrets codes of 7–8 digits are not supported).
    """
    text = " ".join(label.split())
    if not text:
        raise UnreadableRegion(label=label, reason="empty region; expected a code such as '3301 Drammen'")
    if text.casefold() in NATIONAL_NAMES:
        return RegionLabel(code="0", level=Level.NATIONAL.value, name=text)
    match = _LABEL.match(text)
    if match is None:
        raise UnreadableRegion(
            label=label,
            reason=(
                "no area code in the label; download the table with codes and texts "
                "(e.g. '3301 Drammen') or give region codes"
            ),
        )
    prefix, code = match["prefix"], match["code"]
    name = _YEARS_SUFFIX.sub("", match["name"] or "").strip()
    if code.isdigit():
        level = _DIGIT_LEVELS.get(len(code))
        if prefix is not None and _PREFIX_LEVELS[prefix] is not level:
            raise UnreadableRegion(
                label=label,
                reason=f"prefix '{prefix}-' means a {_PREFIX_LEVELS[prefix].value}, but {code!r} is not one",
            )
        if level is None:
            raise UnreadableRegion(
                label=label,
                reason=(
                    f"a code of {len(code)} digits is not an area level the library knows; expected 0 (the "
                    f"country), 2 (county), 4 (municipality) or 6 digits (city district)"
                ),
            )
        return RegionLabel(code=code, level=level.value, name=name)
    if prefix is not None:
        raise UnreadableRegion(label=label, reason=f"prefix '{prefix}-' must be followed by digits")
    if code == "EAK":
        return RegionLabel(code="0", level=Level.NATIONAL.value, name=name or "Landet")
    if code.startswith("EKA") and code[3:].isdigit() and len(code) == 5:
        # KOSTRA reports "the municipalities of county NN" with code EKANN: the county as a whole.
        return RegionLabel(code=code[3:], level=Level.COUNTY.value, name=name)
    if code.startswith("EKG"):
        return RegionLabel(code=code, level=KOSTRA_GROUP, name=name)
    return RegionLabel(code=code, level=AGGREGATE, name=name)


def _unique_strings(column: pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """The distinct texts of ``column`` and the position of every row in them."""
    if pa.types.is_dictionary(column.type):
        encoded = column.unify_dictionaries().combine_chunks() if column.num_chunks > 1 else column.chunk(0)
    else:
        encoded = pc.dictionary_encode(column.combine_chunks() if column.num_chunks != 1 else column.chunk(0))
    return encoded.dictionary, encoded.indices


def parse_region_column(
    column: pa.ChunkedArray | pa.Array,
) -> tuple[pa.Array, pa.Array, pa.Array, dict[str, RegionLabel]]:
    """Codes, levels and names for a whole column, parsing each distinct label once.

    :returns: ``(code, level, name, labels)`` — three string arrays as long as ``column`` and the parsed
        label of every distinct text.
    :raises UnreadableRegion: for the first distinct label that cannot be read (``label`` says which).
    """
    chunked = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    dictionary, indices = _unique_strings(chunked)
    parsed: dict[str, RegionLabel] = {}
    for text in dictionary.to_pylist():
        parsed[text] = parse_region_label("" if text is None else text)
    labels = list(parsed.values())
    codes = pa.array([p.code for p in labels], pa.string()).take(indices)
    levels = pa.array([p.level for p in labels], pa.string()).take(indices)
    names = pa.array([p.name for p in labels], pa.string()).take(indices)
    return codes, levels, names, parsed
