"""A client for SSB's statbank API, PxWebApi v2 (``https://data.ssb.no/api/pxwebapi/v2``).

What it does for an analyst:

* **find tables** — :meth:`PxWebClient.tables` / :meth:`PxWebClient.search` (all result pages),
  :meth:`PxWebClient.table`;
* **read metadata** — :meth:`PxWebClient.metadata`: dimensions, codes, labels, units, which dimensions
  may be left out (*elimination*), the time, geography and contents dimensions;
* **query** — :meth:`PxWebClient.query` with selections per dimension: codes, wildcards (``"30*"``,
  ``"??"``), ``"top(5)"`` (the latest five years on the time dimension), ``"bottom(n)"``,
  ``"from(2020)"``, ``"to(2022)"``, ``"range(2018,2022)"``.  Selections are resolved against the
  metadata first, so a wrong code is reported with the codes that exist, and a query larger than
  the API's cell limit (``maxDataCells`` from ``/config``) is split into several requests whose
  results are stacked into one StatTable;
* **respect the rate limit** — at most ``maxCallsPerTimeWindow`` calls per ``timeWindow`` seconds
  (from ``/config``), waiting when needed, and honouring ``429`` with ``Retry-After``;
* **cache** responses on disk (``platformdirs.user_cache_dir("samhandling")/pxweb``) so a notebook run
  twice asks SSB once; ``refresh=True`` fetches again, :meth:`PxWebClient.clear_cache` empties it;
* **clear errors** — :class:`PxWebError` (HTTP failures, timeouts, answers that are not JSON),
  :class:`SelectionError` (unknown dimension or code, bad expression), :class:`RateLimitError`.
"""

from __future__ import annotations

import collections
import datetime as dt
import difflib
import fnmatch
import hashlib
import json
import math
import re
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs
import httpx

from samhandling.errors import SourceError
from samhandling.tables import METADATA_KEY, Provenance, StatTable

__all__ = [
    "SSB_API",
    "Dimension",
    "PxWebClient",
    "PxWebError",
    "RateLimitError",
    "SelectionError",
    "TableInfo",
    "TableMetadata",
    "default_cache_dir",
]

#: SSB's PxWebApi v2.
SSB_API = "https://data.ssb.no/api/pxwebapi/v2"
SOURCE_NAME = "ssb-api"
#: Used when ``/config`` does not say (SSB's published limits).
DEFAULT_MAX_CELLS = 800_000
DEFAULT_MAX_CALLS = 30
DEFAULT_TIME_WINDOW = 10.0


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _dimensions(values: Iterable[Dimension]) -> tuple[Dimension, ...]:
    return tuple(values)


class PxWebError(SourceError):
    """The API could not be reached, answered with an error, or answered something that is not JSON."""


class SelectionError(PxWebError, ValueError):
    """A selection names a dimension or code the table does not have, or an expression SSB does not know."""


class RateLimitError(PxWebError):
    """The API kept answering 429 (too many requests) after waiting and retrying."""


def default_cache_dir() -> Path:
    """Where responses are cached: ``platformdirs.user_cache_dir("samhandling")/pxweb``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("samhandling")) / "pxweb"


# -------------------------------------------------------------------------------------------------
# Metadata objects
# -------------------------------------------------------------------------------------------------


@typing.final
@attrs.frozen(kw_only=True)
class TableInfo:
    """One table in the API's table list: id, title, period covered and when it was updated."""

    id: str
    label: str
    updated: str = ""
    first_period: str = ""
    last_period: str = ""
    time_unit: str = ""
    variable_names: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    discontinued: bool = False
    subject_code: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableInfo:
        """From one entry of ``/tables`` or the answer of ``/tables/{id}``."""
        return cls(
            id=str(data.get("id", "")),
            label=str(data.get("label", "")),
            updated=str(data.get("updated") or ""),
            first_period=str(data.get("firstPeriod") or ""),
            last_period=str(data.get("lastPeriod") or ""),
            time_unit=str(data.get("timeUnit") or ""),
            variable_names=tuple(str(v) for v in data.get("variableNames") or ()),
            discontinued=bool(data.get("discontinued", False)),
            subject_code=str(data.get("subjectCode") or ""),
        )


