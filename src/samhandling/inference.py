"""What a variable's name, label, unit text and table title say about its unit and its additivity.

Readers that meet a variable no catalogue knows (an uncurated SSB contents, a column of a CSV file read
without its ``.meta.json``) ask :func:`infer_variable`.  The inference is conservative:

* **Additivity.**  A variable is *not* additive when its name, label or unit says it is a rate (``per``,
  ``pr.``, ``per 1 000 innbyggere``, ``…_pr_1000_innbyggere``), a share or percentage (``andel``,
  ``prosent``, ``prosentandel``, ``%``), a coverage (``dekningsgrad``), an average, median or quantile
  (``gjennomsnitt``, ``median``, ``kvartil``), an index or coefficient (``indeks``, ``Gini``), a price
  (``kilopris``) or a wage (``månedslønn``) — unless the caller declares otherwise.  Summing such a
  variable over areas gives a wrong number; refusing it (roll-up asks for its parts or weights) is the
  safe side.
* **Unit.**  From SSB's unit text (JSON-stat ``category.unit.base``, PX ``UNITS``), else from a unit in
  brackets in the contents label (``Netto driftsutgifter (1 000 kr)``), else from one in the table title
  (``Legemeldt sykefravær (prosent) blant …``), through :data:`UNIT_TEXTS`; a rate "per 1 000 / 10 000
  / 100 000 inhabitants" becomes ``<unit> / thousand_inhabitants`` and so on.  A unit text with no
  equivalent in the registry gives ``dimensionless`` and is returned so the reader can keep SSB's text.

The mapping is documented in ``docs/concepts/units.md``; it works on the few distinct labels of a table,
never per row.
"""

from __future__ import annotations

import re
import typing

import attrs

from samhandling.errors import UnitError
from samhandling.tables import Variable
from samhandling.units import parse_unit

__all__ = [
    "NON_ADDITIVE_MARKERS",
    "UNIT_TEXTS",
    "Inferred",
    "infer_variable",
    "is_non_additive",
    "unit_from_text",
    "units_in_brackets",
]

#: Unit texts SSB and Norwegian tables print (case and spacing ignored) → the library's pint units.
UNIT_TEXTS: dict[str, str] = {
    # counts
    "antall": "count",
    "number": "count",
    "count": "count",
    "stk": "count",
    "vedtak": "count",
    # people
    "personer": "person",
    "personar": "person",
    "1000 personer": "thousand_persons",
    "1 000 personer": "thousand_persons",
    "1000 personar": "thousand_persons",
    "1 000 personar": "thousand_persons",
    "tusen personer": "thousand_persons",
    "1000 persons": "thousand_persons",
    "1 000 persons": "thousand_persons",
    "persons": "person",
    "person": "person",
    "innbyggere": "innbygger",
    "innbyggjarar": "innbygger",
    "inhabitants": "innbygger",
    "brukere": "bruker",
    "brukarar": "bruker",
    "users": "bruker",
    "pasienter": "pasient",
    "pasientar": "pasient",
    "patients": "pasient",
    # work
    "årsverk": "årsverk",
    "avtalte årsverk": "årsverk",
    "man-years": "årsverk",
    "full-time equivalents": "årsverk",
    "stillingsprosent": "stillingsprosent",
    # shares
    "prosent": "percent",
    "per cent": "percent",
    "percent": "percent",
    "%": "percent",
    "promille": "permille",
    # money
    "kr": "NOK",
    "kroner": "NOK",
    "nok": "NOK",
    "1000 kr": "thousand_NOK",
    "1 000 kr": "thousand_NOK",
    "1000 kroner": "thousand_NOK",
    "1 000 kroner": "thousand_NOK",
    "tusen kr": "thousand_NOK",
    "nok 1000": "thousand_NOK",
    "nok 1 000": "thousand_NOK",
    "mill. kr": "million_NOK",
    "mill kr": "million_NOK",
    "mill. kroner": "million_NOK",
    "millioner kroner": "million_NOK",
    "nok million": "million_NOK",
    "mrd. kr": "billion_NOK",
    "mrd kr": "billion_NOK",
    "milliarder kroner": "billion_NOK",
    # care
    "plasser": "plass",
    "plassar": "plass",
    "places": "plass",
    "døgn": "døgn",
    "oppholdsdøgn": "døgn",
    "liggedøgn": "døgn",
    "opphold": "opphold",
    "konsultasjoner": "konsultasjon",
    "konsultasjonar": "konsultasjon",
    # time, size, weight
    "timer": "hour",
    "timar": "hour",
    "hours": "hour",
    "dager": "day",
    "dagar": "day",
    "days": "day",
    "uker": "week",
    "veker": "week",
    "år": "year",
    "years": "year",
    "km²": "km**2",
    "km2": "km**2",
    "kvadratkilometer": "km**2",
    "tonn": "tonne",
    "tonnes": "tonne",
    "kg": "kg",
    # no unit of their own: numbers that are rates, indices or coefficients
    "indeks": "dimensionless",
    "index": "dimensionless",
    "ginikoeffisient": "dimensionless",
    "forholdstall": "dimensionless",
    "ratio": "dimensionless",
}
"""Unit texts SSB and Norwegian tables print (case and spacing ignored) → the library's pint units."""

