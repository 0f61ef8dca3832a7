"""The KLASS fetcher against a local server answering in KLASS's JSON shape (pinned here)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from samhandling.errors import FetchError, ValidationError
from samhandling.web import COUNTIES, MUNICIPALITIES, fetch_klass_changes, fetch_klass_codes

from .conftest import Recorder, Reply, Seen, Server

DATA = Path(__file__).parent / "data"
CHANGES = (DATA / "klass-131-changes.json").read_bytes()
CODES = (DATA / "klass-104-codesAt.json").read_bytes()


def klass(server: Server) -> str:
    """Serve the two fixtures as KLASS does: JSON only when asked for it (XML otherwise)."""

    def answer(body: bytes) -> object:
        def reply(seen: Seen) -> Reply:
            if "application/json" not in seen.headers.get("accept", ""):
                return Reply(body=b"<codeChangeList/>", headers={"Content-Type": "application/xml"})
            return Reply(body=body, headers={"Content-Type": "application/json;charset=UTF-8"})

        return reply

    server.answer("/api/klass/v1/classifications/131/changes", answer(CHANGES))  # type: ignore[arg-type]
    server.answer("/api/klass/v1/classifications/104/codesAt", answer(CODES))  # type: ignore[arg-type]
    return server.url("/api/klass/v1")


def query(seen: Seen) -> dict[str, list[str]]:
    return parse_qs(urlsplit(seen.path).query)


def test_changes_between_two_dates(server: Server, tmp_path: Path) -> None:
    base = klass(server)
    data = fetch_klass_changes(
        MUNICIPALITIES, "2023-01-01", "2024-01-02", base_url=base, cache_dir=tmp_path / "cache"
    )
    assert query(server.seen[0]) == {"from": ["2023-01-01"], "to": ["2024-01-02"], "language": ["nb"]}
    changes = data["codeChanges"]
    assert len(changes) == 5
    # the shape the geography side reads: one object per old → new pair, dated
    assert changes[0] == {
        "oldCode": "1507",
        "oldName": "Ålesund",
        "oldShortName": "",
        "newCode": "1508",
        "newName": "Ålesund",
        "newShortName": "",
        "changeOccurred": "2024-01-01",
    }
    assert {(c["oldCode"], c["newCode"]) for c in changes if c["oldCode"] == "1507"} == {
        ("1507", "1508"),
        ("1507", "1580"),
    }


def test_codes_on_a_date_saved_to_a_file(server: Server, tmp_path: Path) -> None:
    import datetime as dt

    base = klass(server)
    target = tmp_path / "counties-2024.json"
    data = fetch_klass_codes(
        COUNTIES, dt.date(2024, 1, 1), base_url=base, cache_dir=tmp_path / "cache", save_to=target
    )
    assert query(server.seen[0]) == {"date": ["2024-01-01"], "language": ["nb"]}
    assert [c["code"] for c in data["codes"]][:3] == ["03", "11", "15"]
    assert data["codes"][-1]["name"] == "Finnmark - Finnmárku - Finmarkku"
    assert target.read_bytes() == CODES  # the answer byte for byte
    assert json.loads(target.read_text("utf-8")) == data


def test_answers_are_cached_and_refreshed_on_request(server: Server, tmp_path: Path) -> None:
    base = klass(server)
    options = {"base_url": base, "cache_dir": tmp_path / "cache"}
    fetch_klass_codes(104, "2024-01-01", **options)  # type: ignore[arg-type]
    fetch_klass_codes("104", "2024-01-01", **options)  # type: ignore[arg-type]
    assert len(server.seen) == 1
    fetch_klass_codes(104, "2024-01-01", refresh=True, include_future=True, **options)  # type: ignore[arg-type]
    assert len(server.seen) == 2
    assert query(server.seen[1])["includeFuture"] == ["true"]


def test_an_answer_of_the_wrong_shape_is_refused_and_not_cached(server: Server, tmp_path: Path) -> None:
    base = server.url("/api/klass/v1")
    route = "/api/klass/v1/classifications/131/changes"
    bad = [
        (b'{"codes": []}', "expected a JSON object with a list 'codeChanges'"),
        (b'{"codeChanges": [{"oldCode": "0301", "newCode": "0301"}]}', "changeOccurred None"),
        (b'{"codeChanges": [{"changeOccurred": "2024-01-01"}]}', "no oldCode/newCode"),
        (b'{"codeChanges": ["0301"]}', r"codeChanges\[0\] is str"),
        (b"<codeChangeList/>", "not JSON"),
    ]
    for body, message in bad:
        server.answer(route, Reply(body=body))
        with pytest.raises(FetchError, match=message):
            fetch_klass_changes(131, "2023-01-01", "2024-01-02", base_url=base, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*.entry"))
    server.answer("/api/klass/v1/classifications/104/codesAt", Reply(body=b'{"codes": []}'))
    with pytest.raises(FetchError, match="'codes' is empty"):
        fetch_klass_codes(104, "2024-01-01", base_url=base, cache_dir=tmp_path / "cache")


def test_klass_errors_name_the_url(server: Server, tmp_path: Path) -> None:
    base = server.url("/api/klass/v1")
    with pytest.raises(
        FetchError, match=r"KLASS 999 codes on 2024-01-01 \(http://127.*/999/codesAt\?.*\): HTTP 404"
    ):
        fetch_klass_codes(999, "2024-01-01", base_url=base, cache_dir=tmp_path, sleep=Recorder())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fetch_klass_changes(131, "2024-01-02", "2023-01-01"), "must come after"),
        (lambda: fetch_klass_changes(131, "2024-13-01", "2025-01-01"), "YYYY-MM-DD"),
        (lambda: fetch_klass_codes(131, "1.1.2024"), "YYYY-MM-DD"),
        (lambda: fetch_klass_codes("kommuner", "2024-01-01"), "a number such as 131"),
    ],
)
def test_arguments_are_checked_before_asking(call: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()  # type: ignore[operator]
