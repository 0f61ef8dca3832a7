"""Care units: the specialist-care units admissions are counted by.

NIMES and the health trusts' own reports count admissions (innleggelser) and stays (avdelingsopphold)
per unit – "RDPS", "ARA", "BUPA" – and per patient's home municipality.  A :class:`CareUnit` gives such
a unit code its name, its :class:`UnitType` and its health trust, so admissions can be grouped into DPS,
substance-use (TSB) and child and adolescent (BUP) care.
"""

from __future__ import annotations

import enum
import typing

import attrs

from samhandling.model import _validators as v

__all__ = ["CareUnit", "UnitType"]


class UnitType(enum.StrEnum):
    """The kind of specialist-care unit, as admission statistics group them."""

    #: DPS døgnavdeling – inpatient unit at a community mental-health centre.
    DPS_INPATIENT = "dps_inpatient"
    #: DPS poliklinikk / ambulant – outpatient unit at a community mental-health centre.
    DPS_OUTPATIENT = "dps_outpatient"
    #: TSB – unit for specialised substance-use treatment (e.g. "avdeling for rus og avhengighet").
    TSB = "tsb"
    #: BUP – child and adolescent mental-health unit.
    BUP = "bup"
    #: Akuttpost / sikkerhetspost – acute or secure psychiatric ward at the hospital.
    ACUTE_WARD = "acute_ward"
    #: Somatic unit (counted when mental-health or substance-use patients are admitted there).
    SOMATIC = "somatic"
    #: Any other unit.
    OTHER = "other"


def _to_unit_type(value: UnitType | str) -> UnitType:
    return v.coerce_enum(UnitType, value)


@typing.final
@attrs.frozen(kw_only=True)
class CareUnit:
    """A specialist-care unit with the code statistics use for it (e.g. ``"RDPS"`` Ringerike DPS).

    ``health_trust`` is the code of the health trust that runs it, or ``None`` for private units
    with an agreement (avtaleinstitusjoner) and units whose owner is not known.
    """

    code: str = attrs.field(validator=v.matches(v.IDENTIFIER))
    name: str = attrs.field(converter=v.strip_text, validator=v.text)
    type: UnitType = attrs.field(converter=_to_unit_type, validator=v.member_of(UnitType))
    health_trust: str | None = attrs.field(default=None, validator=v.optional(v.matches(v.IDENTIFIER)))
