"""The history of area codes as data: mergers, splits, renumbering and renames, and their composition.

Municipality changes come from SSB's KLASS classification 131 (one row per old → new code pair,
``data/municipality_changes.csv``); county changes are the formal county reforms of 2018, 2020 and 2024
(``data/county_changes.csv``).  Rows of one year that share a code are grouped into one
:class:`CodeChange` event, so the 2020 merger of Ski and Oppegård into Nordre Follo is one event with two
old codes and one new code, and the 2024 division of Ålesund is one event with one old and two new codes.

:func:`step_table` gives, for one level and one year, every code of the year before with the code(s) it
became (unchanged codes map to themselves); :func:`compose` chains the steps between two years into one
old → new table, asking a ``resolve`` callback for the shares of codes that were divided.

Some divisions undo an earlier merger: the 2024 division of Ålesund re-created the whole former Haram
municipality (1534 before 2020) as 1580 Haram.  Chaining the steps one by one would lose that (old Haram
would go into 1507 and then be shared between 1508 and 1580 by population), so such identities are data
(``data/restored_areas.csv``, :func:`restorations`) and :func:`compose` takes them as a shortcut: across
the whole span of a restoration the old codes go straight to their restored successors with weight 1.
"""

from __future__ import annotations

import enum
import typing
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import attrs

from samhandling.errors import UnknownCodeError, YearNotCoveredError
from samhandling.geography._data import FIRST_YEAR, cached, last_year, rows, years
from samhandling.levels import Level

__all__ = [
    "ChangeKind",
    "CodeChange",
    "DistrictChange",
    "DistrictChangeKind",
    "Pair",
    "Resolver",
    "Restoration",
    "RestorationKind",
    "Split",
    "changes",
    "codes_in",
    "compose",
    "covered_years_text",
    "district_changes",
    "district_successor",
    "history",
    "lineage",
    "name_in",
    "restorations",
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
    """Same code and name; KLASS records a boundary adjustment (Indre Østfold, 2026)."""


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
    note: str = ""
    """Why the split is asked for, when it is not a plain step (a restored area seen backwards)."""
    merged: str = ""
    """For a restored area seen backwards: the code the old areas were merged into in ``year`` (1507),
    whose shares, kept to ``new`` and scaled to sum to 1, are the shares of this split too."""


#: ``resolve(split) -> shares`` (one float per ``split.new``, summing to 1), or raises.
Resolver = Callable[[Split], Sequence[float]]


def _check_level(level: Level | str) -> Level:
    lvl = Level(level)
    if lvl not in (Level.MUNICIPALITY, Level.COUNTY):
        raise ValueError(f"code changes are kept for municipalities and counties, not {lvl.value!r}")
    return lvl


def check_year(year: int, what: str = "geography") -> int:
    """``year`` if there is a map for it (shipped or added as data), else :class:`YearNotCoveredError`."""
    if not isinstance(year, int) or isinstance(year, bool) or year not in years():
        raise YearNotCoveredError(f"{what}: year {year!r} is outside {covered_years_text()}")
    return year


def covered_years_text() -> str:
    """The years there are maps for, as a sentence part: shipped, added, and how to add one."""
    from samhandling.geography._data import SHIPPED_YEARS, added_years

    text = f"the years the shipped maps cover ({SHIPPED_YEARS[0]}–{SHIPPED_YEARS[-1]})"
    added = sorted(added_years())
    if added:
        text += f" and the years added as data ({', '.join(str(y) for y in added)})"
    return (
        text + f"; a later year can be added as data from SSB's KLASS files with "
        f"samhandling.geography.add_year({last_year() + 1}, ...) (see docs/howto/add-a-year.md)"
    )


# -- maps -----------------------------------------------------------------------------------------------
@cached
def _names(level: Level) -> dict[int, dict[str, str]]:
    """year → code → name, for every covered year."""
    table = "municipalities" if level is Level.MUNICIPALITY else "counties"
    out: dict[int, dict[str, str]] = {year: {} for year in years()}
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
        f"(it is not a code of any year {FIRST_YEAR}–{last_year()})"
    )


