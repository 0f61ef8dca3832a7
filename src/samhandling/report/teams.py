"""Team registers: the cooperation teams a report follows, their staff, and the patients they took on.

A cooperation team (samhandlingsteam), ACT or FACT team is staffed by the municipality, the DPS and NAV,
each paying its own people (:class:`samhandling.model.Team` with its positions).  Whether the team
works is judged by its patients' use of inpatient care before and after they joined it, so the report
also needs the list of the team's patients with the day each one started (pseudonymous ids only; the
report never shows an id, only counts that pass disclosure control).

Formats (examples in ``docs/howto/report.md``):

TOML (``.toml``) or JSON (``.json``)
    ``[[team]]`` tables with ``name``, ``kind`` (a service kind such as ``samhandlingsteam`` or
    ``fact``), ``municipalities``, ``start``, optional ``end`` and ``target_groups``, and
    ``[[team.position]]`` tables with ``profession``, ``employer``, ``employer_level`` (``municipal``,
    ``specialist``, ``nav`` …) and ``percent``; optionally ``[[patient]]`` tables with ``team``,
    ``patient`` and ``start``.  JSON: ``{"teams": [{..., "positions": [...]}], "patients": [...]}``.
CSV (``.csv``, UTF-8, comma or semicolon)
    a patient list: one row per patient with the columns ``team, patient, start`` (and ``end``).

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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from samhandling.errors import ParseError, ValidationError
from samhandling.model import Position, Team

__all__ = ["PATIENT_FIELDS", "POSITION_FIELDS", "TEAM_FIELDS", "TeamPatient", "TeamRegister", "read_teams"]

#: Fields of a ``[[team]]`` entry (``name``, ``kind`` required).
TEAM_FIELDS: tuple[str, ...] = ("name", "kind", "municipalities", "target_groups", "start", "end", "position")
#: Fields of a position (``profession``, ``employer``, ``employer_level``, ``percent`` required).
POSITION_FIELDS: tuple[str, ...] = ("holder", "profession", "employer", "employer_level", "percent")
#: Fields of a patient entry (``team``, ``patient``, ``start`` required).
PATIENT_FIELDS: tuple[str, ...] = ("team", "patient", "start", "end")


def _to_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)")


def _to_optional_date(value: object) -> dt.date | None:
    return None if value in (None, "") else _to_date(value)


@typing.final
@attrs.frozen(kw_only=True)
class TeamPatient:
    """One patient of a team: the team's name, a pseudonymous id and the day the patient started."""

    team: str
    patient: str
    start: dt.date = attrs.field(converter=_to_date)
    end: dt.date | None = attrs.field(default=None, converter=_to_optional_date)

    def __attrs_post_init__(self) -> None:
        if not self.team.strip() or not self.patient.strip():
            raise ValidationError("TeamPatient: 'team' and 'patient' must not be empty")
        if self.end is not None and self.end < self.start:
            raise ValidationError(f"TeamPatient: end {self.end} is before start {self.start}")


def _teams(value: Iterable[Team]) -> tuple[Team, ...]:
    return tuple(value)


def _patients(value: Iterable[TeamPatient]) -> tuple[TeamPatient, ...]:
    return tuple(value)


