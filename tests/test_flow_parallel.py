"""Tests of the plan library's workers (tourplan.flow._parallel): forked processes and threads."""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time

import pytest

from tourplan.flow._parallel import can_fork, run_all


def _square(i: int) -> int:
    return i * i


def _pid(_: int) -> int:
    return os.getpid()


def _fail_at(bad: int, i: int) -> int:
    if i == bad:
        msg = f"job {i} failed"
        raise ValueError(msg)
    return i


def _slow(i: int) -> int:
    time.sleep(0.2)
    return i


@pytest.mark.parametrize("fork", [True, False])
def test_every_job_once_with_its_own_result(fork: bool) -> None:
    jobs = [functools.partial(_square, i) for i in range(40)]
    got = list(run_all(jobs, 2, fork=fork))
    assert sorted(i for i, _ in got) == list(range(40))
    assert all(r == i * i for i, r in got)


@pytest.mark.skipif(not can_fork(), reason="no fork on this platform")
def test_jobs_run_in_other_processes_when_forked() -> None:
    pids = {r for _, r in run_all([functools.partial(_pid, i) for i in range(8)], 2)}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2
    threaded = {r for _, r in run_all([functools.partial(_pid, i) for i in range(8)], 2, fork=False)}
    assert threaded == {os.getpid()}


@pytest.mark.parametrize("fork", [True, False])
def test_a_jobs_exception_is_raised_in_the_caller(fork: bool) -> None:
    jobs = [functools.partial(_fail_at, 5, i) for i in range(10)]
    with pytest.raises(ValueError, match="job 5 failed"):
        list(run_all(jobs, 2, fork=fork))
    assert not multiprocessing.active_children()


def test_closing_early_ends_the_workers() -> None:
    jobs = [functools.partial(_slow, i) for i in range(50)]  # 5 s of work on two workers
    t0 = time.perf_counter()
    results = run_all(jobs, 2)
    first = next(results)
    results.close()
    assert first[1] == first[0]
    assert time.perf_counter() - t0 < 2.0
    assert not multiprocessing.active_children()


def test_a_thread_other_than_the_main_one_plans_on_threads() -> None:
    got: list[set[int]] = []
    worker = threading.Thread(
        target=lambda: got.append({r for _, r in run_all([functools.partial(_pid, i) for i in range(8)], 2)})
    )
    worker.start()
    worker.join()
    assert got == [{os.getpid()}]
