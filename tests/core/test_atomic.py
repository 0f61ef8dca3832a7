"""Atomic writes: the destination holds the old content or the new one, never a part."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from samhandling import atomic


def test_write_text_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    atomic.write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_an_error_in_the_block_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    target.write_bytes(b"old")

    def write_half() -> None:
        with atomic.atomic_path(target) as temporary:
            temporary.write_bytes(b"half of the n")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_half()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    atomic.write_bytes(target, b"{}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "shared.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    atomic.write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_killed_writer_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "big.csv"
    target.write_text("old complete file\n", encoding="utf-8")
    started = tmp_path / "started"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from samhandling.atomic import atomic_path
        with atomic_path({str(target)!r}) as temporary:
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write("new partial line\\n" * 1000)
                handle.flush()
                Path({str(started)!r}).touch()
                time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(600):
            if started.exists():
                break
            if process.poll() is not None:
                pytest.fail("the writer exited before it was killed")
            time.sleep(0.05)
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert target.read_text(encoding="utf-8") == "old complete file\n"
