"""One HTTP client for every web API the library reads: cached, checked, bounded and polite.

:class:`WebClient` is what the PxWebApi client (``samhandling-kostra``) and the KLASS fetcher
(:mod:`samhandling.web.klass`) use to talk to SSB.  Its rules:

* **The cache never serves stale data silently.**  An answer is served from the disk cache only while
  it is younger than ``max_age``.  After that the client asks again; where the server gave an ``ETag``
  or ``Last-Modified`` the question is conditional (``If-None-Match`` / ``If-Modified-Since``) and a
  ``304 Not Modified`` confirms the cached answer without downloading it.  ``refresh=True`` asks again
  whatever the age.
* **Nothing is cached unless it is complete and valid**: status ``200``, every byte the
  ``Content-Length`` promised, the body read to its end within the time allowed, and accepted by the
  caller's ``validate`` function (e.g. "is JSON-stat 2.0").  Cache writes are atomic and every read is
  checked; a corrupt entry is discarded, logged and fetched again (:mod:`samhandling.web.cache`).
* **Timeouts bound the whole request**, not each read: connecting, sending and every read of the answer
  share one deadline of ``timeout`` seconds.  A server that trickles bytes is cut off at the deadline
  (a watchdog shuts the connection down), and the attempt counts as a timeout.
* **Retries with backoff** cover timeouts, broken connections, cut-off answers, ``429`` and ``5xx``,
  with ``Retry-After`` honoured up to a cap (:mod:`samhandling.web.retry`).
* **No redirect to another host** unless the host is named in ``allow_redirects_to``; redirects on the
  same host are followed.  The cache key is the URL asked for, and an answer that came from another
  host is never stored under it.
* **Every error is a** :class:`samhandling.errors.FetchError` naming the URL and what happened — never a
  raw ``httpx`` exception.

httpx does the HTTP.  Why not hishel, httpx-retries, stamina or pyrate-limiter is explained on the
documentation page *SSB's APIs: the web client and its cache*.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json as jsonlib
import logging
import math
import random as randomlib
import socket
import threading
import time
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx

from samhandling.errors import FetchError, SamhandlingError, ValidationError
from samhandling.web.cache import CacheEntry, RequestKey, ResponseCache
from samhandling.web.ratelimit import RateLimit
from samhandling.web.retry import RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_TIMEOUT",
    "Fetched",
    "Validator",
    "WebClient",
    "default_cache_dir",
]

log = logging.getLogger("samhandling.web")

#: Answers are served from the cache for a day, then asked for again (or revalidated).
DEFAULT_MAX_AGE = 24 * 3600.0
#: Seconds one request (connect, send, every read) may take in all.
DEFAULT_TIMEOUT = 30.0
#: The largest answer accepted (bytes after decompression); larger answers are refused, not cached.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

#: A function that checks a downloaded answer before it is cached and returned.  It raises
#: ``ValueError`` (or a :class:`samhandling.errors.SamhandlingError`) saying what is wrong, and may
#: return facts to keep with the cached answer (e.g. ``{"updated": "…"}``).
Validator = Callable[[bytes], Mapping[str, str] | None]


def default_cache_dir(name: str) -> Path:
    """``platformdirs.user_cache_dir("samhandling")/<name>``: where a client keeps its answers."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("samhandling")) / name


def _seconds(value: float | dt.timedelta | None, name: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else value
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds >= 0):
        raise ValidationError(f"{name} must be a finite number of seconds ≥ 0 (or None), not {value!r}")
    return float(seconds)


