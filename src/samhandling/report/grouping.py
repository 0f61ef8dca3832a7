"""Municipality size groups (kommunestørrelse): bands of inhabitants, and sums of figures per band.

The yearly IS-24/8 reports break årsverk down by municipality size, but their band edges were not
found published.  The report uses six bands of the population on 1 January of the report year:

=====================  ========================
band                   inhabitants (all ages)
=====================  ========================
``under-2000``         fewer than 2 000
``2000-4999``          2 000 – 4 999
``5000-9999``          5 000 – 9 999
``10000-19999``        10 000 – 19 999
``20000-49999``        20 000 – 49 999
``50000-``             50 000 and more
=====================  ========================

The edges at 2 000, 10 000 and 20 000 are those of SSB's KOSTRA grouping of municipalities (2020
revision, *Gruppering av kommuner etter folkemengde og økonomiske rammebetingelser 2020*, SSB Rapporter
2020/48); 5 000 and 50 000 split its widest bands so that each group has enough municipalities to
compare.  A group's figure is the sum over its municipalities; its rate is computed from the summed
figures and the summed population, never as an average of municipal rates.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.levels import Level
from samhandling.report.tabular import plain, sum_by
from samhandling.tables import StatTable

__all__ = ["SIZE_BANDS", "group_members", "size_group_of", "size_groups", "sum_groups"]

#: (code, lowest population, highest population or None) of each size group, smallest first.
SIZE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under-2000", 0, 1_999),
    ("2000-4999", 2_000, 4_999),
    ("5000-9999", 5_000, 9_999),
    ("10000-19999", 10_000, 19_999),
    ("20000-49999", 20_000, 49_999),
    ("50000-", 50_000, None),
)


def size_group_of(inhabitants: float) -> str:
    """The size group of a municipality with ``inhabitants``."""
    for code, low, high in SIZE_BANDS:
        if inhabitants >= low and (high is None or inhabitants <= high):
            return code
    raise ValueError(f"no size group for {inhabitants!r} inhabitants")  # pragma: no cover - bands tile ≥ 0


def size_groups(population: StatTable, year: int) -> dict[str, str]:
    """Each municipality's size group by its population (all ages) on 1 January of ``year``."""
    rows = plain(population.where(level="municipality", year=year, variable="population"))
    totals = sum_by(rows, ["region"])
    return {
        str(region): size_group_of(float(value))
        for region, value in zip(
            totals.column("region").to_pylist(), totals.column("value").to_pylist(), strict=True
        )
        if value is not None
    }


def group_members(groups: Mapping[str, str]) -> dict[str, list[str]]:
    """Group code → its municipalities, in the order of :data:`SIZE_BANDS`."""
    members: dict[str, list[str]] = {code: [] for code, _low, _high in SIZE_BANDS}
    for municipality, group in sorted(groups.items()):
        members.setdefault(group, []).append(municipality)
    return {code: codes for code, codes in members.items() if codes}


def sum_groups(
    table: StatTable,
    groups: Mapping[str, str],
    *,
    level: Level = Level.REGION_GROUP,
    grouping: str = "size_group",
) -> tuple[StatTable, dict[tuple[str, int, str], tuple[int, int]]]:
    """The municipality rows of ``table`` summed per group (rows of ``level``), with coverage.

    ``groups`` maps each municipality to its group (size groups, KOSTRA groups …); ``grouping`` names
    the grouping in the table's metadata.
    A group with a missing or suppressed part has no value (the status of the part), as every sum of the
    report; the coverage says, per group, year and variable, how many of its municipalities had rows.
    Non-additive variables are refused by the caller (only counts are summed here).
    """
    rows = plain(table.where(level="municipality"))
    codes = pa.array(list(groups), pa.string())
    mapped = pa.array([groups[c] for c in groups], pa.string())
    index = pc.index_in(rows.column("region"), value_set=codes)
    rows = rows.filter(pc.is_valid(index))
    group = pc.take(mapped, pc.index_in(rows.column("region"), value_set=codes))
    keys = [c for c in rows.column_names if c not in ("region", "level", "value", "status")]
    grouped = rows.set_column(rows.column_names.index("region"), "region", group)
    summed = sum_by(grouped, ["region", *keys])
    summed = summed.append_column("level", pa.array([level.value] * summed.num_rows, pa.string()))
    present = (
        pa.table(
            {
                "group": group,
                "year": rows.column("year"),
                "variable": rows.column("variable"),
                "municipality": rows.column("region"),
            }
        )
        .group_by(["group", "year", "variable"], use_threads=False)
        .aggregate([("municipality", "count_distinct")])
    )
    sizes = {code: len(members) for code, members in group_members(groups).items()}
    coverage = {
        (str(g), int(y), str(v)): (int(n), sizes.get(str(g), 0))
        for g, y, v, n in zip(
            *(
                present.column(c).to_pylist()
                for c in ("group", "year", "variable", "municipality_count_distinct")
            ),
            strict=True,
        )
    }
    return StatTable.from_arrow(
        summed, meta=attrs.evolve(table.meta, extra={**table.meta.extra, "grouping": grouping})
    ), coverage
