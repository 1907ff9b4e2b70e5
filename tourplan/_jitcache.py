"""Loading tourplan's compiled kernels from numba's disk cache without setting up the compiler.

A short command (``tourplan plan``) spends most of its time before the plan:
importing numba, then loading the engine's five kernels from the cache. Before
numba loads any cached kernel it *refreshes* its CPU target: it imports every
implementation it has (arrays, linear algebra, random numbers, typed
containers, ...) and registers them with the typing and lowering contexts,
about 0.1 s, plus 0.17 s more when one of them probes for BLAS by importing
``scipy.linalg``. A cached kernel needs none of that: it is machine code,
linked against numba's C helpers (registered when the target context is
made) and its runtime, the NRT (reference-counted memory for arrays made
inside compiled code). Only compiling needs the implementations, and numba's
compiler refreshes the target itself before it compiles.

:func:`load_quickly` gives a module's cached kernels a cache whose load
starts the runtime and reads the kernel, and nothing more. On a miss (no
cache yet, or a stale one) it returns nothing, as numba's own does, and
numba compiles, refreshing the target then; :func:`skip_blas_probe` runs
first so that refresh does not import ``scipy.linalg``.

This depends on two things inside numba (0.61-0.68, pinned in
``constraints.txt``): ``FunctionCache.load_overload(sig, target_context)``
calls ``target_context.refresh()`` and then ``_load_overload``, and
``rtsys.initialize(context)`` starts the runtime. ``tests/test_jitcache.py``
checks that a fresh process plans with no numba implementation module loaded
and gets the same plan as a process whose kernels were loaded the usual way.
If numba's cache class is not what this expects, :func:`load_quickly` leaves
the kernels alone.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

__all__ = ["load_quickly", "skip_blas_probe"]

_BLAS_PARENT = "scipy.linalg"
_IMPLEMENTATIONS = "numba.np.arraymath"  # the implementation module with the BLAS probe


def skip_blas_probe() -> None:
    """Let numba set up its CPU target without importing ``scipy.linalg`` (about 0.17 s).

    Setting up the target imports all numba's implementations; one of them,
    ``numba.np.arraymath``, probes for BLAS at import by importing
    ``scipy.linalg.cython_blas``, and all of ``scipy.linalg`` comes with it.
    The answer only decides whether compiled ``np.convolve`` and
    ``np.correlate`` take their inner products from BLAS or from a plain
    loop; no tourplan kernel calls them, or any other BLAS function. So the
    first set-up in the main thread imports that module while
    ``sys.modules`` maps ``scipy.linalg`` to ``None``, which makes the
    probe's import fail at once (the import system's documented meaning of
    ``None``), and then removes the mapping: ``scipy.linalg`` imports
    normally afterwards, and compiled ``np.dot`` or ``np.linalg`` still find
    BLAS (they import scipy when they are compiled).

    Nothing happens if ``scipy.linalg`` or numba's module is loaded already,
    or off the main thread (where another thread could be importing scipy).
    """
    if (
        _IMPLEMENTATIONS in sys.modules
        or _BLAS_PARENT in sys.modules
        or threading.current_thread() is not threading.main_thread()
    ):
        return
    sys.modules[_BLAS_PARENT] = None  # type: ignore[assignment]
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        if _BLAS_PARENT in sys.modules and sys.modules[_BLAS_PARENT] is None:
            del sys.modules[_BLAS_PARENT]


def _quick_cache_class() -> type | None:
    """numba's function cache with a lighter load, or ``None`` if numba's is not the expected shape."""
    from numba.core.caching import FunctionCache
    from numba.core.runtime.nrt import rtsys

    needed = ("_load_overload", "_guard_against_spurious_io_errors")
    if not all(hasattr(FunctionCache, name) for name in needed):
        return None

    class QuickCache(FunctionCache):
        """Load a cached kernel with only the runtime started; a miss leaves the compiling to numba."""

        def load_overload(self, sig: Any, target_context: Any) -> Any:
            rtsys.initialize(target_context)
            found = None
            with self._guard_against_spurious_io_errors():  # numba's: swallows some I/O errors on Windows
                found = self._load_overload(sig, target_context)  # type: ignore[no-untyped-call]
            if found is None:
                skip_blas_probe()  # numba compiles next, and refreshes the target first
            return found

    return QuickCache


_QUICK: list[type | None] = []


def load_quickly(namespace: dict[str, Any]) -> int:
    """Give the cached kernels among ``namespace``'s values the quick cache; how many got it.

    Call it at the end of a kernel module with ``globals()``. Kernels that are
    not cached (``cache=False``) or already loaded are left as they are.
    """
    from numba.core.caching import FunctionCache
    from numba.core.registry import CPUDispatcher

    if not _QUICK:
        _QUICK.append(_quick_cache_class())
    quick = _QUICK[0]
    if quick is None:
        return 0
    count = 0
    for value in namespace.values():
        cache = getattr(value, "_cache", None) if isinstance(value, CPUDispatcher) else None
        if type(cache) is FunctionCache and not value.overloads:
            cache.__class__ = quick
            count += 1
    return count