@typing.final
@attrs.frozen(kw_only=True)
class Fetched:
    """An answer: its bytes, where it came from and whether the cache gave it.

    ``url`` is the URL asked for (with its query); ``final_url`` where the answer came from (different
    only after a redirect on the same host).  ``retrieved`` is when the bytes were downloaded (ISO 8601,
    UTC); ``revalidated`` means the server confirmed a cached answer (``304``) during this call.
    """

    url: str
    final_url: str
    content: bytes = attrs.field(repr=False)
    retrieved: str
    from_cache: bool = False
    revalidated: bool = False
    content_type: str = ""
    notes: dict[str, str] = attrs.field(factory=dict)

    @property
    def sha256(self) -> str:
        """SHA-256 of the answer, for provenance."""
        import hashlib

        return hashlib.sha256(self.content).hexdigest()

    @classmethod
    def from_entry(cls, entry: CacheEntry, *, revalidated: bool = False) -> Fetched:
        """The answer a cache entry holds."""
        return cls(
            url=entry.key.url,
            final_url=entry.final_url,
            content=entry.content,
            retrieved=entry.retrieved,
            from_cache=True,
            revalidated=revalidated,
            content_type=entry.content_type,
            notes=dict(entry.notes),
        )


# -------------------------------------------------------------------------------------------------
# One attempt's outcome
# -------------------------------------------------------------------------------------------------


