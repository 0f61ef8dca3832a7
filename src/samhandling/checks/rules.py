"""Built-in quality rules, reusable on any StatTable (registered through ``samhandling_register_checks``).

Each rule finds its suspects with Arrow compute (group_by, joins, masks) over the whole table and only
then builds one :class:`~samhandling.checks.Finding` per suspect, so a clean table of a million rows
costs a few column passes and no Python loop over rows.

=====================  =========  ===================================================================
rule                   severity   what it finds
=====================  =========  ===================================================================
``sum-of-parts``       error      a total (dimension value "total"/"I alt", or a variable declared as
                                  the total of others) that differs from the sum of its parts
``negative-values``    error      negative values of additive variables (counts, FTEs, bed-days)
``impossible-values``  error      shares above 100 %, negative rates, values outside declared bounds
``year-on-year``       warning    a value that changes by more than a threshold from one year to the next
``missing-regions``    warning    municipalities (districts) present in one year and missing in another,
                                  or missing from the geography's list of the year
``duplicates``         error      the same key (region, year, dimensions, variable) more than once
``invalid-codes``      error      area codes that are not valid in the year they should be valid in
``rate-band``          warning    rates per 10,000 inhabitants outside a plausible band
=====================  =========  ===================================================================

Options come from :attr:`CheckContext.options <samhandling.checks.CheckContext.options>`, keyed by the
rule name (``{"year-on-year": {"threshold": 0.3}}``; ``year_on_year`` works too).  Sources can declare
what only they know in the table metadata (:attr:`TableMeta.extra <samhandling.tables.TableMeta.extra>`):

``totals``
    a list of ``{"total": "fte_total", "parts": "fte", "over": "profession"}`` (a variable that is the
    sum of another variable over one dimension) or ``{"total": "fte_total", "parts": ["a", "b"]}`` (the
    sum of other variables);
``valid_range``
    ``{"variable": [lowest, highest]}``: values outside are impossible (a yes/no answer is 0 or 1);
``plausible_bands``
    ``{"variable": [low, high]}``: rates outside are suspicious (used by ``rate-band``);
``check_options``
    options per rule, used as defaults under the caller's (the survey source declares
    ``{"missing-regions": {"expect_all": "counties"}}``: every municipality must answer).

Rows whose key occurs more than once are reported by ``duplicates`` and left out of ``sum-of-parts``,
``year-on-year`` and ``rate-band``, so that one doubled row is not reported by every rule.  Pairing a
value with the year before and finding repeated keys number each row's key as one integer (the codes
of the key columns' dictionaries in mixed radix) and sort it, instead of hash-joining string columns.

Area codes are checked against the table's geography year or, for a table without one (a series read
as reported, each year in its own year's codes), against the geography of each row's own ``year``.
"""

from __future__ import annotations

import logging
import math
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.checks import CheckContext, Finding, Severity
from samhandling.errors import SamhandlingError, ValidationError, YearNotCoveredError
from samhandling.hookspecs import hookimpl
from samhandling.periods import SUB_YEAR_COLUMNS, TIME_COLUMNS
from samhandling.registry import Registrar
from samhandling.tables import RESERVED_COLUMNS, StatTable, Variable

__all__ = [
    "BUILTIN_RULES",
    "TOTAL_LABELS",
    "Duplicates",
    "ImpossibleValues",
    "InvalidCodes",
    "MissingRegions",
    "NegativeValues",
    "RateBand",
    "SumOfParts",
    "YearOnYear",
]

log = logging.getLogger(__name__)

#: Dimension values that mean "all categories together" (compared case-insensitively).
TOTAL_LABELS: tuple[str, ...] = ("total", "totalt", "i alt", "sum", "alle", "all")

#: Stands in for an empty dimension value while grouping and joining (Arrow joins never match nulls).
_EMPTY = "\x00"
_CODE_PATTERNS = {
    "national": re.compile(r"0"),
    "county": re.compile(r"\d{2}"),
    "municipality": re.compile(r"\d{4}"),
    "district": re.compile(r"\d{6}"),
}


# -------------------------------------------------------------------------------------------------
# Shared helpers
# -------------------------------------------------------------------------------------------------


def _row_ids(plain: pa.Table, keys: list[str]) -> np.ndarray | None:
    """One int64 per row that is equal exactly when the ``keys`` are (None if they do not fit in 62 bits).

    Each key column is dictionary-encoded (integers are offset) and the codes are combined in mixed
    radix, so that grouping and pairing rows is a numpy sort of one integer column instead of a hash
    join over several string columns.
    """
    ids = np.zeros(plain.num_rows, dtype=np.int64)
    capacity = 1
    for name in keys:
        column = plain.column(name)
        if pa.types.is_integer(column.type):
            values = pc.fill_null(column, -1).to_numpy().astype(np.int64)
            low = int(values.min()) if len(values) else 0
            codes = values - low
            size = (int(values.max()) - low + 1) if len(values) else 1
        else:
            encoded = pc.dictionary_encode(column).combine_chunks()
            codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64) + 1
            size = len(encoded.dictionary) + 1
        capacity *= max(size, 1)
        if capacity >= 2**62:
            return None
        ids = ids * max(size, 1) + codes
    return ids


def _repeated(ids: np.ndarray) -> np.ndarray | None:
    """Which rows share their id with another row (None when no id repeats), by one sort."""
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    equal = ordered[1:] == ordered[:-1]
    if not equal.any():
        return None
    in_order = np.zeros(len(ids), dtype=bool)
    in_order[1:] |= equal
    in_order[:-1] |= equal
    repeated = np.empty(len(ids), dtype=bool)
    repeated[order] = in_order
    return repeated


