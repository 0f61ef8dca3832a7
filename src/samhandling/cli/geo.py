"""``samhandling geo``: look areas up, trace code changes, list one year's map and its catchments."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click

from samhandling.geography._data import FIRST_YEAR, LAST_YEAR

__all__ = ["geo"]

_LEVELS = ["county", "municipality", "district", "health_region", "health_trust", "dps"]
_YEAR = click.IntRange(FIRST_YEAR, LAST_YEAR)


def _area_row(geo: Any, area: Any) -> dict[str, str]:
    """One area as a flat row, with its county, health trust and DPS where they are single."""
    from samhandling.errors import SamhandlingError

    row = {"level": area.level.value, "code": area.code, "name": area.name}
    if area.level.value in ("municipality", "district"):
        row["county"] = geo.county_of(area.code).name
        for level, label in (("health_trust", "health_trust"), ("dps", "dps")):
            try:
                parents = geo.parents(area.code, level)
            except SamhandlingError:
                parents = ()
            names = []
            for code in parents:
                unit = geo.health_trust(code) if level == "health_trust" else geo.dps_unit(code)
                names.append(unit.name)
            row[label] = " | ".join(names) if len(names) == 1 else f"split: {' | '.join(names)}"
    elif area.level.value == "health_trust":
        row["health_region"] = geo.health_region(area.region).name
    elif area.level.value == "dps":
        row["health_trust"] = geo.health_trust(area.health_trust).name
    return row


def _emit(rows: list[dict[str, str]], fmt: str, title: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    columns = list(dict.fromkeys(key for row in rows for key in row))
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(row.get(column, "") for column in columns))
    Console(soft_wrap=True).print(table)


_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output as a table for reading, or CSV/JSON for scripts.",
)


@click.group(
    help=f"Municipalities, counties, health trusts and DPSs, {FIRST_YEAR}–{LAST_YEAR}, and their code "
    "changes.\n\nExample: samhandling geo find bodo --year 2024"
)
def geo() -> None:
    """Municipalities, counties, health trusts and DPSs in the years the geography covers, and their
    code changes.

    Example: samhandling geo find bodo --year 2024
    """


@geo.command()
@click.argument("query")
@click.option("--year", type=_YEAR, default=LAST_YEAR, show_default=True, help="The year of the map.")
@click.option("--level", type=click.Choice(_LEVELS), default=None, help="Only look at this level.")
@_FORMAT
def find(query: str, year: int, level: str | None, fmt: str) -> None:
    """Find areas by code or name (case and æ/ø/å forgiven; every candidate is listed, none guessed).

    Example: samhandling geo find aalesund --year 2024
    """
    from samhandling.geography import Geography

    geography = Geography.for_year(year)
    hits = geography.find(query, level=level)
    if not hits:
        geography.area(query, level=level)  # raises UnknownCodeError with suggestions
    _emit([_area_row(geography, hit) for hit in hits], fmt, f"{query!r} in {year}")


@geo.command()
@click.argument("code")
@_FORMAT
def history(code: str, fmt: str) -> None:
    """What became of a municipality or county code, and where it came from.

    Areas that a later division restored are listed too (1534 Haram of 2019 is 1580 Haram of 2024):
    harmonising sends them straight to their successor.

    Example: samhandling geo history 0605   (Ringerike: 0605 → 3007 in 2020 → 3305 in 2024)
    """
    from samhandling.geography.changes import restorations, story

    code = code.strip()
    events = story(code)
    rows = [
        {
            "year": str(event.year),
            "kind": event.kind.value,
            "from": " + ".join(f"{c} {n}" for c, n in zip(event.old_codes, event.old_names)),
            "to": " + ".join(f"{c} {n}" for c, n in zip(event.new_codes, event.new_names)),
            "source": event.source,
        }
        for event in events
    ]
    level = "county" if len(code) == 2 else "municipality"
    rows += [
        {
            "year": f"{r.old_year}→{r.new_year}",
            "kind": r.kind.value,
            "from": f"{r.old_code} {r.old_name}",
            "to": f"{r.new_code} {r.new_name}",
            "source": r.source,
        }
        for r in restorations(level)
        if code in (r.old_code, r.new_code)
    ]
    if not rows and fmt == "table":
        click.echo(f"{code}: no changes {FIRST_YEAR}–{LAST_YEAR}")
        return
    _emit(rows, fmt, f"history of {code}")


@geo.command(name="list")
@click.argument("level", type=click.Choice(_LEVELS))
@click.option("--year", type=_YEAR, default=LAST_YEAR, show_default=True, help="The year of the map.")
@click.option(
    "--in",
    "within",
    default=None,
    help="Only areas within this county, health trust or DPS (code or name).",
)
@_FORMAT
def list_areas(level: str, year: int, within: str | None, fmt: str) -> None:
    """List the areas of one level in one year.

    Example: samhandling geo list municipality --year 2020 --in Viken --format csv
    """
    from samhandling.geography import Geography

    geography = Geography.for_year(year)
    items: Any = {
        "county": geography.counties,
        "municipality": geography.municipalities,
        "district": geography.districts,
        "health_region": geography.health_regions,
        "health_trust": geography.health_trusts,
        "dps": geography.dps,
    }[level]
    if within is not None:
        parent = geography.area(within, level=_parent_level(geography, within))
        items = [item for item in items if _inside(geography, item, parent)]
    _emit([_area_row(geography, item) for item in items], fmt, f"{level} {year}")


def _parent_level(geography: Any, query: str) -> str | None:
    levels = {hit.level.value for hit in geography.find(query)} & {
        "county",
        "health_trust",
        "dps",
        "health_region",
    }
    return levels.pop() if len(levels) == 1 else None


def _inside(geography: Any, item: Any, parent: Any) -> bool:
    kind = parent.level.value
    if item.level.value in ("municipality", "district"):
        if kind == "county":
            return bool(item.code[:2] == parent.code)
        return parent.code in geography.parents(item.code, kind)
    if item.level.value == "dps":
        return bool(
            (kind == "health_trust" and item.health_trust == parent.code)
            or (kind == "health_region" and geography.health_trust(item.health_trust).region == parent.code)
        )
    if item.level.value == "health_trust":
        return bool(kind == "health_region" and item.region == parent.code)
    return False


@geo.command()
@click.argument("to", type=click.Choice(["county", "health_trust", "health_region", "dps", "national"]))
@click.option("--year", type=_YEAR, default=LAST_YEAR, show_default=True, help="The year of the map.")
@click.option(
    "--kind",
    type=click.Choice(["vop", "bup"]),
    default="vop",
    show_default=True,
    help="Catchments of adult (vop) or child and adolescent (bup) mental health.",
)
@_FORMAT
def membership(to: str, year: int, kind: str, fmt: str) -> None:
    """The area → parent table a roll-up to TO uses (an empty weight: split, shares not published).

    The basis column says whether the catchment is published for the year, recorded (a change a source
    states) or derived (carried from the nearest published year).

    Example: samhandling geo membership health_trust --year 2024 --format csv > catchments.csv
    """
    from samhandling.geography import Geography

    geography = Geography.for_year(year)
    table = geography.membership(to, kind=kind)
    rows = []
    for region, parent, weight in zip(
        table.column("region").to_pylist(),
        table.column("parent").to_pylist(),
        table.column("weight").to_pylist(),
    ):
        area = geography.district(region) if len(region) == 6 else geography.municipality(region)
        row = {
            "region": region,
            "name": area.name,
            "parent": parent,
            "parent_name": _parent_name(geography, to, parent),
            "weight": "" if weight is None else f"{weight:g}",
        }
        if to in ("health_trust", "health_region", "dps"):
            row["basis"] = geography.catchment_basis(
                region, "health_trust" if to != "dps" else "dps", kind=kind
            ).basis
        rows.append(row)
    _emit(rows, fmt, f"{to} membership {year}")


def _parent_name(geography: Any, level: str, code: str) -> str:
    if level == "national":
        return "Hele landet"
    return str(geography.area(code, level=level).name)
