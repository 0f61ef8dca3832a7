"""What every read guarantees, whichever source reads: one value per key, our errors naming the file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.aggregate import roll_up
from samhandling.errors import DuplicateKeyError, ParseError, SchemaError, SourceError
from samhandling.exporters import export
from samhandling.keys import DuplicateKeys
from samhandling.plugins import get_plugin_manager


def _with_copy(*, monthly: bool = False) -> StatTable:
    """Three municipalities of Buskerud; Drammen's FTEs of 2024 are there twice (different values)."""
    columns: dict[str, list[object]] = {
        "region": ["3301", "3303", "3301", "3305"],
        "level": ["municipality"] * 4,
        "year": [2024] * 4,
        "profession": ["nurse"] * 4,
        "variable": ["fte"] * 4,
        "value": [10.0, 4.0, 12.5, 2.0],
    }
    if monthly:
        columns["month"] = [1, 1, 1, 2]
    return StatTable.from_pydict(
        columns, variables=[Variable(id="fte", unit="årsverk")], geography_year=2024, source="t"
    )


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])  # JSON-stat cannot hold two values in a cell
def test_duplicate_keys_are_an_error_naming_file_key_and_rows(tmp_path: Path, suffix: str) -> None:
    path = export(_with_copy(), tmp_path / f"fte{suffix}")
    pattern = (
        rf"fte\{suffix}: 1 key\(s\) occur more than once \(2 rows\): region=3301, level=municipality, "
        r"year=2024, profession=nurse, variable=fte \(rows \d and \d\)"
    )
    with pytest.raises(DuplicateKeyError, match=pattern) as caught:
        sh.read(path)
    assert caught.value.path == path
    duplicates = caught.value.duplicates
    assert isinstance(duplicates, DuplicateKeys)
    assert list(duplicates.examples[0].rows) in ([1, 3], [2, 3], [1, 2], [3, 4])


def test_a_month_is_part_of_the_key(tmp_path: Path) -> None:
    table = _with_copy(monthly=True)  # Drammen's two rows are both January: still a copy
    with pytest.raises(DuplicateKeyError, match="month=1"):
        sh.read(export(table, tmp_path / "m.parquet"))
    other = table.with_arrow(table.arrow.set_column(3, "month", pa.array([1, 1, 2, 2], pa.int8())))
    assert sh.read(export(other, tmp_path / "n.parquet")).num_rows == 4


def test_allowed_duplicates_are_kept_as_a_finding_and_never_rolled_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = export(_with_copy(), tmp_path / "fte.parquet")
    with caplog.at_level(logging.WARNING):
        table = sh.read(path, allow_duplicates=True)
    assert table.num_rows == 4
    assert table.meta.extra["duplicate_keys"]["keys"] == 1
    assert "occur more than once" in caplog.text
    findings = [f for f in sh.run_checks(table) if f.rule == "duplicates"]
    assert [f.region for f in findings] == ["3301"]
    with pytest.raises(SchemaError, match=r"roll_up: 1 key\(s\) occur more than once"):
        roll_up(table, "county")
    # once the copy is gone, the table rolls up (12.5 was the wrong row)
    fixed = table.filter(pa.array([True, True, False, True]))
    assert roll_up(fixed, "county", partial="keep").arrow.column("value").to_pylist() == [16.0]


def test_a_statbank_file_with_a_row_twice_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("samhandling_kostra")
    path = tmp_path / "07459-2024.csv"
    path.write_text(
        '"region","alder","Personer 2024"\n'
        '"3301 Drammen","0 år",1081\n'
        '"3303 Kongsberg","0 år",288\n'
        '"3301 Drammen","0 år",1080\n',
        encoding="utf-8",
    )
    with pytest.raises(DuplicateKeyError, match=r"07459-2024\.csv: .*region=3301.*\(rows \d and \d\)"):
        sh.read(path, plugin_manager=get_plugin_manager())


def test_an_unknown_encoding_option_is_our_error(tmp_path: Path) -> None:
    path = export(_with_copy().filter(pa.array([True, True, False, True])), tmp_path / "fte.parquet")
    with pytest.raises(SourceError, match=r"fte\.parquet: unknown text encoding 'klingon-8'"):
        sh.read(path, encoding="klingon-8")


def test_a_broken_parquet_file_names_the_file(tmp_path: Path) -> None:
    good = export(_with_copy().filter(pa.array([True, True, False, True])), tmp_path / "good.parquet")
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[:-30])
    with pytest.raises(ParseError, match=r"cut\.parquet: not a readable Parquet file"):
        sh.read(cut)
    with pytest.raises(ParseError, match=r"cut\.parquet: not a readable Parquet file"):
        sh.read(cut, filters=[("year", "=", 2024)])
    assert pq.read_table(good).num_rows == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [("{", "not a samhandling CSV metadata file"), ("[" * 100_000 + "]" * 100_000, "nested too deeply")],
)
def test_a_broken_sidecar_names_the_sidecar(tmp_path: Path, content: str, message: str) -> None:
    path = export(_with_copy().filter(pa.array([True, True, False, True])), tmp_path / "fte.csv")
    (tmp_path / "fte.csv.meta.json").write_text(content, encoding="utf-8")
    with pytest.raises(ParseError, match=rf"fte\.csv\.meta\.json: .*{message}"):
        sh.read(path)


def test_a_broken_dataset_description_names_it(tmp_path: Path) -> None:
    from samhandling.exporters.parquet import write_dataset

    table = _with_copy().filter(pa.array([True, True, False, True]))
    root = write_dataset(table, tmp_path / "ds", partition_by=("year",))
    description = root / "_samhandling.json"
    description.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(ParseError, match=r"_samhandling\.json: not a samhandling dataset description"):
        sh.read(root)
    description.write_text(json.dumps({"partition_by": ["year"], "meta": {}, "files": [{"path": 1}]}))
    with pytest.raises(ParseError, match=r"_samhandling\.json.*a malformed entry in 'files'"):
        sh.read(root)


def test_writing_over_the_table_s_own_input_is_refused(tmp_path: Path) -> None:
    table = _with_copy().filter(pa.array([True, True, False, True]))
    path = export(table, tmp_path / "fte.parquet")
    back = sh.read(path)
    with pytest.raises(
        sh.errors.ExportError, match=r"will not write .*fte\.parquet.*which the table was read"
    ):
        export(back, path)
    with pytest.raises(sh.errors.ExportError, match="which the table was read"):
        export(back, tmp_path / "." / "fte.parquet", format="parquet")
    link = tmp_path / "link.parquet"
    link.symlink_to(path)
    with pytest.raises(sh.errors.ExportError, match="which the table was read"):
        export(back, link)
    # a file named in the table's provenance (the original download) is refused too
    source = tmp_path / "download.csv"
    source.write_text("x", encoding="utf-8")
    cited = back.with_arrow(back.arrow, provenance=[sh.Provenance.for_file("ssb", source)])
    with pytest.raises(sh.errors.ExportError, match=r"download\.csv"):
        export(cited, source, format="csv")
    assert source.read_text(encoding="utf-8") == "x"
    export(back, tmp_path / "elsewhere.parquet")  # anything else is fine
