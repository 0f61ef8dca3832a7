"""The variables this plugin produces, with their units and how they may be combined.

Ids, units and additivity follow the shared contract of the samhandling sources, so the yearly report
and the aggregation functions know them without asking this plugin.  Admissions, patients, acute
admissions, involuntary stays, readmissions, day treatments, outpatient contacts and the patients behind
them count people (``counts_people``), so every publication suppresses their small counts; bed-days
measure length of stay and are not flagged.
"""

from __future__ import annotations

from samhandling.tables import Variable

__all__ = ["ADMISSIONS", "LEVEL_VARIABLES", "STAY_VARIABLES", "VARIABLES", "variables_for"]

ADMISSIONS = Variable(
    id="admissions",
    unit="opphold",
    additive=True,
    label="Innleggelser",
    description="Admissions (stays begun) in the month, counted by the patient's home municipality and unit.",
    counts_people=True,
)
BED_DAYS = Variable(
    id="bed_days",
    unit="liggedøgn",
    additive=True,
    label="Liggedøgn",
    description=(
        "Bed-days spent in the month: nights between admission and discharge date, split over the "
        "calendar months they fall in (a same-day stay has 0 bed-days)."
    ),
)
PATIENTS = Variable(
    id="patients",
    unit="pasient",
    additive=False,
    label="Pasienter",
    description=(
        "Distinct patients admitted in the month to the unit.  Not additive: a patient admitted to two "
        "units or in two months is counted in each."
    ),
    counts_people=True,
)
ACUTE_ADMISSIONS = Variable(
    id="acute_admissions",
    unit="opphold",
    additive=True,
    label="Akutte innleggelser",
    description="Admissions marked acute (øyeblikkelig hjelp) rather than planned.",
    counts_people=True,
)
INVOLUNTARY_STAYS = Variable(
    id="involuntary_stays",
    unit="opphold",
    additive=True,
    label="Opphold under tvungent psykisk helsevern",
    description="Stays begun in the month with the involuntary-care (TPH) flag set.",
    counts_people=True,
)
READMISSIONS_30D = Variable(
    id="readmissions_30d",
    unit="opphold",
    additive=True,
    label="Reinnleggelser innen 30 dager",
    description=(
        "Admissions that begin 1 to 30 days after the same patient's previous discharge (from any unit "
        "in the extract).  A stay that begins on or before that discharge day is a transfer, not a "
        "readmission."
    ),
    counts_people=True,
)

DAY_TREATMENTS = Variable(
    id="day_treatments",
    unit="opphold",
    additive=True,
    label="Dagbehandlinger",
    description=(
        "Day treatments (omsorgsnivå 2, dagbehandling) begun in the month, by the patient's home "
        "municipality and unit."
    ),
    counts_people=True,
)
DAY_PATIENTS = Variable(
    id="day_patients",
    unit="pasient",
    additive=False,
    label="Pasienter i dagbehandling",
    description=(
        "Distinct patients with day treatment in the month at the unit.  Not additive: a patient treated "
        "at two units or in two months is counted in each."
    ),
    counts_people=True,
)
OUTPATIENT_CONTACTS = Variable(
    id="outpatient_contacts",
    unit="konsultasjon",
    additive=True,
    label="Polikliniske konsultasjoner",
    description=(
        "Outpatient consultations and contacts (omsorgsnivå 3, poliklinisk konsultasjon/kontakt) in the "
        "month, by the patient's home municipality and unit."
    ),
    counts_people=True,
)
OUTPATIENT_PATIENTS = Variable(
    id="outpatient_patients",
    unit="pasient",
    additive=False,
    label="Pasienter med poliklinisk kontakt",
    description=(
        "Distinct patients with at least one outpatient contact in the month at the unit.  Not additive: "
        "a patient seen at two units or in two months is counted in each."
    ),
    counts_people=True,
)

#: The variables of stay-level extracts, in the order they are produced.
STAY_VARIABLES: tuple[Variable, ...] = (
    ADMISSIONS,
    BED_DAYS,
    PATIENTS,
    ACUTE_ADMISSIONS,
    INVOLUNTARY_STAYS,
    READMISSIONS_30D,
)
#: The variables of the other levels of care (omsorgsnivå), counted where the extract has a care-level column.
LEVEL_VARIABLES: tuple[Variable, ...] = (
    DAY_TREATMENTS,
    DAY_PATIENTS,
    OUTPATIENT_CONTACTS,
    OUTPATIENT_PATIENTS,
)
#: Every variable the plugin registers in the catalogue.
VARIABLES: tuple[Variable, ...] = (*STAY_VARIABLES, *LEVEL_VARIABLES)


def variables_for(ids: tuple[str, ...]) -> tuple[Variable, ...]:
    """The variables with these ids, in the order given (the error lists the known ids)."""
    known = {v.id: v for v in VARIABLES}
    unknown = [i for i in ids if i not in known]
    if unknown:
        from samhandling.errors import SchemaError

        raise SchemaError(f"unknown NIMES variable(s) {unknown}; known: {list(known)}")
    return tuple(known[i] for i in ids)
