"""Small attrs validators and converters that raise the library's own :class:`ValidationError`.

attrs' own validators raise ``TypeError``/``ValueError`` with messages about attrs internals.  An analyst
who mistypes a municipality code should instead read which class, which field, what was found and what
was expected, e.g. ``Municipality.code: '301' is not a 4-digit municipality code (e.g. '0301')``.
Everything here is private to :mod:`samhandling.model`; the public surface is the domain classes.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import numbers
import re
import typing
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

import attrs
import pint

from samhandling.errors import UnitError, ValidationError
from samhandling.units import parse_quantity, parse_unit

__all__ = [
    "AREA_CODE",
    "COUNTY_CODE",
    "DISTRICT_CODE",
    "FIRST_YEAR",
    "IDENTIFIER",
    "LAST_YEAR",
    "MUNICIPALITY_CODE",
    "SLUG",
    "Validator",
    "coerce_enum",
    "date",
    "each",
    "fail",
    "instance_of",
    "matches",
    "member_of",
    "non_empty",
    "not_before",
    "optional",
    "quantity",
    "show",
    "strip_text",
    "text",
    "to_date",
    "to_optional_date",
    "to_optional_int",
    "to_optional_quantity",
    "to_sorted_unique",
    "to_str_tuple",
    "where",
    "year",
]

#: The signature attrs calls a validator with.
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

# ASCII digits only: ``\d`` would also accept Arabic-Indic and other Unicode digits.
COUNTY_CODE = (re.compile(r"[0-9]{2}"), "a 2-digit county code (e.g. '33')")
MUNICIPALITY_CODE = (re.compile(r"[0-9]{4}"), "a 4-digit municipality code (e.g. '0301')")
DISTRICT_CODE = (re.compile(r"[0-9]{6}"), "a 6-digit district (bydel) code (e.g. '030101')")
AREA_CODE = (
    re.compile(r"[0-9]{4}|[0-9]{6}"),
    "a 4-digit municipality or 6-digit district code (e.g. '0301' or '030101')",
)
SLUG = (
    re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*"),
    "a lower-case ASCII slug such as 'ohd' or 'ambulant_akutteam'",
)
IDENTIFIER = (
    re.compile(r"[^\W_][\w.-]*"),
    "a code of letters, digits, '.', '-' or '_' without spaces (e.g. 'helse-sor-ost')",
)

#: Years outside this range are almost always typing mistakes (``24``, ``20240101``).
FIRST_YEAR = 1800
LAST_YEAR = 2200


def where(instance: object, attribute: attrs.Attribute[Any] | str) -> str:
    """``"Class.field"`` for an error message."""
    name = attribute if isinstance(attribute, str) else attribute.name
    return f"{type(instance).__name__}.{name}"


def show(value: object) -> str:
    """A value as an analyst would write it: dates in ISO form, quantities with their unit, else ``repr``."""
    if isinstance(value, dt.date):
        return repr(value.isoformat())
    if isinstance(value, pint.Quantity):
        return repr(str(value))
    if isinstance(value, enum.Enum):
        return repr(value.value)
    return repr(value)


def fail(instance: object, attribute: attrs.Attribute[Any] | str, value: object, problem: str) -> NoReturn:
    """Raise ``ValidationError("Class.field: <value> <problem>")``."""
    raise ValidationError(f"{where(instance, attribute)}: {show(value)} {problem}")


def matches(pattern: tuple[re.Pattern[str], str]) -> Validator:
    """The value is a ``str`` that matches ``pattern`` in full; ``pattern`` is ``(regex, description)``."""
    regex, description = pattern

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str) or regex.fullmatch(value) is None:
            suffix = "" if isinstance(value, str) else f"; codes are text (str), got {type(value).__name__}"
            fail(instance, attribute, value, f"is not {description}{suffix}")

    return check


def text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """The value is a non-empty ``str`` (after :func:`strip_text`)."""
    if not isinstance(value, str):
        fail(instance, attribute, value, f"is not text (got {type(value).__name__})")
    if not value:
        fail(instance, attribute, value, "is empty (expected a non-empty text)")


def year(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """The value is an ``int`` year between :data:`FIRST_YEAR` and :data:`LAST_YEAR`."""
    if isinstance(value, bool) or not isinstance(value, int):
        fail(
            instance,
            attribute,
            value,
            f"is not a year (expected an int such as 2024, got {type(value).__name__})",
        )
    if not FIRST_YEAR <= value <= LAST_YEAR:
        fail(instance, attribute, value, f"is not a plausible year (expected {FIRST_YEAR} to {LAST_YEAR})")


def instance_of(kind: type | tuple[type, ...], expected: str) -> Validator:
    """The value is an instance of ``kind``; ``expected`` describes it in the message."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind):
            fail(instance, attribute, value, f"is not {expected} (got {type(value).__name__})")

    return check


def optional(validator: Validator) -> Validator:
    """Like ``validator`` but ``None`` is allowed."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            validator(instance, attribute, value)

    return check


def each(validator: Validator) -> Validator:
    """Apply ``validator`` to every item of a tuple; the message names the item's position."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for index, item in enumerate(value):
            try:
                validator(instance, attribute, item)
            except ValidationError as exc:
                raise ValidationError(
                    str(exc).replace(
                        f"{where(instance, attribute)}:", f"{where(instance, attribute)}[{index}]:", 1
                    )
                ) from None

    return check


