"""KOSTRA-group membership files (SSB KLASS 112 exports and plain CSVs) and the report's breakdown by them."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from samhandling.cli import main
from samhandling.errors import ParseError
from samhandling.geography import Geography
from samhandling.report import (
    InputError,
    KostraGroups,
    ReportResult,
    build_demo_report,
    demo_inputs,
    read_kostra_groups,
)
from samhandling.report.demo import DEFAULT_YEAR
from samhandling.report.document import Table

REAL_KLASS_131 = (
    Path(__file__).parents[2]
    / ".."
    / "shared"
    / "real-data"
    / "ssb"
    / "klass131_kommuner_2020-01_semicolon_latin1.csv"
)
HEADER = '"code";"parentCode";"level";"name";"shortName";"notes";"validFrom";"validTo"'
GROUPS = {
    "EKG01": "Kostragruppe 1 - Små kommuner med middels bundne kostnader per innbygger",
    "EKG13": "Kostragruppe 13 - Store kommuner utenom de fire største byene",
    "EKG17": "Kostragruppe 17 - Bergen, Trondheim og Stavanger",
}


def _klass_export(
    members: dict[str, str], names: dict[str, str] | None = None, groups: dict[str, str] = GROUPS
) -> str:
    """A KLASS CSV export as SSB writes it: quoted header of eight columns, rows of six fields with an
    unquoted empty shortName and a quoted empty notes (as in SSB's export of classification 131)."""
    lines = [HEADER]
    lines += [f'"{code}";"";"1";"{name}";;""' for code, name in groups.items()]
    lines += [
        f'"{code}";"{group}";"2";"{(names or {}).get(code, "Kommune " + code)}";;""'
        for code, group in members.items()
    ]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str, encoding: str = "latin-1") -> Path:
    data = text.encode("utf-8") if encoding == "utf-8-sig" else text.encode(encoding)
    if encoding == "utf-8-sig":
        data = codecs.BOM_UTF8 + data
    path.write_bytes(data)
    return path


# -- reading --------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["latin-1", "utf-8", "utf-8-sig"])
def test_klass_export_groups_level_1_and_municipalities_level_2(tmp_path: Path, encoding: str) -> None:
    members = {"1144": "EKG01", "3024": "EKG13", "4601": "EKG17", "5001": "EKG17"}
    path = _write(
        tmp_path / "klass112.csv", _klass_export(members, {"1144": "Kvitsøy", "3024": "Bærum"}), encoding
    )

    groups = read_kostra_groups(path)

    assert groups.layout == "klass"
    assert groups.membership() == members
    assert [g.code for g in groups.groups] == list(GROUPS)
    assert groups.name("EKG01") == GROUPS["EKG01"]  # "Små" read back from Latin-1 and from UTF-8 alike
    assert groups.by_group() == {"EKG01": ["1144"], "EKG13": ["3024"], "EKG17": ["4601", "5001"]}
    assert [m.line for m in groups.members] == [5, 6, 7, 8]
    assert groups.checksum.startswith("sha256:")


def test_klass_export_keeps_the_rows_valid_on_the_day_asked_for(tmp_path: Path) -> None:
    text = (
        HEADER + "\n"
        '"EKG01";"";"1";"Gruppe 1";;"";"2020-01-01";""\n'
        '"EKG13";"";"1";"Gruppe 13";;"";"2020-01-01";""\n'
        '"1144";"EKG01";"2";"Kvitsøy";;"";"2020-01-01";"2024-01-01"\n'
        '"1144";"EKG13";"2";"Kvitsøy";;"";"2024-01-01";""\n'
    )
    path = _write(tmp_path / "klass112.csv", text)

    assert read_kostra_groups(path, on=2023).membership() == {"1144": "EKG01"}
    assert read_kostra_groups(path, on=2024).membership() == {"1144": "EKG13"}
    with pytest.raises(ParseError) as caught:  # both rows: one municipality in two groups
        read_kostra_groups(path)
    assert caught.value.line == 5
    assert "line 4" in str(caught.value)


