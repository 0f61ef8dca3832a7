"""The built-in catalogues: target groups, kinds of service and core variables.

Registered as a built-in plugin through the same hooks a third party uses to extend them.  Look the
catalogues up with :func:`target_groups`, :func:`service_kinds`, :func:`care_units` and
:func:`variables`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from samhandling.hookspecs import hookimpl
from samhandling.model import BUILTIN_SERVICE_KINDS, BUILTIN_TARGET_GROUPS, CareUnit, ServiceKind, TargetGroup
from samhandling.registry import Catalogue, Registrar
from samhandling.tables import Variable

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager

__all__ = ["CORE_VARIABLES", "care_units", "service_kinds", "target_groups", "variables"]

#: Variables every part of the library may use.
CORE_VARIABLES: tuple[Variable, ...] = (
    Variable(
        id="population",
        unit="person",
        additive=True,
        label="Folkemengde 1. januar",
        description="Inhabitants on 1 January (SSB table 07459), by age where a column says so.",
    ),
)
"""Variables every part of the library may use (the population denominator of rates).

``population`` is not marked ``counts_people``: SSB publishes the population register's head counts
down to single years of age in every municipality (table 07459), so they are public knowledge, and
disclosure control treats them as what an outsider already knows (the denominator of a rate).
"""


@hookimpl
def samhandling_register_target_groups(register: Registrar) -> None:
    for group in BUILTIN_TARGET_GROUPS:
        register(group)


@hookimpl
def samhandling_register_service_kinds(register: Registrar) -> None:
    for kind in BUILTIN_SERVICE_KINDS:
        register(kind)


@hookimpl
def samhandling_register_variables(register: Registrar) -> None:
    for variable in CORE_VARIABLES:
        register(variable)


def _registry(plugin_manager: PluginManager | None):  # type: ignore[no-untyped-def]
    from samhandling.plugins import resolve_plugin_manager

    return resolve_plugin_manager(plugin_manager).registry


def target_groups(plugin_manager: PluginManager | None = None) -> Catalogue[TargetGroup]:
    """All target groups: built-in and from plugins."""
    return _registry(plugin_manager).target_groups  # type: ignore[no-any-return]


def service_kinds(plugin_manager: PluginManager | None = None) -> Catalogue[ServiceKind]:
    """All kinds of service: built-in and from plugins."""
    return _registry(plugin_manager).service_kinds  # type: ignore[no-any-return]


def care_units(plugin_manager: PluginManager | None = None) -> Catalogue[CareUnit]:
    """All specialist-care units registered by plugins (e.g. the NIMES source's unit catalogue)."""
    return _registry(plugin_manager).care_units  # type: ignore[no-any-return]


def variables(plugin_manager: PluginManager | None = None) -> Catalogue[Variable]:
    """All indicator variables registered by plugins."""
    return _registry(plugin_manager).variables  # type: ignore[no-any-return]
