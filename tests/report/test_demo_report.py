"""The demo report as a user gets it from ``python -m samhandling report --demo --out report``."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from samhandling.geography import Geography
from samhandling.tables import StatTable

from .conftest import BuiltReport

SECTION_IDS = (
    "sammendrag",
    "arsverk",
    "kommuner",
    "innleggelser",
    "ohd",
    "avtaler",
    "kilder",
    "kvalitet",
    "tegn",
)


class _Collector(HTMLParser):
    """Ids, external references, data-file names and table cells of the report."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.external: list[str] = []
        self.codes: list[str] = []
        self.scripts = 0
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        for name in ("src", "href"):
            value = found.get(name)
            if value and not value.startswith("#"):
                self.external.append(value)
        if tag == "script":
            self.scripts += 1
        self._in_code = tag == "code"

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.codes.append(data.strip())


@pytest.fixture(scope="module")
def parsed(demo_report: BuiltReport) -> _Collector:
    collector = _Collector()
    collector.feed(demo_report.html.read_text(encoding="utf-8"))
    return collector


def _stat(report: BuiltReport, name: str) -> StatTable:
    return StatTable.from_arrow(pq.read_table(report.data / f"{name}.parquet"))


def test_command_reports_what_it_wrote_and_shows_progress(demo_report: BuiltReport) -> None:
    assert "Wrote report/index.html" in demo_report.stdout
    assert re.search(r"Wrote \d+ data files in report/data", demo_report.stdout)
    assert "Synthetic demo data" in demo_report.stderr
    assert "Done" in demo_report.stderr
    assert "10/10" in demo_report.stderr


def test_html_is_self_contained(demo_report: BuiltReport, parsed: _Collector) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    assert parsed.external == []  # no stylesheet, image, font or link outside the file
    assert parsed.scripts == 0
    assert "@import" not in html
    assert "url(http" not in html
    assert html.count("<svg") == html.count("</svg>") >= 7
    assert demo_report.html.stat().st_size < 3_000_000


def test_every_section_is_there_in_order(parsed: _Collector) -> None:
    positions = [parsed.ids.index(section) for section in SECTION_IDS]
    assert positions == sorted(positions)