def test_klass_correspondence_112_to_131(tmp_path: Path) -> None:
    text = (
        '"sourceCode","sourceName","sourceShortName","targetCode","targetName","targetShortName",'
        '"validFrom","validTo"\n'
        '"EKG01","Kostragruppe 1","","1144","Kvitsøy","","2020-01-01",""\n'
        '"EKG17","Kostragruppe 17","","4601","Bergen","","2020-01-01",""\n'
        '"EKG13","Kostragruppe 13","","0301","Oslo","","2020-01-01","2021-01-01"\n'
    )
    path = _write(tmp_path / "corresponds.csv", text)

    groups = read_kostra_groups(path, on=2021)

    assert groups.layout == "klass-correspondence"
    assert groups.membership() == {"1144": "EKG01", "4601": "EKG17"}
    assert groups.name("EKG17") == "Kostragruppe 17"


def test_plain_two_column_csv_with_groups_by_name(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "grupper.csv",
        "municipality,group\n0301,Oslo-gruppen\n\n1144,Små kommuner\n",
        "utf-8",
    )

    groups = read_kostra_groups(path)

    assert groups.layout == "two-column"
    assert groups.membership() == {"0301": "Oslo-gruppen", "1144": "Små kommuner"}
    assert [m.line for m in groups.members] == [2, 4]


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("kommune;kostragruppe\n0301;EKG13\n301;EKG01\n", 3, "kommune", "leading zero"),
        ("kommune;kostragruppe\n0301;EKG13\n1144;\n", 3, "kostragruppe", "no group"),
        (HEADER + '\n"EKG01";"";"1";"G";;""\n"1144";"EKG99";"2";"Kvitsøy";;""\n', 3, "parentCode", "EKG99"),
        (HEADER + '\n"EKG01";"";"1";"G";;""\n"1144";"EKG01";"3";"Kvitsøy";;""\n', 3, "level", "expected 1"),
        (HEADER + '\n"EKG01";"";"1";"G";;"";"2020-13-01";""\n', 2, "validFrom", "not a date"),
        ("kommune;kostragruppe\n0301;EKG13;x\n", 2, 3, "fields"),
    ],
)
def test_a_bad_row_is_refused_naming_file_line_and_column(
    tmp_path: Path, text: str, line: int, column: str | int, words: str
) -> None:
    path = _write(tmp_path / "bad.csv", text)

    with pytest.raises(ParseError) as caught:
        read_kostra_groups(path, on=2024)

    assert (caught.value.line, caught.value.column) == (line, column)
    assert str(path) in str(caught.value)
    assert f"line {line}" in str(caught.value)
    assert words in str(caught.value)


def test_a_file_of_groups_only_or_of_other_columns_is_refused(tmp_path: Path) -> None:
    only_groups = _write(tmp_path / "only.csv", HEADER + '\n"EKG01";"";"1";"Gruppe 1";;""\n')
    with pytest.raises(ParseError, match="correspondence"):
        read_kostra_groups(only_groups)
    other = _write(tmp_path / "other.csv", "a;b\n1;2\n")
    with pytest.raises(ParseError, match="names no municipality column") as caught:
        read_kostra_groups(other)
    assert caught.value.line == 1


def test_real_klass_export_layout_read_as_a_membership(tmp_path: Path) -> None:
    """SSB's real KLASS 131 export, its bytes kept, turned into a membership: each municipality line
    becomes level 2 under a group (only the level and parentCode fields change)."""
    if not REAL_KLASS_131.exists():
        pytest.skip("the real SSB files are not available")
    raw = REAL_KLASS_131.read_bytes()
    head, *rows = raw.split(b"\n")
    expected: dict[str, str] = {}
    out = [head, b'"EKGA";"";"1";"Gruppe A";;""', b'"EKGB";"";"1";"Gruppe B";;""']
    for row in rows:
        if not row:
            continue
        fields = row.split(b";")
        code = fields[0].strip(b'"').decode("latin-1")
        group = "EKGA" if int(code) % 2 else "EKGB"
        expected[code] = group
        out.append(b";".join([fields[0], f'"{group}"'.encode(), b'"2"', *fields[3:]]))
    path = tmp_path / "membership.csv"
    path.write_bytes(b"\n".join(out) + b"\n")

    groups = read_kostra_groups(path)

    assert groups.membership() == expected
    assert len(expected) == 357  # 356 municipalities of 2020 and 9999 Uoppgitt
    usable, unknown, missing = groups.on_map(m.code for m in Geography.for_year(2020).municipalities)
    assert [m.municipality for m in unknown] == ["9999"]
    assert missing == []
    assert len(usable) == 356


