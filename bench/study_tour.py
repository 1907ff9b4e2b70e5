"""Study-tour planner benchmark: quality (joint vs. alone) and speed.

Run ``python bench/study_tour.py``.  Prints

* quality: the total study value of 6 groups of 40 planned together, and the
  sum of each group's plan made alone (no other group on the sites; solved
  with 10x the time per solve), the reference the joint value is compared
  with (a heuristic value, not a strict bound: the joint plan can exceed it);
  target: joint within 10 % of it;
* speed: wall time of 10 groups of 40 planned together; target <= 5 s.

Both on the bundled data, date 2026-05-12 (a Tuesday), start Jiaozuo station.
"""

from __future__ import annotations

import statistics
import time

from tourplan.data import load_edges, load_sites
from tourplan.graph import SiteGraph
from tourplan.optimize.solve import warm_up
from tourplan.study import StudyTourRequest, group_value_bound, plan_study_tour


def request(students: int, **kw: object) -> StudyTourRequest:
    base: dict[str, object] = {
        "school": "bench",
        "grade": "junior",
        "students": students,
        "group_size": 40,
        "buses": students // 40,
        "seats": 53,
        "date": "2026-05-12",
        "themes": "science,history",
    }
    base.update(kw)
    return StudyTourRequest.from_dict(base)


def main() -> None:
    sites = load_sites()
    graph = SiteGraph(sites, load_edges(None, sites))
    warm_up()
    print("quality: 6 groups of 40 together vs. each alone (alone: 10x time per solve)")
    cases = {
        "junior science,history": request(240),
        "primary nature,science": request(240, grade="primary", themes="nature,science"),
        "senior red,history,industry": request(240, grade="senior", themes="red,history,industry"),
        "primary + yazheng (cap 52) required": request(240, grade="primary", require="yazheng_history_museum"),
        "junior, museum public load 1600/1700": request(
            240, require="nsbd_fangzhi_museum", day_end="18:00",
            public_load={"counts": {"nsbd_fangzhi_museum": [1600] * 96}},
        ),
        "primary, max 2 groups per site": request(240, grade="primary", themes="nature,science", max_groups_per_site=2),
    }  # fmt: skip
    ratios = []
    for name, req in cases.items():
        for seed in (0, 1):
            try:
                plan = plan_study_tour(req, sites, graph, seed=seed)
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"  {name:40} seed {seed}: {type(exc).__name__}: {str(exc)[:120]}")
                continue
            bound = group_value_bound(req, sites, graph, seed=seed, time_limit=req.time_limit * 10)
            bound = max(bound, plan.value_bound)
            ratio = plan.value / bound
            ratios.append(ratio)
            print(
                f"  {name:40} seed {seed}: joint {plan.value:7.2f}  alone {bound:7.2f}  ratio {ratio:.3f}"
                f"  warnings {len(plan.warnings)}"
            )
    print(f"  ratio min {min(ratios):.3f}  mean {statistics.mean(ratios):.3f}  (target >= 0.900)")
    print("speed: 10 groups of 40 planned together")
    req = request(400)
    times = []
    for seed in range(3):
        t0 = time.perf_counter()
        plan = plan_study_tour(req, sites, graph, seed=seed)
        times.append(time.perf_counter() - t0)
        print(
            f"  seed {seed}: {times[-1]:.2f} s, value {plan.value:.2f} (alone {plan.value_bound:.2f})"
        )
    print(f"  max {max(times):.2f} s  (target <= 5 s)")


if __name__ == "__main__":
    main()
