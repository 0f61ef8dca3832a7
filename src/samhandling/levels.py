"""The levels an area code can belong to, from the country down to the city district."""

from __future__ import annotations

import enum

__all__ = ["LEVEL_ORDER", "Level"]


class Level(enum.StrEnum):
    """Level of an area in the ``level`` column of a StatTable."""

    NATIONAL = "national"
    HEALTH_REGION = "health_region"
    COUNTY = "county"
    HEALTH_TRUST = "health_trust"
    DPS = "dps"
    MUNICIPALITY = "municipality"
    DISTRICT = "district"


#: Levels from the largest area to the smallest.
LEVEL_ORDER: tuple[Level, ...] = tuple(Level)
"""Levels from the largest area (the country) to the smallest (the city district)."""
