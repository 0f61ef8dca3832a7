"""Writing for publication: ``export(publish=True)``, ``export --publish`` and ``samhandling protect``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import samhandling as sh
from samhandling.cli import main
from samhandling.tables import StatTable

from .conftest import cells, grid, publication, suppressed, with_totals
from .test_protect import INNER, _rates


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def counts(tmp_path: Path) -> Path:
    path = tmp_path / "counts.parquet"
    sh.export(grid(with_totals(INNER)), path)
    return path


def test_analysis_exports_are_written_as_they_are(counts: Path, tmp_path: Path) -> None:
    table = sh.read(counts)
    sh.export(table, tmp_path / "plain.parquet")
    assert cells(sh.read(tmp_path / "plain.parquet")) == cells(table)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json", ".xlsx"])
def test_every_exporter_writes_the_protected_table_for_publication(
    counts: Path, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"published{suffix}"
    sh.export(sh.read(counts), target, publish=True)
    if suffix == ".xlsx":
        book = openpyxl.load_workbook(target)
        values = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
        assert ":" in values
        sources = [c for row in book["kilder"].iter_rows(values_only=True) for c in row if c]
        assert any("samhandling.disclosure" in str(c) for c in sources)
        return
    published = sh.read(target)
    assert ("3301", "B") in suppressed(published)
    assert any(p.source == "samhandling.disclosure" for p in published.provenance)
    if suffix in (".parquet", ".csv"):
        assert published.meta.extra["disclosure"]["protected"] is True


def test_publishing_without_protection_is_explicit_logged_and_recorded(
    counts: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="samhandling.disclosure"):
        sh.export(sh.read(counts), tmp_path / "internal.parquet", publish=True, protection=False)
    assert "OFF" in caplog.text
    written = sh.read(tmp_path / "internal.parquet")
    assert not suppressed(written)
    assert written.meta.extra["disclosure"]["protected"] is False
    assert any("NOT PROTECTED" in p.note for p in written.provenance)


def test_rates_for_publication_take_their_counts_as_context(tmp_path: Path) -> None:
    table = grid(with_totals(INNER))
    sh.export(_rates(table), tmp_path / "rates.csv", publish=True, context=[table])
    assert ("3301", "B") in suppressed(sh.read(tmp_path / "rates.csv"))


def test_the_protect_command_protects_one_table(counts: Path, tmp_path: Path) -> None:
    result = _run("protect", str(counts), "-o", str(tmp_path / "out.parquet"), "--verify")
    assert result.exit_code == 0, result.output
    assert "small counts (primary)" in result.output
    assert "verified" in result.output
    assert ("3301", "B") in suppressed(sh.read(tmp_path / "out.parquet"))


def test_the_protect_command_protects_several_tables_as_one_publication(tmp_path: Path) -> None:
    paths = []
    for i, table in enumerate(publication(INNER, levels=("county", "national"))):
        paths.append(tmp_path / f"t{i}.parquet")
        sh.export(table, paths[-1])
    result = _run("protect", *map(str, paths), "-o", str(tmp_path / "published"), "--threshold", "5")
    assert result.exit_code == 0, result.output
    written = [StatTable.from_arrow(pq.read_table(tmp_path / "published" / p.name)) for p in paths]
    assert sh.disclosure.verify(written).ok
    assert written[0].meta.extra["disclosure"]["rules"]["threshold"] == 5


def test_the_protect_command_reads_counts_behind_rates_as_context(tmp_path: Path) -> None:
    table = grid(with_totals(INNER))
    sh.export(table, tmp_path / "counts.parquet")
    sh.export(_rates(table), tmp_path / "rates.parquet")
    failed = _run("protect", str(tmp_path / "rates.parquet"), "-o", str(tmp_path / "x.parquet"))
    assert failed.exit_code == 1
    assert "context" in failed.output
    result = _run(
        "protect",
        str(tmp_path / "rates.parquet"),
        "--context",
        str(tmp_path / "counts.parquet"),
        "-o",
        str(tmp_path / "rates-published.json"),
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "rates-published.json").read_text(encoding="utf-8"))
    assert ":" in json.dumps(document["status"])


def test_export_publish_on_the_command_line(counts: Path, tmp_path: Path) -> None:
    result = _run("export", str(counts), "-o", str(tmp_path / "p.csv"), "--publish", "--threshold", "5")
    assert result.exit_code == 0, result.output
    assert "protected" in result.output
    published = sh.read(tmp_path / "p.csv")
    assert ("3310", "A") in suppressed(published)  # 4 admissions: below 5
    assert published.meta.extra["disclosure"]["rules"]["threshold"] == 5
    internal = _run(
        "export", str(counts), "-o", str(tmp_path / "i.csv"), "--publish", "--no-disclosure-control"
    )
    assert internal.exit_code == 0, internal.output
    assert "not protected" in internal.output
    assert not suppressed(sh.read(tmp_path / "i.csv"))
    wrong = _run("export", str(counts), "-o", str(tmp_path / "w.csv"), "--no-disclosure-control")
    assert wrong.exit_code == 2
    assert "--publish" in wrong.output


def test_the_protect_command_is_listed() -> None:
    result = _run("--help")
    assert "protect" in result.output
