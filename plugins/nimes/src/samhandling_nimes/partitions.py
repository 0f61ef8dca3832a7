"""An extract too large for one machine: aggregate each partition where it lies, then combine the tables.

A national extract over many years is stored as a partitioned Parquet dataset (a folder per year, per
health trust or per range of patients).  Each partition is aggregated on its own with
:func:`~samhandling_nimes.aggregate_stays` — by Dask on a laptop's cores or a cluster, by Ray or Spark:
the library schedules nothing itself — and :func:`combine_aggregates` adds the small tables up.

What combines exactly depends on how the extract was partitioned, and the caller says it:

``"patient"``
    every patient's episodes are in one partition (partitioned by a hash or range of the patient id):
    every variable combines exactly — distinct patients are disjoint sets, and each readmission sees
    the patient's earlier stays.
``"month"``
    each calendar month is in one partition (partitioned by year or month of admission): the counts
    and distinct patients combine exactly (patients are counted per month); ``readmissions_30d`` does
    not (the earlier stay may be in the partition before) and is refused.
``"rows"``
    any other split: the counts combine exactly; distinct patients and readmissions do not and are
    refused.

Stays still going on need the same ``observed_until`` in every partition (its default is the day after
the latest date *of the partition*), and the same ``geography_year``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import pyarrow as pa

from samhandling.errors import SchemaError
from samhandling.tables import StatTable
from samhandling_nimes.findings import FINDINGS_KEY

__all__ = ["PARTITIONINGS", "aggregate_partitions", "combine_aggregates", "partitions_of"]

#: How an extract may be partitioned, and the variables that do not combine exactly under each.
PARTITIONINGS: dict[str, tuple[str, ...]] = {
    "patient": (),
    "month": ("readmissions_30d",),
    "rows": ("patients", "readmissions_30d", "day_patients", "outpatient_patients"),
}
_PATIENT_COUNTS = ("patients", "day_patients", "outpatient_patients")


def combine_aggregates(
    parts: Sequence[StatTable], *, partitioned_by: Literal["patient", "month", "rows"]
) -> StatTable:
    """Add up the tables of :func:`~samhandling_nimes.aggregate_stays` run on each partition of an extract.

    :param parts: one table per partition, with the same variables, geography year and dimensions.
    :param partitioned_by: how the extract was split (see the module): ``"patient"``, ``"month"`` or
        ``"rows"``; it decides which variables combine exactly.
    :returns: the table one pass over the whole extract gives (the same rows and values; provenance of
        every partition; ``meta.extra["stays"]`` the total).
    :raises SchemaError: a variable that does not combine exactly under ``partitioned_by``, partitions
        on different maps, or (``"month"``) a month found in two partitions.
    """
    if partitioned_by not in PARTITIONINGS:
        raise SchemaError(f"partitioned_by must be one of {list(PARTITIONINGS)}, not {partitioned_by!r}")
    if not parts:
        raise SchemaError("combine_aggregates needs at least one table")
    years = {part.geography_year for part in parts}
    if len(years) > 1:
        raise SchemaError(
            f"the partitions are on different municipality maps ({sorted(y or 0 for y in years)}); "
            "aggregate every partition with the same geography_year="
        )
    variables = {v for part in parts for v in part.variable_ids()}
    refused = sorted(variables & set(PARTITIONINGS[partitioned_by]))
    if refused:
        raise SchemaError(
            f"{refused} do not add up over partitions split by {partitioned_by}: a patient's episodes "
            "may be in several partitions. Partition the extract by patient, or leave them out with "
            "variables= (see the documentation of samhandling_nimes.partitions)"
        )
    meta = parts[0].meta
    for other in parts[1:]:
        meta = meta.merged_with(other.meta)
    arrow = pa.concat_tables(
        [part.arrow.replace_schema_metadata(None) for part in parts], promote_options="permissive"
    ).unify_dictionaries()
    keys = [c for c in arrow.column_names if c not in ("value", "status")]
    summed = arrow.group_by(keys, use_threads=False).aggregate([("value", "sum"), ("value", "count")])
    if partitioned_by == "month" and variables & set(_PATIENT_COUNTS):
        patients = summed.filter(
            pa.compute.and_(
                pa.compute.is_in(summed.column("variable").cast(pa.string()), pa.array(_PATIENT_COUNTS)),
                pa.compute.greater(summed.column("value_count"), 1),
            )
        )
        if patients.num_rows:
            row = patients.slice(0, 1).to_pylist()[0]
            raise SchemaError(
                f"{row['variable']} of {row['region']} in {row['year']}-{row['month']:02d} is in several "
                "partitions: the extract is not split by whole months; say partitioned_by='rows'"
            )
    stays = sum(int(part.meta.extra.get("stays", 0)) for part in parts)
    extra = {**meta.extra, "stays": stays, "partitions": len(parts), "partitioned_by": partitioned_by}
    extra[FINDINGS_KEY] = [f for part in parts for f in part.meta.extra.get(FINDINGS_KEY, [])]
    table = pa.table(
        {
            **{name: summed.column(name) for name in keys},
            "value": summed.column("value_sum"),
            "status": pa.nulls(summed.num_rows, pa.string()),
        }
    )
    return StatTable.from_arrow(table, meta=attrs.evolve(meta, extra=extra))


def partitions_of(location: str | Path) -> list[Path]:
    """The partitions of a partitioned extract: the folders (``year=2019/``) and files right inside it."""
    folder = Path(location)
    if not folder.is_dir():
        raise SchemaError(f"{folder} is not a folder of partitions")
    found = sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith((".", "_"))
        and (p.is_dir() or p.suffix.casefold() in {".parquet", ".parq", ".pq", ".csv"})
    )
    if not found:
        raise SchemaError(f"{folder} holds no partitions (folders or Parquet/CSV files)")
    return found


def aggregate_partitions(
    location: str | Path | Sequence[str | Path],
    *,
    partitioned_by: Literal["patient", "month", "rows"],
    scheduler: str | Any | None = None,
    aggregate: Callable[..., StatTable] | None = None,
    **options: Any,
) -> StatTable:
    """Aggregate every partition as its own Dask task, then :func:`combine_aggregates` the tables.

    Dask schedules the tasks: on the cores of this machine by default, or on a cluster when a
    ``dask.distributed`` client is active (or ``scheduler=`` names one).  Needs the ``distributed``
    extra (``pip install "samhandling-nimes[distributed]"``).

    :param location: a folder of partitions (see :func:`partitions_of`), or the partitions themselves.
    :param partitioned_by: how the extract was split (see :func:`combine_aggregates`).
    :param scheduler: passed to ``dask.compute`` (``"threads"``, ``"processes"``, ``"synchronous"``, a
        client); default: Dask's.
    :param aggregate: the function run on each partition (default
        :func:`~samhandling_nimes.aggregate_stays`).
    :param options: the options of :func:`~samhandling_nimes.aggregate_stays`, the same for every
        partition; give ``geography_year=`` and, where stays may still be going on, ``observed_until=``.
    """
    try:
        import dask
    except ImportError:  # pragma: no cover - depends on the installation
        raise SchemaError(
            'aggregate_partitions needs Dask: pip install "samhandling-nimes[distributed]"'
        ) from None
    if aggregate is None:
        from samhandling_nimes.stays import aggregate_stays

        aggregate = aggregate_stays
    paths = partitions_of(location) if isinstance(location, (str, Path)) else [Path(p) for p in location]
    tasks = [dask.delayed(aggregate, pure=True)(path, **options) for path in paths]
    parts = dask.compute(*tasks, scheduler=scheduler) if scheduler is not None else dask.compute(*tasks)
    return combine_aggregates(list(parts), partitioned_by=partitioned_by)
