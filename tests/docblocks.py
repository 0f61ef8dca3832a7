"""Every code block of ``README.md`` and ``docs/`` runs as written: the sybil configuration.

The root ``conftest.py`` hands :data:`SYBIL` to pytest, so each block is a test of its own, run in
the order of the page.  The conventions the pages follow:

- a ```` ```python ```` block runs in one namespace per page (later blocks see the names of earlier
  ones); what it prints must be shown in the block, as comments (``# …``), so a reader sees what
  they will get; a block that starts with ``>>>`` is a doctest;
- a ```` ```sh ```` block runs in ``bash`` with ``set -e -o pipefail``; ``samhandling`` there is the
  command of the Python that runs the tests (``python -m samhandling``), and ``python``/``python3`` is
  that Python too;
- both run in a new temporary working directory per page that holds the files of the checkout, as a
  reader's checkout folder does: a copy of ``examples/`` (so ``examples/data/12228-buskerud-2018-2019.csv``
  is there) and links to the rest (``plugins/nimes/tests/data/…``; not to be written to); a file one
  block writes is there for the next;
- a block that must not run (it installs packages, or needs the network) says so where a reader sees
  it: its fence carries ``title="Not run by the documentation tests: <why>"``, which the site shows
  above the block; the test of that block is reported as skipped with the reason;
- a block that only includes a file of the repository (``--8<-- "path:section"``, e.g. the plugin
  template) shows code that is tested where it lives, and is not run again here;
- blocks in other languages are not code: ``text`` (output, file layouts), ``toml``, ``json``,
  ``csv``.  :data:`RUNNABLE` and :data:`NOT_CODE` are the whole list; ``tests/test_docs.py`` fails on a
  block in any other language, or without one, so that nothing escapes the tests by its label.

Network access is refused while blocks run (the proxy variables point at a closed port), and caches
go to the temporary folder.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sybil import Document, Example, Region, Sybil
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

ROOT = Path(__file__).resolve().parents[1]

#: The documents whose blocks are tests, relative to the repository root (:func:`is_document`).
DOCUMENTS = ("README.md", "docs/**/*.md", "plugins/*/README.md")
#: Languages whose blocks run.
RUNNABLE = ("python", "sh")
#: Languages whose blocks are not code: they show output, a file's layout or a configuration.
NOT_CODE = ("text", "toml", "json", "csv")
#: The title that marks a block of a runnable language as not run (the reason follows the colon).
NOT_RUN = "Not run by the documentation tests"
#: Seconds a shell block may take.
SHELL_TIMEOUT = 600

_INFO = re.compile(r"(?P<language>[^\s{}]*)(?P<attributes>[^\n]*)$\n", re.MULTILINE)
_TITLE = re.compile(r'title="(?P<title>[^"]*)"')


def is_document(path: Path) -> bool:
    """Whether ``path`` is one of :data:`DOCUMENTS`: the README, a page of the site, a plugin's README."""
    try:
        relative = path.resolve().relative_to(ROOT)
    except ValueError:
        return False
    parts = relative.parts
    return relative.suffix == ".md" and (
        parts == ("README.md",)
        or parts[0] == "docs"
        or (len(parts) == 3 and parts[0] == "plugins" and parts[2] == "README.md")
    )


class Block:
    """One fenced block: its language, the title on its fence, and its source."""

    def __init__(self, language: str, attributes: str, source: str) -> None:
        self.language = language
        title = _TITLE.search(attributes)
        self.title = title.group("title") if title else None
        self.source = source

    @property
    def not_run_reason(self) -> str | None:
        """Why the block is not run, when its title says it is not."""
        if self.title is None or not self.title.startswith(NOT_RUN):
            return None
        return self.title.removeprefix(NOT_RUN).lstrip(" :—-") or "no reason given"


def blocks(document: Document) -> Iterator[tuple[Region, Block]]:
    """Every fenced block of ``document`` with its language (sybil's markdown fence lexer)."""
    lexer = RawFencedCodeBlockLexer(info_pattern=_INFO)
    for region in lexer(document):
        lexemes = region.lexemes
        yield region, Block(lexemes["language"], lexemes["attributes"], lexemes["source"])


# -------------------------------------------------------------------------------------------------
# Python blocks
# -------------------------------------------------------------------------------------------------


def _skip(reason: str) -> Any:
    def evaluate(example: Example) -> None:
        pytest.skip(reason)

    return evaluate


def _comments_of(source: str) -> str:
    return " ".join(
        line.strip().removeprefix("# ") for line in source.splitlines() if line.strip().startswith("# ")
    )


class _PrintedIsShown:
    """Run a block with sybil's Python evaluator; every line it prints must appear in its comments."""

    def __init__(self) -> None:
        self.python = PythonEvaluator()

    def __call__(self, example: Example) -> None:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            self.python(example)
        shown = _comments_of(str(example.parsed))
        hidden = [line for line in printed.getvalue().splitlines() if line.strip()[:60] not in shown]
        if hidden:
            raise AssertionError(
                f"the block at {example.path}:{example.line} prints lines it does not show as comments "
                f"('# …' under the call):\n" + "\n".join(hidden[:20])
            )


