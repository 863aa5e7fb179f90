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


@contextlib.contextmanager
def hand_started_cluster(folder: Any, n_workers: int = 1) -> Iterator[str]:
    """``dask scheduler`` and ``n_workers`` ``dask worker`` processes on loopback.

    Started as a user would start them (the ``dask`` command line); yields the
    scheduler's ``tcp://127.0.0.1:PORT`` address; every process is ended on exit.
    """
    import json
    import subprocess
    import sys
    import time
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sfile = folder / "scheduler.json"
    dask = [str(Path(sys.executable).parent / "dask")]
    logs = [open(folder / f"proc{i}.log", "w") for i in range(n_workers + 1)]  # noqa: SIM115
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sfile)],
                              stdout=logs[0], stderr=subprocess.STDOUT)]
    try:
        deadline = time.monotonic() + 60
        while not sfile.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sfile.read_text())["address"]
        for i in range(n_workers):
            procs.append(subprocess.Popen(
                [*dask, "worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--local-directory", str(folder / f"w{i}")],
                stdout=logs[i + 1], stderr=subprocess.STDOUT))
        from distributed import Client

        with Client(address, set_as_default=False) as c:
            c.wait_for_workers(n_workers, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs:
            f.close()
