import json
import subprocess
import sys

import pytest

from geohazard.cli.main import main


def run_main(monkeypatch, *args):
    """Run the real entry point in-process; return its exit code (0 when it returns)."""
    monkeypatch.setattr(sys, "argv", ["geohazard", *args])
    try:
        main()
    except SystemExit as exc:
        return exc.code
    return 0


def test_simulate_then_analyze(tmp_path):
    sim_json, out_json = tmp_path / "sim.json", tmp_path / "out.json"
    # one real subprocess: the installed entry point as a user runs it
    res = subprocess.run([sys.executable, "-m", "geohazard.cli.main", "das", "simulate",
                          "--out", str(tmp_path / "sim"), "--preset", "demo", "--seed", "7",
                          "--json", str(sim_json)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    sim = json.loads(sim_json.read_text())
    truth = json.loads((tmp_path / "sim" / "truth.json").read_text())
    mp = pytest.MonkeyPatch()
    try:
        code = run_main(mp, "das", "analyze", sim["das_dir"], "--weather", sim["weather_csv"],
                        "--geometry", sim["geometry_csv"], "--out", str(tmp_path / "an"),
                        "--window", "10", "--bands", "0.5-8,2-8,8-50", "--robust",
                        "--json", str(out_json))
    finally:
        mp.undo()
    assert code == 0
    out = json.loads(out_json.read_text())
    assert out["bands"] == ["0.5-8Hz", "2-8Hz", "8-50Hz"]
    for pole in truth["poles"]:
        assert pole["center"] in out["pole_channels"]
    for drain in truth["drains"]:
        assert drain["center"] in out["drain_channels"]
    assert (tmp_path / "an" / "report.html").exists()
    assert "--geometry" in sim["analyze"]


def test_bad_input_one_line_exit_1(tmp_path, monkeypatch, capsys):
    wx = tmp_path / "w.csv"
    wx.write_text("time,wind_mps,precip_mm\n2021-09-01T00:00Z,1,0\n")
    code = run_main(monkeypatch, "das", "analyze", str(tmp_path / "missing"), "--weather",
                    str(wx), "--out", str(tmp_path / "o"))
    err = capsys.readouterr().err
    assert code == 1 and "missing" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code = run_main(monkeypatch, "das", "analyze", str(tmp_path), "--weather", str(wx),
                    "--out", str(tmp_path / "o"), "--bands", "8-2")
    assert code == 1 and "8-2" in capsys.readouterr().err
