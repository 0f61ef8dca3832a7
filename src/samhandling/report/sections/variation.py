"""Section «Variasjon mellom kommunene»: how much municipalities differ, shown as health atlases show it.

For årsverk per 10,000 inhabitants and admissions per 10,000 inhabitants: a ranked dot plot of every
municipality and a funnel plot of the rates against population with control limits around the national
rate (:mod:`samhandling.report.funnel`: Poisson limits, widened for over-dispersion when the spread
calls for it).  Admission rates come from the protected tables: a municipality whose rate is suppressed
is not plotted.
"""

from __future__ import annotations

import typing

import attrs
import numpy as np
import pyarrow as pa

from samhandling.levels import Level
from samhandling.report import charts, funnel
from samhandling.report.context import ReportContext
from samhandling.report.document import Cell, Column, Figure, Note, Section, Table
from samhandling.report.formatting import format_number
from samhandling.report.messages import msg
from samhandling.report.sections._common import national_value
from samhandling.report.sections.fte import ALL_GROUPS, fte_data
from samhandling.report.tabular import lookup, plain, sum_by
from samhandling.tables import StatTable

__all__ = ["Variation", "variation_of", "variation_section"]


@typing.final
@attrs.frozen(kw_only=True)
class Variation:
    """One measure's spread over the municipalities: rates, populations, the limits and each one's class."""

    key: str
    regions: tuple[str, ...]
    rates: np.ndarray = attrs.field(eq=False)
    population: np.ndarray = attrs.field(eq=False)
    limits: funnel.Limits
    flags: np.ndarray = attrs.field(eq=False)
    flags_95: np.ndarray = attrs.field(eq=False)
    left_out: int = 0


def variation_of(
    key: str, rates: StatTable, population: StatTable, national: float, year: int, **where: str
) -> Variation | None:
    """The spread of one rate over the municipalities of the report year (``None`` without data)."""
    chosen = plain(rates.where(level="municipality", year=year, **where))
    people = sum_by(plain(population.where(level="municipality", year=year)), ["region"])
    size = dict(zip(people.column("region").to_pylist(), people.column("value").to_pylist(), strict=True))
    regions, values, sizes = [], [], []
    left_out = 0
    for region, value in zip(
        chosen.column("region").to_pylist(), chosen.column("value").to_pylist(), strict=True
    ):
        inhabitants = size.get(region)
        if value is None or inhabitants is None or not inhabitants:
            left_out += 1
            continue
        regions.append(str(region))
        values.append(float(value))
        sizes.append(float(inhabitants))
    if len(regions) < 3:
        return None
    array, people_array = np.asarray(values), np.asarray(sizes)
    limits = funnel.control_limits(array, people_array, national)
    return Variation(
        key=key,
        regions=tuple(regions),
        rates=array,
        population=people_array,
        limits=limits,
        flags=funnel.classify(limits, array, people_array, funnel.Z_998),
        flags_95=funnel.classify(limits, array, people_array, funnel.Z_95),
        left_out=left_out,
    )


def _data(ctx: ReportContext, variation: Variation) -> pa.Table:
    lower_95, upper_95 = variation.limits.bounds(variation.population, funnel.Z_95)
    lower_998, upper_998 = variation.limits.bounds(variation.population, funnel.Z_998)
    return pa.table(
        {
            "region": pa.array(variation.regions, pa.string()),
            "name": pa.array([ctx.name("municipality", r) for r in variation.regions], pa.string()),
            "year": pa.array([ctx.year] * len(variation.regions), pa.int16()),
            "population": pa.array(variation.population, pa.float64()),
            "rate_per_10000": pa.array(variation.rates, pa.float64()),
            "national_rate": pa.array([variation.limits.rate] * len(variation.regions), pa.float64()),
            "lower_95": pa.array(lower_95, pa.float64()),
            "upper_95": pa.array(upper_95, pa.float64()),
            "lower_99_8": pa.array(lower_998, pa.float64()),
            "upper_99_8": pa.array(upper_998, pa.float64()),
            "position": pa.array([msg(f"variation.position.{int(f)}") for f in variation.flags], pa.string()),
        }
    )


