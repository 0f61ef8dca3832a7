"""The built-in quality rules on small tables built by hand: what each finds, and what it leaves alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from samhandling import StatTable, Variable
from samhandling.checks import CheckContext, Finding, Severity, findings_table, run_checks
from samhandling.checks.rules import (
    BUILTIN_RULES,
    Duplicates,
    ImpossibleValues,
    InvalidCodes,
    MissingRegions,
    NegativeValues,
    RateBand,
    SumOfParts,
    YearOnYear,
)
from samhandling.errors import PluginError, ValidationError
from samhandling.plugins import PluginManager

FTE = Variable(id="fte", unit="årsverk", additive=True)
SHARE = Variable(
    id="share", unit="percent", additive=False, numerator="fte_higher", denominator="fte", scale=100.0
)
RATE = Variable(
    id="fte_per_10000",
    unit="årsverk / ten_thousand_inhabitants",
    additive=False,
    numerator="fte",
    denominator="population",
    scale=10000.0,
)


def table(
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str] = ("region", "year", "variable", "value"),
    *,
    variables: Iterable[Variable] = (FTE,),
    level: str = "municipality",
    **meta: Any,
) -> StatTable:
    data: dict[str, list[Any]] = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    data.setdefault("level", [level] * len(rows))
    if "status" not in data:
        data["status"] = [None if v is not None else ".." for v in data["value"]]
    return StatTable.from_pydict(data, variables=list(variables), **meta)


def keys(findings: Iterable[Finding]) -> list[tuple[str, str | None, str | None, int | None]]:
    return sorted((f.rule, f.region, f.variable, f.year) for f in findings)


class FakeGeography:
    """Stands in for samhandling.geography: the municipality codes of each year."""

    def __init__(self, codes: dict[int, set[str]], year: int | None = None) -> None:
        self._codes = codes
        self.year = year

    def for_year(self, year: int) -> FakeGeography:
        if year not in self._codes:
            from samhandling.errors import YearNotCoveredError

            raise YearNotCoveredError(f"no geography for {year}")
        return FakeGeography(self._codes, year)

    def codes(self, level: str) -> frozenset[str]:
        assert self.year is not None
        return frozenset(self._codes[self.year]) if level == "municipality" else frozenset()


# -- duplicates -----------------------------------------------------------------------------------


def test_duplicates_one_finding_per_area_and_year() -> None:
    t = table(
        [("3401", 2023, "fte", 2.0), ("3401", 2023, "fte", 2.5), ("3403", 2023, "fte", 1.0)],
    )
    (finding,) = Duplicates().run(t, CheckContext())
    assert (finding.rule, finding.region, finding.variable, finding.year) == (
        "duplicates",
        "3401",
        "fte",
        2023,
    )
    assert finding.severity is Severity.ERROR
    assert finding.values["values_differ"] is True
    assert finding.values["example_values"] == "2, 2.5"
    assert "different values" in finding.message


def test_duplicates_distinguish_dimensions() -> None:
    t = table(
        [("3401", 2023, "a", "fte", 1.0), ("3401", 2023, "b", "fte", 1.0)],
        ("region", "year", "profession", "variable", "value"),
    )
    assert Duplicates().run(t, CheckContext()) == []


# -- negative and impossible values -----------------------------------------------------------------


def test_negative_values_of_additive_variables_only() -> None:
    t = table(
        [("3401", 2023, "fte", -1.0), ("3403", 2023, "fte", 0.0), ("3401", 2023, "change", -3.0)],
        variables=[FTE, Variable(id="change", unit="percent", additive=False)],
    )
    findings = NegativeValues().run(t, CheckContext())
    assert keys(findings) == [("negative-values", "3401", "fte", 2023)]
    assert findings[0].values["value"] == -1.0
    assert "values in årsverk cannot be negative" in findings[0].message
    assert NegativeValues().run(t, CheckContext(options={"negative-values": {"exclude": ["fte"]}})) == []


def test_impossible_shares_rates_and_declared_ranges() -> None:
    yes_no = Variable(id="ohd", unit="dimensionless", additive=True)
    t = table(
        [
            ("3401", 2023, "share", 101.0),
            ("3403", 2023, "share", 100.0),
            ("3405", 2023, "fte_per_10000", -0.5),
            ("3407", 2023, "ohd", 2.0),
            ("3411", 2023, "ohd", 1.0),
        ],
        variables=[SHARE, RATE, yes_no],
    )
    t = t.with_arrow(t.arrow, extra={"valid_range": {"ohd": [0, 1]}})
    findings = ImpossibleValues().run(t, CheckContext())
    assert keys(findings) == [
        ("impossible-values", "3401", "share", 2023),
        ("impossible-values", "3405", "fte_per_10000", 2023),
        ("impossible-values", "3407", "ohd", 2023),
    ]
    share = next(f for f in findings if f.variable == "share")
    assert share.values == {"value": 101.0, "lowest": 0.0, "highest": 100.0}
    assert "a share lies between 0 and 100 %" in share.message


def test_declared_range_as_an_option_and_a_bad_option() -> None:
    t = table([("3401", 2023, "fte", 900.0)])
    options = {"impossible_values": {"valid_range": {"fte": [0, 500]}}}
    assert keys(ImpossibleValues().run(t, CheckContext(options=options))) == [
        ("impossible-values", "3401", "fte", 2023)
    ]
    with pytest.raises(ValidationError, match=r"band of 'fte' must be \[low, high\]"):
        ImpossibleValues().run(t, CheckContext(options={"impossible-values": {"valid_range": {"fte": 5}}}))


# -- sum of parts ------------------------------------------------------------------------------------


PROFESSION = ("region", "year", "profession", "variable", "value")


def test_a_total_row_against_its_parts() -> None:
    t = table(
        [
            ("3401", 2023, "total", "fte", 10.0),
            ("3401", 2023, "nurse", "fte", 6.0),
            ("3401", 2023, "psychologist", "fte", 3.0),
            ("3403", 2023, "I alt", "fte", 5.2),
            ("3403", 2023, "nurse", "fte", 5.0),
            ("3403", 2023, "psychologist", "fte", 0.0),
        ],
        PROFESSION,
    )
    findings = SumOfParts().run(t, CheckContext())
    assert keys(findings) == [("sum-of-parts", "3401", "fte", 2023)]  # 3403 is within the tolerance
    assert findings[0].values == {"total": 10.0, "sum_of_parts": 9.0, "difference": 1.0, "parts": 2}
    strict = CheckContext(options={"sum-of-parts": {"tolerance": 0.1, "relative_tolerance": 0}})
    assert [f.region for f in SumOfParts().run(t, strict)] == ["3401", "3403"]


def test_a_group_with_a_missing_part_is_not_compared() -> None:
    t = table(
        [
            ("3401", 2023, "total", "fte", 10.0),
            ("3401", 2023, "nurse", "fte", 6.0),
            ("3401", 2023, "psychologist", "fte", None),
        ],
        PROFESSION,
    )
    assert SumOfParts().run(t, CheckContext()) == []


def test_declared_totals_of_other_variables() -> None:
    variables = [Variable(id=v, unit="bruker") for v in ("users", "adults", "children")]
    t = table(
        [
            ("3401", 2023, "users", 30.0),
            ("3401", 2023, "adults", 20.0),
            ("3401", 2023, "children", 5.0),
            ("3403", 2023, "users", 7.0),
            ("3403", 2023, "adults", 7.0),
        ],
        variables=variables,
    )
    declared = {"totals": [{"total": "users", "parts": ["adults", "children"]}]}
    findings = SumOfParts().run(t.with_arrow(t.arrow, extra=declared), CheckContext())
    assert keys(findings) == [("sum-of-parts", "3401", "users", 2023)]  # 3403 lacks a part
    with pytest.raises(ValidationError, match="name the dimension"):
        SumOfParts().run(
            t, CheckContext(options={"sum-of-parts": {"totals": [{"total": "users", "parts": "adults"}]}})
        )


def test_duplicated_rows_are_left_to_the_duplicates_rule() -> None:
    t = table(
        [
            ("3401", 2023, "total", "fte", 9.0),
            ("3401", 2023, "total", "fte", 9.0),
            ("3401", 2023, "nurse", "fte", 9.0),
            ("3401", 2023, "nurse", "fte", 9.0),
        ],
        PROFESSION,
    )
    assert SumOfParts().run(t, CheckContext()) == []
    assert [f.rule for f in Duplicates().run(t, CheckContext())] == ["duplicates"]


# -- year on year -------------------------------------------------------------------------------------


def test_jumps_above_the_threshold_and_the_minimum_change() -> None:
    t = table(
        [
            ("3401", 2022, "fte", 10.0),
            ("3401", 2023, "fte", 16.0),
            ("3403", 2022, "fte", 0.2),
            ("3403", 2023, "fte", 0.9),
            ("3405", 2022, "fte", 0.0),
            ("3405", 2023, "fte", 4.0),
            ("3407", 2021, "fte", 4.0),
            ("3407", 2023, "fte", 40.0),
        ]
    )
    findings = YearOnYear().run(t, CheckContext())
    assert keys(findings) == [("year-on-year", "3401", "fte", 2023), ("year-on-year", "3405", "fte", 2023)]
    first = next(f for f in findings if f.region == "3401")
    assert first.values["relative_change"] == 0.6
    assert first.values["previous_year"] == 2022
    zero = next(f for f in findings if f.region == "3405")
    assert zero.values["relative_change"] is None
    assert "from zero" in zero.message
    loose = CheckContext(options={"year-on-year": {"threshold": 0.7}})
    assert [f.region for f in YearOnYear().run(t, loose)] == ["3405"]


def test_year_on_year_compares_like_with_like() -> None:
    t = table(
        [
            ("3401", 2022, "nurse", "fte", 10.0),
            ("3401", 2023, "psychologist", "fte", 30.0),
            ("3401", 2023, "nurse", "fte", 10.5),
        ],
        PROFESSION,
    )
    assert YearOnYear().run(t, CheckContext()) == []


# -- missing regions ------------------------------------------------------------------------------------


def test_missing_from_a_year_and_missing_variables() -> None:
    users = Variable(id="users", unit="bruker")
    t = table(
        [
            ("3401", 2022, "fte", 1.0),
            ("3401", 2022, "users", 9.0),
            ("3401", 2023, "fte", 1.0),
            ("3403", 2022, "fte", 1.0),
            ("3403", 2022, "users", 3.0),
            ("3403", 2023, "users", 3.0),
            ("3405", 2023, "fte", 1.0),
            ("3405", 2023, "users", 3.0),
        ],
        variables=[FTE, users],
    )
    codes = {"3401", "3403", "3405"}
    findings = MissingRegions().run(t, CheckContext(geography=FakeGeography({2022: codes, 2023: codes})))
    by_key = {(f.region, f.year): f for f in findings}
    assert set(by_key) == {("3401", 2023), ("3403", 2023), ("3405", 2022)}
    assert by_key[("3405", 2022)].message == "municipality 3405 has no rows in 2022, but has rows in 2023"
    assert by_key[("3401", 2023)].variable == "users"
    assert by_key[("3403", 2023)].variable == "fte"


def test_a_question_asked_only_later_is_not_missing() -> None:
    new = Variable(id="low_threshold_offer", unit="dimensionless")
    t = table(
        [
            ("3401", 2022, "fte", 1.0),
            ("3401", 2023, "fte", 1.0),
            ("3401", 2023, "low_threshold_offer", 1.0),
        ],
        variables=[FTE, new],
    )
    assert MissingRegions().run(t, CheckContext()) == []


def test_a_merged_municipality_is_not_missing() -> None:
    t = table([("0417", 2019, "fte", 1.0), ("3413", 2020, "fte", 1.0)])
    geography = FakeGeography({2019: {"0417"}, 2020: {"3413"}})
    assert MissingRegions().run(t, CheckContext(geography=geography)) == []


def test_expect_all_compares_with_the_geography() -> None:
    t = table([("3401", 2023, "fte", 1.0), ("4601", 2023, "fte", 1.0)])
    geography = FakeGeography({2023: {"3401", "3403", "3499", "4601", "5001"}})
    everyone = CheckContext(geography=geography, options={"missing-regions": {"expect_all": True}})
    assert [f.region for f in MissingRegions().run(t, everyone)] == ["3403", "5001"]
    counties = CheckContext(geography=geography, options={"missing-regions": {"expect_all": "counties"}})
    assert [f.region for f in MissingRegions().run(t, counties)] == ["3403"]
    with pytest.raises(ValidationError, match="expect_all must be true, false or 'counties'"):
        MissingRegions().run(t, CheckContext(options={"missing-regions": {"expect_all": "yes"}}))


def test_the_table_can_declare_its_own_options() -> None:
    t = table([("3401", 2023, "fte", 1.0)])
    t = t.with_arrow(t.arrow, extra={"check_options": {"missing-regions": {"expect_all": "counties"}}})
    geography = FakeGeography({2023: {"3401", "3403"}})
    assert [f.region for f in MissingRegions().run(t, CheckContext(geography=geography))] == ["3403"]
    off = CheckContext(geography=geography, options={"missing_regions": {"expect_all": False}})
    assert MissingRegions().run(t, off) == []


# -- invalid codes ------------------------------------------------------------------------------------


def test_malformed_codes_are_always_found() -> None:
    t = table([("34O1", 2023, "fte", 1.0), ("301", 2023, "fte", 1.0), ("3401", 2023, "fte", 1.0)])
    geography = FakeGeography({2023: {"3401"}})
    findings = InvalidCodes().run(t, CheckContext(geography=geography))
    assert keys(findings) == [("invalid-codes", "301", None, 2023), ("invalid-codes", "34O1", None, 2023)]
    assert "expected four digits such as '0301'" in findings[0].message


def test_codes_are_checked_in_the_year_of_each_row() -> None:
    t = table([("0417", 2019, "fte", 1.0), ("0417", 2023, "fte", 1.0), ("3413", 2023, "fte", 1.0)])
    geography = FakeGeography({2019: {"0417"}, 2023: {"3413"}})
    findings = InvalidCodes().run(t, CheckContext(geography=geography))
    assert keys(findings) == [("invalid-codes", "0417", None, 2023)]
    on_map = table([("0417", 2019, "fte", 1.0)], geography_year=2023)
    assert keys(InvalidCodes().run(on_map, CheckContext(geography=geography))) == [
        ("invalid-codes", "0417", None, 2019)
    ]


def test_a_year_without_geography_is_said_once() -> None:
    t = table([("3401", 2016, "fte", 1.0), ("3403", 2016, "fte", 1.0)])
    findings = InvalidCodes().run(t, CheckContext(geography=FakeGeography({2023: {"3401"}})))
    assert [(f.severity, f.year) for f in findings] == [(Severity.INFO, 2016)]


def test_the_real_geography_explains_an_old_code() -> None:
    t = table([("0417", 2023, "fte", 1.0), ("3413", 2023, "fte", 1.0), ("0301", 2023, "fte", 1.0)])
    (finding,) = InvalidCodes().run(t, CheckContext())
    assert finding.region == "0417"
    assert "3413" in finding.message  # the geography says where the code went
    assert "hint" in finding.values


# -- rate band ------------------------------------------------------------------------------------------


def test_declared_band_from_the_metadata_and_from_an_option() -> None:
    t = table(
        [("3401", 2023, "fte_per_10000", 30.0), ("3403", 2023, "fte_per_10000", 400.0)], variables=[RATE]
    )
    declared = t.with_arrow(t.arrow, extra={"plausible_bands": {"fte_per_10000": [5, 150]}})
    assert [f.region for f in RateBand().run(declared, CheckContext())] == ["3403"]
    narrow = CheckContext(options={"rate-band": {"bands": {"fte_per_10000": [35, None]}}})
    assert [f.region for f in RateBand().run(declared, narrow)] == ["3401"]


def test_fences_from_the_other_areas() -> None:
    values = [30.0, 32.0, 28.0, 35.0, 31.0, 29.0, 33.0, 30.5, 250.0]
    t = table(
        [(f"34{i:02d}", 2023, "fte_per_10000", v) for i, v in enumerate(values, start=1)], variables=[RATE]
    )
    (finding,) = RateBand().run(t, CheckContext())
    assert (finding.region, finding.values["value"]) == ("3409", 250.0)
    assert "Tukey fences" in finding.message
    too_few = CheckContext(options={"rate-band": {"min_values": 20}})
    assert RateBand().run(t, too_few) == []


# -- run_checks over the registry ----------------------------------------------------------------------


def test_run_checks_sorts_errors_first_and_names_rules(builtin_plugin_manager: PluginManager) -> None:
    t = table(
        [("3401", 2022, "fte", 10.0), ("3401", 2023, "fte", 30.0), ("3403", 2023, "fte", -1.0)],
    )
    findings = run_checks(t, plugin_manager=builtin_plugin_manager)
    assert [f.severity for f in findings] == sorted(
        (f.severity for f in findings), key=[Severity.ERROR, Severity.WARNING, Severity.INFO].index
    )
    assert {f.rule for f in findings} >= {"negative-values", "year-on-year", "missing-regions"}
    arrow = findings_table(findings)
    assert arrow.num_rows == len(findings)
    only = run_checks(t, checks=["negative-values"], plugin_manager=builtin_plugin_manager)
    assert {f.rule for f in only} == {"negative-values"}
    with pytest.raises(PluginError, match="no check named 'sum_of_parts'"):
        run_checks(t, checks=["sum_of_parts"], plugin_manager=builtin_plugin_manager)


def test_every_builtin_rule_is_registered_and_documented(builtin_plugin_manager: PluginManager) -> None:
    names = builtin_plugin_manager.registry.checks.names()
    assert names[: len(BUILTIN_RULES)] == [r.name for r in BUILTIN_RULES]
    for rule in BUILTIN_RULES:
        assert rule.description
        assert type(rule).__doc__
        assert builtin_plugin_manager.registry.checks.entry(rule.name).plugin == "samhandling.checks.rules"


def test_a_clean_table_has_no_findings(builtin_plugin_manager: PluginManager) -> None:
    rows = [
        (code, year, "fte", 10.0 + (year - 2022) * 0.5) for code in ("3401", "3403") for year in (2022, 2023)
    ]
    assert run_checks(table(rows), plugin_manager=builtin_plugin_manager) == []


def test_the_hash_join_path_gives_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys too many to number in 62 bits are paired and deduplicated by hash joins instead."""
    import samhandling.checks.rules as rules

    t = table(
        [
            ("3401", 2022, "total", "fte", 10.0),
            ("3401", 2023, "total", "fte", 16.0),
            ("3401", 2023, "nurse", "fte", 16.0),
            ("3403", 2022, "total", "fte", 1.0),
            ("3403", 2023, "total", "fte", 9.0),
            ("3403", 2023, "total", "fte", 9.0),
            ("3405", 2022, "total", "fte", 2.0),
            ("3405", 2023, "total", "fte", None),
        ],
        PROFESSION,
    )
    context = CheckContext(
        geography=FakeGeography({2022: {"3401", "3403", "3405"}, 2023: {"3401", "3403", "3405"}})
    )
    expected = {rule.name: keys(rule.run(t, context)) for rule in BUILTIN_RULES}
    assert expected["year-on-year"] == [("year-on-year", "3401", "fte", 2023)]
    assert expected["duplicates"] == [("duplicates", "3403", "fte", 2023)]
    monkeypatch.setattr(rules, "_row_ids", lambda plain, keys: None)
    assert {rule.name: keys(rule.run(t, context)) for rule in BUILTIN_RULES} == expected
