"""``samhandling plugins``: what is installed, and what each plugin provides."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of tables.")
def plugins(as_json: bool) -> None:
    """List plugins with their versions, and the sources, exporters and checks they register.

    Example: samhandling plugins
    """
    import json

    from samhandling.plugins import list_plugins, resolve_plugin_manager

    pm = resolve_plugin_manager()
    registry = pm.registry
    infos = list_plugins(pm)
    kinds = {
        "sources": registry.sources,
        "exporters": registry.exporters,
        "checks": registry.checks,
    }
    if as_json:
        payload = {
            "plugins": [
                {
                    "name": i.name,
                    "builtin": i.builtin,
                    "distribution": i.distribution,
                    "version": i.version,
                    "hooks": list(i.hooks),
                }
                for i in infos
            ],
            **{
                kind: [
                    {"name": e.name, "plugin": e.plugin, "description": getattr(e.obj, "description", "")}
                    for e in catalogue.entries()
                ]
                for kind, catalogue in kinds.items()
            },
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    console = Console()
    table = Table(title="Plugins", title_justify="left")
    for column in ("name", "distribution", "version", "hooks"):
        # plugin names are copied from here (SAMHANDLING_DISABLED_PLUGINS), so they are never cut
        table.add_column(column, no_wrap=column == "name", overflow="fold")
    for info in infos:
        hooks = ", ".join(h.removeprefix("samhandling_") for h in info.hooks)
        table.add_row(info.name, info.distribution or "", info.version or "", hooks)
    console.print(table)
    for kind, catalogue in kinds.items():
        listing = Table(title=kind.capitalize(), title_justify="left")
        listing.add_column("name")
        listing.add_column("plugin")
        listing.add_column("description")
        if kind == "exporters":
            listing.add_column("suffixes")
        for entry in catalogue.entries():
            row = [entry.name, entry.plugin, getattr(entry.obj, "description", "")]
            if kind == "exporters":
                row.append(" ".join(entry.obj.suffixes))
            listing.add_row(*row)
        console.print(listing)
    console.print(
        f"{len(registry.target_groups)} target groups, {len(registry.service_kinds)} service kinds, "
        f"{len(registry.care_units)} care units, {len(registry.variables)} variables in the catalogues."
    )
