"""Column specifications: the shipped years, copying, extending and the errors a spec author sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from samhandling_survey import SurveySpec, copy_spec, shipped_years, spec_text
from samhandling_survey.spec import ColumnSpec, normalise_header
from samhandling_survey.variables import PROFESSIONS, SURVEY_VARIABLES, TARGET_GROUPS, TOTAL

from samhandling.errors import ParseError

KNOWN_VARIABLES = {v.id for v in SURVEY_VARIABLES}


@pytest.mark.parametrize("year", shipped_years())
def test_every_shipped_spec_loads_and_maps_to_known_codes(year: int) -> None:
    spec = SurveySpec.for_year(year)
    assert spec.year == year
    assert spec.layout.header_rows == 2
    assert set(spec.variable_ids()) <= KNOWN_VARIABLES
    for column in spec.columns:
        dims = column.dimension_map
        assert dims.get("profession", TOTAL) in (*PROFESSIONS, TOTAL)
        assert dims.get("target_group", TOTAL) in (*TARGET_GROUPS, TOTAL)
    keys = [c.key for c in spec.columns]
    assert len(keys) == len(set(keys))


def test_shipped_years_cover_a_series() -> None:
    years = shipped_years()
    assert years == tuple(range(years[0], years[-1] + 1))
    assert {2022, 2023} <= set(years)


def test_headers_change_between_years_but_the_variables_stay() -> None:
    early, late = SurveySpec.for_year(2019), SurveySpec.for_year(2023)
    nurse = ("fte", (("profession", "nurse_specialised"), ("target_group", "total")))
    early_header = {c.key: c.header for c in early.columns}[nurse]
    late_header = {c.key: c.header for c in late.columns}[nurse]
    assert normalise_header(early_header[0]) != normalise_header(late_header[0])
    assert early.region.code != late.region.code
    # Questions added later are the only difference in what is read.
    assert set(early.variable_ids()) <= set(late.variable_ids())
    assert set(late.variable_ids()) - set(early.variable_ids()) == {"low_threshold_offer"}


def test_normalise_header_ignores_case_spacing_dashes_and_footnotes() -> None:
    assert normalise_header("Barn og unge (0–17 år)*") == normalise_header("barn  og unge (0-17 år)")
    assert normalise_header("Antall brukere/ I alt") == "antall brukere / i alt"
    assert normalise_header("Psykologer 1)") == "psykologer"


def test_copy_spec_writes_a_file_that_reads_back(tmp_path: Path) -> None:
    written = copy_spec(2023, tmp_path)
    assert written == tmp_path / "is248-2023.toml"
    assert written.read_text(encoding="utf-8") == spec_text(2023)
    copied = SurveySpec.from_toml(written)
    shipped = SurveySpec.for_year(2023)
    assert copied.columns == shipped.columns
    assert copied.layout == shipped.layout
    assert copied.origin == str(written)


def test_extends_a_shipped_year_and_overrides_columns(tmp_path: Path) -> None:
    own = tmp_path / "min-kommune.toml"
    own.write_text(
        """
extends = 2023

[layout]
sheet = "Ark1"
blank = "zero"

[[column]]
header = "Psykologer (årsverk)"
variable = "fte"
dimensions = { profession = "psychologist", target_group = "total" }

[[column]]
header = "Antall vedtak"
variable = "decisions"

[variables.decisions]
unit = "count"
additive = true
label = "Vedtak"
""",
        encoding="utf-8",
    )
    spec = SurveySpec.from_toml(own)
    base = SurveySpec.for_year(2023)
    assert spec.year == 2023
    assert spec.layout.sheet == "Ark1"
    assert spec.layout.blank == "zero"
    assert spec.layout.header_rows == base.layout.header_rows
    headers = {c.key: c.header for c in spec.columns}
    assert headers[("fte", (("profession", "psychologist"), ("target_group", "total")))] == (
        "Psykologer (årsverk)",
    )
    assert len(spec.columns) == len(base.columns) + 1
    assert [v.id for v in spec.variables] == ["decisions"]


def test_extends_a_file_relative_to_the_spec(tmp_path: Path) -> None:
    copy_spec(2022, tmp_path / "base.toml")
    (tmp_path / "child.toml").write_text(
        'extends = "base.toml"\n[survey]\ntitle = "Min fil"\n', encoding="utf-8"
    )
    spec = SurveySpec.from_toml(tmp_path / "child.toml")
    assert (spec.year, spec.title) == (2022, "Min fil")
    assert spec.columns == SurveySpec.for_year(2022).columns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[survey]\nyear = 2023\n[region]\ncode='Knr'\n"
            "[[column]]\nheader='A'\nvariable='fte'\ncolour='red'\n",
            "colour",
        ),
        ("[survey]\nyear = 2023\n[[column]]\nheader='A'\nvariable='fte'\n", r"\[region\] is missing"),
        (
            "[survey]\nyear = 2023\n[region]\ncode='Knr'\n"
            "[[column]]\nheader='A'\nvariable='fte'\nkind='text'\n",
            "kind",
        ),
        ("[survey]\nyear = 'i fjor'\n[region]\ncode='Knr'\n", "survey year"),
        ("[survey]\nyear = 2023\n[region]\ncode='Knr'\n[layout]\nheader_rows = 9\n", "header_rows"),
        ("[survey]\nyear = 2023\n[region]\ncode='Knr'\n", "no \\[\\[column\\]\\]"),
        ("extends = 1999\n", "extends = 1999"),
        ("[survey\nyear = 2023\n", "not valid TOML"),
        (
            "[survey]\nyear = 2023\n[region]\ncode='Knr'\n[[column]]\nheader='A'\nvariable='fte'\n"
            "[[column]]\nheader='B'\nvariable='fte'\n",
            "second time",
        ),
    ],
)
def test_spec_errors_name_the_file_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=message) as info:
        SurveySpec.from_toml(path)
    assert "spec.toml" in str(info.value)


def test_a_year_without_a_shipped_spec_says_which_years_exist() -> None:
    with pytest.raises(ParseError, match=r"shipped years: 2019, .*copy_spec"):
        SurveySpec.for_year(2012)


def test_column_spec_is_frozen_and_keyed_by_meaning() -> None:
    column = ColumnSpec(
        header=["Psykologer"],
        variable="fte",
        dimensions={"target_group": "total", "profession": "psychologist"},
    )
    assert column.key == ("fte", (("profession", "psychologist"), ("target_group", "total")))
    with pytest.raises(AttributeError):
        column.variable = "users"  # type: ignore[misc]
