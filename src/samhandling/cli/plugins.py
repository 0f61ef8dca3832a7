"""``samhandling plugins``: what is installed, and what each plugin provides."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of tables.")
def plugins(as_json: bool) -> None:
    """List plugins with their versions, and the sources, exporters and checks they register.

    A source, exporter or check that needs a library this environment lacks is marked with what to
    install.

    Example: samhandling plugins
    """
    import json

    from samhandling.exporters import unavailable
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
                    {
                        "name": e.name,
                        "plugin": e.plugin,
                        "description": getattr(e.obj, "description", ""),
                        "unavailable": unavailable(e.obj),
                    }
                    for e in catalogue.entries()
                ]
                for kind, catalogue in kinds.items()
            },
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    console = Console()
    table = Table(title="Plugins", title_justify="left")
    # plugin names are copied from here (SAMHANDLING_DISABLED_PLUGINS), so they are never cut
    table.add_column("name", no_wrap=True)
    table.add_column("distribution", no_wrap=True)
    table.add_column("registers (other hooks)", ratio=1)
    for info in infos:
        registers = [h.removeprefix("samhandling_register_") for h in info.hooks if "_register_" in h]
        others = [h.removeprefix("samhandling_") for h in info.hooks if "_register_" not in h]
        hooks = ", ".join([*registers, *(f"({other})" for other in others)])
        distribution = " ".join(part for part in (info.distribution, info.version) if part)
        table.add_row(info.name, distribution, hooks)
    console.print(table)
    for kind, catalogue in kinds.items():
        listing = Table(title=kind.capitalize(), title_justify="left")
        listing.add_column("name (plugin)", no_wrap=True)
        listing.add_column("description", ratio=1)
        if kind == "exporters":
            listing.add_column("suffixes", max_width=16)
        for entry in catalogue.entries():
            reason = unavailable(entry.obj)
            name = Text(entry.name, style="dim" if reason else "bold")
            name.append(f"\n{entry.plugin}", style="dim")
            description = Text(str(getattr(entry.obj, "description", "")))
            if reason:
                description.append(f"\nunavailable: {reason}", style="bold yellow")
            row: list[Text | str] = [name, description]
            if kind == "exporters":
                row.append(" ".join(entry.obj.suffixes))
            listing.add_row(*row)
        console.print(listing)
    console.print(
        f"{len(registry.target_groups)} target groups, {len(registry.service_kinds)} service kinds, "
        f"{len(registry.care_units)} care units, {len(registry.variables)} variables in the catalogues."
    )
