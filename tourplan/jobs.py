"""Background jobs: where simulation runs, sweeps and large study tours execute, and how they stop.

A :class:`Runner` takes a :class:`SimulationJob`, a :class:`SweepJob` or a
:class:`StudyJob` (a run already recorded in the
:class:`~tourplan.store.Store`), executes it somewhere, and writes the
outcome into that run with :meth:`Store.update_run`. Two runners:

* :class:`ThreadRunner` -- threads of the process that submits (the web
  worker): the embedded default, nothing else to run. A cancel or the time
  limit takes effect at the job's next progress report or planner
  checkpoint (:func:`tourplan.limits.checkpoint`).
* :class:`QueueRunner` -- an RQ queue in Redis (``TOURPLAN_REDIS_URL``),
  executed by ``tourplan worker`` processes (:func:`serve`). RQ forks a
  work horse per job, so a time limit or a cancel kills the horse; a worker
  that dies mid-job leaves its job in RQ's started-job registry, from which
  any other worker's maintenance re-queues it once (``retries``) or fails it
  with ``AbandonedJobError`` (RQ >= 1.13 runs the failure hooks there).

Why RQ: the smallest of RQ, Dramatiq and Celery that gives per-job time
limits, stop and cancel, and a failed-with-reason state for jobs whose
worker died, with Redis as its only dependency (see the README).

Whatever the runner, a run ends ``done`` or ``failed`` (with the reason in
``error``); :meth:`Runner.cancel` fails it with :data:`CANCELLED`. A cancel
works from any process: it is written into the run
(:meth:`Store.request_stop`), and :func:`run_job` reads it at the job's
checkpoints, at most every :data:`STOP_POLL` seconds.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tourplan.errors import TourplanError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from concurrent.futures import Future, ThreadPoolExecutor

    from redis import Redis
    from rq.job import Job

    from tourplan.flow import Scenario
    from tourplan.graph import SiteGraph
    from tourplan.limits import Budget
    from tourplan.site import SiteTable
    from tourplan.store import Store
    from tourplan.sweep import SweepCase

__all__ = [
    "CANCELLED",
    "JobStoppedError",
    "QueueRunner",
    "Runner",
    "SimulationJob",
    "StudyJob",
    "SweepJob",
    "ThreadRunner",
    "run_job",
    "serve",
]

#: ``error`` of a run stopped by :meth:`Runner.cancel`.
CANCELLED = "cancelled"
#: Name of the RQ queue.
QUEUE_NAME = "tourplan"
#: Seconds between two reads of a run's stop request from the store.
STOP_POLL = 0.5


class JobStoppedError(TourplanError, RuntimeError):
    """A job was cancelled or ran past its time limit (the message says which)."""


@dataclass(frozen=True)
class SimulationJob:
    """One simulation run: a pure function of its scenario, sites, graph and seed.

    Pickled onto the queue as it is (the bundled sites and graph take about
    220 kB), so a worker on another machine needs no site files.
    """

    run_id: str
    scenario: Scenario
    sites: SiteTable
    graph: SiteGraph
    seed: int = 0
    #: Work and wall-clock budget of the run (:mod:`tourplan.limits`); its clock starts when the run starts.
    budget: Budget | None = None

    def work(self, progress: Callable[[float], None]) -> dict[str, Any]:
        """Simulate (under :attr:`budget` when given); the result's ``to_dict()``.

        With countermeasures, the same day is also simulated without them and
        the two are compared (``comparison``: :func:`tourplan.flow.compare`).
        """
        with _within(self.budget):
            return self._simulate(progress)

    def _simulate(self, progress: Callable[[float], None]) -> dict[str, Any]:
        from dataclasses import replace

        from tourplan.flow import Measures, compare, simulate

        result = simulate(self.scenario, self.sites, self.graph, seed=self.seed, progress=progress)
        data = result.to_dict()
        if self.scenario.measures.active:
            planned = simulate(replace(self.scenario, measures=Measures()), self.sites, self.graph, seed=self.seed)
            data["comparison"] = compare(planned, result).to_dict()
        return data


@dataclass(frozen=True)
class SweepJob:
    """A season sweep (:mod:`tourplan.sweep`) run as one job that drives a Dask cluster.

    ``scheduler`` is the address of a running ``dask scheduler``; None starts
    a local cluster of ``workers`` processes for the sweep.
    """

    run_id: str
    cases: tuple[SweepCase, ...]
    sites: SiteTable
    graph: SiteGraph
    base: dict[str, Any] = field(default_factory=dict)
    scheduler: str | None = None
    workers: int | None = None

    def work(self, progress: Callable[[float], None]) -> dict[str, Any]:
        """Sweep; the result's ``to_dict()``."""
        from tourplan.sweep import run_sweep

        result = run_sweep(
            self.cases, self.sites, self.graph, self.base,
            scheduler=self.scheduler, workers=self.workers, progress=progress,
        )  # fmt: skip
        return result.to_dict()