@typing.final
@attrs.frozen(kw_only=True)
class Dimension:
    """A dimension of a table: its codes in the API's order, labels, and whether it may be left out."""

    id: str
    label: str
    codes: tuple[str, ...] = attrs.field(converter=_strings)
    labels: tuple[str, ...] = attrs.field(converter=_strings)
    elimination: bool = False
    role: str | None = None
    units: dict[str, str] = attrs.field(factory=dict)
    codelists: tuple[str, ...] = attrs.field(default=(), converter=_strings)


@typing.final
@attrs.frozen(kw_only=True)
class TableMetadata:
    """What ``/tables/{id}/metadata`` says about a table (a JSON-stat 2.0 document without values)."""

    id: str
    label: str
    updated: str
    dimensions: tuple[Dimension, ...] = attrs.field(converter=_dimensions)
    notes: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def dimension(self, key: str) -> Dimension:
        """A dimension by id or label (case-insensitive); error lists the dimensions."""
        wanted = key.casefold()
        for dimension in self.dimensions:
            if dimension.id.casefold() == wanted or dimension.label.casefold() == wanted:
                return dimension
        names = ", ".join(f"{d.id} ({d.label})" for d in self.dimensions)
        raise SelectionError(f"table {self.id} has no dimension {key!r}; it has {names}")

    @property
    def time(self) -> Dimension | None:
        """The time dimension (role ``time``)."""
        return next((d for d in self.dimensions if d.role == "time"), None)

    @classmethod
    def from_json(cls, table_id: str, data: Mapping[str, Any]) -> TableMetadata:
        """From the JSON-stat 2.0 metadata document."""
        roles = data.get("role") or {}
        role_of = {dim: role for role, dims in roles.items() for dim in dims}
        dimensions = []
        for dimension_id in data.get("id") or []:
            entry = (data.get("dimension") or {}).get(dimension_id) or {}
            category = entry.get("category") or {}
            index = category.get("index")
            labels = category.get("label") or {}
            if isinstance(index, dict):
                codes = [code for code, _ in sorted(index.items(), key=lambda item: item[1])]
            elif isinstance(index, list):
                codes = list(index)
            else:
                codes = list(labels)
            extension = entry.get("extension") or {}
            units = {
                code: str((unit or {}).get("base") or (unit or {}).get("label") or "")
                for code, unit in (category.get("unit") or {}).items()
            }
            dimensions.append(
                Dimension(
                    id=str(dimension_id),
                    label=str(entry.get("label") or dimension_id),
                    codes=[str(c) for c in codes],
                    labels=[str(labels.get(c, c)) for c in codes],
                    elimination=bool(extension.get("elimination", False)),
                    role=role_of.get(dimension_id),
                    units=units,
                    codelists=tuple(
                        str(c.get("id")) for c in extension.get("codeLists") or () if c.get("id")
                    ),
                )
            )
        notes = data.get("note") or []
        return cls(
            id=table_id,
            label=str(data.get("label") or table_id),
            updated=str(data.get("updated") or ""),
            dimensions=dimensions,
            notes=[str(n) for n in notes] if isinstance(notes, list) else [str(notes)],
        )


# -------------------------------------------------------------------------------------------------
# Selections
# -------------------------------------------------------------------------------------------------

_EXPRESSION = re.compile(r"^(top|bottom|from|to|range)\((.*)\)$", re.IGNORECASE)


