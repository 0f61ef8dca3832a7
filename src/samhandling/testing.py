"""Test helpers for plugin authors: fixtures and conformance checks for sources and exporters.

Opt in from your plugin's ``conftest.py``::

    pytest_plugins = ["samhandling.testing"]

then use the fixtures, or call the checks directly::

    from samhandling.testing import check_source, check_exporter

    def test_my_source_reads_the_example(tmp_path):
        table = check_source(MySource(), "tests/data/example.csv")
        assert table.num_rows == 42

Each check raises :class:`ConformanceError` with a sentence saying what the plugin got wrong.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from samhandling.errors import SamhandlingError
from samhandling.plugins import PluginManager, get_plugin_manager
from samhandling.tables import METADATA_KEY, StatTable, Variable

__all__ = [
    "ConformanceError",
    "assert_valid_stattable",
    "check_exporter",
    "check_source",
    "example_table",
    "plugin_manager",
    "registered",
]


class ConformanceError(AssertionError):
    """A plugin does not keep the contract of its hook."""


def assert_valid_stattable(table: object, *, who: str = "table") -> StatTable:
    """Check that ``table`` is a StatTable that passes validation again and declares its variables.

    :param table: what a plugin returned.
    :param who: how to name the plugin in the error, e.g. ``"source 'kostra'"``.
    :returns: the table validated again from its Arrow data and schema metadata.
    :raises ConformanceError: saying what is wrong.
    """
    if not isinstance(table, StatTable):
        raise ConformanceError(f"{who} returned {type(table).__name__}, expected samhandling.StatTable")
    try:
        again = StatTable.from_arrow(table.arrow)
    except SamhandlingError as exc:
        raise ConformanceError(f"{who} returned a table that does not validate: {exc}") from exc
    if METADATA_KEY not in (table.arrow.schema.metadata or {}):
        raise ConformanceError(f"{who} returned a table without samhandling schema metadata")
    undeclared = [v for v in table.variable_ids() if v not in table.meta.variables]
    if undeclared:
        raise ConformanceError(
            f"{who} returned variables {undeclared} without metadata; declare unit and additivity with "
            f"samhandling.Variable(...)"
        )
    for variable in table.meta.variables.values():
        from samhandling.units import parse_unit

        try:
            parse_unit(variable.unit)
        except SamhandlingError as exc:
            raise ConformanceError(f"{who}: variable {variable.id!r} has an unknown unit: {exc}") from exc
    return again


def check_source(source: Any, location: str | Path, **options: Any) -> StatTable:
    """Run a source's contract: attributes, ``can_read`` on its own file, ``read`` → valid StatTable.

    :param source: the source object (not its name).
    :param location: a small example file in the source's real format.
    :param options: passed on to ``source.read``.
    :returns: the validated table, for further assertions on its values.
    :raises ConformanceError: saying which part of the contract the source breaks.
    """
    for attribute in ("name", "description"):
        if not isinstance(getattr(source, attribute, None), str) or not getattr(source, attribute):
            raise ConformanceError(f"source {source!r} needs a non-empty string attribute {attribute!r}")
    name = source.name
    if not source.can_read(location):
        raise ConformanceError(f"source {name!r}: can_read({str(location)!r}) is false for its own example")
    table = source.read(location, **options)
    result = assert_valid_stattable(table, who=f"source {name!r}")
    if not result.provenance:
        raise ConformanceError(f"source {name!r} returned a table without provenance (file, checksum)")
    return result


def check_exporter(
    exporter: Any,
    table: StatTable,
    directory: str | Path,
    *,
    plugin_manager: PluginManager | None = None,
    lossless: bool = False,
    **options: Any,
) -> Path:
    """Run an exporter's contract: it writes a file with one of its suffixes, and round-trips if asked.

    With ``lossless=True`` the file is read back with whichever registered source can read it, and the
    result must equal ``table`` (rows, statuses, units and metadata).
    """
    suffixes = getattr(exporter, "suffixes", None)
    if not suffixes or not all(isinstance(s, str) and s.startswith(".") for s in suffixes):
        raise ConformanceError(f"exporter {exporter!r} needs suffixes like ('.parquet',)")
    destination = Path(directory) / f"conformance{suffixes[0]}"
    written = exporter.write(table, destination, **options)
    if not isinstance(written, Path) or not written.exists():
        raise ConformanceError(f"exporter {exporter.name!r} must return the Path it wrote, got {written!r}")
    if lossless:
        from samhandling.sources import read

        back = read(written, plugin_manager=plugin_manager)
        if not back.equals(table):
            raise ConformanceError(
                f"exporter {exporter.name!r}: reading {written.name} back does not give the same table "
                f"({back!r} vs {table!r})"
            )
    return written


def example_table() -> StatTable:
    """A small table with every feature a writer must keep: statuses, units, a dimension, a rate."""
    rows = {
        "region": ["3301", "3301", "3301", "3305", "3305", "33", "0"],
        "level": ["municipality"] * 5 + ["county", "national"],
        "year": [2024] * 7,
        "profession": ["sykepleier", "psykolog", None, "sykepleier", "psykolog", None, None],
        "variable": ["fte", "fte", "fte_per_10000", "fte", "fte", "fte", "fte"],
        "value": [12.5, None, 3.1, 0.0, 1.25, None, 5000.0],
        "status": [None, ":", None, "-", None, "..", None],
    }
    return StatTable.from_arrow(
        pa.table(rows),
        source="example",
        geography_year=2024,
        variables=[
            Variable(id="fte", unit="årsverk", additive=True, label="Årsverk"),
            Variable(
                id="fte_per_10000",
                unit="årsverk / ten_thousand_inhabitants",
                additive=False,
                numerator="fte",
                denominator="population",
                scale=10000.0,
                label="Årsverk per 10 000 innbyggere",
            ),
        ],
    )


@contextlib.contextmanager
def registered(plugin: object, plugin_manager: PluginManager, name: str | None = None) -> Iterator[str]:
    """Register ``plugin`` for the duration of a ``with`` block, then unregister it.

    Lets a test try a plugin module on a manager without installing its distribution::

        with registered(my_plugin_module, builtin_plugin_manager, name="my-plugin"):
            assert "my-source" in builtin_plugin_manager.registry.sources

    :param plugin: a module or object with ``@hookimpl`` functions.
    :param plugin_manager: the manager to register it with (e.g. the ``builtin_plugin_manager`` fixture).
    :param name: the plugin's name (default: pluggy's name for the object).
    :returns: the name it was registered under.
    """
    plugin_name = plugin_manager.register(plugin, name=name)
    plugin_manager.check_pending()
    try:
        yield plugin_name or ""
    finally:
        plugin_manager.unregister(plugin)


@pytest.fixture
def plugin_manager() -> PluginManager:
    """A fresh plugin manager with the built-ins and every installed entry-point plugin."""
    return get_plugin_manager(autoload=True)


@pytest.fixture
def builtin_plugin_manager() -> PluginManager:
    """A fresh plugin manager with only the built-in plugins (no entry points)."""
    return get_plugin_manager(autoload=False)


@pytest.fixture
def stat_table() -> StatTable:
    """The :func:`example_table`."""
    return example_table()


__all__ += ["builtin_plugin_manager", "stat_table"]
