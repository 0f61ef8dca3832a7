"""Build the population table the library ships, from SSB statbank files of tables 07459 and 10826.

    python tools/build_population.py \\
        --municipalities Personer2015-2018.csv Personer2019.csv Personer2020.csv Personer2021.csv \\
        --districts Personerward2021.csv \\
        --out src/samhandling/geography/data/population.parquet

The files are statbank CSV downloads of SSB table 07459 (*Befolkning, etter region, alder og år*: persons
on 1 January by municipality and one-year age) and 10826 (the same by city district), in whatever layout
the statbank gave them: tab-, comma- or semicolon-separated, with or without a title line, one value
column per year, Latin-1 or UTF-8, municipality codes with or without SSB's ``K-`` prefix.  The script
reads them itself (no reader of the library is involved) and checks what it reads:

* every code of a year's map (``samhandling.geography``) has exactly one row per age, 0 … 104 and
  105+, and no other municipality or district has a value that year;
* rows that are not areas of the map — SSB's pseudo-regions ``K-21-22`` (Svalbard and Jan Mayen),
  ``K-23`` (the continental shelf) and ``K-Rest`` (divided municipalities and unknown), the city totals
  (``030100aa Oslo total``) and codes of other years (``0702 Holmestrand (-2017)``, ``030101
  Bygdøy-Frogner (1988-2003)``) — are left out and listed, with their totals, in the table's metadata;
* names are never used, so a file whose letters were damaged by re-encoding (U+FFFD in place of æ, ø, å)
  is read where its codes and numbers are intact, and the metadata says so;
* years without a map in the library (2015, 2016) are not shipped.

The output is a small Parquet file (one row per year, area and age; the count as int32), sorted and
written without timestamps so that the same inputs give the same bytes.  Its schema metadata names SSB,
the tables, the input files (name, size, SHA-256) and everything that was left out.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

AGES: tuple[str, ...] = (*(str(a) for a in range(105)), "105+")
_AGE = re.compile(r"^\s*(\d{1,3})\s*(?:years?|år)?\s*(or older|eller eldre)?\s*$", re.IGNORECASE)
_REGION = re.compile(r"^(?:K-)?(?P<code>\d{4}|\d{6})(?P<suffix>[a-z]*)\s+(?P<name>.*)$")
_VALIDITY = re.compile(r"\((?P<start>\d{4})?-(?P<end>\d{4})?\)\s*$")
_VALUE_COLUMN = re.compile(r"^(?:Persons|Personer)\s+(\d{4})$")
_HEADER = re.compile(r'^"?(region)"?\s*[\t;,]', re.IGNORECASE)

METADATA_KEY = b"samhandling.population"


class BuildError(Exception):
    """A file does not hold what it should; the message names the file, line and what was expected."""


class Parsed:
    """The rows of one statbank file: per (year, code, age) the count, and what was left out."""

    def __init__(self, path: Path, table: str) -> None:
        self.path = path
        self.table = table
        self.values: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
        self.validity: dict[str, tuple[int | None, int | None]] = {}
        self.skipped: dict[str, int] = defaultdict(int)
        self.damaged_names = 0
        self.years: list[int] = []


def _decode(raw: bytes, path: Path) -> str:
    """UTF-8 when the bytes are UTF-8 (BOM dropped), else Latin-1, as statbank downloads come."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _age(label: str, path: Path, line: int) -> str:
    match = _AGE.match(label)
    if not match:
        raise BuildError(
            f"{path.name}, line {line}: {label!r} is not a one-year age ('17 years', '105 years or older')"
        )
    age = int(match[1])
    if match[2]:
        if age != 105:
            raise BuildError(
                f"{path.name}, line {line}: open age group {label!r}, expected '105 years or older'"
            )
        return "105+"
    if not 0 <= age <= 104:
        raise BuildError(f"{path.name}, line {line}: age {age} outside 0–104")
    return str(age)


