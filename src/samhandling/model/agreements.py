"""Agreements: the cooperation agreements, sub-agreements and inter-municipal deals behind samhandling.

Every municipality must have a cooperation agreement (samarbeidsavtale) with its health trust, and
helse- og omsorgstjenesteloven § 6-2 first paragraph lists the subjects it must cover at the least
(:class:`StatutorySubject`).  The list depends on the date: eleven subjects from the Act's entry into
force on 1 January 2012, thirteen from 1 August 2022 (Prop. 102 L (2020–2021) added no. 12, joint
planning and development of the services, and no. 13, children and young people with complex needs who
receive services from both levels), and agreements had to cover the two new subjects from 1 July 2023.
:func:`subjects_in_force` and :func:`required_subjects` give the lists for a day.

In practice the main agreement is short and the subjects are filled in by sub-agreements
(tjenesteavtaler / delavtaler), so whether a municipality's agreements are complete is a question about
the main agreement *and* its sub-agreements together: :func:`coverage` answers it.

Agreements between municipalities (interkommunalt samarbeid, e.g. one ØHD unit for a region) and with
voluntary organisations are agreements too, but § 6-2 does not apply to them.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing
from collections.abc import Iterable
from typing import Any

import attrs

from samhandling.errors import ValidationError
from samhandling.model import _validators as v

__all__ = [
    "ACT_IN_FORCE",
    "AMENDMENT_2022_DEADLINE",
    "AMENDMENT_2022_IN_FORCE",
    "Agreement",
    "AgreementKind",
    "Party",
    "PartyKind",
    "StatutorySubject",
    "coverage",
    "judged_on",
    "required_subjects",
    "subjects_in_force",
]

#: Helse- og omsorgstjenesteloven (LOV-2011-06-24-30) entered into force on this day, § 6-2 with it.
ACT_IN_FORCE = dt.date(2012, 1, 1)
#: § 6-2 first paragraph nos. 12 and 13 (Prop. 102 L (2020–2021)) entered into force on this day.
AMENDMENT_2022_IN_FORCE = dt.date(2022, 8, 1)
#: From this day the cooperation agreements had to cover nos. 12 and 13 (Helsedirektoratet's
#: consultation letter on the revised guide: the agreements are to be updated "fra og med 1. juli 2023").
AMENDMENT_2022_DEADLINE = dt.date(2023, 7, 1)


class AgreementKind(enum.StrEnum):
    """What kind of agreement it is, which decides which rules apply to it."""

    #: samarbeidsavtale between a municipality and its health trust (§ 6-1); must cover § 6-2.
    COOPERATION_AGREEMENT = "cooperation_agreement"
    #: tjenesteavtale / delavtale under a cooperation agreement, covering some of the § 6-2 subjects.
    SUB_AGREEMENT = "sub_agreement"
    #: interkommunalt samarbeid: municipalities sharing a service (vertskommune, IKS, joint board).
    INTER_MUNICIPAL = "inter_municipal"
    #: agreement with a voluntary or user organisation (e.g. running a low-threshold offer).
    VOLUNTARY_ORGANISATION = "voluntary_organisation"


class StatutorySubject(enum.Enum):
    """The subjects a cooperation agreement must cover (helse- og omsorgstjenesteloven § 6-2 first paragraph).

    Members are numbered as in the law (``StatutorySubject(4)`` is the emergency 24-hour offer) and
    carry a short Norwegian ``label``, an English ``label_en`` and the day the subject entered into force
    (``in_force_from``): nos. 1–11 on 1 January 2012, nos. 12 and 13 on 1 August 2022.  Which of them an
    agreement had to cover on a given day is :func:`required_subjects`.
    """

    TASK_DIVISION = 1
    COORDINATED_SERVICES = 2
    HOSPITAL_ADMISSION = 3
    EMERGENCY_BEDS = 4
    DISCHARGE_READY_PATIENTS = 5
    KNOWLEDGE_TRANSFER = 6
    RESEARCH_AND_EDUCATION = 7
    MIDWIFERY = 8
    ICT = 9
    PREVENTION = 10
    PREPAREDNESS = 11
    JOINT_PLANNING = 12
    CHILDREN_COMPLEX_NEEDS = 13

    @property
    def number(self) -> int:
        """The number of the subject in § 6-2 (1–13)."""
        return self.value

    @property
    def in_force_from(self) -> dt.date:
        """The day this subject became part of § 6-2 first paragraph."""
        return AMENDMENT_2022_IN_FORCE if self.value > 11 else ACT_IN_FORCE

    @property
    def required_from(self) -> dt.date:
        """The first day a cooperation agreement had to cover this subject (1 July 2023 for nos. 12, 13)."""
        return AMENDMENT_2022_DEADLINE if self.value > 11 else ACT_IN_FORCE

    @property
    def label(self) -> str:
        """The subject in Norwegian, shortened from the wording of § 6-2."""
        return _SUBJECT_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The subject in English."""
        return _SUBJECT_LABELS[self][1]


