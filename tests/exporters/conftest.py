"""Shared tables for the exporter tests; the library runs with its built-in plugins only.

Exporters and the readers of what they write are built-ins, so these tests do not depend on which
source plugins happen to be installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa
import pytest

import samhandling.plugins as plugins_module
from samhandling import Provenance, StatTable, Variable


@pytest.fixture(autouse=True)
def _builtin_plugins_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("SAMHANDLING_DISABLED_PLUGINS", raising=False)
    plugins_module.reset_default_plugin_manager()
    yield
    plugins_module.reset_default_plugin_manager()


FTE = Variable(id="fte", unit="årsverk", additive=True, label="Årsverk")
USERS = Variable(id="users", unit="bruker", additive=True, label="Brukere")
POPULATION = Variable(id="population", unit="innbygger", additive=True, label="Befolkning")
FTE_RATE = Variable(
    id="fte_per_10000",
    unit="årsverk / ten_thousand_inhabitants",
    additive=False,
    numerator="fte",
    denominator="population",
    scale=10000.0,
    label="Årsverk per 10 000 innbyggere",
)
PROVENANCE = Provenance(
    source="survey",
    location="IS-24-8_2024.xlsx",
    checksum="sha256:" + "ab" * 32,
    retrieved="2025-03-01T10:00:00+00:00",
    note="kommunale årsverk",
)


def yearly_table(years: tuple[int, ...] = (2023, 2024)) -> StatTable:
    """FTEs by profession and users for a few municipalities, a county and the country, with statuses."""
    rows: dict[str, list[object]] = {
        "region": [],
        "level": [],
        "year": [],
        "profession": [],
        "variable": [],
        "value": [],
        "status": [],
    }

    def add(region: str, level: str, year: int, profession: str | None, variable: str, value: object) -> None:
        status = value if isinstance(value, str) else None
        rows["region"].append(region)
        rows["level"].append(level)
        rows["year"].append(year)
        rows["profession"].append(profession)
        rows["variable"].append(variable)
        rows["value"].append(0.0 if status == "-" else (None if status else value))
        rows["status"].append(status)

    for offset, year in enumerate(years):
        add("3301", "municipality", year, "nurse_specialised", "fte", 12.5 + offset)
        add("3301", "municipality", year, "psychologist", "fte", 3.2)
        add("3305", "municipality", year, "nurse_specialised", "fte", "-")
        add("3305", "municipality", year, "psychologist", "fte", ":")
        add("0301", "municipality", year, "nurse_specialised", "fte", 1234.75)
        add("0301", "municipality", year, "psychologist", "fte", 310.0)
        add("3301", "municipality", year, None, "users", 411.0 + offset)
        add("3305", "municipality", year, None, "users", "..")
        add("33", "county", year, None, "users", 2012.0)
        add("0", "national", year, None, "users", 152_345.0)
        add("3301", "municipality", year, None, "fte_per_10000", 17.336)
    return StatTable.from_arrow(
        pa.table(rows),
        source="survey",
        geography_year=2024,
        variables=[FTE, USERS, FTE_RATE],
        provenance=[PROVENANCE],
        title="Årsverk i kommunalt psykisk helse- og rusarbeid",
    )


def monthly_table() -> StatTable:
    """Admissions per home municipality, month and unit (NIMES-like), with a suppressed cell."""
    regions = ["3301", "3301", "3301", "3305", "3305", "3305"]
    return StatTable.from_pydict(
        {
            "region": regions * 2,
            "level": ["municipality"] * 12,
            "year": [2024] * 12,
            "month": [1, 2, 3] * 4,
            "unit": ["DPS Drammen"] * 6 + ["TSB Vestre Viken"] * 6,
            "variable": ["admissions"] * 12,
            "value": [5, 7, 6, 1, None, 2, 3, 3, 4, 0, 1, None],
            "status": [None, None, None, None, ":", None, None, None, None, "-", None, ".."],
        },
        source="nimes",
        geography_year=2024,
        variables=[Variable(id="admissions", unit="opphold", additive=True, label="Innleggelser")],
    )


@pytest.fixture
def table() -> StatTable:
    """The yearly FTE/users table."""
    return yearly_table()


@pytest.fixture
def monthly() -> StatTable:
    """The monthly admissions table."""
    return monthly_table()


@pytest.fixture
def make_yearly() -> Callable[..., StatTable]:
    """Build the yearly table for other years: ``make_yearly((2025,))``."""
    return yearly_table
