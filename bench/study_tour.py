"""Study-tour planner benchmark: planning time, value, upper bound and gap.

Run ``PYTHONPATH=. python bench/study_tour.py`` from the checkout (so its
``tourplan`` is the one measured).  For 6, 10 and 30 groups of 40 junior
students (science, history; one bus of 53 seats per group) on the bundled data,
date 2026-05-12 (a Tuesday), start Jiaozuo station, prints per seed

* the planning time (:func:`plan_study_tour`, the bound's search included;
  the engine is compiled first): wall seconds and CPU seconds of this
  process (on a shared machine the CPU time is the figure that does not
  depend on the other jobs);
* the plan's study value and its true upper bound ``value_upper_bound`` (each
  group's best possible solo day, less what sharing the sites' capacity must
  cost, see :mod:`tourplan.study.bound` and :mod:`tourplan.study.relax`),
  whether the solo searches closed (``exact``) or are proven caps (they ran
  out of budget), and the gap ``1 - value / bound``;
* the sum of the solo days ``value_solo_bound`` and the gap to it: what the
  groups could reach with the sites to themselves.

Targets (issue 25): 30 groups planned in at most 3 s; gap at most 5 % or
explained (capacity forcing groups apart).
"""

from __future__ import annotations

import time

from tourplan.data import load_edges, load_sites
from tourplan.graph import SiteGraph
from tourplan.optimize.solve import warm_up
from tourplan.study import StudyTourRequest, plan_study_tour


def request(groups: int) -> StudyTourRequest:
    return StudyTourRequest.from_dict(
        {
            "school": "bench",
            "grade": "junior",
            "students": 40 * groups,
            "group_size": 40,
            "buses": groups,
            "seats": 53,
            "date": "2026-05-12",
            "themes": "science,history",
        }
    )


def main() -> None:
    sites = load_sites()
    graph = SiteGraph(sites, load_edges(None, sites))
    warm_up()
    print(
        f"{'groups':>6} {'seed':>4} {'wall s':>7} {'cpu s':>6} {'value':>8} {'bound':>8} {'exact':>5} {'gap':>6} "
        f"{'solo':>8} {'gap':>6}"
    )
    for groups in (6, 10, 30):
        req = request(groups)
        for seed in (0, 1):
            t0, c0 = time.perf_counter(), time.process_time()
            plan = plan_study_tour(req, sites, graph, seed=seed)
            secs, cpu = time.perf_counter() - t0, time.process_time() - c0
            bound = plan.value_upper_bound or 0.0
            solo = plan.value_solo_bound or 0.0
            gap = 1 - plan.value / bound if bound else float("nan")
            solo_gap = 1 - plan.value / solo if solo else float("nan")
            print(
                f"{groups:>6} {seed:>4} {secs:>7.2f} {cpu:>6.2f} {plan.value:>8.2f} {bound:>8.2f} "
                f"{'yes' if plan.bound_exact else 'no':>5} {gap:>6.1%} {solo:>8.2f} {solo_gap:>6.1%}"
            )


if __name__ == "__main__":
    main()
