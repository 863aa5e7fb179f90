"""Shared fixtures: the read-only reference data in ../shared/data beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GEOHAZARD_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data; tests needing it are skipped only if it is truly absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def catalogs_dir(shared_data: Path) -> Path:
    """Folder of the reference earthquake catalogs."""
    return shared_data / "catalogs"


@pytest.fixture(scope="session")
def das_dir(shared_data: Path) -> Path:
    """Folder of the small real DAS interrogator files."""
    return shared_data / "das"


@pytest.fixture(scope="session")
def landslide_dir(shared_data: Path) -> Path:
    """Folder of the landslide reference data (Loma Prieta, GEM faults)."""
    return shared_data / "landslide"


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory) -> Path:
    """``geohazard demo --seed 0`` run once per session (the demo and report tests share it)."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("demo") / "demo"
    res = subprocess.run([sys.executable, "-m", "geohazard.cli.main", "demo", "--out", str(out),
                          "--seed", "0"], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return out
