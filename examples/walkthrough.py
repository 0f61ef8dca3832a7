# %% [markdown]
# # samhandling in one sitting
#
# A notebook-style tour: the cells (`# %%`) run one by one in VS Code, PyCharm, Spyder or Jupyter
# (through Jupytext), or all at once with `python examples/walkthrough.py`.
#
# 1. the geography: codes, names, reforms and who serves whom;
# 2. the domain model: services, agreements, teams;
# 3. a StatTable from a downloaded SSB file;
# 4. harmonise, roll up, rates per 10,000;
# 5. quality checks and export.
#
# The figures are synthetic (the library's demo data and the files in `examples/data/`); the codes,
# names, reforms and catchment areas are real.
#
# Needs: what the README's quick start installs (the samhandling-kostra plugin reads the SSB files).

# %%
from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import samhandling as sh
from samhandling.errors import AmbiguousNameError
from samhandling.geography import Geography, story
from samhandling.model import Agreement, Party, Position, Service, ServiceLevel, StatutorySubject, Team
from samhandling.units import Quantity, parse_quantity

HERE = Path(__file__).parent if "__file__" in globals() else Path("examples")
OUT = Path(os.environ.get("SAMHANDLING_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="samhandling-"))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## 1. Geography
#
# `Geography.for_year(year)` is the map of one year, 2017–2026: municipalities, counties, city
# districts, health regions and trusts, DPS and their catchment areas. Names are looked up forgivingly
# but never guessed.

# %%
geo = Geography.for_year(2024)
print(geo)
print(len(geo.municipalities), "municipalities,", len(geo.counties), "counties,", len(geo.dps), "DPS")
print(geo.municipality("bodo"))  # ASCII spelling is fine
print(geo.health_trust_of("3305").name, "/", geo.dps_of("3305").name)  # who serves Ringerike
try:
    geo.municipality("Våler")  # two municipalities have that name
except AmbiguousNameError as error:
    print(type(error).__name__, "—", error)

# %% [markdown]
# Code changes between years, from SSB's classification of municipalities:

# %%
for change in story("0605"):
    print(change.year, change.kind.value, change.old_codes, "→", change.new_codes)

# %% [markdown]
# ## 2. The domain model
#
# Objects describe the world; tables count. An ØHD unit run by three municipalities, the cooperation
# agreement with the health trust, and a joint team — each checked when made.

# %%
ohd = Service(
    name="ØHD Ringeriksregionen",
    kind="ohd",
    provider="Ringerike kommune (vertskommune)",
    level=ServiceLevel.INTER_MUNICIPAL,
    capacity=parse_quantity("4 plasser"),
    municipalities=("3305", "3310", "3236"),
    start=dt.date(2017, 1, 1),
)
print(ohd.is_inter_municipal, ohd.capacity)

agreement = Agreement(
    id="ringerike-vv",
    kind="cooperation_agreement",
    title="Samarbeidsavtale mellom Ringerike kommune og Vestre Viken HF",
    parties=(
        Party.municipality("3305", "Ringerike kommune"),
        Party.health_trust("vestre-viken", "Vestre Viken HF"),
    ),
    valid_from="2012-01-31",
    subjects={1, 2, 3, 4, 5, 6, 7, 10, 11},
)
# § 6-2 has had 13 subjects since 1 August 2022, required of the agreements from 1 July 2023
print(
    "missing § 6-2 subjects in 2024:",
    [s.label_en for s in agreement.missing_subjects(on=dt.date(2024, 1, 1))],
)
assert agreement.missing_subjects(on=dt.date(2021, 1, 1)) == (
    StatutorySubject.MIDWIFERY,
    StatutorySubject.ICT,
)

team = Team(
    name="Samhandlingsteam",
    kind="samhandlingsteam",
    positions=(
        Position(
            profession="teamleder", employer="Ringerike kommune", employer_level="municipal", percent=100
        ),
        Position(profession="psykolog", employer="Vestre Viken HF", employer_level="specialist", percent=50),
        Position(profession="IPS-jobbspesialist", employer="NAV", employer_level="nav", percent=20),
    ),
    municipalities=("3305",),
)
print("team FTEs:", team.fte_total(), dict(team.fte_by_level()))
assert team.fte_total() == Quantity(1.7, "årsverk")

# %% [markdown]
# ## 3. A StatTable from a downloaded file
#
# `sh.read` picks the source plugin that understands the file (here samhandling-kostra's `ssb-csv`).
# The result is long: one row per number, SSB's symbols in `status`, units in the metadata.

# %%
population_2024 = sh.read(HERE / "data" / "07459-population-2024.csv")
print(population_2024)
print(population_2024.arrow.slice(0, 4).to_pylist())
print(population_2024.variable("population"))

# %% [markdown]
# ## 4. Harmonise, roll up, rates
#
# The demo survey is on the 2024 map already; the 2019 population file is not, and is harmonised
# (Drammen, Nedre Eiker and Svelvik add up to today's Drammen).

# %%
population_2019 = sh.read(HERE / "data" / "07459-population-2019.csv")
on_2024_map = sh.harmonise(population_2019, 2024, population=population_2024)
print(sorted(set(on_2024_map.arrow.column("region").to_pylist())))

# %%
from samhandling.report import demo_inputs  # noqa: E402 (kept next to where it is used)

demo = demo_inputs(2024, span=2)  # synthetic survey, population and admissions, 2023–2024
assert demo.survey is not None
assert demo.population is not None
fte = demo.survey.where(variable="fte", profession="total", target_group="adults")
trusts = sh.roll_up(fte, to="health_trust")  # Oslo is shared out by its city-district rows
rates = sh.per_10000(trusts, demo.population, ages="18+")
for row in sorted(rates.where(year=2024).to_pylist(), key=lambda r: -(r["value"] or 0))[:5]:
    print(f"{geo.health_trust(row['region']).name:<40} {row['value']:5.1f} FTEs per 10,000 adults")

# %% [markdown]
# ## 5. Check and export
#
# The quality checks look for sums that do not add up, impossible values, jumps from last year and
# missing codes; the FTEs-per-10,000 check needs the population.

# %%
from collections import Counter  # noqa: E402

from samhandling.checks import CheckContext  # noqa: E402

findings = sh.run_checks(
    demo.survey.where(level="municipality"), context=CheckContext(population=demo.population)
)
print(Counter(str(f.severity) for f in findings))
for finding in findings[:5]:
    print(finding.severity, finding.rule, finding.region, finding.year, finding.message[:80])

# %%
paths = [
    sh.export(rates, OUT / f"fte-per-10000-by-trust{suffix}") for suffix in (".parquet", ".csv", ".json")
]
print(*paths, sep="\n")
assert sh.read(paths[0]).equals(rates)  # Parquet keeps everything