@dataclass(frozen=True)
class StudyJob:
    """A large study tour (:mod:`tourplan.study`), planned as a job and saved as a study-tour plan.

    ``request`` holds the request's values (JSON-ready, as
    ``StudyTourRequest.from_dict`` takes them). The plan replaces the saved
    plan ``plan_id`` (an edit), or is saved as a new plan of ``owner_id``;
    the run's result is ``{"plan_id": ...}``. ``extra`` goes into the saved
    result as it is (the site-data version the plan was made on).
    """

    run_id: str
    name: str
    request: dict[str, Any]
    sites: SiteTable
    graph: SiteGraph
    seed: int = 0
    #: Work and wall-clock budget (:mod:`tourplan.limits`); its clock starts when the run starts.
    budget: Budget | None = None
    owner_id: int | None = None
    plan_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def work(self, progress: Callable[[float], None]) -> dict[str, Any]:
        """Plan; the plan's ``to_dict()`` with :attr:`extra`.

        Progress is the optimizer time asked for so far against the planner's
        documented cost, ``(1 + improve_rounds) x buses`` solves of
        ``time_limit`` (rounds that improve nothing end early, so the bar may
        jump to the end).
        """
        from tourplan.limits import watch
        from tourplan.study import StudyTourRequest, plan_study_tour

        req = StudyTourRequest.from_dict(self.request)
        expected = max(req.time_limit * req.buses * (1 + req.improve_rounds), 1e-9)
        asked = [0.0]

        def step(work: float) -> None:
            asked[0] += work
            progress(min(0.95, asked[0] / expected))

        with _within(self.budget), watch(step):
            plan = plan_study_tour(req, self.sites, self.graph, seed=self.seed)
        return {**plan.to_dict(), **self.extra}

    def save(self, store: Store, result: dict[str, Any]) -> dict[str, Any]:
        """Save the plan (a new one, or over :attr:`plan_id`); the run's result."""
        if self.plan_id is not None:
            rec = store.update_study(self.plan_id, name=self.name, request=self.request, result=result)
        else:
            rec = store.save_study(self.name, self.request, result, owner_id=self.owner_id)
        return {"plan_id": rec.id}


AnyJob = SimulationJob | SweepJob | StudyJob


@contextmanager
def _within(b: Budget | None) -> Iterator[None]:
    """The block under budget ``b`` (its clock starts here), or unbounded without one."""
    from tourplan.limits import budget

    with budget(b) if b is not None else nullcontext():
        yield


def run_job(store: Store, job: AnyJob, *, stop: Callable[[], str | None] = lambda: None) -> str:
    """Run a recorded job and write every step into the store.

    Parameters
    ----------
    store
        Where the run lives.
    job
        What to run.
    stop
        Asked at every progress report and planner checkpoint; a non-empty
        answer stops the job and becomes the run's error. A stop request
        in the store (:meth:`Store.request_stop`, from any process) is read
        there too, at most every :data:`STOP_POLL` seconds, and before the
        job starts.

    Returns
    -------
    str
        The run's final status, ``done`` or ``failed``. A failure of the
        planner that says why in message codes (``InfeasibleRequestError``)
        keeps them, rendered in every language (``{"zh": ..., "en": ...}``),
        as the run's result ``{"messages": [...]}``, for pages to show in
        their reader's language.
    """
    from tourplan.limits import watch

    last = [0.0]
    polled = [-STOP_POLL]

    def check(_work: float = 0.0) -> None:
        reason = stop()
        now = time.monotonic()
        if not reason and now - polled[0] >= STOP_POLL:
            polled[0] = now
            reason = store.stop_requested(job.run_id)
        if reason:
            raise JobStoppedError(reason)

    def progress(fraction: float) -> None:
        check()
        now = time.monotonic()
        if now - last[0] >= 0.25:
            last[0] = now
            store.update_run(job.run_id, progress=min(float(fraction), 0.99))

    try:
        check()  # a run cancelled while it waited in the queue never starts
        store.update_run(job.run_id, status="running", progress=0.0)
        with watch(check):
            result = job.work(progress)
        if isinstance(job, StudyJob):
            result = job.save(store, result)
        store.update_run(job.run_id, status="done", progress=1.0, result=result)
    except TourplanError as exc:
        from tourplan.messages import LANGS

        messages = [{lang: m.render(lang) for lang in LANGS} for m in getattr(exc, "messages", ())]
        store.update_run(
            job.run_id, status="failed", error=str(exc), result={"messages": messages} if messages else None
        )
    except Exception as exc:  # noqa: BLE001 - a crashed run is reported, never lost
        reason = _timeout_reason(exc) or f"internal error: {type(exc).__name__}: {exc}"
        store.update_run(job.run_id, status="failed", error=reason)
    rec = store.get_run(job.run_id)
    return rec.status if rec is not None else "failed"


