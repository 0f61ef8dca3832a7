"""Roll municipalities up to counties, health trusts, DPSs, health regions and the country; rates per 10,000.

:func:`roll_up` sums additive variables over ``Geography.membership`` and recomputes rates and
shares from their parts, exactly like :func:`~samhandling.geography.harmonise` (same engine, same status
rules), and checks that every total has all its member areas (:mod:`samhandling.geography._coverage`).
:func:`per_10000` divides by a population of chosen ages, rolling the population up to the table's level
first, and records the unit as a pint unit.

Without a population, :func:`per_10000` uses the one the library ships (SSB table 07459 by municipality,
2017–2021; 10826 by city district, 2021: :mod:`samhandling.geography.population`); for other years pass
SSB table 07459 read with the KOSTRA plugin, or your own table with variable ``population`` (unit
``innbygger``) and an ``age`` column of SSB age labels.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import MessagePart, NonAdditiveError, Parameter, SchemaError, UnknownCodeError
from samhandling.geography._coverage import (
    ABSENT_ROWS_MEAN_ZERO,
    Partial,
    apply_partial,
    check_rule,
    coverage_table,
    find_partial,
    present_members,
    record,
    with_ratios,
)
from samhandling.geography._engine import (
    _concat,
    dictionary_mask,
    distinct_strings,
    finish,
    priority_of,
    remap,
    rest_columns,
    used_codes,
)
from samhandling.geography._geography import NATIONAL_CODE, ROLL_UP_LEVELS, Geography, SplitAreaError
from samhandling.keys import codes_of, refuse_duplicate_keys
from samhandling.levels import Level
from samhandling.model import CatchmentKind
from samhandling.tables import StatTable, Variable

__all__ = ["AGE_GROUPS", "age_range", "coverage_table", "per_10000", "population_totals", "roll_up"]

#: Named age groups ``per_10000`` accepts, as (first age, last age or None for open).
AGE_GROUPS: dict[str, tuple[int, int | None]] = {
    "all": (0, None),
    "total": (0, None),
    "18+": (18, None),
    "0-17": (0, 17),
    "67+": (67, None),
    "18-66": (18, 66),
}
_WEIGHT_COLUMNS = (("region", pa.string()), ("parent", pa.string()), ("weight", pa.float64()))
_BASE_LEVELS = (Level.MUNICIPALITY.value, Level.DISTRICT.value)
_AGE_LABEL = re.compile(r"^\s*(\d{1,3})\s*(?:(\+)|[-–]\s*(\d{1,3}))?\s*(?:år)?\s*$")
_TOTAL_AGE = {"total", "i alt", "alle aldre", "all", "totalt"}


def _plain(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


# -- roll_up --------------------------------------------------------------------------------------------
OtherLevels = Literal["drop", "keep", "error"]


def roll_up(
    table: StatTable,
    to: Level | str,
    *,
    geography: Geography | None = None,
    kind: CatchmentKind | str = CatchmentKind.ADULT_MENTAL_HEALTH,
    weights: pa.Table | None = None,
    unassigned: Literal["error", "exclude"] = "error",
    partial: Partial = "missing",
    other_levels: OtherLevels = "drop",
) -> StatTable:
    """Sum municipality and district rows into the areas of level ``to``.

    :param table: rows at municipality and/or district level.  Where a municipality has both a
        municipality row and district rows, the district rows are used only if the municipality is split
        at level ``to`` (Oslo between health trusts); otherwise the municipality row is used and its
        districts are not counted twice.
    :param to: ``"county"``, ``"health_trust"``, ``"health_region"``, ``"dps"`` or ``"national"``.
    :param geography: the map to use; default the table's ``geography_year`` (a table without one
        must hold a single year, whose map is used).
    :param kind: for health trusts, health regions and DPSs, which service's catchments:
        ``"vop"`` adult mental health (default; the only kind with DPSs) or ``"bup"`` child and
        adolescent mental health.  The result records it (``meta.extra["catchment_kind"]``).
    :param weights: shares for areas split between parents, as a table with columns ``region``,
        ``parent``, ``weight`` (shares of one region sum to 1); they replace the membership rows of
        the regions they name.
    :param unassigned: ``"error"`` (default) raises :class:`SplitAreaError` for an area whose parent
        is not known (split without district rows or weights, an area the data has no catchment for
        that year, or an 'unknown' code such as 9999); ``"exclude"`` leaves those areas out and lists
        them in ``meta.extra['roll_up_excluded']``.
    :param partial: what to do with a total for which some of its member areas have no rows in a year
        and variable (see :mod:`samhandling.geography._coverage`): ``"missing"`` (default) leaves it empty
        with status ``..``, ``"keep"`` keeps the partial sum, ``"error"`` raises.  Either way the
        coverage is in ``meta.extra["coverage"][to]`` (:func:`coverage_table` makes it a table).
    :param other_levels: rows at other levels than municipality and district (the country, counties,
        SSB's pseudo-regions, KOSTRA groups …) are not parts of the sums: ``"drop"`` (default) leaves them
        out, ``"keep"`` carries them unchanged into the result, ``"error"`` raises.  What was left out or
        kept is listed in ``meta.extra["notes"]``.
    :returns: a StatTable at level ``to``; rates and shares recomputed from their parts.
    :raises NonAdditiveError: a variable is neither additive nor a ratio with declared parts; the message
        says how to roll it up.
    """
    target = _target_level(to)
    if unassigned not in ("error", "exclude"):
        raise SchemaError(f"roll_up: unassigned must be 'error' or 'exclude', not {unassigned!r}")
    refuse_duplicate_keys(table, "roll_up")  # copies kept with allow_duplicates=True are never summed
    rule = check_rule(partial, "roll_up")
    if other_levels not in ("drop", "keep", "error"):
        raise SchemaError(f"roll_up: other_levels must be 'drop', 'keep' or 'error', not {other_levels!r}")
    kind = _catchment_kind(kind)
    geo = geography if geography is not None else _geography_of(table)
    arrow = table.arrow.unify_dictionaries()
    base_mask = dictionary_mask(arrow.column("level"), _BASE_LEVELS)
    base = arrow if base_mask.all() else arrow.filter(pa.array(base_mask))
    others = None if base_mask.all() else arrow.filter(pa.array(~base_mask))
    notes: list[str] = []
    if others is not None and others.num_rows:
        levels = sorted(distinct_strings(others.column("level")))
        if other_levels == "error":
            raise SchemaError(
                f"roll_up: the table has {others.num_rows} rows at other levels ({', '.join(levels)}) "
                f"besides municipalities and districts; filter them out or give ",
                Parameter(name="other_levels", example="'drop'"),
                " (or 'keep')",
            )
        verb = "dropped" if other_levels == "drop" else "kept unchanged"
        notes.append(
            f"roll_up: {others.num_rows} rows at levels {', '.join(levels)} are not parts of the sums and "
            f"were {verb}"
        )
    if not base.num_rows:
        raise SchemaError(
            f"roll_up: the table has no municipality or district rows to roll up (levels found: "
            f"{table.levels()})"
        )
    variables = {v: table.variable(v) for v in distinct_strings(base.column("variable"))}
    _refuse_non_additive(variables, target)
    indices, codes = used_codes(base.column("region"))
    membership = _membership_map(geo, target, weights, kind)
    municipalities = {c for c in codes if len(c) == 4}
    by_district = {c[:4] for c in codes if len(c) == 6}

    targets: list[list[tuple[str, float]]] = []
    use = np.ones(len(codes), bool)
    excluded: list[str] = []
    for index, code in enumerate(codes):
        pairs = membership.get(code)
        if pairs is None:
            pairs = _unknown(geo, code, target, kind)
        split = len(pairs) > 1 and any(w is None for _p, w in pairs)
        if len(code) == 6 and code[:4] in municipalities:
            whole = membership.get(code[:4])
            if whole is not None and not (len(whole) > 1 and any(w is None for _p, w in whole)):
                use[index] = False  # the municipality row already counts this district
        if len(code) == 4 and code in by_district and split:
            use[index] = False  # the city's districts say where it goes
        if use[index] and (split or not pairs):
            if unassigned == "exclude":
                use[index] = False
                excluded.append(code)
            else:
                raise SplitAreaError(*_split_message(geo, code, target, pairs, kind))
        targets.append([(p, float(w if w is not None else 0.0)) for p, w in pairs] or [("", 0.0)])
    # the other key columns are numbered once per table: a second roll-up of it reads the numbering
    key_codes = (
        codes_of(table.arrow, rest_columns(arrow), rows=arrow)
        if all(v.additive for v in variables.values())
        else None
    )
    if key_codes is not None and not base_mask.all():
        key_codes = key_codes.rows(base_mask)
    summed = None  # per row, whether its area is summed (None: every row)
    if not use.all():
        summed = use[indices]
        if key_codes is None:
            base = base.filter(pa.array(summed))
            indices = indices[summed]
            summed = None
        else:  # the sums leave those areas out (no targets), so the table is not copied without them
            targets = [pairs if use[index] else [] for index, pairs in enumerate(targets)]
    result = remap(
        base,
        row_key=indices,
        targets=targets,
        domain=np.zeros(len(codes), np.int64),
        variables=variables,
        level=target.value,
        describe_key=[f"{code} (into {target.value})" for code in codes],
        operation="roll_up",
        codes=key_codes,
        every_key_used=summed is not None or bool(use.all()),  # used_codes: codes that rows have
    )
    expected, covers = _members_of(geo, target, kind, membership, set(codes), weights)
    entries = (
        []
        if table.meta.extra.get(ABSENT_ROWS_MEAN_ZERO)
        else with_ratios(
            find_partial(expected, _present(base, indices, codes, summed), covers=covers),
            variables,
        )
    )
    what = "areas" if target is Level.NATIONAL else "member areas"
    result = apply_partial(result, entries, rule, operation="roll_up", what=what)
    if others is not None and others.num_rows and other_levels == "keep":
        result = _concat([result, others], arrow.schema)
    extra = dict(table.meta.extra)
    if excluded:
        extra["roll_up_excluded"] = sorted(excluded)
    if target in (Level.HEALTH_TRUST, Level.HEALTH_REGION, Level.DPS):
        extra["catchment_kind"] = kind.value
    if notes:
        extra["notes"] = [*extra.get("notes", []), *notes]
    extra = record(
        extra,
        operation="roll_up",
        level=target.value,
        members={parent: len(members) for parent, members in expected.items()},
        entries=entries,
        rule=rule,
        kind=kind.value if target in (Level.HEALTH_TRUST, Level.HEALTH_REGION, Level.DPS) else None,
    )
    if (
        weights is not None
        or unassigned != "error"
        or kind is not CatchmentKind.ADULT_MENTAL_HEALTH
        or rule != "missing"
    ):
        # remembered so that per_10000 shares the population the same way as the counts
        settings = dict(extra.get("roll_up", {}))
        settings[target.value] = {
            "unassigned": unassigned,
            "kind": kind.value,
            "partial": rule,
            "weights": [
                [str(r), str(p), float(w)]
                for r, p, w in zip(*(weights.column(c).cast(t).to_pylist() for c, t in _WEIGHT_COLUMNS))
            ]
            if weights is not None
            else [],
        }
        extra["roll_up"] = settings
    meta = attrs.evolve(table.meta, geography_year=geo.year, extra=extra)
    return finish(result, meta, arrow.schema)


def _present(
    base: pa.Table, indices: np.ndarray, codes: list[str], summed: np.ndarray | None
) -> dict[tuple[int, str], set[str]]:
    """The areas with rows per year and variable, among the rows ``summed`` (all when None)."""
    if summed is None:
        return present_members(base, region_index=indices, regions=codes)
    return present_members(base.filter(pa.array(summed)), region_index=indices[summed], regions=codes)


def _catchment_kind(kind: CatchmentKind | str) -> CatchmentKind:
    try:
        return CatchmentKind(kind)
    except ValueError:
        raise SchemaError(
            f"roll_up: kind must be one of {[k.value for k in CatchmentKind]} (vop: adult mental health, "
            f"bup: child and adolescent mental health, tsb: substance use), not {kind!r}"
        ) from None


def _refuse_non_additive(variables: Mapping[str, Variable], target: Level) -> None:
    """A variable that is neither additive nor a ratio with declared parts cannot be rolled up."""
    for name, var in variables.items():
        if var.additive or var.is_ratio:
            continue
        where = "the country" if target is Level.NATIONAL else f"{target.value.replace('_', ' ')}s"
        raise NonAdditiveError(
            f"roll_up: variable {name!r} is not additive (unit {var.unit!r}) and declares no numerator and "
            f"denominator, so it cannot be rolled up into {where}: a rate, share or average of an area is "
            f"not the sum of its parts' values, and there are no weights to average it by. Roll it up from "
            f"its parts instead: include the counts it is made of and declare "
            f"Variable(id={name!r}, additive=False, numerator=..., denominator=...), and roll_up recomputes "
            f"it as the summed numerator over the summed denominator (a weighted average); or drop it "
            f"(table.variables_subset([...])) and compute it after the roll-up, e.g. with "
            f"samhandling.per_10000 for rates per 10,000 inhabitants"
        )


def _members_of(
    geo: Geography,
    target: Level,
    kind: CatchmentKind,
    membership: Mapping[str, list[tuple[str, float | None]]],
    present: set[str],
    weights: pa.Table | None,
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Per parent, the areas its total is made of; and which codes stand for several of them.

    A municipality is one member of its parent.  A municipality split between parents without weights
    counts by its city districts (where the map has them); with weights it is a member of each parent
    it is weighted into.  When the table has district rows but no row for a municipality that lies
    wholly in one parent, its districts are the members.  'Unknown' districts (``…99``) and 9999 are
    not members, but count if present.
    """
    weighted = set(weights.column("region").cast(pa.string()).to_pylist()) if weights is not None else set()
    districts_of: dict[str, list[str]] = defaultdict(list)
    for district in geo.districts:
        if not district.code.endswith("99"):
            districts_of[district.municipality].append(district.code)
    expected: dict[str, set[str]] = defaultdict(set)
    covers: dict[str, frozenset[str]] = {}
    for municipality in geo.municipalities:
        code = municipality.code
        pairs = membership.get(code)
        if pairs is None:
            continue  # no catchment this year (listed by unassigned_reason)
        split = len(pairs) > 1 and code not in weighted
        if split or (code not in present and any(d in present for d in districts_of.get(code, ()))):
            if not districts_of.get(code):
                for parent, _w in pairs:
                    expected[parent].add(code)
                continue
            for part in districts_of[code]:
                for parent, _w in membership.get(part, []):
                    expected[parent].add(part)
            covers[code] = frozenset(districts_of[code])
            continue
        for parent, _w in pairs:
            expected[parent].add(code)
        if districts_of.get(code):
            covers.setdefault(code, frozenset())
    if target is Level.NATIONAL:
        expected = {NATIONAL_CODE: set().union(*expected.values())} if expected else {}
    return {parent: frozenset(members) for parent, members in expected.items()}, {
        code: members for code, members in covers.items() if members
    }


def _target_level(to: Level | str) -> Level:
    try:
        level = Level(to)
    except ValueError:
        level = None
    if level is None or level not in ROLL_UP_LEVELS:
        raise SchemaError(
            f"roll_up: cannot roll up to {to!r}; expected one of {[lvl.value for lvl in ROLL_UP_LEVELS]}"
        )
    return level


def _geography_of(table: StatTable) -> Geography:
    if table.geography_year is not None:
        return Geography.for_year(table.geography_year)
    years = table.years()
    if len(years) == 1:
        return Geography.for_year(years[0])
    raise SchemaError(
        f"roll_up: the table has no geography year and holds {len(years)} years ({years[0]}–{years[-1]}), "
        f"each on its own map; harmonise it to one year first (samhandling.harmonise(table, to_year=...)) "
        f"or give ",
        Parameter(name="geography", example="Geography.for_year(...)"),
    )


def _membership_map(
    geo: Geography,
    target: Level,
    weights: pa.Table | None,
    kind: CatchmentKind = CatchmentKind.ADULT_MENTAL_HEALTH,
) -> dict[str, list[tuple[str, float | None]]]:
    table = geo.membership(target, kind=kind)
    out: dict[str, list[tuple[str, float | None]]] = {}
    for region, parent, weight in zip(
        table.column("region").to_pylist(),
        table.column("parent").to_pylist(),
        table.column("weight").to_pylist(),
    ):
        out.setdefault(region, []).append((parent, weight))
    if weights is not None:
        missing = {"region", "parent", "weight"} - set(weights.column_names)
        if missing:
            raise SchemaError(
                f"roll_up: weights need columns 'region', 'parent', 'weight'; missing {sorted(missing)}"
            )
        given: dict[str, list[tuple[str, float | None]]] = {}
        valid_parents = geo.codes(target)
        for region, parent, weight in zip(
            weights.column("region").cast(pa.string()).to_pylist(),
            weights.column("parent").cast(pa.string()).to_pylist(),
            weights.column("weight").cast(pa.float64()).to_pylist(),
        ):
            if parent not in valid_parents:
                raise UnknownCodeError(
                    f"roll_up: weights name parent {parent!r} for {region!r}, which is not a "
                    f"{target.value} of {geo.year}"
                )
            if weight is None or weight < 0:
                raise SchemaError(f"roll_up: weight {weight!r} for {region!r} → {parent!r} is not a share")
            given.setdefault(str(region), []).append((str(parent), float(weight)))
        for region, pairs in given.items():
            total = sum(w for _p, w in pairs if w is not None)
            if abs(total - 1.0) > 1e-6:
                raise SchemaError(f"roll_up: the weights of {region!r} sum to {total}, not 1")
            out[region] = pairs
    return out


def _unknown(
    geo: Geography, code: str, target: Level, kind: CatchmentKind = CatchmentKind.ADULT_MENTAL_HEALTH
) -> list[tuple[str, float | None]]:
    """Membership of a code that is not in the map: 'unknown' codes go to the country only."""
    if code in ("9999",) or (len(code) == 6 and code.endswith("99")):
        if target is Level.NATIONAL:
            return [(NATIONAL_CODE, 1.0)]
        return []
    known = code in geo.codes(Level.MUNICIPALITY) or code in geo.codes(Level.DISTRICT)
    if known and geo.unassigned_reason(code, target, kind=kind) is not None:
        return []
    raise UnknownCodeError(
        f"roll_up: {geo.explain_code(code)}; the table's rows must use the codes of {geo.year} "
        f"(harmonise it first)"
    )


def _split_message(
    geo: Geography,
    code: str,
    target: Level,
    pairs: Sequence[tuple[str, float | None]],
    kind: CatchmentKind = CatchmentKind.ADULT_MENTAL_HEALTH,
) -> tuple[MessagePart, ...]:
    what = target.value.replace("_", " ")
    exclude = Parameter(name="unassigned", example="'exclude'")
    if not pairs:
        reason = geo.unassigned_reason(code, target, kind=kind) if len(code) in (4, 6) else None
        if reason is not None:
            return (
                f"roll_up: {geo.explain_code(code)} has no {what} catchment ({kind.label}) in {geo.year}: "
                f"{reason}; give ",
                exclude,
                " to leave it out (the totals it would belong to are then partial, see ",
                Parameter(name="partial"),
                "), or harmonise the table to a year whose catchments are known",
            )
        return (f"roll_up: {code} (unknown area) belongs to no {what}; give ", exclude, " to leave it out")
    candidates = ", ".join(p for p, _w in pairs)
    hint = (
        "give its city-district rows, "
        if len(code) == 4 and geo.districts and any(d.municipality == code for d in geo.districts)
        else ""
    )
    return (
        f"roll_up: {geo.explain_code(code)} is split between {len(pairs)} {what} catchments ({candidates}) "
        f"and the shares are not published; {hint}give ",
        Parameter(name="weights", example="pyarrow.table({'region': ..., 'parent': ..., 'weight': ...})"),
        " or ",
        exclude,
    )


# -- population -----------------------------------------------------------------------------------------
def age_range(label: str) -> tuple[int, int | None] | None:
    """The ages an SSB age label covers: ``"17"`` → (17, 17), ``"105+"`` → (105, None), ``"0-17"`` → (0, 17).

    ``"total"`` (and ``"i alt"``) give (0, None); a label that is not an age gives None.
    """
    text = str(label).strip().casefold()
    if text in _TOTAL_AGE:
        return (0, None)
    match = _AGE_LABEL.match(text)
    if not match:
        return None
    low = int(match[1])
    if match[2]:
        return (low, None)
    if match[3]:
        return (low, int(match[3]))
    return (low, low)


def _wanted_ages(ages: str | tuple[int, int | None]) -> tuple[int, int | None]:
    if isinstance(ages, tuple):
        if (
            len(ages) != 2
            or not isinstance(ages[0], int)
            or not (ages[1] is None or isinstance(ages[1], int))
        ):
            raise SchemaError(f"ages: expected (first age, last age or None), got {ages!r}")
        if ages[1] is not None and ages[1] < ages[0]:
            raise SchemaError(f"ages: the last age {ages[1]} is below the first {ages[0]}")
        return ages
    if ages in AGE_GROUPS:
        return AGE_GROUPS[ages]
    parsed = age_range(ages)
    if parsed is None:
        raise SchemaError(
            f"ages: {ages!r} is not an age group; use one of {sorted(AGE_GROUPS)} or (first, last)"
        )
    return parsed


def _covers(parts: list[tuple[int, int | None]], wanted: tuple[int, int | None]) -> bool:
    """Whether the intervals tile ``wanted`` exactly (no gap, no overlap)."""
    position: int | None = wanted[0]
    for low, high in sorted(parts, key=lambda p: p[0]):
        if position is None or low != position:
            return False
        position = None if high is None else high + 1
    end = wanted[1]
    return position is None if end is None else position == end + 1


def _choose_labels(labels: list[str], wanted: tuple[int, int | None]) -> list[str] | None:
    ranges = {label: age_range(label) for label in labels}
    usable = {label: r for label, r in ranges.items() if r is not None}
    low, high = wanted

    def inside(r: tuple[int, int | None]) -> bool:
        if r[0] < low:
            return False
        if high is None:
            return True
        return r[1] is not None and r[1] <= high

    if wanted == (0, None):
        totals = [label for label in usable if str(label).strip().casefold() in _TOTAL_AGE]
        if totals:
            return totals[:1]
    singles = [label for label, r in usable.items() if inside(r) and (r[1] is None or r[1] == r[0])]
    if singles and _covers([usable[s] for s in singles], wanted):
        return singles
    bands = [
        label
        for label, r in usable.items()
        if inside(r) and r != (0, None) and not (r[1] is not None and r[1] == r[0])
    ]
    if bands and _covers([usable[b] for b in bands], wanted):
        return bands
    return None


def population_totals(
    population: StatTable, *, ages: str | tuple[int, int | None] = "all", what: str = "population"
) -> pa.Table:
    """Population per region and year for an age group: columns region, level, year, value, status.

    Single years (``"0"`` … ``"104"``, ``"105+"``) are preferred, then bands (``"0-17"``, ``"18-66"``,
    ``"67+"``), then ``"total"``; the chosen labels must cover the ages exactly, else
    :class:`SchemaError` lists the labels found.  A table without an ``age`` column counts as all ages.
    """
    if "population" not in population.variable_ids():
        raise SchemaError(
            f"{what}: the table has no variable 'population' (variables found: {population.variable_ids()})"
        )
    arrow = population.where(variable="population").arrow
    wanted = _wanted_ages(ages)
    if "age" in arrow.column_names:
        labels = [
            str(v)
            for v in pc.unique(_plain(arrow.column("age")).cast(pa.string())).to_pylist()
            if v is not None
        ]
        chosen = _choose_labels(labels, wanted)
        if chosen is None:
            raise SchemaError(
                f"{what}: the age labels {sorted(labels)} cannot be combined into exactly the ages {ages!r}; "
                f"give single years (0 … 104, 105+), the bands 0-17, 18-66, 67+, or 'total'"
            )
        arrow = arrow.filter(pc.is_in(_plain(arrow.column("age")).cast(pa.string()), pa.array(chosen)))
    elif wanted != (0, None):
        raise SchemaError(f"{what}: the table has no 'age' column, so it cannot give the ages {ages!r}")
    extra = [
        c
        for c in arrow.column_names
        if c not in ("region", "level", "year", "variable", "value", "status", "age")
    ]
    if extra:
        raise SchemaError(
            f"{what}: population has dimension column(s) {extra} besides 'age'; select one category first"
        )
    work = pa.table(
        {
            "region": _plain(arrow.column("region")),
            "level": _plain(arrow.column("level")),
            "year": arrow.column("year"),
            "value": arrow.column("value"),
            "priority": priority_of(arrow.column("status")),
        }
    )
    grouped = work.group_by(["region", "level", "year"], use_threads=False).aggregate(
        [("value", "sum"), ("priority", "max")]
    )
    return grouped.rename_columns(["region", "level", "year", "value", "priority"])


# -- per_10000 ------------------------------------------------------------------------------------------
def per_10000(
    table: StatTable,
    population: StatTable | None = None,
    *,
    ages: str | tuple[int, int | None] = "all",
    variables: Sequence[str] | None = None,
) -> StatTable:
    """Rates per 10,000 inhabitants of the chosen ages: new variables ``<variable>_per_10000``.

    Adult services are usually given per 10,000 inhabitants aged 18+, services for children and young
    people per 10,000 aged 0–17.  The population is harmonised to the table's geography year and rolled up
    to the table's levels when needed, so a county table takes a municipality population.

    :param table: the counts (additive variables).
    :param population: a StatTable with variable ``population`` and (optionally) an ``age`` column.
        Default: the population the library ships (SSB table 07459 by municipality, 2017–2021; 10826 by
        city district, 2021, :func:`samhandling.geography.population.population`); a year or level it
        does not cover raises :class:`~samhandling.errors.YearNotCoveredError` naming the years it lacks
        and how to add them.
    :param ages: ``"all"``, ``"18+"``, ``"0-17"``, ``"67+"``, ``"18-66"`` or ``(first, last or None)``.
    :param variables: which variables to turn into rates (default: every additive variable).
    :returns: only the rate rows, with the table's dimensions; unit ``<unit> / ten_thousand_inhabitants``,
        non-additive, numerator the variable and denominator ``population``.  A suppressed or missing
        count or population gives a rate with that status; a population of 0 gives status ``.``.
    """
    ids = table.variable_ids()
    chosen = (
        list(variables)
        if variables is not None
        else [v for v in ids if table.variable(v).additive and v != "population"]
    )
    for variable in chosen:
        if variable not in ids:
            raise SchemaError(f"per_10000: no variable {variable!r} in the table; it has {ids}")
        if not table.variable(variable).additive:
            from samhandling.errors import NonAdditiveError

            raise NonAdditiveError(
                f"per_10000: {variable!r} is not additive (unit {table.unit_of(variable)!r}); a rate per "
                f"inhabitant is made from counts"
            )
    if not chosen:
        raise SchemaError(f"per_10000: the table has no additive variable to divide (variables: {ids})")
    if population is None:
        population = _shipped_population_for(table)
    pop = _population_on(table, population, ages)
    counts = table.variables_subset(chosen).arrow.unify_dictionaries().combine_chunks()
    population_value, population_priority = _lookup_population(counts, pop, ages)
    count_priority = priority_of(counts.column("status"))
    priority = pc.max_element_wise(count_priority, population_priority)
    zero = pc.and_(pc.less_equal(priority, 1), pc.equal(population_value, 0.0))
    priority = pc.if_else(pc.fill_null(zero, False), pa.scalar(2, pa.int8()), priority)
    ordinary = pc.less_equal(priority, 1)
    rate = pc.multiply(
        pc.divide(counts.column("value").combine_chunks(), pc.if_else(zero, 1.0, population_value)), 10000.0
    )
    value = pc.if_else(ordinary, rate, pa.scalar(None, pa.float64()))
    symbols = pa.array([None, None, ".", "...", "..", ":"], pa.string())
    status = pc.take(symbols, priority)
    names = {v: f"{v}_per_10000" for v in chosen}
    variable_column = counts.column("variable").chunk(0) if counts.num_rows else None
    if variable_column is not None and pa.types.is_dictionary(variable_column.type):
        suffixed = [f"{v}_per_10000" for v in variable_column.dictionary.to_pylist()]
        renamed: pa.Array = pa.DictionaryArray.from_arrays(
            variable_column.indices, pa.array(suffixed, pa.string())
        )
    else:
        renamed = pc.binary_join_element_wise(
            _plain(counts.column("variable")).cast(pa.string()), "_per_10000", ""
        )
    result = counts.set_column(counts.column_names.index("variable"), "variable", renamed)
    result = result.set_column(result.column_names.index("value"), "value", value)
    result = result.set_column(result.column_names.index("status"), "status", status)
    label_ages = ages if isinstance(ages, str) else f"{ages[0]}–{'' if ages[1] is None else ages[1]}"
    new_variables = {}
    for variable in chosen:
        var = table.variable(variable)
        unit = _rate_unit(var.unit)
        new_variables[names[variable]] = Variable(
            id=names[variable],
            unit=unit,
            additive=False,
            label=f"{var.label or variable} per 10 000 innbyggere ({label_ages})",
            description=f"{variable} per 10,000 inhabitants aged {label_ages}",
            numerator=variable,
            denominator="population",
            scale=10000.0,
        )
    from samhandling.units import parse_unit

    for var in new_variables.values():
        parse_unit(var.unit)
    extra = {**table.meta.extra, "per_10000_ages": label_ages}
    meta = attrs.evolve(table.meta, variables=new_variables, extra=extra)
    return StatTable.from_arrow(result, meta=meta)


def _shipped_population_for(table: StatTable) -> StatTable:
    """The shipped population for the table's years (districts too if the table has district rows)."""
    from samhandling.errors import YearNotCoveredError
    from samhandling.geography.population import HOW_TO_ADD, population, uncovered_years

    years = table.years()
    with_districts = Level.DISTRICT.value in table.levels()
    missing = uncovered_years(years)
    missing_districts = uncovered_years(years, level="district") if with_districts else []
    if missing or missing_districts:
        parts = []
        if missing:
            parts.append(f"municipalities in {', '.join(map(str, missing))} (it has 2017–2021)")
        if missing_districts:
            parts.append(f"city districts in {', '.join(map(str, missing_districts))} (it has 2021)")
        raise YearNotCoveredError(
            f"per_10000: no population given, and the population the library ships (SSB tables 07459 and "
            f"10826) does not cover {' and '.join(parts)}; {HOW_TO_ADD}"
        )
    # every shipped year: the years before a division share it out (1580 Haram of 2024 is 1534 of 2019)
    return population(level="all" if with_districts else "municipality")


def _lookup_population(counts: pa.Table, pop: pa.Table, ages: Any) -> tuple[pa.Array, pa.Array]:
    """Per row of ``counts``, the population value and status priority of its area and year.

    Areas × years are few, so the rows are matched by direct addressing on dictionary codes rather than
    a join; a row without a population is an error naming the area and year.
    """
    known = {
        (str(level), str(region), int(year)): (value, int(priority))
        for region, level, year, value, priority in zip(
            *(pop.column(c).to_pylist() for c in ("region", "level", "year", "value", "priority"))
        )
    }
    region = counts.column("region").chunk(0) if counts.num_rows else pa.array([], pa.string())
    region = region if pa.types.is_dictionary(region.type) else pc.dictionary_encode(region)
    level = counts.column("level").chunk(0) if counts.num_rows else pa.array([], pa.string())
    level = level if pa.types.is_dictionary(level.type) else pc.dictionary_encode(level)
    years = counts.column("year").to_numpy().astype(np.int64)
    first = int(years.min()) if len(years) else 0
    span = int(years.max()) - first + 1 if len(years) else 1
    n_levels = len(level.dictionary)
    key = (
        region.indices.to_numpy(zero_copy_only=False).astype(np.int64) * n_levels
        + level.indices.to_numpy(zero_copy_only=False)
    ) * span + (years - first)
    present = np.unique(key)
    region_names, level_names = region.dictionary.to_pylist(), level.dictionary.to_pylist()
    values = np.full(len(present), np.nan)
    priorities = np.zeros(len(present), np.int8)
    for index, code in enumerate(present.tolist()):
        year = first + code % span
        rest = code // span
        wanted = (str(level_names[rest % n_levels]), str(region_names[rest // n_levels]), year)
        if wanted not in known:
            raise SchemaError(
                f"per_10000: the population has no row for {wanted[0]} {wanted[1]!r} in {wanted[2]} "
                f"(ages {ages!r}); give a population for every area and year of the table"
            )
        found_value, priorities[index] = known[wanted]
        values[index] = np.nan if found_value is None else found_value
    row = np.searchsorted(present, key)
    return pa.array(values[row]), pa.array(priorities[row])


def _rate_unit(unit: str) -> str:
    """``"opphold"`` → ``"opphold / ten_thousand_inhabitants"``; compound units get brackets."""
    text = unit.strip()
    if text in ("", "1", "dimensionless"):
        return "1 / ten_thousand_inhabitants"
    if re.fullmatch(r"\w+", text):
        return f"{text} / ten_thousand_inhabitants"
    return f"({text}) / ten_thousand_inhabitants"


def _roll_up_settings(table: StatTable, level: str) -> dict[str, Any]:
    """The weights and ``unassigned`` choice the table's counts were rolled up to ``level`` with."""
    settings = table.meta.extra.get("roll_up", {}).get(level)
    if not settings:
        return {}
    out: dict[str, Any] = {"unassigned": settings.get("unassigned", "error")}
    if settings.get("kind"):
        out["kind"] = settings["kind"]
    if settings.get("partial"):
        out["partial"] = settings["partial"]
    rows = settings.get("weights") or []
    if rows:
        out["weights"] = pa.table(
            {
                "region": pa.array([r[0] for r in rows], pa.string()),
                "parent": pa.array([r[1] for r in rows], pa.string()),
                "weight": pa.array([r[2] for r in rows], pa.float64()),
            }
        )
    return out


def _population_on(table: StatTable, population: StatTable, ages: str | tuple[int, int | None]) -> pa.Table:
    """Population totals for ``ages`` on the table's map and levels: region, level, year, value, priority."""
    if not isinstance(population, StatTable):
        raise SchemaError(f"per_10000: population must be a StatTable, got {type(population).__name__}")
    target_year = table.geography_year
    missing_years = sorted(set(table.years()) - set(population.years()))
    if missing_years:
        raise SchemaError(
            f"per_10000: the population has no rows for {', '.join(map(str, missing_years))} "
            f"(it has {', '.join(map(str, population.years())) or 'no years'})"
        )
    totals = population_totals(population, ages=ages)
    pop_table = StatTable.from_arrow(
        pa.table(
            {
                "region": totals.column("region"),
                "level": totals.column("level"),
                "year": totals.column("year"),
                "variable": pa.array(["population"] * totals.num_rows, pa.string()),
                "value": pc.if_else(
                    pc.less_equal(totals.column("priority"), 1),
                    totals.column("value"),
                    pa.scalar(None, pa.float64()),
                ),
                "status": pc.take(
                    pa.array(["-", None, ".", "...", "..", ":"], pa.string()), totals.column("priority")
                ),
            }
        ),
        variables=[Variable(id="population", unit="innbygger", additive=True)],
        geography_year=population.geography_year,
    )
    if target_year is not None and population.geography_year != target_year:
        from samhandling.geography._harmonise import harmonise

        needed_years = pop_table.where(year=table.years())  # only the years needed: fewer divisions to share
        pop_table = harmonise(needed_years, target_year, population=pop_table)
    needed = [lvl for lvl in table.levels() if lvl not in pop_table.levels()]
    rolled = [pop_table]
    for level in needed:
        if level in _BASE_LEVELS:
            continue  # a missing municipality/district population is reported row by row
        source = pop_table
        like = _roll_up_settings(table, level)
        if source.geography_year is None and len(source.years()) > 1:
            parts = [
                roll_up(source.where(year=y), level, geography=Geography.for_year(y), **like)
                for y in source.years()
            ]
            rolled.extend(parts)
        else:
            rolled.append(roll_up(source, level, **like))
    combined = StatTable.concat(rolled) if len(rolled) > 1 else pop_table
    arrow = combined.arrow
    return pa.table(
        {
            "region": _plain(arrow.column("region")),
            "level": _plain(arrow.column("level")),
            "year": arrow.column("year"),
            "value": pc.fill_null(arrow.column("value"), 0.0),
            "priority": priority_of(arrow.column("status")),
        }
    )
