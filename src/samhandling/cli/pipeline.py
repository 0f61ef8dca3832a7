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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from samhandling.geography import FIRST_YEAR, LAST_YEAR

if TYPE_CHECKING:
    import pyarrow as pa
    from rich.console import Console
    from rich.progress import Progress

    from samhandling.disclosure import DisclosureRules
    from samhandling.tables import StatTable

__all__ = ["STDIO", "export", "harmonise", "rates", "read", "roll_up"]

#: The name that stands for standard input (as INPUT) or standard output (as ``-o``).
STDIO = "-"
_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_ROLL_UP_LEVELS = ("county", "health_trust", "health_region", "dps", "national")
_F = TypeVar("_F", bound=Callable[..., Any])


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
    """The command's steps; the library's own progress (a long read) shows as rows under them."""
    from samhandling import progress as library_progress

    console = _console()
    if quiet or not console.is_terminal:
        with library_progress.reporting(None):
            yield _Steps(None)
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with (
        Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
        library_progress.reporting(library_progress.RichReporter(progress)),
    ):
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


def _level_option(what: str) -> Callable[[_F], _F]:
    """``--level``: keep only the rows of these levels (repeatable); the choices follow ``Level``."""
    from samhandling.levels import Level

    names = [level.value for level in Level]
    return click.option(
        "--level",
        "levels",
        multiple=True,
        metavar="LEVEL",
        type=click.Choice(names),
        help=f"Keep only rows at this level {what} (repeatable): {', '.join(names)}.",
    )


def _at_levels(table: StatTable, levels: Sequence[str], where: str) -> StatTable:
    """The rows of ``table`` at ``levels`` (all rows when none are named)."""
    from samhandling.errors import SchemaError

    if not levels:
        return table
    kept = table.where(level=list(dict.fromkeys(levels)))
    if not kept.num_rows:
        raise SchemaError(
            f"{where} has no rows at level {', '.join(levels)}; its levels are {', '.join(table.levels())}"
        )
    return kept


def _pass_through(function: Any, raw: Sequence[str], *, taken: Sequence[str]) -> dict[str, Any]:
    """``-O KEY=VALUE`` options for a library function: only keywords it takes and the command does not
    set itself, so an option the library gains works on the command line at once."""
    import inspect

    options = _options(raw, "--option")
    parameters = inspect.signature(function).parameters
    accepted = [
        name
        for name, parameter in parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in taken
    ]
    unknown = [key for key in options if key not in accepted]
    if unknown:
        offered = (
            f"the options are: {', '.join(f'{name}=…' for name in accepted)}"
            if accepted
            else "there are no other options"
        )
        raise click.BadParameter(
            f"{', '.join(map(repr, unknown))} is not an option here; {offered}", param_hint="-O/--option"
        )
    return options


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


_partial = click.option(
    "--partial",
    type=click.Choice(["missing", "keep", "error"]),
    default="missing",
    show_default=True,
    help="A total some of whose areas have no rows: leave it empty (..), keep the partial sum, or stop.",
)


@click.command(
    context_settings=_SETTINGS,
    epilog="""\b
Examples:
  samhandling read statbank-12603.csv -o fte.parquet
  samhandling read statbank-12228.csv --level municipality -o municipalities.parquet
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
@_level_option("from the input")
@_allow_duplicates
@_quiet
def read(
    inputs: tuple[str, ...],
    output: str,
    source: str | None,
    source_options: tuple[str, ...],
    levels: tuple[str, ...],
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
        table = _at_levels(table, levels, ", ".join(inputs))
        with steps.step(f"writing {_where(output)}"):
            _save(table, output, inputs)
    _summary(quiet, "wrote", _where(output), table)


@click.command(
    context_settings=_SETTINGS,
    epilog="""\b
Examples:
  samhandling harmonise fte-2015-2023.parquet --to-year 2024 -o fte.parquet
  samhandling harmonise kostra.parquet --to-year 2024 --level municipality -o municipalities.parquet
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
    type=click.IntRange(FIRST_YEAR, LAST_YEAR),
    help=f"The year whose municipality and county codes the result uses ({FIRST_YEAR}–{LAST_YEAR}).",
)
@_output
@click.option(
    "--population",
    metavar="FILE",
    help="A population table that shares out divided areas (default: SSB 07459 as shipped, 2017–2021).",
)
@click.option("--weights", metavar="FILE", help="Shares for divided areas (old;new;weight, or a table).")
@_partial
@_level_option("before harmonising")
@click.option(
    "-O",
    "--option",
    "harmonise_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Another option of samhandling.harmonise (values are JSON when they parse).",
)
@_quiet
def harmonise(
    input_: str,
    to_year: int,
    output: str,
    population: str | None,
    weights: str | None,
    partial: str,
    levels: tuple[str, ...],
    harmonise_options: tuple[str, ...],
    quiet: bool,
) -> None:
    """Put a table onto one year's municipality map (across the 2018, 2020 and 2024 reforms).

    Merged municipalities are summed, rates recomputed from their parts, suppressed parts keep the sum
    suppressed.  An area divided between new ones is shared by --population or --weights (default: the
    population the library ships).  A merged area whose parts are not all in the table is left empty
    (status ..) unless --partial keep.
    """
    from samhandling.geography import harmonise as harmonise_table

    options = _pass_through(harmonise_table, harmonise_options, taken=("weights", "population", "partial"))
    _check_output(output, [input_, population, weights])
    with _steps(quiet) as steps:
        with steps.step(f"reading {input_}"):
            table = _at_levels(_load(input_), levels, input_)
            population_table = _load(population) if population else None
            weights_table = _weights(weights)
        with steps.step(f"harmonising onto the map of {to_year}"):
            result = harmonise_table(
                table,
                to_year,
                weights=weights_table,
                population=population_table,
                partial=_rule(partial),
                **options,
            )
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
@click.option(
    "--kind",
    type=click.Choice(["vop", "bup"]),
    default="vop",
    show_default=True,
    help="Catchments of adult (vop) or child and adolescent (bup) mental health, for health trusts and DPSs.",
)
@_partial
@click.option(
    "-O",
    "--option",
    "roll_up_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Another option of samhandling.roll_up (values are JSON when they parse).",
)
@_quiet
def roll_up(
    input_: str,
    levels: tuple[str, ...],
    output: str,
    keep_input: bool,
    unassigned: str,
    weights: str | None,
    kind: str,
    partial: str,
    roll_up_options: tuple[str, ...],
    quiet: bool,
) -> None:
    """Sum municipalities (and city districts) into counties, health trusts, DPSs or the country.

    Counts and FTEs are summed; rates and shares are recomputed from their parts.  The map is the table's
    geography year (harmonise first to use another).  A total for which some of its areas have no rows
    is left empty (status ..) unless --partial keep; the coverage is recorded in the output's metadata.
    """
    from samhandling.aggregate import roll_up as roll_up_table
    from samhandling.tables import StatTable

    options = _pass_through(
        roll_up_table, roll_up_options, taken=("weights", "unassigned", "geography", "kind", "partial")
    )
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
                results.append(
                    roll_up_table(
                        table,
                        level,
                        weights=weights_table,
                        unassigned=mode,
                        kind=kind,
                        partial=_rule(partial),
                        **options,
                    )
                )
        result = results[0] if len(results) == 1 else StatTable.concat(results)
        with steps.step(f"writing {_where(output)}"):
            _save(result, output, [input_, weights])
    _summary(quiet, "wrote", _where(output), result)


