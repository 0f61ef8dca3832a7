"""Load a KOSTRA table downloaded from SSB's statbank, and look at what came in.

How-to: docs/howto/load-kostra.md.  Run it with ``python examples/load_kostra.py``.

Needs: what the README's quick start installs (the samhandling-kostra plugin reads the file).

The file is SSB table 12228 (*Psykisk helsearbeid og rusarbeid i kommunene - grunnlagstall*) for the
Drammen and Ringerike area, 2018–2019, as the statbank writes it: a title line, semicolons, Windows-1252,
decimal commas, region labels such as ``0602 Drammen``, a KOSTRA group, and SSB's symbols for missing and
suppressed cells.  The figures are *synthetic example figures* (see examples/data/README.md).

Files are written to the folder in ``SAMHANDLING_EXAMPLE_OUT`` (default: a new temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import samhandling as sh
from samhandling import Status
from samhandling.errors import SamhandlingError

DATA = Path(__file__).parent / "data"


def output_folder() -> Path:
    """Where the example writes its files."""
    folder = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def main() -> None:
    out = output_folder()
    path = DATA / "12228-buskerud-2018-2019.csv"

    # samhandling.read asks the installed sources which one reads the file: here the KOSTRA plugin's
    # "ssb-csv" source.  Encoding, separator and decimal mark are detected.
    table = sh.read(path)
    print(table)
    assert table.source == "ssb-csv"

    # Each variable is matched to the plugin's curated catalogue: an id, a unit and whether it adds up.
    for variable in table.variables.values():
        print(f"  {variable.id:<32} {variable.unit:<14} additive={variable.additive}  {variable.label}")

    # Regions became code + level; the KOSTRA comparison group is kept as a row of level "kostra_group"
    # (read with groups="drop" to leave such rows out), with its name in the metadata.
    print("levels:", table.levels(), "| not areas:", table.meta.extra.get("region_names"))

    # SSB's symbols are kept in the status column, never turned into numbers.
    print("statuses:", table.status_counts())
    for row in table.to_pylist():
        if row["status"] is not None:
            label = Status(row["status"]).label
            print(f"  {row['region']:>4} {row['year']} {row['variable']:<28} {row['status']:<3} {label}")
    assert table.where(region="0711", variable="waiting_list_substance_use").to_pylist()[0]["value"] == 0.0

    # Provenance: the file, its checksum and when it was read travel with the table.
    (source_file,) = table.provenance
    print(f"provenance: {Path(source_file.location).name} {source_file.checksum} {source_file.retrieved}")

    # Units convert whole columns at once: expenditure from thousands of kroner to millions.
    spending = table.variables_subset(["net_expenditure_substance_use"]).convert(
        "net_expenditure_substance_use", "million_NOK"
    )
    drammen = spending.where(region="0602").to_pylist()
    print("Drammen, net expenditure (mill. kr):", [(r["year"], round(r["value"], 1)) for r in drammen])

    # The file uses the 2019 map.  Municipalities harmonise to 2024 directly; the county (06 Buskerud)
    # went through Viken and was divided in 2024, which needs shares the file does not have.
    try:
        sh.harmonise(table, 2024)
    except SamhandlingError as error:
        print(f"\nthe county needs shares: {error}")
    municipal = sh.harmonise(table.where(level=["municipality", "national"]), 2024)
    print("on the 2024 map:", sorted(set(municipal.arrow.column("region").to_pylist())))

    # A quick look with pyarrow (table.arrow is a pyarrow.Table; to_pandas() and to_polars() hand the
    # same table to pandas or polars when those are installed), then Parquet to keep everything.
    nurses = table.where(level="municipality", variable="psychiatric_nurse_fte").arrow
    by_region = nurses.group_by("region").aggregate([("value", "sum")]).sort_by("region")
    print("\npsychiatric nurse FTEs, 2018 and 2019 together:")
    for region, fte in zip(by_region.column("region").to_pylist(), by_region.column("value_sum").to_pylist()):
        print(f"  {region}  {fte:8.1f}")
    written = sh.export(table, out / "kostra-12228.parquet")
    back = sh.read(written)
    assert back.equals(table)
    print(f"\nwritten and read back unchanged: {written}")


if __name__ == "__main__":
    main()
