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

District (bydel) rows keep their code when both their city and the district exist unchanged in the target
year; health-trust, DPS, health-region and national rows are not tied to municipality codes and pass
through unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import MessagePart, Parameter, SchemaError, UnknownCodeError, YearNotCoveredError
from samhandling.geography import changes as _changes
from samhandling.geography._data import FIRST_YEAR, LAST_YEAR
from samhandling.geography._engine import _concat, dictionary_mask, distinct_strings, finish, remap
from samhandling.geography._geography import Geography, SplitAreaError
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
    return _Totals(values=values, what=what)


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
    :param population: a StatTable with variable ``population``.
    """
    explicit = _explicit(weights) if isinstance(weights, pa.Table) else None
    totals = None
    if isinstance(weights, StatTable):
        totals = _totals_from_table(weights, what="weights")
    elif population is not None:
        totals = _totals_from_table(population, what="population")

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
        if totals is not None and split.pure:
            shares = _shares(split, totals)
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
        if totals is not None and split.pure:
            hint = (
                f"the {totals.what} table has no values for all of {list(split.new)} in any year; ",
                *hint,
            )
        raise SplitAreaError(f"{description} and its shares are not known: ", *hint)

    return resolve


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
    return None


# -- harmonise ------------------------------------------------------------------------------------------
def harmonise(
    table: StatTable,
    to_year: int,
    *,
    weights: StatTable | pa.Table | None = None,
    population: StatTable | None = None,
) -> StatTable:
    """Put ``table`` onto the municipality and county codes of ``to_year``.

    :param table: rows on the map of ``table.geography_year``, or, if that is not set, each row on the
        map of its own ``year``.
    :param to_year: the year (2017–2025) whose codes the result uses; it becomes the result's
        ``geography_year``.
    :param weights: shares for divided areas (see :func:`split_weights`); they take precedence over
        ``population``.
    :param population: a StatTable with variable ``population`` whose totals share out divided areas.
    :returns: a new StatTable; rows of merged areas are summed, rates recomputed, statuses kept.
    :raises UnknownCodeError: a code did not exist in the year of its row (message names code and year).
    :raises SplitAreaError: an area is divided on the way and neither weights nor population say how.
    :raises NonAdditiveError: a rate or share would have to be combined but its parts are missing.
    """
    if not isinstance(table, StatTable):
        raise SchemaError(f"harmonise() takes a StatTable, got {type(table).__name__}")
    target = _changes.check_year(to_year, "harmonise")
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
    parts: list[pa.Table] = []
    if rest.any():
        parts.append(arrow.filter(pa.array(rest)))
    if district.any():
        parts.append(_districts(arrow.filter(pa.array(district)), source_year, target))
    for level, mask in ((Level.MUNICIPALITY, municipal), (Level.COUNTY, county)):
        if mask.any():
            moving = arrow if mask.all() else arrow.filter(pa.array(mask))
            parts.append(_remap_codes(moving, level, variables, source_year, target, resolve))
    combined = _concat(parts, arrow.schema) if len(parts) > 1 else parts[0]
    return finish(combined, attrs.evolve(table.meta, geography_year=target), arrow.schema)


def _source_years(table: pa.Table, source_year: int | None) -> pa.Array:
    """Per row, the year whose codes the row uses, as int16 (checked to be covered)."""
    if source_year is not None:
        return pa.array(np.full(table.num_rows, source_year, np.int16))
    years = table.column("year").combine_chunks()
    low, high = pc.min_max(years).values()
    for bound in (low.as_py(), high.as_py()):
        if not FIRST_YEAR <= bound <= LAST_YEAR:
            raise YearNotCoveredError(
                f"harmonise: the table has rows for {bound}, and without a geography year each row's codes "
                f"are read on the map of its own year, which is covered only for {FIRST_YEAR}–{LAST_YEAR}; "
                f"set the table's geography_year if its codes belong to one covered year"
            )
    return years


def _remap_codes(
    moving: pa.Table,
    level: Level,
    variables: Mapping[str, Variable],
    source_year: int | None,
    target: int,
    resolve: Callable[[_changes.Split], Sequence[float]],
) -> pa.Table:
    regions = moving.column("region").combine_chunks()
    region_codes = regions if pa.types.is_dictionary(regions.type) else pc.dictionary_encode(regions)
    region_dict = [str(code) for code in region_codes.dictionary.to_pylist()]
    region_index = region_codes.indices.to_numpy(zero_copy_only=False)
    n_years = LAST_YEAR - FIRST_YEAR + 1
    if source_year is None:
        year_index = _source_years(moving, None).to_numpy(zero_copy_only=False) - FIRST_YEAR
        combined = region_index.astype(np.int64) * n_years + year_index
    else:
        combined = region_index * n_years + (source_year - FIRST_YEAR)
    # the key space is small and dense: direct addressing instead of sorting the rows
    present = np.zeros(len(region_dict) * n_years, bool)
    present[combined] = True
    keys = np.flatnonzero(present)
    lookup = np.full(len(present), -1, np.int64)
    lookup[keys] = np.arange(len(keys))
    row_key = lookup[combined]

    wanted: dict[int, list[str]] = {}
    key_info: list[tuple[int, str]] = []
    for value in keys.tolist():
        year = FIRST_YEAR + value % n_years
        code = region_dict[value // n_years]
        key_info.append((year, code))
        wanted.setdefault(year, []).append(code)

    mapped: dict[int, dict[str, list[tuple[str, float]]]] = {}
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
        mapped[year] = _changes.compose(level, year, target, resolve, codes=codes)
    return remap(
        moving,
        row_key=row_key,
        targets=[mapped[year][code] for year, code in key_info],
        domain=np.asarray([year for year, _code in key_info], np.int64),
        variables=variables,
        level=level.value,
        describe_key=[f"{level.value} {code} in {year}" for year, code in key_info],
        operation="harmonise",
    )


def _districts(rows: pa.Table, source_year: int | None, target: int) -> pa.Table:
    """District rows keep their code where the district and its city exist unchanged in ``to_year``."""
    regions = rows.column("region")
    years = _source_years(rows, source_year)
    pairs = pa.table({"region": _plain(regions), "year": years}).group_by(["region", "year"]).aggregate([])
    target_map = Geography.for_year(target)
    target_districts = {d.code for d in target_map.districts}
    for code, year in zip(pairs.column("region").to_pylist(), pairs.column("year").to_pylist()):
        city = code[:4]
        ok = (
            len(code) == 6
            and code in target_districts
            and city in _changes.codes_in(Level.MUNICIPALITY, int(year))
            and _changes.compose(Level.MUNICIPALITY, int(year), target, _no_split, codes=[city])[city]
            == [(city, 1.0)]
        )
        if not ok:
            raise UnknownCodeError(
                f"harmonise: district code {code!r} (row year {year}) cannot be carried to {target}: "
                f"district codes are kept only where the district exists in {target} and its city "
                f"{city!r} kept its code from {year}; roll the districts up to their municipality first"
            )
    return rows


def _no_split(split: _changes.Split) -> Sequence[float]:
    return [1.0 / len(split.new)] * len(split.new)
