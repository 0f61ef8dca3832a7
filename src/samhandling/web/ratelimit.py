"""At most ``calls`` requests in any ``window`` seconds: a sliding window over the times sent.

SSB allows 30 requests a minute from one address (PxWebApi v2 says so in ``/config`` as
``maxCallsPerTimeWindow`` and ``timeWindow``); the client waits before a request that would exceed it
rather than be answered ``429``.  The limit is per client object, in this process; other processes on
the same address are covered by honouring ``429`` with ``Retry-After``.
"""

from __future__ import annotations

import collections
import math
import typing
from collections.abc import Callable

from samhandling.errors import ValidationError

__all__ = ["RateLimit"]


@typing.final
class RateLimit:
    """A sliding-window limit; :meth:`acquire` waits until a request may be sent.

    ``calls`` and ``window`` may be changed while in use (the PxWebApi client sets them from
    ``/config`` once it has read it).
    """

    def __init__(self, calls: int, window: float) -> None:
        self.calls = calls
        self.window = window
        self._sent: collections.deque[float] = collections.deque()

    def __repr__(self) -> str:
        return f"RateLimit(calls={self.calls}, window={self.window})"

    @property
    def calls(self) -> int:
        """Requests allowed per window."""
        return self._calls

    @calls.setter
    def calls(self, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValidationError(f"a rate limit needs at least 1 call per window, not {value!r}")
        self._calls = value

    @property
    def window(self) -> float:
        """The window in seconds."""
        return self._window

    @window.setter
    def window(self, value: float) -> None:
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise ValidationError(f"a rate-limit window must be finite seconds ≥ 0, not {value!r}")
        self._window = float(value)

    def acquire(self, *, clock: Callable[[], float], sleep: Callable[[float], None]) -> float:
        """Wait (with ``sleep``) until one more request fits in the window; returns the time waited."""
        now = clock()
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        waited = 0.0
        while len(self._sent) >= self.calls:
            wait = self.window - (now - self._sent[0])
            if wait > 0:
                sleep(wait)
                waited += wait
            self._sent.popleft()
        self._sent.append(clock())
        return waited
