"""harmonise(): put a table onto one year's map of municipalities and counties.

Every municipality and county row is carried through the composed chain of code changes from the year
its codes belong to, to ``to_year``.  The table's ``geography_year`` says which year that is; a table
without one (a series read as reported) is read year by year, each row in the codes of its own ``year``.

* Additive variables (counts, FTEs, bed-days) are summed where areas merged.
* A division that re-created an area of before a merger (Haram 2024 = Haram 2019) is not a share: across
  the whole span the old area goes straight to its restored successor (``data/restored_areas.csv``).
* Where an area was divided (Ålesund 2024, or any merger seen backwards), its values are shared out by
  population: the shares are the populations of the new areas in the year they came into being (or, going
  back in time, the last year the old areas existed).  Pass ``population=`` (a StatTable with variable
  ``population``, e.g. SSB table 07459 through the KOSTRA plugin) or your own ``weights=``.
* Rates and shares are recomputed from their numerator and denominator; without them they are carried
  over only where an area is unchanged or merely renumbered, and refused
  (:class:`~samhandling.errors.NonAdditiveError`) where they would have to be combined or divided.
* A code that did not exist in its year raises :class:`~samhandling.errors.UnknownCodeError` naming the
  code, the year and when the code was in use; nothing is dropped.
* Statuses are kept: a sum with a suppressed (``:``) part is suppressed, one with a ``..`` part is ``..``.

* A merged area whose parts are not all in the table (for a year and variable) would be a partial sum:
  ``partial=`` decides, as for :func:`~samhandling.aggregate.roll_up` (default: left empty with status
  ``..``); the coverage travels in ``meta.extra["coverage"]``.
* Without ``population=`` and ``weights=``, divided areas are shared by the population the library ships
  (SSB table 07459, 2017–2021); the totals of a restored area in the years before its merger are those
  of the old area (1580 Haram in 2019 is 1534 Haram), and county totals on a later map are built from
  the municipalities of the year.

Tables mix levels the way SSB serves them (the country, counties and municipalities in one file):

* **county** rows follow the formal county reforms (``counties="reforms"``, default): unchanged,
  renumbered and restored counties are carried; merged counties are summed only when every merged county
  has a row; divided counties are shared by weights or population.  County rows that cannot be carried
  exactly (Buskerud 2019 alone cannot make Viken 2020) are dropped and named in ``meta.extra["notes"]``:
  for county figures on the new map, roll the harmonised municipality rows up.  ``counties="drop"``
  drops every county row (with a note), ``counties="error"`` raises instead of dropping.
* **district** rows keep their code, or take their renumbered code (Bergen 1201xx → 4601xx in 2020),
  where the district exists in the target year with the same area; others raise.
* rows at every other level — the country (``0`` is the same area in every year), health trusts, DPSs,
  SSB's pseudo-regions, grouped codes, KOSTRA groups and any level added later — are not harmonised:
  ``other_levels="keep"`` (default) keeps them unchanged, ``"drop"`` drops them, ``"error"`` raises;
  either way ``meta.extra["notes"]`` says which levels were kept or dropped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import MessagePart, Parameter, SchemaError, UnknownCodeError, YearNotCoveredError
from samhandling.geography import changes as _changes
from samhandling.geography._coverage import (
    ABSENT_ROWS_MEAN_ZERO,
    Partial,
    apply_partial,
    check_rule,
    find_partial,
    present_members,
    record,
    with_ratios,
)
from samhandling.geography._data import FIRST_YEAR, cached, last_year, years
from samhandling.geography._engine import (
    _concat,
    dictionary_mask,
    distinct_strings,
    finish,
    remap,
    rest_columns,
)
from samhandling.geography._geography import SplitAreaError
from samhandling.keys import KeyCodes, carry_codes, remembered_codes
from samhandling.levels import Level
from samhandling.tables import StatTable, Variable

__all__ = ["harmonise", "split_weights"]

_SPECIAL = {lvl.value: codes for lvl, codes in _changes.SPECIAL_CODES.items()}


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


# -- weights --------------------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class _Totals:
    """Values per (year, code) to share a divided area by, and where they came from (for messages)."""

    values: dict[tuple[int, str], float]
    what: str


def _totals_from_table(table: StatTable, *, what: str) -> _Totals:
    from samhandling.aggregate import population_totals

    arrow = population_totals(table, ages="all", what=what) if "age" in table.columns else table.arrow
    if "age" not in table.columns:
        ids = table.variable_ids()
        if len(ids) != 1:
            raise SchemaError(
                f"{what}: a weights table must hold exactly one variable to share areas by, found {ids}"
            )
        arrow = arrow.group_by(["region", "year"], use_threads=False).aggregate([("value", "sum")])
        arrow = arrow.rename_columns(["region", "year", "value"])
    regions = [str(r) for r in arrow.column("region").to_pylist()]
    years = [int(y) for y in arrow.column("year").to_pylist()]
    values: dict[tuple[int, str], float] = {}
    counties: dict[tuple[int, str], float] = {}
    for region, year, value in zip(regions, years, arrow.column("value").to_pylist()):
        if value is None:
            continue
        values[(year, region)] = float(value)
        if len(region) == 4:  # county totals from municipalities, for county-level divisions (Viken 2024)
            counties[(year, region[:2])] = counties.get((year, region[:2]), 0.0) + float(value)
    for key, total in counties.items():
        values.setdefault(key, total)
    _add_restored_totals(values)
    return _Totals(values=values, what=what)


def _add_restored_totals(values: dict[tuple[int, str], float]) -> None:
    """Totals of restored areas in the years before their merger: the old areas' totals.

    1580 Haram (2024) is 1534 Haram (2019), and 1508 Ålesund (2024) what the other four were, so the
    population of 2019 can share 1507 (2020–2023) between them when no later population is at hand.
    """
    years = {year for year, _code in values}
    for level in (Level.MUNICIPALITY, Level.COUNTY):
        for restoration_years, group in _changes._restoration_groups(_changes.restorations(level)).items():
            old_year = restoration_years[0]
            olds_of: dict[str, list[str]] = defaultdict(list)
            for old, new in group.items():
                olds_of[new].append(old)
            for year in (y for y in years if y <= old_year):
                for new, olds in olds_of.items():
                    parts = [values.get((year, old)) for old in olds]
                    if all(part is not None for part in parts):
                        values.setdefault((year, new), float(sum(p for p in parts if p is not None)))


def _county_totals_on(totals: _Totals, data_year: int, map_year: int) -> dict[str, float]:
    """County totals of ``data_year``'s municipalities, each carried to its code of ``map_year``."""
    municipal = {code: v for (year, code), v in totals.values.items() if year == data_year and len(code) == 4}
    known = [c for c in municipal if c in _changes.codes_in(Level.MUNICIPALITY, data_year)]
    if not known:
        return {}
    mapped = _changes.compose(Level.MUNICIPALITY, data_year, map_year, _no_split, codes=known)
    out: dict[str, float] = defaultdict(float)
    for code in known:
        for new, weight in mapped[code]:
            out[new[:2]] += municipal[code] * weight
    return dict(out)