def parse(path: Path, table: str) -> Parsed:
    """Read one statbank CSV of table ``table`` (07459 or 10826)."""
    text = _decode(path.read_bytes(), path)
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _HEADER.match(line)), None)
    if start is None:
        raise BuildError(f"{path.name}: no header line starting with 'region' (a statbank CSV of {table})")
    header_line = lines[start]
    delimiter = max(("\t", ";", ","), key=header_line.count)
    reader = csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=delimiter)
    header = next(reader)
    if [h.strip().lower() for h in header[:2]] != ["region", "age"]:
        raise BuildError(
            f"{path.name}, line {start + 1}: expected the columns region, age, found {header[:2]}"
        )
    years = []
    for column in header[2:]:
        match = _VALUE_COLUMN.match(column.strip())
        if not match:
            raise BuildError(f"{path.name}, line {start + 1}: column {column!r} is not 'Persons YYYY'")
        years.append(int(match[1]))
    parsed = Parsed(path, table)
    parsed.years = years
    for offset, row in enumerate(reader):
        line = start + 2 + offset
        if not row or not any(field.strip() for field in row):
            continue
        if len(row) != 2 + len(years):
            raise BuildError(f"{path.name}, line {line}: {len(row)} fields, expected {2 + len(years)}")
        region, age_label, *cells = row
        counts = []
        for cell in cells:
            if not re.fullmatch(r"\d+", cell.strip()):
                raise BuildError(f"{path.name}, line {line}: {cell!r} is not a count of persons")
            counts.append(int(cell.strip()))
        match = _REGION.match(region.strip())
        if "\ufffd" in region:
            parsed.damaged_names += 1
        if not match:
            parsed.skipped[region.strip()] += sum(counts)
            continue
        code, suffix, name = match["code"], match["suffix"], match["name"]
        if len(code) == 6 and code[4:] == "00":
            parsed.skipped[region.strip()] += sum(counts)  # a city total
            continue
        validity = _VALIDITY.search(name)
        span = (
            (
                int(validity["start"]) if validity["start"] else None,
                int(validity["end"]) if validity["end"] else None,
            )
            if validity
            else (None, None)
        )
        key = f"{code}{suffix}"
        parsed.validity[key] = span
        age = _age(age_label, path, line)
        for year, count in zip(years, counts):
            bucket = parsed.values[(year, key)]
            if age in bucket:
                raise BuildError(f"{path.name}, line {line}: a second row for {region.strip()!r}, age {age}")
            bucket[age] = count
    return parsed


def _valid(span: tuple[int | None, int | None], year: int) -> bool:
    start, end = span
    return (start is None or start <= year) and (end is None or year <= end)


def collect(
    files: Sequence[Parsed], level: str, wanted: dict[int, frozenset[str]]
) -> tuple[list[tuple[int, str, str, int]], dict[str, Any]]:
    """Rows (year, code, age, count) of the areas of each year's map, and a report of what was left out."""
    out: list[tuple[int, str, str, int]] = []
    left_out: dict[str, int] = defaultdict(int)
    seen_years: dict[int, str] = {}
    for parsed in files:
        for (year, key), ages in sorted(parsed.values.items()):
            code = key[:6] if level == "district" else key[:4]
            total = sum(ages.values())
            if year not in wanted:
                continue
            in_map = code in wanted[year] and _valid(parsed.validity[key], year)
            if not in_map:
                if total:
                    left_out[f"{year} {key}"] += total
                continue
            if set(ages) != set(AGES):
                raise BuildError(
                    f"{parsed.path.name}: {code} in {year} lacks the ages {sorted(set(AGES) - set(ages))}"
                )
            out.extend((year, code, age, ages[age]) for age in AGES)
        for year in parsed.years:
            if year in wanted:
                if year in seen_years:
                    raise BuildError(f"{year} is in both {seen_years[year]} and {parsed.path.name}")
                seen_years[year] = parsed.path.name
    for year, codes in wanted.items():
        if year not in seen_years:
            continue
        have = {code for y, code, _a, _v in out if y == year}
        missing = sorted(codes - have)
        if missing:
            raise BuildError(
                f"{level} population {year}: no rows for {missing[:10]} (codes of the {year} map)"
            )
        if len({(code, age) for y, code, age, _v in out if y == year}) != len(codes) * len(AGES):
            raise BuildError(f"{level} population {year}: an area has two rows for one age")
    return out, {"left_out_with_persons": dict(left_out)}


