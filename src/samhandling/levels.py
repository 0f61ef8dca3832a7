"""The levels an area code can belong to, from the country down to the city district, and the levels of
rows that statistics tables carry beside the areas (pseudo-regions, groups of areas, KOSTRA groups).

Areas (:data:`AREA_LEVELS`) are the units of the geography: they have a place on the map of a year, and
harmonising and rolling up work on them.  The other levels (:data:`NON_AREA_LEVELS`) are rows SSB
publishes next to the areas: they are kept with their own code and level, never merged into an area, and
harmonise and roll-up pass them by (see ``docs/concepts/stattable.md``).
"""

from __future__ import annotations

import enum

__all__ = ["AREA_LEVELS", "LEVEL_ORDER", "NON_AREA_LEVELS", "Level"]


class Level(enum.StrEnum):
    """Level of a row's ``region`` in the ``level`` column of a StatTable."""

    NATIONAL = "national"
    HEALTH_REGION = "health_region"
    COUNTY = "county"
    HEALTH_TRUST = "health_trust"
    DPS = "dps"
    MUNICIPALITY = "municipality"
    DISTRICT = "district"
    UNALLOCATED = "unallocated"
    """Outside the division into counties and municipalities, or not known: Svalbard and Jan Mayen, the
    continental shelf, abroad, sea areas, not resident in Norway, unknown county/municipality/district
    (``99``, ``9999``, ``030199``) and SSB's ``K-Rest`` (municipalities divided between others, and
    unknown)."""
    REGION_GROUP = "region_group"
    """Several areas reported as one: ``02-03 Oslo og Akershus (-2019)``, ``03+30 Oslo og Viken``."""
    KOSTRA_GROUP = "kostra_group"
    """KOSTRA's comparison groups of municipalities (``EKG13``) and aggregates such as the country
    without Oslo (``EAKUO``)."""
    HISTORICAL_DISTRICT = "historical_district"
    """A city district of an earlier division whose code may be in use again for another district
    (``030101 Bygdøy-Frogner (1988-2003)``); its code carries the years: ``030101:1988-2003``."""


#: Areas of the geography, from the largest (the country) to the smallest (the city district).
AREA_LEVELS: tuple[Level, ...] = (
    Level.NATIONAL,
    Level.HEALTH_REGION,
    Level.COUNTY,
    Level.HEALTH_TRUST,
    Level.DPS,
    Level.MUNICIPALITY,
    Level.DISTRICT,
)
"""Areas of the geography, from the largest (the country) to the smallest (the city district)."""

#: Levels of rows that are not areas of the geography; kept as rows, passed by harmonise and roll-up.
NON_AREA_LEVELS: tuple[Level, ...] = (
    Level.UNALLOCATED,
    Level.REGION_GROUP,
    Level.KOSTRA_GROUP,
    Level.HISTORICAL_DISTRICT,
)
"""Levels of rows that are not areas of the geography; kept as rows, passed by harmonise and roll-up."""

LEVEL_ORDER: tuple[Level, ...] = AREA_LEVELS
"""Area levels from the largest area (the country) to the smallest (the city district)."""
