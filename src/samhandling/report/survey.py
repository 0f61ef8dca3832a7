"""What the report takes from the survey table: FTEs by target group, service kind and profession, users.

The IS-24/8 survey reports FTEs with several dimensions that a file may or may not cross (a row has a
profession *or* a target group, the other being ``total``; the demo crosses them).  Every function here
picks the rows it needs the same way: for each dimension it keeps, the codes it wants; for every other
dimension, the table's ``total`` rows where it has them, else the sum over the dimension's values.  So
nothing is counted twice, whatever the file crosses.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.report.tabular import plain, sum_by
from samhandling.tables import RESERVED_COLUMNS, StatTable

__all__ = [
    "ALL",
    "FTE_BY_SERVICE",
    "NOT_HIGHER_EDUCATION",
    "TARGET_AGES",
    "TARGET_GROUPS",
    "fte_by_profession",
    "fte_by_service",
    "fte_by_target_group",
    "pick",
    "professions_by_group",
    "users_by_target_group",
]

#: The value of a dimension that sums all its values.
ALL = "total"
#: The survey's target groups and the ages their rates are per 10,000 of.
TARGET_AGES: dict[str, str] = {"adults": "18+", "children_young": "0-17"}
TARGET_GROUPS: tuple[str, ...] = tuple(TARGET_AGES)
#: Professions whose FTEs do not count as "with higher education": staff without it, and experience
#: consultants, who are hired for their lived experience (the survey form does not ask their education).
NOT_HIGHER_EDUCATION: frozenset[str] = frozenset({"no_higher_education", "experience_consultant"})


def _dimensions(rows: pa.Table) -> list[str]:
    return [c for c in rows.column_names if c not in RESERVED_COLUMNS]


def pick(rows: pa.Table, keep: dict[str, Sequence[str] | None]) -> pa.Table:
    """Rows for the dimensions in ``keep`` (codes wanted, or ``None`` for every code but ``total``); every
    other dimension at its ``total`` where the table has one, else summed over.

    The result has the columns ``region``, ``level``, ``year``, the kept dimensions, ``variable``,
    ``value`` and ``status``.
    """
    data = plain(rows)
    for name, wanted in keep.items():
        if name not in data.column_names:
            empty = {c: pa.array([], pa.string()) for c in ("region", "level", *keep, "variable", "status")}
            return pa.table({**empty, "year": pa.array([], pa.int16()), "value": pa.array([], pa.float64())})
        column = data.column(name).cast(pa.string())
        if wanted is None:
            mask = pc.fill_null(pc.not_equal(column, ALL), False)
        else:
            mask = pc.is_in(column, pa.array(list(wanted), pa.string()))
        data = data.filter(mask)
    summed_over = []
    for name in _dimensions(data):
        if name in keep:
            continue
        column = data.column(name).cast(pa.string())
        is_total = pc.fill_null(pc.equal(column, ALL), True)  # an empty dimension value means "all"
        if pc.any(is_total).as_py():
            data = data.filter(is_total)
        summed_over.append(name)
    keys = ["region", "level", "year", *keep, "variable"]
    return sum_by(data, keys)


def _stat(rows: pa.Table, survey: StatTable, variable: str) -> StatTable:
    return StatTable.from_arrow(rows, meta=attrs.evolve(survey.meta, variables=[survey.variable(variable)]))


def fte_by_target_group(survey: StatTable) -> StatTable:
    """FTEs per area, year and target group (adults; children and young people)."""
    rows = pick(survey.where(variable="fte").arrow, {"target_group": TARGET_GROUPS})
    return _stat(rows, survey, "fte")


#: The variable of FTEs by service kind: the same årsverk as ``fte``, classified by what they are used for.
FTE_BY_SERVICE = "fte_by_service"


def fte_by_service(survey: StatTable) -> StatTable | None:
    """FTEs per area, year, target group and service kind (column ``service``), or ``None`` when the
    survey table has no service kinds.

    Read from the variable ``fte_by_service`` (kept apart from ``fte``, so that a reader summing ``fte``
    rows never counts the same årsverk twice), or from ``fte`` rows with a ``service`` column.
    """
    if "service" not in survey.columns:
        return None
    variable = FTE_BY_SERVICE if FTE_BY_SERVICE in survey.variable_ids() else "fte"
    rows = pick(survey.where(variable=variable).arrow, {"target_group": TARGET_GROUPS, "service": None})
    if not rows.num_rows:
        return None
    return _stat(rows, survey, variable)


def fte_by_profession(survey: StatTable) -> pa.Table:
    """FTEs per area, year and profession over all target groups (the ``total`` profession left out)."""
    if "profession" not in survey.columns:
        return pa.table({"region": [], "level": [], "year": [], "profession": [], "value": [], "status": []})
    rows = pick(survey.where(variable="fte").arrow, {"profession": None})
    return rows.select(["region", "level", "year", "profession", "value", "status"])


def professions_by_group(survey: StatTable) -> pa.Table | None:
    """FTEs per area, year, target group and profession when the survey crosses the two, else ``None``.

    The IS-24/8 form asks for FTEs by profession for both target groups together; only a table with
    professions per target group can show the mix of adults' and children's services apart.
    """
    if "profession" not in survey.columns or "target_group" not in survey.columns:
        return None
    rows = pick(survey.where(variable="fte").arrow, {"target_group": TARGET_GROUPS, "profession": None})
    return rows if rows.num_rows else None


def users_by_target_group(survey: StatTable) -> StatTable | None:
    """Users per area, year and target group, or ``None`` when the survey has no user counts."""
    if "users" not in survey.variable_ids() or "target_group" not in survey.columns:
        return None
    rows = pick(survey.where(variable="users").arrow, {"target_group": TARGET_GROUPS})
    if not rows.num_rows:
        return None
    return _stat(rows, survey, "users")
