"""The history of area codes as data: mergers, splits, renumbering and renames, and their composition.

Municipality changes come from SSB's KLASS classification 131 (one row per old → new code pair,
``data/municipality_changes.csv``); county changes are the formal county reforms of 2018, 2020 and 2024
(``data/county_changes.csv``).  Rows of one year that share a code are grouped into one
:class:`CodeChange` event, so the 2020 merger of Ski and Oppegård into Nordre Follo is one event with two
old codes and one new code, and the 2024 division of Ålesund is one event with one old and two new codes.

:func:`step_table` gives, for one level and one year, every code of the year before with the code(s) it
became (unchanged codes map to themselves); :func:`compose` chains the steps between two years into one
old → new table, asking a ``resolve`` callback for the shares of codes that were divided.
"""

from __future__ import annotations

import enum
import functools
import typing
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import attrs

from samhandling.errors import UnknownCodeError, YearNotCoveredError
from samhandling.geography._data import FIRST_YEAR, LAST_YEAR, rows
from samhandling.levels import Level

__all__ = [
    "ChangeKind",
    "CodeChange",
    "Pair",
    "Resolver",
    "Split",
    "changes",
    "codes_in",
    "compose",
    "history",
    "lineage",
    "name_in",
    "step_table",
    "story",
    "where_from",
]

#: Codes SSB uses for "unknown" (uoppgitt); they pass through every step unchanged.
SPECIAL_CODES: dict[Level, dict[str, str]] = {
    Level.MUNICIPALITY: {"9999": "Uoppgitt"},
    Level.COUNTY: {"99": "Uoppgitt"},
}


class ChangeKind(enum.StrEnum):
    """What happened to a set of codes on 1 January of a year."""

    MERGE = "merge"
    """Two or more areas became one (Ski + Oppegård → Nordre Follo, 2020)."""
    SPLIT = "split"
    """An area was divided; its parts went to two or more areas (Ålesund → Ålesund + Haram, 2024)."""
    RENUMBER = "renumber"
    """The same area got a new code, usually because its county changed (Ringerike 3007 → 3305, 2024)."""
    RENAME = "rename"
    """Same code, new official name (Trondheim → Trondheim - Tråante, 2023)."""
    BOUNDARY = "boundary"
    """Same code and name; KLASS records a boundary adjustment (Evenes, 2020)."""


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@typing.final
@attrs.frozen(kw_only=True)
class CodeChange:
    """One event in the history of area codes, effective 1 January of ``year``."""

    year: int
    kind: ChangeKind = attrs.field(converter=ChangeKind)
    level: Level = attrs.field(converter=Level)
    old_codes: tuple[str, ...] = attrs.field(converter=_strings)
    new_codes: tuple[str, ...] = attrs.field(converter=_strings)
    old_names: tuple[str, ...] = attrs.field(converter=_strings)
    new_names: tuple[str, ...] = attrs.field(converter=_strings)
    source: str = ""

    def __str__(self) -> str:
        old = " + ".join(f"{c} {n}" for c, n in zip(self.old_codes, self.old_names))
        new = " + ".join(f"{c} {n}" for c, n in zip(self.new_codes, self.new_names))
        return f"{self.year} {self.kind.value}: {old} → {new}"


class Pair(typing.NamedTuple):
    """One row of a step table: ``old`` became (part of) ``new`` on 1 January of the step's year."""

    old: str
    new: str


@typing.final
@attrs.frozen(kw_only=True)
class Split:
    """An old code divided between several new codes in one step (a share has to be chosen).

    ``pure`` is true when each new code was formed from this old code alone (Ålesund 1507 → 1508 + 1580),
    so the populations of the new codes are the right shares.  When a new code also took in other
    areas (Tysfjord 1850 → parts of Narvik 1806 and Hamarøy 1875) only explicit weights can say how
    the old area was shared.
    """

    level: Level
    year: int
    old: str
    old_name: str
    new: tuple[str, ...]
    new_names: tuple[str, ...]
    pure: bool


#: ``resolve(split) -> shares`` (one float per ``split.new``, summing to 1), or raises.
Resolver = Callable[[Split], Sequence[float]]


