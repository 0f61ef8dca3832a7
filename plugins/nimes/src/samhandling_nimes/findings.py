"""Quality findings found while reading: totals that do not add up, unknown units and areas.

A NIMES table states a total for every unit row and for every municipality block.  When the stated
total and the sum of the parts differ, the reader neither fails nor corrects anything: it keeps the
numbers as printed and records a :class:`~samhandling.checks.Finding` naming the municipality, the unit
and both numbers.

Findings travel with the table in its metadata (``table.meta.extra["findings"]``), so they survive
Parquet and are seen by ``samhandling check``: the check ``nimes`` registered by this plugin returns
them.  :func:`findings` reads them back as Finding objects.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any

import attrs

from samhandling.checks import CheckContext, Finding, Severity
from samhandling.tables import StatTable

__all__ = ["FINDINGS_KEY", "RULES", "StoredFindingsCheck", "findings", "findings_to_extra"]

#: Key of the findings in ``TableMeta.extra``.
FINDINGS_KEY = "findings"

#: The rules this plugin reports, with what each means.
RULES: dict[str, str] = {
    "nimes_row_total": "a unit row's stated total differs from the sum of its months",
    "nimes_block_month_total": "a block's total row differs, for one month, from the sum of the unit rows",
    "nimes_block_total": "a block's grand total differs from the sum of the unit rows",
    "nimes_suppressed_total": "a row with suppressed cells sums to more than its stated total",
    "nimes_months_not_covered": "the table reports fewer than twelve months",
    "nimes_unknown_unit": "a unit code is in no unit catalogue (kept with unit_type 'unknown')",
    "nimes_unknown_region": "a municipality code does not exist in the table's geography year",
}


def findings_to_extra(found: Iterable[Finding]) -> list[dict[str, Any]]:
    """Findings as JSON-ready dictionaries for ``TableMeta.extra``."""
    rows = []
    for finding in found:
        rows.append(
            {
                "rule": finding.rule,
                "severity": str(finding.severity),
                "message": finding.message,
                "region": finding.region,
                "variable": finding.variable,
                "year": finding.year,
                "values": dict(finding.values),
                "location": finding.location,
            }
        )
    return rows


def findings(table: StatTable) -> list[Finding]:
    """The findings recorded when ``table`` was read (empty when everything added up)."""
    stored = table.meta.extra.get(FINDINGS_KEY, [])
    return [
        Finding(
            rule=row["rule"],
            severity=Severity(row.get("severity", "warning")),
            message=row["message"],
            region=row.get("region"),
            variable=row.get("variable"),
            year=row.get("year"),
            values=row.get("values") or {},
            location=row.get("location"),
        )
        for row in stored
    ]


@typing.final
@attrs.frozen
class StoredFindingsCheck:
    """The check ``nimes``: returns the findings recorded when a NIMES table was read."""

    name: str = "nimes"
    description: str = (
        "Findings recorded while reading NIMES admission tables and stay extracts: row and block totals "
        "that do not add up, unknown units and unknown municipality codes."
    )

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Return the recorded findings of ``table`` (none for tables from other sources)."""
        return findings(table)
