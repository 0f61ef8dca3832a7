"""What the plugins registered: sources, exporters, checks and the catalogues.

Each ``samhandling_register_*`` hook is called once per plugin, in plugin order (built-ins first), with a
:class:`Registrar` bound to that plugin's name.  The registrar validates each object and refuses a
name that another plugin registered already, naming both plugins.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import attrs
import pluggy

from samhandling.errors import PluginError

__all__ = ["Catalogue", "Registered", "Registrar", "Registry", "collect_registry"]

T = TypeVar("T")


@typing.final
@attrs.frozen
class Registered(Generic[T]):
    """One registered object and the plugin that registered it."""

    name: str
    obj: T
    plugin: str


def _name_of(obj: object) -> str:
    # Catalogue objects (target groups, units) are keyed by code, variables by id, plugins by name.
    for attribute in ("code", "id", "name"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value:
            return value
    if isinstance(obj, str):
        return obj
    raise TypeError("it has no name, code or id")


@typing.final
class Catalogue(Generic[T]):
    """Registered objects of one kind, by name, with the plugin each came from."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Registered[T]] = {}
        self._aliases: dict[str, str] = {}

    def add(self, obj: T, *, plugin: str, aliases: tuple[str, ...] = ()) -> None:
        """Add ``obj`` under its name (``code``, ``id`` or ``name``) and ``aliases``.

        :raises PluginError: the object has no name, or a name is taken (naming both plugins).
        """
        try:
            name = _name_of(obj)
        except TypeError as exc:
            raise PluginError(f"plugin {plugin!r} registered a {self.kind} {obj!r}, but {exc}") from None
        for key in (name, *aliases):
            owner = self._entries.get(self._aliases.get(key, key))
            if owner is not None:
                raise PluginError(
                    f"plugin {plugin!r} registers {self.kind} {key!r}, which plugin {owner.plugin!r} "
                    f"already registered; rename one of them or disable a plugin with "
                    f"SAMHANDLING_DISABLED_PLUGINS"
                )
        self._entries[name] = Registered(name, obj, plugin)
        for alias in aliases:
            self._aliases[alias] = name

    def __getitem__(self, name: str) -> T:
        return self.entry(name).obj

    def entry(self, name: str) -> Registered[T]:
        """The object registered as ``name`` (or an alias) with the plugin that registered it.

        :raises KeyError: naming the unknown name and the registered ones.
        """
        key = self._aliases.get(name, name)
        try:
            return self._entries[key]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise KeyError(f"no {self.kind} named {name!r}; registered: {known}") from None

    def get(self, name: str) -> T | None:
        """The object registered as ``name`` (or an alias), or ``None``."""
        entry = self._entries.get(self._aliases.get(name, name))
        return entry.obj if entry else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._aliases.get(name, name) in self._entries

    def __iter__(self) -> Iterator[T]:
        return (entry.obj for entry in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """Registered names in registration order (built-ins first), without aliases."""
        return list(self._entries)

    def entries(self) -> list[Registered[T]]:
        """Every registration with the plugin it came from, in registration order."""
        return list(self._entries.values())

    def __repr__(self) -> str:
        return f"<Catalogue of {len(self)} {self.kind}(s): {', '.join(self.names()[:8])}>"


@typing.final
class Registrar:
    """The callable a ``samhandling_register_*`` hook receives, bound to one plugin.

    ``register(obj)`` adds ``obj``; ``register(obj, aliases=("other-name",))`` adds alternative names.
    """

    def __init__(self, catalogue: Catalogue[Any], plugin: str, validate: Callable[[object], None]) -> None:
        self._catalogue = catalogue
        self._validate = validate
        self.plugin = plugin

    def __call__(self, obj: object, *, aliases: tuple[str, ...] = ()) -> None:
        try:
            self._validate(obj)
        except (TypeError, ValueError) as exc:
            raise PluginError(
                f"plugin {self.plugin!r} registered an invalid {self._catalogue.kind} {obj!r}: {exc}"
            ) from exc
        self._catalogue.add(obj, plugin=self.plugin, aliases=tuple(aliases))

    def __repr__(self) -> str:
        return f"<Registrar for {self._catalogue.kind}s of plugin {self.plugin!r}>"


def _needs(*attributes: str, callables: tuple[str, ...] = ()) -> Callable[[object], None]:
    def validate(obj: object) -> None:
        missing = [a for a in attributes if not getattr(obj, a, None) and getattr(obj, a, None) != ()]
        not_callable = [a for a in callables if not callable(getattr(obj, a, None))]
        if missing or not_callable:
            parts = []
            if missing:
                parts.append(f"missing attribute(s) {missing}")
            if not_callable:
                parts.append(f"missing method(s) {not_callable}")
            raise TypeError("; ".join(parts))

    return validate


def _instance_of(kind: type) -> Callable[[object], None]:
    def validate(obj: object) -> None:
        if not isinstance(obj, kind):
            raise TypeError(f"expected a {kind.__module__}.{kind.__qualname__}, got {type(obj).__name__}")

    return validate


def _unit_line(obj: object) -> None:
    if not isinstance(obj, str) or "=" not in obj:
        raise TypeError("expected a pint definition line such as 'vedtak = [decision]'")


def _click_command(obj: object) -> None:
    import click

    if not isinstance(obj, click.Command) or not obj.name:
        raise TypeError("expected a named click.Command")


@typing.final
class Registry:
    """Everything the plugins of one plugin manager registered."""

    def __init__(self) -> None:
        self.units: Catalogue[str] = Catalogue("unit definition")
        self.sources: Catalogue[Any] = Catalogue("source")
        self.exporters: Catalogue[Any] = Catalogue("exporter")
        self.checks: Catalogue[Any] = Catalogue("check")
        self.target_groups: Catalogue[Any] = Catalogue("target group")
        self.service_kinds: Catalogue[Any] = Catalogue("service kind")
        self.care_units: Catalogue[Any] = Catalogue("care unit")
        self.variables: Catalogue[Any] = Catalogue("variable")
        self.commands: Catalogue[Any] = Catalogue("command")

    def _plan(self) -> list[tuple[str, Catalogue[Any], Callable[[object], None]]]:
        from samhandling.model import CareUnit, ServiceKind, TargetGroup
        from samhandling.tables import Variable

        return [
            ("samhandling_register_units", self.units, _unit_line),
            ("samhandling_register_variables", self.variables, _instance_of(Variable)),
            ("samhandling_register_target_groups", self.target_groups, _instance_of(TargetGroup)),
            ("samhandling_register_service_kinds", self.service_kinds, _instance_of(ServiceKind)),
            ("samhandling_register_care_units", self.care_units, _instance_of(CareUnit)),
            (
                "samhandling_register_sources",
                self.sources,
                _needs("name", "description", callables=("can_read", "read")),
            ),
            (
                "samhandling_register_exporters",
                self.exporters,
                _needs("name", "description", "suffixes", callables=("write",)),
            ),
            ("samhandling_register_checks", self.checks, _needs("name", "description", callables=("run",))),
            ("samhandling_register_commands", self.commands, _click_command),
        ]


def collect_registry(pm: pluggy.PluginManager) -> Registry:
    """Call every registration hook, one plugin at a time, built-ins first."""
    from samhandling.units import add_definitions

    registry = Registry()
    for hook_name, catalogue, validate in registry._plan():
        caller = getattr(pm.hook, hook_name)
        # get_hookimpls() lists implementations in registration order (built-ins first); calling them
        # one by one lets the registrar know which plugin registers what.
        for impl in caller.get_hookimpls():
            registrar = Registrar(catalogue, impl.plugin_name, validate)
            kwargs = {"register": registrar}
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
                ) from exc
        if catalogue is registry.units:
            for entry in registry.units.entries():
                add_definitions([entry.obj], plugin=entry.plugin)
    return registry
