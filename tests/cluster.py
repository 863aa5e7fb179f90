"""A real Dask cluster for tests: a LocalCluster of worker processes (issue 18)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[Any]:
    """A client on ``n_workers`` worker processes, one thread each (not the default)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster, \
            Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(n_workers, timeout=60)
        yield client


def kill_busiest_worker(client: Any) -> int:
    """SIGKILL the worker process holding the most live tasks; return how many it held.

    Live tasks are those it is running or queued to run plus finished results the client
    has not fetched yet: all are lost with the process and must be recomputed.
    """
    busy: dict[str, set[str]] = {}
    for addr, keys in client.processing().items():
        busy.setdefault(addr, set()).update(keys)
    for addr, keys in client.has_what().items():
        busy.setdefault(addr, set()).update(keys)
    victim = max(busy, key=lambda a: len(busy[a]))
    pids = client.run(os.getpid)
    os.kill(pids[victim], signal.SIGKILL)
    return len(busy[victim])


