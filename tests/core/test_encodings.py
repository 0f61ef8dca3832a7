"""decode_text: the one guess every source makes about a text file's encoding."""

from __future__ import annotations

import codecs

import pytest

from samhandling.encodings import decode_text
from samhandling.errors import ParseError

TEXT = "Kommune;Årsverk\n3301 Drammen;98,4\n"


@pytest.mark.parametrize(
    "raw",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),
        TEXT.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8 with BOM", "utf-16 with BOM", "windows-1252"],
)
def test_each_encoding_offices_save_in_gives_the_same_text(raw: bytes) -> None:
    assert decode_text(raw) == TEXT


def test_a_given_encoding_wins_over_the_guess() -> None:
    assert decode_text("Bodø".encode("latin-1"), encoding="latin-1") == "Bodø"


def test_bytes_that_are_no_text_name_the_file_line_and_byte() -> None:
    raw = b"Kommune;Verdi\n3301;1\n\x81\x8d;2\n"
    with pytest.raises(ParseError) as error:
        decode_text(raw, path="survey.csv")
    assert error.value.path == "survey.csv"
    assert error.value.line == 3
    assert "neither UTF-8 nor Windows-1252" in str(error.value)
    assert "0x81" in str(error.value)


def test_a_forced_encoding_that_does_not_fit_or_does_not_exist_is_refused() -> None:
    with pytest.raises(ParseError, match=r"t\.csv, line 2: the text is not utf-8: byte 0xf8"):
        decode_text("a\nBodø".encode("cp1252"), path="t.csv", encoding="utf-8")
    with pytest.raises(ParseError, match="unknown text encoding 'klingon'"):
        decode_text(b"a", encoding="klingon")


def test_one_encoding_per_file_mixed_encodings_are_refused_with_both_places() -> None:
    raw = "Kommune;Verdi\n3301 Bodø;1\n".encode() + "3303 Årdal;2\n".encode("cp1252")
    with pytest.raises(ParseError, match="mixes text encodings") as error:
        decode_text(raw, path="mixed.csv")
    assert error.value.line == 3
    message = str(error.value)
    assert "line 2 holds 'ø' encoded as UTF-8 (offset 22)" in message
    assert "byte 0xc5 at offset 32" in message


def test_bytes_no_encoding_of_the_guess_defines_and_nul_bytes_are_refused() -> None:
    with pytest.raises(ParseError, match=r"byte 0x9d at offset 6 is not a character") as error:
        decode_text(b"a;b\n1;\x9d\n")
    assert error.value.line == 2
    with pytest.raises(ParseError, match=r"NUL byte .*UTF-16 file without its byte-order mark") as error:
        decode_text("Kommune;Verdi\n".encode("utf-16-le"), path="utf16.csv")
    assert error.value.line == 1
    with pytest.raises(ParseError, match="starts with a UTF-8 byte-order mark, but byte 0xf8"):
        decode_text(codecs.BOM_UTF8 + "a\nBodø".encode("cp1252"))


def test_the_encoding_is_decided_once_for_the_whole_file() -> None:
    from samhandling.encodings import detect_encoding

    assert detect_encoding(codecs.BOM_UTF8 + b"a") == "utf-8-sig"
    assert detect_encoding("Bodø".encode()) == "utf-8"
    assert detect_encoding(("a" * 100_000 + "Bodø").encode("cp1252")) == "cp1252"
    # the head of a UTF-8 file cut inside its last character is still UTF-8 (readers sniff heads)
    assert decode_text("Æøå".encode()[:-1]) == "Æø\ufffd"
    # a Windows-1252 file that merely ends in 'å' is not
    assert decode_text("Bodå".encode("cp1252")) == "Bodå"
