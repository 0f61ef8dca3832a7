"""Names for the region codes of a table, for exporters that write for people (Excel, JSON-stat labels)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from samhandling.errors import YearNotCoveredError

__all__ = ["NATIONAL_NAME", "region_names"]

log = logging.getLogger(__name__)

#: SSB's label for the whole country (region code ``"0"``).
NATIONAL_NAME = "Hele landet"

_AREA_KINDS = ("counties", "municipalities", "districts", "health_regions", "health_trusts", "dps")


def region_names(codes: Iterable[str], year: int | None) -> dict[str, str]:
    """Names of the given region codes in the geography of ``year`` (codes it does not know are left out).

    Exporters call this to label regions; a table without a geography year, or a year the embedded
    geography does not cover, simply gets no names (the codes are always written).
    """
    from samhandling.geography import Geography  # imported on use: it loads the reference data

    wanted = set(codes)
    names = {"0": NATIONAL_NAME} if "0" in wanted else {}
    if year is None:
        return names
    try:
        geography = Geography.for_year(year)
    except YearNotCoveredError as exc:
        log.debug("no region names for geography year %s: %s", year, exc)
        return names
    for kind in _AREA_KINDS:
        for area in getattr(geography, kind):
            if area.code in wanted:
                names.setdefault(area.code, str(area.name))
    return names
