"""Stays → harmonised and rolled-up tables in one step, by weight-matrix products on the wide aggregate.

``roll_up(harmonise(aggregate_stays(...), year), level)`` builds the long table of every municipality ×
month × unit × variable and then re-keys and groups it twice.  The key space of an extract is small and
dense, so :func:`aggregate_stays_to` does the same arithmetic on the aggregate as a matrix: months × units
by source municipalities, multiplied by a source-municipality × target-area weight matrix, and builds the
long table only for the (much smaller) result.

The weight matrix comes from the library itself: a probe table with one row per source code and variable
(the code also carried in the ``unit`` column) is sent through :func:`~samhandling.geography.harmonise` and
:func:`~samhandling.aggregate.roll_up`.  Every rule of those functions therefore applies unchanged —
unknown codes raise :class:`~samhandling.errors.UnknownCodeError`, divided areas need weights or
population, non-additive variables are refused where areas are combined, unassigned areas are an error or
excluded and listed — and the metadata of the result is the probe's.  The values equal those of the
generic path up to the order of floating-point additions (exactly where areas are renumbered, merged or
divided in halves).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from samhandling.errors import SchemaError
from samhandling.levels import Level
from samhandling.model import CareUnit
from samhandling.tables import StatTable, TableMeta
from samhandling_nimes.stays import (
    _count_extract,
    _Counts,
    _long,
    _meta,
    _no_status,
    _provenance_meanwhile,
    _Reading,
    _UnitAxis,
)

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager

__all__ = ["aggregate_stays_to"]

_LEVELS = ("municipality", "county", "health_trust", "health_region", "dps", "national")


def aggregate_stays_to(
    location: str | Path,
    to: str | Level | Sequence[str | Level],
    *,
    harmonise_to: int | None = None,
    weights: StatTable | pa.Table | None = None,
    population: StatTable | None = None,
    unassigned: Literal["error", "exclude"] = "error",
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
) -> dict[str, StatTable]:
    """Aggregate a stay-level extract, harmonise it and roll it up, without the long intermediate table.

    The result for each level equals ``roll_up(harmonise(aggregate_stays(location, ...), harmonise_to,
    weights=weights, population=population), level, unassigned=unassigned)`` (for ``"municipality"``:
    the harmonised table itself) — the same rows, statuses, metadata and errors; values up to the order of
    floating-point additions, and a refusal may name another of the offending areas first — and is
    several times faster on a large extract.

    :param location: a CSV or Parquet file, or a folder of them.
    :param to: one level or several: ``"municipality"`` (harmonised only), ``"county"``,
        ``"health_trust"``, ``"health_region"``, ``"dps"``, ``"national"``.
    :param harmonise_to: the year whose map the result uses (default: the extract's own map).
    :param weights: shares for divided areas, as for :func:`~samhandling.geography.harmonise`.
    :param population: population to share divided areas by, as for
        :func:`~samhandling.geography.harmonise`.
    :param unassigned: as for :func:`~samhandling.aggregate.roll_up`.
    :returns: level → StatTable, in the order asked.
    :raises UnknownCodeError: a municipality code did not exist in the extract's geography year.
    :raises SplitAreaError: an area is divided and neither weights nor population say how.

    The remaining options are those of :func:`~samhandling_nimes.aggregate_stays`.
    """
    levels = [to.value if isinstance(to, Level) else str(to)] if isinstance(to, (str, Level)) else []
    if not isinstance(to, (str, Level)):
        levels = [t.value if isinstance(t, Level) else str(t) for t in to]
    wrong = [level for level in levels if level not in _LEVELS]
    if wrong or not levels:
        raise SchemaError(f"aggregate_stays_to: levels must be among {list(_LEVELS)}, found {levels}")
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
    meta = _meta(counts, names, provenance)
    harmonising = harmonise_to is not None and harmonise_to != counts.geography_year
    plain = _long(counts, names, meta) if not harmonising and "municipality" in levels else None
    source_year = counts.geography_year
    dense = _Dense.of(counts, names)
    del counts  # the counts go one by one into the dense matrices
    probe = _probe(dense.codes, dense.levels, names, source_year, meta)
    if harmonising:
        from samhandling.geography import harmonise

        assert harmonise_to is not None
        probe = harmonise(probe, harmonise_to, weights=weights, population=population)
        dense = dense.mapped(probe, names)
    out: dict[str, StatTable] = {}
    for level in levels:
        if level == "municipality":
            out[level] = plain if plain is not None else dense.table(probe.meta, names)
            continue
        from samhandling.aggregate import roll_up

        # the rows of the harmonised table, one per area and variable, rolled up the library's way
        shape = roll_up(
            _probe(dense.codes, dense.levels, names, probe.geography_year or 0, probe.meta),
            level,
            unassigned=unassigned,
        )
        out[level] = dense.mapped(shape, names).table(shape.meta, names)
    return out


def _probe(
    codes: Sequence[str], levels: Sequence[str], names: Sequence[str], year: int, meta: TableMeta
) -> StatTable:
    """One row per area and variable, value 1, the area's code also in ``unit``."""
    k, v = len(codes), len(names)
    probe = pa.table(
        {
            "region": pa.array(list(codes) * v, pa.string()),
            "level": pa.array(list(levels) * v, pa.string()),
            "year": pa.array(np.full(k * v, year, np.int16)),
            "month": pa.array(np.ones(k * v, np.int8)),
            "unit": pa.array(list(codes) * v, pa.string()),
            "unit_type": pa.array([""] * (k * v), pa.string()),
            "variable": pa.array([name for name in names for _ in range(k)], pa.string()),
            "value": pa.array(np.ones(k * v, np.float64)),
            "status": pa.nulls(k * v, pa.string()),
        }
    )
    return StatTable.from_arrow(probe, meta=meta)


@attrs.frozen
class _Dense:
    """Counts as one areas × (months × units) matrix per variable, and where a value is present.

    Areas are rows so that picking the areas that make up another copies contiguous memory.  A value is
    present where at least one stay (of a part) was counted, as a row of the long table would be.
    """

    codes: list[str]
    levels: list[str]
    values: dict[str, npt.NDArray[np.float64]]
    present: dict[str, npt.NDArray[np.bool_]]
    first_month: int
    unit_axis: _UnitAxis

    @classmethod
    def of(cls, counts: _Counts, names: Sequence[str]) -> _Dense:
        """The counts (months × units × areas) turned into areas × (months × units) matrices.

        Each variable's counts are taken out of ``counts`` as its matrix is made, so that memory does not
        hold both.
        """
        t, u, m = counts.counts["_admissions"].shape
        values: dict[str, npt.NDArray[np.float64]] = {}
        present: dict[str, npt.NDArray[np.bool_]] = {}
        for name in names:
            grid = counts.counts.pop(name)
            matrix = np.ascontiguousarray(grid.reshape(t * u, m).T, dtype=np.float64)
            del grid
            values[name] = matrix
            present[name] = matrix != 0
        return cls(
            codes=list(counts.areas),
            levels=counts.levels(),
            values=values,
            present=present,
            # the counts number months from January 1900, the long table from year 0
            first_month=counts.first_month + 1900 * 12,
            unit_axis=counts.unit_axis,
        )

    def mapped(self, shape: StatTable, names: Sequence[str]) -> _Dense:
        """The areas re-keyed the way ``shape`` (a probe after harmonise or roll-up) says.

        Each row of ``shape`` says that area ``unit`` goes into area ``region`` with share ``value``: a
        sparse product, each source row times its share, summed per target in the order of the sources.
        """
        arrow = shape.arrow
        source = arrow.column("unit").cast(pa.string()).to_pylist()
        target = arrow.column("region").cast(pa.string()).to_pylist()
        target_level = arrow.column("level").cast(pa.string()).to_pylist()
        variable = arrow.column("variable").cast(pa.string()).to_pylist()
        share = arrow.column("value").to_numpy(zero_copy_only=False)
        targets = sorted(set(target))
        target_index = {code: i for i, code in enumerate(targets)}
        level_of = dict(zip(target, target_level))
        source_index = {code: i for i, code in enumerate(self.codes)}
        cells = next(iter(self.values.values())).shape[1] if self.values else 0
        values: dict[str, npt.NDArray[np.float64]] = {}
        present: dict[str, npt.NDArray[np.bool_]] = {}
        for name in names:
            pairs = sorted(
                (target_index[t], source_index[s], float(f))
                for s, t, v, f in zip(source, target, variable, share)
                if v == name
            )
            out = np.zeros((len(targets), cells), np.float64)
            reached = np.zeros((len(targets), cells), np.bool_)
            source_values, source_present = self.values[name], self.present[name]
            groups: dict[int, list[tuple[int, float]]] = {}
            for t, s, f in pairs:
                groups.setdefault(t, []).append((s, f))
            # a target with one source, whole: a copy of its row (most areas), all at once
            whole = [
                (t, parts[0][0]) for t, parts in groups.items() if len(parts) == 1 and parts[0][1] == 1.0
            ]
            if whole:
                to_rows = np.asarray([t for t, _ in whole], np.intp)
                from_rows = np.asarray([s for _, s in whole], np.intp)
                out[to_rows] = source_values[from_rows]
                reached[to_rows] = source_present[from_rows]
            # the others: each source row times its share, added in the order of the sources
            for t, parts in groups.items():
                if len(parts) == 1 and parts[0][1] == 1.0:
                    continue
                row = out[t]
                for s, f in parts:
                    row += source_values[s] * f if f != 1.0 else source_values[s]
                    reached[t] |= source_present[s]
            values[name] = out
            present[name] = reached
        return attrs.evolve(
            self, codes=targets, levels=[level_of[c] for c in targets], values=values, present=present
        )

    def table(self, meta: TableMeta, names: Sequence[str]) -> StatTable:
        """The long StatTable: one row per area × month × unit × variable where a value is present."""
        n_units = max(len(self.unit_axis), 1)
        regions = pa.array(self.codes, pa.string())
        # the dimension columns are built in their canonical types, so that validating them is cheap
        level_names = sorted(set(self.levels))
        level_index = np.asarray([level_names.index(level) for level in self.levels], np.int8)
        level_dictionary = pa.array(level_names, pa.string())
        variable_dictionary = pa.array(list(names), pa.string())
        parts: list[pa.Table] = []
        for position, name in enumerate(names):
            area, cell = np.nonzero(self.present[name])
            absolute = self.first_month + cell // n_units
            unit_index = (cell % n_units).astype(np.int32)
            count = area.size
            parts.append(
                pa.table(
                    {
                        "region": pa.DictionaryArray.from_arrays(pa.array(area.astype(np.int32)), regions),
                        "level": pa.DictionaryArray.from_arrays(
                            pa.array(np.take(level_index, area)), level_dictionary
                        ),
                        "year": pa.array((absolute // 12).astype(np.int16)),
                        "month": pa.array((absolute % 12 + 1).astype(np.int8)),
                        **self.unit_axis.arrays(unit_index),
                        "variable": pa.DictionaryArray.from_arrays(
                            pa.array(np.full(count, position, np.int32)), variable_dictionary
                        ),
                        "value": pa.array(self.values[name][area, cell]),
                        "status": _no_status(count),
                    }
                )
            )
        return StatTable.from_arrow(pa.concat_tables(parts).unify_dictionaries(), meta=meta)
