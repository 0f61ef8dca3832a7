"""Messages in the command line's terms: a parameter the library names is spelled as the option.

The library's errors name the parameter that gets past them as a :class:`~samhandling.errors.Parameter`
(``population``, ``source``, ``year``).  Under a command, each is spelled as that command's option for
it (``--population FILE``), as ``-O name=value`` when the command passes other options through to the
library, and in Python's spelling only when the command has no way to give it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import click

from samhandling.errors import Parameter, SamhandlingError

__all__ = ["cli_message", "option_speller"]


_NOT_A_LITERAL = "not a literal"


def _value(example: str | None) -> str | None:
    """A Python literal as typed on a command line (``'exclude'`` → ``exclude``, ``12`` → ``12``);
    ``_NOT_A_LITERAL`` for a Python object (``pyarrow.table(...)``), which the command line does not
    take as text."""
    if example is None:
        return None
    try:
        value = ast.literal_eval(example)
    except (ValueError, SyntaxError):
        return _NOT_A_LITERAL
    return value if isinstance(value, str) else example


def _pass_through_option(command: click.Command) -> click.Option | None:
    """The command's ``-O/--option KEY=VALUE`` option, if it hands options on to the library."""
    for param in command.params:
        if isinstance(param, click.Option) and param.multiple and "--option" in param.opts:
            return param
    return None


def option_speller(command: click.Command | None) -> Callable[[Parameter], str]:
    """How ``command`` spells a library parameter: its own option, ``-O name=value``, or Python's."""
    options: dict[str, click.Option] = {}
    if command is not None:
        for param in command.params:
            if isinstance(param, click.Option) and param.name and not param.hidden:
                options.setdefault(param.name, param)
    pass_through = _pass_through_option(command) if command is not None else None

    def spell(parameter: Parameter) -> str:
        value = _value(parameter.example)
        option = options.get(parameter.name)
        if option is not None and option is not pass_through:
            name = max(option.opts, key=len)
            if option.is_flag:
                return name
            if value is not None and value is not _NOT_A_LITERAL:
                return f"{name} {value}"
            return f"{name} {option.metavar or option.type.name.upper()}"
        if pass_through is not None and value is not _NOT_A_LITERAL:
            return f"{pass_through.opts[0]} {parameter.name}={value if value is not None else 'VALUE'}"
        return parameter.python()

    return spell


def cli_message(error: SamhandlingError, command: click.Command | None) -> str:
    """The error's message with each parameter spelled as ``command``'s option for it."""
    return error.render(option_speller(command))
