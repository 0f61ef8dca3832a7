"""Distinct patients and 30-day readmissions: the counts that need each patient's stays in order.

Two ways, with the same results:

* :class:`_PatientStream` counts while the extract streams, for a date-sorted Parquet extract with
  integer patient ids whose range its statistics give: 8 bytes of state per patient (its stays in the
  month at hand and its latest discharge), and the stays of one month at a time.
* :func:`_per_patient` keeps 16 bytes per stay (:class:`_Stays`) and sorts them once by patient at the
  end: for text ids, CSV extracts and extracts that are not sorted by admission date.

``patients`` is counted as minus the stays that repeat a patient in the same month × unit × area; the
caller adds the admissions, so that distinct patients = admissions − repeats without a count over
every stay.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from samhandling_nimes._counting import _ONE, _Grid
from samhandling_nimes._days import _month_of_days


@attrs.define
class _Stays:
    """What patients and readmissions need per stay (16 bytes), kept in compact chunks.

    ``unit_area`` is ``unit << 16 | area``: the month comes back from the admission day at the end.
    """

    patient: list[Any] = attrs.field(factory=list)
    admit: list[npt.NDArray[np.int32]] = attrs.field(factory=list)
    discharge: list[npt.NDArray[np.int32]] = attrs.field(factory=list)
    unit_area: list[npt.NDArray[np.int32]] = attrs.field(factory=list)
    sorted_by_date: bool = True
    last_day: int = -(2**31)
    #: some ids are text: all are numbered as text at the end
    strings: bool = False

    def append(
        self,
        patient: Any,
        admit: npt.NDArray[np.int32],
        discharge: npt.NDArray[np.int32],
        unit: npt.NDArray[np.int32],
        area: npt.NDArray[np.int32],
    ) -> None:
        """Keep one batch's stays (integer patient ids as 32 bits where they fit)."""
        if isinstance(patient, pa.Array):
            self.strings = True
        elif patient.size and int(patient.min()) >= -(2**31) and int(patient.max()) < 2**31:
            patient = patient.astype(np.int32)
        if self.sorted_by_date and (int(admit[0]) < self.last_day or bool((np.diff(admit) < 0).any())):
            self.sorted_by_date = False
        self.last_day = int(admit[-1])
        self.patient.append(patient)
        self.admit.append(admit)
        self.discharge.append(discharge)
        packed = unit << np.int32(16)
        packed |= area
        self.unit_area.append(packed)

    def patient_numbers(self) -> npt.NDArray[np.int32]:
        """The patients as non-negative 32-bit numbers, one per patient, in the order of the stays (the
        chunks are let go)."""
        if self.strings:
            ids = pc.dictionary_encode(
                pa.chunked_array(
                    [c if isinstance(c, pa.Array) else pa.array(c).cast(pa.string()) for c in self.patient]
                )
            ).combine_chunks()
            self.patient.clear()
            numbers: npt.NDArray[np.int32] = ids.indices.to_numpy(zero_copy_only=False).astype(np.int32)
            return numbers
        patient = np.concatenate(self.patient)
        self.patient.clear()
        low, high = int(patient.min()), int(patient.max())
        if high - low >= 2**31:
            encoded = pc.dictionary_encode(pa.array(patient))
            numbers = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
            return numbers
        if patient.dtype == np.int32 and low >= 0:
            return patient  # numbers already: they only have to tell the patients apart
        numbers = (patient - low).astype(np.int32)
        return numbers


#: Units and areas are packed into 32 bits per stay while patients and readmissions are counted.
MAX_UNITS, MAX_AREAS = 1 << 15, 1 << 16


