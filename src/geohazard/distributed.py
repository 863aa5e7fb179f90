"""One way to name a Dask cluster, and one way to fan independent tasks out to it.

Every command that can fan out takes ``--scheduler ADDRESS`` (config key ``scheduler``)
and ``--engine``:

=====================  ===================================================================
``--scheduler ADDR``   connect a :class:`distributed.Client` to a running scheduler
                       (``tcp://host:8786``); the workers must see the input paths
``--engine dask``      without an address: the active Client if there is one, otherwise
                       a :class:`distributed.LocalCluster` of worker *processes* on this
                       machine (one thread each), closed when the command ends
``--engine serial``    no cluster: everything in this process
=====================  ===================================================================

Tasks carry paths and settings (file descriptions, window start times, seeds), never
large arrays from the client: workers read their data themselves.  Results come back to
the client, which alone writes stores, rasters and archives, so a task that Dask runs
twice (a worker killed mid-task is retried elsewhere) is never written twice.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from geohazard.exceptions import ParameterError

log = logging.getLogger(__name__)

__all__ = ["ENGINES", "active_client", "check_scheduler", "get_client", "map_unordered",
           "hand_started_cluster", "open_client", "share"]

ENGINES = ("serial", "dask")
_ADDRESS = re.compile(r"^((tcp|tls|ucx|ws|wss)://)?([\w.\-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?/?$")
CONNECT_TIMEOUT_S = 10.0


def check_scheduler(scheduler: str | None) -> str | None:
    """Check the form of a scheduler address (``tcp://host:port``); None passes.

    Raises
    ------
    ParameterError
        The address is empty or not of the form ``[protocol://]host[:port]``.
    """
    if scheduler is None:
        return None
    text = str(scheduler).strip()
    if not text or not _ADDRESS.match(text):
        raise ParameterError(f"scheduler address {scheduler!r} is not of the form "
                             "[tcp://]host[:port], e.g. tcp://127.0.0.1:8786")
    return text


def active_client() -> Any:
    """The :class:`distributed.Client` active in this process, or None."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client
        return None


def get_client(scheduler: str | None = None, engine: str = "serial", *, n_workers: int = 2,
               threads_per_worker: int = 1, timeout_s: float | None = None) -> Any:
    """A Dask client for an address, a local cluster of processes, or None for serial.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://127.0.0.1:8786``); wins over ``engine``.
    engine
        ``"serial"`` (None is returned) or ``"dask"`` (the active client, else a new
        :class:`distributed.LocalCluster` of ``n_workers`` worker processes).
    n_workers, threads_per_worker
        Size of a new local cluster.
    timeout_s
        Seconds to wait for the scheduler before giving up (default
        :data:`CONNECT_TIMEOUT_S`).

    Returns
    -------
    distributed.Client or None
        The caller closes a client it got from here (:func:`open_client` does).

    Raises
    ------
    ParameterError
        Unknown engine, malformed address, or no scheduler answering at the address.
    """
    if engine not in ENGINES:
        raise ParameterError(f"--engine must be one of {ENGINES}, got {engine!r}")
    address = check_scheduler(scheduler)
    if address is None and engine == "serial":
        return None
    if int(n_workers) < 1:
        raise ParameterError(f"--workers must be >= 1, got {n_workers}")
    from distributed import Client

    if address is not None:
        timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else float(timeout_s)
        try:
            return Client(address, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ParameterError(f"--scheduler {address}: no Dask scheduler answered within "
                                 f"{timeout_s:g} s ({type(exc).__name__}); start one with "
                                 "`dask scheduler` and `dask worker ADDRESS`") from None
    current = active_client()
    if current is not None:
        return current
    log.info("starting a local Dask cluster of %d worker processes", n_workers)
    return Client(n_workers=int(n_workers), threads_per_worker=int(threads_per_worker),
                  processes=True, dashboard_address=None, set_as_default=False)


@contextlib.contextmanager
def open_client(scheduler: str | None = None, engine: str = "serial", *, n_workers: int = 2,
                threads_per_worker: int = 1) -> Iterator[Any]:
    """:func:`get_client` as a context: a client made here is closed on exit.

    An already active client is handed through and left open.
    """
    before = active_client()
    client = get_client(scheduler, engine, n_workers=n_workers,
                        threads_per_worker=threads_per_worker)
    try:
        yield client
    finally:
        if client is not None and client is not before:
            client.close()


def _same(obj: Any) -> Any:
    return obj


def share(client: Any, *objs: Any) -> list[Any]:
    """Futures of ``objs`` for tasks to share, which survive the death of any worker.

    Each object is the result of a one-step task that holds it, so the scheduler can
    recompute it on another worker if every copy is lost with a killed worker. Scattered
    data cannot be recomputed: a task depending on it is then cancelled ("already
    forgotten"; dask/distributed#3149), which is what a worker killed mid-backtest did. Keep
    the objects moderate in size (a catalog, fitted models): they travel through the
    scheduler once.
    """
    return [client.submit(_same, obj, pure=False) for obj in objs]


def map_unordered(client: Any, func: Callable[..., Any], items: Sequence[Any],
                  *args: Any, max_in_flight: int | None = None, retries: int = 2,
                  **kwargs: Any) -> Iterable[tuple[int, Any]]:
    """Run ``func(item, *args, **kwargs)`` for each item on the cluster, as they finish.

    At most ``max_in_flight`` tasks are submitted at a time (default: twice the cluster's
    threads), so neither the scheduler nor the client holds more than that many results.
    ``args`` and ``kwargs`` are shared settings sent with every task: keep them small, or
    pass a future from ``client.scatter(obj, broadcast=True)`` to send a table once.  A
    task whose worker dies is recomputed by Dask on another worker; a task that raises is
    retried ``retries`` times, then its error is raised here.

    Yields
    ------
    tuple of (int, object)
        The item's index in ``items`` and the task's result, in completion order.
    """
    from distributed import as_completed

    if max_in_flight is None:
        max_in_flight = 2 * max(1, sum(client.nthreads().values()))
    queue = iter(enumerate(items))
    index: dict[str, int] = {}

    def submit() -> Any:
        i, item = next(queue)
        fut = client.submit(func, item, *args, pure=False, retries=retries, **kwargs)
        index[fut.key] = i
        return fut

    first = []
    for _ in range(max(1, int(max_in_flight))):
        try:
            first.append(submit())
        except StopIteration:
            break
    pending = as_completed(first, loop=client.loop)
    for fut in pending:
        result = fut.result()
        i = index.pop(fut.key)
        fut.release()
        with contextlib.suppress(StopIteration):
            pending.add(submit())
        yield i, result


@contextlib.contextmanager
def hand_started_cluster(folder: Any, n_workers: int = 1, *,
                         timeout_s: float = 120.0) -> Iterator[str]:
    """``dask scheduler`` and ``n_workers`` ``dask worker`` processes on loopback.

    Started with the ``dask`` command line as a user starts them by hand (one thread per
    worker, logs in ``folder``); yields the scheduler's ``tcp://127.0.0.1:PORT`` address
    once every worker has joined, and ends every process on exit. For tests, benchmarks
    and trying ``--scheduler`` on one machine.
    """
    import json
    import subprocess
    import sys
    import time
    from pathlib import Path

    from distributed import Client

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sfile = folder / "scheduler.json"
    sfile.unlink(missing_ok=True)
    dask = str(Path(sys.executable).parent / "dask")
    logs = [open(folder / f"proc{i}.log", "w") for i in range(n_workers + 1)]  # noqa: SIM115
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sfile)],
                              stdout=logs[0], stderr=subprocess.STDOUT)]
    try:
        deadline = time.monotonic() + timeout_s
        while not sfile.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sfile.read_text())["address"]
        procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers",
                                    "1", "--no-dashboard", "--local-directory",
                                    str(folder / f"w{i}")],
                                   stdout=logs[i + 1], stderr=subprocess.STDOUT)
                  for i in range(n_workers)]
        with Client(address, set_as_default=False) as client:
            client.wait_for_workers(n_workers, timeout=timeout_s)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs:
            f.close()
