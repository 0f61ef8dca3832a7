"""Reading data: the :class:`Source` protocol and :func:`read`, which finds the right source plugin.

A source turns a location (a file, a folder or a URL) into a :class:`~samhandling.tables.StatTable`.
Sources come from plugins (``samhandling_register_sources``); :func:`read` asks each registered
source whether it ``can_read`` the location, unless the caller names one with ``source=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from samhandling.errors import SamhandlingError, SourceError
from samhandling.hookspecs import hookimpl

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager
    from samhandling.tables import StatTable

__all__ = ["Source", "find_source", "read", "sources"]


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
    **options: Any,
) -> StatTable:
    """Read a file, folder or URL into a StatTable with the named source, or the one that fits.

    >>> table = samhandling.read("statbank-12345.csv")            # doctest: +SKIP
    >>> table = samhandling.read("nimes.xlsx", source="nimes-monthly")  # doctest: +SKIP
    """
    from samhandling.plugins import resolve_plugin_manager

    pm = resolve_plugin_manager(plugin_manager)
    is_url = isinstance(location, str) and "://" in location
    if not is_url and not Path(location).exists():
        raise SourceError(f"{location}: no such file or folder")
    if source is not None:
        try:
            chosen = pm.registry.sources[source]
        except KeyError as exc:
            raise SourceError(str(exc.args[0])) from None
    else:
        chosen = find_source(location, plugin_manager=pm)
    try:
        table: StatTable = chosen.read(location, **options)
        return table
    except SamhandlingError:
        raise
    except (OSError, UnicodeError) as exc:
        raise SourceError(f"source {chosen.name!r} could not read {str(location)!r}: {exc}") from exc


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