def test_real_klass_131_export_itself_is_not_a_membership() -> None:
    if not REAL_KLASS_131.exists():
        pytest.skip("the real SSB files are not available")
    with pytest.raises(ParseError, match="only the groups"):
        read_kostra_groups(REAL_KLASS_131)


# -- the report --------------------------------------------------------------------------------
def _demo_membership(
    tmp_path: Path, *, leave_out: int = 2, unknown: str | None = None
) -> tuple[Path, dict[str, str]]:
    """Every municipality of the demo year but the first ``leave_out``, in one of three groups by code."""
    codes = sorted(m.code for m in Geography.for_year(DEFAULT_YEAR).municipalities)
    members = {code: list(GROUPS)[int(code) % 3] for code in codes[leave_out:]}
    if unknown:
        members[unknown] = "EKG01"
    return _write(tmp_path / "kostragrupper.csv", _klass_export(members)), members


def _table(result: ReportResult, table_id: str) -> Table:
    for section in result.document.sections:
        for table in section.tables:
            if table.id == table_id:
                return table
    raise AssertionError(f"no table {table_id}")


@pytest.fixture(scope="module")
def with_groups(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportResult, dict[str, str]]:
    folder = tmp_path_factory.mktemp("kostra")
    path, members = _demo_membership(folder)
    result = build_demo_report(folder / "report", formats=("parquet", "csv"), kostra_groups=path)
    return result, members


def _independent_rates(members: dict[str, str]) -> dict[tuple[str, str], float]:
    """FTEs per 10,000 by group from the demo inputs, computed here with pandas: summed FTEs over summed
    population of the target group's ages (adults 18+, children and young people 0–17)."""
    inputs = demo_inputs(DEFAULT_YEAR)
    assert inputs.survey is not None
    assert inputs.population is not None
    survey = inputs.survey.arrow.to_pandas()
    survey = survey[
        (survey.variable == "fte") & (survey.level == "municipality") & (survey.year == DEFAULT_YEAR)
    ]
    assert set(survey.service) == {"total"}
    survey = survey[survey.profession == "total"]  # the survey's own total over professions
    people = inputs.population.arrow.to_pandas()
    people = people[(people.level == "municipality") & (people.year == DEFAULT_YEAR)]
    ages = {"adults": {"18-66", "67+"}, "children_young": {"0-17"}}
    out = {}
    for target, wanted in ages.items():
        fte = survey[survey.target_group == target].groupby("region")["value"].sum()
        population = people[people.age.isin(wanted)].groupby("region")["value"].sum()
        frame = pd.DataFrame({"fte": fte, "population": population}).reset_index(names="region")
        frame["group"] = frame.region.map(members)
        summed = frame.dropna(subset=["group"]).groupby("group")[["fte", "population"]].sum()
        for group, row in summed.iterrows():
            out[(str(group), target)] = 10_000 * row.fte / row.population
        # the test can tell a rate of sums from an average of rates
        frame["rate"] = 10_000 * frame.fte / frame.population
        averaged = frame.dropna(subset=["group"]).groupby("group")["rate"].mean()
        assert (abs(averaged - 10_000 * summed.fte / summed.population) > 0.01).any()
    return out


