"""Disclosure control in the report: one seam every table of people counts goes through.

A section computes its tables, hands the ones it will write and show to :func:`publish` (through
``ReportContext.publish``) together with the counts behind its rates, and renders from what comes
back.  Everything published in one report is one publication.  Before the data files are written,
:func:`check_datasets` refuses any data set that holds counts of people and did not pass the seam, so a
new section cannot publish small counts by forgetting it.  Quality findings about counts of people lose
their figures (:func:`redact_findings`), and the legend explains ``:``.
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Iterable, Sequence

import attrs

from samhandling.disclosure.cells import declared_variables, variable_kind
from samhandling.disclosure.protection import DISCLOSURE_KEY, mark_unprotected, protect_publication
from samhandling.disclosure.rules import DisclosureRules
from samhandling.errors import ExportError
from samhandling.report.document import Note
from samhandling.report.messages import label, labels, msg
from samhandling.tables import StatTable, Status

if typing.TYPE_CHECKING:
    from samhandling.checks import Finding
    from samhandling.report.sections import DataSet, ReportContext

__all__ = ["check_datasets", "protection_lines", "publish", "redact_findings", "symbol_notes"]

logger = logging.getLogger("samhandling.report")

#: Why a report may be built without disclosure control (written into every data file and the HTML).
INTERNAL_USE = "built with --no-disclosure-control for internal use; small counts of people are shown"


def publish(
    ctx: ReportContext, tables: Sequence[StatTable], context: Sequence[StatTable] = ()
) -> list[StatTable]:
    """The tables as the report may publish them: protected together, or marked as not protected."""
    if ctx.disclosure is None:
        return [mark_unprotected(t, INTERNAL_USE, log=False) for t in tables]  # build_report logs it
    protection = protect_publication(
        list(tables), rules=ctx.disclosure, context=list(context), geography=ctx.geography
    )
    ctx.protections.append(protection.summary)
    return list(protection.tables)


def protection_lines(ctx: ReportContext) -> list[str]:
    """What the report says about its protection (sources section, notes, the command line)."""
    if ctx.disclosure is None:
        return [msg("protection.unprotected")]
    rules = ctx.disclosure
    primary = sum(s.primary for s in ctx.protections)
    secondary = sum(s.secondary for s in ctx.protections)
    derived = sum(s.derived for s in ctx.protections)
    low = 0 if rules.protect_zeros else 1
    return [
        msg(
            "protection.summary",
            low=low,
            high=rules.threshold - 1,
            primary=primary,
            secondary=secondary,
            derived=derived,
        )
    ]


def protection_notes(ctx: ReportContext) -> list[Note]:
    """The note a section with counts of people shows about protection."""
    kind = "warning" if ctx.disclosure is None else "info"
    return [Note(text=line, kind=kind) for line in protection_lines(ctx)]


def symbol_notes(rules: DisclosureRules | None) -> list[tuple[str, str]]:
    """The legend: SSB's symbols, with ``:`` spelled out for this report's threshold."""
    notes = []
    for status in Status:
        text = label("status", status.value) if status.value in labels("status") else status.label
        if status is Status.SUPPRESSED and rules is not None:
            text = msg("protection.suppressed_symbol", text=text, threshold=rules.threshold)
        notes.append((status.value, text))
    return notes


def _person_variables(tables: Iterable[StatTable]) -> set[str]:
    found: set[str] = set()
    everything = list(tables)
    declared = declared_variables(everything)
    for table in everything:
        for variable_id in table.variable_ids():
            kind, _parts = variable_kind(variable_id, table, declared)
            if kind != "other":
                found.add(variable_id)
    return found


def check_datasets(datasets: Sequence[DataSet]) -> None:
    """Refuse data sets with counts of people that did not go through :func:`publish`."""
    tables = [d.table for d in datasets if isinstance(d.table, StatTable)]
    people = _person_variables(tables)
    for dataset in datasets:
        table = dataset.table
        if not isinstance(table, StatTable) or DISCLOSURE_KEY in table.meta.extra:
            continue
        found = sorted(people & set(table.variable_ids()))
        if found:
            raise ExportError(
                f"report data set {dataset.name!r} holds counts of people ({', '.join(found)}) that were "
                f"not protected: pass its tables through ReportContext.publish() before adding them"
            )


def redact_findings(
    findings: Sequence[tuple[str, Finding]], tables: Iterable[StatTable]
) -> list[tuple[str, Finding]]:
    """Findings about counts of people without their figures (messages and values can quote them)."""
    people = _person_variables(tables)
    out = []
    for role, finding in findings:
        if finding.variable in people:
            finding = attrs.evolve(
                finding,
                message=(
                    f"{finding.rule}: a finding about {finding.variable}; its figures are left out because "
                    f"the report does not publish small counts of people"
                ),
                values={},
            )
        out.append((role, finding))
    return out


def log_lines(lines: Iterable[str]) -> None:
    """Write the protection lines to the report's log."""
    for line in lines:
        logger.info(line)


def require_rules(value: DisclosureRules | bool | None) -> DisclosureRules | None:
    """``True``/``None`` → the default rules; ``False`` → no protection (logged by the caller)."""
    if value is True or value is None:
        return DisclosureRules()
    if value is False:
        return None
    if isinstance(value, DisclosureRules):
        return value
    raise ExportError(f"protection: expected True, False or DisclosureRules, got {value!r}")
