"""Stay-level extracts: every variable checked against a stay-by-stay computation, in every format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import samhandling_nimes as nimes
from samhandling_nimes import _patients

import samhandling as sh
from samhandling.errors import ParseError, SchemaError
from samhandling.plugins import PluginManager
from samhandling.testing import check_source

MakeStays = Callable[..., pa.Table]
BruteForce = Callable[..., dict[tuple[Any, ...], float]]


def as_dict(table: sh.StatTable) -> dict[tuple[Any, ...], float]:
    return {
        (r["region"], r["year"], r["month"], r["unit"], r["variable"]): r["value"] for r in table.to_pylist()
    }


def latest_day(table: pa.Table) -> dt.date:
    dates = [*table.column("innskrivningsdato").to_pylist(), *table.column("utskrivningsdato").to_pylist()]
    latest: dt.date = max(d for d in dates if d is not None)
    return latest


@pytest.mark.parametrize("sort", [True, False], ids=["date-sorted", "unsorted"])
def test_parquet_matches_a_stay_by_stay_count(
    tmp_path: Path, sort: bool, make_stays: MakeStays, brute_force: BruteForce
) -> None:
    stays = make_stays(2500, seed=5, sort=sort)
    pq.write_table(stays, tmp_path / "stays.parquet", row_group_size=700)
    table = nimes.aggregate_stays(tmp_path / "stays.parquet", batch_size=400)
    expected = brute_force(stays, until=latest_day(stays) + dt.timedelta(days=1))
    assert as_dict(table) == expected
    assert table.meta.extra["stays"] == 2500
    assert table.variable("patients").additive is False
    assert table.variable("bed_days").unit == "liggedøgn"


@pytest.fixture
def sorted_afterwards(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry each time patients and readmissions are counted by sorting the kept stays at the end."""
    calls: list[int] = []
    per_patient = _patients._per_patient

    def spy(*args: Any) -> None:
        calls.append(1)
        per_patient(*args)

    monkeypatch.setattr("samhandling_nimes.stays._per_patient", spy)
    return calls


@pytest.mark.parametrize("sort", [True, False], ids=["date-sorted", "unsorted"])
@pytest.mark.parametrize("batch_size", [97, 100_000], ids=["small-batches", "one-batch"])
@pytest.mark.parametrize("observed", ["default", "early"])
def test_integer_patient_ids_counted_while_streaming(
    tmp_path: Path,
    sort: bool,
    batch_size: int,
    observed: str,
    make_stays: MakeStays,
    brute_force: BruteForce,
    sorted_afterwards: list[int],
) -> None:
    stays = make_stays(3000, seed=31, sort=sort, int_ids=1, open_share=0.05)
    pq.write_table(stays, tmp_path / "stays.parquet", row_group_size=700)
    until = latest_day(stays) + dt.timedelta(days=1)
    if observed == "early":
        # just after the last admission of a stay still going on: later stays may be readmissions
        still_in_care = pc.is_null(stays.column("utskrivningsdato"))
        last_open = pc.max(stays.filter(still_in_care).column("innskrivningsdato")).as_py()
        until = last_open + dt.timedelta(days=1)
    table = nimes.aggregate_stays(
        tmp_path / "stays.parquet",
        batch_size=batch_size,
        observed_until=until if observed == "early" else None,
    )
    assert as_dict(table) == brute_force(stays, until=until)
    # a date-sorted extract with integer ids is counted while it streams; otherwise sorted at the end
    assert bool(sorted_afterwards) == (not sort)


