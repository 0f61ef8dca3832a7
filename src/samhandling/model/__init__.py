"""The typed domain model: who and what the statistics are about.

Domain objects describe the world of samhandling – areas (:class:`Municipality`, :class:`District`,
:class:`DPS`, :class:`Catchment` …), kinds of service and concrete services, target groups
(målgrupper), the cooperation agreements between municipalities and health trusts with the subjects
of helse- og omsorgstjenesteloven § 6-2 as the law stood on a given day (eleven until 31 July 2022,
thirteen from 1 August 2022), joint teams and the specialist-care units admissions
are counted by.

They are small, frozen ``attrs`` value objects: codes are checked when an object is made, collections
are tuples, and a bad value raises :class:`samhandling.errors.ValidationError` naming the class, the field,
the value found and what was expected.  Quantities that describe an object (a team member's
stillingsprosent, a unit's places) are pint quantities from :mod:`samhandling.units`.

Numbers that are *observed* – admissions per month, FTEs per municipality per year, bed-days – do not
live here.  They live in StatTables (:mod:`samhandling.tables`), keyed by the codes these objects carry.
"""

from __future__ import annotations

from samhandling.model.agreements import (
    Agreement,
    AgreementKind,
    Party,
    PartyKind,
    StatutorySubject,
    coverage,
    required_subjects,
    subjects_in_force,
)
from samhandling.model.areas import (
    DPS,
    Catchment,
    CatchmentKind,
    County,
    District,
    HealthRegion,
    HealthTrust,
    Municipality,
)
from samhandling.model.care_units import CareUnit, UnitType
from samhandling.model.services import BUILTIN_SERVICE_KINDS, Service, ServiceKind, ServiceLevel
from samhandling.model.target_groups import BUILTIN_TARGET_GROUPS, TargetGroup
from samhandling.model.teams import Position, Team

__all__ = [
    "BUILTIN_SERVICE_KINDS",
    "BUILTIN_TARGET_GROUPS",
    "DPS",
    "Agreement",
    "AgreementKind",
    "CareUnit",
    "Catchment",
    "CatchmentKind",
    "County",
    "District",
    "HealthRegion",
    "HealthTrust",
    "Municipality",
    "Party",
    "PartyKind",
    "Position",
    "Service",
    "ServiceKind",
    "ServiceLevel",
    "StatutorySubject",
    "TargetGroup",
    "Team",
    "UnitType",
    "coverage",
    "required_subjects",
    "subjects_in_force",
]
