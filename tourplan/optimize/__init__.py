"""Orienteering engine: (team) orienteering problem with time windows.

Every itinerary in tourplan is built by :func:`solve` on a :class:`Problem`.
"""

from __future__ import annotations

from tourplan.optimize.check import check_solution, schedule_route
from tourplan.optimize.exact import solve_exact
from tourplan.optimize.optw import format_result, read_optw
from tourplan.optimize.problem import Problem, Route, Solution, Visit, VisitGroup
from tourplan.optimize.solve import SolveParams, solve

__all__ = [
    "Problem",
    "Route",
    "Solution",
    "SolveParams",
    "Visit",
    "VisitGroup",
    "check_solution",
    "format_result",
    "read_optw",
    "schedule_route",
    "solve",
    "solve_exact",
]
