"""The yearly report of municipal mental-health and substance-use work, in one call.

>>> from samhandling.report import build_report, demo_inputs, load_inputs
>>> build_report(demo_inputs(), "report")                                 # doctest: +SKIP
>>> inputs = load_inputs(2023, survey=["is248-2023.xlsx"], kostra=["07459.csv"])    # doctest: +SKIP
>>> build_report(inputs, "report-2023")                                    # doctest: +SKIP

The command line does the same: ``samhandling report --demo --out report``.  The template engine
(jinja2) loads only when a report is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from samhandling._lazy import lazy_names

__all__ = [
    "AgreementRegister",
    "InputError",
    "KostraGroups",
    "ReportInputs",
    "ReportResult",
    "TeamRegister",
    "build_demo_report",
    "build_report",
    "demo_inputs",
    "load_inputs",
    "read_agreements",
    "read_kostra_groups",
    "read_teams",
]

_LAZY = {
    "AgreementRegister": "samhandling.report.agreements",
    "read_agreements": "samhandling.report.agreements",
    "InputError": "samhandling.report.inputs",
    "ReportInputs": "samhandling.report.inputs",
    "load_inputs": "samhandling.report.inputs",
    "ReportResult": "samhandling.report.build",
    "build_report": "samhandling.report.build",
    "build_demo_report": "samhandling.report.build",
    "demo_inputs": "samhandling.report.demo",
    "KostraGroups": "samhandling.report.kostra_groups",
    "read_kostra_groups": "samhandling.report.kostra_groups",
    "TeamRegister": "samhandling.report.teams",
    "read_teams": "samhandling.report.teams",
}


__getattr__, __dir__ = lazy_names(globals(), _LAZY)


if TYPE_CHECKING:
    from samhandling.report.agreements import AgreementRegister as AgreementRegister
    from samhandling.report.agreements import read_agreements as read_agreements
    from samhandling.report.build import ReportResult as ReportResult
    from samhandling.report.build import build_demo_report as build_demo_report
    from samhandling.report.build import build_report as build_report
    from samhandling.report.demo import demo_inputs as demo_inputs
    from samhandling.report.inputs import InputError as InputError
    from samhandling.report.inputs import ReportInputs as ReportInputs
    from samhandling.report.inputs import load_inputs as load_inputs
    from samhandling.report.kostra_groups import KostraGroups as KostraGroups
    from samhandling.report.kostra_groups import read_kostra_groups as read_kostra_groups
    from samhandling.report.teams import TeamRegister as TeamRegister
    from samhandling.report.teams import read_teams as read_teams