def _stable_order(numbers: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.intp]:
    """The order that sorts ``numbers`` (0 ≤ n < 2**32), equal numbers kept in their order.

    Two stable passes over 16-bit digits: numpy sorts 16-bit keys by radix sort, in linear time, which
    beats a comparison sort of 64-bit keys on millions of stays.  Used where :func:`_packed_sort`
    cannot pack the keys and the row numbers into 64 bits.
    """
    low = (numbers & 0xFFFF).astype(np.uint16)
    order = np.argsort(low, kind="stable")
    del low
    if numbers.size and int(numbers.max()) >= 1 << 16:
        high = np.take((numbers >> 16).astype(np.uint16), order)
        order = np.take(order, np.argsort(high, kind="stable"))
    result: npt.NDArray[np.intp] = order
    return result


def _bits(values: npt.NDArray[Any]) -> int:
    """How many bits the largest of these non-negative numbers needs."""
    return int(values.max()).bit_length() if values.size else 0


def _packed_sort(
    first: npt.NDArray[np.integer[Any]], then: npt.NDArray[Any] | None = None, *, rows: bool = True
) -> tuple[npt.NDArray[np.int64], int] | None:
    """The rows sorted by ``first``, then ``then`` (non-negative numbers), as sorted 64-bit words.

    Each row becomes one 64-bit word — its keys, above its row number where ``rows`` — and the words are
    sorted by value: numpy sorts 64-bit numbers several times faster than it finds the order that sorts
    them, and the row number in the low bits both keeps the sort stable and says where each row came
    from.  Returns the sorted words and the number of bits of the row numbers (``word & (2**bits - 1)``
    is the row, ``word >> bits`` the keys), or ``None`` where it all needs more than 63 bits.
    """
    row_bits = max(first.size - 1, 1).bit_length() if rows else 0
    then_bits = _bits(then) if then is not None else 0
    if _bits(first) + then_bits + row_bits > 63:
        return None
    words = first.astype(np.int64)
    if then is not None:
        words <<= then_bits
        words |= then
    if rows:
        words <<= row_bits
        words |= np.arange(first.size, dtype=np.int64)
    words.sort()
    return words, row_bits


def _per_patient(
    stays: _Stays,
    grid: _Grid,
    open_until: int,
    readmission_days: int,
    names: Sequence[str],
) -> None:
    """Readmissions, and the stays that repeat a patient in a month × unit × area, from the kept stays.

    One stable sort by patient (and admission, where the extract is not date-sorted) puts each
    patient's stays in admission order.  ``patients`` is left as minus the repeats: the caller adds the
    admissions, so that distinct patients = admissions − repeats without a count over every stay.
    """
    if not stays.admit:
        return
    numbers = stays.patient_numbers()
    admit = np.concatenate(stays.admit)
    stays.admit.clear()
    discharge = np.concatenate(stays.discharge)
    stays.discharge.clear()
    discharge[discharge < 0] = open_until
    unit_area = np.concatenate(stays.unit_area)
    stays.unit_area.clear()
    # each patient's stays in admission order: by admission too where the extract is not date-sorted
    low = int(admit.min())
    days = None if stays.sorted_by_date else admit - np.int32(low)
    packed = _packed_sort(numbers, days)
    if packed is not None:
        words, row_bits = packed
        order: npt.NDArray[Any] = (words & ((1 << row_bits) - 1)).astype(
            np.int32 if row_bits < 32 else np.int64
        )
        words >>= row_bits + (_bits(days) if days is not None else 0)
        patient = words  # the patients, in their new order, are the high bits
        del words, days, numbers
    else:
        if stays.sorted_by_date:
            order = _stable_order(numbers)
        else:
            if int(admit.max()) - low < 1 << 16:  # days as 16-bit numbers: sorted by radix, in linear time
                by_date = np.argsort((admit - low).astype(np.uint16), kind="stable")
            else:
                by_date = np.argsort(admit, kind="stable")
            order = by_date[_stable_order(numbers[by_date])]
            del by_date
        patient = np.take(numbers, order).astype(np.int64)
        del numbers
    admit = np.take(admit, order)
    discharge = np.take(discharge, order)
    unit_area = np.take(unit_area, order)
    del order
    month = _month_of_days(admit)
    n = admit.size
    same_patient = np.zeros(n, dtype=np.bool_)
    same_patient[1:] = patient[1:] == patient[:-1]
    if "readmissions_30d" in names:
        # running maximum of discharge days within each patient: patient in the high bits keeps groups apart
        # (in place, in as few bytes as will do: this is where sorting the kept stays takes the most memory)
        base = int(discharge.min())
        running = patient << 24
        running |= discharge - np.int32(base)
        np.maximum.accumulate(running, out=running)
        running &= 0xFFFFFF
        previous = np.empty(n, dtype=np.int32)
        previous[0] = 0
        previous[1:] = running[:-1]
        del running
        previous += np.int32(base)
        gap = admit - previous
        del previous
        readmitted = np.flatnonzero(same_patient & (gap >= 1) & (gap <= readmission_days))
        del gap
        cells = _cells(grid, month[readmitted], unit_area[readmitted])
        np.add.at(grid.flat("readmissions_30d"), cells, _ONE)
        del readmitted, cells
    if "patients" in names:
        # a repeat shares patient and month with a neighbour (the stays of a month are next to each other)
        same_month = same_patient  # (same_patient is not used after this)
        same_month[1:] &= month[1:] == month[:-1]
        shared = same_month.copy()
        shared[:-1] |= same_month[1:]
        if shared.any():
            _subtract_repeats(grid, patient[shared], _cells(grid, month[shared], unit_area[shared]))


