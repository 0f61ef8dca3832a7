"""``samhandling report``: the yearly report in one command."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from samhandling.geography import FIRST_YEAR, LAST_YEAR

__all__ = ["report"]

_FORMATS = ("parquet", "csv", "xlsx", "jsonstat")
_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.option(
    "--year",
    type=click.IntRange(FIRST_YEAR, LAST_YEAR),
    help="The report year (its municipality map is used).",
)
@click.option(
    "--survey", multiple=True, type=_FILE, help="IS-24/8 survey file(s): FTEs by profession and target group."
)
@click.option("--kostra", multiple=True, type=_FILE, help="SSB/KOSTRA file(s) with the population by age.")
@click.option("--nimes", multiple=True, type=_FILE, help="NIMES admission table(s).")
@click.option("--agreements", multiple=True, type=_FILE, help="Agreement register(s): TOML, JSON or CSV.")
@click.option("--capacity", multiple=True, type=_FILE, help="Table(s) of ØHD places (variable ohd_beds).")
@click.option(
    "--teams",
    multiple=True,
    type=_FILE,
    help="Team register(s) (TOML, JSON: teams, positions, employers) and lists of team patients (CSV).",
)
@click.option(
    "--outcomes",
    multiple=True,
    type=_FILE,
    help="Before/after table of the team patients' inpatient care (columns patient_group, period).",
)
@click.option(
    "--kostra-groups",
    "kostra_groups",
    type=_FILE,
    help="Which KOSTRA group each municipality is in: SSB's KLASS 112 export or correspondence (CSV), or a "
    "CSV with columns kommune and kostragruppe. Adds FTEs per 10,000 by KOSTRA group.",
)
@click.option("--demo", is_flag=True, help="Use the embedded synthetic demo data (needs no files).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("report"),
    show_default=True,
    help="Folder for index.html and data/.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(_FORMATS),
    help="Data file format(s) next to the HTML [default: parquet, csv and xlsx when openpyxl is installed].",
)
@click.option(
    "--threshold",
    type=click.IntRange(1, None),
    default=None,
    help="Smallest count of people published [default: 3]; smaller counts show ':'.",
)
@click.option(
    "--no-disclosure-control",
    "no_disclosure_control",
    is_flag=True,
    help="Internal use only: show small counts of people. The report says so on every page.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Stop on errors in the inputs instead of setting the rows aside and reporting them in the appendix.",
)
@click.option("--quiet", is_flag=True, help="No progress display.")
def report(
    year: int | None,
    survey: tuple[Path, ...],
    kostra: tuple[Path, ...],
    nimes: tuple[Path, ...],
    agreements: tuple[Path, ...],
    capacity: tuple[Path, ...],
    teams: tuple[Path, ...],
    outcomes: tuple[Path, ...],
    kostra_groups: Path | None,
    demo: bool,
    out: Path,
    formats: tuple[str, ...],
    threshold: int | None,
    no_disclosure_control: bool,
    strict: bool,
    quiet: bool,
) -> None:
    """Build the yearly report: one self-contained HTML file and the data behind it.

    FTEs for adults and for children and young people with the change from the year before, by service
    kind, profession and area (health region, county, health trust, DPS, size group, and KOSTRA group
    with --kostra-groups), the variation
    between municipalities, users, admissions, ØHD beds and inter-municipal arrangements, agreement
    coverage of helse- og omsorgstjenesteloven § 6-2, cooperation teams, quality findings and every
    source, in Norwegian. Counts of people below the threshold, and every figure that would reveal one,
    show ':'. Rows an input cannot use are set aside and reported (--strict stops instead).

    \b
    Examples:
      samhandling report --demo --out report
      samhandling report --year 2024 --survey is-24-8-2024.xlsx --kostra 07459.csv \\
          --nimes nimes-2024.xlsx --agreements avtaler.toml --kostra-groups klass-112.csv \\
          --out report-2024
    """
    from samhandling.report.build import DEFAULT_FORMATS, STEPS, build_demo_report, build_report

    given = {
        "--survey": survey,
        "--kostra": kostra,
        "--nimes": nimes,
        "--agreements": agreements,
        "--capacity": capacity,
        "--teams": teams,
        "--outcomes": outcomes,
    }
    if demo:
        clash = [name for name, value in given.items() if value]
        if clash:
            raise click.UsageError(f"--demo uses the embedded synthetic data; leave out {', '.join(clash)}")
    elif year is None:
        raise click.UsageError("give --year (the report year), or --demo for the synthetic demo report")
    elif not survey or not kostra:
        missing = [name for name in ("--survey", "--kostra") if not given[name]]
        raise click.UsageError(
            f"the report needs {' and '.join(missing)} (FTEs from the survey and the population from "
            f"SSB/KOSTRA); --nimes, --agreements, --capacity, --teams and --outcomes are optional"
        )
    if no_disclosure_control and threshold is not None:
        raise click.UsageError(
            "--threshold sets the disclosure control that --no-disclosure-control turns off"
        )
    from samhandling.disclosure import DisclosureRules

    protection: DisclosureRules | bool = (
        False if no_disclosure_control else DisclosureRules(threshold=threshold or 3)
    )
    console = Console(stderr=True, highlight=False)
    chosen = formats or DEFAULT_FORMATS
    with _Steps(console, len(STEPS) + (0 if demo else 1), quiet) as step:
        if demo:
            result = build_demo_report(
                out,
                year=year,
                formats=chosen,
                progress=step,
                protection=protection,
                strict=strict,
                kostra_groups=kostra_groups,
            )
        else:
            from samhandling.report.inputs import load_inputs

            assert year is not None
            step("Reading the input files")
            inputs = load_inputs(
                year,
                survey=survey,
                kostra=kostra,
                nimes=nimes,
                agreements=agreements,
                capacity=capacity,
                teams=teams,
                outcomes=outcomes,
            )
            result = build_report(
                inputs,
                out,
                formats=chosen,
                progress=step,
                protection=protection,
                strict=strict,
                kostra_groups=kostra_groups,
            )
    document = result.document
    figures = len(document.figures)
    tables = sum(len(s.tables) for s in document.sections)
    click.echo(f"Wrote {result.html} ({figures} charts, {tables} tables)")
    click.echo(f"Wrote {len(result.data_files)} data files in {result.html.parent / 'data'}")
    errors = sum(1 for _role, f in result.findings if f.severity.value == "error")
    set_aside = sum(1 for _role, f in result.findings if f.rule == "set-aside")
    click.echo(f"Quality checks: {len(result.findings)} finding(s), {errors} error(s) (appendix A)")
    if set_aside:
        click.echo(f"Set aside: {set_aside} input problem(s) left rows out of the figures (see appendix A)")
    if result.protected:
        for summary in result.protection:
            click.echo(
                f"Disclosure control (threshold {summary.rules.threshold}): {summary.primary} small "
                f"count(s) suppressed, {summary.secondary} more so they cannot be worked out, "
                f"{summary.derived} rate(s) with them"
            )
    else:
        console.print(
            "[bold red]Not protected[/]: built without disclosure control for internal use; "
            "do not publish it."
        )
    for fmt, reason in result.skipped_formats.items():
        console.print(f"[yellow]note:[/] {fmt} files not written: {escape(reason)}")
    if document.demo:
        console.print("[bold red]Synthetic demo data[/]: no figure describes a real municipality.")
    click.echo(f"Built in {result.seconds:.1f} s ({result.cpu_seconds:.1f} s of processor time)")


class _Steps:
    """A rich progress bar over the report's steps on stderr (or nothing with ``--quiet``)."""

    def __init__(self, console: Console, total: int, quiet: bool) -> None:
        self.total = total
        self.done = 0
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        if not quiet:
            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            )

    def __enter__(self) -> _Steps:
        from samhandling import progress

        # the library's own progress (reading a large input) shows under the steps, or not at all
        self._reporting = progress.reporting(progress.RichReporter(self.bar) if self.bar else None)
        self._reporting.__enter__()
        if self.bar is not None:
            self.bar.start()
            self.task = self.bar.add_task("Starting", total=self.total)
        return self

    def __call__(self, description: str) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description=description, completed=self.done)
        self.done = min(self.done + 1, self.total)

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if self.bar is not None and self.task is not None:
            if kind is None:
                self.bar.update(self.task, description="Done", completed=self.total)
            self.bar.stop()
        self._reporting.__exit__(None, None, None)
