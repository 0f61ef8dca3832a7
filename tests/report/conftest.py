"""Fixtures for the report tests: the demo report is built once per test session, as a user builds it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from samhandling.plugins import PluginManager, get_plugin_manager


@attrs.frozen
class BuiltReport:
    """A report folder and what the command printed while building it."""

    folder: Path
    stdout: str
    stderr: str

    @property
    def html(self) -> Path:
        return self.folder / "index.html"

    @property
    def data(self) -> Path:
        return self.folder / "data"


def _env_without_plugins() -> dict[str, str]:
    env = dict(os.environ)
    env["SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the demo must need no plugin at all
    env.pop("SAMHANDLING_DISABLED_PLUGINS", None)
    return env


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> BuiltReport:
    """The README's main-job command in a fresh folder: ``samhandling report --demo --out report``."""
    workdir = tmp_path_factory.mktemp("demo")
    completed = subprocess.run(
        [sys.executable, "-m", "samhandling", "report", "--demo", "--out", "report"],
        cwd=workdir,
        env=_env_without_plugins(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return BuiltReport(folder=workdir / "report", stdout=completed.stdout, stderr=completed.stderr)


@pytest.fixture(scope="session")
def core_plugin_manager() -> PluginManager:
    """Only the built-in plugins: what a fresh install without the first-party plugins has."""
    return get_plugin_manager(autoload=False)
