"""Stay-level extracts → admissions, bed-days, patients, acute, involuntary and readmissions per month.

An extract has one row per stay (avdelingsopphold): a pseudonymous patient id, the patient's home
municipality, the unit, the admission and discharge dates, acute or planned, and the involuntary-care
(TPH) flag.  :func:`aggregate_stays` streams it batch by batch with :mod:`pyarrow.dataset` (CSV, Parquet,
or a folder of files), so an extract larger than memory works, and counts per home municipality ×
month × unit:

``admissions``        stays begun in the month
``bed_days``          nights in the month (a stay over a month boundary is split over the months)
``patients``          distinct patients admitted in the month to the unit (not additive)
``acute_admissions``  admissions marked acute
``involuntary_stays`` stays begun in the month under TPH
``readmissions_30d``  admissions 1–30 days after the same patient's previous discharge

Counting is direct addressing on dictionary codes (``numpy.add.at`` on a small, known key space), never
a record-level join.  Harmonising onto another municipality map happens *after* aggregation
(``harmonise_to=``), on the small aggregated table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from samhandling.checks import Finding, Severity
from samhandling.errors import Parameter, ParseError, SamhandlingError, SchemaError
from samhandling.model import CareUnit
from samhandling.tables import METADATA_KEY, Provenance, StatTable, TableMeta
from samhandling_nimes._counting import (
    _CHANNELS,
    _ENDS,
    _STARTS,
    PACK_LIMIT,
    _add_bed_days,
    _count_batch,
    _finish_bed_days,
    _fold_ends,
    _Grid,
)
from samhandling_nimes._days import _DAY_TO_MONTH_WRAPPED, _month_of_days
from samhandling_nimes._extract import (
    _CODE,
    _NEEDS,
    _REQUIRED,
    CODE_LIST_OF,
    STAY_COLUMNS,
    _batches,
    _care_levels,
    _codes,
    _csv_header,
    _date_bounds,
    _days,
    _diagnosis_groups,
    _files,
    _first,
    _flags,
    _integer_bounds,
    _match_columns,
    _open,
    _patient_ids,
    _row_groups_in_order,
    _until,
)
from samhandling_nimes._patients import (
    MAX_AREAS,
    MAX_UNITS,
    _distinct_per_cell,
    _patient_stream,
    _per_patient,
    _Stays,
    _Unsorted,
)
from samhandling_nimes.catalogue import unit_lookup
from samhandling_nimes.codes import DIAGNOSIS_GROUPS
from samhandling_nimes.findings import FINDINGS_KEY, findings_to_extra
from samhandling_nimes.variables import LEVEL_VARIABLES, STAY_VARIABLES, variables_for

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager

__all__ = [
    "SOURCE_NAME",
    "STAY_COLUMNS",
    "StayAggregate",
    "aggregate_stays",
    "aggregate_stays_wide",
    "looks_like_stay_extract",
]

SOURCE_NAME = "nimes-stays"


@attrs.frozen
class StayAggregate:
    """The result of aggregating an extract, before it becomes a StatTable.

    ``wide`` has one row per home municipality × month × unit with a column per variable;
    ``findings`` are the quality findings; ``stays`` is the number of stays read.
    """

    wide: pa.Table
    findings: tuple[Finding, ...]
    stays: int
    geography_year: int
    location: str


def aggregate_stays_wide(
    location: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    variables: Sequence[str] | None = None,
    geography_year: int | None = None,
    observed_until: dt.date | str | None = None,
    readmission_days: int = 30,
    batch_size: int = 1 << 20,
    encoding: str | None = None,
    delimiter: str | None = None,
    units: Sequence[CareUnit] = (),
    plugin_manager: PluginManager | None = None,
    diagnosis_groups: bool = False,
    codes: Mapping[str, Mapping[str, str]] | None = None,
) -> StayAggregate:
    """Aggregate a stay-level extract to one row per home municipality × month × unit.

    The wide form (a column per variable) is what :func:`aggregate_stays` turns into a StatTable; use it
    directly for a DuckDB or polars analysis.  Options as for :func:`aggregate_stays`.
    """
    asked = tuple(variables) if variables is not None else None
    counts = _count_extract(
        location,
        _Reading(
            names=asked,
            columns=columns,
            geography_year=geography_year,
            observed_until=observed_until,
            readmission_days=readmission_days,
            batch_size=batch_size,
            encoding=encoding,
            delimiter=delimiter,
            units=units,
            plugin_manager=plugin_manager,
            diagnosis_groups=diagnosis_groups,
            codes=dict(codes or {}),
        ),
    )
    names = counts.names
    return _wide(counts, names)


@attrs.frozen(kw_only=True)
class _Reading:
    """How an extract is read and counted: the options of :func:`aggregate_stays`."""

    #: the variables asked for (``None``: the defaults for the extract, see :func:`_names`)
    names: tuple[str, ...] | None
    columns: Mapping[str, str] | None = None
    geography_year: int | None = None
    observed_until: dt.date | str | None = None
    readmission_days: int = 30
    batch_size: int = 1 << 20
    encoding: str | None = None
    delimiter: str | None = None
    units: Sequence[CareUnit] = ()
    plugin_manager: PluginManager | None = None
    #: split the counts by the diagnosis group of the main diagnosis
    diagnosis_groups: bool = False
    #: the extract's own codes: code list → {value: meaning} (see :mod:`samhandling_nimes.codes`)
    codes: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    #: read the dates of a CSV extract with Arrow's ISO parser; an extract it fails on is read again
    #: without it (dates in other formats, or a bad date whose line the careful way names)
    native_dates: bool = True
    #: count patients and readmissions while streaming where the extract allows (see ``_patients``); an
    #: extract found not to be sorted by admission date is read again with this ``False``
    stream_patients: bool = True


@attrs.frozen
class _UnitAxis:
    """What the unit axis of the counts holds: per position, a value of each of its columns.

    The axis is the units, or units × diagnosis groups where the groups are asked for; each column
    (``unit``, ``unit_type``, ``diagnosis_group``) is its distinct values and, per position, an index.
    """

    columns: dict[str, tuple[npt.NDArray[np.int32], pa.Array]]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))[0]) if self.columns else 0

    def arrays(self, unit_index: npt.NDArray[Any]) -> dict[str, pa.DictionaryArray]:
        """The columns for rows at these positions of the axis, dictionary-encoded."""
        return {
            name: _coded(
                unit_index.astype(np.int32, copy=False)
                if np.array_equal(index, np.arange(len(index)))
                else np.take(index, unit_index),
                values,
            )
            for name, (index, values) in self.columns.items()
        }

    @classmethod
    def of(cls, columns: Mapping[str, Sequence[str]]) -> _UnitAxis:
        """From the value of each column at each position (the values are numbered by first sight)."""
        out: dict[str, tuple[npt.NDArray[np.int32], pa.Array]] = {}
        for name, values in columns.items():
            numbers: dict[str, int] = {}
            index = np.asarray([numbers.setdefault(v, len(numbers)) for v in values], np.int32)
            out[name] = (index, pa.array(list(numbers), pa.string()))
        return cls(columns=out)


@attrs.frozen
class _Counts:
    """The counts of an extract as dense arrays, before they become a table.

    ``counts`` holds one 32-bit array per variable (and ``_admissions``), shaped months × units ×
    areas: month ``first_month + i`` (months since January 1900), position ``j`` of ``unit_axis``,
    area ``areas[k]``.
    """

    counts: dict[str, npt.NDArray[np.int32]]
    first_month: int
    areas: list[str]
    unit_axis: _UnitAxis
    findings: tuple[Finding, ...]
    stays: int
    geography_year: int
    location: str
    #: the variables counted (those asked for, or the defaults for this extract)
    names: tuple[str, ...] = ()

    def levels(self) -> list[str]:
        """The level of each area: a 4-digit code is a municipality, a 6-digit one a city district."""
        return ["municipality" if len(code) == 4 else "district" for code in self.areas]


#: Per level of care other than inpatient stays: its number in ``CARE_LEVELS``, the variable that counts
#: its contacts, and the one that counts its distinct patients.
_OTHER_LEVELS = ((1, "day_treatments", "day_patients"), (2, "outpatient_contacts", "outpatient_patients"))
#: Variables that need the patient id.
_BY_PATIENT = ("patients", "readmissions_30d", "day_patients", "outpatient_patients")


def _names(requested: Sequence[str] | None, has_levels: bool) -> tuple[str, ...]:
    """The variables to count: those asked for, else the stay variables and, where the extract has a
    care-level column, those of the other levels of care."""
    if requested is not None:
        return tuple(requested)
    return tuple(v.id for v in (*STAY_VARIABLES, *(LEVEL_VARIABLES if has_levels else ())))


def _count_extract(location: str | Path, reading: _Reading) -> _Counts:
    """Read the extract batch by batch and count every variable in ``reading.names`` (see the module)."""
    path = Path(location)
    if reading.names is not None:
        variables_for(tuple(reading.names))
    if reading.readmission_days < 1:
        raise SchemaError(f"readmission_days must be at least 1, found {reading.readmission_days}")
    asked = reading.names
    by_level = asked is not None and any(v.id in asked for v in LEVEL_VARIABLES)
    # the patient id is read only for the variables that need it (it is the widest column)
    wanted = [*_REQUIRED, *(_NEEDS[n] for n in (asked or ()) if n in _NEEDS)]
    if asked is None:
        wanted += ["acute", "involuntary"]
    elif not any(n in asked for n in _BY_PATIENT):
        wanted.remove("patient")
    if by_level:
        wanted.append("care_level")
    if reading.diagnosis_groups:
        wanted.append("diagnosis")
    try:
        dataset, mapping, kind = _open(
            path,
            reading.columns,
            wanted,
            reading.encoding,
            reading.delimiter,
            optional=("care_level",),
            native_dates=reading.native_dates,
        )
    except pa.ArrowInvalid:  # the first block of a CSV extract has dates that are not ISO
        if not reading.native_dates:
            raise
        return _count_extract(location, attrs.evolve(reading, native_dates=False))
    has_levels = "care_level" in mapping
    names = _names(asked, has_levels)
    keep_stays = "patients" in names or "readmissions_30d" in names
    levels = [
        (number, contacts, patients)
        for number, contacts, patients in _OTHER_LEVELS
        if contacts in names or patients in names
    ]
    groups = len(DIAGNOSIS_GROUPS) if reading.diagnosis_groups else 1
    grid = _Grid()
    flagged = [n for n in ("acute_admissions", "involuntary_stays") if n in names]
    level_names = [n for n in names if n not in _STAY_IDS]
    grid_names = [n for n in names if n not in ("admissions", "bed_days", *flagged, *level_names)]
    grid_names += ["bed_days", "_occupancy", _ENDS] if "bed_days" in names else []
    grid_names.append(_STARTS if flagged else "_admissions")
    for _, contacts, patients in levels:
        grid_names += [contacts, *([patients] if patients in names else [])]
    areas: dict[str, int] = {}
    unit_codes: dict[str, int] = {}
    # the months of a Parquet extract are known from its statistics: room for all of them at once
    bounds = _date_bounds(dataset, [mapping["admitted"], mapping["discharged"]], kind)
    if bounds is not None:
        grid.ensure(
            int(_DAY_TO_MONTH_WRAPPED[bounds[0]]), int(_DAY_TO_MONTH_WRAPPED[bounds[1]]), 0, 0, grid_names
        )
    stays = _Stays()
    contacts_of: dict[int, _Stays] = {number: _Stays() for number, _, patients in levels if patients in names}
    stream = (
        _patient_stream(
            _integer_bounds(dataset, mapping["patient"], kind),
            names,
            reading.readmission_days,
            _until(reading.observed_until, 0) if reading.observed_until is not None else None,
        )
        # an extract whose row groups are out of date order is not streamed (nothing read twice)
        if keep_stays
        and reading.stream_patients
        and (kind != "parquet" or _row_groups_in_order(dataset, mapping["admitted"]))
        else None
    )
    open_stays: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32]]] = []
    offset = 0
    latest = -(2**31)
    last_month = -1
    packed = 0  # stay ends counted into the packed ends since they were last folded
    try:
        for batch, where in _batches(dataset, list(mapping.values()), kind, reading.batch_size):
            rows = batch.num_rows
            col = {field: batch.column(name) for field, name in mapping.items()}
            area = _codes(col["municipality"], areas, where, mapping["municipality"], _CODE)
            unit = _codes(col["unit"], unit_codes, where, mapping["unit"], None)
            if groups > 1:
                # the unit axis holds units × diagnosis groups
                unit = unit * np.int32(groups)
                unit += _diagnosis_groups(col["diagnosis"], where, mapping["diagnosis"])
            admit = _days(col["admitted"], where, mapping["admitted"], nullable=False)
            axis = len(unit_codes) * groups
            # patients and readmissions keep unit and area packed in 32 bits per stay or contact
            if (keep_stays or contacts_of) and (axis > MAX_UNITS or len(areas) > MAX_AREAS):
                raise ParseError(
                    f"more than {MAX_UNITS} units or {MAX_AREAS} home municipalities: found {axis} units "
                    f"and {len(areas)} municipalities by row {offset + rows}; distinct patients and "
                    "readmissions cannot be counted (leave them out with variables=)",
                    path=where.path,
                )
            if has_levels:
                level = _care_levels(
                    col["care_level"], where, mapping["care_level"], reading.codes.get("care_level")
                )
                inpatient = level == 0
                if not inpatient.all():
                    ids = _patient_ids(col["patient"], where, mapping["patient"]) if contacts_of else None
                    for number, contacts, _ in levels:
                        chosen = level == number
                        if not chosen.any():
                            continue
                        day = admit[chosen]
                        month = _month_of_days(day)
                        latest = max(latest, int(day.max()))
                        last_month = max(last_month, int(month.max()))
                        grid.ensure(int(month.min()), last_month, axis, len(areas), grid_names)
                        grid.add(contacts, month, unit[chosen], area[chosen])
                        if number in contacts_of:
                            assert ids is not None
                            contacts_of[number].append(
                                ids[chosen] if isinstance(ids, np.ndarray) else ids.filter(pa.array(chosen)),
                                day,
                                day,
                                unit[chosen],
                                area[chosen],
                            )
                    # the stays go on alone: the rest of the batch is the inpatient rows
                    if not inpatient.any():
                        offset += rows
                        continue
                    batch = batch.filter(pa.array(inpatient))
                    col = {field: batch.column(name) for field, name in mapping.items()}
                    where = where.part(inpatient)
                    area, unit, admit = area[inpatient], unit[inpatient], admit[inpatient]
            discharge = _days(col["discharged"], where, mapping["discharged"], nullable=True)
            early = discharge < admit  # open stays (-1) too; they are told apart only when needed
            is_open: npt.NDArray[np.bool_] | None = None
            if early.any():
                is_open = discharge < 0
                early &= ~is_open
                if early.any():
                    index = _first(early)
                    raise where.error(
                        f"discharged {np.datetime64(int(discharge[index]), 'D')} before admitted "
                        f"{np.datetime64(int(admit[index]), 'D')}",
                        index,
                        mapping["discharged"],
                    )
                if not is_open.any():
                    is_open = None
            # the month table is monotone: the bounds of the months come from the bounds of the days
            admit_low = int(admit.min())
            day_high = max(int(admit.max()), int(discharge.max()))
            latest = max(latest, day_high)
            # an open stay ends where it begins for now; its bed-days are added once the end is known
            ends = discharge if is_open is None else np.where(is_open, admit, discharge)
            last_month = max(last_month, int(_DAY_TO_MONTH_WRAPPED[day_high]))
            grid.ensure(int(_DAY_TO_MONTH_WRAPPED[admit_low]), last_month, axis, len(areas), grid_names)
            flags: dict[str, npt.NDArray[np.bool_]] = {}
            for name in ("acute_admissions", "involuntary_stays"):
                if name in names:
                    field = _NEEDS[name]
                    flags[name] = _flags(
                        col[field], where, mapping[field], field, reading.codes.get(CODE_LIST_OF[field])
                    )
            unit_area = unit * np.int32(grid.shape()[2])
            unit_area += area
            if "bed_days" in names and packed + batch.num_rows > PACK_LIMIT:
                _fold_ends(grid)
                packed = 0
            packed += batch.num_rows
            _count_batch(grid, names, admit, ends, unit_area, flags)
            del unit_area
            if is_open is not None and "bed_days" in names:
                open_stays.append((admit[is_open], unit[is_open], area[is_open]))
            if keep_stays:
                patient = _patient_ids(col["patient"], where, mapping["patient"])
                if stream is not None:
                    stream.add(grid, patient, admit, discharge, unit, area)
                else:
                    stays.append(patient, admit, discharge, unit, area)
            offset += rows
            # let go of this batch (its columns are viewed by the arrays) before the next is read
            del batch, col, area, unit, admit, discharge, ends, flags
    except _Unsorted:
        return _count_extract(location, attrs.evolve(reading, stream_patients=False))
    except pa.ArrowInvalid as exc:
        if kind == "csv" and reading.native_dates:  # dates that are not ISO, or a bad one: the careful way
            return _count_extract(location, attrs.evolve(reading, native_dates=False))
        raise ParseError(f"cannot read the extract: {exc}", path=path) from None
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"cannot decode the extract: {exc}; give ", Parameter(name="encoding"), path=path
        ) from None
    if offset == 0:
        raise ParseError("the extract has no stays", path=path)
    if stream is not None:
        stream.finish(grid)
    # the batches are gone: give the memory the reader cached back before the result is built
    pa.default_memory_pool().release_unused()
    until = _until(reading.observed_until, latest)
    if "bed_days" in names:
        _fold_ends(grid)
        del grid.counts[_ENDS]
    if open_stays:
        admit = np.concatenate([o[0] for o in open_stays])
        if (admit >= until).any():
            raise SchemaError(
                f"observed_until={np.datetime64(until, 'D')} is not after the admission of an open stay "
                f"(admitted {np.datetime64(int(admit.max()), 'D')})"
            )
        unit = np.concatenate([o[1] for o in open_stays])
        area = np.concatenate([o[2] for o in open_stays])
        discharge = np.full(admit.size, until, dtype=np.int32)
        last_month = max(last_month, int(_DAY_TO_MONTH_WRAPPED[until]))
        grid.ensure(
            int(_month_of_days(admit).min()),
            last_month,
            len(unit_codes) * groups,
            len(areas),
            grid_names,
        )
        _add_bed_days(grid, admit, discharge, grid.unit_area(unit, area))
    if keep_stays and stream is None:
        _per_patient(stays, grid, until, reading.readmission_days, names)
    for number, _, patients in levels:
        if number in contacts_of:
            _distinct_per_cell(contacts_of[number], grid, patients)
    # the headroom the counts grew with is not carried into the finishing steps
    grid.trim(last_month - grid.first_month + 1, len(unit_codes) * groups, len(areas))
    if flagged:
        t, u, m = grid.shape()
        starts = grid.counts.pop(_STARTS).reshape(t, u, m, _CHANNELS)
        # the four counts per key: planned voluntary, acute, involuntary, acute and involuntary
        # (added channel by channel: a sum over the short last axis is several times slower)
        acute = starts[..., 1] + starts[..., 3]
        admissions = starts[..., 0] + starts[..., 2]
        admissions += acute
        grid.counts["_admissions"] = admissions
        if "acute_admissions" in flagged:
            grid.counts["acute_admissions"] = acute
        if "involuntary_stays" in flagged:
            grid.counts["involuntary_stays"] = starts[..., 2] + starts[..., 3]
        del starts, acute
    if "bed_days" in names:
        _finish_bed_days(grid, starts="_admissions")
    if "admissions" in names:
        grid.counts["admissions"] = grid.counts["_admissions"]
    if "patients" in names:
        grid.counts["patients"] += grid.counts["_admissions"]  # admissions − repeats (_per_patient)
    activity = _activity(grid.counts)
    years = (grid.first_month + np.arange(grid.shape()[0])) // 12 + 1900
    active = np.flatnonzero(activity.sum(axis=(1, 2)))
    geo_year = (
        reading.geography_year
        if reading.geography_year is not None
        else int(years[int(active[-1])] if active.size else years[-1])
    )
    return _resolve(
        grid, areas, unit_codes, groups, path, offset, geo_year, names, reading.units, reading.plugin_manager
    )


#: The variables that count stays (inpatient care).
_STAY_IDS = tuple(v.id for v in STAY_VARIABLES)


def _activity(counts: Mapping[str, npt.NDArray[np.int32]]) -> npt.NDArray[np.int64]:
    """Stays, day treatments and outpatient contacts per cell: where an extract had anything at all."""
    total = counts["_admissions"].astype(np.int64)
    for _, contacts, _ in _OTHER_LEVELS:
        if contacts in counts:
            total += counts[contacts]
    return total


def _resolve(
    grid: _Grid,
    areas: Mapping[str, int],
    unit_codes: Mapping[str, int],
    groups: int,
    path: Path,
    stays: int,
    geo_year: int,
    names: tuple[str, ...],
    extra_units: Sequence[CareUnit],
    plugin_manager: PluginManager | None,
) -> _Counts:
    """Units resolved through the catalogue (two labels of one unit added up), and the findings.

    :param groups: the diagnosis groups along the unit axis with each unit (1: none).
    """
    lookup = unit_lookup(plugin_manager, extra=extra_units)
    labels = list(unit_codes)
    unit_array, type_array, unknown = lookup.classify(pa.array(labels, pa.string()))
    codes = unit_array.to_pylist()
    types = dict(zip(codes, type_array.to_pylist()))
    group_ids = DIAGNOSIS_GROUPS if groups > 1 else ("",)
    # each position of the unit axis: its unit and diagnosis group
    positions = [(code, group) for code in codes for group in group_ids]
    canonical = list(dict.fromkeys(positions))
    if len(canonical) < len(positions):  # two labels for one unit ("RDPS", "Ringerike DPS"): add them up
        where_to = [canonical.index(p) for p in positions]
        for name, array in list(grid.counts.items()):
            merged = np.zeros((array.shape[0], len(canonical), array.shape[2]), dtype=array.dtype)
            for index, target in enumerate(where_to):
                merged[:, target, :] += array[:, index, :]
            grid.counts[name] = merged
        positions = canonical
    activity = _activity(grid.counts)
    found: list[Finding] = []
    for code in unknown:
        count = int(sum(activity[:, i, :].sum() for i, p in enumerate(positions) if p[0] == code))
        found.append(
            Finding(
                rule="nimes_unknown_unit",
                severity=Severity.WARNING,
                message=(
                    f"unit {code!r} ({count} admissions and contacts) is in no unit catalogue; its rows are "
                    "kept with unit_type 'unknown'"
                ),
                variable="admissions",
                values={"unit": code, "admissions": count},
                location=str(path),
            )
        )
    known = _known_codes(geo_year)
    if known is not None:
        for code, index in areas.items():
            if code not in known:
                count = int(activity[:, :, index].sum())
                found.append(
                    Finding(
                        rule="nimes_unknown_region",
                        severity=Severity.WARNING,
                        message=(
                            f"municipality code {code!r} ({count} admissions and contacts) does not exist in "
                            f"{geo_year}; its rows are kept"
                        ),
                        region=code,
                        variable="admissions",
                        year=geo_year,
                        values={"admissions": count},
                        location=str(path),
                    )
                )
    axis: dict[str, Sequence[str]] = {
        "unit": [code for code, _ in positions],
        "unit_type": [types[code] for code, _ in positions],
    }
    if groups > 1:
        axis["diagnosis_group"] = [group for _, group in positions]
    return _Counts(
        counts=grid.counts,
        first_month=grid.first_month,
        areas=list(areas),
        unit_axis=_UnitAxis.of(axis),
        findings=tuple(found),
        stays=stays,
        geography_year=geo_year,
        location=str(path),
        names=names,
    )


def _wide(counts: _Counts, names: Sequence[str]) -> StayAggregate:
    """One row per area × month × unit where a stay was admitted or a bed-day counted."""
    grid = counts.counts
    used = _activity(grid) != 0
    if "bed_days" in names:
        used |= grid["bed_days"] != 0
    _, u, m = used.shape
    # flat positions, split into month, unit and area (a third of the cost of numpy.unravel_index)
    index_type: type[np.integer[Any]] = np.int32 if used.size < 2**31 else np.int64
    flat = np.flatnonzero(used)
    del used
    month_index, rest = np.divmod(flat.astype(index_type), index_type(u * m))
    unit_index, area_index = np.divmod(rest, index_type(m))
    del rest
    absolute = counts.first_month + month_index
    region_dictionary = pa.array(counts.areas, pa.string())
    level_dictionary = pa.array(counts.levels(), pa.string())
    area_codes = pa.array(area_index.astype(np.int32, copy=False))
    columns: dict[str, Any] = {
        "region": pa.DictionaryArray.from_arrays(area_codes, region_dictionary),
        "level": pa.DictionaryArray.from_arrays(area_codes, level_dictionary),
        "year": pa.array((absolute // 12 + 1900).astype(np.int16)),
        "month": pa.array((absolute % 12 + 1).astype(np.int8)),
        **counts.unit_axis.arrays(unit_index),
    }
    for name in names:
        columns[name] = pa.array(np.take(grid[name].reshape(-1), flat).astype(np.float64))
    return StayAggregate(
        wide=pa.table(columns),
        findings=counts.findings,
        stays=counts.stays,
        geography_year=counts.geography_year,
        location=counts.location,
    )


def _known_codes(year: int) -> frozenset[str] | None:
    try:
        from samhandling.geography import Geography

        geography = Geography.for_year(year)
        return frozenset(geography.codes("municipality")) | frozenset(geography.codes("district"))
    except (ImportError, AttributeError, SamhandlingError):
        return None


def _long(counts: _Counts, names: Sequence[str], meta: TableMeta) -> StatTable:
    """The long StatTable: one row per area × month × unit × variable where the count is not zero.

    Built straight from the counts in the canonical column types (no wide table in between, nothing
    to convert or check afterwards): every value is a count, no row has a status.  The rows of a
    variable are the flat positions of its non-zero counts, in month, unit, area order: the months are
    runs of them (the year and month columns are repeats, not lookups), the area is a dictionary index
    as it stands, and one division parts unit from area.
    """
    grid = counts.counts
    t, u, m = grid["_admissions"].shape
    index_type: type[np.integer[Any]] = np.int32 if t * u * m < 2**31 else np.int64
    # (numpy finds the non-zero entries of a boolean array several times faster than of counts)
    picks = [np.flatnonzero(grid[name] != 0).astype(index_type, copy=False) for name in names]
    sizes = [pick.size for pick in picks]
    rows = sum(sizes)
    value = np.empty(rows, np.float64)
    # per variable and month, how many rows: the month of a row is where its position falls
    per_month = np.empty((len(names), t), np.int64)
    month_starts = np.arange(t + 1, dtype=np.int64) * (u * m)
    rest = np.empty(rows, index_type)
    start = 0
    for index, (name, pick) in enumerate(zip(names, picks)):
        value[start : start + pick.size] = np.take(grid[name].reshape(-1), pick)
        bounds = np.searchsorted(pick, month_starts)
        per_month[index] = np.diff(bounds)
        # the position within its month: unit * areas + area
        rest[start : start + pick.size] = pick
        rest[start : start + pick.size] -= np.repeat(month_starts[:-1].astype(index_type), per_month[index])
        start += pick.size
    del picks
    months = counts.first_month + np.arange(t)
    repeats = per_month.reshape(-1)
    unit = rest // index_type(m)
    area = rest
    area -= unit * index_type(m)
    area32 = area.astype(np.int32, copy=False)
    del rest
    levels = counts.levels()
    level_names = sorted(set(levels))
    level_of_area = np.asarray([level_names.index(level) for level in levels], np.int8)
    columns: dict[str, Any] = {
        "region": _coded(area32, pa.array(counts.areas, pa.string())),
        "level": _coded(
            np.take(level_of_area, area32) if len(level_names) > 1 else np.zeros(rows, np.int8),
            pa.array(level_names, pa.string()),
        ),
        "year": pa.array(np.repeat(np.tile((months // 12 + 1900).astype(np.int16), len(names)), repeats)),
        "month": pa.array(np.repeat(np.tile((months % 12 + 1).astype(np.int8), len(names)), repeats)),
    }
    del area, area32
    columns.update(counts.unit_axis.arrays(unit))
    del unit
    columns["variable"] = _coded(
        np.repeat(np.arange(len(names), dtype=np.int32), sizes), pa.array(list(names), pa.string())
    )
    columns["value"] = pa.array(value)
    columns["status"] = _no_status(rows)
    table = pa.table(columns)
    return StatTable(table.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def _no_status(rows: int) -> pa.DictionaryArray:
    """A status column with no status in any row (Arrow's own all-null dictionary column of this type
    allocates four times the bytes)."""
    return pa.DictionaryArray.from_arrays(pa.nulls(rows, pa.int8()), pa.array([], pa.string()))


def _coded(indices: npt.NDArray[Any], values: pa.Array) -> pa.DictionaryArray:
    """A dictionary column from indices made here, in range by construction (not checked row by row)."""
    return pa.DictionaryArray.from_arrays(pa.array(indices), values, safe=False)


def _provenance_meanwhile(path: Path) -> Future[Provenance]:
    """The provenance of the extract (its SHA-256 for a file), computed in a thread while it is counted.

    Hashing releases the GIL, so the checksum of a large extract costs no extra wall time.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="samhandling-nimes-checksum")
    future = pool.submit(Provenance.for_file if path.is_file() else _folder_provenance, SOURCE_NAME, path)
    pool.shutdown(wait=False)  # the thread ends with the hash; nobody waits for it but the result
    return future