@pytest.mark.parametrize("batch_size", [1, 2, 100])
def test_patients_across_batches_of_one_month(tmp_path: Path, batch_size: int) -> None:
    # patient 7 goes RDPS → LIER → RDPS within March: one patient at each unit, however it is read
    stays = pa.table(
        {
            "patient_id": pa.array([7, 8, 7, 7, 9, 7], pa.int64()),
            "municipality": ["3305"] * 6,
            "unit": ["RDPS", "RDPS", "LIER", "RDPS", "LIER", "RDPS"],
            "admitted": pa.array(
                [dt.date(2024, 3, d) for d in (1, 2, 5, 20, 31)] + [dt.date(2024, 4, 2)], pa.date32()
            ),
            "discharged": pa.array(
                [dt.date(2024, 3, d) for d in (3, 4, 19, 25, 31)] + [dt.date(2024, 4, 3)], pa.date32()
            ),
        }
    )
    pq.write_table(stays, tmp_path / "s.parquet")
    got = as_dict(
        nimes.aggregate_stays(tmp_path / "s.parquet", variables=["patients"], batch_size=batch_size)
    )
    assert got == {
        ("3305", 2024, 3, "RDPS", "patients"): 2,
        ("3305", 2024, 3, "LIER", "patients"): 2,
        ("3305", 2024, 4, "RDPS", "patients"): 1,
    }


def test_patient_ids_spread_too_wide_are_sorted_at_the_end(
    tmp_path: Path, make_stays: MakeStays, brute_force: BruteForce, sorted_afterwards: list[int]
) -> None:
    stays = make_stays(800, seed=8, int_ids=1_000_003)
    pq.write_table(stays, tmp_path / "stays.parquet")
    table = nimes.aggregate_stays(tmp_path / "stays.parquet")
    assert as_dict(table) == brute_force(stays, until=latest_day(stays) + dt.timedelta(days=1))
    assert sorted_afterwards == [1]


def test_many_small_batches_count_the_same(
    tmp_path: Path, make_stays: MakeStays, brute_force: BruteForce
) -> None:
    # tiny batches: the counts grow month by month and area by area while streaming
    stays = make_stays(700, seed=12)
    pq.write_table(stays, tmp_path / "stays.parquet", row_group_size=100)
    table = nimes.aggregate_stays(tmp_path / "stays.parquet", batch_size=37)
    assert as_dict(table) == brute_force(stays, until=latest_day(stays) + dt.timedelta(days=1))


