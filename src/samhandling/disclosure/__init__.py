"""Disclosure control: no published table reveals a small count of people.

>>> import samhandling as sh
>>> published = sh.protect(admissions)                  # doctest: +SKIP
>>> from samhandling.disclosure import verify
>>> verify(published).ok                                # doctest: +SKIP
True

:func:`protect` suppresses counts of people below the threshold (primary), then enough other cells that
none of them can be worked out from the published cells and totals (secondary), and the rates and
shares computed from them; :func:`verify` proves it afterwards with linear programming.  The method,
the threshold and what is and is not protected are explained in ``docs/concepts/disclosure.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from samhandling._lazy import lazy_names

__all__ = [
    "DEFAULT_THRESHOLD",
    "DisclosureRules",
    "Protection",
    "ProtectionSummary",
    "Verification",
    "mark_unprotected",
    "protect",
    "protect_publication",
    "verify",
]

_LAZY = {
    "DEFAULT_THRESHOLD": "samhandling.disclosure.rules",
    "DisclosureRules": "samhandling.disclosure.rules",
    "Protection": "samhandling.disclosure.protection",
    "ProtectionSummary": "samhandling.disclosure.protection",
    "mark_unprotected": "samhandling.disclosure.protection",
    "protect": "samhandling.disclosure.protection",
    "protect_publication": "samhandling.disclosure.protection",
    "Verification": "samhandling.disclosure.verifier",
    "verify": "samhandling.disclosure.verifier",
}


__getattr__, __dir__ = lazy_names(globals(), _LAZY)


if TYPE_CHECKING:
    from samhandling.disclosure.protection import Protection as Protection
    from samhandling.disclosure.protection import ProtectionSummary as ProtectionSummary
    from samhandling.disclosure.protection import mark_unprotected as mark_unprotected
    from samhandling.disclosure.protection import protect as protect
    from samhandling.disclosure.protection import protect_publication as protect_publication
    from samhandling.disclosure.rules import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD
    from samhandling.disclosure.rules import DisclosureRules as DisclosureRules
    from samhandling.disclosure.verifier import Verification as Verification
    from samhandling.disclosure.verifier import verify as verify
