"""SSB's dimension texts turned into the library's column names and category codes.

Every function here works on the *distinct* values of a column (a few hundred at most) and the readers
map the result back with a dictionary ``take``; nothing is done once per row.

* :func:`column_name` — the role or column a dimension becomes: ``alder`` → ``age``, ``kjønn`` →
  ``sex``, ``år``/``måned``/``kvartal``/``uke``/``skoleår`` → ``time`` (the period columns),
  ``statistikkvariabel`` → ``variable``; other dimensions keep a plain ASCII slug of SSB's name
  (``tjenestegruppe`` → ``tjenestegruppe``, ``type tiltak`` → ``type_tiltak``).
* :func:`normalise_age` — ``"0 år"``, ``"000"`` or ``"000 0 år"`` → ``"0"``; ``"105 år eller eldre"`` →
  ``"105+"``; ``"0-17 år"`` → ``"0-17"``; ``"Alle aldre"`` → ``"total"``.
* :func:`normalise_sex` — ``"Menn"`` / ``"1"`` → ``"male"``, ``"Kvinner"`` / ``"2"`` → ``"female"``,
  ``"Begge kjønn"`` / ``"0"`` → ``"total"``.
* :func:`parse_period` — ``"2024"`` → ``(2024, None)``, ``"2024M03"`` → ``(2024, 3)`` (the readers use
  :func:`samhandling.periods.parse_period`).
* :func:`slug` — an identifier from a Norwegian label (``"Avtalte årsverk"`` → ``"avtalte_arsverk"``).
"""

from __future__ import annotations

import re
import unicodedata

from samhandling.periods import UnreadablePeriod
from samhandling.periods import parse_period as _parse_period
from samhandling.tables import RESERVED_COLUMNS

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
    "år": "time",
    "tid": "time",
    "year": "time",
    "måned": "time",
    "month": "time",
    "kvartal": "time",
    "quarter": "time",
    "uke": "time",
    "veke": "time",
    "week": "time",
    "skoleår": "time",
    "school year": "time",
    "periode": "time",
    "time": "time",
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

_RESERVED = frozenset({*RESERVED_COLUMNS, "time"})
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
    name = slug(dimension)
    # A dimension of the source never takes the name of one of the table's own columns.
    return f"{name}_dimension" if name in _RESERVED else name


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
    "gutar": "male",
    "boys": "male",
    "men": "male",
    "2": "female",
    "kvinner": "female",
    "kvinne": "female",
    "females": "female",
    "female": "female",
    "jenter": "female",
    "jenter og kvinner": "female",
    "girls": "female",
    "women": "female",
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


def parse_period(text: str) -> tuple[int, int | None]:
    """A time category as ``(year, number within the year or None)``: ``"2024"`` → ``(2024, None)``,
    ``"2024M03"`` → ``(2024, 3)``, ``"2024K1"`` → ``(2024, 1)``, ``"2022-2023"`` → ``(2022, None)``.

    The readers use :func:`samhandling.periods.parse_period`, which also says what kind of period it is;
    this form is kept for callers that need the year.

    :raises UnreadableCategory: a text that is none of SSB's periods a StatTable holds.
    """
    try:
        period = _parse_period(text)
    except UnreadablePeriod as exc:
        raise UnreadableCategory(str(exc)) from None
    return period.year, period.part
