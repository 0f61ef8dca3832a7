"""How tables, findings and maps show themselves in a notebook (Jupyter, VS Code, JupyterLite).

Each ``_repr_html_`` of the library calls one function here.  The HTML is short — the first rows, not
the whole table — and says what a reader needs to trust the numbers: the unit of each variable, what
each status symbol in view means, and where the data came from.  Every text that comes from data or
files is escaped.  Building it reads a handful of rows and a few column statistics, never the whole
table row by row.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from samhandling.checks import Finding
    from samhandling.geography import Geography
    from samhandling.tables import StatTable

__all__ = ["MAX_FINDINGS", "MAX_ROWS", "findings_html", "geography_html", "stattable_html"]

MAX_ROWS = 10
"""Rows of a StatTable shown in a notebook (the first ones; ``table.arrow`` has them all)."""
MAX_FINDINGS = 50
"""Findings shown in a notebook, errors first (the list itself has them all)."""

_STYLE = (
    "<style>.samhandling table{border-collapse:collapse;margin:.3em 0}"
    ".samhandling th,.samhandling td{padding:.15em .6em;text-align:left;vertical-align:top}"
    ".samhandling td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".samhandling .muted{opacity:.7}.samhandling summary{cursor:pointer}</style>"
)
_SEVERITY_MEANING = {
    "error": "must be fixed before the figures are published",
    "warning": "look at it: it may be right, but it is unusual",
    "info": "for information: what a check could not do, or noticed",
}
_SEVERITY_SYMBOL = {"error": "✖", "warning": "▲", "info": "·"}


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] = ()) -> str:
    """An HTML table of already escaped cells."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if index < len(numeric) and numeric[index] else f"<td>{cell}</td>"
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _wrap(title: str, *parts: str) -> str:
    return f'{_STYLE}<div class="samhandling"><strong>{title}</strong>{"".join(parts)}</div>'


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.10g}".replace(",", "\u2009")
    return _e(value)


# -------------------------------------------------------------------------------------------------
# StatTable
# -------------------------------------------------------------------------------------------------


def stattable_html(table: StatTable) -> str:
    """The head of ``table`` with its variables (units), the status symbols it holds, and its sources."""
    from samhandling.tables import STATUS_SYMBOLS, Status

    years = table.years()
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "no years")
    title = _e(table.meta.title or table.meta.source or "StatTable")
    facts = (
        f"{table.num_rows:,} rows".replace(",", "\u2009")
        + f", years {span}, levels {_e(', '.join(table.levels()) or 'none')}"
        + (f", on the {table.geography_year} map" if table.geography_year is not None else ", as reported")
    )
    parts = [f' <span class="muted">{facts}</span>']

    variables = list(table.variables.values())
    shown = variables[:20]
    rows = [
        (
            f"<code>{_e(v.id)}</code>",
            _e(v.label),
            _e(v.unit),
            "yes" if v.additive else f"no{_e(f' ({v.numerator} / {v.denominator})') if v.numerator else ''}",
        )
        for v in shown
    ]
    more = (
        f"<p class='muted'>and {len(variables) - len(shown)} more variables</p>"
        if len(variables) > 20
        else ""
    )
    parts.append(_table(("variable", "label", "unit", "additive"), rows) + more)

    head = table.arrow.slice(0, MAX_ROWS)
    columns = table.columns
    numeric = [name == "value" for name in columns]
    labels = {s.value: s.label for s in Status}
    cells = []
    for row in head.to_pylist():
        line = []
        for name in columns:
            value = row[name]
            if name == "value":
                line.append(_number(value))
            elif name == "status" and value is not None:
                line.append(f'<abbr title="{_e(labels.get(value, ""))}">{_e(value)}</abbr>')
            else:
                line.append(_e(value))
        cells.append(line)
    note = (
        f"<p class='muted'>the first {MAX_ROWS} of {table.num_rows} rows</p>"
        if table.num_rows > MAX_ROWS
        else ""
    )
    parts.append(_table([_e(c) for c in columns], cells, numeric) + note)

    counts = {symbol: count for symbol, count in table.status_counts().items() if symbol is not None}
    if counts:
        legend = [
            (f"<code>{_e(symbol)}</code>", _e(labels.get(symbol, "")), f"{count}")
            for symbol in STATUS_SYMBOLS
            if (count := counts.get(symbol))
        ]
        parts.append(
            "<p>Empty values carry SSB's symbol in <code>status</code>; none is a zero except "
            "<code>-</code>:</p>" + _table(("status", "meaning", "rows"), legend, (False, False, True))
        )

    provenance = table.provenance
    if provenance:
        items = "".join(
            f"<li><code>{_e(p.location)}</code> ({_e(p.source)}"
            + (f", {_e(p.checksum[:19])}…" if p.checksum else "")
            + (f", read {_e(p.retrieved)}" if p.retrieved else "")
            + (f"; {_e(p.note)}" if p.note else "")
            + ")</li>"
            for p in provenance[:5]
        )
        extra = f"<li>and {len(provenance) - 5} more</li>" if len(provenance) > 5 else ""
        parts.append(f"<details><summary>Where it came from</summary><ul>{items}{extra}</ul></details>")
    return _wrap(title, *parts)


