"""The variables of the IS-24/8 survey and the codes of its two dimensions.

The ids are shared with the rest of samhandling (the yearly report reads them), so they are the same
in every survey year however the file's headers are worded.  FTEs (``fte``) carry two dimensions:
``profession`` (education/profession of the staff) and ``target_group`` (adults; children and young
people).  The survey does not cross the two, so a row has a profession *or* a target group, the other
being ``total``.
"""

from __future__ import annotations

from samhandling.tables import Variable

__all__ = [
    "HIGHER_EDUCATION_PROFESSIONS",
    "PROFESSIONS",
    "PROFESSION_LABELS",
    "SURVEY_VARIABLES",
    "TARGET_GROUPS",
    "TARGET_GROUP_LABELS",
    "TOTAL",
    "YES_NO_VARIABLES",
]

#: The dimension value of a row that covers all professions or all target groups.
TOTAL = "total"

#: Profession codes (column ``profession``) with the Norwegian label analysts know them by.
PROFESSION_LABELS: dict[str, str] = {
    "nurse_specialised": "Sykepleiere med videreutdanning i psykisk helse- og/eller rusarbeid",
    "nurse_other": "Andre sykepleiere",
    "social_worker": "Sosionomer",
    "child_welfare_officer": "Barnevernspedagoger",
    "social_educator": "Vernepleiere",
    "occupational_therapist": "Ergoterapeuter",
    "psychologist": "Psykologer",
    "physician": "Leger",
    "experience_consultant": "Erfaringskonsulenter",
    "other_higher_education": "Andre med høyere utdanning",
    "no_higher_education": "Ansatte uten høyere utdanning",
    TOTAL: "Årsverk i alt",
}

#: Every profession code except ``total``, in the order of the survey form.
PROFESSIONS: tuple[str, ...] = tuple(code for code in PROFESSION_LABELS if code != TOTAL)

#: Professions whose FTEs count as "with higher education" (all but ``no_higher_education``).
#: Experience consultants are hired for their lived experience and the form does not ask what
#: education they have, so their FTEs do not count as higher education.
HIGHER_EDUCATION_PROFESSIONS: tuple[str, ...] = tuple(
    code for code in PROFESSIONS if code not in {"no_higher_education", "experience_consultant"}
)

#: Target-group codes (column ``target_group``).
TARGET_GROUP_LABELS: dict[str, str] = {
    "adults": "Voksne (18 år og eldre)",
    "children_young": "Barn og unge (0–17 år)",
    TOTAL: "I alt",
}

TARGET_GROUPS: tuple[str, ...] = tuple(code for code in TARGET_GROUP_LABELS if code != TOTAL)

_YES_NO = "dimensionless"

#: Yes/no answers, stored as 1 (ja) and 0 (nei); summing them counts municipalities answering yes.
YES_NO_VARIABLES: tuple[Variable, ...] = (
    Variable(
        id="ohd_offer_mental_health_substance_use",
        unit=_YES_NO,
        additive=True,
        label="Tilbud om øyeblikkelig hjelp døgnopphold (ØHD) for psykisk helse og rus",
        description="The municipality offers emergency 24-hour beds (§ 3-5) to people with mental-health "
        "or substance-use problems (1 = yes, 0 = no).",
    ),
    Variable(
        id="agreement_voluntary_organisations",
        unit=_YES_NO,
        additive=True,
        label="Samarbeidsavtale med frivillige organisasjoner",
        description="A binding cooperation agreement with voluntary organisations (1 = yes, 0 = no).",
    ),
    Variable(
        id="uses_individual_plan",
        unit=_YES_NO,
        additive=True,
        label="Bruker individuell plan",
        description="Individual care plans (individuell plan) are in use (1 = yes, 0 = no).",
    ),
    Variable(
        id="uses_coordinator",
        unit=_YES_NO,
        additive=True,
        label="Bruker koordinator",
        description="Coordinators (koordinator) are appointed for users who need them (1 = yes, 0 = no).",
    ),
    Variable(
        id="uses_responsibility_group",
        unit=_YES_NO,
        additive=True,
        label="Bruker ansvarsgrupper",
        description="Responsibility groups (ansvarsgrupper) are in use (1 = yes, 0 = no).",
    ),
    Variable(
        id="low_threshold_offer",
        unit=_YES_NO,
        additive=True,
        label="Lavterskeltilbud",
        description="A low-threshold offer without referral (lavterskeltilbud) exists (1 = yes, 0 = no).",
    ),
)

#: Every variable a survey file is read into (the catalogue the plugin registers).
SURVEY_VARIABLES: tuple[Variable, ...] = (
    Variable(
        id="fte",
        unit="årsverk",
        additive=True,
        label="Årsverk i psykisk helse- og rusarbeid",
        description="Full-time equivalents in municipal mental-health and substance-use work, by "
        "profession (column profession) or by target group (column target_group).",
    ),
    Variable(
        id="fte_higher_education",
        unit="årsverk",
        additive=True,
        label="Årsverk med høyere utdanning",
        description="FTEs held by staff with a university or college degree (all professions but "
        "'no_higher_education' and 'experience_consultant'); computed from the professions unless the "
        "file reports it.",
    ),
    Variable(
        id="fte_relevant_further_education",
        unit="årsverk",
        additive=True,
        label="Årsverk med relevant videreutdanning",
        description="FTEs held by staff with further education in mental-health or substance-use work.",
    ),
    Variable(
        id="fte_share_higher_education",
        unit="percent",
        additive=False,
        numerator="fte_higher_education",
        denominator="fte",
        scale=100.0,
        label="Andel årsverk med høyere utdanning",
        description="Share of all FTEs held by staff with higher education, in percent.",
    ),
    Variable(
        id="fte_share_relevant_further_education",
        unit="percent",
        additive=False,
        numerator="fte_relevant_further_education",
        denominator="fte",
        scale=100.0,
        label="Andel årsverk med relevant videreutdanning (kompetansenivå)",
        description="Share of all FTEs held by staff with further education in mental-health or "
        "substance-use work, in percent (the competence level).",
    ),
    *YES_NO_VARIABLES,
    Variable(
        id="users",
        unit="bruker",
        additive=True,
        label="Antall brukere",
        description="Users who received mental-health or substance-use services, by target group.",
        counts_people=True,
    ),
)