def test_packed_stay_ends_are_folded_while_streaming(
    tmp_path: Path, make_stays: MakeStays, brute_force: BruteForce, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stay ends are counted two to a 64-bit number and taken apart every PACK_LIMIT stays
    monkeypatch.setattr("samhandling_nimes.stays.PACK_LIMIT", 150)
    stays = make_stays(900, seed=21)
    pq.write_table(stays, tmp_path / "stays.parquet", row_group_size=200)
    table = nimes.aggregate_stays(tmp_path / "stays.parquet", batch_size=100)
    assert as_dict(table) == brute_force(stays, until=latest_day(stays) + dt.timedelta(days=1))


def test_too_many_units_for_patients_is_a_clear_error(
    tmp_path: Path, make_stays: MakeStays, monkeypatch: pytest.MonkeyPatch
) -> None:
    # patients and readmissions keep unit and area packed in 32 bits per stay
    monkeypatch.setattr("samhandling_nimes.stays.MAX_UNITS", 3)
    pq.write_table(make_stays(200, seed=2), tmp_path / "stays.parquet")
    with pytest.raises(ParseError, match=r"more than 3 units.*variables="):
        nimes.aggregate_stays(tmp_path / "stays.parquet")
    counted = nimes.aggregate_stays(tmp_path / "stays.parquet", variables=["admissions"])
    assert pc.sum(counted.arrow.column("value")).as_py() == 200


def test_csv_with_norwegian_dates_and_bom_matches(
    tmp_path: Path, make_stays: MakeStays, brute_force: BruteForce
) -> None:
    stays = make_stays(600, seed=7)
    frame = stays.to_pylist()
    lines = ["Pasient_ID;Bostedskommune;Avdeling;Innskrivningsdato;Utskrivningsdato;Akutt;TPH"]
    for row in frame:
        out = row["utskrivningsdato"].strftime("%d.%m.%Y") if row["utskrivningsdato"] else ""
        lines.append(
            f"{row['pasient_id']};{row['bostedskommune']};{row['avdeling']};"
            f"{row['innskrivningsdato'].strftime('%d.%m.%Y')};{out};{row['akutt']};"
            f"{'ja' if row['tph'] else 'nei'}"
        )
    path = tmp_path / "stays.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    table = sh.read(path)
    assert table.source == "nimes-stays"
    assert as_dict(table) == brute_force(stays, until=latest_day(stays) + dt.timedelta(days=1))


def test_folder_of_parquet_files_is_one_extract(
    tmp_path: Path, make_stays: MakeStays, brute_force: BruteForce
) -> None:
    stays = make_stays(1200, seed=11)
    folder = tmp_path / "extract"
    folder.mkdir()
    pq.write_table(stays.slice(0, 500), folder / "part-0.parquet")
    pq.write_table(stays.slice(500), folder / "part-1.parquet")
    table = nimes.aggregate_stays(folder)
    assert as_dict(table) == brute_force(stays, until=latest_day(stays) + dt.timedelta(days=1))


def test_stays_over_month_boundaries_and_open_stays(tmp_path: Path) -> None:
    stays = pa.table(
        {
            "patient_id": ["a", "a", "b", "c"],
            "municipality": ["0301", "0301", "3305", "3305"],
            "unit": ["RDPS", "RDPS", "LIER", "LIER"],
            "admitted": pa.array(
                [dt.date(2024, 1, 30), dt.date(2024, 4, 15), dt.date(2024, 1, 1), dt.date(2024, 2, 10)]
            ),
            "discharged": pa.array(
                [dt.date(2024, 4, 2), dt.date(2024, 4, 15), dt.date(2024, 1, 1), None], pa.date32()
            ),
            "acute": [True, False, True, False],
            "involuntary": [1, 0, 0, 1],
        }
    )
    pq.write_table(stays, tmp_path / "s.parquet")
    table = nimes.aggregate_stays(tmp_path / "s.parquet", observed_until="2024-03-01")
    got = as_dict(table)
    # a: 30 Jan → 2 Apr: Jan 2 nights, Feb 29 (leap year), Mar 31, Apr 1
    assert [got[("0301", 2024, m, "RDPS", "bed_days")] for m in (1, 2, 3, 4)] == [2, 29, 31, 1]
    # a again on 15 Apr, 13 days after discharge: a readmission; a same-day stay has no bed-days
    assert got[("0301", 2024, 4, "RDPS", "readmissions_30d")] == 1
    assert ("3305", 2024, 1, "LIER", "bed_days") not in got
    assert got[("3305", 2024, 1, "LIER", "admissions")] == 1
    # c is still admitted: nights 10–29 February are counted (up to the day before observed_until)
    assert got[("3305", 2024, 2, "LIER", "bed_days")] == 20
    assert got[("3305", 2024, 2, "LIER", "involuntary_stays")] == 1
    assert got[("0301", 2024, 1, "RDPS", "acute_admissions")] == 1
    assert ("0301", 2024, 4, "RDPS", "acute_admissions") not in got
    assert table.geography_year == 2024


def test_transfer_on_the_discharge_day_is_not_a_readmission(tmp_path: Path) -> None:
    stays = pa.table(
        {
            "patient": ["a", "a", "a"],
            "kommune": ["3305"] * 3,
            "avdeling": ["LIER", "RDPS", "RDPS"],
            "inndato": ["2024-01-01", "2024-01-10", "2024-03-12"],
            "utdato": ["2024-01-10", "2024-02-10", "2024-03-20"],
            "akutt": ["akutt", "planlagt", "akutt"],
            "tph": ["nei", "nei", "ja"],
        }
    )
    pq.write_table(stays, tmp_path / "s.parquet")
    got = as_dict(nimes.aggregate_stays(tmp_path / "s.parquet"))
    assert not any(key[-1] == "readmissions_30d" for key in got)
    got = as_dict(nimes.aggregate_stays(tmp_path / "s.parquet", readmission_days=31))
    assert got[("3305", 2024, 3, "RDPS", "readmissions_30d")] == 1


def test_patients_are_distinct_per_unit_and_month(tmp_path: Path) -> None:
    stays = pa.table(
        {
            "patient": [7, 7, 7, 8],
            "kommune": ["3305"] * 4,
            "avdeling": ["RDPS", "LIER", "RDPS", "RDPS"],
            "inndato": pa.array([dt.date(2024, 5, d) for d in (1, 3, 20, 21)]),
            "utdato": pa.array([dt.date(2024, 5, d) for d in (2, 19, 21, 22)]),
            "akutt": [1, 1, 1, 1],
            "tph": [0, 0, 0, 0],
        }
    )
    pq.write_table(stays, tmp_path / "s.parquet")
    got = as_dict(nimes.aggregate_stays(tmp_path / "s.parquet"))
    assert got[("3305", 2024, 5, "RDPS", "patients")] == 2
    assert got[("3305", 2024, 5, "RDPS", "admissions")] == 3
    assert got[("3305", 2024, 5, "LIER", "patients")] == 1


def test_unit_labels_resolve_and_unknown_units_are_kept(tmp_path: Path, make_stays: MakeStays) -> None:
    stays = make_stays(300, seed=2)
    pq.write_table(stays, tmp_path / "s.parquet")
    table = nimes.aggregate_stays(tmp_path / "s.parquet", variables=["admissions"])
    types = dict(
        zip(
            table.arrow.column("unit").cast(pa.string()).to_pylist(),
            table.arrow.column("unit_type").cast(pa.string()).to_pylist(),
        )
    )
    assert types == {"RDPS": "DPS", "dps-asker": "DPS", "LIER": "other", "ARA": "unknown", "BUPA": "unknown"}
    unknown = {
        f.values["unit"]: f.values["admissions"]
        for f in nimes.findings(table)
        if f.rule == "nimes_unknown_unit"
    }
    counts = pc.value_counts(stays.column("avdeling")).to_pylist()
    assert unknown == {c["values"]: c["counts"] for c in counts if c["values"] in ("ARA", "BUPA")}
    # 0605 no longer exists on the 2025 map the extract is read on: reported, kept
    regions = [f.region for f in nimes.findings(table) if f.rule == "nimes_unknown_region"]
    assert regions == ["0605"]
    assert "0605" in table.arrow.column("region").cast(pa.string()).to_pylist()


def test_variables_subset_and_custom_columns(tmp_path: Path, make_stays: MakeStays) -> None:
    stays = make_stays(200, seed=4).rename_columns(
        ["lnr", "komm", "post", "inn", "ut", "hast", "tvang_flagg"]
    )
    pq.write_table(stays, tmp_path / "s.parquet")
    with pytest.raises(ParseError, match=r"no column for the patient.*columns="):
        nimes.aggregate_stays(tmp_path / "s.parquet")
    table = nimes.aggregate_stays(
        tmp_path / "s.parquet",
        columns={
            "patient": "lnr",
            "municipality": "komm",
            "unit": "post",
            "admitted": "inn",
            "discharged": "ut",
        },
        variables=["admissions", "bed_days"],
    )
    assert table.variable_ids() == ["admissions", "bed_days"]
    assert pc.sum(table.where(variable="admissions").arrow.column("value")).as_py() == 200
    with pytest.raises(SchemaError, match="unknown NIMES variable"):
        nimes.aggregate_stays(tmp_path / "s.parquet", variables=["admisions"])


def test_counts_without_patient_ids(tmp_path: Path, make_stays: MakeStays, brute_force: BruteForce) -> None:
    # an extract without patient ids still gives the counts that do not need them
    stays = make_stays(300, seed=9)
    pq.write_table(stays.drop_columns(["pasient_id"]), tmp_path / "s.parquet")
    counts = ["admissions", "bed_days", "acute_admissions", "involuntary_stays"]
    table = nimes.aggregate_stays(tmp_path / "s.parquet", variables=counts)
    expected = brute_force(stays, until=latest_day(stays) + dt.timedelta(days=1))
    assert as_dict(table) == {key: value for key, value in expected.items() if key[-1] in counts}
    with pytest.raises(ParseError, match=r"no column for the patient"):
        nimes.aggregate_stays(tmp_path / "s.parquet", variables=["admissions", "patients"])


def _csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "s.csv"
    header = "pasient_id,kommune,avdeling,inndato,utdato,akutt,tph"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "p2,0301,RDPS,2024-03-05,2024-03-01,akutt,nei",
            r"line 3, column 'utdato': discharged 2024-03-01 before",
        ),
        (
            "p2,0301,RDPS,31.02.2024,2024-03-01,akutt,nei",
            r"line 3, column 'inndato': '31.02.2024' is not a date",
        ),
        (
            "p2,Oslo,RDPS,2024-03-05,2024-03-08,akutt,nei",
            r"line 3, column 'kommune': 'Oslo' is not a 4-digit",
        ),
        ("p2,0301,RDPS,2024-03-05,2024-03-08,kanskje,nei", r"line 3, column 'akutt': 'kanskje' is neither"),
        (",0301,RDPS,2024-03-05,2024-03-08,akutt,nei", r"line 3, column 'pasient_id': empty patient id"),
        ("p2,,RDPS,2024-03-05,2024-03-08,akutt,nei", r"line 3, column 'kommune': empty value"),
    ],
)
def test_bad_rows_name_file_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    path = _csv(tmp_path, ["p1,0301,RDPS,2024-03-01,2024-03-04,planlagt,ja", row])
    with pytest.raises(ParseError, match=message):
        nimes.aggregate_stays(path)


