"""The one pint unit registry of the library, with the units of the field.

Units are defined in ``units.txt`` (package data) and added to pint's *application registry*, so
quantities made here mix with pint-pandas and pint-xarray in an analyst's notebook.  Tables keep plain
magnitudes in Arrow and the unit as a string in their metadata; convert whole columns with
:func:`convert_array`, never one cell at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

import numpy as np
import pint

from samhandling.errors import UnitError

__all__ = [
    "FTE",
    "PER_10000",
    "Quantity",
    "add_definitions",
    "convert_array",
    "is_compatible",
    "parse_quantity",
    "parse_unit",
    "setup_registry",
    "ureg",
]

_SETUP_MARK = "_samhandling_units_added"
_added_definitions: set[str] = set()


def _field_definitions() -> list[str]:
    text = resources.files("samhandling").joinpath("units.txt").read_text(encoding="utf-8")
    return [line for line in (raw.split("#", 1)[0].strip() for raw in text.splitlines()) if line]


def setup_registry(registry: pint.UnitRegistry[Any] | None = None) -> pint.UnitRegistry[Any]:
    """Add the field's units to ``registry`` (default: pint's application registry).

    Safe to call twice: a registry that already has the units is returned unchanged.
    """
    reg: pint.UnitRegistry[Any] = (
        registry if registry is not None else pint.get_application_registry().get()  # type: ignore[no-untyped-call]
    )
    if getattr(reg, _SETUP_MARK, False):
        return reg
    for line in _field_definitions():
        reg.define(line)
    setattr(reg, _SETUP_MARK, True)
    return reg


ureg: pint.UnitRegistry[Any] = setup_registry()
"""The library's one unit registry: pint's application registry with the field's units added."""
Quantity = ureg.Quantity
"""The quantity class of :data:`ureg`: ``Quantity(50, "stillingsprosent").to("årsverk")``."""

FTE = ureg.Unit("arsverk")
"""One full-time equivalent (årsverk)."""
#: The unit of a rate per 10,000 inhabitants is "<unit> / ten_thousand_inhabitants".
PER_10000 = ureg.Unit("ten_thousand_inhabitants")
"""The denominator unit of rates per 10,000 inhabitants: ``"<unit> / ten_thousand_inhabitants"``."""


def add_definitions(definitions: Iterable[str], *, plugin: str = "?") -> None:
    """Add unit definitions (pint syntax) from a plugin; a repeated identical line is ignored.

    Called for the lines plugins register through ``samhandling_register_units``.

    :param definitions: lines such as ``"vedtak = [decision]"``.
    :param plugin: the plugin's name, for the error message.
    :raises UnitError: a line is not valid pint syntax or redefines an existing unit.
    """
    for line in definitions:
        line = line.strip()
        if not line or line in _added_definitions:
            continue
        try:
            ureg.define(line)
        except (pint.errors.DefinitionSyntaxError, pint.errors.RedefinitionError, ValueError) as exc:
            raise UnitError(f"plugin {plugin!r}: cannot add unit definition {line!r}: {exc}") from exc
        _added_definitions.add(line)


def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string such as ``"årsverk / ten_thousand_inhabitants"``.

    An empty string, ``"1"`` and ``"dimensionless"`` mean no unit.

    :raises UnitError: the string is not a unit of the registry (the message names the string).
    """
    if text.strip() in {"", "1", "dimensionless"}:
        return ureg.dimensionless
    try:
        return ureg.Unit(text)
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
    ) as exc:
        raise UnitError(f"unknown unit {text!r}: {exc}") from exc


def is_compatible(unit_a: str, unit_b: str) -> bool:
    """Whether two unit strings measure the same dimension."""
    return parse_unit(unit_a).dimensionality == parse_unit(unit_b).dimensionality


_NUMBER_UNIT = re.compile(r"^\s*(?P<number>[-+−]?[\d\s\u00a0\u202f.,]*\d)\s*(?P<unit>.*?)\s*$")
_UNIT_ALIASES = {
    "mill. kr": "million_NOK",
    "mill. kroner": "million_NOK",
    "mill.kr": "million_NOK",
    "mrd. kr": "1e9 * NOK",
    "1000 kr": "thousand_NOK",
    "%": "percent",
    "prosent": "percent",
    "% stilling": "stillingsprosent",
    "stilling": "stillingsprosent",
}


def _norwegian_number(text: str) -> float:
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).replace("−", "-")
    if "," in cleaned:
        # Norwegian style: "." or spaces group thousands, "," is the decimal mark.
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return float(Decimal(cleaned))
    except InvalidOperation as exc:
        raise UnitError(f"not a number: {text!r}") from exc


def parse_quantity(text: str) -> pint.Quantity[Any]:
    """Parse a quantity as Norwegians write it: ``"1 206,644 mill. kr"``, ``"50 %"`` → pint Quantity.

    Spaces (also non-breaking) group thousands and a comma is the decimal mark.
    """
    match = _NUMBER_UNIT.match(text)
    if not match:
        raise UnitError(f"not a quantity: {text!r} (expected a number followed by a unit)")
    magnitude = _norwegian_number(match["number"])
    unit_text = match["unit"].strip()
    unit_text = _UNIT_ALIASES.get(unit_text.lower(), unit_text)
    if unit_text.startswith("1e9 * "):
        return Quantity(magnitude * 1e9, parse_unit(unit_text.removeprefix("1e9 * ")))
    return Quantity(magnitude, parse_unit(unit_text or "count"))


def convert_array(values: Any, from_unit: str, to_unit: str) -> np.ndarray:
    """Convert a whole array of magnitudes between units (one Quantity for the column, not per cell).

    :param values: anything :func:`numpy.asarray` takes (an Arrow column's ``to_numpy()``, a list).
    :param from_unit: the unit the values are in.
    :param to_unit: the unit wanted.
    :returns: a new float64 array.
    :raises UnitError: a unit is unknown or the two measure different things.
    """
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    try:
        return np.asarray(Quantity(np.asarray(values, dtype="float64"), src).to(dst).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}: {exc}") from exc
