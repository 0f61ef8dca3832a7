"""The page on the web client runs as written: every Python block not marked ``<!-- skip: next -->``
(those need the network) is executed, and what it prints is what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "sources" / "pxwebapi.md"
_BLOCK = re.compile(r"(<!-- skip: next -->\n)?```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_the_offline_examples_run_and_print_what_the_page_says() -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = _BLOCK.findall(text)
    runnable = [code for skip, code in blocks if not skip]
    skipped = [code for skip, code in blocks if skip]
    assert runnable, "the page should show the rules at work without the network"
    assert all("needs the network" in code for code in skipped)
    for code in runnable:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(PAGE), "exec"), {"__name__": "__docs__"})
        for line in printed.getvalue().splitlines():
            assert f"`{line}`" in text.replace("\n", " ") or line in text, line
