"""Nothing lost: a killed writer, a cut file or a second writer never turns good data into bad.

Each test makes its own files.  The kill tests run the writer in a subprocess and kill it while it
writes (at random moments, and at every step that changes the file system); afterwards the previous
data is intact, and nothing half-written reads as valid.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.errors import ConcurrentWriteError, ExportError, ParseError, SamhandlingError
from samhandling.exporters import export
from samhandling.exporters.csv import metadata_path
from samhandling.exporters.parquet import DATASET_METADATA_FILE, read_dataset, write_dataset

# A helper the subprocesses import: a canonical table of `rows` rows (regions × months × units), made
# with numpy so that a 3-million-row table takes a fraction of a second.
MAKE_TABLE = textwrap.dedent(
    """
    import numpy as np, pyarrow as pa
    from samhandling import StatTable, Variable

    def make_table(rows, seed=1, year_base=2015, years=10, first_region=301):
        rng = np.random.default_rng(seed)
        index = np.arange(rows)
        codes = pa.array([f"{first_region + i:04d}" for i in range(400)])
        region = codes.take(pa.array(index % 400))
        year = (year_base + (index // 400) % years).astype(np.int16)
        units = pa.array([str(u) for u in range(rows // (400 * years) + 1)])
        unit = units.take(pa.array(index // (400 * years)))
        arrow = pa.table({
            "region": region,
            "level": pa.array(["municipality"] * rows).dictionary_encode(),
            "year": pa.array(year),
            "unit": unit,
            "variable": pa.array(["admissions"] * rows).dictionary_encode(),
            "value": pa.array(np.round(rng.gamma(2.0, 30.0, rows), 2)),
            "status": pa.nulls(rows, pa.string()),
        })
        return StatTable.from_arrow(
            arrow, variables=[Variable(id="admissions", unit="opphold")], geography_year=2024, source="t"
        )
    """
)


def _make_table(rows: int, **kwargs: int) -> StatTable:
    namespace: dict[str, object] = {}
    exec(MAKE_TABLE, namespace)
    return namespace["make_table"](rows, **kwargs)  # type: ignore[operator,no-any-return]


def _run(script: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    helper = tmp_path / "make_table_helper.py"
    helper.write_text(MAKE_TABLE, encoding="utf-8")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\nfrom make_table_helper import make_table\n"
    return subprocess.Popen([sys.executable, "-c", code + textwrap.dedent(script)])


def _wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the writer exited ({process.returncode}) before it started writing")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the writer did not start")
        time.sleep(0.01)


def _kill_while_writing(script: str, tmp_path: Path, delay: float) -> bool:
    """Run ``script`` (which touches ``started`` right before it writes), kill it ``delay`` s later;
    True when it was killed, False when it had already finished."""
    started = tmp_path / "started"
    started.unlink(missing_ok=True)
    process = _run(script, tmp_path)
    try:
        _wait_for(started, process)
        time.sleep(delay)
        finished = process.poll() is not None
        process.kill()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return not finished


# -------------------------------------------------------------------------------------------------
# A CSV export killed mid-write, and cut files
# -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_csv_export_leaves_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "admissions.csv"
    old = _make_table(2_000, seed=2)
    export(old, target)
    script = f"""
        from pathlib import Path
        from samhandling.exporters import export
        table = make_table(3_000_000)
        Path({str(tmp_path / "started")!r}).touch()
        export(table, {str(target)!r})
    """
    rng = random.Random(19)
    killed = 0
    # moments within the write on any machine (writing 3 M rows takes well over half a second)
    for delay in (0.0, *(rng.uniform(0.02, 0.5) for _ in range(4))):
        if _kill_while_writing(script, tmp_path, delay):
            killed += 1
            back = sh.read(target)  # the old pair, complete
            assert back.equals(old)
        else:  # it finished first: the new pair reads as the whole new table
            assert sh.read(target).num_rows == 3_000_000
            export(old, target)
    assert killed >= 3
    # what a killed writer leaves is a hidden temporary file, which no reader takes for data
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".admissions.csv")]
    for leftover in leftovers:
        with pytest.raises(SamhandlingError):
            sh.read(leftover)


def _cut_points(size: int, data: bytes) -> list[int]:
    lines = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")][:-1]
    return sorted({*lines, 0, 1, size // 2, size - 1, *random.Random(3).sample(range(1, size), 20)})


@pytest.mark.parametrize("norwegian", [False, True])
def test_a_csv_cut_anywhere_never_reads_as_valid(tmp_path: Path, norwegian: bool) -> None:
    table = _make_table(60)
    path = export(table, tmp_path / "cut.csv", norwegian=norwegian)
    data = path.read_bytes()
    for cut in _cut_points(len(data), data):  # every line boundary, and bytes in between
        path.write_bytes(data[:cut])
        with pytest.raises(ParseError, match="do not belong together"):
            sh.read(path)
    path.write_bytes(data)
    assert sh.read(path).equals(table)


def test_a_csv_and_a_meta_json_of_another_export_are_refused(tmp_path: Path) -> None:
    first = export(_make_table(50, seed=1), tmp_path / "a.csv")
    export(_make_table(50, seed=2), tmp_path / "b.csv")  # same size and rows, other values
    metadata_path(first).write_bytes(metadata_path(tmp_path / "b.csv").read_bytes())
    with pytest.raises(ParseError, match=r"a\.csv: the CSV and a\.csv\.meta\.json do not belong together"):
        sh.read(first)


def test_a_sidecar_of_an_earlier_version_is_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    table = _make_table(20)
    path = export(table, tmp_path / "old.csv")
    sidecar = json.loads(metadata_path(path).read_text(encoding="utf-8"))
    del sidecar["data"]
    metadata_path(path).write_text(json.dumps(sidecar), encoding="utf-8")
    assert sh.read(path).equals(table)
    assert "records no size or checksum" in caplog.text


# -------------------------------------------------------------------------------------------------
# A Parquet overwrite killed mid-write
# -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_parquet_overwrite_leaves_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "admissions.parquet"
    old = _make_table(1_000, seed=5)
    export(old, target)
    script = f"""
        from pathlib import Path
        from samhandling.exporters import export
        table = make_table(3_000_000)
        Path({str(tmp_path / "started")!r}).touch()
        export(table, {str(target)!r}, compression="gzip")
    """
    killed = 0
    for delay in (0.0, 0.05, 0.15, 0.4):
        if _kill_while_writing(script, tmp_path, delay):
            killed += 1
            assert sh.read(target).equals(old)
        else:
            export(old, target)
    assert killed >= 2


# -------------------------------------------------------------------------------------------------
# Datasets: replace and append killed at any point
# -------------------------------------------------------------------------------------------------


def _summary(table: StatTable) -> tuple[int, float, list[int]]:
    import pyarrow.compute as pc

    return table.num_rows, round(float(pc.sum(table.arrow.column("value")).as_py()), 6), table.years()


# Patches os.rename/os.replace/os.unlink/shutil.rmtree in the writer so that it dies (os._exit, as a
# kill would) at the N-th change it makes to the file system.
CRASH_AT = """
    import os, shutil
    calls = [0]
    def crashing(function):
        def wrapper(*args, **kwargs):
            calls[0] += 1
            if calls[0] == {crash_at}:
                os._exit(9)
            return function(*args, **kwargs)
        return wrapper
    os.rename = crashing(os.rename)
    os.replace = crashing(os.replace)
    os.unlink = crashing(os.unlink)
    shutil.rmtree = crashing(shutil.rmtree)
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["replace", "append"])
def test_a_dataset_write_killed_at_every_step_leaves_old_or_new(tmp_path: Path, mode: str) -> None:
    root = tmp_path / "ds"
    old = _make_table(4_000, seed=1, years=4)  # 2015–2018, 1000 rows each
    if mode == "replace":
        new = _make_table(2_000, seed=9, year_base=2017, years=2)  # replaces 2017 and 2018
    else:
        new = _make_table(2_000, seed=9, year_base=2018, years=2, first_region=1001)  # other regions
    expected_new = sh.StatTable.concat(
        [old.filter(sh.StatTable.from_arrow(old.arrow).arrow.column("year").to_numpy() < 2017), new]
        if mode == "replace"
        else [old, new]
    )
    outcomes = set()
    for crash_at in range(1, 60):
        if root.exists():
            import shutil

            shutil.rmtree(root)
        write_dataset(old, root, partition_by=("year",))
        script = f"""
            import pyarrow as pa
            from samhandling.exporters.parquet import write_dataset
            table = make_table(2_000, seed=9, year_base={2017 if mode == "replace" else 2018}, years=2,
                               first_region={301 if mode == "replace" else 1001})
            {textwrap.indent(textwrap.dedent(CRASH_AT.format(crash_at=crash_at)), " " * 12).strip()}
            write_dataset(table, {str(root)!r}, partition_by=("year",), mode={mode!r})
        """
        process = _run(script, tmp_path)
        process.wait(timeout=120)
        back = read_dataset(root)
        if _summary(back) == _summary(old):
            outcomes.add("old")
        else:
            assert _summary(back) == _summary(expected_new), f"crash at change {crash_at}"
            outcomes.add("new")
        # the next write removes what the killed one left and sees the dataset it left
        write_dataset(_make_table(10, seed=3, year_base=2030, years=1), root, partition_by=("year",))
        assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == []
        assert read_dataset(root).num_rows == back.num_rows + 10
        if process.returncode == 0:  # this run did not reach the crash: every step was tried
            break
    else:
        pytest.fail("the write never finished")
    assert outcomes == {"old", "new"}


@pytest.mark.slow
def test_a_dataset_replace_killed_at_random_moments(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    old = _make_table(300_000, seed=1)
    write_dataset(old, root, partition_by=("year",))
    script = f"""
        from pathlib import Path
        from samhandling.exporters.parquet import write_dataset
        table = make_table(3_000_000, seed=7)
        Path({str(tmp_path / "started")!r}).touch()
        write_dataset(table, {str(root)!r}, partition_by=("year",), compression="gzip")
    """
    rng = random.Random(7)
    for delay in (rng.uniform(0.0, 2.5) for _ in range(4)):
        killed = _kill_while_writing(script, tmp_path, delay)
        back = read_dataset(root)
        assert back.num_rows in (300_000, 3_000_000)
        if back.num_rows == 300_000:
            assert _summary(back) == _summary(old)
        elif not killed:
            write_dataset(old, root, partition_by=("year",))


# -------------------------------------------------------------------------------------------------
# Two writers
# -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_processes_appending_the_same_year_both_keep_their_rows(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    write_dataset(_make_table(400, seed=1, year_base=2023, years=1), root, partition_by=("year",))
    go = tmp_path / "go"
    processes = []
    for first_region in (1001, 2001):
        script = f"""
            import time
            from pathlib import Path
            from samhandling.exporters.parquet import write_dataset
            table = make_table(200_000, seed={first_region}, year_base=2024, years=1,
                               first_region={first_region})
            while not Path({str(go)!r}).exists():
                time.sleep(0.001)
            write_dataset(table, {str(root)!r}, partition_by=("year",), mode="append")
        """
        processes.append(_run(script, tmp_path))
    time.sleep(1.0)
    go.touch()
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    back = read_dataset(root)
    assert back.num_rows == 400 + 2 * 200_000
    regions = set(back.where(year=2024).arrow.column("region").to_pylist())
    assert {"1001", "2001", "1400", "2400"} <= regions


def test_a_writer_that_cannot_get_the_lock_fails_clearly(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    write_dataset(_make_table(40, years=1), root, partition_by=("year",))
    holding = tmp_path / "holding"
    script = f"""
        import time
        from pathlib import Path
        from samhandling.exporters._dataset_files import locked
        with locked(Path({str(root)!r}), timeout=5):
            Path({str(holding)!r}).touch()
            time.sleep(30)
    """
    process = _run(script, tmp_path)
    try:
        _wait_for(holding, process)
        with pytest.raises(ConcurrentWriteError, match="another process is writing the dataset"):
            write_dataset(_make_table(40, seed=2, year_base=2030, years=1), root, lock_timeout=0.2)
    finally:
        process.kill()
        process.wait(timeout=30)
    # the lock goes with the process that held it
    write_dataset(
        _make_table(40, seed=2, year_base=2030, years=1), root, partition_by=("year",), lock_timeout=5
    )


def test_a_writer_that_bypassed_the_lock_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from samhandling.exporters import _dataset_files

    root = tmp_path / "ds"
    write_dataset(_make_table(40, years=1), root, partition_by=("year",))
    publish = _dataset_files.StagedWrite.publish

    def publish_and_meddle(self: _dataset_files.StagedWrite, *, durable: bool) -> None:
        publish(self, durable=durable)
        description = json.loads((root / DATASET_METADATA_FILE).read_text(encoding="utf-8"))
        description["generation"] += 1  # what a writer without the lock would have done meanwhile
        (root / DATASET_METADATA_FILE).write_text(json.dumps(description), encoding="utf-8")

    monkeypatch.setattr(_dataset_files.StagedWrite, "publish", publish_and_meddle)
    with pytest.raises(ConcurrentWriteError, match="changed by another writer"):
        write_dataset(_make_table(40, seed=2, year_base=2030, years=1), root, partition_by=("year",))
    monkeypatch.undo()
    assert read_dataset(root).years() == [2015]
    assert (
        not any(p.name.startswith("part-") for p in (root / "year=2030").glob("*"))
        if (root / "year=2030").exists()
        else True
    )


# -------------------------------------------------------------------------------------------------
# What the dataset description guards
# -------------------------------------------------------------------------------------------------


def test_append_refuses_keys_the_dataset_already_has(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    table = _make_table(800, years=2)
    write_dataset(table, root, partition_by=("year",))
    with pytest.raises(ExportError, match=r"cannot append .* region=0301, level=municipality, year=2015"):
        write_dataset(_make_table(10, years=1), root, partition_by=("year",), mode="append")
    assert read_dataset(root).equals(table)


def test_a_partition_value_named_like_hives_empty_value_round_trips(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {
            "region": ["3301", "3305", "3310"],
            "level": ["municipality"] * 3,
            "year": [2024] * 3,
            "profession": ["__HIVE_DEFAULT_PARTITION__", None, "nurse"],
            "variable": ["fte"] * 3,
            "value": [1.0, 2.0, 3.0],
        },
        variables=[Variable(id="fte", unit="årsverk")],
        geography_year=2024,
    )
    root = write_dataset(table, tmp_path / "ds", partition_by=("year", "profession"))
    back = read_dataset(root)
    assert back.equals(table)
    by_region = dict(
        zip(back.arrow.column("region").to_pylist(), back.arrow.column("profession").to_pylist())
    )
    assert by_region == {"3301": "__HIVE_DEFAULT_PARTITION__", "3305": None, "3310": "nurse"}
    import pyarrow.dataset as ds

    assert read_dataset(root, filters=ds.field("profession").is_null()).num_rows == 1


def test_a_changed_data_file_is_refused(tmp_path: Path) -> None:
    root = write_dataset(
        _make_table(800, years=2), tmp_path / "ds", partition_by=("year",), compression="none"
    )
    victim = next(root.glob("year=2016/*.parquet"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 3] ^= 0x01  # one bit: same size, same rows
    victim.write_bytes(bytes(data))
    with pytest.raises(ParseError, match=r"do not belong together \(its checksum"):
        read_dataset(root)
    victim.write_bytes(victim.read_bytes()[:-100])
    with pytest.raises(ParseError, match="do not belong together"):
        read_dataset(root)
    victim.unlink()
    with pytest.raises(ParseError, match=r"listed in _samhandling\.json but missing"):
        read_dataset(root)


def test_a_foreign_file_in_a_dataset_is_not_read_silently(tmp_path: Path) -> None:
    table = _make_table(800, years=2)
    root = write_dataset(table, tmp_path / "ds", partition_by=("year",))
    export(_make_table(5, years=1), root / "year=2015" / "extra.parquet")
    with pytest.raises(ParseError, match=r"year=2015/extra\.parquet is in the dataset folder but not in"):
        read_dataset(root)


def test_a_dataset_of_an_earlier_version_is_adopted_by_its_next_write(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.dataset as ds

    table = _make_table(800, years=2)
    root = tmp_path / "ds"
    schema = pa.schema([pa.field("year", pa.int16())])
    ds.write_dataset(table.arrow, root, format="parquet", partitioning=ds.partitioning(schema, flavor="hive"))
    description = {
        "format": "samhandling-parquet-dataset",
        "format_version": 1,
        "partition_by": ["year"],
        "partition_types": {"year": "int16"},
        "meta": json.loads(table.meta.to_json()),
    }
    (root / DATASET_METADATA_FILE).write_text(json.dumps(description), encoding="utf-8")
    assert read_dataset(root).equals(table)
    added = _make_table(400, seed=5, year_base=2020, years=1)
    write_dataset(added, root, partition_by=("year",))
    assert read_dataset(root).equals(StatTable.concat([table, added]))
    listed = json.loads((root / DATASET_METADATA_FILE).read_text(encoding="utf-8"))["files"]
    assert sorted(entry["partition"]["year"] for entry in listed) == [2015, 2016, 2020]
    # replacing a year removes the earlier version's file of that year, whatever its name
    old_2015 = list((root / "year=2015").glob("*.parquet"))
    replacement = _make_table(400, seed=6, years=1)
    write_dataset(replacement, root, partition_by=("year",))
    assert not any(path.exists() for path in old_2015)
    back = read_dataset(root)
    assert back.where(year=2015).equals(replacement)
    # a replaced file still on disk (the writer died before deleting it) is not read
    (root / old_2015[0].relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
    description = json.loads((root / DATASET_METADATA_FILE).read_text(encoding="utf-8"))
    leftover = root / description["retired"][0]
    export(_make_table(5, years=1), leftover)
    assert read_dataset(root).equals(back)
    write_dataset(_make_table(4, seed=8, year_base=2031, years=1), root, partition_by=("year",))
    assert not leftover.exists()


def test_exporting_over_a_dataset_keeps_its_lock_file_out_of_the_data(tmp_path: Path) -> None:
    root = write_dataset(_make_table(400, years=1), tmp_path / "ds", partition_by=("year",))
    import duckdb

    connection = duckdb.connect()
    rows = connection.execute(
        f"select count(*) from read_parquet('{root}/**/*.parquet', hive_partitioning=true)"
    )
    assert rows.fetchall() == [(400,)]
    assert os.path.exists(root / DATASET_METADATA_FILE)
