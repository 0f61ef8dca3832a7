"""Agreement registers: the cooperation agreements and shared services a report counts.

No public statistic says which § 6-2 subjects each municipality's agreements cover, or which ØHD
unit serves which municipalities; a county governor or a KoRus centre keeps that as a register.  This
module reads such a register into :class:`samhandling.model.Agreement` and
:class:`samhandling.model.Service` objects.  Three formats are accepted (see
``docs/howto/report.md`` for complete examples):

TOML (``.toml``)
    ``[[agreement]]`` tables with the fields of :class:`~samhandling.model.Agreement` and
    ``parties = [{kind = "municipality", code = "3305", name = "Ringerike kommune"}, ...]``, and
    ``[[service]]`` tables with the fields of :class:`~samhandling.model.Service`.
JSON (``.json``)
    ``{"agreements": [...], "services": [...]}`` with the same fields, dates as ISO text.
CSV (``.csv``, UTF-8, comma or semicolon)
    One agreement per row with the columns ``id, kind, title, parties, valid_from, valid_to, subjects,
    parent, services``; ``parties`` is ``kind:code:name`` items separated by ``|`` and ``subjects``
    numbers separated by ``;`` or spaces.  A CSV with the column ``provider`` instead holds services:
    ``name, kind, provider, level, capacity, municipalities, target_groups, start, end``.

Every problem is a :class:`~samhandling.errors.ParseError` naming the file, the line and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tomllib
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from samhandling.errors import ParseError, ValidationError
from samhandling.model import Agreement, Party, Service

__all__ = ["AGREEMENT_FIELDS", "SERVICE_FIELDS", "AgreementRegister", "read_agreements"]

#: Fields an agreement entry may have (``id``, ``kind``, ``title``, ``parties``, ``valid_from`` required).
AGREEMENT_FIELDS: tuple[str, ...] = (
    "id",
    "kind",
    "title",
    "parties",
    "valid_from",
    "valid_to",
    "subjects",
    "services",
    "parent",
)
_AGREEMENT_REQUIRED = ("id", "kind", "title", "parties", "valid_from")
#: Fields a service entry may have (``name``, ``kind``, ``provider``, ``level`` required).
SERVICE_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "provider",
    "level",
    "capacity",
    "target_groups",
    "municipalities",
    "start",
    "end",
)
_SERVICE_REQUIRED = ("name", "kind", "provider", "level")
_PARTY_FIELDS = ("kind", "code", "name")


def _agreements(value: Iterable[Agreement]) -> tuple[Agreement, ...]:
    return tuple(value)


def _services(value: Iterable[Service]) -> tuple[Service, ...]:
    return tuple(value)


def _paths(value: Iterable[Path]) -> tuple[Path, ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class AgreementRegister:
    """What one or more register files hold: agreements and services, and the files they came from."""

    agreements: tuple[Agreement, ...] = attrs.field(default=(), converter=_agreements)
    services: tuple[Service, ...] = attrs.field(default=(), converter=_services)
    paths: tuple[Path, ...] = attrs.field(default=(), converter=_paths)

    def __add__(self, other: AgreementRegister) -> AgreementRegister:
        ids = {a.id for a in self.agreements}
        clash = sorted(ids.intersection(a.id for a in other.agreements))
        if clash:
            raise ParseError(
                f"agreement id(s) {clash} appear in more than one register file "
                f"({', '.join(map(str, self.paths + other.paths))}); ids must be unique",
            )
        return AgreementRegister(
            agreements=self.agreements + other.agreements,
            services=self.services + other.services,
            paths=self.paths + other.paths,
        )


def read_agreements(paths: str | Path | Iterable[str | Path]) -> AgreementRegister:
    """Read one or more register files (TOML, JSON or CSV) into agreements and services.

    >>> register = read_agreements("samarbeidsavtaler.toml")    # doctest: +SKIP
    >>> register.agreements[0].missing_subjects()               # doctest: +SKIP
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    register = AgreementRegister()
    for item in items:
        register = register + _read_one(Path(item))
    return register


def _read_one(path: Path) -> AgreementRegister:
    if not path.is_file():
        raise ParseError("no such file (expected an agreement register in TOML, JSON or CSV)", path=path)
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=path) from None
    if suffix == ".toml":
        agreements, services = _from_toml(text, path)
    elif suffix == ".json":
        agreements, services = _from_json(text, path)
    elif suffix == ".csv":
        agreements, services = _from_csv(text, path)
    else:
        raise ParseError(f"unknown register format {suffix!r} (expected .toml, .json or .csv)", path=path)
    return AgreementRegister(agreements=agreements, services=services, paths=(path,))