def _figures(
    ctx: ReportContext, variation: Variation, data_files: tuple[str, ...]
) -> list[Figure | Table | Note]:
    key = variation.key
    classes = (msg("variation.class_below"), msg("variation.class_within"), msg("variation.class_above"))
    reference = (msg("variation.national"), variation.limits.rate)
    curves = funnel.limit_curves(
        variation.limits, float(variation.population.min()), float(variation.population.max())
    )
    limits = {
        msg("variation.limit_95"): curves[funnel.Z_95],
        msg("variation.limit_998"): curves[funnel.Z_998],
    }
    method = (
        msg("variation.method_overdispersed", tau=format_number(float(np.sqrt(variation.limits.tau2)), 1))
        if variation.limits.overdispersed
        else msg("variation.method_poisson")
    )
    left_out = msg(f"variation.{key}.left_out", count=variation.left_out) if variation.left_out else ""
    return [
        Figure.of(
            charts.ranked_dots(
                f"{key}-ranked",
                [float(v) for v in variation.rates],
                [int(f) for f in variation.flags],
                description=msg(f"variation.{key}.ranked_description", year=ctx.year),
                ylabel=msg(f"variation.{key}.axis"),
                xlabel=msg("variation.rank_axis"),
                reference=reference,
                classes=classes,
                stamp=ctx.stamp,
            ),
            id=f"{key}-ranked",
            title=msg(f"variation.{key}.ranked_title", year=ctx.year),
            caption=(msg("variation.ranked_caption", count=len(variation.regions)) + " " + left_out).strip(),
            data_files=data_files,
        ),
        Figure.of(
            charts.funnel_plot(
                f"{key}-funnel",
                [float(p) for p in variation.population],
                [float(v) for v in variation.rates],
                [int(f) for f in variation.flags],
                limits=limits,
                reference=reference,
                description=msg(f"variation.{key}.funnel_description", year=ctx.year),
                xlabel=msg("variation.population_axis"),
                ylabel=msg(f"variation.{key}.axis"),
                classes=classes,
                stamp=ctx.stamp,
            ),
            id=f"{key}-funnel",
            title=msg(f"variation.{key}.funnel_title", year=ctx.year),
            caption=msg("variation.funnel_caption", method=method),
            data_files=data_files,
        ),
    ]


def variation_section(ctx: ReportContext) -> Section:
    """Section «Variasjon mellom kommunene»."""
    measures: list[Variation] = []
    blocks: list[Figure | Table | Note] = []
    data = fte_data(ctx)
    population = ctx.inputs.population
    assert population is not None
    if Level.NATIONAL in data.rates:
        national = national_value(
            lookup(data.rates[Level.NATIONAL].where(year=ctx.year), ["region", "target_group"]), ALL_GROUPS
        )
        if national:
            found = variation_of(
                "fte", data.rates[Level.MUNICIPALITY], population, national, ctx.year, target_group=ALL_GROUPS
            )
            if found is not None:
                measures.append(found)
    admissions = ctx.cache.get("admissions")
    if admissions is not None and admissions.national is not None:
        rows = lookup(admissions.national.where(year=ctx.year, unit_type="total"), ["region"])
        national = national_value(rows)
        if national:
            found = variation_of(
                "admissions", admissions.municipal, population, national, ctx.year, unit_type="total"
            )
            if found is not None:
                measures.append(found)
    summary_rows = []
    for variation in measures:
        table = _data(ctx, variation)
        name = ctx.add(
            f"variation_{variation.key}_municipality", msg(f"variation.{variation.key}.data"), table
        )
        extra = (
            ("admissions_per_10000_municipality",)
            if variation.key == "admissions"
            else ("fte_per_10000_municipality",)
        )
        blocks.extend(_figures(ctx, variation, (name, *extra)))
        summary_rows.append(
            [
                Cell(text=msg(f"variation.{variation.key}.measure")),
                Cell(text=format_number(len(variation.regions), 0)),
                Cell(text=format_number(float(np.sum(variation.flags < 0)), 0)),
                Cell(text=format_number(float(np.sum(variation.flags > 0)), 0)),
                Cell(text=format_number(float(np.sum(variation.flags_95 != 0)), 0)),
                Cell(
                    text=format_number(float(np.min(variation.rates)), 1)
                    + "–"
                    + format_number(float(np.max(variation.rates)), 1)
                ),
                Cell(
                    text=msg(
                        "variation.model_overdispersed",
                        tau=format_number(float(np.sqrt(variation.limits.tau2)), 1),
                    )
                    if variation.limits.overdispersed
                    else msg("variation.model_poisson")
                ),
            ]
        )
    if summary_rows:
        blocks.append(
            Table(
                id="variation-summary",
                title=msg("variation.summary_title", year=ctx.year),
                caption=msg("variation.summary_caption"),
                columns=[
                    Column(label=msg("variation.column_measure")),
                    Column(label=msg("variation.column_count"), numeric=True),
                    Column(label=msg("variation.column_below"), numeric=True),
                    Column(label=msg("variation.column_above"), numeric=True),
                    Column(label=msg("variation.column_outside_95"), numeric=True),
                    Column(label=msg("variation.column_range"), numeric=True),
                    Column(label=msg("variation.column_model")),
                ],
                rows=summary_rows,
                data_files=tuple(f"variation_{v.key}_municipality" for v in measures),
            )
        )
    else:
        blocks.append(Note(text=msg("variation.none"), kind="warning"))
    return Section(id="variasjon", title=msg("variation.title"), intro=msg("variation.intro"), blocks=blocks)
