"""Excel workbooks (xlsx) as untrusted input: checked before any XML parser sees them.

An xlsx file is a zip package of XML parts.  Two kinds of file make a reader hang or run out of
memory while looking harmless: a *zip bomb* (a few kilobytes whose sheet expands to gigabytes) and an
*XML entity attack* (a DTD whose entities expand a billion times, "billion laughs", or pull in other
files, "external entities").  :func:`check_workbook` refuses both quickly, before openpyxl parses
anything:

* the sizes every part declares in the zip directory are checked against :class:`WorkbookLimits`
  (per part, in total, and the compression ratio).  Python's :mod:`zipfile` stops reading a part at
  its declared size and fails its CRC check if there was more, so a part that lies about its size
  cannot get past the limits either;
* the prologue of every XML part is read with the standard library's expat parser up to the first
  element: a DTD (``<!DOCTYPE``) is refused.  Entities can only be declared in a DTD, and the Office
  Open XML formats do not use DTDs, so this refuses every entity attack without expanding anything.

Survey and other workbook readers call this first; openpyxl then also parses with ``defusedxml``
(installed with samhandling-survey), a second line of defence.
"""

from __future__ import annotations

import typing
import xml.parsers.expat
import zipfile
from pathlib import Path

import attrs

from samhandling.errors import ParseError

__all__ = ["WorkbookLimits", "check_workbook"]

_MIB = 1 << 20
_PROLOGUE_CHUNK = 16 * 1024
_PROLOGUE_LIMIT = 1 * _MIB  # comments and processing instructions before the first element


@typing.final
@attrs.frozen(kw_only=True)
class WorkbookLimits:
    """How large a workbook may unpack to.

    The defaults are far above any survey or statistics workbook (an IS-24/8 sheet of every
    municipality unpacks to about a megabyte) and far below what takes a machine down.
    """

    max_part_bytes: int = 128 * _MIB
    """The largest unpacked size of one part (a sheet, the shared strings)."""
    max_total_bytes: int = 512 * _MIB
    """The largest unpacked size of all parts together."""
    max_ratio: float = 200.0
    """The largest ratio of unpacked to packed size of a part over 1 MiB (XML of real sheets packs
    10–30 times; a bomb thousands of times)."""


class _Prologue(Exception):
    """Raised inside expat's handlers to stop at the first element or the DTD."""

    def __init__(self, doctype: str | None = None) -> None:
        super().__init__(doctype)
        self.doctype = doctype


def _refuse_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
    parser = xml.parsers.expat.ParserCreate()

    def doctype(name: str, *_args: object) -> None:
        raise _Prologue(name)

    def element(*_args: object) -> None:
        raise _Prologue()

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = element
    read = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_PROLOGUE_CHUNK):
                read += len(chunk)
                parser.Parse(chunk, False)
                if read >= _PROLOGUE_LIMIT:
                    break
            else:
                parser.Parse(b"", True)
    except _Prologue as stop:
        if stop.doctype is not None:
            raise ParseError(
                f"the workbook's part {info.filename} declares a DTD (<!DOCTYPE {stop.doctype}>), "
                f"which Office Open XML files never do; DTDs carry entity-expansion and external-entity "
                f"attacks, so the file is refused",
                path=path,
            ) from None
    except xml.parsers.expat.ExpatError as exc:
        raise ParseError(f"the workbook's part {info.filename} is not XML: {exc}", path=path) from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ParseError(
            f"the workbook's part {info.filename} cannot be unpacked: {exc}", path=path
        ) from None


def check_workbook(path: str | Path, limits: WorkbookLimits | None = None) -> None:
    """Refuse a workbook that would unpack beyond ``limits`` or whose XML declares a DTD.

    Fast: it reads the zip directory and the first bytes of each XML part, nothing else.

    :raises ParseError: not a zip package, too large unpacked, packed suspiciously tightly, or a DTD;
        the message names the file and the part.
    """
    path = Path(path)
    limits = limits or WorkbookLimits()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ParseError(f"not an Excel workbook (xlsx is a zip package): {exc}", path=path) from None
    with archive:
        total = 0
        parts = archive.infolist()
        for info in parts:
            total += info.file_size
            if info.file_size > limits.max_part_bytes:
                raise ParseError(
                    f"the workbook's part {info.filename} unpacks to {info.file_size / _MIB:,.0f} MiB, more "
                    f"than the limit of {limits.max_part_bytes / _MIB:,.0f} MiB (a zip bomb?); raise "
                    f"WorkbookLimits.max_part_bytes if the file is genuine",
                    path=path,
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _MIB and ratio > limits.max_ratio:
                raise ParseError(
                    f"the workbook's part {info.filename} unpacks {ratio:,.0f} times larger than it is "
                    f"packed ({info.compress_size:,} → {info.file_size:,} bytes), more than the limit of "
                    f"{limits.max_ratio:g} (a zip bomb?)",
                    path=path,
                )
        if total > limits.max_total_bytes:
            raise ParseError(
                f"the workbook unpacks to {total / _MIB:,.0f} MiB, more than the limit of "
                f"{limits.max_total_bytes / _MIB:,.0f} MiB (a zip bomb?)",
                path=path,
            )
        for info in parts:
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                _refuse_dtd(archive, info, path)
