"""The disk cache: atomic writes (an exception or a kill mid-write leaves no entry), concurrent readers."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from samhandling.web.cache import MAGIC, CacheEntry, RequestKey, ResponseCache

KEY = RequestKey(
    method="POST", url="https://data.ssb.no/api/pxwebapi/v2/tables/07459/data?lang=no", body=b"{}"
)


def entry(content: bytes, *, key: RequestKey = KEY, at: float = 1_800_000_000.0) -> CacheEntry:
    return CacheEntry(
        key=key, final_url=key.url, content=content, fetched_at=at, confirmed_at=at, notes={"updated": "x"}
    )


def test_an_entry_reads_back_exactly(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.store(entry(b'{"value": [1, 2]}'))
    back = cache.load(KEY)
    assert back == entry(b'{"value": [1, 2]}')
    assert back is not None
    assert back.retrieved == "2027-01-15T08:00:00+00:00"
    assert cache.path_for(KEY).read_bytes().startswith(MAGIC)
    assert cache.load(RequestKey(method="POST", url=KEY.url, body=b'{"other": 1}')) is None


def test_an_entry_for_another_request_is_not_served(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = ResponseCache(tmp_path)
    other = RequestKey(method="GET", url="https://data.ssb.no/other")
    cache.store(entry(b"{}", key=other))
    cache.path_for(KEY).write_bytes(cache.path_for(other).read_bytes())  # a file under the wrong name
    with caplog.at_level(logging.WARNING, logger="samhandling.web"):
        assert cache.load(KEY) is None
    assert "answers another request (GET https://data.ssb.no/other)" in caplog.text
    assert not cache.path_for(KEY).exists()


def test_an_exception_mid_write_leaves_the_old_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ResponseCache(tmp_path)
    cache.store(entry(b'{"old": 1}'))
    written = Path.write_bytes

    def half_then_fail(self: Path, data: bytes) -> int:
        written(self, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        cache.store(entry(b'{"new": 2}' * 1000))
    monkeypatch.undo()
    back = cache.load(KEY)
    assert back is not None
    assert back.content == b'{"old": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == [cache.path_for(KEY).name]  # no temporary left


def test_an_exception_mid_first_write_leaves_no_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ResponseCache(tmp_path)

    def fail(self: Path, data: bytes) -> int:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(Path, "write_bytes", fail)
    with pytest.raises(OSError, match="I/O error"):
        cache.store(entry(b"{}"))
    monkeypatch.undo()
    assert cache.load(KEY) is None
    assert list(tmp_path.iterdir()) == []


_KILLED_WRITER = """
import sys, time
from pathlib import Path
from samhandling.web.cache import CacheEntry, RequestKey, ResponseCache

written = Path.write_bytes

def slow(self, data):
    # write half of the new entry, say so, and hang until killed
    with open(self, "wb") as handle:
        handle.write(data[: len(data) // 2])
        handle.flush()
    print("half", flush=True)
    time.sleep(60)

Path.write_bytes = slow
key = RequestKey(method="POST", url={url!r}, body=b"{{}}")
content = b'{{"new": 2}}' * 100000
entry = CacheEntry(key=key, final_url=key.url, content=content, fetched_at=2e9, confirmed_at=2e9)
ResponseCache(sys.argv[1]).store(entry)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_killed_mid_write_leaves_the_old_entry(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.store(entry(b'{"old": 1}'))
    script = tmp_path.parent / "writer.py"
    script.write_text(textwrap.dedent(_KILLED_WRITER.format(url=KEY.url)))
    with subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True
    ) as writer:
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "half"
            leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
            assert leftovers  # the half-written temporary file exists while the writer hangs
        finally:
            os.kill(writer.pid, signal.SIGKILL)
    assert writer.returncode == -signal.SIGKILL
    back = cache.load(KEY)
    assert back is not None
    assert back.content == b'{"old": 1}'
    assert cache.clear() == 1
    assert list(tmp_path.iterdir()) == []  # the temporary file is cleared as well


def test_concurrent_readers_see_whole_entries_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = ResponseCache(tmp_path, durable=False)
    versions = [b"[" + b"1," * 50_000 + b"1]", b"[" + b"22," * 40_000 + b"2]"]
    cache.store(entry(versions[0]))
    stop = threading.Event()
    seen: list[bytes | None] = []
    problems: list[BaseException] = []

    def read() -> None:
        reader = ResponseCache(tmp_path)
        while not stop.is_set():
            try:
                got = reader.load(KEY)
                seen.append(got.content if got is not None else None)
            except BaseException as exc:  # pragma: no cover - reported below
                problems.append(exc)

    with caplog.at_level(logging.WARNING, logger="samhandling.web"):
        readers = [threading.Thread(target=read) for _ in range(3)]
        for thread in readers:
            thread.start()
        deadline = time.monotonic() + 0.5
        count = 0
        while time.monotonic() < deadline or count < 50:
            cache.store(entry(versions[count % 2], at=1_800_000_000.0 + count))
            count += 1
        stop.set()
        for thread in readers:
            thread.join()
    assert not problems
    assert seen
    assert set(seen) <= set(versions)
    assert "corrupt" not in caplog.text


def test_clear_removes_entries_temporaries_and_files_of_the_old_format(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.store(entry(b"{}"))
    (tmp_path / "0123.json").write_text("{}")
    (tmp_path / "0123.meta").write_text("{}")
    (tmp_path / ".abc.entry.x1y2.tmp").write_text("half")
    (tmp_path / "notes.txt").write_text("not ours")
    assert cache.clear() == 2
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert ResponseCache(tmp_path / "missing").clear() == 0
