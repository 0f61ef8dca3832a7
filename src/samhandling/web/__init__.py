"""Reading SSB's web APIs safely: one cached, checked, bounded, retrying HTTP client.

Needs the ``api`` extra (httpx and platformdirs): ``pip install "samhandling[api]"``.

* :class:`WebClient` — GET and POST with a disk cache that never serves stale answers silently,
  whole-request timeouts, retries with backoff and ``Retry-After``, and no redirects to another host;
  used by the PxWebApi client of ``samhandling-kostra`` and by the KLASS fetcher.
* :func:`fetch_klass_changes`, :func:`fetch_klass_codes` — SSB's classification service (KLASS):
  the code changes of municipalities (131), counties (104) and city districts (103) between two dates,
  and the codes valid on a date, as the parsed JSON (and, if asked, saved to a file).
* :class:`ResponseCache`, :class:`RetryPolicy`, :class:`RateLimit` — the parts, for other clients.

Every error is a :class:`samhandling.errors.FetchError` naming the URL and what happened.
"""

from __future__ import annotations

try:
    import httpx as _httpx  # noqa: F401  (checked here so the message names the extra)
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "samhandling.web needs httpx, which comes with the 'api' extra: pip install \"samhandling[api]\""
    ) from _missing

from samhandling.web.cache import CacheEntry, RequestKey, ResponseCache
from samhandling.web.client import (
    DEFAULT_MAX_AGE,
    DEFAULT_TIMEOUT,
    Fetched,
    Validator,
    WebClient,
    default_cache_dir,
)
from samhandling.web.klass import (
    CITY_DISTRICTS,
    COUNTIES,
    KLASS_API,
    MUNICIPALITIES,
    fetch_klass_changes,
    fetch_klass_codes,
)
from samhandling.web.ratelimit import RateLimit
from samhandling.web.retry import RetryPolicy, parse_retry_after

__all__ = [
    "CITY_DISTRICTS",
    "COUNTIES",
    "DEFAULT_MAX_AGE",
    "DEFAULT_TIMEOUT",
    "KLASS_API",
    "MUNICIPALITIES",
    "CacheEntry",
    "Fetched",
    "RateLimit",
    "RequestKey",
    "ResponseCache",
    "RetryPolicy",
    "Validator",
    "WebClient",
    "default_cache_dir",
    "fetch_klass_changes",
    "fetch_klass_codes",
    "parse_retry_after",
]
