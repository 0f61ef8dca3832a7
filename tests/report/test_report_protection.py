"""The demo report publishes no small count of people, and the verifier proves it from its files.

The true counts are recomputed here from the demo's input table with plain pyarrow (a municipality's
county is the first two digits of its code; the country is every municipality), independently of the
report's own roll-ups.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from samhandling.disclosure import verify
from samhandling.errors import ExportError
from samhandling.geography import Geography
from samhandling.report.demo import DEFAULT_YEAR, demo_inputs
from samhandling.report.protection import check_datasets
from samhandling.report.sections import DataSet
from samhandling.tables import StatTable, Variable

from .conftest import BuiltReport

THRESHOLD = 3
ADMISSIONS = Variable(id="admissions", unit="opphold", counts_people=True)
PUBLISHED = (
    "admissions_municipality",
    "admissions_per_10000_municipality",
    "admissions_per_10000_county",
    "admissions_per_10000_national",
)

Key = tuple[str, int, str]  # region, year, unit type ("total" for all)


@pytest.fixture(scope="module")
def truth() -> dict[Key, float]:
    """Every admission count the report's tables are made of: municipality, district, county, country."""
    inputs = demo_inputs(DEFAULT_YEAR, geography=Geography.for_year(DEFAULT_YEAR))
    assert inputs.admissions is not None
    rows = inputs.admissions.arrow
    plain = pa.table(
        {
            "region": rows["region"].cast(pa.string()),
            "level": rows["level"].cast(pa.string()),
            "year": rows["year"],
            "unit_type": rows["unit_type"].cast(pa.string()),
            "value": rows["value"],
        }
    )
    found: dict[Key, float] = {}
    for row in plain.to_pylist():
        for unit in (row["unit_type"], "total"):
            key = (row["region"], row["year"], unit)
            found[key] = found.get(key, 0.0) + row["value"]
            if row["level"] == "municipality":
                for area in (row["region"][:2], "0"):
                    up = (area, row["year"], unit)
                    found[up] = found.get(up, 0.0) + row["value"]
    return found


def _read(report: BuiltReport, name: str) -> StatTable:
    return StatTable.from_arrow(pq.read_table(report.data / f"{name}.parquet"))


def _rows(table: StatTable) -> list[tuple[Key, float | None, str | None]]:
    return [((r["region"], r["year"], r["unit_type"]), r["value"], r["status"]) for r in table.to_pylist()]


def test_no_data_file_shows_a_small_count_of_people_at_any_level(
    demo_report: BuiltReport, truth: dict[Key, float]
) -> None:
    checked = 0
    for name in PUBLISHED:
        for key, value, status in _rows(_read(demo_report, name)):
            count = truth[key]
            if 0 < count < THRESHOLD:
                assert value is None, (name, key, count, value)
                assert status == ":", (name, key, count, status)
            if status is None:
                checked += 1
                assert count == 0 or count >= THRESHOLD, (name, key, count)
    assert checked > 1000


def test_the_csv_files_hide_the_same_cells(demo_report: BuiltReport) -> None:
    for name in PUBLISHED:
        parquet = _read(demo_report, name).arrow["status"].cast(pa.string()).to_pylist()
        csv = pacsv.read_csv(
            demo_report.data / f"{name}.csv", convert_options=pacsv.ConvertOptions(strings_can_be_null=True)
        )
        assert parquet.count(":") == csv["status"].cast(pa.string()).to_pylist().count(":")


def test_the_report_hides_small_counts_and_secondary_ones(
    demo_report: BuiltReport, truth: dict[Key, float]
) -> None:
    counts = _rows(_read(demo_report, "admissions_municipality"))
    small = [k for k, _v, _s in counts if 0 < truth[k] < THRESHOLD]
    hidden = [k for k, _v, s in counts if s == ":"]
    assert small  # the demo data has small counts to protect ...
    assert len(hidden) > len(small)  # ... and more cells had to go with them


def test_rates_are_hidden_exactly_where_their_counts_are(demo_report: BuiltReport) -> None:
    counts = {k: s for k, _v, s in _rows(_read(demo_report, "admissions_municipality"))}
    rates = {k: s for k, _v, s in _rows(_read(demo_report, "admissions_per_10000_municipality"))}
    assert set(counts) == set(rates)
    assert all((counts[k] == ":") == (rates[k] == ":") for k in counts)