def _consecutive_years(rows: pa.Table, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of values and of the same key's value the year before, in ``rows``.

    ``rows`` has the ``keys``, ``year`` and ``value``.  Keys repeated within a year are left out (the
    ``duplicates`` rule reports them), and so are empty values.  The pairing is one sort of an integer
    key (see :func:`_row_ids`); keys too many to number are paired by a hash join instead.
    """
    year = rows.column("year").to_numpy().astype(np.int64)
    keep = pc.is_valid(rows.column("value")).to_numpy(zero_copy_only=False)
    ids = _row_ids(rows, keys)
    full: np.ndarray | None = None
    if ids is not None and len(year):
        low, span = int(year.min()), int(year.max() - year.min() + 1)
        if int(ids.max()) < 2**62 // span:
            full = ids * span + (year - low)
    if full is None:
        numbered = rows.append_column("__row", pa.array(np.arange(rows.num_rows, dtype=np.int64)))
        numbered = _without_duplicates(numbered, [*keys, "year"])
        numbered = numbered.filter(pc.is_valid(numbered.column("value")))
        shifted = numbered.set_column(
            numbered.column_names.index("year"),
            "year",
            pc.add(numbered.column("year").cast(pa.int32()), 1).cast(pa.int16()),
        ).select([*keys, "year", "__row"])
        pairs = numbered.select([*keys, "year", "__row"]).join(
            shifted.rename_columns([*keys, "year", "__before"]),
            [*keys, "year"],
            join_type="inner",
            use_threads=False,
        )
        return (
            pairs.column("__row").to_numpy().astype(np.int64),
            pairs.column("__before").to_numpy().astype(np.int64),
        )
    assert ids is not None
    repeated = _repeated(full)
    if repeated is not None:
        keep = keep & ~repeated
    index = np.flatnonzero(keep)
    ordered = index[np.argsort(full[index], kind="stable")]
    step = full[ordered][1:] - full[ordered][:-1]
    # Consecutive numbers of the same key are one year apart: the year is the last radix digit.
    same_key = ids[ordered][1:] == ids[ordered][:-1]
    follows = same_key & (step == 1)
    return ordered[1:][follows], ordered[:-1][follows]


def _without_duplicates(plain: pa.Table, keys: list[str]) -> pa.Table:
    """The rows whose key is unique: the ``duplicates`` rule reports the others, no rule guesses with them."""
    if plain.num_rows == 0:
        return plain
    ids = _row_ids(plain, keys)
    if ids is not None:
        repeated = _repeated(ids)
        if repeated is None:
            return plain
        return plain.filter(pa.array(~repeated))
    counted = plain.group_by(keys, use_threads=False).aggregate([([], "count_all")])
    repeated = counted.filter(pc.greater(counted.column("count_all"), 1))
    if repeated.num_rows == 0:
        return plain
    return plain.join(repeated.select(keys), keys, join_type="left anti", use_threads=False)


def _number_option(context: CheckContext, rule: str, key: str, default: float) -> float:
    value = context.option(rule, key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValidationError(f"option {rule}.{key} must be a number, got {value!r}")
    return float(value)


def _names_option(context: CheckContext, rule: str, key: str) -> list[str] | None:
    value = context.option(rule, key, None)
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValidationError(f"option {rule}.{key} must be a list of names, got {value!r}")


def _bands_option(context: CheckContext, rule: str, key: str, extra: Any) -> dict[str, tuple[float, float]]:
    """``{"variable": [low, high]}`` from the table metadata, overridden by the rule's option."""
    bands: dict[str, tuple[float, float]] = {}
    sources = (("table metadata", extra), (f"option {rule}.{key}", context.option(rule, key, None)))
    for origin, raw in sources:
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            raise ValidationError(f"{origin} {key!r} must map variable ids to [low, high], got {raw!r}")
        for variable, band in raw.items():
            if (
                not isinstance(band, Sequence)
                or isinstance(band, str)
                or len(band) != 2
                or not all(
                    b is None or (isinstance(b, (int, float)) and b is not True and b is not False)
                    for b in band
                )
            ):
                raise ValidationError(
                    f"{origin} {key!r}: the band of {variable!r} must be [low, high] (null for open), "
                    f"got {band!r}"
                )
            low = -math.inf if band[0] is None else float(band[0])
            high = math.inf if band[1] is None else float(band[1])
            if low > high:
                raise ValidationError(
                    f"{origin} {key!r}: the band of {variable!r} has low {low} above high {high}"
                )
            bands[str(variable)] = (low, high)
    return bands


def _key_columns(table: StatTable, *, without: Iterable[str] = ()) -> list[str]:
    """The columns that identify one observation: region, level, year, month, dimensions, variable."""
    drop = set(without)
    periods = [c for c in TIME_COLUMNS if c in table.columns]
    keys = ["region", "level", *periods, *table.dimensions, "variable"]
    return [k for k in keys if k not in drop]


def _plain(table: StatTable) -> pa.Table:
    """The table with dictionaries decoded and empty dimension values made joinable."""
    arrow = table.arrow
    columns = []
    for name in arrow.column_names:
        column = arrow.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if name not in RESERVED_COLUMNS:
            column = pc.fill_null(column.cast(pa.string()), _EMPTY)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=arrow.column_names)


def _dimension_text(row: Mapping[str, Any], dimensions: Iterable[str]) -> str:
    parts = [f"{d}={row[d]}" for d in dimensions if row.get(d) not in (None, _EMPTY)]
    return f" ({', '.join(parts)})" if parts else ""


def _dimension_values(row: Mapping[str, Any], dimensions: Iterable[str]) -> dict[str, Any]:
    return {d: row[d] for d in dimensions if row.get(d) not in (None, _EMPTY)}


