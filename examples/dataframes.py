"""Use a StatTable in pandas, polars and DuckDB — without copying, and without losing the status symbols.

How-to: docs/howto/dataframes.md.  Run it with ``python examples/dataframes.py``.

Needs: what the README's quick start installs.  The pandas, polars and DuckDB parts run when those
libraries are installed (``pip install "samhandling[pandas,polars,duckdb]"``); without them the
example says which part it leaves out and what to install, and shows the same with pyarrow, which
every StatTable is built on.

The input is the library's synthetic demo data for 2024 (made-up numbers of realistic size on the real
2024 municipality map).  Files are written to the folder in ``SAMHANDLING_EXAMPLE_OUT`` (default: a new
temporary folder).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import tempfile
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds

import samhandling as sh
from samhandling.report import demo_inputs

YEAR = 2024
INSTALL = {"pandas": "samhandling[pandas]", "polars": "samhandling[polars]", "duckdb": "samhandling[duckdb]"}


def output_folder() -> Path:
    """Where the example writes its files."""
    folder = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@functools.cache
def installed(library: str) -> bool:
    """Whether ``library`` is installed; if not, say which part is left out and how to get it."""
    if importlib.util.find_spec(library) is not None:
        return True
    print(f"\n{library} is not installed: its part is left out (pip install '{INSTALL[library]}' to see it)")
    return False


def main() -> None:
    out = output_folder()
    inputs = demo_inputs(YEAR, span=3)
    assert inputs.survey is not None
    assert inputs.population is not None
    survey = inputs.survey.where(level="municipality")
    fte = survey.where(variable="fte")
    adults_total = fte.where(year=YEAR, profession="total", target_group="adults")

    # -- pyarrow: every StatTable is a pyarrow.Table (table.arrow), so this part always runs ---------
    ordinary = adults_total.arrow.filter(pc.is_null(adults_total.arrow.column("status")))
    top = ordinary.sort_by([("value", "descending")]).slice(0, 5)
    print("pyarrow — the five municipalities with most FTEs for adults:")
    for region, value in zip(top.column("region").to_pylist(), top.column("value").to_pylist()):
        print(f"  {region}  {value:7.1f} årsverk")

    # -- pandas: a wide table of FTEs by profession for one county, the way a report shows it --------
    if installed("pandas"):
        frame = fte.where(year=YEAR, target_group="adults").to_pandas()
        innlandet = frame[frame["region"].str.startswith("34")]
        wide = innlandet.pivot_table(index="region", columns="profession", values="value", aggfunc="sum")
        print("\npandas — FTEs for adults by profession, Innlandet municipalities (first five):")
        print(wide[["nurse_specialised", "psychologist", "social_worker", "total"]].head().round(1))
        # The table's metadata travels along in DataFrame.attrs: units, additivity, provenance.
        print("unit of fte:", frame.attrs["samhandling"]["variables"]["fte"]["unit"])

    # -- polars: reads the StatTable through the Arrow stream interface, no copy ----------------------
    if installed("polars"):
        import polars as pl

        growth = (
            pl.DataFrame(fte)
            .lazy()
            .filter(
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
    if installed("duckdb"):
        import duckdb

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
            from adults_total as f join adults as a using (region, year)
            where f.year = {YEAR} and f.status is null
            order by per_10000 desc
            limit 5
            """
        )
        assert per_adult is not None
        print("\nDuckDB — the five municipalities with most FTEs per 10,000 adults:")
        print(per_adult)
        # The library's own per_10000 gives the same numbers, with unit, statuses and provenance kept.
        rates = sh.per_10000(adults_total, inputs.population, ages="18+")
        first_region, _, _, first_rate = per_adult.fetchall()[0]
        (ours,) = rates.where(region=first_region).to_pylist()
        assert abs(ours["value"] - first_rate) < 0.051, (ours, first_rate)

    # -- A partitioned Parquet dataset that DuckDB, polars, Spark and pyarrow read directly -----------
    dataset = out / "survey-dataset"
    sh.export(survey, dataset, format="parquet", partition_by=("year", "level"))
    on_disk = ds.dataset(dataset, format="parquet", partitioning="hive")
    rows = on_disk.to_table(columns=["year"]).group_by("year").aggregate([("year", "count")])
    print("\nParquet dataset on disk (rows per year):", sorted(zip(*rows.to_pydict().values())))
    assert on_disk.count_rows() == survey.num_rows
    if installed("duckdb"):
        import duckdb

        counts = duckdb.sql(
            f"select year, count(*) as rows from read_parquet('{dataset.as_posix()}/**/*.parquet', "
            "hive_partitioning = true) group by year order by year"
        )
        assert counts is not None
        print("DuckDB reads it too:", counts.fetchall())
    # Read back with samhandling, the metadata (units, provenance) is restored too.
    again = sh.read(dataset)
    assert again.unit_of("fte") == survey.unit_of("fte")
    print("read back:", again)


if __name__ == "__main__":
    main()
