"""``samhandling survey``: the shipped column specifications and the example files, from the shell.

An analyst whose file is worded differently gets a spec to edit without writing Python::

    samhandling survey spec 2023 --output min-spec.toml
    samhandling survey example eksempel/
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["survey"]


@click.group()
def survey() -> None:
    """The IS-24/8 survey: column specifications and example files."""


@survey.command()
@click.argument("year", type=int, required=False)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write the spec to this file (or folder) instead of printing it.",
)
def spec(year: int | None, output: Path | None) -> None:
    """Print the shipped column specification of YEAR (without YEAR: list the shipped years).

    Example: samhandling survey spec 2023 -o min-spec.toml
    """
    from samhandling_survey.spec import copy_spec, shipped_years, spec_text

    if year is None:
        click.echo(" ".join(map(str, shipped_years())))
        return
    if output is None:
        click.echo(spec_text(year), nl=False)
        return
    click.echo(f"wrote {copy_spec(year, output)}")


@survey.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def example(directory: Path) -> None:
    """Write the example survey files (synthetic numbers, planted errors) and their population.

    Example: samhandling survey example eksempel/ && samhandling check eksempel/is248-*
    """
    from samhandling_survey.example import write_example_files

    files = write_example_files(directory)
    for path in [*files.all_survey_files, files.population]:
        click.echo(str(path))
