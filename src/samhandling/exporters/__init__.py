"""Writing tables: the :class:`Exporter` protocol and :func:`export`, which picks an exporter plugin.

Built-in exporters (Parquet, CSV, JSON-stat 2.0, Excel) are registered exactly like third-party ones,
through ``samhandling_register_exporters``.  :func:`export` refuses to write over a file the table
was read from (the file :func:`samhandling.read` read, and every file in its provenance).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from samhandling.errors import ExportError, SamhandlingError

if TYPE_CHECKING:
    from samhandling.disclosure import DisclosureRules
    from samhandling.plugins import PluginManager
    from samhandling.tables import StatTable

__all__ = [
    "Exporter",
    "export",
    "exporter_for",
    "exporters",
    "for_publication",
    "refuse_overwriting_inputs",
    "unavailable",
]


@runtime_checkable
class Exporter(Protocol):
    """What an exporter plugin provides.  ``name`` is what users pass as ``format=``.

    An exporter that needs an optional library may also have ``unavailable() -> str | None``: what is
    missing and how to install it, or ``None`` when it can write.  ``samhandling plugins`` shows it.
    """

    name: str
    description: str
    suffixes: tuple[str, ...]

    def write(self, table: StatTable, destination: str | Path, **options: Any) -> Path:
        """Write ``table`` to ``destination`` and return the path written."""
        ...


def unavailable(registered: object) -> str | None:
    """Why a registered exporter (or source, or check) cannot work here, if it says so, else ``None``."""
    method = getattr(registered, "unavailable", None)
    if not callable(method):
        return None
    reason = method()
    return str(reason) if reason else None


def exporters(plugin_manager: PluginManager | None = None) -> list[Exporter]:
    """Every registered exporter, built-ins first."""
    from samhandling.plugins import resolve_plugin_manager

    return list(resolve_plugin_manager(plugin_manager).registry.exporters)


def exporter_for(
    destination: str | Path | None = None,
    *,
    format: str | None = None,
    plugin_manager: PluginManager | None = None,
) -> Exporter:
    """The exporter named ``format``, or the one whose suffix matches ``destination``."""
    from samhandling.plugins import resolve_plugin_manager

    catalogue = resolve_plugin_manager(plugin_manager).registry.exporters
    if format is not None:
        try:
            return catalogue[format]  # type: ignore[no-any-return]
        except KeyError as exc:
            raise ExportError(str(exc.args[0])) from None
    if destination is None:
        raise ExportError("give a destination with a known suffix, or format=...")
    name = Path(destination).name.lower()
    for exporter in catalogue:
        if any(name.endswith(suffix.lower()) for suffix in exporter.suffixes):
            return exporter  # type: ignore[no-any-return]
    known = ", ".join(f"{e.name} ({' '.join(e.suffixes)})" for e in catalogue)
    raise ExportError(f"no exporter writes files like {Path(destination).name!r}; known formats: {known}")


def export(
    table: StatTable,
    destination: str | Path,
    *,
    format: str | None = None,
    plugin_manager: PluginManager | None = None,
    publish: bool = False,
    protection: DisclosureRules | bool = True,
    context: Sequence[StatTable] = (),
    **options: Any,
) -> Path:
    """Write ``table`` to ``destination`` with the exporter for ``format`` (or for the file suffix).

    With ``publish=True`` the file is written *for publication*: counts of people are protected first
    (:func:`samhandling.protect` with ``protection``, default rules; ``context`` holds the counts behind
    published rates), whatever the exporter.  ``protection=False`` writes it unprotected for internal
    use: logged, and recorded in the file's metadata and provenance.  Without ``publish`` the table is
    written as it is, as analysis tables are.

    :raises ExportError: the exporter failed, or ``destination`` is a file the table was read from.
    """
    if publish:
        table = for_publication(table, protection, context=context)
    exporter = exporter_for(destination, format=format, plugin_manager=plugin_manager)
    refuse_overwriting_inputs(destination, _inputs_of(table))
    try:
        return exporter.write(table, destination, **options)
    except SamhandlingError:
        raise
    except (OSError, TypeError, ValueError) as exc:
        raise ExportError(f"exporter {exporter.name!r} failed writing {str(destination)!r}: {exc}") from exc


def for_publication(
    table: StatTable, protection: DisclosureRules | bool = True, *, context: Sequence[StatTable] = ()
) -> StatTable:
    """``table`` as it may be published: protected (default rules unless given), or marked unprotected.

    ``protection=False`` is the explicit switch for internal use; it is logged as a warning and written
    into the table's metadata (``extra["disclosure"]``) and provenance.
    """
    from samhandling.disclosure import DisclosureRules, mark_unprotected, protect

    if protection is False:
        return mark_unprotected(table, "written for publication with protection=False (internal use)")
    rules = protection if isinstance(protection, DisclosureRules) else DisclosureRules()
    return protect(table, rules=rules, context=context)


def _inputs_of(table: StatTable) -> list[str]:
    from samhandling.sources import read_from

    inputs = [p.location for p in table.provenance if "://" not in p.location]
    origin = read_from(table)
    return [origin, *inputs] if origin is not None else inputs


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return a.resolve() == b.resolve()


def refuse_overwriting_inputs(destination: str | Path, inputs: Iterable[str | Path]) -> None:
    """Refuse to write ``destination`` when it is one of ``inputs`` (or, for a CSV, its ``.meta.json``).

    Writing a table over the file it was read from (``samhandling read x.csv -o x.csv``) would replace
    the original — a user's only copy of a download.  Paths are compared after resolving links and
    relative parts; an input that no longer exists is compared by its resolved path.

    :raises ExportError: naming the destination and the input.
    """
    target = Path(destination)
    targets = [target, target.with_name(target.name + ".meta.json")]
    for location in inputs:
        source = Path(location)
        if any(_same(candidate, source) for candidate in targets):
            raise ExportError(
                f"will not write {str(destination)!r}: it is {str(location)!r}, which the table was read "
                f"from, and writing would replace that input; write to another file"
            )
