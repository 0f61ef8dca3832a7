"""Appendix «Kvalitetskontroll av datagrunnlaget»: what the quality checks found in the inputs, in plain
Norwegian.

The checks (:mod:`samhandling.checks`) return structured findings: a rule, the area, the variable, the
year and the values involved.  The appendix writes each finding from those fields with the report's own
words — labels instead of ids, Norwegian number formats — and keeps the checks' original messages in the
data file.  A rule the catalogue does not know (a third party's check) is shown with its name and values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from samhandling.checks import FINDINGS_SCHEMA
from samhandling.report.context import ReportContext
from samhandling.report.document import Cell, Column, Figure, Note, Section, Table
from samhandling.report.formatting import format_number
from samhandling.report.messages import known_keys, label, msg
from samhandling.tables import StatTable

__all__ = ["APPENDIX_ROWS", "CHECK_OPTIONS", "describe", "findings_section", "run_quality_checks"]

#: How many findings the appendix shows (all of them are in the data file).
APPENDIX_ROWS = 200

#: Check options per input (see :mod:`samhandling.checks.rules`): admission counts of small
#: municipalities swing by half from year to year by chance, so only changes of 25 or more count.
CHECK_OPTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "admissions": {"year-on-year": {"min_change": 25.0}},
}

#: Value keys of a finding that are dimensions of the cell it is about.
_DIMENSIONS = ("profession", "target_group", "service", "unit_type", "age", "sex", "month", "patient_group")


def run_quality_checks(
    ctx: ReportContext,
    tables: Mapping[str, StatTable],
    *,
    options: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> None:
    """Run every registered check on each table (by input role); collect the findings in ``ctx``.

    :param options: check options per input role (``{"admissions": {"year-on-year": {...}}}``),
        default :data:`CHECK_OPTIONS`.
    """
    from samhandling.checks import CheckContext, run_checks

    chosen = CHECK_OPTIONS if options is None else options
    for role, table in tables.items():
        context = CheckContext(
            population=ctx.inputs.population,
            options={rule: dict(values) for rule, values in chosen.get(role, {}).items()},
        )
        for finding in run_checks(table, context=context, plugin_manager=ctx.plugin_manager):
            ctx.findings.append((role, finding))


def agreement_findings(ctx: ReportContext, without_agreement: Sequence[str]) -> None:
    """A finding for every municipality without a cooperation agreement in force."""
    from samhandling.checks import Finding

    for code in without_agreement:
        ctx.findings.append(
            (
                "agreements",
                Finding(
                    rule="agreement-missing",
                    severity="warning",
                    message=f"{code} has no cooperation agreement (samarbeidsavtale) in force on 1 July "
                    f"{ctx.year} in the register",
                    region=code,
                    year=ctx.year,
                ),
            )
        )


def _number(value: Any, key: str = "") -> str:
    if isinstance(value, bool) or value is None:
        return str(value) if value is not None else ".."
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            return ".."
        if key.endswith("year"):
            return str(int(number))
        decimals = 0 if number == round(number) else (1 if abs(number) >= 1 else 2)
        return format_number(number, decimals)
    return str(value)


def _variable(ctx: ReportContext, variable: str | None) -> str:
    if not variable:
        return ""
    if f"label.variable.{variable}" in known_keys():
        return label("variable", variable)
    for table in ctx.inputs.tables().values():
        declared = table.meta.variables.get(variable)
        if declared is not None and declared.label:
            return declared.label
    return variable


def _dimensions(values: Mapping[str, Any]) -> str:
    parts = []
    for name in _DIMENSIONS:
        if name in values and values[name] is not None:
            code = str(values[name])
            parts.append(
                label(f"finding_{name}", code)
                if f"label.finding_{name}.{code}" in known_keys()
                else label(name, code)
            )
    return f" ({', '.join(parts)})" if parts else ""


def _area(ctx: ReportContext, region: str | None) -> str:
    if not region:
        return msg("quality.no_area")
    if len(region) in (4, 6) and region.isdigit():
        return ctx.name("municipality", region)
    if len(region) == 2 and region.isdigit():
        return ctx.name("county", region)
    return region


def describe(ctx: ReportContext, role: str, finding: Any) -> str:
    """The finding in the report's words, from its structured fields."""
    values = dict(finding.values)
    fields: dict[str, Any] = {
        "area": _area(ctx, finding.region),
        "code": finding.region or "",
        "year": finding.year if finding.year is not None else "",
        "variable": _variable(ctx, finding.variable),
        "dims": _dimensions(values),
        "input": label("role", role),
    }
    for key, value in values.items():
        if key not in fields:
            fields[key] = label("code_kind", str(value)) if key == "level" else _number(value, key)
    if fields.get("level"):
        fields["level"] = (
            str(fields["level"])[:1].upper() + str(fields["level"])[1:]
            if finding.rule == "invalid-codes"
            else fields["level"]
        )
    key = f"finding.{finding.rule}"
    variants = [f"{key}.{values['reason']}"] if values.get("reason") else []
    variants += [f"{key}.{name}" for name in values if f"{key}.{name}" in known_keys()]
    variants.append(key)
    for candidate in variants:
        if candidate in known_keys():
            try:
                return msg(candidate, **fields)
            except Exception:
                break
    shown = ", ".join(
        f"{label('value_key', k)} {_number(v, k)}"
        for k, v in values.items()
        if k not in _DIMENSIONS and k != "reason"
    )
    text = msg(
        "finding.generic",
        rule=label("rule", finding.rule),
        variable=fields["variable"] or msg("quality.no_variable"),
        dims=fields["dims"],
        area=fields["area"],
        year=msg("finding.in_year", year=fields["year"]) if fields["year"] != "" else "",
    ).replace(" .", ".")
    if not values and ctx.disclosure is not None and finding.variable:
        text += " " + msg("finding.redacted")
    elif shown:
        text += f" ({shown})"
    return text