def test_windows_1252_csv(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    text = (
        "løpenr;kommune;avdeling;inndato;utdato;akutt;tph\n"
        "1;3305;Blakstad sykehus, akuttpost;2024-01-02;2024-01-05;akutt;nei\n"
    )
    path.write_bytes(text.encode("cp1252"))
    table = nimes.aggregate_stays(path, variables=["admissions"])
    assert table.arrow.column("unit").cast(pa.string()).to_pylist() == ["Blakstad sykehus, akuttpost"]


def test_harmonise_after_aggregation_keeps_the_totals(tmp_path: Path, make_stays: MakeStays) -> None:
    stays = make_stays(800, seed=9)
    # on the 2019 map: Ringerike 0605, Oslo 0301 with a district, Stavanger 1103 (no 3305 yet)
    stays = stays.filter(pc.not_equal(stays.column("bostedskommune"), "3305"))
    pq.write_table(stays, tmp_path / "s.parquet")
    additive = ["admissions", "bed_days", "acute_admissions", "involuntary_stays", "readmissions_30d"]
    original = nimes.aggregate_stays(tmp_path / "s.parquet", variables=additive, geography_year=2019)
    harmonised = nimes.aggregate_stays(
        tmp_path / "s.parquet", variables=additive, geography_year=2019, harmonise_to=2024
    )
    assert harmonised.geography_year == 2024
    regions = set(harmonised.arrow.column("region").cast(pa.string()).to_pylist())
    assert "0605" not in regions
    assert "3305" in regions
    for variable in additive:
        before = pc.sum(original.where(variable=variable).arrow.column("value")).as_py()
        after = pc.sum(harmonised.where(variable=variable).arrow.column("value")).as_py()
        assert after == pytest.approx(before), variable


def test_source_detection_and_conformance(
    tmp_path: Path, plugin_manager: PluginManager, make_stays: MakeStays
) -> None:
    pq.write_table(make_stays(50, seed=1), tmp_path / "s.parquet")
    source = plugin_manager.registry.sources["nimes-stays"]
    check_source(source, tmp_path / "s.parquet", variables=["admissions", "bed_days"])
    # a StatTable written to Parquet is not a stay extract
    exported = sh.export(nimes.aggregate_stays(tmp_path / "s.parquet"), tmp_path / "aggregated.parquet")
    assert not source.can_read(exported)
    pcsv.write_csv(pa.table({"region": ["0301"], "value": [1]}), tmp_path / "other.csv")
    assert not source.can_read(tmp_path / "other.csv")


def test_wide_form_for_dataframe_work(tmp_path: Path, make_stays: MakeStays) -> None:
    stays = make_stays(400, seed=8)
    pq.write_table(stays, tmp_path / "s.parquet")
    wide = nimes.aggregate_stays_wide(tmp_path / "s.parquet").wide
    assert wide.column_names[:6] == ["region", "level", "year", "month", "unit", "unit_type"]
    assert pc.sum(wide.column("admissions")).as_py() == 400
