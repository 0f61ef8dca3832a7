"""The PxWebApi client's cache and network rules, against the local PxWebApi server of conftest.py.

The rules themselves are tested on :class:`samhandling.web.WebClient` (``tests/web``); here they are
checked where the PxWebApi client adds to them: metadata and data expire, an expired data answer is
confirmed from the table's ``updated`` time, ``refresh=True`` reaches the metadata, JSON-stat answers
are checked before caching, and every failure is a :class:`PxWebError` naming the URL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from samhandling_kostra import PxWebClient, PxWebError, RateLimitError
from samhandling_kostra.pxweb import check_dataset

from samhandling.errors import FetchError

FakeApi = tuple[str, Any]
SELECTION = {"Region": "3301", "Alder": "000", "Tid": "top(1)"}


class Sleeper:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Wall:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.time = 1_800_000_000.0

    def __call__(self) -> float:
        return self.time


class Meddling(httpx.BaseTransport):
    """Passes requests to the real local server, letting a test change the answers on the way back."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.change: Callable[[httpx.Request, httpx.Response], httpx.Response] | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.change is None:
            return response
        response.read()
        return self.change(request, response)

    def close(self) -> None:
        self.inner.close()


def data_requests(api: Any) -> list[Any]:
    return [r for r in api.requests if r[1].endswith("/data")]


def entries(path: Path) -> list[Path]:
    return sorted(path.glob("*.entry"))


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def meddling() -> Meddling:
    return Meddling()


@pytest.fixture
def client(fake_api: FakeApi, tmp_path: Path, wall: Wall, meddling: Meddling) -> Iterator[PxWebClient]:
    base, _ = fake_api
    with PxWebClient(
        base,
        cache_dir=tmp_path / "cache",
        max_age=3600,
        now=wall,
        sleep=Sleeper(),
        random=lambda: 0.0,
        transport=meddling,
    ) as px:
        yield px


def test_metadata_and_data_expire(client: PxWebClient, fake_api: FakeApi, wall: Wall) -> None:
    _, api = fake_api
    client.query("07459", SELECTION)
    sent = len(api.requests)
    client.query("07459", SELECTION)
    assert len(api.requests) == sent  # fresh: nothing asked
    wall.time += 3601
    api.metadata["updated"] = api.cube["updated"] = "2025-02-20T07:00:00Z"  # SSB published new figures
    api.cube["value"] = [v * 2 if isinstance(v, int | float) else v for v in api.cube["value"]]
    table = client.query("07459", SELECTION)
    asked = [path.rsplit("/", 1)[-1] for _, path, _ in api.requests[sent:]]
    assert asked == ["metadata", "data"]
    assert "(from cache)" not in table.provenance[0].note
    assert table.to_pylist()[0]["value"] == 2 * 1104.0


def test_an_expired_data_answer_is_confirmed_by_the_tables_updated_time(
    client: PxWebClient, fake_api: FakeApi, wall: Wall, tmp_path: Path
) -> None:
    _, api = fake_api
    first = client.query("07459", SELECTION)
    sent = len(api.requests)
    wall.time += 3601  # both expired; the table was not updated
    again = client.query("07459", SELECTION)
    asked = [path.rsplit("/", 1)[-1] for _, path, _ in api.requests[sent:]]
    assert asked == ["metadata"]  # PxWebApi has no conditional POST: the metadata's 'updated' decides
    assert "confirmed unchanged" in again.provenance[0].note
    assert again.equals(first)
    wall.time += 3000  # confirmed just now: fresh again
    client.query("07459", SELECTION)
    assert len(api.requests) == sent + 1


def test_refresh_reaches_metadata_and_data(client: PxWebClient, fake_api: FakeApi) -> None:
    _, api = fake_api
    client.query("07459", {"Region": "3301", "Tid": "top(1)"})
    # a new year is published: top(1) must see it after refresh=True
    api.metadata["dimension"]["Tid"]["category"]["index"]["2025"] = 5
    api.metadata["dimension"]["Tid"]["category"]["label"]["2025"] = "2025"
    api.metadata["size"][-1] = 6
    assert client.metadata("07459").time.codes[-1] == "2024"  # type: ignore[union-attr]
    sent = len(api.requests)
    table = client.query("07459", {"Region": "3301", "Tid": "top(1)"}, refresh=True)
    assert [path.rsplit("/", 1)[-1] for _, path, _ in api.requests[sent:]] == ["metadata", "data"]
    assert {"variableCode": "Tid", "valueCodes": ["2025"]} in api.requests[-1][2]["selection"]
    assert {r["year"] for r in table.to_pylist()} == {2025}