class _Transient(Exception):
    """A failure worth retrying; ``error`` is what to raise when the retries are used up."""

    def __init__(self, error: FetchError, *, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


@attrs.frozen
class _Answer:
    status: int
    headers: httpx.Headers
    content: bytes
    url: str


class _Deadline:
    """Ends an attempt at its deadline: shuts down every socket the attempt opened.

    httpx's timeouts apply to each read, so a server sending a byte now and then would never time
    out.  The sockets come from httpcore's ``trace`` request extension (``connection.connect_tcp``)
    and the ``network_stream`` response extension; shutting one down makes the blocked read return,
    and the attempt is reported as a timeout.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.expired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith(".complete"):
            self.watch(info.get("return_value"))

    def watch(self, stream: object) -> None:
        get = getattr(stream, "get_extra_info", None)
        sock = get("socket") if callable(get) else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _same_host(asked: httpx.URL, target: httpx.URL) -> bool:
    """Same host and port, or the same host moved from http to https on the default ports."""
    if asked.host.lower() != target.host.lower():
        return False
    if asked.scheme == target.scheme:
        return _port(asked) == _port(target)
    return asked.scheme == "http" and target.scheme == "https" and _port(asked) == 80 and _port(target) == 443


def _problem_detail(response_content: bytes, content_type: str) -> str:
    """The server's own words about an error: RFC 7807 ``title``/``detail``, or the start of the text."""
    text = response_content[:4000].decode("utf-8", "replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = jsonlib.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            title, detail = data.get("title"), data.get("detail")
            message = data.get("message") or data.get("error")
            if title and detail:
                return f"{title}: {detail}"
            return str(title or detail or message or "")[:300]
    return " ".join(text.split())[:200]


# -------------------------------------------------------------------------------------------------
# The client
# -------------------------------------------------------------------------------------------------


class WebClient:
    """GET and POST with the rules of the module docstring.

    :param cache_dir: where answers are cached; default ``default_cache_dir("web")``.
    :param cache: ``False`` to neither read nor write the cache.
    :param max_age: how long a cached answer is served without asking the server (seconds or a
        ``timedelta``; ``None`` = until ``refresh=True``; ``0`` = always ask, revalidating if possible).
    :param timeout: seconds one attempt may take in all (connect, send, every read).
    :param retries: retries after the first attempt; ``backoff``/``max_backoff`` shape the waits.
    :param max_retry_after: the longest ``Retry-After`` waited for; a longer one is an error.
    :param rate_limit: a :class:`RateLimit` to respect, or ``None``.
    :param allow_redirects_to: host names (``"host"`` or ``"host:port"``) redirects may lead to, besides
        the host asked; answers from them are returned but never cached.
    :param max_bytes: the largest answer accepted.
    :param headers: headers sent with every request (e.g. ``Accept``).
    :param transport: an :class:`httpx.BaseTransport` (tests, proxies).  The deadline watchdog needs
        httpx's own transport; with another one each read is still bounded by what is left of the
        deadline.
    :param sleep: how to wait (tests pass a recorder); ``clock`` a monotonic clock for deadlines and the
        rate limit; ``now`` the wall clock for cache ages; ``random`` the jitter source in ``[0, 1)``.
    """

    def __init__(
        self,
        *,
        cache_dir: str | Path | None = None,
        cache: bool = True,
        max_age: float | dt.timedelta | None = DEFAULT_MAX_AGE,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        rate_limit: RateLimit | None = None,
        allow_redirects_to: Iterable[str] = (),
        max_redirects: int = 5,
        max_bytes: int = DEFAULT_MAX_BYTES,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        random: Callable[[], float] = randomlib.random,
    ) -> None:
        timeout_seconds = _seconds(timeout, "timeout")
        if not timeout_seconds:
            raise ValidationError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.timeout = timeout_seconds
        self.max_age = _seconds(max_age, "max_age")
        self.retry = RetryPolicy(
            retries=retries, backoff=backoff, max_backoff=max_backoff, max_retry_after=max_retry_after
        )
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir("web")
        self.cache = ResponseCache(self.cache_dir) if cache else None
        self.rate_limit = rate_limit
        self.allow_redirects_to = frozenset(h.lower() for h in allow_redirects_to)
        self.max_redirects = max_redirects
        self.max_bytes = max_bytes
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._random = random
        from samhandling import __version__

        self._http = httpx.Client(
            headers={"User-Agent": f"samhandling/{__version__}", **dict(headers or {})},
            transport=transport,
            follow_redirects=False,
            timeout=self.timeout,
            # A new connection per request: every socket is seen by the deadline watchdog.
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        #: HTTP requests sent (answers from the cache are not counted; redirects and retries are).
        self.requests_sent = 0

    def __repr__(self) -> str:
        where = self.cache.directory if self.cache is not None else "off"
        return f"<WebClient cache={where} max_age={self.max_age} timeout={self.timeout}>"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> WebClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the public calls ---------------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        validate: Validator | None = None,
        refresh: bool = False,
        max_age: float | dt.timedelta | typing.Literal["default"] | None = "default",
        what: str = "",
    ) -> Fetched:
        """GET ``url`` (see :meth:`request`)."""
        return self.request(
            "GET", url, params=params, validate=validate, refresh=refresh, max_age=max_age, what=what
        )

    def post(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        validate: Validator | None = None,
        refresh: bool = False,
        max_age: float | dt.timedelta | typing.Literal["default"] | None = "default",
        what: str = "",
    ) -> Fetched:
        """POST a JSON body to ``url`` (see :meth:`request`)."""
        return self.request(
            "POST",
            url,
            params=params,
            json=json,
            validate=validate,
            refresh=refresh,
            max_age=max_age,
            what=what,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        validate: Validator | None = None,
        refresh: bool = False,
        max_age: float | dt.timedelta | typing.Literal["default"] | None = "default",
        what: str = "",
    ) -> Fetched:
        """The answer to a request: from the cache while fresh, else from the server (and then cached).

        :param validate: checks a downloaded answer before it is cached or returned (see
            :data:`Validator`); a failure is a :class:`FetchError` and nothing is cached.
        :param refresh: ask the server even if the cached answer is fresh (revalidating if possible).
        :param max_age: this call's freshness limit instead of the client's.
        :param what: how errors name the request (e.g. ``"metadata of table 07459"``); the URL is
            always named too.
        :raises FetchError: the request failed after the retries, was refused, or its answer was not
            valid.
        """
        key = self.key(method, url, params=params, json=json)
        label = f"{what} ({key.url})" if what and what != key.url else key.url
        limit = self.max_age if max_age == "default" else _seconds(max_age, "max_age")
        entry = self.cache.load(key) if self.cache is not None else None
        if entry is not None and not refresh and self.is_fresh(entry, limit):
            log.debug("%s: from the cache (%.0f s old)", label, entry.age(self._now()))
            return Fetched.from_entry(entry)
        conditional = entry if entry is not None and key.method == "GET" else None
        if conditional is not None and not (conditional.etag or conditional.last_modified):
            conditional = None
        answer = self._with_retries(key, label, conditional)
        now = self._now()
        if answer.status == 304 and conditional is not None:
            confirmed = self._confirm(conditional, now, answer.headers)
            log.info("%s: unchanged on the server (304); cached answer confirmed", label)
            return Fetched.from_entry(confirmed, revalidated=True)
        notes = self._validate(answer, validate, label, key)
        fetched = Fetched(
            url=key.url,
            final_url=answer.url,
            content=answer.content,
            retrieved=dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds"),
            content_type=answer.headers.get("content-type", ""),
            notes=notes,
        )
        if self.cache is not None:
            if _same_host(httpx.URL(key.url), httpx.URL(answer.url)):
                self.cache.store(
                    CacheEntry(
                        key=key,
                        final_url=answer.url,
                        content=answer.content,
                        fetched_at=now,
                        confirmed_at=now,
                        etag=answer.headers.get("etag", ""),
                        last_modified=answer.headers.get("last-modified", ""),
                        content_type=fetched.content_type,
                        notes=notes,
                    )
                )
            else:
                log.info("%s: the answer came from %s and is not cached", label, answer.url)
        return fetched

    def key(
        self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> RequestKey:
        """The cache key of a request: method, the full URL asked for and the JSON body's bytes."""
        try:
            full = httpx.URL(url)
            if params:
                full = full.copy_merge_params(dict(params))
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise FetchError(f"{url}: not a URL that can be fetched ({exc})", url=url) from None
        if full.scheme not in ("http", "https") or not full.host:
            raise FetchError(f"{url}: not an http(s) URL", url=url)
        body = None
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode()
        return RequestKey(method=method.upper(), url=str(full), body=body)

    def cached(
        self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> CacheEntry | None:
        """The cached answer to a request whatever its age (``None`` without one or without a cache)."""
        if self.cache is None:
            return None
        return self.cache.load(self.key(method, url, params=params, json=json))

    def confirm(self, entry: CacheEntry) -> Fetched:
        """Mark a cached answer as current now (the caller checked it another way); returns it."""
        if self.cache is None:
            return Fetched.from_entry(entry, revalidated=True)
        return Fetched.from_entry(self.cache.confirm(entry, self._now()), revalidated=True)

    def is_fresh(self, entry: CacheEntry, max_age: float | None) -> bool:
        """Whether ``entry`` may be served without asking the server."""
        if max_age is None:
            return True
        age = entry.age(self._now())
        return 0 <= age < max_age

    def clear_cache(self) -> int:
        """Delete every cached answer; returns how many were deleted."""
        return self.cache.clear() if self.cache is not None else 0

    # -- attempts -----------------------------------------------------------------------------------
    def _with_retries(self, key: RequestKey, label: str, conditional: CacheEntry | None) -> _Answer:
        attempts = self.retry.attempts
        for attempt in range(1, attempts + 1):
            if self.rate_limit is not None:
                waited = self.rate_limit.acquire(clock=self._clock, sleep=self._sleep)
                if waited:
                    log.info("%s: waited %.1f s for the rate limit", label, waited)
            try:
                return self._attempt(key, label, conditional)
            except _Transient as failure:
                if attempt == attempts:
                    error = failure.error
                    if attempts > 1:
                        error = FetchError(
                            f"{error} (tried {attempts} times)",
                            url=error.url,
                            status=error.status,
                            detail=error.detail,
                        )
                    raise error from None
                wait = failure.wait
                if wait is None:
                    wait = self.retry.backoff_wait(attempt, self._random)
                log.info(
                    "%s; retrying in %.1f s (attempt %d of %d)", failure.error, wait, attempt + 1, attempts
                )
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, key: RequestKey, label: str, conditional: CacheEntry | None) -> _Answer:
        asked = httpx.URL(key.url)
        url = asked
        method = key.method
        headers: dict[str, str] = {}
        if key.body is not None:
            headers["Content-Type"] = "application/json"
        if conditional is not None:
            if conditional.etag:
                headers["If-None-Match"] = conditional.etag
            if conditional.last_modified:
                headers["If-Modified-Since"] = conditional.last_modified
        deadline = self._clock() + self.timeout
        for _ in range(self.max_redirects + 1):
            answer = self._send(method, url, key.body, headers, deadline, label)
            if answer.status not in _REDIRECTS:
                return self._judge(answer, label, key.url, conditional)
            location = answer.headers.get("location")
            if not location:
                raise FetchError(
                    f"{label}: HTTP {answer.status} redirect without a Location",
                    url=key.url,
                    status=answer.status,
                )
            target = url.join(location)
            host = target.host.lower()
            allowed = host in self.allow_redirects_to or f"{host}:{_port(target)}" in self.allow_redirects_to
            if not (_same_host(asked, target) or allowed):
                raise FetchError(
                    f"{label}: the server redirects to another host ({target}); not followed — pass "
                    f"allow_redirects_to=[{target.host!r}] if that host is trusted",
                    url=key.url,
                    status=answer.status,
                )
            if method != "GET" and answer.status not in (307, 308):
                raise FetchError(
                    f"{label}: the server answered the {method} with HTTP {answer.status} to {target}; "
                    f"the request is not repeated as a GET",
                    url=key.url,
                    status=answer.status,
                )
            log.info("%s: redirected (HTTP %d) to %s", label, answer.status, target)
            url = target
        raise FetchError(f"{label}: more than {self.max_redirects} redirects", url=key.url)

    def _judge(self, answer: _Answer, label: str, url: str, conditional: CacheEntry | None) -> _Answer:
        status = answer.status
        if status == 200 or (status == 304 and conditional is not None):
            return answer
        detail = _problem_detail(answer.content, answer.headers.get("content-type", ""))
        error = FetchError(
            f"{label}: HTTP {status}" + (f" — {detail}" if detail else ""),
            url=url,
            status=status,
            detail=detail,
        )
        if status == 429 or status >= 500:
            raise _Transient(error, wait=self._retry_after(answer, label, error))
        if 200 < status < 300:
            raise FetchError(
                f"{label}: HTTP {status} where a complete answer (200) was expected", url=url, status=status
            )
        raise error

    def _retry_after(self, answer: _Answer, label: str, error: FetchError) -> float | None:
        value = answer.headers.get("retry-after")
        if value is None:
            return None
        try:
            seconds = parse_retry_after(value, now=dt.datetime.fromtimestamp(self._now(), dt.UTC))
        except ValueError as exc:
            log.warning("%s: %s; waiting the ordinary backoff instead", label, exc)
            return None
        if seconds > self.retry.max_retry_after:
            asked = "an unbounded time" if math.isinf(seconds) else f"{seconds:.0f} s"
            raise FetchError(
                f"{error}; the server asks to wait {asked} (Retry-After: {value.strip()[:40]}), longer than "
                f"max_retry_after={self.retry.max_retry_after:g} s — try again later",
                url=error.url,
                status=error.status,
                detail=error.detail,
            )
        return seconds

    def _send(
        self,
        method: str,
        url: httpx.URL,
        body: bytes | None,
        headers: Mapping[str, str],
        deadline: float,
        label: str,
    ) -> _Answer:
        where = url.netloc.decode("ascii", "replace")
        too_slow = FetchError(f"{label}: no answer from {where} within {self.timeout:g} s", url=str(url))
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _Transient(too_slow)
        watchdog = _Deadline(remaining)
        received = 0
        answered = False  # the status line and headers have arrived
        try:
            request = self._http.build_request(
                method,
                url,
                content=body,
                headers=headers,
                timeout=httpx.Timeout(remaining),
                extensions={"trace": watchdog.trace},
            )
            self.requests_sent += 1
            with watchdog:
                response = self._http.send(request, stream=True)
                answered = True
                try:
                    watchdog.watch(response.extensions.get("network_stream"))
                    chunks: list[bytes] = []
                    for chunk in response.iter_bytes():
                        received += len(chunk)
                        if received > self.max_bytes:
                            raise FetchError(
                                f"{label}: the answer is larger than {self.max_bytes} bytes; refused",
                                url=str(url),
                            )
                        chunks.append(chunk)
                        if self._clock() > deadline:
                            raise _Transient(
                                FetchError(
                                    f"{label}: no complete answer from {where} within {self.timeout:g} s "
                                    f"({received} bytes received)",
                                    url=str(url),
                                )
                            )
                    if watchdog.expired or self._clock() > deadline:  # cut off at the deadline
                        raise _Transient(
                            FetchError(
                                f"{label}: no complete answer from {where} within {self.timeout:g} s "
                                f"({received} bytes received)",
                                url=str(url),
                            )
                        )
                    # h11 already refuses a body shorter than its Content-Length; this also covers
                    # other transports.  Compressed bodies are counted as they came over the wire.
                    promised = response.headers.get("content-length", "").strip()
                    encoding = response.headers.get("content-encoding", "identity").strip().lower()
                    plain = encoding in ("", "identity")
                    got = received if plain else response.num_bytes_downloaded
                    counted = plain or got > 0  # an in-memory answer of a test transport counts nothing
                    if (
                        response.status_code == 200
                        and promised.isdigit()
                        and counted
                        and got != int(promised)
                    ):
                        raise _Transient(
                            FetchError(
                                f"{label}: the answer from {where} was cut off: {got} of {promised} bytes",
                                url=str(url),
                            )
                        )
                    return _Answer(
                        response.status_code, response.headers, b"".join(chunks), str(response.url)
                    )
                finally:
                    response.close()
        except (FetchError, _Transient):
            raise
        except httpx.TimeoutException:
            raise _Transient(too_slow) from None
        except httpx.TransportError as exc:
            if watchdog.expired and not answered:
                raise _Transient(too_slow) from None
            if watchdog.expired:
                message = f"{label}: no complete answer from {where} within {self.timeout:g} s"
                raise _Transient(FetchError(f"{message} ({received} bytes received)", url=str(url))) from None
            if isinstance(exc, httpx.UnsupportedProtocol):
                raise FetchError(f"{label}: cannot fetch {url}: {exc}", url=str(url)) from None
            if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
                raise _Transient(FetchError(f"{label}: cannot reach {where}: {exc}", url=str(url))) from None
            reason = str(exc) or type(exc).__name__
            raise _Transient(
                FetchError(f"{label}: the answer from {where} was cut off: {reason}", url=str(url))
            ) from None
        except httpx.HTTPError as exc:  # decoding errors and the like: the answer is broken, not late
            reason = str(exc) or type(exc).__name__
            raise _Transient(
                FetchError(f"{label}: the answer from {where} could not be read: {reason}", url=str(url))
            ) from None

    def _validate(
        self, answer: _Answer, validate: Validator | None, label: str, key: RequestKey
    ) -> dict[str, str]:
        if validate is None:
            return {}
        try:
            notes = validate(answer.content)
        except (ValueError, TypeError, KeyError, SamhandlingError) as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchError(
                f"{label}: the answer is not valid: {reason}; nothing was cached", url=key.url
            ) from None
        return {str(k): str(v) for k, v in (notes or {}).items()}

    def _confirm(self, entry: CacheEntry, now: float, headers: httpx.Headers) -> CacheEntry:
        assert self.cache is not None
        return self.cache.confirm(
            entry, now, etag=headers.get("etag", ""), last_modified=headers.get("last-modified", "")
        )
