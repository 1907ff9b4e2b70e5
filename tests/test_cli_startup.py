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


def test_plan_loads_no_heavy_package():
    args = ("plan", "--date", "2027-05-12", "--interests", "mountain=1,history=0.5", "--format", "json")
    _loaded_after(*args)  # the first plan of this data version simulates its day's forecast into the disk cache
    code, loaded = _loaded_after(*args, watch=HEAVY + UNUSED)
    assert code == 0
    assert loaded == []


def test_probe_sees_a_loaded_package():
    """The probe itself works: ``sites`` builds a pandas frame, a simulation loads the flow model."""
    code, loaded = _loaded_after("sites", "--format", "json", watch=HEAVY + UNUSED)
    assert code == 0
    assert loaded == ["pandas"]
    code, loaded = _loaded_after("simulate", "--date", "2027-05-12", "--visitors", "200", watch=HEAVY + UNUSED)
    assert code == 0
    assert "tourplan.flow.simulation" in loaded
