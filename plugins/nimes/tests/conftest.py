"""Fixtures of the samhandling-nimes tests: small real-format files and a brute-force reference."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

DATA = Path(__file__).parent / "data"


def _make_stays(
    n: int, *, seed: int = 1, sort: bool = True, open_share: float = 0.02, int_ids: int | None = None
) -> pa.Table:
    """A small synthetic stay extract with realistic shapes (long stays, repeat patients, open stays).

    Patient ids are text (``P00042``), or integers times ``int_ids`` where it is given.
    """
    rng = np.random.default_rng(seed)
    areas = np.array(["0605", "0301", "3305", "1103", "030101"])
    units = np.array(["RDPS", "LIER", "ARA", "dps-asker", "BUPA"])
    patients = rng.integers(1, max(2, n // 3), n)
    admitted = rng.integers(0, 800, n) + (dt.date(2022, 11, 20) - dt.date(1970, 1, 1)).days
    if sort:
        admitted.sort()
    length = rng.geometric(1 / 25, n) - 1
    length[rng.random(n) < 0.03] += 400  # some stays of more than a year
    discharged = (admitted + length).astype("datetime64[D]").astype(object)
    open_rows = rng.random(n) < open_share
    return pa.table(
        {
            "pasient_id": (
                pa.array([f"P{p:05d}" for p in patients])
                if int_ids is None
                else pa.array(patients.astype(np.int64) * int_ids)
            ),
            "bostedskommune": pa.array(areas[rng.integers(0, len(areas), n)]),
            "avdeling": pa.array(units[rng.integers(0, len(units), n)]),
            "innskrivningsdato": pa.array(admitted.astype("datetime64[D]")),
            "utskrivningsdato": pa.array(
                [None if o else d for o, d in zip(open_rows, discharged)], pa.date32()
            ),
            "akutt": pa.array(np.where(rng.random(n) < 0.6, "akutt", "planlagt")),
            "tph": pa.array(rng.random(n) < 0.15),
        }
    )


def _brute_force(table: pa.Table, *, until: dt.date, window: int = 30) -> dict[tuple[Any, ...], float]:
    """Every variable computed stay by stay in plain Python, as a check on the vectorised code."""
    out: dict[tuple[Any, ...], float] = defaultdict(float)
    patients: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    rows = table.to_pylist()
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        admitted: dt.date = row["innskrivningsdato"]
        discharged: dt.date = row["utskrivningsdato"] or until
        key = (row["bostedskommune"], admitted.year, admitted.month, row["avdeling"])
        out[(*key, "admissions")] += 1
        out[(*key, "acute_admissions")] += row["akutt"] == "akutt"
        out[(*key, "involuntary_stays")] += bool(row["tph"])
        patients[key].add(row["pasient_id"])
        day = admitted
        while day < discharged:
            out[(row["bostedskommune"], day.year, day.month, row["avdeling"], "bed_days")] += 1
            day += dt.timedelta(days=1)
        by_patient[row["pasient_id"]].append(row)
    for key, members in patients.items():
        out[(*key, "patients")] = len(members)
    for stays in by_patient.values():
        stays.sort(key=lambda r: r["innskrivningsdato"])
        latest: dt.date | None = None
        for row in stays:
            admitted = row["innskrivningsdato"]
            if latest is not None and 1 <= (admitted - latest).days <= window:
                key = (row["bostedskommune"], admitted.year, admitted.month, row["avdeling"])
                out[(*key, "readmissions_30d")] += 1
            discharged = row["utskrivningsdato"] or until
            latest = discharged if latest is None else max(latest, discharged)
    return {k: v for k, v in out.items() if v}


_DIAGNOSES = ["F10.2", "F200", "F32.1", "F41", "F60.3", "F84.0", "F99", "Z03.2", "X61", "F05", "F50.0", None]


def _episodes(n: int, *, seed: int = 3, int_ids: bool = False, sort: bool = True) -> pa.Table:
    """Episodes of every level of care with NPR's codes: omsorgsnivå 1/2/3, hastegrad 1-5, ICD-10."""
    rng = np.random.default_rng(seed)
    areas = np.array(["0605", "0301", "3305", "1103", "030101"])
    units = np.array(["RDPS", "LIER", "ARA", "dps-asker", "BUPA"])
    patients = rng.integers(1, max(2, n // 4), n)
    start = (dt.date(2023, 11, 10) - dt.date(1970, 1, 1)).days
    admitted = rng.integers(0, 500, n) + start
    if sort:
        admitted.sort()
    level = rng.choice([1, 2, 3], n, p=[0.3, 0.15, 0.55])
    length = np.where(level == 1, rng.geometric(1 / 20, n) - 1, 0)
    length[(level == 1) & (rng.random(n) < 0.04)] += 300
    discharged = (admitted + length).astype("datetime64[D]").astype(object)
    open_rows = (level == 1) & (rng.random(n) < 0.02)
    diagnosis = [_DIAGNOSES[i] for i in rng.integers(0, len(_DIAGNOSES), n)]
    return pa.table(
        {
            "lopenr": pa.array(patients.astype(np.int64))
            if int_ids
            else pa.array([f"P{p:05d}" for p in patients]),
            "bostedskommune": pa.array(areas[rng.integers(0, len(areas), n)]),
            "behandlingssted": pa.array(units[rng.integers(0, len(units), n)]),
            "inndato": pa.array(admitted.astype("datetime64[D]")),
            "utdato": pa.array([None if o else d for o, d in zip(open_rows, discharged)], pa.date32()),
            "omsorgsniva": pa.array([str(v) for v in level]),
            "hastegrad": pa.array([str(v) for v in rng.integers(1, 6, n)]),
            "tph": pa.array(np.where(rng.random(n) < 0.12, "1", "0")),
            "hovedtilstand": pa.array(diagnosis, pa.string()),
        }
    )


MakeStays = Callable[..., pa.Table]
Episodes = Callable[..., pa.Table]
BruteForce = Callable[..., dict[tuple[Any, ...], float]]


@pytest.fixture
def make_stays() -> MakeStays:
    """Build a synthetic stay extract: ``make_stays(n, seed=…, sort=…)``."""
    return _make_stays


@pytest.fixture
def brute_force() -> BruteForce:
    """The stay-by-stay reference computation: ``brute_force(table, until=date)``."""
    return _brute_force


@pytest.fixture
def data_dir() -> Path:
    """The folder of fixture files."""
    return DATA


@pytest.fixture
def episodes() -> Episodes:
    """Build an extract of every level of care with NPR's codes: ``episodes(n, seed=…, int_ids=…)``."""
    return _episodes