# -- TOML -----------------------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _from_toml(text: str, path: Path) -> tuple[list[Agreement], list[Service]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        message = _TOML_POSITION.sub("", str(exc)).strip()
        raise ParseError(
            f"not valid TOML: {message}",
            path=path,
            line=int(found.group(1)) if found else None,
            column=int(found.group(2)) if found else None,
        ) from None
    unknown = sorted(set(data) - {"agreement", "service"})
    if unknown:
        raise ParseError(
            f"unknown top-level key(s) {unknown}; expected [[agreement]] and [[service]] tables", path=path
        )
    agreement_lines = _header_lines(text, "agreement")
    service_lines = _header_lines(text, "service")
    agreements = [
        _agreement(entry, path, _nth(agreement_lines, i), f"[[agreement]] no. {i + 1}")
        for i, entry in enumerate(_entries(data.get("agreement", []), path, "agreement"))
    ]
    services = [
        _service(entry, path, _nth(service_lines, i), f"[[service]] no. {i + 1}")
        for i, entry in enumerate(_entries(data.get("service", []), path, "service"))
    ]
    _unique_ids(agreements, path)
    return agreements, services


def _header_lines(text: str, table: str) -> list[int]:
    """Line numbers of the ``[[table]]`` headers, so a bad entry can be found in the file."""
    pattern = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]\s*(#.*)?$")
    return [number for number, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


def _nth(lines: Sequence[int], index: int) -> int | None:
    return lines[index] if index < len(lines) else None


def _entries(value: object, path: Path, table: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ParseError(f"{table!r} must be an array of tables ([[{table}]])", path=path)
    return value


# -- JSON -----------------------------------------------------------------------------------------


def _from_json(text: str, path: Path) -> tuple[list[Agreement], list[Service]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno) from None
    if not isinstance(data, Mapping):
        raise ParseError('expected an object {"agreements": [...], "services": [...]}', path=path, line=1)
    unknown = sorted(set(data) - {"agreements", "services"})
    if unknown:
        raise ParseError(
            f"unknown top-level key(s) {unknown}; expected 'agreements' and 'services'", path=path
        )
    agreements = [
        _agreement(entry, path, None, f"agreements[{i}]")
        for i, entry in enumerate(_json_list(data.get("agreements", []), path, "agreements"))
    ]
    services = [
        _service(entry, path, None, f"services[{i}]")
        for i, entry in enumerate(_json_list(data.get("services", []), path, "services"))
    ]
    _unique_ids(agreements, path)
    return agreements, services


def _json_list(value: object, path: Path, key: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ParseError(f"{key!r} must be a list of objects", path=path, column=key)
    return value


# -- CSV ------------------------------------------------------------------------------------------


def _from_csv(text: str, path: Path) -> tuple[list[Agreement], list[Service]]:
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise ParseError("the file is empty (expected a header row)", path=path, line=1)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    is_services = "provider" in header
    known = SERVICE_FIELDS if is_services else AGREEMENT_FIELDS
    required = _SERVICE_REQUIRED if is_services else _AGREEMENT_REQUIRED
    unknown = [name for name in header if name not in known]
    if unknown:
        raise ParseError(
            f"unknown column(s) {unknown}; an {'service' if is_services else 'agreement'} register has "
            f"{', '.join(known)}",
            path=path,
            line=1,
            column=unknown[0],
        )
    missing = [name for name in required if name not in header]
    if missing:
        raise ParseError(
            f"missing column(s) {missing} (required: {', '.join(required)})",
            path=path,
            line=1,
            column=missing[0],
        )
    agreements: list[Agreement] = []
    services: list[Service] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise ParseError(f"the row has more fields than the header ({len(header)})", path=path, line=line)
        entry = {k: v.strip() for k, v in row.items() if v is not None and v.strip() != ""}
        if not entry:
            continue
        where = f"row {line}"
        if is_services:
            for key in ("municipalities", "target_groups"):
                if key in entry:
                    entry[key] = _split(entry[key])
            services.append(_service(entry, path, line, where))
        else:
            if "parties" in entry:
                entry["parties"] = _csv_parties(entry["parties"], path, line)
            for key in ("subjects", "services"):
                if key in entry:
                    entry[key] = _split(entry[key], separators=r"[;|]" if key == "services" else r"[;|,\s]+")
            agreements.append(_agreement(entry, path, line, where))
    _unique_ids(agreements, path)
    return agreements, services


def _split(text: str, separators: str = r"[;|,\s]+") -> list[str]:
    return [part.strip() for part in re.split(separators, text) if part.strip()]


def _csv_parties(text: str, path: Path, line: int) -> list[dict[str, str]]:
    parties = []
    for item in text.split("|"):
        parts = [p.strip() for p in item.split(":", 2)]
        if len(parts) != 3 or not parts[0] or not parts[2]:
            raise ParseError(
                f"party {item.strip()!r} is not 'kind:code:name' (e.g. 'municipality:3305:Ringerike "
                f"kommune'; leave code empty as 'voluntary::Mental Helse')",
                path=path,
                line=line,
                column="parties",
            )
        kind, code, name = parts
        parties.append({"kind": kind, "name": name, **({"code": code} if code else {})})
    return parties


# -- building the model objects -------------------------------------------------------------------


_FIELD_IN_MESSAGE = re.compile(r"^(?:Agreement|Service|Party)\.(\w+)")


def _model_error(exc: ValidationError, path: Path, line: int | None, where: str) -> ParseError:
    found = _FIELD_IN_MESSAGE.match(str(exc))
    return ParseError(f"{where}: {exc}", path=path, line=line, column=found.group(1) if found else None)


def _check_fields(
    entry: Mapping[str, Any],
    known: Sequence[str],
    required: Sequence[str],
    path: Path,
    line: int | None,
    where: str,
) -> None:
    unknown = sorted(set(entry) - set(known))
    if unknown:
        raise ParseError(
            f"{where}: unknown field(s) {unknown}; expected {', '.join(known)}",
            path=path,
            line=line,
            column=unknown[0],
        )
    for name in required:
        if name not in entry or entry[name] in ("", None, []):
            raise ParseError(
                f"{where}: the required field {name!r} is missing", path=path, line=line, column=name
            )


def _agreement(entry: Mapping[str, Any], path: Path, line: int | None, where: str) -> Agreement:
    _check_fields(entry, AGREEMENT_FIELDS, _AGREEMENT_REQUIRED, path, line, where)
    values = {k: _plain(v) for k, v in entry.items()}
    where = f"{where} (agreement {values['id']!r})"
    parties_raw = values.pop("parties")
    if not isinstance(parties_raw, list):
        raise ParseError(
            f"{where}: 'parties' must be a list of parties", path=path, line=line, column="parties"
        )
    parties = [_party(item, path, line, where) for item in parties_raw]
    for key in ("subjects", "services"):
        if key in values and not isinstance(values[key], list):
            values[key] = [values[key]]
    return _build(lambda: Agreement(parties=tuple(parties), **values), path, line, where)


def _party(item: object, path: Path, line: int | None, where: str) -> Party:
    if not isinstance(item, Mapping):
        raise ParseError(
            f"{where}: a party must be a table with kind, code and name, got {item!r}",
            path=path,
            line=line,
            column="parties",
        )
    unknown = sorted(set(item) - set(_PARTY_FIELDS))
    if unknown or "kind" not in item or "name" not in item:
        raise ParseError(
            f"{where}: party {dict(item)!r} needs 'kind' and 'name' (and 'code' for a municipality or "
            f"health trust){f'; unknown field(s) {unknown}' if unknown else ''}",
            path=path,
            line=line,
            column="parties",
        )
    code = item.get("code")
    values = {"kind": item["kind"], "name": item["name"], "code": None if code in ("", None) else str(code)}
    try:
        return Party(**values)
    except ValidationError as exc:
        raise ParseError(f"{where}: {exc}", path=path, line=line, column="parties") from None


def _service(entry: Mapping[str, Any], path: Path, line: int | None, where: str) -> Service:
    _check_fields(entry, SERVICE_FIELDS, _SERVICE_REQUIRED, path, line, where)
    values = {k: _plain(v) for k, v in entry.items()}
    where = f"{where} (service {values['name']!r})"
    for key in ("municipalities", "target_groups"):
        if key in values and not isinstance(values[key], list):
            values[key] = [values[key]]
    if "municipalities" in values:
        values["municipalities"] = [str(code) for code in values["municipalities"]]
    return _build(lambda: Service(**values), path, line, where)


T = typing.TypeVar("T")


def _build(make: Callable[[], T], path: Path, line: int | None, where: str) -> T:
    try:
        return make()
    except ValidationError as exc:
        raise _model_error(exc, path, line, where) from None
    except TypeError as exc:  # e.g. a list where text was expected, which attrs reports as TypeError
        raise ParseError(f"{where}: {exc}", path=path, line=line) from None


def _plain(value: Any) -> Any:
    """TOML gives datetimes for ``2024-01-01T00:00``; the model wants dates."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _unique_ids(agreements: Sequence[Agreement], path: Path) -> None:
    seen: set[str] = set()
    for agreement in agreements:
        if agreement.id in seen:
            raise ParseError(
                f"agreement id {agreement.id!r} is used twice; ids must be unique", path=path, column="id"
            )
        seen.add(agreement.id)