_SUBJECT_LABELS: dict[StatutorySubject, tuple[str, str]] = {
    StatutorySubject.TASK_DIVISION: (
        "Enighet om hvilke helse- og omsorgsoppgaver forvaltningsnivåene er ansvarlige for",
        "Division of health and care tasks between the municipality and the health trust",
    ),
    StatutorySubject.COORDINATED_SERVICES: (
        "Retningslinjer for samarbeid om innleggelse, utskrivning, habilitering, rehabilitering og "
        "lærings- og mestringstilbud for pasienter med behov for koordinerte tjenester",
        "Guidelines for cooperation on admission, discharge, habilitation, rehabilitation and "
        "learning and coping offers for patients who need coordinated services",
    ),
    StatutorySubject.HOSPITAL_ADMISSION: (
        "Retningslinjer for innleggelse i sykehus",
        "Guidelines for hospital admission",
    ),
    StatutorySubject.EMERGENCY_BEDS: (
        "Beskrivelse av kommunens tilbud om døgnopphold for øyeblikkelig hjelp etter § 3-5 tredje ledd",
        "Description of the municipality's emergency 24-hour offer (ØHD, § 3-5 third paragraph)",
    ),
    StatutorySubject.DISCHARGE_READY_PATIENTS: (
        "Retningslinjer for samarbeid om utskrivningsklare pasienter",
        "Guidelines for cooperation on patients ready for discharge",
    ),
    StatutorySubject.KNOWLEDGE_TRANSFER: (
        "Retningslinjer for gjensidig kunnskapsoverføring og informasjonsutveksling, faglige nettverk "
        "og hospitering",
        "Guidelines for mutual knowledge transfer, information exchange, professional networks and "
        "job shadowing",
    ),
    StatutorySubject.RESEARCH_AND_EDUCATION: (
        "Samarbeid om forskning, utdanning, praksis og læretid",
        "Cooperation on research, education, practice and apprenticeship",
    ),
    StatutorySubject.MIDWIFERY: (
        "Samarbeid om jordmortjenester",
        "Cooperation on midwifery services",
    ),
    StatutorySubject.ICT: (
        "Samarbeid om IKT-løsninger lokalt",
        "Cooperation on local ICT solutions",
    ),
    StatutorySubject.PREVENTION: (
        "Samarbeid om forebygging",
        "Cooperation on prevention",
    ),
    StatutorySubject.PREPAREDNESS: (
        "Omforente beredskapsplaner og planer for den akuttmedisinske kjeden",
        "Agreed preparedness plans and plans for the acute medical chain",
    ),
    StatutorySubject.JOINT_PLANNING: (
        "Konkret beskrivelse av hvordan partene sammen skal utvikle og planlegge tjenestene",
        "A concrete description of how the parties together develop and plan the services",
    ),
    StatutorySubject.CHILDREN_COMPLEX_NEEDS: (
        "Samarbeid om ytelse av helse- og omsorgstjenester til barn og unge med sammensatte vansker og "
        "lidelser, og som derfor mottar tjenester fra begge forvaltningsnivåene",
        "Cooperation on health and care services to children and young people with complex difficulties "
        "and disorders who therefore receive services from both levels",
    ),
}


