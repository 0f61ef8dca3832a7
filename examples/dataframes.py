"""Use a StatTable in pandas, polars and DuckDB — without copying, and without losing the status symbols.

How-to: docs/howto/dataframes.md.  Run it with ``python examples/dataframes.py`` (needs the ``pandas``
and ``polars`` extras and ``duckdb``).

The input is the library's synthetic demo data for 2024 (made-up numbers of realistic size on the real
2024 municipality map).  Files are written to the folder in ``SAMHANDLING_EXAMPLE_OUT`` (default: a new
temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import polars as pl

import samhandling as sh
from samhandling.report import demo_inputs

YEAR = 2024


def output_folder() -> Path:
    """Where the example writes its files."""
    folder = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def main() -> None:
    out = output_folder()
    inputs = demo_inputs(YEAR, span=3)
    assert inputs.survey is not None
    assert inputs.population is not None
    survey = inputs.survey.where(level="municipality")
    fte = survey.where(variable="fte")

    # -- pandas: a wide table of FTEs by profession for one county, the way a report shows it --------
    frame = fte.where(year=YEAR, target_group="adults").to_pandas()
    innlandet = frame[frame["region"].str.startswith("34")]
    wide = innlandet.pivot_table(index="region", columns="profession", values="value", aggfunc="sum")
    print("pandas — FTEs for adults by profession, Innlandet municipalities (first five):")
    print(wide[["nurse_specialised", "psychologist", "social_worker", "total"]].head().round(1))
    # The table's metadata travels along in DataFrame.attrs: units, additivity, provenance.
    print("unit of fte:", frame.attrs["samhandling"]["variables"]["fte"]["unit"])

    # -- polars: reads the StatTable through the Arrow stream interface, no copy ----------------------
    lazy = pl.DataFrame(fte).lazy()
    growth = (
        lazy.filter(
            (pl.col("profession") == "total")
            & (pl.col("target_group") == "adults")
            & pl.col("status").is_null()
        )
        .group_by("year")
        .agg(pl.col("value").sum().alias("fte"), pl.len().alias("municipalities"))
        .sort("year")
        .collect()
    )
    print("\npolars — FTEs for adults, all municipalities:")
    print(growth)
    assert growth.height == 3

    # -- DuckDB: SQL straight on the StatTables; DuckDB finds Python variables by their name ----------
    population = inputs.population.where(level="municipality")  # noqa: F841 (read by the SQL below)
    per_adult = duckdb.sql(
        f"""
        with adults as (
            select region, year, sum(value) as adults
            from population
            where age in ('18-66', '67+') and status is null
            group by region, year
        )
        select f.region, f.value as fte, a.adults, round(10000 * f.value / a.adults, 1) as per_10000
        from fte as f join adults as a using (region, year)
        where f.year = {YEAR} and f.profession = 'total' and f.target_group = 'adults'
          and f.status is null
        order by per_10000 desc
        limit 5
        """
    )
    assert per_adult is not None
    print("\nDuckDB — the five municipalities with most FTEs per 10,000 adults:")
    print(per_adult)
    # The library's own per_10000 gives the same numbers, with unit, statuses and provenance kept.
    rates = sh.per_10000(
        fte.where(year=YEAR, profession="total", target_group="adults"), inputs.population, ages="18+"
    )
    first_region, _, _, first_rate = per_adult.fetchall()[0]
    (ours,) = rates.where(region=first_region).to_pylist()
    assert abs(ours["value"] - first_rate) < 0.051, (ours, first_rate)

    # -- A partitioned Parquet dataset that DuckDB, polars and Spark read directly --------------------
    dataset = out / "survey-dataset"
    sh.export(survey, dataset, format="parquet", partition_by=("year", "level"))
    counts = duckdb.sql(
        f"select year, count(*) as rows from read_parquet('{dataset.as_posix()}/**/*.parquet', "
        "hive_partitioning = true) group by year order by year"
    )
    assert counts is not None
    count = counts.fetchall()
    print("\nParquet dataset on disk:", count)
    back = pl.scan_parquet(dataset / "**" / "*.parquet", hive_partitioning=True)
    assert back.select(pl.len()).collect().item() == survey.num_rows
    # Read back with samhandling, the metadata (units, provenance) is restored too.
    again = sh.read(dataset)
    assert again.unit_of("fte") == survey.unit_of("fte")
    print("read back:", again)


if __name__ == "__main__":
    main()
