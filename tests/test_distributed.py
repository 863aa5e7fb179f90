"""One way to name a cluster (geohazard.distributed, issue 18)."""

from __future__ import annotations

import pytest

from geohazard.distributed import active_client, check_scheduler, get_client, open_client
from geohazard.exceptions import ParameterError

pytest.importorskip("distributed")


def test_serial_is_no_client_and_bad_names_are_refused():
    assert get_client(None, "serial") is None
    with pytest.raises(ParameterError, match="--engine"):
        get_client(None, "threads")
    for bad in ("", "tcp://", "not an address", "tcp://host:port"):
        with pytest.raises(ParameterError, match="scheduler address"):
            check_scheduler(bad)
    assert check_scheduler(" tcp://127.0.0.1:8786 ") == "tcp://127.0.0.1:8786"
    assert check_scheduler("scheduler-host:8786") == "scheduler-host:8786"
    with pytest.raises(ParameterError, match="--workers"):
        get_client(None, "dask", n_workers=0)


def test_engine_dask_is_a_local_cluster_of_processes_closed_on_exit():
    with open_client(None, "dask", n_workers=2) as client:
        info = client.scheduler_info()["workers"]
        assert len(info) == 2 and all(w["nthreads"] == 1 for w in info.values())
        pids = set(client.run(__import__("os").getpid).values())
        assert len(pids) == 2 and __import__("os").getpid() not in pids  # processes
        assert active_client() is None  # not made the default behind the caller's back
    assert client.status == "closed"


def test_an_active_client_is_used_and_left_open():
    from distributed import Client

    with Client(n_workers=1, threads_per_worker=1, processes=True,
                dashboard_address=None) as mine:
        with open_client(None, "dask") as client:
            assert client is mine
        assert mine.status == "running"