def test_synthetic_data_is_labelled_in_the_html_and_in_every_data_file(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    assert 'class="demo-banner"' in html
    assert "Syntetiske demodata" in html
    assert "<title>" in html
    assert "syntetiske demodata</title>" in html
    for path in sorted(demo_report.data.glob("*.parquet")):
        table = pq.read_table(path)
        if b"samhandling" in (table.schema.metadata or {}):
            meta = json.loads(table.schema.metadata[b"samhandling"])
            assert meta["extra"]["synthetic"] is True, path.name
        else:  # plain lists (findings, services) are labelled by their folder's tables and the report
            assert path.stem in {"findings", "ohd_services"}
    for path in sorted(demo_report.data.glob("*.csv.meta.json")):
        assert json.loads(path.read_text(encoding="utf-8"))["extra"]["synthetic"] is True, path.name


def test_every_chart_and_table_names_data_files_that_exist_in_every_format(
    demo_report: BuiltReport, parsed: _Collector
) -> None:
    named = {code for code in parsed.codes if re.fullmatch(r"[a-z0-9_]+", code)}
    assert {"fte_per_10000_national", "fte_per_10000_county", "fte_per_10000_health_trust"} <= named
    assert {"fte_by_profession_municipality", "admissions_per_10000_municipality", "findings"} <= named
    for name in named:
        for suffix in (".parquet", ".csv", ".xlsx"):
            assert (demo_report.data / f"{name}{suffix}").is_file(), f"{name}{suffix}"


def test_csv_and_parquet_hold_the_same_rows(demo_report: BuiltReport) -> None:
    parquet = _stat(demo_report, "fte_per_10000_county")
    csv = pacsv.read_csv(demo_report.data / "fte_per_10000_county.csv")
    assert csv.num_rows == parquet.num_rows
    assert sorted(csv.column("value").to_pylist()) == pytest.approx(
        sorted(parquet.arrow.column("value").to_pylist())
    )


def test_national_fte_rate_is_realistic_and_recomputes_from_the_parts(demo_report: BuiltReport) -> None:
    rates = _stat(demo_report, "fte_per_10000_national").where(year=2024)
    by_group = {r["target_group"]: r["value"] for r in rates.to_pylist()}
    assert 12 <= by_group["adults"] <= 20
    assert 9 <= by_group["children_young"] <= 20
    # Recompute the adult rate by hand from the municipality data files.
    fte = _stat(demo_report, "fte_by_profession_municipality").arrow
    keep = pc.and_(
        pc.and_(pc.equal(fte["profession"], "total"), pc.equal(fte["target_group"], "adults")),
        pc.equal(fte["level"].cast(pa.string()), "municipality"),
    )
    total_fte = pc.sum(fte.filter(keep)["value"]).as_py()
    counties = _stat(demo_report, "fte_per_10000_county").where(year=2024, target_group="adults")
    assert len(counties) == len(Geography.for_year(2024).counties)
    shares = _stat(demo_report, "fte_per_10000_municipality").where(year=2024, target_group="adults")
    assert 350 <= len(shares.where(level="municipality")) <= 360
    assert total_fte > 5_000
    adults_population = total_fte / by_group["adults"] * 10_000
    assert 4.0e6 < adults_population < 4.8e6  # about 4.4 million inhabitants aged 18+


def test_every_municipality_of_the_map_is_in_the_table(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    table = html[
        html.index('id="tab-municipalities"') : html.index("</table>", html.index('id="tab-municipalities"'))
    ]
    for municipality in Geography.for_year(2024).municipalities:
        assert f'<td class="">{municipality.code} ' in table, municipality.code


def test_numbers_are_norwegian_and_missing_values_are_never_zero(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    assert re.search(r"\d,\d", html)  # decimal comma
    assert "\u202f" in html  # thin space between thousands
    symbols = _stat(demo_report, "fte_per_10000_dps")
    assert symbols.num_rows > 0


def test_quality_findings_appendix_lists_the_planted_error(demo_report: BuiltReport) -> None:
    findings = pq.read_table(demo_report.data / "findings.parquet")
    rules = set(findings.column("rule").to_pylist())
    assert "year-on-year" in rules
    survey = findings.filter(pc.equal(findings["input"], "survey"))
    assert any("fte" in (m or "") for m in survey.column("message").to_pylist())
    html = demo_report.html.read_text(encoding="utf-8")
    assert 'id="tab-findings"' in html


def test_sources_section_gives_provenance(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    sources = html[html.index('id="kilder"') : html.index("</section>", html.index('id="kilder"'))]
    for role in ("Kartlegging", "Folkemengde", "Innleggelser", "Avtaleregister", "Kommunestruktur"):
        assert role in sources
    assert "samhandling.report.demo:survey" in sources
    assert "SYNTETISKE DEMODATA" in sources


def test_agreement_coverage_counts_the_subjects_in_force(demo_report: BuiltReport) -> None:
    # The demo report is for 2024: § 6-2 has 13 subjects, all required from 1 July 2023 (HDIR-62,
    # domain-check.md Check 4).
    coverage = _stat(demo_report, "agreement_coverage_municipality")
    subjects = set(coverage.arrow.column("subject").to_pylist())
    assert subjects == {str(n) for n in range(1, 14)}
    per_subject = coverage.arrow.group_by("subject").aggregate([("value", "sum")]).to_pylist()
    counts = {row["subject"]: row["value_sum"] for row in per_subject}
    assert counts["1"] > counts["8"]  # midwifery is among the subjects the demo leaves out most


def test_ohd_places_are_shared_by_population(demo_report: BuiltReport) -> None:
    services = pq.read_table(demo_report.data / "ohd_services.parquet")
    beds = _stat(demo_report, "ohd_beds_municipality")
    assert pc.sum(beds.arrow["value"]).as_py() == pytest.approx(pc.sum(services["places"]).as_py())
    assert set(services.column("level").to_pylist()) <= {"municipal", "inter_municipal"}
