"""Quality assurance of the data (*kvalitetssikring av datagrunnlaget*).

A check inspects a StatTable and returns :class:`Finding` objects; it never changes the data.  Checks
come from plugins (``samhandling_register_checks``); :func:`run_checks` runs all of them, or the ones
named, and returns the findings sorted by severity.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
import pyarrow as pa

from samhandling.errors import (
    MessagePart,
    Parameter,
    PluginError,
    SamhandlingError,
    ValidationError,
    render_message,
)

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager
    from samhandling.tables import StatTable

__all__ = [
    "FINDINGS_SCHEMA",
    "Check",
    "CheckContext",
    "Finding",
    "Findings",
    "Severity",
    "findings_table",
    "run_checks",
]


class Severity(enum.StrEnum):
    """How serious a finding is: an error must be fixed before publishing, a warning looked at."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _values_converter(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(values or {})


def _parameters(values: Iterable[Parameter]) -> tuple[Parameter, ...]:
    return tuple(values)


@typing.final
@attrs.frozen(kw_only=True)
class Finding:
    """One thing a check found: which rule, where (municipality, variable, year) and the values."""

    rule: str
    severity: Severity = attrs.field(default=Severity.WARNING, converter=Severity)
    message: str
    region: str | None = None
    variable: str | None = None
    year: int | None = None
    values: dict[str, Any] = attrs.field(factory=dict, converter=_values_converter)
    location: str | None = None
    needs: tuple[Parameter, ...] = attrs.field(default=(), converter=_parameters)
    """What the caller can give to let the check do more (a population for rates), spelled by
    :meth:`describe` for Python (``CheckContext(population=...)``) or the command line (``--population``)."""

    def describe(self, spell: Callable[[Parameter], str] | None = None) -> str:
        """The message, with what the check needs spelled by ``spell`` (default: as in Python)."""
        if not self.needs:
            return self.message
        parts: list[MessagePart] = [self.message, " (give "]
        for index, parameter in enumerate(self.needs):
            parts += [" or " if index else "", parameter]
        return render_message((*parts, ")"), spell)

    def _repr_html_(self) -> str:
        from samhandling.notebook import findings_html

        return findings_html([self])

    def to_dict(self, spell: Callable[[Parameter], str] | None = None) -> dict[str, Any]:
        """One flat row (values joined as ``key=value`` text) for CSV output and the report appendix."""
        return {
            "severity": str(self.severity),
            "rule": self.rule,
            "region": self.region,
            "variable": self.variable,
            "year": self.year,
            "message": self.describe(spell),
            "values": ", ".join(f"{k}={v}" for k, v in self.values.items()),
            "location": self.location,
        }


@typing.final
@attrs.frozen(kw_only=True)
class CheckContext:
    """What a check may need beyond the table: the geography, a population table and options.

    ``options`` are per-rule settings, e.g. ``{"year-on-year": {"threshold": 0.5}}``; a rule may be
    named with hyphens or underscores (``year_on_year``).
    """

    geography: Any = None
    population: StatTable | None = None
    options: dict[str, Any] = attrs.field(factory=dict)

    def rule_options(self, rule: str) -> dict[str, Any]:
        """Every setting for ``rule`` (empty when none are given)."""
        for name in (rule, rule.replace("-", "_"), rule.replace("_", "-")):
            section = self.options.get(name)
            if isinstance(section, Mapping):
                return dict(section)
        return {}

    def option(self, rule: str, key: str, default: Any) -> Any:
        """The setting ``key`` for ``rule`` from :attr:`options`, or ``default``."""
        return self.rule_options(rule).get(key, default)

    def with_table_options(self, table: StatTable) -> CheckContext:
        """This context with the options ``table`` declares (``meta.extra["check_options"]``) as defaults.

        A source that knows its data declares, e.g., that every municipality must answer a survey
        (``{"missing-regions": {"expect_all": "counties"}}``); options given by the caller win.
        :func:`run_checks` applies them; a check run on its own applies them itself.

        :raises ValidationError: the declared options are not a mapping of rule names to options.
        """
        declared = table.meta.extra.get("check_options")
        if not declared:
            return self
        if not isinstance(declared, Mapping):
            raise ValidationError(
                f"table metadata 'check_options' must map rule names to options, got {declared!r}"
            )
        merged: dict[str, Any] = {}
        for rule, options in declared.items():
            if isinstance(options, Mapping):
                merged[str(rule).replace("_", "-")] = dict(options)
        for rule, options in self.options.items():
            name = str(rule).replace("_", "-")
            merged[name] = {**merged.get(name, {}), **options} if isinstance(options, Mapping) else options
        return attrs.evolve(self, options=merged)


@runtime_checkable
class Check(Protocol):
    """What a check plugin provides."""

    name: str
    description: str

    def run(self, table: StatTable, context: CheckContext) -> Iterable[Finding]:
        """Inspect ``table`` and yield findings; never modify it."""
        ...


class Findings(list[Finding]):
    """The findings of :func:`run_checks`: a list, errors first, that shows itself as a table in a
    notebook (severities explained)."""

    def _repr_html_(self) -> str:
        from samhandling.notebook import findings_html

        return findings_html(self)


def run_checks(
    table: StatTable,
    *,
    checks: Sequence[str] | None = None,
    context: CheckContext | None = None,
    plugin_manager: PluginManager | None = None,
) -> Findings:
    """Run the named checks (default: all registered) and return findings, errors first."""
    from samhandling.plugins import resolve_plugin_manager

    catalogue = resolve_plugin_manager(plugin_manager).registry.checks
    if checks is None:
        entries = catalogue.entries()
    else:
        try:
            entries = [catalogue.entry(name) for name in checks]
        except KeyError as exc:
            raise PluginError(str(exc.args[0])) from None
    context = (context if context is not None else CheckContext()).with_table_options(table)
    findings: list[Finding] = []
    for entry in entries:
        try:
            findings.extend(entry.obj.run(table, context))
        except SamhandlingError:
            raise
        except Exception as exc:
            raise PluginError(
                f"check {entry.name!r} from plugin {entry.plugin!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
    return Findings(
        sorted(
            findings,
            key=lambda f: (_SEVERITY_RANK[f.severity], f.rule, f.region or "", f.variable or "", f.year or 0),
        )
    )


FINDINGS_SCHEMA = pa.schema(
    [
        ("severity", pa.string()),
        ("rule", pa.string()),
        ("region", pa.string()),
        ("variable", pa.string()),
        ("year", pa.int16()),
        ("message", pa.string()),
        ("values", pa.string()),
        ("location", pa.string()),
    ]
)
"""The columns of :func:`findings_table`, one per field of :meth:`Finding.to_dict`."""


def findings_table(findings: Iterable[Finding]) -> pa.Table:
    """Findings as an Arrow table (for CSV output and the report appendix)."""
    return pa.Table.from_pylist([f.to_dict() for f in findings], schema=FINDINGS_SCHEMA)
