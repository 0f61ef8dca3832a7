"""The plugin manager: built-ins first, entry points, operators' switches and clear errors."""

from __future__ import annotations

import types
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from samhandling import hookimpl
from samhandling.errors import PluginError, SourceError
from samhandling.plugins import BUILTIN_PLUGINS, get_plugin_manager, list_plugins
from samhandling.registry import Registrar
from samhandling.sources import read


def _plugin(name: str, **hooks: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


class _EntryPoint:
    """Stands in for an importlib.metadata.EntryPoint of an installed distribution."""

    def __init__(self, name: str, load: Any, dist: str = "samhandling-fake") -> None:
        self.name = name
        self.value = f"{dist.replace('-', '_')}:plugin"
        self._load = load
        self.dist = types.SimpleNamespace(name=dist, version="9.9")

    def load(self) -> Any:
        return self._load()


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, *entry_points: _EntryPoint) -> None:
    def fake(*, group: str) -> tuple[_EntryPoint, ...]:
        return entry_points if group == "samhandling.plugins" else ()

    monkeypatch.setattr(metadata, "entry_points", fake)


def test_builtins_come_first_and_are_listed() -> None:
    pm = get_plugin_manager(autoload=False)
    infos = list_plugins(pm)
    assert [i.name for i in infos][: len(BUILTIN_PLUGINS)] == list(BUILTIN_PLUGINS)
    parquet = next(i for i in infos if i.name == "samhandling.exporters.parquet")
    assert parquet.builtin
    assert parquet.distribution == "samhandling"
    assert "samhandling_register_exporters" in parquet.hooks
    assert "parquet" in pm.registry.exporters
    assert "rop" in pm.registry.target_groups


def test_entry_point_plugins_are_loaded_with_their_version(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _plugin("fake", samhandling_register_variables=lambda register: None)
    _fake_entry_points(monkeypatch, _EntryPoint("fake", lambda: plugin))
    pm = get_plugin_manager(autoload=True)
    info = next(i for i in list_plugins(pm) if i.name == "fake")
    assert (info.distribution, info.version, info.builtin) == ("samhandling-fake", "9.9", False)


def test_autoload_can_be_switched_off_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _plugin("fake", samhandling_register_variables=lambda register: None)
    _fake_entry_points(monkeypatch, _EntryPoint("fake", lambda: plugin))
    monkeypatch.setenv("SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "fake" not in {i.name for i in list_plugins(get_plugin_manager())}


def test_disabled_plugins_are_skipped_and_misspelled_names_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _plugin("fake", samhandling_register_variables=lambda register: None)
    _fake_entry_points(monkeypatch, _EntryPoint("fake", lambda: plugin))
    monkeypatch.setenv("SAMHANDLING_DISABLED_PLUGINS", "fake, samhandling.exporters.csv")
    pm = get_plugin_manager(autoload=True)
    names = {i.name for i in list_plugins(pm)}
    assert "fake" not in names
    assert "csv" not in pm.registry.exporters
    monkeypatch.setenv("SAMHANDLING_DISABLED_PLUGINS", "faek")
    with pytest.raises(PluginError, match=r"names plugin\(s\) \['faek'\] that are not installed"):
        get_plugin_manager(autoload=True)


def test_a_plugin_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ImportError("No module named 'missing_dependency'")

    _fake_entry_points(monkeypatch, _EntryPoint("broken", broken, dist="samhandling-broken"))
    with pytest.raises(
        PluginError, match=r"plugin 'broken' \(distribution 'samhandling-broken'.*missing_dependency"
    ):
        get_plugin_manager(autoload=True)


def test_two_entry_points_with_one_name(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _plugin("dup")
    _fake_entry_points(
        monkeypatch, _EntryPoint("dup", lambda: plugin), _EntryPoint("dup", lambda: plugin, "other")
    )
    with pytest.raises(PluginError, match="two plugins are named 'dup'"):
        get_plugin_manager(autoload=True)


def test_a_misspelled_hook_is_named_with_a_suggestion() -> None:
    plugin = types.ModuleType("typo_plugin")
    plugin.samhandling_register_source = hookimpl(lambda register: None)  # type: ignore[attr-defined]
    with pytest.raises(PluginError, match=r"typo_plugin.*did you mean 'samhandling_register_sources'"):
        get_plugin_manager(autoload=False, extra=[plugin])


def test_a_hook_with_unknown_arguments_is_refused() -> None:
    plugin = _plugin("bad_args", samhandling_register_sources=lambda register, colour: None)
    with pytest.raises(PluginError, match="bad_args"):
        get_plugin_manager(autoload=False, extra=[plugin])


def test_duplicate_registrations_name_both_plugins() -> None:
    class Exporter:
        name = "parquet"
        description = "shadows the built-in"
        suffixes = (".parquet",)

        def write(self, table: object, destination: Path, **options: object) -> Path:
            return destination

    def register_exporters(register: Registrar) -> None:
        register(Exporter())

    plugin = _plugin("shadow", samhandling_register_exporters=register_exporters)
    pm = get_plugin_manager(autoload=False, extra=[plugin])
    with pytest.raises(
        PluginError, match=r"plugin 'shadow' registers exporter 'parquet', .* 'samhandling.exporters.parquet'"
    ):
        _ = pm.registry


def test_an_invalid_registration_says_what_is_missing() -> None:
    class HalfSource:
        name = "half"
        description = "no read method"

        def can_read(self, location: object) -> bool:
            return False

    def register_sources(register: Registrar) -> None:
        register(HalfSource())

    pm = get_plugin_manager(
        autoload=False, extra=[_plugin("half_plugin", samhandling_register_sources=register_sources)]
    )
    with pytest.raises(PluginError, match=r"plugin 'half_plugin' registered an invalid source .*\['read'\]"):
        _ = pm.registry


def test_an_exception_inside_a_hook_is_wrapped_with_the_plugin_name() -> None:
    def explode(register: Registrar) -> None:
        raise RuntimeError("boom")

    pm = get_plugin_manager(autoload=False, extra=[_plugin("exploding", samhandling_register_checks=explode)])
    with pytest.raises(
        PluginError, match=r"plugin 'exploding' failed in samhandling_register_checks: RuntimeError: boom"
    ):
        _ = pm.registry


def test_registry_is_rebuilt_after_unregistering() -> None:
    plugin = _plugin("extra_vars", samhandling_register_variables=lambda register: None)
    pm = get_plugin_manager(autoload=False, extra=[plugin])
    first = pm.registry
    pm.unregister(plugin)
    assert pm.registry is not first


def test_read_without_a_fitting_source_lists_the_sources(tmp_path: Path) -> None:
    path = tmp_path / "mystery.xyz"
    path.write_text("?", encoding="utf-8")
    with pytest.raises(SourceError, match=r"no source can read .*mystery.xyz.*registered sources: parquet"):
        read(path, plugin_manager=get_plugin_manager(autoload=False))
    with pytest.raises(SourceError, match="no source named 'nope'"):
        read(path, source="nope", plugin_manager=get_plugin_manager(autoload=False))
    with pytest.raises(SourceError, match="no such file"):
        read(tmp_path / "absent.parquet", plugin_manager=get_plugin_manager(autoload=False))