def _cells(
    grid: _Grid, month: npt.NDArray[np.int32], unit_area: npt.NDArray[np.int32]
) -> npt.NDArray[np.int64]:
    """The flat positions in the counts of (month, ``unit << 16 | area``)."""
    _, u, m = grid.shape()
    cell = (month - np.int32(grid.first_month)).astype(np.int64)
    cell *= u * m
    cell += (unit_area >> 16).astype(np.int64) * m
    cell += unit_area & 0xFFFF
    return cell


def _subtract_repeats(grid: _Grid, patient: npt.NDArray[np.int64], cell: npt.NDArray[np.int64]) -> None:
    """One less in ``patients`` for every (patient, cell) pair met before (a patient counted once)."""
    packed = _packed_sort(patient, cell, rows=False)
    if packed is not None:
        words = packed[0]  # patient and cell, sorted: a repeat equals the word before it
        repeat = np.flatnonzero(words[1:] == words[:-1]) + 1
        np.subtract.at(grid.flat("patients"), words[repeat] & ((1 << _bits(cell)) - 1), _ONE)
        return
    ordered = np.lexsort((cell, patient))
    patient, cell = patient[ordered], cell[ordered]
    repeat = np.zeros(cell.size, np.bool_)
    repeat[1:] = (patient[1:] == patient[:-1]) & (cell[1:] == cell[:-1])
    np.subtract.at(grid.flat("patients"), cell[repeat], _ONE)


def _distinct_per_cell(contacts: _Stays, grid: _Grid, target: str) -> None:
    """Distinct patients per month × unit × area, counted into ``target`` from the kept contacts.

    Contacts need no order in time (there are no readmissions to find): their (patient, cell) pairs are
    sorted, and each pair is counted once.
    """
    if not contacts.admit:
        return
    patient = contacts.patient_numbers()
    admit = np.concatenate(contacts.admit)
    contacts.admit.clear()
    contacts.discharge.clear()
    unit_area = np.concatenate(contacts.unit_area)
    contacts.unit_area.clear()
    cell = _cells(grid, _month_of_days(admit), unit_area)
    del admit, unit_area
    packed = _packed_sort(patient, cell, rows=False)
    if packed is not None:
        # (patient, cell) as one sorted 64-bit word each: a pair is new where it differs from the one before
        words = packed[0]
        first = np.ones(words.size, np.bool_)
        first[1:] = words[1:] != words[:-1]
        np.add.at(grid.flat(target), words[first] & ((1 << _bits(cell)) - 1), _ONE)
        return
    order = _stable_order(cell)
    order = np.take(order, _stable_order(np.take(patient, order)))
    patient = np.take(patient, order)
    cell = np.take(cell, order)
    del order
    first = np.ones(cell.size, np.bool_)
    first[1:] = (patient[1:] != patient[:-1]) | (cell[1:] != cell[:-1])
    np.add.at(grid.flat(target), cell[first], _ONE)