def _law_day(day: dt.date, where: str) -> dt.date:
    if not isinstance(day, dt.date):
        raise ValidationError(f"{where}: {day!r} is not a date (expected a datetime.date)")
    if isinstance(day, dt.datetime):
        day = day.date()
    if day < ACT_IN_FORCE:
        raise ValidationError(
            f"{where}: {day.isoformat()} is before helse- og omsorgstjenesteloven entered into force "
            f"({ACT_IN_FORCE.isoformat()}); § 6-2 did not exist then"
        )
    return day


def subjects_in_force(day: dt.date) -> tuple[StatutorySubject, ...]:
    """The subjects § 6-2 first paragraph listed on ``day``: nos. 1–11, and from 1 August 2022 nos. 1–13.

    :raises ValidationError: ``day`` is before 1 January 2012, when the Act entered into force.
    """
    day = _law_day(day, "subjects_in_force")
    return tuple(subject for subject in StatutorySubject if subject.in_force_from <= day)


def required_subjects(day: dt.date) -> tuple[StatutorySubject, ...]:
    """The subjects a cooperation agreement had to cover on ``day``.

    Nos. 12 and 13 entered into force on 1 August 2022, and the agreements had until 1 July 2023 to
    cover them: between those days they are in force (:func:`subjects_in_force`) but an agreement that
    lacks them is not yet incomplete.
    """
    day = _law_day(day, "required_subjects")
    return tuple(subject for subject in StatutorySubject if subject.required_from <= day)


def _subject_or_error(value: StatutorySubject | int | str, where: str) -> StatutorySubject:
    """A subject from a member, its number (``4``) or its number as text (``"4"``)."""
    if isinstance(value, StatutorySubject):
        return value
    number: object = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if isinstance(number, int) and not isinstance(number, bool):
        try:
            return StatutorySubject(number)
        except ValueError:
            pass
    raise ValidationError(
        f"{where}: {value!r} is not a statutory subject of helse- og omsorgstjenesteloven § 6-2 "
        "(expected a number 1–13 or a StatutorySubject; nos. 12 and 13 are in force from 1 August 2022)"
    )


def _to_subjects(value: Iterable[StatutorySubject | int | str]) -> frozenset[StatutorySubject]:
    """Numbers and members become a frozenset of members; an unknown number is reported by name."""
    items = (value,) if isinstance(value, (int, str, StatutorySubject)) else value
    return frozenset(_subject_or_error(item, "Agreement.subjects") for item in items)


class PartyKind(enum.StrEnum):
    """What kind of organisation a party to an agreement is."""

    MUNICIPALITY = "municipality"
    HEALTH_TRUST = "health_trust"
    VOLUNTARY = "voluntary"
    NAV = "nav"
    OTHER = "other"


def _to_party_kind(value: PartyKind | str) -> PartyKind:
    return v.coerce_enum(PartyKind, value)


