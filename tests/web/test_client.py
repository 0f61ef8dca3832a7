"""The web client's rules, each against a local server that misbehaves the way real ones do."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from samhandling.errors import FetchError, SourceError
from samhandling.web import WebClient

from .conftest import Recorder, Reply, Server, WallClock

DOCUMENT = json.dumps({"tables": [{"id": "07459"}]}).encode()


def json_object(content: bytes) -> dict[str, str]:
    """A validator: the answer must be a JSON object; records its size."""
    data = json.loads(content)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return {"keys": str(len(data))}


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def sleeper() -> Recorder:
    return Recorder()


@pytest.fixture
def client(tmp_path: Path, wall: WallClock, sleeper: Recorder) -> Iterator[WebClient]:
    with WebClient(
        cache_dir=tmp_path / "cache", max_age=3600, timeout=5, now=wall, sleep=sleeper, random=lambda: 0.0
    ) as web:
        yield web


def entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("*.entry"))


# -- the cache: fresh, expired, revalidated, refreshed ----------------------------------------------


def test_a_fresh_answer_comes_from_the_cache(client: WebClient, server: Server) -> None:
    server.answer("/tables", Reply(body=DOCUMENT))
    first = client.get(server.url("/tables"), params={"lang": "no"}, validate=json_object)
    second = client.get(server.url("/tables"), params={"lang": "no"}, validate=json_object)
    assert len(server.requests_to("/tables")) == 1
    assert not first.from_cache
    assert second.from_cache
    assert second.content == first.content == DOCUMENT
    assert second.url == server.url("/tables?lang=no")
    assert second.notes == {"keys": "1"}  # what the validator recorded is kept with the answer
    assert second.retrieved == first.retrieved


def test_an_expired_answer_is_fetched_again(client: WebClient, server: Server, wall: WallClock) -> None:
    server.answer("/tables", [Reply(body=b'{"v": 1}'), Reply(body=b'{"v": 2}')])
    assert client.get(server.url("/tables")).content == b'{"v": 1}'
    wall.advance(3599)
    assert client.get(server.url("/tables")).content == b'{"v": 1}'
    wall.advance(2)
    again = client.get(server.url("/tables"))
    assert again.content == b'{"v": 2}'
    assert not again.from_cache
    assert len(server.requests_to("/tables")) == 2
    assert "if-none-match" not in server.seen[-1].headers  # nothing to revalidate with


def test_max_age_per_call_and_none_for_never(client: WebClient, server: Server, wall: WallClock) -> None:
    server.answer("/x", [Reply(body=b'{"v": 1}'), Reply(body=b'{"v": 2}')])
    client.get(server.url("/x"))
    wall.advance(10 * 24 * 3600)
    assert client.get(server.url("/x"), max_age=None).from_cache
    assert client.get(server.url("/x"), max_age=0).content == b'{"v": 2}'


def test_an_entry_from_the_future_is_not_trusted(client: WebClient, server: Server, wall: WallClock) -> None:
    server.answer("/x", [Reply(body=b'{"v": 1}'), Reply(body=b'{"v": 2}')])
    client.get(server.url("/x"))
    wall.advance(-7200)  # the clock went back two hours
    assert client.get(server.url("/x")).content == b'{"v": 2}'


def test_revalidation_with_etag_gets_304(client: WebClient, server: Server, wall: WallClock) -> None:
    def answer(seen: object) -> Reply:
        if getattr(seen, "headers", {}).get("if-none-match") == '"v1"':
            return Reply(status=304, body=b"", headers={"ETag": '"v1"'})
        return Reply(body=DOCUMENT, headers={"ETag": '"v1"'})

    server.answer("/meta", answer)
    client.get(server.url("/meta"), validate=json_object)
    wall.advance(4000)
    confirmed = client.get(server.url("/meta"), validate=json_object)
    assert confirmed.from_cache
    assert confirmed.revalidated
    assert confirmed.content == DOCUMENT
    assert server.seen[-1].headers["if-none-match"] == '"v1"'
    # confirmed now: served from the cache for another max_age without asking
    wall.advance(3000)
    assert client.get(server.url("/meta")).from_cache
    assert len(server.requests_to("/meta")) == 2


def test_revalidation_with_last_modified(client: WebClient, server: Server, wall: WallClock) -> None:
    stamp = "Wed, 21 Oct 2026 07:28:00 GMT"
    server.answer(
        "/meta",
        [
            Reply(body=b'{"v": 1}', headers={"Last-Modified": stamp}),
            Reply(body=b'{"v": 2}', headers={"Last-Modified": "Thu, 22 Oct 2026 07:28:00 GMT"}),
        ],
    )
    client.get(server.url("/meta"))
    wall.advance(4000)
    changed = client.get(server.url("/meta"))
    assert server.seen[-1].headers["if-modified-since"] == stamp
    assert changed.content == b'{"v": 2}'
    assert not changed.revalidated
    assert client.get(server.url("/meta")).content == b'{"v": 2}'


def test_refresh_asks_the_server_even_when_fresh(client: WebClient, server: Server) -> None:
    server.answer("/x", [Reply(body=b'{"v": 1}'), Reply(body=b'{"v": 2}')])
    client.get(server.url("/x"))
    assert client.get(server.url("/x"), refresh=True).content == b'{"v": 2}'
    assert client.get(server.url("/x")).content == b'{"v": 2}'


def test_post_bodies_are_part_of_the_key(client: WebClient, server: Server) -> None:
    server.answer("/data", lambda seen: Reply(body=seen.body))
    a = client.post(server.url("/data"), json={"selection": ["a"]})
    b = client.post(server.url("/data"), json={"selection": ["b"]})
    assert json.loads(a.content) == {"selection": ["a"]}
    assert json.loads(b.content) == {"selection": ["b"]}
    assert client.post(server.url("/data"), json={"selection": ["a"]}).from_cache
    assert server.seen[0].headers["content-type"] == "application/json"


def test_cache_off_neither_reads_nor_writes(tmp_path: Path, server: Server) -> None:
    server.answer("/x", Reply(body=b"{}"))
    with WebClient(cache_dir=tmp_path / "cache", cache=False) as web:
        web.get(server.url("/x"))
        web.get(server.url("/x"))
    assert len(server.seen) == 2
    assert not (tmp_path / "cache").exists()


# -- nothing cached unless complete and valid ---------------------------------------------------------


def test_an_error_status_is_not_cached(client: WebClient, server: Server, tmp_path: Path) -> None:
    server.answer("/t", [Reply(status=404, body=b'{"title": "Non-existent table"}'), Reply(body=b"{}")])
    with pytest.raises(FetchError, match=r"/t: HTTP 404 — Non-existent table") as raised:
        client.get(server.url("/t"))
    assert raised.value.status == 404
    assert raised.value.url == server.url("/t")
    assert isinstance(raised.value, SourceError)
    assert not entries(tmp_path)
    assert client.get(server.url("/t")).content == b"{}"


def test_a_body_shorter_than_its_content_length_is_retried_and_never_cached(
    client: WebClient, server: Server, tmp_path: Path, sleeper: Recorder
) -> None:
    cut = Reply(body=DOCUMENT, cut_after=10)
    server.answer("/t", [cut, cut, cut, cut])
    with pytest.raises(FetchError, match=r"cut off.*\(tried 4 times\)"):
        client.get(server.url("/t"))
    assert not entries(tmp_path)
    assert len(sleeper.waits) == 3
    server.answer("/t", [cut, Reply(body=DOCUMENT)])
    assert client.get(server.url("/t")).content == DOCUMENT  # the second attempt succeeds
    assert len(entries(tmp_path)) == 1


def test_a_chunked_body_that_breaks_off_is_not_cached(
    client: WebClient, server: Server, tmp_path: Path
) -> None:
    server.answer("/t", Reply(body=DOCUMENT, chunked=True, cut_after=12))
    with pytest.raises(FetchError, match="cut off"):
        client.get(server.url("/t"))
    assert not entries(tmp_path)
    server.answer("/t", Reply(body=DOCUMENT, chunked=True))
    assert client.get(server.url("/t")).content == DOCUMENT


def test_a_cut_body_without_a_length_is_caught_by_the_validator(
    client: WebClient, server: Server, tmp_path: Path
) -> None:
    server.answer("/t", [Reply(body=DOCUMENT, cut_after=15, close_delimited=True), Reply(body=DOCUMENT)])
    with pytest.raises(FetchError, match=r"the answer is not valid: .*nothing was cached"):
        client.get(server.url("/t"), validate=json_object)
    assert not entries(tmp_path)
    assert len(server.seen) == 1  # an invalid answer is not retried: it would be the same again
    assert client.get(server.url("/t"), validate=json_object).content == DOCUMENT


def test_an_answer_the_validator_refuses_is_not_cached(
    client: WebClient, server: Server, tmp_path: Path
) -> None:
    server.answer("/t", Reply(body=b"[1, 2]"))
    with pytest.raises(FetchError, match="expected a JSON object"):
        client.get(server.url("/t"), validate=json_object)
    with pytest.raises(FetchError, match="expected a JSON object"):
        client.get(server.url("/t"), validate=json_object)
    assert len(server.seen) == 2
    assert not entries(tmp_path)


def test_a_partial_content_answer_is_refused(client: WebClient, server: Server, tmp_path: Path) -> None:
    server.answer("/t", Reply(status=206, body=b"{}"))
    with pytest.raises(FetchError, match=r"HTTP 206 where a complete answer \(200\) was expected"):
        client.get(server.url("/t"))
    assert not entries(tmp_path)


def test_an_answer_larger_than_max_bytes_is_refused(tmp_path: Path, server: Server) -> None:
    server.answer("/big", Reply(body=b"x" * 5000))
    with (
        WebClient(cache_dir=tmp_path / "cache", max_bytes=1000) as web,
        pytest.raises(FetchError, match="larger"),
    ):
        web.get(server.url("/big"))
    assert not entries(tmp_path)


# -- corrupt entries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:-5], id="cut-short"),
        pytest.param(lambda data: data[:-3] + b"XYZ", id="bytes-changed"),
        pytest.param(lambda data: b"garbage" + data, id="bad-magic"),
        pytest.param(lambda data: data.replace(b'"length"', b'"lenght"'), id="header-field-missing"),
        pytest.param(lambda data: data[: data.index(b"\n") + 8], id="header-cut"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_a_corrupt_entry_is_discarded_logged_and_fetched_again(
    client: WebClient, server: Server, tmp_path: Path, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    server.answer("/t", Reply(body=DOCUMENT))
    client.get(server.url("/t"))
    (entry,) = entries(tmp_path)
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="samhandling.web"):
        again = client.get(server.url("/t"))
    assert not again.from_cache
    assert again.content == DOCUMENT
    assert len(server.seen) == 2
    assert "discarded the corrupt cache entry" in caplog.text
    assert "fetching again" in caplog.text
    assert client.get(server.url("/t")).from_cache  # the new entry is whole


# -- timeouts -----------------------------------------------------------------------------------------


def test_a_trickling_server_hits_the_whole_request_timeout(tmp_path: Path, server: Server) -> None:
    # one byte every 50 ms: no single read ever waits long, but the whole answer would take 20 s
    server.answer("/slow", Reply(body=b"x" * 400, trickle=0.05))
    started = time.monotonic()
    with (
        WebClient(cache_dir=tmp_path / "cache", timeout=0.5, retries=0) as web,
        pytest.raises(
            FetchError, match=r"no complete answer from 127\.0\.0\.1:\d+ within 0\.5 s \(\d+ bytes"
        ),
    ):
        web.get(server.url("/slow"))
    assert time.monotonic() - started < 2.0
    assert not entries(tmp_path)


def test_a_server_trickling_its_headers_hits_the_whole_request_timeout(
    tmp_path: Path, server: Server
) -> None:
    # httpx cannot see this one: every read returns a header line in time, and the headers never end
    server.answer("/slow", Reply(header_lines=200, trickle=0.05))
    started = time.monotonic()
    with (
        WebClient(cache_dir=tmp_path / "cache", timeout=0.5, retries=0) as web,
        pytest.raises(FetchError, match=r"no answer from 127\.0\.0\.1:\d+ within 0\.5 s"),
    ):
        web.get(server.url("/slow"))
    assert time.monotonic() - started < 2.0


def test_timeouts_are_retried_and_each_attempt_is_bounded(tmp_path: Path, server: Server) -> None:
    server.answer("/slow", Reply(body=b"{}", delay=1.0))
    sleeper = Recorder()
    started = time.monotonic()
    with (
        WebClient(
            cache_dir=tmp_path / "cache", timeout=0.2, retries=2, sleep=sleeper, random=lambda: 1.0
        ) as web,
        pytest.raises(FetchError, match=r"no answer from 127\.0\.0\.1:\d+ within 0\.2 s \(tried 3 times\)"),
    ):
        web.get(server.url("/slow"))
    assert time.monotonic() - started < 1.5
    assert len(server.seen) == 3
    assert sleeper.waits == [1.0, 2.0]  # backoff 1 s, doubling; jitter 1.0 = the full ceiling


# -- retries and Retry-After ---------------------------------------------------------------------------


def test_5xx_is_retried_with_exponential_backoff_and_jitter(
    client: WebClient, server: Server, sleeper: Recorder
) -> None:
    server.answer("/t", [Reply(status=503), Reply(status=502), Reply(status=500), Reply(body=b'{"ok": 1}')])
    assert client.get(server.url("/t")).content == b'{"ok": 1}'
    assert sleeper.waits == [0.5, 1.0, 2.0]  # half the ceiling (1, 2, 4 s) with no jitter


def test_backoff_is_capped(tmp_path: Path, server: Server) -> None:
    server.answer("/t", Reply(status=500))
    sleeper = Recorder()
    with (
        WebClient(
            cache_dir=tmp_path, retries=6, max_backoff=4, sleep=sleeper, random=lambda: 0.999999
        ) as web,
        pytest.raises(FetchError, match=r"HTTP 500.*tried 7 times"),
    ):
        web.get(server.url("/t"))
    assert [round(w, 3) for w in sleeper.waits] == [1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_connection_errors_are_retried_then_reported(tmp_path: Path) -> None:
    sleeper = Recorder()
    with (
        WebClient(cache_dir=tmp_path, retries=2, timeout=2, sleep=sleeper) as web,
        pytest.raises(FetchError, match=r"cannot reach 127\.0\.0\.1:9.*tried 3 times") as raised,
    ):
        web.get("http://127.0.0.1:9/config")
    assert len(sleeper.waits) == 2
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_a_4xx_is_not_retried(client: WebClient, server: Server, sleeper: Recorder) -> None:
    server.answer("/t", Reply(status=400, body=b'{"title": "Bad", "detail": "Too many cells selected"}'))
    with pytest.raises(FetchError, match="HTTP 400 — Bad: Too many cells selected") as raised:
        client.get(server.url("/t"))
    assert raised.value.detail == "Bad: Too many cells selected"
    assert len(server.seen) == 1
    assert sleeper.waits == []


def test_429_waits_for_retry_after_in_seconds(client: WebClient, server: Server, sleeper: Recorder) -> None:
    server.answer("/t", [Reply(status=429, headers={"Retry-After": "7"}), Reply(body=b"{}")])
    client.get(server.url("/t"))
    assert sleeper.waits == [7.0]


def test_retry_after_as_an_http_date(
    client: WebClient, server: Server, sleeper: Recorder, wall: WallClock
) -> None:
    in_90_s = email.utils.formatdate(wall.time + 90, usegmt=True)
    last_year = email.utils.formatdate(wall.time - 365 * 86400, usegmt=True)
    server.answer(
        "/t",
        [
            Reply(status=503, headers={"Retry-After": in_90_s}),
            Reply(status=503, headers={"Retry-After": last_year}),
            Reply(body=b"{}"),
        ],
    )
    client.get(server.url("/t"))
    assert sleeper.waits == [90.0, 0.0]


@pytest.mark.parametrize(
    "value",
    ["121", "99999999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"],
)
def test_a_retry_after_above_the_cap_is_a_clear_error_without_waiting(
    client: WebClient, server: Server, sleeper: Recorder, value: str
) -> None:
    server.answer("/t", Reply(status=429, headers={"Retry-After": value}))
    with pytest.raises(FetchError, match=r"asks to wait .*longer than max_retry_after=120 s"):
        client.get(server.url("/t"))
    assert sleeper.waits == []
    assert len(server.seen) == 1


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-5", "1e309", "soon", "", "Mon, 99 Foo 2026"])
def test_an_unreadable_retry_after_gets_the_ordinary_backoff(
    client: WebClient, server: Server, sleeper: Recorder, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    server.answer("/t", [Reply(status=429, headers={"Retry-After": value}), Reply(body=b"{}")])
    with caplog.at_level(logging.WARNING, logger="samhandling.web"):
        client.get(server.url("/t"))
    assert sleeper.waits == [0.5]
    if value.strip():
        assert "Retry-After" in caplog.text
        assert "ordinary backoff" in caplog.text


def test_the_rate_limit_is_kept(tmp_path: Path, server: Server) -> None:
    from samhandling.web import RateLimit

    server.answer("/t", Reply(body=b"{}"))
    sleeper, now = Recorder(), [100.0]
    with WebClient(
        cache=False, rate_limit=RateLimit(2, 60.0), sleep=sleeper, clock=lambda: now[0], cache_dir=tmp_path
    ) as web:
        web.get(server.url("/t"))
        now[0] += 10
        web.get(server.url("/t"))
        assert sleeper.waits == []
        web.get(server.url("/t"))
        assert sleeper.waits == [50.0]  # the first call leaves the window 60 s after it was sent


# -- redirects -----------------------------------------------------------------------------------------


def test_a_redirect_on_the_same_host_is_followed_and_cached_under_the_url_asked(
    client: WebClient, server: Server
) -> None:
    server.answer("/old", Reply(status=301, headers={"Location": "/new?x=1"}))
    server.answer("/new", Reply(body=b'{"moved": true}'))
    fetched = client.get(server.url("/old"))
    assert fetched.content == b'{"moved": true}'
    assert fetched.url == server.url("/old")
    assert fetched.final_url == server.url("/new?x=1")
    again = client.get(server.url("/old"))
    assert again.from_cache
    assert again.final_url == server.url("/new?x=1")
    assert len(server.seen) == 2


def test_a_redirect_to_another_host_is_refused(
    client: WebClient, server: Server, other_host: Server, tmp_path: Path
) -> None:
    other_host.answer("/numbers", Reply(body=b'{"evil": 1}'))
    server.answer("/t", Reply(status=302, headers={"Location": other_host.url("/numbers")}))
    with pytest.raises(
        FetchError, match=r"redirects to another host \(http://localhost:\d+/numbers\); not followed"
    ):
        client.get(server.url("/t"))
    assert other_host.seen == []
    assert not entries(tmp_path)


def test_an_allowed_redirect_to_another_host_is_followed_but_not_cached(
    server: Server, other_host: Server, tmp_path: Path
) -> None:
    other_host.answer("/numbers", Reply(body=b'{"n": 1}'))
    server.answer("/t", Reply(status=307, headers={"Location": other_host.url("/numbers")}))
    with WebClient(cache_dir=tmp_path / "cache", allow_redirects_to=["localhost"]) as web:
        assert web.get(server.url("/t")).content == b'{"n": 1}'
        assert not entries(tmp_path)
        web.get(server.url("/t"))
    assert len(other_host.seen) == 2


def test_a_post_is_repeated_only_on_307_and_308(client: WebClient, server: Server) -> None:
    server.answer("/data", Reply(status=308, headers={"Location": "/data2"}))
    server.answer("/data2", lambda seen: Reply(body=seen.body))
    assert client.post(server.url("/data"), json={"a": 1}).content == b'{"a":1}'
    server.answer("/post", Reply(status=302, headers={"Location": "/data2"}))
    with pytest.raises(FetchError, match="not repeated as a GET"):
        client.post(server.url("/post"), json={"a": 1})


def test_a_redirect_loop_ends(client: WebClient, server: Server) -> None:
    server.answer("/a", Reply(status=302, headers={"Location": "/b"}))
    server.answer("/b", Reply(status=302, headers={"Location": "/a"}))
    with pytest.raises(FetchError, match="more than 5 redirects"):
        client.get(server.url("/a"))


def test_a_downgrade_to_http_counts_as_another_host() -> None:
    import httpx

    from samhandling.web.client import _same_host

    assert _same_host(httpx.URL("http://data.ssb.no/x"), httpx.URL("https://data.ssb.no/y"))
    assert not _same_host(httpx.URL("https://data.ssb.no/x"), httpx.URL("http://data.ssb.no/y"))
    assert not _same_host(httpx.URL("https://data.ssb.no/x"), httpx.URL("https://data.ssb.no:8443/y"))
    assert not _same_host(httpx.URL("https://data.ssb.no/x"), httpx.URL("https://ssb.no.evil.example/y"))


# -- errors are the library's own ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.org/file", "http://", "not a url", "file:///etc/passwd"])
def test_urls_that_cannot_be_fetched(client: WebClient, url: str) -> None:
    with pytest.raises(FetchError, match="URL"):
        client.get(url)


def test_settings_are_checked() -> None:
    from samhandling.errors import ValidationError

    for bad in (
        {"timeout": 0},
        {"timeout": float("inf")},
        {"max_age": -1},
        {"retries": -1},
        {"backoff": "x"},
    ):
        with pytest.raises(ValidationError):
            WebClient(cache=False, **bad)
    with WebClient(cache=False, max_age=dt.timedelta(hours=2)) as web:
        assert web.max_age == 7200.0
