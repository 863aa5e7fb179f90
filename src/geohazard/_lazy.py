"""Lazy public names for a subpackage, so ``import geohazard.<package>`` stays fast.

``from geohazard.forecast import ETAS`` imports ``geohazard.forecast.etas`` only then.

Each subpackage's ``__init__`` lists ``name -> submodule`` once and calls
:func:`lazy_exports`::

    _EXPORTS = {"Catalog": "core", "read_catalog": "io"}
    __all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str], namespace: dict[str, Any]
                 ) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, a module ``__getattr__`` and ``__dir__`` for ``package``'s lazy names.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Public name -> submodule (relative to ``package``) that defines it.
    namespace
        The package's ``globals()``: a name is cached there after its first use.
    """
    names = sorted(exports)

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module-level hook's name
        if name in exports:
            value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(set(namespace) | set(names))

    return names, __getattr__, __dir__
