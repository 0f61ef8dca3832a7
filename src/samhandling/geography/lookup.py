"""Finding areas by code or by name, forgiving case and Norwegian letters but never guessing.

``name_key`` folds a name to a search key: case is ignored, æ/ø/å match ae/oe/aa and a/o/e (so
``"bodo"`` and ``"Bodoe"`` find Bodø and ``"Aalesund"`` finds Ålesund), accents are dropped (``á`` → ``a``),
and punctuation and hyphens become single spaces.  Each area is indexed under its official name, every
part of a multilingual name (``"Guovdageaidnu - Kautokeino"`` is found as Kautokeino too), the name
without a parenthesised qualifier and the name qualified by its county (``"Herøy (Nordland)"``).

A query that matches two different areas raises :class:`~samhandling.errors.AmbiguousNameError` listing
them; a query that matches nothing raises :class:`~samhandling.errors.UnknownCodeError` with the closest
names as suggestions.  The index never picks one of several candidates for you.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from samhandling.errors import AmbiguousNameError, UnknownCodeError

__all__ = ["NameIndex", "name_aliases", "name_key"]

T = TypeVar("T")

_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "đ": "d", "ŋ": "n", "ŧ": "t", "ß": "ss"})
_PUNCTUATION = re.compile(r"[^0-9a-z]+")
_FOLDS = (("aa", "a"), ("oe", "o"), ("ae", "e"))
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*")


def name_key(text: str) -> str:
    """The search key of a name or query: ``"Bodø"``, ``"bodo"`` and ``"BODOE"`` all give ``"bodo"``."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS)
    ascii_only = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    for old, new in _FOLDS:
        ascii_only = ascii_only.replace(old, new)
    return _PUNCTUATION.sub(" ", ascii_only).strip()


def name_aliases(name: str, qualifier: str | None = None) -> set[str]:
    """Every form a user may type for ``name``: full name, multilingual parts, with/without qualifier."""
    forms = {name}
    bare = _QUALIFIER.sub(" ", name).strip()
    forms.add(bare)
    parts = [part.strip() for part in bare.split(" - ") if part.strip()]
    forms.update(parts)
    if qualifier:
        forms.update(f"{form} ({qualifier})" for form in (bare, *parts))
    return {name_key(form) for form in forms if name_key(form)}


class NameIndex(Generic[T]):
    """Areas by code and by normalised name; lookups raise instead of guessing.

    ``describe`` renders an area for messages (``"1515 Herøy (municipality)"``).
    """

    def __init__(self, describe: Callable[[T], str]) -> None:
        self._describe = describe
        self._by_code: dict[str, list[T]] = {}
        self._by_key: dict[str, list[T]] = {}
        self._names: dict[str, str] = {}

    def add(
        self,
        code: str,
        name: str,
        item: T,
        *,
        qualifier: str | None = None,
        aliases: Iterable[str] = (),
    ) -> None:
        """Index ``item`` under ``code``, every alias of ``name`` and the extra ``aliases``.

        :param qualifier: a county name a user may add in brackets (``"Herøy (Nordland)"``); every
            part of a multilingual county name is accepted.
        :param aliases: further names the area is known by (a short name such as ``"OUS"``).
        """
        code_bucket = self._by_code.setdefault(code.casefold(), [])
        if not any(existing is item for existing in code_bucket):
            code_bucket.append(item)
        keys = set(name_aliases(name))
        for part in name_aliases(qualifier) if qualifier else ():
            keys |= name_aliases(name, part)
        for alias in aliases:
            keys |= name_aliases(alias)
        for key in keys:
            bucket = self._by_key.setdefault(key, [])
            if not any(existing is item for existing in bucket):
                bucket.append(item)
            self._names.setdefault(key, name)

    def find(self, query: str) -> list[T]:
        """Every area whose code or (normalised) name equals ``query``; an empty list if none."""
        text = query.strip()
        hits = list(self._by_code.get(text.casefold(), []))
        for item in self._by_key.get(name_key(text), []):
            if not any(item is hit for hit in hits):
                hits.append(item)
        return hits

    def one(self, query: str, *, what: str, year: int) -> T:
        """Exactly one area for ``query``, else UnknownCodeError / AmbiguousNameError naming the year."""
        hits = self.find(query)
        if len(hits) == 1:
            return hits[0]
        if hits:
            listed = "; ".join(self._describe(hit) for hit in hits)
            raise AmbiguousNameError(
                f"{query!r} matches {len(hits)} {what} areas in {year}: {listed}. "
                f"Give the code, or qualify the name with its county, e.g. 'Herøy (Nordland)'"
            )
        raise UnknownCodeError(f"no {what} {query!r} in {year}{self._suggest(query)}")

    def _suggest(self, query: str) -> str:
        names = self.suggestions(query)
        return f"; did you mean: {', '.join(names)}?" if names else ""

    def suggestions(self, query: str) -> list[str]:
        """Descriptions of the areas whose names are closest to ``query`` (at most three names)."""
        close = difflib.get_close_matches(name_key(query), list(self._by_key), n=3, cutoff=0.75)
        return sorted({self._describe(item) for key in close for item in self._by_key[key]})

    def items(self) -> Iterable[T]:
        """Every indexed area once, in the order added."""
        seen: set[int] = set()
        for bucket in self._by_code.values():
            for item in bucket:
                if id(item) not in seen:
                    seen.add(id(item))
                    yield item
