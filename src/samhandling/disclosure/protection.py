"""Protecting a publication: primary and secondary suppression, rates that follow, the record of it.

:func:`protect` takes the tables of one publication (and, as ``context``, counts that are not
published but that published rates are computed from) and returns them with every cell that would
reveal a small count of people set to no value and status ``:`` — SSB's "vises ikke av
konfidensialitetshensyn".  Every table's metadata says what was done (``extra["disclosure"]``): the
rules, how many cells were suppressed and why.  The input tables are not changed.
"""

from __future__ import annotations

import logging
import time
import typing
from collections.abc import Mapping, Sequence
from typing import Any, overload

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.disclosure.cells import Publication, build_publication
from samhandling.disclosure.primary import contributor_cells, primary_cells, small
from samhandling.disclosure.rules import DisclosureRules
from samhandling.disclosure.secondary import SecondaryResult, protect_block
from samhandling.tables import Provenance, StatTable, Status

if typing.TYPE_CHECKING:
    from samhandling.geography import Geography

__all__ = [
    "DISCLOSURE_KEY",
    "METHOD",
    "Protection",
    "ProtectionSummary",
    "mark_unprotected",
    "protect",
    "protect_publication",
]

logger = logging.getLogger("samhandling.disclosure")

#: The key of a table's ``meta.extra`` where protection is recorded.
DISCLOSURE_KEY = "disclosure"
#: The ``source`` of the provenance entry that records protection.
PROVENANCE_SOURCE = "samhandling.disclosure"
#: The secondary-suppression method, as recorded in the metadata.
METHOD = "hypercube certificates (Repsilber), checked against every sum of the publication"


@typing.final
@attrs.frozen(kw_only=True)
class ProtectionSummary:
    """What protection did to a publication: cells suppressed and why, per variable.

    ``primary``: small counts; ``secondary``: other cells hidden so that no small count can be worked
    out from the published ones; ``derived``: rate and share rows hidden because a count they are
    computed from is; ``rows``: table rows suppressed in all (a cell shared by two tables is one cell
    but two rows).
    """

    rules: DisclosureRules
    primary: int = 0
    secondary: int = 0
    derived: int = 0
    rows: int = 0
    cells: int = 0
    variables: tuple[str, ...] = ()
    by_variable: dict[str, dict[str, int]] = attrs.field(factory=dict)
    fallbacks: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as written under ``meta.extra["disclosure"]`` of every protected table."""
        return {
            "protected": True,
            "rules": self.rules.to_dict(),
            "rule": self.rules.describe(),
            "method": METHOD,
            "cells": self.cells,
            "suppressed": {
                "primary": self.primary,
                "secondary": self.secondary,
                "derived_rows": self.derived,
                "rows": self.rows,
            },
            "variables": list(self.variables),
            "by_variable": {k: dict(v) for k, v in self.by_variable.items()},
        }

    def describe(self) -> list[str]:
        """Sentences for a log, the command line or a report's sources section."""
        lines = [
            f"Disclosure control: {self.rules.describe()}.",
            f"{self.primary} cell(s) suppressed as small counts (primary), {self.secondary} more so that "
            f"no small count can be worked out from published cells and totals (secondary), "
            f"{self.derived} rate or share row(s) with them; {self.rows} row(s) in all.",
        ]
        if self.variables:
            lines.append(f"Person counts protected: {', '.join(self.variables)}.")
        return lines


@typing.final
@attrs.frozen(kw_only=True)
class Protection:
    """The protected tables of one publication, the summary, and the blocks (for checking)."""

    tables: tuple[StatTable, ...]
    summary: ProtectionSummary
    publication: Publication = attrs.field(repr=False)
    results: tuple[SecondaryResult, ...] = attrs.field(repr=False, default=())


