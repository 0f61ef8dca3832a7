"""Put figures from 2019, 2022 and 2024 on one map: across the 2020 and the 2024 reforms.

How-to: docs/howto/harmonise.md.  Run it with ``python examples/harmonise_reforms.py``.

Needs: what the README's quick start installs (the samhandling-kostra plugin reads the files).

Three population files (SSB table 07459 as the statbank writes it; *synthetic example figures*, see
examples/data/README.md), each on the municipality map of its own year:

- 2019: Drammen (0602), Nedre Eiker (0625) and Svelvik (0711) before they merged into 3005 Drammen in
  2020, which became 3301 when Buskerud was re-established in 2024; Ringerike 0605 (3007, then 3305);
  the five municipalities that merged into 1507 Ålesund in 2020;
- 2022: between the reforms (3005, 3007, 1507);
- 2024: after the reforms, when 1507 Ålesund was split again into 1508 Ålesund and 1580 Haram.

Files are written to the folder in ``SAMHANDLING_EXAMPLE_OUT`` (default: a new temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow.compute as pc

import samhandling as sh
from samhandling.geography import Geography, story

DATA = Path(__file__).parent / "data"
TARGET_YEAR = 2024


def output_folder() -> Path:
    """Where the example writes its files."""
    folder = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def total(table: sh.StatTable) -> float:
    """The sum of the ordinary values of a table."""
    return float(pc.sum(table.arrow.column("value")).as_py() or 0.0)


def main() -> None:
    out = output_folder()
    files = {year: DATA / f"07459-population-{year}.csv" for year in (2019, 2022, 2024)}
    tables = {year: sh.read(path) for year, path in files.items()}
    for year, table in tables.items():
        print(f"{year}: {table.num_rows} rows on the {table.geography_year} map, regions", end=" ")
        print(sorted(set(table.arrow.column("region").to_pylist())))

    # What happened to the codes, as the library knows it (SSB's classification 131 and its changes).
    print()
    for code in ("0602", "0605", "1534"):
        for change in story(code):
            print(
                f"{change.year} {change.kind.value:<9} {' + '.join(change.old_codes)} → "
                f"{' + '.join(change.new_codes)} ({', '.join(change.new_names)})"
            )

    # 2022 → 2024: 1507 Ålesund was divided in 2024.  How much of it belongs to the new Ålesund and how
    # much to Haram is not in the codes.  Without a population of your own, harmonise shares it by the
    # population the library ships (SSB table 07459): Haram (1534) and the rest of old Ålesund in 2019,
    # the last year before the merger, since the 2024 division re-created Haram as it was.
    by_shipped = sh.harmonise(tables[2022], TARGET_YEAR).where(region=["1508", "1580"])
    shares_2019 = {r["region"]: round(r["value"]) for r in by_shipped.to_pylist()}
    print(f"\n2022's 1507 shared by SSB's 2019 population: {shares_2019}")

    # The population on the new map gives the shares: each new municipality's part of the old one.
    shares = tables[TARGET_YEAR]
    harmonised = [sh.harmonise(table, TARGET_YEAR, population=shares) for table in tables.values()]

    # Merging and sharing out keep every inhabitant: the total of each year is unchanged.
    for before, after in zip(tables.values(), harmonised):
        assert round(total(before), 6) == round(total(after), 6)
        assert after.geography_year == TARGET_YEAR

    # Now the years can be stacked into one time series on the 2024 map.
    series = sh.StatTable.concat(harmonised)
    print(f"\n{series}\n")
    geography = Geography.for_year(TARGET_YEAR)
    by_region = (
        series.arrow.group_by(["region", "year"])
        .aggregate([("value", "sum")])
        .sort_by([("region", "ascending"), ("year", "ascending")])
    )
    print(f"inhabitants on the {TARGET_YEAR} map (synthetic example figures):")
    print(f"  {'':<22}" + "".join(f"{year:>10}" for year in tables))
    for region in sorted(set(by_region.column("region").to_pylist())):
        rows = by_region.filter(pc.equal(by_region.column("region"), region)).to_pylist()
        values = {row["year"]: row["value_sum"] for row in rows}
        name = geography.municipality(region).name
        print(f"  {region} {name:<17}" + "".join(f"{values.get(year, 0):>10,.0f}" for year in tables))

    # Drammen 2019 is the sum of the three municipalities that merged in 2020.
    drammen_2019 = series.where(region="3301", year=2019)
    old = tables[2019].where(region=["0602", "0625", "0711"])
    assert total(drammen_2019) == total(old)

    target = sh.export(series, out / "population-2019-2024-on-2024-map.parquet")
    print(f"\nwritten: {target}")


if __name__ == "__main__":
    main()