def _check_level(level: Level | str) -> Level:
    lvl = Level(level)
    if lvl not in (Level.MUNICIPALITY, Level.COUNTY):
        raise ValueError(f"code changes are kept for municipalities and counties, not {lvl.value!r}")
    return lvl


def check_year(year: int, what: str = "geography") -> int:
    """``year`` if the embedded maps cover it, else :class:`YearNotCoveredError` naming ``what``."""
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise YearNotCoveredError(
            f"{what}: year {year!r} is outside the years the embedded maps cover ({FIRST_YEAR}–{LAST_YEAR})"
        )
    return year


# -- maps -----------------------------------------------------------------------------------------------
@functools.cache
def _names(level: Level) -> dict[int, dict[str, str]]:
    """year → code → name, for every covered year."""
    table = "municipalities" if level is Level.MUNICIPALITY else "counties"
    out: dict[int, dict[str, str]] = {year: {} for year in range(FIRST_YEAR, LAST_YEAR + 1)}
    for row in rows(table):
        for year in range(int(row["valid_from"]), int(row["valid_to"]) + 1):
            out[year][row["code"]] = row["name"]
    return out


def codes_in(level: Level | str, year: int) -> frozenset[str]:
    """The codes in use at ``level`` in ``year`` (without the special 'unknown' codes)."""
    return frozenset(_names(_check_level(level))[check_year(year)])


def name_in(level: Level | str, year: int, code: str) -> str:
    """The name of ``code`` in ``year``; UnknownCodeError if the code was not in use that year."""
    lvl = _check_level(level)
    names = _names(lvl)[check_year(year)]
    if code in names:
        return names[code]
    if code in SPECIAL_CODES[lvl]:
        return SPECIAL_CODES[lvl][code]
    raise UnknownCodeError(_not_in_year(lvl, code, year))


def _not_in_year(level: Level, code: str, year: int) -> str:
    years = [y for y, names in _names(level).items() if code in names]
    if years:
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
        return f"{level.value} code {code!r} did not exist in {year} (it was in use {span})"
    return (
        f"{level.value} code {code!r} did not exist in {year} "
        f"(it is not a code of any year {FIRST_YEAR}–{LAST_YEAR})"
    )


# -- change rows and events -----------------------------------------------------------------------------
@functools.cache
def _change_rows(level: Level) -> tuple[tuple[int, str, str, str, str, str], ...]:
    table = "municipality_changes" if level is Level.MUNICIPALITY else "county_changes"
    return tuple(
        (int(r["year"]), r["old_code"], r["old_name"], r["new_code"], r["new_name"], r["source"])
        for r in rows(table)
    )


