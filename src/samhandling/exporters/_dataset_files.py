"""How a partitioned Parquet dataset changes safely: a lock, staged files and one commit.

The dataset's description ``_samhandling.json`` lists every data file with its partition values, rows,
size and checksum; samhandling reads exactly the files it lists.  A write (replace or append):

1. takes the dataset's lock (``_samhandling.lock``, a :mod:`filelock` lock: one writer at a time;
   another process waits, then fails with :class:`~samhandling.errors.ConcurrentWriteError`);
2. writes the new files into a hidden staging folder ``.staging-<id>/`` (readers skip hidden folders),
   flushes them to disk and hashes them;
3. moves them into their partition folders under new, unique names (no existing file is touched);
4. **commits** by replacing ``_samhandling.json`` atomically with a list that has the new files (and,
   for a replace, no longer the files of the replaced partitions);
5. only then deletes the files that are no longer listed.

A process killed before step 4 leaves the old list, so the old dataset; after it, the new one.  Files a
killed writer left behind (a staging folder, moved files not yet listed, replaced files not yet
deleted) are never read by samhandling and are removed by the next write.  Other tools that read the
folder directly (DuckDB, polars, Spark) see the dataset consistent after every completed write.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import typing
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa

from samhandling._checksums import CHECKSUM_ALGORITHMS, algorithm_of, file_checksum
from samhandling.atomic import TEMPORARY_SUFFIX, fsync_directory
from samhandling.errors import ConcurrentWriteError, ParseError

__all__ = [
    "LOCK_FILE",
    "NULL_FOLDER",
    "DataFile",
    "StagedWrite",
    "adopt",
    "generation_changed",
    "is_leftover",
    "locked",
    "parse_folder",
    "partition_folder",
    "remove_leftovers",
    "remove_retired",
]

#: The lock file at the root of a dataset (a name starting with "_": not data to any reader).
LOCK_FILE = "_samhandling.lock"
#: Hive's folder name for an empty partition value.
NULL_FOLDER = "__HIVE_DEFAULT_PARTITION__"
_STAGING_PREFIX = ".staging-"
_OUR_FILE = re.compile(r"^part-[0-9a-f]{32}-\d+\.parquet$")


@typing.final
@attrs.frozen(kw_only=True)
class DataFile:
    """One data file as the dataset description lists it."""

    path: str  # relative to the root, with "/" between folders
    partition: dict[str, Any]  # partition column → value (None for an empty value)
    rows: int
    size: int
    checksum: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as listed under ``files`` in ``_samhandling.json``."""
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, location: object) -> DataFile:
        """One entry of ``files``; a malformed entry is a :class:`ParseError` naming the description."""
        try:
            entry = cls(
                path=str(data["path"]),
                partition=dict(data["partition"]),
                rows=int(data["rows"]),
                size=int(data["size"]),
                checksum=str(data["checksum"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(f"a malformed entry in 'files': {data!r} ({exc})", path=location) from None
        if algorithm_of(entry.checksum) not in CHECKSUM_ALGORITHMS:
            raise ParseError(f"an unknown checksum in 'files': {entry.checksum!r}", path=location)
        if Path(entry.path).is_absolute() or ".." in Path(entry.path).parts:
            raise ParseError(f"a file outside the dataset in 'files': {entry.path!r}", path=location)
        return entry


@contextlib.contextmanager
def locked(root: Path, *, timeout: float) -> Iterator[None]:
    """Hold the dataset's lock; after ``timeout`` seconds of waiting, a :class:`ConcurrentWriteError`.

    :mod:`filelock` takes an operating-system lock (``flock`` on POSIX, ``msvcrt`` on Windows), which
    the system releases when a process dies, so a killed writer never leaves the dataset locked.
    """
    import filelock

    lock = filelock.FileLock(str(root / LOCK_FILE), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ConcurrentWriteError(
            f"another process is writing the dataset in {root} (it holds {LOCK_FILE}); waited {timeout:g} s. "
            f"Try again when it has finished, or pass a longer lock_timeout"
        ) from None
    try:
        yield
    finally:
        lock.release()


def partition_folder(partition_by: Sequence[str], values: Mapping[str, Any]) -> str:
    """Hive folders for partition values: ``year=2024/level=county``; an empty value is Hive's
    ``__HIVE_DEFAULT_PARTITION__`` and a text that *is* that name is written with its underscores
    percent-encoded, so the two never share a folder."""
    parts = []
    for name in partition_by:
        value = values[name]
        if value is None:
            text = NULL_FOLDER
        else:
            text = urllib.parse.quote(str(value), safe=" ")
            if text == NULL_FOLDER:
                text = text.replace("_", "%5F")
        parts.append(f"{urllib.parse.quote(name, safe='')}={text}")
    return "/".join(parts)


def parse_folder(relative: str, schema: pa.Schema, *, null: str) -> dict[str, Any]:
    """Partition values of a file from its hive folders (``null`` names the empty value)."""
    values: dict[str, Any] = {}
    for segment in Path(relative).parent.parts:
        name, sep, text = segment.partition("=")
        name = urllib.parse.unquote(name)
        if not sep or name not in schema.names:
            continue
        if text == null:
            values[name] = None
            continue
        decoded = urllib.parse.unquote(text)
        values[name] = int(decoded) if pa.types.is_integer(schema.field(name).type) else decoded
    return values


@attrs.define
class StagedWrite:
    """The new files of one write, from staging to committed."""

    root: Path
    schema: pa.Schema
    write_id: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    files: list[DataFile] = attrs.field(factory=list)
    _staged: list[tuple[Path, Path]] = attrs.field(factory=list)  # (staged, final)
    _published: list[Path] = attrs.field(factory=list)

    @property
    def staging(self) -> Path:
        """The hidden folder the new files are written into first."""
        return self.root / f"{_STAGING_PREFIX}{self.write_id}"

    @property
    def null_marker(self) -> str:
        """The folder name the staging write uses for empty values (unique, so no text can equal it)."""
        return f"__samhandling_null_{self.write_id}__"

    @property
    def basename_template(self) -> str:
        """File names of this write: ``part-<write id>-<n>.parquet``."""
        return f"part-{self.write_id}-{{i}}.parquet"

    def add_staged(self, path: str, rows: int, *, durable: bool) -> None:
        """Record a file pyarrow wrote into the staging folder (called from ``file_visitor``)."""
        staged = Path(path)
        relative = staged.relative_to(self.staging).as_posix()
        values = parse_folder(relative, self.schema, null=self.null_marker)
        final = f"{partition_folder(self.schema.names, values)}/{staged.name}"
        if durable:
            with open(staged, "rb") as handle:
                os.fsync(handle.fileno())
        self.files.append(
            DataFile(
                path=final,
                partition=values,
                rows=rows,
                size=staged.stat().st_size,
                checksum=file_checksum(staged),
            )
        )
        self._staged.append((staged, self.root / final))

    def publish(self, *, durable: bool) -> None:
        """Move the staged files into their partition folders (new names: nothing is overwritten)."""
        self.files.sort(key=lambda file: file.path)  # they were recorded as they were finished
        self._staged.sort()
        folders = set()
        for staged, final in self._staged:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staged, final)
            self._published.append(final)
            folders.add(final.parent)
        if durable:
            for folder in folders:
                fsync_directory(folder)

    def roll_back(self) -> None:
        """Remove what this write put down (before its commit)."""
        for path in self._published:
            with contextlib.suppress(OSError):
                path.unlink()
        shutil.rmtree(self.staging, ignore_errors=True)

    def finish(self) -> None:
        """Remove the (now empty) staging folder."""
        shutil.rmtree(self.staging, ignore_errors=True)


def generation_changed(current: int, reread: int, root: Path) -> None:
    """Refuse to commit when the description changed since it was read (a writer that bypassed the
    lock, e.g. on a file system where locks do not work)."""
    if current != reread:
        raise ConcurrentWriteError(
            f"the dataset in {root} was changed by another writer while this one wrote (generation "
            f"{current} → {reread}); nothing was committed — write again"
        )


def remove_leftovers(root: Path, listed: set[str]) -> list[str]:
    """Delete what killed writers left (staging folders, files of ours that are not listed) and
    partition folders left empty; returns the paths removed.  Only ever called under the lock."""
    removed = []
    for temporary in root.glob(f".*{TEMPORARY_SUFFIX}"):  # a description a killed writer did not commit
        with contextlib.suppress(OSError):
            temporary.unlink()
            removed.append(temporary.name)
    for staging in root.glob(f"{_STAGING_PREFIX}*"):
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
            removed.append(staging.name)
    for path in root.rglob("part-*.parquet"):
        relative = path.relative_to(root).as_posix()
        if _OUR_FILE.match(path.name) and relative not in listed and not relative.startswith("."):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(relative)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if "=" in folder.name and not any(folder.iterdir()):
            with contextlib.suppress(OSError):
                folder.rmdir()
    return removed


def remove_retired(root: Path, retired: Sequence[str]) -> None:
    """Delete the files a committed replace retired (under the lock; a missing one is already gone)."""
    for relative in retired:
        path = root / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            continue  # never outside the dataset, whatever the description says
        with contextlib.suppress(OSError):  # the commit stands; the next write tries again
            path.unlink()


def is_leftover(relative: str, listed: set[str]) -> bool:
    """A data file samhandling wrote that the description does not list: a killed writer's."""
    return _OUR_FILE.match(Path(relative).name) is not None and relative not in listed


def adopt(root: Path, relative_paths: Sequence[str], schema: pa.Schema) -> list[DataFile]:
    """Entries for the data files of a dataset that has no file list yet (written by an earlier
    version or another tool), so that its first samhandling write keeps them."""
    import pyarrow.parquet as pq

    files = []
    for relative in relative_paths:
        path = root / relative
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise ParseError(f"not a readable Parquet file: {exc}", path=path) from exc
        files.append(
            DataFile(
                path=relative,
                partition=parse_folder(relative, schema, null=NULL_FOLDER),
                rows=rows,
                size=path.stat().st_size,
                checksum=file_checksum(path),
            )
        )
    return files