def resolve_selection(dimension: Dimension, items: str | Sequence[str]) -> list[str]:
    """The codes ``items`` select in ``dimension`` (codes, wildcards and PxWebApi expressions).

    ``top(n[, offset])`` takes the latest periods of the time dimension and the first codes of any
    other dimension, as the API does; ``bottom`` the opposite.

    :raises SelectionError: an unknown code, an expression with wrong arguments, or nothing selected.
    """
    wanted = [items] if isinstance(items, str) else list(items)
    codes = list(dimension.codes)
    ordered = codes[::-1] if dimension.role == "time" else codes  # "top" = latest periods
    chosen: list[str] = []
    folded = {c.casefold(): c for c in codes}
    for item in wanted:
        text = str(item).strip()
        match = _EXPRESSION.match(text)
        if match:
            chosen += _expression(dimension, match[1].lower(), match[2], ordered)
        elif "*" in text or "?" in text:
            found = [c for c in codes if fnmatch.fnmatchcase(c.casefold(), text.casefold())]
            if not found:
                raise SelectionError(f"dimension {dimension.id!r}: no code matches {text!r}")
            chosen += found
        elif text.casefold() in folded:
            chosen.append(folded[text.casefold()])
        else:
            close = difflib.get_close_matches(text, codes, n=3)
            by_label = [
                c
                for c, label in zip(codes, dimension.labels, strict=True)
                if label.casefold() == text.casefold()
            ]
            if by_label:
                chosen += by_label
                continue
            hint = (
                f"; did you mean {', '.join(close)}?" if close else f"; codes are e.g. {', '.join(codes[:6])}"
            )
            raise SelectionError(f"dimension {dimension.id!r} ({dimension.label}) has no code {text!r}{hint}")
    result = list(dict.fromkeys(chosen))  # SSB answers 500 to a repeated code
    if not result:
        raise SelectionError(f"dimension {dimension.id!r}: the selection {wanted!r} selects nothing")
    position = {c: i for i, c in enumerate(codes)}
    return sorted(result, key=position.__getitem__)


def _expression(dimension: Dimension, name: str, arguments: str, ordered: Sequence[str]) -> list[str]:
    parts = [p.strip() for p in arguments.split(",")] if arguments.strip() else []
    codes = list(dimension.codes)
    try:
        if name in ("top", "bottom"):
            count = int(parts[0])
            offset = int(parts[1]) if len(parts) > 1 else 0
            if count < 1 or offset < 0 or len(parts) > 2:
                raise ValueError
            sequence = list(ordered) if name == "top" else list(ordered)[::-1]
            return sequence[offset : offset + count]
        if name == "from" and len(parts) == 1:
            return codes[codes.index(parts[0]) :]
        if name == "to" and len(parts) == 1:
            return codes[: codes.index(parts[0]) + 1]
        if name == "range" and len(parts) == 2:
            start, end = codes.index(parts[0]), codes.index(parts[1])
            return codes[min(start, end) : max(start, end) + 1]
    except (ValueError, IndexError):
        pass
    raise SelectionError(
        f"dimension {dimension.id!r}: {name}({arguments}) is not valid; expected top(n), top(n, offset), "
        f"bottom(n), from(code), to(code) or range(code, code) with codes of the dimension"
    )