def _components(pairs: Iterable[tuple[str, str]]) -> list[tuple[list[str], list[str]]]:
    """Connected groups of an old→new relation (union-find over 'o:' and 'n:' nodes)."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    pair_list = list(pairs)
    for old, new in pair_list:
        a, b = find("o:" + old), find("n:" + new)
        if a != b:
            parent[a] = b
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for old, new in pair_list:
        olds, news = groups.setdefault(find("o:" + old), ([], []))
        if old not in olds:
            olds.append(old)
        if new not in news:
            news.append(new)
    return list(groups.values())


@functools.cache
def changes(level: Level | str = Level.MUNICIPALITY) -> tuple[CodeChange, ...]:
    """Every change event at ``level`` (municipality or county), in order of year."""
    lvl = _check_level(level)
    by_year: dict[int, list[tuple[int, str, str, str, str, str]]] = defaultdict(list)
    for row in _change_rows(lvl):
        by_year[row[0]].append(row)
    events: list[CodeChange] = []
    for year in sorted(by_year):
        year_rows = by_year[year]
        names_old = {r[1]: r[2] for r in year_rows}
        names_new = {r[3]: r[4] for r in year_rows}
        source = {(r[1], r[3]): r[5] for r in year_rows}
        for olds, news in _components((r[1], r[3]) for r in year_rows):
            out_degree = {o: sum(1 for r in year_rows if r[1] == o) for o in olds}
            if any(d > 1 for d in out_degree.values()):
                kind = ChangeKind.SPLIT
            elif len(olds) > 1:
                kind = ChangeKind.MERGE
            elif olds[0] != news[0]:
                kind = ChangeKind.RENUMBER
            elif names_old[olds[0]] != names_new[news[0]]:
                kind = ChangeKind.RENAME
            else:
                kind = ChangeKind.BOUNDARY
            srcs = sorted({source[(o, n)] for o in olds for n in news if (o, n) in source})
            events.append(
                CodeChange(
                    year=year,
                    kind=kind,
                    level=lvl,
                    old_codes=tuple(sorted(olds)),
                    new_codes=tuple(sorted(news)),
                    old_names=tuple(names_old[o] for o in sorted(olds)),
                    new_names=tuple(names_new[n] for n in sorted(news)),
                    source=";".join(srcs),
                )
            )
    return tuple(events)


def _level_of_code(code: str) -> Level:
    if len(code) == 2:
        return Level.COUNTY
    if len(code) == 4:
        return Level.MUNICIPALITY
    raise UnknownCodeError(
        f"{code!r} is not a municipality (4 digits) or county (2 digits) code; history is kept for those"
    )


def history(code: str, level: Level | str | None = None) -> tuple[CodeChange, ...]:
    """Every change event in which ``code`` was an old or a new code, oldest first.

    ``history("1507")`` gives the 2020 merger that created 1507 Ålesund and the 2024 division of it.
    """
    lvl = _check_level(level) if level is not None else _level_of_code(code)
    found = tuple(e for e in changes(lvl) if code in e.old_codes or code in e.new_codes)
    if not found and not any(code in names for names in _names(lvl).values()):
        raise UnknownCodeError(_not_in_year(lvl, code, LAST_YEAR).replace(f" in {LAST_YEAR}", ""))
    return found


def lineage(
    code: str, *, since: int | None = None, level: Level | str | None = None
) -> tuple[CodeChange, ...]:
    """What became of ``code``: the chain of events that carried it forward, oldest first.

    ``lineage("0605")`` (Ringerike) gives 2020 ``0605 → 3007`` and 2024 ``3007 → 3305``;
    ``lineage("1504")`` (old Ålesund) gives the 2020 merger into 1507 and the 2024 division of 1507.
    Events in which the code only changed name are included.  ``since`` is the year the code is taken
    from (default: the first year it was in use).
    """
    lvl = _check_level(level) if level is not None else _level_of_code(code)
    years = [y for y, names in _names(lvl).items() if code in names]
    if not years:
        raise UnknownCodeError(_not_in_year(lvl, code, LAST_YEAR).replace(f" in {LAST_YEAR}", ""))
    start = years[0] if since is None else since
    current = {code}
    chain: list[CodeChange] = []
    for event in changes(lvl):
        if event.year <= start or not current.intersection(event.old_codes):
            continue
        chain.append(event)
        current = (current - set(event.old_codes)) | set(event.new_codes)
    return tuple(chain)


def where_from(code: str, year: int, *, level: Level | str | None = None) -> tuple[CodeChange, ...]:
    """Where ``code`` (as used in ``year``) came from: the events that formed it, newest first.

    ``where_from("3305", 2024)`` gives 2024 ``3007 → 3305`` and 2020 ``0605 → 3007``.
    """
    lvl = _check_level(level) if level is not None else _level_of_code(code)
    name_in(lvl, year, code)  # raises if the code was not in use that year
    current = {code}
    chain: list[CodeChange] = []
    for event in reversed(changes(lvl)):
        if event.year > year or not current.intersection(event.new_codes):
            continue
        chain.append(event)
        current = (current - set(event.new_codes)) | set(event.old_codes)
    return tuple(chain)


def story(code: str, *, level: Level | str | None = None) -> tuple[CodeChange, ...]:
    """The whole story of ``code``, oldest first: the events that formed it, then what became of it.

    ``story("3305")`` gives 2020 ``0605 → 3007`` and 2024 ``3007 → 3305``; ``story("0605")`` gives the
    same two events seen from the other end.
    """
    lvl = _check_level(level) if level is not None else _level_of_code(code)
    years = [y for y, names in _names(lvl).items() if code in names]
    if not years:
        raise UnknownCodeError(_not_in_year(lvl, code, LAST_YEAR).replace(f" in {LAST_YEAR}", ""))
    before = tuple(reversed(where_from(code, years[0], level=lvl)))
    after = lineage(code, level=lvl)
    return tuple(dict.fromkeys(before + after))


# -- steps and their composition --------------------------------------------------------------------------
@functools.cache
def step_table(level: Level | str, year: int) -> tuple[Pair, ...]:
    """Every code of ``year - 1`` with the code(s) it became on 1 January ``year`` (identity if unchanged)."""
    lvl = _check_level(level)
    check_year(year)
    check_year(year - 1)
    before, after = _names(lvl)[year - 1], _names(lvl)[year]
    moved = [(r[1], r[3]) for r in _change_rows(lvl) if r[0] == year]
    changed = {old for old, _ in moved}
    pairs = [Pair(old, new) for old, new in moved]
    pairs += [Pair(code, code) for code in before if code not in changed]
    pairs += [Pair(code, code) for code in SPECIAL_CODES[lvl]]
    olds = {p.old for p in pairs} - set(SPECIAL_CODES[lvl])
    news = {p.new for p in pairs} - set(SPECIAL_CODES[lvl])
    if olds != set(before) or news != set(after):  # pragma: no cover - guarded by the data tests
        raise AssertionError(
            f"inconsistent {lvl.value} data for {year}: map {year - 1} vs change rows differ by "
            f"{sorted(olds ^ set(before))}, map {year} by {sorted(news ^ set(after))}"
        )
    return tuple(sorted(set(pairs)))


def _splits(level: Level, year: int, pairs: Sequence[Pair], backward: bool) -> dict[str, Split]:
    src = [(p.new, p.old) if backward else (p.old, p.new) for p in pairs]
    out_map: dict[str, list[str]] = defaultdict(list)
    in_degree: dict[str, int] = defaultdict(int)
    for a, b in src:
        out_map[a].append(b)
        in_degree[b] += 1
    from_year, to_year = (year, year - 1) if backward else (year - 1, year)
    result: dict[str, Split] = {}
    for a, targets in out_map.items():
        if len(targets) > 1:
            targets = sorted(targets)
            result[a] = Split(
                level=level,
                year=year,
                old=a,
                old_name=name_in(level, from_year, a),
                new=tuple(targets),
                new_names=tuple(name_in(level, to_year, b) for b in targets),
                pure=all(in_degree[b] == 1 for b in targets),
            )
    return result


def compose(
    level: Level | str,
    from_year: int,
    to_year: int,
    resolve: Resolver,
    *,
    codes: Iterable[str] | None = None,
) -> dict[str, list[tuple[str, float]]]:
    """Chain the steps from ``from_year`` to ``to_year`` into ``old code → [(new code, weight), ...]``.

    Works in both directions (to an earlier year, a merger becomes a division).  ``resolve`` is asked
    for the shares of every code that is divided on the way; only codes reachable from ``codes``
    (default: every code of ``from_year``) are followed, so an unrelated division needs no weights.
    """
    lvl = _check_level(level)
    check_year(from_year)
    check_year(to_year)
    start = set(codes) if codes is not None else set(_names(lvl)[from_year]) | set(SPECIAL_CODES[lvl])
    current: dict[str, dict[str, float]] = {code: {code: 1.0} for code in start}
    backward = to_year < from_year
    years = range(from_year - 1, to_year - 1, -1) if backward else range(from_year + 1, to_year + 1)
    for year in years:
        step_year = year + 1 if backward else year
        pairs = step_table(lvl, step_year)
        targets: dict[str, list[str]] = defaultdict(list)
        for p in pairs:
            a, b = (p.new, p.old) if backward else (p.old, p.new)
            targets[a].append(b)
        reached = {code for weights in current.values() for code in weights}
        splits = {k: v for k, v in _splits(lvl, step_year, pairs, backward).items() if k in reached}
        shares: dict[str, dict[str, float]] = {}
        for code in reached:
            if code in splits:
                split = splits[code]
                values = [float(v) for v in resolve(split)]
                shares[code] = dict(zip(split.new, values))
            else:
                (only,) = targets[code]
                shares[code] = {only: 1.0}
        nxt: dict[str, dict[str, float]] = {}
        for origin, weights in current.items():
            acc: dict[str, float] = {}
            for code, w in weights.items():
                for new, share in shares[code].items():
                    acc[new] = acc.get(new, 0.0) + w * share
            nxt[origin] = acc
        current = nxt
    return {origin: sorted(weights.items()) for origin, weights in current.items()}
