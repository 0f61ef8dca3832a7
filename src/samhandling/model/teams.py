"""Teams: joint teams whose members keep their ordinary employers.

A cooperation team (samhandlingsteam), ACT or FACT team is typically staffed by the municipality, the
DPS and NAV, each paying its own people, who spend part of their position in the team.  A
:class:`Position` is one such share (a stillingsprosent of one person's time, paid by one employer);
a :class:`Team` adds them up in årsverk (full-time equivalents) by employer, by level and by profession –
the numbers a steering group asks for when a team is set up "within existing resources".
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import typing
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import attrs
import pint

from samhandling.model import _validators as v
from samhandling.model.services import ServiceLevel
from samhandling.units import Quantity

__all__ = ["Position", "Team"]

K = TypeVar("K", bound=Hashable)

_PERCENT_UNIT = "stillingsprosent"
_FTE_UNIT = "arsverk"


def _to_percent(value: pint.Quantity[Any] | float) -> pint.Quantity[Any]:
    """A plain number is a percentage (``50`` → 50 stillingsprosent); a Quantity is converted to it.

    A dimensionless Quantity such as ``Quantity(50, "percent")`` (what ``parse_quantity("50 %")`` gives)
    is read as a share of one position.
    """
    given: object = value
    if not isinstance(given, bool) and isinstance(given, numbers.Real):
        return Quantity(given, _PERCENT_UNIT)
    if isinstance(given, pint.Quantity) and given.dimensionless:
        given = Quantity(given.to("dimensionless").magnitude, "arsverk")
    if isinstance(given, pint.Quantity) and given.units != Quantity(1, _PERCENT_UNIT).units:
        try:
            # Round away float noise from the conversion (0.2 årsverk → 20.000000000000004 %).
            return Quantity(round(given.to(_PERCENT_UNIT).magnitude, 9), _PERCENT_UNIT)
        except (pint.DimensionalityError, TypeError):
            pass  # the validator names the wrong unit or magnitude
    return typing.cast("pint.Quantity[Any]", given)


_work_quantity = v.quantity(
    (_PERCENT_UNIT,), "a share of a position in stillingsprosent or årsverk", check_amount=False
)


def _percent(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _work_quantity(instance, attribute, value)
    if not 0 < value.to(_PERCENT_UNIT).magnitude <= 100:  # also False for NaN
        v.fail(
            instance,
            attribute,
            value,
            "is outside 0–100 % of a position (expected more than 0 and at most 100 stillingsprosent)",
        )


def _to_service_level(value: ServiceLevel | str) -> ServiceLevel:
    return v.coerce_enum(ServiceLevel, value)


@typing.final
@attrs.frozen(kw_only=True)
class Position:
    """One person's share of a team: profession, who pays for it and how large a share.

    ``percent`` is the stillingsprosent in the team: a number ``0 < p <= 100`` or a pint Quantity in a
    work unit (``Quantity(0.5, "årsverk")`` is 50 %); it is stored in stillingsprosent.  ``employer``
    names the paying organisation as users write it ("Drammen kommune", "Vestre Viken HF / Drammen DPS",
    "NAV") and ``employer_level`` is its :class:`ServiceLevel`.  ``holder`` is optional, since plans list
    positions before anyone is hired.
    """

    holder: str | None = attrs.field(default=None, converter=v.strip_text, validator=v.optional(v.text))
    profession: str = attrs.field(converter=v.strip_text, validator=v.text)
    employer: str = attrs.field(converter=v.strip_text, validator=v.text)
    employer_level: ServiceLevel = attrs.field(
        converter=_to_service_level, validator=v.member_of(ServiceLevel)
    )
    percent: pint.Quantity[Any] = attrs.field(converter=_to_percent, validator=_percent)

    @property
    def fte(self) -> pint.Quantity[Any]:
        """The share in årsverk (full-time equivalents): 50 stillingsprosent is 0.5 årsverk."""
        return self.percent.to(_FTE_UNIT)


def _to_positions(value: Iterable[Position]) -> tuple[Position, ...]:
    """A tuple of positions; a lone :class:`Position` is taken as a one-position tuple."""
    items: object = value
    return (items,) if isinstance(items, Position) else tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class Team:
    """A joint team (``kind`` a :class:`ServiceKind` code such as ``"samhandlingsteam"`` or ``"fact"``).

    ``positions`` are the shares of each member's time; ``target_groups`` are :class:`TargetGroup` codes;
    ``municipalities`` the four-digit codes of the municipalities the team serves (sorted, deduplicated).
    Outcome indicators (acute admissions, bed-days, individual plans, involuntary care) are numbers
    and belong in StatTables, keyed by the team's municipalities and start date.
    """

    name: str = attrs.field(converter=v.strip_text, validator=v.text)
    kind: str = attrs.field(validator=v.matches(v.SLUG))
    positions: tuple[Position, ...] = attrs.field(
        default=(), converter=_to_positions, validator=v.each(v.instance_of(Position, "a Position"))
    )
    target_groups: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_str_tuple, validator=v.each(v.matches(v.SLUG))
    )
    municipalities: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_sorted_unique, validator=v.each(v.matches(v.MUNICIPALITY_CODE))
    )
    start: dt.date | None = attrs.field(
        default=None, converter=v.to_optional_date, validator=v.optional(v.date)
    )
    end: dt.date | None = attrs.field(
        default=None,
        converter=v.to_optional_date,
        validator=[v.optional(v.date), v.not_before("start")],
    )

    def fte_total(self) -> pint.Quantity[Any]:
        """All positions together, in årsverk."""
        return _fte(self.positions)

    def fte_by_employer(self) -> dict[str, pint.Quantity[Any]]:
        """Årsverk per employer, in the order employers first appear in ``positions``."""
        return self._fte_by(lambda position: position.employer)

    def fte_by_level(self) -> dict[ServiceLevel, pint.Quantity[Any]]:
        """Årsverk per :class:`ServiceLevel` of the employer (municipal, specialist, NAV, …)."""
        return self._fte_by(lambda position: position.employer_level)

    def fte_by_profession(self) -> dict[str, pint.Quantity[Any]]:
        """Årsverk per profession, in the order professions first appear in ``positions``."""
        return self._fte_by(lambda position: position.profession)

    def _fte_by(self, key: Callable[[Position], K]) -> dict[K, pint.Quantity[Any]]:
        groups: dict[K, list[Position]] = {}
        for position in self.positions:
            groups.setdefault(key(position), []).append(position)
        return {group: _fte(positions) for group, positions in groups.items()}


def _fte(positions: Iterable[Position]) -> pint.Quantity[Any]:
    # Sum whole percentages first (exact for the usual 20/50/100 %), then convert once to årsverk.
    total = math.fsum(position.percent.magnitude for position in positions)
    return Quantity(total, _PERCENT_UNIT).to(_FTE_UNIT)
