"""Before/after outcome series for evaluating a cooperation team from its start date.

A joint municipality–DPS team (samhandlingsteam, FACT) is judged by what happens to its patients'
use of inpatient care: acute admissions, bed-days and involuntary stays in the months before and after
the team started.  :func:`before_after` reads a stay-level extract once, batch by batch, and counts
those per patient group, home municipality and month in a window around the start date;
:func:`summarise_before_after` gives the before and after totals per group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import ParseError, SchemaError
from samhandling.tables import Provenance, StatTable, TableMeta
from samhandling_nimes._counting import _add_bed_days, _finish_bed_days, _Grid
from samhandling_nimes._days import _month_of_days
from samhandling_nimes._extract import (
    _CODE,
    _REQUIRED,
    _batches,
    _care_levels,
    _codes,
    _days,
    _flags,
    _open,
    _until,
)
from samhandling_nimes.variables import ACUTE_ADMISSIONS, ADMISSIONS, BED_DAYS, INVOLUNTARY_STAYS

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager

__all__ = ["OUTCOME_VARIABLES", "before_after", "summarise_before_after"]

SOURCE_NAME = "nimes-outcomes"
#: The outcome variables, in output order.
OUTCOME_VARIABLES = (ACUTE_ADMISSIONS, BED_DAYS, INVOLUNTARY_STAYS, ADMISSIONS)


def _start_day(start: dt.date | str) -> int:
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            raise SchemaError(f"start={start!r} is not a date (YYYY-MM-DD)") from None
    return (start - dt.date(1970, 1, 1)).days


def before_after(
    location: str | Path,
    *,
    start: dt.date | str,
    patients: Mapping[str, str] | Sequence[str] | None = None,
    group_column: str | None = None,
    months_before: int = 12,
    months_after: int = 12,
    municipalities: Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    observed_until: dt.date | str | None = None,
    batch_size: int = 1 << 18,
    encoding: str | None = None,
    delimiter: str | None = None,
    plugin_manager: PluginManager | None = None,
) -> StatTable:
    """Acute admissions, bed-days, involuntary stays and admissions per month around a team's start.

    Month 0 is the month of ``start``; months ``-months_before … -1`` are *before*, ``0 …
    months_after - 1`` *after*.  Every month of the window gets a row for each group, home municipality
    and variable, zeros included, so the series has no gaps.

    :param location: a stay-level extract (see :func:`samhandling_nimes.aggregate_stays`).
    :param start: the day the team started.
    :param patients: the team's patients: a list of patient ids (group ``"team"``) or a mapping
        patient id → group label (e.g. ``"team"`` and ``"comparison"``).
    :param group_column: alternatively, a column of the extract that names each stay's group.
    :param months_before: months in the window before the start month.
    :param months_after: months from the start month on.
    :param municipalities: count only residents of these municipality codes (the team's area).
    :param columns: field → column name, as for ``aggregate_stays``.
    :param observed_until: end of observation for stays without discharge date.
    :param batch_size: rows per batch while streaming.
    :param encoding: force the CSV encoding.
    :param delimiter: force the CSV delimiter.
    :param plugin_manager: unused today; accepted like every samhandling reader.
    :returns: a StatTable with dimensions ``patient_group``, ``period`` (``before``/``after``) and
        ``relative_month``; ``meta.extra["group_sizes"]`` holds the number of patients per group.
    """
    if months_before < 1 or months_after < 1:
        raise SchemaError("months_before and months_after must be at least 1")
    if patients is not None and group_column is not None:
        raise SchemaError("give patients= or group_column=, not both")
    path = Path(location)
    start_month = int(_month_of_days(np.asarray([_start_day(start)], dtype=np.int32))[0])
    window = (start_month - months_before, start_month + months_after - 1)
    wanted = [*_REQUIRED, "acute", "involuntary"]
    dataset, mapping, kind = _open(path, columns, wanted, encoding, delimiter, optional=("care_level",))
    group_field = None
    if group_column is not None:
        if group_column not in dataset.schema.names:
            raise ParseError(f"no column {group_column!r}; the columns are {dataset.schema.names}", path=path)
        group_field = group_column
    if isinstance(patients, Mapping):
        member_ids = [str(k) for k in patients]
        labels = [str(v) for v in patients.values()]
    elif patients is not None:
        member_ids = [str(p) for p in patients]
        labels = ["team"] * len(member_ids)
    else:
        member_ids, labels = [], []
    groups: dict[str, int] = {}
    member_group = np.asarray([groups.setdefault(label, len(groups)) for label in labels], dtype=np.int32)
    members = pa.array(member_ids, pa.string())
    wanted_areas = {str(code) for code in municipalities} if municipalities is not None else None
    areas: dict[str, int] = {}
    grid = _Grid()
    names = ["acute_admissions", "involuntary_stays", "admissions", "bed_days", "_occupancy"]
    seen_patients: list[pa.Table] = []
    open_stays: list[tuple[Any, Any, Any]] = []
    latest = -(2**31)
    scan_columns = list(mapping.values()) + ([group_field] if group_field else [])
    for batch, where in _batches(dataset, list(dict.fromkeys(scan_columns)), kind, batch_size):
        if "care_level" in mapping:  # inpatient stays only: day treatments and contacts are no admissions
            inpatient = _care_levels(batch.column(mapping["care_level"]), where, mapping["care_level"]) == 0
            if not inpatient.all():
                batch, where = batch.filter(pa.array(inpatient)), where.part(inpatient)
            if not batch.num_rows:
                continue
        patient_column = batch.column(mapping["patient"])
        if patient_column.null_count:
            index = int(np.flatnonzero(patient_column.is_null().to_numpy(zero_copy_only=False))[0])
            raise where.error("empty patient id", index, mapping["patient"])
        patient_text = patient_column.cast(pa.string())
        if group_field is not None:
            group = _codes(batch.column(group_field), groups, where, group_field, None)
        elif patients is not None:
            position = (
                pc.index_in(patient_text, value_set=members).fill_null(-1).to_numpy(zero_copy_only=False)
            )
            group = np.where(position >= 0, member_group[np.maximum(position, 0)], -1).astype(np.int32)
        else:
            groups.setdefault("all", 0)
            group = np.zeros(batch.num_rows, dtype=np.int32)
        area = _codes(batch.column(mapping["municipality"]), areas, where, mapping["municipality"], _CODE)
        keep = group >= 0
        if wanted_areas is not None:
            allowed = np.asarray([code in wanted_areas for code in areas], dtype=np.bool_)
            keep &= allowed[area]
        if not keep.any():
            continue
        admit = _days(batch.column(mapping["admitted"]), where, mapping["admitted"], nullable=False)
        discharge = _days(batch.column(mapping["discharged"]), where, mapping["discharged"], nullable=True)
        acute = _flags(batch.column(mapping["acute"]), where, mapping["acute"], "acute")
        tph = _flags(batch.column(mapping["involuntary"]), where, mapping["involuntary"], "involuntary")
        latest = max(latest, int(admit.max()), int(discharge.max()))
        rows = np.flatnonzero(keep)
        admit, discharge, area, group, acute, tph = (
            admit[rows],
            discharge[rows],
            area[rows],
            group[rows],
            acute[rows],
            tph[rows],
        )
        early = (discharge < admit) & (discharge >= 0)
        if early.any():
            raise where.error(
                "discharged before admitted", int(rows[np.flatnonzero(early)[0]]), mapping["discharged"]
            )
        seen_patients.append(
            pa.table({"group": pa.array(group), "patient": pc.take(patient_text, pa.array(rows))})
        )
        month = _month_of_days(admit)
        grid.ensure(window[0], window[1] + 1, len(groups), len(areas), names)
        inside = (month >= window[0]) & (month <= window[1])
        grid.add("admissions", month[inside], group[inside], area[inside])
        grid.add("acute_admissions", month[inside & acute], group[inside & acute], area[inside & acute])
        grid.add("involuntary_stays", month[inside & tph], group[inside & tph], area[inside & tph])
        is_open = discharge < 0
        closed = ~is_open
        _window_bed_days(grid, admit[closed], discharge[closed], group[closed], area[closed], window)
        if is_open.any():
            open_stays.append((admit[is_open], group[is_open], area[is_open]))
    if not areas or grid.first_month < 0:
        raise ParseError("no stays of the chosen patients (or municipalities) in the extract", path=path)
    until = _until(observed_until, latest)
    for admit, group, area in open_stays:
        discharge = np.full(admit.size, until, dtype=np.int32)
        _window_bed_days(grid, admit, discharge, group, area, window)
    _finish_bed_days(grid)
    pairs = pa.concat_tables(seen_patients).group_by("group").aggregate([("patient", "count_distinct")])
    sizes = dict(zip(pairs.column("group").to_pylist(), pairs.column("patient_count_distinct").to_pylist()))
    return _series(grid, groups, areas, window, start_month, path, sizes, wanted_areas)


def _window_bed_days(
    grid: _Grid, admit: Any, discharge: Any, group: Any, area: Any, window: tuple[int, int]
) -> None:
    """Bed-days of the stays, clipped to the window's days before they are split over months."""
    from samhandling_nimes._days import _MONTH_START

    first_day, end_day = int(_MONTH_START[window[0]]), int(_MONTH_START[window[1] + 1])
    clipped_admit = np.maximum(admit, first_day).astype(np.int32)
    clipped_discharge = np.minimum(discharge, end_day).astype(np.int32)
    keep = clipped_discharge > clipped_admit
    _add_bed_days(grid, clipped_admit[keep], clipped_discharge[keep], grid.unit_area(group[keep], area[keep]))


def _series(
    grid: _Grid,
    groups: Mapping[str, int],
    areas: Mapping[str, int],
    window: tuple[int, int],
    start_month: int,
    path: Path,
    sizes: Mapping[int, int],
    wanted_areas: set[str] | None,
) -> StatTable:
    columns: dict[str, list[Any]] = {
        k: []
        for k in (
            "region",
            "level",
            "year",
            "month",
            "patient_group",
            "period",
            "relative_month",
            "variable",
            "value",
        )
    }
    months = list(range(window[0], window[1] + 1))
    offset = window[0] - grid.first_month
    for label, g in groups.items():
        for code, a in areas.items():
            if wanted_areas is not None and code not in wanted_areas:
                continue
            if (
                int(grid.counts["admissions"][:, g, a].sum()) == 0
                and int(grid.counts["bed_days"][:, g, a].sum()) == 0
            ):
                continue
            for variable in OUTCOME_VARIABLES:
                series = grid.counts[variable.id][offset : offset + len(months), g, a]
                for position, absolute in enumerate(months):
                    relative = absolute - start_month
                    columns["region"].append(code)
                    columns["level"].append("municipality" if len(code) == 4 else "district")
                    columns["year"].append(absolute // 12 + 1900)
                    columns["month"].append(absolute % 12 + 1)
                    columns["patient_group"].append(label)
                    columns["period"].append("before" if relative < 0 else "after")
                    columns["relative_month"].append(relative)
                    columns["variable"].append(variable.id)
                    columns["value"].append(float(series[position]))
    table = pa.table(
        {
            **{k: v for k, v in columns.items() if k not in ("year", "month", "relative_month", "value")},
            "year": pa.array(columns["year"], pa.int16()),
            "month": pa.array(columns["month"], pa.int8()),
            "relative_month": pa.array(columns["relative_month"], pa.int16()),
            "value": pa.array(columns["value"], pa.float64()),
        }
    )
    provenance = (
        Provenance.for_file(SOURCE_NAME, path)
        if path.is_file()
        else Provenance(source=SOURCE_NAME, location=str(path))
    )
    meta = TableMeta(
        source=SOURCE_NAME,
        geography_year=window[1] // 12 + 1900,
        variables=OUTCOME_VARIABLES,
        provenance=(provenance,),
        title="Før og etter: akutte innleggelser, liggedøgn og tvang per pasientgruppe",
        extra={
            "start_month": f"{start_month // 12 + 1900}-{start_month % 12 + 1:02d}",
            "group_sizes": {label: int(sizes.get(g, 0)) for label, g in groups.items()},
        },
    )
    return StatTable.from_arrow(table, meta=meta)


def summarise_before_after(table: StatTable) -> pa.Table:
    """Totals per patient group and variable before and after the start, and per month of each period.

    :param table: the result of :func:`before_after`.
    :returns: columns ``patient_group, variable, months_before, months_after, before, after,
        before_per_month, after_per_month, change_per_month_percent``.
    """
    arrow = table.arrow
    for needed in ("patient_group", "period", "relative_month"):
        if needed not in arrow.column_names:
            raise SchemaError(
                f"summarise_before_after needs a before_after() table; column {needed!r} is missing"
            )
    decoded = pa.table(
        {
            "patient_group": arrow.column("patient_group").cast(pa.string()),
            "variable": arrow.column("variable").cast(pa.string()),
            "period": arrow.column("period").cast(pa.string()),
            "relative_month": arrow.column("relative_month"),
            "value": arrow.column("value"),
        }
    )
    totals = decoded.group_by(["patient_group", "variable", "period"]).aggregate(
        [("value", "sum"), ("relative_month", "count_distinct")]
    )
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row in totals.to_pylist():
        entry = rows.setdefault((row["patient_group"], row["variable"]), {})
        entry[row["period"]] = (row["value_sum"], row["relative_month_count_distinct"])
    out: dict[str, list[Any]] = {
        k: []
        for k in (
            "patient_group",
            "variable",
            "months_before",
            "months_after",
            "before",
            "after",
            "before_per_month",
            "after_per_month",
            "change_per_month_percent",
        )
    }
    for (group, variable), entry in sorted(rows.items()):
        before, n_before = entry.get("before", (0.0, 0))
        after, n_after = entry.get("after", (0.0, 0))
        per_before = before / n_before if n_before else None
        per_after = after / n_after if n_after else None
        change = (
            (per_after - per_before) / per_before * 100.0 if per_before and per_after is not None else None
        )
        for key, value in zip(
            out,
            (group, variable, n_before, n_after, before, after, per_before, per_after, change),
        ):
            out[key].append(value)
    return pa.table(
        {
            "patient_group": pa.array(out["patient_group"], pa.string()),
            "variable": pa.array(out["variable"], pa.string()),
            "months_before": pa.array(out["months_before"], pa.int32()),
            "months_after": pa.array(out["months_after"], pa.int32()),
            "before": pa.array(out["before"], pa.float64()),
            "after": pa.array(out["after"], pa.float64()),
            "before_per_month": pa.array(out["before_per_month"], pa.float64()),
            "after_per_month": pa.array(out["after_per_month"], pa.float64()),
            "change_per_month_percent": pa.array(out["change_per_month_percent"], pa.float64()),
        }
    )