#: What makes a name, label or unit text say "not additive" (regular expressions, matched case-blind
#: on the text with ``_`` read as a space).
NON_ADDITIVE_MARKERS: tuple[str, ...] = (
    r"\bper\b",
    r"\bpr\b\.?",
    r"\brater?\b",
    r"\brenter?\b",  # interest rates ("Renter", table 10701), not interest expenses ("renteutgifter")
    r"\binterest rates?\b",
    r"\bandel",
    r"prosent",
    r"\bper ?cent",
    r"percent",
    r"%",
    r"promille",
    r"dekningsgrad",
    r"\bcoverage\b",
    r"gjennomsnitt",
    r"\bsnitt\b",
    r"\baverage\b",
    r"\bmean\b",
    r"\bmedian\b",
    r"kvartil",
    r"\bdesil",
    r"persentil",
    r"indeks",
    r"\bindex\b",
    r"koeffisient",
    r"coefficient",
    r"\bratio\b",
    r"forholdstall",
    r"\bshare\b",
    r"\bproportion\b",
    r"\w*pris\b",
    r"\w*lønn\b",
    r"\w*alder\b",
)
"""What makes a name, label or unit text say "not additive" (regular expressions, matched case-blind on
the text with ``_`` read as a space)."""

_NON_ADDITIVE = re.compile("|".join(NON_ADDITIVE_MARKERS), re.IGNORECASE)
_BRACKETS = re.compile(r"\(([^()]*)\)")
# A bracketed text that scales what it counts ("(1000 personer)", "(mill. tonn)") is a unit even when the
# registry has no equivalent: it is kept as an unmapped unit, never dropped to leave a plain count.
_SCALED = re.compile(
    r"^(?:1[\s\u00a0]?000(?:[\s\u00a0]?000)*|mill\.?|millioner|mrd\.?|milliarder|tusen|million|billion)\s+\w",
    re.IGNORECASE,
)
_PER_INHABITANTS = re.compile(
    r"\b(?:per|pr\.?)\s*(?P<scale>1\s?000|10\s?000|100\s?000|1000|10000|100000)\s*"
    r"(?:innbyggere|innbyggjarar|innbygger|inhabitants|personer|persons|people|\b)",
    re.IGNORECASE,
)
_PER_UNIT = re.compile(r"(?P<what>\w+)\s+(?:per|pr\.?)\s+(?P<per>\w+)$", re.IGNORECASE)
_SCALE_UNITS = {"1000": "thousand_inhabitants", "10000": "ten_thousand_inhabitants"}
_SCALE_UNITS["100000"] = "hundred_thousand_inhabitants"


def _plain(text: str) -> str:
    return " ".join(text.replace("_", " ").split())


def is_non_additive(*texts: str | None) -> bool:
    """Whether any of the texts (a name, a label, a unit text) says rate, share, average, index …"""
    return any(text and _NON_ADDITIVE.search(_plain(text)) for text in texts)


