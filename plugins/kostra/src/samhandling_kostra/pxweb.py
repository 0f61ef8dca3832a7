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
  (from ``/config``), waiting when needed;
* **cache** answers on disk (``platformdirs.user_cache_dir("samhandling")/pxweb``) so a notebook run
  twice asks SSB once — but never stale without saying so: answers expire after ``max_age`` (a day by
  default) and are then asked for again or revalidated (a data answer whose table's ``updated`` time has
  not changed is confirmed from the metadata), ``refresh=True`` asks again for the metadata and the
  data, nothing incomplete or invalid is cached, and a corrupt entry is fetched again;
* **survive a bad network** — each request has one deadline for connecting and every read, and
  timeouts, broken connections, ``429`` and ``5xx`` are retried with backoff (``Retry-After`` honoured
  up to a cap); redirects to another host are refused.  All of it is :class:`samhandling.web.WebClient`;
* **clear errors** — :class:`PxWebError` (HTTP failures, timeouts, invalid answers),
  :class:`SelectionError` (unknown dimension or code, bad expression), :class:`RateLimitError`; each is a
  :class:`samhandling.errors.FetchError` naming the URL.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import json
import logging
import math
import random as randomlib
import re
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import httpx

from samhandling.errors import FetchError
from samhandling.tables import METADATA_KEY, Provenance, StatTable
from samhandling.web import DEFAULT_MAX_AGE, Fetched, RateLimit, Validator, WebClient
from samhandling.web import default_cache_dir as _web_cache_dir

__all__ = [
    "SSB_API",
    "Dimension",
    "PxWebClient",
    "PxWebError",
    "RateLimitError",
    "SelectionError",
    "TableInfo",
    "TableMetadata",
    "check_dataset",
    "check_json_object",
    "check_metadata",
    "default_cache_dir",
]

#: SSB's PxWebApi v2.
SSB_API = "https://data.ssb.no/api/pxwebapi/v2"
SOURCE_NAME = "ssb-api"
log = logging.getLogger("samhandling.web")
#: Used when ``/config`` does not say: SSB's published limits (800,000 cells a query, 30 calls a
#: minute from one address).
DEFAULT_MAX_CELLS = 800_000
DEFAULT_MAX_CALLS = 30
DEFAULT_TIME_WINDOW = 60.0


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _dimensions(values: Iterable[Dimension]) -> tuple[Dimension, ...]:
    return tuple(values)


class PxWebError(FetchError):
    """The API could not be reached, answered with an error, or answered something that is not valid.

    A :class:`samhandling.errors.FetchError` (and so a ``SourceError``): ``url``, ``status`` and
    ``detail`` say which request failed and how.
    """


class SelectionError(PxWebError, ValueError):
    """A selection names a dimension or code the table does not have, or an expression SSB does not know."""


class RateLimitError(PxWebError):
    """The API kept answering 429 (too many requests) after waiting and retrying."""


def default_cache_dir() -> Path:
    """Where responses are cached: ``platformdirs.user_cache_dir("samhandling")/pxweb``."""
    return _web_cache_dir("pxweb")


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
# What an answer must be before it is cached
# -------------------------------------------------------------------------------------------------


def _parse_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        raise ValueError(f"not JSON; it starts with {content[:60]!r}") from None


def check_json_object(content: bytes) -> Mapping[str, str] | None:
    """An answer of ``/config``, ``/tables``, ``/tables/{id}`` or ``/codeLists/{id}``: a JSON object.

    :raises ValueError: the answer is not JSON or not an object.
    """
    if not isinstance(_parse_json(content), dict):
        raise ValueError("expected a JSON object")
    return None


def check_metadata(content: bytes) -> Mapping[str, str]:
    """An answer of ``/tables/{id}/metadata``: JSON-stat 2.0 with ``id`` and a ``dimension`` for each id.

    Returns the table's ``updated`` time, kept with the cached answer.

    :raises ValueError: saying what is missing.
    """
    document = _parse_json(content)
    if not isinstance(document, dict):
        raise ValueError("expected a JSON-stat 2.0 object")
    ids, dimensions = document.get("id"), document.get("dimension")
    if not isinstance(ids, list) or not isinstance(dimensions, dict):
        raise ValueError("a JSON-stat 2.0 document needs 'id' (a list) and 'dimension' (an object)")
    missing = [d for d in ids if d not in dimensions]
    if missing:
        raise ValueError(f"'dimension' lacks {missing}, which 'id' lists")
    return {"updated": str(document.get("updated") or "")}


