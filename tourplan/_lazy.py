"""Lazy public names of a package (PEP 562): a name's module is imported when the name is first used.

``tourplan`` and ``tourplan.flow`` export many names from modules that load
heavy parts (compiled kernels, pandas); a caller that needs one small piece
(say, a crowd forecast read from the disk cache) should not pay for the rest.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["attach"]


def attach(package: str, homes: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose public name ``n`` lives in module ``homes[n]``.

    Examples
    --------
    >>> getattr_, dir_ = attach("tourplan.flow", {"day_type": "tourplan.flow.calendar"})
    >>> getattr_("day_type").__module__, "day_type" in dir_()
    ('tourplan.flow.calendar', True)
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)  # later lookups find it without this function
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