def _explicit(weights: pa.Table) -> dict[tuple[int | None, str], dict[str, float]]:
    missing = {"old", "new", "weight"} - set(weights.column_names)
    if missing:
        raise SchemaError(
            f"weights: a weights table needs columns 'old', 'new' and 'weight' (optionally 'year', the year "
            f"of the change); it lacks {sorted(missing)} (columns found: {weights.column_names})"
        )
    years = (
        weights.column("year").to_pylist() if "year" in weights.column_names else [None] * weights.num_rows
    )
    out: dict[tuple[int | None, str], dict[str, float]] = {}
    for index, (year, old, new, weight) in enumerate(
        zip(
            years,
            weights.column("old").cast(pa.string()).to_pylist(),
            weights.column("new").cast(pa.string()).to_pylist(),
            weights.column("weight").cast(pa.float64()).to_pylist(),
        )
    ):
        if old is None or new is None or weight is None or not math.isfinite(weight) or weight < 0:
            raise SchemaError(
                f"weights: row {index} ({old!r} → {new!r}, weight {weight!r}) needs two codes and a "
                f"non-negative weight"
            )
        out.setdefault((None if year is None else int(year), old), {})[new] = weight
    return out


def split_weights(
    *,
    weights: StatTable | pa.Table | None = None,
    population: StatTable | None = None,
) -> Callable[[_changes.Split], Sequence[float]]:
    """The resolver :func:`harmonise` uses to share a divided area: explicit weights, then population.

    :param weights: a :class:`pyarrow.Table` with columns ``old``, ``new``, ``weight`` (and optionally
        ``year``, the year of the change): the share of ``old`` that goes to ``new`` in the direction you
        harmonise; or a StatTable of one variable whose values per area and year are used like population.
        Going back across a restoration (2024 → 2019), 1508 Ålesund is shared between the four areas it
        holds: give rows ``old="1508"`` (year 2020), or the shares of the 2020 merger (``old="1507"``),
        which are kept to those four and scaled to sum to 1.
    :param population: a StatTable with variable ``population``; without it (and without ``weights``),
        the population the library ships (:mod:`samhandling.geography.population`), read only when a
        division needs it.
    """
    explicit = _explicit(weights) if isinstance(weights, pa.Table) else None
    totals: _Totals | None = None
    if isinstance(weights, StatTable):
        totals = _totals_from_table(weights, what="weights")
    elif population is not None:
        totals = _totals_from_table(population, what="population")
    shipped = weights is None and population is None

    def resolve(split: _changes.Split) -> Sequence[float]:
        description = (
            f"{split.level.value} {split.old} {split.old_name} is divided between "
            f"{' + '.join(f'{c} {n}' for c, n in zip(split.new, split.new_names))} (change of {split.year})"
        )
        if split.note:
            description += f" ({split.note})"
        if explicit is not None:
            given = explicit.get((split.year, split.old)) or explicit.get((None, split.old))
            if given is None and split.merged:
                given = _kept_to(
                    explicit.get((split.year, split.merged)) or explicit.get((None, split.merged)), split.new
                )
            if given is not None:
                if set(given) != set(split.new):
                    raise SplitAreaError(
                        f"{description}; the weights for {split.old} name {sorted(given)}, expected "
                        f"exactly {list(split.new)}"
                    )
                total = sum(given.values())
                if not math.isclose(total, 1.0, abs_tol=1e-6):
                    raise SplitAreaError(f"{description}; the weights for {split.old} sum to {total}, not 1")
                return [given[code] for code in split.new]
        table_totals = totals
        if table_totals is None and shipped and split.pure:
            table_totals = _shipped_totals()
        if table_totals is not None and split.pure:
            shares = _shares(split, table_totals)
            if shares is not None:
                return shares
        weights_table = Parameter(
            name="weights", example="pyarrow.table({'old': ..., 'new': ..., 'weight': ...})"
        )
        hint: tuple[MessagePart, ...] = (
            ("it took in other areas too, so population cannot say how it was shared; give ", weights_table)
            if not split.pure
            else (
                "give ",
                Parameter(name="population"),
                " (variable 'population' for the new areas) or ",
                weights_table,
            )
        )
        if table_totals is not None and split.pure:
            hint = (
                f"the {table_totals.what} table has no values for all of {list(split.new)} in any year; ",
                *hint,
            )
        raise SplitAreaError(f"{description} and its shares are not known: ", *hint)

    return resolve