def _is_include(source: str) -> bool:
    """Whether the block only includes files of the repository (pymdownx.snippets)."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    return bool(lines) and all(line.startswith("--8<--") for line in lines)


class _PythonBlocks:
    """```python blocks: run (or doctested) in the page's namespace, or skipped when marked."""

    def __init__(self) -> None:
        self.python = _PrintedIsShown()
        self.doctests = DocTestStringParser(DocTestEvaluator())

    def __call__(self, document: Document) -> Iterable[Region]:
        for region, block in blocks(document):
            if block.language != "python" or _is_include(block.source):
                continue
            reason = block.not_run_reason
            if reason is not None:
                yield Region(region.start, region.end, block.source, _skip(reason))
            elif block.source.startswith(">>>"):
                for doctest_region in self.doctests(block.source, document.path):
                    doctest_region.adjust(region, region.lexemes["source"])
                    yield doctest_region
            else:
                yield Region(region.start, region.end, region.lexemes["source"], self.python)


# -------------------------------------------------------------------------------------------------
# Shell blocks
# -------------------------------------------------------------------------------------------------

_PREAMBLE = """\
set -e -o pipefail
samhandling() { "$SAMHANDLING_DOCS_PYTHON" -m samhandling "$@"; }
"""


def _run_shell(example: Example) -> None:
    """Run a ```sh block with bash in the page's working directory; fail with what it printed."""
    script = _PREAMBLE + str(example.parsed)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "SAMHANDLING_DOCS_PYTHON": sys.executable,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "COLUMNS": "100",
    }
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=Path.cwd(),
        env=env,
        capture_output=True,
        text=True,
        timeout=SHELL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"the shell block at {example.path}:{example.line} failed with status {result.returncode}\n"
            f"--- block\n{example.parsed}--- stdout\n{result.stdout[-4000:]}"
            f"--- stderr\n{result.stderr[-4000:]}"
        )


def _shell_blocks(document: Document) -> Iterable[Region]:
    for region, block in blocks(document):
        if block.language != "sh" or _is_include(block.source):
            continue
        reason = block.not_run_reason
        evaluator = _skip(reason) if reason is not None else _run_shell
        yield Region(region.start, region.end, block.source, evaluator)


# -------------------------------------------------------------------------------------------------
# One working directory per page
# -------------------------------------------------------------------------------------------------

_OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
}
_STATE = "__docblocks_state__"


#: Top-level entries of the checkout that are not shipped files (tools' and builds' output).
_NOT_SHIPPED = {
    ".git",
    ".nox",
    ".venv",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "site",
    "report",
    "out",
}


def _setup(namespace: dict[str, Any]) -> None:
    """A temporary working directory with the checkout's files, no network, caches inside it."""
    workdir = Path(tempfile.mkdtemp(prefix="samhandling-docs-"))
    shutil.copytree(ROOT / "examples", workdir / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    for entry in ROOT.iterdir():
        if entry.name != "examples" and entry.name not in _NOT_SHIPPED and not entry.name.startswith("."):
            (workdir / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    saved_env = {name: os.environ.get(name) for name in [*_OFFLINE, "XDG_CACHE_HOME"]}
    os.environ.update({**_OFFLINE, "XDG_CACHE_HOME": str(workdir / ".cache")})
    namespace[_STATE] = (Path.cwd(), workdir, saved_env, _fresh_duckdb())
    os.chdir(workdir)
    namespace["__name__"] = "__main__"


def _fresh_duckdb() -> Any:
    """Pages query DuckDB's default connection, as users do: give each page one that no test has left
    with an unfinished result (only when DuckDB is loaded already; otherwise it starts fresh)."""
    duckdb = sys.modules.get("duckdb")
    if duckdb is None:
        return None
    previous = duckdb.default_connection()
    duckdb.set_default_connection(duckdb.connect())
    return previous


def _teardown(namespace: dict[str, Any]) -> None:
    previous, workdir, saved_env, duckdb_connection = namespace.pop(_STATE)
    os.chdir(previous)
    if duckdb_connection is not None:
        sys.modules["duckdb"].set_default_connection(duckdb_connection)
    for name, value in saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    with contextlib.suppress(OSError):
        shutil.rmtree(workdir)
    namespace.clear()


SYBIL = Sybil(
    parsers=[_PythonBlocks(), _shell_blocks],
    patterns=["*.md"],  # narrowed to the DOCUMENTS by pytest_collect_file below
    path=str(ROOT),
    setup=_setup,
    teardown=_teardown,
    name="docs",
)


_collect = SYBIL.pytest()


def pytest_collect_file(file_path: Path, parent: Any) -> Any:
    """The pytest hook the root ``conftest.py`` installs: a test per block of each of the DOCUMENTS."""
    return _collect(file_path, parent) if is_document(file_path) else None
