"""Opening a stay-level extract and turning each batch into day numbers and dictionary codes.

The extract is a CSV or Parquet file or a folder of them, read batch by batch with
:mod:`pyarrow.dataset`.  Column names are recognised by their usual Norwegian and English names; every
value is checked, and a bad one raises :class:`~samhandling.errors.ParseError` naming the file, the line
(CSV) or row (Parquet) and the column.  String work (codes, dates, flags) is done on the dictionary of a
batch, never per row.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from samhandling.errors import ParseError, SchemaError
from samhandling_nimes._days import _BASE_DAY, _LAST_DAY

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
    "acute": (
        "acute",
        "akutt",
        "hastegrad",
        "emergency",
        "acute_planned",
        "akutt_planlagt",
        "urgency",
        "innmatehast",
        "innmatehastegrad",
        "innmåtehastegrad",
    ),
    "involuntary": (
        "involuntary",
        "tph",
        "tvang",
        "tvungen",
        "involuntary_care",
        "tvungent_psykisk_helsevern",
        "legal_basis",
        "lovgrunnlag",
        "juridisk_status",
    ),
    "care_level": (
        "care_level",
        "level_of_care",
        "omsorgsnivå",
        "omsorgsniva",
        "omsorgsnivaa",
        "behandlingsnivå",
        "behandlingsniva",
    ),
    "diagnosis": (
        "diagnosis",
        "main_diagnosis",
        "hoveddiagnose",
        "hovedtilstand",
        "hovedtilstand1",
        "icd10",
        "diagnose",
    ),
}
#: The code list (``data/npr_codes.csv``) each coded field is read with.
CODE_LIST_OF = {"acute": "urgency", "involuntary": "legal_basis", "care_level": "care_level"}
#: Fields whose values are codes from a short list, read as dictionaries.
_CODED = ("municipality", "unit", "acute", "involuntary", "care_level", "diagnosis")
_REQUIRED = ("patient", "municipality", "unit", "admitted", "discharged")
_NEEDS = {
    "acute_admissions": "acute",
    "involuntary_stays": "involuntary",
}
_CODE = re.compile(r"\d{4}|\d{6}")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y%m%d", "%d/%m/%Y")


# -- opening the extract ---------------------------------------------------------------------------


def _fold(name: str) -> str:
    return name.strip().casefold().replace(" ", "_").replace("-", "_")


def _match_columns(
    names: Sequence[str],
    columns: Mapping[str, str] | None,
    where: str,
    wanted: Sequence[str],
    optional: Sequence[str] = (),
) -> dict[str, str]:
    given = dict(columns or {})
    unknown_fields = [k for k in given if k not in STAY_COLUMNS]
    if unknown_fields:
        raise SchemaError(
            f"columns= names unknown field(s) {unknown_fields}; fields are {list(STAY_COLUMNS)}"
        )
    folded = {_fold(n): n for n in names}
    found: dict[str, str] = {}
    for field in optional:
        if field in given and given[field] in names:
            found[field] = given[field]
        elif field not in given:
            alias = next((folded[a] for a in STAY_COLUMNS[field] if a in folded), None)
            if alias is not None:
                found[field] = alias
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
    optional: Sequence[str] = (),
    *,
    native_dates: bool = False,
) -> tuple[ds.Dataset, dict[str, str], str]:
    """The dataset, field → column name, and ``"csv"`` or ``"parquet"``.

    :param native_dates: read the dates of a CSV extract as ISO dates with Arrow's own parser, in the
        reader's threads (fast; a file with other dates fails with :class:`pyarrow.ArrowInvalid`, and is
        then to be read again without it, which names the line of a bad date).
    """
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
        mapping = _match_columns(schema.names, columns, str(location), wanted, optional)
        # text columns of few distinct values are read as dictionaries: their strings are then looked at
        # once per batch, never per row (a dictionary-encoded Parquet column is not even decoded)
        dictionary_columns = [
            mapping[f]
            for f in _CODED
            if (f in mapping and pa.types.is_string(schema.field(mapping[f]).type))
            or (f in ("municipality", "unit") and f in mapping)
        ]
        fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=dictionary_columns))
        return ds.dataset(parquet_files, format=fmt), mapping, "parquet"
    import pyarrow.csv as pcsv

    files = _files(location, (".csv", ".txt", ".tsv"))
    if not files:
        raise ParseError("no CSV or Parquet files in the folder", path=location)
    names, encoding, delimiter = _csv_header(Path(files[0]), encoding, delimiter)
    mapping = _match_columns(names, columns, files[0], wanted, optional)
    # text as plain strings: the CSV reader parses in one thread, and is the slower half of the pipeline
    # when it builds dictionaries too; the batches are dictionary-encoded while they are counted
    column_types: dict[str, pa.DataType] = {mapping["patient"]: pa.string()} if "patient" in mapping else {}
    for field in ("municipality", "unit", "admitted", "discharged", *_CODED):
        if field in mapping:
            column_types[mapping[field]] = pa.string()
    if native_dates:
        for field in ("admitted", "discharged"):
            column_types[mapping[field]] = pa.date32()
    fmt = ds.CsvFileFormat(
        parse_options=pcsv.ParseOptions(delimiter=delimiter),
        # 1 MiB blocks: the CSV reader reads blocks ahead of the batches asked for, so larger blocks hold
        # hundreds of megabytes of a large file at once, at no gain in speed
        read_options=pcsv.ReadOptions(encoding=encoding, block_size=1 << 20),
        convert_options=pcsv.ConvertOptions(column_types=column_types, strings_can_be_null=True),
    )
    return ds.dataset(files, format=fmt), mapping, "csv"


# -- per-batch normalisation -----------------------------------------------------------------------


@attrs.frozen
class _Where:
    path: str
    kind: str
    offset: int
    #: where the rows of a part of the batch are in the batch (``None``: the whole batch)
    rows: npt.NDArray[np.intp] | None = attrs.field(default=None, eq=False)

    def part(self, mask: npt.NDArray[np.bool_]) -> _Where:
        """Where the rows picked by ``mask`` are (errors in the part name the row of the file)."""
        rows = np.flatnonzero(mask)
        return attrs.evolve(self, rows=rows if self.rows is None else self.rows[rows])

    def error(self, message: str, index: int, column: str) -> ParseError:
        if self.rows is not None:
            index = int(self.rows[index])
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
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    # values seen before are looked up all at once (a code is its value's place in ``known``)
    lut = (
        pc.index_in(encoded.dictionary, value_set=pa.array(list(known), pa.string()))
        .fill_null(-1)
        .to_numpy(zero_copy_only=False)
        .astype(np.int32)  # a copy: the new values are written in
    )
    new = np.flatnonzero(lut < 0).tolist()
    values = encoded.dictionary.take(pa.array(new, pa.int64())).to_pylist() if new else []
    for position, raw in zip(new, values):
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
        try:  # ISO dates, parsed (and checked: no 31 February) by Arrow on the dictionary at once
            lut = encoded.dictionary.cast(pa.date32()).view(pa.int32()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
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


@functools.lru_cache(maxsize=1 << 16)
def _day_number(text: str) -> int | None:
    """The day number of a date in one of the accepted formats (remembered: an extract repeats its dates
    in every batch), or ``None``."""
    for form in _DATE_FORMATS:
        try:
            return (dt.datetime.strptime(text, form).date() - dt.date(1970, 1, 1)).days
        except ValueError:
            continue
    return None


def _parse_date(raw: str | None, encoded: pa.DictionaryArray, where: _Where, column: str) -> int:
    if raw is None:
        return 0
    found = _day_number(raw.strip())
    if found is not None:
        return found
    position = encoded.dictionary.to_pylist().index(raw)
    used = encoded.indices.to_numpy(zero_copy_only=False) == position
    raise where.error(
        f"{raw!r} is not a date (expected YYYY-MM-DD or DD.MM.YYYY)",
        _first(used) if used.any() else 0,
        column,
    )


#: Yes/no flags that mean the same in every coded column (the field's own codes come from its code list).
_YES = frozenset({"1", "true", "t", "ja", "j", "yes", "y", "x"})
_NO = frozenset({"0", "false", "f", "nei", "n", "no"})


def _coded(
    array: pa.Array,
    where: _Where,
    column: str,
    table: Mapping[str, int],
    expected: str,
    *,
    flags: tuple[int, int] | None = None,
) -> npt.NDArray[np.int8]:
    """Per row, the number of the meaning of a coded value (looked up on the batch's dictionary).

    :param table: folded value → number of its meaning (see :func:`samhandling_nimes.codes.meanings`).
    :param flags: the numbers a plain no/yes flag (0/1, nei/ja, booleans) stands for, if it may be one.
    :raises ParseError: an empty value, or one that is neither in ``table`` nor a flag (row and column).
    """
    if array.null_count:
        raise where.error(
            f"empty value; expected {expected}",
            _first(array.is_null().to_numpy(zero_copy_only=False)),
            column,
        )
    typ = array.type
    if pa.types.is_boolean(typ):
        if flags is None:
            raise where.error(f"expected {expected}, found true/false", 0, column)
        values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.bool_)
        if flags == (0, 1):  # true is 1 and false 0 already
            return values.view(np.int8)
        result: npt.NDArray[np.int8] = np.where(values, np.int8(flags[1]), np.int8(flags[0]))
        return result
    encoded = array if pa.types.is_dictionary(typ) else pc.dictionary_encode(array)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    lut = np.zeros(max(len(encoded.dictionary), 1), np.int8)
    for position, raw in enumerate(encoded.dictionary.to_pylist()):
        text = " ".join(str(raw).strip().casefold().split())
        found = table.get(text)
        if found is None and flags is not None:
            found = flags[1] if text in _YES else flags[0] if text in _NO else None
        if found is None:
            used = indices == position
            if used.any():
                what = f"neither {expected} nor a yes/no flag (1/0, ja/nei)" if flags else f"not {expected}"
                raise where.error(f"{raw!r} is {what}", _first(used), column)
            continue
        lut[position] = found
    coded: npt.NDArray[np.int8] = np.take(lut, indices)
    return coded


def _flags(
    array: pa.Array, where: _Where, column: str, field: str, extra: Mapping[str, str] | None = None
) -> npt.NDArray[np.bool_]:
    """The acute or involuntary flag of each row: a yes/no flag, or a code or name from the field's list."""
    from samhandling_nimes.codes import meanings

    code_list = CODE_LIST_OF[field]
    expected = (
        "an urgency (hastegrad 1-5, akutt, planlagt)"
        if field == "acute"
        else "a legal basis (frivillig, tvungen observasjon § 3-2, tvungent psykisk helsevern § 3-3, TPH; "
        "NPR's numeric codes for it are not in the library's code list, give them with "
        "codes={'legal_basis': {...}})"
    )
    coded = _coded(array, where, column, meanings(code_list, extra), expected, flags=(0, 1))
    return coded.view(np.bool_)


def _care_levels(
    array: pa.Array, where: _Where, column: str, extra: Mapping[str, str] | None = None
) -> npt.NDArray[np.int8]:
    """The level of care of each row as the number of its meaning in ``CARE_LEVELS``."""
    from samhandling_nimes.codes import meanings

    return _coded(
        array,
        where,
        column,
        meanings("care_level", extra),
        "a level of care (omsorgsnivå 1 døgnopphold, 2 dagbehandling, 3 poliklinisk, or its name)",
    )


def _diagnosis_groups(array: pa.Array, where: _Where, column: str) -> npt.NDArray[np.int8]:
    """The diagnosis group of each row's main diagnosis (an empty one is group ``none``)."""
    from samhandling_nimes.codes import DIAGNOSIS_GROUPS, diagnosis_group_index, lookup_table

    encoded = array if pa.types.is_dictionary(array.type) else pc.dictionary_encode(array.cast(pa.string()))
    lut, bad = lookup_table(encoded.dictionary, diagnosis_group_index)
    indices = encoded.indices
    if bad is not None:
        used = indices.fill_null(-1).to_numpy(zero_copy_only=False) == bad
        raise where.error(
            f"{encoded.dictionary[bad].as_py()!r} is not an ICD-10 code (expected a letter and two digits, "
            "such as F20 or F20.0)",
            _first(used) if used.any() else 0,
            column,
        )
    groups: npt.NDArray[np.int8] = np.take(lut, indices.fill_null(0).to_numpy(zero_copy_only=False))
    if indices.null_count:
        groups = groups.copy()
        groups[indices.is_null().to_numpy(zero_copy_only=False)] = np.int8(DIAGNOSIS_GROUPS.index("none"))
    return groups


def _patient_ids(array: pa.Array, where: _Where, column: str) -> npt.NDArray[np.int64] | pa.Array:
    """Integer ids as a numpy array; text ids stay an Arrow string array (never Python objects)."""
    if array.null_count:
        raise where.error("empty patient id", _first(array.is_null().to_numpy(zero_copy_only=False)), column)
    if pa.types.is_integer(array.type):
        ids: npt.NDArray[np.int64] = array.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        return ids
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    return array.cast(pa.string())


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
        # a CSV file comes in small blocks (see _open): they are joined into batches of some ten thousand
        # rows, so that what is done per batch (codes, flags, the counts' shape) is not done per block
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in itertools.chain(batches, [None]):
            if batch is not None and batch.num_rows:
                pending.append(batch)
                rows += batch.num_rows
            if pending and (batch is None or rows >= min(batch_size, _JOINED_ROWS)):
                joined = pending[0] if len(pending) == 1 else _joined(pending)
                pending, rows = [], 0
                yield joined, _Where(fragment.path, kind, offset)
                offset += joined.num_rows


#: Join small batches (the blocks of a CSV file) up to this many rows: per-batch work then costs little,
#: and larger batches only hold more of the file in memory at once.
_JOINED_ROWS = 1 << 16


def _joined(batches: Sequence[pa.RecordBatch]) -> pa.RecordBatch:
    """Record batches as one (their columns copied end to end)."""
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _statistics(dataset: ds.Dataset, columns: Sequence[str]) -> tuple[Any, Any, int] | None:
    """The smallest and largest value in ``columns`` and the number of rows, from the Parquet statistics
    without reading data; ``None`` where a row group has no statistics for a column (all-empty chunks,
    such as discharge dates of stays still going on, are passed over).
    """
    low: Any = None
    high: Any = None
    rows = 0
    try:
        for fragment in dataset.get_fragments():
            metadata = fragment.metadata
            for group in range(metadata.num_row_groups):
                row_group = metadata.row_group(group)
                rows += row_group.num_rows
                for position in range(row_group.num_columns):
                    chunk = row_group.column(position)
                    if chunk.path_in_schema not in columns:
                        continue
                    stats = chunk.statistics
                    if stats is not None and stats.has_null_count and stats.null_count == row_group.num_rows:
                        continue
                    if stats is None or not stats.has_min_max:
                        return None
                    low = stats.min if low is None else min(low, stats.min)
                    high = stats.max if high is None else max(high, stats.max)
    except (AttributeError, TypeError, pa.ArrowException, OSError):
        return None
    if low is None or high is None:
        return None
    return low, high, rows


def _date_bounds(dataset: ds.Dataset, columns: Sequence[str], kind: str) -> tuple[int, int] | None:
    """The first and last day in the date ``columns`` of a Parquet extract, from its statistics.

    A hint only (the counts grow as the batches need): ``None`` for CSV, without statistics, or where a
    column is not a date.
    """
    found = _statistics(dataset, columns) if kind == "parquet" else None
    if found is None or not all(isinstance(value, dt.date) for value in found[:2]):
        return None
    low, high = ((value - dt.date(1970, 1, 1)).days for value in found[:2])
    if low < _BASE_DAY or high >= _LAST_DAY - 400:
        return None
    return low, high


def _integer_bounds(dataset: ds.Dataset, column: str, kind: str) -> tuple[int, int, int] | None:
    """The smallest and largest value of an integer column of a Parquet extract and its number of rows,
    from its statistics; ``None`` for CSV, without statistics, or a column that is not integers.
    """
    if kind != "parquet" or not pa.types.is_integer(dataset.schema.field(column).type):
        return None
    found = _statistics(dataset, [column])
    return None if found is None else (int(found[0]), int(found[1]), found[2])


def _row_groups_in_order(dataset: ds.Dataset, column: str) -> bool:
    """Whether the row groups of a Parquet extract follow each other in the order of ``column``, by
    their statistics (no row group begins before the one before it ends).  ``True`` where the
    statistics cannot tell: the rows themselves are checked while they stream.
    """
    previous: Any = None
    try:
        for fragment in dataset.get_fragments():
            metadata = fragment.metadata
            for group in range(metadata.num_row_groups):
                row_group = metadata.row_group(group)
                for position in range(row_group.num_columns):
                    chunk = row_group.column(position)
                    if chunk.path_in_schema != column:
                        continue
                    stats = chunk.statistics
                    if stats is None or not stats.has_min_max:
                        return True
                    if previous is not None and stats.min < previous:
                        return False
                    previous = stats.max
    except (AttributeError, TypeError, pa.ArrowException, OSError):
        return True
    return True


def _until(observed_until: dt.date | str | None, latest: int) -> int:
    if observed_until is None:
        return latest + 1
    if isinstance(observed_until, str):
        try:
            observed_until = dt.date.fromisoformat(observed_until)
        except ValueError:
            raise SchemaError(f"observed_until={observed_until!r} is not a date (YYYY-MM-DD)") from None
    return (observed_until - dt.date(1970, 1, 1)).days
