"""Numbers as a Norwegian reader expects them: decimal comma, a thin space between thousands.

Used by the charts and the HTML tables alike, so a figure looks the same in both.  A missing value is
shown with its SSB status symbol (``:`` suppressed, ``..`` not available), never as 0.
"""

from __future__ import annotations

import math

__all__ = ["format_cell", "format_change", "format_number", "format_percent"]

_THIN_SPACE = "\u202f"  # narrow no-break space: SSB's and the Language Council's thousands separator
_MINUS = "\u2212"  # a true minus sign, as in print


def format_number(value: float | None, decimals: int = 1, *, missing: str = "..") -> str:
    """``12345.67`` → ``"12 345,7"`` (with a narrow no-break space); ``None`` → the ``missing`` symbol."""
    if value is None or not math.isfinite(value):
        return missing
    text = f"{abs(value):,.{decimals}f}"
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", _THIN_SPACE)
    if round(value, decimals) < 0:
        return _MINUS + text
    return text


def format_percent(value: float | None, decimals: int = 0, *, missing: str = "..") -> str:
    """``57.25`` → ``"57 %"`` (the value is already in per cent)."""
    if value is None or not math.isfinite(value):
        return missing
    return f"{format_number(value, decimals)}\u00a0%"


def format_change(value: float | None, decimals: int = 1, *, missing: str = "..") -> str:
    """A change with its sign: ``+1,2`` or ``−0,4``."""
    if value is None or not math.isfinite(value):
        return missing
    text = format_number(value, decimals)
    return text if text.startswith(_MINUS) or round(value, decimals) == 0 else "+" + text


def format_cell(value: float | None, status: str | None, decimals: int = 1) -> str:
    """A table cell: the number, or the status symbol when the value is missing or special.

    ``-`` (nothing to report) is a true zero and is shown as ``-`` as SSB does.
    """
    if status:
        return status
    return format_number(value, decimals)
