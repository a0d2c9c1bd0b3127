"""The bridge between the event loop and the threads that run sync user code.

Invariants this module keeps:

* Sync user code never runs on the event loop thread. The async pipeline
  hands each sync callable to the request's *worker*, one thread that runs
  all the sync code of that request (a sqlite connection made in a
  ``before_request`` hook can be closed in teardown).
* A thread blocked waiting for the loop (:func:`block_on`) keeps running the
  sync work that the awaited coroutine hands back to it, so affinity holds
  through any nesting of ``ensure_sync`` and the pipeline.
* ContextVar changes made on either side of a hop are copied back, so a
  request behaves as if it ran in one context.

It imports nothing from pottle.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import dis
import inspect
import sys
import threading
import typing as t
from collections import deque
from functools import partial
from queue import SimpleQueue

import werkzeug.local

T = t.TypeVar("T")
F = t.TypeVar("F", bound=t.Callable[..., t.Any])

_MISSING = object()


class Worker:
    """A queue of sync jobs, served by exactly one thread at a time.

    Pool threads serve their queue forever; any other thread serves its own
    queue only while it waits in :func:`block_on`.
    """

    def __init__(self) -> None:
        self._jobs: SimpleQueue[_Job | _Finished | None] = SimpleQueue()
        self._finished: set[int] = set()

    def submit(self, job: _Job | _Finished | None) -> None:
        self._jobs.put(job)

    def serve_until(self, waiter_id: int) -> None:
        """Run jobs until the waiter ``waiter_id`` is reported finished."""
        while waiter_id not in self._finished:
            item = self._jobs.get()
            if isinstance(item, _Finished):
                # A finish may belong to an outer waiter further up this
                # thread's stack (its coroutine was cancelled): keep it.
                self._finished.add(item.waiter_id)
            elif item is not None:
                item.run()
        self._finished.discard(waiter_id)

    def serve_forever(self) -> None:
        while (item := self._jobs.get()) is not None:
            if isinstance(item, _Job):
                item.run()


class _Job:
    __slots__ = ("fn", "args", "kwargs", "context", "loop", "future")

    def __init__(
        self,
        fn: t.Callable[..., t.Any],
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any],
        context: contextvars.Context,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[t.Any],
    ) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.context, self.loop, self.future = context, loop, future

    def run(self) -> None:
        try:
            result = self.context.run(self.fn, *self.args, **self.kwargs)
        except (KeyboardInterrupt, SystemExit) as exc:
            # asyncio lets these escape the loop and stop it; carry them
            # through the request instead, to the thread that waits on it.
            self.loop.call_soon_threadsafe(_settle, self.future, None, Escalated(exc))
        except BaseException as exc:  # handed to the awaiting coroutine
            self.loop.call_soon_threadsafe(_settle, self.future, None, exc)
        else:
            self.loop.call_soon_threadsafe(_settle, self.future, result, None)


class Escalated(BaseException):
    """A ``KeyboardInterrupt`` or ``SystemExit`` raised by sync user code,
    on its way through the event loop to the thread that waits for it."""

    def __init__(self, exception: BaseException) -> None:
        super().__init__(exception)
        self.exception = exception


class _Finished:
    __slots__ = ("waiter_id",)

    def __init__(self, waiter_id: int) -> None:
        self.waiter_id = waiter_id


def _settle(
    future: asyncio.Future[t.Any], result: t.Any, exc: BaseException | None
) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


class WorkerPool:
    """Threads that serve requests' sync work: at most ``max_workers`` are
    lent at once (``max_workers`` may change; idle threads are kept)."""

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._idle: list[Worker] = []
        self._count = 0  # threads started
        self._lent = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[Worker]]]
        self._waiters = deque()
        self._lock = threading.Lock()

    def try_acquire(self) -> Worker | None:
        """A worker if one may be lent right now (without waiting)."""
        with self._lock:
            return self._lend()

    def _lend(self) -> Worker | None:
        if self._lent < self.max_workers:
            self._lent += 1
            return self._idle.pop() if self._idle else self._start()
        return None

    async def acquire(self) -> Worker:
        with self._lock:
            if (worker := self._lend()) is not None:
                return worker
            loop = asyncio.get_running_loop()
            future: asyncio.Future[Worker] = loop.create_future()
            self._waiters.append((loop, future))
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(future.result())
            raise

    def release(self, worker: Worker) -> None:
        with self._lock:
            if self._lent <= self.max_workers:
                while self._waiters:
                    loop, future = self._waiters.popleft()
                    if not future.done():
                        # Still lent: it passes to the waiter.
                        try:
                            loop.call_soon_threadsafe(_hand_over, self, future, worker)
                        except RuntimeError:  # its loop is closed
                            continue
                        return
            self._lent -= 1
            self._idle.append(worker)

    def _start(self) -> Worker:
        self._count += 1
        worker = Worker()
        thread = threading.Thread(
            target=_serve_pool_thread,
            args=(worker,),
            name=f"pottle-worker-{self._count}",
            daemon=True,
        )
        thread.start()
        return worker


def _hand_over(
    pool: WorkerPool, future: asyncio.Future[Worker], worker: Worker
) -> None:
    if future.done():  # the waiter was cancelled meanwhile
        pool.release(worker)
    else:
        future.set_result(worker)


_thread_state = threading.local()


def _serve_pool_thread(worker: Worker) -> None:
    _thread_state.worker = worker
    worker.serve_forever()


def _thread_worker() -> Worker:
    worker: Worker | None = getattr(_thread_state, "worker", None)
    if worker is None:
        worker = _thread_state.worker = Worker()
    return worker


#: The default pool; its size can be changed before serving.
pool = WorkerPool(max_workers=40)


class Lease:
    """Which worker runs the sync code of one request (or one bridged call).

    Shared by every task that copies the request's context, so work from
    ``asyncio.gather`` children lands on the same thread. An owned lease
    takes a pool thread lazily and gives it back in :meth:`release`.
    """

    __slots__ = ("worker", "loop", "_owned", "_closed", "_pool", "_acquiring")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        worker: Worker | None = None,
        worker_pool: WorkerPool | None = None,
    ) -> None:
        self.loop = loop
        self.worker = worker
        self._owned = worker is None
        self._closed = False
        self._pool = worker_pool or pool
        self._acquiring: asyncio.Task[Worker | None] | None = None

    async def get_worker(self) -> tuple[Worker, bool]:
        """The worker, and whether the caller must release a one-off one."""
        if self.worker is not None:
            return self.worker, False
        if not self._closed:
            # One acquisition per lease: tasks of one request (gather
            # children) that each queued for a thread would hold one and
            # wait for another, and with every thread lent, never get it.
            acquiring = self._acquiring
            if acquiring is None:
                # Without suspending when a thread is free: a request
                # cancelled meanwhile (the client left) may still need one
                # for its teardown.
                worker = self._pool.try_acquire()
                if worker is not None:
                    self.worker = worker
                    return worker, False
                # In a context of its own: the request's would refer back
                # to this lease.
                acquiring = self._acquiring = self.loop.create_task(
                    self._acquire(), context=contextvars.Context()
                )
            shared = await asyncio.shield(acquiring)
            if shared is not None:
                return shared, False
        # Used after its request ended: borrow per call.
        return await self._pool.acquire(), True

    async def _acquire(self) -> Worker | None:
        worker = await self._pool.acquire()
        if self._closed:  # the request ended while this waited
            self._pool.release(worker)
            return None
        self.worker = worker
        return worker

    def release(self) -> None:
        self._closed = True
        self._acquiring = None
        if self._owned and self.worker is not None:
            worker, self.worker = self.worker, None
            self._pool.release(worker)

    @property
    def borrowed(self) -> bool:
        """Whether the lease lends a thread that is waiting on the loop (a
        test client's caller, a thread in ``ensure_sync``)."""
        return not self._owned


_lease: contextvars.ContextVar[Lease | None] = contextvars.ContextVar(
    "pottle.worker_lease", default=None
)


def new_lease(worker: Worker | None = None) -> Lease:
    """Start a lease for the running task; sync work will go to ``worker``,
    or to a pool thread taken on first use when ``worker`` is None."""
    lease = Lease(asyncio.get_running_loop(), worker)
    _lease.set(lease)
    return lease


def current_lease() -> Lease | None:
    return _lease.get()


async def run_sync(fn: t.Callable[..., T], /, *args: t.Any, **kwargs: t.Any) -> T:
    """Run the sync callable ``fn`` on the current request's worker thread,
    in a copy of the current context (changes are copied back)."""
    return await run_sync_in(None, fn, *args, **kwargs)


async def run_sync_in(
    context: contextvars.Context | None,
    fn: t.Callable[..., T],
    /,
    *args: t.Any,
    **kwargs: t.Any,
) -> T:
    """:func:`run_sync` in ``context``, which successive calls may share (a
    generator stepped call by call must see one context)."""
    loop = asyncio.get_running_loop()
    lease = _lease.get()
    if lease is None or lease.loop is not loop:
        # Outside any request (lifespan, a bare task): borrow a thread per call.
        worker, one_off = await pool.acquire(), True
    else:
        worker, one_off = await lease.get_worker()
    shared = context is not None
    if context is None:
        context = contextvars.copy_context()
    future: asyncio.Future[T] = loop.create_future()
    worker.submit(_Job(fn, args, kwargs, context, loop, future))
    try:
        result = await asyncio.shield(future)
    except asyncio.CancelledError:
        # The thread cannot be interrupted; wait for it so nothing queued
        # after this (teardown) overtakes it, then stay cancelled.
        if not future.done():
            await asyncio.wait([future])
        raise
    finally:
        if one_off:
            pool.release(worker)
    if not shared:
        _copy_back(context)
    return result


def _copy_back(context: contextvars.Context) -> None:
    """Apply ContextVar changes made in ``context`` to the current context."""
    for var, value in context.items():
        if var is not _lease and var.get(_MISSING) is not value:
            var.set(value)


# -- blocking on the loop from a thread ---------------------------------------

_serving_loop: asyncio.AbstractEventLoop | None = None
_portal_loop: asyncio.AbstractEventLoop | None = None
_portal_lock = threading.Lock()


def register_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Remember the loop an ASGI server runs the app on.

    Threads with no request context bridge to it (so a coroutine sees the same
    loop as the app's own async resources) while it is running.
    """
    global _serving_loop
    _serving_loop = loop


def portal() -> asyncio.AbstractEventLoop:
    """A process-wide loop on a daemon thread, for sync callers with no loop."""
    global _portal_loop
    with _portal_lock:
        if _portal_loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            thread = threading.Thread(
                target=_run_portal,
                args=(loop, ready),
                name="pottle-portal",
                daemon=True,
            )
            thread.start()
            ready.wait()
            _portal_loop = loop
            atexit.register(_stop_portal, loop, thread)
        return _portal_loop


def _run_portal(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    loop.run_forever()


def _stop_portal(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    if not loop.is_running():
        loop.close()


def _target_loop(lease: Lease | None) -> asyncio.AbstractEventLoop:
    if lease is not None and lease.loop.is_running():
        return lease.loop
    if _serving_loop is not None and _serving_loop.is_running():
        return _serving_loop
    return portal()


def in_loop_thread() -> bool:
    """Whether an event loop is running in the current thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def block_on(
    awaitable: t.Awaitable[T], loop: asyncio.AbstractEventLoop | None = None
) -> T:
    """Run ``awaitable`` on the loop and block this thread until it finishes.

    While blocked, this thread runs the sync work the awaitable hands back.
    Raises :exc:`RuntimeError` on a thread that runs an event loop, since
    blocking there would stop every other connection.
    """
    if in_loop_thread():
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        raise RuntimeError(
            "Cannot block the event loop thread waiting for a coroutine. Call"
            " this from sync code (a sync view runs in a worker thread), or"
            " 'await' it in async code."
        )
    worker = _thread_worker()
    if loop is None:
        loop = _target_loop(_lease.get())
    context = contextvars.copy_context()
    lease = Lease(loop, worker)
    context.run(_lease.set, lease)
    outcome: list[t.Any] = []
    task_ref: list[asyncio.Future[T]] = []
    waiter_id = id(lease)

    def done(task: asyncio.Future[T]) -> None:
        outcome.append(task)
        worker.submit(_Finished(waiter_id))

    def start() -> None:
        # Run in the caller's copied context, so request globals are visible.
        task = loop.create_task(_await(awaitable), context=context)
        task_ref.append(task)
        task.add_done_callback(done)

    loop.call_soon_threadsafe(start)
    try:
        worker.serve_until(waiter_id)
    except BaseException:
        # Interrupted (KeyboardInterrupt in a test): cancel what we started.
        if task_ref:
            loop.call_soon_threadsafe(task_ref[0].cancel)
        raise
    task: asyncio.Future[T] = outcome[0]
    try:
        result = task.result()
    except Escalated as e:
        raise e.exception from None
    _copy_back(context)
    return result


async def _await(awaitable: t.Awaitable[T]) -> T:
    return await awaitable


# -- "is my caller about to await me?" ----------------------------------------

_GET_AWAITABLE = dis.opmap["GET_AWAITABLE"]
_CACHE = dis.opmap.get("CACHE", 0)
_LOCAL_PY = werkzeug.local.__file__


def caller_awaits(depth: int = 2) -> bool:
    """Whether the frame ``depth`` levels up will ``await`` the value returned.

    This is how a Flask name such as ``request.get_json()`` stays a plain
    call for Flask code and becomes awaitable for Quart-style code
    (``await request.get_json()``): the calling instruction is followed by
    ``GET_AWAITABLE`` exactly when the result is awaited. Frames inside
    werkzeug's ``LocalProxy`` are skipped.
    """
    frame: t.Any = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename == _LOCAL_PY:
        frame = frame.f_back
    if frame is None:
        return False
    code = frame.f_code.co_code
    i = frame.f_lasti + 2
    end = len(code)
    while i < end and code[i] == _CACHE:
        i += 2
    return bool(i < end and code[i] == _GET_AWAITABLE)


async def ready(value: T) -> T:
    """An awaitable for a value that is already known."""
    return value


def on_loop(fn: F) -> F:
    """Mark a sync function as safe to call on the event loop: it does no
    blocking I/O and is quick, so the pipeline may skip the thread hop."""
    fn.__pottle_on_loop__ = True  # type: ignore[attr-defined]
    return fn


def runs_on_loop(fn: t.Any) -> bool:
    return getattr(fn, "__pottle_on_loop__", False) is True


def is_async_callable(fn: t.Any) -> bool:
    """Whether calling ``fn`` returns a coroutine (looks through partials and
    callable objects)."""
    code = getattr(fn, "__code__", None)
    if code is not None and not hasattr(fn, "_is_coroutine_marker"):
        # A plain function or bound method (the hot path): read its flags.
        return bool(code.co_flags & inspect.CO_COROUTINE)
    while isinstance(fn, partial):
        fn = fn.func
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(type(fn), "__call__", None)  # noqa: B004
    return call is not None and inspect.iscoroutinefunction(call)
