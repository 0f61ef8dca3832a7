"""The shipped population (SSB tables 07459 and 10826) against an independent parse of SSB's files.

The real statbank files are read here with the csv module only (skipped when they are not at hand), and
the shipped numbers, ``per_10000`` without a population, and the build tool are checked against them.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import re
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import samhandling as sh
from samhandling.errors import YearNotCoveredError
from samhandling.geography.population import (
    DISTRICT_POPULATION_YEARS,
    POPULATION_YEARS,
    population,
    population_metadata,
)
from samhandling.tables import StatTable, Variable

ROOT = Path(__file__).parents[2]
REAL = ROOT / ".." / "shared" / "real-data" / "ssb"
FILES_07459 = (
    "07459_population_2015-2018_en_wide_tab_latin1.csv",
    "07459_population_2019_en_comma_unquoted_utf8-damaged.csv",
    "07459_population_2020_en_tab_K-prefix_latin1.csv",
    "07459_population_2021_en_semicolon_title_K-prefix_latin1.csv",
)
FILE_10826 = "10826_population_bydel_2021_en_semicolon_title_latin1.csv"
real = pytest.mark.skipif(not REAL.is_dir(), reason="the real SSB files are not at hand")


def _independent(name: str) -> dict[tuple[int, str, str], int]:
    """(year, region code as written, age label) → persons, read with the csv module from one SSB file."""
    path = REAL / name
    raw = path.read_bytes()
    text = raw.decode("utf-8") if b"\xef\xbf\xbd" in raw else raw.decode("latin-1")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip('"').startswith("region"))
    delimiter = "\t" if "\t" in lines[start] else ";" if ";" in lines[start] else ","
    reader = csv.reader(lines[start:], delimiter=delimiter)
    header = next(reader)
    years = [int(h.split()[-1]) for h in header[2:]]
    out: dict[tuple[int, str, str], int] = {}
    for row in reader:
        if not row:
            continue
        region = row[0].split(" ")[0].removeprefix("K-")
        age = row[1].split(" ")[0] + ("+" if "older" in row[1] else "")
        for year, value in zip(years, row[2:]):
            out[(year, region, age)] = int(value)
    return out


@pytest.fixture(scope="module")
def ssb_07459() -> dict[tuple[int, str, str], int]:
    merged: dict[tuple[int, str, str], int] = {}
    for name in FILES_07459:
        merged.update(_independent(name))
    return merged


@functools.cache
def _shipped(ages: str = "single", level: str = "municipality") -> dict[tuple[int, str, str], float]:
    table = population(ages=ages, level=level)  # type: ignore[arg-type]
    columns = [table.arrow.column(c).to_pylist() for c in ("year", "region", "age", "value")]
    return {(y, r, a): v for y, r, a, v in zip(*columns)}


@real
@pytest.mark.parametrize(
    ("year", "code"),
    [
        (2017, "0101"),  # Halden
        (2018, "0709"),  # Larvik (-2017): not a 2018 area, left out
        (2017, "0301"),
        (2018, "5001"),  # Trondheim's new code
        (2018, "0702"),  # Holmestrand (-2017)
        (2019, "1567"),  # Rindal (-2018)
        (2019, "1504"),
        (2020, "3001"),  # K-3001 Halden
        (2021, "5444"),
        (2021, "1507"),
    ],
)
def test_shipped_numbers_equal_ssbs_for_a_sample(
    ssb_07459: dict[tuple[int, str, str], int], year: int, code: str
) -> None:
    shipped = _shipped()
    ages = [str(a) for a in range(105)] + ["105+"]
    from_ssb = [ssb_07459[(year, code, age)] for age in ages]
    if sum(from_ssb) == 0:  # a code of another year: SSB has zeros, the library leaves it out
        assert not any((year, code, age) in shipped for age in ages)
        return
    assert [shipped[(year, code, age)] for age in ages] == pytest.approx(from_ssb)


@real
def test_every_municipality_and_year_equals_ssbs_total(ssb_07459: dict[tuple[int, str, str], int]) -> None:
    shipped = population(ages="total")
    totals: dict[tuple[int, str], int] = defaultdict(int)
    for (year, region, _age), value in ssb_07459.items():
        if year in POPULATION_YEARS and re.fullmatch(r"\d{4}", region):
            totals[(year, region)] += value
    rows = {(r["year"], r["region"]): r["value"] for r in shipped.to_pylist()}
    assert rows == {key: value for key, value in totals.items() if value}
    national = {y: sum(v for (yy, _r), v in rows.items() if yy == y) for y in POPULATION_YEARS}
    # SSB's published population on 1 January (statbank table 07459, 'Hele landet')
    assert national == {2017: 5258317, 2018: 5295619, 2019: 5328212, 2020: 5367580, 2021: 5391369}


@real
def test_districts_2021_equal_ssbs() -> None:
    ssb = _independent(FILE_10826)
    shipped = _shipped(level="district")
    for code in ("030101", "030112", "030116", "460101", "500104", "110308"):
        written = code + ("a" if code.startswith("0301") else "")  # 10826 marks today's Oslo districts 'a'
        for age in ("0", "17", "67", "105+"):
            assert shipped[(2021, code, age)] == ssb[(2021, written, age)]
    oslo = sum(v for (y, r, _a), v in shipped.items() if y == 2021 and r.startswith("0301"))
    assert oslo == sum(v for (y, r, _a), v in ssb.items() if r == "030100aa")  # 'Oslo total' = 697 010


def test_bands_and_metadata() -> None:
    bands = population([2021], ages="bands")
    assert set(bands.arrow.column("age").to_pylist()) == {"0-17", "18-66", "67+"}
    single = population([2021])
    assert pc.sum(bands.arrow.column("value")).as_py() == pc.sum(single.arrow.column("value")).as_py()
    assert bands.variable("population").unit == "innbygger"
    meta = population_metadata()
    assert "Statistics Norway (SSB)" in meta["source"]
    assert "07459" in meta["source"]
    assert meta["municipality_years"] == list(POPULATION_YEARS)
    assert meta["district_years"] == list(DISTRICT_POPULATION_YEARS)
    assert meta["years_in_files_without_a_map"] == [2015, 2016]
    damaged = next(f for f in meta["files"] if "damaged" in f["file"])
    assert "codes and counts are intact" in damaged["damaged_names"]
    assert {p.checksum for p in single.provenance} >= {f"sha256:{f['sha256']}" for f in meta["files"]}
    pseudo = next(f for f in meta["files"] if "2020" in f["file"])
    assert set(pseudo["not_areas"]) == {
        "K-21-22 Svalbard and Jan Mayen",
        "K-23 Continental shelf",
        "K-Rest Divided municalities and unknown",
    }


def test_uncovered_years_are_named_with_how_to_add_them() -> None:
    with pytest.raises(YearNotCoveredError, match=r"covers 2017–2021 .* not 2024; pass population="):
        population([2024])
    table = StatTable.from_pydict(
        {"region": ["3301"], "level": ["municipality"], "year": [2024], "variable": ["x"], "value": [1.0]},
        variables=[Variable(id="x", unit="opphold")], geography_year=2024,
    )  # fmt: skip
    with pytest.raises(YearNotCoveredError) as caught:
        sh.per_10000(table)
    message = str(caught.value)
    assert "municipalities in 2024" in message
    assert "07459" in message
    assert "PxWebApi" in message


@real
def test_per_10000_without_population_uses_ssbs_figures(ssb_07459: dict[tuple[int, str, str], int]) -> None:
    table = StatTable.from_pydict(
        {"region": ["0101", "1804", "5001"], "level": ["municipality"] * 3, "year": [2018] * 3,
         "variable": ["users"] * 3, "value": [30.0, 40.0, 90.0]},
        variables=[Variable(id="users", unit="bruker")], geography_year=2018,
    )  # fmt: skip
    rates = {r["region"]: r["value"] for r in sh.per_10000(table, ages="18+").to_pylist()}
    adult = [str(a) for a in range(18, 105)] + ["105+"]
    for code, count in (("0101", 30.0), ("1804", 40.0), ("5001", 90.0)):
        people = sum(ssb_07459[(2018, code, age)] for age in adult)
        assert rates[code] == pytest.approx(count / people * 10000)
    county = sh.roll_up(table, "county", partial="keep")
    everyone = sum(
        v for (y, r, _a), v in ssb_07459.items() if y == 2018 and r.startswith("18") and len(r) == 4
    )
    assert {r["region"]: r["value"] for r in sh.per_10000(county).to_pylist()}["18"] == pytest.approx(
        40.0 / everyone * 10000
    )


# -- the build tool ----------------------------------------------------------------------------------------
def _tool() -> ModuleType:
    path = ROOT / "tools" / "build_population.py"
    spec = importlib.util.spec_from_file_location("build_population", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_population"] = module
    spec.loader.exec_module(module)
    return module


@real
@pytest.mark.slow
def test_the_tool_rebuilds_the_shipped_table() -> None:
    tool = _tool()
    built = tool.build([REAL / name for name in FILES_07459], [REAL / FILE_10826])
    import io
    from importlib import resources

    import pyarrow.parquet as pq

    shipped = pq.read_table(
        io.BytesIO(resources.files("samhandling.geography").joinpath("data/population.parquet").read_bytes())
    )
    assert built.equals(shipped)
    assert built.schema.metadata == shipped.schema.metadata


def _small(tmp_path: Path, body: str, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="latin-1")
    return path


def test_the_tool_names_file_and_line_of_a_bad_row(tmp_path: Path) -> None:
    tool = _tool()
    ages = [f"{a} years" for a in range(105)] + ["105 years or older"]
    good = "".join(f'"K-3001 Halden"\t"{age}"\t1\n' for age in ages)
    header = '"region"\t"age"\t"Persons 2020"\n'
    bad_value = _small(tmp_path, header + good.replace("\t1\n", "\t1,5\n", 1), "value.csv")
    with pytest.raises(tool.BuildError, match=r"value\.csv, line 2: '1,5' is not a count of persons"):
        tool.parse(bad_value, "07459")
    bad_age = _small(tmp_path, header + '"K-3001 Halden"\t"old"\t1\n', "age.csv")
    with pytest.raises(tool.BuildError, match=r"age\.csv, line 2: 'old' is not a one-year age"):
        tool.parse(bad_age, "07459")
    twice = _small(tmp_path, header + good + '"K-3001 Halden"\t"3 years"\t2\n', "twice.csv")
    with pytest.raises(tool.BuildError, match=r"a second row for 'K-3001 Halden', age 3"):
        tool.parse(twice, "07459")
    pseudo = _small(tmp_path, header + good + '"K-23 Continental shelf"\t"0 years"\t0\n', "pseudo.csv")
    parsed = tool.parse(pseudo, "07459")
    assert dict(parsed.skipped) == {"K-23 Continental shelf": 0}
    with pytest.raises(tool.BuildError, match=r"municipality population 2020: no rows for \['0301'"):
        tool.build([pseudo], [])
    assert (
        tool.main(["--municipalities", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o.parquet")])
        == 1
    )


def test_population_is_a_statable_in_ssbs_codes() -> None:
    table = population([2019, 2020], ages="total")
    assert table.geography_year is None  # each row on the map of its own year
    regions = set(table.where(year=2019).arrow.column("region").to_pylist())
    assert "1504" in regions
    assert "1507" not in regions
    assert table.where(year=2020).num_rows == 356
    assert isinstance(table.arrow.column("value").type, pa.DataType)
