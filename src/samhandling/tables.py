"""StatTable: the canonical Arrow table every source returns and every exporter takes.

One row per observation in long (tidy) form, close to JSON-stat::

    region  level   year  [month|quarter|week]  [dimensions…]  variable  value   status
    "3301"  muni…   2024            profession=…   fte       12.5    null
    "3301"  muni…   2024                           users     null    ":"

``status`` keeps SSB's symbols, so a suppressed or missing cell is never turned into 0 or dropped.
Per-variable units (pint strings) and additivity, the geography year and the provenance of the data
live in the schema metadata under the key ``samhandling`` as JSON, so they survive Parquet and IPC.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import SchemaError
from samhandling.levels import Level
from samhandling.periods import SUB_YEAR_COLUMNS, TIME_COLUMNS, PeriodKind

if typing.TYPE_CHECKING:
    import pandas
    import pint
    import polars

__all__ = [
    "METADATA_KEY",
    "RESERVED_COLUMNS",
    "SCHEMA_VERSION",
    "STATUS_SYMBOLS",
    "Provenance",
    "StatTable",
    "Status",
    "TableMeta",
    "Variable",
    "level_type",
    "status_type",
    "variable_type",
]

METADATA_KEY = b"samhandling"
"""The key of the Arrow schema metadata entry that holds a table's :class:`TableMeta` as JSON."""
SCHEMA_VERSION = 2
"""Version of the table layout written into the metadata.  Version 2 added the ``quarter`` and ``week``
columns and ``TableMeta.period``; tables of version 1 (years and months) load unchanged."""


class Status(enum.StrEnum):
    """Why a value is missing or special, with SSB's symbols (null status means an ordinary value)."""

    CANNOT_OCCUR = "."
    NOT_AVAILABLE = ".."
    NOT_YET_PUBLISHED = "..."
    SUPPRESSED = ":"
    NOTHING_TO_REPORT = "-"

    @property
    def label(self) -> str:
        """The Norwegian explanation SSB prints under its tables."""
        return _STATUS_LABELS[self]

    @property
    def means_zero(self) -> bool:
        """``-`` (nothing to report) is a true zero; every other status has no value."""
        return self is Status.NOTHING_TO_REPORT


_STATUS_LABELS = {
    Status.CANNOT_OCCUR: "Lovlig umulig å føre opp tall",
    Status.NOT_AVAILABLE: "Tallgrunnlag mangler",
    Status.NOT_YET_PUBLISHED: "Tall kan ikke offentliggjøres ennå",
    Status.SUPPRESSED: "Vises ikke av konfidensialitetshensyn",
    Status.NOTHING_TO_REPORT: "Null",
}

STATUS_SYMBOLS: tuple[str, ...] = tuple(s.value for s in Status)
"""SSB's symbols that may appear in the ``status`` column: ``.``, ``..``, ``...``, ``:`` and ``-``."""
#: Columns with a fixed meaning; every other column is a dimension named by the source.
RESERVED_COLUMNS: tuple[str, ...] = ("region", "level", *TIME_COLUMNS, "variable", "value", "status")
"""Columns with a fixed meaning; every other column of a StatTable is a dimension named by the source."""


def _dictionary(index: pa.DataType) -> pa.DataType:
    return pa.dictionary(index, pa.string())


def level_type() -> pa.DataType:
    """The Arrow type of the ``level`` column: dictionary-encoded strings with int8 indices."""
    return _dictionary(pa.int8())


def variable_type() -> pa.DataType:
    """The Arrow type of the ``variable`` column: dictionary-encoded strings with int32 indices."""
    return _dictionary(pa.int32())


def status_type() -> pa.DataType:
    """The Arrow type of the ``status`` column: dictionary-encoded strings with int8 indices."""
    return _dictionary(pa.int8())


_VALID_LEVELS = frozenset(level.value for level in Level)


