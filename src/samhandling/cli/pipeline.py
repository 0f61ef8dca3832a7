"""The pipeline on the command line: ``read``, ``harmonise``, ``roll-up``, ``rates`` and ``export``.

Each step reads a table and writes one, so steps compose through files — Parquet, which keeps units,
statuses and provenance — or through a pipe: ``-o -`` writes the table as an Arrow IPC stream to standard
output and ``-`` as input reads one from standard input::

    samhandling read kostra-*.csv -o raw.parquet
    samhandling harmonise raw.parquet --to-year 2024 -o h.parquet
    samhandling roll-up h.parquet --to county --to health_trust --keep-input -o all.parquet
    samhandling export all.parquet -o fte.xlsx

    samhandling read 12345.csv -o - | samhandling harmonise - --to-year 2024 -o h.parquet

Progress (rich) and a one-line summary go to standard error, and only when it is a terminal the progress
is animated; ``--quiet`` silences both.  Errors are one line (the ``samhandling`` group prints them).
"""

from __future__ import annotations

import contextlib
import json
import sys
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import pyarrow as pa
    from rich.console import Console
    from rich.progress import Progress

    from samhandling.tables import StatTable

__all__ = ["STDIO", "export", "harmonise", "rates", "read", "roll_up"]

#: The name that stands for standard input (as INPUT) or standard output (as ``-o``).
STDIO = "-"
_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_ROLL_UP_LEVELS = ("county", "health_trust", "health_region", "dps", "national")


# -------------------------------------------------------------------------------------------------
# Progress and summaries on standard error
# -------------------------------------------------------------------------------------------------


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


