"""The command line never loses an input, never shows a raw traceback, keeps duplicates only if asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.cli import main
from samhandling.exporters import export


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _table(*, copy: bool = False) -> StatTable:
    regions = ["3301", "3303", "3301"] if copy else ["3301", "3303", "3305"]
    return StatTable.from_pydict(
        {
            "region": regions,
            "level": ["municipality"] * 3,
            "year": [2024] * 3,
            "variable": ["population"] * 3,
            "value": [100.0, 50.0, 20.0],
        },
        variables=[Variable(id="population", unit="innbygger")],
        geography_year=2024,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["read", "{x}", "-o", "{x}"],
        ["read", "{y}", "{x}", "-o", "{x}"],
        ["harmonise", "{x}", "--to-year", "2024", "-o", "{x}"],
        ["harmonise", "{y}", "--to-year", "2024", "--population", "{x}", "-o", "{x}"],
        ["roll-up", "{x}", "--to", "county", "-o", "{x}"],
        ["rates", "{y}", "--population", "{x}", "-o", "{x}"],
        ["export", "{x}", "-o", "{x}"],
        ["export", "{x}", "-o", "{x}", "--partition-by", "year"],
        ["export", "{x}", "-o", "{dot}", "--format", "parquet"],
    ],
)
def test_no_step_writes_over_its_input(tmp_path: Path, args: list[str]) -> None:
    x = export(_table(), tmp_path / "x.parquet")
    y = export(_table(), tmp_path / "y.parquet")
    original = x.read_bytes()
    names = {"{x}": str(x), "{y}": str(y), "{dot}": str(tmp_path / "." / "x.parquet")}
    result = _run(*[names.get(a, a) for a in args])
    assert result.exit_code == 1, result.output
    assert "will not write" in result.output
    assert "which the table was read from" in result.output
    assert x.read_bytes() == original


def test_read_csv_over_itself_keeps_the_download(tmp_path: Path) -> None:
    path = export(_table(), tmp_path / "x.csv")
    before = path.read_bytes(), (tmp_path / "x.csv.meta.json").read_bytes()
    result = _run("read", str(path), "-o", str(path))
    assert result.exit_code == 1
    assert "will not write" in result.output
    assert (path.read_bytes(), (tmp_path / "x.csv.meta.json").read_bytes()) == before


def test_duplicates_stop_a_step_unless_allowed(tmp_path: Path) -> None:
    source = export(_table(copy=True), tmp_path / "copies.parquet")
    result = _run("read", str(source), "-o", str(tmp_path / "out.parquet"))
    assert result.exit_code == 1
    assert "region=3301" in result.output
    assert "--allow-duplicates" in result.output
    kept = tmp_path / "kept.parquet"
    assert _run("read", str(source), "--allow-duplicates", "-o", str(kept)).exit_code == 0
    assert sh.read(kept, allow_duplicates=True).num_rows == 3
    assert _run("export", str(kept), "--allow-duplicates", "-o", str(tmp_path / "k.csv")).exit_code == 0
    refused = _run("roll-up", str(kept), "--to", "county", "-o", str(tmp_path / "county.parquet"))
    assert refused.exit_code == 1
    assert "occur more than once" in refused.output


def test_an_unexpected_failure_is_one_line_and_debug_shows_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = export(_table(), tmp_path / "x.parquet")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("samhandling.aggregate.roll_up", broken)
    result = _run("roll-up", str(path), "--to", "county", "-o", str(tmp_path / "c.parquet"))
    assert result.exit_code == 1
    assert result.output.startswith("error: RecursionError: maximum recursion depth exceeded")
    assert "--debug" in result.output
    assert "Traceback" not in result.output
    debug = _run("--debug", "roll-up", str(path), "--to", "county", "-o", str(tmp_path / "c.parquet"))
    assert isinstance(debug.exception, RecursionError)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"PAR1 not parquet"), "not a readable Parquet file"),
        (lambda p: p.write_bytes(b""), "not a readable Parquet file"),
    ],
)
def test_broken_files_give_one_line_in_a_real_process(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "broken.parquet"
    make(path)  # type: ignore[operator]
    completed = subprocess.run(
        [sys.executable, "-m", "samhandling", "export", str(path), "-o", str(tmp_path / "x.csv")],
        capture_output=True,
        text=True,
        check=False,
        env={"SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD": "1", "PATH": "", "COLUMNS": "300"},
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "broken.parquet" in completed.stderr
    assert message in completed.stderr


def test_an_unknown_encoding_is_one_line(tmp_path: Path) -> None:
    path = export(_table(), tmp_path / "x.parquet")
    result = _run("read", str(path), "-O", "encoding=klingon", "-o", str(tmp_path / "y.parquet"))
    assert result.exit_code == 1
    assert "unknown text encoding 'klingon'" in result.output