# -- change rows and events -----------------------------------------------------------------------------
@cached
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


@cached
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
        raise UnknownCodeError(_not_in_year(lvl, code, last_year()).replace(f" in {last_year()}", ""))
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
        raise UnknownCodeError(_not_in_year(lvl, code, last_year()).replace(f" in {last_year()}", ""))
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
        raise UnknownCodeError(_not_in_year(lvl, code, last_year()).replace(f" in {last_year()}", ""))
    before = tuple(reversed(where_from(code, years[0], level=lvl)))
    after = lineage(code, level=lvl)
    return tuple(dict.fromkeys(before + after))


# -- steps and their composition --------------------------------------------------------------------------
@cached
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


# -- restored areas ---------------------------------------------------------------------------------------
class RestorationKind(enum.StrEnum):
    """How a row of ``data/restored_areas.csv`` relates an old area to a later one."""

    RESTORED = "restored"
    """The later area *is* the old one: same territory (1580 Haram in 2024 = 1534 Haram of 2019)."""
    REMAINDER = "remainder"
    """The old area lies wholly in what the division left once the restored area was taken out
    (1504 Ålesund of 2019 lies wholly in 1508 Ålesund of 2024)."""


@typing.final
@attrs.frozen(kw_only=True)
class Restoration:
    """One old area that a later division carried *whole* into one new area, skipping the merger between.

    Across ``old_year`` → ``new_year`` :func:`compose` sends ``old_code`` straight to ``new_code`` with
    weight 1 (and back again), instead of merging it and sharing the merged area out by population.
    """

    level: Level = attrs.field(converter=Level)
    old_year: int
    old_code: str
    old_name: str
    new_year: int
    new_code: str
    new_name: str
    kind: RestorationKind = attrs.field(converter=RestorationKind)
    source: str = ""

    def __str__(self) -> str:
        verb = "is" if self.kind is RestorationKind.RESTORED else "lies wholly in"
        old = f"{self.old_code} {self.old_name} ({self.old_year})"
        return f"{old} {verb} {self.new_code} {self.new_name} ({self.new_year})"


@cached
def restorations(level: Level | str = Level.MUNICIPALITY) -> tuple[Restoration, ...]:
    """The restored areas at ``level``, checked against the maps and the change rows.

    Every group of rows with the same pair of years must be closed under the step-by-step changes: the
    old codes lead only to the new codes and the new codes come only from the old codes, so the
    shortcut changes which new code an old area goes to, never how much of the country is counted.
    """
    lvl = _check_level(level)
    found = _restoration_rows(lvl)
    for (old_year, new_year), group in _restoration_groups(found).items():
        _check_restoration_group(lvl, old_year, new_year, group)
    return found


def _restoration_groups(found: Iterable[Restoration]) -> dict[tuple[int, int], dict[str, str]]:
    groups: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for r in found:
        groups[(r.old_year, r.new_year)][r.old_code] = r.new_code
    return dict(groups)


def _check_restoration_group(level: Level, old_year: int, new_year: int, group: dict[str, str]) -> None:
    problems: list[str] = []
    if new_year - old_year < 2:
        problems.append(f"a restoration spans at least two changes, not {old_year} → {new_year}")
    for r in (r for r in _restoration_rows(level) if (r.old_year, r.new_year) == (old_year, new_year)):
        if _names(level)[old_year].get(r.old_code) != r.old_name:
            problems.append(f"{r.old_code} {r.old_name} is not on the map of {old_year}")
        if _names(level)[new_year].get(r.new_code) != r.new_name:
            problems.append(f"{r.new_code} {r.new_name} is not on the map of {new_year}")
    if not problems:
        olds, news = set(group), set(group.values())
        forward = compose(level, old_year, new_year, _even, codes=olds, use_restorations=False)
        backward = compose(level, new_year, old_year, _even, codes=news, use_restorations=False)
        leaving = sorted({n for targets in forward.values() for n, _w in targets} - news)
        entering = sorted({o for targets in backward.values() for o, _w in targets} - olds)
        if leaving or entering:
            problems.append(
                f"the changes carry {sorted(olds)} also to {leaving} and bring {entering} into {sorted(news)}"
            )
    if problems:
        raise AssertionError(
            f"inconsistent restored_areas.csv ({level.value}, {old_year} → {new_year}): {problems}"
        )


