"""``samhandling report`` with real files, and its errors as a user reads them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import samhandling as sh
from samhandling.cli import main
from samhandling.exporters import export
from samhandling.geography import Geography
from samhandling.plugins import PluginManager, reset_default_plugin_manager
from samhandling.report import demo_inputs

YEAR = 2024
REGISTER = """\
# Samarbeidsavtaler i Ringeriksregionen (test register)
[[agreement]]
id = "sa-3305"
kind = "cooperation_agreement"
title = "Samarbeidsavtale mellom Ringerike kommune og Vestre Viken HF"
valid_from = 2012-01-01
subjects = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
parties = [
  { kind = "municipality", code = "3305", name = "Ringerike kommune" },
  { kind = "health_trust", code = "vestre-viken", name = "Vestre Viken HF" },
]

[[agreement]]
id = "sa-3310"
kind = "cooperation_agreement"
title = "Samarbeidsavtale mellom Hole kommune og Vestre Viken HF"
valid_from = 2012-01-01
subjects = [1, 2, 3, 5]
parties = [
  { kind = "municipality", code = "3310", name = "Hole kommune" },
  { kind = "health_trust", code = "vestre-viken", name = "Vestre Viken HF" },
]

[[service]]
name = "ØHD psykisk helse og rus, Ringeriksregionen"
kind = "ohd"
provider = "Ringerike kommune"
level = "inter_municipal"
capacity = "3 plass"
municipalities = ["3305", "3310"]
start = 2017-01-01
"""


@pytest.fixture
def without_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command as on a fresh install: only the built-in plugins."""
    monkeypatch.setenv("SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("SAMHANDLING_DISABLED_PLUGINS", raising=False)
    reset_default_plugin_manager()
    yield
    reset_default_plugin_manager()


@pytest.fixture(scope="module")
def input_files(
    tmp_path_factory: pytest.TempPathFactory, core_plugin_manager: PluginManager
) -> dict[str, Path]:
    """Input files the built-in sources read (Parquet), for the municipalities of one county."""
    folder = tmp_path_factory.mktemp("inputs")
    geography = Geography.for_year(YEAR)
    inputs = demo_inputs(YEAR, span=2, geography=geography)
    codes = sorted(m.code for m in geography.municipalities if m.county == "33")
    files = {}
    for role, table in (("kostra", inputs.population), ("nimes", inputs.admissions)):
        assert table is not None
        files[role] = export(
            table.where(region=codes), folder / f"{role}.parquet", plugin_manager=core_plugin_manager
        )
    assert inputs.survey is not None
    for year in (YEAR - 1, YEAR):  # one survey file per year, as the survey is published
        files[f"survey-{year}"] = export(
            inputs.survey.where(region=codes, year=year),
            folder / f"survey-{year}.parquet",
            plugin_manager=core_plugin_manager,
        )
    files["agreements"] = folder / "avtaler.toml"
    files["agreements"].write_text(REGISTER, encoding="utf-8")
    return files


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("without_plugins")
def test_report_from_files(input_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rapport"
    code, output = _run(
        "report",
        "--year",
        str(YEAR),
        *("--survey", str(input_files[f"survey-{YEAR - 1}"])),
        *("--survey", str(input_files[f"survey-{YEAR}"])),
        *("--kostra", str(input_files["kostra"])),
        *("--nimes", str(input_files["nimes"])),
        *("--agreements", str(input_files["agreements"])),
        *("--out", str(out)),
        *("--format", "parquet", "--format", "csv"),
        "--quiet",
    )
    assert code == 0, output
    assert f"Wrote {out / 'index.html'}" in output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="demo-banner"' in html  # the files hold demo data, and the report still says so
    for path in input_files.values():  # every input with its checksum in the sources section
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert str(path) in html
        assert digest in html
    assert "3310 Hole" in html  # Hole's agreement lacks subjects 4 and 6–11
    series = pq.read_table(out / "data" / "fte_per_10000_county.parquet")
    assert sorted(set(series.column("year").to_pylist())) == [YEAR - 1, YEAR]  # both survey files
    assert (out / "data" / "agreement_coverage_municipality.csv").is_file()
    assert not list((out / "data").glob("*.xlsx"))


@pytest.mark.usefixtures("without_plugins")
def test_missing_input_file_is_named(tmp_path: Path, input_files: dict[str, Path]) -> None:
    missing = tmp_path / "kartlegging-2024.xlsx"
    code, output = _run(
        "report", "--year", str(YEAR), "--survey", str(missing), "--kostra", str(input_files["kostra"]),
        "--out", str(tmp_path / "out"), "--quiet",
    )  # fmt: skip
    assert code == 1
    assert "--survey" in output
    assert "kartlegging-2024.xlsx" in output
    assert "no such file" in output
    assert "Traceback" not in output


@pytest.mark.usefixtures("without_plugins")
def test_file_for_the_wrong_role_is_named(tmp_path: Path, input_files: dict[str, Path]) -> None:
    code, output = _run(
        "report", "--year", str(YEAR), "--survey", str(input_files["kostra"]),
        "--kostra", str(input_files["kostra"]),
        "--out", str(tmp_path / "out"), "--quiet",
    )  # fmt: skip
    assert code == 1
    assert "--survey" in output
    assert "no variable 'fte'" in output
    assert "kostra.parquet" in output


@pytest.mark.usefixtures("without_plugins")
def test_bad_agreement_register_names_file_and_line(tmp_path: Path, input_files: dict[str, Path]) -> None:
    register = tmp_path / "avtaler.toml"
    register.write_text(
        REGISTER.replace("subjects = [1, 2, 3, 5]", "subjects = [1, 2, 3, 14]"), encoding="utf-8"
    )
    code, output = _run(
        "report", "--year", str(YEAR), "--survey", str(input_files[f"survey-{YEAR}"]),
        "--kostra", str(input_files["kostra"]), "--agreements", str(register),
        "--out", str(tmp_path / "out"), "--quiet",
    )  # fmt: skip
    assert code == 1
    assert "avtaler.toml" in output
    assert "line 13" in output
    assert "14" in output  # nos. 12 and 13 are statutory subjects since 1 August 2022
    assert "§ 6-2" in output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "give --year"),
        (("--year", "2024"), "needs --survey and --kostra"),
        (("--year", "2024", "--survey", "s.parquet"), "needs --kostra"),
        (("--demo", "--survey", "s.parquet"), "leave out --survey"),
        (("--year", "2016", "--demo"), "2016"),
        (("--demo", "--format", "pdf"), "'pdf' is not one of"),
    ],
)
def test_usage_errors(args: tuple[str, ...], expected: str) -> None:
    code, output = _run("report", *args)
    assert code == 2
    assert expected in output


