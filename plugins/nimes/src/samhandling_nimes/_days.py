"""Day numbers → months and days to the end of the month, by lookup tables.

Dates in an extract become day numbers (days since 1970-01-01, the way Arrow stores ``date32``).  The
month of a day and the nights left in its month are looked up in tables indexed by the day number itself
(about three times faster than computing them), for days from 1900 to 2199.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

# Months are counted from January 1900 so that every index is non-negative.
_BASE_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_LAST_DAY = int(np.datetime64("2200-01-01", "D").astype(np.int64))
_DAY_TO_MONTH: npt.NDArray[np.int32] = (
    np.arange(_BASE_DAY, _LAST_DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 840
).astype(np.int32)
_MONTH_START: npt.NDArray[np.int64] = (
    (np.arange(0, 300 * 12 + 1) - 840).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
)


def _month_of_days(days: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Month index (months since January 1900) of day numbers, by table lookup.

    ``numpy.take`` rather than ``table[days]``: the same gather at about half the cost.
    """
    months: npt.NDArray[np.int32] = np.take(_DAY_TO_MONTH_WRAPPED, days)
    return months


def _wrapped(by_day: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A day-indexed table laid out so that the day number itself is the index.

    Days from 1970 on come first; days before 1970 are negative and index from the end, the way numpy
    reads negative indices.  Looking a day up then costs one gather and no subtraction.
    """
    return np.concatenate([by_day[-_BASE_DAY:], by_day[:-_BASE_DAY]])


_DAY_TO_MONTH_WRAPPED: npt.NDArray[np.int32] = _wrapped(_DAY_TO_MONTH)


#: Days from a day to the end of its month, inclusive (31 January → 1), by day number.
_REST_OF_MONTH: npt.NDArray[np.int32] = (
    _MONTH_START[_DAY_TO_MONTH + 1] - np.arange(_BASE_DAY, _LAST_DAY)
).astype(np.int32)


_REST_OF_MONTH_WRAPPED: npt.NDArray[np.int32] = _wrapped(_REST_OF_MONTH)
