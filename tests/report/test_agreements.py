"""Agreement registers in TOML, JSON and CSV, as a county governor or KoRus centre keeps them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from samhandling.errors import ParseError
from samhandling.model import AgreementKind, ServiceLevel, StatutorySubject, coverage
from samhandling.report.agreements import read_agreements

TOML = """\
[[agreement]]
id = "sa-3305"
kind = "cooperation_agreement"
title = "Samarbeidsavtale mellom Ringerike kommune og Vestre Viken HF"
valid_from = 2012-01-01
subjects = [1, 2, 3]
parties = [
  { kind = "municipality", code = "3305", name = "Ringerike kommune" },
  { kind = "health_trust", code = "vestre-viken", name = "Vestre Viken HF" },
]

[[agreement]]
id = "ta-3305-4"
kind = "sub_agreement"
parent = "sa-3305"
title = "Delavtale om øyeblikkelig hjelp døgnopphold"
valid_from = 2016-01-01T00:00:00
subjects = [4, 5]
parties = [
  { kind = "municipality", code = "3305", name = "Ringerike kommune" },
  { kind = "health_trust", code = "vestre-viken", name = "Vestre Viken HF" },
]

[[service]]
name = "ØHD Ringeriksregionen"
kind = "ohd"
provider = "Ringerike kommune"
level = "inter_municipal"
capacity = "3 plasser"
municipalities = ["3305", "3310"]
"""


def test_toml_register_with_sub_agreement_and_service(tmp_path: Path) -> None:
    path = tmp_path / "avtaler.toml"
    path.write_text(TOML, encoding="utf-8")
    register = read_agreements(path)
    assert [a.id for a in register.agreements] == ["sa-3305", "ta-3305-4"]
    assert register.agreements[1].valid_from.isoformat() == "2016-01-01"  # a TOML datetime becomes a date
    covered = coverage(register.agreements)
    assert [s.number for s, yes in covered.items() if yes] == [1, 2, 3, 4, 5]
    [service] = register.services
    assert service.level is ServiceLevel.INTER_MUNICIPAL
    assert service.capacity is not None
    assert service.capacity.to("plass").magnitude == 3
    assert register.paths == (path,)


def test_json_register(tmp_path: Path) -> None:
    path = tmp_path / "avtaler.json"
    payload = {
        "agreements": [
            {
                "id": "ik-ohd",
                "kind": "inter_municipal",
                "title": "Interkommunal ØHD",
                "valid_from": "2017-01-01",
                "services": "ohd",
                "parties": [
                    {"kind": "municipality", "code": "3305", "name": "Ringerike kommune"},
                    {"kind": "municipality", "code": "3310", "name": "Hole kommune"},
                ],
            }
        ]
    }
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    [agreement] = read_agreements(path).agreements
    assert agreement.kind is AgreementKind.INTER_MUNICIPAL
    assert agreement.municipalities == ("3305", "3310")
    assert agreement.services == ("ohd",)


def test_csv_register_with_semicolons_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "avtaler.csv"
    text = (
        "id;kind;title;parties;valid_from;subjects;parent\n"
        "sa-3301;cooperation_agreement;Samarbeidsavtale Drammen;"
        "municipality:3301:Drammen kommune|health_trust:vestre-viken:Vestre Viken HF;"
        "2012-01-01;1 2 3 4 5 6;\n"
        "ta-3301-7;sub_agreement;Delavtale forskning;"
        "municipality:3301:Drammen kommune|health_trust:vestre-viken:Vestre Viken HF;2019-05-01;7;sa-3301\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    register = read_agreements([path])
    covered = coverage(register.agreements, on=dt.date(2022, 1, 1))
    assert {s.number for s, yes in covered.items() if yes} == {1, 2, 3, 4, 5, 6, 7}
    assert register.agreements[0].missing_subjects()[0] is StatutorySubject.RESEARCH_AND_EDUCATION


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.toml", "[[agreement]]\nid = \n", r"a\.toml, line 2.*not valid TOML"),
        ("b.toml", TOML.replace("subjects = [1, 2, 3]", "subjects = [1, 2, 14]"), r"b\.toml, line 1.*14"),
        (
            "c.toml",
            TOML.replace('kind = "cooperation_agreement"', 'kind = "contract"'),
            r"c\.toml, line 1.*kind",
        ),
        ("d.json", '{"agreements": [', r"d\.json, line 1.*not valid JSON"),
        ("e.csv", "id;kind;title\nx;y;z\n", r"e\.csv, line 1.*missing column"),
        (
            "f.csv",
            "id,kind,title,parties,valid_from\nsa-1,cooperation_agreement,T,municipality 3305,2012-01-01\n",
            r"f\.csv, line 2, column 'parties'.*kind:code:name",
        ),
        ("g.txt", "whatever", r"g\.txt.*unknown register format"),
    ],
)
def test_bad_register_names_file_line_and_field(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParseError, match=expected):
        read_agreements(path)


def test_same_id_in_two_files_is_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(TOML, encoding="utf-8")
    second.write_text(TOML, encoding="utf-8")
    with pytest.raises(ParseError, match=r"sa-3305.*more than one register file"):
        read_agreements([first, second])
