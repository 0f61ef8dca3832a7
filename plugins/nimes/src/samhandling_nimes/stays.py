"""Stay-level extracts → admissions, bed-days, patients, acute, involuntary and readmissions per month.

An extract has one row per stay (avdelingsopphold): a pseudonymous patient id, the patient's home
municipality, the unit, the admission and discharge dates, acute or planned, and the involuntary-care
(TPH) flag.  :func:`aggregate_stays` streams it batch by batch with :mod:`pyarrow.dataset` (CSV, Parquet,
or a folder of files), so an extract larger than memory works, and counts per home municipality ×
month × unit:

``admissions``        stays begun in the month
``bed_days``          nights in the month (a stay over a month boundary is split over the months)
``patients``          distinct patients admitted in the month to the unit (not additive)
``acute_admissions``  admissions marked acute
``involuntary_stays`` stays begun in the month under TPH
``readmissions_30d``  admissions 1–30 days after the same patient's previous discharge

Counting is direct addressing on dictionary codes (``numpy.add.at`` on a small, known key space), never
a record-level join.  Harmonising onto another municipality map happens *after* aggregation
(``harmonise_to=``), on the small aggregated table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from samhandling.checks import Finding, Severity
from samhandling.errors import ParseError, SamhandlingError, SchemaError
from samhandling.model import CareUnit
from samhandling.tables import Provenance, StatTable, TableMeta, level_type, variable_type
from samhandling_nimes.catalogue import unit_lookup
from samhandling_nimes.findings import FINDINGS_KEY, findings_to_extra
from samhandling_nimes.variables import STAY_VARIABLES, variables_for

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager

__all__ = [
    "SOURCE_NAME",
    "STAY_COLUMNS",
    "StayAggregate",
    "aggregate_stays",
    "aggregate_stays_wide",
    "looks_like_stay_extract",
]

SOURCE_NAME = "nimes-stays"

#: The fields of a stay and the column names each is recognised by (case is ignored).
STAY_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "patient": ("patient", "patient_id", "pasient", "pasient_id", "pasientid", "lopenr", "løpenr", "pid"),
    "municipality": (
        "municipality",
        "home_municipality",
        "bostedskommune",
        "kommune",
        "kommunenr",
        "komnr",
        "region",
    ),
    "unit": ("unit", "unit_code", "avdeling", "enhet", "behandlingssted", "post"),
    "admitted": (
        "admitted",
        "admission_date",
        "innskrivningsdato",
        "inndato",
        "innleggelsesdato",
        "admission",
    ),
    "discharged": ("discharged", "discharge_date", "utskrivningsdato", "utdato", "discharge"),
    "acute": ("acute", "akutt", "hastegrad", "emergency", "acute_planned", "akutt_planlagt"),
    "involuntary": (
        "involuntary",
        "tph",
        "tvang",
        "tvungen",
        "involuntary_care",
        "tvungent_psykisk_helsevern",
    ),
}
_REQUIRED = ("patient", "municipality", "unit", "admitted", "discharged")
_NEEDS = {
    "acute_admissions": "acute",
    "involuntary_stays": "involuntary",
}
_TRUE = {
    "1",
    "true",
    "t",
    "ja",
    "j",
    "yes",
    "y",
    "x",
    "akutt",
    "acute",
    "øh",
    "ø-hjelp",
    "øyeblikkelig hjelp",
    "tph",
    "tvang",
    "tvungen",
    "involuntary",
}
_FALSE = {
    "0",
    "false",
    "f",
    "nei",
    "n",
    "no",
    "planlagt",
    "planned",
    "elektiv",
    "elective",
    "frivillig",
    "voluntary",
}
_CODE = re.compile(r"\d{4}|\d{6}")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y%m%d", "%d/%m/%Y")
# Months are counted from January 1900 so that every index is non-negative.
_BASE_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_LAST_DAY = int(np.datetime64("2200-01-01", "D").astype(np.int64))
_DAY_TO_MONTH: npt.NDArray[np.int32] = (
    np.arange(_BASE_DAY, _LAST_DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 840
).astype(np.int32)
_MONTH_START: npt.NDArray[np.int64] = (
    (np.arange(0, 300 * 12 + 1) - 840).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
)


def _month_of_days(days: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Month index (months since January 1900) of day numbers, by table lookup.

    ``numpy.take`` rather than ``table[days]``: the same gather at about half the cost.
    """
    months: npt.NDArray[np.int32] = np.take(_DAY_TO_MONTH_WRAPPED, days)
    return months


