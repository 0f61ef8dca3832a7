"""Section «Sammendrag»: the key figures of the year from every section, and what the reader must know
first (harmonisation, areas left out, inputs set aside)."""

from __future__ import annotations

from collections.abc import Sequence

from samhandling.report.context import ReportContext
from samhandling.report.document import Headline, Note, Section
from samhandling.report.messages import msg

__all__ = ["summary_section"]


def summary_section(
    ctx: ReportContext, sections: Sequence[Section], notes: Sequence[str], warnings: Sequence[str] = ()
) -> Section:
    """The summary: every section's headlines in report order, then the notes and warnings."""
    headlines: list[Headline] = [h for s in sections for h in s.headlines]
    blocks = [Note(text=n) for n in notes] + [Note(text=w, kind="warning") for w in warnings]
    return Section(
        id="sammendrag",
        title=msg("summary.title"),
        intro=msg("summary.intro", year=ctx.year, map_year=ctx.geography.year),
        headlines=headlines,
        blocks=blocks,
    )
