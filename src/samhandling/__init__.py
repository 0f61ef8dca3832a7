"""samhandling: data tools for Norway's municipal mental-health and substance-use work.

The everyday entry points are importable from here::

    import samhandling as sh

    table = sh.read("kostra.csv")                     # a source plugin reads it into a StatTable
    table = sh.harmonise(table, to_year=2024)         # onto one year's municipality map
    county = sh.roll_up(table, to="county")           # municipalities → counties
    sh.export(county, "county.parquet")               # an exporter plugin writes it

Names are loaded on first use, so ``import samhandling`` stays fast.  What is here:

- tables and units: :class:`StatTable`, :class:`Variable`, :class:`TableMeta`, :class:`Provenance`,
  :class:`Status`, :class:`Level`, ``ureg`` and ``Quantity`` (the one pint registry);
- reading, writing, checking: :func:`read`, :func:`export`, :func:`run_checks`, :class:`Finding`;
- geography: :class:`Geography`, :func:`harmonise`, :func:`roll_up` (with :func:`coverage_table`),
  :func:`per_10000`, :func:`weighted_average` (rates over KOSTRA groups and other groups of areas);
- disclosure control: :func:`protect` (:mod:`samhandling.disclosure` has the rules and the verifier);
- plugins: :data:`hookimpl`, :func:`get_plugin_manager`, :func:`list_plugins`.

The domain objects (municipalities, services, agreements, teams) are in :mod:`samhandling.model`,
the library's exceptions in :mod:`samhandling.errors`.  ``help()`` on any of these names explains it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from samhandling._lazy import lazy_names

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    # tables and units
    "StatTable": "samhandling.tables",
    "Variable": "samhandling.tables",
    "Provenance": "samhandling.tables",
    "TableMeta": "samhandling.tables",
    "Status": "samhandling.tables",
    "ureg": "samhandling.units",
    "Quantity": "samhandling.units",
    "Level": "samhandling.levels",
    # plugins
    "hookimpl": "samhandling.hookspecs",
    "get_plugin_manager": "samhandling.plugins",
    "list_plugins": "samhandling.plugins",
    "read": "samhandling.sources",
    "export": "samhandling.exporters",
    "run_checks": "samhandling.checks",
    "Finding": "samhandling.checks",
    # geography
    "Geography": "samhandling.geography",
    "harmonise": "samhandling.geography",
    "roll_up": "samhandling.aggregate",
    "per_10000": "samhandling.aggregate",
    "weighted_average": "samhandling.averages",
    "coverage_table": "samhandling.aggregate",
    # disclosure control
    "protect": "samhandling.disclosure",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_names(globals(), _LAZY)


if TYPE_CHECKING:  # names for type checkers and IDEs; at run time they load lazily
    from samhandling.aggregate import coverage_table as coverage_table
    from samhandling.aggregate import per_10000 as per_10000
    from samhandling.aggregate import roll_up as roll_up
    from samhandling.averages import weighted_average as weighted_average
    from samhandling.checks import Finding as Finding
    from samhandling.checks import run_checks as run_checks
    from samhandling.disclosure import protect as protect
    from samhandling.exporters import export as export
    from samhandling.geography import Geography as Geography
    from samhandling.geography import harmonise as harmonise
    from samhandling.hookspecs import hookimpl as hookimpl
    from samhandling.levels import Level as Level
    from samhandling.plugins import get_plugin_manager as get_plugin_manager
    from samhandling.plugins import list_plugins as list_plugins
    from samhandling.sources import read as read
    from samhandling.tables import Provenance as Provenance
    from samhandling.tables import StatTable as StatTable
    from samhandling.tables import Status as Status
    from samhandling.tables import TableMeta as TableMeta
    from samhandling.tables import Variable as Variable
    from samhandling.units import Quantity as Quantity
    from samhandling.units import ureg as ureg
