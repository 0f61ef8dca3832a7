"""Properties over generated publications: protected tables verify, and no secondary cell is idle.

Publications are municipality × unit (× month) counts with some of their margins — the total of each
municipality, month or unit — rolled up to a random set of county, health trust, DPS and national
levels, then protected as one publication and checked by the verifier.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samhandling.aggregate import roll_up
from samhandling.disclosure import DisclosureRules, protect, protect_publication, verify
from samhandling.tables import StatTable

from .conftest import ADMISSIONS, BUSKERUD, grid, with_totals

#: Buskerud and Nordland municipalities: several counties, health trusts and DPS catchments.
MUNICIPALITIES = (*BUSKERUD, "1804", "1806", "1811", "1812", "1813", "1815", "1816")
_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@st.composite
def publications(draw: st.DrawFn) -> list[StatTable]:
    regions = draw(st.lists(st.sampled_from(MUNICIPALITIES), min_size=2, max_size=6, unique=True))
    units = draw(st.sampled_from([("A", "B"), ("A", "B", "C")]))
    months: tuple[int | None, ...] = draw(st.sampled_from([(None,), (1, 2), (1, 2, 3)]))
    columns: dict[str, list[Any]] = {"region": [], "unit": [], "month": [], "value": []}
    for region in regions:
        for unit in units:
            for month in months:
                columns["region"].append(region)
                columns["unit"].append(unit)
                columns["month"].append(month)
                columns["value"].append(float(draw(st.integers(min_value=0, max_value=9))))
    n = len(columns["region"])
    data: dict[str, Any] = {**columns, "level": ["municipality"] * n, "year": [2024] * n}
    data["variable"] = ["admissions"] * n
    if months == (None,):
        del data["month"]
    base = StatTable.from_pydict(data, geography_year=2024, variables=[ADMISSIONS])
    plain = pa.table(
        {
            k: base.arrow[k].cast(pa.string()) if k in ("region", "unit") else base.arrow[k]
            for k in [c for c in ("region", "unit", "month", "value") if c in base.columns]
        }
    )
    parts = [base]
    margins = [("unit",)] + ([("month",), ("month", "unit")] if "month" in data else [])
    for dropped in margins:
        if draw(st.booleans()):
            keys = [c for c in plain.column_names if c not in (*dropped, "value")]
            summed = plain.group_by(keys, use_threads=False).aggregate([("value", "sum")])
            summed = summed.rename_columns([*keys, "value"])
            m = summed.num_rows
            parts.append(
                StatTable.from_pydict(
                    {
                        **{k: summed[k] for k in keys},
                        "level": ["municipality"] * m,
                        "year": [2024] * m,
                        "variable": ["admissions"] * m,
                        "value": summed["value"],
                    },
                    geography_year=2024,
                    variables=[ADMISSIONS],
                )
            )
    municipalities = StatTable.concat(parts)
    levels = draw(
        st.lists(st.sampled_from(["county", "health_trust", "dps", "national"]), unique=True, max_size=3)
    )
    return [
        municipalities,
        *(roll_up(municipalities, level, unassigned="exclude", partial="keep") for level in levels),
    ]


@_SETTINGS
@given(tables=publications(), threshold=st.sampled_from([3, 3, 5]))
def test_protected_publications_verify(tables: list[StatTable], threshold: int) -> None:
    protected = protect(tables, threshold=threshold)
    result = verify(protected)
    assert result.ok, result.failures
    for table in protected:
        values = [v for v in table.arrow.column("value").to_pylist() if v is not None]
        assert all(v == 0 or v >= threshold for v in values)


@_SETTINGS
@given(tables=publications())
def test_protection_that_hides_zeros_verifies_too(tables: list[StatTable]) -> None:
    rules = DisclosureRules(protect_zeros=True)
    assert verify(protect(tables, rules=rules), rules=rules).ok


def _publish(table: StatTable, key: tuple[str, str | None], value: float) -> StatTable:
    """The table with one suppressed cell published again (a mutation)."""
    arrow = table.arrow
    regions = arrow.column("region").to_pylist()
    units = arrow.column("unit").cast(pa.string()).to_pylist()
    mask = pa.array([(r, u) == key for r, u in zip(regions, units, strict=True)])
    arrow = arrow.set_column(
        arrow.column_names.index("value"), "value", pc.if_else(mask, value, arrow["value"])
    )
    status = pc.if_else(mask, pa.scalar(None, pa.string()), arrow["status"].cast(pa.string()))
    return table.with_arrow(arrow.set_column(arrow.column_names.index("status"), "status", status))


@st.composite
def one_small_count(draw: st.DrawFn) -> dict[tuple[str, str], float]:
    """A municipality × unit table where exactly one count is small and every other one is not."""
    regions = draw(st.lists(st.sampled_from(BUSKERUD), min_size=2, max_size=5, unique=True))
    units = draw(st.sampled_from([("A", "B"), ("A", "B", "C"), ("A", "B", "C", "D")]))
    values = {(r, u): float(draw(st.integers(min_value=3, max_value=40))) for r in regions for u in units}
    small = draw(st.sampled_from(sorted(values)))
    values[small] = float(draw(st.integers(min_value=1, max_value=2)))
    return values


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(inner=one_small_count(), national=st.booleans())
def test_publishing_any_one_secondary_cell_again_is_caught(
    inner: dict[tuple[str, str], float], national: bool
) -> None:
    counts = grid(with_totals(inner))
    tables = [counts, roll_up(counts, "national", partial="keep")] if national else [counts]
    result = protect_publication(tables)
    protected = list(result.tables)
    assert verify(protected).ok
    truth = {(r["region"], r["unit"]): r["value"] for r in counts.to_pylist()}
    hidden = [(r["region"], r["unit"]) for r in protected[0].to_pylist() if r["status"] == ":"]
    secondary = [key for key in hidden if truth[key] >= 3]
    assert secondary, "a small count needs company"
    for key in secondary:
        mutated = [_publish(protected[0], key, truth[key]), *protected[1:]]
        assert not verify(mutated).ok, f"publishing {key} again was not caught"
