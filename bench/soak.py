"""Soak test: moderate load for a long time; does memory keep growing?

Runs the app under gunicorn, drives ``POST /api/v1/itineraries`` with a few
clients for ``--minutes`` (30 by default), samples the resident memory of the
master and workers every ``--every`` seconds, and prints the samples, the
first/last/max values and the slope of a least-squares line over the second
half of the run (KiB per minute).

    python bench/soak.py --minutes 30 --clients 4
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _server import Server  # noqa: E402
from load import run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--every", type=float, default=30.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp), env={"TOURPLAN_RATELIMIT_ENABLED": "false"}).start()
        samples: list[tuple[float, int]] = []
        result: dict[str, float] = {}
        try:
            t0 = time.monotonic()
            load = threading.Thread(
                target=lambda: result.update(run(server.url, args.clients, args.minutes * 60, "plan"))
            )
            load.start()
            while load.is_alive():
                samples.append((time.monotonic() - t0, server.rss_kib()))
                print(f"t={samples[-1][0] / 60:6.1f} min  rss={samples[-1][1] / 1024:8.1f} MiB", flush=True)
                load.join(timeout=args.every)
        finally:
            server.stop()
    half = [s for s in samples if s[0] >= samples[-1][0] / 2]
    n = len(half)
    mx = sum(t for t, _ in half) / n
    my = sum(r for _, r in half) / n
    var = sum((t - mx) ** 2 for t, _ in half) or 1.0
    slope = sum((t - mx) * (r - my) for t, r in half) / var * 60
    print(
        f"requests {result.get('requests', 0):.0f}, errors {result.get('errors', 0):.0f}, "
        f"p50 {result.get('p50', float('nan')):.0f} ms, p99 {result.get('p99', float('nan')):.0f} ms"
    )
    print(
        f"rss first {samples[0][1] / 1024:.1f} MiB, last {samples[-1][1] / 1024:.1f} MiB, "
        f"max {max(r for _, r in samples) / 1024:.1f} MiB, slope over 2nd half {slope:.1f} KiB/min"
    )


if __name__ == "__main__":
    main()
