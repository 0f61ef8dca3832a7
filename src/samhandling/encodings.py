"""Text files as they come from Norwegian offices and from SSB: UTF-8 with or without a byte-order mark,
UTF-16 from some exports, and Windows-1252 / ISO-8859-1 from PxWeb's downloads and from Excel's "CSV" on a
Norwegian Windows.

One file has one encoding, decided once for the whole file (:func:`detect_encoding`), and every source
decodes through here, so every plugin guesses the same way.  A file that is none of these is refused,
naming the file, the line and the byte offset, instead of being read as mojibake:

* bytes that are not text in the encoding used (with an explicit ``encoding=``, or bytes Windows-1252
  leaves undefined: ``0x81``, ``0x8d``, ``0x8f``, ``0x90``, ``0x9d``);
* a file that mixes encodings: not UTF-8 as a whole, yet holding letters encoded as UTF-8 (``Ã¸`` for
  ``ø`` once decoded) — typically a UTF-8 file with lines pasted in from a Windows-1252 one;
* NUL bytes, which text files do not hold (a UTF-16 file without its byte-order mark looks like this).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from samhandling.errors import Parameter, ParseError

__all__ = ["decode_text", "describe_position", "detect_encoding"]

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Bytes Windows-1252 does not define (ISO-8859-1 maps them to C1 control characters, never text).
_UNDEFINED_IN_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
#: A multi-byte UTF-8 sequence (a candidate; it counts when it decodes to a letter).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def describe_position(raw: bytes, offset: int) -> tuple[int, str]:
    """The 1-based line of byte ``offset`` in ``raw`` and a phrase naming the byte and its offset."""
    line = raw.count(b"\n", 0, offset) + 1
    return line, f"byte {raw[offset]:#04x} at offset {offset}"


def detect_encoding(raw: bytes, *, path: object | None = None) -> str:
    """The one encoding of a whole file: ``"utf-8-sig"`` (BOM), ``"utf-16"`` (BOM), ``"utf-8"`` or
    ``"cp1252"`` (Windows-1252, a superset of ISO-8859-1 for text).

    :param raw: every byte of the file.
    :param path: the file, named in the error.
    :raises ParseError: the bytes are not text in any of these, or mix UTF-8 with another encoding; the
        message names the line and the byte offset.
    """
    if raw.startswith(codecs.BOM_UTF8):
        _check_utf8(raw, path, start=len(codecs.BOM_UTF8))
        return "utf-8-sig"
    if raw.startswith(_UTF16_BOMS):
        return "utf-16"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _cut_at_end(raw, exc):
            _refuse_nul(raw, path)
            return "utf-8"  # the head of a UTF-8 file, cut inside its last character
        _refuse_mixed(raw, exc.start, path)
        _refuse_undefined(raw, path)
        _refuse_nul(raw, path)
        return "cp1252"
    _refuse_nul(raw, path)
    return "utf-8"


def decode_text(raw: bytes, *, path: object | None = None, encoding: str | None = None) -> str:
    """The text of ``raw``: in ``encoding`` when given, else in the encoding :func:`detect_encoding`
    decides for the whole file (a byte-order mark is never part of the text).

    :param raw: the bytes of the file (or of its head, when sniffing).
    :param path: the file, named in the error.
    :param encoding: a Python codec name that overrides the guess.
    :raises ParseError: an unknown codec, bytes that are not text in the codec used, or a file that mixes
        encodings; the message names the file, the line and the offending byte and its offset.
    """
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ParseError(f"unknown text encoding {encoding!r}", path=path) from None
        if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        return _decode(raw, codec, path, what=f"not {encoding}")
    codec = detect_encoding(raw, path=path)
    return _decode(raw, codec, path, what=f"not {codec}")


def _cut_at_end(raw: bytes, exc: UnicodeDecodeError) -> bool:
    """Whether the only error is a multi-byte character cut off by the end of the bytes (the head of a
    UTF-8 file): the bytes before it are UTF-8 and hold other multi-byte characters.  A Windows-1252 file
    that merely ends in ``å`` has none."""
    if not (exc.end >= len(raw) and exc.start >= len(raw) - 3 and "end of data" in str(exc.reason)):
        return False
    return _UTF8_SEQUENCE.search(raw, 0, exc.start) is not None


def _decode(raw: bytes, codec: str, path: object | None, *, what: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        if codec in ("utf-8", "utf-8-sig") and _cut_at_end(raw, exc):
            return raw[: exc.start].decode(codec) + "\ufffd"
        line, where = describe_position(raw, exc.start)
        raise ParseError(
            f"the text is {what}: {where} cannot be decoded; give ",
            Parameter(name="encoding"),
            " with the file's encoding",
            path=path,
            line=line,
        ) from None


def _check_utf8(raw: bytes, path: object | None, *, start: int) -> None:
    try:
        raw[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        _refuse_mixed(raw, offset, path)
        line, where = describe_position(raw, offset)
        raise ParseError(
            f"the file starts with a UTF-8 byte-order mark, but {where} is not UTF-8",
            path=path,
            line=line,
        ) from None


def _refuse_mixed(raw: bytes, bad: int, path: object | None) -> None:
    """Refuse a file that is not UTF-8 at ``bad`` but holds UTF-8-encoded letters elsewhere."""
    for match in _UTF8_SEQUENCE.finditer(raw):
        try:
            character = match.group().decode("utf-8")
        except UnicodeDecodeError:  # pragma: no cover - the pattern only matches well-formed sequences
            continue
        if not unicodedata.category(character).startswith("L"):
            continue
        utf8_line = raw.count(b"\n", 0, match.start()) + 1
        bad_line, where = describe_position(raw, bad)
        raise ParseError(
            f"the file mixes text encodings: line {utf8_line} holds {character!r} encoded as UTF-8 (offset "
            f"{match.start()}), but line {bad_line} has {where}, which is not UTF-8 (Windows-1252 or "
            f"ISO-8859-1?); save the whole file in one encoding",
            path=path,
            line=bad_line,
        )


def _refuse_undefined(raw: bytes, path: object | None) -> None:
    match = _UNDEFINED_IN_CP1252.search(raw)
    if match is None:
        return
    line, where = describe_position(raw, match.start())
    raise ParseError(
        f"the text is neither UTF-8 nor Windows-1252/ISO-8859-1: {where} is not a character in either; "
        "pass encoding=... with the file's encoding",
        path=path,
        line=line,
    )


def _refuse_nul(raw: bytes, path: object | None) -> None:
    offset = raw.find(b"\x00")
    if offset < 0:
        return
    line, where = describe_position(raw, offset)
    raise ParseError(
        f"the file holds a NUL byte ({where}), which text does not; a UTF-16 file without its "
        "byte-order mark looks like this — pass encoding='utf-16-le' or 'utf-16-be' if it is one",
        path=path,
        line=line,
    )
