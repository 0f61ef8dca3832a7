"""The plugin's sources, as :func:`samhandling.read` finds them.

* ``ssb-csv`` — a statbank CSV download (:func:`samhandling_kostra.read_statbank_csv`);
* ``jsonstat`` — a JSON-stat file, 2.0 or 1.x (:func:`samhandling_kostra.read_jsonstat`);
* ``ssb-px`` — a PX (PC-Axis) file (:func:`samhandling_kostra.read_px`);
* ``ssb-api`` — a PxWebApi v2 data URL, fetched through :class:`samhandling_kostra.PxWebClient`
  (with its disk cache and rate limit).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

from samhandling.tables import StatTable

__all__ = ["JsonStatSource", "PxSource", "PxWebSource", "StatbankCsvSource"]


@typing.final
class StatbankCsvSource:
    """SSB statbank CSV (any layout, encoding, separator and decimal mark SSB produces)."""

    name = "ssb-csv"
    description = (
        "SSB statbank/KOSTRA CSV download (semicolon/comma/tab, UTF-8 or Windows-1252, long or wide)"
    )

    def can_read(self, location: str | Path) -> bool:
        """A local ``.csv``/``.txt``/``.tsv`` file with a separator in its first lines."""
        from samhandling_kostra.statbank import looks_like_statbank_csv

        return not _is_url(location) and looks_like_statbank_csv(location)

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read the file; options as :func:`samhandling_kostra.read_statbank_csv`."""
        from samhandling_kostra.statbank import read_statbank_csv

        return read_statbank_csv(location, **options)


@typing.final
class JsonStatSource:
    """JSON-stat 2.0 datasets and collections and JSON-stat 1.x bundles and datasets (SSB, FHI, and
    samhandling's own JSON-stat files)."""

    name = "jsonstat"
    description = "JSON-stat 2.0 dataset or collection, or JSON-stat 1.x bundle (statbank, PxWebApi)"

    def can_read(self, location: str | Path) -> bool:
        """A local ``.json``/``.jsonstat`` file that starts like a JSON-stat document."""
        from samhandling_kostra.jsonstat import looks_like_jsonstat

        return not _is_url(location) and looks_like_jsonstat(location)

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read the file; options as :func:`samhandling_kostra.read_jsonstat`."""
        from samhandling_kostra.jsonstat import read_jsonstat

        return read_jsonstat(location, **options)


@typing.final
class PxSource:
    """PX (PC-Axis) files, the statbank's native format."""

    name = "ssb-px"
    description = "PX (PC-Axis) file from SSB's statbank or another PxWeb (.px)"

    def can_read(self, location: str | Path) -> bool:
        """A local ``.px`` file, or a file that starts with PX keywords."""
        from samhandling_kostra.px import looks_like_px

        return not _is_url(location) and looks_like_px(location)

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read the file; options as :func:`samhandling_kostra.read_px`."""
        from samhandling_kostra.px import read_px

        return read_px(location, **options)


@typing.final
class PxWebSource:
    """A PxWebApi v2 ``/tables/{id}/data`` URL (SSB's statbank API), with cache and rate limit."""

    name = "ssb-api"
    description = "SSB PxWebApi v2 data URL (https://data.ssb.no/api/pxwebapi/v2/tables/…/data?…)"

    def can_read(self, location: str | Path) -> bool:
        """An http(s) URL of a PxWebApi v2 table's data."""
        text = str(location)
        return _is_url(text) and re.search(r"/tables/[^/?#]+/data(?:[?#]|$)", text) is not None

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Fetch the URL; ``refresh=True`` bypasses the cache, other options go to the client."""
        from samhandling_kostra.pxweb import PxWebClient

        refresh = bool(options.pop("refresh", False))
        read_options = {k: options.pop(k) for k in ("groups", "categories", "geography_year") if k in options}
        client = PxWebClient.for_url(str(location), **options)
        try:
            return client.read_url(str(location), refresh=refresh, **read_options)
        finally:
            client.close()


def _is_url(location: str | Path) -> bool:
    return isinstance(location, str) and "://" in location
