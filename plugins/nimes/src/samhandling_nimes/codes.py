"""NPR's codes for the coded columns of a patient-level extract, and diagnosis groups of ICD-10 chapter V.

Patient-level extracts from Norsk pasientregister carry codes, not words: the level of care
(*omsorgsnivå* 1 døgnopphold, 2 dagbehandling, 3 poliklinisk konsultasjon), the urgency
(*innmåtehastegrad* 1–3 acute, 4 planned, 5 returned from another hospital), the legal basis of
mental-health care, and the main diagnosis as an ICD-10 code.  What each code means is data, not code:
``data/npr_codes.csv`` and ``data/diagnosis_groups.csv`` name their source row by row.  A value that is
in neither (nor a plain yes/no flag) raises :class:`~samhandling.errors.ParseError` naming the file, the
row and the column; a coded value is never guessed.  An extract with codes of its own is read with
``codes={field: {value: meaning}}``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from samhandling.errors import SchemaError

__all__ = [
    "CARE_LEVELS",
    "CODE_FIELDS",
    "DIAGNOSIS_GROUPS",
    "CodedValue",
    "DiagnosisGroup",
    "code_list",
    "diagnosis_groups",
]

#: What each coded field's values may mean, in the order the counting code numbers them.
CODE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "care_level": ("inpatient", "day_treatment", "outpatient"),
    "urgency": ("planned", "acute"),
    "legal_basis": ("voluntary", "involuntary"),
}
#: The levels of care (omsorgsnivå), in the order of :data:`CODE_FIELDS`.
CARE_LEVELS: tuple[str, ...] = CODE_FIELDS["care_level"]


@attrs.frozen(kw_only=True)
class CodedValue:
    """One value of a coded column: what it is called, what it counts as, and where that is written."""

    field: str
    code: str
    name: str
    meaning: str
    source: str
    note: str = ""


@attrs.frozen(kw_only=True)
class DiagnosisGroup:
    """A block of ICD-10 chapter V (``F10-F19``), or ``other`` (another chapter) or ``none`` (empty)."""

    id: str
    first: str
    last: str
    label: str
    label_en: str
    source: str


def _fold(value: str) -> str:
    return " ".join(value.strip().casefold().split())


def _data(name: str) -> list[dict[str, str]]:
    text = resources.files("samhandling_nimes").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@cache
def _code_lists() -> dict[str, tuple[CodedValue, ...]]:
    found: dict[str, list[CodedValue]] = {field: [] for field in CODE_FIELDS}
    for row in _data("npr_codes.csv"):
        value = CodedValue(
            field=row["field"],
            code=row["code"],
            name=row["name"],
            meaning=row["meaning"],
            source=row["source"],
            note=row.get("note") or "",
        )
        if value.meaning not in CODE_FIELDS[value.field]:  # a broken data file, not a user error
            raise SchemaError(f"npr_codes.csv: {value.code!r} of {value.field} means {value.meaning!r}")
        found[value.field].append(value)
    return {field: tuple(values) for field, values in found.items()}


def code_list(field: str) -> tuple[CodedValue, ...]:
    """The values the library understands for ``field`` (``care_level``, ``urgency``, ``legal_basis``)."""
    if field not in CODE_FIELDS:
        raise SchemaError(f"no code list for {field!r}; the coded fields are {list(CODE_FIELDS)}")
    return _code_lists()[field]


def meanings(field: str, extra: Mapping[str, str] | None = None) -> dict[str, int]:
    """Folded value → the number of its meaning in :data:`CODE_FIELDS` (the extract's own codes last)."""
    order = CODE_FIELDS[field]
    table = {_fold(value.code): order.index(value.meaning) for value in code_list(field)}
    for raw, meaning in (extra or {}).items():
        if meaning not in order:
            raise SchemaError(
                f"codes={{{field!r}: {{{raw!r}: {meaning!r}}}}}: the meanings of {field} are {list(order)}"
            )
        table[_fold(str(raw))] = order.index(meaning)
    return table


@cache
def diagnosis_groups() -> tuple[DiagnosisGroup, ...]:
    """The diagnosis groups, in the order of ``data/diagnosis_groups.csv``."""
    return tuple(
        DiagnosisGroup(
            id=row["group"],
            first=row["first"],
            last=row["last"],
            label=row["label"],
            label_en=row["label_en"],
            source=row["source"],
        )
        for row in _data("diagnosis_groups.csv")
    )


#: The ids of the diagnosis groups (the values of the ``diagnosis_group`` column).
DIAGNOSIS_GROUPS: tuple[str, ...] = tuple(group.id for group in diagnosis_groups())

#: An ICD-10 code as extracts write it: a letter, two digits, then an optional subdivision
#: (``F20``, ``F20.0``, ``F200``, ``F10.24``).
_ICD10 = re.compile(r"([A-Z])(\d\d)(?:\.?[0-9A-Z]{1,4})?")


def diagnosis_group_index(code: str | None) -> int | None:
    """The position in :data:`DIAGNOSIS_GROUPS` of a main diagnosis, or ``None`` if it is no ICD-10 code."""
    if code is None or not code.strip():
        return DIAGNOSIS_GROUPS.index("none")
    match = _ICD10.fullmatch(code.strip().upper())
    if match is None:
        return None
    letter, number = match.group(1), int(match.group(2))
    if letter != "F":
        return DIAGNOSIS_GROUPS.index("other")
    for position, group in enumerate(diagnosis_groups()):
        if group.first and int(group.first[1:]) <= number <= int(group.last[1:]):
            return position
    return None  # F-codes outside every block (none exist in ICD-10): refused, not guessed


def lookup_table(
    dictionary: pa.Array, resolve: Callable[[str | None], int | None]
) -> tuple[npt.NDArray[np.int8], int | None]:
    """A table of ``resolve`` over a dictionary's values, and the first position it could not resolve."""
    values = dictionary.to_pylist()
    table = np.zeros(max(len(values), 1), np.int8)
    for position, raw in enumerate(values):
        found = resolve(None if raw is None else str(raw))
        if found is None:
            return table, position
        table[position] = found
    return table, None
