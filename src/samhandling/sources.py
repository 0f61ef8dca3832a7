"""Reading data: the :class:`Source` protocol and :func:`read`, which finds the right source plugin.

A source turns a location (a file, a folder or a URL) into a :class:`~samhandling.tables.StatTable`.
Sources come from plugins (``samhandling_register_sources``); :func:`read` asks each registered
source whether it ``can_read`` the location, unless the caller names one with ``source=``.

Every table read passes through :func:`read`, so what must hold for every source is checked here,
once: a table has one value per key (duplicate keys are an error naming the file, the key and the
rows, or with ``allow_duplicates=True`` a finding kept in the table's metadata); an ``encoding``
option names a codec that exists; an error from a source's libraries names the file.
"""

from __future__ import annotations

import codecs
import logging
import os
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from samhandling.errors import DuplicateKeyError, SamhandlingError, SourceError
from samhandling.hookspecs import hookimpl

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager
    from samhandling.tables import StatTable

__all__ = ["Source", "find_source", "read", "read_from", "sources"]

log = logging.getLogger(__name__)

# The file or folder each table returned by read() came from, so that exporting a table over its own
# input can be refused (tables are compared by identity; the entry goes when the table does).
_READ_FROM: weakref.WeakKeyDictionary[StatTable, str] = weakref.WeakKeyDictionary()


@runtime_checkable
class Source(Protocol):
    """What a source plugin provides.  ``name`` is what users pass as ``source=``."""

    name: str
    description: str

    def can_read(self, location: str | Path) -> bool:
        """Cheap test (suffix, first bytes) whether this source understands ``location``."""
        ...

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read ``location`` into a validated StatTable; raise ParseError naming file/line/column."""
        ...


def sources(plugin_manager: PluginManager | None = None) -> list[Source]:
    """Every registered source, built-ins first."""
    from samhandling.plugins import resolve_plugin_manager

    return list(resolve_plugin_manager(plugin_manager).registry.sources)


def find_source(location: str | Path, *, plugin_manager: PluginManager | None = None) -> Source:
    """The source that will read ``location`` (asks ``samhandling_select_source``)."""
    from samhandling.plugins import resolve_plugin_manager

    pm = resolve_plugin_manager(plugin_manager)
    candidates = list(pm.registry.sources)
    chosen = pm.hook.samhandling_select_source(location=location, candidates=candidates)
    if chosen is None:
        names = ", ".join(s.name for s in candidates) or "none (install a source plugin)"
        raise SourceError(
            f"no source can read {str(location)!r}; registered sources: {names}. "
            f"Name one explicitly with source=... (CLI: --source)"
        )
    return chosen  # type: ignore[no-any-return]


def read(
    location: str | Path,
    *,
    source: str | None = None,
    plugin_manager: PluginManager | None = None,
    allow_duplicates: bool = False,
    **options: Any,
) -> StatTable:
    """Read a file, folder or URL into a StatTable with the named source, or the one that fits.

    >>> table = samhandling.read("statbank-12345.csv")            # doctest: +SKIP
    >>> table = samhandling.read("nimes.xlsx", source="nimes-monthly")  # doctest: +SKIP

    :param allow_duplicates: keep a table that holds two values for one key (region, level, year,
        month, dimensions, variable) instead of refusing it; what was found is kept in
        ``table.meta.extra["duplicate_keys"]``, the ``duplicates`` check reports it and
        :func:`~samhandling.aggregate.roll_up` refuses to sum such a table.
    :raises DuplicateKeyError: the table has duplicate keys (the message names the file, the keys
        and their rows).
    """
    from samhandling.plugins import resolve_plugin_manager

    pm = resolve_plugin_manager(plugin_manager)
    is_url = isinstance(location, str) and "://" in location
    if not is_url and not Path(location).exists():
        raise SourceError(f"{location}: no such file or folder")
    encoding = options.get("encoding")
    if isinstance(encoding, str):
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SourceError(
                f"{location}: unknown text encoding {encoding!r} (use a Python codec name such as "
                f"'utf-8', 'utf-8-sig' or 'cp1252')"
            ) from None
    if source is not None:
        try:
            chosen = pm.registry.sources[source]
        except KeyError as exc:
            raise SourceError(str(exc.args[0])) from None
    else:
        chosen = find_source(location, plugin_manager=pm)
    try:
        table: StatTable = chosen.read(location, **options)
    except SamhandlingError:
        raise
    except Exception as exc:  # pyarrow's, a parser's or a plugin's own: always our type, naming the file
        raise SourceError(
            f"source {chosen.name!r} could not read {str(location)!r}: {type(exc).__name__}: {exc}"
        ) from exc
    table = _unique_keys(table, location, allow_duplicates=allow_duplicates)
    if not is_url:
        _READ_FROM[table] = os.path.abspath(location)
    return table


def _unique_keys(table: StatTable, location: str | Path, *, allow_duplicates: bool) -> StatTable:
    from samhandling.keys import DUPLICATES_KEY, find_duplicate_keys
    from samhandling.tables import METADATA_KEY
    from samhandling.tables import StatTable as _StatTable

    duplicates = find_duplicate_keys(table)
    if duplicates is None:
        return table
    if not allow_duplicates:
        raise DuplicateKeyError(
            f"{duplicates.describe()}. A table holds one value per region, level, year, month, "
            f"dimension and variable; fix the file, or read it with allow_duplicates=True (CLI: "
            f"--allow-duplicates) to look at the copies (the roll-up refuses to sum them)",
            duplicates=duplicates,
            path=location,
        )
    log.warning("%s: %s (kept: allow_duplicates=True)", location, duplicates.describe())
    meta = attrs.evolve(table.meta, extra={**table.meta.extra, DUPLICATES_KEY: duplicates.to_dict()})
    return _StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def read_from(table: StatTable) -> str | None:
    """The absolute path :func:`read` read ``table`` from (None for a table made otherwise)."""
    return _READ_FROM.get(table)


@hookimpl(trylast=True)
def samhandling_select_source(location: str | Path, candidates: Sequence[Source]) -> Source | None:
    """Built-in choice: the first registered source that says it can read the location."""
    for candidate in candidates:
        try:
            if candidate.can_read(location):
                return candidate
        except (OSError, ValueError):
            continue
    return None
