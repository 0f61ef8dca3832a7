"""Build the yearly report: one self-contained HTML file plus the data behind every chart and table.

How-to: docs/howto/report.md.  Run it with ``python examples/build_report.py``.

Needs: what the README's quick start installs (the ``report`` extra; the Excel data files need
openpyxl, which the plugins bring).

This builds the report on the library's demo inputs — SSB's real population of 2017–2021 on the real
2021 municipality map, with synthetic service figures (årsverk, users, admissions, agreements and two
cooperation teams) drawn around the published national figures, labelled *synthetic* on every page, in
every chart and in every data file — exactly like::

    samhandling report --demo --out report

With your own files, build the inputs with ``load_inputs`` instead — each argument takes one or more
files in any format an installed source reads::

    from samhandling.report import build_report, load_inputs

    inputs = load_inputs(
        2023,
        survey=["is248-2022.csv", "is248-2023.xlsx"],   # samhandling-survey
        kostra=["07459.csv"],                            # population, samhandling-kostra
        nimes=["nimes-2023.xlsx"],                       # admissions, samhandling-nimes
        teams=["samhandlingsteam.toml"],                 # cooperation teams and their patients
    )
    build_report(inputs, "report-2023")

The report is written to ``report/`` under the folder in ``SAMHANDLING_EXAMPLE_OUT`` (default: a new
temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from samhandling.report import build_report, demo_inputs


def output_folder() -> Path:
    """Where the example writes its files."""
    folder = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def main() -> None:
    out = output_folder() / "report"
    inputs = demo_inputs()
    print(f"inputs for {inputs.year} (synthetic: {inputs.is_synthetic}):")
    for name, table in (
        ("survey", inputs.survey),
        ("population", inputs.population),
        ("admissions", inputs.admissions),
        ("outcomes", inputs.outcomes),
    ):
        print(f"  {name:<11} {table}")
    assert inputs.teams is not None
    print(f"  {'teams':<11} {', '.join(team.name for team in inputs.teams.teams)}")

    result = build_report(inputs, out, progress=lambda step: print(f"… {step}"))

    html = result.html.read_text(encoding="utf-8")
    assert "<svg" in html, "the charts are embedded in the HTML file"
    assert "syntetisk" in html.lower(), "synthetic data is labelled as such"
    print(f"\nreport: {result.html} ({len(html) // 1024} KiB, opens offline in any browser)")
    print(f"built in {result.seconds:.1f} s ({result.cpu_seconds:.1f} s of processor time)")
    print(f"{len(result.data_files)} data files, e.g.:")
    for path in result.data_files[:6]:
        print(f"  {path.relative_to(out)}")
    for fmt, reason in result.skipped_formats.items():
        print(f"not written: {fmt} ({reason})")
    print(f"{len(result.findings)} quality findings in the appendix")


if __name__ == "__main__":
    main()
