"""samhandling-kostra: SSB statistics (KOSTRA and statbank tables) as a samhandling source plugin.

Three ways in, one StatTable out:

* files downloaded from SSB's statbank — CSV in any layout SSB writes (:func:`read_statbank_csv`),
  JSON-stat 2.0 and 1.x (:func:`read_jsonstat`) and PX (:func:`read_px`);
* SSB's API, PxWebApi v2 (:class:`PxWebClient`), with selections, split queries, a rate limit and a
  disk cache;
* ``samhandling.read(path_or_url)``, which picks the right one of the sources ``ssb-csv``,
  ``jsonstat``, ``ssb-px`` and ``ssb-api`` this plugin registers.

The curated variable catalogue (:data:`CATALOGUE`) maps the SSB statistics the field uses to indicator
ids with units and additivity; it is registered through ``samhandling_register_variables``.  Modules
are imported when first used, so loading the plugin costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from samhandling.hookspecs import hookimpl

if TYPE_CHECKING:
    from samhandling.registry import Registrar
    from samhandling_kostra.catalogue import CATALOGUE as CATALOGUE
    from samhandling_kostra.catalogue import CatalogueEntry as CatalogueEntry
    from samhandling_kostra.jsonstat import read_jsonstat as read_jsonstat
    from samhandling_kostra.px import read_px as read_px
    from samhandling_kostra.pxweb import PxWebClient as PxWebClient
    from samhandling_kostra.pxweb import PxWebError as PxWebError
    from samhandling_kostra.pxweb import RateLimitError as RateLimitError
    from samhandling_kostra.pxweb import SelectionError as SelectionError
    from samhandling_kostra.regions import RegionLabel as RegionLabel
    from samhandling_kostra.regions import parse_region_label as parse_region_label
    from samhandling_kostra.statbank import read_statbank_csv as read_statbank_csv

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "CATALOGUE": "samhandling_kostra.catalogue",
    "CatalogueEntry": "samhandling_kostra.catalogue",
    "read_jsonstat": "samhandling_kostra.jsonstat",
    "read_statbank_csv": "samhandling_kostra.statbank",
    "read_px": "samhandling_kostra.px",
    "PxWebClient": "samhandling_kostra.pxweb",
    "PxWebError": "samhandling_kostra.pxweb",
    "RateLimitError": "samhandling_kostra.pxweb",
    "SelectionError": "samhandling_kostra.pxweb",
    "RegionLabel": "samhandling_kostra.regions",
    "parse_region_label": "samhandling_kostra.regions",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'samhandling_kostra' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # pluggy finds the hook implementations through dir(): keep the module's own names visible.
    return sorted({*globals(), *__all__})


@hookimpl
def samhandling_register_sources(register: Registrar) -> None:
    """Register ``ssb-csv``, ``jsonstat``, ``ssb-px`` and ``ssb-api``."""
    from samhandling_kostra.sources import JsonStatSource, PxSource, PxWebSource, StatbankCsvSource

    register(StatbankCsvSource())
    register(JsonStatSource())
    register(PxSource())
    register(PxWebSource())


@hookimpl
def samhandling_register_variables(register: Registrar) -> None:
    """Register the curated SSB variables (population is the core library's own)."""
    from samhandling_kostra.catalogue import registered_variables

    for variable in registered_variables():
        register(variable)