@cached
def _shipped_totals() -> _Totals:
    from samhandling.geography.population import population

    totals = _totals_from_table(population(ages="total", level="all"), what="population")
    return _Totals(values=totals.values, what="shipped population (SSB table 07459, 2017–2021)")


def _kept_to(given: dict[str, float] | None, codes: Sequence[str]) -> dict[str, float] | None:
    """Shares of a merged area kept to some of its parts and scaled to sum to 1 (None if not possible)."""
    if given is None or not set(codes) <= set(given):
        return None
    total = sum(given[code] for code in codes)
    return {code: given[code] / total for code in codes} if total > 0 else None


def _shares(split: _changes.Split, totals: _Totals) -> list[float] | None:
    """Shares by the new areas' totals in the year they existed, else the nearest year that has them all."""
    backward = split.new and all(
        code not in _changes._names(split.level).get(split.year, {}) for code in split.new
    )
    preferred = split.year - 1 if backward else split.year
    candidates = sorted({year for (year, _code) in totals.values}, key=lambda y: (abs(y - preferred), -y))
    for year in candidates:
        values = [totals.values.get((year, code)) for code in split.new]
        if all(v is not None for v in values):
            total = sum(v for v in values if v is not None)
            if total > 0:
                return [float(v) / total for v in values if v is not None]
    if split.level is Level.COUNTY:  # counties of a later map from the municipalities of a year at hand
        map_year = preferred
        for year in candidates:
            if year not in years():
                continue
            composed = _county_totals_on(totals, year, map_year)
            values = [composed.get(code) for code in split.new]
            if all(v is not None for v in values):
                total = sum(v for v in values if v is not None)
                if total > 0:
                    return [float(v) / total for v in values if v is not None]
    return None