def split_selection(selection: Mapping[str, list[str]], max_cells: int) -> list[dict[str, list[str]]]:
    """Split a resolved selection into parts of at most ``max_cells`` cells each (largest dimension first).

    :raises SelectionError: a single cell is more than ``max_cells`` (cannot happen with a positive limit).
    """
    cells = math.prod(len(codes) for codes in selection.values())
    if cells <= max_cells:
        return [dict(selection)]
    splittable = sorted((k for k, v in selection.items() if len(v) > 1), key=lambda k: -len(selection[k]))
    if not splittable:
        raise SelectionError(f"one cell is more than the API's limit of {max_cells} cells")
    key = splittable[0]
    codes = selection[key]
    others = cells // len(codes)
    per_part = max(1, max_cells // others)
    parts = []
    for start in range(0, len(codes), per_part):
        part = {**selection, key: codes[start : start + per_part]}
        parts += split_selection(part, max_cells)
    return parts


# -------------------------------------------------------------------------------------------------
# The client
# -------------------------------------------------------------------------------------------------


@attrs.define
class _Response:
    content: bytes
    retrieved: str
    from_cache: bool
    url: str


class PxWebClient:
    """A PxWebApi v2 client with a disk cache, a rate limit and split queries.

    :param base_url: the API root, default SSB's ``https://data.ssb.no/api/pxwebapi/v2``.
    :param lang: ``"no"`` or ``"en"`` (labels of tables, dimensions and categories).
    :param cache_dir: where responses are kept; default :func:`default_cache_dir`.
    :param cache: ``False`` to neither read nor write the cache.
    :param timeout: seconds to wait for an answer.
    :param max_cells: the cell limit per request; default ``maxDataCells`` from ``/config``.
    :param max_calls: calls allowed per ``time_window`` seconds; default from ``/config``.
    :param retries: how often to wait and retry after 429 or 503.
    :param transport: an :class:`httpx.BaseTransport` (tests, proxies).
    :param sleep: how to wait (tests pass a fake clock).
    """

    def __init__(
        self,
        base_url: str = SSB_API,
        *,
        lang: str = "no",
        cache_dir: str | Path | None = None,
        cache: bool = True,
        timeout: float = 30.0,
        max_cells: int | None = None,
        max_calls: int | None = None,
        time_window: float | None = None,
        retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.lang = lang
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.cache = cache
        self.timeout = timeout
        self.retries = retries
        self._max_cells = max_cells
        self._max_calls = max_calls
        self._time_window = time_window
        self._sleep = sleep
        self._clock = clock
        self._calls: collections.deque[float] = collections.deque()
        self._config: dict[str, Any] | None = None
        self._metadata: dict[str, TableMetadata] = {}
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)
        #: Number of HTTP requests sent (cache hits are not counted).
        self.requests_sent = 0

    @classmethod
    def for_url(cls, url: str, **options: Any) -> PxWebClient:
        """A client for the API that ``url`` (a ``…/tables/…`` URL) belongs to."""
        root = url.split("/tables", 1)[0] if "/tables" in url else url
        return cls(root.split("?", 1)[0], **options)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> PxWebClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<PxWebClient {self.base_url} lang={self.lang} cache={self.cache_dir if self.cache else 'off'}>"
        )

    # -- HTTP ----------------------------------------------------------------------------------------
    def _cache_path(self, method: str, url: str, params: Mapping[str, Any], body: Any) -> Path:
        key = json.dumps(
            [method, url, sorted((str(k), str(v)) for k, v in params.items()), body], sort_keys=True
        )
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def _wait_for_slot(self) -> None:
        limit, window = self._rate()
        now = self._clock()
        while self._calls and now - self._calls[0] >= window:
            self._calls.popleft()
        if len(self._calls) >= limit:
            wait = window - (now - self._calls[0])
            if wait > 0:
                self._sleep(wait)
            self._calls.popleft()
        self._calls.append(self._clock())

    def _rate(self) -> tuple[int, float]:
        if self._max_calls is not None and self._time_window is not None:
            return self._max_calls, self._time_window
        config = self._config or {}
        calls = self._max_calls or int(config.get("maxCallsPerTimeWindow") or DEFAULT_MAX_CALLS)
        window = self._time_window or float(config.get("timeWindow") or DEFAULT_TIME_WINDOW)
        return calls, window

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        refresh: bool = False,
        what: str = "",
    ) -> _Response:
        url = path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"
        params = dict(params or {})
        cache_file = self._cache_path(method, url, params, body)
        if self.cache and not refresh and cache_file.exists():
            meta_file = cache_file.with_suffix(".meta")
            retrieved = json.loads(meta_file.read_text("utf-8"))["retrieved"] if meta_file.exists() else ""
            return _Response(cache_file.read_bytes(), retrieved, True, url)
        attempt = 0
        while True:
            self._wait_for_slot()
            try:
                self.requests_sent += 1
                response = self._http.request(method, url, params=params or None, json=body)
            except httpx.TimeoutException:
                raise PxWebError(
                    f"{what or url}: no answer from {urlsplit(url).netloc} within {self.timeout} s"
                ) from None
            except httpx.TransportError as exc:
                raise PxWebError(f"{what or url}: cannot reach {urlsplit(url).netloc}: {exc}") from None
            if response.status_code in (429, 503) and attempt < self.retries:
                attempt += 1
                self._sleep(
                    _retry_after(response, default=self._rate()[1] if response.status_code == 429 else 2.0)
                )
                continue
            if response.status_code >= 400:
                raise _http_error(response, what or url)
            break
        content = response.content
        if not content.lstrip().startswith((b"{", b"[")):
            kind = response.headers.get("content-type", "?")
            raise PxWebError(
                f"{what or url}: the answer is not JSON (content type {kind}, starts with {content[:60]!r}); "
                f"is {self.base_url} a PxWebApi v2 root?"
            )
        retrieved = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if self.cache:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            cache_file.write_bytes(content)
            cache_file.with_suffix(".meta").write_text(
                json.dumps(
                    {"url": str(response.url), "method": method, "body": body, "retrieved": retrieved}
                ),
                "utf-8",
            )
        return _Response(content, retrieved, False, str(response.url))

    def _json(self, response: _Response, what: str) -> Any:
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise PxWebError(f"{what}: the answer is not valid JSON: {exc}") from None

    def clear_cache(self) -> int:
        """Delete every cached response; returns how many were deleted."""
        if not self.cache_dir.is_dir():
            return 0
        removed = 0
        for file in self.cache_dir.glob("*.json"):
            file.unlink()
            file.with_suffix(".meta").unlink(missing_ok=True)
            removed += 1
        return removed

    # -- discovery ------------------------------------------------------------------------------------
    def config(self, *, refresh: bool = False) -> dict[str, Any]:
        """The API's ``/config``: languages, ``maxDataCells``, ``maxCallsPerTimeWindow``, ``timeWindow``."""
        if self._config is None or refresh:
            response = self._request("GET", "config", refresh=refresh, what="/config")
            data = self._json(response, "/config")
            if not isinstance(data, dict):
                raise PxWebError("/config: expected a JSON object")
            self._config = data
        return self._config

    @property
    def max_cells(self) -> int:
        """The cell limit per request (``maxDataCells`` from ``/config`` unless given)."""
        if self._max_cells is not None:
            return self._max_cells
        return int(self.config().get("maxDataCells") or DEFAULT_MAX_CELLS)

    def tables(
        self,
        query: str | None = None,
        *,
        past_days: int | None = None,
        include_discontinued: bool = False,
        page_size: int = 100,
        max_pages: int | None = None,
        refresh: bool = False,
    ) -> list[TableInfo]:
        """Tables in the database, optionally matching ``query`` (all pages, or ``max_pages``)."""
        params: dict[str, Any] = {"lang": self.lang, "pageSize": page_size}
        if query:
            params["query"] = query
        if past_days is not None:
            params["pastDays"] = past_days
        if include_discontinued:
            params["includeDiscontinued"] = "true"
        found: list[TableInfo] = []
        page = 1
        while True:
            params["pageNumber"] = page
            data = self._json(
                self._request("GET", "tables", params=params, refresh=refresh, what="/tables"), "/tables"
            )
            found += [TableInfo.from_json(t) for t in data.get("tables") or []]
            total_pages = int((data.get("page") or {}).get("totalPages") or 1)
            if page >= total_pages or (max_pages is not None and page >= max_pages):
                return found
            page += 1

    def search(self, text: str, **options: Any) -> list[TableInfo]:
        """Tables whose title or variables match ``text`` (SSB: words are AND-ed, ``*`` truncates)."""
        return self.tables(text, **options)

    def table(self, table_id: str, *, refresh: bool = False) -> TableInfo:
        """Basic information about one table."""
        what = f"table {table_id}"
        data = self._json(
            self._request(
                "GET", f"tables/{table_id}", params={"lang": self.lang}, refresh=refresh, what=what
            ),
            what,
        )
        return TableInfo.from_json(data)

    def metadata(self, table_id: str, *, refresh: bool = False) -> TableMetadata:
        """The table's dimensions and codes (``/tables/{id}/metadata``)."""
        if table_id in self._metadata and not refresh:
            return self._metadata[table_id]
        what = f"metadata of table {table_id}"
        data = self._json(
            self._request(
                "GET", f"tables/{table_id}/metadata", params={"lang": self.lang}, refresh=refresh, what=what
            ),
            what,
        )
        metadata = TableMetadata.from_json(table_id, data)
        self._metadata[table_id] = metadata
        return metadata

    def codelist(self, codelist_id: str, *, refresh: bool = False) -> Dimension:
        """A codelist (``vs_…`` value set or ``agg_…`` grouping) as a dimension of its codes."""
        what = f"codelist {codelist_id}"
        data = self._json(
            self._request(
                "GET", f"codeLists/{codelist_id}", params={"lang": self.lang}, refresh=refresh, what=what
            ),
            what,
        )
        values = data.get("values") or []
        return Dimension(
            id=codelist_id,
            label=str(data.get("label") or codelist_id),
            codes=[str(v.get("code")) for v in values],
            labels=[str(v.get("label") or v.get("code")) for v in values],
        )

    # -- data -----------------------------------------------------------------------------------------
    def resolve(
        self,
        table_id: str,
        selection: Mapping[str, str | Sequence[str]] | None = None,
        *,
        codelist: Mapping[str, str] | None = None,
    ) -> dict[str, list[str]]:
        """The explicit codes a selection asks for, per dimension id (dimensions left out are eliminated).

        A dimension that may not be eliminated (time, contents) and is not named gets all its codes.

        :raises SelectionError: unknown dimension or code, or a bad expression.
        """
        metadata = self.metadata(table_id)
        chosen: dict[str, list[str]] = {}
        named = {metadata.dimension(key).id: items for key, items in (selection or {}).items()}
        lists = {metadata.dimension(k).id: v for k, v in (codelist or {}).items()}
        for dimension in metadata.dimensions:
            target = self.codelist(lists[dimension.id]) if dimension.id in lists else dimension
            target = attrs.evolve(target, id=dimension.id, role=dimension.role)
            if dimension.id in named:
                chosen[dimension.id] = resolve_selection(target, named[dimension.id])
            elif not dimension.elimination:
                chosen[dimension.id] = list(target.codes)
        return chosen

    def fetch(
        self,
        table_id: str,
        selection: Mapping[str, str | Sequence[str]] | None = None,
        *,
        codelist: Mapping[str, str] | None = None,
        refresh: bool = False,
    ) -> Iterator[tuple[bytes, Provenance]]:
        """The JSON-stat 2.0 answers for a selection, one per part under the cell limit."""
        resolved = self.resolve(table_id, selection, codelist=codelist)
        lists = {self.metadata(table_id).dimension(k).id: v for k, v in (codelist or {}).items()}
        for part in split_selection(resolved, self.max_cells):
            body: dict[str, Any] = {
                "selection": [
                    {
                        "variableCode": key,
                        "valueCodes": codes,
                        **({"codelist": lists[key]} if key in lists else {}),
                    }
                    for key, codes in part.items()
                ]
            }
            what = f"data of table {table_id}"
            response = self._request(
                "POST",
                f"tables/{table_id}/data",
                params={"lang": self.lang, "outputFormat": "json-stat2"},
                body=body,
                refresh=refresh,
                what=what,
            )
            yield response.content, _provenance(response, note=f"table {table_id}, {_summary(part)}")

    def query(
        self,
        table_id: str,
        selection: Mapping[str, str | Sequence[str]] | None = None,
        *,
        codelist: Mapping[str, str] | None = None,
        refresh: bool = False,
        groups: Literal["drop", "error"] = "drop",
        categories: Literal["label", "code"] = "label",
        geography_year: int | None = None,
    ) -> StatTable:
        """Fetch a selection of a table as one StatTable (split under the cell limit, cached).

        >>> client.query("07459", {"Region": ["3301", "3303"], "Tid": "top(5)"})  # doctest: +SKIP

        :param selection: dimension id or label → codes / wildcards / expressions; dimensions left out
            are eliminated if the table allows it, otherwise all their codes are fetched.
        :param codelist: dimension → codelist id (e.g. ``{"Region": "agg_KommSummer"}``).
        :param refresh: ask the API again instead of using cached answers.
        """
        from samhandling_kostra.dimensions import UnreadableCategory, parse_period
        from samhandling_kostra.jsonstat import read_jsonstat

        if geography_year is None:
            # Every part of a split query must be declared on the same map: the latest year asked for.
            time = self.metadata(table_id).time
            chosen = self.resolve(table_id, selection, codelist=codelist).get(time.id, []) if time else []
            years = []
            for code in chosen:
                try:
                    years.append(parse_period(code)[0])
                except UnreadableCategory:
                    continue
            geography_year = max(years) if years else None
        tables = []
        for content, provenance in self.fetch(table_id, selection, codelist=codelist, refresh=refresh):
            table = read_jsonstat(
                content,
                groups=groups,
                categories=categories,
                geography_year=geography_year,
                location=provenance.location,
            )
            tables.append(_with_provenance(table, provenance))
        return tables[0] if len(tables) == 1 else StatTable.concat(tables)

    def read_url(
        self,
        url: str,
        *,
        refresh: bool = False,
        groups: Literal["drop", "error"] = "drop",
        categories: Literal["label", "code"] = "label",
        geography_year: int | None = None,
    ) -> StatTable:
        """Fetch a ready-made data URL (``…/tables/{id}/data?valueCodes[…]=…``) as a StatTable."""
        from samhandling_kostra.jsonstat import read_jsonstat

        output = re.search(r"[?&]outputformat=([^&]+)", url, re.IGNORECASE)
        if output and output[1].lower() not in ("json-stat2", "jsonstat2"):
            raise PxWebError(
                f"{url}: outputFormat={output[1]} is not supported; use json-stat2 (the default)"
            )
        response = self._request("GET", url, refresh=refresh, what=url)
        provenance = _provenance(response, note="data URL")
        table = read_jsonstat(
            response.content,
            groups=groups,
            categories=categories,
            geography_year=geography_year,
            location=url,
        )
        return _with_provenance(table, provenance)


