"""Developer sessions: ``nox -s tests lint typecheck docs examples plugins bench``.

Every session installs what it needs into its own environment (uv when available), so a fresh
machine with only Python and nox can run them.  Arguments after ``--`` go to the tool, e.g.
``nox -s tests -- -k geography``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
PLUGINS = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _install_workspace(
    session: nox.Session, *, editable: bool = True, extras: str = "pandas,polars,xlsx,report,api"
) -> None:
    """The core library with its extras and every plugin of the workspace.

    Non-editable installs ignore the workspace sources (``--no-sources`` under uv), so the core is
    installed from its built wheel as a user gets it, not linked to the work tree.
    """
    flag = ["-e"] if editable else []
    args: list[str] = [*flag, f".[{extras}]"]
    for plugin in PLUGINS:
        args += [*flag, str(plugin.relative_to(ROOT))]
    if not editable and session.venv_backend == "uv":
        args.insert(0, "--no-sources")
    session.install(*args)


def _ensure_chromium(session: nox.Session) -> None:
    """Install Debian's chromium for the report's browser tests when it is missing.

    Done when running as root with apt-get (a CI machine or a container); elsewhere, or with
    ``SAMHANDLING_INSTALL_CHROMIUM=0``, the browser tests are skipped with a message saying why.
    """
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    allowed = os.environ.get("SAMHANDLING_INSTALL_CHROMIUM", "1") != "0"
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not (allowed and is_root and shutil.which("apt-get")):
        session.log("chromium is not installed: the browser tests of the report will be skipped")
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-dejavu-core"]
    try:
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run(*install, external=True, env=env)
    except nox.command.CommandFailed:
        session.warn("could not install chromium: the browser tests of the report will be skipped")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite of the core and every plugin (pytest; arguments go to pytest)."""
    _install_workspace(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "test"))
    _ensure_chromium(session)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and common mistakes with ruff (lint and format check)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the sources, the tests, the plugins and this noxfile."""
    _install_workspace(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "typecheck"))
    targets = ["src", "tests", "tools", "noxfile.py"]
    targets += [str(p / d) for p in PLUGINS for d in ("src", "tests") if (p / d).is_dir()]
    session.run("mypy", *(session.posargs or targets))


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs --strict (``-- serve`` to preview)."""
    _install_workspace(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "docs"))
    if session.posargs and session.posargs[0] == "serve":
        session.run("mkdocs", "serve")
    else:
        session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs)


#: The README's quick start: the first line makes the environment the README and the examples need
#: and builds the demo report; the second runs the tests (``tests/test_docs.py`` keeps them verbatim).
QUICK_START = (
    'python3 -m pip install ".[report]" ./plugins/kostra ./plugins/nimes ./plugins/survey '
    "&& python3 -m samhandling report --demo --out report",
    'python3 -m pip install "nox[uv]" && python3 -m nox -s tests',
)


def _shipped_copy(session: nox.Session) -> Path:
    """A copy of what a checkout holds (no .git, .nox or build output), to run the quick start in."""
    copy = Path(session.create_tmp()).resolve() / "checkout"
    shutil.rmtree(copy, ignore_errors=True)
    top_level = {".git", ".nox", ".venv", "build", "dist", "site", "report", "out"}

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        return skipped | (top_level & set(names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, copy, ignore=ignore)
    return copy


@nox.session(python=PYTHON, venv_backend="venv", reuse_venv=False)
def examples(session: nox.Session) -> None:
    """The README's quick start in a fresh environment, then every example and README block in it.

    The first quick-start line runs verbatim (pip, as a user has it) in a new environment and a copy of
    the checkout; every script in ``examples/`` must then run with nothing else installed.  Last,
    pytest and sybil are added to run the README's own code blocks in that environment
    (``-- --no-readme`` skips this).
    """
    checkout = _shipped_copy(session)
    with session.chdir(checkout):
        session.run("bash", "-c", QUICK_START[0], external=True)
        for script in sorted((checkout / "examples").glob("*.py")):
            session.log(f"example: {script.name}")
            workdir = checkout.parent / "example-output" / script.stem
            shutil.rmtree(workdir, ignore_errors=True)
            session.run("python", str(script), env={"SAMHANDLING_EXAMPLE_OUT": str(workdir)})
        if "--no-readme" not in session.posargs:
            session.run("python", "-m", "pip", "install", "--quiet", "pytest>=8", "sybil>=9")
            session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "README.md")


@nox.session(python=PYTHON)
def plugins(session: nox.Session) -> None:
    """Install each plugin (not editable) and check that its entry point loads."""
    _install_workspace(session, editable=False)
    session.run("samhandling", "plugins")
    names = [p.name for p in PLUGINS]
    session.run(
        "python",
        "-c",
        "import sys; from samhandling.plugins import list_plugins, get_plugin_manager;"
        "loaded = {p.name for p in list_plugins(get_plugin_manager())};"
        f"missing = [n for n in {names!r} if n not in loaded];"
        "sys.exit(f'plugins not loaded: {missing}' if missing else 0)",
    )


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks in ``benchmarks/`` (speed and memory against the raw pyarrow pipeline)."""
    _install_workspace(session)
    session.install(*nox.project.dependency_groups(PYPROJECT, "bench"))
    scripts = [Path(a) for a in session.posargs] or sorted((ROOT / "benchmarks").glob("bench_*.py"))
    for script in scripts:
        session.log(f"benchmark: {script.name}")
        session.run("python", str(script), env={"PYTHONHASHSEED": "0"})
