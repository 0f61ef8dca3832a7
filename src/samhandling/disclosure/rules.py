"""The rules a publication follows: which counts are too small to publish, and what an outsider knows.

The default threshold follows the Norwegian publishers of this field's statistics (sources in
``docs/concepts/disclosure.md``): Statistics Norway suppresses cells "based on fewer than three
observations" and marks them ``:``; Helsedataservice, which hands out the health registers' data
(NPR, KPR), calls numbers "under three" the usual risk.  So a count of 1 or 2 people is never
published; 0 is (a true zero reveals nobody, SSB's ``-``), unless ``protect_zeros`` asks for FHI's
Kommunehelsa practice of hiding every count up to the limit.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping

import attrs

from samhandling.errors import DisclosureError

__all__ = ["DEFAULT_CONTRIBUTORS", "DEFAULT_THRESHOLD", "DisclosureRules"]

#: Counts below this are suppressed: 1 and 2 people are never published ("færre enn 3").
DEFAULT_THRESHOLD = 3

#: Event counts and the variable that counts the distinct people behind the same cell.
DEFAULT_CONTRIBUTORS: Mapping[str, str] = {"admissions": "patients"}


def _threshold(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DisclosureError(f"threshold: expected a whole number of people of at least 1, got {value!r}")


def _contributors(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@typing.final
@attrs.frozen(kw_only=True)
class DisclosureRules:
    """What a published table may not reveal.

    ``threshold``: a count of people from 1 to ``threshold - 1`` is a *primary* cell, suppressed with
    status ``:`` and no value.  ``protect_zeros``: suppress 0 as well (FHI's practice); by default a
    zero is published, and an outsider may then take every suppressed count to be at least 1.
    ``contributors``: an event count (admissions) whose cell has fewer than ``threshold`` distinct
    people behind it (patients) is primary too, so that one person's five stays are not published as
    "5"; it applies when the publication or its context holds the people count for the same cell.
    """

    threshold: int = attrs.field(default=DEFAULT_THRESHOLD, validator=_threshold)
    protect_zeros: bool = False
    contributors: dict[str, str] = attrs.field(
        factory=lambda: dict(DEFAULT_CONTRIBUTORS), converter=_contributors
    )

    @property
    def suppressed_lower_bound(self) -> float:
        """What an outsider knows about any suppressed whole count: at least 1, or 0 if zeros hide too."""
        return 0.0 if self.protect_zeros else 1.0

    def describe(self) -> str:
        """The rule in one sentence, as printed in provenance and on the command line."""
        low = 0 if self.protect_zeros else 1
        return (
            f"counts of people from {low} to {self.threshold - 1} are suppressed (':'), and so is every "
            f"figure or total that would reveal one"
        )

    def to_dict(self) -> dict[str, object]:
        """The rules as JSON-ready values (as written in a table's provenance)."""
        return {
            "threshold": self.threshold,
            "protect_zeros": self.protect_zeros,
            "contributors": dict(self.contributors),
        }
