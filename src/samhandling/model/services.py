"""Services: the kinds of offer the field talks about, and concrete services that someone provides.

A :class:`ServiceKind` is a category from the field's vocabulary – øyeblikkelig hjelp døgnopphold (ØHD),
trygghetsplass, FACT team, DPS poliklinikk – with a stable slug code that tables and plugins refer to.
A :class:`Service` is one actual offer: "ØHD-enheten i Ringeriksregionen", run by a provider at a
:class:`ServiceLevel`, for some municipalities and target groups, with a capacity.

The built-in catalogue :data:`BUILTIN_SERVICE_KINDS` covers the offers in the seed material; plugins add
their own kinds through a hook rather than by editing it.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing
from typing import Any

import attrs
import pint

from samhandling.model import _validators as v

__all__ = [
    "BUILTIN_SERVICE_KINDS",
    "Service",
    "ServiceKind",
    "ServiceLevel",
]


class ServiceLevel(enum.StrEnum):
    """Who runs a service: the level of the public sector (or civil society) it belongs to."""

    #: kommunal – run by one municipality (possibly as host, *vertskommune*, for others).
    MUNICIPAL = "municipal"
    #: interkommunal – run jointly by several municipalities (e.g. one ØHD unit for a region).
    INTER_MUNICIPAL = "inter_municipal"
    #: spesialisthelsetjenesten – a health trust, its DPS, TSB or BUP.
    SPECIALIST = "specialist"
    #: NAV – the labour and welfare service (the state and municipal partnership).
    NAV = "nav"
    #: frivillig – voluntary organisations and user organisations.
    VOLUNTARY = "voluntary"

    @property
    def label(self) -> str:
        """The Norwegian name, for tables and reports."""
        return _LEVEL_LABELS[self]


_LEVEL_LABELS = {
    ServiceLevel.MUNICIPAL: "kommunal",
    ServiceLevel.INTER_MUNICIPAL: "interkommunal",
    ServiceLevel.SPECIALIST: "spesialisthelsetjenesten",
    ServiceLevel.NAV: "NAV",
    ServiceLevel.VOLUNTARY: "frivillig",
}


def _to_service_level(value: ServiceLevel | str) -> ServiceLevel:
    return v.coerce_enum(ServiceLevel, value)


def _to_optional_service_level(value: ServiceLevel | str | None) -> ServiceLevel | None:
    return None if value is None else v.coerce_enum(ServiceLevel, value)


@typing.final
@attrs.frozen(kw_only=True)
class ServiceKind:
    """A kind of service from the field's vocabulary, e.g. ``"ohd"`` or ``"trygghetsplass"``.

    ``code`` is a lower-case slug that StatTables and plugins use; ``name`` is the Norwegian name users
    know, ``name_en`` the English one.  ``category`` groups kinds for reports (see
    :data:`BUILTIN_SERVICE_KINDS` for the categories used).  ``statutory_from`` is the first year
    municipalities were obliged by law to offer it, or ``None`` when it is not a statutory municipal duty.
    ``typical_level`` is where the service usually sits, when there is one usual answer.
    """

    code: str = attrs.field(validator=v.matches(v.SLUG))
    name: str = attrs.field(converter=v.strip_text, validator=v.text)
    name_en: str = attrs.field(converter=v.strip_text, validator=v.text)
    category: str = attrs.field(validator=v.matches(v.SLUG))
    description: str = attrs.field(default="", converter=v.strip_text, validator=v.instance_of(str, "text"))
    statutory_from: int | None = attrs.field(
        default=None, converter=v.to_optional_int, validator=v.optional(v.year)
    )
    typical_level: ServiceLevel | None = attrs.field(
        default=None,
        converter=_to_optional_service_level,
        validator=v.optional(v.member_of(ServiceLevel)),
    )

    def is_statutory_in(self, year: int) -> bool:
        """Whether municipalities had a legal duty to offer this kind of service in ``year``."""
        return self.statutory_from is not None and year >= self.statutory_from


def _kind(
    code: str,
    name: str,
    name_en: str,
    category: str,
    description: str,
    *,
    statutory_from: int | None = None,
    typical_level: ServiceLevel | None = None,
) -> ServiceKind:
    return ServiceKind(
        code=code,
        name=name,
        name_en=name_en,
        category=category,
        description=description,
        statutory_from=statutory_from,
        typical_level=typical_level,
    )


_M, _S, _N = ServiceLevel.MUNICIPAL, ServiceLevel.SPECIALIST, ServiceLevel.NAV

#: The built-in service kinds.  Categories: ``emergency_beds`` (akutte døgnplasser), ``beds``
#: (other short stays), ``housing`` (botilbud), ``day_activity`` (dag- og aktivitetstilbud), ``work``
#: (arbeid og aktivitet), ``health_promotion`` (forebygging og friskliv), ``team`` (ambulante og
#: tverrfaglige team), ``coordination`` (samordning) and ``specialist`` (spesialisthelsetjenesten).
BUILTIN_SERVICE_KINDS: tuple[ServiceKind, ...] = (
    _kind(
        "ohd",
        "Øyeblikkelig hjelp døgnopphold (ØHD/KAD) for psykisk helse og rus",
        "Municipal emergency 24-hour beds for mental health and substance use",
        "emergency_beds",
        "Kommunalt døgntilbud for øyeblikkelig hjelp (også kalt KAD, kommunal akutt døgnenhet), often run "
        "inter-municipally. A statutory duty for mental health and substance use from 2017 under helse- og "
        "omsorgstjenesteloven § 3-5 third paragraph; it must be described in the cooperation agreement "
        "(§ 6-2 no. 4).",
        statutory_from=2017,
    ),
    _kind(
        "ohd_somatikk",
        "Øyeblikkelig hjelp døgnopphold (ØHD/KAD) somatikk",
        "Municipal emergency 24-hour beds for somatic patients",
        "emergency_beds",
        "The somatic ØHD offer, statutory from 2016 (helse- og omsorgstjenesteloven § 3-5 third "
        "paragraph). Kept apart from 'ohd' because the duties started in different years.",
        statutory_from=2016,
    ),
    _kind(
        "trygghetsplass",
        "Trygghetsplass",
        "Safe-haven bed",
        "beds",
        "Short stay with staff around the clock for a person known to the service whose illness gets "
        "worse, largely booked by the user; aims to prevent admissions and involuntary care.",
        typical_level=_M,
    ),
    _kind(
        "venteplass",
        "Venteplass",
        "Bed while waiting for treatment",
        "beds",
        "Municipal place for a person who has been through detoxification and waits for a place in "
        "specialised substance-use treatment (TSB).",
        typical_level=_M,
    ),
    _kind(
        "lavterskeltilbud",
        "Lavterskeltilbud",
        "Low-threshold offer",
        "day_activity",
        "Open offer without referral or decision (vedtak), often with user involvement and volunteers.",
        typical_level=_M,
    ),
    _kind(
        "dagtilbud",
        "Dagtilbud / dagsenter",
        "Day centre",
        "day_activity",
        "Day and activity offer for people with long-term mental-health or substance-use problems.",
        typical_level=_M,
    ),
    _kind(
        "arbeidsrettet_aktivitet",
        "Arbeidsrettet aktivitetstilbud",
        "Work-oriented activity",
        "work",
        "Activity aimed at work or education, often together with NAV.",
    ),
    _kind(
        "ips",
        "IPS – individuell jobbstøtte",
        "Individual placement and support (IPS)",
        "work",
        "Supported employment integrated with treatment; job specialists usually employed by NAV.",
        typical_level=_N,
    ),
    _kind(
        "frisklivssentral",
        "Frisklivssentral",
        "Healthy-living centre",
        "health_promotion",
        "Municipal offer for changing health behaviour (frisklivsresept), open regardless of diagnosis.",
        typical_level=_M,
    ),
    _kind(
        "bolig_med_bemanning",
        "Bolig med bemanning",
        "Housing with staff",
        "housing",
        "Municipal housing with staff part of or all of the day (botilbud med døgnbemanning).",
        typical_level=_M,
    ),
    _kind(
        "act",
        "ACT-team",
        "Assertive community treatment (ACT) team",
        "team",
        "Outreach team for people with severe mental illness, jointly staffed by municipality and DPS.",
    ),
    _kind(
        "fact",
        "FACT-team",
        "Flexible assertive community treatment (FACT) team",
        "team",
        "Flexible ACT: a joint municipality–specialist team serving a broader group at varying intensity.",
    ),
    _kind(
        "samhandlingsteam",
        "Samhandlingsteam",
        "Cooperation team",
        "team",
        "Joint municipality–DPS team, often with NAV, whose members keep their ordinary employers.",
    ),
    _kind(
        "ambulant_akutteam",
        "Ambulant akutteam",
        "Mobile crisis team",
        "team",
        "Mobile team (usually at the DPS) that assesses and treats people in acute crisis where they are.",
        typical_level=_S,
    ),
    _kind(
        "slt",
        "SLT – samordning av lokale kriminalitetsforebyggende tiltak",
        "SLT crime-prevention coordination",
        "coordination",
        "Coordination model between municipality, police and others for children and young people at risk.",
        typical_level=_M,
    ),
    _kind(
        "dps_poliklinikk",
        "DPS poliklinikk",
        "DPS outpatient clinic",
        "specialist",
        "Outpatient specialist mental-health care at a distriktspsykiatrisk senter.",
        typical_level=_S,
    ),
    _kind(
        "dps_dogn",
        "DPS døgnavdeling",
        "DPS inpatient unit",
        "specialist",
        "Inpatient beds at a distriktspsykiatrisk senter, including short-stay and emergency beds.",
        typical_level=_S,
    ),
    _kind(
        "tsb",
        "Tverrfaglig spesialisert rusbehandling (TSB)",
        "Specialised substance-use treatment",
        "specialist",
        "Specialist care for substance use: detoxification, outpatient and inpatient treatment.",
        typical_level=_S,
    ),
    _kind(
        "bup",
        "Psykisk helsevern for barn og unge (BUP)",
        "Child and adolescent mental health services (CAMHS)",
        "specialist",
        "Specialist mental-health care for children and young people under 18.",
        typical_level=_S,
    ),
)


def _to_capacity(value: pint.Quantity[Any] | str | None) -> pint.Quantity[Any] | None:
    return v.to_optional_quantity(value)


def _inter_municipal_needs_two(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if instance.level is ServiceLevel.INTER_MUNICIPAL and len(value) < 2:
        v.fail(
            instance,
            attribute,
            value,
            "has fewer than two municipalities (an inter-municipal service is shared by at least two)",
        )


@typing.final
@attrs.frozen(kw_only=True)
class Service:
    """One concrete offer: what kind, who provides it, at which level, for whom and where.

    ``kind`` is a :class:`ServiceKind` code; ``provider`` names who runs it ("Ringerike kommune",
    "Vestre Viken HF"); ``municipalities`` are the four-digit codes of the municipalities it serves,
    sorted and deduplicated.  An inter-municipal service (one ØHD unit for several municipalities) has
    ``level=ServiceLevel.INTER_MUNICIPAL`` and at least two municipalities.  ``capacity`` is a non-negative
    pint Quantity in places (``plass``), people (``person``) or full-time equivalents (``årsverk``), or a
    string such as ``"6 plasser"``.  ``start``/``end`` bound when it ran (``None``: unknown or ongoing).

    Counts over time (stays, bed-days, users) are not stored here: they belong in StatTables.
    """

    name: str = attrs.field(converter=v.strip_text, validator=v.text)
    kind: str = attrs.field(validator=v.matches(v.SLUG))
    provider: str = attrs.field(converter=v.strip_text, validator=v.text)
    level: ServiceLevel = attrs.field(converter=_to_service_level, validator=v.member_of(ServiceLevel))
    capacity: pint.Quantity[Any] | None = attrs.field(
        default=None,
        converter=_to_capacity,
        validator=v.optional(
            v.quantity(("plass", "person", "arsverk"), "places (plass), people (person) or årsverk")
        ),
    )
    target_groups: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_str_tuple, validator=v.each(v.matches(v.SLUG))
    )
    municipalities: tuple[str, ...] = attrs.field(
        default=(),
        converter=v.to_sorted_unique,
        validator=[v.each(v.matches(v.MUNICIPALITY_CODE)), _inter_municipal_needs_two],
    )
    start: dt.date | None = attrs.field(
        default=None, converter=v.to_optional_date, validator=v.optional(v.date)
    )
    end: dt.date | None = attrs.field(
        default=None,
        converter=v.to_optional_date,
        validator=[v.optional(v.date), v.not_before("start")],
    )

    @property
    def is_inter_municipal(self) -> bool:
        """Whether the service is shared by several municipalities.

        True for ``ServiceLevel.INTER_MUNICIPAL`` and also for a municipal service that serves two or more
        municipalities (the host-municipality model, *vertskommunesamarbeid*), because for the spread of
        inter-municipal arrangements what matters is that municipalities share one offer.
        """
        return self.level is ServiceLevel.INTER_MUNICIPAL or (
            self.level is ServiceLevel.MUNICIPAL and len(self.municipalities) >= 2
        )

    def is_active_on(self, day: dt.date) -> bool:
        """Whether the service ran on ``day`` (an unknown start or end counts as open)."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def serves(self, municipality: str) -> bool:
        """Whether the service covers the municipality with code ``municipality``."""
        return municipality in self.municipalities
