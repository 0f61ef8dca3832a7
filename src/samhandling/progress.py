"""Progress of long work — reading a large file — shown only where someone is watching.

The library marks long work with :func:`task`, and a source that knows how far it has come says so
with :func:`advance` (bytes read, rows parsed).  Whoever shows progress installs a :class:`Reporter`
with :func:`reporting`; the ``samhandling`` command shows it in its own rich display.  Without one,
progress shows itself in a Jupyter notebook (an HTML bar updated in place) and on an interactive
terminal (rich, on standard error, gone when the work is done) — never in a script whose output goes to
a file or a pipe, in CI or in tests.  ``SAMHANDLING_PROGRESS=0`` turns it off everywhere, ``=1`` on.

When nobody watches, :func:`task` and :func:`advance` cost a context-variable lookup, so they may sit
in a loop over blocks of a file; call :func:`advance` per block, not per row.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = ["Reporter", "RichReporter", "advance", "reporting", "task"]

#: Seconds a task must last before a notebook shows it (quick reads leave no trace).
NOTEBOOK_DELAY = 0.5
#: Seconds between two updates of a display.
UPDATE_INTERVAL = 0.1


@runtime_checkable
class Reporter(Protocol):
    """Shows tasks: ``start`` returns a handle that ``update`` and ``finish`` are given back."""

    def start(self, description: str, total: float | None) -> Any:
        """A task begins; ``total`` is its size (bytes, rows …) when known."""
        ...

    def update(self, handle: Any, completed: float) -> None:
        """The task has done ``completed`` of its total."""
        ...

    def finish(self, handle: Any) -> None:
        """The task is done (or failed)."""
        ...


class _Off:
    """Shows nothing (``reporting(None)``, or nobody watching)."""


_OFF = _Off()
_installed: contextvars.ContextVar[Reporter | _Off | None] = contextvars.ContextVar(
    "samhandling_progress_reporter", default=None
)


class _Task:
    """A running task: counts what is done and passes it on, at most every ``UPDATE_INTERVAL``."""

    __slots__ = ("_last", "completed", "handle", "reporter")

    def __init__(self, reporter: Reporter, handle: Any) -> None:
        self.reporter, self.handle = reporter, handle
        self.completed = 0.0
        self._last = float("-inf")

    def advance(self, amount: float) -> None:
        self.completed += amount
        now = time.monotonic()
        if now - self._last >= UPDATE_INTERVAL:
            self._last = now
            self.reporter.update(self.handle, self.completed)


_current: contextvars.ContextVar[_Task | None] = contextvars.ContextVar(
    "samhandling_progress_task", default=None
)


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Show the tasks started inside the block with ``reporter`` (``None``: show nothing)."""
    token = _installed.set(_OFF if reporter is None else reporter)
    try:
        yield
    finally:
        _installed.reset(token)


@contextlib.contextmanager
def task(description: str, total: float | None = None) -> Iterator[None]:
    """Mark long work; :func:`advance` inside the block reports how much of ``total`` is done."""
    reporter = _reporter()
    if reporter is None:
        yield
        return
    handle = reporter.start(description, total)
    running = _Task(reporter, handle)
    token = _current.set(running)
    try:
        yield
    finally:
        _current.reset(token)
        reporter.finish(handle)


def advance(amount: float) -> None:
    """Report that the current task has done ``amount`` more (nothing happens when nobody watches)."""
    running = _current.get()
    if running is not None:
        running.advance(amount)


# -------------------------------------------------------------------------------------------------
# Who watches
# -------------------------------------------------------------------------------------------------


def _reporter() -> Reporter | None:
    installed = _installed.get()
    if installed is not None:
        return None if isinstance(installed, _Off) else installed
    wanted = os.environ.get("SAMHANDLING_PROGRESS", "").strip().lower()
    if wanted in ("0", "false", "no", "off"):
        return None
    if _in_notebook():
        return _NotebookReporter()
    if wanted in ("1", "true", "yes", "on") or _interactive_terminal():
        return _terminal_reporter()
    return None


def _in_notebook() -> bool:
    """Inside a Jupyter kernel (IPython is only looked at when it is loaded already)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _interactive_terminal() -> bool:
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty())


class RichReporter:
    """Tasks as rows of a rich progress display (the ``samhandling`` command passes its own)."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress

    def start(self, description: str, total: float | None) -> Any:
        """A row with a spinner, or a bar when the total is known."""
        from rich.markup import escape

        return self.progress.add_task(escape(description), total=total)

    def update(self, handle: Any, completed: float) -> None:
        """Move the bar."""
        self.progress.update(handle, completed=completed)

    def finish(self, handle: Any) -> None:
        """Remove the row."""
        self.progress.remove_task(handle)


class _TerminalReporter(RichReporter):
    """A transient rich display on standard error, running while any task runs."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        super().__init__(
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
        )
        self.running = 0
        self.lock = threading.Lock()

    def start(self, description: str, total: float | None) -> Any:
        """Start the display with the first task."""
        with self.lock:
            if self.running == 0:
                self.progress.start()
            self.running += 1
        return super().start(description, total)

    def finish(self, handle: Any) -> None:
        """Stop the display with the last task."""
        super().finish(handle)
        with self.lock:
            self.running -= 1
            if self.running == 0:
                self.progress.stop()


_TERMINAL: list[_TerminalReporter] = []


def _terminal_reporter() -> _TerminalReporter:
    if not _TERMINAL:
        _TERMINAL.append(_TerminalReporter())
    return _TERMINAL[0]


class _NotebookReporter:
    """An HTML bar in the notebook's output, shown once a task has lasted ``NOTEBOOK_DELAY``."""

    def start(self, description: str, total: float | None) -> Any:
        """Arrange for the bar to appear if the task is still running after the delay."""
        state: dict[str, Any] = {
            "description": description,
            "total": total,
            "completed": 0.0,
            "started": time.monotonic(),
            "display": None,
        }
        timer = threading.Timer(NOTEBOOK_DELAY, self._show, args=(state,))
        timer.daemon = True
        state["timer"] = timer
        timer.start()
        return state

    def update(self, handle: Any, completed: float) -> None:
        """Move the bar (once it is shown)."""
        handle["completed"] = completed
        if handle["display"] is not None:
            handle["display"].update(_html_bar(handle))

    def finish(self, handle: Any) -> None:
        """Leave a line saying how long the task took, if the bar was shown."""
        handle["timer"].cancel()
        if handle["display"] is not None:
            handle["completed"] = handle["total"] or handle["completed"]
            handle["display"].update(_html_bar(handle, done=True))

    @staticmethod
    def _show(state: dict[str, Any]) -> None:
        from IPython.display import display

        state["display"] = display(_html_bar(state), display_id=True)


def _html_bar(state: dict[str, Any], done: bool = False) -> Any:
    import html

    from IPython.display import HTML

    elapsed = time.monotonic() - state["started"]
    total = state["total"]
    value = f' value="{state["completed"]}" max="{total}"' if total else ""
    label = html.escape(state["description"])
    if done:
        return HTML(f"<small>{label}: done in {elapsed:.1f} s</small>")
    return HTML(f"<small>{label}</small> <progress{value}></progress> <small>{elapsed:.0f} s</small>")