def _timeout_reason(exc: BaseException) -> str | None:
    """The run's error for RQ's time-limit exception, else None."""
    if type(exc).__name__ == "JobTimeoutException":
        return f"time limit exceeded ({exc})"
    return None


class Runner(Protocol):
    """Where runs execute."""

    name: str

    def submit(self, store: Store, job: AnyJob) -> None:
        """Start (or queue) a recorded run."""

    def cancel(self, store: Store, run_id: str) -> bool:
        """Stop a queued or running run; False when it is not this runner's or already over."""

    def health(self) -> dict[str, Any]:
        """What the health endpoint reports about the runner."""


# --------------------------------------------------------------------------- in-process threads


class ThreadRunner:
    """Runs jobs on a thread pool of this process (the embedded default).

    Parameters
    ----------
    executor
        The pool (its size is how many runs go at once).
    time_limit
        Seconds a run may take once started; longer runs fail with
        ``time limit exceeded``.

    Notes
    -----
    Runs live and die with the process (use :class:`QueueRunner` behind
    several web workers). A cancel reaches a run of another process through
    the store: that process stops it at its next checkpoint.
    """

    name = "thread"

    def __init__(self, executor: ThreadPoolExecutor, *, time_limit: float = 600.0) -> None:
        self.executor = executor
        self.time_limit = float(time_limit)
        self._lock = threading.Lock()
        self._futures: dict[str, Future[str]] = {}
        self._stops: dict[str, str] = {}

    def submit(self, store: Store, job: AnyJob) -> None:
        """Queue the run on the pool."""

        def work() -> str:
            deadline = time.monotonic() + self.time_limit

            def stop() -> str | None:
                if job.run_id in self._stops:
                    return self._stops[job.run_id]
                if time.monotonic() > deadline:
                    return f"time limit exceeded ({self.time_limit:g} s)"
                return None

            try:
                return run_job(store, job, stop=stop)
            finally:
                with self._lock:
                    self._futures.pop(job.run_id, None)
                    self._stops.pop(job.run_id, None)

        with self._lock:
            self._futures[job.run_id] = self.executor.submit(work)

    def cancel(self, store: Store, run_id: str) -> bool:
        """Drop a run queued here; stop a running one, or another process's, at its next checkpoint."""
        with self._lock:
            fut = self._futures.get(run_id)
            if fut is not None and fut.cancel():
                self._futures.pop(run_id, None)
                store.update_run(run_id, status="failed", error=CANCELLED)
                return True
            if fut is not None:
                self._stops[run_id] = CANCELLED
        return store.request_stop(run_id, CANCELLED)

    def health(self) -> dict[str, Any]:
        """Runs this process holds."""
        with self._lock:
            return {"runner": self.name, "jobs": len(self._futures)}


# --------------------------------------------------------------------------- RQ on Redis


class QueueRunner:
    """Puts jobs on an RQ queue in Redis; ``tourplan worker`` processes run them.

    Parameters
    ----------
    redis_url
        ``redis://host:port/db``.
    time_limit
        Seconds a job may run (RQ ``job_timeout``: the work horse is stopped).
    retries
        How often a job whose worker died is queued again before it fails.
    """

    name = "rq"

    def __init__(self, redis_url: str, *, time_limit: float = 600.0, retries: int = 1) -> None:
        from redis import Redis
        from rq import Queue

        self.connection: Redis = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.connection)
        self.time_limit = max(1, int(time_limit))
        self.retries = max(0, int(retries))

    def submit(self, store: Store, job: AnyJob) -> None:
        """Enqueue the run under its own id."""
        from rq import Retry

        self.queue.enqueue(
            _perform,
            job,
            job_id=job.run_id,
            job_timeout=self.time_limit,
            retry=Retry(max=self.retries) if self.retries else None,
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
            description=f"{type(job).__name__} {job.run_id}",
        )

    def cancel(self, store: Store, run_id: str) -> bool:
        """Cancel a queued job; stop a running one (at its next checkpoint, and by stopping its work horse)."""
        from rq.command import send_stop_job_command
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.job import Job, JobStatus

        try:
            rq_job = Job.fetch(run_id, connection=self.connection)
        except NoSuchJobError:
            return False
        status = rq_job.get_status()
        if status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            store.request_stop(run_id, CANCELLED)  # in case a worker takes it right now
            rq_job.cancel()
            store.update_run(run_id, status="failed", error=CANCELLED)
            return True
        if status == JobStatus.STARTED:
            asked = store.request_stop(run_id, CANCELLED)
            try:
                send_stop_job_command(self.connection, run_id)
            except InvalidJobOperation:
                return asked  # between two states: the checkpoint stops it
            return True  # the worker records the run as cancelled (_Worker.handle_job_failure)
        return False

    def health(self) -> dict[str, Any]:
        """Queue length, jobs running, failed jobs and live workers."""
        from rq import Worker

        return {
            "runner": self.name,
            "queued": self.queue.count,
            "running": self.queue.started_job_registry.count,
            "failed": self.queue.failed_job_registry.count,
            "workers": Worker.count(queue=self.queue),
        }


