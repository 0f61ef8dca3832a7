"""The documentation stays honest: hooks, pages, links, docstrings and the code shown on the pages.

- every hook in :mod:`samhandling.hookspecs` is on ``docs/plugins.md`` under its own heading with the
  exact signature ``inspect.signature`` gives (string annotations shown without their quotes), and has a
  test named after it in ``tests/test_hooks.py``;
- every page in the ``nav`` of ``mkdocs.yml`` exists, and every relative link between pages resolves;
- every ``--8<--`` include names a file (and section) that exists, and every ``:::`` block of the API
  pages names a module or object that can be imported;
- every public name in ``samhandling.__all__`` and in the ``__all__`` of the core modules has a
  docstring, so that ``help()`` is useful on its own;
- the Python on the concept pages runs as shown, and the plugin in the plugin guide registers what the
  guide says it does.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import samhandling
from samhandling import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HOOK_REFERENCE = DOCS / "plugins.md"
HOOK_TESTS = ROOT / "tests" / "test_hooks.py"

HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("samhandling_"))
CORE_MODULES = (
    "samhandling.tables",
    "samhandling.units",
    "samhandling.levels",
    "samhandling.errors",
    "samhandling.hookspecs",
    "samhandling.plugins",
    "samhandling.registry",
    "samhandling.sources",
    "samhandling.catalogue",
    "samhandling.testing",
)
#: Pages whose ```python blocks are complete programs that run against the core alone.
RUNNABLE_PAGES = ("concepts/stattable.md", "concepts/units.md", "concepts/disclosure.md")

_FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_SNIPPET = re.compile(r'^\s*--8<-- "([^"]+)"', re.MULTILINE)
_AUTODOC = re.compile(r"^::: ([\w.]+)", re.MULTILINE)


def rendered_signature(function: Any) -> str:
    """``name(params) -> return`` as ``inspect.signature`` renders it, string annotations unquoted.

    The hook specifications use ``from __future__ import annotations``, so ``inspect.signature``
    shows every annotation as a quoted string; the reference shows the same text without the quotes.
    """
    return f"{function.__name__}{inspect.signature(function)}".replace("'", "")


def _nav_pages() -> list[str]:
    """The pages listed under ``nav:`` in mkdocs.yml (``- Title: page.md`` or ``- page.md``)."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    return re.findall(r"^\s*- (?:[^:\n]+: )?([\w./-]+\.md)\s*$", nav, re.MULTILINE)


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


# -- hooks ----------------------------------------------------------------------------------------


def test_there_are_hooks_to_document() -> None:
    assert "samhandling_register_sources" in HOOKS
    assert len(HOOKS) >= 10


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_exact_signature(hook: str) -> None:
    text = HOOK_REFERENCE.read_text(encoding="utf-8")
    signature = rendered_signature(getattr(hookspecs, hook))

    assert re.search(rf"^### {re.escape(hook)}$", text, re.MULTILINE), f"no '### {hook}' heading"
    assert f"```python\n{signature}\n```" in text, f"docs/plugins.md lacks the signature {signature}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test_of_its_own(hook: str) -> None:
    tree = ast.parse(HOOK_TESTS.read_text(encoding="utf-8"))
    tests = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}

    assert f"test_{hook}" in tests, f"tests/test_hooks.py has no test_{hook}"


def test_the_reference_documents_no_hook_that_does_not_exist() -> None:
    documented = re.findall(r"^### (samhandling_\w+)$", HOOK_REFERENCE.read_text(encoding="utf-8"), re.M)

    assert sorted(documented) == HOOKS


def test_rendered_signature_drops_only_the_quotes() -> None:
    def samhandling_example(location: str | Path, count: int = 3) -> None:
        """A stand-in hook."""

    assert rendered_signature(samhandling_example) == (
        "samhandling_example(location: str | Path, count: int = 3) -> None"
    )


# -- pages and links ------------------------------------------------------------------------------


def test_every_nav_page_exists() -> None:
    pages = _nav_pages()
    missing = [page for page in pages if not (DOCS / page).is_file()]

    assert len(pages) > 20
    assert not missing, f"pages in the mkdocs.yml nav that do not exist: {missing}"


def test_relative_links_between_pages_resolve() -> None:
    broken = []
    for page in _pages():
        text = _FENCE.sub("", page.read_text(encoding="utf-8"))
        for target in _LINK.findall(text):
            if "://" in target or target.startswith(("#", "mailto:")):
                continue
            path = target.split("#", 1)[0]
            if path and not (page.parent / path).resolve().exists():
                broken.append(f"{page.relative_to(DOCS)} → {target}")

    assert not broken, "links to pages that do not exist:\n" + "\n".join(broken)