def _party_code(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    pattern = v.MUNICIPALITY_CODE if instance.kind is PartyKind.MUNICIPALITY else v.IDENTIFIER
    v.matches(pattern)(instance, attribute, value)


@typing.final
@attrs.frozen(kw_only=True)
class Party:
    """A party to an agreement: its name, its kind and, where it has one, its code.

    For a municipality ``code`` is the four-digit municipality code (so agreements can be joined to
    statistics); for a health trust it is the health-trust code used in :mod:`samhandling.geography`.
    """

    name: str = attrs.field(converter=v.strip_text, validator=v.text)
    kind: PartyKind = attrs.field(converter=_to_party_kind, validator=v.member_of(PartyKind))
    code: str | None = attrs.field(default=None, validator=_party_code)

    @classmethod
    def municipality(cls, code: str, name: str) -> Party:
        """A municipality party, e.g. ``Party.municipality("3305", "Ringerike kommune")``."""
        return cls(name=name, kind=PartyKind.MUNICIPALITY, code=code)

    @classmethod
    def health_trust(cls, code: str, name: str) -> Party:
        """A health-trust party, e.g. ``Party.health_trust("vestre-viken", "Vestre Viken HF")``."""
        return cls(name=name, kind=PartyKind.HEALTH_TRUST, code=code)


def _to_parties(value: Iterable[Party]) -> tuple[Party, ...]:
    """A tuple of parties; a lone :class:`Party` is taken as a one-party tuple."""
    items: object = value
    return (items,) if isinstance(items, Party) else tuple(value)


def _to_agreement_kind(value: AgreementKind | str) -> AgreementKind:
    return v.coerce_enum(AgreementKind, value)


def _parties_fit_kind(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """The parties an agreement of this kind needs (checked after every party is a :class:`Party`)."""
    kinds = [party.kind for party in value]
    municipalities = kinds.count(PartyKind.MUNICIPALITY)
    names = [f"{party.name} ({party.kind.value})" for party in value]
    if instance.kind is AgreementKind.COOPERATION_AGREEMENT and (
        municipalities < 1 or PartyKind.HEALTH_TRUST not in kinds
    ):
        v.fail(
            instance,
            attribute,
            names,
            "cannot make a cooperation agreement (samarbeidsavtale needs at least one municipality and "
            "one health trust)",
        )
    if instance.kind is AgreementKind.INTER_MUNICIPAL and municipalities < 2:
        v.fail(
            instance,
            attribute,
            names,
            f"has {municipalities} municipality party (an inter-municipal agreement needs at least two)",
        )
    if instance.kind is AgreementKind.VOLUNTARY_ORGANISATION and PartyKind.VOLUNTARY not in kinds:
        v.fail(
            instance,
            attribute,
            names,
            "has no voluntary party (an agreement with a voluntary organisation needs one)",
        )


def _parent_not_self(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value == instance.id:
        v.fail(
            instance, attribute, value, "is the agreement's own id (expected the id of the main agreement)"
        )


@typing.final
@attrs.frozen(kw_only=True)
class Agreement:
    """A samarbeidsavtale, tjenesteavtale/delavtale, inter-municipal agreement or voluntary agreement.

    ``subjects`` are the § 6-2 subjects the agreement covers, given as members or as their numbers
    (``{1, 4, 5}``); ``services`` are the names of :class:`~samhandling.model.Service` objects or the
    codes of :class:`~samhandling.model.ServiceKind` s the agreement governs; ``parent`` is the id of the
    main agreement a sub-agreement belongs to.  ``valid_to=None`` means the agreement has no end date.
    """

    id: str = attrs.field(validator=v.matches(v.IDENTIFIER))
    kind: AgreementKind = attrs.field(converter=_to_agreement_kind, validator=v.member_of(AgreementKind))
    title: str = attrs.field(converter=v.strip_text, validator=v.text)
    parties: tuple[Party, ...] = attrs.field(
        converter=_to_parties,
        validator=[
            v.non_empty("at least one party"),
            v.each(v.instance_of(Party, "a Party")),
            _parties_fit_kind,
        ],
    )
    valid_from: dt.date = attrs.field(converter=v.to_date, validator=v.date)
    valid_to: dt.date | None = attrs.field(
        default=None,
        converter=v.to_optional_date,
        validator=[v.optional(v.date), v.not_before("valid_from")],
    )
    subjects: frozenset[StatutorySubject] = attrs.field(default=frozenset(), converter=_to_subjects)
    services: tuple[str, ...] = attrs.field(default=(), converter=v.to_str_tuple, validator=v.each(v.text))
    parent: str | None = attrs.field(
        default=None, validator=[v.optional(v.matches(v.IDENTIFIER)), _parent_not_self]
    )

    @property
    def municipalities(self) -> tuple[str, ...]:
        """The codes of the municipality parties that have one, in the order given."""
        return tuple(p.code for p in self.parties if p.kind is PartyKind.MUNICIPALITY and p.code is not None)

    def covers(self, subject: StatutorySubject | int) -> bool:
        """Whether this agreement itself covers ``subject`` (a member or its number 1–13)."""
        return _subject_or_error(subject, "Agreement.covers") in self.subjects

    def missing_subjects(self, *, on: dt.date | None = None) -> tuple[StatutorySubject, ...]:
        """The § 6-2 subjects this cooperation agreement had to cover on ``on`` and does not, in law order.

        The subjects are judged as the law stood on ``on`` (:func:`required_subjects`); without ``on``, on
        the agreement's own date (:func:`judged_on`: today if it is still in force, else its last day).
        Only a cooperation agreement (samarbeidsavtale) has to cover the subjects, so for every other kind
        this returns an empty tuple: a sub-agreement covers a few subjects on purpose, and inter-municipal
        and voluntary agreements are not under § 6-2.  To judge a main agreement together with its
        sub-agreements, use :func:`coverage`.
        """
        if self.kind is not AgreementKind.COOPERATION_AGREEMENT:
            return ()
        day = on if on is not None else judged_on([self])
        return tuple(subject for subject in required_subjects(day) if subject not in self.subjects)

    def is_valid_on(self, day: dt.date) -> bool:
        """Whether the agreement is in force on ``day`` (both ends inclusive)."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def judged_on(agreements: Iterable[Agreement], *, today: dt.date | None = None) -> dt.date:
    """The day agreements are judged on when no day is given: their own date.

    That is ``today`` (default: the current date) if one of them is still in force then, otherwise the
    last day one of them was in force.  So an agreement that ended in 2021 is judged by the eleven
    subjects of 2021, and one still in force by the law as it stands now.
    """
    now = today if today is not None else dt.date.today()
    ends = [a.valid_to for a in agreements]
    if not ends:
        return now
    if any(end is None or end >= now for end in ends):
        return now
    return max(end for end in ends if end is not None)


def coverage(agreements: Iterable[Agreement], *, on: dt.date | None = None) -> dict[StatutorySubject, bool]:
    """Which § 6-2 subjects a main agreement and its sub-agreements cover together.

    The agreements are judged against the subjects in force on ``on`` (:func:`subjects_in_force`): nos.
    1–11 before 1 August 2022, nos. 1–13 from then.  Without ``on`` they are judged on their own date
    (:func:`judged_on`).  Only cooperation agreements and sub-agreements count; inter-municipal and
    voluntary agreements in the input are ignored.  With ``on``, only agreements in force on that day
    count.  A sub-agreement whose ``parent`` is not among the cooperation agreements given raises
    :class:`ValidationError`, because it most likely belongs to another municipality's agreement; when no
    cooperation agreement is given at all, the sub-agreements are combined on their own.

    Between 1 August 2022 and 30 June 2023 nos. 12 and 13 are in force but not yet required of the
    agreements; :func:`required_subjects` of the same day tells which the agreements had to cover.

    :returns: every subject in force on the day, in the order of the law, mapped to whether some agreement
        covers it.
    """
    agreements = list(agreements)
    relevant = [
        agreement
        for agreement in agreements
        if agreement.kind in (AgreementKind.COOPERATION_AGREEMENT, AgreementKind.SUB_AGREEMENT)
        and (on is None or agreement.is_valid_on(on))
    ]
    main_ids = {a.id for a in relevant if a.kind is AgreementKind.COOPERATION_AGREEMENT}
    if main_ids:
        for agreement in relevant:
            if agreement.parent is not None and agreement.parent not in main_ids:
                raise ValidationError(
                    f"coverage: sub-agreement {agreement.id!r} belongs to {agreement.parent!r}, which is not "
                    f"among the cooperation agreements given ({', '.join(sorted(main_ids))})"
                )
    covered = frozenset().union(*(a.subjects for a in relevant))
    day = on if on is not None else judged_on(relevant or agreements)
    return {subject: subject in covered for subject in subjects_in_force(day)}