def _context(truth: dict[Key, float]) -> list[StatTable]:
    """The county and national counts behind the published rates (from the independent truth)."""
    keys = [k for k in truth if len(k[0]) <= 2]
    return [
        StatTable.from_pydict(
            {
                "region": [k[0] for k in keys],
                "level": ["national" if k[0] == "0" else "county" for k in keys],
                "year": [k[1] for k in keys],
                "unit_type": [k[2] for k in keys],
                "variable": ["admissions"] * len(keys),
                "value": [truth[k] for k in keys],
            },
            geography_year=DEFAULT_YEAR,
            variables=[ADMISSIONS],
        )
    ]


@pytest.mark.slow
def test_the_verifier_proves_no_suppressed_cell_can_be_worked_out(
    demo_report: BuiltReport, truth: dict[Key, float]
) -> None:
    published = [_read(demo_report, name) for name in PUBLISHED]
    result = verify(published, context=_context(truth))
    assert result.ok, result.failures[:5]
    assert result.checked == sum(s == ":" for t in published[:1] for _k, _v, s in _rows(t))
    assert min(i.high for i in result.intervals) >= THRESHOLD


class _Cells(HTMLParser):
    """The text of every cell of one HTML table, row by row."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.waiting = False
        self.inside = False
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if dict(attrs).get("id") == self.table_id:
            self.waiting = True
        elif tag == "table" and self.waiting:
            self.inside, self.waiting = True, False
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_the_html_table_shows_no_small_count(demo_report: BuiltReport, truth: dict[Key, float]) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    parser = _Cells("tab-admissions-municipality")
    parser.feed(html)
    rows = [r for r in parser.rows if r]
    assert len(rows) == len(Geography.for_year(DEFAULT_YEAR).municipalities)
    hidden_totals = 0
    for row in rows:
        code = row[0].split(" ")[0]
        total = truth[(code, DEFAULT_YEAR, "total")]
        if 0 < total < THRESHOLD:
            assert row[1] == ":", (code, row[1])
        if row[1] == ":":
            hidden_totals += 1
        else:
            shown = float(row[1].replace("\u202f", "").replace(",", "."))
            assert shown == total
            assert shown == 0 or shown >= THRESHOLD
    header = html[html.index('id="tab-admissions-municipality"') :]
    units = re.findall(r"<th[^>]*>([^<]+)<", header[: header.index("</thead>")])[2:]
    assert units  # per-unit rates follow; a suppressed count shows ":" in its rate column
    assert any(":" in row[2:] for row in rows)
    assert hidden_totals > 0


def test_legend_sources_and_metadata_say_what_was_hidden(demo_report: BuiltReport) -> None:
    html = demo_report.html.read_text(encoding="utf-8")
    legend = html[html.index('id="tegn"') :]
    assert re.search(r'<td class="symbol">:</td><td>[^<]*færre enn 3 personer', legend)
    sources = html[html.index('id="kilder"') : html.index("</section>", html.index('id="kilder"'))]
    assert "Personvern" in sources
    assert "vises ikke" in sources
    record = _read(demo_report, "admissions_municipality").meta.extra["disclosure"]
    assert record["protected"] is True
    assert record["rules"]["threshold"] == THRESHOLD
    assert record["suppressed"]["primary"] > 0
    assert record["suppressed"]["secondary"] > 0
    assert "Disclosure control (threshold 3)" in demo_report.stdout


def test_findings_about_counts_of_people_carry_no_figures(demo_report: BuiltReport) -> None:
    findings = pq.read_table(demo_report.data / "findings.parquet").to_pylist()
    about = [f for f in findings if f["variable"] == "admissions"]
    assert about  # the demo's admissions jump from year to year by chance
    for finding in about:
        assert not re.search(r"\d", finding["message"].split(":", 1)[1]), finding["message"]
        assert not finding["values"]


def test_a_data_set_of_people_that_skipped_protection_is_refused() -> None:
    table = StatTable.from_pydict(
        {
            "region": ["3301"],
            "level": ["municipality"],
            "year": [2024],
            "variable": ["admissions"],
            "value": [1.0],
        },
        geography_year=2024,
        variables=[ADMISSIONS],
    )
    with pytest.raises(ExportError, match="not protected"):
        check_datasets([DataSet(name="sneaky", title="Sneaky", table=table)])


def test_an_internal_report_says_on_every_page_that_it_is_not_protected(tmp_path: Path) -> None:
    from samhandling.report import build_demo_report

    result = build_demo_report(tmp_path / "internal", formats=("parquet",), protection=False)
    assert not result.protected
    assert not result.protection
    html = result.html.read_text(encoding="utf-8")
    assert "Ikke skjermet for publisering" in html
    record = StatTable.from_arrow(
        pq.read_table(tmp_path / "internal" / "data" / "admissions_municipality.parquet")
    )
    assert record.meta.extra["disclosure"]["protected"] is False
    assert ":" not in record.arrow["status"].cast(pa.string()).to_pylist()


# -- users and cooperation teams: the other counts of people the report publishes ------------------

USERS = (
    "users_municipality",
    "users_per_10000_municipality",
    "users_per_10000_county",
    "users_per_10000_national",
)
UserKey = tuple[str, int, str]  # region, year, target group


@pytest.fixture(scope="module")
def user_truth() -> dict[UserKey, float]:
    """Every user count behind the report's user tables, recomputed from the demo survey."""
    inputs = demo_inputs(DEFAULT_YEAR, geography=Geography.for_year(DEFAULT_YEAR))
    assert inputs.survey is not None
    rows = inputs.survey.where(variable="users").to_pylist()
    found: dict[UserKey, float] = {}
    for row in rows:
        key = (row["region"], row["year"], row["target_group"])
        found[key] = found.get(key, 0.0) + row["value"]
        if row["level"] == "municipality":
            for area in (row["region"][:2], "0"):
                up = (area, row["year"], row["target_group"])
                found[up] = found.get(up, 0.0) + row["value"]
    return found