def findings_section(ctx: ReportContext) -> Section:
    """Appendix «Kvalitetskontroll av datagrunnlaget»."""
    described = [describe(ctx, role, f) for role, f in ctx.findings]
    rows = [
        {"input": role, **finding.to_dict(), "text": text}
        for (role, finding), text in zip(ctx.findings, described, strict=True)
    ]
    schema = pa.schema([pa.field("input", pa.string()), *FINDINGS_SCHEMA, pa.field("text", pa.string())])
    data = ctx.add("findings", msg("quality.data"), pa.Table.from_pylist(rows, schema=schema))
    severities = ("error", "warning", "info")
    counts = {s: sum(1 for _r, f in ctx.findings if f.severity.value == s) for s in severities}
    blocks: list[Figure | Table | Note] = []
    if not ctx.findings:
        blocks.append(Note(text=msg("quality.nothing")))
    else:
        shown = list(zip(ctx.findings, described, strict=True))[:APPENDIX_ROWS]
        table_rows = [
            [
                Cell(text=label("severity", f.severity.value), emphasis=f.severity.value == "error"),
                Cell(text=label("role", role)),
                Cell(text=label("rule", f.rule)),
                Cell(text=_area(ctx, f.region) if f.region else "–"),
                Cell(text=str(f.year) if f.year is not None else "–"),
                Cell(text=text),
            ]
            for (role, f), text in shown
        ]
        caption = msg(
            "quality.counts", errors=counts["error"], warnings=counts["warning"], infos=counts["info"]
        )
        if len(ctx.findings) > APPENDIX_ROWS:
            caption += " " + msg("quality.more", shown=APPENDIX_ROWS)
        blocks.append(
            Table(
                id="findings",
                title=msg("quality.table_title"),
                caption=caption,
                columns=[
                    Column(label=msg("quality.column_severity")),
                    Column(label=msg("quality.column_input")),
                    Column(label=msg("quality.column_rule")),
                    Column(label=msg("quality.column_area")),
                    Column(label=msg("column.year")),
                    Column(label=msg("quality.column_what")),
                ],
                rows=table_rows,
                data_files=(data,),
                compact=True,
                sortable=True,
                searchable=True,
            )
        )
    return Section(
        id="kvalitet", title=msg("quality.title"), intro=msg("quality.intro"), blocks=blocks, appendix=True
    )