def test_anchors_into_the_hook_reference_exist() -> None:
    headings = re.findall(r"^#+ (.+)$", HOOK_REFERENCE.read_text(encoding="utf-8"), re.MULTILINE)
    anchors = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
    wanted = []
    for page in _pages():
        for target in _LINK.findall(page.read_text(encoding="utf-8")):
            path, _, anchor = target.partition("#")
            if anchor and (page.parent / path).resolve() == HOOK_REFERENCE.resolve():
                wanted.append((page.relative_to(DOCS), anchor))

    assert wanted
    assert [w for w in wanted if w[1] not in anchors] == []


def test_snippet_includes_point_at_existing_files_and_sections() -> None:
    missing = []
    for page in _pages():
        for include in _SNIPPET.findall(page.read_text(encoding="utf-8")):
            path, _, section = include.partition(":")
            target = ROOT / path
            if not target.is_file():
                missing.append(f"{page.relative_to(DOCS)}: {path}")
            elif section and f"--8<-- [start:{section}]" not in target.read_text(encoding="utf-8"):
                missing.append(f"{page.relative_to(DOCS)}: section {section!r} of {path}")

    assert not missing, missing


def test_changelog_page_includes_the_changelog() -> None:
    assert '--8<-- "CHANGELOG.md"' in (DOCS / "changelog.md").read_text(encoding="utf-8")


def test_api_pages_name_importable_objects() -> None:
    unresolved = []
    for page in sorted((DOCS / "api").glob("*.md")):
        for dotted in _AUTODOC.findall(page.read_text(encoding="utf-8")):
            try:
                _import_dotted(dotted)
            except (ImportError, AttributeError) as exc:
                unresolved.append(f"api/{page.name}: {dotted} ({exc})")

    assert not unresolved, unresolved