def test_a_cut_off_data_answer_is_retried_and_never_cached(
    client: PxWebClient, fake_api: FakeApi, meddling: Meddling, tmp_path: Path
) -> None:
    _, api = fake_api

    def cut(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if not request.url.path.endswith("/data"):
            return response
        return httpx.Response(response.status_code, headers=response.headers, content=response.content[:40])

    meddling.change = cut
    with pytest.raises(
        PxWebError, match=r"data of table 07459 \(http://.*/data\?.*\): .*cut off: 40 of \d+ bytes"
    ):
        client.query("07459", SELECTION)
    assert len(data_requests(api)) == 4  # retried three times
    assert not any(
        json.loads(p.read_bytes().split(b"\n", 2)[1])["url"].count("/data")
        for p in entries(tmp_path / "cache")
    )
    meddling.change = None
    assert client.query("07459", SELECTION).num_rows == 1


def test_an_invalid_json_stat_answer_is_refused_and_not_cached(
    client: PxWebClient, fake_api: FakeApi, meddling: Meddling, tmp_path: Path
) -> None:
    _, api = fake_api

    def shorten(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if not request.url.path.endswith("/data"):
            return response
        document = json.loads(response.content)
        document["value"] = document["value"][:-1]
        return httpx.Response(200, json=document)

    meddling.change = shorten
    with pytest.raises(PxWebError, match=r"not valid: 'value' has 0 entries where 'size' .* makes 1 cells"):
        client.query("07459", SELECTION)
    assert len(data_requests(api)) == 1  # a complete but wrong answer is not asked for again at once
    meddling.change = None
    table = client.query("07459", SELECTION)
    assert "(from cache)" not in table.provenance[0].note
    assert len(data_requests(api)) == 2


def test_a_corrupt_data_entry_is_fetched_again(
    client: PxWebClient, fake_api: FakeApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, api = fake_api
    first = client.query("07459", SELECTION)
    for path in entries(tmp_path / "cache"):
        path.write_bytes(path.read_bytes()[:-7])
    with caplog.at_level(logging.WARNING, logger="samhandling.web"):
        again = client.query("07459", SELECTION)
    assert again.equals(first)
    assert "discarded the corrupt cache entry" in caplog.text
    assert len(data_requests(api)) == 2


def test_a_redirect_to_another_host_is_refused(client: PxWebClient, meddling: Meddling) -> None:
    def elsewhere(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://numbers.example.org/api/pxwebapi/v2/config"})

    meddling.change = elsewhere
    with pytest.raises(
        PxWebError, match=r"/config .*redirects to another host .*numbers\.example\.org.*not followed"
    ):
        client.config()


def test_5xx_is_retried_with_backoff_and_a_huge_retry_after_is_refused(
    fake_api: FakeApi, tmp_path: Path
) -> None:
    base, api = fake_api
    sleeper = Sleeper()
    with PxWebClient(base, cache=False, sleep=sleeper, random=lambda: 0.0, retries=2) as px:
        api.fail_with = 503
        with pytest.raises(PxWebError, match=r"HTTP 503 .*tried 3 times") as raised:
            px.table("07459")
        assert isinstance(raised.value, FetchError)
        assert raised.value.status == 503
        assert sleeper.waits == [0.5, 1.0]
    meddling = Meddling()
    meddling.change = lambda request, response: httpx.Response(429, headers={"Retry-After": "inf"})
    sleeper = Sleeper()
    with PxWebClient(
        base, cache=False, sleep=sleeper, random=lambda: 0.0, retries=1, transport=meddling
    ) as px:
        with pytest.raises(RateLimitError, match="too many requests"):
            px.table("07459")
        assert sleeper.waits == [0.5]  # 'inf' is not a wait: the ordinary backoff
    meddling.change = lambda request, response: httpx.Response(429, headers={"Retry-After": "86400"})
    with (
        PxWebClient(base, cache=False, sleep=sleeper, transport=meddling) as px,
        pytest.raises(PxWebError, match=r"asks to wait 86400 s .*longer than max_retry_after=120 s"),
    ):
        px.table("07459")


def test_check_dataset_pins_what_a_complete_answer_is() -> None:
    good = {"class": "dataset", "id": ["a", "b"], "size": [2, 1], "dimension": {"a": {}, "b": {}}}
    assert check_dataset(json.dumps({**good, "value": [1, None], "updated": "x"}).encode()) == {
        "updated": "x"
    }
    assert check_dataset(json.dumps({**good, "value": {"1": 3}}).encode()) == {"updated": ""}
    bad = [
        (b'{"class": "dataset"', "not JSON"),
        (json.dumps({**good, "class": "collection", "value": []}).encode(), "class 'dataset'"),
        (json.dumps({**good, "value": [1]}).encode(), "'value' has 1 entries"),
        (json.dumps({**good, "value": {"2": 1}}).encode(), "outside the 2 cells"),
        (json.dumps({**good, "size": [2], "value": [1, 2]}).encode(), "one count per dimension"),
        (json.dumps({**good, "dimension": {"a": {}}, "value": [1, 2]}).encode(), r"lacks \['b'\]"),
        (json.dumps({**good, "value": [1, 2], "status": ["a", "b", "c"]}).encode(), "'status' has 3"),
        (json.dumps({**good}).encode(), "'value' is missing"),
    ]
    for content, message in bad:
        with pytest.raises(ValueError, match=message):
            check_dataset(content)
