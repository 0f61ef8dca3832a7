"""Build the yearly report: one self-contained HTML file plus the data behind every chart and table.

How-to: docs/howto/report.md.  Run it with ``python examples/build_report.py``.

Needs: what the README's quick start installs (the ``report`` extra; the Excel data files need
openpyxl, which the plugins bring).

This builds the report on the library's synthetic demo data (made-up numbers of realistic size on the
real 2024 municipality map, labelled *synthetic* on every page), exactly like::

    samhandling report --demo --out report

With your own files, build the inputs with ``load_inputs`` instead — each argument takes one or more
files in any format an installed source reads::

    from samhandling.report import build_report, load_inputs

    inputs = load_inputs(
        2024,
        survey=["is248-2023.xlsx", "is248-2024.xlsx"],   # samhandling-survey
        kostra=["07459.csv"],                            # population, samhandling-kostra
        nimes=["nimes-2024.xlsx"],                       # admissions, samhandling-nimes
    )
    build_report(inputs, "report-2024")

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
    inputs = demo_inputs(2024)
    print(f"inputs for {inputs.year} (synthetic: {inputs.synthetic}):")
    for name, table in (
        ("survey", inputs.survey),
        ("population", inputs.population),
        ("admissions", inputs.admissions),
    ):
        print(f"  {name:<11} {table}")

    result = build_report(inputs, out, progress=lambda step: print(f"… {step}"))

    html = result.html.read_text(encoding="utf-8")
    assert "<svg" in html, "the charts are embedded in the HTML file"
    assert "synthetic" in html.lower() or "syntetisk" in html.lower(), "demo data is labelled as such"
    print(f"\nreport: {result.html} ({len(html) // 1024} KiB, opens offline in any browser)")
    print(f"{len(result.data_files)} data files, e.g.:")
    for path in result.data_files[:6]:
        print(f"  {path.relative_to(out)}")
    for fmt, reason in result.skipped_formats.items():
        print(f"not written: {fmt} ({reason})")
    print(f"{len(result.findings)} quality findings in the appendix")


if __name__ == "__main__":
    main()
