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
