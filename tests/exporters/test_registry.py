"""The built-in exporters and readers are plugins like any other and keep the exporter contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from samhandling import StatTable
from samhandling.errors import ExportError
from samhandling.exporters import Exporter, export, exporter_for, exporters
from samhandling.plugins import PluginManager
from samhandling.sources import find_source
from samhandling.testing import check_exporter


def test_builtin_exporters_in_registration_order(builtin_plugin_manager: PluginManager) -> None:
    found = exporters(builtin_plugin_manager)
    assert [e.name for e in found] == ["parquet", "csv", "jsonstat", "xlsx"]
    assert all(isinstance(e, Exporter) for e in found)
    entries = builtin_plugin_manager.registry.exporters.entries()
    assert {e.name: e.plugin for e in entries}["xlsx"] == "samhandling.exporters.xlsx"


@pytest.mark.parametrize(
    ("name", "options"),
    [("parquet", {}), ("jsonstat", {}), ("csv", {}), ("csv", {"norwegian": True})],
)
def test_lossless_formats_pass_the_conformance_check(
    builtin_plugin_manager: PluginManager,
    table: StatTable,
    tmp_path: Path,
    name: str,
    options: dict[str, object],
) -> None:
    exporter = exporter_for(format=name, plugin_manager=builtin_plugin_manager)
    written = check_exporter(
        exporter, table, tmp_path, plugin_manager=builtin_plugin_manager, lossless=True, **options
    )
    assert written.suffix in exporter.suffixes


def test_xlsx_passes_the_conformance_check(
    builtin_plugin_manager: PluginManager, table: StatTable, tmp_path: Path
) -> None:
    exporter = exporter_for(format="xlsx", plugin_manager=builtin_plugin_manager)
    assert check_exporter(exporter, table, tmp_path).name == "conformance.xlsx"


def test_what_each_format_reads_back_with(
    builtin_plugin_manager: PluginManager, table: StatTable, tmp_path: Path
) -> None:
    expected = {
        "t.parquet": "parquet",
        "t.json": "samhandling-jsonstat",
        "t.jsonstat": "samhandling-jsonstat",
        "t.csv": "samhandling-csv",
    }
    for name, source in expected.items():
        path = export(table, tmp_path / name, plugin_manager=builtin_plugin_manager)
        assert find_source(path, plugin_manager=builtin_plugin_manager).name == source


def test_unknown_formats_list_the_known_ones(builtin_plugin_manager: PluginManager) -> None:
    with pytest.raises(ExportError, match=r"no exporter writes files like 'x\.ods'; known formats: parquet"):
        exporter_for("x.ods", plugin_manager=builtin_plugin_manager)
    with pytest.raises(
        ExportError, match="no exporter named 'ods'; registered: csv, jsonstat, parquet, xlsx"
    ):
        exporter_for(format="ods", plugin_manager=builtin_plugin_manager)


def test_unknown_options_become_an_export_error(table: StatTable, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"exporter 'csv' failed writing .*x\.csv.*colour"):
        export(table, tmp_path / "x.csv", colour="red")
