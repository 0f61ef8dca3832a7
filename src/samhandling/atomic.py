"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Every file the library writes (exports, datasets, report pages, caches, sidecars) goes through
:func:`atomic_path`: the content is written to a temporary file in the destination's own directory
(same file system, so the final :func:`os.replace` is atomic), flushed to disk, and renamed into place
only when the writer finished without an error.  A process killed mid-write leaves at most a hidden
``.*.tmp`` file next to the destination; the destination itself is untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_paths", "fsync_directory", "write_bytes", "write_text"]

TEMPORARY_SUFFIX = ".tmp"
"""Suffix of the temporary files :func:`atomic_path` creates (they also start with a dot)."""


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """Flush a directory entry to disk so that a rename into it survives a power cut (POSIX only)."""
    if os.name != "posix":  # pragma: no cover - Windows has no directory file descriptors
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _flush_data(descriptor: int) -> None:
    if hasattr(os, "fdatasync"):
        os.fdatasync(descriptor)
    else:  # pragma: no cover - macOS and Windows
        os.fsync(descriptor)


class _Flusher:
    """Flushes a file that is being written to disk now and then, from a thread of its own.

    The final ``fsync`` before the rename then has little left to write: the disk works while the
    writer is still compressing, instead of afterwards.  Nothing depends on it for correctness.
    """

    _INTERVAL = 0.25  # seconds
    _STEP = 32 << 20  # flush when this many bytes were added since the last flush

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="samhandling-flush", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        flushed = 0
        with contextlib.suppress(OSError), open(self._path, "rb") as handle:
            while not self._stop.wait(self._INTERVAL):
                size = os.fstat(handle.fileno()).st_size
                if size - flushed >= self._STEP:
                    _flush_data(handle.fileno())
                    flushed = size

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike[str], *, durable: bool = True) -> Iterator[Path]:
    """A temporary path to write to; renamed onto ``destination`` when the block ends without error.

    Use it with any writer that takes a path (pyarrow, openpyxl, ``Path.write_text``)::

        with atomic_path("by-trust.parquet") as temporary:
            pq.write_table(table, temporary)

    :param destination: the file to create or replace; its directory must exist.
    :param durable: flush the file and its directory entry to disk (``fsync``) before and after the
        rename, so a power cut cannot leave an empty file either.  Turn off only for scratch files.

    If the block raises, the temporary file is removed, ``destination`` is unchanged and the error
    goes on.
    """
    with atomic_paths(destination, durable=durable) as (temporary,):
        yield temporary


@contextlib.contextmanager
def atomic_paths(*destinations: str | os.PathLike[str], durable: bool = True) -> Iterator[tuple[Path, ...]]:
    """Temporary paths for files that belong together (a CSV and its ``.meta.json``).

    Nothing is renamed until the block has written all of them; then they are flushed and renamed
    into place one right after the other, in the order given.  A crash between two of those renames
    (microseconds) can leave a new file beside an old one, which is why a pair such as a CSV and its
    metadata also carries a checksum that tells them apart.

    If the block raises, every temporary file is removed, no destination changes and the error goes on.
    """
    targets = [Path(destination) for destination in destinations]
    temporaries: list[Path] = []
    try:
        for target in targets:
            directory = target.parent if str(target.parent) else Path(".")
            descriptor, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX, dir=directory
            )
            os.close(descriptor)
            temporaries.append(Path(name))
        flushers = [_Flusher(temporary) for temporary in temporaries] if durable else []
        try:
            yield tuple(temporaries)
        finally:
            for flusher in flushers:
                flusher.stop()
        for temporary, target in zip(temporaries, targets, strict=True):
            if durable:
                _fsync_file(temporary)
            _copy_mode(temporary, target)
        for temporary, target in zip(temporaries, targets, strict=True):
            os.replace(temporary, target)
        if durable:
            for directory in dict.fromkeys(t.parent if str(t.parent) else Path(".") for t in targets):
                fsync_directory(directory)
    except BaseException:
        for temporary in temporaries:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise


def _copy_mode(temporary: Path, target: Path) -> None:
    """Give the new file the permissions of the one it replaces, or the usual ones of a new file."""
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with contextlib.suppress(OSError):
        os.chmod(temporary, mode)


def write_bytes(destination: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``destination`` atomically (see :func:`atomic_path`)."""
    with atomic_path(destination, durable=durable) as temporary:
        temporary.write_bytes(data)


def write_text(
    destination: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", durable: bool = True
) -> None:
    """Write ``text`` to ``destination`` atomically (see :func:`atomic_path`)."""
    write_bytes(destination, text.encode(encoding), durable=durable)
