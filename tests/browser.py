"""Headless Chromium helpers for report tests (Debian package ``chromium``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=5000"]


def chromium() -> str:
    """Path of the browser; skipped locally when absent, an error on CI (it must be there)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            raise RuntimeError("chromium is not installed; .ci/run must install it")
        pytest.skip("chromium not installed")
    return exe


def render(html_path: Path, screenshot: Path | None = None) -> dict[str, int]:
    """Load the page headless; return the figure counts the page's script recorded."""
    exe = chromium()
    with tempfile.TemporaryDirectory() as profile:
        args = [exe, *FLAGS, f"--user-data-dir={profile}"]
        dom = subprocess.run([*args, "--dump-dom", html_path.resolve().as_uri()],
                             capture_output=True, text=True, timeout=120, check=True).stdout
        if screenshot is not None:
            subprocess.run([*args, f"--screenshot={screenshot}", "--window-size=1100,1600",
                            html_path.resolve().as_uri()], capture_output=True, timeout=120,
                           check=True)
    total = re.search(r'data-figures-total="(\d+)"', dom)
    ok = re.search(r'data-figures-rendered="(\d+)"', dom)
    if total is None or ok is None:
        raise AssertionError("page script did not run: no figure counts in the DOM")
    return {"total": int(total.group(1)), "rendered": int(ok.group(1))}
