"""Counting stays by direct addressing: a dense grid of months × units × home municipalities.

The key space of an extract is small and known (some hundred municipalities × some hundred months ×
some dozen units), so every count is a ``numpy.add.at`` on the flat position of its key in a dense
array — no hashing, no sorting, no per-batch tables.  Bed-days are split over calendar months without
splitting any stay: see :func:`_add_bed_days`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from samhandling_nimes._days import (
    _DAY_TO_MONTH_WRAPPED,
    _MONTH_START,
    _REST_OF_MONTH_WRAPPED,
    _month_of_days,
)

#: The admissions with their flags, as four counts per (month, unit, area): planned voluntary, acute,
#: involuntary, acute and involuntary.  One ``numpy.add.at`` counts all three variables.
_STARTS = "_starts"
_CHANNELS = 4
#: The discharges per (month, unit, area), packed into 64 bits: the number of stays ending in the high
#: half, the sum of their days to the end of the month (at most 31 each) in the low half, so that one
#: ``numpy.add.at`` per stay end counts both (see :func:`_fold_ends`).
_ENDS = "_ends"
_HIGH = np.int64(1 << 32)
_LOW = np.int64(0xFFFFFFFF)
#: Fold the packed ends into the counts before the low halves could overflow: a cell then holds the
#: days of at most this many stays (31 × 2**27 < 2**32).
PACK_LIMIT = 1 << 27
#: One stay end and its days to the end of the month, packed, by day number.
_PACKED_REST_WRAPPED: npt.NDArray[np.int64] = _REST_OF_MONTH_WRAPPED.astype(np.int64) + _HIGH
#: One, as a 32-bit number: ``numpy.add.at`` takes its fast path only when the types match exactly.
_ONE = np.int32(1)


@attrs.define
class _Grid:
    """Counts per (month, unit, municipality), growing as new months, units and areas appear."""

    first_month: int = -1
    counts: dict[str, npt.NDArray[np.int32]] = attrs.field(factory=dict)

    dims: tuple[int, int, int] = (0, 0, 0)
    #: the table of :meth:`day_offsets` for the current shape (``None``: to be made)
    offsets: npt.NDArray[Any] | None = attrs.field(default=None, eq=False)

    def day_offsets(self) -> npt.NDArray[Any]:
        """Per day number, where its month begins in the flat counts: ``(month - first month) × units ×
        areas`` (a table indexed by the day itself, see :mod:`samhandling_nimes._days`).

        One lookup then gives a stay's month and its place in the counts together.  32-bit where the
        four-channel counts allow (half the memory traffic); days outside the counted months are never
        looked up.
        """
        if self.offsets is None:
            t, u, m = self.dims
            index_type = np.int32 if t * u * m * _CHANNELS < 2**31 else np.int64
            offsets = (_DAY_TO_MONTH_WRAPPED.astype(np.int64) - self.first_month) * (u * m)
            self.offsets = offsets.astype(index_type)
        return self.offsets

    def shape(self) -> tuple[int, int, int]:
        """(months, units, areas) of the arrays, headroom included."""
        return self.dims

    def ensure(self, first: int, last: int, units: int, areas: int, names: Sequence[str]) -> None:
        """Make room for months ``first…last``, ``units`` units and ``areas`` areas."""
        t, u, m = self.shape()
        if self.first_month < 0:
            self.first_month = first
        new_first = min(self.first_month, first)
        new_t = max(self.first_month + t, last + 1) - new_first
        new_u, new_m = max(u, units), max(m, areas)
        if (new_first, new_t, new_u, new_m) == (self.first_month, t, u, m) and all(
            n in self.counts for n in names
        ):
            return
        # double the months at a time, so that a date-sorted stream copies the arrays only a few times
        # (the untouched headroom of a fresh zeroed array costs no memory)
        if new_t > t and t:
            new_t = max(new_t, 2 * t)
        new_u = max(new_u, u + 8) if new_u > u and u else new_u
        new_m = max(new_m, m + 32) if new_m > m and m else new_m
        grown: dict[str, npt.NDArray[np.int32]] = {}
        shift = self.first_month - new_first
        for name in dict.fromkeys([*self.counts, *names]):
            # the array of the admissions and their flags has four counts per area (see _count_batch)
            channels = _CHANNELS if name == _STARTS else 1
            # 32-bit counts: a cell holds one municipality's stays of one unit in one month
            array = np.zeros((new_t, new_u, new_m * channels), dtype=np.int64 if name == _ENDS else np.int32)
            old = self.counts.pop(name, None)
            if old is not None:
                array[shift : shift + t, :u, : m * channels] = old
                del old
            grown[name] = array
        self.counts = grown
        self.first_month = new_first
        self.dims = (new_t, new_u, new_m)
        self.offsets = None

    def trim(self, months: int, units: int, areas: int) -> None:
        """Cut the counts to the months, units and areas used (contiguous copies of that part)."""
        for name, array in self.counts.items():
            channels = array.shape[2] // self.dims[2] if self.dims[2] else 1
            self.counts[name] = np.ascontiguousarray(array[:months, :units, : areas * channels])
        self.dims = (months, units, areas)
        self.offsets = None

    def unit_area(self, unit: npt.NDArray[np.int32], area: npt.NDArray[np.int32]) -> npt.NDArray[np.intp]:
        """The unit × area part of the key (computed once per batch)."""
        _, _, m = self.shape()
        result: npt.NDArray[np.intp] = unit.astype(np.intp)
        result *= m
        result += area
        return result

    def flat(self, name: str) -> npt.NDArray[np.int32]:
        """The named counts as one flat array (a view), for ``numpy.add.at``."""
        view: npt.NDArray[np.int32] = self.counts[name].reshape(-1)
        return view

    def flat_keys(
        self, month: npt.NDArray[np.int32], unit_area: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.intp]:
        """Positions of (month, unit, area) in the flat arrays."""
        _, u, m = self.shape()
        key: npt.NDArray[np.intp] = month.astype(np.intp)
        key -= self.first_month
        key *= u * m
        key += unit_area
        return key

    def add(
        self,
        name: str,
        month: npt.NDArray[np.int32],
        unit: npt.NDArray[np.int32],
        area: npt.NDArray[np.int32],
        weights: npt.NDArray[Any] | None = None,
    ) -> None:
        """Add one (or ``weights``) per row at (month, unit, area), in place."""
        if month.size == 0:
            return
        key = self.flat_keys(month, self.unit_area(unit, area))
        np.add.at(self.flat(name), key, _ONE if weights is None else weights)


def _add_bed_days(
    grid: _Grid,
    admit: npt.NDArray[np.int32],
    discharge: npt.NDArray[np.int32],
    unit_area: npt.NDArray[np.intp],
) -> None:
    """Nights from ``admit`` to ``discharge - 1``, split over the calendar months they fall in.

    A stay is a ramp that starts at admission minus one that starts at discharge.  A ramp adds the
    rest of its first month there and whole months after it; the whole months are counted as the
    running sum of starts minus ends per (unit, area) (``_occupancy``), multiplied by the days of each
    month in :func:`_finish_bed_days`.  No stay is split row by row.
    """
    if admit.size == 0:
        return
    start = grid.flat_keys(_month_of_days(admit), unit_area)
    end = grid.flat_keys(_month_of_days(discharge), unit_area)
    np.add.at(grid.flat("bed_days"), start, _REST_OF_MONTH_WRAPPED[admit])
    np.subtract.at(grid.flat("bed_days"), end, _REST_OF_MONTH_WRAPPED[discharge])
    np.add.at(grid.flat("_occupancy"), start, _ONE)
    np.subtract.at(grid.flat("_occupancy"), end, _ONE)


def _count_batch(
    grid: _Grid,
    names: Sequence[str],
    admit: npt.NDArray[np.int32],
    ends: npt.NDArray[np.int32],
    unit_area: npt.NDArray[np.int32],
    flags: Mapping[str, npt.NDArray[np.bool_]],
) -> None:
    """Admissions, the flag counts and bed-days of one batch, added in place by direct addressing.

    ``numpy.add.at`` on the dictionary codes writes straight into the 32-bit counts: no per-batch
    tables, no filtering of rows, and no histogram of the whole key space (a date-sorted batch touches a
    few months of it).  The place of a day's month in the counts is looked up from the day itself
    (:meth:`_Grid.day_offsets`), so a stay's key is one lookup and one addition.  Admissions count as
    the starts of the occupancy that :func:`_finish_bed_days` turns into whole months of bed-days.

    :param ends: the discharge day of each stay (its admission day while it is still going on).
    :param unit_area: ``unit * areas + area`` with the grid's number of areas.
    """
    if admit.size == 0:
        return
    offsets = grid.day_offsets()
    key: npt.NDArray[Any] = np.take(offsets, admit)
    key += unit_area
    if flags:
        # one count for admissions and both flags: the flags pick one of four counts per key
        coded: npt.NDArray[Any] = key << 2
        acute = flags.get("acute_admissions")
        if acute is not None:
            coded += acute.view(np.uint8)
        involuntary = flags.get("involuntary_stays")
        if involuntary is not None:
            coded += involuntary.view(np.uint8) << np.uint8(1)
        np.add.at(grid.flat(_STARTS), coded, _ONE)
        del coded
    else:
        np.add.at(grid.flat("_admissions"), key, _ONE)
    if "bed_days" in names:
        np.add.at(grid.flat("bed_days"), key, np.take(_REST_OF_MONTH_WRAPPED, admit))
        end: npt.NDArray[Any] = np.take(offsets, ends)
        end += unit_area
        np.add.at(grid.flat(_ENDS), end, np.take(_PACKED_REST_WRAPPED, ends))


def _fold_ends(grid: _Grid) -> None:
    """Take the packed stay ends (see ``_ENDS``) out of ``bed_days`` and ``_occupancy``, and clear them."""
    ends = grid.counts[_ENDS]
    grid.counts["bed_days"] -= (ends & _LOW).astype(np.int32)
    grid.counts["_occupancy"] -= (ends >> 32).astype(np.int32)
    ends[...] = 0


def _finish_bed_days(grid: _Grid, *, starts: str | None = None) -> None:
    """Add the whole months: stays in care at the start of a month × the days of the month.

    :param starts: a further array of stay starts (the admissions) to count into the occupancy.
    """
    change = grid.counts.pop("_occupancy")
    if starts is not None:
        change += grid.counts[starts]
    occupancy = np.cumsum(change, axis=0, out=change)
    t = grid.shape()[0]
    lengths = np.diff(_MONTH_START[grid.first_month : grid.first_month + t + 1]).astype(np.int32)
    # stays in care at the start of month k are those begun and not ended before it
    grid.counts["bed_days"][1:] += occupancy[:-1] * lengths[1:, None, None]