def check_dataset(content: bytes) -> Mapping[str, str]:
    """An answer of ``/tables/{id}/data``: a complete JSON-stat 2.0 dataset.

    ``id`` and ``size`` agree, every dimension is described, and ``value`` holds one entry per cell
    (dense) or only cell numbers inside the cube (sparse) — so a cut-off or mangled answer is refused
    before it is cached.  Returns the dataset's ``updated`` time, kept with the cached answer and used
    to revalidate it against the table's metadata.

    :raises ValueError: saying what does not fit.
    """
    document = _parse_json(content)
    if not isinstance(document, dict) or document.get("class", "dataset") != "dataset":
        raise ValueError("expected a JSON-stat 2.0 dataset (class 'dataset')")
    ids, sizes, dimensions = document.get("id"), document.get("size"), document.get("dimension")
    if not (isinstance(ids, list) and isinstance(sizes, list) and isinstance(dimensions, dict)):
        raise ValueError("a JSON-stat 2.0 dataset needs 'id', 'size' (lists) and 'dimension' (an object)")
    if len(ids) != len(sizes) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in sizes
    ):
        raise ValueError(f"'size' {sizes} does not give one count per dimension of 'id' {ids}")
    missing = [d for d in ids if d not in dimensions]
    if missing:
        raise ValueError(f"'dimension' lacks {missing}, which 'id' lists")
    cells = math.prod(sizes)
    values = document.get("value")
    if isinstance(values, list):
        if len(values) != cells:
            raise ValueError(f"'value' has {len(values)} entries where 'size' {sizes} makes {cells} cells")
    elif isinstance(values, dict):
        if any(not (str(k).isdigit() and int(k) < cells) for k in values):
            raise ValueError(f"'value' has cell numbers outside the {cells} cells of the cube")
    else:
        raise ValueError("'value' is missing or neither a list nor an object")
    status = document.get("status")
    if isinstance(status, list) and len(status) not in (1, cells):
        raise ValueError(f"'status' has {len(status)} entries for {cells} cells")
    return {"updated": str(document.get("updated") or "")}


# -------------------------------------------------------------------------------------------------
# The client
# -------------------------------------------------------------------------------------------------


