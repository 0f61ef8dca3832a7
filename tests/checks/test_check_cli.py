"""``samhandling check`` as an analyst runs it: tables of findings, CSV output, --strict, options."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

import samhandling.plugins as plugins_module
from samhandling import StatTable, Variable
from samhandling.exporters.parquet import ParquetExporter
from samhandling.plugins import PluginManager, get_plugin_manager

FTE = Variable(id="fte", unit="årsverk", additive=True)


@pytest.fixture(autouse=True)
def builtins_only(monkeypatch: pytest.MonkeyPatch) -> PluginManager:
    """The command uses the default plugin manager: here the built-in plugins alone."""
    pm = get_plugin_manager(autoload=False)
    monkeypatch.setattr(plugins_module, "_default_plugin_manager", lambda: pm)
    return pm


def _write(path: Path, rows: list[tuple[str, int, str, float | None]], **meta: object) -> Path:
    table = StatTable.from_pydict(
        {
            "region": [r[0] for r in rows],
            "level": ["municipality"] * len(rows),
            "year": [r[1] for r in rows],
            "profession": [r[2] for r in rows],
            "variable": ["fte"] * len(rows),
            "value": [r[3] for r in rows],
            "status": [None if r[3] is not None else ":" for r in rows],
        },
        variables=[FTE],
        source="test",
        **meta,
    )
    ParquetExporter().write(table, path)
    return path


@pytest.fixture
def year_2022(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "fte-2022.parquet",
        [
            ("3401", 2022, "total", 10.0),
            ("3401", 2022, "nurse", 6.0),
            ("3401", 2022, "psychologist", 4.0),
            ("3403", 2022, "total", 5.0),
            ("3403", 2022, "nurse", 5.0),
            ("3403", 2022, "psychologist", 0.0),
        ],
        geography_year=2022,
    )


@pytest.fixture
def year_2023(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "fte-2023.parquet",
        [
            ("3401", 2023, "total", 30.0),
            ("3401", 2023, "nurse", 6.0),
            ("3401", 2023, "psychologist", 4.0),
            ("3403", 2023, "total", 5.0),
            ("3403", 2023, "nurse", 5.5),
            ("3403", 2023, "psychologist", -0.5),
        ],
        geography_year=2023,
    )


def _invoke(*args: str, columns: int = 220) -> tuple[int, str]:
    from samhandling.cli import main

    result = CliRunner().invoke(main, list(args), env={"COLUMNS": str(columns)})
    return result.exit_code, result.output


def test_two_years_are_checked_as_one_series(year_2022: Path, year_2023: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    code, output = _invoke("check", str(year_2022), str(year_2023), "--output", str(out))
    assert code == 0, output
    assert "Findings in fte-2022.parquet, fte-2023.parquet" in output
    assert "3401 Kongsvinger" in output  # the name comes from the geography of the year
    assert "2 errors, 1 warning, 0 info; written to" in output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = {(r["severity"], r["rule"], r["region"], r["year"]) for r in rows}
    assert found == {
        ("error", "sum-of-parts", "3401", "2023"),
        ("error", "negative-values", "3403", "2023"),
        ("warning", "year-on-year", "3401", "2023"),
    }
    assert {r["location"] for r in rows} == {str(year_2023)}
    assert {r["name"] for r in rows} == {"Kongsvinger", "Hamar"}


def test_strict_fails_on_errors_and_warnings(year_2022: Path, year_2023: Path) -> None:
    assert _invoke("check", str(year_2022), "--strict")[0] == 0
    code, output = _invoke("check", str(year_2022), str(year_2023), "--strict")
    assert code == 1
    assert "strict: failing" in output


def test_choose_checks_and_set_options(year_2022: Path, year_2023: Path) -> None:
    code, output = _invoke("check", str(year_2022), str(year_2023), "--check", "year-on-year")
    assert code == 0
    assert "0 errors, 1 warning" in output
    code, output = _invoke(
        "check",
        str(year_2022),
        str(year_2023),
        "--check",
        "year-on-year",
        "--option",
        "year-on-year.threshold=5",
    )
    assert "No findings" in output
    code, output = _invoke("check", str(year_2022), "--option", "threshold=5")
    assert code == 2
    assert "RULE.KEY=VALUE" in output


def test_unknown_check_and_unreadable_file_are_one_line_errors(year_2022: Path, tmp_path: Path) -> None:
    code, output = _invoke("check", str(year_2022), "--check", "spelling")
    assert code == 1
    assert "no check named 'spelling'" in output
    junk = tmp_path / "notes.txt"
    junk.write_text("hello", encoding="utf-8")
    code, output = _invoke("check", str(junk))
    assert code == 1
    assert "no source can read" in output


def test_list_the_checks() -> None:
    code, output = _invoke("check", "--list")
    assert code == 0
    for name in ("sum-of-parts", "year-on-year", "invalid-codes", "rate-band"):
        assert name in output
    code, output = _invoke("check")
    assert code == 2
    assert "give one or more FILES" in output


def test_files_of_the_same_year_are_checked_one_by_one(year_2022: Path, tmp_path: Path) -> None:
    other = _write(tmp_path / "other-2022.parquet", [("3401", 2022, "total", -1.0)], geography_year=2022)
    code, output = _invoke("check", str(year_2022), str(other))
    assert code == 0
    assert "No findings in fte-2022.parquet" in output
    assert "Findings in other-2022.parquet" in output


def test_at_80_columns_each_finding_is_a_readable_paragraph(year_2022: Path, year_2023: Path) -> None:
    code, output = _invoke("check", str(year_2022), str(year_2023), columns=80)

    assert code == 0
    lines = [line.rstrip() for line in output.splitlines()]
    assert max(len(line) for line in lines) <= 80
    assert "✖ error   negative-values · 3403 Hamar · fte · 2023" in lines
    # the message follows on its own lines, whole words, under the heading
    message = [
        line.strip()
        for line in lines[lines.index("✖ error   negative-values · 3403 Hamar · fte · 2023") + 1 :]
    ]
    assert message[0].startswith("fte (profession=psychologist) is -0.5 for 3403 in 2023")
    assert "┃" not in output  # no table borders cutting words apart


def test_a_wide_terminal_gets_the_full_table(year_2022: Path, year_2023: Path) -> None:
    code, output = _invoke("check", str(year_2022), str(year_2023), columns=160)

    assert code == 0
    header = next(line for line in output.splitlines() if "severity" in line)
    for column in ("rule", "region", "variable", "year", "message", "values"):
        assert column in header


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_print_every_field(year_2022: Path, year_2023: Path, fmt: str) -> None:
    import json

    from samhandling.cli import main

    result = CliRunner().invoke(main, ["check", str(year_2022), str(year_2023), "--format", fmt])

    assert result.exit_code == 0
    text = result.stdout
    rows = list(csv.DictReader(text.splitlines())) if fmt == "csv" else json.loads(text)
    assert {(r["rule"], r["region"], r["name"]) for r in rows} == {
        ("sum-of-parts", "3401", "Kongsvinger"),
        ("negative-values", "3403", "Hamar"),
        ("year-on-year", "3401", "Kongsvinger"),
    }
    assert all(r["location"] == str(year_2023) and r["message"] for r in rows)
    assert "2 errors, 1 warning, 0 info" in result.stderr  # the summary stays out of the data
