"""The plugin manager: built-in plugins first, then every entry point in ``samhandling.plugins``.

Everyday code calls :func:`get_plugin_manager` with no arguments and gets a cached manager; tests and
tools build their own with ``autoload=False`` and ``extra=[my_plugin]``.  Every public function that
uses plugins takes ``plugin_manager=None`` and falls back to the cached default.

Operators' switches (named like pytest's):

``SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD=1``
    load no entry-point plugins (only the built-ins and those passed explicitly);
``SAMHANDLING_DISABLED_PLUGINS=a,b``
    skip these plugins by name (built-in or entry point).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import logging
import os
import typing
from collections.abc import Iterable
from importlib import metadata

import attrs
import pluggy

from samhandling import hookspecs
from samhandling.errors import PluginError
from samhandling.registry import Registry, collect_registry

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "PluginInfo",
    "PluginManager",
    "get_plugin_manager",
    "list_plugins",
    "resolve_plugin_manager",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "samhandling.plugins"
"""The entry-point group in which a distribution declares its plugin module."""

#: Built-in plugins, registered before any entry point under their dotted module names.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "samhandling.catalogue",
    "samhandling.sources",
    "samhandling.exporters.parquet",
    "samhandling.exporters.csv",
    "samhandling.exporters.jsonstat",
    "samhandling.exporters.xlsx",
    "samhandling.checks.rules",
)
"""Built-in plugins, registered before any entry point under their dotted module names."""


@typing.final
class PluginManager(pluggy.PluginManager):
    """A pluggy manager with samhandling's hooks and a lazily collected :class:`Registry`."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self._registry: Registry | None = None
        self.distributions: dict[str, metadata.Distribution] = {}

    def register(self, plugin: object, name: str | None = None) -> str | None:
        """Register a plugin object or module; a bad plugin raises :class:`PluginError` naming it."""
        try:
            result = super().register(plugin, name)
        except pluggy.PluginValidationError as exc:
            raise _validation_error(exc, self) from exc
        except ValueError as exc:
            raise PluginError(f"cannot register plugin {name or plugin!r}: {exc}") from exc
        self._registry = None
        return result

    def unregister(self, plugin: object | None = None, name: str | None = None) -> object | None:
        """Remove a plugin (by object or name); the registry is collected again on next use."""
        result = super().unregister(plugin, name)
        self._registry = None
        return result

    def check_pending(self) -> None:
        """Fail if a plugin implements a hook that does not exist, suggesting the closest hook name."""
        try:
            super().check_pending()
        except pluggy.PluginValidationError as exc:
            raise _validation_error(exc, self) from exc

    @property
    def registry(self) -> Registry:
        """What the plugins registered (collected on first use, again after (un)registering)."""
        if self._registry is None:
            self._registry = collect_registry(self)
        return self._registry


def _validation_error(exc: pluggy.PluginValidationError, pm: pluggy.PluginManager) -> PluginError:
    name = pm.get_name(exc.plugin) or getattr(exc.plugin, "__name__", repr(exc.plugin))
    message = str(exc)
    known = [h for h in dir(hookspecs) if h.startswith("samhandling_")]
    unknown = [word.strip("'\"") for word in message.split() if word.strip("'\"").startswith("samhandling_")]
    hint = ""
    for word in unknown:
        if word not in known:
            close = difflib.get_close_matches(word, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known hooks: {', '.join(known)}"
            break
    return PluginError(f"plugin {name!r} is not valid: {message}{hint}")


def _disabled_from_env() -> set[str]:
    raw = os.environ.get("SAMHANDLING_DISABLED_PLUGINS", "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def _autoload_from_env() -> bool:
    return os.environ.get("SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD", "").strip().lower() not in {
        "1",
        "true",
        "yes",
    }


def get_plugin_manager(
    *,
    autoload: bool | None = None,
    extra: Iterable[object] = (),
    disabled: Iterable[str] | None = None,
) -> PluginManager:
    """A new plugin manager: built-ins, then entry points (unless ``autoload`` is false), then ``extra``.

    :param autoload: load entry-point plugins; default: true unless
        ``SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD`` is set.
    :param extra: further plugin objects or modules to register (e.g. in tests or notebooks).
    :param disabled: plugin names to skip; default: ``SAMHANDLING_DISABLED_PLUGINS``.
    :raises PluginError: a plugin fails to import, implements an unknown hook, or a name is taken twice.
    """
    pm = PluginManager()
    skip = set(disabled) if disabled is not None else _disabled_from_env()
    seen: set[str] = set()
    for module_name in BUILTIN_PLUGINS:
        seen.add(module_name)
        if module_name in skip:
            continue
        pm.register(importlib.import_module(module_name), name=module_name)
    if autoload if autoload is not None else _autoload_from_env():
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if entry_point.name in seen:
                dist = entry_point.dist.name if entry_point.dist else "?"
                raise PluginError(
                    f"two plugins are named {entry_point.name!r} (the second comes from distribution "
                    f"{dist!r}); entry-point names in group {ENTRY_POINT_GROUP!r} must be unique"
                )
            seen.add(entry_point.name)
            if entry_point.name in skip:
                log.info("plugin %s disabled by SAMHANDLING_DISABLED_PLUGINS", entry_point.name)
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:
                dist = entry_point.dist.name if entry_point.dist else "?"
                raise PluginError(
                    f"plugin {entry_point.name!r} (distribution {dist!r}, {entry_point.value}) failed to "
                    f"load: {type(exc).__name__}: {exc}; uninstall it or set "
                    f"SAMHANDLING_DISABLED_PLUGINS={entry_point.name}"
                ) from exc
            pm.register(plugin, name=entry_point.name)
            if entry_point.dist is not None:
                pm.distributions[entry_point.name] = entry_point.dist
            log.debug("loaded plugin %s from %s", entry_point.name, entry_point.value)
    for plugin in extra:
        pm.register(plugin)
        seen.add(pm.get_name(plugin) or "")
    unknown = skip - seen
    if unknown:
        raise PluginError(
            f"SAMHANDLING_DISABLED_PLUGINS names plugin(s) {sorted(unknown)} that are not installed; "
            f"known plugins: {sorted(n for n in seen if n)}"
        )
    pm.check_pending()
    return pm


@functools.cache
def _default_plugin_manager() -> PluginManager:
    return get_plugin_manager()


def resolve_plugin_manager(plugin_manager: PluginManager | None = None) -> PluginManager:
    """``plugin_manager`` itself, or the cached default manager."""
    return plugin_manager if plugin_manager is not None else _default_plugin_manager()


def reset_default_plugin_manager() -> None:
    """Forget the cached default manager (after installing a plugin in a running notebook)."""
    _default_plugin_manager.cache_clear()


@typing.final
@attrs.frozen(kw_only=True)
class PluginInfo:
    """One loaded plugin: its name, where it comes from and which hooks it implements."""

    name: str
    builtin: bool
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]


def list_plugins(plugin_manager: PluginManager | None = None) -> list[PluginInfo]:
    """The loaded plugins, built-ins first, with their distribution versions and hooks."""
    from samhandling import __version__

    pm = resolve_plugin_manager(plugin_manager)
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = pm.distributions.get(name)
        builtin = name in BUILTIN_PLUGINS
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or []))
        infos.append(
            PluginInfo(
                name=name,
                builtin=builtin,
                distribution="samhandling" if builtin else (dist.name if dist else None),
                version=__version__ if builtin else (dist.version if dist else None),
                hooks=hooks,
            )
        )
    return infos
