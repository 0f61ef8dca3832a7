"""An example samhandling source: the monthly report of an emergency 24-hour unit (ØHD / KAD).

Municipalities that run a *kommunal akutt døgnenhet* together (interkommunalt samarbeid) usually get a
monthly report from the unit: admissions and bed-days per home municipality, split into somatic
patients and patients with mental-health or substance-use problems (a duty since 2017,
helse- og omsorgstjenesteloven § 3-5 third paragraph).  The report is a semicolon-separated file::

    Kommunenummer;Kommune;År;Måned;Pasientgruppe;Innleggelser;Liggedøgn
    3301;Drammen;2024;1;somatikk;41;112
    3301;Drammen;2024;1;psykisk helse og rus;6;15
    3314;Øvre Eiker;2024;1;psykisk helse og rus;:;:

Numbers may group thousands with spaces and use a decimal comma; a cell may hold one of SSB's status
symbols instead of a number (``:`` suppressed because fewer than five patients, ``..`` not available,
``-`` nothing to report).  This module turns such a file into a long-form
:class:`samhandling.StatTable` with the variables ``admissions`` and ``bed_days``.

Copy this package, rename it, and replace the format: the shape (a source class with ``name``,
``description``, ``can_read`` and ``read``, one ``@hookimpl`` that registers it, an entry point in the
group ``samhandling.plugins``) stays the same.  The ``# --8<--`` comments mark the parts that the
plugin author's guide in the samhandling documentation shows; delete them in your copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from samhandling import Provenance, StatTable, Variable, hookimpl
from samhandling.errors import ParseError
from samhandling.registry import Registrar
from samhandling.tables import STATUS_SYMBOLS

__all__ = ["PATIENT_GROUPS", "VARIABLES", "OhdReportSource"]

__version__ = "0.1.0"

# --8<-- [start:format]
#: The header of the report, exactly as the unit writes it.
HEADER: tuple[str, ...] = (
    "Kommunenummer",
    "Kommune",
    "År",
    "Måned",
    "Pasientgruppe",
    "Innleggelser",
    "Liggedøgn",
)

#: Labels in the column ``Pasientgruppe`` → codes in the table's ``patient_group`` column.
PATIENT_GROUPS: dict[str, str] = {
    "somatikk": "somatic",
    "psykisk helse og rus": "mental_health_substance_use",
}

#: What the two number columns of the report become: column → variable.
VARIABLES: dict[str, Variable] = {
    "Innleggelser": Variable(
        id="admissions",
        unit="innleggelse",
        additive=True,
        label="Innleggelser i kommunal akutt døgnenhet",
        description="Admissions to the municipal emergency 24-hour unit, by the patient's home municipality.",
    ),
    "Liggedøgn": Variable(
        id="bed_days",
        unit="liggedøgn",
        additive=True,
        label="Liggedøgn i kommunal akutt døgnenhet",
        description="Bed-days in the municipal emergency 24-hour unit, by the patient's home municipality.",
    ),
}

# --8<-- [end:format]
_NUMBER = r"^[0-9]+(\.[0-9]+)?$"


# --8<-- [start:can-read]
class OhdReportSource:
    """Reads the monthly report of a municipal emergency 24-hour unit (ØHD/KAD) into a StatTable."""

    name = "ohd-monthly"
    description = "Monthly ØHD/KAD unit report: admissions and bed-days by home municipality (semicolon CSV)"

    def can_read(self, location: str | Path) -> bool:
        """A ``.csv`` file whose first line is the report's header (reads at most 4 KiB)."""
        path = Path(location)
        if path.suffix.lower() != ".csv" or not path.is_file():
            return False
        with path.open("rb") as handle:
            first_line = handle.read(4096).removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0]
        for encoding in ("utf-8", "cp1252"):
            try:
                return first_line.decode(encoding).rstrip("\r").startswith(";".join(HEADER[:5]))
            except UnicodeDecodeError:
                continue
        return False

    # --8<-- [end:can-read]
    # --8<-- [start:read]
    def read(
        self,
        location: str | Path,
        *,
        encoding: str = "utf-8",
        geography_year: int | None = None,
        **options: Any,
    ) -> StatTable:
        """Read one report file.

        :param encoding: ``"utf-8"`` (default) or ``"cp1252"`` for files saved from Excel on Windows.
        :param geography_year: the year whose municipality codes the file uses; default the latest
            year in the file (a report uses the codes in force when it was written).
        :raises ParseError: naming the file, line and column of a cell that is not what the format
            expects.
        """
        if options:
            raise TypeError(f"source {self.name!r} has no option(s) {sorted(options)}")
        path = Path(location)
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n") + b"\n"
        _check_header(data, path, encoding)
        try:
            raw = pacsv.read_csv(
                pa.BufferReader(data),
                read_options=pacsv.ReadOptions(encoding=encoding),
                parse_options=pacsv.ParseOptions(delimiter=";", ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(HEADER, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            line = _first_line_with_wrong_width(data, encoding)
            raise ParseError(
                f"expected {len(HEADER)} fields separated by ';' ({exc})", path=path, line=line
            ) from None

        region = pc.utf8_trim_whitespace(raw.column("Kommunenummer"))
        _require(
            path, region, pc.match_substring_regex(region, r"^[0-9]{4}$"), "Kommunenummer", "a 4-digit code"
        )
        year = _integers(path, raw, "År", low=1900, high=2100)
        month = _integers(path, raw, "Måned", low=1, high=12)
        group_text = pc.utf8_lower(pc.utf8_trim_whitespace(raw.column("Pasientgruppe")))
        known = pa.array(list(PATIENT_GROUPS))
        position = pc.index_in(group_text, value_set=known)
        _require(path, group_text, pc.is_valid(position), "Pasientgruppe", f"one of {list(PATIENT_GROUPS)}")
        patient_group = pc.take(pa.array(list(PATIENT_GROUPS.values())), position)

        keys = {
            "region": region,
            "level": pa.repeat("municipality", raw.num_rows),
            "year": year,
            "month": month,
            "patient_group": patient_group,
        }
        parts = []
        for column, variable in VARIABLES.items():
            value, status = _values(path, raw, column)
            parts.append(
                pa.table(
                    {
                        **keys,
                        "variable": pa.repeat(variable.id, raw.num_rows),
                        "value": value,
                        "status": status,
                    }
                )
            )
        long = pa.concat_tables(parts)
        if geography_year is None and long.num_rows:
            geography_year = int(pc.max(year).as_py())
        return StatTable.from_arrow(
            long,
            source=self.name,
            geography_year=geography_year,
            variables=list(VARIABLES.values()),
            provenance=[Provenance.for_file(self.name, path)],
            title="Innleggelser og liggedøgn i kommunal akutt døgnenhet (ØHD/KAD)",
        )


# --8<-- [end:read]
def _check_header(data: bytes, path: Path, encoding: str) -> None:
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        found = first.decode(encoding).split(";")
    except UnicodeDecodeError:
        raise ParseError(
            f"the header is not valid {encoding}; files saved from Excel on Windows need encoding='cp1252'",
            path=path,
            line=1,
        ) from None
    for number, expected in enumerate(HEADER, start=1):
        got = found[number - 1].strip() if number <= len(found) else "(nothing)"
        if got != expected:
            raise ParseError(
                f"expected the header {expected!r}, found {got!r}", path=path, line=1, column=number
            )


def _first_line_with_wrong_width(data: bytes, encoding: str) -> int | None:
    # Only on the error path: find the line pyarrow complained about.
    for number, line in enumerate(data.decode(encoding, errors="replace").split("\n"), start=1):
        if line.rstrip("\r").count(";") != len(HEADER) - 1:
            return number
    return None


def _require(path: Path, text: pa.ChunkedArray, ok: pa.ChunkedArray, column: str, expected: str) -> None:
    """Raise a ParseError at the first row where ``ok`` is not true (data starts on line 2)."""
    bad = pc.invert(pc.fill_null(ok, False))
    if pc.any(bad).as_py():
        row = int(pc.index(bad, True).as_py())
        raise ParseError(
            f"expected {expected}, found {text[row].as_py()!r}", path=path, line=row + 2, column=column
        )


def _integers(path: Path, raw: pa.Table, column: str, *, low: int, high: int) -> pa.ChunkedArray:
    text = pc.utf8_trim_whitespace(raw.column(column))
    _require(path, text, pc.match_substring_regex(text, r"^[0-9]{1,4}$"), column, "a whole number")
    numbers = text.cast(pa.int32())
    in_range = pc.and_(pc.greater_equal(numbers, low), pc.less_equal(numbers, high))
    _require(path, text, in_range, column, f"a number from {low} to {high}")
    return numbers


# --8<-- [start:values]
def _values(path: Path, raw: pa.Table, column: str) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Numbers (spaces group thousands, comma is the decimal mark) or SSB status symbols, column-wise."""
    text = pc.utf8_trim_whitespace(raw.column(column))
    is_status = pc.is_in(text, value_set=pa.array(STATUS_SYMBOLS))
    cleaned = pc.replace_substring(pc.replace_substring_regex(text, r"[\s\x{00a0}\x{202f}]", ""), ",", ".")
    is_number = pc.match_substring_regex(cleaned, _NUMBER)
    _require(
        path,
        text,
        pc.or_(is_status, is_number),
        column,
        f"a number of 0 or more, or one of SSB's symbols {list(STATUS_SYMBOLS)}",
    )
    value = pc.if_else(is_status, pa.scalar(None, pa.string()), cleaned).cast(pa.float64())
    status = pc.if_else(is_status, text, pa.scalar(None, pa.string()))
    return value, status


# --8<-- [end:values]


# --8<-- [start:hookimpl]
@hookimpl
def samhandling_register_sources(register: Registrar) -> None:
    """Make the report format known to ``samhandling.read`` and ``samhandling read``."""
    register(OhdReportSource())


# --8<-- [end:hookimpl]