def _paths(value: Iterable[Path]) -> tuple[Path, ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class TeamRegister:
    """Teams with their positions, and the patients each team took on."""

    teams: tuple[Team, ...] = attrs.field(default=(), converter=_teams)
    patients: tuple[TeamPatient, ...] = attrs.field(default=(), converter=_patients)
    paths: tuple[Path, ...] = attrs.field(default=(), converter=_paths)

    def __attrs_post_init__(self) -> None:
        names = [t.name for t in self.teams]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValidationError(f"team name(s) {twice} are used twice; every team needs its own name")
        unknown = sorted({p.team for p in self.patients} - set(names)) if self.teams else []
        if unknown:
            raise ValidationError(
                f"patients are listed for team(s) {unknown}, which the register does not have "
                f"(teams: {', '.join(names)})"
            )

    def __add__(self, other: TeamRegister) -> TeamRegister:
        return TeamRegister(
            teams=self.teams + other.teams,
            patients=self.patients + other.patients,
            paths=self.paths + other.paths,
        )

    def patients_of(self, team: str, *, on: dt.date | None = None) -> tuple[TeamPatient, ...]:
        """The team's patients (those who had started by ``on``, when given)."""
        return tuple(p for p in self.patients if p.team == team and (on is None or p.start <= on))


def read_teams(paths: str | Path | Iterable[str | Path]) -> TeamRegister:
    """Read team registers (TOML, JSON) and patient lists (CSV) into one :class:`TeamRegister`.

    >>> register = read_teams(["team.toml", "pasienter.csv"])        # doctest: +SKIP
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    teams: list[Team] = []
    patients: list[TeamPatient] = []
    found: list[Path] = []
    for item in items:
        path = Path(item)
        more_teams, more_patients = _read_one(path)
        teams += more_teams
        patients += more_patients
        found.append(path)
    try:
        return TeamRegister(teams=teams, patients=patients, paths=found)
    except ValidationError as exc:
        raise ParseError(f"{exc}", path=found[-1] if found else None) from None


def _read_one(path: Path) -> tuple[list[Team], list[TeamPatient]]:
    if not path.is_file():
        raise ParseError(
            "no such file (expected a team register in TOML or JSON, or a patient list in CSV)", path=path
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=path) from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return _from_toml(text, path)
    if suffix == ".json":
        return _from_json(text, path)
    if suffix == ".csv":
        return [], _from_csv(text, path)
    raise ParseError(f"unknown team register format {suffix!r} (expected .toml, .json or .csv)", path=path)


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _from_toml(text: str, path: Path) -> tuple[list[Team], list[TeamPatient]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        raise ParseError(
            f"not valid TOML: {_TOML_POSITION.sub('', str(exc)).strip()}",
            path=path,
            line=int(found.group(1)) if found else None,
            column=int(found.group(2)) if found else None,
        ) from None
    unknown = sorted(set(data) - {"team", "patient"})
    if unknown:
        raise ParseError(
            f"unknown top-level key(s) {unknown}; expected [[team]] and [[patient]] tables", path=path
        )
    team_lines = _header_lines(text, "team")
    patient_lines = _header_lines(text, "patient")
    teams = [
        _team(entry, path, _nth(team_lines, i), f"[[team]] no. {i + 1}", "position")
        for i, entry in enumerate(_entries(data.get("team", []), path, "team"))
    ]
    patients = [
        _patient(entry, path, _nth(patient_lines, i), f"[[patient]] no. {i + 1}")
        for i, entry in enumerate(_entries(data.get("patient", []), path, "patient"))
    ]
    return teams, patients


def _from_json(text: str, path: Path) -> tuple[list[Team], list[TeamPatient]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno) from None
    if not isinstance(data, Mapping) or set(data) - {"teams", "patients"}:
        raise ParseError('expected an object {"teams": [...], "patients": [...]}', path=path, line=1)
    teams = [
        _team(entry, path, None, f"teams[{i}]", "positions")
        for i, entry in enumerate(_entries(data.get("teams", []), path, "teams"))
    ]
    patients = [
        _patient(entry, path, None, f"patients[{i}]")
        for i, entry in enumerate(_entries(data.get("patients", []), path, "patients"))
    ]
    return teams, patients


def _from_csv(text: str, path: Path) -> list[TeamPatient]:
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise ParseError("the file is empty (expected a header row: team, patient, start)", path=path, line=1)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    unknown = [name for name in header if name not in PATIENT_FIELDS]
    if unknown:
        raise ParseError(
            f"unknown column(s) {unknown}; a patient list has {', '.join(PATIENT_FIELDS)}",
            path=path,
            line=1,
            column=unknown[0],
        )
    missing = [name for name in ("team", "patient", "start") if name not in header]
    if missing:
        raise ParseError(
            f"missing column(s) {missing} (required: team, patient, start)",
            path=path,
            line=1,
            column=missing[0],
        )
    patients = []
    for row in reader:
        entry = {k: v.strip() for k, v in row.items() if k is not None and v is not None and v.strip()}
        if None in row:
            raise ParseError(
                f"the row has more fields than the header ({len(header)})", path=path, line=reader.line_num
            )
        if entry:
            patients.append(_patient(entry, path, reader.line_num, f"row {reader.line_num}"))
    return patients


def _header_lines(text: str, table: str) -> list[int]:
    pattern = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]\s*(#.*)?$")
    return [number for number, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


def _nth(lines: Sequence[int], index: int) -> int | None:
    return lines[index] if index < len(lines) else None


def _entries(value: object, path: Path, table: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ParseError(f"{table!r} must be a list of tables", path=path)
    return value


def _check(
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
        if entry.get(name) in (None, "", []):
            raise ParseError(
                f"{where}: the required field {name!r} is missing", path=path, line=line, column=name
            )


def _team(entry: Mapping[str, Any], path: Path, line: int | None, where: str, positions_key: str) -> Team:
    known = [*(f for f in TEAM_FIELDS if f != "position"), positions_key]
    _check(entry, known, ("name", "kind"), path, line, where)
    values = dict(entry)
    where = f"{where} (team {values['name']!r})"
    raw = values.pop(positions_key, [])
    if not isinstance(raw, list):
        raise ParseError(
            f"{where}: {positions_key!r} must be a list of positions",
            path=path,
            line=line,
            column=positions_key,
        )
    positions = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            raise ParseError(
                f"{where}: position no. {number} must be a table", path=path, line=line, column=positions_key
            )
        _check(
            item,
            POSITION_FIELDS,
            ("profession", "employer", "employer_level", "percent"),
            path,
            line,
            f"{where}, position no. {number}",
        )
        try:
            positions.append(Position(**dict(item)))
        except (ValidationError, TypeError) as exc:
            raise ParseError(
                f"{where}, position no. {number}: {exc}", path=path, line=line, column=positions_key
            ) from None
    for key in ("municipalities", "target_groups"):
        if key in values and not isinstance(values[key], list):
            values[key] = [values[key]]
    if "municipalities" in values:
        values["municipalities"] = [str(code) for code in values["municipalities"]]
    try:
        return Team(positions=tuple(positions), **values)
    except (ValidationError, TypeError) as exc:
        raise ParseError(f"{where}: {exc}", path=path, line=line) from None


def _patient(entry: Mapping[str, Any], path: Path, line: int | None, where: str) -> TeamPatient:
    _check(entry, PATIENT_FIELDS, ("team", "patient", "start"), path, line, where)
    try:
        return TeamPatient(**{k: str(v) if k in ("team", "patient") else v for k, v in entry.items()})
    except (ValidationError, TypeError) as exc:
        column = "start" if "date" in str(exc) else None
        raise ParseError(f"{where}: {exc}", path=path, line=line, column=column) from None
