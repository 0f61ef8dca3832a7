"""Tables, findings and maps in a notebook: short, units and symbols explained, everything escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

import samhandling as sh
from samhandling import Provenance, StatTable, Variable
from samhandling.checks import Finding, Findings, Severity
from samhandling.geography import Geography
from samhandling.notebook import MAX_ROWS


def _table(rows: int = 3) -> StatTable:
    regions = [f"{3301 + i}" for i in range(rows)]
    return StatTable.from_pydict(
        {
            "region": regions,
            "level": ["municipality"] * rows,
            "year": [2024] * rows,
            "profession": ["<b>psykolog</b>"] * rows,
            "variable": ["fte"] * rows,
            "value": [None, *[12.5] * (rows - 1)],
            "status": [":", *[None] * (rows - 1)],
        },
        variables=[Variable(id="fte", unit="årsverk", label="Årsverk & stillinger")],
        geography_year=2024,
        source="survey",
        provenance=[
            Provenance(source="survey", location="<script>alert(1)</script>.csv", checksum="sha256:ab")
        ],
    )


def test_a_table_shows_its_units_statuses_and_sources() -> None:
    html = _table()._repr_html_()

    assert "årsverk" in html  # the unit of every variable
    assert "Årsverk &amp; stillinger" in html
    assert "Vises ikke av konfidensialitetshensyn" in html  # what ':' means, next to the rows that have it
    assert "Where it came from" in html
    assert "3 rows, years 2024, levels municipality, on the 2024 map" in html


def test_everything_from_the_data_is_escaped() -> None:
    html = _table()._repr_html_()

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in html
    assert "<b>psykolog</b>" not in html
    assert "&lt;b&gt;psykolog&lt;/b&gt;" in html


def test_a_long_table_shows_its_first_rows_only() -> None:
    html = _table(rows=250)._repr_html_()

    # variables: header + 1; rows: header + MAX_ROWS; statuses: header + ':'
    assert html.count("<tr>") == 2 + (1 + MAX_ROWS) + 2
    assert f"the first {MAX_ROWS} of 250 rows" in html


def test_run_checks_returns_findings_that_show_as_a_table() -> None:
    table = StatTable.from_pydict(
        {"region": ["3301"], "level": ["municipality"], "year": [2024], "variable": ["fte"], "value": [-1.0]},
        variables=[Variable(id="fte", unit="årsverk")],
        geography_year=2024,
    )

    findings = sh.run_checks(table, checks=["negative-values"])

    assert isinstance(findings, Findings)
    assert isinstance(findings, list)
    html = findings._repr_html_()
    assert "1 finding" in html
    assert "must be fixed before the figures are published" in html  # what an error asks of the reader
    assert "negative-values" in html


def test_a_finding_is_escaped_and_names_what_it_needs() -> None:
    from samhandling.errors import Parameter

    finding = Finding(
        rule="x<y>",
        severity=Severity.INFO,
        message="a <b>bold</b> claim",
        needs=(Parameter(name="population", owner="CheckContext"),),
    )

    html = finding._repr_html_()

    assert "<b>bold</b>" not in html
    assert "a &lt;b&gt;bold&lt;/b&gt; claim (give CheckContext(population=...))" in html
    assert Findings()._repr_html_().count("No findings") == 1


def test_a_map_shows_its_areas_and_sources() -> None:
    html = Geography.for_year(2024)._repr_html_()

    assert "Geography 2024" in html
    assert '<td class="num">357</td>' in html  # municipalities on the 2024 map
    assert "SSB KLASS" in html
    assert "shared/" not in html


@pytest.mark.parametrize("path", ["examples/data/12228-buskerud-2018-2019.csv"])
def test_a_real_download_renders(path: str) -> None:
    table = sh.read(Path(__file__).resolve().parents[2] / path)

    html = table._repr_html_()

    for symbol, meaning in ((":", "konfidensialitetshensyn"), ("..", "Tallgrunnlag mangler"), ("-", "Null")):
        assert f"<code>{symbol}</code>" in html
        assert meaning in html
