"""No silent wrong answers in the DAS pipeline (issue 11): stale resume, bands past Nyquist,
unknown files, parameter ranges, nothing written before the inputs are checked, and a
``das analyze`` killed with SIGKILL resumes to the uninterrupted result."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geohazard.das.energy import DEFAULT_BANDS, EnergyConfig, compute_band_energy
from geohazard.das.io import scan_file, scan_path
from geohazard.das.pipeline import AnalysisConfig, analyze, prepare
from geohazard.das.store import EnergyStore
from geohazard.das.synthetic import Drain, Pole, Storm, StormConfig, simulate_storms, write_foresee
from geohazard.exceptions import DASError, InputError, ParameterError

FS = 100.0
T0 = 1_630_454_400.0  # 2021-09-01T00:00:00Z
TINY = StormConfig(n_channels=8, n_dry=8, dry_gap=2, storms=(Storm(4, 6.0),),
                   poles=(Pole(2, 1.0),), drains=(Drain(5, 0.6, 0.25),), road=(0, 4),
                   file_windows=2)


def _files(folder: Path, seed: int, n_files: int = 3, seconds: float = 10.0, n_ch: int = 4):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n_files):
        x = rng.standard_normal((int(seconds * FS), n_ch)).astype(np.float32)
        write_foresee(folder / f"f{i:02d}.h5", x, T0 + i * seconds, FS)


def _foreign_h5(path: Path) -> Path:
    import h5py

    with h5py.File(path, "w") as h5:
        h5.create_dataset("something", data=np.arange(10))
    return path


# ---------------------------------------------------------------- stale resume (case 4)
def test_changed_file_at_same_path_is_recomputed(tmp_path):
    _files(tmp_path / "das", seed=1)
    cfg = EnergyConfig(bands=((0.5, 8.0),), window_s=5.0, chunk_windows=1)
    old = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    # new data at the same path, same size and layout (a re-export, a replaced file)
    rng = np.random.default_rng(99)
    x = 10 * rng.standard_normal((1000, 4)).astype(np.float32)
    target = tmp_path / "das" / "f01.h5"
    write_foresee(target, x, T0 + 10.0, FS)
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    resumed = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    fresh = compute_band_energy(tmp_path / "das", tmp_path / "fresh", cfg).load()
    pd.testing.assert_frame_equal(resumed, fresh)  # today: the old energy came back
    changed = old["0.5-8Hz"].to_numpy() != resumed["0.5-8Hz"].to_numpy()
    t = resumed["time"]
    in_f01 = (t >= pd.Timestamp(T0 + 10, unit="s", tz="UTC")) & (
        t < pd.Timestamp(T0 + 20, unit="s", tz="UTC"))
    assert changed[in_f01.to_numpy()].all() and not changed[~in_f01.to_numpy()].any()


def test_unchanged_rerun_keeps_parts_and_added_file_fills_its_windows(tmp_path):
    _files(tmp_path / "das", seed=2)
    cfg = EnergyConfig(bands=((0.5, 8.0),), window_s=5.0, chunk_windows=1, min_coverage=0.3)
    compute_band_energy(tmp_path / "das", tmp_path / "e", cfg)
    parts = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "e" / "parts").iterdir()}
    compute_band_energy(tmp_path / "das", tmp_path / "e", cfg)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "e" / "parts").iterdir()} == parts
    # a file removed: its windows go; identities are kept in files.json
    (tmp_path / "das" / "f02.h5").unlink()
    fewer = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    ref = compute_band_energy(tmp_path / "das", tmp_path / "ref", cfg).load()
    pd.testing.assert_frame_equal(fewer, ref)
    ident = json.loads((tmp_path / "e" / "files.json").read_text())
    assert len(ident) == 2 and {"size", "mtime_ns", "header_sha1", "patches"} <= set(
        next(iter(ident.values())))


def test_store_without_file_record_is_recomputed(tmp_path, caplog):
    _files(tmp_path / "das", seed=3, n_files=2)
    cfg = EnergyConfig(bands=((0.5, 8.0),), window_s=5.0)
    ref = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    (tmp_path / "e" / "files.json").unlink()  # a store written before identities were kept
    with caplog.at_level(logging.WARNING):
        again = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    assert "recomputing all windows" in caplog.text
    pd.testing.assert_frame_equal(again, ref)


# ---------------------------------------------------------------- bands and Nyquist (case 8)
def test_bands_above_nyquist_refused_before_any_write(tmp_path):
    _files(tmp_path / "das", seed=4, n_files=1)
    with pytest.raises(ParameterError, match=r"0\.5-400Hz \(--bands\).*Nyquist.*50"):
        compute_band_energy(tmp_path / "das", tmp_path / "e",
                            EnergyConfig(bands=((0.5, 400.0),), window_s=5.0))
    assert not (tmp_path / "e").exists()
    with pytest.raises(ParameterError, match="--window"):
        compute_band_energy(tmp_path / "das", tmp_path / "e",
                            EnergyConfig(bands=((0.5, 0.6),), window_s=1.0))
    assert not (tmp_path / "e").exists()


def test_default_band_clipped_at_nyquist_is_labelled_clipped(tmp_path):
    _files(tmp_path / "das", seed=5, n_files=1)
    store = compute_band_energy(tmp_path / "das", tmp_path / "e", EnergyConfig(window_s=5.0))
    assert store.meta()["bands"] == [[0.5, 8.0], [2.0, 8.0], [8.0, 50.0]]
    assert list(store.to_array().band.values) == ["0.5-8Hz", "2-8Hz", "8-50Hz"]
    with pytest.raises(DASError, match="8-125Hz"):
        store.to_array(DEFAULT_BANDS)


def test_analysis_labels_and_explicit_bands(tmp_path):
    simulate_storms(tmp_path / "sim", TINY, rng=1)
    wx = tmp_path / "sim" / "weather.csv"
    files, cfg, _, _ = prepare(tmp_path / "sim" / "das", wx, tmp_path / "out",
                               cfg=AnalysisConfig(window_s=10.0))
    assert cfg.bands == ((0.5, 8.0), (2.0, 8.0), (8.0, 50.0))
    with pytest.raises(ParameterError, match="--bands"):  # the same bands, given explicitly
        prepare(tmp_path / "sim" / "das", wx, tmp_path / "out",
                cfg=AnalysisConfig(window_s=10.0, bands=DEFAULT_BANDS))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("key,value", [
    ("window_s", -3.0), ("window_s", float("nan")), ("window_s", float("inf")),
    ("min_coverage", 1.5), ("chunk_windows", 0), ("spacing_m", 0.0), ("channel_offset", -1),
    ("event_gap_s", -5.0), ("z_min", 0.0), ("r2_min", 2.0), ("n_workers", 0),
    ("fft_workers", 0), ("rain_threshold_mmph", -1.0), ("bands", ((8.0, 2.0),)),
    ("bands", ((0.5, float("inf")),)), ("engine", "gpu"), ("heavy_threshold_mmph", 0.01),
])
def test_analysis_config_physical_ranges(key, value):
    with pytest.raises(InputError, match=key):
        AnalysisConfig.load(None, **{key: value})


def test_energy_config_ranges():
    for kw in ({"window_s": float("inf")}, {"workers": 0}, {"channels": (3, 1)}):
        with pytest.raises(ParameterError):
            EnergyConfig(**kw)


# ---------------------------------------------------------------- unknown files (case 8)
def test_unknown_hdf5_is_an_error_naming_it(tmp_path, caplog):
    _files(tmp_path / "das", seed=6, n_files=2)
    _foreign_h5(tmp_path / "das" / "zz_other.h5")
    with pytest.raises(DASError, match="zz_other.h5.*--skip-unknown"):
        scan_path(tmp_path / "das")
    with caplog.at_level(logging.WARNING):
        infos = scan_path(tmp_path / "das", skip_unknown=True)
    assert len(infos) == 2 and "zz_other.h5" in caplog.text
    with pytest.raises(DASError, match="zz_other.h5: not a DAS file"):
        scan_file(tmp_path / "das" / "zz_other.h5")
    with pytest.raises(DASError, match="zz_other.h5"):
        scan_path(tmp_path / "das" / "zz_other.h5")


# ---------------------------------------------------------------- nothing half-written
def _weather(path: Path, header: str = "precip_mm", start: float = T0) -> Path:
    t = pd.to_datetime(start + 10 * np.arange(1, 4), unit="s", utc=True)
    pd.DataFrame({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "wind_mps": 3.0,
                  header: 0.0}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("problem", ["rate", "no-overlap", "geometry", "out-is-file"])
def test_analyze_checks_weather_and_geometry_before_writing(tmp_path, problem):
    _files(tmp_path / "das", seed=7, n_files=2)
    wx = _weather(tmp_path / "w.csv", "rain_rate" if problem == "rate" else "precip_mm",
                  T0 + (1e6 if problem == "no-overlap" else 0))
    geo = None
    if problem == "geometry":
        geo = tmp_path / "g.csv"
        geo.write_text("channel,distance_m\n100,0\n101,1\n")
    out = tmp_path / "out"
    if problem == "out-is-file":
        out.write_text("x")
    match = {"rate": "rain_rate.*--precip-units", "no-overlap": "no overlap",
             "geometry": "geometry covers", "out-is-file": "--out"}[problem]
    with pytest.raises(InputError, match=match):
        analyze(tmp_path / "das", wx, out, geo, AnalysisConfig(window_s=5.0))
    assert out.is_file() if problem == "out-is-file" else not out.exists()


# ---------------------------------------------------------------- simulate
def test_simulate_refuses_negative_seed_and_another_preset(tmp_path):
    with pytest.raises(ParameterError, match="--seed"):
        simulate_storms(tmp_path / "a", TINY, rng=-1)
    assert not (tmp_path / "a").exists()
    first = simulate_storms(tmp_path / "s", TINY, rng=1)
    simulate_storms(tmp_path / "s", TINY, rng=2)  # same settings again: allowed
    bigger = StormConfig(**{**TINY.__dict__, "n_dry": 20})
    before = sorted(p.name for p in (tmp_path / "s" / "das").iterdir())
    with pytest.raises(ParameterError, match="--overwrite"):
        simulate_storms(tmp_path / "s", bigger, rng=1)
    assert sorted(p.name for p in (tmp_path / "s" / "das").iterdir()) == before
    fewer = StormConfig(**{**TINY.__dict__, "n_dry": 2})
    res = simulate_storms(tmp_path / "s", fewer, rng=1, overwrite=True)
    assert sorted(p.name for p in (tmp_path / "s" / "das").iterdir()) == sorted(
        p.name for p in res.files)  # the old, longer simulation's files are gone
    assert len(res.files) < len(first.files)


# ---------------------------------------------------------------- kill and resume
KILLER = """
import os, signal, sys
from geohazard.das import store
_write = store.EnergyStore.write_part
def write_part(self, table):
    path = _write(self, table)
    os.kill(os.getpid(), signal.SIGKILL)  # killed right after the first part is on disk
