"""Test-suite wide setup.

- samhandling's own pytest plugin gives every test its fixtures;
- sybil collects every code block of ``README.md``, ``docs/`` and the plugins' READMEs as a test
  (``tests/docblocks.py`` has the conventions: which blocks run, how shell blocks run, how a block
  is marked as not run).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

pytest_plugins = ["samhandling.testing"]


def _docblocks() -> object:
    """``tests/docblocks.py``, imported by path (the tests folder is not a package)."""
    path = Path(__file__).parent / "tests" / "docblocks.py"
    spec = importlib.util.spec_from_file_location("samhandling_docblocks", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pytest_collect_file = _docblocks().pytest_collect_file  # type: ignore[attr-defined]
