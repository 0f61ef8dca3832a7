"""Which KOSTRA group each municipality is in, read from a file the user gives.

SSB groups the municipalities into KOSTRA groups (*KOSTRA-gruppering*: ``EKG01`` … ``EKG16`` and the
like, by population and economic conditions) and publishes the grouping in its classification service,
KLASS, as classification 112.  The grouping changes between revisions and municipalities change with the
map, and the library ships no copy of it: the report reads it from one of these files.

* **KLASS's CSV export** with the columns ``code;parentCode;level;name;shortName;notes;validFrom;validTo``
  (semicolons, quoted, Latin-1 or UTF-8 with or without a byte-order mark, rows as short as SSB writes
  them): the groups are level 1, the municipalities level 2 with ``parentCode`` their group.
* **KLASS's correspondence** between classification 112 and the municipalities (131), as CSV with
  ``sourceCode`` (the group) and ``targetCode`` (the municipality), optionally ``sourceName``,
  ``validFrom`` and ``validTo``: this is where KLASS keeps the membership of each year's grouping.
* **A plain two-column CSV**: a municipality column (``kommune``, ``kommunenummer``, ``municipality``,
  ``code``, ``region``) and a group column (``kostragruppe``, ``kostra_group``, ``group``, ``gruppe``),
  the group given by its code or its name.

Rows with ``validFrom``/``validTo`` that do not include the day asked for are left out (KLASS's ranges
include ``validFrom`` and exclude ``validTo``).  Anything else the file holds that is not a membership
— a code that is not four digits, a level that is neither 1 nor 2, a group never defined, one
municipality in two groups — stops the reading with a :class:`~samhandling.errors.ParseError` naming the
file, line and column.  Whether the codes exist on the report year's map is the report's question
(:meth:`KostraGroups.on_map`): the reader knows no geography.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from samhandling.encodings import decode_text
from samhandling.errors import ParseError

if typing.TYPE_CHECKING:
    from samhandling.checks import Finding

__all__ = ["KostraGroup", "KostraGroups", "Membership", "membership_findings", "read_kostra_groups"]

_MUNICIPALITY = re.compile(r"\d{4}")
_MUNICIPALITY_COLUMNS = ("kommune", "kommunenummer", "kommunenr", "knr", "municipality", "code", "region")
_GROUP_COLUMNS = ("kostragruppe", "kostra-gruppe", "kostra_group", "kostragroup", "group", "gruppe")


@typing.final
@attrs.frozen(kw_only=True)
class KostraGroup:
    """One KOSTRA group: its code (``EKG13``) and its name in the file (``""`` when it gives none)."""

    code: str
    name: str = ""


@typing.final
@attrs.frozen(kw_only=True)
class Membership:
    """One municipality in one group, with the line of the file it was read from."""

    municipality: str
    group: str
    line: int


def _groups(value: Iterable[KostraGroup]) -> tuple[KostraGroup, ...]:
    return tuple(value)


def _members(value: Iterable[Membership]) -> tuple[Membership, ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class KostraGroups:
    """The KOSTRA groups and their municipalities as one file gives them.

    Fields: ``groups`` (each group once, in the order of the file); ``members`` (one row per
    municipality); ``path`` (the file); ``layout`` (``klass``, ``klass-correspondence`` or
    ``two-column``); ``checksum`` (``sha256:`` and the digest of the file's bytes, for the report's
    list of sources).
    """

    groups: tuple[KostraGroup, ...] = attrs.field(converter=_groups)
    members: tuple[Membership, ...] = attrs.field(converter=_members)
    path: str
    layout: str
    checksum: str = ""

    def membership(self) -> dict[str, str]:
        """Municipality code → group code."""
        return {m.municipality: m.group for m in self.members}

    def by_group(self) -> dict[str, list[str]]:
        """Group code → its municipalities (sorted), ready for :func:`samhandling.weighted_average`."""
        found: dict[str, list[str]] = {g.code: [] for g in self.groups}
        for member in sorted(self.members, key=lambda m: m.municipality):
            found.setdefault(member.group, []).append(member.municipality)
        return found

    def name(self, group: str) -> str:
        """The name the file gives ``group`` (``""`` when none)."""
        return next((g.name for g in self.groups if g.code == group), "")

    def on_map(self, municipalities: Iterable[str]) -> tuple[dict[str, str], list[Membership], list[str]]:
        """Check the membership against the municipalities of a map.

        :returns: (municipality → group for the municipalities on the map, the rows whose municipality is
            not on it, the municipalities of the map the file leaves out) — never a guessed group.
        """
        valid = set(municipalities)
        usable = {m.municipality: m.group for m in self.members if m.municipality in valid}
        unknown = [m for m in self.members if m.municipality not in valid]
        missing = sorted(valid - set(usable))
        return usable, unknown, missing


def read_kostra_groups(path: str | Path, *, on: dt.date | int | None = None) -> KostraGroups:
    """Read a KOSTRA-group membership file (see the module docstring for the layouts).

    >>> groups = read_kostra_groups("klass-112-2024.csv", on=2024)  # doctest: +SKIP
    >>> groups.membership()["0301"]                                  # doctest: +SKIP
    'EKG13'

    :param path: the file.
    :param on: keep only rows valid on this day (a year means 1 January), where the file has
        ``validFrom``/``validTo``; default every row.
    :raises ParseError: the file cannot be read, is none of the layouts, or a row is not a membership;
        the message names the file, the line and the column.
    """
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as error:
        raise ParseError(
            f"cannot read the KOSTRA-group file: {error.strerror or error}", path=source
        ) from None
    text = decode_text(raw, path=source)
    day = dt.date(on, 1, 1) if isinstance(on, int) else on
    header, rows = _rows(text, source)
    columns = [c.strip().casefold() for c in header]
    if {"code", "parentcode", "level"} <= set(columns):
        layout, groups, members = "klass", *_klass(header, columns, rows, source, day)
    elif {"sourcecode", "targetcode"} <= set(columns):
        layout, groups, members = "klass-correspondence", *_correspondence(header, columns, rows, source, day)
    else:
        layout, groups, members = "two-column", *_two_columns(header, columns, rows, source)
    if not members:
        raise ParseError("the KOSTRA-group file lists no municipality in any group", path=source)
    return KostraGroups(
        groups=groups,
        members=_unique(members, source),
        path=str(source),
        layout=layout,
        checksum=f"sha256:{hashlib.sha256(raw).hexdigest()}",
    )


# -- the file as rows --------------------------------------------------------------------------------------
Row = tuple[int, list[str]]


def _rows(text: str, path: Path) -> tuple[list[str], list[Row]]:
    """The header and the non-empty rows with their line numbers, short rows padded as KLASS writes them."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise ParseError("the KOSTRA-group file is empty", path=path)
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    out: list[Row] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if header is None:
                header = [f.strip().lstrip("\ufeff") for f in fields]
                continue
            if len(fields) > len(header):
                raise ParseError(
                    f"the row has {len(fields)} fields, the header {len(header)} ({delimiter!r} separated)",
                    path=path,
                    line=line,
                    column=len(header) + 1,
                )
            out.append((line, [f.strip() for f in fields] + [""] * (len(header) - len(fields))))
    except csv.Error as error:
        raise ParseError(f"not a CSV file: {error}", path=path, line=reader.line_num) from None
    assert header is not None
    return header, out


