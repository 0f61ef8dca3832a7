"""Every level of care, NPR's codes and diagnosis groups, against a count done episode by episode."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import samhandling_nimes as nimes
from samhandling_nimes._extract import _row_groups_in_order
from samhandling_nimes.codes import DIAGNOSIS_GROUPS, code_list, diagnosis_group_index

from samhandling.errors import ParseError, SchemaError

Episodes = Callable[..., pa.Table]
#: The day stays still going on are observed until.
UNTIL = dt.date(2025, 6, 1)


def _group(code: str | None) -> str:
    index = diagnosis_group_index(code)
    assert index is not None
    return DIAGNOSIS_GROUPS[index]


def _reference(table: pa.Table, *, until: dt.date, groups: bool = False) -> dict[tuple[Any, ...], float]:
    """Every variable counted episode by episode in plain Python."""
    out: dict[tuple[Any, ...], float] = defaultdict(float)
    people: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
    by_patient: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in table.to_pylist():
        day: dt.date = row["inndato"]
        unit = (row["behandlingssted"], _group(row["hovedtilstand"])) if groups else (row["behandlingssted"],)
        key = (row["bostedskommune"], day.year, day.month, *unit)
        level = row["omsorgsniva"]
        if level == "2":
            out[(*key, "day_treatments")] += 1
            people[(*key, "day_patients")].add(row["lopenr"])
            continue
        if level == "3":
            out[(*key, "outpatient_contacts")] += 1
            people[(*key, "outpatient_patients")].add(row["lopenr"])
            continue
        out[(*key, "admissions")] += 1
        out[(*key, "acute_admissions")] += row["hastegrad"] in ("1", "2", "3")
        out[(*key, "involuntary_stays")] += row["tph"] == "1"
        people[(*key, "patients")].add(row["lopenr"])
        end: dt.date = row["utdato"] or until
        night = day
        while night < end:
            out[(row["bostedskommune"], night.year, night.month, *unit, "bed_days")] += 1
            night += dt.timedelta(days=1)
        by_patient[row["lopenr"]].append({**row, "_key": key})
    for key, members in people.items():
        out[key] = len(members)
    for stays in by_patient.values():
        stays.sort(key=lambda r: r["inndato"])
        latest: dt.date | None = None
        for row in stays:
            if latest is not None and 1 <= (row["inndato"] - latest).days <= 30:
                out[(*row["_key"], "readmissions_30d")] += 1
            end = row["utdato"] or until
            latest = end if latest is None else max(latest, end)
    return {k: v for k, v in out.items() if v}


def _as_dict(table: Any, *, groups: bool = False) -> dict[tuple[Any, ...], float]:
    columns = ["region", "year", "month", "unit", *(["diagnosis_group"] if groups else []), "variable"]
    arrow = table.arrow
    rows = zip(*(arrow.column(c).to_pylist() for c in [*columns, "value"]))
    return {tuple(r[:-1]): r[-1] for r in rows}


@pytest.mark.parametrize("int_ids", [False, True])
def test_every_level_of_care_matches_an_episode_by_episode_count(
    episodes: Episodes, tmp_path: Path, int_ids: bool
) -> None:
    table = episodes(3000, int_ids=int_ids)
    path = tmp_path / "episodes.parquet"
    pq.write_table(table, path, row_group_size=700)
    result = nimes.aggregate_stays(path, observed_until=UNTIL, batch_size=500)
    assert set(result.variable_ids()) == {v.id for v in nimes.VARIABLES}
    assert _as_dict(result) == _reference(table, until=UNTIL)
    # outpatient and day-treatment rows are not stays: the stays alone give the same stay counts
    stays_only = table.filter(pc.equal(table.column("omsorgsniva"), "1"))
    only = tmp_path / "stays.parquet"
    pq.write_table(stays_only.drop_columns(["omsorgsniva"]), only)
    alone = nimes.aggregate_stays(only, observed_until=UNTIL)
    stay_ids = {v.id for v in nimes.STAY_VARIABLES}
    assert {k: v for k, v in _as_dict(result).items() if k[-1] in stay_ids} == _as_dict(alone)


def test_unsorted_extract_counts_the_same(episodes: Episodes, tmp_path: Path) -> None:
    table = episodes(2000, sort=False, seed=11, int_ids=True)
    one, many = tmp_path / "one.parquet", tmp_path / "many.parquet"
    pq.write_table(table, one)
    pq.write_table(table, many, row_group_size=300)  # the statistics already say it is not sorted
    expected = _reference(table, until=UNTIL)
    for path in (one, many):
        assert _as_dict(nimes.aggregate_stays(path, observed_until=UNTIL, batch_size=300)) == expected
    dataset = ds.dataset(many, format="parquet")
    assert not _row_groups_in_order(dataset, "inndato")
    assert _row_groups_in_order(ds.dataset(one, format="parquet"), "inndato")


@pytest.mark.parametrize("int_ids", [False, True])
def test_patients_sorted_without_packing_count_the_same(
    episodes: Episodes, tmp_path: Path, int_ids: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an extract too large to pack patient, day and row into 64 bits is sorted digit by digit instead
    monkeypatch.setattr("samhandling_nimes._patients._packed_sort", lambda *args, **kwargs: None)
    table = episodes(2000, sort=False, seed=13, int_ids=int_ids)
    path = tmp_path / "episodes.parquet"
    pq.write_table(table, path, row_group_size=300)
    result = nimes.aggregate_stays(path, observed_until=UNTIL, batch_size=300)
    assert _as_dict(result) == _reference(table, until=UNTIL)


def test_diagnosis_groups_split_every_count(episodes: Episodes, tmp_path: Path) -> None:
    table = episodes(2500, seed=5)
    path = tmp_path / "episodes.parquet"
    pq.write_table(table, path)
    result = nimes.aggregate_stays(path, observed_until=UNTIL, diagnosis_groups=True)
    assert "diagnosis_group" in result.columns
    assert _as_dict(result, groups=True) == _reference(table, until=UNTIL, groups=True)
    groups = set(result.arrow.column("diagnosis_group").to_pylist())
    assert {"F10-F19", "F20-F29", "F30-F39", "other", "none"} <= groups
    # the groups add up to the counts without them (for the additive counts)
    plain = _as_dict(nimes.aggregate_stays(path, observed_until=UNTIL))
    summed: dict[tuple[Any, ...], float] = defaultdict(float)
    for (region, year, month, unit, _group_id, variable), value in _as_dict(result, groups=True).items():
        summed[(region, year, month, unit, variable)] += value
    additive = {v.id for v in nimes.VARIABLES if v.additive}
    assert {k: v for k, v in summed.items() if k[-1] in additive} == {
        k: v for k, v in plain.items() if k[-1] in additive
    }


def _write(table: pa.Table, path: Path, kind: str) -> Path:
    if kind == "dictionary parquet":
        columns = {
            name: table.column(name).dictionary_encode()
            if pa.types.is_string(table.column(name).type)
            else col
            for name, col in zip(table.column_names, table.columns)
        }
        pq.write_table(pa.table(columns), path.with_suffix(".parquet"))
        return path.with_suffix(".parquet")
    if kind == "plain parquet":
        pq.write_table(table, path.with_suffix(".parquet"), use_dictionary=False)
        return path.with_suffix(".parquet")
    pcsv.write_csv(table, path.with_suffix(".csv"))
    return path.with_suffix(".csv")


@pytest.mark.parametrize("int_ids", [False, True])
def test_dictionary_plain_parquet_and_csv_give_identical_tables(
    episodes: Episodes, tmp_path: Path, int_ids: bool
) -> None:
    table = episodes(2000, seed=9, int_ids=int_ids)
    tables = {}
    for kind in ("dictionary parquet", "plain parquet", "csv"):
        path = _write(table, tmp_path / kind.replace(" ", "_"), kind)
        result = nimes.aggregate_stays(path, observed_until=UNTIL, diagnosis_groups=True, batch_size=700)
        tables[kind] = result.arrow.replace_schema_metadata(None)
    first = tables["dictionary parquet"]
    for kind, other in tables.items():
        assert other.equals(first), kind
    assert _as_dict(
        nimes.aggregate_stays(path, observed_until=UNTIL, diagnosis_groups=True), groups=True
    ) == (_reference(table, until=UNTIL, groups=True))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("omsorgsniva", "7", r"row 5: '7' is not a level of care"),
        ("hastegrad", "9", r"row 5: '9' is neither an urgency"),
        ("tph", "3", r"row 5: '3' is neither a legal basis"),
        ("hovedtilstand", "F2O", r"row 5: 'F2O' is not an ICD-10 code"),
    ],
)
def test_unknown_codes_name_file_row_and_column(
    episodes: Episodes, tmp_path: Path, column: str, value: str, message: str
) -> None:
    table = episodes(20, seed=2)
    values = table.column(column).to_pylist()
    values[4] = value
    # the row must be one the code is read for: a stay for the urgency and the legal basis
    levels = table.column("omsorgsniva").to_pylist()
    levels[4] = levels[4] if column == "omsorgsniva" else "1"
    table = table.set_column(table.column_names.index(column), column, pa.array(values, pa.string()))
    if column != "omsorgsniva":
        table = table.set_column(table.column_names.index("omsorgsniva"), "omsorgsniva", pa.array(levels))
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    with pytest.raises(ParseError, match=message) as caught:
        nimes.aggregate_stays(path, observed_until=UNTIL, diagnosis_groups=True)
    assert str(path) in str(caught.value)
    assert f"column {column!r}" in str(caught.value)
    # the same in CSV names the line
    csv_path = tmp_path / "bad.csv"
    pcsv.write_csv(table, csv_path)
    with pytest.raises(ParseError, match=f"line 6, column '{column}': " + message.removeprefix("row 5: ")):
        nimes.aggregate_stays(csv_path, observed_until=UNTIL, diagnosis_groups=True)


def test_the_extracts_own_codes_are_given_not_guessed(episodes: Episodes, tmp_path: Path) -> None:
    table = episodes(200, seed=4)
    numbers = pa.array(np.where(np.asarray(table.column("tph").to_pylist()) == "1", "3", "1"))
    table = table.set_column(table.column_names.index("tph"), "lovgrunnlag", numbers)
    path = tmp_path / "coded.parquet"
    pq.write_table(table, path)
    with pytest.raises(ParseError, match="numeric codes for it are not in the library's code list"):
        nimes.aggregate_stays(path, observed_until=UNTIL)
    result = nimes.aggregate_stays(
        path, observed_until=UNTIL, codes={"legal_basis": {"1": "voluntary", "3": "involuntary"}}
    )
    expected = _reference(
        table.rename_columns([*table.column_names[:7], "tph", "hovedtilstand"]).set_column(
            7, "tph", pa.array(np.where(np.asarray(numbers.to_pylist()) == "3", "1", "0"))
        ),
        until=UNTIL,
    )
    assert _as_dict(result) == expected
    with pytest.raises(SchemaError, match="the meanings of legal_basis"):
        nimes.aggregate_stays(path, codes={"legal_basis": {"3": "maybe"}})


def test_level_variables_need_a_care_level_column(episodes: Episodes, tmp_path: Path) -> None:
    table = episodes(50).drop_columns(["omsorgsniva"])
    path = tmp_path / "stays.parquet"
    pq.write_table(table, path)
    assert "outpatient_contacts" not in nimes.aggregate_stays(path).variable_ids()
    with pytest.raises(ParseError, match="no column for the care_level"):
        nimes.aggregate_stays(path, variables=["outpatient_contacts"])


def test_code_lists_cite_their_source(episodes: Episodes) -> None:
    for field in ("care_level", "urgency", "legal_basis"):
        values = code_list(field)
        assert values
        assert all(v.source for v in values)
    care = {v.code: v.meaning for v in code_list("care_level")}
    assert (care["1"], care["2"], care["3"]) == ("inpatient", "day_treatment", "outpatient")
    urgency = {v.code: v.meaning for v in code_list("urgency")}
    assert [urgency[c] for c in "12345"] == ["acute", "acute", "acute", "planned", "planned"]
    assert not [v for v in code_list("legal_basis") if v.code.isdigit()]  # not confirmed: not shipped
    assert diagnosis_group_index("F10.24") == DIAGNOSIS_GROUPS.index("F10-F19")
    assert diagnosis_group_index("f209") == DIAGNOSIS_GROUPS.index("F20-F29")
    assert diagnosis_group_index("Z76") == DIAGNOSIS_GROUPS.index("other")
    assert diagnosis_group_index("") == DIAGNOSIS_GROUPS.index("none")
    assert diagnosis_group_index("F2") is None


@pytest.mark.parametrize("where", [3, 39_000])
def test_an_impossible_iso_date_in_csv_names_its_line(episodes: Episodes, tmp_path: Path, where: int) -> None:
    """ISO dates are parsed by Arrow while the CSV is read; a bad one (first block or far into the
    file) sends the reading the careful way, which names the line."""
    table = episodes(40_000, seed=6)
    path = tmp_path / "dates.csv"
    pcsv.write_csv(table, path)
    good = nimes.aggregate_stays(path, observed_until=UNTIL)
    parquet = _write(table, tmp_path / "p", "plain parquet")
    assert _as_dict(good) == _as_dict(nimes.aggregate_stays(parquet, observed_until=UNTIL))
    lines = path.read_text().splitlines()
    cells = lines[where].split(",")
    cells[3] = '"2024-02-30"'
    lines[where] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ParseError, match=f"line {where + 1}, column 'inndato': '2024-02-30' is not a date"):
        nimes.aggregate_stays(path, observed_until=UNTIL)


def test_before_after_counts_the_stays_of_an_extract_of_every_level(
    episodes: Episodes, tmp_path: Path
) -> None:
    table = episodes(1500, seed=12, int_ids=True)
    every = tmp_path / "every.parquet"
    pq.write_table(table, every)
    stays = tmp_path / "stays.parquet"
    pq.write_table(
        table.filter(pc.equal(table.column("omsorgsniva"), "1")).drop_columns(["omsorgsniva"]), stays
    )
    options: dict[str, Any] = {"start": "2024-06-01", "months_before": 6, "months_after": 6}
    options["observed_until"] = UNTIL
    first, second = nimes.before_after(every, **options), nimes.before_after(stays, **options)
    assert sorted(map(str, first.arrow.to_pylist())) == sorted(map(str, second.arrow.to_pylist()))
    assert first.meta.extra["group_sizes"] == second.meta.extra["group_sizes"]


def test_rolled_up_in_one_step_with_levels_and_groups(episodes: Episodes, tmp_path: Path) -> None:
    import samhandling as sh

    table = episodes(1500, seed=14)
    # codes of the 2024 map only: 3301 Drammen stands in for 0605, which 2024 does not have
    areas = pc.replace_substring(table.column("bostedskommune"), "0605", "3301")
    table = table.set_column(table.column_names.index("bostedskommune"), "bostedskommune", areas)
    path = tmp_path / "episodes.parquet"
    pq.write_table(table, path)
    counts = ["admissions", "bed_days", "day_treatments", "outpatient_contacts"]
    options: dict[str, Any] = {
        "geography_year": 2024,
        "observed_until": UNTIL,
        "variables": counts,
        "diagnosis_groups": True,
    }
    fast = nimes.aggregate_stays_to(path, ["county"], unassigned="exclude", **options)["county"]
    generic = sh.roll_up(nimes.aggregate_stays(path, **options), "county", unassigned="exclude")
    assert "diagnosis_group" in fast.columns
    assert sorted(map(str, fast.arrow.to_pylist())) == sorted(map(str, generic.arrow.to_pylist()))
