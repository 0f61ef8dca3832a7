"""Progress of long reads: shown where someone watches (an installed reporter, a notebook, a terminal),
silent elsewhere, and nearly free when silent."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

import samhandling as sh
from samhandling import progress

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """A reporter that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, Any]] = []

    def start(self, description: str, total: float | None) -> Any:
        self.events.append(("start", description, total))
        return len(self.events)

    def update(self, handle: Any, completed: float) -> None:
        self.events.append(("update", handle, completed))

    def finish(self, handle: Any) -> None:
        self.events.append(("finish", handle, None))


def test_nobody_watching_means_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAMHANDLING_PROGRESS", raising=False)
    assert not sys.stderr.isatty()  # under pytest

    assert progress._reporter() is None
    with progress.task("reading", total=10):
        progress.advance(5)  # no task is running: nothing to report to


def test_an_installed_reporter_sees_the_task_and_how_far_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "UPDATE_INTERVAL", 0.0)
    recorder = Recorder()

    with progress.reporting(recorder), progress.task("reading big.csv", total=3):
        progress.advance(1)
        progress.advance(2)

    assert recorder.events == [
        ("start", "reading big.csv", 3),
        ("update", 1, 1.0),
        ("update", 1, 3.0),
        ("finish", 1, None),
    ]


def test_updates_are_thinned_out_but_the_count_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "UPDATE_INTERVAL", 3600.0)
    recorder = Recorder()

    with progress.reporting(recorder), progress.task("blocks", total=1000):
        for _ in range(1000):
            progress.advance(1)

    updates = [e for e in recorder.events if e[0] == "update"]
    assert len(updates) == 1  # the first block; the display is not redrawn per block


def test_read_reports_a_task_named_after_the_file() -> None:
    recorder = Recorder()

    with progress.reporting(recorder):
        sh.read(ROOT / "examples" / "data" / "07459-population-2024.csv")

    assert recorder.events[0] == ("start", "reading 07459-population-2024.csv (ssb-csv)", None)
    assert recorder.events[-1][0] == "finish"


def test_reporting_none_silences_even_a_forced_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMHANDLING_PROGRESS", "1")
    assert progress._reporter() is not None

    with progress.reporting(None):
        assert progress._reporter() is None


def test_the_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMHANDLING_PROGRESS", "0")
    monkeypatch.setattr(progress, "_interactive_terminal", lambda: True)

    assert progress._reporter() is None


def test_a_terminal_gets_a_rich_display_that_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAMHANDLING_PROGRESS", raising=False)
    monkeypatch.setattr(progress, "_interactive_terminal", lambda: True)
    monkeypatch.setattr(progress, "_TERMINAL", [])

    reporter = progress._reporter()

    assert isinstance(reporter, progress.RichReporter)
    with progress.task("reading", total=2):
        assert reporter.progress.live.is_started
        progress.advance(2)
    assert not reporter.progress.live.is_started
    assert reporter.progress.tasks == []


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """A stand-in for a Jupyter kernel: IPython with a kernel config and a display that records."""
    shown: list[tuple[str, Any]] = []

    class Handle:
        def update(self, obj: Any) -> None:
            shown.append(("update", obj.data))

    def display(obj: Any, display_id: bool = False) -> Handle:
        shown.append(("display", obj.data))
        return Handle()

    class HTML:
        def __init__(self, data: str) -> None:
            self.data = data

    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    display_module = types.ModuleType("IPython.display")
    display_module.display = display  # type: ignore[attr-defined]
    display_module.HTML = HTML  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    monkeypatch.setattr(progress, "UPDATE_INTERVAL", 0.0)
    return shown


def test_a_notebook_shows_a_long_task_as_an_html_bar(
    notebook: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "NOTEBOOK_DELAY", 0.01)

    with progress.task("reading <big>.csv", total=4):
        time.sleep(0.2)
        progress.advance(2)

    kinds = [kind for kind, _ in notebook]
    assert kinds == ["display", "update", "update"]
    assert '<progress value="0.0" max="4">' in notebook[0][1]
    assert "&lt;big&gt;" in notebook[0][1]  # escaped
    assert '<progress value="2.0" max="4">' in notebook[1][1]
    assert "reading &lt;big&gt;.csv: done in" in notebook[2][1]


def test_a_notebook_does_not_show_a_quick_task(notebook: list[tuple[str, Any]]) -> None:
    with progress.task("reading small.csv"):
        progress.advance(1)

    assert notebook == []