# -- harmonise ------------------------------------------------------------------------------------------
Counties = Literal["reforms", "drop", "error"]
OtherLevels = Literal["keep", "drop", "error"]
_HANDLED = (Level.MUNICIPALITY.value, Level.COUNTY.value, Level.DISTRICT.value)


def harmonise(
    table: StatTable,
    to_year: int,
    *,
    weights: StatTable | pa.Table | None = None,
    population: StatTable | None = None,
    partial: Partial = "missing",
    counties: Counties = "reforms",
    other_levels: OtherLevels = "keep",
) -> StatTable:
    """Put ``table`` onto the municipality, county and district codes of ``to_year``.

    :param table: rows on the map of ``table.geography_year``, or, if that is not set, each row on the
        map of its own ``year``.
    :param to_year: the year (2017–2026, or a year added as data) whose codes the result uses; it becomes
        the result's ``geography_year``.
    :param weights: shares for divided areas (see :func:`split_weights`); they take precedence over
        ``population``.
    :param population: a StatTable with variable ``population`` whose totals share out divided areas
        (default: the population the library ships, SSB table 07459, 2017–2021).
    :param partial: a merged area some of whose parts have no rows for a year and variable:
        ``"missing"`` (default: value empty, status ``..``), ``"keep"`` (the partial sum) or ``"error"``.
    :param counties: county rows: ``"reforms"`` (default) carries them through the formal county reforms
        where that is exact and drops the others with a note; ``"drop"`` drops them all with a note;
        ``"error"`` raises for a county row that cannot be carried exactly.
    :param other_levels: rows at levels other than municipality, county and district (the country,
        health trusts, pseudo-regions, KOSTRA groups …): ``"keep"`` (default) unchanged, ``"drop"``, or
        ``"error"``.  Kept and dropped levels are named in ``meta.extra["notes"]``.
    :returns: a new StatTable; rows of merged areas are summed, rates recomputed, statuses kept.
    :raises UnknownCodeError: a code did not exist in the year of its row (message names code and year).
    :raises SplitAreaError: a municipality is divided on the way and neither weights nor population say
        how.
    :raises NonAdditiveError: a rate or share would have to be combined but its parts are missing.
    """
    if not isinstance(table, StatTable):
        raise SchemaError(f"harmonise() takes a StatTable, got {type(table).__name__}")
    target = _changes.check_year(to_year, "harmonise")
    rule = check_rule(partial, "harmonise")
    if counties not in ("reforms", "drop", "error"):
        raise SchemaError(f"harmonise: counties must be 'reforms', 'drop' or 'error', not {counties!r}")
    if other_levels not in ("keep", "drop", "error"):
        raise SchemaError(f"harmonise: other_levels must be 'keep', 'drop' or 'error', not {other_levels!r}")
    source_year = table.geography_year
    if source_year is not None:
        _changes.check_year(source_year, "harmonise: the table's geography year")
    resolve = split_weights(weights=weights, population=population)
    arrow = table.arrow.unify_dictionaries()
    if not arrow.num_rows:
        return finish(arrow, attrs.evolve(table.meta, geography_year=target), arrow.schema)

    level_column = arrow.column("level")
    municipal = dictionary_mask(level_column, [Level.MUNICIPALITY.value])
    county = dictionary_mask(level_column, [Level.COUNTY.value])
    district = dictionary_mask(level_column, [Level.DISTRICT.value])
    rest = ~(municipal | county | district)
    variables = {v: table.variable(v) for v in distinct_strings(arrow.column("variable"))}
    notes: list[str] = []
    extra = dict(table.meta.extra)
    parts: list[pa.Table] = []
    if rest.any():
        others = arrow.filter(pa.array(rest))
        levels = sorted(distinct_strings(others.column("level")))
        if other_levels == "error":
            raise SchemaError(
                f"harmonise: the table has {others.num_rows} rows at levels {', '.join(levels)}, which are "
                f"not "
                f"harmonised (only municipality, county and district rows are); pass other_levels='keep' or "
                f"'drop', or filter them out (table.where(level=[...]))"
            )
        if other_levels == "keep":
            parts.append(others)
        notes.append(
            f"harmonise: {others.num_rows} rows at levels {', '.join(levels)} are not tied to the municipal "
            f"map "
            f"and were {'kept unchanged' if other_levels == 'keep' else 'dropped'}"
        )
    if district.any():
        parts.append(_districts(arrow.filter(pa.array(district)), source_year, target))
    zeros = bool(table.meta.extra.get(ABSENT_ROWS_MEAN_ZERO))
    # a table harmonised or rolled up before has its other key columns numbered: reused, not redone
    codes = remembered_codes(table.arrow, rest_columns(arrow))
    remapped = None
    if municipal.any():
        moving = arrow if municipal.all() else arrow.filter(pa.array(municipal))
        remapped, coverage = _remap_codes(
            moving,
            Level.MUNICIPALITY,
            variables,
            source_year,
            target,
            resolve,
            check_parts=not zeros,
            key_codes=None if codes is None else codes if municipal.all() else codes.rows(municipal),
        )
        entries = [] if zeros else with_ratios(coverage.entries, variables)
        parts.append(apply_partial(remapped, entries, rule, operation="harmonise", what="merged areas"))
        extra = record(
            extra, operation="harmonise", level=Level.MUNICIPALITY.value, members=coverage.members,
            entries=entries, rule=rule,
        )  # fmt: skip
    if county.any():
        rows = arrow.filter(pa.array(county))
        if counties == "drop":
            notes.append(
                f"harmonise: {rows.num_rows} county rows were dropped (counties='drop'); roll the harmonised "
                f"municipality rows up for county figures on the {target} map"
            )
        else:
            strict = counties == "error"
            remapped, coverage = _remap_codes(
                rows,
                Level.COUNTY,
                variables,
                source_year,
                target,
                resolve,
                drop_unsure=not strict,
                check_parts=not zeros,
                key_codes=None if codes is None else codes.rows(county),
            )
            entries = [] if zeros else with_ratios(coverage.entries, variables)
            if entries and strict:
                raise SchemaError(
                    _county_note(entries, target).replace("county rows dropped", "county rows not exact")
                    + "; or pass counties='reforms' (drop them with a note) or counties='drop'"
                )
            if entries:
                remapped = _without(remapped, entries)
                notes.append(_county_note(entries, target))
            notes.extend(coverage.notes)
            if remapped.num_rows:
                parts.append(remapped)
    if notes:
        extra["notes"] = [*extra.get("notes", []), *notes]
    meta = attrs.evolve(table.meta, geography_year=target, extra=extra)
    if not parts:
        return finish(arrow.slice(0, 0), meta, arrow.schema)
    combined = _concat(parts, arrow.schema) if len(parts) > 1 else parts[0]
    result = finish(combined, meta, arrow.schema)
    if remapped is not None and len(parts) == 1 and municipal.all():
        carry_codes(remapped, result.arrow)  # the same rows: the next roll-up reads their numbering
    return result


