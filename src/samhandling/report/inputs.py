"""What a report is built from: the tables and the agreement register, read and checked up front.

:class:`ReportInputs` holds the inputs as the library's own objects (StatTables and an
:class:`~samhandling.report.agreements.AgreementRegister`); :func:`load_inputs` reads them from files
with the registered source plugins, so that a missing or unreadable file is reported before any work
starts, naming the file and the role it was given for (``--survey``, ``--kostra`` …).
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from samhandling.errors import SamhandlingError, SchemaError, SourceError
from samhandling.report.agreements import AgreementRegister, read_agreements
from samhandling.report.teams import TeamRegister, read_teams
from samhandling.tables import Provenance, StatTable

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager

__all__ = ["ROLES", "InputError", "ReportInputs", "load_inputs"]

#: The inputs of a report: role → (command-line option, what it must hold).
ROLES: dict[str, tuple[str, str]] = {
    "survey": ("--survey", "the IS-24/8 survey: variable 'fte' with columns 'profession' and 'target_group'"),
    "population": ("--kostra", "SSB/KOSTRA population: variable 'population' with an 'age' column"),
    "admissions": ("--nimes", "NIMES admissions: variable 'admissions' with a 'unit_type' column"),
    "capacity": ("--capacity", "service capacity: variable 'ohd_beds' (places)"),
    "outcomes": (
        "--outcomes",
        "before/after outcomes of team patients: variables such as 'acute_admissions', 'bed_days' and "
        "'involuntary_stays' with columns 'patient_group' and 'period'",
    ),
    "agreements": ("--agreements", "an agreement register in TOML, JSON or CSV"),
    "teams": ("--teams", "a team register in TOML or JSON, or a list of team patients in CSV"),
    "kostra_groups": (
        "--kostra-groups",
        "which KOSTRA group each municipality is in: SSB's KLASS 112 export or correspondence, or a CSV "
        "with columns kommune and kostragruppe",
    ),
}


class InputError(SourceError):
    """An input of the report is missing or does not hold what its role needs (names file and role)."""


@typing.final
@attrs.frozen(kw_only=True)
class ReportInputs:
    """Everything one yearly report is computed from.

    ``survey`` and ``population`` are required to compute FTEs per 10,000 inhabitants; the other inputs
    are optional, and the sections that need them say so in the report when they are missing.
    ``synthetic`` marks demo data, which the report labels on every page and in every data file.

    Fields: ``year`` (every table is harmonised onto this year's municipality map); ``survey`` (FTEs by
    profession and target group, and optionally the survey's yes/no answers); ``population``
    (inhabitants by municipality, year and age); ``admissions`` (by home municipality and unit type);
    ``capacity`` (ØHD places by municipality, added to the places of the register's ØHD units);
    ``register`` (cooperation agreements and services); ``teams`` (cooperation teams with their
    positions and patients); ``outcomes`` (the team patients' use of inpatient care before and after
    they joined, against other patients); ``synthetic`` (made-up inputs; also true when any table's
    provenance says so, see :attr:`is_synthetic`).
    """

    year: int
    survey: StatTable | None = None
    population: StatTable | None = None
    admissions: StatTable | None = None
    capacity: StatTable | None = None
    register: AgreementRegister | None = None
    teams: TeamRegister | None = None
    outcomes: StatTable | None = None
    synthetic: bool = False

    def tables(self) -> dict[str, StatTable]:
        """The tables given, by role, in the order of :data:`ROLES`."""
        found = {
            "survey": self.survey,
            "population": self.population,
            "admissions": self.admissions,
            "capacity": self.capacity,
            "outcomes": self.outcomes,
        }
        return {role: table for role, table in found.items() if table is not None}

    @property
    def is_synthetic(self) -> bool:
        """Whether the report is built from made-up numbers: ``synthetic``, or any table whose provenance
        (or metadata) says it is synthetic.  Every output built from such inputs says so."""
        return self.synthetic or any(table.synthetic for table in self.tables().values())

    def check(self) -> None:
        """Raise :class:`InputError` naming the role when a required input is missing or incomplete."""
        needs = {
            "survey": ("fte", ("target_group",)),
            "population": ("population", ()),
            "admissions": ("admissions", ("unit_type",)),
            "capacity": ("ohd_beds", ()),
            "outcomes": (None, ("patient_group", "period")),
        }
        for role in ("survey", "population"):
            if getattr(self, role) is None:
                option, what = ROLES[role]
                raise InputError(f"the report needs {option} ({what}); none was given")
        survey = self.survey
        assert survey is not None
        if self.year not in survey.years():
            raise InputError(
                f"--survey {_where(survey)}: has no figures for the report year {self.year} "
                f"(years found: {', '.join(map(str, survey.years())) or 'none'})"
            )
        for role, table in self.tables().items():
            variable, columns = needs[role]
            option, what = ROLES[role]
            where = _where(table)
            if variable is not None and variable not in table.variable_ids():
                raise InputError(
                    f"{option} {where}: has no variable {variable!r} (found {table.variable_ids()[:8]}); "
                    f"expected {what}"
                )
            missing = [c for c in columns if c not in table.columns]
            if missing:
                raise InputError(f"{option} {where}: has no column {missing[0]!r}; expected {what}")


def _where(table: StatTable) -> str:
    locations = [p.location for p in table.provenance if p.location]
    return ", ".join(locations) if locations else f"({table.source or 'unnamed table'})"


def _read_all(
    role: str, paths: Sequence[str | Path], plugin_manager: PluginManager | None, year: int
) -> StatTable | None:
    if not paths:
        return None
    from samhandling.sources import read

    option = ROLES[role][0]
    tables = []
    for path in paths:
        if not Path(path).exists():
            raise InputError(f"{option} {path}: no such file")
        try:
            # a key entered twice is set aside and reported as a finding, not a reason to stop
            table = read(path, plugin_manager=plugin_manager, allow_duplicates=True)
        except SamhandlingError as exc:
            raise InputError(f"{option} {path}: {exc}") from exc
        if not any(p.location == str(path) for p in table.provenance):
            # The file the user gave is part of the provenance, whatever the source recorded before.
            given = Provenance.for_file(table.source or "file", path, note=f"given as {option}")
            table = table.with_arrow(table.arrow, provenance=(*table.provenance, given))
        tables.append(_on_map(role, table, year))
    if len(tables) == 1:
        return tables[0]
    return _stack(role, tables)


def _on_map(role: str, table: StatTable, year: int) -> StatTable:
    """The table on the report year's map; the error names the file.

    Rows the report cannot use (a code not on the file's map, a row entered twice) are set aside first
    and recorded in the table (:mod:`samhandling.report.screening`), so that a typing error in one row
    becomes a finding in the report instead of stopping it.
    """
    from samhandling.report.screening import screen

    table = screen(table)
    if table.geography_year in (None, year):
        return table
    from samhandling.geography import harmonise

    try:
        return harmonise(table, year)
    except SamhandlingError as exc:
        raise InputError(f"{ROLES[role][0]} {_where(table)}: cannot be put on the {year} map: {exc}") from exc


def _stack(role: str, tables: Sequence[StatTable]) -> StatTable:
    """One table from several files (e.g. one survey file per year), all on the report year's map."""
    try:
        return StatTable.concat(tables)
    except SchemaError as exc:
        raise InputError(f"{ROLES[role][0]}: the files cannot be combined: {exc}") from exc


def load_inputs(
    year: int,
    *,
    survey: Iterable[str | Path] = (),
    kostra: Iterable[str | Path] = (),
    nimes: Iterable[str | Path] = (),
    capacity: Iterable[str | Path] = (),
    agreements: Iterable[str | Path] = (),
    teams: Iterable[str | Path] = (),
    outcomes: Iterable[str | Path] = (),
    plugin_manager: PluginManager | None = None,
) -> ReportInputs:
    """Read the report's input files with the registered sources and check them.

    Each argument takes one or more files (e.g. one survey file per year).  ``kostra`` files give the
    population; ``agreements`` are registers read by
    :func:`~samhandling.report.agreements.read_agreements`.

    Each file is added to its table's provenance (with its checksum).  If any table says it holds
    synthetic data (a provenance entry with ``synthetic=True``, or ``meta.extra["synthetic"]``), the
    inputs are marked synthetic and every output of the report says so.  ``teams`` takes team registers
    (TOML, JSON) and lists of team patients (CSV), ``outcomes`` the before/after table of the team
    patients' inpatient care.

    :raises InputError: a file is missing, cannot be read or lacks what its role needs.
    """
    register = None
    agreement_paths = list(agreements)
    for path in agreement_paths:
        if not Path(path).exists():
            raise InputError(f"--agreements {path}: no such file")
    if agreement_paths:
        try:
            register = read_agreements(agreement_paths)
        except SamhandlingError as exc:
            raise InputError(f"--agreements: {exc}") from exc
    team_register = None
    team_paths = list(teams)
    for path in team_paths:
        if not Path(path).exists():
            raise InputError(f"--teams {path}: no such file")
    if team_paths:
        try:
            team_register = read_teams(team_paths)
        except SamhandlingError as exc:
            raise InputError(f"--teams: {exc}") from exc
    tables = {
        "survey": _read_all("survey", list(survey), plugin_manager, year),
        "population": _read_all("population", list(kostra), plugin_manager, year),
        "admissions": _read_all("admissions", list(nimes), plugin_manager, year),
        "capacity": _read_all("capacity", list(capacity), plugin_manager, year),
        "outcomes": _read_all("outcomes", list(outcomes), plugin_manager, year),
    }
    # Synthetic data stays labelled as such, also when it comes back from files.
    synthetic = any(t.synthetic for t in tables.values() if t is not None)
    inputs = ReportInputs(
        year=year,
        survey=tables["survey"],
        population=tables["population"],
        admissions=tables["admissions"],
        capacity=tables["capacity"],
        register=register,
        teams=team_register,
        outcomes=tables["outcomes"],
        synthetic=synthetic,
    )
    inputs.check()
    return inputs