def _cell_finding(
    check: Any, table: StatTable, row: Mapping[str, Any], message: str, values: Mapping[str, Any]
) -> Finding:
    """A finding about one cell (region, variable, year and dimensions of ``row``) from ``check``."""
    return Finding(
        rule=check.name,
        severity=check.severity,
        region=row["region"],
        variable=row["variable"],
        year=row["year"],
        message=message,
        values={**values, **_dimension_values(row, table.dimensions)},
    )


def _cell_name(row: Mapping[str, Any], table: StatTable) -> str:
    """``fte (profession=nurse_other)``: the variable and the dimensions of a cell, for messages."""
    return f"{row['variable']}{_dimension_text(row, table.dimensions)}"


def _number(value: float | None) -> float | None:
    """A value as it should be shown: rounded where binary floating point adds noise."""
    if value is None or math.isnan(value) or math.isinf(value):
        return value
    rounded = round(value, 6)
    return float(int(rounded)) if rounded == int(rounded) and abs(rounded) < 1e15 else rounded


def _show(value: float | None) -> str:
    shown = _number(value)
    if shown is None:
        return "empty"
    return f"{shown:g}" if abs(shown) < 1e6 else f"{shown:,.0f}"


def _variables_where(table: StatTable, predicate: Callable[[Variable], bool]) -> list[str]:
    return [vid for vid in table.variable_ids() if predicate(table.variable(vid))]


def _rows_of(plain: pa.Table, variables: Sequence[str]) -> pa.Table:
    return plain.filter(pc.is_in(plain.column("variable"), pa.array(list(variables), pa.string())))


def _validity_year(table: StatTable, row_year: int) -> int:
    """The year a row's area code should be valid in."""
    return table.geography_year if table.geography_year is not None else row_year


# -------------------------------------------------------------------------------------------------
# Geography: which codes exist in a year
# -------------------------------------------------------------------------------------------------


@typing.final
@attrs.frozen(kw_only=True)
class _CodeBook:
    """The codes of one level in one year, and what happened to the ones that are gone."""

    year: int
    codes: frozenset[str]
    explain: Callable[[str], str | None]


def _geography_of(context: CheckContext, year: int) -> Any:
    """The geography of ``year``: from the context if it gives one, else samhandling.geography."""
    given = context.geography
    if given is not None:
        for_year = getattr(given, "for_year", None)
        if callable(for_year):
            return for_year(year)
        return given
    try:
        from samhandling.geography import Geography
    except ImportError:  # pragma: no cover - only while the geography package is not installed
        return None
    return Geography.for_year(year)


def _code_book(context: CheckContext, level: str, year: int) -> _CodeBook | None:
    """The valid codes of ``level`` in ``year``, or None when no geography covers it."""
    try:
        geography = _geography_of(context, year)
    except YearNotCoveredError:
        return None
    if geography is None:
        return None
    codes_of = getattr(geography, "codes", None)
    if not callable(codes_of):
        return None
    try:
        codes = frozenset(str(c) for c in codes_of(level))
    except (SamhandlingError, KeyError, ValueError):
        return None

    def explain(code: str) -> str | None:
        describe = getattr(geography, "explain_code", None)
        if not callable(describe):
            return None
        try:
            text = describe(code)
        except (SamhandlingError, KeyError, ValueError):
            return None
        return str(text) if text else None

    return _CodeBook(year=int(getattr(geography, "year", year)), codes=codes, explain=explain)


# -------------------------------------------------------------------------------------------------
# The rules
# -------------------------------------------------------------------------------------------------


@typing.final
class Duplicates:
    """The same observation twice: one finding per area and year, naming the variables involved."""

    name = "duplicates"
    description = "The same key (region, year, dimensions, variable) appears more than once"
    severity = Severity.ERROR

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Inspect ``table`` and return the findings of this rule (the table is not changed)."""
        context = context.with_table_options(table)
        keys = _key_columns(table)
        plain = _plain(table)
        ids = _row_ids(plain, keys)
        if ids is not None:
            mask = _repeated(ids)
            if mask is None:
                return []
            copies = plain.filter(pa.array(mask))
        else:
            counted = plain.group_by(keys, use_threads=False).aggregate([([], "count_all")])
            repeated_keys = counted.filter(pc.greater(counted.column("count_all"), 1))
            if repeated_keys.num_rows == 0:
                return []
            copies = plain.join(repeated_keys.select(keys), keys, join_type="inner", use_threads=False)
        # Only the repeated cells are looked at closely (the values of each copy).
        repeated = copies.group_by(keys, use_threads=False).aggregate(
            [([], "count_all"), ("value", "count_distinct"), ("value", "list")]
        )
        area = [k for k in ("region", "level", *TIME_COLUMNS) if k in keys]
        by_area = repeated.group_by(area, use_threads=False).aggregate(
            [
                ([], "count_all"),
                ("count_all", "max"),
                ("variable", "distinct"),
                ("value_count_distinct", "max"),
            ]
        )
        first_of_area: dict[tuple[Any, ...], dict[str, Any]] = {}
        for cell in repeated.to_pylist():
            first_of_area.setdefault(tuple(cell[k] for k in area), cell)
        findings = []
        for row in by_area.to_pylist():
            variables = sorted(row["variable_distinct"])
            example = first_of_area[tuple(row[k] for k in area)]
            cells = row["count_all"]
            copies = row["count_all_max"]
            differ = row["value_count_distinct_max"] > 1
            sub_year = next((c for c in SUB_YEAR_COLUMNS if c in row), None)
            when = f"{row['year']}" + (
                f"-{row['month']:02d}"
                if sub_year == "month"
                else (f" {sub_year} {row[sub_year]}" if sub_year else "")
            )
            what = (
                f"{variables[0]}{_dimension_text(example, table.dimensions)}"
                if cells == 1
                else f"{cells} cells of {len(variables)} variable(s): {', '.join(variables[:8])}"
                + ("…" if len(variables) > 8 else "")
            )
            findings.append(
                Finding(
                    rule=self.name,
                    severity=self.severity,
                    region=row["region"],
                    variable=variables[0] if len(variables) == 1 else None,
                    year=row["year"],
                    message=(
                        f"{row['level']} {row['region']} appears up to {copies} times in {when}: {what}; "
                        + f"the copies have {'different' if differ else 'the same'} values"
                    ),
                    values={
                        "copies": copies,
                        "duplicated_cells": cells,
                        "variables": ", ".join(variables),
                        "values_differ": differ,
                        "example_values": ", ".join(_show(v) for v in example["value_list"]),
                    },
                )
            )
        return findings


@typing.final
class NegativeValues:
    """Negative counts, FTEs or bed-days: an additive quantity cannot be below zero."""

    name = "negative-values"
    description = "Negative values of additive variables (counts, FTEs, bed-days)"
    severity = Severity.ERROR

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Inspect ``table`` and return the findings of this rule (the table is not changed)."""
        context = context.with_table_options(table)
        exempt = set(_names_option(context, self.name, "exclude") or [])
        variables = [v for v in _variables_where(table, lambda v: v.additive) if v not in exempt]
        if not variables:
            return []
        rows = _rows_of(_plain(table), variables)
        negative = rows.filter(pc.fill_null(pc.less(rows.column("value"), 0.0), False))
        return [
            _cell_finding(
                self,
                table,
                row,
                (
                    f"{_cell_name(row, table)} is {_show(row['value'])} for "
                    f"{row['region']} in {row['year']}; {_unit_phrase(table.variable(row['variable']).unit)} "
                    f"cannot be negative"
                ),
                {"value": _number(row["value"])},
            )
            for row in negative.to_pylist()
        ]