class _WorkerContext:
    """The store of this ``tourplan worker`` process (set by :func:`serve`).

    The one piece of module state in tourplan.jobs: a job function runs in
    RQ's work horse, forked from the worker, and finds the store here.
    """

    store: Store | None = None


def _perform(job: AnyJob) -> str:
    """The function RQ runs: the job, recorded in the worker's store."""
    store = _WorkerContext.store
    if store is None:
        msg = "no store: RQ jobs of tourplan run in `tourplan worker` processes"
        raise RuntimeError(msg)
    return run_job(store, job)


def _record_failure(store: Store, rq_job: Job, reason: str, *, retrying: bool) -> None:
    """Write an RQ-side failure (dead horse, dead worker, stop) into the run."""
    try:
        rec = store.get_run(rq_job.id)
    except Exception:  # noqa: BLE001 - the store may be gone too; RQ keeps its own record
        return
    if rec is None or rec.status in ("done", "failed"):
        return
    if retrying:
        store.update_run(rq_job.id, status="queued", progress=0.0)
    else:
        store.update_run(rq_job.id, status="failed", error=reason)


def _abandoned(job: Job, exc_type: type[BaseException], *_rest: Any) -> bool:
    """RQ exception handler: the registry clean-up found a job whose worker died."""
    from rq.exceptions import AbandonedJobError

    store = _WorkerContext.store
    if store is not None and exc_type is AbandonedJobError:
        reason = "the worker running it stopped (AbandonedJobError)"
        _record_failure(store, job, reason, retrying=bool(job.should_retry))
    return True


def _worker_class() -> type[Any]:
    from rq import Worker

    class _Worker(Worker):  # type: ignore[misc, unused-ignore]
        """RQ's forking worker that also records RQ-side failures in the store."""

        heartbeat_grace = 60

        def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
            # RQ adds a fixed 60 s to the monitoring interval; tests shorten it.
            ttl = int(super().get_heartbeat_ttl(job, working_time))
            return max(1, ttl - 60 + int(self.heartbeat_grace))

        def handle_job_failure(self, job: Job, queue: Any, *args: Any, **kwargs: Any) -> None:
            stopped = self._stopped_job_id == job.id
            retrying = bool(job.should_retry) and not stopped
            super().handle_job_failure(job, queue, *args, **kwargs)
            store = _WorkerContext.store
            if store is not None:
                exc = str(kwargs.get("exc_string") or "").strip().splitlines()
                reason = CANCELLED if stopped else f"worker: {exc[-1] if exc else 'job failed'}"
                _record_failure(store, job, reason, retrying=retrying)

    return _Worker


def serve(
    redis_url: str,
    store: Store,
    *,
    burst: bool = False,
    maintenance_interval: int = 600,
    monitoring_interval: int = 30,
    heartbeat_grace: int = 60,
    name: str | None = None,
) -> None:
    """Run an RQ worker on the tourplan queue until stopped (``tourplan worker``).

    Parameters
    ----------
    redis_url
        The queue's Redis.
    store
        Where runs are recorded (the web's ``DATABASE_URL``).
    burst
        Quit once the queue is empty.
    maintenance_interval
        Seconds between registry clean-ups (which fail or re-queue the jobs
        of dead workers).
    monitoring_interval, heartbeat_grace
        A running job's heartbeat is renewed every ``monitoring_interval``
        seconds and lapses ``heartbeat_grace`` seconds later; a job whose
        heartbeat lapsed counts as abandoned at the next clean-up.
    name
        The worker's name (RQ picks a random one).
    """
    from redis import Redis
    from rq import Queue

    _WorkerContext.store = store
    connection = Redis.from_url(redis_url)
    worker_cls = _worker_class()
    worker_cls.heartbeat_grace = int(heartbeat_grace)
    worker = worker_cls(
        [Queue(QUEUE_NAME, connection=connection)],
        connection=connection,
        name=name,
        maintenance_interval=int(maintenance_interval),
        # An idle worker waits on the queue for worker_ttl - 15 s before it can
        # clean up again; keep that wait within the maintenance interval.
        worker_ttl=min(420, int(maintenance_interval) + 15),
        job_monitoring_interval=int(monitoring_interval),
        exception_handlers=[_abandoned],
    )
    worker.work(burst=burst, logging_level="WARNING")
