"""The plan library on disk: plans made by one process, read by the next.

One JSON file per data version and plan scope (the scenario fields plans
depend on), in :func:`cache_dir` (``TOURPLAN_CACHE_DIR``, else the user's
cache directory).  Inside, each plan is stored under the ``repr`` of its full
:class:`~tourplan.flow.PlanLibrary` key, so a plan is only ever reused for
exactly the key it was made for.  Files are written atomically (a temporary
file renamed over the old one), may be deleted at any time, and a file that
cannot be read, has another format version or fails a check is ignored: the
plans are made again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tourplan.flow.plans import Plan
    from tourplan.graph import SiteGraph
    from tourplan.site import SiteTable

__all__ = ["FORMAT", "cache_dir", "code_version", "data_version", "read_plans", "scope_path", "write_plans"]

FORMAT = 1
"""Version of the file layout; a file of another version is ignored."""


def cache_dir() -> Path:
    """Where plan files go: ``$TOURPLAN_CACHE_DIR/flow``, else ``$XDG_CACHE_HOME`` (or ``~/.cache``)/tourplan/flow."""
    env = os.environ.get("TOURPLAN_CACHE_DIR")
    if env:
        return Path(env) / "flow"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tourplan" / "flow"


@functools.cache
def code_version() -> str:
    """A hash of the planner's source (every module of ``tourplan`` but the web, map and command-line ones).

    Part of every file's key, so a change in the planner never reuses plans
    the old code made.
    """
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("web/", "maps/", "cli/")):
            continue
        h.update(rel.encode("utf-8"))
        h.update(path.read_bytes())
    return h.hexdigest()


def _canonical(value: object) -> object:
    """``value`` with its sets sorted and its dataclasses as (name, fields), for a ``repr`` equal in every process."""
    if isinstance(value, frozenset | set):
        return ("set", sorted(repr(_canonical(v)) for v in value))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return ("dict", sorted((repr(_canonical(k)), _canonical(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, _canonical(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    return value


def data_version(sites: SiteTable, graph: SiteGraph) -> str:
    """A hash of the site table, the graph's explicit edges and its mode parameters (and :func:`code_version`).

    >>> from tourplan.data import load_sites
    >>> from tourplan.graph import SiteGraph
    >>> t = load_sites()
    >>> data_version(t, SiteGraph(t)) == data_version(t, SiteGraph(t))
    True
    """
    h = hashlib.sha256(code_version().encode("ascii"))
    h.update(repr(_canonical(tuple(sites))).encode("utf-8"))
    h.update(repr(_canonical(graph.edges)).encode("utf-8"))
    h.update(repr(_canonical(graph.modes)).encode("utf-8"))
    return h.hexdigest()


def scope_path(directory: Path, data: str, scope: object) -> Path:
    """The file of the plans of ``scope`` (a value with a stable ``repr``) on data version ``data``."""
    digest = hashlib.sha256(f"{FORMAT}|{data}|{scope!r}".encode()).hexdigest()[:32]
    return directory / f"plans-v{FORMAT}-{digest}.json"


def _plan_of(row: Any) -> Plan | None:
    from tourplan.flow.plans import Plan

    if not (isinstance(row, list) and len(row) == 3 and all(isinstance(x, list) for x in row)):
        return None
    sites, start, dwell = row
    if not (len(sites) == len(start) == len(dwell)):
        return None
    if not all(isinstance(s, str) for s in sites):
        return None
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (*start, *dwell)):
        return None
    return Plan(tuple(sites), tuple(float(x) for x in start), tuple(float(x) for x in dwell))


def read_plans(path: Path, data: str) -> dict[str, Plan]:
    """The plans stored in ``path`` by key ``repr``; empty if the file is missing, corrupt or of another version."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or raw.get("data") != data:
        return {}
    rows = raw.get("plans")
    if not isinstance(rows, dict):
        return {}
    out: dict[str, Plan] = {}
    for key, row in rows.items():
        plan = _plan_of(row)
        if plan is None:
            return {}
        out[key] = plan
    return out


def write_plans(path: Path, data: str, plans: dict[str, Plan]) -> None:
    """Write ``plans`` to ``path`` atomically; a failure to write only loses the cache."""
    body = {
        "format": FORMAT,
        "data": data,
        "plans": {k: [list(p.sites), list(p.start), list(p.dwell)] for k, p in sorted(plans.items())},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".plans-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(body, f, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return
