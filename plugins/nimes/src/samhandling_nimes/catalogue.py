"""The unit catalogue: unit code → name, type (DPS, TSB, BUP, acute ward …) and health trust.

Admission statistics count stays per *unit* ("RDPS", "LIER", "dps-asker").  The catalogue says what a
code means, so admissions can be grouped into DPS, substance-use (TSB), child and adolescent (BUP) and
acute care.  The built-in entries ship with this plugin (``data/care_units.csv``); a health trust or a
KoRus centre adds its own through the ``samhandling_register_care_units`` hook, or loads a catalogue file
with :func:`load_care_units`.  A code that is in no catalogue is never dropped: it is kept with the unit
type ``"unknown"`` and reported as a finding.
"""

from __future__ import annotations

import csv
import io
import typing
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import ParseError, ValidationError
from samhandling.model import CareUnit, UnitType

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager

__all__ = [
    "UNIT_TYPE_LABELS",
    "UNKNOWN_UNIT_TYPE",
    "UnitLookup",
    "builtin_care_units",
    "load_care_units",
    "unit_lookup",
]

#: The ``unit_type`` column's value for each :class:`~samhandling.model.UnitType`.
UNIT_TYPE_LABELS: Mapping[UnitType, str] = {
    UnitType.DPS_INPATIENT: "DPS",
    UnitType.DPS_OUTPATIENT: "DPS",
    UnitType.TSB: "TSB",
    UnitType.BUP: "BUP",
    UnitType.ACUTE_WARD: "acute",
    UnitType.SOMATIC: "other",
    UnitType.OTHER: "other",
}
#: The ``unit_type`` of a unit code that no catalogue knows (kept, and reported as a finding).
UNKNOWN_UNIT_TYPE = "unknown"

_COLUMNS = ("code", "name", "type", "health_trust")


def _rows(text: str, where: str) -> list[tuple[int, dict[str, str]]]:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if not line.startswith("#")]
    if not lines:
        raise ParseError(
            "the unit catalogue is empty; expected a header code,name,type,health_trust", path=where
        )
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in lines)))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in _COLUMNS[:3] if c not in header]
    if missing:
        raise ParseError(
            f"the unit catalogue lacks column(s) {missing}; expected code,name,type[,health_trust,aliases]",
            path=where,
            line=lines[0][0],
        )
    reader.fieldnames = header
    return [(lines[i + 1][0], row) for i, row in enumerate(reader)]


def _parse(text: str, where: str) -> tuple[tuple[CareUnit, tuple[str, ...]], ...]:
    units = []
    for line, row in _rows(text, where):
        try:
            unit = CareUnit(
                code=(row.get("code") or "").strip(),
                name=(row.get("name") or "").strip(),
                type=(row.get("type") or "").strip(),
                health_trust=(row.get("health_trust") or "").strip() or None,
            )
        except ValidationError as exc:
            raise ParseError(str(exc), path=where, line=line) from exc
        aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
        units.append((unit, aliases))
    return tuple(units)


def load_care_units(path: str | Path) -> tuple[CareUnit, ...]:
    """Read a unit catalogue file (CSV with columns ``code,name,type[,health_trust,aliases]``).

    Lets a health trust keep its unit list as a file and register it from a small plugin.  ``type``
    is a :class:`~samhandling.model.UnitType` value (``dps_inpatient``, ``tsb``, ``bup``,
    ``acute_ward`` …); ``aliases`` are extra codes separated by ``|``.

    :param path: the CSV file (UTF-8, a BOM is allowed; lines starting with ``#`` are comments).
    :raises ParseError: a missing column or an invalid row, naming the file and line.
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    return tuple(unit for unit, _ in _parse(text, str(path)))


def builtin_care_units() -> tuple[tuple[CareUnit, tuple[str, ...]], ...]:
    """The catalogue that ships with the plugin, each unit with its alias codes."""
    text = resources.files("samhandling_nimes").joinpath("data/care_units.csv").read_text(encoding="utf-8")
    return _parse(text, "samhandling_nimes/data/care_units.csv")


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


@typing.final
@attrs.frozen(kw_only=True)
class UnitLookup:
    """Resolves the unit labels found in a file to catalogue units: by code, alias or name.

    ``"RDPS"``, its alias ``"dps-ringerike"`` and the name ``"Ringerike DPS"`` all give the unit
    ``RDPS``.  Labels no catalogue knows keep their text as the code and get the unit type
    ``"unknown"``.
    """

    units: Mapping[str, CareUnit]
    names: Mapping[str, str] = attrs.field(factory=dict)
    by_alias: Callable[[str], CareUnit | None] = attrs.field(default=lambda _label: None, eq=False)

    def resolve(self, label: str) -> CareUnit | None:
        """The unit a label means, or ``None`` when no catalogue knows it."""
        text = label.strip()
        unit = self.units.get(text) or self.by_alias(text)
        if unit is None:
            code = self.names.get(_key(text))
            unit = self.units.get(code) if code is not None else None
        return unit

    def unit_type(self, label: str) -> str:
        """The ``unit_type`` column value for a label (``"unknown"`` when not in the catalogue)."""
        unit = self.resolve(label)
        return UNIT_TYPE_LABELS[unit.type] if unit is not None else UNKNOWN_UNIT_TYPE

    def classify(self, labels: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array, list[str]]:
        """Canonical unit codes and unit types (string arrays) for a column of labels, and the unknown labels.

        Work is done once per distinct label (on the dictionary), never per row.
        """
        column = labels.combine_chunks() if isinstance(labels, pa.ChunkedArray) else labels
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column.cast(pa.string()))
        distinct = column.dictionary.cast(pa.string()).to_pylist()
        codes: list[str] = []
        types: list[str] = []
        unknown: list[str] = []
        for label in distinct:
            unit = self.resolve(label)
            if unit is None:
                codes.append(label.strip())
                types.append(UNKNOWN_UNIT_TYPE)
                unknown.append(label.strip())
            else:
                codes.append(unit.code)
                types.append(UNIT_TYPE_LABELS[unit.type])
        indices = column.indices
        code_array = pc.take(pa.array(codes, pa.string()), indices)
        type_array = pc.take(pa.array(types, pa.string()), indices)
        return code_array, type_array, sorted(set(unknown))


def unit_lookup(plugin_manager: PluginManager | None = None, *, extra: Iterable[CareUnit] = ()) -> UnitLookup:
    """The lookup over every registered unit (built-in and from plugins), plus ``extra`` units.

    :param plugin_manager: whose ``samhandling_register_care_units`` catalogue to use (default: the
        everyday one).
    :param extra: units for this call only; they take precedence over registered ones with the same code.
    """
    from samhandling.catalogue import care_units

    catalogue = care_units(plugin_manager)
    units: dict[str, CareUnit] = {unit.code: unit for unit in catalogue}
    for unit in extra:
        units[unit.code] = unit
    names = {_key(unit.name): unit.code for unit in units.values()}
    names.update({_key(code): code for code in units})
    for unit, aliases in builtin_care_units():
        if unit.code in units:
            names.update({_key(alias): unit.code for alias in aliases})
    return UnitLookup(units=units, names=names, by_alias=catalogue.get)