def _valid_on(day: dt.date | None, values: Mapping[str, str], line: int, path: Path) -> bool:
    if day is None:
        return True
    bounds: list[dt.date | None] = []
    for column in ("validFrom", "validTo"):
        text = values.get(column.casefold(), "")
        if not text:
            bounds.append(None)
            continue
        try:
            bounds.append(dt.date.fromisoformat(text[:10]))
        except ValueError:
            raise ParseError(
                f"{text!r} is not a date (YYYY-MM-DD)", path=path, line=line, column=column
            ) from None
    start, end = bounds
    return (start is None or start <= day) and (end is None or day < end)


def _named(columns: Sequence[str], fields: Sequence[str]) -> dict[str, str]:
    return dict(zip(columns, fields, strict=True))


def _municipality(code: str, path: Path, line: int, column: str) -> str:
    if not _MUNICIPALITY.fullmatch(code):
        hint = " (a leading zero lost in a spreadsheet?)" if re.fullmatch(r"\d{3}", code) else ""
        raise ParseError(
            f"{code!r} is not a municipality code; expected four digits such as 0301{hint}",
            path=path,
            line=line,
            column=column,
        )
    return code


def _spelled(header: Sequence[str], columns: Sequence[str], wanted: str) -> str:
    """The header's own spelling of a column (for messages)."""
    return header[list(columns).index(wanted)]


# -- the three layouts -------------------------------------------------------------------------------------
def _klass(
    header: Sequence[str], columns: Sequence[str], rows: Sequence[Row], path: Path, day: dt.date | None
) -> tuple[list[KostraGroup], list[Membership]]:
    groups: dict[str, KostraGroup] = {}
    pending: list[tuple[int, str, str]] = []
    level_column = _spelled(header, columns, "level")
    for line, fields in rows:
        values = _named(columns, fields)
        if not _valid_on(day, values, line, path):
            continue
        level, code = values["level"], values["code"]
        if not code:
            raise ParseError(
                "the row has no code", path=path, line=line, column=_spelled(header, columns, "code")
            )
        if level == "1":
            groups.setdefault(code, KostraGroup(code=code, name=values.get("name", "")))
        elif level == "2":
            municipality = _municipality(code, path, line, _spelled(header, columns, "code"))
            pending.append((line, municipality, values["parentcode"]))
        else:
            raise ParseError(
                f"level {level!r}: expected 1 (a KOSTRA group) or 2 (a municipality in its group)",
                path=path,
                line=line,
                column=level_column,
            )
    if groups and not pending:
        raise ParseError(
            "the file holds only the groups (level 1), no municipalities (level 2 with parentCode); KLASS "
            "keeps which municipality is in which group in the correspondence between classification 112 "
            "and 131 — export that, or give a two-column CSV (kommune;kostragruppe)",
            path=path,
        )
    members = []
    parent_column = _spelled(header, columns, "parentcode")
    for line, municipality, parent in pending:
        if parent not in groups:
            raise ParseError(
                f"parentCode {parent!r} of municipality {municipality} is not a group (level 1) of the file",
                path=path,
                line=line,
                column=parent_column,
            )
        members.append(Membership(municipality=municipality, group=parent, line=line))
    return list(groups.values()), members


