"""The library's own exceptions.

Every error says what was found, where (file, row, column, plugin, code, year) and what was
expected, so that an analyst can fix the input without reading a traceback.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousNameError",
    "ConcurrentWriteError",
    "DuplicateKeyError",
    "ExportError",
    "NonAdditiveError",
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
]


class SamhandlingError(Exception):
    """Base class of every error raised on purpose by samhandling."""


class ValidationError(SamhandlingError, ValueError):
    """A domain object was given a value that breaks one of its invariants."""


class SchemaError(SamhandlingError, ValueError):
    """A table does not follow the canonical StatTable schema (names the column and the problem)."""


class ParseError(SamhandlingError, ValueError):
    """A file could not be read; the message names the file, line and column where known."""

    def __init__(
        self,
        message: str,
        *,
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
        self.reason = message
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class DuplicateKeyError(ParseError):
    """A file holds two values for one key (region, level, year, month, dimensions, variable).

    ``duplicates`` (a :class:`~samhandling.keys.DuplicateKeys`) names the keys and their rows.
    """

    def __init__(self, message: str, *, duplicates: object, path: object | None = None) -> None:
        super().__init__(message, path=path)
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


class ExportError(SamhandlingError):
    """An exporter is unknown or failed while writing."""


class ConcurrentWriteError(ExportError):
    """Another process is writing the same dataset (its lock is held, or it changed the dataset meanwhile)."""


class SamhandlingWarning(UserWarning):
    """Something was read or written as asked, but you should know (e.g. a formula with no saved value)."""