def test_no_user_table_shows_a_small_count(
    demo_report: BuiltReport, user_truth: dict[UserKey, float]
) -> None:
    checked = 0
    hidden = 0
    for name in USERS:
        for row in _read(demo_report, name).to_pylist():
            count = user_truth[(row["region"], row["year"], row["target_group"])]
            if 0 < count < THRESHOLD:
                assert row["value"] is None, (name, row)
                assert row["status"] == ":", (name, row)
            if row["status"] == ":":
                hidden += 1
            else:
                checked += 1
                assert count == 0 or count >= THRESHOLD, (name, row, count)
    assert checked > 500
    assert hidden > 0  # the demo has municipalities with one or two child users


@pytest.mark.slow
def test_the_verifier_proves_the_user_tables(
    demo_report: BuiltReport, user_truth: dict[UserKey, float]
) -> None:
    keys = [k for k in user_truth if len(k[0]) <= 2]
    context = StatTable.from_pydict(
        {
            "region": [k[0] for k in keys],
            "level": ["national" if k[0] == "0" else "county" for k in keys],
            "year": [k[1] for k in keys],
            "target_group": [k[2] for k in keys],
            "variable": ["users"] * len(keys),
            "value": [user_truth[k] for k in keys],
        },
        geography_year=DEFAULT_YEAR,
        variables=[Variable(id="users", unit="bruker", counts_people=True)],
    )
    published = [_read(demo_report, name) for name in USERS]
    result = verify(published, context=[context])
    assert result.ok, result.failures[:5]
    assert result.checked > 0
    assert min(i.high for i in result.intervals) >= THRESHOLD


def test_team_outcomes_show_no_small_count(demo_report: BuiltReport) -> None:
    """The before/after counts of each team's patients and of the other patients, and the patients
    themselves, are never published between 1 and the threshold; a change is shown only where both of
    its counts are."""
    geography = Geography.for_year(DEFAULT_YEAR)
    inputs = demo_inputs(DEFAULT_YEAR, geography=geography)
    assert inputs.outcomes is not None
    truth: dict[tuple[str, str, str, str], float] = {}
    for row in inputs.outcomes.to_pylist():
        key = (row["team"], row["patient_group"], row["period"], row["variable"])
        truth[key] = truth.get(key, 0.0) + row["value"]
    published = _read(demo_report, "team_outcomes")
    people = {"acute_admissions", "involuntary_stays", "patients"}
    small_seen = 0
    for row in published.to_pylist():
        count = truth[(row["team"], row["patient_group"], row["period"], row["variable"])]
        if row["variable"] in people and 0 < count < THRESHOLD:
            small_seen += 1
            assert row["value"] is None, row
            assert row["status"] == ":", row
        elif row["status"] is None:
            assert row["value"] == count, row
    assert small_seen > 0  # the demo's FACT team has fewer than three involuntary stays after
    assert published.meta.extra["disclosure"]["protected"] is True
    html = demo_report.html.read_text(encoding="utf-8")
    team = html[html.index('id="team"') : html.index("</section>", html.index('id="team"'))]
    parser = _Cells("tab-team-outcomes-fact-ringerike-og-hole")
    parser.feed(team)
    rows = {r[0]: r for r in parser.rows if r}
    tph = rows["Opphold under tvungent psykisk helsevern (TPH)"]
    assert tph[2] == ":"  # after: fewer than three
    assert tph[3] == ":"  # so no change either
    assert verify([published]).ok