store.EnergyStore.write_part = write_part
sys.argv = ["geohazard", *sys.argv[1:]]
from geohazard.cli.main import main
main()
"""


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {p.name: pd.read_parquet(p) for p in sorted((out / "tables").glob("*.parquet"))}


def _summary(out: Path) -> dict:
    s = json.loads((out / "summary.json").read_text())
    for key in ("energy_seconds", "energy_x_realtime", "report"):
        s.pop(key, None)
    return s


def test_analyze_killed_then_rerun_equals_uninterrupted(tmp_path):
    from tests.badinput import run_main

    sim = simulate_storms(tmp_path / "sim", TINY, rng=3)
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("chunk_windows: 2\nfigures: false\nreport: false\n")

    def args(out):
        return ["das", "analyze", str(sim.weather_csv.parent / "das"), "--weather",
                str(sim.weather_csv), "--geometry", str(sim.geometry_csv), "--out", str(out),
                "--window", "10", "--config", str(cfg)]

    killed = subprocess.run([sys.executable, "-c", KILLER, *args(tmp_path / "run")[0:]],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    parts = list((tmp_path / "run" / "energy" / "parts").glob("part-*.parquet"))
    assert len(parts) == 1 and not (tmp_path / "run" / "summary.json").exists()
    assert run_main(args(tmp_path / "run")).code == 0
    assert run_main(args(tmp_path / "ref")).code == 0
    pd.testing.assert_frame_equal(EnergyStore(tmp_path / "run" / "energy").load(),
                                  EnergyStore(tmp_path / "ref" / "energy").load())
    run, ref = _tables(tmp_path / "run"), _tables(tmp_path / "ref")
    assert run.keys() == ref.keys() and "wind_fits.parquet" in run
    for name in ref:
        pd.testing.assert_frame_equal(run[name], ref[name])
    assert _summary(tmp_path / "run") == _summary(tmp_path / "ref")
