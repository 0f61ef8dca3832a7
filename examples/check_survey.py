"""Check a survey file before publishing: sums, impossible values, jumps, missing and invalid codes.

How-to: docs/howto/check-survey.md.  Run it with ``python examples/check_survey.py``.

Needs: what the README's quick start installs (the samhandling-survey plugin).

The input is the example survey shipped with samhandling-survey: the IS-24/8 files of 2022 (CSV) and
2023 (Excel, merged header rows) for the municipalities of Innlandet, with *synthetic* numbers and a
dozen planted errors.  With your own files, replace ``example_files()`` by their paths.  The same from
the command line::

    samhandling check is248-2022.csv is248-2023.xlsx --output findings.csv --strict

Files are written to the folder in ``SAMHANDLING_EXAMPLE_OUT`` (default: a new temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.csv as pacsv
from samhandling_survey import example_files, read_survey_series

import samhandling as sh
from samhandling.checks import CheckContext, Severity, findings_table


def output_folder() -> Path:
    """Where the example writes its files."""
    folder = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def main() -> None:
    out = output_folder()
    files = example_files()

    # One year on its own: samhandling.read picks the survey source from the file's headers.  The
    # example file has a municipality entered twice; reading refuses that unless allow_duplicates=True,
    # which keeps the copies so that the "duplicates" check below can show them.
    one_year = sh.read(files.survey[2023], allow_duplicates=True)
    print(one_year)

    # Several years as one time series with the same variable ids: the year-on-year check and the
    # "missing from a year" check need more than one year.
    series = read_survey_series(files.all_survey_files)
    print(series)

    # The FTEs-per-10,000 check needs the population; give it through the check context.
    population = sh.read(files.population)
    context = CheckContext(population=population)
    findings = sh.run_checks(series, context=context)

    by_severity = Counter(str(f.severity) for f in findings)
    print(f"\n{len(findings)} findings: {dict(by_severity)}\n")
    for finding in findings:
        if finding.severity is Severity.INFO:
            continue
        where = f"{finding.region or '':>6} {finding.year or ''}"
        print(f"{finding.severity:<8} {finding.rule:<18} {where}  {finding.message[:90]}")

    # Every rule that found something, and the municipalities it names.
    rules: dict[str, set[str]] = {}
    for finding in findings:
        rules.setdefault(finding.rule, set()).add(finding.region or "")
    print("\nrules that found something:")
    for rule, regions in sorted(rules.items()):
        print(f"  {rule:<18} {', '.join(sorted(r for r in regions if r))}")
    # The planted errors of the example file are all found.
    for rule in ("sum-of-parts", "negative-values", "duplicates", "invalid-codes", "missing-regions"):
        assert rule in rules, f"the example has a planted error for {rule!r}"

    # Findings as a table: for a spreadsheet, or the appendix of the report.
    target = out / "survey-findings.csv"
    pacsv.write_csv(findings_table(findings), target)
    print(f"\nwritten: {target}")

    # Publishing rule of thumb: no errors left.
    errors = [f for f in findings if f.severity is Severity.ERROR]
    print(f"{len(errors)} errors must be fixed before the figures are published.")


if __name__ == "__main__":
    main()
