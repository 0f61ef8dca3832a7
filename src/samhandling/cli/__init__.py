"""The ``samhandling`` command.

Sub-commands live in their own modules and are imported only when used, so ``samhandling --help``
stays quick; plugins add commands through ``samhandling_register_commands``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from samhandling import __version__
from samhandling.errors import SamhandlingError

__all__ = ["COMMANDS", "main"]

#: Built-in sub-commands: name → "module:attribute".
COMMANDS: dict[str, str] = {
    "plugins": "samhandling.cli.plugins:plugins",
    "read": "samhandling.cli.pipeline:read",
    "harmonise": "samhandling.cli.pipeline:harmonise",
    "roll-up": "samhandling.cli.pipeline:roll_up",
    "rates": "samhandling.cli.pipeline:rates",
    "export": "samhandling.cli.pipeline:export",
    "protect": "samhandling.cli.protect:protect",
    "check": "samhandling.cli.check:check",
    "geo": "samhandling.cli.geo:geo",
    "report": "samhandling.cli.report:report",
}


class _LazyGroup(click.Group):
    """A group that imports built-in commands on demand and adds plugin commands."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx), *_plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command: click.Command | None
        if cmd_name in COMMANDS:
            module_name, attribute = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
        else:
            command = _plugin_commands().get(cmd_name) or super().get_command(ctx, cmd_name)
        ctx.meta["samhandling.command"] = command  # errors name this command's options
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors and --help: click prints them itself
        except SamhandlingError as exc:
            if ctx.meta.get("samhandling.debug"):
                raise
            from samhandling.cli.wording import cli_message

            _fail(cli_message(exc, ctx.meta.get("samhandling.command")))
        except (OSError, KeyboardInterrupt) as exc:
            if ctx.meta.get("samhandling.debug"):
                raise
            _fail(f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else "interrupted")
        except Exception as exc:  # a failure nobody foresaw: one line, the traceback with --debug
            if ctx.meta.get("samhandling.debug"):
                raise
            _fail(
                f"{type(exc).__name__}: {exc} (this is a failure samhandling did not expect; run with "
                f"--debug for the traceback and report it)"
            )


def _fail(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False).print(
        f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True
    )
    sys.exit(1)


def _plugin_commands() -> dict[str, click.Command]:
    try:
        from samhandling.plugins import resolve_plugin_manager

        catalogue = resolve_plugin_manager().registry.commands
    except SamhandlingError:
        return {}
    return {entry.name: entry.obj for entry in catalogue.entries() if entry.name not in COMMANDS}


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: samhandling report --demo --out report",
)
@click.version_option(__version__, "-V", "--version", prog_name="samhandling")
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logging.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Data tools for municipal mental-health and substance-use work (kommunalt psykisk helse- og rusarbeid).

    Read SSB/KOSTRA, NIMES and survey files into one table format, harmonise them onto one year's
    municipality map, roll them up to county, health trust and DPS level, check them and export them —
    or build the whole yearly report in one go.
    """
    ctx.meta["samhandling.debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
