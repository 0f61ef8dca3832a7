"""Weighted averages of rates over groups of areas: KOSTRA groups, the country without Oslo, or any other
grouping of municipalities.

A rate, a share or an average (``additive=False``) cannot be summed over areas.  When its numerator and
denominator are in the table, :func:`~samhandling.roll_up` recomputes it from them.  When they are not —
SSB publishes many rates without their parts — the value of a group is the average of its members'
values weighted by an additive variable (usually the population the rate is computed over)::

    value(group) = Σ weight(m) · value(m) / Σ weight(m)    over the members m of the group

This is how KOSTRA aggregates rates over KOSTRA groups and the country (SSB's ssb-kostra-python helpers
do the same with a weight per variable).  The rules:

* the averaged variables must be non-additive and the weight additive (else :class:`NonAdditiveError`);
  the result keeps the variable's unit and stays non-additive;
* a member whose value or weight has a status (``:``, ``..``, ``...``, ``.``) makes the group's value
  missing with the strongest of those statuses (``missing="propagate"``, the default, the same rule as
  roll-up), or is left out and listed in ``meta.extra["weighted_average_excluded"]``
  (``missing="exclude"``); ``-`` is a true zero for both value and weight;
* a group whose weights sum to zero has no value (status ``..``);
* the rows are matched on region, period and the dimension columns the two share.

Everything is joins and a group-by on Arrow tables; no loop over rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import NonAdditiveError, SchemaError
from samhandling.levels import Level
from samhandling.periods import TIME_COLUMNS
from samhandling.tables import StatTable

__all__ = ["national_without_oslo", "weighted_average"]

#: Status symbols by strength (a group takes the strongest of its members'); index = priority.
_PRIORITY = (None, ".", "...", "..", ":")
_OSLO = "0301"


def national_without_oslo(year: int) -> dict[str, list[str]]:
    """KOSTRA's ``EAKUO`` (*landet uten Oslo*): every municipality of ``year`` except Oslo (0301).

    :returns: ``{"EAKUO": [codes…]}``, ready for :func:`weighted_average`.
    """
    from samhandling.geography import Geography

    codes = sorted(Geography.for_year(year).codes(Level.MUNICIPALITY) - {_OSLO, "9999"})
    return {"EAKUO": codes}


def _membership(groups: Mapping[str, Iterable[str]] | pa.Table) -> pa.Table:
    if isinstance(groups, pa.Table):
        missing = {"region", "group"} - set(groups.column_names)
        if missing:
            raise SchemaError(
                f"weighted_average: groups need columns 'region' and 'group'; missing {sorted(missing)}"
            )
        return groups.select(["region", "group"]).cast(
            pa.schema([("region", pa.string()), ("group", pa.string())])
        )
    regions: list[str] = []
    names: list[str] = []
    for group, members in groups.items():
        for member in members:
            regions.append(str(member))
            names.append(str(group))
    return pa.table({"region": pa.array(regions, pa.string()), "group": pa.array(names, pa.string())})


def _plain(table: pa.Table, keys: list[str]) -> pa.Table:
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if name in keys and name not in TIME_COLUMNS:
            column = pc.fill_null(column.cast(pa.string()), "\x00")
        columns[name] = column
    return pa.table(columns)


def _priority(status: pa.ChunkedArray) -> pa.ChunkedArray:
    text = status.cast(pa.string()) if pa.types.is_dictionary(status.type) else status
    found = pc.index_in(text, value_set=pa.array(_PRIORITY[1:], pa.string()))
    return pc.fill_null(pc.add(found, 1), 0).cast(pa.int8())


def weighted_average(
    table: StatTable,
    groups: Mapping[str, Iterable[str]] | pa.Table,
    *,
    weights: Mapping[str, str],
    weight_table: StatTable | None = None,
    level: Level | str = Level.KOSTRA_GROUP,
    missing: Literal["propagate", "exclude"] = "propagate",
) -> StatTable:
    """The weighted average of rate variables over groups of areas (see the module docstring).

    >>> weighted_average(rates, national_without_oslo(2024), weights={"share": "population"},
    ...                  weight_table=population)  # doctest: +SKIP

    :param table: rows of the member areas (other rows are not used).
    :param groups: group code → member region codes, or a table with columns ``region`` and ``group``.
    :param weights: variable to average → the additive variable that weights it.
    :param weight_table: where the weight variables are; default ``table``.
    :param level: the level of the result rows (``kostra_group`` by default; ``county``, ``national`` …).
    :param missing: ``"propagate"`` statuses of members to the group, or ``"exclude"`` such members.
    :raises NonAdditiveError: a variable to average is additive, or a weight is not.
    :raises SchemaError: a variable or weight is not in its table, or the options are wrong.
    """
    if missing not in ("propagate", "exclude"):
        raise SchemaError(f"weighted_average: missing must be 'propagate' or 'exclude', not {missing!r}")
    level_value = Level(level).value
    source = weight_table if weight_table is not None else table
    for variable_id, weight_id in weights.items():
        variable, weight = table.variable(variable_id), source.variable(weight_id)
        if variable.additive:
            raise NonAdditiveError(
                f"weighted_average: {variable_id!r} is additive ({variable.unit}); sum it over the areas "
                f"with roll_up instead of averaging it"
            )
        if not weight.additive:
            raise NonAdditiveError(
                f"weighted_average: the weight {weight_id!r} of {variable_id!r} is not additive "
                f"({weight.unit}); weights must be counts, such as the population"
            )
    members = _membership(groups)
    values_keys = [c for c in table.columns if c not in ("level", "variable", "value", "status")]
    weight_keys = [c for c in source.columns if c not in ("level", "variable", "value", "status")]
    shared = [c for c in values_keys if c in weight_keys]
    out: list[pa.Table] = []
    excluded: dict[str, list[str]] = {}
    for variable_id, weight_id in weights.items():
        rows = table.where(variable=variable_id).arrow
        weight_rows = source.where(variable=weight_id).arrow
        left = _plain(rows.select([*values_keys, "value", "status"]), values_keys)
        right = _plain(weight_rows.select([*shared, "value", "status"]), shared)
        right = right.rename_columns([*shared, "weight", "weight_status"])
        joined = left.join(members, "region", join_type="inner", use_threads=False)
        joined = joined.join(right, shared, join_type="left outer", use_threads=False)
        value = pc.fill_null(joined.column("value"), 0.0)
        weight = joined.column("weight")
        priority = pc.max_element_wise(
            _priority(joined.column("status")), _priority(joined.column("weight_status"))
        )
        no_weight = pc.and_(pc.is_null(weight), pc.equal(priority, 0))
        priority = pc.if_else(no_weight, pa.scalar(3, pa.int8()), priority)  # no weight row: ".."
        weight = pc.fill_null(weight, 0.0)
        keys = ["group", *[k for k in values_keys if k != "region"]]
        every_group = joined.select(keys).group_by(keys, use_threads=False).aggregate([])
        if missing == "exclude":
            bad = pc.greater(priority, 0)
            for group, region in zip(
                joined.filter(bad).column("group").to_pylist(),
                joined.filter(bad).column("region").to_pylist(),
                strict=True,
            ):
                excluded.setdefault(str(group), []).append(str(region))
            keep = pc.invert(bad)
            joined, value, weight, priority = (
                joined.filter(keep),
                value.filter(keep),
                weight.filter(keep),
                priority.filter(keep),
            )
        work = joined.select(keys).append_column("wx", pc.multiply(weight, value))
        work = work.append_column("w", weight).append_column("priority", priority)
        summed = work.group_by(keys, use_threads=False).aggregate(
            [("wx", "sum"), ("w", "sum"), ("priority", "max")]
        )
        # a group whose members were all left out is still a row: with no value
        summed = every_group.join(summed, keys, join_type="left outer", use_threads=False)
        total_weight = pc.fill_null(summed.column("w_sum"), 0.0)
        strongest = pc.fill_null(summed.column("priority_max"), 0)
        zero = pc.and_(pc.equal(strongest, 0), pc.less_equal(total_weight, 0.0))
        strongest = pc.if_else(zero, pa.scalar(3, pa.int8()), strongest)
        ordinary = pc.equal(strongest, 0)
        average = pc.divide(summed.column("wx_sum"), pc.if_else(ordinary, total_weight, 1.0))
        status_index = np.asarray(strongest.to_numpy(), dtype=np.int8) - 1
        status = pa.DictionaryArray.from_arrays(
            pa.array(status_index, pa.int8(), mask=status_index < 0), pa.array(_PRIORITY[1:], pa.string())
        )
        columns: dict[str, pa.Array | pa.ChunkedArray] = {"region": summed.column("group")}
        columns["level"] = pa.array([level_value] * summed.num_rows, pa.string())
        for key in keys[1:]:
            column = summed.column(key)
            if key not in TIME_COLUMNS:
                column = pc.if_else(pc.equal(column, "\x00"), pa.scalar(None, pa.string()), column)
            columns[key] = column
        columns["variable"] = pa.array([variable_id] * summed.num_rows, pa.string())
        columns["value"] = pc.if_else(ordinary, average, pa.scalar(None, pa.float64()))
        columns["status"] = status
        out.append(pa.table(columns))
    result = pa.concat_tables(out, promote_options="permissive") if len(out) > 1 else out[0]
    extra = dict(table.meta.extra)
    if excluded:
        extra["weighted_average_excluded"] = {g: sorted(set(r)) for g, r in sorted(excluded.items())}
    variables = {v: table.variable(v) for v in weights}
    meta = attrs.evolve(table.meta, variables=variables, extra=extra)
    return StatTable.from_arrow(result, meta=meta)