@typing.final
@attrs.frozen(kw_only=True)
class Variable:
    """What one value of the ``variable`` column means: its unit, and how it may be combined.

    ``additive`` variables (counts, FTEs, bed-days) may be summed over areas. Rates and shares may not;
    they name the additive ``numerator`` and ``denominator`` they are computed from and a ``scale``
    (10,000 for a rate per 10,000 inhabitants, 100 for a percentage), so that harmonising and rolling
    up can recompute them from their parts instead of summing them.

    ``counts_people`` marks a count of people, or of events that belong to people (admissions, stays,
    users, patients), whose small values could identify someone: :func:`samhandling.protect` and every
    publication suppresses them below the threshold (see :mod:`samhandling.disclosure`).  FTEs, money,
    places and the population register's public head counts do not count people in this sense.
    """

    id: str = attrs.field()
    unit: str = "count"
    additive: bool = True
    label: str = ""
    description: str = ""
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    counts_people: bool = False

    @id.validator
    def _check_id(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if not value or not value.strip() or value != value.strip():
            raise SchemaError(
                f"Variable.id: {value!r} is not a usable indicator id (non-empty, no outer spaces)"
            )

    def __attrs_post_init__(self) -> None:
        if self.additive and (self.numerator or self.denominator):
            raise SchemaError(f"variable {self.id!r}: an additive variable has no numerator/denominator")
        if (self.numerator is None) != (self.denominator is None):
            raise SchemaError(f"variable {self.id!r}: give both numerator and denominator, or neither")
        if self.counts_people and self.numerator is not None:
            raise SchemaError(
                f"variable {self.id!r}: a rate or share does not count people itself; mark its numerator"
            )

    @property
    def is_ratio(self) -> bool:
        """Whether the variable can be recomputed from two additive parts."""
        return self.numerator is not None

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values, leaving out empty ones (as stored in the table metadata)."""
        data = {k: v for k, v in attrs.asdict(self).items() if v not in (None, "")}
        if not self.counts_people:
            del data["counts_people"]  # absent means False, as in metadata written before the flag
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Variable:
        """The inverse of :meth:`to_dict`.

        Keys this version does not know (metadata written by a newer version) are left out, so such
        tables still load; a missing required key raises ``TypeError``.
        """
        return cls(**_known_fields(cls, data))


@typing.final
@attrs.frozen(kw_only=True)
class Provenance:
    """Where a table's numbers came from: a file or URL, its checksum and when it was read.

    ``synthetic`` marks numbers that were made up (demo and example data): the flag travels with the
    provenance into every table built from them (:attr:`StatTable.synthetic`), so every output built from
    synthetic inputs can say so.
    """

    source: str
    location: str
    checksum: str | None = None
    retrieved: str = attrs.field(factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    note: str = ""
    synthetic: bool = False

    @classmethod
    def for_file(
        cls, source: str, path: str | Path, *, note: str = "", synthetic: bool = False
    ) -> Provenance:
        """Provenance of a local file, with its SHA-256 checksum."""
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return cls(
            source=source,
            location=str(path),
            checksum=f"sha256:{digest.hexdigest()}",
            note=note,
            synthetic=synthetic,
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values, leaving out empty optional ones (as stored in the metadata)."""
        required = ("source", "location")
        data = {k: v for k, v in attrs.asdict(self).items() if k in required or v not in (None, "")}
        if not self.synthetic:
            del data["synthetic"]  # absent means real data, as in metadata written before the flag
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        """The inverse of :meth:`to_dict`.

        Keys this version does not know (metadata written by a newer version) are left out, so such
        tables still load; a missing required key raises ``TypeError``.
        """
        return cls(**_known_fields(cls, data))


def _known_fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    known = attrs.fields_dict(cls)
    return {key: value for key, value in data.items() if key in known}


def _provenance_tuple(value: Iterable[Provenance]) -> tuple[Provenance, ...]:
    return tuple(value)


def _variables_converter(value: Mapping[str, Variable] | Iterable[Variable]) -> dict[str, Variable]:
    if isinstance(value, Mapping):
        return dict(value)
    return {v.id: v for v in value}


@typing.final
@attrs.frozen(kw_only=True)
class TableMeta:
    """Table-level metadata kept in the Arrow schema: source, geography year, variables, provenance."""

    source: str = ""
    geography_year: int | None = None
    variables: dict[str, Variable] = attrs.field(factory=dict, converter=_variables_converter)
    provenance: tuple[Provenance, ...] = attrs.field(default=(), converter=_provenance_tuple)
    title: str = ""
    extra: dict[str, Any] = attrs.field(factory=dict)
    period: str | None = attrs.field(default=None)
    """What one period of the table is when the columns alone do not say it: ``"school_year"`` (the
    school year that starts in ``year``).  ``None`` (the default) means what the columns say: years, or
    months, quarters or weeks when the table has that column."""

    @period.validator
    def _check_period(self, _attribute: attrs.Attribute[str | None], value: str | None) -> None:
        if value is not None and value not in {kind.value for kind in PeriodKind}:
            raise SchemaError(
                f"TableMeta.period: {value!r} is not a period kind; expected one of "
                f"{[kind.value for kind in PeriodKind]} (or None)"
            )

    def to_json(self) -> bytes:
        """UTF-8 JSON as stored under :data:`METADATA_KEY` in the Arrow schema metadata."""
        payload = {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "geography_year": self.geography_year,
            "title": self.title,
            "variables": {k: v.to_dict() for k, v in self.variables.items()},
            "provenance": [p.to_dict() for p in self.provenance],
            "extra": self.extra,
        }
        if self.period is not None:
            payload["period"] = self.period
        return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes | str) -> TableMeta:
        """Metadata read back from :meth:`to_json` output (e.g. from a Parquet file's schema)."""
        data = json.loads(raw)
        return cls(
            source=data.get("source", ""),
            geography_year=data.get("geography_year"),
            title=data.get("title", ""),
            variables={k: Variable.from_dict(v) for k, v in data.get("variables", {}).items()},
            provenance=tuple(Provenance.from_dict(p) for p in data.get("provenance", [])),
            extra=data.get("extra", {}),
            period=data.get("period"),
        )

    def merged_with(self, other: TableMeta) -> TableMeta:
        """Metadata for the union of two tables; a variable declared twice must agree.

        Declarations that differ only in ``counts_people`` (a table written before the flag existed)
        agree, and the flag is kept.
        """
        variables = dict(self.variables)
        for key, var in other.variables.items():
            if key in variables and attrs.evolve(variables[key], counts_people=var.counts_people) == var:
                var = attrs.evolve(var, counts_people=var.counts_people or variables[key].counts_people)
            elif key in variables and variables[key] != var:
                raise SchemaError(
                    f"variable {key!r} is declared differently in the two tables: {variables[key]} vs {var}"
                )
            variables[key] = var
        if (
            self.geography_year is not None
            and other.geography_year is not None
            and self.geography_year != other.geography_year
        ):
            raise SchemaError(
                f"cannot combine tables on different geography years ({self.geography_year} and "
                f"{other.geography_year}); harmonise one of them first"
            )
        if self.period != other.period and PeriodKind.SCHOOL_YEAR.value in (self.period, other.period):
            raise SchemaError(
                f"cannot combine a table of {self.period or 'years'} with one of {other.period or 'years'}: "
                f"a school year is not a calendar year"
            )
        sources = [s for s in dict.fromkeys([self.source, other.source]) if s]
        return TableMeta(
            source="+".join(sources),
            geography_year=self.geography_year if self.geography_year is not None else other.geography_year,
            variables=variables,
            provenance=tuple(dict.fromkeys(self.provenance + other.provenance)),
            title=self.title or other.title,
            extra={**other.extra, **self.extra},
            period=self.period or other.period,
        )