def _unit_phrase(unit: str) -> str:
    """How a count in ``unit`` is named in a message: "values in årsverk", "counts"."""
    return "counts" if unit in ("", "1", "count", "dimensionless") else f"values in {unit}"


def _unit_suffix(unit: str) -> str:
    return "" if unit in ("", "1", "count", "dimensionless") else f" {unit}"


def _fraction_factor(unit: str) -> float | None:
    """How many whole parts one unit of a dimensionless share is (percent → 0.01), else None."""
    from samhandling.units import parse_unit, ureg

    try:
        parsed = parse_unit(unit)
    except SamhandlingError:
        return None
    if parsed.dimensionality:
        return None
    return float(ureg.Quantity(1.0, parsed).to(ureg.dimensionless).magnitude)


@typing.final
class ImpossibleValues:
    """Values that cannot be true: a share above 100 %, a negative rate, or outside declared bounds."""

    name = "impossible-values"
    description = "Shares above 100 %, negative rates and shares, values outside their declared valid range"
    severity = Severity.ERROR

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Inspect ``table`` and return the findings of this rule (the table is not changed)."""
        context = context.with_table_options(table)
        exempt = set(_names_option(context, self.name, "exclude") or [])
        bounds: dict[str, tuple[float, float, str]] = {}
        for vid in table.variable_ids():
            if vid in exempt:
                continue
            variable = table.variable(vid)
            if not variable.is_ratio:
                continue
            factor = _fraction_factor(variable.unit)
            if factor is not None and factor > 0:
                # A dimensionless ratio of two parts is a share: 0–100 %.
                bounds[vid] = (0.0, 1.0 / factor, "a share lies between 0 and 100 %")
            else:
                bounds[vid] = (0.0, math.inf, "a rate of non-negative parts cannot be negative")
        declared = _bands_option(context, self.name, "valid_range", table.meta.extra.get("valid_range"))
        for vid, (low, high) in declared.items():
            if vid not in exempt:
                bounds[vid] = (low, high, f"the valid range of {vid} is {_show(low)}–{_show(high)}")
        present = [v for v in table.variable_ids() if v in bounds]
        if not present:
            return []
        rows = _rows_of(_plain(table), present)
        low = pc.cast(pc.index_in(rows.column("variable"), pa.array(present)), pa.int64())
        lows = pa.array([bounds[v][0] for v in present], pa.float64())
        highs = pa.array([bounds[v][1] for v in present], pa.float64())
        row_low = pc.take(lows, low)
        row_high = pc.take(highs, low)
        value = rows.column("value")
        tolerance = 1e-9
        outside = pc.or_(
            pc.less(value, pc.subtract(row_low, tolerance)), pc.greater(value, pc.add(row_high, tolerance))
        )
        bad = rows.filter(pc.fill_null(outside, False))
        findings = []
        for row in bad.to_pylist():
            lowest, highest, reason = bounds[row["variable"]]
            findings.append(
                _cell_finding(
                    self,
                    table,
                    row,
                    (
                        f"{_cell_name(row, table)} is "
                        f"{_show(row['value'])}{_unit_suffix(table.variable(row['variable']).unit)} for "
                        f"{row['region']} in {row['year']}; {reason}"
                    ),
                    {"value": _number(row["value"]), "lowest": _number(lowest), "highest": _number(highest)},
                )
            )
        return findings


@typing.final
@attrs.frozen(kw_only=True)
class _DeclaredTotal:
    total: str
    parts: tuple[str, ...]
    over: str | None = None

    @classmethod
    def parse(cls, raw: Any, origin: str) -> _DeclaredTotal:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("total"), str) or "parts" not in raw:
            raise ValidationError(
                f"{origin}: a declared total must look like {{'total': 'fte_total', 'parts': 'fte', "
                f"'over': 'profession'}} or {{'total': 'x', 'parts': ['a', 'b']}}, got {raw!r}"
            )
        parts = raw["parts"]
        over = raw.get("over")
        if isinstance(parts, str):
            if not isinstance(over, str):
                raise ValidationError(
                    f"{origin}: total {raw['total']!r} sums one variable ({parts!r}); name the dimension it "
                    f"is summed over with 'over'"
                )
            return cls(total=raw["total"], parts=(parts,), over=over)
        if isinstance(parts, Sequence) and parts and all(isinstance(p, str) for p in parts):
            return cls(total=raw["total"], parts=tuple(parts), over=over if isinstance(over, str) else None)
        raise ValidationError(
            f"{origin}: 'parts' of total {raw['total']!r} must be a variable id or a list of them"
        )


@typing.final
class SumOfParts:
    """A total that is not the sum of its parts (beyond a rounding tolerance).

    Two kinds of totals are compared: rows whose dimension value is a total label (``total``, ``I alt``
    …) against the other values of that dimension, and variables the table declares as totals
    (``TableMeta.extra["totals"]`` or the option ``totals``).  Only additive variables are summed.  A
    group where a part has no value (status ``..``, ``:`` …) cannot be compared and is left out.
    """

    name = "sum-of-parts"
    description = "A total (dimension value 'total'/'I alt', or a declared total) differs from its parts"
    severity = Severity.ERROR

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Inspect ``table`` and return the findings of this rule (the table is not changed)."""
        context = context.with_table_options(table)
        tolerance = _number_option(context, self.name, "tolerance", 0.5)
        relative = _number_option(context, self.name, "relative_tolerance", 0.01)
        labels = [s.lower() for s in (_names_option(context, self.name, "total_labels") or TOTAL_LABELS)]
        plain = _plain(table)
        additive = [v for v in table.variable_ids() if table.variable(v).additive]
        findings: list[Finding] = []
        if additive:
            rows = _rows_of(plain, additive)
            deduplicated = False
            for dimension in table.dimensions:
                # The labels are looked for among the distinct values, not row by row.
                distinct = pc.unique(rows.column(dimension))
                total_values = distinct.filter(
                    pc.is_in(pc.utf8_lower(distinct), pa.array(labels, pa.string()))
                )
                if len(total_values) == 0:
                    continue
                if not deduplicated:
                    rows = _without_duplicates(rows, _key_columns(table))
                    deduplicated = True
                is_total = pc.is_in(rows.column(dimension), total_values)
                is_part = pc.and_(pc.invert(is_total), pc.not_equal(rows.column(dimension), _EMPTY))
                findings += self._compare(
                    table,
                    totals=rows.filter(is_total),
                    parts=rows.filter(is_part),
                    keys=_key_columns(table, without=[dimension]),
                    what=f"the {dimension} values",
                    tolerance=tolerance,
                    relative=relative,
                )
        declared_raw = [*(table.meta.extra.get("totals") or []), *context.option(self.name, "totals", [])]
        if declared_raw:
            plain = _without_duplicates(plain, _key_columns(table))
        present = set(table.variable_ids())
        for index, raw in enumerate(declared_raw):
            declared = _DeclaredTotal.parse(raw, f"totals[{index}]")
            if declared.total not in present or not present.intersection(declared.parts):
                continue
            totals = _rows_of(plain, [declared.total])
            parts = _rows_of(plain, list(declared.parts))
            drop = ["variable", *([declared.over] if declared.over else [])]
            if declared.over and declared.over not in table.dimensions:
                raise ValidationError(
                    f"declared total {declared.total!r} is summed over {declared.over!r}, which is not a "
                    f"dimension of this table; dimensions: {table.dimensions}"
                )
            findings += self._compare(
                table,
                totals=totals,
                parts=parts,
                keys=_key_columns(table, without=drop),
                what=(
                    f"{declared.parts[0]} over {declared.over}"
                    if declared.over
                    else " + ".join(declared.parts)
                ),
                tolerance=tolerance,
                relative=relative,
                expected_parts=None if declared.over else len(declared.parts),
            )
        return findings

    def _compare(
        self,
        table: StatTable,
        *,
        totals: pa.Table,
        parts: pa.Table,
        keys: list[str],
        what: str,
        tolerance: float,
        relative: float,
        expected_parts: int | None = None,
    ) -> list[Finding]:
        if totals.num_rows == 0 or parts.num_rows == 0:
            return []
        summed = parts.group_by(keys, use_threads=False).aggregate(
            [
                ("value", "sum"),
                ([], "count_all"),
                ("value", "count", pc.CountOptions(mode="only_null")),
            ]
        )
        summed = summed.rename_columns(
            {"value_sum": "parts_sum", "count_all": "parts_count", "value_count": "parts_missing"}
        )
        complete = pc.equal(summed.column("parts_missing"), 0)
        if expected_parts is not None:
            complete = pc.and_(complete, pc.equal(summed.column("parts_count"), expected_parts))
        summed = summed.filter(complete)
        joined = totals.select([*keys, "variable", "value"] if "variable" not in keys else [*keys, "value"])
        joined = joined.filter(pc.is_valid(joined.column("value"))).join(summed, keys, join_type="inner")
        if joined.num_rows == 0:
            return []
        difference = pc.subtract(joined.column("value"), joined.column("parts_sum"))
        allowed = pc.max_element_wise(
            pa.scalar(tolerance), pc.multiply(pc.abs(joined.column("value")), relative)
        )
        off = joined.filter(pc.greater(pc.abs(difference), allowed))
        findings = []
        for row in off.to_pylist():
            diff = row["value"] - row["parts_sum"]
            findings.append(
                _cell_finding(
                    self,
                    table,
                    row,
                    (
                        f"{_cell_name(row, table)} for {row['region']} in "
                        f"{row['year']}: the total {_show(row['value'])} differs by {_show(diff)} from the "
                        f"sum {_show(row['parts_sum'])} of its {row['parts_count']} parts ({what})"
                    ),
                    {
                        "total": _number(row["value"]),
                        "sum_of_parts": _number(row["parts_sum"]),
                        "difference": _number(diff),
                        "parts": row["parts_count"],
                    },
                )
            )
        return findings


