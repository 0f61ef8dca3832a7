"""Hook specifications: the contract between samhandling and its plugins.

Every hook starts with ``samhandling_``.  Registration hooks receive a *registrar*: call it once per
object you contribute.  The host validates what you register, rejects a name that another plugin
already registered (naming both plugins) and records which plugin each object came from.

A plugin is a module (or object) with functions marked by :data:`hookimpl`::

    from samhandling import hookimpl

    @hookimpl
    def samhandling_register_sources(register):
        register(MySource())

and an entry point in the group ``samhandling.plugins`` so it is found when installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from samhandling.registry import Registrar
    from samhandling.sources import Source

PROJECT_NAME = "samhandling"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks the specifications in this module (plugins do not need it)."""
#: Mark a function as the implementation of a samhandling hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Mark a function as the implementation of a samhandling hook: ``@hookimpl`` on a function whose name
is the hook's name.  Pluggy's options work too, e.g. ``@hookimpl(tryfirst=True)``."""


# -------------------------------------------------------------------------------------------------
# Data sources and exporters
# -------------------------------------------------------------------------------------------------


@hookspec
def samhandling_register_sources(register: Registrar) -> None:
    """Register data sources that read a location into a StatTable.

    Called once per plugin manager, the first time its registry is used.

    :param register: call ``register(source)`` for each source; a source has ``name``,
        ``description``, ``can_read(location) -> bool`` and ``read(location, **options) -> StatTable``
        (see :class:`samhandling.sources.Source`).

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def samhandling_select_source(location: str | Path, candidates: Sequence[Source]) -> Source | None:
    """Choose which registered source reads ``location`` when the user did not name one.

    Called by :func:`samhandling.read` for each read without ``source=``.  The first non-``None``
    answer wins; the built-in fallback (``trylast``) takes the first candidate whose
    ``can_read(location)`` is true, so a plugin can take over the choice for the files it knows.

    :param location: a path or URL as given by the user.
    :param candidates: every registered source, built-ins first.
    :returns: the source to use, or ``None`` to let the next implementation decide.

    .. versionadded:: 0.1
    """


@hookspec
def samhandling_register_exporters(register: Registrar) -> None:
    """Register exporters that write a StatTable to a file format.

    Called once per plugin manager, the first time its registry is used.

    :param register: call ``register(exporter)`` for each exporter; an exporter has ``name``,
        ``description``, ``suffixes`` (e.g. ``(".parquet",)``) and
        ``write(table, destination, **options) -> Path`` (see :class:`samhandling.exporters.Exporter`).

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Quality assurance of the data (kvalitetssikring av datagrunnlaget)
# -------------------------------------------------------------------------------------------------


@hookspec
def samhandling_register_checks(register: Registrar) -> None:
    """Register quality checks that inspect a StatTable and return findings.

    Called once per plugin manager, the first time its registry is used.

    :param register: call ``register(check)`` for each check; a check has ``name``, ``description``
        and ``run(table, context) -> Iterable[Finding]`` (see :class:`samhandling.checks.Check`).

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Catalogues: target groups, service kinds, specialist-care units, variables, units
# -------------------------------------------------------------------------------------------------


@hookspec
def samhandling_register_target_groups(register: Registrar) -> None:
    """Add target groups (målgrupper) to the catalogue.

    Called once per plugin manager, the first time its registry is used.

    :param register: call ``register(target_group)`` with a :class:`samhandling.model.TargetGroup`.

    .. versionadded:: 0.1
    """


@hookspec
def samhandling_register_service_kinds(register: Registrar) -> None:
    """Add kinds of service (e.g. a local low-threshold offer) to the catalogue.

    Called once per plugin manager, the first time its registry is used.

    :param register: call ``register(service_kind)`` with a :class:`samhandling.model.ServiceKind`.

    .. versionadded:: 0.1
    """


@hookspec
def samhandling_register_care_units(register: Registrar) -> None:
    """Add specialist-care units (DPS wards, substance-use units, BUP) that admissions are counted by.

    Called once per plugin manager, the first time its registry is used.

    :param register: call ``register(care_unit)`` with a :class:`samhandling.model.CareUnit`.

    .. versionadded:: 0.1
    """


@hookspec
def samhandling_register_variables(register: Registrar) -> None:
    """Add indicator variables (id, unit, additivity, parts of a rate) to the catalogue.

    Called once per plugin manager, the first time its registry is used.  A variable that counts people
    (users, patients, admissions …) must say so with ``counts_people=True``: every publication then
    hides its small counts (see :mod:`samhandling.disclosure`), also in tables that forget the flag.

    :param register: call ``register(variable)`` with a :class:`samhandling.tables.Variable`.

    .. versionadded:: 0.1
    """


@hookspec
def samhandling_register_units(register: Registrar) -> None:
    """Add unit definitions to the library's one pint registry.

    Called once per plugin manager, the first time its registry is used, before variables are
    registered (so a variable may use a unit its plugin defines).

    :param register: call ``register("definition")`` with a line in pint's definition syntax,
        e.g. ``"vedtak = [decision]"``.

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Command line
# -------------------------------------------------------------------------------------------------


@hookspec
def samhandling_register_commands(register: Registrar) -> None:
    """Add sub-commands to the ``samhandling`` command.

    Called when the command line starts.

    :param register: call ``register(command)`` with a :class:`click.Command`.

    .. versionadded:: 0.1
    """