def _restoration_rows(level: Level) -> tuple[Restoration, ...]:
    return tuple(
        Restoration(
            level=level,
            old_year=int(r["old_year"]),
            old_code=r["old_code"],
            old_name=r["old_name"],
            new_year=int(r["new_year"]),
            new_code=r["new_code"],
            new_name=r["new_name"],
            kind=r["kind"],
            source=r["source"],
        )
        for r in rows("restored_areas")
        if r["level"] == level.value
    )


def _even(split: Split) -> Sequence[float]:
    return [1.0 / len(split.new)] * len(split.new)


def compose(
    level: Level | str,
    from_year: int,
    to_year: int,
    resolve: Resolver,
    *,
    codes: Iterable[str] | None = None,
    use_restorations: bool = True,
) -> dict[str, list[tuple[str, float]]]:
    """Chain the steps from ``from_year`` to ``to_year`` into ``old code → [(new code, weight), ...]``.

    Works in both directions (to an earlier year, a merger becomes a division).  ``resolve`` is asked
    for the shares of every code that is divided on the way; only codes reachable from ``codes``
    (default: every code of ``from_year``) are followed, so an unrelated division needs no weights.

    Where the whole span of a restoration (:func:`restorations`) lies between the two years, its old
    codes go straight to their restored successors with weight 1: 2019's 1534 Haram becomes 2024's
    1580 Haram, not a population share of 1507 Ålesund.  Backwards, a restored area goes whole to the
    old area, and a remainder that held several old areas (1508 Ålesund) is shared between those old
    areas only (``resolve`` is asked, with a :class:`Split` whose ``note`` says so).
    ``use_restorations=False`` chains the plain steps.
    """
    lvl = _check_level(level)
    check_year(from_year)
    check_year(to_year)
    start = set(codes) if codes is not None else set(_names(lvl)[from_year]) | set(SPECIAL_CODES[lvl])
    current: dict[str, dict[str, float]] = {code: {code: 1.0} for code in start}
    backward = to_year < from_year
    years = range(from_year - 1, to_year - 1, -1) if backward else range(from_year + 1, to_year + 1)
    shortcuts = _restoration_groups(restorations(lvl)) if use_restorations else {}
    parked: dict[int, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for year in years:
        previous = year + 1 if backward else year - 1
        for (old_year, new_year), group in shortcuts.items():
            if backward and new_year == previous and old_year >= to_year:
                shares_back = _restored_back(lvl, old_year, new_year, group, current, resolve)
                _park(current, shares_back, parked[old_year])
            elif not backward and old_year == previous and new_year <= to_year:
                _park(current, {old: {new: 1.0} for old, new in group.items()}, parked[new_year])
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
            for code, w in parked.get(year, {}).get(origin, {}).items():
                acc[code] = acc.get(code, 0.0) + w
            nxt[origin] = acc
        current = nxt
    return {origin: sorted(weights.items()) for origin, weights in current.items()}


def _park(
    current: dict[str, dict[str, float]],
    shortcut: dict[str, dict[str, float]],
    parked: dict[str, dict[str, float]],
) -> None:
    """Move the weight on the shortcut's codes out of ``current`` into ``parked`` (codes at its far end)."""
    for origin, weights in current.items():
        for code in [c for c in weights if c in shortcut]:
            w = weights.pop(code)
            into = parked[origin]
            for new, share in shortcut[code].items():
                into[new] = into.get(new, 0.0) + w * share


def _restored_back(
    level: Level,
    old_year: int,
    new_year: int,
    group: dict[str, str],
    current: dict[str, dict[str, float]],
    resolve: Resolver,
) -> dict[str, dict[str, float]]:
    """Backwards over a restoration: each new code to its old code(s), shares asked only where needed."""
    reached = {code for weights in current.values() for code in weights}
    olds_of: dict[str, list[str]] = defaultdict(list)
    for old, new in group.items():
        olds_of[new].append(old)
    out: dict[str, dict[str, float]] = {}
    for new, olds in olds_of.items():
        if new not in reached:
            continue
        if len(olds) == 1:
            out[new] = {olds[0]: 1.0}
            continue
        olds = sorted(olds)
        merged = {p.new for p in step_table(level, old_year + 1) if p.old in olds}
        split = Split(
            level=level,
            year=old_year + 1,
            old=new,
            old_name=name_in(level, new_year, new),
            new=tuple(olds),
            new_names=tuple(name_in(level, old_year, o) for o in olds),
            pure=True,
            note=(
                f"going back from {new_year} to {old_year}: {new} {name_in(level, new_year, new)} holds "
                f"these areas of {old_year} (the rest of the area the {new_year} division restored)"
            ),
            merged=next(iter(merged)) if len(merged) == 1 else "",
        )
        out[new] = dict(zip(olds, (float(v) for v in resolve(split))))
    return out


# -- city districts -----------------------------------------------------------------------------------------
class DistrictChangeKind(enum.StrEnum):
    """What happened to a city district (or a municipality that became one) on 1 January of a year."""

    RENUMBER = "renumber"
    """The same district under a new code, because its city got a new code (Bergen 1201 → 4601, 2020)."""
    MUNICIPALITY_TO_DISTRICT = "municipality_to_district"
    """A whole municipality became a district of a city (1141 Finnøy → 110308 Finnøy, 2020)."""
    MUNICIPALITY_INTO_DISTRICT = "municipality_into_district"
    """A municipality became part of an existing district, which grew (5030 Klæbu → 500104 Heimdal, 2020)."""


@typing.final
@attrs.frozen(kw_only=True)
class DistrictChange:
    """One row of ``data/district_changes.csv``: ``old_code`` became (part of) district ``new_code``."""

    year: int
    kind: DistrictChangeKind = attrs.field(converter=DistrictChangeKind)
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    source: str = ""

    def __str__(self) -> str:
        old, new = f"{self.old_code} {self.old_name}", f"{self.new_code} {self.new_name}"
        return f"{self.year} {self.kind.value}: {old} → {new}"


@cached
def district_changes() -> tuple[DistrictChange, ...]:
    """Every recorded change of a city-district code, in order of year."""
    return tuple(
        sorted(
            (
                DistrictChange(
                    year=int(r["year"]),
                    kind=r["kind"],
                    old_code=r["old_code"],
                    old_name=r["old_name"],
                    new_code=r["new_code"],
                    new_name=r["new_name"],
                    source=r["source"],
                )
                for r in rows("district_changes")
            ),
            key=lambda c: (c.year, c.old_code),
        )
    )


@cached
def _district_codes(year: int) -> frozenset[str]:
    return frozenset(
        r["code"] for r in rows("districts") if int(r["valid_from"]) <= year <= int(r["valid_to"])
    )


def district_successor(code: str, from_year: int, to_year: int, *, whole_only: bool = False) -> str | None:
    """The district that area ``code`` of ``from_year`` lies in in ``to_year``, or None.

    ``code`` is a district code, or a municipality code that later became (part of) a district: 1141
    Finnøy of 2019 lies in 110308 Finnøy in 2024, 5030 Klæbu of 2019 in 500104 Heimdal.  Going back in
    time only renumbered districts are followed.  With ``whole_only`` a district that grew on the way
    (Heimdal in 2020) has no successor, because its figures of one year do not cover the other's area.
    """
    check_year(from_year)
    check_year(to_year)
    current = code
    if to_year >= from_year:
        for change in district_changes():
            if from_year < change.year <= to_year:
                if change.old_code == current:
                    current = change.new_code
                elif (
                    whole_only
                    and change.new_code == current
                    and change.kind is not DistrictChangeKind.RENUMBER
                ):
                    return None
    else:
        for change in reversed(district_changes()):
            if to_year < change.year <= from_year and change.new_code == current:
                if change.kind is not DistrictChangeKind.RENUMBER:
                    return None
                current = change.old_code
    return current if current in _district_codes(to_year) else None
