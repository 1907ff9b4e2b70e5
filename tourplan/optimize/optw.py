"""Reader and result format for the OPTW/TOPTW benchmark files (Vansteenwegen et al.)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tourplan.errors import DataValidationError
from tourplan.errors import Problem as _Issue
from tourplan.optimize.problem import Problem, Route, Solution


def read_optw(path: str | Path, *, routes: int = 1, decimals: int | None = None) -> tuple[str, Problem]:
    """Read an OPTW/TOPTW instance file.

    Parameters
    ----------
    path
        Instance file (LF or CRLF line endings).
    routes
        Number of routes ``m``; it is not stored in the file.
    decimals
        Travel times are Euclidean distances truncated to this many decimals;
        default 2 for ``pr*`` files and 1 otherwise (the benchmark's convention).

    Returns
    -------
    tuple[str, Problem]
        Instance name (file stem) and the problem. Node ``i`` is vertex ``i`` of
        the file; node 0, the depot, starts and ends every route.

    Raises
    ------
    DataValidationError
        If the file has no vertex lines or a malformed one.

    Notes
    -----
    The two header lines are skipped without being trusted (``c204`` has a
    broken header), every following non-blank line is a vertex, and ``open``
    and ``close`` are always its last two fields. The depot's close is the time
    budget of every route.
    """
    path = Path(path)
    name = path.stem
    if decimals is None:
        decimals = 2 if name.startswith("pr") else 1
    if routes < 1:
        msg = f"routes: expected an integer >= 1, got {routes!r}"
        raise DataValidationError([_Issue(str(path), None, "routes", str(routes), msg)])
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    body = lines[2:]
    issues: list[_Issue] = []
    rows: list[tuple[float, float, float, float, float, float]] = []
    for k, fields in enumerate(body):
        try:
            vid = int(fields[0])
            x, y, dur, score = (float(v) for v in fields[1:5])
            open_, close = float(fields[-2]), float(fields[-1])
        except (ValueError, IndexError):
            issues.append(_Issue(str(path), k + 3, None, " ".join(fields), "a vertex line"))
            continue
        if vid != k:
            issues.append(_Issue(str(path), k + 3, "id", str(vid), f"vertex id {k}"))
        rows.append((x, y, dur, score, open_, close))
    if len(rows) < 2 and not issues:
        issues.append(_Issue(str(path), None, None, None, "a depot and at least one vertex"))
    if issues:
        raise DataValidationError(issues)
    data = np.array(rows)
    xy = data[:, :2]
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    scale = 10.0**decimals
    # Truncate as the benchmark does; the tiny epsilon guards 12.3 stored as 12.29999.
    travel = np.floor(dist * scale + 1e-7) / scale
    tmax = float(data[0, 5])
    windows: tuple[tuple[tuple[float, float], ...], ...] = ((),) + tuple(
        ((float(o), float(c)),) for o, c in data[1:, 4:6]
    )
    problem = Problem(
        travel=travel,
        scores=data[:, 3],
        service=data[:, 2],
        windows=windows,
        routes=tuple(Route(0, 0, float(data[0, 4]), tmax) for _ in range(routes)),
    )
    return name, problem


def format_result(name: str, solution: Solution) -> dict[str, Any]:
    """Return ``{"instance": name, "routes": [[vertex ids]], "score": total}``.

    Vertex ids are the file's ids (node ``i`` is vertex ``i``), depot excluded.
    """
    score: float | int = solution.score
    if math.isfinite(score) and float(score).is_integer():
        score = int(score)
    return {
        "instance": name,
        "routes": [list(r) for r in solution.routes],
        "score": score,
    }