# -------------------------------------------------------------------------------------------------
# Findings
# -------------------------------------------------------------------------------------------------


def findings_html(findings: Sequence[Finding]) -> str:
    """The findings as a table, errors first, with what each severity asks of the reader."""
    if not findings:
        return _wrap("No findings", "<p>The checks found nothing to look at.</p>")
    counts: dict[str, int] = {}
    for finding in findings:
        counts[str(finding.severity)] = counts.get(str(finding.severity), 0) + 1
    summary = ", ".join(f"{n} {severity}" for severity, n in counts.items())
    rows = [
        (
            f"{_SEVERITY_SYMBOL.get(str(f.severity), '')} {_e(f.severity)}",
            f"<code>{_e(f.rule)}</code>",
            _e(f.region),
            _e(f.variable),
            _e(f.year),
            _e(f.describe()),
        )
        for f in findings[:MAX_FINDINGS]
    ]
    more = (
        f"<p class='muted'>the first {MAX_FINDINGS} of {len(findings)} findings</p>"
        if len(findings) > MAX_FINDINGS
        else ""
    )
    legend = "".join(
        f"<li>{_SEVERITY_SYMBOL[s]} <strong>{s}</strong>: {_e(meaning)}</li>"
        for s, meaning in _SEVERITY_MEANING.items()
        if s in counts
    )
    return _wrap(
        f"{len(findings)} finding{'s' if len(findings) != 1 else ''}",
        f' <span class="muted">{_e(summary)}</span>',
        _table(("severity", "rule", "region", "variable", "year", "message"), rows) + more,
        f"<ul>{legend}</ul>",
    )


# -------------------------------------------------------------------------------------------------
# Geography
# -------------------------------------------------------------------------------------------------


def geography_html(geography: Geography) -> str:
    """How many areas of each level the map has, and where its facts come from."""
    from samhandling.geography._data import sources

    levels = (
        ("counties", geography.counties),
        ("municipalities", geography.municipalities),
        ("city districts", geography.districts),
        ("health regions (RHF)", geography.health_regions),
        ("health trusts (HF)", geography.health_trusts),
        ("DPS", geography.dps),
    )
    rows = [
        (
            _e(name),
            str(len(areas)),
            _e(", ".join(f"{getattr(a, 'code', '')} {getattr(a, 'name', '')}".strip() for a in areas[:3]))
            + (", …" if len(areas) > 3 else ""),
        )
        for name, areas in levels
    ]
    catchments = (
        "the 2024 catchments carried back through the code changes"
        if geography.catchments_derived
        else "as published for the year"
    )
    cited = "".join(
        f"<li>{_e(row.get('what') or key)}: {_e(str(row.get('where') or '').split(' = ')[-1])}</li>"
        for key, row in sources().items()
    )
    return _wrap(
        f"Geography {geography.year}",
        ' <span class="muted">the map of 1 January</span>',
        _table(("level", "areas", "for example"), rows, (False, True, False)),
        f"<p>DPS catchments: {_e(catchments)}.</p>",
        f"<details><summary>Sources</summary><ul>{cited}</ul></details>",
    )
