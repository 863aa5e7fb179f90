"""Bad input common to every command: output paths, interrupts, strict JSON, internal errors."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from geohazard.exceptions import OutputError
from geohazard.io_utils import atomic_path, ensure_dir, write_json_atomic
from tests.badinput import Case, check_case, run_main


def _file(tmp: Path) -> None:
    (tmp / "afile").write_text("not a folder\n")


def _folder(tmp: Path) -> None:
    (tmp / "adir").mkdir()


CATALOG = "{shared}/catalogs/QTMSanJacinto.csv"

CASES = [
    Case("json-is-folder", ["catalog", "info", CATALOG, "--json", "{tmp}/adir"], "adir",
         setup=_folder),
    Case("json-parent-is-file", ["catalog", "info", CATALOG, "--json", "{tmp}/afile/out.json"],
         "afile", setup=_file),
    Case("plot-out-is-file", ["catalog", "plot", CATALOG, "--out", "{tmp}/afile"], "afile",
         setup=_file),
    Case("convert-target-is-folder", ["catalog", "convert", CATALOG, "{tmp}/adir"], "adir",
         setup=_folder),
    Case("unknown-option", ["catalog", "info", CATALOG, "--no-such-flag"], "--no-such-flag",
         code=2),
    Case("missing-file", ["catalog", "info", "{tmp}/missing.csv"], "missing.csv"),
    Case("demo-missing-catalog", ["demo", "--catalog", "{tmp}/none.csv", "--out", "{tmp}/d"],
         "none.csv"),
    Case("demo-bad-catalog", ["demo", "--catalog", "{tmp}/bad.csv", "--out", "{tmp}/d"],
         ["bad.csv", "row 2"], setup=lambda t: (t / "bad.csv").write_text(
             "time,magnitude\n2020-01-01,1.0\nnope,2.0\n")),
    Case("demo-negative-seed", ["demo", "--seed", "-1", "--out", "{tmp}/d"], "--seed"),
    Case("demo-out-is-file", ["demo", "--out", "{tmp}/afile"], "afile", setup=_file),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_output_paths(case, tmp_path, shared_data):
    check_case(case, tmp_path, shared_data)


def test_atomic_path_names_the_target(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="afile"), atomic_path(tmp_path / "afile" / "x.json"):
        pass
    with pytest.raises(OutputError, match="is a folder"), atomic_path(tmp_path):
        pass
    with pytest.raises(OutputError, match="is a file"):
        ensure_dir(tmp_path / "afile")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="ro"), atomic_path(ro / "x.json"):
            pass
    finally:
        ro.chmod(0o700)


def test_json_is_strict(tmp_path):
    out = write_json_atomic(tmp_path / "x.json", {
        "nan": float("nan"), "inf": np.float64(np.inf), "arr": np.array([1.0, np.nan]),
        "nested": [{"m": -math.inf}], "ok": np.float32(0.5)})
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict constant {c}"))
    assert data == {"nan": None, "inf": None, "arr": [1.0, None], "nested": [{"m": None}],
                    "ok": 0.5}


def test_internal_error_is_one_line_exit_2(monkeypatch, tmp_path, shared_data):
    import geohazard.catalog.summary as summary

    def boom(*args, **kwargs):
        raise ZeroDivisionError("synthetic bug")

    monkeypatch.setattr(summary, "summarize", boom)
    res = run_main(["catalog", "info", str(shared_data / "catalogs" / "QTMSanJacinto.csv")])
    assert res.code == 2 and "Traceback" not in res.output
    assert "internal error" in res.err and "ZeroDivisionError: synthetic bug" in res.err
    assert "--verbose" in res.err


def _caught_signals(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return int(line.split()[1], 16)
    return 0


def _wait_for_handlers(proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until the CLI has installed its SIGTERM handler (so imports are done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"exited early: {proc.communicate()}")
        if _caught_signals(proc.pid) & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.05)
    pytest.fail("the CLI never installed its SIGTERM handler")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(("signum", "code", "delay"), [
    (signal.SIGINT, 130, 0.0),  # at once: in imports and reading
    (signal.SIGINT, 130, 3.0),  # inside the compiled likelihood kernel
    (signal.SIGTERM, 143, 1.0),
])
def test_interrupt_exits_non_zero_with_resume_hint(tmp_path, catalogs_dir, signum, code, delay):
    out = tmp_path / "fit.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "geohazard.cli.main", "etas", "fit",
         str(catalogs_dir / "SCEDC.csv"), "--json", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_handlers(proc)
    time.sleep(delay)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, (stdout, stderr)
    assert "interrupted; rerun to resume" in stderr
    assert "Traceback" not in stdout + stderr
    assert list(tmp_path.iterdir()) == []  # no half-written --json


def test_an_interrupt_swallowed_by_a_c_callback_prints_no_traceback(capsys, monkeypatch):
    """SIGINT inside a callback from compiled code (llvmlite) is 'unraisable': stay quiet."""
    import types

    from geohazard.cli import _signals

    seen = []
    monkeypatch.setattr(_signals, "_previous_hook", seen.append)
    info = types.SimpleNamespace(exc_type=KeyboardInterrupt, exc_value=KeyboardInterrupt(),
                                 exc_traceback=None, err_msg=None, object=None)
    monkeypatch.setattr(_signals, "received", signal.SIGINT)
    _signals._unraisable(info)
    assert seen == []  # ours: silenced (the exit code still says 130)
    monkeypatch.setattr(_signals, "received", None)
    _signals._unraisable(info)
    other = types.SimpleNamespace(exc_type=ValueError, exc_value=ValueError(), exc_traceback=None,
                                  err_msg=None, object=None)
    monkeypatch.setattr(_signals, "received", signal.SIGINT)
    _signals._unraisable(other)
    assert seen == [info, other]  # anything else goes to the usual hook
