"""The demo report as a person sees it: opened in headless Chromium, on a desktop and on a phone, with and
without scripts, and printed.

Uses the system's Chromium (Debian's ``chromium`` package) through playwright; skipped when either is
missing.  Screenshots of the desktop and phone renderings and a PDF print are kept in ``test-artifacts/``
(git-ignored) and in pytest's temporary folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import BuiltReport

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Desktop and phone widths (CSS pixels); every chart's text must be at least this large at both.
DESKTOP, PHONE, NARROWEST, WIDEST_PHONE = 1400, 390, 360, 430
SMALLEST_TEXT = 10.0

_CHARTS = """Array.from(document.querySelectorAll('figure svg.chart')).map(svg => {
    const box = svg.getBoundingClientRect();
    const visible = box.width > 0 && box.height > 0;
    const scale = visible ? svg.getScreenCTM().a : 0;
    const texts = Array.from(svg.querySelectorAll('text'));
    const sizes = texts.map(t => parseFloat(t.getAttribute('font-size')) * scale);
    const outside = visible ? texts.filter(t => {
        const r = t.getBoundingClientRect();
        return r.left < box.left - 1 || r.right > box.right + 1;
    }).map(t => t.textContent) : [];
    return {id: svg.id, visible, width: box.width, height: box.height,
            marks: svg.querySelectorAll('path, rect, circle, line').length,
            texts: texts.length, drawn: texts.filter(t => t.getBBox().width > 0).length,
            smallest: sizes.length ? Math.min(...sizes) : 0, outside,
            title: svg.querySelector('title') ? svg.querySelector('title').textContent : ''};
})"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def _open(
    browser: Any, report: BuiltReport, width: int, *, scripts: bool = True
) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, offline=True, java_script_enabled=scripts
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.goto(report.html.as_uri(), wait_until="load")
    return context, page, problems


@pytest.fixture(scope="module", params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def page(
    browser: Any, demo_report: BuiltReport, request: pytest.FixtureRequest
) -> Iterator[tuple[Any, list[str], int]]:
    """The report opened from disk at one width, with every console error and page error collected."""
    context, opened, problems = _open(browser, demo_report, request.param)
    yield opened, problems, request.param
    context.close()


def _keep(path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)


def test_opens_offline_without_console_errors(page: tuple[Any, list[str], int]) -> None:
    opened, problems, _width = page
    assert problems == []
    assert "syntetiske demodata" in opened.title()
    requests = opened.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert requests == []  # nothing is fetched: no fonts, images, scripts or styles from outside


def test_the_page_does_not_scroll_sideways(page: tuple[Any, list[str], int]) -> None:
    """Every wide table scrolls within its own box; the page keeps the width of the window."""
    opened, _problems, width = page
    widths = opened.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == width
    wide = opened.evaluate(
        """Array.from(document.querySelectorAll('main *')).filter(e => {
            const r = e.getBoundingClientRect();
            return r.right > document.documentElement.clientWidth + 1 && !e.closest('.table-scroll');
        }).map(e => e.tagName + '.' + e.className)"""
    )
    assert wide == []
    tables = opened.evaluate(
        "Array.from(document.querySelectorAll('table')).filter(t => !t.closest('.table-scroll')).length"
    )
    assert tables == 0  # every table, the sources table too, is in a scroll box


def test_every_chart_is_rendered_with_readable_text(page: tuple[Any, list[str], int]) -> None:
    opened, _problems, width = page
    charts = opened.evaluate(_CHARTS)
    shown = [c for c in charts if c["visible"]]
    hidden = [c for c in charts if not c["visible"]]
    assert len(shown) >= 18
    assert len(shown) == len(hidden)  # one drawing of each chart for this width, the other hidden
    suffix = "-wide" if width == DESKTOP else "-narrow"
    assert all(c["id"].endswith(suffix) for c in shown)
    for chart in shown:
        assert chart["width"] > min(width - 40, 600), chart["id"]
        assert chart["height"] > 100, chart["id"]
        assert chart["marks"] > 5, chart["id"]
        assert chart["texts"] > 4, chart["id"]
        assert chart["drawn"] == chart["texts"], chart["id"]  # every text is laid out
        assert chart["smallest"] >= SMALLEST_TEXT, (chart["id"], chart["smallest"])
        assert chart["outside"] == [], (chart["id"], chart["outside"])  # no text runs off the picture
        assert chart["title"], chart["id"]  # each chart says what it shows to screen readers
        assert "Syntetiske demodata" in chart["title"]


@pytest.mark.parametrize("width", [NARROWEST, WIDEST_PHONE])
def test_every_phone_width_reads(browser: Any, demo_report: BuiltReport, width: int) -> None:
    """From 360 to 430 px: no sideways scrolling, the phone drawings shown, their text at least 10 px."""
    context, opened, problems = _open(browser, demo_report, width)
    try:
        widths = opened.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
        shown = [c for c in opened.evaluate(_CHARTS) if c["visible"]]
        assert shown
        assert all(c["id"].endswith("-narrow") for c in shown)
        assert min(c["smallest"] for c in shown) >= SMALLEST_TEXT
        assert problems == []
    finally:
        context.close()


def test_tables_sort_and_filter(page: tuple[Any, list[str], int]) -> None:
    opened, problems, _width = page
    table = opened.locator("#tab-municipalities")
    rows = table.locator("tbody tr")
    total = rows.count()
    assert total >= 350
    search = table.locator(".table-search input")
    search.fill("Drammen")
    visible = table.locator("tbody tr:not([hidden])")
    assert visible.count() == 1
    assert "Drammen" in visible.first.inner_text()
    assert "1 av" in table.locator(".table-count").inner_text()
    search.fill("")
    assert table.locator("tbody tr:not([hidden])").count() == total
    # Sort by inhabitants, largest first (the second click sorts descending).
    button = table.locator("thead th").nth(1).locator("button")
    button.click()
    button.click()
    assert table.locator("thead th").nth(1).get_attribute("aria-sort") == "descending"
    first = rows.first.inner_text()
    assert "0301 Oslo" in first
    button.click()
    assert table.locator("thead th").nth(1).get_attribute("aria-sort") == "ascending"
    assert "Utsira" in rows.first.inner_text()  # the smallest municipality
    # A table that does not sort has no sort buttons or marks.
    assert opened.locator("#tab-fte-national button").count() == 0
    assert problems == []


def test_the_page_works_without_scripts(browser: Any, demo_report: BuiltReport) -> None:
    for width in (DESKTOP, PHONE):
        context, opened, problems = _open(browser, demo_report, width, scripts=False)
        try:
            rows = opened.locator("#tab-municipalities tbody tr")
            assert rows.count() >= 350
            assert all(
                not hidden
                for hidden in opened.evaluate(
                    "Array.from(document.querySelectorAll('#tab-municipalities tbody tr')).map(r => r.hidden)"
                )
            )
            assert opened.locator(".table-search").count() == 0  # no dead search field
            assert opened.locator("button").count() == 0
            marks = opened.evaluate(
                "Array.from(document.querySelectorAll('th'))"
                ".map(th => getComputedStyle(th, '::after').content)"
            )
            assert all(m in ("none", "normal", "") for m in marks)  # no sort arrows without sorting
            shown = [c for c in opened.evaluate(_CHARTS) if c["visible"]]
            assert len(shown) >= 18
            assert min(c["smallest"] for c in shown) >= SMALLEST_TEXT
            assert opened.locator(".demo-banner").is_visible()
            widths = opened.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1]
            assert problems == []
        finally:
            context.close()


