"""The samhandling command: version, help, plugins listing and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import click
import pytest
from click.testing import CliRunner

import samhandling
import samhandling.plugins as plugins_module
from samhandling import hookimpl
from samhandling.cli import COMMANDS, main
from samhandling.errors import ParseError
from samhandling.plugins import get_plugin_manager
from samhandling.registry import Registrar


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"samhandling, version {samhandling.__version__}"


def test_plugins_lists_builtins_with_versions() -> None:
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "samhandling.exporters.parquet" in result.output
    assert "Exporters" in result.output
    assert samhandling.__version__ in result.output


def test_plugins_as_json() -> None:
    result = CliRunner().invoke(main, ["plugins", "--json"])
    payload = json.loads(result.output)
    names = {p["name"] for p in payload["plugins"]}
    assert "samhandling.catalogue" in names
    assert {"name": "parquet", "plugin": "samhandling.exporters.parquet"}.items() <= payload["exporters"][
        0
    ].items()


def test_every_builtin_command_is_importable() -> None:
    for name in COMMANDS:
        assert isinstance(main.get_command(click.Context(main), name), click.Command), name


@pytest.fixture
def failing_command(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command(name="fail")
    def fail() -> None:
        raise ParseError("expected a number, found 'abc'", path="kostra.csv", line=7, column="2024")

    def samhandling_register_commands(register: Registrar) -> None:
        register(fail)

    plugin = types.SimpleNamespace(samhandling_register_commands=hookimpl(samhandling_register_commands))
    pm = get_plugin_manager(autoload=False, extra=[plugin])
    monkeypatch.setattr(plugins_module, "_default_plugin_manager", lambda: pm)


@pytest.mark.usefixtures("failing_command")
def test_errors_are_one_clear_line_without_traceback() -> None:
    result = CliRunner().invoke(main, ["fail"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["error: kostra.csv, line 7, column '2024': expected a number, found 'abc'"]


@pytest.mark.usefixtures("failing_command")
def test_debug_shows_the_traceback() -> None:
    result = CliRunner().invoke(main, ["--debug", "fail"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ParseError)


def test_the_installed_command_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "samhandling", "--help"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "harmonise" in completed.stdout


def test_an_error_message_with_brackets_is_printed_as_is(capsys: pytest.CaptureFixture[str]) -> None:
    from samhandling.cli import _fail

    with pytest.raises(SystemExit) as exit_info:
        _fail("install it with pip install 'samhandling[xlsx]'")
    assert exit_info.value.code == 1
    assert "pip install 'samhandling[xlsx]'" in capsys.readouterr().err


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command under ``command`` (plugin commands included), as the words that invoke it."""
    found = [path]
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None, name
            found += _commands(sub, (*path, name))
    return found


def test_every_help_text_is_plain_text() -> None:
    commands = _commands(main)
    assert ("rates",) in commands
    assert ("geo", "find") in commands
    for words in commands:
        result = CliRunner().invoke(main, [*words, "--help"])
        assert result.exit_code == 0, (words, result.output)
        for markup in ("``", "`", ":class:", ":func:", ":meth:", ".. "):
            assert markup not in result.output, f"samhandling {' '.join(words)} --help shows {markup!r}"


def test_year_ranges_in_help_follow_the_geography() -> None:
    from samhandling.geography import FIRST_YEAR, LAST_YEAR

    assert f"{FIRST_YEAR}–{LAST_YEAR}" in CliRunner().invoke(main, ["geo", "--help"]).output
    assert f"({FIRST_YEAR}–{LAST_YEAR})" in CliRunner().invoke(main, ["harmonise", "--help"]).output


def test_an_exporter_that_lacks_a_library_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "openpyxl" else real(name, *a)
    )

    listing = CliRunner().invoke(main, ["plugins"], env={"COLUMNS": "200"})
    payload = json.loads(CliRunner().invoke(main, ["plugins", "--json"]).output)

    assert "unavailable: needs openpyxl: pip install 'samhandling[xlsx]'" in listing.output
    exporters = {e["name"]: e["unavailable"] for e in payload["exporters"]}
    assert exporters["xlsx"] == "needs openpyxl: pip install 'samhandling[xlsx]'"
    assert exporters["parquet"] is None


def test_with_openpyxl_the_excel_exporter_is_available() -> None:
    payload = json.loads(CliRunner().invoke(main, ["plugins", "--json"]).output)

    assert {e["name"]: e["unavailable"] for e in payload["exporters"]}["xlsx"] is None


def test_plugins_fit_80_columns() -> None:
    result = CliRunner().invoke(main, ["plugins"], env={"COLUMNS": "80"})

    assert max(len(line.rstrip()) for line in result.output.splitlines()) <= 80
    assert "samhandling.exporters.jsonstat" in result.output  # plugin names are never cut
