"""Protect admission counts and rates for publication, prove it, and write the files.

How-to: docs/howto/protect.md.  Run it with ``python examples/protect_admissions.py``.

Needs: what the README's quick start installs (the core; the Excel file needs openpyxl, which the
plugins bring).

The input is the library's synthetic demo data for 2024 (made-up admissions of realistic size per
municipality, city district and unit type on the real 2024 map; see docs/concepts/demo-data.md).  With
real data, read a NIMES table instead::

    admissions = sh.read("nimes-2024.xlsx")                # samhandling-nimes

Files are written to the folder in ``SAMHANDLING_EXAMPLE_OUT`` (default: a new temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import samhandling as sh
from samhandling.disclosure import protect_publication, verify
from samhandling.geography import Geography
from samhandling.report import demo_inputs

YEAR = 2024


def output_folder() -> Path:
    """Where the example writes its files."""
    folder = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def main() -> None:
    inputs = demo_inputs(YEAR, geography=Geography.for_year(YEAR))
    assert inputs.admissions is not None
    assert inputs.population is not None
    admissions = inputs.admissions.where(year=YEAR)
    print(f"admissions are protected: {admissions.variable('admissions').counts_people}")

    # One publication: municipality counts, their county and national totals, and rates per 10,000.
    county = sh.roll_up(admissions, "county")
    national = sh.roll_up(admissions, "national")
    rates = sh.per_10000(admissions, inputs.population, ages="all")
    protection = protect_publication([admissions, county, national, rates])
    for line in protection.summary.describe():
        print(line)

    # Prove it from the published tables alone (what an outsider has).
    result = verify(list(protection.tables))
    print(f"verified: {result.ok}, {result.checked} suppressed cells, none below the threshold")

    # Write for publication: the Excel file shows ':' and its 'kilder' sheet says what was done.
    folder = output_folder()
    published_counts, _county, _national, published_rates = protection.tables
    sh.export(published_counts, folder / "admissions-2024.xlsx")
    sh.export(published_rates, folder / "admissions-per-10000-2024.csv", norwegian=True)
    # The same in one step, for a table published on its own:
    sh.export(county, folder / "admissions-county-2024.json", publish=True)
    print(f"wrote {len(list(folder.iterdir()))} files to {folder}")


if __name__ == "__main__":
    main()