def _rule(text: str) -> typing.Literal["missing", "keep", "error"]:
    return typing.cast(typing.Literal["missing", "keep", "error"], text)


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
    "--population",
    metavar="FILE",
    help="Population (variable 'population', column 'age'); default SSB 07459 as shipped (2017–2021).",
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
    population: str | None,
    ages: str,
    variables: tuple[str, ...],
    only_rates: bool,
    output: str,
    quiet: bool,
) -> None:
    """Add rates per 10,000 inhabitants (<variable>_per_10000) for the chosen ages.

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
            population_table = _load(population) if population else None
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
  samhandling export all-levels.parquet --level county --level national -o counties.csv
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
@click.option(
    "--publish",
    is_flag=True,
    help="Write for publication: hide counts of people below --threshold first (see 'samhandling protect').",
)
@click.option(
    "--threshold",
    type=click.IntRange(1, None),
    default=None,
    help="With --publish: the smallest count of people published [default: 3].",
)
@click.option(
    "--no-disclosure-control",
    "no_disclosure_control",
    is_flag=True,
    help="With --publish: write unprotected, for internal use (logged and recorded in the file).",
)
@_level_option("in the file written")
@_allow_duplicates
@_quiet
def export(
    input_: str,
    output: str,
    format_: str | None,
    norwegian: bool,
    partition_by: str | None,
    exporter_options: tuple[str, ...],
    publish: bool,
    threshold: int | None,
    no_disclosure_control: bool,
    levels: tuple[str, ...],
    allow_duplicates: bool,
    quiet: bool,
) -> None:
    """Write a table as Excel, CSV, JSON-stat 2.0, Parquet (file or partitioned dataset) or any plugin format.

    The format follows the suffix of --output (.xlsx, .csv, .json, .parquet) unless --format names it.
    With --publish, counts of people below the threshold (and figures that would reveal them) show ':'.
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
    if (threshold is not None or no_disclosure_control) and not publish:
        raise click.UsageError("--threshold and --no-disclosure-control go with --publish")
    if threshold is not None and no_disclosure_control:
        raise click.UsageError(
            "--threshold sets the disclosure control that --no-disclosure-control turns off"
        )
    protection: DisclosureRules | bool | None = None
    if publish:
        from samhandling.disclosure import DisclosureRules

        protection = False if no_disclosure_control else DisclosureRules(threshold=threshold or 3)
    with _steps(quiet) as steps:
        with steps.step(f"reading {input_}"):
            table = _at_levels(_load(input_, allow_duplicates=allow_duplicates), levels, input_)
        if protection is not None:
            with steps.step("protecting for publication"):
                from samhandling.exporters import for_publication

                table = for_publication(table, protection)
        with steps.step(f"writing {output} ({exporter.name})"):
            from samhandling.exporters import export as export_table

            written = export_table(table, output, format=exporter.name, **options)
    _summary(quiet, f"wrote {exporter.name}", str(written), table)
    if protection is not None and not quiet:
        from rich.markup import escape

        record = table.meta.extra.get("disclosure", {})
        if record.get("protected"):
            hidden = record["suppressed"]
            line = (
                f"[green]protected[/]: {escape(str(record['rule']))}; {hidden['primary']} small count(s) and "
                f"{hidden['secondary']} more cell(s) suppressed"
            )
        else:
            line = "[bold red]not protected[/]: written for internal use without disclosure control"
        _console().print(line, markup=True)