def protect_publication(
    tables: Sequence[StatTable],
    *,
    rules: DisclosureRules | None = None,
    context: Sequence[StatTable] = (),
    geography: Geography | None = None,
) -> Protection:
    """Protect the tables of one publication together; see :func:`protect` for the rules."""
    rules = rules or DisclosureRules()
    start = time.perf_counter()
    publication = build_publication(list(tables), context=list(context), geography=geography)
    results: list[SecondaryResult] = []
    for block in publication.blocks:
        few = None
        contributor = rules.contributors.get(block.variable)
        if contributor is not None:
            few = contributor_cells(block, [*tables, *context], contributor, rules)
        primary = primary_cells(block, rules, few_people=few)
        results.append(protect_block(block, primary, rules))
    suppress: dict[int, dict[str, np.ndarray]] = {}
    by_variable: dict[str, dict[str, int]] = {}
    derived_rows = 0
    for link in publication.links:
        hidden = results[link.block].suppressed[link.cells]
        reasons = suppress.setdefault(link.table, {})
        rows = link.rows[hidden]
        key = "derived" if link.derived else "count"
        reasons[key] = np.concatenate([reasons.get(key, np.empty(0, np.int64)), rows])
        if link.derived:
            derived_rows += int(rows.size)
    for block, result in zip(publication.blocks, results, strict=True):
        stats = by_variable.setdefault(block.variable, {"primary": 0, "secondary": 0, "cells": 0})
        published = block.published
        stats["primary"] += int(np.count_nonzero(result.primary & published))
        stats["secondary"] += int(np.count_nonzero(result.secondary & published))
        stats["cells"] += int(np.count_nonzero(published))
    independent_primary = 0
    for table_index, rows in publication.independent:
        table = publication.tables[table_index]
        values = pc.fill_null(table.arrow.column("value"), np.nan).to_numpy(zero_copy_only=False)[rows]
        hit = rows[small(values.astype(float), rules)]
        reasons = suppress.setdefault(table_index, {})
        reasons["count"] = np.concatenate([reasons.get("count", np.empty(0, np.int64)), hit])
        independent_primary += int(hit.size)
        names = table.arrow.column("variable").cast(pa.string()).to_numpy(zero_copy_only=False)[hit]
        for name in names.tolist():
            stats = by_variable.setdefault(str(name), {"primary": 0, "secondary": 0, "cells": 0})
            stats["primary"] += 1
    total_rows = sum(int(np.unique(np.concatenate(list(r.values()))).size) for r in suppress.values() if r)
    summary = ProtectionSummary(
        rules=rules,
        primary=sum(v["primary"] for v in by_variable.values()),
        secondary=sum(v["secondary"] for v in by_variable.values()),
        derived=derived_rows,
        rows=total_rows,
        cells=sum(v["cells"] for v in by_variable.values()),
        variables=tuple(sorted(by_variable)),
        by_variable=by_variable,
        fallbacks=sum(r.fallbacks for r in results),
        seconds=time.perf_counter() - start,
    )
    out = []
    for index, table in enumerate(publication.tables):
        reasons = suppress.get(index, {})
        rows = np.unique(np.concatenate(list(reasons.values()))) if reasons else np.empty(0, np.int64)
        out.append(_suppressed(table, rows, summary))
    for line in summary.describe():
        logger.info(line)
    return Protection(tables=tuple(out), summary=summary, publication=publication, results=tuple(results))


def _record(table: StatTable, note: str) -> tuple[Provenance, ...]:
    """The table's provenance with one more entry saying how it was protected (every exporter writes it)."""
    entry = Provenance(source=PROVENANCE_SOURCE, location="disclosure control", note=note)
    kept = tuple(p for p in table.meta.provenance if p.source != PROVENANCE_SOURCE)
    return (*kept, entry)