def _retry_after(response: httpx.Response, *, default: float) -> float:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _http_error(response: httpx.Response, what: str) -> PxWebError:
    detail = ""
    try:
        data = response.json()
        if isinstance(data, dict):
            detail = str(data.get("title") or data.get("detail") or data.get("message") or "")
            if data.get("detail") and data.get("title"):
                detail = f"{data['title']}: {data['detail']}"
    except ValueError:
        detail = response.text[:200].strip()
    status = response.status_code
    reason = f"HTTP {status}" + (f" — {detail}" if detail else "")
    if status == 400:
        return SelectionError(f"{what}: the API refused the query ({reason})")
    if status == 404:
        return PxWebError(f"{what}: not found ({reason}); check the table number")
    if status == 429:
        return RateLimitError(f"{what}: too many requests ({reason}) even after waiting; try again later")
    return PxWebError(f"{what}: the API failed ({reason})")


def _summary(part: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{k}={','.join(v) if len(v) <= 4 else f'{len(v)} codes'}" for k, v in part.items())


def _provenance(response: _Response, *, note: str) -> Provenance:
    return Provenance(
        source=SOURCE_NAME,
        location=response.url,
        checksum=f"sha256:{hashlib.sha256(response.content).hexdigest()}",
        retrieved=response.retrieved or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        note=note + (" (from cache)" if response.from_cache else ""),
    )


def _with_provenance(table: StatTable, provenance: Provenance) -> StatTable:
    meta = attrs.evolve(table.meta, source=SOURCE_NAME, provenance=(provenance,))
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)