def _correspondence(
    header: Sequence[str], columns: Sequence[str], rows: Sequence[Row], path: Path, day: dt.date | None
) -> tuple[list[KostraGroup], list[Membership]]:
    kept = []
    for line, fields in rows:
        values = _named(columns, fields)
        if _valid_on(day, values, line, path):
            kept.append((line, values))
    # 112 → 131 has the group as source; a table asked for the other way round has it as target
    reverse = bool(kept) and all(_MUNICIPALITY.fullmatch(v["sourcecode"]) for _line, v in kept)
    reverse = reverse and not all(_MUNICIPALITY.fullmatch(v["targetcode"]) for _line, v in kept)
    group_side, member_side = ("target", "source") if reverse else ("source", "target")
    groups: dict[str, KostraGroup] = {}
    members = []
    for line, values in kept:
        group = values[f"{group_side}code"]
        if not group:
            raise ParseError(
                "the row has no group code",
                path=path,
                line=line,
                column=_spelled(header, columns, f"{group_side}code"),
            )
        groups.setdefault(group, KostraGroup(code=group, name=values.get(f"{group_side}name", "")))
        municipality = _municipality(
            values[f"{member_side}code"], path, line, _spelled(header, columns, f"{member_side}code")
        )
        members.append(Membership(municipality=municipality, group=group, line=line))
    return list(groups.values()), members


def _two_columns(
    header: Sequence[str], columns: Sequence[str], rows: Sequence[Row], path: Path
) -> tuple[list[KostraGroup], list[Membership]]:
    municipality_column = next((c for c in _MUNICIPALITY_COLUMNS if c in columns), None)
    group_column = next((c for c in _GROUP_COLUMNS if c in columns), None)
    if municipality_column is None or group_column is None:
        lacking = "municipality" if municipality_column is None else "group"
        raise ParseError(
            f"the header {list(header)} names no {lacking} column; expected KLASS's export "
            "(code;parentCode;level;…), its correspondence (sourceCode;targetCode;…) or two columns such "
            "as kommune;kostragruppe",
            path=path,
            line=1,
        )
    m_index, g_index = columns.index(municipality_column), columns.index(group_column)
    groups: dict[str, KostraGroup] = {}
    members = []
    for line, fields in rows:
        municipality = _municipality(fields[m_index], path, line, header[m_index])
        group = fields[g_index]
        if not group:
            raise ParseError(
                f"municipality {municipality} has no group", path=path, line=line, column=header[g_index]
            )
        groups.setdefault(group, KostraGroup(code=group))
        members.append(Membership(municipality=municipality, group=group, line=line))
    return list(groups.values()), members


def _unique(members: Sequence[Membership], path: Path) -> list[Membership]:
    """Each municipality once; the same membership twice is one, two different groups are an error."""
    seen: dict[str, Membership] = {}
    out = []
    for member in members:
        earlier = seen.get(member.municipality)
        if earlier is None:
            seen[member.municipality] = member
            out.append(member)
        elif earlier.group != member.group:
            raise ParseError(
                f"municipality {member.municipality} is in group {member.group!r} here and in "
                f"{earlier.group!r} on line {earlier.line}; a municipality is in one KOSTRA group",
                path=path,
                line=member.line,
            )
    return out


# -- the membership on the report's map --------------------------------------------------------------------
def membership_findings(groups: KostraGroups, municipalities: Iterable[str], year: int) -> list[Finding]:
    """What the report says about the membership on the map of ``year``.

    A row whose municipality is not on the map is set aside (rule ``set-aside``, an error, so that
    ``strict`` stops on it as on any input row the report cannot use); municipalities of the map the
    file leaves out are in no group (one warning, rule ``kostra-group-missing``), never put in one.
    """
    from samhandling.checks import Finding

    _usable, unknown, missing = groups.on_map(municipalities)
    findings = [
        Finding(
            rule="set-aside",
            severity="error",
            message=(
                f"KOSTRA-group file {groups.path}, line {row.line}: municipality {row.municipality} is not "
                f"on the {year} map; the row (group {row.group}) was left out"
            ),
            region=row.municipality,
            year=year,
            values={"reason": "invalid-code", "group": row.group, "line": row.line},
            location=f"{groups.path}:{row.line}",
        )
        for row in unknown
    ]
    if missing:
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
        findings.append(
            Finding(
                rule="kostra-group-missing",
                severity="warning",
                message=(
                    f"{len(missing)} municipalities of the {year} map are in no group of the KOSTRA-group "
                    f"file {groups.path} and are left out of the KOSTRA groups: {shown}"
                ),
                year=year,
                values={"municipalities": len(missing)},
                location=groups.path,
            )
        )
    return findings
