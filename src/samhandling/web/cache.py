"""The disk cache of web answers: one file per answer, written atomically and checked on every read.

An entry is one file, ``<key>.entry`` in the cache directory, where the key is the SHA-256 of the
request (method, the URL asked for with its query, and the SHA-256 of the request body).  The file
holds a header line of JSON — what was asked, where the answer came from, when it was downloaded and
last confirmed, its validators (``ETag``, ``Last-Modified``), its length and SHA-256 — and then the
answer's bytes exactly as they arrived.

* **Atomic**: an entry is written to a temporary file in the same directory and renamed into place
  (:mod:`samhandling.atomic`), so a reader — another thread, another process, a notebook run while a
  script downloads — sees the old entry, the new one, or none, never half of one.  A process killed
  mid-write leaves only a hidden ``.*.tmp`` file, which reads ignore and :meth:`ResponseCache.clear`
  removes.
* **Checked**: a read verifies the header, that the entry answers the request it is read for, and the
  length and SHA-256 of the bytes.  An entry that fails any check is deleted, the log says so
  (logger ``samhandling.web``, level WARNING), and the caller fetches the answer again.
* **Only what was asked**: the key is the URL asked for; the client never stores an answer that came
  from another host under it (see :class:`samhandling.web.WebClient`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from samhandling.atomic import TEMPORARY_SUFFIX, write_bytes

__all__ = ["CacheEntry", "RequestKey", "ResponseCache"]

log = logging.getLogger("samhandling.web")

#: First line of every entry; a different first line means the file is not an entry of this format.
MAGIC = b"samhandling-web-cache 1\n"
ENTRY_SUFFIX = ".entry"
#: Files earlier versions of the PxWebApi client wrote; :meth:`ResponseCache.clear` removes them too.
_LEGACY_SUFFIXES = (".json", ".meta")


def _digest(data: bytes | None) -> str:
    return hashlib.sha256(data).hexdigest() if data is not None else ""


def _notes(value: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


@typing.final
@attrs.frozen(kw_only=True)
class RequestKey:
    """What identifies a cached answer: the method, the URL asked for (with its query) and the body."""

    method: str
    url: str
    body: bytes | None = attrs.field(default=None, repr=False)

    @property
    def body_sha256(self) -> str:
        """SHA-256 of the request body (empty for a request without one)."""
        return _digest(self.body)

    @property
    def digest(self) -> str:
        """The file name of the entry (without suffix): SHA-256 of method, URL and body digest."""
        text = json.dumps([self.method.upper(), self.url, self.body_sha256])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@typing.final
@attrs.frozen(kw_only=True)
class CacheEntry:
    """One cached answer and what is known about it.

    ``fetched_at`` is when the bytes were downloaded, ``confirmed_at`` when they were last known to be
    current (the download, or a later ``304 Not Modified``); both are seconds since the epoch.  Expiry
    is measured from ``confirmed_at``.  ``notes`` are facts the caller recorded when it validated the
    answer (e.g. the ``updated`` time of a JSON-stat dataset), used to revalidate without downloading.
    """

    key: RequestKey
    final_url: str
    content: bytes = attrs.field(repr=False)
    fetched_at: float
    confirmed_at: float
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    notes: dict[str, str] = attrs.field(factory=dict, converter=_notes)

    @property
    def sha256(self) -> str:
        """SHA-256 of the cached answer."""
        return _digest(self.content)

    @property
    def retrieved(self) -> str:
        """When the answer was downloaded, as ISO 8601 in UTC (for provenance)."""
        return dt.datetime.fromtimestamp(self.fetched_at, dt.UTC).isoformat(timespec="seconds")

    def age(self, now: float) -> float:
        """Seconds since the answer was last confirmed current (negative if the clock went back)."""
        return now - self.confirmed_at

    def to_bytes(self) -> bytes:
        """The file content: the magic line, a JSON header line, then the answer's bytes."""
        header = {
            "method": self.key.method.upper(),
            "url": self.key.url,
            "body_sha256": self.key.body_sha256,
            "final_url": self.final_url,
            "fetched_at": self.fetched_at,
            "confirmed_at": self.confirmed_at,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "content_type": self.content_type,
            "notes": self.notes,
            "length": len(self.content),
            "sha256": self.sha256,
        }
        return MAGIC + json.dumps(header, ensure_ascii=True).encode("ascii") + b"\n" + self.content


