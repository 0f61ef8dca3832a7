"""Fixtures: the test files, and a small PxWebApi v2 server on 127.0.0.1 answering from recorded responses.

The server serves ``data/pxweb/*.json`` (config, table list, metadata, codelist) and answers data
queries by slicing ``07459-cube.json``, the whole table, to the selection — so the client's selections,
split queries, cache and rate limit are tested against the real response formats without the internet.
"""

from __future__ import annotations

import http.server
import json
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

DATA = Path(__file__).parent / "data"
PXWEB = DATA / "pxweb"
ROOT = "/api/pxwebapi/v2"


@pytest.fixture
def data_dir() -> Path:
    """The folder of test files in SSB's real formats."""
    return DATA


def _problem(status: int, title: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        "title": title,
        "status": status,
    }


class FakeApi:
    """What the fake server knows and what it has seen."""

    def __init__(self) -> None:
        self.config = json.loads((PXWEB / "config.json").read_text("utf-8"))
        self.tables = json.loads((PXWEB / "tables.json").read_text("utf-8"))["tables"]
        self.metadata = json.loads((PXWEB / "07459-metadata.json").read_text("utf-8"))
        self.cube = json.loads((PXWEB / "07459-cube.json").read_text("utf-8"))
        self.codelist = json.loads((PXWEB / "codelist-vs_Kommun.json").read_text("utf-8"))
        self.requests: list[tuple[str, str, Any]] = []
        self.throttle = 0  # answer this many requests with 429 first
        self.fail_with: int | None = None
        self.delay = 0.0

    # -- answers ------------------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        self.requests.append((method, path, body))
        if self.delay:
            time.sleep(self.delay)
        if self.throttle > 0:
            self.throttle -= 1
            return _problem(429, "Too many requests")
        if self.fail_with is not None:
            return _problem(self.fail_with, "Service unavailable")
        if not path.startswith(ROOT):
            return _problem(404, "Not found")
        parts = [p for p in path[len(ROOT) :].split("/") if p]
        if parts == ["config"]:
            return 200, self.config
        if parts == ["tables"]:
            return 200, self._tables(query)
        if len(parts) >= 2 and parts[0] == "codeLists":
            return (200, self.codelist) if parts[1] == "vs_Kommun" else _problem(404, "Non-existent codelist")
        if len(parts) >= 2 and parts[0] == "tables":
            table = next((t for t in self.tables if t["id"] == parts[1]), None)
            if table is None or (len(parts) > 2 and parts[1] != "07459"):
                return _problem(404, "Non-existent table")
            if len(parts) == 2:
                return 200, table
            if parts[2] == "metadata":
                return 200, self.metadata
            if parts[2] == "data":
                selection = self._selection(method, query, body)
                if isinstance(selection, tuple):
                    return selection
                return self._data(selection)
        return _problem(404, "Not found")

    def _tables(self, query: dict[str, str]) -> dict[str, Any]:
        words = query.get("query", "").casefold().split()
        found = [t for t in self.tables if all(w.strip("*") in t["label"].casefold() for w in words)]
        if query.get("includeDiscontinued") != "true":
            found = [t for t in found if not t.get("discontinued")]
        size = int(query.get("pageSize", 100))
        number = int(query.get("pageNumber", 1))
        pages = max(1, math.ceil(len(found) / size))
        return {
            "language": "no",
            "tables": found[(number - 1) * size : number * size],
            "page": {
                "pageNumber": number,
                "pageSize": size,
                "totalElements": len(found),
                "totalPages": pages,
            },
        }

    def _selection(
        self, method: str, query: dict[str, str], body: Any
    ) -> dict[str, list[str]] | tuple[int, Any]:
        dims = self.metadata["dimension"]
        if method == "POST":
            items = {s["variableCode"]: list(s["valueCodes"]) for s in body.get("selection", [])}
        else:
            items = {
                key[len("valueCodes[") : -1]: value.split(",")
                for key, value in query.items()
                if key.startswith("valueCodes[")
            }
        chosen: dict[str, list[str]] = {}
        for dim in self.metadata["id"]:
            codes = list(dims[dim]["category"]["index"])
            if dim not in items:
                if not dims[dim].get("extension", {}).get("elimination"):
                    return _problem(400, "Missing selection for mandantory variable")
                continue
            picked: list[str] = []
            for item in items[dim]:
                if item == "*":
                    picked += codes
                elif item.startswith("top("):
                    picked += codes[::-1][: int(item[4:-1])]
                elif item in codes:
                    picked.append(item)
                else:
                    return _problem(400, "Non-existent value")
            if len(picked) != len(set(picked)):
                return 500, {}
            chosen[dim] = [c for c in codes if c in picked]
        cells = math.prod(len(v) for v in chosen.values())
        if cells > self.config["maxDataCells"]:
            return _problem(400, "Too many cells selected")
        return chosen

    def _data(self, chosen: dict[str, list[str]]) -> tuple[int, Any]:
        ids = self.metadata["id"]
        dims = self.metadata["dimension"]
        sizes = self.cube["size"]
        codes_of = {d: list(dims[d]["category"]["index"]) for d in ids}
        kept = [d for d in ids if d in chosen]
        out_values: list[Any] = []
        out_status: dict[str, str] = {}

        def cell(position: dict[str, int]) -> tuple[Any, str | None]:
            index = 0
            for dim, size in zip(ids, sizes, strict=True):
                index = index * size + position[dim]
            return self.cube["value"][index], self.cube["status"].get(str(index))

        def combos(dimensions: list[str], lists: dict[str, list[str]]) -> Iterator[dict[str, int]]:
            if not dimensions:
                yield {}
                return
            first, rest = dimensions[0], dimensions[1:]
            for code in lists[first]:
                for tail in combos(rest, lists):
                    yield {first: codes_of[first].index(code), **tail}

        eliminated = {d: codes_of[d] for d in ids if d not in chosen}
        for number, position in enumerate(combos(kept, chosen)):
            total: float | None = 0.0
            symbol = None
            for extra in combos(list(eliminated), eliminated):
                value, status = cell({**position, **extra})
                if value is None:
                    total, symbol = None, status or ".."
                    break
                assert total is not None
                total += value
            out_values.append(total)
            if symbol:
                out_status[str(number)] = symbol
        document = {
            key: value
            for key, value in self.cube.items()
            if key not in ("value", "status", "id", "size", "dimension")
        }
        document["id"] = kept
        document["size"] = [len(chosen[d]) for d in kept]
        document["dimension"] = {
            d: {
                **dims[d],
                "category": {
                    **dims[d]["category"],
                    "index": {c: i for i, c in enumerate(chosen[d])},
                    "label": {c: dims[d]["category"]["label"][c] for c in chosen[d]},
                },
            }
            for d in kept
        }
        document["value"] = out_values
        if out_status:
            document["status"] = out_status
        return 200, document


class _Handler(http.server.BaseHTTPRequestHandler):
    api: FakeApi

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _reply(self, method: str) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        body = None
        if method == "POST":
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
        if url.path == f"{ROOT}/html/config":
            payload = b"<html>CONFIG404; Filen findes ikke</html>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        status, document = self.api.answer(method, url.path, query, body)
        payload = json.dumps(document, ensure_ascii=False).encode("utf-8") if document else b""
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        if status == 429:
            self.send_header("retry-after", "0")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._reply("GET")

    def do_POST(self) -> None:
        self._reply("POST")


@pytest.fixture
def fake_api() -> Iterator[tuple[str, FakeApi]]:
    """A PxWebApi v2 server on 127.0.0.1: ``(base_url, state)``."""
    api = FakeApi()
    handler = type("Handler", (_Handler,), {"api": api})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{ROOT}", api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
