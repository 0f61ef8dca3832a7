"""The demo report as a user gets it from ``python -m samhandling report --demo --out report``."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
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
    "tiltak",
    "kompetanse",
    "omrader",
    "variasjon",
    "kommuner",
    "brukere",
    "innleggelser",
    "ohd",
    "avtaler",
    "team",
    "kilder",
    "kvalitet",
    "tegn",
)
YEAR = 2021


class _Collector(HTMLParser):
    """Ids, external references, data-file names and table cells of the report."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.external: list[str] = []
        self.codes: list[str] = []
        self.scripts = 0
        self.script_sources: list[str] = []
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
            if found.get("src"):
                self.script_sources.append(str(found["src"]))
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
    assert "13/13" in demo_report.stderr
    assert re.search(r"Built in \d+[.,]\d s \(\d+[.,]\d s of processor time\)", demo_report.stdout)


def test_html_is_self_contained(demo_report: BuiltReport, parsed: _Collector) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    assert parsed.external == []  # no stylesheet, image, font or link outside the file
    assert parsed.scripts == 1  # the small inline search-and-sort script
    assert parsed.script_sources == []
    assert "@import" not in html
    assert "url(http" not in html
    assert html.count("<svg") == html.count("</svg>") >= 2 * 18  # every chart drawn for wide and narrow
    assert demo_report.html.stat().st_size < 3_000_000


def test_every_section_is_there_in_order(parsed: _Collector) -> None:
    positions = [parsed.ids.index(section) for section in SECTION_IDS]
    assert positions == sorted(positions)


