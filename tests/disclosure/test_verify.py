"""verify(): what an outsider can prove about each suppressed cell from a published set of tables."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from samhandling.disclosure import DisclosureRules, protect, verify
from samhandling.errors import DisclosureError
from samhandling.tables import StatTable

from .conftest import grid, publication, with_totals


def _hide(table: StatTable, keys: set[tuple[str, str | None]]) -> StatTable:
    """The table with the rows of ``keys`` shown as ``:`` (suppression by hand)."""
    arrow = table.arrow
    regions = arrow.column("region").to_pylist()
    units = arrow.column("unit").cast(pa.string()).to_pylist()
    mask = pa.array([(r, u) in keys for r, u in zip(regions, units, strict=True)])
    arrow = arrow.set_column(
        arrow.column_names.index("value"),
        "value",
        pc.if_else(mask, pa.scalar(None, pa.float64()), arrow["value"]),
    )
    arrow = arrow.set_column(
        arrow.column_names.index("status"),
        "status",
        pc.if_else(mask, pa.scalar(":"), arrow["status"].cast(pa.string())),
    )
    return table.with_arrow(arrow)


INNER = {("3301", "A"): 12.0, ("3301", "B"): 1.0, ("3303", "A"): 9.0, ("3303", "B"): 7.0}


def test_a_small_count_hidden_alone_is_worked_out_from_its_total() -> None:
    table = _hide(grid(with_totals(INNER)), {("3301", "B")})
    result = verify(table)
    assert not result.ok
    assert result.checked == 1
    assert "determined: it must be 1" in result.failures[0]
    with pytest.raises(DisclosureError, match="not protected"):
        result.raise_for_failures()


def test_two_ones_hidden_together_are_found_out_because_counts_are_at_least_one() -> None:
    inner = {("3301", "A"): 1.0, ("3301", "B"): 1.0, ("3303", "A"): 9.0, ("3303", "B"): 7.0}
    table = _hide(grid(with_totals(inner)), {("3301", "A"), ("3301", "B")})
    result = verify(table)
    assert not result.ok  # the total is 2, and neither can be 0 (zeros are published)
    assert all("must be 1" in f for f in result.failures)


def test_a_cell_that_can_only_be_small_is_reported() -> None:
    inner = {("3301", "A"): 1.0, ("3301", "B"): 2.0, ("3303", "A"): 9.0, ("3303", "B"): 7.0}
    table = _hide(grid(with_totals(inner)), {("3301", "A"), ("3301", "B")})
    result = verify(table)
    assert any("small count: at most 2" in f for f in result.failures)


def test_protected_tables_pass_and_every_interval_reaches_the_threshold() -> None:
    protected = protect(publication({**INNER, ("3305", "A"): 2.0, ("3305", "B"): 8.0}, levels=("county",)))
    result = verify(protected)
    assert result.ok, result.failures
    assert result.checked >= 4
    assert all(i.high >= 3 and i.width > 0 for i in result.intervals)
    assert result.threshold == 3  # read from the tables' metadata


def test_a_stricter_width_can_be_asked_for() -> None:
    protected = protect(publication({**INNER, ("3305", "A"): 2.0, ("3305", "B"): 8.0}))
    widest = max(i.width for i in verify(protected).intervals)
    assert not verify(protected, min_width=widest + 1).ok


def test_a_rate_next_to_a_hidden_count_gives_it_away() -> None:
    counts = grid(with_totals(INNER))
    from .test_protect import _rates

    rates = _rates(counts)
    hidden_counts = protect(counts)
    assert not verify([hidden_counts, rates], context=[counts]).ok  # the rates were published unprotected
    protected = protect([counts, rates])
    assert verify(protected).ok


def test_unprotected_zeros_mean_no_suppressed_cell_is_zero() -> None:
    rules = DisclosureRules(protect_zeros=True)
    inner = {("3301", "A"): 0.0, ("3301", "B"): 9.0, ("3303", "A"): 8.0, ("3303", "B"): 7.0}
    protected = protect(publication(inner), rules=rules)
    assert verify(protected, rules=rules).ok