def _county_note(entries: Sequence[dict[str, Any]], target: int) -> str:
    """One sentence per group of county rows dropped for the same reason."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, set[Any]]] = defaultdict(
        lambda: {"targets": set(), "years": set()}
    )
    for entry in entries:
        key = (tuple(entry.get("present", ())), tuple(entry["missing"]))
        groups[key]["targets"].add(entry["region"])
        groups[key]["years"].add(int(entry["year"]))
    parts = [
        f"the rows of {', '.join(present)} ({', '.join(str(y) for y in sorted(g['years']))}) would make "
        f"partial sums of {', '.join(sorted(g['targets']))}, which also need {', '.join(missing)}"
        for (present, missing), g in sorted(groups.items())
    ]
    return (
        f"harmonise: county rows dropped, as on the {target} map {'; '.join(parts)} (not in the table); "
        f"roll the harmonised municipality rows up for county figures"
    )


def _without(table: pa.Table, entries: Sequence[dict[str, Any]]) -> pa.Table:
    """``table`` without the rows of the (region, year, variable) combinations in ``entries``."""
    wanted = {(e["region"], int(e["year"]), e["variable"]) for e in entries}
    keys = zip(
        table.column("region").cast(pa.string()).to_pylist(),
        table.column("year").to_pylist(),
        table.column("variable").cast(pa.string()).to_pylist(),
    )
    keep = [(r, int(y), v) not in wanted for r, y, v in keys]
    return table.filter(pa.array(keep))


def _source_years(table: pa.Table, source_year: int | None) -> pa.Array:
    """Per row, the year whose codes the row uses, as int16 (checked to be covered)."""
    if source_year is not None:
        return pa.array(np.full(table.num_rows, source_year, np.int16))
    years_column = table.column("year").combine_chunks()
    low, high = pc.min_max(years_column).values()
    for bound in (low.as_py(), high.as_py()):
        if bound not in years():
            raise YearNotCoveredError(
                f"harmonise: the table has rows for {bound}, and without a geography year each row's codes "
                f"are read on the map of its own year, which is covered only for {FIRST_YEAR}–{last_year()}; "
                f"set the table's geography_year if its codes belong to one covered year"
            )
    return years_column


@attrs.frozen(kw_only=True)
class _Coverage:
    """Merged areas whose parts are not all in the table, the number of parts of each, and notes."""

    entries: list[dict[str, Any]]
    members: dict[str, int]
    notes: list[str]


@cached
def _sources_of(level: Level, from_year: int, to_year: int) -> dict[str, frozenset[str]]:
    """Per code of ``to_year``, the codes of ``from_year`` that go (wholly or in part) into it."""
    codes = sorted(_changes.codes_in(level, from_year))
    mapped = _changes.compose(level, from_year, to_year, _no_split, codes=codes)
    out: dict[str, set[str]] = defaultdict(set)
    for code, pairs in mapped.items():
        for new, weight in pairs:
            if weight > 0:
                out[new].add(code)
    return {new: frozenset(olds) for new, olds in out.items()}


def _remap_codes(
    moving: pa.Table,
    level: Level,
    variables: Mapping[str, Variable],
    source_year: int | None,
    target: int,
    resolve: Callable[[_changes.Split], Sequence[float]],
    *,
    drop_unsure: bool = False,
    check_parts: bool = True,
    key_codes: KeyCodes | None = None,
) -> tuple[pa.Table, _Coverage]:
    """The rows carried onto ``target``'s map, and the merged areas with parts missing from them.

    :param check_parts: look for merged areas whose parts are not all in the table (not needed where an
        absent row means zero: then no sum is partial).
    :param key_codes: the numbering of the key columns other than region, for the rows of ``moving``.
    """
    notes: list[str] = []
    regions = moving.column("region").combine_chunks()
    region_codes = regions if pa.types.is_dictionary(regions.type) else pc.dictionary_encode(regions)
    region_dict = [str(code) for code in region_codes.dictionary.to_pylist()]
    # as numpy's own index type: every take and scatter below would convert it otherwise
    region_index = region_codes.indices.to_numpy(zero_copy_only=False).astype(np.intp)
    first_year = FIRST_YEAR
    n_years = last_year() - first_year + 1
    # the key space (code × year) is small and dense: direct addressing instead of sorting the rows
    if source_year is None:
        year_index = _source_years(moving, None).to_numpy(zero_copy_only=False) - first_year
        combined = region_index.astype(np.int64) * n_years + year_index
        present = np.zeros(len(region_dict) * n_years, bool)
        present[combined] = True
        keys = np.flatnonzero(present)
        lookup = np.full(len(present), -1, np.int64)
        lookup[keys] = np.arange(len(keys))
        row_key = lookup[combined]
    else:  # one year: a key per code the rows use, looked up by the code's index
        used = np.zeros(len(region_dict), bool)
        used[region_index] = True
        keys = np.flatnonzero(used) * n_years + (source_year - first_year)
        if used.all():  # every code of the dictionary in use: the key is the code's index
            row_key = region_index
        else:
            number = np.full(len(region_dict), -1, np.int32)
            number[used] = np.arange(len(keys), dtype=np.int32)
            row_key = np.take(number, region_index)

    wanted: dict[int, list[str]] = {}
    key_info: list[tuple[int, str]] = []
    for value in keys.tolist():
        year = first_year + value % n_years
        code = region_dict[value // n_years]
        key_info.append((year, code))
        wanted.setdefault(year, []).append(code)

    mapped: dict[int, dict[str, list[tuple[str, float]]]] = {}
    unsure: set[tuple[int, str]] = set()
    for year, codes in sorted(wanted.items()):
        known = _changes.codes_in(level, year) | set(_SPECIAL[level.value])
        unknown = sorted(set(codes) - known)
        if unknown:
            shown = unknown[:5]
            raise UnknownCodeError(
                "harmonise: "
                + "; ".join(_changes._not_in_year(level, code, year) for code in shown)
                + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else "")
                + (
                    f"; the table's geography year is {source_year}"
                    if source_year is not None
                    else "; without a geography year each row's codes are read on the map of its own year"
                )
            )
        if not drop_unsure:
            mapped[year] = _changes.compose(level, year, target, resolve, codes=codes)
            continue
        mapped[year] = {}
        for code in codes:
            try:
                mapped[year].update(_changes.compose(level, year, target, resolve, codes=[code]))
            except SplitAreaError as error:
                unsure.add((year, code))
                notes.append(
                    f"harmonise: {level.value} {code} (codes of {year}) was dropped: it cannot be carried to "
                    f"{target} exactly ({error}); roll the harmonised municipality rows up for "
                    f"{level.value} figures"
                )
    if unsure:
        keep = np.array([(key_info[k][0], key_info[k][1]) not in unsure for k in row_key.tolist()], bool)
        moving = moving.filter(pa.array(keep))
        row_key = row_key[keep]
        region_index = region_index[keep]
        key_codes = None if key_codes is None else key_codes.rows(keep)
    targets = [mapped[year].get(code, [("", 0.0)]) for year, code in key_info]
    result = (
        remap(
            moving,
            row_key=row_key,
            targets=targets,
            domain=np.asarray([year for year, _code in key_info], np.int64),
            variables=variables,
            level=level.value,
            describe_key=[f"{level.value} {code} in {year}" for year, code in key_info],
            operation="harmonise",
            codes=key_codes,
            every_key_used=not unsure,  # the keys are those of the rows (unless some were dropped)
        )
        if moving.num_rows
        else moving.slice(0, 0)
    )
    found = present_members(moving, region_index=region_index, regions=region_dict) if check_parts else {}
    return result, _coverage(found, level, source_year, target, wanted, notes)


def _coverage(
    present: Mapping[tuple[int, str], set[str]],
    level: Level,
    source_year: int | None,
    target: int,
    wanted: Mapping[int, list[str]],
    notes: list[str],
) -> _Coverage:
    """Merged areas of ``target`` with parts missing from the table, per year and variable."""
    entries: list[dict[str, Any]] = []
    members: dict[str, int] = {}
    special = set(_SPECIAL[level.value])
    for year in sorted(wanted):
        expected = {
            new: olds - special
            for new, olds in _sources_of(level, year, target).items()
            if len(olds - special) > 1
        }
        members.update({new: len(olds) for new, olds in expected.items()})
        groups = {
            key: codes
            for key, codes in present.items()
            if (source_year if source_year is not None else key[0]) == year
        }
        entries += find_partial(expected, groups)
    return _Coverage(entries=entries, members=members, notes=notes)


def _districts(rows: pa.Table, source_year: int | None, target: int) -> pa.Table:
    """District rows keep (or take their renumbered) code where the district is the same area then."""
    regions = rows.column("region")
    years_column = _source_years(rows, source_year)
    pairs = (
        pa.table({"region": _plain(regions), "year": years_column}).group_by(["region", "year"]).aggregate([])
    )
    renamed: dict[tuple[str, int], str] = {}
    for code, year in zip(pairs.column("region").to_pylist(), pairs.column("year").to_pylist()):
        successor = (
            _changes.district_successor(code, int(year), target, whole_only=True)
            if len(code) == 6 and code in _changes._district_codes(int(year))
            else None
        )
        if successor is None:
            raise UnknownCodeError(
                f"harmonise: district code {code!r} (codes of {year}) cannot be carried to {target}: "
                f"district codes are kept only where the district is the same area in {target} (Bergen's "
                f"1201xx became 4601xx in 2020, Trondheim's 1601xx 5001xx in 2018; Heimdal grew with Klæbu "
                f"in 2020); roll the districts up to their municipality first"
            )
        if successor != code:
            renamed[(code, int(year))] = successor
    if not renamed:
        return rows
    new_codes = [
        renamed.get((code, int(year)), code)
        for code, year in zip(_plain(regions).to_pylist(), years_column.to_pylist())
    ]
    return rows.set_column(rows.column_names.index("region"), "region", pa.array(new_codes, pa.string()))


def _no_split(split: _changes.Split) -> Sequence[float]:
    return [1.0 / len(split.new)] * len(split.new)
