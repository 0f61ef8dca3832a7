"""The sections of the yearly report, one module each.

Each ``*_section`` function computes what its part of the report shows from the (already harmonised)
inputs with the library's own building blocks (:func:`samhandling.aggregate.roll_up`,
:func:`samhandling.aggregate.per_10000`, :func:`samhandling.model.coverage`,
:func:`samhandling.checks.run_checks`), records the data behind every chart and table as a
:class:`~samhandling.report.context.DataSet` and returns a
:class:`~samhandling.report.document.Section` of formatted blocks with text from the message catalogue
(:mod:`samhandling.report.messages`).

=====================  ===========================================================================
module                 part of the report
=====================  ===========================================================================
``summary``            Sammendrag: the key figures
``fte``                Årsverk: the national headline, change and coverage
``services``           Årsverk etter tiltak
``competence``         Kompetanse og yrkesgrupper
``areas``              Årsverk etter område: health region, county, health trust, DPS, size group
``variation``          Variasjon mellom kommunene: ranked dots and funnel plots
``municipalities``     Kommunetabell
``users``              Brukere
``admissions``         Innleggelser
``ohd``                Øyeblikkelig hjelp døgnopphold og interkommunale ordninger
``agreements``         Samarbeidsavtaler
``teams``              Samhandlingsteam
``quality``            Vedlegg: kvalitetskontroll
=====================  ===========================================================================
"""

from __future__ import annotations

from samhandling.report.context import DataSet, ReportContext
from samhandling.report.sections.admissions import (
    ALL_UNIT_TYPES,
    AdmissionTables,
    admission_tables,
    admissions_by_unit_type,
    admissions_section,
)
from samhandling.report.sections.agreements import agreements_section, municipality_coverage
from samhandling.report.sections.areas import areas_section
from samhandling.report.sections.competence import competence_section, competence_shares, complete_answers
from samhandling.report.sections.fte import FteData, fte_data, fte_rates, fte_section
from samhandling.report.sections.municipalities import municipality_section
from samhandling.report.sections.ohd import ohd_beds, ohd_section
from samhandling.report.sections.quality import CHECK_OPTIONS, findings_section, run_quality_checks
from samhandling.report.sections.services import services_section
from samhandling.report.sections.summary import summary_section
from samhandling.report.sections.teams import team_outcomes, teams_section
from samhandling.report.sections.users import user_tables, users_section
from samhandling.report.sections.variation import variation_section
from samhandling.report.survey import fte_by_target_group

__all__ = [
    "ALL_UNIT_TYPES",
    "CHECK_OPTIONS",
    "AdmissionTables",
    "DataSet",
    "FteData",
    "ReportContext",
    "admission_tables",
    "admissions_by_unit_type",
    "admissions_section",
    "agreements_section",
    "areas_section",
    "competence_section",
    "competence_shares",
    "complete_answers",
    "findings_section",
    "fte_by_target_group",
    "fte_data",
    "fte_rates",
    "fte_section",
    "municipality_coverage",
    "municipality_section",
    "ohd_beds",
    "ohd_section",
    "run_quality_checks",
    "services_section",
    "summary_section",
    "team_outcomes",
    "teams_section",
    "user_tables",
    "users_section",
    "variation_section",
]
