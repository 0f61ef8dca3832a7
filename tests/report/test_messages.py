"""The report's words come from one catalogue, and every text the code asks for is in it."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from samhandling.errors import SamhandlingError
from samhandling.report import messages

REPORT = Path(__file__).parents[2] / "src" / "samhandling" / "report"
SOURCES = sorted(REPORT.rglob("*.py"))
TEMPLATE = REPORT / "templates" / "report.html.j2"

_MSG = re.compile(r"""\bmsg\(\s*(f?)["']([^"']+)["']""")
_LABEL = re.compile(r"""\blabels?\(\s*(f?)["']([^"']+)["']""")


def _calls(pattern: re.Pattern[str]) -> list[tuple[Path, bool, str]]:
    found = []
    for path in [*SOURCES, TEMPLATE]:
        for is_f, key in pattern.findall(path.read_text(encoding="utf-8")):
            found.append((path, bool(is_f), key))
    return found


def test_every_key_the_code_asks_for_is_in_the_catalogue() -> None:
    keys = messages.known_keys()
    missing = []
    for path, is_f, key in _calls(_MSG):
        if is_f:
            prefix = key.split("{", 1)[0]
            if not any(k.startswith(prefix) for k in keys):
                missing.append(f"{path.name}: {key}")
        elif key not in keys:
            missing.append(f"{path.name}: {key}")
    assert len(_calls(_MSG)) > 300
    assert missing == []


def test_every_kind_of_label_is_in_the_catalogue() -> None:
    kinds = {key.split(".")[1] for key in messages.known_keys() if key.startswith("label.")}
    used = {key.split("{", 1)[0].rstrip("_") for _path, _is_f, key in _calls(_LABEL)}
    assert {"target_group", "profession", "service", "unit_type", "rule", "level", "role"} <= used
    assert {k for k in used if not any(kind.startswith(k) for kind in kinds)} == set()


def test_placeholders_are_names() -> None:
    for key in messages.known_keys():
        for _text, name, _spec, _conversion in string.Formatter().parse(messages._catalogue()[key]):
            assert name is None or re.fullmatch(r"[a-z_]+", name), (key, name)


def test_a_missing_key_or_value_is_a_clear_error() -> None:
    with pytest.raises(SamhandlingError, match=r"no text for 'no\.such\.key'"):
        messages.msg("no.such.key")
    with pytest.raises(SamhandlingError, match="needs the value"):
        messages.msg("fte.table_title", first=2017)
    assert messages.label("target_group", "adults") == "Voksne"
    assert messages.label("variable", "a_third_partys_variable") == "a_third_partys_variable"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_the_code_holds_no_norwegian_sentences() -> None:
    """Texts a reader sees are in the catalogue, not in string literals of the sections."""
    norwegian = re.compile(r"\b(?:og|ikke|kommuner|årsverk|innbyggere|fylke|tall|mangler|viser)\b")
    offenders = []
    for path in [*sorted((REPORT / "sections").glob("*.py")), REPORT / "build.py", REPORT / "context.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                text = node.value
                if len(text.split()) >= 3 and norwegian.search(text) and "_" not in text:  # not a unit
                    offenders.append(f"{path.name}:{node.lineno}: {text[:60]}")
    assert offenders == []