def test_tables_and_headlines_are_visible(page: tuple[Any, list[str], int]) -> None:
    opened, _problems, _width = page
    headlines = opened.locator(".headline .value").all_inner_texts()
    assert len(headlines) >= 10
    assert all(text.strip() for text in headlines)
    assert opened.locator(".demo-banner").is_visible()


def test_screenshots_of_desktop_and_phone(page: tuple[Any, list[str], int], tmp_path: Path) -> None:
    """The first screen, the summary, a chart and a table at each width, kept for people to look at."""
    opened, problems, width = page
    name = "desktop" if width == DESKTOP else "phone"
    shots = {
        f"report-{name}.png": None,
        f"report-{name}-summary.png": "#sammendrag",
        f"report-{name}-county-charts.png": "#fig-fte-series-county",
        f"report-{name}-funnel.png": "#fig-fte-funnel",
        f"report-{name}-teams.png": "#team",
        f"report-{name}-municipalities.png": "#tab-municipalities",
    }
    for file_name, selector in shots.items():
        path = tmp_path / file_name
        if selector is None:
            opened.screenshot(path=str(path))
        else:
            opened.locator(selector).screenshot(path=str(path))
        assert path.stat().st_size > 20_000, file_name
        _keep(path)
    assert problems == []


def test_print(browser: Any, demo_report: BuiltReport, tmp_path: Path) -> None:
    context, opened, problems = _open(browser, demo_report, DESKTOP)
    try:
        opened.emulate_media(media="print")
        assert opened.locator(".demo-mark").is_visible()  # the label is on every printed page
        assert opened.evaluate("getComputedStyle(document.querySelector('.demo-mark')).position") == "fixed"
        printed = [c for c in opened.evaluate(_CHARTS) if c["visible"]]
        assert printed
        assert all(c["id"].endswith("-wide") for c in printed)
        pdf = tmp_path / "report-demo.pdf"
        opened.pdf(path=str(pdf), format="A4", print_background=True)
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
        assert 15 <= pages <= 300, pages  # A4 pages: the whole report, not one cut-off screen
        _keep(pdf)
        assert problems == []
    finally:
        context.close()


@pytest.fixture(scope="module")
def report_with_groups(tmp_path_factory: pytest.TempPathFactory) -> BuiltReport:
    """The demo with a KOSTRA-group membership file, built by the command as a user would."""
    from .test_kostra_groups import _demo_membership

    workdir = tmp_path_factory.mktemp("groups")
    membership, _members = _demo_membership(workdir)
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "samhandling", "report", "--demo"),
            *("--kostra-groups", str(membership), "--out", "report", "--format", "csv"),
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return BuiltReport(folder=workdir / "report", stdout=completed.stdout, stderr=completed.stderr)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_kostra_group_chart_reads_at_every_width(
    browser: Any, report_with_groups: BuiltReport, width: int
) -> None:
    context, opened, problems = _open(browser, report_with_groups, width)
    try:
        widths = opened.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
        shown = [
            c for c in opened.evaluate(_CHARTS) if c["visible"] and c["id"].startswith("fte-kostra-group")
        ]
        assert len(shown) == 1
        chart = shown[0]
        assert chart["marks"] > 5
        assert chart["drawn"] == chart["texts"] > 4
        assert chart["smallest"] >= SMALLEST_TEXT
        assert chart["outside"] == []
        rows = opened.locator("#tab-fte-kostra-group tbody tr")
        assert rows.count() == 3  # the three groups of the membership file
        assert rows.first.is_visible()
        assert problems == []
    finally:
        context.close()
