"""The documentation stays honest: hooks, pages, links, docstrings and the code shown on the pages.

- every hook in :mod:`samhandling.hookspecs` is on ``docs/plugins.md`` under its own heading with the
  exact signature ``inspect.signature`` gives (string annotations shown without their quotes), and has a
  test named after it in ``tests/test_hooks.py``;
- every page in the ``nav`` of ``mkdocs.yml`` exists, and every relative link between pages resolves;
- every ``--8<--`` include names a file (and section) that exists, and every ``:::`` block of the API
  pages names a module or object that can be imported;
- every public name in ``samhandling.__all__`` and in the ``__all__`` of the core modules has a
  docstring, so that ``help()`` is useful on its own;
- every code block is labelled as code that runs (``python``, ``sh``: sybil runs them, see
  ``tests/docblocks.py``) or as not code, and a block that must not run says why where readers see it;
- the plugin in the plugin guide registers what the guide says it does.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import sys
import types
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
    "samhandling.notebook",
    "samhandling.progress",
)

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
    stub = f"```python\ndef {signature}: ...\n```"  # a stub that runs (sybil), with the exact signature
    assert stub in text, f"docs/plugins.md lacks the signature {signature} as {stub!r}"


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
# Each block runs as a test of its own (sybil, configured in tests/docblocks.py); these tests keep the
# labels honest, so that no block escapes by its language.


def _docblocks() -> types.ModuleType:
    module = sys.modules.get("samhandling_docblocks")  # loaded by the root conftest.py
    if module is None:
        spec = importlib.util.spec_from_file_location(
            "samhandling_docblocks", ROOT / "tests" / "docblocks.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def _documents() -> list[Path]:
    candidates = [ROOT / "README.md", *DOCS.rglob("*.md"), *ROOT.glob("plugins/*/README.md")]
    return sorted(path for path in candidates if _docblocks().is_document(path))


def _fenced_blocks() -> list[tuple[str, Any]]:
    from sybil import Document

    docblocks = _docblocks()
    found = []
    for path in _documents():
        document = Document(path.read_text(encoding="utf-8"), str(path))
        for region, block in docblocks.blocks(document):
            where = f"{path.relative_to(ROOT)}:{document.text.count(chr(10), 0, region.start) + 1}"
            found.append((where, block))
    return found


def test_the_documents_with_code_are_collected() -> None:
    names = {str(path.relative_to(ROOT)) for path in _documents()}

    assert {"README.md", "docs/getting-started.md", "docs/howto/cli-pipeline.md"} <= names
    assert {"plugins/kostra/README.md", "plugins/nimes/README.md", "plugins/survey/README.md"} <= names
    assert len(names) == 1 + len(list(DOCS.rglob("*.md"))) + len(list(ROOT.glob("plugins/*/README.md")))
    for elsewhere in ("CHANGELOG.md", "examples/data/README.md", "examples/plugin-template/README.md"):
        assert not _docblocks().is_document(ROOT / elsewhere)


def test_every_block_is_code_that_runs_or_labelled_as_not_code() -> None:
    docblocks = _docblocks()
    allowed = (*docblocks.RUNNABLE, *docblocks.NOT_CODE)
    wrong = [
        f"{where}: ```{block.language or '(no language)'}"
        for where, block in _fenced_blocks()
        if block.language not in allowed
    ]

    assert not wrong, (
        f"label each block {', '.join(allowed)} (python and sh run as tests; a shell session with "
        f"output is an sh block followed by a text block):\n" + "\n".join(wrong)
    )


def test_a_block_that_does_not_run_says_why_on_the_page() -> None:
    docblocks = _docblocks()
    not_run = [(where, block) for where, block in _fenced_blocks() if block.not_run_reason is not None]

    assert not_run, "the quick start installs packages: it is marked as not run"
    for where, block in not_run:
        assert block.language in docblocks.RUNNABLE, where
        assert len(block.not_run_reason) > 10, f"{where}: say why the block is not run"


def _noxfile_constant(name: str) -> Any:
    """A constant of noxfile.py, read without importing nox."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"noxfile.py has no {name}")


def test_the_quick_start_is_what_ci_runs() -> None:
    readme = next(block for where, block in _fenced_blocks() if where.startswith("README.md"))
    first, second = _noxfile_constant("QUICK_START")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert readme.source.splitlines() == [first, second]
    assert readme.not_run_reason is not None
    assert "python3 -m nox -s tests\n" in ci
    assert "python3 -m nox -s examples\n" in ci  # runs the first line, then the examples, in one fresh venv
    assert "./plugins/kostra ./plugins/nimes ./plugins/survey" in first
    assert "report --demo" in first


def test_the_marking_parses_the_fence_title() -> None:
    from sybil import Document

    docblocks = _docblocks()
    text = (
        '```sh title="Not run by the documentation tests: installs from PyPI"\npip install x\n```\n\n'
        '```python title="example.py"\nprint(1)\n```\n\n```\nplain\n```\n'
    )
    found = [block for _, block in docblocks.blocks(Document(text, "page.md"))]

    assert [(b.language, b.title, b.not_run_reason) for b in found] == [
        ("sh", "Not run by the documentation tests: installs from PyPI", "installs from PyPI"),
        ("python", "example.py", None),
        ("", None, None),
    ]
    assert found[0].source == "pip install x\n"


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
    needs = re.search(r"Needs: (.+)", docstring)
    assert needs, f"{script.name} must say what it needs ('Needs: …' at the top)"
    assert "quick start" in needs.group(1), f"{script.name} must run in the environment the quick start makes"


def test_getting_started_lists_every_example_script() -> None:
    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")

    assert [p.name for p in EXAMPLES if f"examples/{p.name}" not in text] == []
