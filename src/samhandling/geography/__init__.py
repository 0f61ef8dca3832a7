"""Year-aware geography: municipalities, counties, districts and specialist-care catchments, 2017–2026.

Analysts compare years across the 2018, 2020 and 2024 municipal and county reforms and group
municipalities by the health trust (HF) and DPS that serve them.  This package holds the public
reference data for that (see ``docs/reference-data.md`` for every source, year by year) and its tools::

    from samhandling.geography import Geography, harmonise

    geo = Geography.for_year(2024)
    geo.municipality("bodo")                 # Municipality(code='1804', name='Bodø', ...)
    geo.health_trust_of("3305")              # Vestre Viken HF serves Ringerike (adult mental health)
    geo.health_trust_of("4635", kind="bup")  # Helse Førde serves Gulen's children and young people
    geo.catchment_basis("0402")              # published, recorded or derived, and from which source
    lineage("0605")                          # 0605 → 3007 (2020) → 3305 (2024)
    restorations()                           # 1534 Haram (2019) is 1580 Haram (2024)
    harmonise(table, to_year=2024)           # every row on the 2024 codes
    add_year(2027, codes=..., changes=...)   # a later year from SSB's KLASS files, no release needed

The population the library ships (SSB tables 07459 and 10826) is :mod:`samhandling.geography.population`.
Rolling up to counties, health trusts and DPSs and rates per 10,000 live in :mod:`samhandling.aggregate`.
"""

from __future__ import annotations

from samhandling.geography._data import FIRST_YEAR, LAST_YEAR, SHIPPED_YEARS, YEARS
from samhandling.geography._geography import (
    CATCHMENT_YEARS,
    DISTRICT_YEARS,
    NATIONAL_CODE,
    ROLL_UP_LEVELS,
    Area,
    CatchmentBasis,
    CatchmentException,
    Geography,
    SplitAreaError,
)
from samhandling.geography._harmonise import harmonise, split_weights
from samhandling.geography.changes import (
    ChangeKind,
    CodeChange,
    DistrictChange,
    DistrictChangeKind,
    Restoration,
    RestorationKind,
    Split,
    compose,
    district_changes,
    district_successor,
    history,
    lineage,
    restorations,
    step_table,
    story,
    where_from,
)
from samhandling.geography.changes import changes as code_changes
from samhandling.geography.lookup import name_key
from samhandling.geography.years import add_year, load_years, remove_year
from samhandling.model import CatchmentKind

__all__ = [
    "CATCHMENT_YEARS",
    "DISTRICT_YEARS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "NATIONAL_CODE",
    "ROLL_UP_LEVELS",
    "SHIPPED_YEARS",
    "YEARS",
    "Area",
    "CatchmentBasis",
    "CatchmentException",
    "CatchmentKind",
    "ChangeKind",
    "CodeChange",
    "DistrictChange",
    "DistrictChangeKind",
    "Geography",
    "Restoration",
    "RestorationKind",
    "Split",
    "SplitAreaError",
    "add_year",
    "code_changes",
    "compose",
    "district_changes",
    "district_successor",
    "harmonise",
    "history",
    "lineage",
    "load_years",
    "name_key",
    "remove_year",
    "restorations",
    "split_weights",
    "step_table",
    "story",
    "where_from",
]
