"""samhandling-nimes: admissions to specialist mental-health and substance-use care.

Two kinds of files, two sources:

``nimes-monthly``
    monthly admission tables per home municipality as they are exchanged (CSV, XLSX): one block per
    municipality, one row per unit, a column per month and a total column.  Totals are checked; a
    mismatch becomes a finding (:func:`findings`), never an error and never a silent correction.
``nimes-stays``
    patient-level extracts (CSV, Parquet, or a folder of them), one row per stay or contact, aggregated
    batch by batch to admissions, bed-days, patients, acute admissions, involuntary stays and 30-day
    readmissions per municipality × month × unit, and — where the extract has a care-level column
    (omsorgsnivå) — day treatments, outpatient contacts and their patients; optionally split by the
    diagnosis group of the main diagnosis.  A partitioned extract is aggregated partition by partition
    and combined (:func:`aggregate_partitions`, :func:`combine_aggregates`).

plus a unit catalogue (:func:`unit_lookup`, extended through ``samhandling_register_care_units``) and a
before/after outcome series for evaluating a cooperation team (:func:`before_after`)::

    import samhandling as sh
    import samhandling_nimes as nimes

    table = sh.read("ringerike-2011.xlsx", source="nimes-monthly")
    nimes.findings(table)                       # totals that do not add up
    stays = nimes.aggregate_stays("stays.parquet", harmonise_to=2024)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from samhandling.hookspecs import hookimpl
from samhandling.registry import Registrar
from samhandling.tables import StatTable
from samhandling_nimes.catalogue import (
    UNIT_TYPE_LABELS,
    UNKNOWN_UNIT_TYPE,
    UnitLookup,
    builtin_care_units,
    load_care_units,
    unit_lookup,
)
from samhandling_nimes.codes import CARE_LEVELS, DIAGNOSIS_GROUPS, code_list, diagnosis_groups
from samhandling_nimes.findings import RULES, StoredFindingsCheck, findings
from samhandling_nimes.monthly import looks_like_monthly_table, read_monthly
from samhandling_nimes.outcomes import before_after, summarise_before_after
from samhandling_nimes.partitions import aggregate_partitions, combine_aggregates, partitions_of
from samhandling_nimes.rollup import aggregate_stays_to
from samhandling_nimes.stays import (
    STAY_COLUMNS,
    StayAggregate,
    aggregate_stays,
    aggregate_stays_wide,
    looks_like_stay_extract,
)
from samhandling_nimes.variables import LEVEL_VARIABLES, STAY_VARIABLES, VARIABLES

__all__ = [
    "CARE_LEVELS",
    "DIAGNOSIS_GROUPS",
    "LEVEL_VARIABLES",
    "RULES",
    "STAY_COLUMNS",
    "STAY_VARIABLES",
    "UNIT_TYPE_LABELS",
    "UNKNOWN_UNIT_TYPE",
    "VARIABLES",
    "MonthlyTableSource",
    "StayAggregate",
    "StayExtractSource",
    "StoredFindingsCheck",
    "UnitLookup",
    "aggregate_partitions",
    "aggregate_stays",
    "aggregate_stays_to",
    "aggregate_stays_wide",
    "before_after",
    "builtin_care_units",
    "code_list",
    "combine_aggregates",
    "diagnosis_groups",
    "findings",
    "load_care_units",
    "partitions_of",
    "read_monthly",
    "summarise_before_after",
    "unit_lookup",
]

__version__ = "0.1.0"


@attrs.frozen
class MonthlyTableSource:
    """The source ``nimes-monthly``: monthly admission tables per home municipality (CSV, XLSX).

    Options are those of :func:`read_monthly`.
    """

    name: str = "nimes-monthly"
    description: str = (
        "NIMES monthly admission tables per home municipality (one block per municipality, one row per "
        "unit, a column per month and a total), CSV or XLSX; totals are checked"
    )

    def can_read(self, location: str | Path) -> bool:
        """True for a CSV/XLSX file with a row of month headers near the top."""
        return not _is_url(location) and looks_like_monthly_table(location)

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read ``location`` with :func:`read_monthly`."""
        return read_monthly(location, **options)


@attrs.frozen
class StayExtractSource:
    """The source ``nimes-stays``: stay-level extracts (CSV, Parquet or a folder of Parquet files).

    Options are those of :func:`aggregate_stays`.
    """

    name: str = "nimes-stays"
    description: str = (
        "Stay-level admission extracts (one row per stay: patient, home municipality, unit, dates, "
        "acute/planned, TPH) aggregated per municipality × month × unit"
    )

    def can_read(self, location: str | Path) -> bool:
        """True for a CSV or Parquet file (or folder) whose columns name patient, unit and dates."""
        return not _is_url(location) and looks_like_stay_extract(location)

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read ``location`` with :func:`aggregate_stays`."""
        return aggregate_stays(location, **options)


def _is_url(location: str | Path) -> bool:
    return isinstance(location, str) and "://" in location


@hookimpl
def samhandling_register_sources(register: Registrar) -> None:
    """Register the two NIMES sources."""
    register(MonthlyTableSource())
    register(StayExtractSource())


@hookimpl
def samhandling_select_source(location: str | Path, candidates: Sequence[Any]) -> Any | None:
    """Claim the files only this plugin understands, before broader CSV sources are asked.

    A stay extract (columns for patient, municipality, unit and dates) or a table with a row of month
    headers is read by the NIMES sources even when another source would also accept any CSV.
    """
    if _is_url(location):
        return None
    for candidate in candidates:
        if candidate.name in ("nimes-stays", "nimes-monthly") and isinstance(
            candidate, StayExtractSource | MonthlyTableSource
        ):
            try:
                if candidate.can_read(location):
                    return candidate
            except (OSError, ValueError):
                continue
    return None


@hookimpl
def samhandling_register_care_units(register: Registrar) -> None:
    """Register the built-in unit catalogue (with alias codes)."""
    for unit, aliases in builtin_care_units():
        register(unit, aliases=aliases)


@hookimpl
def samhandling_register_variables(register: Registrar) -> None:
    """Register the stay variables and those of day treatment and outpatient care."""
    for variable in VARIABLES:
        register(variable)


@hookimpl
def samhandling_register_checks(register: Registrar) -> None:
    """Register the check ``nimes`` that reports what the readers found."""
    register(StoredFindingsCheck())
