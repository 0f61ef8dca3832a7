"""Coverage of sums: how many of the areas a total is made of had data, and what to do when some had none.

A health-trust value built from 4 of its 21 municipalities is not that health trust's value.  Rolling up
(and harmonising a merger) therefore checks, for every total, which of its member areas the table holds:
per year and variable, a member *has data* when the table has at least one row for it (any status, any
month or category).  A total with members missing is *partial*; the ``partial`` option decides:

``"missing"`` (default)
    the total is not given: value empty, status ``..`` (not available) — or stronger if a part had one
    (a suppressed part keeps it ``:``).  A partial sum is never presented as the total.
``"keep"``
    the partial sum is kept; the coverage says it is partial.
``"error"``
    :class:`~samhandling.errors.SchemaError` naming the totals and their missing members.

The coverage travels in the result's metadata, ``meta.extra["coverage"]``: the operation and level, the
number of members of every total, and each partial total with its year, variable, how many members had
data and which were missing.  :func:`coverage_table` turns it into a table.

Some tables leave a row out when its count is zero — a stay-level extract aggregated by home
municipality has no row for a municipality with no stays.  For them an absent member is a zero, not a
gap: a source that builds such tables sets ``meta.extra["absent_rows_mean_zero"] = True``
(:data:`ABSENT_ROWS_MEAN_ZERO`), and no total of theirs is partial.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import SchemaError
from samhandling.tables import StatTable, Variable, status_type

__all__ = [
    "ABSENT_ROWS_MEAN_ZERO",
    "PARTIAL_RULES",
    "Partial",
    "apply_partial",
    "coverage_table",
    "present_members",
]

#: The ``meta.extra`` flag of a table in which a missing row means a count of zero (see above).
ABSENT_ROWS_MEAN_ZERO = "absent_rows_mean_zero"

Partial = Literal["missing", "keep", "error"]
#: The values the ``partial`` option takes.
PARTIAL_RULES: tuple[str, ...] = ("missing", "keep", "error")
_SHOWN = 20


def check_rule(value: str, operation: str) -> Partial:
    """``value`` if it is a partial rule, else SchemaError naming the operation."""
    if value not in PARTIAL_RULES:
        raise SchemaError(f"{operation}: partial must be one of {list(PARTIAL_RULES)}, not {value!r}")
    return value  # type: ignore[return-value]


def _plain_strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(column.type):
        return column
    return pc.dictionary_encode(column.cast(pa.string()))


def _codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[Any]]:
    """Per row, an index into a list of distinct values — from the dictionary when there is one."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if chunks and all(pa.types.is_dictionary(c.type) for c in chunks):
        first = chunks[0].dictionary
        if all(c.dictionary.equals(first) for c in chunks[1:]):
            indices = [c.indices.to_numpy(zero_copy_only=False) for c in chunks]
            joined = np.concatenate(indices) if len(indices) > 1 else indices[0]
            return joined.astype(np.int64, copy=False), first.to_pylist()
    encoded = _plain_strings(column)
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary.to_pylist()


def present_members(
    table: pa.Table, *, region_index: np.ndarray | None = None, regions: Sequence[str] | None = None
) -> dict[tuple[int, str], set[str]]:
    """For every (year, variable) of ``table``, the regions it has at least one row for.

    :param region_index: per row, an index into ``regions`` (when the caller has it already).
    """
    if not table.num_rows:
        return {}
    if region_index is None or regions is None:
        region_index, region_values = _codes(table.column("region"))
    else:
        region_values = list(regions)
    variable_index, variables = _codes(table.column("variable"))
    years = table.column("year").to_numpy().astype(np.int64)
    first = int(years.min())
    n_region, n_variable = max(len(region_values), 1), max(len(variables), 1)
    n_years = int(years.max()) - first + 1
    key = ((years - first) * n_variable + variable_index) * n_region + region_index
    size = n_years * n_variable * n_region
    if size <= 1 << 26:  # the key space is small: mark the keys instead of sorting the rows
        seen = np.zeros(size, bool)
        seen[key] = True
        distinct = np.flatnonzero(seen)
    else:
        distinct = np.unique(key)
    out: dict[tuple[int, str], set[str]] = defaultdict(set)
    regions = region_values
    for value in distinct.tolist():
        rest, r = divmod(value, n_region)
        year, v = divmod(rest, n_variable)
        out[(first + year, str(variables[v]))].add(str(regions[r]))
    return dict(out)