def _suppressed(table: StatTable, rows: np.ndarray, summary: ProtectionSummary) -> StatTable:
    """The table with ``rows`` set to no value and status ``:``, and the protection recorded."""
    arrow = table.arrow
    record = {**summary.to_dict(), "rows_in_table": int(rows.size)}
    extra = {**table.meta.extra, DISCLOSURE_KEY: record}
    note = (
        f"{summary.rules.describe()}; {int(rows.size)} row(s) of this table suppressed "
        f"({summary.primary} small count(s) and {summary.secondary} secondary cell(s) in the publication)"
    )
    provenance = _record(table, note)
    if not rows.size:
        return table.with_arrow(arrow, extra=extra, provenance=provenance)
    mask = np.zeros(arrow.num_rows, bool)
    mask[rows] = True
    hit = pa.array(mask)
    status = arrow.column("status").cast(pa.string())
    keep = pc.and_(
        pc.is_valid(status), pc.not_equal(pc.fill_null(status, ""), Status.NOTHING_TO_REPORT.value)
    )
    new_status = pc.if_else(
        pc.and_(hit, pc.invert(pc.fill_null(keep, False))), Status.SUPPRESSED.value, status
    )
    new_value = pc.if_else(hit, pa.scalar(None, pa.float64()), arrow.column("value"))
    arrow = arrow.set_column(arrow.column_names.index("value"), "value", new_value)
    arrow = arrow.set_column(arrow.column_names.index("status"), "status", new_status)
    return table.with_arrow(arrow, extra=extra, provenance=provenance)


@overload
def protect(
    tables: StatTable,
    *,
    threshold: int | None = ...,
    rules: DisclosureRules | None = ...,
    context: Sequence[StatTable] = ...,
    geography: Geography | None = ...,
) -> StatTable: ...
@overload
def protect(
    tables: Mapping[str, StatTable],
    *,
    threshold: int | None = ...,
    rules: DisclosureRules | None = ...,
    context: Sequence[StatTable] = ...,
    geography: Geography | None = ...,
) -> dict[str, StatTable]: ...
@overload
def protect(
    tables: Sequence[StatTable],
    *,
    threshold: int | None = ...,
    rules: DisclosureRules | None = ...,
    context: Sequence[StatTable] = ...,
    geography: Geography | None = ...,
) -> list[StatTable]: ...
def protect(
    tables: StatTable | Sequence[StatTable] | Mapping[str, StatTable],
    *,
    threshold: int | None = None,
    rules: DisclosureRules | None = None,
    context: Sequence[StatTable] = (),
    geography: Geography | None = None,
) -> StatTable | list[StatTable] | dict[str, StatTable]:
    """Protect a table, or the tables of one publication, for publishing.

    Counts of people (variables marked ``counts_people``) from 1 to ``threshold - 1`` are suppressed,
    then enough other cells that none of them can be worked out from what is published — across the
    dimensions, margins and levels of every table given, which are protected as one publication because
    they share cells and totals.  Rates and shares computed from a suppressed count are suppressed too.
    Suppressed rows get no value and status ``:``; ``meta.extra["disclosure"]`` records what was done.
    The tables given are not changed::

        import samhandling as sh

        published = sh.protect(admissions)                        # one table
        county, national = sh.protect([county, national])         # one publication
        rates = sh.protect(rates, context=[counts])               # counts behind the rates

    :param tables: a StatTable, a list of them, or a dict of them; the result has the same shape.
    :param threshold: the smallest count that may be published (default 3; see :class:`DisclosureRules`).
    :param rules: all the rules at once (``threshold`` overrides its threshold).
    :param context: tables that are not published but that published rates are computed from (and
        that tell what parts a published total is made of).
    :raises DisclosureError: the tables cannot be protected as they are (the message says why).
    """
    chosen = rules or DisclosureRules()
    if threshold is not None:
        chosen = attrs.evolve(chosen, threshold=threshold)
    if isinstance(tables, StatTable):
        return protect_publication([tables], rules=chosen, context=context, geography=geography).tables[0]
    if isinstance(tables, Mapping):
        names = list(tables)
        result = protect_publication(
            [tables[n] for n in names], rules=chosen, context=context, geography=geography
        )
        return dict(zip(names, result.tables, strict=True))
    return list(protect_publication(list(tables), rules=chosen, context=context, geography=geography).tables)


def mark_unprotected(table: StatTable, reason: str, *, log: bool = True) -> StatTable:
    """Record in a table's metadata that it was written *without* disclosure control (and log it)."""
    if log:
        logger.warning(
            "disclosure control is OFF for %s: %s", table.meta.title or table.source or "a table", reason
        )
    note = f"NOT PROTECTED for publication: {reason}"
    record = {"protected": False, "note": note}
    return table.with_arrow(
        table.arrow, extra={**table.meta.extra, DISCLOSURE_KEY: record}, provenance=_record(table, note)
    )