#: No earlier stay (the latest discharge of a patient not seen yet).
_NONE = np.int32(-(2**31))
#: The discharge of a stay still going on, while streaming: later than any admission.
_STILL_IN_CARE = np.int32(2**31 - 1)
#: One stay in the month, in the high half of a patient's state (see :class:`_PatientStream`).
_IN_MONTH = np.int64(1 << 32)
_LOW = np.int64(0xFFFFFFFF)


class _Unsorted(Exception):
    """The extract turned out not to be sorted by admission date: count it again the other way."""


class _PatientStream:
    """Patients and readmissions counted batch by batch (see the module): state per patient, not per stay.

    The stays are taken a month at a time.  Within a month only the stays of patients with more than one
    stay in it need putting in order — a few per cent of them — and the rest look up the patient's
    latest discharge so far.  The month a batch ends in may go on in the next batch: its stays are held
    back and taken with the next batch (or by :meth:`finish`), so every month is counted whole.

    :param first_id: the smallest patient id (from the Parquet statistics); ids are numbered from it.
    :param ids: how many numbers the ids span (largest − smallest + 1).
    :param open_discharge: the discharge of a stay still going on (``observed_until``), or ``None`` for
        later than any admission.
    """

    def __init__(
        self,
        first_id: int,
        ids: int,
        names: Sequence[str],
        readmission_days: int,
        open_discharge: int | None,
    ) -> None:
        self.first_id = first_id
        self.readmissions = "readmissions_30d" in names
        self.patients = "patients" in names
        self.readmission_days = readmission_days
        self.open_discharge = _STILL_IN_CARE if open_discharge is None else np.int32(open_discharge)
        #: per patient, in one number so that a stay looks its patient up once: the stays in the month at
        #: hand (high 32 bits, zero in between months) and the latest discharge so far (low 32 bits, as
        #: its distance from ``_NONE``: 0 for no stay yet)
        self.state = np.zeros(ids, np.int64)
        #: the month held back, and its stays so far: (patient, admission, end, unit, area) per batch
        self.held_month = -1
        self.held: list[tuple[npt.NDArray[Any], ...]] = []
        self.last_day = -(2**31)

    def add(
        self,
        grid: _Grid,
        ids: npt.NDArray[Any],
        admit: npt.NDArray[np.int32],
        discharge: npt.NDArray[np.int32],
        unit: npt.NDArray[np.int32],
        area: npt.NDArray[np.int32],
    ) -> None:
        """Count one batch into ``grid`` (its stays in admission order, or :class:`_Unsorted` is raised).

        :param discharge: -1 for a stay still going on.
        """
        if int(admit[0]) < self.last_day or bool((np.diff(admit) < 0).any()):
            raise _Unsorted
        self.last_day = int(admit[-1])
        patient = ids.astype(np.int64, copy=False) - self.first_id
        if int(patient.min()) < 0 or int(patient.max()) >= self.state.size:
            raise _Unsorted  # the statistics were wrong: the sorting way needs no range
        ends = np.where(discharge < 0, self.open_discharge, discharge)
        month = _month_of_days(admit)
        # the batch is date-sorted: its months are runs
        bounds = [0, *(np.flatnonzero(month[1:] != month[:-1]) + 1).tolist(), month.size]
        for start, stop in itertools.pairwise(bounds):
            this_month = int(month[start])
            if this_month != self.held_month:
                self.finish(grid)
                self.held_month = this_month
            run = slice(start, stop)
            self.held.append((patient[run], admit[run], ends[run], unit[run], area[run]))
        # the month the batch ends in is held back: copied, so that the batch's buffers are let go
        self.held[-1] = tuple(np.copy(a) for a in self.held[-1])

    def finish(self, grid: _Grid) -> None:
        """Count the month held back."""
        if not self.held:
            return
        patient, admit, ends, unit, area = (
            np.concatenate(parts) if len(self.held) > 1 else parts[0] for parts in zip(*self.held)
        )
        self.held = []
        np.add.at(self.state, patient, _IN_MONTH)
        state = self.state[patient]
        # the stays of patients with more than one stay in the month, by patient, in admission order
        repeated = np.flatnonzero(state >= 2 * _IN_MONTH)
        order = repeated[np.argsort(patient[repeated], kind="stable")]
        _, u, m = grid.shape()
        month_start = (self.held_month - grid.first_month) * u * m
        if self.readmissions:
            readmitted = self._readmissions(patient, admit, ends, order, state)
            cells = unit[readmitted].astype(np.int64) * m + area[readmitted] + month_start
            np.add.at(grid.flat("readmissions_30d"), cells, _ONE)
        else:
            self.state[patient] = 0
        if self.patients and order.size:
            # within the month: the same patient, unit and area as a stay before (stable: in order)
            pair = (patient[order] << 32) | ((unit[order].astype(np.int64) << 16) | area[order])
            by_pair = np.argsort(pair, kind="stable")
            pair = pair[by_pair]
            repeat = order[by_pair[1:][pair[1:] == pair[:-1]]]
            cells = unit[repeat].astype(np.int64) * m + area[repeat] + month_start
            np.subtract.at(grid.flat("patients"), cells, _ONE)

    def _readmissions(
        self,
        patient: npt.NDArray[np.int64],
        admit: npt.NDArray[np.int32],
        ends: npt.NDArray[np.int32],
        order: npt.NDArray[np.intp],
        state: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.intp]:
        """The stays of a month that are readmissions; each patient's latest discharge moved on (and the
        count of stays in the month cleared).

        :param state: the state of each stay's patient at the start of the month (see ``state``).
        """
        # the latest discharge before the month: right for every stay whose patient has one in the month
        previous = (state & _LOW) + _NONE
        if order.size:
            # the patient's earlier stays in the month: a running maximum within each patient
            group = patient[order]
            running = np.maximum.accumulate((group << 32) | (ends[order].astype(np.int64) - _NONE))
            earlier = np.full(order.size, _NONE, np.int64)
            same = group[1:] == group[:-1]
            earlier[1:][same] = ((running[:-1] & _LOW) + _NONE)[same]
            previous[order] = np.maximum(previous[order], earlier)
        gap = admit - previous
        readmitted = np.flatnonzero((previous != _NONE) & (gap >= 1) & (gap <= self.readmission_days))
        # one stay per patient in the month: its end is written as it is; several: the latest of them
        self.state[patient] = np.maximum(previous, ends) - _NONE
        if order.size:
            np.maximum.at(self.state, patient[order], ends[order].astype(np.int64) - _NONE)
        return readmitted


def _patient_stream(
    id_bounds: tuple[int, int, int] | None,
    names: Sequence[str],
    readmission_days: int,
    open_discharge: int | None,
) -> _PatientStream | None:
    """A :class:`_PatientStream` where the ids are integers in a known range not much wider than the
    extract (at most 4 numbers per stay, or 16 million), else ``None`` (count the other way).

    :param id_bounds: the smallest and largest patient id and the number of stays, or ``None``.
    """
    if id_bounds is None:
        return None
    low, high, stays = id_bounds
    span = high - low + 1
    if span > max(4 * stays, 1 << 24) or span >= 1 << 31:
        return None
    return _PatientStream(low, span, names, readmission_days, open_discharge)
