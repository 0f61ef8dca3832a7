"""The demo report as a person sees it: opened in headless Chromium, on screen and printed.

Uses the system's Chromium (Debian's ``chromium`` package) through playwright; skipped when either is
missing.  Screenshots (the first screen and a chart) and a PDF print are kept in ``test-artifacts/``
(git-ignored) and in pytest's temporary folder.
"""

from __future__ import annotations

import re
import shutil
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser: Any, demo_report: BuiltReport) -> Iterator[tuple[Any, list[str]]]:
    """The report opened from disk, with every console error and page error collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    opened.goto(demo_report.html.as_uri(), wait_until="load")
    yield opened, problems
    context.close()


def _keep(path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)


def test_opens_offline_without_console_errors(page: tuple[Any, list[str]]) -> None:
    opened, problems = page
    assert problems == []
    assert "syntetiske demodata" in opened.title()
    requests = opened.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert requests == []  # nothing is fetched: no fonts, images, scripts or styles from outside


def test_every_chart_is_rendered(page: tuple[Any, list[str]]) -> None:
    opened, _problems = page
    charts = opened.evaluate(
        """Array.from(document.querySelectorAll('figure svg.chart')).map(svg => {
            const box = svg.getBoundingClientRect();
            const marks = svg.querySelectorAll('path, use, rect').length;
            const texts = Array.from(svg.querySelectorAll('text')).map(t => t.getBBox().width);
            return {id: svg.id, width: box.width, height: box.height, marks,
                    texts: texts.length, drawnTexts: texts.filter(w => w > 0).length,
                    title: svg.querySelector('title') ? svg.querySelector('title').textContent : ''};
        })"""
    )
    ids = [c["id"] for c in charts]
    assert len(ids) >= 7
    assert len(set(ids)) == len(ids)
    for chart in charts:
        assert chart["width"] > 600, chart
        assert chart["height"] > 150, chart
        assert chart["marks"] > 10, chart
        assert chart["texts"] > 5, chart
        assert chart["drawnTexts"] == chart["texts"], chart
        assert chart["title"], chart  # each chart says what it shows to screen readers


def test_tables_and_headlines_are_visible(page: tuple[Any, list[str]]) -> None:
    opened, _problems = page
    headlines = opened.locator(".headline .value").all_inner_texts()
    assert len(headlines) >= 6
    assert all(text.strip() for text in headlines)
    rows = opened.locator("#tab-municipalities tbody tr").count()
    assert rows >= 350
    assert opened.locator(".demo-banner").is_visible()


def test_screenshot_and_print(page: tuple[Any, list[str]], tmp_path: Path) -> None:
    opened, problems = page
    # The first screen (banner, title, contents) and the county charts, as a reader sees them.
    screenshot = tmp_path / "report-demo.png"
    opened.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 50_000
    _keep(screenshot)
    charts = tmp_path / "report-demo-county-charts.png"
    opened.locator("#fig-fte-county").screenshot(path=str(charts))
    assert charts.stat().st_size > 20_000
    _keep(charts)
    opened.emulate_media(media="print")
    assert opened.locator(".demo-mark").is_visible()  # the label is on every printed page
    assert opened.evaluate("getComputedStyle(document.querySelector('.demo-mark')).position") == "fixed"
    pdf = tmp_path / "report-demo.pdf"
    opened.pdf(path=str(pdf), format="A4", print_background=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert 8 <= pages <= 200, pages  # A4 pages: the whole report, not one cut-off screen
    _keep(pdf)
    opened.emulate_media(media="screen")
    assert problems == []


def test_the_page_does_not_scroll_sideways(page: tuple[Any, list[str]]) -> None:
    """A wide table scrolls within its own box; the page keeps the width of the window."""
    opened, _problems = page
    widths = opened.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1]