@typing.final
class YearOnYear:
    """A value that jumps from one year to the next: worth a look, often a reporting error.

    A change is reported when it is larger than ``threshold`` (relative, default 0.5 = 50 %) *and*
    larger than ``min_change`` in the variable's unit (default 1), so that 0.2 → 0.5 FTE in a small
    municipality is not reported as a 150 % jump.
    """

    name = "year-on-year"
    description = "A value changes by more than a threshold (default 50 %) from one year to the next"
    severity = Severity.WARNING

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Inspect ``table`` and return the findings of this rule (the table is not changed)."""
        context = context.with_table_options(table)
        threshold = _number_option(context, self.name, "threshold", 0.5)
        min_change = _number_option(context, self.name, "min_change", 1.0)
        only = _names_option(context, self.name, "variables")
        if len(table.years()) < 2:
            return []
        keys = _key_columns(table, without=["year"])
        plain = _plain(table).select([*keys, "year", "value"])
        if only is not None:
            plain = _rows_of(plain, only)
        current, before = _consecutive_years(plain, keys)
        if len(current) == 0:
            return []
        values = plain.column("value").to_numpy(zero_copy_only=False)
        value, previous = values[current], values[before]
        change = value - previous
        base = np.abs(previous)
        # From zero to anything is an infinite relative change; from zero to zero is none.
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.where(base == 0.0, np.where(change == 0.0, 0.0, math.inf), np.abs(change) / base)
        jump = (relative > threshold) & (np.abs(change) > min_change)
        jumps = (
            plain.take(pa.array(current[jump]))
            .append_column("previous", pa.array(previous[jump], pa.float64()))
            .append_column("relative", pa.array(relative[jump], pa.float64()))
        )
        findings = []
        for row in jumps.to_pylist():
            rel = row["relative"]
            sign = "+" if row["value"] > row["previous"] else "−"
            shown = "from zero" if math.isinf(rel) else f"{sign}{rel:.0%}"
            findings.append(
                _cell_finding(
                    self,
                    table,
                    row,
                    (
                        f"{_cell_name(row, table)} for {row['region']} went "
                        f"from {_show(row['previous'])} in {row['year'] - 1} to {_show(row['value'])} in "
                        f"{row['year']} ({shown}); the threshold is {threshold:.0%}"
                    ),
                    {
                        "previous_year": row["year"] - 1,
                        "previous": _number(row["previous"]),
                        "value": _number(row["value"]),
                        "change": _number(row["value"] - row["previous"]),
                        "relative_change": None if math.isinf(rel) else _number(rel),
                    },
                )
            )
        return findings


@typing.final
class MissingRegions:
    """Areas present in one year and missing in another, or missing from the geography's list.

    Compares, per level (municipality and district by default), which areas report which variables in
    each year.  An area with no rows at all in a year gives one finding; an area that reports but
    lacks variables it reported in other years gives one finding naming them.  A code that is no
    longer valid in a year (a municipality merged away) is not counted as missing there when the
    geography of that year is known.  With the option ``expect_all`` every area of the level in the
    geography of the year is expected (a survey every municipality must answer).
    """

    name = "missing-regions"
    description = "Municipalities present in one year missing in another, or missing vs the geography"
    severity = Severity.WARNING

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Inspect ``table`` and return the findings of this rule (the table is not changed)."""
        context = context.with_table_options(table)
        levels = _names_option(context, self.name, "levels") or ["municipality", "district"]
        expect_all = context.option(self.name, "expect_all", False)
        if expect_all not in (True, False, "counties"):
            raise ValidationError(
                f"option {self.name}.expect_all must be true, false or 'counties', got {expect_all!r}"
            )
        plain = _plain(table).filter(pc.is_in(pc.field("level"), pa.array(levels, pa.string())))
        if plain.num_rows == 0:
            return []
        present = plain.group_by(["level", "region", "year", "variable"], use_threads=False).aggregate([])
        years = sorted(set(present.column("year").to_pylist()))
        findings: list[Finding] = []
        ever = present.group_by(["level", "region", "variable"], use_threads=False).aggregate([])
        every_year = pa.array(np.tile(np.arange(ever.num_rows), len(years)))
        expected = ever.take(every_year).append_column(
            "year", pa.array(np.repeat(np.asarray(years, dtype=np.int16), ever.num_rows), pa.int16())
        )
        # A variable is expected of an area in a year only when some area of the level reports it that
        # year: a question added to the survey in 2022 is not "missing" from everyone's 2021 answers.
        asked = present.group_by(["level", "year", "variable"], use_threads=False).aggregate([])
        expected = expected.join(asked, ["level", "year", "variable"], join_type="inner")
        missing = expected.join(present, ["level", "region", "year", "variable"], join_type="left anti")
        reporting = present.group_by(["level", "region", "year"], use_threads=False).aggregate([])
        reporting_keys = {(r["level"], r["region"], r["year"]) for r in reporting.to_pylist()}
        per_area = missing.group_by(["level", "region", "year"], use_threads=False).aggregate(
            [("variable", "distinct")]
        )
        books: dict[tuple[str, int], _CodeBook | None] = {}

        def still_valid(level: str, region: str, year: int) -> bool:
            key = (level, _validity_year(table, year))
            if key not in books:
                books[key] = _code_book(context, level, key[1])
            book = books[key]
            return book is None or region in book.codes

        years_of: dict[tuple[str, str], list[int]] = {}
        for row in reporting.to_pylist():
            years_of.setdefault((row["level"], row["region"]), []).append(row["year"])
        for row in per_area.sort_by([("year", "ascending"), ("region", "ascending")]).to_pylist():
            level, region, year = row["level"], row["region"], row["year"]
            if table.geography_year is None and not still_valid(level, region, year):
                continue
            variables = sorted(row["variable_distinct"])
            if (level, region, year) not in reporting_keys:
                other_years = sorted(years_of.get((level, region), []))
                findings.append(
                    Finding(
                        rule=self.name,
                        severity=self.severity,
                        region=region,
                        variable=None,
                        year=year,
                        message=(
                            f"{level} {region} has no rows in {year}, but has rows in "
                            f"{', '.join(map(str, other_years))}"
                        ),
                        values={"level": level, "present_in": ", ".join(map(str, other_years))},
                    )
                )
            else:
                findings.append(
                    Finding(
                        rule=self.name,
                        severity=self.severity,
                        region=region,
                        variable=variables[0] if len(variables) == 1 else None,
                        year=year,
                        message=(
                            f"{level} {region} reports in {year} but not {', '.join(variables)}, which it "
                            f"reports in other years"
                        ),
                        values={"level": level, "variables": ", ".join(variables)},
                    )
                )
        if expect_all:
            reported = {(f.values["level"], f.region, f.year) for f in findings}
            findings += self._against_geography(
                table, context, present, levels, reported, only_counties=expect_all == "counties"
            )
        return findings

    def _against_geography(
        self,
        table: StatTable,
        context: CheckContext,
        present: pa.Table,
        levels: list[str],
        reported: set[tuple[Any, str | None, int | None]],
        *,
        only_counties: bool,
    ) -> list[Finding]:
        findings = []
        areas = present.select(["level", "region", "year"]).to_pylist()
        have = {(r["level"], r["region"], r["year"]) for r in areas} | reported
        levels_present = {r[0] for r in have}
        counties = {str(r["region"])[:2] for r in areas}
        for level in levels:
            if level not in levels_present:
                continue
            for year in table.years():
                book = _code_book(context, level, _validity_year(table, year))
                if book is None:
                    findings.append(self._no_geography(level, year))
                    continue
                absent = sorted(
                    code
                    for code in book.codes
                    if (level, code, year) not in have and (not only_counties or code[:2] in counties)
                )
                findings += [
                    Finding(
                        rule=self.name,
                        severity=self.severity,
                        region=code,
                        year=year,
                        message=f"{level} {code} (valid in {book.year}) has no rows in {year}",
                        values={"level": level, "geography_year": book.year},
                    )
                    for code in absent
                    if not code.endswith("99")  # "unknown" codes such as 9999 are never reported
                ]
        return findings

    def _no_geography(self, level: str, year: int) -> Finding:
        return Finding(
            rule=self.name,
            severity=Severity.INFO,
            year=year,
            message=f"no geography for {year}: cannot tell which {level} codes are missing",
            values={"level": level},
        )