def test_help_shows_the_main_job_example() -> None:
    code, output = _run("report", "--help")
    assert code == 0
    assert "samhandling report --demo --out report" in output
    for option in ("--survey", "--kostra", "--nimes", "--agreements", "--capacity", "--format"):
        assert option in output


def test_the_example_survey_with_its_planted_errors_gives_a_report_not_an_abort(tmp_path: Path) -> None:
    """The survey plugin's example has an old municipality code (0417) and a municipality entered twice:
    the report sets the rows aside and says so; ``--strict`` stops instead, naming the errors."""
    example = pytest.importorskip("samhandling_survey.example")
    files = example.example_files()
    args = [
        "report",
        *("--year", "2023"),
        *("--survey", str(files.survey[2022])),
        *("--survey", str(files.survey[2023])),
        *("--kostra", str(files.population)),
        *("--format", "parquet"),
        "--quiet",
    ]
    code, output = _run(*args, "--out", str(tmp_path / "rapport"))
    assert code == 0, output
    assert "Set aside: 2 input problem(s)" in output
    findings = pq.read_table(tmp_path / "rapport" / "data" / "findings.parquet").to_pylist()
    set_aside = {(f["region"], f["rule"]) for f in findings if f["rule"] == "set-aside"}
    assert set_aside == {("0417", "set-aside"), ("3412", "set-aside")}
    html = (tmp_path / "rapport" / "index.html").read_text(encoding="utf-8")
    assert "0417" in html
    assert "44 av 356" in html  # coverage instead of a partial total: 0417 left out, 3413 and 3430 missing
    # the example files say they hold made-up numbers, and the report built from them says so too
    assert "SYNTETISKE" in html
    fte = sh.read(next((tmp_path / "rapport" / "data").glob("*fte*.parquet")))
    assert fte.synthetic
    code, output = _run(*args, "--out", str(tmp_path / "strict"), "--strict")
    assert code == 1
    assert "--strict" in output
    assert "0417" in output
    assert "Traceback" not in output
