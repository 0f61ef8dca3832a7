"""Every word of the report, from one catalogue: ``locale/nb.toml`` (Norwegian bokmål).

The report's sections, charts, tables, notes and the HTML template take their text from here, by key
(``msg("fte.title")``), never from string literals in the code.  A key's text may hold ``{name}``
placeholders filled from the keyword arguments.  An English (or nynorsk) edition is a translation of the
one file: ``locale/<edition>.toml`` with the same keys.

Codes of the data (target groups, professions, service kinds, unit types, rules of the quality checks,
variables, levels) have labels under ``label.<kind>.<code>``; :func:`label` falls back to the code itself
for a code the catalogue does not know (a third party's variable, say), so a report never fails for want
of a label.
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from samhandling.errors import SamhandlingError

__all__ = ["EDITION", "known_keys", "label", "labels", "msg", "placeholders"]

#: The edition the report is written in.
EDITION = "nb"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


@functools.cache
def _catalogue(edition: str = EDITION) -> dict[str, str]:
    raw = (
        resources.files("samhandling.report")
        .joinpath("locale", f"{edition}.toml")
        .read_text(encoding="utf-8")
    )
    return _flatten(tomllib.loads(raw))


def known_keys(edition: str = EDITION) -> frozenset[str]:
    """Every key of the catalogue (for tests that check the code uses only known keys)."""
    return frozenset(_catalogue(edition))


def placeholders(key: str, edition: str = EDITION) -> frozenset[str]:
    """The ``{names}`` a message needs."""
    return frozenset(
        name for _text, name, _spec, _conv in string.Formatter().parse(_catalogue(edition)[key]) if name
    )


def msg(key: str, /, **values: Any) -> str:
    """The text of ``key`` with its placeholders filled.

    :raises SamhandlingError: the catalogue has no such key, or a placeholder was not given (a bug in
        the report, named precisely).
    """
    catalogue = _catalogue()
    try:
        text = catalogue[key]
    except KeyError:
        raise SamhandlingError(f"report messages: no text for {key!r} in locale/{EDITION}.toml") from None
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError) as exc:
        raise SamhandlingError(f"report messages: {key!r} needs the value {exc}") from None


def label(kind: str, code: str | None) -> str:
    """The label of a code (``label("target_group", "adults")`` → ``"Voksne"``); the code if unknown."""
    if code is None:
        return ""
    return _catalogue().get(f"label.{kind}.{code}", str(code))


def labels(kind: str) -> dict[str, str]:
    """Every code of a kind with its label, in the catalogue's order."""
    prefix = f"label.{kind}."
    return {key[len(prefix) :]: text for key, text in _catalogue().items() if key.startswith(prefix)}
