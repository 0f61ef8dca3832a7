"""Primary suppression: the cells that are themselves too small to publish.

A published count of people from 1 to ``threshold - 1`` is primary; so is an event count (admissions)
whose cell has fewer than ``threshold`` distinct people behind it, when the people count is given
(Helsedirektoratet's rule that a published volume must come from several unique patients).  A part
that the publication does not show but that anyone can work out — an atom of the context, or what a
total has left once its published parts are taken away — is treated the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.disclosure.cells import ALL, REGION, TOLERANCE, TOTAL_CODES, Block
from samhandling.disclosure.rules import DisclosureRules
from samhandling.errors import DisclosureError
from samhandling.tables import StatTable

__all__ = ["contributor_cells", "primary_cells", "small"]


def small(values: np.ndarray, rules: DisclosureRules) -> np.ndarray:
    """Which values are counts too small to publish (NaN is never small: it has no value)."""
    low = -TOLERANCE if rules.protect_zeros else TOLERANCE
    with np.errstate(invalid="ignore"):
        found: np.ndarray = (values > low) & (values < rules.threshold - TOLERANCE)
    return found


def primary_cells(
    block: Block, rules: DisclosureRules, *, few_people: np.ndarray | None = None
) -> np.ndarray:
    """The primary cells of a block: published (or computable atom) cells with a small count.

    :param few_people: cells whose distinct-people count is small (see :func:`contributor_cells`).
    :raises DisclosureError: a total whose parts the publication leaves out and whose remainder is a
        small count (anyone can subtract the published parts from it).
    """
    value = block.value
    primary: np.ndarray = small(value, rules) & (block.published | block.atom)
    if few_people is not None:
        primary |= few_people & block.published & ~np.isnan(value) & (value > 0)
    if block.residual is not None:
        remainder = np.nan_to_num(block.residual)
        exposed = block.published & ~block.atom & small(remainder, rules) & (remainder > TOLERANCE)
        if exposed.any():
            c = int(np.flatnonzero(exposed)[0])
            raise DisclosureError(
                f"{block.describe(c)}: the published total is {value[c]:g} but its parts in the publication "
                f"sum to {value[c] - remainder[c]:g}, so the parts left out ({remainder[c]:g}) are a count "
                f"below {rules.threshold} that anyone can work out; add the missing parts (e.g. unknown "
                f"municipality 9999) to the publication or leave the total out"
            )
    return primary


def contributor_cells(
    block: Block, tables: Sequence[StatTable], variable: str, rules: DisclosureRules
) -> np.ndarray:
    """Cells of ``block`` whose distinct-people count (``variable`` in ``tables``) is small."""
    found = np.zeros(block.size, bool)
    for table in tables:
        arrow = table.arrow
        if not arrow.num_rows or variable not in table.variable_ids():
            continue
        rows = arrow.filter(
            pc.and_(
                pc.equal(arrow.column("variable").cast(pa.string()), variable),
                pc.equal(arrow.column("year"), block.year),
            )
        )
        if not rows.num_rows:
            continue
        values = pc.fill_null(rows.column("value"), math.nan).to_numpy(zero_copy_only=False).astype(float)
        cells = locate(block, rows)
        hit = (cells >= 0) & small(values, rules)
        found[cells[hit]] = True
    return found


def locate(block: Block, rows: pa.Table) -> np.ndarray:
    """The cell of ``block`` each row has the key of (-1 where the block has no such cell)."""
    n = rows.num_rows
    codes = np.zeros(n, np.int64)
    missing = np.zeros(n, bool)
    for k, dim in enumerate(block.dims):
        index = {label: i for i, label in enumerate(dim.nodes)}
        labels: list[Any]
        if dim.name == REGION:
            labels = list(
                zip(
                    rows.column("level").cast(pa.string()).to_pylist(),
                    rows.column("region").cast(pa.string()).to_pylist(),
                    strict=True,
                )
            )
        elif dim.name in rows.column_names:
            labels = [
                ALL if v is None or str(v).strip().casefold() in TOTAL_CODES else str(v)
                for v in rows.column(dim.name).cast(pa.string()).to_pylist()
            ]
        else:
            labels = [ALL] * n
        node = np.array([index.get(label, -1) for label in labels], np.int64)
        missing |= node < 0
        codes += np.maximum(node, 0) * block.strides[k]
    cells = block.cells_of(codes)
    return np.where(missing, -1, cells)