def _file_info(parsed: Parsed) -> dict[str, Any]:
    raw = parsed.path.read_bytes()
    info: dict[str, Any] = {
        "file": parsed.path.name,
        "table": parsed.table,
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "years": parsed.years,
        "not_areas": dict(sorted(parsed.skipped.items())),
    }
    if parsed.damaged_names:
        info["damaged_names"] = (
            f"{parsed.damaged_names} rows have U+FFFD in place of letters in the region name; codes and "
            "counts are intact and names are not used"
        )
    return info


def build(municipality_files: Iterable[Path], district_files: Iterable[Path]) -> pa.Table:
    """The population table: year, level, region, age, persons; metadata on sources and what was left out."""
    from samhandling.geography import Geography

    years = Geography.years()
    municipalities = [parse(Path(p), "07459") for p in municipality_files]
    districts = [parse(Path(p), "10826") for p in district_files]
    municipal_codes = {y: Geography.for_year(y).codes("municipality") for y in years}
    district_codes = {y: Geography.for_year(y).codes("district") for y in years}
    rows_m, report_m = collect(municipalities, "municipality", municipal_codes)
    rows_d, report_d = collect(districts, "district", district_codes)
    records = sorted(
        [(y, "municipality", c, a, v) for y, c, a, v in rows_m]
        + [(y, "district", c, a, v) for y, c, a, v in rows_d],
        key=lambda r: (r[0], r[1], r[2], AGES.index(r[3])),
    )
    if not records:
        raise BuildError("no rows of any year the library has a map for")
    all_files = [*municipalities, *districts]
    outside = sorted({y for p in all_files for y in p.years} - set(years))
    meta = {
        "source": "Statistics Norway (SSB), statbank tables 07459 (population 1 January by municipality and "
        "one-year age) and 10826 (by city district); CC BY 4.0",
        "unit": "persons (innbygger) on 1 January",
        "municipality_years": sorted({r[0] for r in records if r[1] == "municipality"}),
        "district_years": sorted({r[0] for r in records if r[1] == "district"}),
        "years_in_files_without_a_map": outside,
        "files": [_file_info(p) for p in all_files],
        "municipalities": report_m,
        "districts": report_d,
    }
    level_type = pa.dictionary(pa.int8(), pa.string())
    table = pa.table(
        {
            "year": pa.array([r[0] for r in records], pa.int16()),
            "level": pa.array([r[1] for r in records], pa.string()).dictionary_encode().cast(level_type),
            "region": pa.array([r[2] for r in records], pa.string()).dictionary_encode(),
            "age": pa.array([r[3] for r in records], pa.string()).dictionary_encode().cast(level_type),
            "persons": pa.array([r[4] for r in records], pa.int32()),
        }
    )
    return table.replace_schema_metadata({METADATA_KEY: json.dumps(meta, ensure_ascii=False, sort_keys=True)})


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: parse the files, check them, write the Parquet file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--municipalities", nargs="+", type=Path, default=[], help="SSB 07459 statbank CSVs")
    parser.add_argument("--districts", nargs="*", type=Path, default=[], help="SSB 10826 statbank CSVs")
    parser.add_argument("--out", type=Path, required=True, help="the Parquet file to write")
    args = parser.parse_args(argv)
    try:
        table = build(args.municipalities, args.districts)
    except (BuildError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    from samhandling.atomic import atomic_path

    with atomic_path(args.out) as tmp:
        pq.write_table(
            table, tmp, compression="zstd", compression_level=19, use_dictionary=True, write_statistics=False
        )
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    print(
        f"wrote {args.out}: {table.num_rows} rows, municipalities {meta['municipality_years']}, "
        f"districts {meta['district_years']}, {args.out.stat().st_size} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
