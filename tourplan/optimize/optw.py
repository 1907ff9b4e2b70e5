"""Reader and result format for the OPTW/TOPTW benchmark files (Vansteenwegen et al.)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tourplan.errors import DataValidationError
from tourplan.errors import Issue as _Issue
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
        Listing every bad value at once, each by row and column (a field that
        is not a finite number, a negative duration or score, close before
        open, an out-of-order id, a line too short), or a file without a
        depot line. A depot with no sites is a valid, trivial instance.

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
    where = str(path)
    for k, fields in enumerate(body):
        row = k + 3
        if len(fields) < 7:
            shown = " ".join(fields)
            need = "a vertex line: id x y duration score ... open close (at least 7 fields)"
            issues.append(_Issue(where, row, None, shown, need))
            continue
        named = {
            "id": fields[0], "x": fields[1], "y": fields[2], "duration": fields[3], "score": fields[4],
            "open": fields[-2], "close": fields[-1],
        }  # fmt: skip
        values: dict[str, float] = {}
        for col, text in named.items():
            try:
                values[col] = float(text)
            except ValueError:
                issues.append(_Issue(where, row, col, text, "a number"))
                continue
            if not math.isfinite(values[col]):
                issues.append(_Issue(where, row, col, text, "a finite number"))
        if len(values) < len(named):
            continue
        if values["id"] != k:
            issues.append(_Issue(where, row, "id", named["id"], f"vertex id {k}"))
        for col in ("duration", "score"):
            if values[col] < 0:
                issues.append(_Issue(where, row, col, named[col], "a number >= 0"))
        if values["open"] > values["close"]:
            issues.append(_Issue(where, row, "close", named["close"], f"close >= open ({named['open']})"))
        rows.append(tuple(values[c] for c in ("x", "y", "duration", "score", "open", "close")))  # type: ignore[arg-type]
    if not rows and not issues:
        issues.append(_Issue(where, None, None, None, "at least the depot line after the two header lines"))
    if issues:
        raise DataValidationError(issues, what="the instance file")
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