class PxWebClient:
    """A PxWebApi v2 client with a checked disk cache, a rate limit, retries and split queries.

    HTTP goes through :class:`samhandling.web.WebClient`: answers are cached for ``max_age`` and then
    asked for again (revalidated where the API allows it), nothing is cached unless complete and valid,
    ``timeout`` bounds each whole request, retries with backoff cover timeouts, broken connections,
    ``429`` and ``5xx``, and redirects to another host are refused.

    :param base_url: the API root, default SSB's ``https://data.ssb.no/api/pxwebapi/v2``.
    :param lang: ``"no"`` or ``"en"`` (labels of tables, dimensions and categories).
    :param cache_dir: where answers are kept; default :func:`default_cache_dir`.
    :param cache: ``False`` to neither read nor write the cache.
    :param max_age: how long cached answers are used without asking SSB (seconds or a ``timedelta``;
        default a day; ``None`` = until ``refresh=True``).
    :param timeout: seconds one request may take in all (connect, send and every read).
    :param max_cells: the cell limit per request; default ``maxDataCells`` from ``/config``.
    :param max_calls: calls allowed per ``time_window`` seconds; default from ``/config``.
    :param retries: retries after timeouts, broken connections, ``429`` and ``5xx``.
    :param max_retry_after: the longest ``Retry-After`` (seconds) waited for; longer is an error.
    :param allow_redirects_to: hosts a redirect may lead to besides the API's own (not cached).
    :param transport: an :class:`httpx.BaseTransport` (tests, proxies).
    :param sleep: how to wait (tests pass a fake); ``clock`` the monotonic clock of the rate limit
        and deadlines; ``now`` the wall clock of the cache; ``random`` the jitter of the backoff.
    """

    def __init__(
        self,
        base_url: str = SSB_API,
        *,
        lang: str = "no",
        cache_dir: str | Path | None = None,
        cache: bool = True,
        max_age: float | dt.timedelta | None = DEFAULT_MAX_AGE,
        timeout: float = 30.0,
        max_cells: int | None = None,
        max_calls: int | None = None,
        time_window: float | None = None,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        allow_redirects_to: Iterable[str] = (),
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        random: Callable[[], float] = randomlib.random,
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
        self._limit = RateLimit(max_calls or DEFAULT_MAX_CALLS, time_window or DEFAULT_TIME_WINDOW)
        self._config: dict[str, Any] | None = None
        self._metadata: dict[str, tuple[str, TableMetadata]] = {}
        self._web = WebClient(
            cache_dir=self.cache_dir,
            cache=cache,
            max_age=max_age,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            max_retry_after=max_retry_after,
            rate_limit=self._limit,
            allow_redirects_to=allow_redirects_to,
            headers={"Accept": "application/json"},
            transport=transport,
            sleep=sleep,
            clock=clock,
            now=now,
            random=random,
        )
        self.max_age = self._web.max_age

    @property
    def requests_sent(self) -> int:
        """Number of HTTP requests sent (answers from the cache are not counted)."""
        return self._web.requests_sent

    @classmethod
    def for_url(cls, url: str, **options: Any) -> PxWebClient:
        """A client for the API that ``url`` (a ``…/tables/…`` URL) belongs to."""
        root = url.split("/tables", 1)[0] if "/tables" in url else url
        return cls(root.split("?", 1)[0], **options)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._web.close()

    def __enter__(self) -> PxWebClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<PxWebClient {self.base_url} lang={self.lang} cache={self.cache_dir if self.cache else 'off'}>"
        )

    # -- HTTP ----------------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        refresh: bool = False,
        what: str = "",
        validate: Validator = check_json_object,
    ) -> Fetched:
        try:
            fetched = self._web.request(
                method,
                self._url(path),
                params=params,
                json=body,
                validate=validate,
                refresh=refresh,
                what=what,
            )
        except FetchError as error:
            raise self._error(error, what) from None
        return fetched

    def _error(self, error: FetchError, what: str) -> PxWebError:
        """The web client's error as this client's own type, with the API's own words."""
        status, detail, url = error.status, error.detail, error.url
        reason = f"HTTP {status}" + (f" — {detail}" if detail else "")
        if status == 400:
            return SelectionError(
                f"{what}: the API refused the query ({reason}); {url}", url=url, status=status, detail=detail
            )
        if status == 404:
            return PxWebError(
                f"{what}: not found ({reason}); check the table number ({url})",
                url=url,
                status=status,
                detail=detail,
            )
        if status == 429:
            refused = str(error).partition("; the server asks to wait ")[2]
            if refused:  # a Retry-After longer than the cap: say what the server asked for
                return RateLimitError(
                    f"{what}: too many requests ({reason}); the server asks to wait {refused} ({url})",
                    url=url,
                    status=status,
                    detail=detail,
                )
            return RateLimitError(
                f"{what}: too many requests ({reason}) even after waiting; try again later ({url})",
                url=url,
                status=status,
                detail=detail,
            )
        message = str(error)
        if "not valid: not JSON" in message:
            message += f" — is {self.base_url} a PxWebApi v2 root?"
        return PxWebError(message, url=url, status=status, detail=detail)

    def _json(self, fetched: Fetched, what: str) -> Any:
        try:
            return json.loads(fetched.content)
        except ValueError as exc:  # only a cache entry written by an older version can get here
            raise PxWebError(f"{what}: the answer is not valid JSON: {exc}", url=fetched.url) from None

    def _rate(self) -> tuple[int, float]:
        if self._max_calls is not None and self._time_window is not None:
            return self._max_calls, self._time_window
        config = self._config or {}
        calls = self._max_calls or int(config.get("maxCallsPerTimeWindow") or DEFAULT_MAX_CALLS)
        window = self._time_window or float(config.get("timeWindow") or DEFAULT_TIME_WINDOW)
        return calls, window

    def clear_cache(self) -> int:
        """Delete every cached answer; returns how many were deleted."""
        self._metadata.clear()
        return self._web.clear_cache()

    # -- discovery ------------------------------------------------------------------------------------
    def config(self, *, refresh: bool = False) -> dict[str, Any]:
        """The API's ``/config``: languages, ``maxDataCells``, ``maxCallsPerTimeWindow``, ``timeWindow``."""
        if self._config is None or refresh:
            response = self._request("GET", "config", refresh=refresh, what="/config")
            data = self._json(response, "/config")
            self._config = data
            self._limit.calls, self._limit.window = self._rate()
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
        """The table's dimensions and codes (``/tables/{id}/metadata``), cached like every answer."""
        return self._metadata_answer(table_id, refresh=refresh)[0]

    def _metadata_answer(self, table_id: str, *, refresh: bool) -> tuple[TableMetadata, bool]:
        """The metadata, and whether the API was asked for it during this call."""
        what = f"metadata of table {table_id}"
        fetched = self._request(
            "GET",
            f"tables/{table_id}/metadata",
            params={"lang": self.lang},
            refresh=refresh,
            what=what,
            validate=check_metadata,
        )
        asked = not fetched.from_cache or fetched.revalidated
        known = self._metadata.get(table_id)
        if known is not None and known[0] == fetched.sha256:
            return known[1], asked
        metadata = TableMetadata.from_json(table_id, self._json(fetched, what))
        self._metadata[table_id] = (fetched.sha256, metadata)
        return metadata, asked

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
        refresh: bool = False,
    ) -> dict[str, list[str]]:
        """The explicit codes a selection asks for, per dimension id (dimensions left out are eliminated).

        A dimension that may not be eliminated (time, contents) and is not named gets all its codes.
        ``refresh=True`` reads the metadata (and codelists) from the API, not the cache.

        :raises SelectionError: unknown dimension or code, or a bad expression.
        """
        metadata = self.metadata(table_id, refresh=refresh)
        return self._resolve(metadata, selection, codelist, refresh=refresh)

    def _resolve(
        self,
        metadata: TableMetadata,
        selection: Mapping[str, str | Sequence[str]] | None,
        codelist: Mapping[str, str] | None,
        *,
        refresh: bool,
    ) -> dict[str, list[str]]:
        chosen: dict[str, list[str]] = {}
        named = {metadata.dimension(key).id: items for key, items in (selection or {}).items()}
        lists = {metadata.dimension(k).id: v for k, v in (codelist or {}).items()}
        for dimension in metadata.dimensions:
            target = (
                self.codelist(lists[dimension.id], refresh=refresh) if dimension.id in lists else dimension
            )
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
        """The JSON-stat 2.0 answers for a selection, one per part under the cell limit.

        ``refresh=True`` asks the API for the metadata, codelists and data again.
        """
        metadata, asked = self._metadata_answer(table_id, refresh=refresh)
        resolved = self._resolve(metadata, selection, codelist, refresh=refresh)
        yield from self._fetch_parts(metadata, resolved, codelist, refresh=refresh, checked=asked)

    def _fetch_parts(
        self,
        metadata: TableMetadata,
        resolved: Mapping[str, list[str]],
        codelist: Mapping[str, str] | None,
        *,
        refresh: bool,
        checked: bool,
    ) -> Iterator[tuple[bytes, Provenance]]:
        """The data answers; ``checked``: the metadata was asked from the API during this call."""
        table_id = metadata.id
        lists = {metadata.dimension(k).id: v for k, v in (codelist or {}).items()}
        params = {"lang": self.lang, "outputFormat": "json-stat2"}
        path = f"tables/{table_id}/data"
        what = f"data of table {table_id}"
        # the table's 'updated' as the API says it now (asked at most once)
        current: str | None = metadata.updated if checked else None
        for part in split_selection(dict(resolved), self.max_cells):
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
            fetched: Fetched | None = None
            if not refresh:
                entry = self._web.cached("POST", self._url(path), params=params, json=body)
                if entry is not None and not self._web.is_fresh(entry, self.max_age):
                    updated = entry.notes.get("updated", "")
                    if updated:
                        if current is None:  # PxWebApi has no conditional POST: ask the metadata instead
                            current = self.metadata(table_id, refresh=True).updated
                        if current == updated:
                            log.info(
                                "%s: unchanged since %s (metadata); cached answer confirmed", what, updated
                            )
                            fetched = self._web.confirm(entry)
            if fetched is None:
                fetched = self._request(
                    "POST", path, params=params, body=body, refresh=refresh, what=what, validate=check_dataset
                )
            yield fetched.content, _provenance(fetched, note=f"table {table_id}, {_summary(part)}")

    def query(
        self,
        table_id: str,
        selection: Mapping[str, str | Sequence[str]] | None = None,
        *,
        codelist: Mapping[str, str] | None = None,
        refresh: bool = False,
        groups: Literal["keep", "drop", "error"] = "keep",
        categories: Literal["label", "code"] = "label",
        geography_year: int | None = None,
    ) -> StatTable:
        """Fetch a selection of a table as one StatTable (split under the cell limit, cached).

        >>> client.query("07459", {"Region": ["3301", "3303"], "Tid": "top(5)"})  # doctest: +SKIP

        :param selection: dimension id or label → codes / wildcards / expressions; dimensions left out
            are eliminated if the table allows it, otherwise all their codes are fetched.
        :param codelist: dimension → codelist id (e.g. ``{"Region": "agg_KommSummer"}``).
        :param refresh: ask the API again for the metadata, codelists and data instead of using cached
            answers (so ``top(1)`` sees a year published since the last call).
        :param groups: rows that are not areas (pseudo-regions, grouped codes, KOSTRA groups): ``"keep"``
            them with their own level (the default, as the file readers do), ``"drop"`` them (listed in
            the metadata) or treat them as an ``"error"``.
        """
        from samhandling_kostra.dimensions import UnreadableCategory, parse_period
        from samhandling_kostra.jsonstat import read_jsonstat

        metadata, asked = self._metadata_answer(table_id, refresh=refresh)
        resolved = self._resolve(metadata, selection, codelist, refresh=refresh)
        if geography_year is None:
            # Every part of a split query must be declared on the same map: the latest year asked for.
            time_dimension = metadata.time
            chosen = resolved.get(time_dimension.id, []) if time_dimension else []
            years = []
            for code in chosen:
                try:
                    years.append(parse_period(code)[0])
                except UnreadableCategory:
                    continue
            geography_year = max(years) if years else None
        tables = []
        for content, provenance in self._fetch_parts(
            metadata, resolved, codelist, refresh=refresh, checked=asked
        ):
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
        groups: Literal["keep", "drop", "error"] = "keep",
        categories: Literal["label", "code"] = "label",
        geography_year: int | None = None,
    ) -> StatTable:
        """Fetch a ready-made data URL (``…/tables/{id}/data?valueCodes[…]=…``) as a StatTable."""
        from samhandling_kostra.jsonstat import read_jsonstat

        output = re.search(r"[?&]outputformat=([^&]+)", url, re.IGNORECASE)
        if output and output[1].lower() not in ("json-stat2", "jsonstat2"):
            raise PxWebError(
                f"{url}: outputFormat={output[1]} is not supported; use json-stat2 (the default)", url=url
            )
        fetched = self._request("GET", url, refresh=refresh, what=url, validate=check_dataset)
        provenance = _provenance(fetched, note="data URL")
        table = read_jsonstat(
            fetched.content,
            groups=groups,
            categories=categories,
            geography_year=geography_year,
            location=url,
        )
        return _with_provenance(table, provenance)


def _summary(part: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{k}={','.join(v) if len(v) <= 4 else f'{len(v)} codes'}" for k, v in part.items())


def _provenance(fetched: Fetched, *, note: str) -> Provenance:
    if fetched.revalidated:
        note += " (from cache, confirmed unchanged)"
    elif fetched.from_cache:
        note += " (from cache)"
    return Provenance(
        source=SOURCE_NAME,
        location=fetched.final_url,
        checksum=f"sha256:{fetched.sha256}",
        retrieved=fetched.retrieved,
        note=note,
    )


def _with_provenance(table: StatTable, provenance: Provenance) -> StatTable:
    meta = attrs.evolve(table.meta, source=SOURCE_NAME, provenance=(provenance,))
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)
