"""Run independent jobs on every core: forked worker processes where the platform has them, else threads.

The plan library's jobs are mostly Python (building the planner's model,
assembling its result) around a short compiled search, so threads share
one core for most of a job; forked processes do not.  A forked worker
starts with everything the caller has loaded (the site table, the graph,
the compiled code), takes job indices from a shared counter and sends each
result back through a pipe, so neither the jobs nor their inputs are ever
pickled; only results are.  Each job must depend on nothing but itself
(the results are then the same whichever worker makes them, in whatever
order).

A forked child holds only the thread that forked it; a lock another
thread held at that moment stays held there.  The workers take none of the
caller's locks: they run the planner, whose compiled code the caller has
loaded before (the first plan is made in the caller), send results
through their own pipes, and leave without running exit handlers.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Sequence
    from multiprocessing.connection import Connection
    from multiprocessing.sharedctypes import Synchronized

__all__ = ["can_fork", "run_all"]

T = TypeVar("T")


def can_fork() -> bool:
    """Whether jobs can go to forked processes here.

    On Linux, from a process's main thread (a server's request or background
    threads plan on threads: its other threads and their locks are its own
    business), and not inside a daemonic process (which may have no children).
    """
    return (
        sys.platform == "linux"
        and threading.current_thread() is threading.main_thread()
        and not multiprocessing.current_process().daemon
    )


def run_all(
    jobs: Sequence[Callable[[], T]], workers: int, *, fork: bool = True
) -> Generator[tuple[int, T], None, None]:
    """Call every job, ``workers`` at a time; yield ``(index, result)`` as each is done.

    On forked processes when ``fork`` and :func:`can_fork`, else on threads.
    A job's exception is raised here.  Closing the iterator early (or an
    exception in the caller's loop) stops the work: forked workers are
    ended, and threads take no new jobs.
    """
    if fork and workers > 1 and len(jobs) > 1 and can_fork():
        return _forked(jobs, workers)
    return _threaded(jobs, workers)


def _threaded(jobs: Sequence[Callable[[], T]], workers: int) -> Generator[tuple[int, T], None, None]:
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures = {pool.submit(job): i for i, job in enumerate(jobs)}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:  # on an error (a spent budget), jobs not started yet are dropped
        pool.shutdown(wait=True, cancel_futures=True)


def _serve(jobs: Sequence[Callable[[], Any]], counter: Synchronized[int], out: Connection) -> None:
    """A forked worker: take the next job index until none is left, sending back each result."""
    while True:
        with counter.get_lock():
            i = counter.value
            counter.value += 1
        if i >= len(jobs):
            break
        try:
            result = jobs[i]()
        except Exception as exc:  # noqa: BLE001 -- handed to the parent, which raises it
            try:
                out.send((i, None, exc))
            except Exception:  # noqa: BLE001 -- an exception that does not pickle: its text then
                out.send((i, None, RuntimeError(f"{type(exc).__name__}: {exc}")))
            break
        out.send((i, result, None))
    out.close()


def _forked(jobs: Sequence[Callable[[], T]], workers: int) -> Generator[tuple[int, T], None, None]:
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)
    readers: list[Connection] = []
    procs = []
    try:
        for _ in range(min(workers, len(jobs))):
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_serve, args=(jobs, counter, writer), daemon=True)
            with warnings.catch_warnings():
                # Python 3.12+ warns about forking a process with threads (a lock another thread
                # holds stays held in the child). The worker only plans, with the planner's code
                # loaded before the fork, and leaves without cleaning up; see the module notes.
                warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                proc.start()
            writer.close()
            readers.append(reader)
            procs.append(proc)
        left = len(jobs)
        while left:
            if not readers:
                msg = f"the worker processes ended with {left} of {len(jobs)} jobs not done"
                raise RuntimeError(msg)
            for conn in wait(readers):
                assert isinstance(conn, multiprocessing.connection.Connection)
                try:
                    i, result, exc = conn.recv()
                except EOFError:  # that worker is done (or died)
                    readers.remove(conn)
                    continue
                if exc is not None:
                    raise exc
                left -= 1
                yield i, result
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join()
        for conn in readers:
            conn.close()
