"""Adding a year to the geography as data, without a new release of the library.

The library ships the maps of 2017–2026.  When SSB publishes the map of a later year, an analyst can add
it from the files SSB's classification service, KLASS, gives out:

* the **code list** of classification 131 (municipalities) valid on 1 January of the year: the JSON of
  ``/classifications/131/codesAt?date=YYYY-01-01`` (``{"codes": [{"code", "name", "shortName", …}]}``)
  or KLASS's CSV export of the version (``code;parentCode;level;name;shortName;notes;validFrom;validTo``);
* the **change list** of classification 131 from the year before: the JSON of
  ``/classifications/131/changes?from=…&to=…`` (``{"codeChanges": [{"oldCode", "oldName", "newCode",
  "newName", "changeOccurred", …}]}``) or the same columns as CSV;
* optionally the code and change lists of classification 104 (counties) and the code list of 103 (city
  districts), when those changed;
* optionally a **catchment file** (CSV: ``kind,level,owner,member`` and optionally ``status``, ``source``,
  ``note``) for the health trusts and DPSs whose catchments changed, or for all of them.

:func:`add_year` checks that the change list leads from the last year's map to the new code list (every
code accounted for), builds the year's rows in the shapes of the shipped data, and registers them for the
running process; :func:`load_years` does the same for a folder of such files, one sub-folder per year, so a
team can keep its added years next to its analyses.  Everything the rest of the library does then works
for the added year, and :meth:`Geography.for_year` says which years are shipped and which were added
(``origin``, ``added_from``).  Catchments not given are carried forward from the last published ones
through the code changes and marked derived.

The files can be fetched with :func:`samhandling.web.klass.fetch_klass_codes` and
:func:`samhandling.web.klass.fetch_klass_changes`, which return the parsed JSON; :func:`add_year` takes the
parsed JSON as well as a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from samhandling.encodings import decode_text
from samhandling.errors import ParseError, SchemaError, YearNotCoveredError
from samhandling.geography import _data
from samhandling.geography._data import Row, rows
from samhandling.levels import Level

__all__ = ["add_year", "load_years", "read_klass_changes", "read_klass_codes", "remove_year"]

Document = str | Path | Mapping[str, Any]
_CATCHMENT_COLUMNS = ("kind", "level", "owner", "member")
_FOLDER_FILES = {
    "codes": ("klass131-codes.json", "klass131-codes.csv"),
    "changes": ("klass131-changes.json", "klass131-changes.csv"),
    "county_codes": ("klass104-codes.json", "klass104-codes.csv"),
    "county_changes": ("klass104-changes.json", "klass104-changes.csv"),
    "district_codes": ("klass103-codes.json", "klass103-codes.csv"),
    "catchments": ("catchments.csv",),
    "dps_units": ("dps.csv",),
}


# -- reading KLASS files ---------------------------------------------------------------------------------
def _load(document: Document, what: str) -> tuple[Any, str, str]:
    """(parsed JSON or CSV rows, a name for messages, a SHA-256 of the bytes) of a file or a mapping."""
    if isinstance(document, Mapping):
        raw = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return document, f"{what} (given as data)", hashlib.sha256(raw).hexdigest()
    path = Path(document)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ParseError(f"cannot read {what}: {error.strerror or error}", path=path) from None
    digest = hashlib.sha256(raw).hexdigest()
    text = decode_text(raw, path=path)  # UTF-8 with or without BOM, or the Latin-1 of KLASS's exports
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text), str(path), digest
        except json.JSONDecodeError as error:
            raise ParseError(f"{what}: not valid JSON ({error.msg})", path=path, line=error.lineno) from None
    first = stripped.splitlines()[0] if stripped else ""
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    return [dict(row) for row in reader], str(path), digest


def read_klass_codes(document: Document, *, what: str = "KLASS code list") -> list[dict[str, str]]:
    """The codes of a KLASS ``codesAt`` answer (JSON) or CSV export: dicts with code, name, shortName.

    Only level-1 codes are kept (a classification's own areas); SSB's 'unknown' codes (9999, 99) are
    dropped, since the library handles them everywhere.

    :raises ParseError: the file is neither shape, or a row lacks a code or name (the message says where).
    """
    data, name, _digest = _load(document, what)
    if isinstance(data, Mapping):
        items = data.get("codes")
        if not isinstance(items, list):
            raise ParseError(
                f"{what}: expected KLASS's codesAt JSON, an object with a list 'codes' "
                f"(found keys {sorted(data)[:8]})",
                path=name,
            )
    elif isinstance(data, list):
        items = data
    else:  # pragma: no cover - _load returns a mapping or a list
        raise ParseError(f"{what}: unreadable", path=name)
    out: list[dict[str, str]] = []
    for index, item in enumerate(items):
        line = index + 2 if not isinstance(data, Mapping) else None
        if not isinstance(item, Mapping):
            raise ParseError(f"{what}: item {index} is not an object", path=name, line=line)
        code = str(item.get("code") or "").strip()
        label = str(item.get("name") or "").strip()
        if not code or not label:
            raise ParseError(
                f"{what}: item {index} lacks a code or a name: {dict(item)}", path=name, line=line
            )
        level = str(item.get("level") or "1").strip()
        if level not in ("1", ""):
            continue
        if code in ("9999", "99") or (code.endswith("99") and len(code) == 6):
            continue
        out.append({"code": code, "name": label, "shortName": str(item.get("shortName") or "").strip()})
    if not out:
        raise ParseError(f"{what}: no codes", path=name)
    return out


def read_klass_changes(document: Document, *, what: str = "KLASS change list") -> list[dict[str, str]]:
    """The changes of a KLASS ``changes`` answer (JSON) or a CSV with the same columns.

    :raises ParseError: the file is neither shape, or a row lacks a field (the message says where).
    """
    data, name, _digest = _load(document, what)
    if isinstance(data, Mapping):
        items = data.get("codeChanges")
        if not isinstance(items, list):
            raise ParseError(
                f"{what}: expected KLASS's changes JSON, an object with a list 'codeChanges' "
                f"(found keys {sorted(data)[:8]})",
                path=name,
            )
    else:
        items = data
    out: list[dict[str, str]] = []
    for index, item in enumerate(items):
        line = index + 2 if not isinstance(data, Mapping) else None
        if not isinstance(item, Mapping):
            raise ParseError(f"{what}: item {index} is not an object", path=name, line=line)
        fields = {}
        for key in ("oldCode", "oldName", "newCode", "newName", "changeOccurred"):
            value = str(item.get(key) or "").strip()
            if not value:
                raise ParseError(f"{what}: item {index} has no {key!r}: {dict(item)}", path=name, line=line)
            fields[key] = value
        try:
            dt.date.fromisoformat(fields["changeOccurred"][:10])
        except ValueError:
            raise ParseError(
                f"{what}: item {index}: changeOccurred {fields['changeOccurred']!r} is not a date "
                "(YYYY-MM-DD)",
                path=name,
                line=line,
            ) from None
        fields["newShortName"] = str(item.get("newShortName") or "").strip()
        out.append(fields)
    return out


def _for_year(changes: Sequence[Mapping[str, str]], year: int) -> list[Mapping[str, str]]:
    """The changes that take effect on the map of ``year``: after 1 January of the year before, up to and
    including 1 January of ``year`` (a change of 11 June 2021 is on the map of 2022)."""
    start, end = dt.date(year - 1, 1, 1), dt.date(year, 1, 1)
    return [c for c in changes if start < dt.date.fromisoformat(c["changeOccurred"][:10]) <= end]


# -- building the rows of a year --------------------------------------------------------------------------
def _valid_in(table: str, year: int) -> list[Row]:
    return [r for r in rows(table) if int(r["valid_from"]) <= year <= int(r["valid_to"])]


def _short_name(code: str, name: str, klass_short: str, before: Mapping[str, Row]) -> str:
    if klass_short and klass_short != name:
        return klass_short
    old = before.get(code)
    if old is None:
        return ""
    if old["name"] == name:
        return old.get("short_name", "")
    parts = [p.strip() for p in name.split(" - ")]
    everyday = old.get("short_name") or old["name"]
    return everyday if everyday in parts else ""


def _check_step(
    level: Level, before: Iterable[str], after: Iterable[str], pairs: Sequence[tuple[str, str]], year: int
) -> None:
    before, after = set(before), set(after)
    changed = {old for old, _new in pairs}
    reached = (before - changed) | {new for _old, new in pairs}
    unknown_old = sorted(changed - before)
    if unknown_old or reached != after:
        problems = []
        if unknown_old:
            problems.append(
                f"the change list names {unknown_old} as old codes, which the {year - 1} map lacks"
            )
        if reached - after:
            problems.append(
                f"the changes lead to {sorted(reached - after)[:10]}, which the {year} code list lacks"
            )
        if after - reached:
            problems.append(
                f"the {year} code list has {sorted(after - reached)[:10]}, which no change leads to from "
                f"{year - 1}"
            )
        raise SchemaError(
            f"add_year({year}): the {level.value} change list does not lead from the {year - 1} map to the "
            f"{year} code list: {'; '.join(problems)}; check that the change list covers "
            f"{year - 1}-01-02 to {year}-01-01 and the code list is for {year}-01-01"
        )


def _area_rows(
    level: Level,
    year: int,
    codes: Sequence[Mapping[str, str]] | None,
    changes: Sequence[Mapping[str, str]],
    source: str,
) -> tuple[list[Row], list[Row]]:
    """The map rows and change rows of one level (municipality or county) for ``year``."""
    table = "municipalities" if level is Level.MUNICIPALITY else "counties"
    before = {r["code"]: r for r in _valid_in(table, year - 1)}
    effective = _for_year(changes, year)
    pairs = [
        (c["oldCode"], c["newCode"])
        for c in effective
        if c["oldCode"] != c["newCode"] or c["oldName"] != c["newName"]
    ]
    if codes is None:
        if effective:
            raise SchemaError(
                f"add_year({year}): the {level.value} change list has changes for {year} but no "
                f"{level.value} "
                f"code list was given; give the KLASS code list valid on {year}-01-01"
            )
        names = {code: row["name"] for code, row in before.items()}
        klass_short: dict[str, str] = {}
    else:
        names = {c["code"]: c["name"] for c in codes}
        klass_short = {c["code"]: c.get("shortName", "") for c in codes}
    _check_step(level, before, names, pairs, year)
    area_rows = [
        {
            "code": code,
            "name": name,
            "short_name": _short_name(code, name, klass_short.get(code, ""), before),
            "valid_from": str(year),
            "valid_to": str(year),
            "source": source,
        }
        for code, name in sorted(names.items())
    ]
    change_rows = [
        {
            "year": str(year),
            "old_code": c["oldCode"],
            "old_name": before[c["oldCode"]]["name"],
            "new_code": c["newCode"],
            "new_name": names[c["newCode"]],
            "kind": "",
            "source": source,
        }
        for c in effective
        if c["oldCode"] != c["newCode"] or c["oldName"] != c["newName"]
    ]
    if level is Level.COUNTY:
        for row in change_rows:
            row.pop("kind")
    return area_rows, change_rows


def _district_rows(
    year: int, municipalities: Iterable[str], codes: Sequence[Mapping[str, str]] | None, source: str
) -> list[Row]:
    if codes is not None:
        return [
            {
                "code": c["code"],
                "name": c["name"],
                "valid_from": str(year),
                "valid_to": str(year),
                "source": source,
            }
            for c in codes
        ] + [
            {
                "code": r["code"],
                "name": r["name"],
                "valid_from": str(year),
                "valid_to": str(year),
                "source": source,
            }
            for r in _valid_in("districts", year - 1)
            if r["code"].endswith("99") and r["code"][:4] in set(municipalities)
        ]
    kept = set(municipalities)
    return [
        {**r, "valid_from": str(year), "valid_to": str(year), "source": f"carried from {year - 1}"}
        for r in _valid_in("districts", year - 1)
        if r["code"][:4] in kept
    ]


def _catchment_rows(year: int, document: str | Path | None, source: str) -> list[Row]:
    if document is None:
        return []
    data, name, _digest = _load(document, "catchment file")
    if not isinstance(data, list):
        raise ParseError("catchment file: expected a CSV with columns kind,level,owner,member", path=name)
    out: list[Row] = []
    for index, row in enumerate(data):
        missing = [c for c in _CATCHMENT_COLUMNS if not (row.get(c) or "").strip()]
        if missing:
            raise ParseError(
                f"catchment file: no {missing[0]!r} (columns needed: kind, level, owner, member)",
                path=name,
                line=index + 2,
            )
        out.append(
            {
                "kind": row["kind"].strip(),
                "level": row["level"].strip(),
                "owner": row["owner"].strip(),
                "member": row["member"].strip(),
                "valid_from": str(year),
                "valid_to": str(year),
                "status": (row.get("status") or "member").strip(),
                "basis": (row.get("basis") or "recorded").strip(),
                "source": (row.get("source") or source).strip(),
                "note": (row.get("note") or "").strip(),
            }
        )
    return out


def _check_catchments(
    year: int, catchment_rows: Sequence[Row], areas: set[str], dps_codes: set[str], name: str
) -> None:
    trusts = {r["code"] for r in rows("health_trusts")}
    for index, row in enumerate(catchment_rows):
        where = f"{name}, row {index + 2}"
        if row["kind"] not in ("vop", "bup"):
            raise SchemaError(f"add_year({year}): {where}: kind {row['kind']!r} is not 'vop' or 'bup'")
        if row["level"] not in ("health_trust", "dps"):
            raise SchemaError(
                f"add_year({year}): {where}: level {row['level']!r} is not 'health_trust' or 'dps'"
            )
        if row["status"] not in ("member", "split"):
            raise SchemaError(
                f"add_year({year}): {where}: status {row['status']!r} is not 'member' or 'split'"
            )
        owners = trusts if row["level"] == "health_trust" else dps_codes
        if row["owner"] not in owners:
            raise SchemaError(
                f"add_year({year}): {where}: {row['owner']!r} is not a {row['level'].replace('_', ' ')} code "
                f"(expected one of the codes in docs/reference-data.md, e.g. 'vestre-viken', 'dps-asker'; "
                f"a new "
                f"DPS is added with a dps.csv of code,name,health_trust)"
            )
        if row["member"] not in areas:
            raise SchemaError(
                f"add_year({year}): {where}: {row['member']!r} is not a municipality or district of {year}"
            )


# -- the public functions ----------------------------------------------------------------------------------
def add_year(
    year: int,
    *,
    codes: Document,
    changes: Document,
    county_codes: Document | None = None,
    county_changes: Document | None = None,
    district_codes: Document | None = None,
    catchments: str | Path | None = None,
    dps_units: str | Path | None = None,
) -> Any:
    """Add the map of ``year`` (the year after the last one there is) from KLASS files; returns its Geography.

    :param codes: KLASS 131 code list valid on 1 January ``year`` (codesAt JSON, its parsed dict, or the
        CSV export).
    :param changes: KLASS 131 change list covering the year before (changes JSON or CSV); changes dated
        after 1 January of the year before up to 1 January ``year`` are used.
    :param county_codes: KLASS 104 code list; needed when counties changed (otherwise carried).
    :param county_changes: KLASS 104 change list; needed when county codes changed.
    :param district_codes: KLASS 103 code list; otherwise the districts of the year before whose city still
        exists are carried.
    :param catchments: CSV ``kind,level,owner,member[,status,source,note]`` for the health trusts and DPSs
        of the year; areas it does not name are carried forward from the last published catchments and
        marked derived.
    :param dps_units: CSV ``code,name,health_trust`` of DPSs that are new or changed owner this year.
    :raises YearNotCoveredError: ``year`` is not the year after the last one there is.
    :raises SchemaError: the files do not lead from the last map to this one (the message says which codes).
    :raises ParseError: a file is not in a KLASS shape (the message names the file and item).
    """
    from samhandling.geography._geography import Geography

    if not isinstance(year, int) or isinstance(year, bool):
        raise YearNotCoveredError(f"add_year: the year must be an int, not {year!r}")
    if year in _data.years():
        raise YearNotCoveredError(
            f"add_year({year}): {year} is already covered "
            f"({'added' if year in _data.added_years() else 'shipped'}); "
            f"remove_year({year}) first to replace an added year"
        )
    if year != _data.last_year() + 1:
        raise YearNotCoveredError(
            f"add_year({year}): years are added one after the other; the next is {_data.last_year() + 1}"
        )
    files: dict[str, Any] = {}

    def describe(document: Document | None, key: str) -> None:
        if document is None:
            return
        _parsed, name, digest = _load(document, key)
        files[key] = {
            "file": Path(name).name if not isinstance(document, Mapping) else name,
            "sha256": digest,
        }

    for key, document in (
        ("codes", codes),
        ("changes", changes),
        ("county_codes", county_codes),
        ("county_changes", county_changes),
        ("district_codes", district_codes),
        ("catchments", catchments),
        ("dps_units", dps_units),
    ):
        describe(document, key)
    source = f"added-{year}"
    municipality_codes = read_klass_codes(codes, what="KLASS 131 code list")
    municipality_changes = read_klass_changes(changes, what="KLASS 131 change list")
    municipalities, municipality_change_rows = _area_rows(
        Level.MUNICIPALITY, year, municipality_codes, municipality_changes, source
    )
    for row in municipality_change_rows:
        row["kind"] = "rename" if row["old_code"] == row["new_code"] else ""
    county_list = (
        read_klass_codes(county_codes, what="KLASS 104 code list") if county_codes is not None else None
    )
    county_change_list = (
        read_klass_changes(county_changes, what="KLASS 104 change list") if county_changes is not None else []
    )
    if county_list is None:
        prefixes = {row["code"][:2] for row in municipalities}
        known = {r["code"] for r in _valid_in("counties", year - 1)}
        if not prefixes <= known:
            raise SchemaError(
                f"add_year({year}): municipality codes start with the county codes "
                f"{sorted(prefixes - known)}, "
                f"which the {year - 1} map lacks; give county_codes= (KLASS 104) and county_changes="
            )
    counties, county_change_rows = _area_rows(Level.COUNTY, year, county_list, county_change_list, source)
    districts = _district_rows(
        year,
        (row["code"] for row in municipalities),
        read_klass_codes(district_codes, what="KLASS 103 code list") if district_codes is not None else None,
        source,
    )
    dps_rows = [
        {
            **r,
            "valid_from": str(year),
            "valid_to": str(year),
            "source": f"carried from {year - 1}",
            "note": "",
        }
        for r in _valid_in("dps", year - 1)
    ]
    if dps_units is not None:
        data, name, _digest = _load(dps_units, "DPS list")
        given = {}
        for index, row in enumerate(data if isinstance(data, list) else []):
            if not all((row.get(c) or "").strip() for c in ("code", "name", "health_trust")):
                raise ParseError("DPS list: needs code, name and health_trust", path=name, line=index + 2)
            given[row["code"].strip()] = {
                "code": row["code"].strip(),
                "name": row["name"].strip(),
                "health_trust": row["health_trust"].strip(),
                "valid_from": str(year),
                "valid_to": str(year),
                "source": source,
                "note": "",
            }
        dps_rows = [r for r in dps_rows if r["code"] not in given] + list(given.values())
    catchment_rows = _catchment_rows(year, catchments, source)
    areas = {row["code"] for row in municipalities} | {row["code"] for row in districts}
    _check_catchments(
        year, catchment_rows, areas, {r["code"] for r in dps_rows}, str(catchments) if catchments else ""
    )
    exceptions = [
        {
            **r,
            "valid_from": str(year),
            "valid_to": str(year),
            "note": f"{r['note']} (carried from {year - 1})",
        }
        for r in _valid_in("catchment_exceptions", year - 1)
        if r["member"] in areas
    ]
    tables = {
        "municipalities": municipalities,
        "municipality_changes": municipality_change_rows,
        "counties": counties,
        "county_changes": county_change_rows,
        "districts": districts,
        "dps": dps_rows,
        "catchments": catchment_rows,
        "catchment_exceptions": exceptions,
    }
    info = {"files": files, "added": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    _data.register(year, tables, info)
    try:
        from samhandling.geography import changes as _changes

        _changes.step_table(Level.MUNICIPALITY, year)
        _changes.step_table(Level.COUNTY, year)
        geography = Geography.for_year(year)
        for kind in ("vop", "bup"):
            geography.membership("health_trust", kind=kind)
        geography.membership("dps", kind="vop")
    except Exception:
        _data.unregister(year)
        raise
    return geography


def remove_year(year: int) -> None:
    """Remove an added year (and any added after it) from this process."""
    if year not in _data.added_years():
        raise YearNotCoveredError(
            f"remove_year({year}): {year} was not added as data "
            f"(added: {sorted(_data.added_years()) or 'none'})"
        )
    _data.unregister(year)


def load_years(directory: str | Path) -> tuple[int, ...]:
    """Add every year of a folder of KLASS files, oldest first; returns the years added.

    The folder has one sub-folder per year (``2027/``) with ``klass131-codes.json`` (or ``.csv``) and
    ``klass131-changes.json`` (or ``.csv``), and optionally ``klass104-codes``, ``klass104-changes``,
    ``klass103-codes`` (JSON or CSV), ``catchments.csv`` and ``dps.csv``.  Years already there are skipped.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ParseError("not a folder of years", path=root)
    added: list[int] = []
    for folder in sorted(
        (p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)
    ):
        year = int(folder.name)
        if year in _data.years():
            continue
        found: dict[str, Path] = {}
        for key, names in _FOLDER_FILES.items():
            for candidate in names:
                if (folder / candidate).is_file():
                    found[key] = folder / candidate
                    break
        if "codes" not in found or "changes" not in found:
            raise ParseError(
                "needs klass131-codes.json (or .csv) and klass131-changes.json (or .csv)", path=folder
            )
        add_year(year, **found)
        added.append(year)
    return tuple(added)
