"""Checksums of the files the library writes and reads back, computed beside the real work.

A data file and its sidecar (a CSV and its ``.meta.json``, a dataset's files and ``_samhandling.json``)
carry the file's size, rows and checksum, so that a reader can tell a pair that does not belong
together.  The checksum is BLAKE3 (the :mod:`blake3` package: a cryptographic hash about five times
faster than SHA-256 here, so that checking a 10-million-row export costs a fraction of a second), written
``blake3:<hex>`` as ``b3sum`` prints it; a sidecar that gives ``sha256:<hex>`` is checked with SHA-256.
Writing hashes the bytes in a second thread as they are written; reading hashes while the file is
parsed.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import queue
import threading
from types import TracebackType
from typing import Any

__all__ = [
    "ALGORITHM",
    "CHECKSUM_ALGORITHMS",
    "HashingFile",
    "algorithm_of",
    "file_checksum",
    "hash_in_background",
]

ALGORITHM = "blake3"
#: The algorithms a recorded checksum may name.
CHECKSUM_ALGORITHMS = ("blake3", "sha256")
_BLOCK = 1 << 22


def _hasher(algorithm: str) -> Any:
    if algorithm == "blake3":
        import blake3

        return blake3.blake3()
    if algorithm == "sha256":
        return hashlib.sha256()
    raise ValueError(f"unknown checksum algorithm {algorithm!r} (expected blake3 or sha256)")


def algorithm_of(checksum: str) -> str:
    """``"blake3"`` for ``"blake3:…"``; the algorithm a recorded checksum was made with."""
    return checksum.partition(":")[0]


def file_checksum(path: str | os.PathLike[str], algorithm: str = ALGORITHM) -> str:
    """The checksum of a file, ``<algorithm>:<hex>``."""
    digest = _hasher(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return f"{algorithm}:{digest.hexdigest()}"


def hash_in_background(
    path: str | os.PathLike[str], algorithm: str = ALGORITHM
) -> concurrent.futures.Future[str]:
    """Start :func:`file_checksum` in a thread of its own; ``.result()`` waits for it."""
    future: concurrent.futures.Future[str] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(file_checksum(path, algorithm))
        except BaseException as exc:  # handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="samhandling-checksum", daemon=True).start()
    return future


class HashingFile:
    """A binary file to write to (pyarrow accepts it as an output stream) that also hashes what it gets.

    The bytes go straight to the operating system; a second thread hashes them in order.  The queue
    between the two is bounded, so a slow hash slows the writer down instead of holding the file in
    memory.  Use it as a context manager; :attr:`checksum` and :attr:`size` are set when it is closed.
    """

    def __init__(self, path: str | os.PathLike[str], algorithm: str = ALGORITHM) -> None:
        self._algorithm = algorithm
        self._digest = _hasher(algorithm)
        self._file = open(path, "wb", buffering=0)  # noqa: SIM115 - closed in close()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=32)
        self._thread = threading.Thread(target=self._hash, name="samhandling-checksum", daemon=True)
        self._thread.start()
        self.size = 0
        self.checksum: str | None = None
        self.closed = False

    def _hash(self) -> None:
        while (block := self._queue.get()) is not None:
            self._digest.update(block)

    def write(self, data: Any) -> int:
        """Write ``data`` (bytes or any buffer) and queue it for hashing."""
        view = memoryview(data)
        written = 0
        while written < view.nbytes:  # an unbuffered write may be short
            written += self._file.write(view[written:])
        # a copy: pyarrow may reuse the buffer once write() returns (it does for the header)
        self._queue.put(view.tobytes())
        self.size += written
        return written

    def writable(self) -> bool:
        """Always true: this is an output stream."""
        return True

    def flush(self) -> None:
        """Nothing to flush: writes are unbuffered."""

    def fileno(self) -> int:
        """The file descriptor (pyarrow may ask for it)."""
        return self._file.fileno()

    def close(self) -> None:
        """Wait for the hash to catch up, then close the file."""
        if self.closed:
            return
        self.closed = True
        self._queue.put(None)
        self._thread.join()
        self._file.close()
        self.checksum = f"{self._algorithm}:{self._digest.hexdigest()}"

    def __enter__(self) -> HashingFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
