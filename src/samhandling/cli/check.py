"""``samhandling check``: quality assurance of data files (*kvalitetssikring av datagrunnlaget*).

Reads each file with the source that fits (or ``--source``), runs every registered check (or those
named with ``--check``) and prints the findings as a table, errors first.  Files of the same kind
(e.g. the survey of 2022 and of 2023) are checked together as one series, so that year-on-year jumps
and municipalities missing from a year are found; files that cannot be combined are checked one by
one.  ``--output`` writes the findings as CSV, ``--strict`` makes errors and warnings fail the command
(exit status 1), for use in scripts and CI.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
from rich.markup import escape

if TYPE_CHECKING:
    from rich.console import Console

    from samhandling.checks import Finding
    from samhandling.errors import Parameter
    from samhandling.tables import StatTable

__all__ = ["check"]

_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_CSV_COLUMNS = ("severity", "rule", "region", "name", "variable", "year", "message", "values", "location")


def _parse_options(raw: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``rule.key=value`` pairs into ``{"rule": {"key": value}}``; values are JSON when they parse."""
    options: dict[str, dict[str, Any]] = {}
    for item in raw:
        name, sep, text = item.partition("=")
        rule, dot, key = name.strip().rpartition(".")
        if not sep or not dot or not rule or not key:
            raise click.BadParameter(
                f"{item!r} is not RULE.KEY=VALUE (e.g. year-on-year.threshold=0.3)", param_hint="--option"
            )
        try:
            value: Any = json.loads(text)
        except json.JSONDecodeError:
            value = text
        options.setdefault(rule, {})[key] = value
    return options


def _loose(table: StatTable) -> StatTable:
    """The table as reported (no common geography year), so tables of several years can be stacked."""
    import attrs

    from samhandling.tables import METADATA_KEY, StatTable

    meta = attrs.evolve(table.meta, geography_year=None)
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def _groups(tables: list[tuple[Path, StatTable]]) -> list[tuple[list[Path], StatTable]]:
    """One series when the tables stack (same variables, different years), else one group per file."""
    from samhandling.errors import SchemaError
    from samhandling.tables import StatTable

    if len(tables) == 1:
        return [([tables[0][0]], tables[0][1])]
    years = [set(t.years()) for _, t in tables]
    overlapping = any(a & b for i, a in enumerate(years) for b in years[i + 1 :])
    if not overlapping:
        try:
            return [([p for p, _ in tables], StatTable.concat([_loose(t) for _, t in tables]))]
        except SchemaError:
            pass
    return [([path], table) for path, table in tables]


def _locate(
    findings: list[Finding], files: list[Path], tables: list[tuple[Path, StatTable]]
) -> list[Finding]:
    """Name the file each finding comes from (by its year when several files were checked together)."""
    import attrs

    if len(files) == 1:
        return [f if f.location else attrs.evolve(f, location=str(files[0])) for f in findings]
    by_year: dict[int, list[str]] = {}
    for path, table in tables:
        if path in files:
            for year in table.years():
                by_year.setdefault(year, []).append(str(path))
    located = []
    for finding in findings:
        if finding.location:
            located.append(finding)
            continue
        paths = by_year.get(finding.year, []) if finding.year is not None else []
        where = "; ".join(paths) if paths else "; ".join(str(f) for f in files)
        located.append(attrs.evolve(finding, location=where))
    return located