def test_demo_report_shows_fte_per_10000_by_kostra_group_from_sums(
    with_groups: tuple[ReportResult, dict[str, str]],
) -> None:
    result, members = with_groups
    data = result.html.parent / "data"
    rates = pq.read_table(data / "fte_per_10000_kostra_group.parquet").to_pandas()
    rates = rates[rates.year == DEFAULT_YEAR]
    found = {(str(r.region), str(r.target_group)): r.value for r in rates.itertuples()}

    expected = _independent_rates(members)

    assert set(rates.level) == {"kostra_group"}
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, rel=1e-9), key
    table = _table(result, "fte-kostra-group")
    assert [row[0].text for row in table.rows] == [f"{code} – {name}" for code, name in GROUPS.items()]
    sizes = {code: sum(1 for g in members.values() if g == code) for code in GROUPS}
    assert [row[1].text for row in table.rows] == [f"{n} av {n}" for n in sizes.values()]
    adults = [row[3].text for row in table.rows]
    assert adults == [f"{expected[(code, 'adults')]:.1f}".replace(".", ",") for code in GROUPS]


def test_the_kostra_group_section_is_labelled_synthetic_and_names_what_is_left_out(
    with_groups: tuple[ReportResult, dict[str, str]],
) -> None:
    result, members = with_groups
    data = result.html.parent / "data"
    metadata = pq.read_schema(data / "fte_per_10000_kostra_group.parquet").metadata
    assert b"synthetic" in b"".join(metadata.values())
    csv = (data / "fte_kostra_group.csv").read_text(encoding="utf-8")
    assert "synthetic" in csv.splitlines()[0]
    html = result.html.read_text(encoding="utf-8")
    assert 'id="fig-fte-kostra-group"' in html
    assert 'id="tab-fte-kostra-group"' in html
    left_out = sorted({m.code for m in Geography.for_year(DEFAULT_YEAR).municipalities} - set(members))
    assert len(left_out) == 2
    assert "står ikke i filen kostragrupper.csv" in html
    assert all(code in html for code in left_out)
    assert any(f.rule == "kostra-group-missing" for _role, f in result.findings)
    assert "KOSTRA-grupper vises ikke" not in html


def test_without_a_file_the_report_says_how_to_give_one(tmp_path: Path) -> None:
    result = build_demo_report(tmp_path / "report", formats=("parquet",))

    html = result.html.read_text(encoding="utf-8")
    assert "KOSTRA-grupper vises ikke" in html
    assert "--kostra-groups" in html
    assert not (tmp_path / "report" / "data" / "fte_per_10000_kostra_group.parquet").exists()


def test_an_unknown_municipality_is_set_aside_and_strict_stops(tmp_path: Path) -> None:
    path, _members = _demo_membership(tmp_path, leave_out=0, unknown="1234")

    result = build_demo_report(tmp_path / "report", formats=("parquet",), kostra_groups=path)
    set_aside = [f for role, f in result.findings if role == "kostra_groups" and f.rule == "set-aside"]
    assert [f.region for f in set_aside] == ["1234"]
    assert set_aside[0].location == f"{path}:{set_aside[0].values['line']}"
    with pytest.raises(InputError, match="1234"):
        build_demo_report(tmp_path / "strict", formats=("parquet",), kostra_groups=path, strict=True)


def test_a_read_membership_can_be_given_as_it_is(tmp_path: Path) -> None:
    path, _members = _demo_membership(tmp_path)
    groups = read_kostra_groups(path, on=DEFAULT_YEAR)
    assert isinstance(groups, KostraGroups)

    result = build_demo_report(tmp_path / "report", formats=("parquet",), kostra_groups=groups)

    assert len(_table(result, "fte-kostra-group").rows) == 3


# -- the command line --------------------------------------------------------------------------------
def test_cli_kostra_groups_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD", "1")
    path, _members = _demo_membership(tmp_path)
    runner = CliRunner()

    done = runner.invoke(
        main,
        [
            "report",
            "--demo",
            "--quiet",
            "--format",
            "csv",
            "--kostra-groups",
            str(path),
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "r" / "data" / "fte_per_10000_kostra_group.csv").exists()

    bad = _write(tmp_path / "bad.csv", "kommune;kostragruppe\n0301;EKG13\n301;EKG01\n")
    failed = runner.invoke(
        main, ["report", "--demo", "--quiet", "--kostra-groups", str(bad), "--out", str(tmp_path / "b")]
    )
    assert failed.exit_code != 0
    assert "line 3" in failed.output
    assert "column 'kommune'" in failed.output