def find_partial(
    expected: Mapping[str, frozenset[str]],
    present: Mapping[tuple[int, str], set[str]],
    *,
    covers: Mapping[str, frozenset[str]] | None = None,
) -> list[dict[str, Any]]:
    """Totals whose members are not all present: one entry per (total, year, variable) that has any.

    :param expected: per total, the member codes it is made of.
    :param present: per (year, variable), the codes the table has rows for.
    :param covers: codes that stand for several members (a municipality row standing for its districts);
        a present code covers every member listed for it.
    """
    found: list[dict[str, Any]] = []
    for (year, variable), codes in sorted(present.items()):
        have = set(codes)
        for code in codes:
            if covers and code in covers:
                have |= covers[code]
        for total, members in expected.items():
            hit = members & have
            if hit and hit != members:
                missing = sorted(members - hit)
                found.append(
                    {
                        "region": total,
                        "year": year,
                        "variable": variable,
                        "members": len(members),
                        "with_data": len(hit),
                        "missing": missing[:_SHOWN],
                        "missing_count": len(missing),
                        "present": sorted(hit)[:_SHOWN],
                    }
                )
    return found


def with_ratios(partial: list[dict[str, Any]], variables: Mapping[str, Variable]) -> list[dict[str, Any]]:
    """Add the ratio variables recomputed from a partial numerator or denominator."""
    out = list(partial)
    seen = {(p["region"], p["year"], p["variable"]) for p in partial}
    by_part: dict[str, list[str]] = defaultdict(list)
    for name, var in variables.items():
        if var.is_ratio and var.numerator and var.denominator:
            by_part[var.numerator].append(name)
            by_part[var.denominator].append(name)
    for entry in partial:
        for ratio in by_part.get(entry["variable"], []):
            key = (entry["region"], entry["year"], ratio)
            if key not in seen:
                seen.add(key)
                out.append({**entry, "variable": ratio, "via": entry["variable"]})
    return out


def describe(entries: Sequence[dict[str, Any]], operation: str, what: str) -> str:
    """A message naming the first partial totals and their missing members."""
    shown = []
    for entry in entries[:5]:
        missing = ", ".join(entry["missing"])
        more = entry["missing_count"] - len(entry["missing"])
        if more > 0:
            missing += f" and {more} more"
        shown.append(
            f"{entry['region']} {entry['variable']} {entry['year']}: {entry['with_data']} of "
            f"{entry['members']} {what} have data (missing {missing})"
        )
    rest = f"; and {len(entries) - 5} more" if len(entries) > 5 else ""
    return f"{operation}: {len(entries)} totals would be partial sums: " + "; ".join(shown) + rest


def apply_partial(
    result: pa.Table, entries: Sequence[dict[str, Any]], rule: Partial, *, operation: str, what: str
) -> pa.Table:
    """Blank the partial totals (rule ``"missing"``), keep them, or raise (rule ``"error"``)."""
    if not entries or rule == "keep":
        return result
    if rule == "error":
        raise SchemaError(
            describe(entries, operation, what)
            + "; give the missing members, or pass partial='keep' to keep partial sums (marked in "
            "meta.extra['coverage']) or partial='missing' to leave such totals empty"
        )
    wanted = {(e["region"], int(e["year"]), e["variable"]) for e in entries}
    region = _plain_strings(result.column("region"))
    variable = _plain_strings(result.column("variable"))
    regions = region.dictionary.to_pylist()
    variables = variable.dictionary.to_pylist()
    years = result.column("year").to_numpy().astype(np.int64)
    region_index = {str(r): i for i, r in enumerate(regions)}
    variable_index = {str(v): i for i, v in enumerate(variables)}
    first = int(years.min()) if len(years) else 0
    n_region, n_variable = max(len(regions), 1), max(len(variables), 1)
    keys = [
        ((y - first) * n_variable + variable_index[v]) * n_region + region_index[r]
        for r, y, v in wanted
        if r in region_index and v in variable_index
    ]
    row_key = ((years - first) * n_variable + variable.indices.to_numpy(zero_copy_only=False)) * n_region + (
        region.indices.to_numpy(zero_copy_only=False)
    )
    mask = pa.array(np.isin(row_key, np.asarray(keys, np.int64)))
    status = result.column("status").combine_chunks().cast(pa.string())
    stronger = pc.is_in(status, pa.array([":", ".."], pa.string()))
    new_status = pc.if_else(pc.and_(mask, pc.invert(pc.fill_null(stronger, False))), "..", status)
    value = pc.if_else(mask, pa.scalar(None, pa.float64()), result.column("value").combine_chunks())
    result = result.set_column(result.column_names.index("value"), "value", value)
    return result.set_column(
        result.column_names.index("status"), "status", pc.dictionary_encode(new_status).cast(status_type())
    )


