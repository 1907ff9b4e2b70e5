"""Benchmark: the largest site table the visitor planner serves within its time targets.

Targets (the same as ``bench/itinerary.py``): a one-day plan at most 300 ms at
the median, three days at most 1 s. Larger tables make every plan slower
(the planner scores, windows and routes every site of the table) and the
site graph's build (a networkx graph per mode and all-pairs shortest paths,
O(n^3)) much slower; so the web app refuses uploads above the size this
script measures (``tourplan.limits.MAX_SITES``).

Tables of each size are made from the bundled one: its rows are repeated
with new ids and names and points moved by up to 10 km (inside the
Jiaozuo region), so the mix of categories, opening hours and themes stays
that of the real data.

    python bench/table_size.py [--sizes 61,120,250,500,1000] [--repeat 2]

Prints, per size: the time to validate the table, to build the graph of
every mode, and the median and 90th percentile of the 1-day and 3-day plans
(the six requests of ``bench/itinerary.py`` on different dates), then the
largest size that met both targets. Plans are timed by the CPU time of the
process (planning is single-threaded), which is what a quiet machine's wall
clock shows; the wall-clock median is printed as well, since on a shared
machine it is larger.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from itinerary import REQUESTS  # noqa: E402

from tourplan.data import parse_sites  # noqa: E402
from tourplan.errors import TourplanWarning  # noqa: E402
from tourplan.graph import SiteGraph  # noqa: E402
from tourplan.itinerary import ItineraryRequest, plan_itinerary  # noqa: E402
from tourplan.resources import default_pois_path  # noqa: E402
from tourplan.site import Region  # noqa: E402

TARGETS = {1: 0.300, 3: 1.0}


def synthetic_table(n: int, *, seed: int = 0) -> bytes:
    """CSV bytes of ``n`` sites made from the bundled table (see the module docstring)."""
    rows = list(csv.DictReader(io.StringIO(default_pois_path().read_text(encoding="utf-8"))))
    fields = list(rows[0])
    rng = random.Random(seed)
    region = Region()
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for k in range(n):
        base = rows[k % len(rows)]
        copy = k // len(rows)
        row = dict(base)
        if copy:
            row["id"] = f"{base['id']}_{copy}"
            row["name_zh"] = f"{base['name_zh']}{copy}"
            row["name_en"] = f"{base['name_en']} {copy}"
            row["parent_id"] = ""
            if "aliases" in row:  # other names must be unique across the table
                row["aliases"] = ""
            for _ in range(100):
                lat = float(base["lat"]) + rng.uniform(-0.09, 0.09)
                lon = float(base["lon"]) + rng.uniform(-0.11, 0.11)
                if region.contains(lat, lon):
                    break
            row["lat"], row["lon"] = f"{lat:.5f}", f"{lon:.5f}"
        w.writerow(row)
    return out.getvalue().encode("utf-8")


def measure(n: int, repeat: int) -> dict[str, float]:
    """Seconds to validate and to build the graph, and plan medians/p90 per number of days."""
    raw = synthetic_table(n)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TourplanWarning)  # copies near a gazetteer point
        sites = parse_sites(raw, name=f"synthetic-{n}.csv")
    t1, c1 = time.perf_counter(), time.process_time()
    graph = SiteGraph(sites)
    graph.prepare()
    t2, c2 = time.perf_counter(), time.process_time()
    out = {"parse": t1 - t0, "graph": t2 - t1, "graph_cpu": c2 - c1}
    plan_itinerary(ItineraryRequest(start_date=dt.date(2026, 10, 3)), sites, graph)  # numba, caches
    for days in TARGETS:
        times, walls = [], []
        for k in range(repeat):
            for i, extra in enumerate(REQUESTS):
                day = dt.date(2026, 4, 1) + dt.timedelta(days=17 * i + 5 * k)
                req = ItineraryRequest(start_date=day, days=days, **extra)  # type: ignore[arg-type]
                t, w = time.process_time(), time.perf_counter()
                plan_itinerary(req, sites, graph, seed=k)
                times.append(time.process_time() - t)
                walls.append(time.perf_counter() - w)
        times.sort()
        out[f"wall{days}"] = statistics.median(walls)
        out[f"median{days}"] = statistics.median(times)
        out[f"p90_{days}"] = times[int(0.9 * (len(times) - 1))]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="61,120,250,500,1000", help="comma-separated table sizes")
    ap.add_argument("--repeat", type=int, default=2, help="rounds of the six requests per size")
    args = ap.parse_args()
    best = 0
    for n in (int(x) for x in args.sizes.split(",")):
        m = measure(n, args.repeat)
        ok = all(m[f"median{d}"] <= t for d, t in TARGETS.items())
        best = n if ok and n > best else best
        print(
            f"{n:5d} sites: validate {m['parse'] * 1000:5.0f} ms, graph {m['graph']:5.1f} s (CPU {m['graph_cpu']:5.1f} s); "
            f"1 day median {m['median1'] * 1000:4.0f} ms (p90 {m['p90_1'] * 1000:4.0f}); "
            f"3 days median {m['median3'] * 1000:5.0f} ms (p90 {m['p90_3'] * 1000:5.0f}); "
            f"wall-clock medians {m['wall1'] * 1000:.0f} / {m['wall3'] * 1000:.0f} ms -> "
            f"{'OK' if ok else 'MISSED'}",
            flush=True,
        )
    print(f"largest size within the targets (1 day <= 300 ms, 3 days <= 1 s at the median): {best}")


if __name__ == "__main__":
    main()
