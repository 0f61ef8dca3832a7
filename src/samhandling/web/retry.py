"""When to try a request again, and how long to wait first.

Retried: timeouts (the whole request did not finish in time), connections that could not be made or
broke off, answers cut off before their end, ``429 Too Many Requests`` and every ``5xx``.  Not retried:
other ``4xx`` (the request is wrong and stays wrong), refused redirects, answers that are complete but
not valid.

The wait before retry *n* (1, 2, …) is exponential with jitter: half of
``min(max_backoff, backoff × 2ⁿ⁻¹)`` plus a random part of up to the other half, so clients that failed
together do not come back together.  A ``Retry-After`` header on a ``429`` or ``5xx`` answer replaces
that wait: in seconds (``120``, also ``1.5``) or as an HTTP date (``Wed, 21 Oct 2026 07:28:00 GMT``; a
date in the past means "now").  A wait longer than ``max_retry_after`` is not waited for: the request
fails at once with an error that says what the server asked for.  A value that is neither — negative,
``inf``, ``nan``, text — is logged and the ordinary backoff is used; no value can make the client
sleep without bound or raise :class:`OverflowError`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re
import typing
from collections.abc import Callable

import attrs

from samhandling.errors import ValidationError

__all__ = ["RetryPolicy", "parse_retry_after"]

_SECONDS = re.compile(r"[0-9]+")
_DECIMAL_SECONDS = re.compile(r"[0-9]*\.[0-9]+")
#: More digits than this are "longer than any cap" without converting them to a number.
_MAX_DIGITS = 12


def parse_retry_after(value: str, *, now: dt.datetime) -> float:
    """Seconds a ``Retry-After`` header value asks to wait (``math.inf`` for an absurdly long wait).

    :param now: the current time (aware), for the HTTP-date form.
    :raises ValueError: the value is not delta-seconds nor an HTTP date (e.g. ``-5``, ``inf``, ``soon``).
    """
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text) if len(text.lstrip("0")) <= _MAX_DIGITS else math.inf
    if _DECIMAL_SECONDS.fullmatch(text):
        whole = text.split(".", 1)[0].lstrip("0")
        return float(text) if len(whole) <= _MAX_DIGITS else math.inf
    if not re.search(r"[A-Za-z]{3}", text):
        raise ValueError(f"Retry-After {value[:40]!r} is neither seconds nor an HTTP date")
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ValueError(f"Retry-After {value[:40]!r} is neither seconds nor an HTTP date") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValidationError(f"{attribute.name} must be a finite number of seconds ≥ 0, not {value!r}")


def _count(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise ValidationError(f"{attribute.name} must be a whole number from 0 to 100, not {value!r}")


@typing.final
@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often to retry and how long to wait (see the module docstring).

    ``retries`` is the number of retries after the first attempt (``0`` = try once); ``backoff`` the base
    wait in seconds, whose ceiling doubles with each retry up to ``max_backoff``; ``max_retry_after`` the
    longest ``Retry-After`` the client waits for — a server asking for more gets a clear error instead.
    """

    retries: int = attrs.field(default=3, validator=_count)
    backoff: float = attrs.field(default=1.0, validator=_non_negative)
    max_backoff: float = attrs.field(default=30.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=120.0, validator=_non_negative)

    @property
    def attempts(self) -> int:
        """Attempts in all: the first one and the retries."""
        return self.retries + 1

    def backoff_wait(self, retry: int, random: Callable[[], float]) -> float:
        """The wait before retry number ``retry`` (1-based): half the ceiling plus jitter up to half."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** min(max(retry - 1, 0), 60))
        share = min(max(float(random()), 0.0), 1.0)
        return ceiling / 2 + share * ceiling / 2
