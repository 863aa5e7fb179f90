"""The multi-device path: the same command with --devices 2 --strategy ddp (gloo on CPU)."""

import json
import subprocess
import sys


def test_recast_train_runs_under_ddp_on_two_cpu_processes(tmp_path, catalogs_dir):
    out = tmp_path / "run"
    res = subprocess.run(
        [sys.executable, "-m", "geohazard.cli.main", "-v", "recast", "train",
         str(catalogs_dir / "QTMSanJacinto.csv"), "--devices", "2", "--strategy", "ddp",
         "--accelerator", "cpu", "--max-epochs", "2", "--out", str(out),
         "--json", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "MEMBER: 1/2" in res.stderr and "MEMBER: 2/2" in res.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["epochs"] == 2
    assert (out / "model.pt").exists()