def _is_plain_string(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _is_string_like(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_plain_string(t.value_type)
    return _is_plain_string(t)


def _is_all_null(t: pa.DataType) -> bool:
    """A column of nulls only, plain or dictionary-encoded (DuckDB hands back an empty status so)."""
    return bool(pa.types.is_null(t) or (pa.types.is_dictionary(t) and pa.types.is_null(t.value_type)))


def _as_string(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``large_string`` and ``string_view`` (what pandas and polars hand back) as plain ``string``."""
    if pa.types.is_large_string(column.type) or pa.types.is_string_view(column.type):
        return column.cast(pa.string())
    if pa.types.is_dictionary(column.type) and not pa.types.is_string(column.type.value_type):
        return column.cast(pa.dictionary(column.type.index_type, pa.string()))
    return column


def _distinct_strings(column: pa.ChunkedArray) -> list[str | None]:
    if pa.types.is_dictionary(column.type):
        # the used entries of each chunk's dictionary: no decoding of the rows
        found: dict[str | None, None] = {}
        for chunk in column.chunks:
            used = chunk.dictionary.take(pc.drop_null(pc.unique(chunk.indices)))
            found.update(dict.fromkeys(used.to_pylist()))
            if chunk.null_count:
                found[None] = None
        return list(found)
    return list(pc.unique(column).to_pylist())


def _as_dictionary(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if column.type == target:
        return column
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return pc.dictionary_encode(column.cast(pa.string())).cast(target)


def _normalise(table: pa.Table) -> pa.Table:
    """Cast the reserved columns to their canonical types (the error names the column)."""
    names = table.column_names
    for required in ("region", "level", "year", "variable", "value"):
        if required not in names:
            raise SchemaError(
                f"column {required!r} is missing; a StatTable needs region, level, year, variable, value "
                f"(and status), found {names}"
            )
    targets: dict[str, pa.DataType] = {
        "level": level_type(),
        "year": pa.int16(),
        **dict.fromkeys(SUB_YEAR_COLUMNS, pa.int8()),
        "variable": variable_type(),
        "value": pa.float64(),
        "status": status_type(),
    }
    columns = []
    for name in names:
        column = table.column(name)
        try:
            if name == "region":
                if not _is_string_like(column.type):
                    raise SchemaError(f"column 'region' must hold strings (area codes), found {column.type}")
                column = _as_string(column)
            elif name in ("level", "variable", "status"):
                if not (_is_string_like(column.type) or _is_all_null(column.type)):
                    raise SchemaError(f"column {name!r} must hold strings, found {column.type}")
                column = _as_dictionary(column, targets[name])
            elif name in TIME_COLUMNS:
                if not pa.types.is_integer(column.type):
                    raise SchemaError(f"column {name!r} must hold integers, found {column.type}")
                column = column.cast(targets[name])
            elif name == "value":
                if not (
                    pa.types.is_integer(column.type)
                    or pa.types.is_floating(column.type)
                    or pa.types.is_decimal(column.type)
                    or pa.types.is_null(column.type)
                ):
                    raise SchemaError(f"column 'value' must be numeric, found {column.type}")
                column = column.cast(pa.float64())
                if column.num_chunks and pc.any(pc.is_nan(column)).as_py():
                    column = pc.if_else(pc.is_nan(column), pa.scalar(None, pa.float64()), column)
            else:
                if not (_is_string_like(column.type) or pa.types.is_integer(column.type)):
                    raise SchemaError(
                        f"dimension column {name!r} must hold strings or integers, found {column.type}"
                    )
                column = _as_string(column)
        except pa.ArrowInvalid as exc:  # e.g. year 40000 does not fit int16
            raise SchemaError(f"column {name!r} cannot be cast to its canonical type: {exc}") from exc
        columns.append(column)
    if "status" not in names:
        columns.append(pa.nulls(table.num_rows, status_type()))
        names = [*names, "status"]
    return pa.Table.from_arrays(columns, names=names)


def _first_row(mask: pa.ChunkedArray | pa.Array) -> int:
    return int(pc.index(mask, True).as_py())


def _check_periods(table: pa.Table, meta: TableMeta) -> None:
    """At most one sub-year column, its values in range, and agreement with ``meta.period``."""
    present = [name for name in SUB_YEAR_COLUMNS if name in table.column_names]
    if len(present) > 1:
        raise SchemaError(
            f"a table has at most one sub-year column, found {present}; keep monthly, quarterly and weekly "
            f"figures in separate tables"
        )
    for name in present:
        low, high = SUB_YEAR_COLUMNS[name]
        column = table.column(name)
        bad = pc.or_kleene(pc.less(column, low), pc.greater(column, high))
        if pc.any(bad).as_py():
            row = _first_row(pc.fill_null(bad, False))
            raise SchemaError(
                f"column {name!r} must be {low}–{high}, found {column[row].as_py()} at row {row}"
            )
    if meta.period is None:
        return
    expected = [meta.period] if meta.period in SUB_YEAR_COLUMNS else []
    if present != expected:
        raise SchemaError(
            f"the metadata says the periods are {meta.period.replace('_', ' ')}s, but the table has "
            f"{'the column ' + repr(present[0]) if present else 'no sub-year column'}"
        )


def _validate(table: pa.Table, meta: TableMeta) -> pa.Table:
    """Check the content rules; returns the table with ``-`` values set to 0."""
    for name in ("region", "level", "year", "variable"):
        nulls = table.column(name).null_count
        if nulls:
            row = _first_row(pc.is_null(table.column(name)))
            raise SchemaError(f"column {name!r} has {nulls} empty value(s), the first at row {row}")
    unknown_levels = set(_distinct_strings(table.column("level"))) - _VALID_LEVELS
    if unknown_levels:
        raise SchemaError(
            f"column 'level' has unknown value(s) {sorted(map(str, unknown_levels))}; "
            f"expected one of {sorted(_VALID_LEVELS)}"
        )
    unknown_status = {s for s in _distinct_strings(table.column("status")) if s is not None} - set(
        STATUS_SYMBOLS
    )
    if unknown_status:
        raise SchemaError(
            f"column 'status' has unknown symbol(s) {sorted(unknown_status)}; expected one of "
            f"{list(STATUS_SYMBOLS)} (or empty for an ordinary value)"
        )
    _check_periods(table, meta)
    value, status = table.column("value"), table.column("status")
    status_text = status.cast(pa.string()) if table.num_rows else pa.chunked_array([], pa.string())
    is_zero_status = pc.fill_null(pc.equal(status_text, Status.NOTHING_TO_REPORT.value), False)
    has_other_status = pc.and_(pc.is_valid(status_text), pc.invert(is_zero_status))
    clash = pc.and_(has_other_status, pc.is_valid(value))
    if pc.any(clash).as_py():
        row = _first_row(clash)
        raise SchemaError(
            f"row {row}: value {value[row].as_py()} has status {status_text[row].as_py()!r}, which means "
            f"there is no value; keep the value empty when a status explains why"
        )
    orphan = pc.and_(pc.is_null(value), pc.is_null(status_text))
    if pc.any(orphan).as_py():
        row = _first_row(orphan)
        raise SchemaError(
            f"row {row} (region {table.column('region')[row].as_py()!r}, variable "
            f"{table.column('variable')[row].as_py()!r}): value is empty but status is not set; "
            f"mark a missing value with a status such as '..' (not available) or ':' (suppressed)"
        )
    nonzero_dash = pc.and_(is_zero_status, pc.fill_null(pc.not_equal(value, 0.0), False))
    if pc.any(nonzero_dash).as_py():
        row = _first_row(nonzero_dash)
        raise SchemaError(f"row {row}: status '-' means zero, but the value is {value[row].as_py()}")
    if pc.any(is_zero_status).as_py():
        filled = pc.if_else(is_zero_status, 0.0, value)
        table = table.set_column(table.column_names.index("value"), "value", filled)
    declared = set(meta.variables)
    if declared:
        undeclared = set(_distinct_strings(table.column("variable"))) - declared
        if undeclared:
            raise SchemaError(
                f"variable(s) {sorted(map(str, undeclared))} appear in column 'variable' but have no "
                f"entry (unit, additivity) in the table metadata"
            )
    return table


def _alike(tables: Sequence[pa.Table]) -> list[pa.Table]:
    """The tables without metadata, a column that is dictionary-encoded in some and not in others decoded
    in all (Arrow stacks a dictionary column only on another of the same type)."""
    kinds: dict[str, set[pa.DataType]] = {}
    for table in tables:
        for field in table.schema:
            kinds.setdefault(field.name, set()).add(field.type)
    mixed = {
        name for name, types in kinds.items() if len(types) > 1 and any(map(pa.types.is_dictionary, types))
    }
    out = []
    for table in tables:
        table = table.replace_schema_metadata(None)
        for name in mixed & set(table.column_names):
            column = table.column(name)
            if pa.types.is_dictionary(column.type):
                index = table.column_names.index(name)
                table = table.set_column(index, name, column.cast(column.type.value_type))
        out.append(table)
    return out


def _ordered(table: pa.Table) -> pa.Table:
    first = [c for c in ("region", "level", *TIME_COLUMNS) if c in table.column_names]
    last = ["variable", "value", "status"]
    dims = [c for c in table.column_names if c not in first and c not in last]
    return table.select([*first, *dims, *last])


@typing.final
@attrs.frozen(eq=False)
class StatTable:
    """A validated long-form statistics table with its metadata.

    One row per number: ``region``, ``level``, ``year``, optional ``month``/``quarter``/``week``, the
    source's dimension columns, then ``variable``, ``value`` and ``status`` (SSB's symbol when there is
    no ordinary value).  Every variable has a :class:`Variable` (unit, additivity) in :attr:`meta`,
    together with the geography year and the provenance of the data.

    Build one with :meth:`from_arrow` or :meth:`from_pydict`; the constructor assumes a table that is
    already canonical.  The wrapped :class:`pyarrow.Table` is available as :attr:`arrow`; the table
    also speaks the Arrow PyCapsule stream protocol, so ``polars.DataFrame(t)`` and DuckDB read it
    without copies::

        table = StatTable.from_pydict(
            {"region": ["3301", "3305"], "level": ["municipality"] * 2, "year": [2024, 2024],
             "variable": ["fte", "fte"], "value": [98.4, None], "status": [None, ":"]},
            geography_year=2024,
            variables=[Variable(id="fte", unit="årsverk")],
        )
        table.where(region="3301").to_pylist()
        table.to_pandas()

    ``StatTable(arrow, meta)`` itself does not validate; it is for code that already holds a
    canonical table and its :class:`TableMeta`.
    """

    arrow: pa.Table
    meta: TableMeta = attrs.field(factory=TableMeta)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_arrow(
        cls,
        table: pa.Table | pa.RecordBatch,
        *,
        meta: TableMeta | None = None,
        source: str | None = None,
        geography_year: int | None = None,
        variables: Mapping[str, Variable] | Iterable[Variable] | None = None,
        provenance: Sequence[Provenance] | None = None,
        title: str | None = None,
    ) -> StatTable:
        """Validate ``table`` against the canonical schema and attach metadata.

        Metadata comes from ``meta``, else from the table's own schema metadata (a table read back
        from Parquet), overridden field by field by the keyword arguments.
        """
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if meta is None:
            raw = (table.schema.metadata or {}).get(METADATA_KEY)
            meta = TableMeta.from_json(raw) if raw else TableMeta()
        changes: dict[str, Any] = {}
        if source is not None:
            changes["source"] = source
        if geography_year is not None:
            changes["geography_year"] = geography_year
        if variables is not None:
            changes["variables"] = _variables_converter(variables)
        if provenance is not None:
            changes["provenance"] = tuple(provenance)
        if title is not None:
            changes["title"] = title
        if changes:
            meta = attrs.evolve(meta, **changes)
        canonical = _ordered(_validate(_normalise(table.replace_schema_metadata(None)), meta))
        return cls(canonical.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)

    @classmethod
    def from_pydict(cls, columns: Mapping[str, Sequence[Any]], **meta: Any) -> StatTable:
        """Build from plain Python lists (handy in notebooks and tests)."""
        return cls.from_arrow(pa.table(dict(columns)), **meta)

    @classmethod
    def concat(cls, tables: Sequence[StatTable]) -> StatTable:
        """Stack tables with the same geography year; dimension columns missing in one become null."""
        if not tables:
            raise SchemaError("StatTable.concat needs at least one table")
        meta = tables[0].meta
        for other in tables[1:]:
            meta = meta.merged_with(other.meta)
        arrow = pa.concat_tables(_alike([t.arrow for t in tables]), promote_options="permissive")
        return cls.from_arrow(arrow.unify_dictionaries(), meta=meta)

    # -- derived tables ---------------------------------------------------------------------------
    def with_arrow(self, table: pa.Table, **meta_changes: Any) -> StatTable:
        """A new validated StatTable from ``table`` with this table's metadata (optionally changed)."""
        meta = attrs.evolve(self.meta, **meta_changes) if meta_changes else self.meta
        return StatTable.from_arrow(table.replace_schema_metadata(None), meta=meta)

    def filter(self, mask: pa.ChunkedArray | pa.Array | pc.Expression) -> StatTable:
        """Rows where ``mask`` is true (a boolean array or a pyarrow compute expression)."""
        return StatTable(self.arrow.filter(mask), self.meta)

    def where(self, **equals: Any) -> StatTable:
        """Rows where each named column equals the value (or is in the list of values)."""
        expr: pc.Expression | None = None
        for name, wanted in equals.items():
            if name not in self.arrow.column_names:
                raise SchemaError(f"where(): no column {name!r}; columns are {self.arrow.column_names}")
            field = pc.field(name)
            if isinstance(wanted, (list, tuple, set, frozenset)):
                term = field.isin(list(wanted))
            else:
                term = field == wanted
            expr = term if expr is None else expr & term
        return self if expr is None else self.filter(expr)

    def variables_subset(self, variable_ids: Iterable[str]) -> StatTable:
        """Only the named variables (and their metadata)."""
        wanted = list(variable_ids)
        keep = {k: v for k, v in self.meta.variables.items() if k in wanted}
        return StatTable(self.where(variable=wanted).arrow, attrs.evolve(self.meta, variables=keep))

    # -- accessors --------------------------------------------------------------------------------
    @property
    def num_rows(self) -> int:
        """The number of rows (observations), as ``len(table)``."""
        return int(self.arrow.num_rows)

    def __len__(self) -> int:
        return self.num_rows

    @property
    def columns(self) -> list[str]:
        """All column names in canonical order: keys, dimensions, then variable, value, status."""
        return list(self.arrow.column_names)

    @property
    def dimensions(self) -> list[str]:
        """Dimension columns named by the source (everything that is not a reserved column)."""
        return [c for c in self.arrow.column_names if c not in RESERVED_COLUMNS]

    @property
    def has_month(self) -> bool:
        """Whether the table is monthly (has a ``month`` column)."""
        return "month" in self.arrow.column_names

    @property
    def sub_year(self) -> str | None:
        """The table's sub-year column (``"month"``, ``"quarter"`` or ``"week"``), or ``None``."""
        return next((c for c in SUB_YEAR_COLUMNS if c in self.arrow.column_names), None)

    @property
    def period(self) -> PeriodKind:
        """What one period of the table is: years, months, quarters, ISO weeks or school years."""
        if self.meta.period is not None:
            return PeriodKind(self.meta.period)
        return PeriodKind(self.sub_year or PeriodKind.YEAR.value)

    def period_labels(self) -> pa.ChunkedArray:
        """Every row's period as SSB writes it (``2024``, ``2024M03``, ``2024K1``, ``2022-2023``)."""
        from samhandling.periods import period_labels

        column = self.sub_year
        return period_labels(
            self.arrow.column("year"), self.arrow.column(column) if column else None, kind=self.period
        )

    @property
    def variables(self) -> dict[str, Variable]:
        """The declared variables by id (a copy of ``meta.variables``)."""
        return dict(self.meta.variables)

    @property
    def geography_year(self) -> int | None:
        """The year whose municipality map the codes in ``region`` belong to (``None`` if unknown)."""
        return self.meta.geography_year

    @property
    def source(self) -> str:
        """The name of the source that made the table (``a+b`` after combining tables)."""
        return self.meta.source

    @property
    def provenance(self) -> tuple[Provenance, ...]:
        """Every file or URL the numbers came from, with checksums and retrieval times."""
        return self.meta.provenance

    @property
    def synthetic(self) -> bool:
        """Whether any of the table's numbers are made up: a provenance entry says so, or the metadata
        (``meta.extra["synthetic"]``, as tables written before the provenance flag say it)."""
        return any(p.synthetic for p in self.meta.provenance) or bool(self.meta.extra.get("synthetic"))

    def variable_ids(self) -> list[str]:
        """The distinct ids in the ``variable`` column, in order of first appearance."""
        return [v for v in _distinct_strings(self.arrow.column("variable")) if v is not None]

    def years(self) -> list[int]:
        """The distinct years in the table, sorted."""
        return sorted(int(y) for y in pc.unique(self.arrow.column("year")).to_pylist())

    def levels(self) -> list[str]:
        """The distinct levels in the ``level`` column (e.g. ``["municipality", "county"]``)."""
        return [str(v) for v in _distinct_strings(self.arrow.column("level")) if v is not None]

    def variable(self, variable_id: str) -> Variable:
        """The metadata of one variable; a variable without declared metadata counts as additive."""
        try:
            return self.meta.variables[variable_id]
        except KeyError:
            if variable_id in self.variable_ids():
                return Variable(id=variable_id)
            raise SchemaError(
                f"no variable {variable_id!r} in this table; it has {self.variable_ids()}"
            ) from None

    def unit_of(self, variable_id: str) -> str:
        """The pint unit string of one variable, e.g. ``"årsverk"``."""
        return self.variable(variable_id).unit

    def status_counts(self) -> dict[str | None, int]:
        """How many rows carry each status (``None``: ordinary values)."""
        counts = pc.value_counts(self.arrow.column("status").cast(pa.string()))
        return {row["values"]: row["counts"] for row in counts.to_pylist()}

    def quantity(self, variable_id: str) -> pint.Quantity[Any]:
        """The values of one variable as one pint Quantity (empty values are NaN)."""
        from samhandling.units import Quantity, parse_unit

        column = self.where(variable=variable_id).arrow.column("value")
        return Quantity(column.to_numpy(zero_copy_only=False), parse_unit(self.unit_of(variable_id)))

    def convert(self, variable_id: str, unit: str) -> StatTable:
        """Convert one variable's values to ``unit`` (whole column at once) and record the new unit."""
        from samhandling.units import convert_array

        var = self.variable(variable_id)
        mask = pc.equal(self.arrow.column("variable").cast(pa.string()), variable_id)
        value = self.arrow.column("value").combine_chunks()
        converted = convert_array(value.to_numpy(zero_copy_only=False), var.unit, unit)
        converted_array = pa.array(
            converted, pa.float64(), mask=value.is_null().to_numpy(zero_copy_only=False)
        )
        new_values = pc.if_else(mask, converted_array, value)
        table = self.arrow.set_column(self.arrow.column_names.index("value"), "value", new_values)
        variables = {**self.meta.variables, variable_id: attrs.evolve(var, unit=unit)}
        return StatTable.from_arrow(table, meta=attrs.evolve(self.meta, variables=variables))

    # -- interchange ------------------------------------------------------------------------------
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """Arrow PyCapsule stream interface (DuckDB, polars, pyarrow read the table without a copy)."""
        return self.arrow.__arrow_c_stream__(requested_schema)

    def to_pandas(self, **kwargs: Any) -> pandas.DataFrame:
        """A pandas DataFrame (needs the ``pandas`` extra); metadata is kept in ``DataFrame.attrs``."""
        try:
            import pandas  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'samhandling[pandas]'") from exc
        frame: pandas.DataFrame = self.arrow.to_pandas(**kwargs)
        frame.attrs["samhandling"] = json.loads(self.meta.to_json())
        return frame

    def to_polars(self) -> polars.DataFrame:
        """A polars DataFrame (needs the ``polars`` extra), read through the Arrow stream interface."""
        try:
            import polars
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_polars() needs polars: pip install 'samhandling[polars]'") from exc
        return polars.DataFrame(self.arrow)

    def to_pylist(self) -> list[dict[str, Any]]:
        """The rows as dictionaries (for small tables, tests and printing; slow on big ones)."""
        return list(self.arrow.to_pylist())

    def equals(self, other: StatTable, *, check_order: bool = False) -> bool:
        """Same rows (in any order unless asked), statuses and metadata (provenance times ignored)."""
        if self.meta.variables != other.meta.variables or self.geography_year != other.geography_year:
            return False
        if sorted(self.columns) != sorted(other.columns) or self.num_rows != other.num_rows:
            return False
        left = _comparable(self.arrow.select(sorted(self.columns)))
        right = _comparable(other.arrow.select(sorted(self.columns)))
        if not check_order:
            keys = [(c, "ascending") for c in left.column_names]
            left, right = left.sort_by(keys), right.sort_by(keys)
        return bool(left.equals(right))

    def __repr__(self) -> str:
        years = self.years()
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "no years")
        return (
            f"<StatTable {self.meta.source or 'unnamed'}: {self.num_rows} rows, years {span}, "
            f"levels {self.levels()}, variables {self.variable_ids()[:6]}"
            f"{'…' if len(self.variable_ids()) > 6 else ''}, geography {self.geography_year}>"
        )

    def _repr_html_(self) -> str:
        """In a notebook: the first rows, the variables with their units, the statuses and the sources."""
        from samhandling.notebook import stattable_html

        return stattable_html(self)


def _comparable(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded so that two tables with different dictionaries compare equal."""
    columns = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)
