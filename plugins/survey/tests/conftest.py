"""Fixtures of the survey plugin's tests: the shipped example files and a plugin manager with the plugin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import samhandling_survey
from samhandling_survey.example import ExampleFiles, example_files

from samhandling.plugins import PluginManager, get_plugin_manager


@pytest.fixture
def examples() -> ExampleFiles:
    """The example files shipped with the plugin (2022 CSV, 2023 XLSX, synthetic population)."""
    return example_files()


@pytest.fixture
def survey_pm() -> PluginManager:
    """The built-ins and this plugin only, so that the tests do not depend on other installed plugins."""
    return get_plugin_manager(autoload=False, extra=[samhandling_survey])


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a text file in a given encoding (the way a survey export arrives)."""

    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write