def unit_from_text(text: str | None) -> str | None:
    """SSB's unit text as a pint unit string (``"1 000 kr"`` → ``"thousand_NOK"``), or ``None``.

    A text that is already a unit of the registry (``"årsverk"``, ``"kg"``) is returned as it is.
    """
    if not text:
        return None
    key = " ".join(text.split()).casefold()
    if key in UNIT_TEXTS:
        return UNIT_TEXTS[key]
    if " " in key:
        return None  # pint reads "x per y" as a unit; only single words are taken as written
    try:
        parse_unit(key)
    except UnitError:
        return None
    return key if key not in {"", "1"} else None


def units_in_brackets(text: str | None) -> list[str]:
    """The texts in brackets in a label or title that are units, last first (``"Utgifter (1 000 kr)"``).

    A bracket that scales what it counts (``"(1000 tonn)"``) is taken even without an equivalent in the
    registry, so that it ends up as an unmapped unit rather than a count a thousand times too small.
    """
    if not text:
        return []
    found = []
    for group in reversed(_BRACKETS.findall(text)):
        if unit_from_text(group) is not None or _SCALED.match(group.strip()):
            found.append(" ".join(group.split()))
    return found


@typing.final
@attrs.frozen(kw_only=True)
class Inferred:
    """The variable :func:`infer_variable` made, and the unit text it could not map (if any)."""

    variable: Variable
    unit_text: str | None
    unmapped_unit: str | None


def infer_variable(
    variable_id: str,
    *,
    label: str = "",
    unit: str | None = None,
    title: str = "",
    measuring_type: str | None = None,
    description: str = "",
    additive: bool | None = None,
) -> Inferred:
    """A :class:`~samhandling.tables.Variable` with the unit and additivity its texts say.

    :param variable_id: the id (also read for markers: ``kostnad_pr_1000_innbyggere``).
    :param label: the contents label (``"Netto driftsutgifter (1 000 kr)"``).
    :param unit: the source's own unit text, when it gives one (preferred over brackets).
    :param title: the table title; a unit in brackets there applies when nothing else names one.
    :param measuring_type: SSB's ``measuringType`` (``Stock``, ``Flow``, ``Average``, ``Other``); the
        last two are not additive.
    :param description: kept as the variable's description.
    :param additive: a declaration that wins over the inference (``None``: infer).
    """
    unit_text = unit.strip() if unit and unit.strip() else None
    if unit_text is None:
        candidates = units_in_brackets(label) or units_in_brackets(title)
        unit_text = candidates[0] if candidates else None
    named = _plain(label or variable_id)
    if unit_text is None and named and unit_from_text(named) is not None:
        unit_text = named  # the label (or id) is a unit itself: "Personer", "Årsverk", "users"
    pint_unit = unit_from_text(unit_text)
    unmapped = unit_text if unit_text and pint_unit is None else None
    text = _plain(label) if label else _plain(variable_id)
    rate = _PER_INHABITANTS.search(text)
    if rate is not None:
        scale = _SCALE_UNITS[re.sub(r"\s", "", rate["scale"])]
        base = pint_unit if pint_unit and pint_unit not in ("dimensionless", "percent") else None
        if base is None:
            words = text[: rate.start()].split()
            base = unit_from_text(words[-1]) if words else None
        pint_unit = f"{base or 'count'} / {scale}"
    elif pint_unit is None:
        per = _PER_UNIT.search(text)
        if per is not None:
            numerator = unit_from_text(per["what"]) or unit_from_text(per["what"].rstrip("e"))
            denominator = unit_from_text(per["per"])
            if denominator is not None and denominator not in ("dimensionless", "percent"):
                pint_unit = f"{numerator or 'count'} / {denominator}"
    inferred_additive = not is_non_additive(variable_id, label, unit_text)
    if pint_unit in ("percent", "permille", "dimensionless") and unit_text is not None:
        inferred_additive = False
    if measuring_type and measuring_type.casefold() in {"average", "other"}:
        inferred_additive = False
    if pint_unit is None:
        # No unit named: a count when additive; a rate, share or average of unknown unit otherwise.
        pint_unit = "dimensionless" if unmapped or not inferred_additive else "count"
    variable = Variable(
        id=variable_id,
        unit=pint_unit,
        additive=inferred_additive if additive is None else additive,
        label=" ".join(label.split()),
        description=description,
    )
    return Inferred(variable=variable, unit_text=unit_text, unmapped_unit=unmapped)
