"""Roll municipal FTEs up to counties, health trusts, DPS catchments and the country, per 10,000 adults.

How-to: docs/howto/roll-up.md.  Run it with ``python examples/roll_up_health_trusts.py``.

Needs: what the README's quick start installs (the library's demo data needs no plugin).

The input is the library's synthetic demo data for 2024 (made-up numbers of realistic size on the real
2024 municipality map; see docs/concepts/demo-data.md).  With real data, replace ``demo_inputs`` by
reading your survey file and SSB's population table 07459::

    survey = sh.read("is248-2024.xlsx")                  # samhandling-survey
    population = sh.read("07459.csv")                     # samhandling-kostra

Files are written to the folder in ``SAMHANDLING_EXAMPLE_OUT`` (default: a new temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

import samhandling as sh
from samhandling.errors import SamhandlingError
from samhandling.geography import Geography
from samhandling.report import demo_inputs

YEAR = 2024


def output_folder() -> Path:
    """Where the example writes its files."""
    folder = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def total(table: sh.StatTable) -> float:
    """The sum of the ordinary values of a table (suppressed and missing cells left out)."""
    return float(pc.sum(table.arrow.column("value")).as_py() or 0.0)


def main() -> None:
    out = output_folder()
    inputs = demo_inputs(YEAR, span=3)  # synthetic: survey, population, admissions for 2022–2024
    geography = Geography.for_year(YEAR)
    assert inputs.survey is not None
    assert inputs.population is not None

    # FTEs for adults, all professions together, per municipality and year.  The demo survey, like
    # the real one, has rows for Oslo's city districts (bydeler) as well as for Oslo as a whole.
    fte = inputs.survey.where(variable="fte", target_group="adults", profession="total")
    municipalities = fte.where(level="municipality")
    print("input:", fte)

    # Municipalities → counties: every municipality lies in exactly one county.
    county = sh.roll_up(fte, to="county")
    assert round(total(county), 6) == round(total(municipalities), 6), "a roll-up loses or invents nothing"
    print("counties:", county)

    # Municipalities → health trusts.  Oslo is served by four health trusts, split by city district:
    # the district rows say how much belongs to each, and roll_up uses them for Oslo only.
    trusts = sh.roll_up(fte, to="health_trust")
    assert round(total(trusts), 6) == round(total(municipalities), 6)
    print("health trusts:", trusts)

    # Without district rows the roll-up refuses to guess, and says what it needs.
    try:
        sh.roll_up(municipalities, to="health_trust")
    except SamhandlingError as error:
        print(f"\nwithout Oslo's districts: {error}\n")
    # Then either leave the split municipality out (and say so in the publication) …
    without_oslo = sh.roll_up(municipalities, to="health_trust", unassigned="exclude")
    print("left out:", without_oslo.meta.extra.get("roll_up_excluded"))
    # … or give the shares yourself, e.g. from SSB table 10826 (population by city district).
    # These shares are illustrative only.
    oslo_shares = {"ahus": 0.16, "diakonhjemmet": 0.22, "lovisenberg": 0.27, "ous": 0.35}
    weights = pa.table(
        {
            "region": ["0301"] * len(oslo_shares),
            "parent": list(oslo_shares),
            "weight": list(oslo_shares.values()),
        }
    )
    with_shares = sh.roll_up(municipalities, to="health_trust", weights=weights)
    assert round(total(with_shares), 6) == round(total(municipalities), 6)

    # The same for the DPS catchment areas (opptaksområder) and the four regional health authorities.
    # A few municipalities are divided between two DPSs (Holmestrand since the 2020 merger with Sande);
    # like Oslo above they need shares, or are left out and listed.
    dps = sh.roll_up(fte, to="dps", unassigned="exclude")
    regions = sh.roll_up(fte, to="health_region")
    print(f"{len(dps.where(year=YEAR))} DPS catchments; left out: {dps.meta.extra.get('roll_up_excluded')}")
    print(f"{len(regions.where(year=YEAR))} regional health authorities")

    # Rates per 10,000 inhabitants aged 18 and over: the population is rolled up the same way.
    rates = sh.per_10000(trusts, inputs.population, ages="18+")
    print("rate unit:", rates.unit_of("fte_per_10000"))
    latest = rates.where(year=YEAR).to_pylist()
    latest.sort(key=lambda row: row["value"] or 0.0, reverse=True)
    print(f"\nFTEs per 10,000 adults by health trust, {YEAR} (synthetic demo data):")
    for row in latest:
        name = geography.health_trust(row["region"]).name
        value = "   " + (row["status"] or "") if row["value"] is None else f"{row['value']:6.1f}"
        print(f"  {name:<45} {value}")

    national = sh.per_10000(sh.roll_up(fte, to="national"), inputs.population, ages="18+")
    print("\nnational:", [(r["year"], round(r["value"], 1)) for r in national.to_pylist()])

    written = [
        sh.export(rates, out / "fte-per-10000-adults-by-health-trust.parquet"),
        sh.export(rates, out / "fte-per-10000-adults-by-health-trust.csv"),
    ]
    print("\nwritten:", *written, sep="\n  ")


if __name__ == "__main__":
    main()