def _import_dotted(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(f"no module in {dotted!r}")


# -- docstrings -----------------------------------------------------------------------------------


def _has_attribute_docstring(module: types.ModuleType, name: str) -> bool:
    """Whether ``name = …`` at module level is followed by a string literal (a griffe/Sphinx docstring)."""
    tree = ast.parse(inspect.getsource(module))
    body = tree.body
    for index, node in enumerate(body[:-1]):
        targets = (
            [t.id for t in node.targets if isinstance(t, ast.Name)]
            if isinstance(node, ast.Assign)
            else [node.target.id]
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
            else []
        )
        following = body[index + 1]
        if (
            name in targets
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            return True
    return False


def _undocumented(module_name: str, names: list[str]) -> list[str]:
    module = importlib.import_module(module_name)
    missing = []
    for name in names:
        obj = getattr(module, name)
        if callable(obj) and str(getattr(obj, "__module__", "")).startswith("samhandling"):
            # Classes, functions and fixtures of the library: help() shows their own docstring.
            if not (inspect.getdoc(obj) or "").strip():
                missing.append(f"{module_name}.{name}")
            if isinstance(obj, type):
                missing += [f"{module_name}.{name}.{m}" for m in _undocumented_members(obj)]
        else:
            # Constants and objects of other libraries (pint's registry and its Quantity class,
            # pluggy's marker) carry an attribute docstring where the library defines the name.
            lazy = getattr(samhandling, "_LAZY", {})
            home = importlib.import_module(lazy[name]) if module is samhandling else module
            if not _has_attribute_docstring(home, name):
                missing.append(f"{module_name}.{name}")
    return missing


def _undocumented_members(cls: type) -> list[str]:
    missing = []
    for member, value in vars(cls).items():
        if member.startswith("_"):
            continue
        function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if (isinstance(value, property) or inspect.isfunction(function)) and not (
            function.__doc__ or ""
        ).strip():
            missing.append(member)
    return missing


def test_every_name_in_samhandling_all_has_a_docstring() -> None:
    names = [name for name in samhandling.__all__ if name != "__version__"]

    assert _undocumented("samhandling", names) == []
    assert (inspect.getdoc(samhandling) or "").count("\n") > 5


@pytest.mark.parametrize("module_name", CORE_MODULES)
def test_public_names_of_core_modules_have_docstrings(module_name: str) -> None:
    module = importlib.import_module(module_name)

    assert (module.__doc__ or "").strip(), f"{module_name} has no module docstring"
    # hookspecs has no __all__: its public names are the hooks and the markers.
    public = getattr(module, "__all__", None) or [
        name for name in vars(module) if name.startswith("samhandling_") or name in ("hookimpl", "hookspec")
    ]
    assert _undocumented(module_name, list(public)) == []


def test_help_on_stattable_explains_how_to_build_one() -> None:
    text = inspect.getdoc(samhandling.StatTable) or ""

    for needed in ("from_pydict", "status", "Variable(", "to_pandas"):
        assert needed in text


# -- code on the pages ----------------------------------------------------------------------------


@pytest.fixture
def fresh_duckdb() -> Iterator[None]:
    """The pages query DuckDB's default connection, as users do; give them one no other test has left
    with an unfinished result."""
    import duckdb

    previous = duckdb.default_connection()
    duckdb.set_default_connection(duckdb.connect())
    try:
        yield
    finally:
        duckdb.set_default_connection(previous)


@pytest.mark.usefixtures("fresh_duckdb")
@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_python_on_the_page_runs(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = _FENCE.findall(text)
    namespace: dict[str, Any] = {"__name__": f"docs.{page}"}

    assert blocks
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/{page} (python block {number})", "exec"), namespace)
        printed = capsys.readouterr().out
        # What a block prints is shown on the page under it, as comments.
        for line in printed.splitlines():
            assert line[:60] in _comments_of(block), f"block {number} printed {line!r}, not shown on the page"


def _comments_of(block: str) -> str:
    return " ".join(
        line.strip().removeprefix("# ") for line in block.splitlines() if line.strip().startswith("# ")
    )


def test_the_plugin_in_the_plugin_guide_registers_what_it_says() -> None:
    from samhandling import StatTable, Variable
    from samhandling.checks import Severity, run_checks
    from samhandling.plugins import get_plugin_manager

    text = (DOCS / "plugin-guide.md").read_text(encoding="utf-8")
    (block,) = [b for b in _FENCE.findall(text) if "samhandling_register_units" in b]
    plugin = types.ModuleType("guide_plugin")
    exec(compile(block, "docs/plugin-guide.md", "exec"), plugin.__dict__)

    pm = get_plugin_manager(autoload=False, extra=[plugin])
    registry = pm.registry
    assert registry.variables["enquiries"].unit == "henvendelse"
    assert registry.target_groups["innsatte"].name_en.startswith("Prisoners")
    assert registry.care_units["KDPS"].health_trust == "vestre-viken"
    assert "ohd-summary" in registry.commands
    beds = StatTable.from_pydict(
        {
            "region": ["3301", "3305"],
            "level": ["municipality", "municipality"],
            "year": [2024, 2024],
            "variable": ["ohd_beds", "ohd_beds"],
            "value": [-2.0, 4.0],
        },
        variables=[Variable(id="ohd_beds", unit="plass")],
    )
    (finding,) = run_checks(beds, checks=["no-negative-beds"], plugin_manager=pm)
    assert (finding.region, finding.severity) == ("3301", Severity.ERROR)


# -- examples -------------------------------------------------------------------------------------

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_is_an_example_script_for_each_how_to() -> None:
    names = {path.stem for path in EXAMPLES}

    for wanted in ("load_kostra", "harmonise_reforms", "roll_up_health_trusts", "check_survey"):
        assert wanted in names
    for wanted in ("build_report", "dataframes", "walkthrough"):
        assert wanted in names


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_says_what_it_shows_and_where_its_files_go(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    tree = ast.parse(text)
    docstring = ast.get_docstring(tree) or ""
    if script.stem == "walkthrough":  # a notebook: its first cell is the explanation
        docstring = text.split("# %%\n", 1)[0]

    assert docstring.strip(), f"{script.name} has no explanation at the top"
    assert "SAMHANDLING_EXAMPLE_OUT" in text, f"{script.name} must write under SAMHANDLING_EXAMPLE_OUT"
    for page in re.findall(r"docs/([\w/-]+\.md)", docstring):
        assert page in _nav_pages(), f"{script.name} points at docs/{page}, which is not in the nav"
    for data in re.findall(r'DATA / "([^"]+)"|"data" / "([^"]+)"', text):
        name = next(part for part in data if part)
        assert (ROOT / "examples" / "data" / name).is_file(), f"{script.name} needs examples/data/{name}"
    assert "synthetic" in text.lower(), f"{script.name} must say that its figures are synthetic"


def test_getting_started_lists_every_example_script() -> None:
    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")

    assert [p.name for p in EXAMPLES if f"examples/{p.name}" not in text] == []
