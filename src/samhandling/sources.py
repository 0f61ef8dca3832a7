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
import re
import weakref
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from samhandling.errors import DuplicateKeyError, Parameter, SamhandlingError, SourceError
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
            f"no source can read {str(location)!r}{_plugin_hint(location)}; registered sources: {names} "
            f"(name the one to use with ",
            Parameter(name="source", example="'NAME'"),
            ")",
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
    from samhandling import progress

    name = str(location) if is_url else Path(location).name
    try:
        with progress.task(f"reading {name} ({chosen.name})"):
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
            f"{duplicates.describe()}. A table holds one value per region, level, year, period, dimension "
            f"and variable; fix the file, or read it with ",
            Parameter(name="allow_duplicates", example="True"),
            " to look at the copies (the roll-up refuses to sum them)",
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


# -------------------------------------------------------------------------------------------------
# Which plugin reads a file that no installed source recognises
# -------------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _KnownFormat:
    """A kind of file a first-party plugin reads, recognised cheaply from its name and first bytes."""

    kind: str
    distribution: str
    checkout_path: str
    looks_like: Callable[[str, str], bool]
    """``(suffix, head)``: the lower-cased suffix and the lower-cased start of the file (its text, the
    shared strings of a workbook, or the column names of a Parquet file)."""


_TEXT = {".csv", ".txt", ".tsv"}
_MONTHS = re.compile(
    r"\b(?:jan|feb|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|des|dec)\w*|\b20\d\d-[01]\d\b"
)
_STATBANK = re.compile(r'^\W{0,4}\d{5}:|^"?(?:region|kommune|fylke)"?[;,\t]', re.MULTILINE)


def _survey(suffix: str, head: str) -> bool:
    return (
        suffix in {*_TEXT, ".xlsx"}
        and "årsverk" in head
        and re.search(r"kommune(?:nr|nummer)", head) is not None
    )


def _stay_extract(suffix: str, head: str) -> bool:
    patient = "pasient" in head or "patient" in head
    return suffix in {*_TEXT, ".parquet", ".pq"} and patient and ("utskr" in head or "discharg" in head)


def _monthly_table(suffix: str, head: str) -> bool:
    return suffix in {*_TEXT, ".xlsx"} and len(_MONTHS.findall(head)) >= 6


def _jsonstat(suffix: str, head: str) -> bool:
    return suffix in {".json", ".jsonstat"} and '"dimension"' in head


def _statbank_csv(suffix: str, head: str) -> bool:
    return suffix in _TEXT and _STATBANK.search(head) is not None


_KNOWN_FORMATS: tuple[_KnownFormat, ...] = (
    _KnownFormat(
        kind="an IS-24/8 survey file",
        distribution="samhandling-survey",
        checkout_path="./plugins/survey",
        looks_like=_survey,
    ),
    _KnownFormat(
        kind="a NIMES stay-level extract",
        distribution="samhandling-nimes",
        checkout_path="./plugins/nimes",
        looks_like=_stay_extract,
    ),
    _KnownFormat(
        kind="a NIMES monthly admission table",
        distribution="samhandling-nimes",
        checkout_path="./plugins/nimes",
        looks_like=_monthly_table,
    ),
    _KnownFormat(
        kind="a JSON-stat dataset",
        distribution="samhandling-kostra",
        checkout_path="./plugins/kostra",
        looks_like=_jsonstat,
    ),
    _KnownFormat(
        kind="an SSB statbank CSV download",
        distribution="samhandling-kostra",
        checkout_path="./plugins/kostra",
        looks_like=_statbank_csv,
    ),
)
"""Kinds of file the first-party plugins read (the survey before the statbank CSV, whose region column
a survey file has too), for the hint when no installed source reads one."""


def _head(location: str | Path) -> tuple[str, str]:
    """The lower-cased suffix and start of a file, enough to tell its kind (empty when unreadable)."""
    path = Path(location)
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm"}:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                parts = [n for n in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml") if n in names]
                raw = b" ".join(archive.open(name).read(65536) for name in parts)
            return suffix, re.sub(rb"<[^>]*>", b" ", raw).decode("utf-8", "replace").lower()
        if suffix in {".parquet", ".pq"}:
            import pyarrow.parquet as pq

            return suffix, " ".join(pq.read_schema(path).names).lower()
        with path.open("rb") as handle:
            raw = handle.read(16384)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return suffix, ""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")
    return suffix, text.lower()


def _plugin_hint(location: str | Path) -> str:
    """``; it looks like …, which samhandling-kostra reads: install it …`` — or nothing."""
    from importlib import metadata

    text = str(location)
    if "://" in text:
        if "data.ssb.no" in text or "/pxwebapi/" in text.lower():
            kind, distribution, checkout = "an SSB PxWebApi address", "samhandling-kostra", "./plugins/kostra"
        else:
            return ""
    else:
        suffix, head = _head(location)
        found = next((f for f in _KNOWN_FORMATS if head and f.looks_like(suffix, head)), None)
        if found is None:
            return ""
        kind, distribution, checkout = found.kind, found.distribution, found.checkout_path
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return (
            f": it looks like {kind}, which the {distribution} plugin reads — install it "
            f"(from a checkout of samhandling: python3 -m pip install {checkout})"
        )
    return f": it looks like {kind}, but the installed {distribution} plugin does not recognise it"