def _wrapped(by_day: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A day-indexed table laid out so that the day number itself is the index.

    Days from 1970 on come first; days before 1970 are negative and index from the end, the way numpy
    reads negative indices.  Looking a day up then costs one gather and no subtraction.
    """
    return np.concatenate([by_day[-_BASE_DAY:], by_day[:-_BASE_DAY]])


_DAY_TO_MONTH_WRAPPED: npt.NDArray[np.int32] = _wrapped(_DAY_TO_MONTH)


# -- opening the extract ---------------------------------------------------------------------------


def _fold(name: str) -> str:
    return name.strip().casefold().replace(" ", "_").replace("-", "_")


def _match_columns(
    names: Sequence[str], columns: Mapping[str, str] | None, where: str, wanted: Sequence[str]
) -> dict[str, str]:
    given = dict(columns or {})
    unknown_fields = [k for k in given if k not in STAY_COLUMNS]
    if unknown_fields:
        raise SchemaError(
            f"columns= names unknown field(s) {unknown_fields}; fields are {list(STAY_COLUMNS)}"
        )
    folded = {_fold(n): n for n in names}
    found: dict[str, str] = {}
    for field in wanted:
        if field in given:
            if given[field] not in names:
                raise ParseError(
                    f"columns= maps {field!r} to {given[field]!r}, but the columns are {list(names)}",
                    path=where,
                )
            found[field] = given[field]
            continue
        for alias in STAY_COLUMNS[field]:
            if alias in folded:
                found[field] = folded[alias]
                break
        else:
            raise ParseError(
                f"no column for the {field} of a stay; expected one of {list(STAY_COLUMNS[field])} or "
                f"columns={{{field!r}: '<name>'}}; the columns are {list(names)}",
                path=where,
            )
    return found


def _csv_header(path: Path, encoding: str | None, delimiter: str | None) -> tuple[list[str], str, str]:
    with path.open("rb") as handle:
        head = handle.read(65536)
    if encoding is None:
        if head.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
            head = head[3:]
        else:
            try:
                head.decode("utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError as exc:
                # a cut multi-byte character at the end of the sample is not an encoding problem
                encoding = "utf-8" if exc.start >= len(head) - 3 else "cp1252"
    elif head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    first = head.decode(encoding, errors="replace").splitlines()[0] if head else ""
    if delimiter is None:
        counts = {d: first.count(d) for d in (";", "\t", ",", "|")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    return [c.strip().strip('"') for c in first.split(delimiter)], encoding, delimiter


def _files(location: Path, suffixes: tuple[str, ...]) -> list[str]:
    if location.is_dir():
        return sorted(str(p) for p in location.rglob("*") if p.is_file() and p.suffix.casefold() in suffixes)
    return [str(location)]


def _open(
    location: Path,
    columns: Mapping[str, str] | None,
    wanted: Sequence[str],
    encoding: str | None,
    delimiter: str | None,
) -> tuple[ds.Dataset, dict[str, str], str]:
    """The dataset, field → column name, and ``"csv"`` or ``"parquet"``."""
    if not location.exists():
        raise ParseError("no such file or folder", path=location)
    parquet_files = _files(location, (".parquet", ".parq", ".pq"))
    is_parquet = (location.is_dir() and bool(parquet_files)) or location.suffix.casefold() in {
        ".parquet",
        ".parq",
        ".pq",
    }
    if is_parquet:
        schema = ds.dataset(parquet_files, format="parquet").schema
        mapping = _match_columns(schema.names, columns, str(location), wanted)
        dictionary_columns = [mapping[f] for f in ("municipality", "unit") if f in mapping]
        fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=dictionary_columns))
        return ds.dataset(parquet_files, format=fmt), mapping, "parquet"
    import pyarrow.csv as pcsv

    files = _files(location, (".csv", ".txt", ".tsv"))
    if not files:
        raise ParseError("no CSV or Parquet files in the folder", path=location)
    names, encoding, delimiter = _csv_header(Path(files[0]), encoding, delimiter)
    mapping = _match_columns(names, columns, files[0], wanted)
    text_dictionary = pa.dictionary(pa.int32(), pa.string())
    column_types: dict[str, pa.DataType] = {mapping["patient"]: pa.string()}
    for field in ("municipality", "unit", "admitted", "discharged", "acute", "involuntary"):
        if field in mapping:
            column_types[mapping[field]] = text_dictionary
    fmt = ds.CsvFileFormat(
        parse_options=pcsv.ParseOptions(delimiter=delimiter),
        read_options=pcsv.ReadOptions(encoding=encoding, block_size=1 << 24),
        convert_options=pcsv.ConvertOptions(column_types=column_types, strings_can_be_null=True),
    )
    return ds.dataset(files, format=fmt), mapping, "csv"


# -- per-batch normalisation -----------------------------------------------------------------------


@attrs.frozen
class _Where:
    path: str
    kind: str
    offset: int

    def error(self, message: str, index: int, column: str) -> ParseError:
        if self.kind == "csv":
            return ParseError(message, path=self.path, line=self.offset + index + 2, column=column)
        return ParseError(f"row {self.offset + index + 1}: {message}", path=self.path, column=column)


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _dictionary(array: pa.Array) -> pa.DictionaryArray:
    if pa.types.is_dictionary(array.type):
        return array
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.string())
    return pc.dictionary_encode(array)


def _codes(
    array: pa.Array, known: dict[str, int], where: _Where, column: str, check: re.Pattern[str] | None
) -> npt.NDArray[np.int32]:
    """Global codes for a string column, assigned on the dictionary (never per row)."""
    encoded = _dictionary(array)
    if encoded.null_count:
        index = _first(encoded.is_null().to_numpy(zero_copy_only=False))
        raise where.error("empty value; every stay needs one", index, column)
    values = encoded.dictionary.to_pylist()
    lut = np.empty(len(values), dtype=np.int32)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    for position, raw in enumerate(values):
        text = raw.strip() if isinstance(raw, str) else str(raw)
        if check is not None and not check.fullmatch(text):
            used = indices == position
            if used.any():
                raise where.error(
                    f"{raw!r} is not a 4-digit municipality or 6-digit district code", _first(used), column
                )
        lut[position] = known.setdefault(text, len(known))
    if np.array_equal(lut, np.arange(len(lut), dtype=np.int32)) and indices.dtype == np.int32:
        same: npt.NDArray[np.int32] = indices  # the dictionary is in first-seen order: no gather
        return same
    codes: npt.NDArray[np.int32] = np.take(lut, indices)
    return codes


def _days(array: pa.Array, where: _Where, column: str, nullable: bool) -> npt.NDArray[np.int32]:
    """Day numbers (days since 1970-01-01); missing discharge dates become -1 when ``nullable``."""
    typ = array.type
    if pa.types.is_dictionary(typ) or pa.types.is_string(typ) or pa.types.is_large_string(typ):
        encoded = _dictionary(array)
        parsed = []
        for raw in encoded.dictionary.to_pylist():
            parsed.append(_parse_date(raw, encoded, where, column))
        lut = np.asarray(parsed, dtype=np.int32)
        days = (
            lut[encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)]
            if len(lut)
            else np.zeros(len(array), np.int32)
        )
    elif pa.types.is_date32(typ):
        as_int = array.view(pa.int32())  # the same buffer read as day numbers: no copy
        days = (as_int.fill_null(0) if array.null_count else as_int).to_numpy(zero_copy_only=False)
    elif pa.types.is_date64(typ) or pa.types.is_timestamp(typ):
        seconds = array.cast(pa.timestamp("s", tz=getattr(typ, "tz", None))).cast(pa.int64()).fill_null(0)
        days = (seconds.to_numpy(zero_copy_only=False) // 86400).astype(np.int32)
    else:
        raise where.error(f"expected dates, found a column of type {typ}", 0, column)
    if array.null_count:
        missing = array.is_null().to_numpy(zero_copy_only=False)
        if not nullable:
            raise where.error("empty date; every stay needs one", _first(missing), column)
        days = days.copy()
        days[missing] = -1
    low = int(days.min()) if days.size else 0
    if (low < _BASE_DAY and not (nullable and low == -1)) or (
        days.size and int(days.max()) >= _LAST_DAY - 400
    ):
        out_of_range = (days < _BASE_DAY) | (days >= _LAST_DAY - 400)
        if nullable:
            out_of_range &= days != -1
        if out_of_range.any():
            raise where.error("date outside 1900–2199", _first(out_of_range), column)
    return days


def _parse_date(raw: str | None, encoded: pa.DictionaryArray, where: _Where, column: str) -> int:
    if raw is None:
        return 0
    text = raw.strip()
    for form in _DATE_FORMATS:
        try:
            return (dt.datetime.strptime(text, form).date() - dt.date(1970, 1, 1)).days
        except ValueError:
            continue
    position = encoded.dictionary.to_pylist().index(raw)
    used = encoded.indices.to_numpy(zero_copy_only=False) == position
    raise where.error(
        f"{raw!r} is not a date (expected YYYY-MM-DD or DD.MM.YYYY)",
        _first(used) if used.any() else 0,
        column,
    )


def _flags(array: pa.Array, where: _Where, column: str) -> npt.NDArray[np.bool_]:
    typ = array.type
    if array.null_count:
        raise where.error(
            "empty value; expected acute/planned or a yes/no flag",
            _first(array.is_null().to_numpy(zero_copy_only=False)),
            column,
        )
    if pa.types.is_boolean(typ):
        return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.bool_)
    if pa.types.is_integer(typ):
        values = array.to_numpy(zero_copy_only=False)
        bad = (values != 0) & (values != 1)
        if bad.any():
            raise where.error(f"expected 0 or 1, found {values[_first(bad)]}", _first(bad), column)
        flags: npt.NDArray[np.bool_] = values.astype(np.bool_)
        return flags
    encoded = _dictionary(array)
    lut = np.zeros(len(encoded.dictionary), dtype=np.bool_)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    for position, raw in enumerate(encoded.dictionary.to_pylist()):
        text = str(raw).strip().casefold()
        if text in _TRUE:
            lut[position] = True
        elif text not in _FALSE:
            used = indices == position
            if used.any():
                raise where.error(
                    f"{raw!r} is neither yes (1, ja, akutt, tph) nor no (0, nei, planlagt, frivillig)",
                    _first(used),
                    column,
                )
    result: npt.NDArray[np.bool_] = np.take(lut, indices)
    return result


# -- accumulation ----------------------------------------------------------------------------------


#: The admissions with their flags, as four counts per (month, unit, area): planned voluntary, acute,
#: involuntary, acute and involuntary.  One ``numpy.add.at`` counts all three variables.
_STARTS = "_starts"
_CHANNELS = 4
#: One, as a 32-bit number: ``numpy.add.at`` takes its fast path only when the types match exactly.
_ONE = np.int32(1)


@attrs.define
class _Grid:
    """Counts per (month, unit, municipality), growing as new months, units and areas appear."""

    first_month: int = -1
    counts: dict[str, npt.NDArray[np.int32]] = attrs.field(factory=dict)

    dims: tuple[int, int, int] = (0, 0, 0)

    def shape(self) -> tuple[int, int, int]:
        """(months, units, areas) of the arrays, headroom included."""
        return self.dims

    def ensure(self, first: int, last: int, units: int, areas: int, names: Sequence[str]) -> None:
        """Make room for months ``first…last``, ``units`` units and ``areas`` areas."""
        t, u, m = self.shape()
        if self.first_month < 0:
            self.first_month = first
        new_first = min(self.first_month, first)
        new_t = max(self.first_month + t, last + 1) - new_first
        new_u, new_m = max(u, units), max(m, areas)
        if (new_first, new_t, new_u, new_m) == (self.first_month, t, u, m) and all(
            n in self.counts for n in names
        ):
            return
        # double the months at a time, so that a date-sorted stream copies the arrays only a few times
        # (the untouched headroom of a fresh zeroed array costs no memory)
        if new_t > t and t:
            new_t = max(new_t, 2 * t)
        new_u = max(new_u, u + 8) if new_u > u and u else new_u
        new_m = max(new_m, m + 32) if new_m > m and m else new_m
        grown: dict[str, npt.NDArray[np.int32]] = {}
        shift = self.first_month - new_first
        for name in dict.fromkeys([*self.counts, *names]):
            # the array of the admissions and their flags has four counts per area (see _count_batch)
            channels = _CHANNELS if name == _STARTS else 1
            # 32-bit counts: a cell holds one municipality's stays of one unit in one month
            array = np.zeros((new_t, new_u, new_m * channels), dtype=np.int32)
            old = self.counts.pop(name, None)
            if old is not None:
                array[shift : shift + t, :u, : m * channels] = old
                del old
            grown[name] = array
        self.counts = grown
        self.first_month = new_first
        self.dims = (new_t, new_u, new_m)

    def unit_area(self, unit: npt.NDArray[np.int32], area: npt.NDArray[np.int32]) -> npt.NDArray[np.intp]:
        """The unit × area part of the key (computed once per batch)."""
        _, _, m = self.shape()
        result: npt.NDArray[np.intp] = unit.astype(np.intp)
        result *= m
        result += area
        return result

    def flat(self, name: str) -> npt.NDArray[np.int32]:
        """The named counts as one flat array (a view), for ``numpy.add.at``."""
        view: npt.NDArray[np.int32] = self.counts[name].reshape(-1)
        return view

    def flat_keys(
        self, month: npt.NDArray[np.int32], unit_area: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.intp]:
        """Positions of (month, unit, area) in the flat arrays."""
        _, u, m = self.shape()
        key: npt.NDArray[np.intp] = month.astype(np.intp)
        key -= self.first_month
        key *= u * m
        key += unit_area
        return key

    def add(
        self,
        name: str,
        month: npt.NDArray[np.int32],
        unit: npt.NDArray[np.int32],
        area: npt.NDArray[np.int32],
        weights: npt.NDArray[Any] | None = None,
    ) -> None:
        """Add one (or ``weights``) per row at (month, unit, area), in place."""
        if month.size == 0:
            return
        key = self.flat_keys(month, self.unit_area(unit, area))
        np.add.at(self.flat(name), key, _ONE if weights is None else weights)


#: Days from a day to the end of its month, inclusive (31 January → 1), by day number.
_REST_OF_MONTH: npt.NDArray[np.int32] = (
    _MONTH_START[_DAY_TO_MONTH + 1] - np.arange(_BASE_DAY, _LAST_DAY)
).astype(np.int32)


_REST_OF_MONTH_WRAPPED: npt.NDArray[np.int32] = _wrapped(_REST_OF_MONTH)


def _add_bed_days(
    grid: _Grid,
    admit: npt.NDArray[np.int32],
    discharge: npt.NDArray[np.int32],
    unit_area: npt.NDArray[np.intp],
) -> None:
    """Nights from ``admit`` to ``discharge - 1``, split over the calendar months they fall in.

    A stay is a ramp that starts at admission minus one that starts at discharge.  A ramp adds the
    rest of its first month there and whole months after it; the whole months are counted as the
    running sum of starts minus ends per (unit, area) (``_occupancy``), multiplied by the days of each
    month in :func:`_finish_bed_days`.  No stay is split row by row.
    """
    if admit.size == 0:
        return
    start = grid.flat_keys(_month_of_days(admit), unit_area)
    end = grid.flat_keys(_month_of_days(discharge), unit_area)
    np.add.at(grid.flat("bed_days"), start, _REST_OF_MONTH_WRAPPED[admit])
    np.subtract.at(grid.flat("bed_days"), end, _REST_OF_MONTH_WRAPPED[discharge])
    np.add.at(grid.flat("_occupancy"), start, _ONE)
    np.subtract.at(grid.flat("_occupancy"), end, _ONE)


def _count_batch(
    grid: _Grid,
    names: Sequence[str],
    month: npt.NDArray[np.int32],
    end_month: npt.NDArray[np.int32],
    admit: npt.NDArray[np.int32],
    ends: npt.NDArray[np.int32],
    unit_area: npt.NDArray[np.int32],
    flags: Mapping[str, npt.NDArray[np.bool_]],
) -> None:
    """Admissions, the flag counts and bed-days of one batch, added in place by direct addressing.

    ``numpy.add.at`` on the dictionary codes writes straight into the 32-bit counts: no per-batch
    tables, no filtering of rows, and no histogram of the whole key space (a date-sorted batch touches a
    few months of it).  The keys are 32-bit where the counts allow, which halves their memory traffic.
    Admissions count as the starts of the occupancy that :func:`_finish_bed_days` turns into whole
    months of bed-days.

    :param unit_area: ``unit * areas + area`` with the grid's number of areas.
    """
    if month.size == 0:
        return
    t, u, m = grid.shape()
    um = u * m
    index_type: type[np.integer[Any]] = np.int32 if t * um * _CHANNELS < 2**31 else np.int64
    key: npt.NDArray[Any] = (month - np.int32(grid.first_month)).astype(index_type, copy=False)
    key *= index_type(um)
    key += unit_area
    if flags:
        # one count for admissions and both flags: the flags pick one of four counts per key
        coded: npt.NDArray[Any] = key << 2
        acute = flags.get("acute_admissions")
        if acute is not None:
            coded += acute.view(np.uint8)
        involuntary = flags.get("involuntary_stays")
        if involuntary is not None:
            coded += involuntary.view(np.uint8) << np.uint8(1)
        np.add.at(grid.flat(_STARTS), coded, _ONE)
        del coded
    else:
        np.add.at(grid.flat("_admissions"), key, _ONE)
    if "bed_days" in names:
        np.add.at(grid.flat("bed_days"), key, np.take(_REST_OF_MONTH_WRAPPED, admit))
        # the discharge key is the admission key moved on by the months the stay lasted
        end: npt.NDArray[Any] = (end_month - month).astype(index_type, copy=False)
        end *= index_type(um)
        end += key
        np.subtract.at(grid.flat("bed_days"), end, np.take(_REST_OF_MONTH_WRAPPED, ends))
        np.subtract.at(grid.flat("_occupancy"), end, _ONE)


def _finish_bed_days(grid: _Grid, *, starts: str | None = None) -> None:
    """Add the whole months: stays in care at the start of a month × the days of the month.

    :param starts: a further array of stay starts (the admissions) to count into the occupancy.
    """
    change = grid.counts.pop("_occupancy")
    if starts is not None:
        change += grid.counts[starts]
    occupancy = np.cumsum(change, axis=0, out=change)
    t = grid.shape()[0]
    lengths = np.diff(_MONTH_START[grid.first_month : grid.first_month + t + 1]).astype(np.int32)
    # stays in care at the start of month k are those begun and not ended before it
    grid.counts["bed_days"][1:] += occupancy[:-1] * lengths[1:, None, None]


@attrs.define
class _Stays:
    """What patients and readmissions need per stay (28 bytes), kept in compact chunks."""

    patient: list[npt.NDArray[Any]] = attrs.field(factory=list)
    admit: list[npt.NDArray[np.int32]] = attrs.field(factory=list)
    discharge: list[npt.NDArray[np.int32]] = attrs.field(factory=list)
    month: list[npt.NDArray[np.int32]] = attrs.field(factory=list)
    unit: list[npt.NDArray[np.int32]] = attrs.field(factory=list)
    area: list[npt.NDArray[np.int32]] = attrs.field(factory=list)
    sorted_by_date: bool = True
    last_day: int = -(2**31)
    strings: bool = False


@attrs.frozen
class StayAggregate:
    """The result of aggregating an extract, before it becomes a StatTable.

    ``wide`` has one row per home municipality × month × unit with a column per variable;
    ``findings`` are the quality findings; ``stays`` is the number of stays read.
    """

    wide: pa.Table
    findings: tuple[Finding, ...]
    stays: int
    geography_year: int
    location: str


def _patient_ids(array: pa.Array, where: _Where, column: str) -> tuple[Any, bool]:
    """Integer ids as a numpy array; text ids stay an Arrow string array (never Python objects)."""
    if array.null_count:
        raise where.error("empty patient id", _first(array.is_null().to_numpy(zero_copy_only=False)), column)
    if pa.types.is_integer(array.type):
        return array.to_numpy(zero_copy_only=False).astype(np.int64, copy=False), False
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    return array.cast(pa.string()), True


def _per_patient(
    stays: _Stays, grid: _Grid, open_until: int, readmission_days: int, names: Sequence[str]
) -> None:
    """Distinct patients and 30-day readmissions, from the per-stay chunks (one sort by patient)."""
    if not stays.admit:
        return
    admit = np.concatenate(stays.admit)
    stays.admit.clear()
    discharge = np.concatenate(stays.discharge)
    stays.discharge.clear()
    discharge[discharge < 0] = open_until
    if stays.strings:
        ids = pc.dictionary_encode(
            pa.chunked_array(
                [c if isinstance(c, pa.Array) else pa.array(c).cast(pa.string()) for c in stays.patient]
            )
        ).combine_chunks()
        patient = ids.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        patient = np.concatenate(stays.patient)
        low, high = int(patient.min()), int(patient.max())
        if high - low >= 2**31:
            encoded = pc.dictionary_encode(pa.array(patient))
            patient = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        else:
            patient = patient - low
    stays.patient.clear()
    month = np.concatenate(stays.month)
    unit = np.concatenate(stays.unit)
    area = np.concatenate(stays.area)
    stays.month.clear()
    stays.unit.clear()
    stays.area.clear()
    if not stays.sorted_by_date:
        order = np.argsort(admit, kind="stable")
        admit, discharge, patient, month, unit, area = (
            admit[order],
            discharge[order],
            patient[order],
            month[order],
            unit[order],
            area[order],
        )
        del order
    n = admit.size
    # one sort of (patient, row): rows are in admission order, so each patient's stays come out in order
    composite = (patient << 32) | np.arange(n, dtype=np.int64)
    del patient
    composite.sort()
    rows = (composite & 0xFFFFFFFF).astype(np.intp)
    patient_sorted = composite >> 32
    del composite
    admit_s, discharge_s = admit[rows], discharge[rows]
    del admit, discharge
    month_s, unit_s, area_s = month[rows], unit[rows], area[rows]
    del month, unit, area, rows
    same_patient = np.zeros(n, dtype=np.bool_)
    same_patient[1:] = patient_sorted[1:] == patient_sorted[:-1]
    if "readmissions_30d" in names:
        # running maximum of discharge days within each patient: patient in the high bits keeps groups apart
        base = int(discharge_s.min())
        running = np.maximum.accumulate((patient_sorted << 24) | (discharge_s - base).astype(np.int64))
        previous = np.empty(n, dtype=np.int64)
        previous[0] = 0
        previous[1:] = (running[:-1] & 0xFFFFFF) + base
        del running
        gap = admit_s - previous
        readmitted = same_patient & (gap >= 1) & (gap <= readmission_days)
        grid.add("readmissions_30d", month_s[readmitted], unit_s[readmitted], area_s[readmitted])
    if "patients" in names:
        same_month = same_patient.copy()
        same_month[1:] &= month_s[1:] == month_s[:-1]
        shared = same_month.copy()
        shared[:-1] |= same_month[1:]
        alone = ~shared
        grid.add("patients", month_s[alone], unit_s[alone], area_s[alone])
        if shared.any():
            _, u, m = grid.shape()
            key = ((month_s[shared] - grid.first_month).astype(np.int64) * u + unit_s[shared]) * m + area_s[
                shared
            ]
            pairs = np.unique(patient_sorted[shared] * (grid.shape()[0] * u * m) + key)
            key = pairs % (grid.shape()[0] * u * m)
            t = grid.shape()[0]
            counted = np.bincount(key, minlength=t * u * m).reshape(t, u, m)
            np.add(grid.counts["patients"], counted, out=grid.counts["patients"], casting="unsafe")


def aggregate_stays_wide(
    location: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    variables: Sequence[str] | None = None,
    geography_year: int | None = None,
    observed_until: dt.date | str | None = None,
    readmission_days: int = 30,
    batch_size: int = 1 << 20,
    encoding: str | None = None,
    delimiter: str | None = None,
    units: Sequence[CareUnit] = (),
    plugin_manager: PluginManager | None = None,
) -> StayAggregate:
    """Aggregate a stay-level extract to one row per home municipality × month × unit.

    The wide form (a column per variable) is what :func:`aggregate_stays` turns into a StatTable; use it
    directly for a DuckDB or polars analysis.  Options as for :func:`aggregate_stays`.
    """
    path = Path(location)
    names = tuple(variables) if variables is not None else tuple(v.id for v in STAY_VARIABLES)
    variables_for(names)
    if readmission_days < 1:
        raise SchemaError(f"readmission_days must be at least 1, found {readmission_days}")
    wanted = [*_REQUIRED, *(_NEEDS[n] for n in names if n in _NEEDS)]
    dataset, mapping, kind = _open(path, columns, wanted, encoding, delimiter)
    grid = _Grid()
    flagged = [n for n in ("acute_admissions", "involuntary_stays") if n in names]
    grid_names = [n for n in names if n not in ("admissions", "bed_days", *flagged)]
    grid_names += ["bed_days", "_occupancy"] if "bed_days" in names else []
    grid_names.append(_STARTS if flagged else "_admissions")
    areas: dict[str, int] = {}
    unit_codes: dict[str, int] = {}
    stays = _Stays()
    keep_stays = "patients" in names or "readmissions_30d" in names
    open_stays: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32]]] = []
    offset = 0
    latest = -(2**31)
    try:
        for batch, where in _batches(dataset, list(mapping.values()), kind, batch_size):
            col = {field: batch.column(name) for field, name in mapping.items()}
            area = _codes(col["municipality"], areas, where, mapping["municipality"], _CODE)
            unit = _codes(col["unit"], unit_codes, where, mapping["unit"], None)
            admit = _days(col["admitted"], where, mapping["admitted"], nullable=False)
            discharge = _days(col["discharged"], where, mapping["discharged"], nullable=True)
            early = discharge < admit  # open stays (-1) too; they are told apart only when needed
            is_open: npt.NDArray[np.bool_] | None = None
            if early.any():
                is_open = discharge < 0
                early &= ~is_open
                if early.any():
                    index = _first(early)
                    raise where.error(
                        f"discharged {np.datetime64(int(discharge[index]), 'D')} before admitted "
                        f"{np.datetime64(int(admit[index]), 'D')}",
                        index,
                        mapping["discharged"],
                    )
                if not is_open.any():
                    is_open = None
            month = _month_of_days(admit)
            # the month table is monotone: the bounds of the months come from the bounds of the days
            admit_low = int(admit.min())
            day_high = max(int(admit.max()), int(discharge.max()))
            latest = max(latest, day_high)
            # an open stay ends where it begins for now; its bed-days are added once the end is known
            ends = discharge if is_open is None else np.where(is_open, admit, discharge)
            end_month = _month_of_days(ends) if "bed_days" in names else month
            grid.ensure(
                int(_DAY_TO_MONTH_WRAPPED[admit_low]),
                int(_DAY_TO_MONTH_WRAPPED[day_high]),
                len(unit_codes),
                len(areas),
                grid_names,
            )
            flags: dict[str, npt.NDArray[np.bool_]] = {}
            for name in ("acute_admissions", "involuntary_stays"):
                if name in names:
                    flags[name] = _flags(col[_NEEDS[name]], where, mapping[_NEEDS[name]])
            unit_area = unit * np.int32(grid.shape()[2])
            unit_area += area
            _count_batch(grid, names, month, end_month, admit, ends, unit_area, flags)
            del unit_area
            if is_open is not None and "bed_days" in names:
                open_stays.append((admit[is_open], unit[is_open], area[is_open]))
            if keep_stays:
                patient, strings = _patient_ids(col["patient"], where, mapping["patient"])
                stays.strings = stays.strings or strings
                if stays.sorted_by_date and (
                    int(admit[0]) < stays.last_day or bool((np.diff(admit) < 0).any())
                ):
                    stays.sorted_by_date = False
                stays.last_day = int(admit[-1])
                stays.patient.append(patient)
                stays.admit.append(admit)
                stays.discharge.append(discharge)
                stays.month.append(month)
                stays.unit.append(unit)
                stays.area.append(area)
            offset += batch.num_rows
            # let go of this batch (its columns are viewed by the arrays) before the next is read
            del batch, col, area, unit, admit, discharge, month, ends, end_month, flags
    except pa.ArrowInvalid as exc:
        raise ParseError(f"cannot read the extract: {exc}", path=path) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"cannot decode the extract: {exc}; pass encoding=...", path=path) from None
    if offset == 0:
        raise ParseError("the extract has no stays", path=path)
    # the batches are gone: give the memory the reader cached back before the result is built
    pa.default_memory_pool().release_unused()
    until = _until(observed_until, latest)
    if open_stays:
        admit = np.concatenate([o[0] for o in open_stays])
        if (admit >= until).any():
            raise SchemaError(
                f"observed_until={np.datetime64(until, 'D')} is not after the admission of an open stay "
                f"(admitted {np.datetime64(int(admit.max()), 'D')})"
            )
        unit = np.concatenate([o[1] for o in open_stays])
        area = np.concatenate([o[2] for o in open_stays])
        discharge = np.full(admit.size, until, dtype=np.int32)
        grid.ensure(
            int(_month_of_days(admit).min()),
            int(_month_of_days(discharge).max()),
            len(unit_codes),
            len(areas),
            grid_names,
        )
        _add_bed_days(grid, admit, discharge, grid.unit_area(unit, area))
    if keep_stays:
        _per_patient(stays, grid, until, readmission_days, names)
    if flagged:
        t, u, m = grid.shape()
        starts = grid.counts.pop(_STARTS).reshape(t, u, m, _CHANNELS)
        grid.counts["_admissions"] = starts.sum(axis=3, dtype=np.int32)
        if "acute_admissions" in flagged:
            grid.counts["acute_admissions"] = starts[..., 1] + starts[..., 3]
        if "involuntary_stays" in flagged:
            grid.counts["involuntary_stays"] = starts[..., 2] + starts[..., 3]
        del starts
    if "bed_days" in names:
        _finish_bed_days(grid, starts="_admissions")
    if "admissions" in names:
        grid.counts["admissions"] = grid.counts["_admissions"]
    years = (grid.first_month + np.arange(grid.shape()[0])) // 12 + 1900
    geo_year = (
        geography_year
        if geography_year is not None
        else int(years[int(np.flatnonzero(grid.counts["_admissions"].sum(axis=(1, 2)))[-1])])
    )
    return _wide(grid, names, areas, unit_codes, path, offset, geo_year, units, plugin_manager)


def _batches(
    dataset: ds.Dataset, columns: list[str], kind: str, batch_size: int
) -> Iterator[tuple[pa.RecordBatch, _Where]]:
    """Batches file by file, each with where its rows are (for error messages)."""
    for fragment in dataset.get_fragments():
        offset = 0
        # read ahead one batch only and do not buffer whole column chunks ahead (pre_buffer): the point of
        # streaming is that memory does not grow with the file
        options = ds.ParquetFragmentScanOptions(pre_buffer=False) if kind == "parquet" else None
        batches = fragment.to_batches(
            columns=columns,
            batch_size=batch_size,
            batch_readahead=1,
            fragment_readahead=1,
            fragment_scan_options=options,
            use_threads=True,
        )
        for batch in batches:
            if batch.num_rows:
                yield batch, _Where(fragment.path, kind, offset)
                offset += batch.num_rows


def _until(observed_until: dt.date | str | None, latest: int) -> int:
    if observed_until is None:
        return latest + 1
    if isinstance(observed_until, str):
        try:
            observed_until = dt.date.fromisoformat(observed_until)
        except ValueError:
            raise SchemaError(f"observed_until={observed_until!r} is not a date (YYYY-MM-DD)") from None
    return (observed_until - dt.date(1970, 1, 1)).days


def _wide(
    grid: _Grid,
    names: Sequence[str],
    areas: Mapping[str, int],
    unit_codes: Mapping[str, int],
    path: Path,
    stays: int,
    geo_year: int,
    extra_units: Sequence[CareUnit],
    plugin_manager: PluginManager | None,
) -> StayAggregate:
    lookup = unit_lookup(plugin_manager, extra=extra_units)
    labels = list(unit_codes)
    unit_array, type_array, unknown = lookup.classify(pa.array(labels, pa.string()))
    codes = unit_array.to_pylist()
    canonical = list(dict.fromkeys(codes))
    if len(canonical) < len(codes):  # two labels for one unit ("RDPS", "Ringerike DPS"): add them up
        for name, array in list(grid.counts.items()):
            merged = np.zeros((array.shape[0], len(canonical), array.shape[2]), dtype=array.dtype)
            for index, code in enumerate(codes):
                merged[:, canonical.index(code), :] += array[:, index, :]
            grid.counts[name] = merged
        types = dict(zip(codes, type_array.to_pylist()))
        unit_array = pa.array(canonical, pa.string())
        type_array = pa.array([types[c] for c in canonical], pa.string())
        codes = canonical
    _, u, m = grid.shape()
    unit_array = pa.concat_arrays([unit_array, pa.array([""] * (u - len(codes)), pa.string())])
    type_array = pa.concat_arrays([type_array, pa.array([""] * (u - len(codes)), pa.string())])
    used = grid.counts["_admissions"] != 0
    if "bed_days" in names:
        used |= grid.counts["bed_days"] != 0
    flat = np.flatnonzero(used.ravel())
    month_index, rest = np.divmod(flat, u * m)
    unit_index, area_index = np.divmod(rest, m)
    absolute = grid.first_month + month_index
    area_names = list(areas) + [""] * (m - len(areas))
    region_dictionary = pa.array(list(area_names), pa.string())
    level_dictionary = pa.array(
        ["municipality" if len(a) == 4 else "district" for a in area_names], pa.string()
    )
    columns: dict[str, Any] = {
        "region": pa.DictionaryArray.from_arrays(pa.array(area_index.astype(np.int32)), region_dictionary),
        "level": pa.DictionaryArray.from_arrays(pa.array(area_index.astype(np.int32)), level_dictionary),
        "year": pa.array((absolute // 12 + 1900).astype(np.int16)),
        "month": pa.array((absolute % 12 + 1).astype(np.int8)),
        "unit": pa.DictionaryArray.from_arrays(pa.array(unit_index.astype(np.int32)), unit_array),
        "unit_type": pa.DictionaryArray.from_arrays(pa.array(unit_index.astype(np.int32)), type_array),
    }
    for name in names:
        columns[name] = pa.array(grid.counts[name].ravel()[flat].astype(np.float64))
    wide = pa.table(columns)
    found: list[Finding] = []
    for code in unknown:
        count = int(grid.counts["_admissions"][:, codes.index(code), :].sum())
        found.append(
            Finding(
                rule="nimes_unknown_unit",
                severity=Severity.WARNING,
                message=(
                    f"unit {code!r} ({count} admissions) is in no unit catalogue; its rows are kept with "
                    "unit_type 'unknown'"
                ),
                variable="admissions",
                values={"unit": code, "admissions": count},
                location=str(path),
            )
        )
    known = _known_codes(geo_year)
    if known is not None:
        for code, index in areas.items():
            if code not in known:
                count = int(grid.counts["_admissions"][:, :, index].sum())
                found.append(
                    Finding(
                        rule="nimes_unknown_region",
                        severity=Severity.WARNING,
                        message=(
                            f"municipality code {code!r} ({count} admissions) does not exist in {geo_year}; "
                            "its rows are kept"
                        ),
                        region=code,
                        variable="admissions",
                        year=geo_year,
                        values={"admissions": count},
                        location=str(path),
                    )
                )
    return StayAggregate(
        wide=wide, findings=tuple(found), stays=stays, geography_year=geo_year, location=str(path)
    )


def _known_codes(year: int) -> frozenset[str] | None:
    try:
        from samhandling.geography import Geography

        geography = Geography.for_year(year)
        return frozenset(geography.codes("municipality")) | frozenset(geography.codes("district"))
    except (ImportError, AttributeError, SamhandlingError):
        return None


def _long(aggregate: StayAggregate, names: Sequence[str]) -> pa.Table:
    """Long form: one row per key and variable, rows only where the value is not zero."""
    wide = aggregate.wide
    keys = ["region", "level", "year", "month", "unit", "unit_type"]
    parts = []
    variable_dictionary = pa.array(list(names), pa.string())
    for position, name in enumerate(names):
        values = wide.column(name)
        keep = pc.not_equal(values, 0.0)
        part = wide.select(keys).filter(keep)
        count = part.num_rows
        part = part.append_column(
            "variable",
            pa.DictionaryArray.from_arrays(
                pa.array(np.full(count, position, dtype=np.int32)), variable_dictionary
            ),
        )
        part = part.append_column("value", values.filter(keep))
        part = part.append_column("status", pa.nulls(count, pa.dictionary(pa.int8(), pa.string())))
        parts.append(part)
    table = pa.concat_tables(parts).unify_dictionaries()
    return table.cast(
        pa.schema(
            [
                ("region", pa.dictionary(pa.int32(), pa.string())),
                ("level", level_type()),
                ("year", pa.int16()),
                ("month", pa.int8()),
                ("unit", pa.dictionary(pa.int32(), pa.string())),
                ("unit_type", pa.dictionary(pa.int32(), pa.string())),
                ("variable", variable_type()),
                ("value", pa.float64()),
                ("status", pa.dictionary(pa.int8(), pa.string())),
            ]
        )
    )


def _meta(aggregate: StayAggregate, names: Sequence[str], path: Path) -> TableMeta:
    provenance = (
        Provenance.for_file(SOURCE_NAME, path)
        if path.is_file()
        else Provenance(source=SOURCE_NAME, location=str(path))
    )
    return TableMeta(
        source=SOURCE_NAME,
        geography_year=aggregate.geography_year,
        variables=variables_for(tuple(names)),
        provenance=(provenance,),
        title="Opphold per bostedskommune, måned og enhet",
        extra={FINDINGS_KEY: findings_to_extra(aggregate.findings), "stays": aggregate.stays},
    )


def aggregate_stays(
    location: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    variables: Sequence[str] | None = None,
    geography_year: int | None = None,
    harmonise_to: int | None = None,
    observed_until: dt.date | str | None = None,
    readmission_days: int = 30,
    batch_size: int = 1 << 20,
    encoding: str | None = None,
    delimiter: str | None = None,
    units: Sequence[CareUnit] = (),
    plugin_manager: PluginManager | None = None,
) -> StatTable:
    """Aggregate a stay-level extract to a StatTable per home municipality × month × unit.

    The extract is read batch by batch; memory for the counts is fixed by the key space (areas ×
    months × units).  Patients and readmissions also keep 28 bytes per stay (one sort by patient at the
    end); leave them out with ``variables=`` for constant memory.  Rows are written only where a value
    is not zero: a missing municipality × month × unit × variable means no stays.

    :param location: a CSV or Parquet file, or a folder of them (a partitioned extract).
    :param columns: field → column name where the file's names are not recognised, e.g.
        ``{"patient": "lnr", "admitted": "dato_inn"}``; fields are those of :data:`STAY_COLUMNS`.
    :param variables: which of ``admissions, bed_days, patients, acute_admissions, involuntary_stays,
        readmissions_30d`` to produce (default: all).
    :param geography_year: the municipality map the extract's codes follow (default: the year of the
        last admission).
    :param harmonise_to: harmonise the aggregated table onto this year's map (after aggregation).
    :param observed_until: the end of the observation for stays without a discharge date (bed-days are
        counted up to the day before); default: the day after the latest date in the extract.
    :param readmission_days: the readmission window (default 30 days).
    :param batch_size: rows per batch while streaming.
    :param encoding: force the text encoding of a CSV extract (default: UTF-8, else Windows-1252).
    :param delimiter: force the CSV delimiter (default: sniffed from the header).
    :param units: extra :class:`~samhandling.model.CareUnit` entries for this extract only.
    :param plugin_manager: whose unit catalogue to use.
    :raises ParseError: a missing column, an empty or invalid value, a discharge before admission;
        the message names the file, line (CSV) or row (Parquet) and column.
    """
    names = tuple(variables) if variables is not None else tuple(v.id for v in STAY_VARIABLES)
    aggregate = aggregate_stays_wide(
        location,
        columns=columns,
        variables=names,
        geography_year=geography_year,
        observed_until=observed_until,
        readmission_days=readmission_days,
        batch_size=batch_size,
        encoding=encoding,
        delimiter=delimiter,
        units=units,
        plugin_manager=plugin_manager,
    )
    table = StatTable.from_arrow(_long(aggregate, names), meta=_meta(aggregate, names, Path(location)))
    if harmonise_to is not None and harmonise_to != aggregate.geography_year:
        from samhandling.geography import harmonise

        table = harmonise(table, harmonise_to)
    return table


def looks_like_stay_extract(location: str | Path) -> bool:
    """Cheap test: a CSV or Parquet file (or folder) with columns for patient, unit and dates."""
    path = Path(location)
    try:
        if path.is_dir():
            files = _files(path, (".parquet", ".parq", ".pq", ".csv"))
            if not files:
                return False
            path = Path(files[0])
        suffix = path.suffix.casefold()
        if suffix in {".parquet", ".parq", ".pq"}:
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
        elif suffix in {".csv", ".txt", ".tsv"}:
            names = _csv_header(path, None, None)[0]
        else:
            return False
        _match_columns(names, None, str(path), _REQUIRED)
    except (OSError, ParseError, SchemaError, pa.ArrowException, UnicodeDecodeError, IndexError):
        return False
    return True
