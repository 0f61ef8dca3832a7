"""Retry-After parsing, the backoff sequence, the rate limit and the extra that brings httpx."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import pytest

from samhandling.errors import ValidationError
from samhandling.web import RateLimit, RetryPolicy, parse_retry_after

NOW = dt.datetime(2026, 10, 21, 7, 28, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("007", 7.0),
        ("Wed, 21 Oct 2026 07:30:00 GMT", 120.0),
        ("Wed, 21 Oct 2026 07:00:00 GMT", 0.0),  # in the past: now
        ("Wednesday, 21-Oct-26 07:29:00 GMT", 60.0),  # the obsolete RFC 850 form
        ("99999999999999999999999999999", math.inf),
        ("1" + "0" * 400, math.inf),
        (
            "Fri, 31 Dec 9999 23:59:59 GMT",
            (dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC) - NOW).total_seconds(),
        ),
    ],
)
def test_retry_after_values(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(
    "value", ["inf", "-inf", "nan", "-5", "1e309", "1e3", "soon", "", "0x10", "Mon, 99 Foo 2026"]
)
def test_unreadable_retry_after_values(value: str) -> None:
    with pytest.raises(ValueError, match="neither seconds nor an HTTP date"):
        parse_retry_after(value, now=NOW)


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    policy = RetryPolicy(retries=5, backoff=2.0, max_backoff=10.0)
    assert [policy.backoff_wait(n, lambda: 0.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert [policy.backoff_wait(n, lambda: 1.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert policy.backoff_wait(10_000, lambda: 0.5) == 7.5  # no OverflowError on a huge retry number
    assert policy.attempts == 6


@pytest.mark.parametrize(
    "settings",
    [{"retries": -1}, {"retries": 1000}, {"retries": True}, {"backoff": -1.0}, {"max_retry_after": math.inf}],
)
def test_retry_settings_are_checked(settings: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RetryPolicy(**settings)  # type: ignore[arg-type]


def test_rate_limit_sliding_window() -> None:
    now: list[float] = [0.0]
    waits: list[float] = []
    limit = RateLimit(3, 10.0)
    for at in (0.0, 1.0, 2.0):
        now[0] = at
        limit.acquire(clock=lambda: now[0], sleep=waits.append)
    assert waits == []
    now[0] = 5.0
    limit.acquire(clock=lambda: now[0], sleep=waits.append)
    assert waits == [5.0]  # the call at 0.0 leaves the window at 10.0
    now[0] = 30.0
    limit.acquire(clock=lambda: now[0], sleep=waits.append)
    assert waits == [5.0]
    with pytest.raises(ValidationError):
        limit.calls = 0
    with pytest.raises(ValidationError):
        RateLimit(3, math.nan)


def test_without_httpx_the_error_names_the_extra() -> None:
    code = "import sys; sys.modules['httpx'] = None; import samhandling.web"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "ImportError: samhandling.web needs httpx" in result.stderr
    assert 'pip install "samhandling[api]"' in result.stderr


def test_the_core_imports_without_httpx() -> None:
    code = (
        "import sys; sys.modules['httpx'] = None; import samhandling, samhandling.errors, "
        "samhandling.sources; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr
