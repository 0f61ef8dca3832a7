"""The library's own exceptions.

Every error says what was found, where (file, row, column, plugin, code, year) and what was
expected, so that an analyst can fix the input without reading a traceback.

Where the fix is a parameter the caller can give, the message names it as a :class:`Parameter`
rather than in Python's spelling, so that each caller reads it in their own terms: ``population=...``
from Python, ``--population FILE`` from the ``samhandling`` command (see :meth:`SamhandlingError.render`).
"""

from __future__ import annotations

import typing
from collections.abc import Callable

import attrs

__all__ = [
    "AmbiguousNameError",
    "ConcurrentWriteError",
    "DisclosureError",
    "DuplicateKeyError",
    "ExportError",
    "FetchError",
    "MessagePart",
    "NonAdditiveError",
    "Parameter",
    "ParseError",
    "PluginError",
    "SamhandlingError",
    "SamhandlingWarning",
    "SchemaError",
    "SourceError",
    "UnitError",
    "UnknownCodeError",
    "ValidationError",
    "YearNotCoveredError",
    "render_message",
]


@typing.final
@attrs.frozen(kw_only=True)
class Parameter:
    """A parameter named in a message as the way past it (``population``, ``source``, ``year``).

    From Python it reads ``population=...`` (or ``CheckContext(population=...)`` when ``owner`` is
    given); the command line names its own option for the same parameter (``--population FILE``).
    """

    name: str
    example: str | None = None
    """A value to show, as Python source (``"'exclude'"``, ``"12"``); ``...`` when not given."""
    owner: str | None = None
    """The callable that takes the parameter, when it is not the one that raised (``CheckContext``)."""

    def python(self) -> str:
        """The spelling for Python callers: ``name=example`` (inside ``owner(...)`` if given)."""
        spelled = f"{self.name}={self.example or '...'}"
        return f"{self.owner}({spelled})" if self.owner else spelled


MessagePart = str | Parameter
"""A piece of a message: text, or a parameter that each caller spells in their own terms."""


def _python(parameter: Parameter) -> str:
    return parameter.python()


def render_message(parts: tuple[MessagePart, ...], spell: Callable[[Parameter], str] | None = None) -> str:
    """The text of ``parts`` with each :class:`Parameter` spelled by ``spell`` (default: Python's)."""
    speller = spell or _python
    return "".join(part if isinstance(part, str) else speller(part) for part in parts)


class SamhandlingError(Exception):
    """Base class of every error raised on purpose by samhandling.

    The message may be given in parts, text and :class:`Parameter` objects::

        SplitAreaError("its shares are not known: give ", Parameter(name="population"), " or ",
                       Parameter(name="weights"))

    ``str()`` reads ``give population=... or weights=...``; :meth:`render` spells the parameters
    another way (the command line's ``--population FILE``).
    """

    def __init__(self, *parts: MessagePart) -> None:
        self.parts: tuple[MessagePart, ...] = parts
        super().__init__(render_message(parts))

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The parameters the message names as a way past the error."""
        return tuple(part for part in self.parts if isinstance(part, Parameter))

    def render(self, spell: Callable[[Parameter], str] | None = None) -> str:
        """The message with each parameter spelled by ``spell`` (default: as in Python)."""
        return render_message(self.parts, spell)


class ValidationError(SamhandlingError, ValueError):
    """A domain object was given a value that breaks one of its invariants."""


class SchemaError(SamhandlingError, ValueError):
    """A table does not follow the canonical StatTable schema (names the column and the problem)."""


class ParseError(SamhandlingError, ValueError):
    """A file could not be read; the message names the file, line and column where known."""

    def __init__(
        self,
        *message: MessagePart,
        path: object | None = None,
        line: int | None = None,
        column: str | int | None = None,
    ) -> None:
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}" if isinstance(column, str) else f"column {column}")
        self.path = path
        self.line = line
        self.column = column
        self.reason = render_message(message)
        super().__init__(*((f"{', '.join(where)}: ", *message) if where else message))


class DuplicateKeyError(ParseError):
    """A file holds two values for one key (region, level, year, period, dimensions, variable).

    ``duplicates`` (a :class:`~samhandling.keys.DuplicateKeys`) names the keys and their rows.
    """

    def __init__(self, *message: MessagePart, duplicates: object, path: object | None = None) -> None:
        super().__init__(*message, path=path)
        self.duplicates = duplicates


class UnknownCodeError(SamhandlingError, KeyError):
    """An area code or name does not exist in the year asked for."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain sentence
        return str(self.args[0]) if self.args else ""


class AmbiguousNameError(UnknownCodeError):
    """A name matches more than one area; the message lists the candidates instead of guessing."""


class YearNotCoveredError(SamhandlingError, ValueError):
    """A year outside the data the library has (e.g. geography before 2017)."""


class NonAdditiveError(SamhandlingError, ValueError):
    """A rate or share was asked to be summed, or its parts are missing to recompute it."""


class UnitError(SamhandlingError, ValueError):
    """A unit is unknown or cannot be converted to the unit asked for."""


class PluginError(SamhandlingError):
    """A plugin failed to load, register or run; the message names the plugin."""


class SourceError(SamhandlingError):
    """No source can read a location, or a source failed while reading it."""


class FetchError(SourceError):
    """A web resource could not be fetched, or its answer was unusable; names the URL and what happened.

    :attr:`url` is the URL asked for, :attr:`status` the HTTP status when the server answered with an
    error (``None`` for timeouts, unreachable hosts, refused redirects and invalid answers) and
    :attr:`detail` the server's own explanation of the error, when it gave one.
    """

    def __init__(self, message: str, *, url: str = "", status: int | None = None, detail: str = "") -> None:
        self.url = url
        self.status = status
        self.detail = detail
        super().__init__(message)


class ExportError(SamhandlingError):
    """An exporter is unknown or failed while writing."""


class DisclosureError(SamhandlingError, ValueError):
    """A table cannot be protected or verified for publication (names the table, cell and reason)."""


class ConcurrentWriteError(ExportError):
    """Another process is writing the same dataset (its lock is held, or it changed the dataset meanwhile)."""


class SamhandlingWarning(UserWarning):
    """Something was read or written as asked, but you should know (e.g. a formula with no saved value)."""
