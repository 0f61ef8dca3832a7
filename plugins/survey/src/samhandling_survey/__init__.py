"""samhandling-survey: the yearly municipal survey of mental-health and substance-use work (IS-24/8).

Each year every municipality reports its full-time equivalents (årsverk) by profession, education and
target group, and answers questions about its services and cooperation.  This plugin reads those files
(CSV or XLSX, Norwegian headers that change between years) with a declarative column specification per
survey year, into StatTables with the same variable ids every year::

    import samhandling as sh
    from samhandling_survey import read_survey, read_survey_series, fte_per_10000

    t2023 = sh.read("is248-2023.xlsx")                          # the "survey" source
    series = read_survey_series(["is248-2022.csv", "is248-2023.xlsx"])
    rates = fte_per_10000(t2023, population)                    # all ages, 18+, 0–17
    findings = sh.run_checks(series)

It registers the ``survey`` source, the survey's variables and the ``fte-per-10000`` check (FTEs per
10,000 inhabitants outside a plausible band, computed with the population given to the checks).
"""

from __future__ import annotations

import importlib
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from samhandling.hookspecs import hookimpl
from samhandling.registry import Registrar

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "SurveySpec": "samhandling_survey.spec",
    "ColumnSpec": "samhandling_survey.spec",
    "Layout": "samhandling_survey.spec",
    "RegionSpec": "samhandling_survey.spec",
    "copy_spec": "samhandling_survey.spec",
    "shipped_years": "samhandling_survey.spec",
    "spec_text": "samhandling_survey.spec",
    "read_survey": "samhandling_survey.reader",
    "read_survey_series": "samhandling_survey.reader",
    "sniff_survey": "samhandling_survey.reader",
    "fte_per_10000": "samhandling_survey.derived",
    "FtePer10000": "samhandling_survey.derived",
    "SURVEY_VARIABLES": "samhandling_survey.variables",
    "PROFESSIONS": "samhandling_survey.variables",
    "TARGET_GROUPS": "samhandling_survey.variables",
    "example_files": "samhandling_survey.example",
    "write_example_files": "samhandling_survey.example",
}

__all__ = ["SurveySource", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'samhandling_survey' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # pluggy finds the hook implementations through dir(), so the module's own names stay listed.
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from samhandling.tables import StatTable
    from samhandling_survey.derived import FtePer10000 as FtePer10000
    from samhandling_survey.derived import fte_per_10000 as fte_per_10000
    from samhandling_survey.example import example_files as example_files
    from samhandling_survey.example import write_example_files as write_example_files
    from samhandling_survey.reader import read_survey as read_survey
    from samhandling_survey.reader import read_survey_series as read_survey_series
    from samhandling_survey.reader import sniff_survey as sniff_survey
    from samhandling_survey.spec import ColumnSpec as ColumnSpec
    from samhandling_survey.spec import Layout as Layout
    from samhandling_survey.spec import RegionSpec as RegionSpec
    from samhandling_survey.spec import SurveySpec as SurveySpec
    from samhandling_survey.spec import copy_spec as copy_spec
    from samhandling_survey.spec import shipped_years as shipped_years
    from samhandling_survey.spec import spec_text as spec_text
    from samhandling_survey.variables import PROFESSIONS as PROFESSIONS
    from samhandling_survey.variables import SURVEY_VARIABLES as SURVEY_VARIABLES
    from samhandling_survey.variables import TARGET_GROUPS as TARGET_GROUPS


@typing.final
class SurveySource:
    """The ``survey`` source: IS-24/8 files (CSV/XLSX), or a folder of them read as one time series.

    Options of :meth:`read`: ``year`` (pick the shipped spec of that year), ``spec`` (a
    :class:`~samhandling_survey.spec.SurveySpec` or the path of a spec TOML file), ``sheet`` (XLSX),
    and for a folder ``to_year`` (harmonise every year onto that year's map).
    """

    name = "survey"
    description = "IS-24/8 survey of municipal mental-health and substance-use work (CSV, XLSX)"

    def can_read(self, location: str | Path) -> bool:
        """A CSV/XLSX file whose first rows have a municipality-code header and 'årsverk'."""
        from samhandling_survey.reader import sniff_survey

        if isinstance(location, str) and "://" in location:
            return False
        path = Path(location)
        if path.is_dir():
            return any(sniff_survey(p) for p in sorted(path.iterdir()))
        return sniff_survey(path)

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read one file, or every survey file of a folder as one series."""
        from samhandling_survey.reader import read_survey, read_survey_series

        path = Path(location)
        if path.is_dir():
            return read_survey_series([path], **options)
        return read_survey(path, **options)


@hookimpl
def samhandling_register_sources(register: Registrar) -> None:
    register(SurveySource())


@hookimpl
def samhandling_register_variables(register: Registrar) -> None:
    from samhandling_survey.variables import SURVEY_VARIABLES

    for variable in SURVEY_VARIABLES:
        register(variable)


@hookimpl
def samhandling_register_checks(register: Registrar) -> None:
    from samhandling_survey.derived import FtePer10000

    register(FtePer10000())


@hookimpl
def samhandling_register_commands(register: Registrar) -> None:
    from samhandling_survey.cli import survey

    register(survey)
