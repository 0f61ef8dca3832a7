"""The verifier: proves from a published set of tables that no suppressed count can be worked out.

It takes what an outsider has — the published numbers, the sums that tie the cells together, that
counts are never negative and that a suppressed whole count is at least 1 (zeros are published) — and
asks a linear program (HiGHS, through :func:`scipy.optimize.linprog`) for the smallest and largest value
every suppressed cell can have.  Protection holds when, for every suppressed cell,

* the interval is wider than zero: the published figures do not determine the cell, and
* the interval reaches the threshold: they cannot even show that the cell is a small count,

and, if ``min_width`` is given, the interval is at least that wide.  Rates published next to their
counts are read as the counts they come from (the population is public), so ``context`` must hold the
counts behind published rates.  A linear program bounds what an attacker can prove with sums and
signs; the whole-number nature of counts can only narrow an interval whose ends are not whole numbers,
which the margin of ``1e-6`` does not cover (see ``docs/concepts/disclosure.md``).
"""

from __future__ import annotations

import math
import typing
from collections.abc import Sequence

import attrs
import numpy as np
import pyarrow.compute as pc

from samhandling.disclosure.cells import Block, Publication, ancestor_grid, build_publication
from samhandling.disclosure.rules import DisclosureRules
from samhandling.errors import DisclosureError
from samhandling.tables import StatTable

if typing.TYPE_CHECKING:
    from samhandling.geography import Geography

__all__ = ["CellInterval", "Verification", "verify"]

_EPS = 1e-6


@typing.final
@attrs.frozen(kw_only=True)
class CellInterval:
    """What an outsider can prove about one suppressed cell: ``low <= value <= high``."""

    cell: str
    low: float
    high: float

    @property
    def width(self) -> float:
        """``high - low`` (``inf`` when nothing bounds the cell from above)."""
        return self.high - self.low


@typing.final
@attrs.frozen(kw_only=True)
class Verification:
    """The verdict on a publication: every suppressed cell's interval, and the ones that fail."""

    threshold: int
    intervals: tuple[CellInterval, ...]
    failures: tuple[str, ...]
    min_width: float | None = None

    @property
    def ok(self) -> bool:
        """Whether every suppressed cell is protected."""
        return not self.failures

    @property
    def checked(self) -> int:
        """How many suppressed cells were checked."""
        return len(self.intervals)

    def raise_for_failures(self) -> None:
        """Raise :class:`~samhandling.errors.DisclosureError` listing the first failures."""
        if self.failures:
            shown = "; ".join(self.failures[:5])
            more = f" (and {len(self.failures) - 5} more)" if len(self.failures) > 5 else ""
            raise DisclosureError(f"{len(self.failures)} suppressed cell(s) are not protected: {shown}{more}")


def verify(
    tables: StatTable | Sequence[StatTable],
    *,
    context: Sequence[StatTable] = (),
    threshold: int | None = None,
    rules: DisclosureRules | None = None,
    min_width: float | None = None,
    geography: Geography | None = None,
) -> Verification:
    """Check that the suppressed cells of a published set of tables are protected.

    :param tables: the published tables (as written: suppressed rows have status ``:``).
    :param context: counts behind published rates (their values are read only where a published rate
        shows them; suppressed ones stay unknown).
    :param threshold: the threshold the publication was protected with (default: what its metadata
        records, else 3).
    :param min_width: also require every interval to be at least this wide.
    """
    published = [tables] if isinstance(tables, StatTable) else list(tables)
    chosen = rules or _recorded_rules(published) or DisclosureRules()
    if threshold is not None:
        chosen = attrs.evolve(chosen, threshold=threshold)
    publication = build_publication(published, context=list(context), geography=geography)
    shown, hidden = _shown(publication)
    intervals: list[CellInterval] = []
    failures: list[str] = []
    for b, block in enumerate(publication.blocks):
        for cell in np.flatnonzero(shown[b] & hidden[b]).tolist():
            failures.append(
                f"{block.describe(cell)} is suppressed in one row but shown in another (a count and its rate)"
            )
        found = _block_intervals(block, shown[b], hidden[b], chosen)
        for cell, low, high in found:
            name = block.describe(cell)
            intervals.append(CellInterval(cell=name, low=low, high=high))
            if high - low <= _EPS:
                failures.append(f"{name} is determined: it must be {low:g}")
            elif high < chosen.threshold - _EPS:
                failures.append(f"{name} is shown to be a small count: at most {high:g}")
            elif min_width is not None and high - low < min_width - _EPS:
                failures.append(f"{name} lies in [{low:g}, {high:g}], narrower than {min_width:g}")
    return Verification(
        threshold=chosen.threshold, intervals=tuple(intervals), failures=tuple(failures), min_width=min_width
    )


def _recorded_rules(tables: Sequence[StatTable]) -> DisclosureRules | None:
    for table in tables:
        record = table.meta.extra.get("disclosure") or {}
        rules = record.get("rules") if isinstance(record, dict) else None
        if isinstance(rules, dict) and "threshold" in rules:
            return DisclosureRules(
                threshold=int(rules["threshold"]), protect_zeros=bool(rules.get("protect_zeros", False))
            )
    return None


