"""Tests of the example source: the conformance check, the entry point, the values and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import samhandling
import samhandling.sources
from samhandling.errors import ParseError
from samhandling.plugins import PluginManager, list_plugins
from samhandling.testing import check_source, registered

from samhandling_example_source import OhdReportSource

EXAMPLE = Path(__file__).parent / "data" / "ohd-2024-01.csv"
HEADER = "Kommunenummer;Kommune;År;Måned;Pasientgruppe;Innleggelser;Liggedøgn\n"
MHSU = "mental_health_substance_use"


def _value(table: samhandling.StatTable, **where: object) -> tuple[float | None, str | None]:
    rows = table.where(**where).to_pylist()
    assert len(rows) == 1, rows
    return rows[0]["value"], rows[0]["status"]


# --8<-- [start:conformance]
def test_source_keeps_the_contract() -> None:
    table = check_source(OhdReportSource(), EXAMPLE)

    assert table.num_rows == 14  # 7 lines x 2 variables
    assert table.geography_year == 2024
    assert table.unit_of("admissions") == "innleggelse"
    assert table.provenance[0].checksum is not None
    assert table.provenance[0].checksum.startswith("sha256:")


# --8<-- [end:conformance]


def test_values_and_status_symbols() -> None:
    table = OhdReportSource().read(EXAMPLE)

    assert _value(table, region="3301", patient_group="somatic", variable="admissions") == (41.0, None)
    assert _value(table, region="3301", patient_group=MHSU, variable="bed_days") == (15.0, None)
    # "-" is a true zero, ":" and ".." stay missing with their reason.
    assert _value(table, region="3312", patient_group=MHSU, variable="admissions") == (0.0, "-")
    assert _value(table, region="3314", patient_group=MHSU, variable="admissions") == (None, ":")
    assert _value(table, region="3316", variable="bed_days") == (None, "..")


def test_norwegian_numbers(tmp_path: Path) -> None:
    report = tmp_path / "ohd.csv"
    report.write_text(HEADER + "3301;Drammen;2024;12;somatikk;1 204;3 512,5\n", encoding="utf-8")

    table = OhdReportSource().read(report)

    assert _value(table, variable="admissions") == (1204.0, None)
    assert _value(table, variable="bed_days") == (3512.5, None)
    assert table.years() == [2024]


def test_windows_encoding(tmp_path: Path) -> None:
    report = tmp_path / "ohd.csv"
    report.write_bytes((HEADER + "3314;Øvre Eiker;2024;2;somatikk;3;7\n").encode("cp1252"))

    with pytest.raises(ParseError, match="encoding='cp1252'"):
        OhdReportSource().read(report)
    table = OhdReportSource().read(report, encoding="cp1252")

    assert _value(table, variable="bed_days") == (7.0, None)


# --8<-- [start:entry-point]
def test_the_installed_plugin_is_found(plugin_manager: PluginManager) -> None:
    names = {info.name: info for info in list_plugins(plugin_manager)}

    assert "example-source" in names
    assert names["example-source"].distribution == "samhandling-example-source"
    assert "ohd-monthly" in plugin_manager.registry.sources
    # samhandling.read() picks this source for the report without being told.
    table = samhandling.read(EXAMPLE, plugin_manager=plugin_manager)
    assert table.source == "ohd-monthly"


def test_registered_by_hand_without_installing(builtin_plugin_manager: PluginManager) -> None:
    # While developing, try the plugin on a manager without installing the distribution.
    import samhandling_example_source

    with registered(samhandling_example_source, builtin_plugin_manager, name="example-source"):
        source = samhandling.sources.find_source(EXAMPLE, plugin_manager=builtin_plugin_manager)
        assert source.name == "ohd-monthly"
    assert "ohd-monthly" not in builtin_plugin_manager.registry.sources


# --8<-- [end:entry-point]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("330;Drammen;2024;1;somatikk;4;9", "Kommunenummer", "a 4-digit code, found '330'"),
        ("3301;Drammen;2024;13;somatikk;4;9", "Måned", "a number from 1 to 12, found '13'"),
        ("3301;Drammen;2024;1;barn;4;9", "Pasientgruppe", "found 'barn'"),
        ("3301;Drammen;2024;1;somatikk;fire;9", "Innleggelser", "found 'fire'"),
        ("3301;Drammen;2024;1;somatikk;4;", "Liggedøgn", "found ''"),
        ("3301;Drammen;2024;1;somatikk;-4;9", "Innleggelser", "found '-4'"),
    ],
)
def test_bad_cells_are_named_by_line_and_column(tmp_path: Path, line: str, column: str, message: str) -> None:
    report = tmp_path / "ohd.csv"
    report.write_text(HEADER + "3312;Lier;2024;1;somatikk;9;23\n" + line + "\n", encoding="utf-8")

    with pytest.raises(ParseError, match=message) as caught:
        OhdReportSource().read(report)

    assert caught.value.line == 3
    assert caught.value.column == column
    assert str(report) in str(caught.value)


def test_wrong_header_and_ragged_lines(tmp_path: Path) -> None:
    report = tmp_path / "ohd.csv"
    report.write_text(HEADER.replace("Liggedøgn", "Døgn"), encoding="utf-8")
    with pytest.raises(ParseError, match="expected the header 'Liggedøgn', found 'Døgn'"):
        OhdReportSource().read(report)

    report.write_text(
        HEADER + "3312;Lier;2024;1;somatikk;9;23\n3301;Drammen;2024;1;somatikk\n", encoding="utf-8"
    )
    with pytest.raises(ParseError, match="expected 7 fields") as caught:
        OhdReportSource().read(report)
    assert caught.value.line == 3


def test_other_files_are_left_to_other_sources(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("region;year;value\n3301;2024;1\n", encoding="utf-8")

    assert not OhdReportSource().can_read(other)
    assert not OhdReportSource().can_read(tmp_path / "missing.csv")
