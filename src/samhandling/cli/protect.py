"""``samhandling protect``: disclosure control as a pipeline step.

Reads one or more tables (as every pipeline step does, or ``-`` for an Arrow IPC stream), protects them
together as one publication and writes them: a file for one input, a folder for several.  What was
suppressed is printed to standard error and recorded in every table's metadata and provenance.
"""

from __future__ import annotations

from pathlib import Path

import click

from samhandling.cli.pipeline import _SETTINGS, STDIO, _load, _save, _steps, _where

__all__ = ["protect"]


@click.command(
    context_settings=_SETTINGS,
    epilog="""\b
Examples:
  samhandling protect admissions.parquet -o admissions-published.parquet
  samhandling protect municipalities.parquet counties.parquet -o published/ --threshold 5
  samhandling protect rates.parquet --context counts.parquet -o rates-published.xlsx --verify
  samhandling read nimes.xlsx -o - | samhandling protect - -o published.parquet
""",
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE|FOLDER",
    help="Where to write: a file for one input (its suffix picks the format), a folder for several.",
)
@click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="FILE",
    help="Counts behind published rates (read, not written); repeatable.",
)
@click.option(
    "--threshold",
    type=click.IntRange(1, None),
    default=3,
    show_default=True,
    help="Smallest count of people published; smaller counts show ':'.",
)
@click.option("--protect-zeros", is_flag=True, help="Hide counts of 0 as well (FHI's practice).")
@click.option("--verify", "check", is_flag=True, help="Prove the protection with the verifier afterwards.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display and no summary.")
def protect(
    inputs: tuple[str, ...],
    output: str,
    contexts: tuple[str, ...],
    threshold: int,
    protect_zeros: bool,
    check: bool,
    quiet: bool,
) -> None:
    """Hide counts of people below the threshold, and every figure that would reveal one.

    The inputs are protected together as one publication: a cell shared by two tables, or a total in
    one table of cells in another, is handled once.  Variables marked as counting people (admissions,
    patients, users …) are protected; rates and shares computed from them follow their counts.
    """
    from rich.console import Console
    from rich.markup import escape

    from samhandling.disclosure import DisclosureRules, protect_publication, verify

    if len(inputs) > 1 and output == STDIO:
        raise click.BadParameter("several inputs need a folder to write into, not '-'", param_hint="-o")
    rules = DisclosureRules(threshold=threshold, protect_zeros=protect_zeros)
    with _steps(quiet) as steps:
        with steps.step(f"reading {len(inputs)} table(s)"):
            tables = [_load(location) for location in inputs]
            context = [_load(location) for location in contexts]
        with steps.step("protecting"):
            result = protect_publication(tables, rules=rules, context=context)
        if check:
            with steps.step("verifying"):
                verdict = verify(list(result.tables), context=context, rules=rules)
            verdict.raise_for_failures()
        with steps.step(f"writing {_where(output)}"):
            if len(inputs) == 1:
                _save(result.tables[0], output, [*inputs, *contexts])
            else:
                folder = Path(output)
                folder.mkdir(parents=True, exist_ok=True)
                for location, table in zip(inputs, result.tables, strict=True):
                    name = "table" if location == STDIO else Path(location).stem
                    _save(table, str(folder / f"{name}.parquet"), [*inputs, *contexts])
    if not quiet:
        console = Console(stderr=True, highlight=False, soft_wrap=True)
        for line in result.summary.describe():
            console.print(escape(line))
        if check:
            console.print(f"[green]verified[/]: {verdict.checked} suppressed cell(s) cannot be worked out")
