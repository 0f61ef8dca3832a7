"""The third-party plugin template works as a user would meet it: built, installed, found, tested.

The template in ``examples/plugin-template`` is built into a wheel, installed into a fresh virtual
environment together with samhandling built from this checkout, and then ``samhandling plugins
--json`` from that environment must list the plugin and its source, and the template's own tests
must pass there.  uv is used when it is on PATH (fast, cached); otherwise venv and pip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "examples" / "plugin-template"
PLUGIN_NAME = "example-source"
DISTRIBUTION = "samhandling-example-source"
SOURCE_NAME = "ohd-monthly"


@attrs.frozen(kw_only=True)
class FreshEnvironment:
    """A virtual environment with samhandling and the template plugin installed from wheels."""

    python: Path
    scripts: Path
    template: Path

    def run(
        self, *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the template's folder with the fresh environment's variables."""
        return _run(args, cwd=cwd or self.template, extra_env=env)


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The outer environment without anything that would leak this test run into the fresh one."""
    leaking = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX", "PYTEST_ADDOPTS")
    env = {k: v for k, v in os.environ.items() if k not in leaking and not k.startswith("SAMHANDLING_")}
    env.update(extra or {})
    return env


def _run(
    args: Sequence[str | Path], *, cwd: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_clean_env(extra_env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"command failed ({result.returncode}): {' '.join(map(str, args))}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return result


def _build_wheel(project: Path, out: Path) -> Path:
    uv = shutil.which("uv")
    if uv:
        _run([uv, "build", "--wheel", "--out-dir", out, project], cwd=project)
    else:
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", out, project], cwd=project)
    name = _dist_name(project)
    wheels = [w for w in out.glob("*.whl") if w.name.split("-")[0].replace("_", "-") == name]
    assert len(wheels) == 1, f"expected one wheel of {name} in {out}, found {sorted(out.iterdir())}"
    return wheels[0]


def _dist_name(project: Path) -> str:
    import tomllib

    data: dict[str, Any] = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["name"]).replace("_", "-")


@pytest.fixture(scope="module")
def fresh_environment(tmp_path_factory: pytest.TempPathFactory) -> FreshEnvironment:
    work = tmp_path_factory.mktemp("plugin-template")
    # Build from a copy, so that nothing the build leaves behind lands in the repository.
    template = work / "template"
    shutil.copytree(
        TEMPLATE,
        template,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".venv", ".pytest_cache"),
    )
    dist = work / "dist"
    core_wheel = _build_wheel(ROOT, dist)
    plugin_wheel = _build_wheel(template, dist)

    venv = work / "venv"
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    uv = shutil.which("uv")
    if uv:
        _run([uv, "venv", "--quiet", "--python", sys.executable, venv], cwd=work)
        _run(
            [uv, "pip", "install", "--quiet", "--python", python, core_wheel, plugin_wheel, "pytest"],
            cwd=work,
        )
    else:
        _run([sys.executable, "-m", "venv", venv], cwd=work)
        _run([python, "-m", "pip", "install", "--quiet", core_wheel, plugin_wheel, "pytest"], cwd=work)
    return FreshEnvironment(python=python, scripts=scripts, template=template)


def _plugins_json(env: FreshEnvironment, **extra_env: str) -> dict[str, Any]:
    result = env.run(env.scripts / "samhandling", "plugins", "--json", env=extra_env)
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_installed_template_is_listed_by_samhandling_plugins(fresh_environment: FreshEnvironment) -> None:
    payload = _plugins_json(fresh_environment)

    plugins = {p["name"]: p for p in payload["plugins"]}
    assert PLUGIN_NAME in plugins, f"plugins listed: {sorted(plugins)}"
    assert plugins[PLUGIN_NAME]["distribution"] == DISTRIBUTION
    assert plugins[PLUGIN_NAME]["builtin"] is False
    assert plugins[PLUGIN_NAME]["hooks"] == ["samhandling_register_sources"]
    sources = {s["name"]: s for s in payload["sources"]}
    assert sources[SOURCE_NAME]["plugin"] == PLUGIN_NAME
    # The fresh environment has no workspace plugins: only what was installed is there.
    assert {p["name"] for p in payload["plugins"] if not p["builtin"]} == {PLUGIN_NAME}


def test_operator_can_disable_the_installed_plugin(fresh_environment: FreshEnvironment) -> None:
    disabled = _plugins_json(fresh_environment, SAMHANDLING_DISABLED_PLUGINS=PLUGIN_NAME)
    no_autoload = _plugins_json(fresh_environment, SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD="1")

    for payload in (disabled, no_autoload):
        assert PLUGIN_NAME not in {p["name"] for p in payload["plugins"]}
        assert SOURCE_NAME not in {s["name"] for s in payload["sources"]}


def test_the_installed_package_reads_the_example(
    fresh_environment: FreshEnvironment,
) -> None:
    script = (
        "import json, sys, samhandling as sh\n"
        "t = sh.read(sys.argv[1])\n"
        "print(json.dumps({'source': t.source, 'rows': t.num_rows, 'status': t.status_counts()}))\n"
    )
    example = fresh_environment.template / "tests" / "data" / "ohd-2024-01.csv"
    result = fresh_environment.run(fresh_environment.python, "-c", script, example)
    payload = json.loads(result.stdout)

    assert payload["source"] == SOURCE_NAME
    assert payload["rows"] == 14
    # 7 lines x 2 variables; JSON writes the status of ordinary values (None) as "null".
    assert payload["status"] == {"null": 8, "-": 2, ":": 2, "..": 2}


def test_template_tests_pass_in_the_fresh_environment(fresh_environment: FreshEnvironment) -> None:
    result = fresh_environment.run(fresh_environment.python, "-m", "pytest", "-q", "-p", "no:cacheprovider")

    assert " passed" in result.stdout
    assert "failed" not in result.stdout


def test_the_command_line_reads_the_example_as_the_readme_shows(
    fresh_environment: FreshEnvironment, tmp_path: Path
) -> None:
    example = fresh_environment.template / "tests" / "data" / "ohd-2024-01.csv"
    target = tmp_path / "ohd.parquet"
    fresh_environment.run(fresh_environment.scripts / "samhandling", "read", example, "-o", target, "-q")
    script = (
        "import json, sys, samhandling as sh\n"
        "t = sh.read(sys.argv[1])\n"
        "print(json.dumps({'source': t.source, 'variables': sorted(t.variables),\n"
        "                  'year': t.geography_year}))\n"
    )
    payload = json.loads(fresh_environment.run(fresh_environment.python, "-c", script, target).stdout)

    assert payload == {"source": SOURCE_NAME, "variables": ["admissions", "bed_days"], "year": 2024}


def test_the_plugin_guide_example_runs_with_the_plugin_installed(
    fresh_environment: FreshEnvironment, tmp_path: Path
) -> None:
    """The guide's "from then on" block is not run by the documentation tests (they have no template
    plugin installed); here it runs, as written, where the plugin is."""
    from samhandling_docblocks import blocks  # type: ignore[import-not-found]  # the root conftest loads it
    from sybil import Document

    guide = ROOT / "docs" / "plugin-guide.md"
    document = Document(guide.read_text(encoding="utf-8"), str(guide))
    (block,) = [b for _, b in blocks(document) if 'sh.read("ohd-2024-01.csv")' in b.source]
    assert block.not_run_reason is not None
    assert "tests/test_plugin_template.py" in block.not_run_reason
    shutil.copy(fresh_environment.template / "tests" / "data" / "ohd-2024-01.csv", tmp_path)

    fresh_environment.run(fresh_environment.python, "-c", block.source, cwd=tmp_path)

    written = tmp_path / "ohd-by-trust.parquet"
    script = "import sys, samhandling as sh; print(sh.read(sys.argv[1]).levels())"
    assert fresh_environment.run(fresh_environment.python, "-c", script, written).stdout.strip() == (
        "['health_trust']"
    )