def record(
    extra: Mapping[str, Any],
    *,
    operation: str,
    level: str,
    members: Mapping[str, int],
    entries: Sequence[dict[str, Any]],
    rule: Partial,
    kind: str | None = None,
) -> dict[str, Any]:
    """``extra`` with ``coverage`` set to what this operation found (kept per level)."""
    out = dict(extra)
    coverage = dict(out.get("coverage", {}))
    entry: dict[str, Any] = {
        "operation": operation,
        "partial": rule,
        "members": dict(sorted(members.items())),
        "incomplete": list(entries),
    }
    if kind is not None:
        entry["kind"] = kind
    coverage[level] = entry
    out["coverage"] = coverage
    return out


def coverage_table(table: StatTable, level: str | None = None) -> pa.Table:
    """The coverage of a rolled-up or harmonised table: one row per total, year and variable.

    Columns ``region``, ``year``, ``variable``, ``members`` (how many areas the total is made of),
    ``members_with_data`` (how many of them the input had data for), ``complete`` and ``value_given``
    (false where the partial total was left empty).  Totals without a coverage record (rows the
    operation did not build) are left out.

    :param level: the level whose coverage is wanted (default: the table's only recorded one).
    """
    recorded: Mapping[str, Any] = table.meta.extra.get("coverage", {})
    if not recorded:
        raise SchemaError(
            "coverage_table: the table has no coverage record (it was not rolled up or harmonised)"
        )
    if level is None:
        if len(recorded) != 1:
            raise SchemaError(f"coverage_table: the table has coverage for {sorted(recorded)}; pass level=")
        level = next(iter(recorded))
    if level not in recorded:
        raise SchemaError(f"coverage_table: no coverage for level {level!r} (found {sorted(recorded)})")
    entry = recorded[level]
    members: Mapping[str, int] = entry["members"]
    partial = {(e["region"], int(e["year"]), e["variable"]): e for e in entry["incomplete"]}
    blanked = entry.get("partial", "missing") == "missing"
    rows = table.where(level=level).arrow if level in table.levels() else table.arrow.slice(0, 0)
    combos = (
        pa.table(
            {
                "region": rows.column("region").cast(pa.string()),
                "year": rows.column("year"),
                "variable": rows.column("variable").cast(pa.string()),
            }
        )
        .group_by(["region", "year", "variable"], use_threads=False)
        .aggregate([])
    )
    regions, years, variables = (combos.column(c).to_pylist() for c in ("region", "year", "variable"))
    out: dict[str, list[Any]] = {
        k: [] for k in ("region", "year", "variable", "members", "members_with_data")
    }
    complete: list[bool] = []
    given: list[bool] = []
    for region, year, variable in sorted(zip(regions, years, variables)):
        if region not in members:
            continue
        found = partial.get((region, int(year), variable))
        out["region"].append(region)
        out["year"].append(int(year))
        out["variable"].append(variable)
        out["members"].append(int(members[region]))
        out["members_with_data"].append(int(found["with_data"]) if found else int(members[region]))
        complete.append(found is None)
        given.append(found is None or not blanked)
    return pa.table(
        {
            "region": pa.array(out["region"], pa.string()),
            "year": pa.array(out["year"], pa.int16()),
            "variable": pa.array(out["variable"], pa.string()),
            "members": pa.array(out["members"], pa.int32()),
            "members_with_data": pa.array(out["members_with_data"], pa.int32()),
            "complete": pa.array(complete, pa.bool_()),
            "value_given": pa.array(given, pa.bool_()),
        }
    )
