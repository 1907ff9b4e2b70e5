"""Load test: the itinerary endpoint under gunicorn, with latency percentiles.

Starts the app under gunicorn on 127.0.0.1 (a fresh SQLite file), then for
each concurrency level runs closed-loop clients for a fixed time against
``POST /api/v1/itineraries`` (plan and save) and, in the same run, against
the trivial ``GET /healthz`` of the same app, and prints throughput,
p50/p95/p99 latency, errors and the ratio of the two throughputs.

    python bench/load.py --seconds 60 --clients 10,50 [--workers 2 --threads 4]

The clients are Python threads on the same 2-core machine as the server, so
the trivial endpoint's figure is partly limited by the client itself; the
ratio is still measured in one run on one machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _server import Server  # noqa: E402

THEMES = ["mountain", "nature", "history", "culture", "science", "taiji", "shopping", "food", "family", "red", "industry"]


def _body(rng: random.Random) -> dict[str, object]:
    day = dt.date(2026, 4, 1) + dt.timedelta(days=rng.randrange(200))
    picks = rng.sample(THEMES, rng.randint(1, 3))
    return {
        "date": day.isoformat(),
        "interests": {t: round(rng.uniform(0.5, 2.0), 1) for t in picks},
        "mode": rng.choice(["drive", "bus", "walk", "mixed"]),
        "pace": rng.choice(["relaxed", "normal", "active"]),
    }


def run(base: str, clients: int, seconds: float, kind: str) -> dict[str, float]:
    host, port = base.removeprefix("http://").split(":")
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        mine: list[float] = []
        bad: list[str] = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                if kind == "plan":
                    conn.request(
                        "POST",
                        "/api/v1/itineraries",
                        body=json.dumps(_body(rng)),
                        headers={"Content-Type": "application/json"},
                    )
                else:
                    conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
                ok = r.status in (200, 201)
                if not ok:
                    bad.append(str(r.status))
            except (OSError, http.client.HTTPException) as exc:
                bad.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=120)
                continue
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            lat.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {
        "requests": len(lat),
        "errors": len(errors),
        "rps": len(lat) / elapsed,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", default="10,50")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # Every client here shares the address 127.0.0.1, so the per-IP planning
        # limit (30 a minute) is switched off for the measurement.
        server = Server(
            Path(tmp), workers=args.workers, threads=args.threads, env={"TOURPLAN_RATELIMIT_ENABLED": "false"}
        ).start()
        try:
            # warm every worker (numba cache load, graph shortest paths)
            run(server.url, args.workers * args.threads, 3.0, "plan")
            print(f"gunicorn {args.workers} workers x {args.threads} threads, {args.seconds:.0f} s per run")
            for c in (int(x) for x in args.clients.split(",")):
                plan = run(server.url, c, args.seconds, "plan")
                triv = run(server.url, c, args.seconds, "trivial")
                for name, r in (("POST /api/v1/itineraries", plan), ("GET /healthz", triv)):
                    print(
                        f"{c:3d} clients  {name:26s} {r['requests']:7.0f} req  {r['rps']:8.1f} req/s  "
                        f"p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  p99 {r['p99']:7.1f} ms  errors {r['errors']:.0f}"
                    )
                ratio = plan["rps"] / triv["rps"] if triv["rps"] else float("nan")
                print(f"{c:3d} clients  itinerary/trivial throughput ratio {ratio:.4f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