class _Corrupt(Exception):
    """An entry file that cannot be trusted (the message says why)."""


def _parse_entry(data: bytes, key: RequestKey) -> CacheEntry:
    if not data.startswith(MAGIC):
        raise _Corrupt("it does not start with the cache's header line")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise _Corrupt("its header is cut off")
    try:
        header: Any = json.loads(data[len(MAGIC) : end])
    except ValueError as exc:
        raise _Corrupt(f"its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _Corrupt("its header is not a JSON object")
    content = data[end + 1 :]
    try:
        length = int(header["length"])
        sha256 = str(header["sha256"])
        asked = (str(header["method"]), str(header["url"]), str(header["body_sha256"]))
        entry = CacheEntry(
            key=key,
            final_url=str(header["final_url"]),
            content=content,
            fetched_at=float(header["fetched_at"]),
            confirmed_at=float(header["confirmed_at"]),
            etag=str(header.get("etag") or ""),
            last_modified=str(header.get("last_modified") or ""),
            content_type=str(header.get("content_type") or ""),
            notes=header.get("notes") or {},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _Corrupt(f"its header lacks or garbles {exc}") from None
    if asked != (key.method.upper(), key.url, key.body_sha256):
        raise _Corrupt(f"it answers another request ({asked[0]} {asked[1]})")
    if len(content) != length:
        raise _Corrupt(f"it holds {len(content)} bytes where its header says {length}")
    if entry.sha256 != sha256:
        raise _Corrupt("its bytes do not match their SHA-256")
    return entry


class ResponseCache:
    """Answers on disk under ``directory``, one checked file per request (see the module docstring).

    :param directory: created on the first write.
    :param durable: ``fsync`` entries before renaming them into place (turn off for scratch caches).
    """

    def __init__(self, directory: str | os.PathLike[str], *, durable: bool = True) -> None:
        self.directory = Path(directory)
        self.durable = durable

    def __repr__(self) -> str:
        return f"<ResponseCache {self.directory}>"

    def path_for(self, key: RequestKey) -> Path:
        """The file that holds (or would hold) the answer to ``key``."""
        return self.directory / f"{key.digest}{ENTRY_SUFFIX}"

    def load(self, key: RequestKey) -> CacheEntry | None:
        """The cached answer to ``key``, or ``None``; a corrupt entry is deleted and logged."""
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning(
                "cannot read the cache entry %s for %s %s (%s); fetching again",
                path,
                key.method,
                key.url,
                exc,
            )
            return None
        try:
            return _parse_entry(data, key)
        except _Corrupt as exc:
            log.warning(
                "discarded the corrupt cache entry %s for %s %s: %s; fetching again",
                path,
                key.method.upper(),
                key.url,
                exc,
            )
            self._remove(path, data)
            return None

    def store(self, entry: CacheEntry) -> None:
        """Write ``entry`` atomically (replacing any earlier answer to the same request)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        write_bytes(self.path_for(entry.key), entry.to_bytes(), durable=self.durable)

    def confirm(self, entry: CacheEntry, at: float, *, etag: str = "", last_modified: str = "") -> CacheEntry:
        """Record that ``entry`` is still current at ``at`` (after a ``304``); returns the new entry."""
        confirmed = attrs.evolve(
            entry,
            confirmed_at=at,
            etag=etag or entry.etag,
            last_modified=last_modified or entry.last_modified,
        )
        self.store(confirmed)
        return confirmed

    def discard(self, key: RequestKey) -> bool:
        """Delete the entry for ``key``; ``True`` if there was one."""
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def clear(self) -> int:
        """Delete every entry (and left-over temporary and legacy files); returns how many entries."""
        if not self.directory.is_dir():
            return 0
        removed = 0
        for path in self.directory.iterdir():
            name = path.name
            entry = name.endswith((ENTRY_SUFFIX, _LEGACY_SUFFIXES[0]))
            left_over = name.endswith(_LEGACY_SUFFIXES[1]) or (
                name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)
            )
            if not (entry or left_over):
                continue
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                path.unlink()
                removed += entry
        return removed

    def _remove(self, path: Path, seen: bytes) -> None:
        # Another process may have replaced the corrupt entry with a good one in the meantime: only
        # delete the file if it still holds what was read.
        with contextlib.suppress(OSError):
            if path.read_bytes() == seen:
                path.unlink()
