"""RECAST multi-node training through Lightning (issue 18): two nodes emulated on loopback.

Each "node" is its own ``geohazard recast train --num-nodes 2 --strategy ddp`` process,
started as on a cluster with MASTER_ADDR, MASTER_PORT and NODE_RANK (gloo on CPU), each with
its own ``--out`` as on machines without a shared disk for that folder.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import pytest

pytest.importorskip("pytorch_lightning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_rank_shards_deal_one_epoch_to_the_ranks_in_equal_turns(monkeypatch):
    from geohazard.forecast.recast import train as tr

    order = [4, 0, 3, 1, 2]  # one epoch's order on every rank: 5 windows, 2 ranks
    shards = tr._RankShards(order)
    assert list(shards) == order and len(shards) == 5  # one process: the order itself
    got = {}
    for rank in (0, 1):
        monkeypatch.setattr(tr._RankShards, "_rank_world", staticmethod(lambda r=rank: (r, 2)))
        got[rank] = list(shards)
        assert len(shards) == len(got[rank]) == 3  # padded: same steps on every rank
    assert got == {0: [4, 3, 2], 1: [0, 1, 4]}
    assert set(got[0]) | set(got[1]) == set(order)  # every window, the pad from the start


def test_two_node_ddp_training_agrees_on_weights_and_rank0_alone_writes(tmp_path,
                                                                       catalogs_dir):
    import torch

    from geohazard.forecast.recast.fileio import load_torch_file
    from geohazard.forecast.recast.train import weights_sha256

    port = _free_port()
    procs = []
    for rank in (0, 1):
        env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
               "NODE_RANK": str(rank), "LOCAL_RANK": "0", "WORLD_SIZE": "2",
               "OMP_NUM_THREADS": "1"}
        args = [sys.executable, "-m", "geohazard.cli.main", "recast", "train",
                str(catalogs_dir / "QTMSanJacinto.csv"), "--num-nodes", "2", "--devices", "1",
                "--strategy", "ddp", "--accelerator", "cpu", "--max-epochs", "3", "--seed", "7",
                "--out", str(tmp_path / f"node{rank}"), "--json",
                str(tmp_path / f"node{rank}.json")]
        procs.append(subprocess.Popen(args, env=env, cwd=tmp_path, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outs = []
    for p in procs:
        try:
            outs.append(p.communicate(timeout=300))
        finally:
            if p.poll() is None:
                p.kill()
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, (out + err)[-3000:]
    data = json.loads((tmp_path / "node0.json").read_text())
    assert data["world_size"] == 2 and data["epochs"] == 3
    rank1 = re.search(r"rank 1 of 2: trained 3 epochs; last weights sha256 ([0-9a-f]{64})",
                      outs[1][0])
    assert rank1, outs[1][0][-2000:]
    # both replicas ended with the same weights, and rank 0's last.ckpt holds them
    assert rank1.group(1) == data["last_weights_sha256"]
    last = load_torch_file(tmp_path / "node0" / "last.ckpt", "checkpoint")
    assert weights_sha256(last["state_dict"]) == data["last_weights_sha256"]
    assert last["epoch"] == 2  # three epochs, counted from 0
    # rank 0 alone wrote: checkpoints, model and JSON; rank 1 left nothing
    assert {"last.ckpt", "best.ckpt", "model.pt", "run.json"} <= {
        f.name for f in (tmp_path / "node0").iterdir()}
    assert not (tmp_path / "node1").exists() and not (tmp_path / "node1.json").exists()
    model = torch.load(tmp_path / "node0" / "model.pt", weights_only=True)
    assert isinstance(model, dict)


def test_a_finished_run_destroys_its_gloo_process_group(tmp_path):
    """Lightning destroys only NCCL groups at exit; a gloo group left alive can abort the
    process at interpreter exit (SIGABRT, seen in CI on rank 1), so training ends it."""
    import torch.distributed as dist

    from geohazard.forecast.recast.train import _end_process_group

    assert not dist.is_initialized()
    _end_process_group()  # one process, no group: nothing to do
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    try:
        assert dist.is_initialized()
        _end_process_group()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_a_process_group_the_caller_set_up_outlives_training(tmp_path):
    """Training ends only a group Lightning set up for it; the caller's is the caller's."""
    import torch.distributed as dist

    from geohazard.forecast.recast import Recast, TrainConfig
    from tests.forecast.recast._synth import renewal_catalog

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    try:
        cfg = TrainConfig(seed=1, max_epochs=1, hidden=8, n_components=4, window=64, warmup=32,
                          batch_windows=4, val_window=256, val_warmup=256)
        Recast(cfg, work_dir=tmp_path / "run").fit(renewal_catalog(300, seed=1))
        assert dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_multinode_how_to_commands_exist():
    """The how-to's ``geohazard`` commands name real sub-commands and flags (--num-nodes)."""
    import typer

    from geohazard.cli.main import app
    from tests.test_docs import DOCS, _check_command, _shell_commands

    commands = _shell_commands((DOCS / "how-to" / "recast-multinode.md").read_text())
    assert len(commands) >= 3 and all("--num-nodes" in argv for _, argv in commands)
    group = typer.main.get_command(app)
    bad = [f"{line}: {err}" for line, argv in commands
           if (err := _check_command(group, argv)) is not None]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("flags", "culprit"), [
    (["--num-nodes", "0"], "--num-nodes"),
    (["--num-nodes", "2", "--strategy", "ddp"], ["--num-nodes 2", "MASTER_ADDR"]),  # no env
    (["--accelerator", "tpu"], "--accelerator"),  # Lightning's missing torch_xla, one line
])
def test_bad_multinode_flags_are_one_line_and_write_nothing(tmp_path, monkeypatch, flags,
                                                            culprit):
    for name in ("MASTER_ADDR", "SLURM_NTASKS", "TORCHELASTIC_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    from geohazard.catalog.io import write_catalog
    from tests.badinput import Case, check_case
    from tests.forecast.recast._synth import renewal_catalog

    def setup(tmp):
        write_catalog(renewal_catalog(300, seed=1), tmp / "cat.csv")

    check_case(Case("multinode", ["recast", "train", "{tmp}/cat.csv", "--out", "{tmp}/run",
                                  *flags], culprit, setup), tmp_path, tmp_path)
