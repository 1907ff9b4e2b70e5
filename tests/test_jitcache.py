"""Cached kernels load without setting up numba's compiler, and still compute what they did.

Each check runs in a fresh interpreter: the test process has loaded numba's
implementations long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: A kernel module of the kind tourplan has: cached kernels, an array made inside compiled code (the runtime), and
#: the legacy random numbers the engine draws.
_KERNELS = """
import numpy as np
from numba import njit
from tourplan._jitcache import load_quickly


@njit(cache=True, inline="always")
def _step(x):
    return 2.0 * x + 1.0


@njit(cache=True)
def transformed(a, seed):
    np.random.seed(seed)
    out = np.empty_like(a)
    for i in range(a.size):
        out[i] = _step(a[i]) + np.random.random()
    return out


QUICK = load_quickly(globals())
"""

#: numba's usual way: every implementation set up before the first kernel loads.
_REFRESH = "from numba.core.registry import cpu_target; cpu_target.target_context.refresh()"

_RUN = """
import json, sys
{first}
import numpy as np
import kernels
out = kernels.transformed(np.arange(5.0), 7)
sig = kernels.transformed.signatures[0]
print(json.dumps({{
    "quick": kernels.QUICK,
    "out": out.tolist(),
    "hits": kernels.transformed.stats.cache_hits[sig],
    "misses": kernels.transformed.stats.cache_misses[sig],
    "implementations": "numba.np.arraymath" in sys.modules,
    "scipy": "scipy.linalg" in sys.modules,
    "blas": getattr(sys.modules.get("numba.np.arraymath"), "_HAVE_BLAS", None),
}}))
import scipy.linalg.cython_blas  # noqa: E402  (the probe's stand-in is gone: scipy imports as usual)
print(scipy.linalg.cython_blas.__name__)
"""


def _run(folder: Path, first: str = "") -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _RUN.format(first=first)],
        capture_output=True, text=True, cwd=folder, timeout=300, check=True,
        env={**_env(), "PYTHONPATH": f"{folder}:{ROOT}"},
    )  # fmt: skip
    *_, line, scipy_name = out.stdout.strip().splitlines()
    assert scipy_name == "scipy.linalg.cython_blas"
    result: dict[str, object] = json.loads(line)
    return result


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}


def test_a_cached_kernel_loads_without_the_compiler(tmp_path: Path) -> None:
    """First process: a miss, so numba compiles (BLAS probe skipped). Second: the cache, with no implementations."""
    (tmp_path / "kernels.py").write_text(_KERNELS)
    compiled = _run(tmp_path)
    assert compiled["quick"] == 2  # both kernels, the inlined helper too
    assert (compiled["hits"], compiled["misses"]) == (0, 1)
    assert compiled["implementations"] is True  # compiling loads them all
    assert compiled["scipy"] is False  # ... but numba's BLAS probe did not import scipy.linalg
    assert compiled["blas"] is False
    loaded = _run(tmp_path)
    assert (loaded["hits"], loaded["misses"]) == (1, 0)
    assert loaded["implementations"] is False
    assert loaded["scipy"] is False
    assert loaded["out"] == compiled["out"]  # the same machine code: the runtime and the random state work
    refreshed = _run(tmp_path, first=_REFRESH)
    assert refreshed["out"] == compiled["out"]  # the usual way (every implementation set up first) agrees


def test_a_loaded_scipy_is_left_alone(tmp_path: Path) -> None:
    """With scipy.linalg imported before the first compile, numba's probe finds BLAS as usual."""
    (tmp_path / "kernels.py").write_text(_KERNELS)
    first = _run(tmp_path, first="import scipy.linalg")
    assert (first["misses"], first["scipy"], first["blas"]) == (1, True, True)


_ENGINE = """
import json, sys
{first}
from pathlib import Path
from tourplan.optimize import read_optw, solve
from tourplan.optimize.solve import WORK_PER_SECOND, SolveParams
_, problem = read_optw(Path("tests/data/optw/grid30.txt"), routes=2)
sol = solve(problem, time_limit=0.05, params=SolveParams(work_rate=WORK_PER_SECOND), deterministic=True, seed=3)
print(json.dumps({{"routes": [list(r) for r in sol.routes], "score": sol.score,
                   "implementations": "numba.np.arraymath" in sys.modules}}))
"""


def test_engine_solves_alike_either_way() -> None:
    """The engine's kernels loaded quickly and loaded after numba's full set-up give the same solution."""
    runs = []
    for first in ("", "", _REFRESH):
        out = subprocess.run(
            [sys.executable, "-c", _ENGINE.format(first=first)],
            capture_output=True, text=True, cwd=ROOT, timeout=600, check=True,
        )  # fmt: skip
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    runs = runs[1:]  # the first run compiles the kernels if the engine changed since the cache was written
    # the engine's cache is warm now, so the quick run loaded no implementations
    assert runs[0]["implementations"] is False
    assert runs[1]["implementations"] is True
    assert runs[0]["routes"] == runs[1]["routes"]
    assert runs[0]["score"] == runs[1]["score"]
    assert runs[0]["score"] > 0