class _Steps:
    """Named steps shown as a rich progress display on standard error (only on a terminal)."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress

    @contextlib.contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[_Step]:
        """One step: a spinner (or a bar when ``total`` is given) while the block runs."""
        if self._progress is None:
            yield _Step(None, None)
            return
        from rich.markup import escape

        task = self._progress.add_task(escape(description), total=total)
        try:
            yield _Step(self._progress, task)
        finally:
            self._progress.update(task, completed=total if total is not None else 1, total=total or 1)


class _Step:
    def __init__(self, progress: Progress | None, task: Any) -> None:
        self._progress, self._task = progress, task

    def advance(self, description: str | None = None) -> None:
        if self._progress is not None:
            changes: dict[str, Any] = {"advance": 1}
            if description is not None:
                from rich.markup import escape

                changes["description"] = escape(description)
            self._progress.update(self._task, **changes)


@contextlib.contextmanager
def _steps(quiet: bool) -> Iterator[_Steps]:
    console = _console()
    if quiet or not console.is_terminal:
        yield _Steps(None)
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        yield _Steps(progress)


def _describe(table: StatTable) -> str:
    years = table.years()
    span = "no years" if not years else (f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0]))
    variables = table.variable_ids()
    shown = ", ".join(variables[:5]) + (f" and {len(variables) - 5} more" if len(variables) > 5 else "")
    geography = f", geography {table.geography_year}" if table.geography_year is not None else ""
    return (
        f"{table.num_rows:,} rows, years {span}, levels {', '.join(table.levels()) or 'none'}, "
        f"variables {shown or 'none'}{geography}"
    )


def _summary(quiet: bool, verb: str, where: str, table: StatTable) -> None:
    if not quiet:
        from rich.markup import escape

        _console().print(f"[green]{escape(verb)}[/] {escape(where)}: {escape(_describe(table))}", markup=True)


# -------------------------------------------------------------------------------------------------
# Reading and writing tables between steps
# -------------------------------------------------------------------------------------------------


def _option_value(text: str) -> Any:
    """A value given on the command line: JSON when it parses (numbers, true/false, lists), else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _options(raw: Sequence[str], param: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in raw:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE (e.g. sheet=2)", param_hint=param)
        options[key.strip().replace("-", "_")] = _option_value(text)
    return options


def _load(
    location: str, *, source: str | None = None, allow_duplicates: bool = False, **options: Any
) -> StatTable:
    """A table from a file or folder any source can read, or ``-``: an Arrow IPC stream on stdin."""
    import samhandling
    from samhandling.errors import SourceError
    from samhandling.tables import StatTable

    if location == STDIO:
        import pyarrow as pa

        stream = sys.stdin.buffer
        try:
            arrow = pa.ipc.open_stream(stream).read_all()
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(
                f"standard input does not hold an Arrow IPC stream ({exc}); pipe in the output of another "
                f"samhandling command run with -o -"
            ) from exc
        return StatTable.from_arrow(arrow)
    return samhandling.read(location, source=source, allow_duplicates=allow_duplicates, **options)


def _save(table: StatTable, destination: str, inputs: Sequence[str | None], **options: Any) -> Path | None:
    """Write ``table`` to ``destination`` (format from the suffix), or ``-``: Arrow IPC on stdout.

    ``inputs`` are the files the step read: writing over one of them is refused.
    """
    from samhandling.errors import ExportError
    from samhandling.exporters import export as export_table

    if destination == STDIO:
        import pyarrow as pa

        stream = sys.stdout.buffer
        if stream.isatty():
            raise ExportError(
                "will not write binary Arrow data to the terminal; give -o FILE.parquet, or pipe the "
                "output into another samhandling command that reads '-'"
            )
        with pa.ipc.new_stream(stream, table.arrow.schema) as writer:
            writer.write_table(table.arrow)
        stream.flush()
        return None
    _check_output(destination, inputs)
    return export_table(table, destination, **options)


def _check_output(output: str, inputs: Sequence[str | None]) -> None:
    """Refuse, before reading anything, an output that is one of the step's inputs."""
    if output != STDIO:
        from samhandling.exporters import refuse_overwriting_inputs

        refuse_overwriting_inputs(output, [i for i in inputs if i is not None and i != STDIO])


def _where(destination: str) -> str:
    return "standard output" if destination == STDIO else destination


def _plain_table(location: str) -> pa.Table:
    """A small table of codes and weights from CSV (``,`` or ``;``) or Parquet, codes kept as text."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from samhandling.errors import ParseError, SourceError

    path = Path(location)
    if not path.is_file():
        raise SourceError(f"{location}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pq.read_table(path)
        head = path.read_bytes()[:4096].decode("utf-8-sig", errors="replace").splitlines()
        first = head[0] if head else ""
        semicolon = first.count(";") > first.count(",")
        text_columns = {name: pa.string() for name in ("old", "new", "region", "parent")}
        return pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(delimiter=";" if semicolon else ","),
            convert_options=pacsv.ConvertOptions(
                column_types=text_columns, decimal_point="," if semicolon else "."
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise ParseError(f"cannot read the table: {exc}", path=path) from exc


def _weights(location: str | None) -> StatTable | pa.Table | None:
    """Weights for harmonise: a StatTable written by samhandling (shares from its values), or a plain
    table with columns old/new/weight."""
    if location is None:
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    from samhandling.errors import ParseError
    from samhandling.exporters.csv import metadata_path
    from samhandling.tables import METADATA_KEY

    path = Path(location)
    if path.suffix.lower() in (".parquet", ".pq") and path.is_file():
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ParseError(f"not a readable Parquet file: {exc}", path=path) from exc
        if METADATA_KEY in (schema.metadata or {}):
            return _load(location)
    elif path.suffix.lower() == ".csv" and metadata_path(path).is_file():
        return _load(location)
    return _plain_table(location)


# -------------------------------------------------------------------------------------------------
# Commands
# -------------------------------------------------------------------------------------------------

_output = click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    help="Where to write the table (.parquet keeps everything; '-' pipes Arrow IPC to the next step).",
)
_quiet = click.option("-q", "--quiet", is_flag=True, help="No progress display and no summary line.")
_allow_duplicates = click.option(
    "--allow-duplicates",
    is_flag=True,
    help="Keep a table with two values for one key (region, year, …, variable) instead of stopping; "
    "'samhandling check' shows them, roll-up refuses them.",
)


@click.command(
    context_settings=_SETTINGS,
    epilog="""\b
Examples:
  samhandling read statbank-12603.csv -o fte.parquet
  samhandling read survey-2022.xlsx survey-2023.xlsx survey-2024.xlsx -o survey.parquet
  samhandling read nimes.xlsx --source nimes-monthly -O sheet=2 -o admissions.parquet
""",
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@_output
@click.option("--source", metavar="NAME", help="The source to read with (see 'samhandling plugins').")
@click.option(
    "-O",
    "--option",
    "source_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option for the source, e.g. -O sheet=2 (values are JSON when they parse).",
)
@_allow_duplicates
@_quiet
def read(
    inputs: tuple[str, ...],
    output: str,
    source: str | None,
    source_options: tuple[str, ...],
    allow_duplicates: bool,
    quiet: bool,
) -> None:
    """Read files (KOSTRA/statbank, NIMES, survey, Parquet …) into one table and write it.

    Each INPUT is read by the source that recognises it, or by --source.  Several inputs (e.g. one file
    per year) are stacked into one table; they must share one geography year — harmonise first if not.
    """
    from samhandling.tables import StatTable

    options = _options(source_options, "--option")
    _check_output(output, inputs)
    tables = []
    with _steps(quiet) as steps:
        with steps.step(f"reading {len(inputs)} file(s)", total=len(inputs)) as step:
            for location in inputs:
                step.advance(f"reading {location}")
                tables.append(_load(location, source=source, allow_duplicates=allow_duplicates, **options))
        table = tables[0] if len(tables) == 1 else StatTable.concat(tables)
        with steps.step(f"writing {_where(output)}"):
            _save(table, output, inputs)
    _summary(quiet, "wrote", _where(output), table)


@click.command(
    context_settings=_SETTINGS,
    epilog="""\b
Examples:
  samhandling harmonise fte-2015-2023.parquet --to-year 2024 -o fte.parquet
  samhandling harmonise users.parquet --to-year 2024 --population population.parquet -o users-2024.parquet
  samhandling harmonise users.parquet --to-year 2019 --weights splits.csv -o users-2019.parquet

A weights file has columns old;new;weight (and optionally year): the share of an old area that goes
to each new one.
""",
)
@click.argument("input_", metavar="INPUT")
@click.option(
    "--to-year",
    required=True,
    type=click.IntRange(1900, 2100),
    help="The year whose municipality and county codes the result uses (2017–2025).",
)
@_output
@click.option("--population", metavar="FILE", help="A population table that shares out divided areas.")
@click.option("--weights", metavar="FILE", help="Shares for divided areas (old;new;weight, or a table).")
@_quiet
def harmonise(
    input_: str, to_year: int, output: str, population: str | None, weights: str | None, quiet: bool
) -> None:
    """Put a table onto one year's municipality map (across the 2018, 2020 and 2024 reforms).

    Merged municipalities are summed, rates recomputed from their parts, suppressed parts keep the sum
    suppressed.  An area divided between new ones needs --population or --weights.
    """
    from samhandling.geography import harmonise as harmonise_table

    _check_output(output, [input_, population, weights])
    with _steps(quiet) as steps:
        with steps.step(f"reading {input_}"):
            table = _load(input_)
            population_table = _load(population) if population else None
            weights_table = _weights(weights)
        with steps.step(f"harmonising onto the map of {to_year}"):
            result = harmonise_table(table, to_year, weights=weights_table, population=population_table)
        with steps.step(f"writing {_where(output)}"):
            _save(result, output, [input_, population, weights])
    _summary(quiet, "wrote", _where(output), result)


@click.command(
    name="roll-up",
    context_settings=_SETTINGS,
    epilog="""\b
Examples:
  samhandling roll-up fte.parquet --to county -o fte-county.parquet
  samhandling roll-up admissions.parquet --to health_trust --to dps --to national --keep-input -o all.parquet
""",
)
@click.argument("input_", metavar="INPUT")
@click.option(
    "--to",
    "levels",
    required=True,
    multiple=True,
    type=click.Choice(_ROLL_UP_LEVELS),
    help="Level to roll up to; repeat for several (the results are stacked).",
)
@_output
@click.option(
    "--keep-input", is_flag=True, help="Also keep the input rows (e.g. municipalities) in the output."
)
@click.option(
    "--unassigned",
    type=click.Choice(["error", "exclude"]),
    default="error",
    show_default=True,
    help="An area whose parent is not known (e.g. code 9999): stop, or leave it out and record it.",
)
@click.option("--weights", metavar="FILE", help="Shares of split areas: columns region;parent;weight.")
@_quiet
def roll_up(
    input_: str,
    levels: tuple[str, ...],
    output: str,
    keep_input: bool,
    unassigned: str,
    weights: str | None,
    quiet: bool,
) -> None:
    """Sum municipalities (and city districts) into counties, health trusts, DPSs or the country.

    Counts and FTEs are summed; rates and shares are recomputed from their parts.  The map is the table's
    geography year (harmonise first to use another).
    """
    from samhandling.aggregate import roll_up as roll_up_table
    from samhandling.tables import StatTable

    _check_output(output, [input_, weights])
    with _steps(quiet) as steps:
        with steps.step(f"reading {input_}"):
            table = _load(input_)
            weights_table = _plain_table(weights) if weights else None
        results = [table] if keep_input else []
        with steps.step("rolling up", total=len(levels)) as step:
            for level in dict.fromkeys(levels):
                step.advance(f"rolling up to {level}")
                mode = typing.cast(typing.Literal["error", "exclude"], unassigned)
                results.append(roll_up_table(table, level, weights=weights_table, unassigned=mode))
        result = results[0] if len(results) == 1 else StatTable.concat(results)
        with steps.step(f"writing {_where(output)}"):
            _save(result, output, [input_, weights])
    _summary(quiet, "wrote", _where(output), result)


def _ages(text: str) -> str | tuple[int, int | None]:
    """``all``, ``18+``, ``0-17``, ``67+``, or any ``A-B`` / ``A+`` range of ages."""
    from samhandling.aggregate import AGE_GROUPS

    if text in AGE_GROUPS:
        return text
    cleaned = text.replace("–", "-").replace(" ", "")
    try:
        if cleaned.endswith("+"):
            return (int(cleaned[:-1]), None)
        first, sep, last = cleaned.partition("-")
        if sep:
            return (int(first), int(last))
    except ValueError:
        pass
    raise click.BadParameter(
        f"{text!r} is not an age group; use all, 18+, 0-17, 67+, 18-66 or a range such as 16-24 or 80+",
        param_hint="--ages",
    )


@click.command(
    context_settings=_SETTINGS,
    epilog="""\b
Examples:
  samhandling rates fte.parquet --population population-07459.parquet -o fte-rates.parquet
  samhandling rates users.parquet --population pop.parquet --ages 18+ --variable users -o users.parquet
  samhandling rates bup.parquet --population pop.parquet --ages 0-17 --only-rates -o bup-rates.xlsx
""",
)
@click.argument("input_", metavar="INPUT")
@click.option(
    "--population", required=True, metavar="FILE", help="Population (variable 'population', column 'age')."
)
@click.option(
    "--ages", default="all", show_default=True, help="Ages of the inhabitants: all, 18+, 0-17, 67+, 16-24 …"
)
@click.option(
    "--variable",
    "variables",
    multiple=True,
    metavar="ID",
    help="Variable to turn into a rate (repeatable; default every count).",
)
@click.option("--only-rates", is_flag=True, help="Write only the rates, not the counts they come from.")
@_output
@_quiet
def rates(
    input_: str,
    population: str,
    ages: str,
    variables: tuple[str, ...],
    only_rates: bool,
    output: str,
    quiet: bool,
) -> None:
    """Add rates per 10,000 inhabitants (``<variable>_per_10000``) for the chosen ages.

    The population is harmonised and rolled up to the table's areas as needed; a suppressed count or
    population gives a suppressed rate.
    """
    from samhandling.aggregate import per_10000
    from samhandling.tables import StatTable

    wanted_ages = _ages(ages)
    _check_output(output, [input_, population])
    with _steps(quiet) as steps:
        with steps.step(f"reading {input_}"):
            table = _load(input_)
            population_table = _load(population)
        with steps.step(f"rates per 10,000 inhabitants ({ages})"):
            result = per_10000(table, population_table, ages=wanted_ages, variables=list(variables) or None)
            if not only_rates:
                result = StatTable.concat([table, result])
        with steps.step(f"writing {_where(output)}"):
            _save(result, output, [input_, population])
    _summary(quiet, "wrote", _where(output), result)


@click.command(
    context_settings=_SETTINGS,
    epilog="""\b
Examples:
  samhandling export fte.parquet -o fte.xlsx
  samhandling export fte.parquet -o fte.csv --norwegian
  samhandling export fte.parquet -o fte.json --format jsonstat
  samhandling export admissions.parquet -o warehouse/admissions --partition-by year,level
  samhandling export fte.parquet -o fte-long.xlsx -O layout=long
""",
)
@click.argument("input_", metavar="INPUT")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    help="The file (or, with --partition-by, the folder) to write; its suffix picks the format.",
)
@click.option(
    "--format", "format_", metavar="NAME", help="Exporter to use (default: from the suffix of --output)."
)
@click.option("--norwegian", is_flag=True, help="CSV: semicolons, decimal comma and a byte-order mark.")
@click.option(
    "--partition-by",
    metavar="COLUMNS",
    help="Parquet: write a dataset folder partitioned by these columns, e.g. year,level.",
)
@click.option(
    "-O",
    "--option",
    "exporter_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="An option for the exporter, e.g. -O layout=long (values are JSON when they parse).",
)
@_allow_duplicates
@_quiet
def export(
    input_: str,
    output: str,
    format_: str | None,
    norwegian: bool,
    partition_by: str | None,
    exporter_options: tuple[str, ...],
    allow_duplicates: bool,
    quiet: bool,
) -> None:
    """Write a table as Excel, CSV, JSON-stat 2.0, Parquet (file or partitioned dataset) or any plugin format.

    The format follows the suffix of --output (.xlsx, .csv, .json, .parquet) unless --format names it.
    """
    from samhandling.errors import ExportError
    from samhandling.exporters import exporter_for

    options = _options(exporter_options, "--option")
    if output == STDIO:
        raise click.BadParameter(
            "export writes files; to pipe a table use another step's -o -", param_hint="-o"
        )
    if partition_by:
        options["partition_by"] = tuple(c.strip() for c in partition_by.split(",") if c.strip())
        format_ = format_ or "parquet"
    exporter = exporter_for(output, format=format_)
    _check_output(output, [input_])
    if norwegian:
        if exporter.name != "csv":
            raise ExportError(f"--norwegian is a CSV option; the {exporter.name!r} exporter does not take it")
        options["norwegian"] = True
    with _steps(quiet) as steps:
        with steps.step(f"reading {input_}"):
            table = _load(input_, allow_duplicates=allow_duplicates)
        with steps.step(f"writing {output} ({exporter.name})"):
            from samhandling.exporters import export as export_table

            written = export_table(table, output, format=exporter.name, **options)
    _summary(quiet, f"wrote {exporter.name}", str(written), table)
