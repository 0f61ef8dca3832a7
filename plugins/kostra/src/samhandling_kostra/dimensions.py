"""SSB's dimension texts turned into the library's column names and category codes.

Every function here works on the *distinct* values of a column (a few hundred at most) and the readers
map the result back with a dictionary ``take``; nothing is done once per row.

* :func:`column_name` — the column a dimension becomes: ``alder`` → ``age``, ``kjønn`` → ``sex``,
  ``år`` → ``year``, ``statistikkvariabel`` → ``variable``; other dimensions keep a plain ASCII slug
  of SSB's name (``tjenestegruppe`` → ``tjenestegruppe``, ``type tiltak`` → ``type_tiltak``).
* :func:`normalise_age` — ``"0 år"``, ``"000"`` or ``"000 0 år"`` → ``"0"``; ``"105 år eller eldre"`` →
  ``"105+"``; ``"0-17 år"`` → ``"0-17"``; ``"Alle aldre"`` → ``"total"``.
* :func:`normalise_sex` — ``"Menn"`` / ``"1"`` → ``"male"``, ``"Kvinner"`` / ``"2"`` → ``"female"``,
  ``"Begge kjønn"`` / ``"0"`` → ``"total"``.
* :func:`parse_period` — ``"2024"`` → ``(2024, None)``, ``"2024M03"`` → ``(2024, 3)``.
* :func:`slug` — an identifier from a Norwegian label (``"Avtalte årsverk"`` → ``"avtalte_arsverk"``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "DIMENSION_COLUMNS",
    "UnreadableCategory",
    "column_name",
    "normalise_age",
    "normalise_sex",
    "parse_period",
    "slug",
]

#: SSB's dimension names (Norwegian, nynorsk and English, as labels or API ids) → StatTable column.
DIMENSION_COLUMNS: dict[str, str] = {
    "region": "region",
    "kommune": "region",
    "fylke": "region",
    "bydel": "region",
    "år": "year",
    "tid": "year",
    "year": "year",
    "måned": "month",
    "month": "month",
    "statistikkvariabel": "variable",
    "contentscode": "variable",
    "contents": "variable",
    "alder": "age",
    "age": "age",
    "kjønn": "sex",
    "kjonn": "sex",
    "sex": "sex",
    "gender": "sex",
    "yrke": "profession",
    "utdanning": "education",
    "education": "education",
    "målgruppe": "target_group",
    "tjenestetype": "service_kind",
}

_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


class UnreadableCategory(ValueError):
    """A category text that cannot be read for its dimension (the reader names file and column)."""


def slug(text: str) -> str:
    """A lower-case ASCII identifier from a label: ``"Avtalte årsverk"`` → ``"avtalte_arsverk"``."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE)).encode("ascii", "ignore")
    cleaned = re.sub(r"[^0-9a-z]+", "_", ascii_text.decode("ascii").lower()).strip("_")
    return cleaned or "value"


def column_name(dimension: str) -> str:
    """The StatTable column for an SSB dimension name or id (``"alder"`` → ``"age"``)."""
    key = " ".join(dimension.split()).casefold()
    if key in DIMENSION_COLUMNS:
        return DIMENSION_COLUMNS[key]
    if key.startswith(("kokkommuneregion", "kokfylkesregion", "kokbydelsregion", "kokregion")):
        return "region"
    return slug(dimension)


_AGE_TOTAL = frozenset({"alle aldre", "i alt", "total", "all", "all ages", "999", "999b", "alder i alt"})
_AGE_UNKNOWN = frozenset({"uoppgitt", "uoppgitt alder", "unknown", "not stated"})
_AGE_SINGLE = re.compile(r"^(\d{1,3})(?:\s*(?:år|year|years))?$")
_AGE_BAND = re.compile(r"^(\d{1,3})\s*[-–]\s*(\d{1,3})(?:\s*(?:år|years))?$")
_AGE_OPEN = re.compile(
    r"^(\d{1,3})\s*(?:\+|år\s*(?:eller\s+eldre|og\s+over|og\s+eldre|\+)|\+\s*år|years\s+or\s+older|years\s+and\s+over)$"
)
_AGE_CODE_AND_TEXT = re.compile(r"^(\d{3}[+]?|\d{2,3}-\d{2,3}|999B?)\s+(.+)$")


def normalise_age(text: str) -> str:
    """SSB's age category (code, label or both) as the library's age code.

    :raises UnreadableCategory: the text is not an age, an age band or a total.
    """
    value = " ".join(text.split()).casefold()
    if value in _AGE_TOTAL:
        return "total"
    if value in _AGE_UNKNOWN:
        return "unknown"
    for candidate in (value, _strip_code(value)):
        if candidate is None:
            continue
        if candidate in _AGE_TOTAL:
            return "total"
        if match := _AGE_SINGLE.match(candidate):
            return str(int(match[1]))
        if match := _AGE_BAND.match(candidate):
            return f"{int(match[1])}-{int(match[2])}"
        if match := _AGE_OPEN.match(candidate):
            return f"{int(match[1])}+"
    raise UnreadableCategory(
        f"{text!r} is not an age; expected e.g. '0 år', '000', '105 år eller eldre', '0-17 år' "
        "or 'Alle aldre'"
    )


def _strip_code(value: str) -> str | None:
    match = _AGE_CODE_AND_TEXT.match(value)
    return match[2] if match else None


_SEX = {
    "0": "total",
    "begge kjønn": "total",
    "both sexes": "total",
    "i alt": "total",
    "1": "male",
    "menn": "male",
    "mann": "male",
    "males": "male",
    "male": "male",
    "gutter": "male",
    "2": "female",
    "kvinner": "female",
    "kvinne": "female",
    "females": "female",
    "female": "female",
    "jenter": "female",
}


def normalise_sex(text: str) -> str:
    """``"Menn"``/``"1"`` → ``"male"``, ``"Kvinner"``/``"2"`` → ``"female"``, ``"Begge kjønn"`` → ``"total"``.

    :raises UnreadableCategory: the text is none of SSB's sex categories.
    """
    value = " ".join(text.split()).casefold()
    if value in _SEX:
        return _SEX[value]
    code, _, label = value.partition(" ")
    if code in _SEX and label in _SEX and _SEX[code] == _SEX[label]:
        return _SEX[code]
    raise UnreadableCategory(f"{text!r} is not one of SSB's sex categories (Menn, Kvinner, Begge kjønn)")


_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})M(\d{2})$")


def parse_period(text: str) -> tuple[int, int | None]:
    """A time category as ``(year, month or None)``: ``"2024"`` or ``"2024M03"``.

    :raises UnreadableCategory: quarters (``2024K1``), weeks, school years and other periods, which a
        StatTable cannot hold.
    """
    value = text.strip()
    if match := _YEAR.match(value):
        return int(match[1]), None
    if match := _MONTH.match(value):
        month = int(match[2])
        if 1 <= month <= 12:
            return int(match[1]), month
    raise UnreadableCategory(
        f"{text!r} is not a year ('2024') or a month ('2024M03'); quarterly, weekly and other periods "
        f"are not supported"
    )