def non_empty(what: str) -> Validator:
    """The collection has at least one item; ``what`` says what was expected ("at least one party")."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if len(value) == 0:
            fail(instance, attribute, value, f"is empty (expected {what})")

    return check


def not_before(other: str) -> Validator:
    """The value (a year or a date) is not before the field ``other`` of the same instance.

    attrs runs validators after every field is set, so the other field is already there.
    """

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        start = getattr(instance, other)
        if value is None or start is None:
            return
        if value < start:
            fail(
                instance,
                attribute,
                value,
                f"is before {other} {show(start)} (expected {attribute.name} on or after {other})",
            )

    return check


def strip_text(value: str) -> str:
    """Strip surrounding whitespace from text; anything else is left for the validator to reject."""
    return value.strip() if isinstance(value, str) else value


def to_str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    """Any iterable of codes or names becomes a tuple, so frozen means frozen.

    A lone ``str`` becomes a one-item tuple rather than a tuple of its characters: ``("0301")`` without
    the trailing comma is a common slip, and ``('0', '3', '0', '1')`` is never what was meant.
    """
    items: object = value  # typed as iterable, but callers in notebooks pass anything
    if isinstance(items, str) or not isinstance(items, Iterable):
        return typing.cast("tuple[str, ...]", (items,))  # a non-text item is named by the item validator
    return tuple(items)


def to_sorted_unique(value: Iterable[str]) -> tuple[str, ...]:
    """A tuple of codes, deduplicated and sorted, so two equal sets of codes compare equal."""
    items = to_str_tuple(value)
    try:
        return tuple(sorted(set(items)))
    except TypeError:  # mixed types cannot be sorted; the item validator will name the bad one
        return tuple(dict.fromkeys(items))


def to_optional_int(value: int | str | float | None) -> int | None:
    """A year from a table cell: ``None``, ``""`` or NaN → ``None``; ``"2020"``, ``2020.0`` → ``2020``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and math.isnan(value):  # an empty cell in pandas
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value  # type: ignore[return-value]  # the validator reports it


def to_date(value: dt.date | str) -> dt.date:
    """An ISO date string (``"2024-01-01"``) becomes a :class:`datetime.date`; other values pass."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return value  # type: ignore[return-value]  # the validator reports it
    return value


def to_optional_date(value: dt.date | str | None) -> dt.date | None:
    """Like :func:`to_date`, with ``None`` (and an empty string) meaning "open"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_date(value)


def date(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """The value is a :class:`datetime.date` (not a ``datetime``; converters strip the time)."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        fail(
            instance,
            attribute,
            value,
            "is not a date (expected datetime.date or an ISO date such as '2024-01-01')",
        )


def to_optional_quantity(value: pint.Quantity[Any] | str | None) -> pint.Quantity[Any] | None:
    """``"6 plasser"`` or ``"2,5 årsverk"`` (Norwegian number style) becomes a Quantity; others pass."""
    if isinstance(value, str):
        try:
            return parse_quantity(value)
        except UnitError:
            return value  # type: ignore[return-value]  # the validator reports it
    return value


def quantity(units: tuple[str, ...], expected: str, *, check_amount: bool = True) -> Validator:
    """A scalar, finite, non-negative pint Quantity in a unit compatible with one of ``units``.

    ``expected`` describes the allowed units for the message, e.g. "places (plass) or people (person)".
    With ``check_amount=False`` the caller checks the range itself (and says what it expected).
    """
    dimensions = [parse_unit(unit).dimensionality for unit in units]

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, pint.Quantity):
            fail(
                instance,
                attribute,
                value,
                f"is not a quantity with a unit (expected {expected}, e.g. Quantity(6, {units[0]!r}))",
            )
        if value.dimensionality not in dimensions:
            fail(instance, attribute, value, f"has the wrong unit {str(value.units)!r} (expected {expected})")
        magnitude = value.magnitude
        if isinstance(magnitude, bool) or not isinstance(magnitude, numbers.Real):
            fail(instance, attribute, value, "is not a single real number (expected a scalar quantity)")
        if check_amount and (not math.isfinite(magnitude) or magnitude < 0):
            fail(instance, attribute, value, "is negative or not finite (expected a finite amount >= 0)")

    return check


E = TypeVar("E", bound=enum.Enum)


def coerce_enum(enum_cls: type[E], value: object) -> E:
    """``"municipal"`` → ``ServiceLevel.MUNICIPAL``; an unknown value is left for :func:`member_of`.

    Enum members are looked up by value and, as a courtesy, by name (``"MUNICIPAL"``).
    """
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        pass
    if isinstance(value, str) and value.upper() in enum_cls.__members__:
        return enum_cls.__members__[value.upper()]
    return typing.cast(E, value)


def member_of(enum_cls: type[enum.Enum]) -> Validator:
    """The value is a member of ``enum_cls``; the message lists the allowed values."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, enum_cls):
            allowed = ", ".join(repr(member.value) for member in enum_cls)
            fail(instance, attribute, value, f"is not a {enum_cls.__name__} (expected one of {allowed})")

    return check