@typing.final
class InvalidCodes:
    """Area codes that are malformed, or not valid in the year they should be valid in.

    The format is always checked (``0`` for the country, two digits for a county, four for a
    municipality, six for a district).  Validity is checked against :mod:`samhandling.geography` (or
    the geography in the check context) for the table's geography year, or each row's own year when
    the table has none.  Years the geography does not cover give one information finding.
    """

    name = "invalid-codes"
    description = "Area codes that are malformed or not valid in the table's (or the row's) year"
    severity = Severity.ERROR

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Inspect ``table`` and return the findings of this rule (the table is not changed)."""
        context = context.with_table_options(table)
        plain = _plain(table)
        areas = plain.group_by(["level", "region", "year"], use_threads=False).aggregate([])
        findings: list[Finding] = []
        malformed: set[tuple[str, str]] = set()
        for level, pattern in _CODE_PATTERNS.items():
            of_level = areas.filter(pc.equal(areas.column("level"), level))
            if of_level.num_rows == 0:
                continue
            codes = pc.unique(of_level.column("region"))
            ok = pc.match_substring_regex(codes, f"^(?:{pattern.pattern})$")
            for code in codes.filter(pc.invert(ok)).to_pylist():
                malformed.add((level, code))
                years = sorted(
                    of_level.filter(pc.equal(of_level.column("region"), code)).column("year").to_pylist()
                )
                findings.append(
                    Finding(
                        rule=self.name,
                        severity=self.severity,
                        region=code,
                        year=years[0],
                        message=(
                            f"{code!r} is not a {level} code (expected {_describe_pattern(level)}); found in "
                            f"{', '.join(map(str, years))}"
                        ),
                        values={"level": level, "years": ", ".join(map(str, years))},
                    )
                )
        levels_present = set(areas.column("level").to_pylist())
        checked_levels = [lvl for lvl in ("county", "municipality", "district") if lvl in levels_present]
        uncovered: set[int] = set()
        for level in checked_levels:
            of_level = areas.filter(pc.equal(areas.column("level"), level))
            by_year: dict[int, list[str]] = {}
            for row in of_level.to_pylist():
                by_year.setdefault(_validity_year(table, row["year"]), []).append(row["region"])
            for validity_year in sorted(by_year):
                book = _code_book(context, level, validity_year)
                if book is None:
                    uncovered.add(validity_year)
                    continue
                codes = pa.array(sorted(set(by_year[validity_year])), pa.string())
                unknown = codes.filter(pc.invert(pc.is_in(codes, pa.array(sorted(book.codes), pa.string()))))
                for code in unknown.to_pylist():
                    if (level, code) in malformed:
                        continue
                    rows_years = sorted(
                        {
                            y
                            for y in of_level.filter(pc.equal(of_level.column("region"), code))
                            .column("year")
                            .to_pylist()
                            if _validity_year(table, y) == validity_year
                        }
                    )
                    hint = book.explain(code)
                    findings.append(
                        Finding(
                            rule=self.name,
                            severity=self.severity,
                            region=code,
                            year=rows_years[0],
                            message=(
                                (hint or f"{level} code {code} is not valid in {validity_year}")
                                + (
                                    f"; the table's geography year is {table.geography_year}"
                                    if table.geography_year is not None
                                    else f"; rows of {', '.join(map(str, rows_years))} must use that "
                                    f"year's codes"
                                )
                            ),
                            values={
                                "level": level,
                                "geography_year": validity_year,
                                **({"hint": hint} if hint else {}),
                            },
                        )
                    )
        findings += [
            Finding(
                rule=self.name,
                severity=Severity.INFO,
                year=year,
                message=f"no geography covers {year}: only the format of the area codes was checked",
            )
            for year in sorted(uncovered)
        ]
        return findings


def _describe_pattern(level: str) -> str:
    return {
        "national": "'0'",
        "county": "two digits such as '03'",
        "municipality": "four digits such as '0301'",
        "district": "six digits such as '030101'",
    }[level]


@typing.final
class RateBand:
    """Rates per 10,000 inhabitants outside a plausible band.

    The band of a variable comes from the option ``bands`` (``{"fte_per_10000": [5, 150]}``), else from
    ``TableMeta.extra["plausible_bands"]`` (a source that knows its field declares it), else from the
    data: Tukey's fences ``[Q1 − k·IQR, Q3 + k·IQR]`` with ``k = fence`` (default 3) over the areas of
    one level, variable, dimension values and year, when there are at least ``min_values`` (default 8).
    """

    name = "rate-band"
    description = "Rates per 10,000 inhabitants outside a plausible band (declared, or from the data)"
    severity = Severity.WARNING

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Inspect ``table`` and return the findings of this rule (the table is not changed)."""
        context = context.with_table_options(table)
        bands = _bands_option(context, self.name, "bands", table.meta.extra.get("plausible_bands"))
        fence = _number_option(context, self.name, "fence", 3.0)
        min_values = int(_number_option(context, self.name, "min_values", 8))
        chosen = _names_option(context, self.name, "variables")
        rates = (
            chosen
            if chosen is not None
            else [
                vid for vid in table.variable_ids() if _is_rate_per_10000(table.variable(vid)) or vid in bands
            ]
        )
        rates = [r for r in rates if r in set(table.variable_ids())]
        if not rates:
            return []
        plain = _without_duplicates(_rows_of(_plain(table), rates), _key_columns(table))
        plain = plain.filter(pc.is_valid(plain.column("value")))
        declared = [r for r in rates if r in bands]
        findings = []
        if declared:
            rows = _rows_of(plain, declared)
            position = pc.index_in(rows.column("variable"), pa.array(declared))
            low = pc.take(pa.array([bands[v][0] for v in declared], pa.float64()), position)
            high = pc.take(pa.array([bands[v][1] for v in declared], pa.float64()), position)
            outside = (
                rows.append_column("low", low)
                .append_column("high", high)
                .filter(pc.or_(pc.less(rows.column("value"), low), pc.greater(rows.column("value"), high)))
            )
            findings += self._findings(table, outside, "declared band")
        statistical = [r for r in rates if r not in bands]
        if statistical:
            rows = _rows_of(plain, statistical)
            groups = _key_columns(table, without=["region"])
            quantiles = self._fences(rows, groups, fence, min_values)
            if quantiles.num_rows:
                joined = rows.join(quantiles, groups, join_type="inner")
                outside = joined.filter(
                    pc.or_(
                        pc.less(joined.column("value"), joined.column("low")),
                        pc.greater(joined.column("value"), joined.column("high")),
                    )
                )
                origin = f"Tukey fences with k={fence:g} over the other areas"
                findings += self._findings(table, outside, origin)
        return findings

    @staticmethod
    def _fences(rows: pa.Table, groups: list[str], fence: float, min_values: int) -> pa.Table:
        stats = rows.group_by(groups, use_threads=False).aggregate(
            [("value", "tdigest", pc.TDigestOptions(q=[0.25, 0.75])), ("value", "count")]
        )
        stats = stats.filter(pc.greater_equal(stats.column("value_count"), min_values))
        if stats.num_rows == 0:
            return stats
        q1 = pc.list_element(stats.column("value_tdigest"), 0)
        q3 = pc.list_element(stats.column("value_tdigest"), 1)
        spread = pc.multiply(pc.subtract(q3, q1), fence)
        low = pc.max_element_wise(pc.subtract(q1, spread), 0.0)
        high = pc.add(q3, spread)
        return stats.select(groups).append_column("low", low).append_column("high", high)

    def _findings(self, table: StatTable, outside: pa.Table, origin: str) -> list[Finding]:
        return [
            _cell_finding(
                self,
                table,
                row,
                (
                    f"{_cell_name(row, table)} is {_show(row['value'])} for "
                    f"{row['region']} in {row['year']}, outside the plausible band "
                    f"{_show(row['low'])}–{_show(row['high'])} ({origin})"
                ),
                {"value": _number(row["value"]), "low": _number(row["low"]), "high": _number(row["high"])},
            )
            for row in outside.to_pylist()
        ]


def _is_rate_per_10000(variable: Variable) -> bool:
    return (variable.is_ratio and variable.scale == 10000) or "ten_thousand_inhabitants" in variable.unit


#: Every built-in rule, in the order they run.
BUILTIN_RULES: tuple[Any, ...] = (
    Duplicates(),
    InvalidCodes(),
    SumOfParts(),
    NegativeValues(),
    ImpossibleValues(),
    MissingRegions(),
    YearOnYear(),
    RateBand(),
)


@hookimpl
def samhandling_register_checks(register: Registrar) -> None:
    for rule in BUILTIN_RULES:
        register(rule)