def test_synthetic_data_is_labelled_in_the_html_in_every_chart_and_in_every_data_file(
    demo_report: BuiltReport,
) -> None:
    import openpyxl

    html = demo_report.html.read_text(encoding="utf-8")
    assert 'class="demo-banner"' in html
    assert "Syntetiske demodata" in html
    assert "syntetiske demodata</title>" in html
    charts = re.findall(r"<svg class=\"chart.*?</svg>", html, flags=re.S)
    assert len(charts) >= 36
    assert all(">Syntetiske demodata</text>" in chart for chart in charts)  # inside every picture
    parquet = sorted(demo_report.data.glob("*.parquet"))
    assert len(parquet) > 30
    for path in parquet:
        table = pq.read_table(path)
        metadata = table.schema.metadata or {}
        if b"samhandling" in metadata:
            stat = StatTable.from_arrow(table)
            assert stat.meta.extra["synthetic"] is True, path.name
            assert stat.synthetic, path.name
            assert "syntetiske demodata" in stat.meta.title, path.name
        else:  # lists that are not statistics: metadata and a column
            meta = json.loads(metadata[b"samhandling.report"])
            assert meta["extra"]["synthetic"] is True, path.name
            assert set(table.column("synthetic").to_pylist()) == {"syntetiske demodata"}, path.name
    for path in sorted(demo_report.data.glob("*.csv")):
        csv = pacsv.read_csv(path)
        assert set(csv.column("synthetic").to_pylist()) == {"syntetiske demodata"}, path.name
    for path in sorted(demo_report.data.glob("*.csv.meta.json")):
        assert json.loads(path.read_text(encoding="utf-8"))["extra"]["synthetic"] is True, path.name
    for path in sorted(demo_report.data.glob("*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True)
        words = " ".join(
            str(value).lower()
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value
        )
        assert "syntetiske demodata" in words, path.name


def test_every_chart_and_table_names_data_files_that_exist_in_every_format(
    demo_report: BuiltReport, parsed: _Collector
) -> None:
    named = {code for code in parsed.codes if re.fullmatch(r"[a-z0-9_]+", code)}
    assert {"fte_per_10000_national", "fte_per_10000_county", "fte_per_10000_health_trust"} <= named
    assert {"fte_by_profession_municipality", "admissions_per_10000_municipality", "findings"} <= named
    assert {
        "fte_national",
        "fte_by_service_national",
        "fte_per_10000_health_region",
        "fte_per_10000_size_group",
    } <= named
    assert {
        "variation_fte_municipality",
        "variation_admissions_municipality",
        "team_outcomes",
        "team_positions",
    } <= named
    assert {"users_per_10000_county", "fte_by_profession_national"} <= named
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
    rates = _stat(demo_report, "fte_per_10000_national").where(year=YEAR)
    by_group = {r["target_group"]: r["value"] for r in rates.to_pylist()}
    assert 27 <= by_group["adults"] <= 34  # ≈31 per 10 000 aged 18+ (is248-published.md, inferred)
    assert 29 <= by_group["children_young"] <= 37
    assert 28 <= by_group["total"] <= 34
    # Recompute the adult rate by hand from the municipality data files.
    fte = _stat(demo_report, "fte_municipality").where(year=YEAR, target_group="adults", level="municipality")
    total_fte = pc.sum(fte.arrow["value"]).as_py()
    assert total_fte == pytest.approx(13_091, rel=0.03)  # the published national figure for 2021
    counties = _stat(demo_report, "fte_per_10000_county").where(year=YEAR, target_group="adults")
    assert len(counties) == len(Geography.for_year(YEAR).counties)
    shares = _stat(demo_report, "fte_per_10000_municipality").where(year=YEAR, target_group="adults")
    assert len(shares.where(level="municipality")) == len(Geography.for_year(YEAR).municipalities)
    adults_population = total_fte / by_group["adults"] * 10_000
    assert 4.1e6 < adults_population < 4.4e6  # SSB: 4.26 million inhabitants aged 18+ on 1 January 2021
    national = _stat(demo_report, "fte_national").where(year=YEAR)
    totals = {r["target_group"]: r["value"] for r in national.to_pylist()}
    assert totals["total"] == pytest.approx(totals["adults"] + totals["children_young"])


def test_every_municipality_of_the_map_is_in_the_table(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    table = html[
        html.index('id="tab-municipalities"') : html.index("</table>", html.index('id="tab-municipalities"'))
    ]
    for municipality in Geography.for_year(YEAR).municipalities:
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
    # The demo report is for 2021: § 6-2 had eleven subjects on 1 July 2021; nos. 12 and 13 came into
    # force on 1 August 2022 (HDIR-62, domain-check.md Check 4).
    coverage = _stat(demo_report, "agreement_coverage_municipality")
    subjects = set(coverage.arrow.column("subject").to_pylist())
    assert subjects == {str(n) for n in range(1, 12)}
    per_subject = coverage.arrow.group_by("subject").aggregate([("value", "sum")]).to_pylist()
    counts = {row["subject"]: row["value_sum"] for row in per_subject}
    assert counts["1"] > counts["8"]  # midwifery is among the subjects the demo leaves out most


def test_ohd_places_are_shared_by_population(demo_report: BuiltReport) -> None:
    services = pq.read_table(demo_report.data / "ohd_services.parquet")
    beds = _stat(demo_report, "ohd_beds_municipality")
    assert pc.sum(beds.arrow["value"]).as_py() == pytest.approx(pc.sum(services["places"]).as_py())
    assert set(services.column("level").to_pylist()) <= {"municipal", "inter_municipal"}


def _text_of(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    end = html.index("</section>", start)
    return html[start:end]


def test_norwegian_throughout_with_labels_not_ids(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    assert 'lang="en"' not in html
    assert "Contents" not in html
    assert "<h2>Innhold</h2>" in html
    appendix = _text_of(html, "kvalitet")
    for raw in (
        "target_group=",
        "fte_per_10000",
        "Tukey",
        "k=3",
        "profession=",
        " is ",
        " for 0",
        "went from",
    ):
        assert raw not in appendix, raw
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", appendix)
    assert cells
    assert not [c for c in cells if re.search(r"\d\.\d", c)]  # no dot decimals
    assert any("Hvaler" in c or "gikk fra" in c for c in cells)  # the planted error, in words
    body = html[html.index("</style>") :]
    assert "▲" not in body
    assert "▼" not in body


def test_one_name_per_area_everywhere(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    geography = Geography.for_year(YEAR)
    for county in geography.counties:
        if county.short_name:
            assert county.name not in html, county.name  # "Trøndelag - Trööndelage" never, "Trøndelag" always
            assert f">{county.short_name}</text>" in html
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", html)
    assert not [t for t in texts if "…" in t]  # no name is cut short
    for trust in geography.health_trusts:
        if trust.code in {"lovisenberg", "diakonhjemmet"}:
            continue  # Oslo's private hospitals have no catchment of their own on this map
        joined = " ".join(texts)
        assert trust.name in joined or all(part in joined for part in trust.name.split()), trust.name


def test_coverage_is_shown_where_totals_are(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    assert "omfatter ikke Oslo" not in html
    assert html.count("Kommuner med tall") >= 5
    assert "356 av 356" in _text_of(html, "arsverk")
    dps = html[html.index('id="tab-fte-dps"') :]
    assert re.search(r"\d+ av \d+", dps[: dps.index("</table>")])


def test_the_report_has_the_content_of_the_published_yearly_report(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    summary = _text_of(html, "sammendrag")
    for headline in ("Årsverk i alt", "Årsverk til voksne", "Årsverk til barn og unge", "fra 2020"):
        assert headline in summary, headline
    for figure in (
        "fig-fte-by-service",
        "fig-profession-mix",
        "fig-fte-dots-health-region",
        "fig-fte-dots-county",
        "fig-fte-dots-health-trust",
        "fig-fte-size-group",
        "fig-fte-ranked",
        "fig-fte-funnel",
        "fig-admissions-ranked",
        "fig-admissions-funnel",
        "fig-users-county",
        "fig-team-staffing",
    ):
        assert f'id="{figure}"' in html, figure
    for table in (
        "tab-fte-national",
        "tab-fte-by-service",
        "tab-profession-mix",
        "tab-fte-size-group",
        "tab-variation-summary",
        "tab-team-staffing",
    ):
        assert f'id="{table}"' in html, table
    assert "KLASS" in _text_of(html, "omrader")  # KOSTRA groups: said why they are not shown
    team = _text_of(html, "team")
    for word in (
        "Akutte innleggelser",
        "Liggedøgn",
        "Opphold under tvungent psykisk helsevern",
        "NAV",
        "Kommune",
    ):
        assert word in team, word


def test_funnel_limits_follow_the_stated_method(demo_report: BuiltReport) -> None:
    from samhandling.report import funnel

    data = pq.read_table(demo_report.data / "variation_admissions_municipality.parquet")
    rates = np.asarray(data.column("rate_per_10000").to_pylist())
    population = np.asarray(data.column("population").to_pylist())
    national = data.column("national_rate")[0].as_py()
    limits = funnel.control_limits(rates, population, national)
    lower, upper = limits.bounds(population, funnel.Z_998)
    assert np.allclose(lower, data.column("lower_99_8").to_pylist())
    assert np.allclose(upper, data.column("upper_99_8").to_pylist())
    width_small = upper[np.argmin(population)] - lower[np.argmin(population)]
    width_large = upper[np.argmax(population)] - lower[np.argmax(population)]
    assert width_small > width_large  # the funnel narrows with population
