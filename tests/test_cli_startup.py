"""The command line starts fast: a command imports only what it uses.

Each check runs in a fresh interpreter (the test process has imported
everything already) and reads ``sys.modules`` after the command.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Packages that ``tourplan plan`` must not load: the web app, maps, frames, geocoders, plots, the queue.
HEAVY = ("flask", "folium", "pandas", "geopy", "matplotlib", "sqlalchemy", "dask", "redis", "networkx")
#: Parts of tourplan a visitor's plan does not use: the simulation (a plan reads its day's crowd forecast from
#: the disk cache, ``tourplan.flow.forecast``), study tours, maps, the web app, the store.
UNUSED = (
    "tourplan.flow.simulation", "tourplan.flow.engine", "tourplan.flow.plans",
    "tourplan.study", "tourplan.maps", "tourplan.web", "tourplan.store",
)  # fmt: skip
#: Loaded when numba sets up its compiler (its implementations; scipy.linalg by its BLAS probe): a plan loads the
#: engine's kernels from the cache without it (``tourplan/_jitcache.py``).
COMPILER = ("numba.np.arraymath", "numba.np.linalg", "numba.np.npyimpl", "scipy.linalg")

_PROBE = """
import json, sys
from tourplan.cli import main
try:
    main(sys.argv[1:], prog_name="tourplan")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
names = set(sys.modules) | {name.split(".")[0] for name in sys.modules}
loaded = sorted(names & set(json.loads(sys.stdin.read())))
print("\\nLOADED " + json.dumps({"exit": code, "loaded": loaded}))
"""


def _loaded_after(*args: str, watch: tuple[str, ...] = HEAVY) -> tuple[int, list[str]]:
    """Run ``tourplan ARGS`` in a fresh interpreter; its exit code and which modules of ``watch`` it loaded."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        input=json.dumps(watch), capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    line = out.stdout.rstrip().rpartition("\nLOADED ")[2]
    report = json.loads(line)
    return report["exit"], report["loaded"]


def test_heavy_packages_are_installed():
    """The checks below mean something only if each package could have been loaded."""
    missing = [m for m in HEAVY if importlib.util.find_spec(m) is None]
    assert missing == [], f"not installed, so their absence proves nothing: {missing}"


@pytest.mark.parametrize("args", [["--help"], ["plan", "--help"], ["study-tour", "--help"], ["--version"]])
def test_help_loads_no_heavy_package(args):
    code, loaded = _loaded_after(*args)
    assert code == 0
    assert loaded == []


@pytest.mark.parametrize("command", ["plan", "study-tour"])
def test_command_help_loads_no_compiler(command):
    """A planning command's help does not import numba (0.15 s); the group's help lists every command, so it may."""
    code, loaded = _loaded_after(command, "--help", watch=("numba", "llvmlite"))
    assert code == 0
    assert loaded == []


def test_plan_loads_no_heavy_package():
    args = ("plan", "--date", "2027-05-12", "--interests", "mountain=1,history=0.5", "--format", "json")
    _loaded_after(*args)  # the first plan of this data version simulates its day's forecast into the disk cache
    code, loaded = _loaded_after(*args, watch=HEAVY + UNUSED + COMPILER + ("numba",))
    assert code == 0
    assert loaded == ["numba"]  # the engine ran, loaded from numba's cache without setting up its compiler


def test_probe_sees_a_loaded_package():
    """The probe itself works: ``sites`` builds a pandas frame, a simulation loads the flow model."""
    code, loaded = _loaded_after("sites", "--format", "json", watch=HEAVY + UNUSED)
    assert code == 0
    assert loaded == ["pandas"]
    code, loaded = _loaded_after("simulate", "--date", "2027-05-12", "--visitors", "200", watch=HEAVY + UNUSED)
    assert code == 0
    assert "tourplan.flow.simulation" in loaded


def test_program_exits_without_collecting_its_objects():
    """``run`` (the program's entry point) freezes the collector as the command ends: shutdown then skips its objects."""
    probe = (
        "import gc, sys\n"
        "from tourplan.cli import run\n"
        "sys.argv = ['tourplan', '--version']\n"
        "try:\n    run()\nexcept SystemExit as exc:\n    print(gc.get_threshold()[0], exc.code, gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    assert out.stdout.split()[-2:] == ["0", "True"]
    assert int(out.stdout.split()[-3]) >= 10_000  # the command ran with a raised collection threshold
    main_out = subprocess.run(
        [sys.executable, "-m", "tourplan.cli", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert main_out.returncode == 0
    assert "tourplan" in main_out.stdout
