"""FTEs per 10,000 inhabitants, and the check that they lie in a plausible band.

The field compares FTEs for a target group with the inhabitants of that group's ages: all FTEs per
10,000 inhabitants, FTEs for adults per 10,000 aged 18 and over, and FTEs for children and young
people per 10,000 aged 0–17.  :func:`fte_per_10000` computes the three with
:func:`samhandling.aggregate.per_10000` and a population table; they share the variable id
``fte_per_10000`` and are told apart by the ``target_group`` column.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.checks import CheckContext, Finding, Severity
from samhandling.errors import Parameter, SchemaError
from samhandling.tables import StatTable, Variable
from samhandling_survey.variables import TOTAL

__all__ = ["AGES_OF_TARGET_GROUP", "FTE_PER_10000", "FtePer10000", "fte_per_10000"]

#: The ages whose inhabitants each target group's FTEs are divided by.
AGES_OF_TARGET_GROUP: dict[str, str] = {TOTAL: "all", "adults": "18+", "children_young": "0-17"}

#: The rate variable (unit as :func:`samhandling.aggregate.per_10000` writes it).
FTE_PER_10000 = Variable(
    id="fte_per_10000",
    unit="(årsverk) / ten_thousand_inhabitants",
    additive=False,
    numerator="fte",
    denominator="population",
    scale=10000.0,
    label="Årsverk per 10 000 innbyggere i målgruppens alder",
    description="FTEs per 10,000 inhabitants of the target group's ages: all ages for target_group "
    "'total', 18 and over for 'adults', 0–17 for 'children_young'.",
)


def _areas_with_population(table: StatTable, population: StatTable) -> tuple[StatTable, list[str]]:
    """The rows of areas the population covers, and the areas it does not ("3401 in 2023")."""
    pop = population.where(variable="population").arrow
    have = (
        pa.table(
            {
                "region": pop.column("region").cast(pa.string()),
                "year": pop.column("year"),
                "__has": pa.array([True] * pop.num_rows),
            }
        )
        .group_by(["region", "year"], use_threads=False)
        .aggregate([])
    )
    keys = pa.table(
        {"region": table.arrow.column("region").cast(pa.string()), "year": table.arrow.column("year")}
    )
    covered = pc.is_in(
        pc.binary_join_element_wise(keys.column("region"), keys.column("year").cast(pa.string()), "@"),
        pc.binary_join_element_wise(have.column("region"), have.column("year").cast(pa.string()), "@"),
    )
    uncovered = keys.filter(pc.invert(covered)).group_by(["region", "year"], use_threads=False).aggregate([])
    missing = [f"{row['region']} in {row['year']}" for row in uncovered.sort_by("region").to_pylist()]
    return table.filter(covered), missing


def fte_per_10000(table: StatTable, population: StatTable) -> StatTable:
    """FTEs per 10,000 inhabitants of each target group's ages (all, 18+, 0–17).

    :param table: a survey table (variable ``fte`` with columns ``profession`` and ``target_group``).
    :param population: variable ``population`` with an ``age`` column (single years or the bands
        0-17, 18-66, 67+), for the same areas and years.
    :returns: variable ``fte_per_10000`` with ``profession`` = ``total`` and the ``target_group`` of
        the FTEs; a suppressed or missing count or population gives the rate that status.
    :raises SchemaError: the table has no FTEs by target group, or the population lacks an area.
    """
    from samhandling.aggregate import per_10000

    if "fte" not in table.variable_ids() or not {"profession", "target_group"} <= set(table.dimensions):
        raise SchemaError(
            "fte_per_10000: the table needs variable 'fte' with columns 'profession' and 'target_group' "
            f"(a survey table); it has variables {table.variable_ids()} and columns {table.columns}"
        )
    fte = table.variables_subset(["fte"]).where(profession=TOTAL)
    parts = []
    for target_group, ages in AGES_OF_TARGET_GROUP.items():
        rows = fte.where(target_group=target_group)
        if rows.num_rows == 0:
            continue
        rates = per_10000(rows, population, ages=ages, variables=["fte"])
        meta = attrs.evolve(
            rates.meta,
            variables={FTE_PER_10000.id: FTE_PER_10000},
            extra={k: v for k, v in rates.meta.extra.items() if k != "per_10000_ages"},
        )
        parts.append(StatTable.from_arrow(rates.arrow, meta=meta))
    if not parts:
        raise SchemaError("fte_per_10000: the table has no FTEs for all professions (profession 'total')")
    return StatTable.concat(parts) if len(parts) > 1 else parts[0]


@typing.final
class FtePer10000:
    """FTEs per 10,000 inhabitants of the target group's ages outside a plausible band.

    Needs a population in the check context (``CheckContext(population=...)``, CLI ``--population``);
    without one it says so in a finding that names what to give.
    The band is the option ``bands`` (``{"fte_per_10000": [low, high]}``), else Tukey's fences over the
    other municipalities of the same year and target group (as the ``rate-band`` rule; options
    ``fence`` and ``min_values``).  Tables that already carry ``fte_per_10000`` are left to
    ``rate-band``.
    """

    name = "fte-per-10000"
    description = "FTEs per 10,000 inhabitants (all, 18+, 0–17) outside a plausible band; needs a population"
    severity = Severity.WARNING

    def run(self, table: StatTable, context: CheckContext) -> list[Finding]:
        """Compute the rates with ``context.population`` and report those outside the band."""
        ids = table.variable_ids()
        if "fte" not in ids or FTE_PER_10000.id in ids:
            return []
        if not {"profession", "target_group"} <= set(table.dimensions):
            return []
        if context.population is None:
            return [
                Finding(
                    rule=self.name,
                    severity=Severity.INFO,
                    variable=FTE_PER_10000.id,
                    message="no population given: FTEs per 10,000 inhabitants were not checked",
                    needs=(Parameter(name="population", owner="CheckContext"),),
                )
            ]
        from samhandling.checks.rules import RateBand

        covered, missing = _areas_with_population(table, context.population)
        findings: list[Finding] = []
        if missing:
            findings.append(
                Finding(
                    rule=self.name,
                    severity=Severity.INFO,
                    variable=FTE_PER_10000.id,
                    message=f"no population for {len(missing)} area(s), their rates were not checked: "
                    + ", ".join(missing[:10])
                    + ("…" if len(missing) > 10 else ""),
                    values={"areas": ", ".join(missing)},
                )
            )
        if covered.num_rows == 0:
            return findings
        rates = fte_per_10000(covered, context.population)
        rule_options = {**context.rule_options(self.name), "variables": [FTE_PER_10000.id]}
        inner = CheckContext(
            geography=context.geography, population=context.population, options={"rate-band": rule_options}
        )
        findings += _renamed(RateBand().run(rates, inner), self.name)
        return findings


def _renamed(findings: Iterable[Finding], rule: str) -> list[Finding]:
    return [attrs.evolve(f, rule=rule) for f in findings]
