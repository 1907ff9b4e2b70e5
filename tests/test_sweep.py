"""Tests of season sweeps (tourplan.sweep): cases, aggregation, and Dask clusters local and remote."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from tourplan.cli import main
from tourplan.errors import RequestValidationError
from tourplan.sweep import (
    CaseSummary,
    SweepCase,
    SweepResult,
    _episodes,
    aggregate,
    make_cases,
    run_sweep,
    sweep_serial,
)

ROOT = Path(__file__).parents[1]
D1, D2 = dt.date(2027, 10, 1), dt.date(2027, 10, 2)
#: Small, quick simulations (one 4-hour bucket, one plan variant).
QUICK = {"bucket_minutes": 240, "min_plan_share": 0.05, "plan_time_limit": 0.02, "plan_variants": 1}


def test_make_cases() -> None:
    cases = make_cases(D1, D2, [50_000, 100_000], 3)
    assert len(cases) == 12 and len(set(cases)) == 12
    assert cases[0] == SweepCase(D1, 50_000, 0) and cases[-1] == SweepCase(D2, 100_000, 2)
    assert make_cases(D1, D1, [10, 10], [7, 7]) == [SweepCase(D1, 10, 7)]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((D2, D1, [1], 1), "to"),
        ((D1, D2, [], 1), "visitors"),
        ((D1, D2, [-1], 1), "visitors"),
        ((D1, D2, [1], 0), "seeds"),
        ((D1, D1 + dt.timedelta(days=400), [1, 2, 3], 20), "seeds"),
    ],
)
def test_make_cases_refuses(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(RequestValidationError, match=field):
        make_cases(*args)


def test_alert_episodes_are_runs_of_slots() -> None:
    alerting = np.array(
        [[0, 1, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0]], dtype=bool
    )
    assert _episodes(alerting).tolist() == [2, 1, 0, 3]


def _summary(date: dt.date, visitors: int, seed: int, peak: float, eps: int) -> CaseSummary:
    return CaseSummary(SweepCase(date, visitors, seed), ("a", "b"), (peak, 10.0), (eps, 0), (100, 5))


def test_aggregate_percentiles_over_seeds() -> None:
    summaries = [
        _summary(D1, 50, s, peak, eps) for s, (peak, eps) in enumerate([(50, 0), (90, 2), (70, 1), (110, 4)])
    ]
    summaries.append(_summary(D2, 50, 0, 30, 0))
    forward = aggregate(summaries)
    assert forward == aggregate(reversed(summaries))  # order of arrival does not matter
    assert forward.cases == 5 and forward.dates == [D1, D2] and forward.demands == [50]
    a = next(r for r in forward.rows if r.date == D1 and r.site_id == "a")
    assert a.seeds == 4
    assert a.peak_pct_p50 == pytest.approx(80.0)  # linear interpolation between 70 and 90
    assert a.peak_pct_p90 == pytest.approx(104.0)  # 90 + 0.7 * (110 - 90)
    assert (a.episodes_p50, a.episodes_p90) == (pytest.approx(1.5), pytest.approx(3.4))
    ids, dates, grid = forward.heat(50)
    assert ids == ["a", "b"] and dates == [D1, D2] and grid[0] == [pytest.approx(104.0), pytest.approx(30.0)]
    assert SweepResult.from_dict(json.loads(json.dumps(forward.to_dict()))) == forward


# --------------------------------------------------------------------------- Dask


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def remote_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A separately started ``dask scheduler`` with two ``dask worker`` processes."""
    log_dir = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> None:
        with (log_dir / f"{name}.log").open("ab") as log:
            procs.append(
                subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=log, stderr=log)
            )

    start("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
          "--dashboard-address", ":0", "--no-show")  # fmt: skip
    for k in range(2):
        start(f"worker{k}", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1",
              "--no-dashboard", "--name", f"w{k}")  # fmt: skip
    from distributed import Client

    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_every_simulation_of_a_sweep_is_one_of_its_cases(  # type: ignore[no-untyped-def]
    bundled_sites, bundled_graph, monkeypatch, tmp_path
):
    """Each date is planned by simulating its case of largest demand (smallest seed), not by an extra run."""
    import tourplan.flow

    real = tourplan.flow.simulate
    runs: list[tuple[dt.date, int, int, int]] = []

    def counted(scenario: Any, *args: Any, **kwargs: Any) -> Any:
        lib = kwargs["plans"]
        before = lib.planned
        out = real(scenario, *args, **kwargs)
        runs.append((scenario.date, scenario.visitors, kwargs["seed"], lib.planned - before))
        return out

    monkeypatch.setattr(tourplan.flow, "simulate", counted)
    monkeypatch.setenv("TOURPLAN_CACHE_DIR", str(tmp_path))  # no plans on disk from another test
    cases = make_cases(D1, D2, [1500, 3000], [5, 2])
    result = sweep_serial(cases, bundled_sites, bundled_graph, QUICK)
    assert result.cases == len(cases) == 8
    assert sorted(r[:3] for r in runs) == sorted((c.date, c.visitors, c.seed) for c in cases)
    planning = [r[:3] for r in runs if r[3]]  # the runs that made plans: one per date, before the others
    assert planning == [(D1, 3000, 2), (D2, 3000, 2)] == [r[:3] for r in runs[:2]]


