"""The pipeline commands run with the built-in plugins only, on small tables written in the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import samhandling.plugins as plugins_module


@pytest.fixture(autouse=True)
def _builtin_plugins_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("SAMHANDLING_DISABLED_PLUGINS", raising=False)
    plugins_module.reset_default_plugin_manager()
    yield
    plugins_module.reset_default_plugin_manager()
