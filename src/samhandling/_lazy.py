"""Names of a package loaded on first use (PEP 562), so that importing the package stays cheap: the
heavy modules behind it (pyarrow compute, the geography tables, the report) load only when asked for."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    namespace: dict[str, Any], names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's ``__getattr__`` and ``__dir__``: each name of ``names`` is imported from the module
    it maps to when first used, and kept in the package's ``namespace`` (its ``globals()``)."""
    package = namespace["__name__"]

    def get(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def listing() -> list[str]:
        return sorted(namespace.get("__all__", names))

    return get, listing