def _folder_provenance(source: str, path: Path) -> Provenance:
    return Provenance(source=source, location=str(path))


def _meta(
    aggregate: StayAggregate | _Counts, names: Sequence[str], provenance: Future[Provenance]
) -> TableMeta:
    return TableMeta(
        source=SOURCE_NAME,
        geography_year=aggregate.geography_year,
        variables=variables_for(tuple(names)),
        provenance=(provenance.result(),),
        title="Opphold per bostedskommune, måned og enhet",
        extra={
            FINDINGS_KEY: findings_to_extra(aggregate.findings),
            "stays": aggregate.stays,
            # a municipality without stays has no row: its count is zero, not missing (harmonise and
            # roll_up then treat no total as partial)
            "absent_rows_mean_zero": True,
        },
    )


def aggregate_stays(
    location: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    variables: Sequence[str] | None = None,
    geography_year: int | None = None,
    harmonise_to: int | None = None,
    observed_until: dt.date | str | None = None,
    readmission_days: int = 30,
    batch_size: int = 1 << 20,
    encoding: str | None = None,
    delimiter: str | None = None,
    units: Sequence[CareUnit] = (),
    plugin_manager: PluginManager | None = None,
    diagnosis_groups: bool = False,
    codes: Mapping[str, Mapping[str, str]] | None = None,
) -> StatTable:
    """Aggregate a stay-level extract to a StatTable per home municipality × month × unit.

    The extract is read batch by batch; memory for the counts is fixed by the key space (areas ×
    months × units).  Patients and readmissions of a date-sorted Parquet extract with integer patient
    ids add a few bytes per patient; other extracts keep 16 bytes per stay for them and sort once by
    patient at the end — leave them out with ``variables=`` for constant memory.  Rows are written only
    where a value is not zero: a missing municipality × month × unit × variable means no stays.

    :param location: a CSV or Parquet file, or a folder of them (a partitioned extract).
    :param columns: field → column name where the file's names are not recognised, e.g.
        ``{"patient": "lnr", "admitted": "dato_inn"}``; fields are those of :data:`STAY_COLUMNS`.
    :param variables: which of ``admissions, bed_days, patients, acute_admissions, involuntary_stays,
        readmissions_30d`` and, for an extract with a care-level column (omsorgsnivå), ``day_treatments,
        day_patients, outpatient_contacts, outpatient_patients`` to produce (default: all of them the
        extract has columns for).  Without a care-level column every row is an inpatient stay; with one,
        only the rows of level 1 (døgnopphold) are stays, and the others are counted as day treatments
        (2) and outpatient contacts (3) at their date.
    :param geography_year: the municipality map the extract's codes follow (default: the year of the
        last admission).
    :param harmonise_to: harmonise the aggregated table onto this year's map (after aggregation).
    :param observed_until: the end of the observation for stays without a discharge date (bed-days are
        counted up to the day before); default: the day after the latest date in the extract.
    :param readmission_days: the readmission window (default 30 days).
    :param batch_size: rows per batch while streaming.
    :param encoding: force the text encoding of a CSV extract (default: UTF-8, else Windows-1252).
    :param delimiter: force the CSV delimiter (default: sniffed from the header).
    :param units: extra :class:`~samhandling.model.CareUnit` entries for this extract only.
    :param plugin_manager: whose unit catalogue to use.
    :param diagnosis_groups: split every count by the group of the main diagnosis (a column
        ``diagnosis_group``: ``F10-F19`` substance use, ``F20-F29`` psychoses, ``F30-F39`` mood …, ``other``
        for a diagnosis in another ICD-10 chapter, ``none`` for an empty one); needs a diagnosis column
        (hovedtilstand).
    :param codes: the extract's own codes where they are not NPR's: ``{"legal_basis": {"2": "involuntary",
        "1": "voluntary"}}``; the code lists are ``care_level``, ``urgency`` and ``legal_basis`` (see
        :func:`samhandling_nimes.codes.code_list`).
    :raises ParseError: a missing column, an empty or invalid value, a code that is in no code list, a
        discharge before admission; the message names the file, line (CSV) or row (Parquet) and column.
    """
    asked = tuple(variables) if variables is not None else None
    provenance = _provenance_meanwhile(Path(location))
    counts = _count_extract(
        location,
        _Reading(
            names=asked,
            columns=columns,
            geography_year=geography_year,
            observed_until=observed_until,
            readmission_days=readmission_days,
            batch_size=batch_size,
            encoding=encoding,
            delimiter=delimiter,
            units=units,
            plugin_manager=plugin_manager,
            diagnosis_groups=diagnosis_groups,
            codes=dict(codes or {}),
        ),
    )
    names = counts.names
    table = _long(counts, names, _meta(counts, names, provenance))
    if harmonise_to is not None and harmonise_to != counts.geography_year:
        from samhandling.geography import harmonise

        table = harmonise(table, harmonise_to)
    return table


def looks_like_stay_extract(location: str | Path) -> bool:
    """Cheap test: a CSV or Parquet file (or folder) with columns for patient, unit and dates."""
    path = Path(location)
    try:
        if path.is_dir():
            files = _files(path, (".parquet", ".parq", ".pq", ".csv"))
            if not files:
                return False
            path = Path(files[0])
        suffix = path.suffix.casefold()
        if suffix in {".parquet", ".parq", ".pq"}:
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
        elif suffix in {".csv", ".txt", ".tsv"}:
            names = _csv_header(path, None, None)[0]
        else:
            return False
        _match_columns(names, None, str(path), _REQUIRED)
    except (OSError, ParseError, SchemaError, pa.ArrowException, UnicodeDecodeError, IndexError):
        return False
    return True