def _shown(publication: Publication) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per block, which cells a published row shows with a number (a count, or a rate of it), and
    which a published row suppresses."""
    shown = [np.zeros(b.size, bool) for b in publication.blocks]
    hidden = [np.zeros(b.size, bool) for b in publication.blocks]
    for link in publication.links:
        table = publication.tables[link.table]
        value = table.arrow.column("value")
        has = pc.is_valid(value).to_numpy(zero_copy_only=False)[link.rows]
        status = table.arrow.column("status").cast("string")
        colon = pc.fill_null(pc.equal(status, ":"), False).to_numpy(zero_copy_only=False)[link.rows]
        if status.null_count != len(status):
            ordinary = pc.fill_null(pc.equal(status, "-"), True)
            has &= ordinary.to_numpy(zero_copy_only=False)[link.rows]
        shown[link.block][link.cells[has]] = True
        hidden[link.block][link.cells[colon]] = True
    return shown, hidden


def _block_intervals(
    block: Block, shown: np.ndarray, suppressed: np.ndarray, rules: DisclosureRules
) -> list[tuple[int, float, float]]:
    """``(cell, low, high)`` for every suppressed (``:``) cell of the block that is not shown.

    Other cells without a number (``..``: a total whose parts are not all in the table, a value not
    available) are unknowns of the linear program but not checked: they were not hidden to protect
    anyone, and a partial total is not the sum of the parts the table holds.
    """
    from scipy import sparse
    from scipy.optimize import linprog
    from scipy.sparse.csgraph import connected_components

    targets = np.flatnonzero(block.published & ~shown & suppressed)
    if not targets.size:
        return []
    atoms = np.flatnonzero(block.atom)
    codes, weights = ancestor_grid(block, atoms)
    above = block.cells_of(codes.reshape(-1)).reshape(codes.shape)
    valid = (above >= 0) & (weights != 0)
    columns = np.broadcast_to(np.arange(atoms.size)[:, None], codes.shape)
    matrix = sparse.csr_matrix(
        (weights[valid], (above[valid], columns[valid])), shape=(block.size, atoms.size)
    )
    known_atom = shown[atoms]
    unknown = np.flatnonzero(~known_atom)
    value = np.nan_to_num(block.value)
    constant = matrix[:, np.flatnonzero(known_atom)] @ value[atoms[known_atom]]
    free = matrix[:, unknown].tocsr()
    lower_cell = np.where(block.whole, rules.suppressed_lower_bound, 0.0)
    # Equalities: shown totals.  A total with parts the publication leaves out bounds its parts instead.
    residual = np.nan_to_num(block.residual) if block.residual is not None else np.zeros(block.size)
    has_free = np.diff(free.indptr) > 0
    equal = shown & ~block.atom & has_free & (residual <= _EPS * np.maximum(1.0, np.abs(value)))
    partial = shown & ~block.atom & has_free & ~equal
    hidden = block.published & ~shown & ~block.atom & has_free
    bounds_low = np.zeros(unknown.size)
    atom_cells = atoms[unknown]
    suppressed_atom = block.published[atom_cells] & ~shown[atom_cells]
    bounds_low[suppressed_atom] = lower_cell[atom_cells[suppressed_atom]]
    rows_eq = np.flatnonzero(equal)
    rows_ub = np.concatenate([np.flatnonzero(partial), np.flatnonzero(hidden)])
    a_eq = free[rows_eq]
    b_eq = value[rows_eq] - constant[rows_eq]
    a_ub = sparse.vstack([free[np.flatnonzero(partial)], -free[np.flatnonzero(hidden)]]).tocsr()
    b_ub = np.concatenate(
        [
            value[np.flatnonzero(partial)] - constant[np.flatnonzero(partial)],
            -(lower_cell[np.flatnonzero(hidden)] - constant[np.flatnonzero(hidden)]),
        ]
    )
    # Split into independent parts: unknown atoms linked by a constraint.
    links = sparse.vstack([a_eq, a_ub]).tocsr() if (rows_eq.size or rows_ub.size) else None
    if links is not None and links.shape[0]:
        pattern = (abs(links) > 0).astype(np.int8)
        graph = (pattern.T @ pattern).tocsr()
        _n, component = connected_components(graph, directed=False)
    else:
        component = np.arange(unknown.size)
    out: list[tuple[int, float, float]] = []
    target_rows = free[targets]
    for i, cell in enumerate(targets.tolist()):
        objective = target_rows[i].toarray().ravel()
        involved = np.flatnonzero(objective)
        if not involved.size:
            low = high = float(constant[cell])
            out.append((cell, low, high))
            continue
        keep = np.isin(component, np.unique(component[involved]))
        cols = np.flatnonzero(keep)
        eq_rows = _rows_within(a_eq, keep)
        ub_rows = _rows_within(a_ub, keep)
        bounds = [(float(bounds_low[j]), None) for j in cols.tolist()]
        c = objective[cols]
        results = []
        for direction in (1.0, -1.0):
            solved = linprog(
                direction * c,
                A_ub=a_ub[ub_rows][:, cols] if ub_rows.size else None,
                b_ub=b_ub[ub_rows] if ub_rows.size else None,
                A_eq=a_eq[eq_rows][:, cols] if eq_rows.size else None,
                b_eq=b_eq[eq_rows] if eq_rows.size else None,
                bounds=bounds,
                method="highs",
            )
            if solved.status == 3:  # unbounded
                results.append(math.inf if direction < 0 else -math.inf)
            elif solved.status != 0:
                raise DisclosureError(
                    f"{block.describe(cell)}: the published figures cannot all be true together "
                    f"({solved.message}); check the totals of the publication"
                )
            else:
                results.append(direction * float(solved.fun))
        low = float(constant[cell]) + results[0]
        high = float(constant[cell]) + results[1]
        out.append((cell, low, high))
    return out


def _rows_within(matrix: typing.Any, keep: np.ndarray) -> np.ndarray:
    """Rows of a sparse matrix whose nonzero columns are all among ``keep`` (and not empty)."""
    if not matrix.shape[0]:
        return np.empty(0, np.int64)
    pattern = (abs(matrix.tocsr()) > 0).astype(np.int64)
    inside = pattern @ keep.astype(np.int64)
    lengths = np.diff(pattern.indptr)
    return np.flatnonzero((lengths > 0) & (inside == lengths))