@pytest.mark.slow
def test_same_numbers_serial_local_cluster_and_remote_scheduler(  # type: ignore[no-untyped-def]
    bundled_sites, bundled_graph, remote_scheduler
):
    cases = make_cases(D1, D2, [1500, 3000], 2)
    reference = sweep_serial(cases, bundled_sites, bundled_graph, QUICK)
    local = run_sweep(cases, bundled_sites, bundled_graph, QUICK, workers=2)
    remote = run_sweep(cases, bundled_sites, bundled_graph, QUICK, scheduler=remote_scheduler)
    assert reference.cases == local.cases == remote.cases == 8
    assert local == reference
    assert remote == reference
    assert len(reference.rows) == 2 * 2 * len(bundled_sites)
    assert any(r.peak_pct_p90 > 0 for r in reference.rows)
    # more visitors, no less load at the busiest site
    busiest = max(reference.rows, key=lambda r: r.peak_pct_p50).site_id
    load = {(r.date, r.visitors): r.peak_pct_p50 for r in reference.rows if r.site_id == busiest}
    assert all(load[(d, 3000)] >= load[(d, 1500)] for d in (D1, D2))


@pytest.mark.slow
def test_cli_sweep_on_a_running_scheduler(remote_scheduler: str) -> None:
    t = time.perf_counter()
    args = ["sweep", "--from", "2027-10-02", "--to", "2027-10-02", "--visitors", "1000", "--seeds", "2",
            "--scheduler", remote_scheduler]  # fmt: skip
    r = CliRunner().invoke(main, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["cases"] == 2 and data["dates"] == ["2027-10-02"] and data["visitors"] == [1000]
    assert {row["seeds"] for row in data["rows"]} == {2}
    text = CliRunner().invoke(main, [*args, "--format", "text"])
    assert text.exit_code == 0 and "1,000 visitors: p90 peak % of C0" in text.stdout
    assert time.perf_counter() - t < 600
    bad = CliRunner().invoke(
        main, ["sweep", "--from", "2027-10-05", "--to", "2027-10-01", "--visitors", "10"]
    )
    assert bad.exit_code == 2 and "to: expected a date on or after 2027-10-05" in bad.output
    bad = CliRunner().invoke(main, ["sweep", "--from", "2027-10-01", "--to", "2027-10-01", "--visitors", "x"])
    assert bad.exit_code == 2 and "comma-separated counts" in bad.output


@pytest.mark.slow
def test_staff_sweep_page(tmp_path: Path, remote_scheduler: str) -> None:
    import helpers
    from markupsafe import escape

    app = helpers.make_app(
        tmp_path, user=(helpers.STAFF_USER, helpers.STAFF_PASSWORD), SIMULATION_OVERRIDES=QUICK,
        SWEEP_SCHEDULER=remote_scheduler, SWEEP_MAX_CASES=10,
    )  # fmt: skip
    staff = helpers.login(app.test_client())
    page = staff.get("/staff/sweeps")
    assert page.status_code == 200 and "季节批量模拟" in page.get_data(as_text=True)
    form = {"date_from": "2027-10-01", "date_to": "2027-10-02", "visitors": "1500, 3000", "seeds": "2"}
    r = staff.post("/staff/sweeps", data={**form, "date_to": "2027-09-30"})
    assert r.status_code == 400 and "2027-10-01" in r.get_data(as_text=True)
    r = staff.post("/staff/sweeps", data={**form, "seeds": "3"})  # 12 simulations > SWEEP_MAX_CASES
    assert r.status_code == 400 and "at most 10 simulations" in r.get_data(as_text=True)
    r = staff.post("/staff/sweeps", data=form)
    assert r.status_code == 303
    run_id = r.headers["Location"].rsplit("/", 1)[-1]
    store = app.extensions["tourplan.store"]
    deadline = time.monotonic() + 300
    while store.get_run(run_id).status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
    run = store.get_run(run_id)
    assert run.status == "done", run.error
    expected = sweep_serial(make_cases(D1, D2, [1500, 3000], 2), *_bundled(app), QUICK)
    assert SweepResult.from_dict(run.result) == expected  # the job's numbers are the sweep's
    html = staff.get(f"/staff/sweeps/{run_id}?lang=en").get_data(as_text=True)
    assert 'class="heat"' in html and "1,500 visitors a day" in html and "3,000 visitors a day" in html
    busiest = max(expected.rows, key=lambda r: r.peak_pct_p90)
    label = app.extensions["tourplan.data"].current().sites[busiest.site_id].label("en")
    assert str(escape(label)) in html
    assert f">{round(busiest.peak_pct_p90)}</td>" in html
    assert staff.get("/staff/sweeps").get_data(as_text=True).count(run_id) == 1
    assert app.test_client().get(f"/staff/sweeps/{run_id}").status_code in (302, 401)  # login needed


def _bundled(app: Any) -> tuple[Any, Any]:
    data = app.extensions["tourplan.data"].current()
    return data.sites, data.graph