class _Names:
    """Area names for the findings ("3401 Kongsvinger"), from the geography of the finding's year."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], str] = {}

    def __call__(self, region: str | None, year: int | None) -> str:
        if not region or year is None:
            return ""
        key = (region, year)
        if key not in self._cache:
            self._cache[key] = self._lookup(region, year)
        return self._cache[key]

    @staticmethod
    def _lookup(region: str, year: int) -> str:
        from samhandling.errors import SamhandlingError

        try:
            from samhandling.geography import Geography

            area = Geography.for_year(year).area(region)
        except (SamhandlingError, KeyError, ValueError, ImportError):
            return ""
        return str(getattr(area, "name", "") or "")


#: From this terminal width on, findings are printed as a table with every column.
FULL_TABLE_WIDTH = 120
_SYMBOLS = {"error": "✖", "warning": "▲", "info": "·"}


def _rows(findings: list[Finding], names: _Names, spell: Callable[[Parameter], str]) -> list[dict[str, Any]]:
    """Every finding as one flat row with the area's name, messages in the command line's terms."""
    rows = []
    for finding in findings:
        row = finding.to_dict(spell)
        row["name"] = names(finding.region, finding.year)
        rows.append({column: row.get(column) for column in _CSV_COLUMNS})
    return rows


def _write_csv(rows: list[dict[str, Any]], handle: TextIO) -> None:
    """The rows as CSV; text a spreadsheet would run as a formula (a message quoting a label such as
    ``=HYPERLINK(…)``) is written as plain text."""
    from samhandling.exporters.formulas import neutralise_text

    writer = csv.writer(handle)
    writer.writerow(_CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                "" if row[c] is None else neutralise_text(row[c]) if isinstance(row[c], str) else row[c]
                for c in _CSV_COLUMNS
            ]
        )


def _print(rows: list[dict[str, Any]], title: str, console: Console) -> None:
    """A table with every column on a wide terminal; one short paragraph per finding on a narrow one."""
    from rich.table import Table
    from rich.text import Text

    if not rows:
        console.print(f"[green]No findings[/] in {escape(title)}.")
        return
    if console.width >= FULL_TABLE_WIDTH:
        table = Table(title=f"Findings in {title}", title_justify="left", show_lines=False)
        for column in ("severity", "rule", "region", "variable", "year", "message", "values"):
            table.add_column(column, overflow="fold", ratio=3 if column == "message" else None)
        for row in rows:
            region = f"{row['region']} {row['name']}".strip() if row["region"] else ""
            table.add_row(
                Text(str(row["severity"]), style=_STYLES.get(str(row["severity"]), "")),
                row["rule"],
                region,
                row["variable"] or "",
                "" if row["year"] is None else str(row["year"]),
                row["message"],
                row["values"] or "",
            )
        console.print(table)
        return
    console.print(Text(f"Findings in {title}", style="italic"))
    listing = Table.grid(padding=(0, 1, 1, 0))
    listing.add_column(no_wrap=True)
    listing.add_column(ratio=1)
    for row in rows:
        severity = str(row["severity"])
        where = [row["rule"]]
        if row["region"]:
            where.append(f"{row['region']} {row['name']}".strip())
        where += [str(part) for part in (row["variable"], row["year"]) if part not in (None, "")]
        text = Text(" · ".join(where), style="bold")
        text.append(f"\n{row['message']}")
        listing.add_row(
            Text(f"{_SYMBOLS.get(severity, ' ')} {severity}", style=_STYLES.get(severity, "")), text
        )
    console.print(listing)


def _summary(findings: list[Finding]) -> str:
    counts = dict.fromkeys(("error", "warning", "info"), 0)
    for finding in findings:
        counts[str(finding.severity)] = counts.get(str(finding.severity), 0) + 1
    return ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items())


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the findings to this CSV file (UTF-8).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table: for reading (every column from 120 characters wide); csv, json: every field, for programs.",
)
@click.option("--strict", is_flag=True, help="Exit with status 1 when there is any error or warning.")
@click.option(
    "--check",
    "checks",
    multiple=True,
    metavar="NAME",
    help="Run only this check (repeat for several); see --list.",
)
@click.option(
    "--population",
    metavar="FILE",
    type=click.Path(exists=True, path_type=Path),
    help="A population table (variable 'population', by age) for the checks of rates per 10,000.",
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="RULE.KEY=VALUE",
    help="A check option, e.g. year-on-year.threshold=0.3 (values are read as JSON when they can be).",
)
@click.option("--source", help="Read the files with this source instead of the one that fits.")
@click.option("--list", "list_checks", is_flag=True, help="List the registered checks and exit.")
def check(
    files: tuple[Path, ...],
    output: Path | None,
    fmt: str,
    strict: bool,
    checks: tuple[str, ...],
    population: Path | None,
    options: tuple[str, ...],
    source: str | None,
    list_checks: bool,
) -> None:
    """Check data files for errors before they are used: totals, impossible values, jumps, codes.

    Runs every registered quality check (sum of parts, negative and impossible values, year-on-year
    jumps, missing or duplicated municipalities, codes not valid in the year, rates outside a plausible
    band) and prints what it finds, errors first.

    Example: samhandling check is248-2022.csv is248-2023.xlsx --population folkemengde.parquet --strict
    """
    from samhandling.checks import CheckContext, run_checks
    from samhandling.plugins import resolve_plugin_manager
    from samhandling.sources import read

    pm = resolve_plugin_manager()
    if list_checks:
        from rich.console import Console
        from rich.table import Table

        listing = Table(title="Checks", title_justify="left")
        for column in ("name", "plugin", "description"):
            listing.add_column(column)
        for entry in pm.registry.checks.entries():
            listing.add_row(entry.name, entry.plugin, getattr(entry.obj, "description", ""))
        Console().print(listing)
        return
    if not files:
        raise click.UsageError("give one or more FILES to check (or --list to see the checks)")
    context = CheckContext(
        population=read(population, plugin_manager=pm) if population is not None else None,
        options=_parse_options(options),
    )
    # duplicate keys are what the "duplicates" check reports, so they are read, not refused
    tables = [(path, read(path, source=source, plugin_manager=pm, allow_duplicates=True)) for path in files]
    from rich.console import Console

    from samhandling.cli.wording import option_speller

    spell = option_speller(click.get_current_context().command)
    console = Console(highlight=False)
    names = _Names()
    findings: list[Finding] = []
    rows: list[dict[str, Any]] = []
    for group_files, table in _groups(tables):
        found = _locate(
            run_checks(table, checks=list(checks) or None, context=context, plugin_manager=pm),
            group_files,
            tables,
        )
        group_rows = _rows(found, names, spell)
        if fmt == "table":
            _print(group_rows, ", ".join(p.name for p in group_files), console)
        findings += found
        rows += group_rows
    if fmt == "csv":
        _write_csv(rows, sys.stdout)
    elif fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
    if output is not None:
        from samhandling.atomic import atomic_path

        output.parent.mkdir(parents=True, exist_ok=True)
        # UTF-8 with a byte-order mark, so that Excel shows æ, ø and å; written atomically.
        with (
            atomic_path(output) as temporary,
            temporary.open("w", encoding="utf-8-sig", newline="") as handle,
        ):
            _write_csv(rows, handle)
    summary = _summary(findings) + (f"; written to {output}" if output is not None else "")
    click.echo(summary, err=fmt != "table")
    if strict and any(str(f.severity) in ("error", "warning") for f in findings):
        click.echo("strict: failing because of errors or warnings", err=True)
        click.get_current_context().exit(1)
