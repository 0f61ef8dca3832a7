"""Bad input to the SSB readers gets the library's own error, with the true cause, the file, line and column:
mixed encodings, undecodable bytes, thousands separators, overlong lines and fields, broken PX and
JSON-stat.  (Each file is made here, small.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest
from samhandling_kostra import read_jsonstat, read_px, read_statbank_csv

import samhandling as sh
from samhandling.errors import ParseError

HEADER = '"region";"statistikkvariabel";"år";"value"\n'


def _write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_a_file_that_mixes_utf8_and_latin1_is_refused_naming_both_lines(tmp_path: Path) -> None:
    rows = "".join(f'"3301 Drammen";"Personer";"{2000 + i % 25}";{i}\n' for i in range(3000))
    data = (HEADER + rows).encode("utf-8") + '"3303 Kongsberg Ås";"Personer";"2024";7\n'.encode("cp1252")
    path = _write(tmp_path / "mixed.csv", data)
    with pytest.raises(
        ParseError, match=r"mixes text encodings: line 1 holds 'å' encoded as UTF-8"
    ) as caught:
        read_statbank_csv(path)
    assert caught.value.line == 3002
    assert caught.value.path == path


def test_bytes_that_are_no_text_in_the_file_encoding(tmp_path: Path) -> None:
    data = (HEADER + '"3301 Drammen";"Årsverk";"2024";7\n').encode("cp1252") + b'"3303 K\x81";"x";"2024";1\n'
    with pytest.raises(ParseError, match=r"byte 0x81 at offset \d+ is not a character") as caught:
        read_statbank_csv(_write(tmp_path / "bad.csv", data))
    assert caught.value.line == 3
    forced = _write(
        tmp_path / "forced.csv",
        (HEADER + "\n".join(['"3301 Drammen";"x";"2024";1'] * 5) + '\n"3303 Ås";"x";"2024";2\n').encode(
            "cp1252"
        ),
    )
    with pytest.raises(
        ParseError, match=r"byte 0xe5 at offset \d+ is not UTF-8 \(encoding='utf-8' was given\)"
    ) as caught:
        read_statbank_csv(forced, encoding="utf-8")
    assert caught.value.line == 1  # "år" in the header, not a later line
    with pytest.raises(ParseError, match="unknown text encoding 'klingon'"):
        read_statbank_csv(forced, encoding="klingon")


@pytest.mark.parametrize(
    ("values", "mark"),
    [(["1.234", "5.678", "12"], "."), (["1,234", "5,678", "12"], ",")],
)
def test_numbers_that_may_hold_a_thousands_separator_are_refused(
    tmp_path: Path, values: list[str], mark: Literal[",", "."]
) -> None:
    body = "".join(f'"330{i} Kommune";"Personer";"2024";{v}\n' for i, v in enumerate(values, start=1))
    path = _write(tmp_path / "thousands.csv", HEADER + body)
    with pytest.raises(ParseError, match=rf"'{values[0]}' may hold a thousands separator \(1234\)") as caught:
        read_statbank_csv(path)
    assert (caught.value.line, caught.value.column) == (2, "value")
    assert read_statbank_csv(path, decimal=mark).arrow.column("value").to_pylist() == [1.234, 5.678, 12.0]
    # one number of another shape shows the convention
    shown = _write(tmp_path / "shown.csv", HEADER + body + f'"3309 Kommune";"Personer";"2024";0{mark}5\n')
    assert read_statbank_csv(shown).arrow.column("value").to_pylist()[0] == 1.234


def test_a_first_line_of_a_million_columns_is_not_called_empty(tmp_path: Path) -> None:
    path = _write(tmp_path / "wide.csv", ";".join(["1"] * 150_000) + "\n")
    with pytest.raises(
        ParseError, match=r"the first line is longer than 64 KiB \(no line break in the first"
    ) as caught:
        read_statbank_csv(path)
    assert caught.value.line == 1


def test_a_huge_quoted_field_is_named_as_such(tmp_path: Path) -> None:
    field = "x\n" * 60_000
    path = _write(tmp_path / "field.csv", HEADER + f'"3301 Drammen";"{field}";"2024";1\n')
    with pytest.raises(
        ParseError, match="a quoted field opens on this line and does not close on it"
    ) as caught:
        read_statbank_csv(path)
    assert caught.value.line == 2


def test_a_quoted_field_with_a_line_break_in_the_data_is_read_as_written(tmp_path: Path) -> None:
    rows = "".join(f'"3301 Drammen";"Personer";"{2000 + i % 25}";{i}\n' for i in range(50))
    path = _write(tmp_path / "break.csv", HEADER + rows + '"3303 Kongsberg";"Per\nsoner";"2024";1\n')
    table = read_statbank_csv(path)
    assert table.num_rows == 51
    assert [v.label for v in table.variables.values() if v.id != "population"] == ["Per soner"]


def test_an_empty_file_a_blank_file_and_a_file_without_data(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"the file is empty \(0 bytes\)"):
        read_statbank_csv(_write(tmp_path / "zero.csv", ""))
    with pytest.raises(ParseError, match=r"the file is empty \(only blank lines\)"):
        read_statbank_csv(_write(tmp_path / "blank.csv", "\n \n"))


# -- JSON-stat through the plugin --------------------------------------------------------------------


def _jsonstat(**changes: object) -> dict[str, object]:
    document: dict[str, object] = {
        "version": "2.0",
        "class": "dataset",
        "label": "Personer",
        "id": ["Region", "Tid"],
        "size": [2, 1],
        "role": {"geo": ["Region"], "time": ["Tid"]},
        "dimension": {
            "Region": {"category": {"index": {"3301": 0, "3303": 1}}},
            "Tid": {"category": {"index": {"2024": 0}}},
        },
        "value": [1, 2],
    }
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            json.dumps(_jsonstat(value=[1, True])),
            r"'value' of cell 1 \(Region='3303', Tid='2024'\) is a boolean",
        ),
        (json.dumps(_jsonstat()).replace("[1, 2]", "[1, 1e400]"), "too large for a float64"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"version": "2.0", "id": [', "not valid JSON"),
        (json.dumps(_jsonstat(dimension=[])), "needs a 'dimension' object"),
        (json.dumps(_jsonstat(dimension={"Region": None, "Tid": 1})), r"'id' lists dimension\(s\)"),
    ],
)
def test_bad_jsonstat_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "bad.json", text)
    with pytest.raises(ParseError, match=message) as caught:
        read_jsonstat(path)
    assert str(caught.value).startswith(str(path))


def test_a_jsonstat_bomb_is_refused_quickly(tmp_path: Path) -> None:
    sizes = [1000, 1000, 1000]
    document = _jsonstat(id=["A", "B", "C"], size=sizes, role={}, value={"0": 1}, status="..")
    document["dimension"] = {
        name: {"category": {"index": [str(i) for i in range(n)]}}
        for name, n in zip("ABC", sizes, strict=True)
    }
    with pytest.raises(ParseError, match="refusing to expand"):
        read_jsonstat(_write(tmp_path / "bomb.json", json.dumps(document)))


# -- PX ----------------------------------------------------------------------------------------------

PX = """CHARSET="ANSI";
TITLE="99999: Test, etter region og år";
CONTENTS="99999: Test,";
STUB="region";
HEADING="år";
VALUES("region")="Drammen","Kongsberg";
CODES("region")="3301","3303";
VALUES("år")="2023","2024";
TIMEVAL("år")=TLIST(A1),"2023","2024";
VARIABLE-TYPE("region")="G";
UNITS="personer";
DATA=
1 2
3 4
;
"""


def _px(tmp_path: Path, text: str, encoding: str = "cp1252") -> Path:
    return _write(tmp_path / "t.px", text.encode(encoding))


def test_a_minimal_px_file(tmp_path: Path) -> None:
    table = sh.read(_px(tmp_path, PX))
    assert table.source == "ssb-px"
    assert {(r["region"], r["year"]): r["value"] for r in table.to_pylist()} == {
        ("3301", 2023): 1.0,
        ("3301", 2024): 2.0,
        ("3303", 2023): 3.0,
        ("3303", 2024): 4.0,
    }
    assert table.variable_ids() == ["test"]
    assert table.variable("test").unit == "person"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("DATA=\n1 2\n3 4\n;", "DATA=\n1 2\n3\n;"), "DATA holds 3 cells, but STUB and HEADING make 4"),
        (
            ("DATA=\n1 2\n3 4\n;", 'DATA=\n1 2\n3 "...."\n;'),
            r"cell 3 \(region='Kongsberg', år='2024'\) is '....'",
        ),
        (
            ("DATA=\n1 2\n3 4\n;", "DATA=\n1 2\n3 x4\n;"),
            r"cell 3 .* is 'x4': neither a number nor a PX symbol",
        ),
        (("DATA=\n1 2\n3 4\n;", "DATA=\n1 2\n3 4\n"), "does not end with ';'"),
        (("DATA=\n1 2\n3 4\n;\n", ""), "no DATA keyword"),
        (
            ('TLIST(A1),"2023","2024"', 'TLIST(Q1),"2023","2024"'),
            r"period '2023' is a year, but TIMEVAL says TLIST\(Q1\)",
        ),
        (('TLIST(A1),"2023","2024"', 'TLIST(H1),"2023","2024"'), r"TLIST\(H1\); years \(A1\), quarters"),
        (('UNITS="personer";', 'UNITS="personer";\nKEYS("region")=CODES;'), "KEYS .* not read yet"),
        (('UNITS="personer";', 'UNITS="personer";\n%%%;'), "not a PX keyword: '%%%;'"),
        (('CODES("region")="3301","3303";', 'CODES("region")="3301";'), "has 2 VALUES but 1 CODES"),
    ],
)
def test_broken_px_files(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in PX
    with pytest.raises(ParseError, match=message) as caught:
        read_px(_px(tmp_path, PX.replace(old, new)))
    assert caught.value.path == tmp_path / "t.px"


def test_px_encodings(tmp_path: Path) -> None:
    text = PX.replace('"Kongsberg"', '"Bodø"')
    assert read_px(_px(tmp_path, text.replace('CHARSET="ANSI";', 'CODEPAGE="utf-8";'), "utf-8")).num_rows == 4
    dos = text.replace('CHARSET="ANSI";\n', "")
    with pytest.raises(ParseError, match='neither CHARSET="ANSI" nor a CODEPAGE and is not UTF-8'):
        read_px(_px(tmp_path, dos, "cp850"))
    assert read_px(_px(tmp_path, dos, "cp850"), encoding="cp850").num_rows == 4
    with pytest.raises(ParseError, match="byte 0x81 at offset"):
        read_px(_write(tmp_path / "t.px", text.encode("cp1252").replace("ø".encode("cp1252"), b"\x81")))
