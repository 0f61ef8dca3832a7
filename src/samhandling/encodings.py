"""Text files as they come from Norwegian offices: UTF-8 with or without a byte-order mark, UTF-16
from some exports, and Windows-1252 from Excel's "CSV" on a Norwegian Windows.

Sources that read bytes themselves (survey sheets saved as CSV, NIMES tables) decode them here, so
every plugin guesses the same way and a file that is none of these is refused with the same error,
naming the file, the line and the byte, instead of being read as mojibake.
"""

from __future__ import annotations

import codecs

from samhandling.errors import Parameter, ParseError

__all__ = ["decode_text"]

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode_text(raw: bytes, *, path: object | None = None, encoding: str | None = None) -> str:
    """The text of ``raw``: in ``encoding`` when given, else by its byte-order mark, else UTF-8, else
    Windows-1252 (a byte-order mark is never part of the text).

    :param raw: the bytes of the file (or of its head, when sniffing).
    :param path: the file, named in the error.
    :param encoding: a Python codec name that overrides the guess.
    :raises ParseError: an unknown codec, or bytes that are not text in the codec used; the message
        names the file, the line and the offending byte.
    """
    if encoding is not None:
        try:
            return _decode(raw, encoding, path)
        except LookupError:
            raise ParseError(f"unknown text encoding {encoding!r}", path=path) from None
    if raw.startswith(codecs.BOM_UTF8):
        return _decode(raw[len(codecs.BOM_UTF8) :], "utf-8", path)
    if raw.startswith(_UTF16_BOMS):
        return _decode(raw, "utf-16", path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(raw, "cp1252", path, tried="neither UTF-8 nor Windows-1252")


def _decode(raw: bytes, encoding: str, path: object | None, *, tried: str | None = None) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        what = tried or f"not {encoding}"
        raise ParseError(
            f"the text is {what}: byte {raw[exc.start]:#04x} at offset {exc.start} cannot be decoded; give ",
            Parameter(name="encoding"),
            " with the file's encoding",
            path=path,
            line=line,
        ) from None
