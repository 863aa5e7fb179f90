"""Throughput against worker count on a real Dask cluster started from the command line.

A ``dask scheduler`` and 1, then 2, ``dask worker`` processes (one thread each) are
started on loopback as subprocesses, exactly as a user would start them by hand.  On
each cluster, and serially in this process as the baseline:

* **DAS band energy**: :func:`geohazard.das.energy.compute_band_energy` over generated
  FORESEE-layout files (``--channels`` x ``--fs`` Hz float32, ``--file-s`` s each, about
  ``--das-gb`` GB in all), three bands, 60 s windows, ``--chunk-windows`` per task.  The files
  are read once before timing (page cache), so the runs compare compute, not the disk.
* **Daily backtest** (``--backtest-days`` > 0): the SCEDC catalog (shared data),
  Poisson-GR and temporal ETAS fitted once before ``--start``, one-day windows with
  ``--samples`` simulations each, every window a task (:func:`backtest` with ``client``).
* **Landslide terrain** (``--dem-size`` > 0): slope, aspect, curvature and relief of a
  synthetic ``size`` x ``size`` DEM, windowed serial :func:`terrain_geotiff` against
  :func:`geohazard.landslide.scale.terrain_on_cluster` (a task per 1024-cell tile).

Every cluster result is compared with the serial one (band energy bit for bit; the
backtest's figures exactly) and the JSON says so.  The machine is shared: the 1-minute
load average is recorded before each run, and beside wall-clock rates the CPU seconds of
the client and all workers together (``cpu_seconds``) give rates per CPU second, which
other users' load disturbs much less.

Example::

    nice -n 10 .venv/bin/python benchmarks/scale_out.py --out benchmarks/results/scale_out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from geohazard.distributed import hand_started_cluster

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "scale_out"
BANDS = ((0.5, 8.0), (2.0, 8.0), (8.0, 125.0))
T0 = 1_630_454_400.0
SCEDC = ROOT.parent / "shared" / "data" / "catalogs" / "SCEDC.csv"


def _load() -> float:
    return os.getloadavg()[0]


def _cpu(client: Any) -> float:
    """CPU seconds used so far by this process and, with a client, by all its workers."""
    own = time.process_time()
    return own + (sum(client.run(time.process_time).values()) if client is not None else 0.0)


# ------------------------------------------------------------------ DAS band energy
def make_das(folder: Path, n_files: int, channels: int, fs: float, file_s: float) -> list[Path]:
    """FORESEE files of white noise (written once, then reused)."""
    from geohazard.das.synthetic import write_foresee

    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / "settings.json"
    settings = {"n_files": n_files, "channels": channels, "fs": fs, "file_s": file_s}
    if not stamp.exists() or json.loads(stamp.read_text()) != settings:
        shutil.rmtree(folder)
        folder.mkdir(parents=True)
        rng = np.random.default_rng(0)
        for i in range(n_files):
            x = rng.standard_normal((int(file_s * fs), channels), dtype=np.float32)
            write_foresee(folder / f"f{i:04d}.h5", x, T0 + i * file_s, fs)
            print(f"wrote file {i + 1}/{n_files}", flush=True)
        stamp.write_text(json.dumps(settings))
    files = sorted(folder.glob("f*.h5"))
    for path in files:  # into the page cache: the runs then compare compute
        with path.open("rb") as fh:
            while fh.read(1 << 24):
                pass
    return files


def das_run(folder: Path, client: Any, nbytes: int, duration_s: float,
            chunk_windows: int) -> tuple[dict, Any]:
    from geohazard.das.energy import EnergyConfig, compute_band_energy

    cfg = EnergyConfig(bands=BANDS, window_s=60.0, chunk_windows=chunk_windows)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        load, cpu = _load(), _cpu(client)
        t0 = time.perf_counter()
        store = compute_band_energy(folder, Path(tmp) / "e", cfg, client=client)
        secs = time.perf_counter() - t0
        cpu = _cpu(client) - cpu
        table = store.load()
    return {"seconds": secs, "load_avg_1min_before": load, "MB_per_s": nbytes / secs / 1e6,
            "x_real_time": duration_s / secs, "windows": int(table["time"].nunique()),
            "cpu_seconds": cpu, "MB_per_cpu_s": nbytes / cpu / 1e6,
            "x_real_time_per_cpu_s": duration_s / cpu}, table


def warm_up_das(files: list[Path], client: Any) -> float:
    """Untimed first run on fresh workers (imports, compiled kernels): its seconds."""
    from geohazard.das.energy import EnergyConfig, compute_band_energy
    from geohazard.das.io import scan_path

    cfg = EnergyConfig(bands=BANDS, window_s=60.0, chunk_windows=1)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        few = [f for p in files[:4] for f in scan_path(p)]
        compute_band_energy(few, Path(tmp) / "w", cfg, client=client)
    return time.perf_counter() - t0


def bench_das(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd

    n_files = max(2, int(round(args.das_gb * 1e9 / (args.channels * args.fs * args.file_s * 4))))
    files = make_das(WORK / "das", n_files, args.channels, args.fs, args.file_s)
    nbytes = sum(p.stat().st_size for p in files)
    duration = n_files * args.file_s
    out: dict[str, Any] = {"files": n_files, "channels": args.channels, "fs_hz": args.fs,
                           "file_s": args.file_s, "bytes": nbytes, "GB": nbytes / 1e9,
                           "data_duration_s": duration, "bands": [list(b) for b in BANDS],
                           "window_s": 60.0, "chunk_windows": args.chunk_windows,
                           "tasks": -(-int(duration // 60) // args.chunk_windows), "runs": {}}
    print("DAS serial", flush=True)
    out["runs"]["serial"], ref = das_run(WORK / "das", None, nbytes, duration,
                                         args.chunk_windows)
    for n in args.workers:
        with hand_started_cluster(WORK / f"cluster{n}", n) as address:
            from distributed import Client

            with Client(address, set_as_default=False) as client:
                print(f"DAS on {n} worker(s)", flush=True)
                cold = warm_up_das(files, client)
                run, table = das_run(WORK / "das", client, nbytes, duration,
                                     args.chunk_windows)
                run["warm_up_seconds"] = cold
        try:
            pd.testing.assert_frame_equal(table, ref, check_exact=True)
            run["equal_to_serial"] = True
        except AssertionError:
            run["equal_to_serial"] = False
        out["runs"][f"workers_{n}"] = run
    base = out["runs"]["serial"]["seconds"]
    for key, run in out["runs"].items():
        run["speedup_vs_serial"] = base / run["seconds"]
        if key.startswith("workers_"):
            run["MB_per_s_per_worker"] = run["MB_per_s"] / int(key.split("_")[1])
    return out


# ------------------------------------------------------------------ daily backtest
def fit_models(args: argparse.Namespace) -> tuple[Any, dict[str, Any], dict[str, float]]:
    import pandas as pd

    from geohazard.catalog import read_catalog
    from geohazard.forecast.etas.model import ETAS
    from geohazard.forecast.poisson import PoissonGR

    cat = read_catalog(SCEDC)
    start = pd.Timestamp(args.start, tz="UTC")
    hist = cat.to_sequence(t_end=start, t_nll_start=cat.metadata.train_start)
    t0 = time.perf_counter()
    etas = ETAS(taper_days=1000.0, fixed_alpha="b").fit(hist)
    fit = {"etas": time.perf_counter() - t0}
    return cat, {"poisson": PoissonGR().fit(hist), "etas": etas}, fit


def backtest_run(cat: Any, models: dict[str, Any], args: argparse.Namespace,
                 client: Any, days: int | None = None) -> tuple[dict, str]:
    import pandas as pd

    from geohazard.forecast.backtest import backtest

    start = pd.Timestamp(args.start, tz="UTC")
    end = start + pd.Timedelta(days=days or args.backtest_days)
    load, cpu = _load(), _cpu(client)
    t0 = time.perf_counter()
    res = backtest(cat, models, start, end, days=1.0, n_samples=args.samples, rng=18,
                   client=client)
    secs = time.perf_counter() - t0
    cpu = _cpu(client) - cpu
    n = len(res.windows)
    sims = n * len(models) * args.samples
    run = {"seconds": secs, "load_avg_1min_before": load, "windows": n,
           "windows_per_s": n / secs, "forecasts_per_s": n * len(models) / secs,
           "simulations_per_s": sims / secs, "cpu_seconds": cpu,
           "simulations_per_cpu_s": sims / cpu}
    return run, json.dumps(res.to_dict(), sort_keys=True, default=repr)


def bench_backtest(args: argparse.Namespace) -> dict[str, Any]:
    from distributed import Client

    cat, models, fit = fit_models(args)
    out: dict[str, Any] = {"catalog": str(SCEDC), "events": len(cat), "start": args.start,
                           "days": args.backtest_days, "window_days": 1.0,
                           "samples": args.samples, "models": list(models),
                           "fit_seconds": fit, "runs": {}}
    print("backtest serial", flush=True)
    backtest_run(cat, models, args, None, days=2)  # as the workers get: a warm-up
    out["runs"]["serial"], ref = backtest_run(cat, models, args, None)
    for n in args.workers:
        with hand_started_cluster(WORK / f"cluster{n}", n) as address, \
                Client(address, set_as_default=False) as client:
            print(f"backtest on {n} worker(s)", flush=True)
            t0 = time.perf_counter()
            backtest_run(cat, models, args, client, days=2 * n)  # imports, caches: untimed
            cold = time.perf_counter() - t0
            run, text = backtest_run(cat, models, args, client)
            run["warm_up_seconds"] = cold
        run["equal_to_serial"] = text == ref
        out["runs"][f"workers_{n}"] = run
    base = out["runs"]["serial"]["seconds"]
    for key, run in out["runs"].items():
        run["speedup_vs_serial"] = base / run["seconds"]
        if key.startswith("workers_"):
            run["forecasts_per_s_per_worker"] = run["forecasts_per_s"] / int(key.split("_")[1])
    return out


# ------------------------------------------------------------------ landslide terrain
PRODUCTS = ("slope_deg", "aspect_deg", "curvature", "relief")


def make_dem(path: Path, size: int) -> Path:
    """A rough synthetic DEM of ``size`` x ``size`` 10-m cells (float32 GeoTIFF, once)."""
    from geohazard.landslide import raster as rst

    if path.exists() and json.loads(path.with_suffix(".json").read_text())["size"] == size:
        return path
    rng = np.random.default_rng(0)
    x = 500_000 + 10.0 * (np.arange(size) + 0.5)
    y = 4_000_000 - 10.0 * (np.arange(size) + 0.5)
    z = (np.add.outer(np.sin(y / 700.0) * 80.0, np.cos(x / 900.0) * 60.0)
         + rng.normal(0.0, 2.0, (size, size))).astype(np.float32)
    rst.write_geotiff(rst.from_array(z, x, y, "EPSG:32610", name="dem", units="m"), path,
                      compress="none")
    path.with_suffix(".json").write_text(json.dumps({"size": size}))
    return path


def bench_terrain(args: argparse.Namespace) -> dict[str, Any]:
    from distributed import Client

    from geohazard.landslide import raster as rst
    from geohazard.landslide.scale import terrain_on_cluster
    from geohazard.landslide.terrain import terrain_geotiff

    dem = make_dem(WORK / "dem.tif", args.dem_size)
    cells = args.dem_size ** 2
    out: dict[str, Any] = {"cells": cells, "products": list(PRODUCTS), "tile": 1024,
                           "runs": {}}

    def timed(fn: Any, client: Any) -> dict[str, Any]:
        load, cpu = _load(), _cpu(client)
        t0 = time.perf_counter()
        fn()
        secs = time.perf_counter() - t0
        cpu = _cpu(client) - cpu
        return {"seconds": secs, "load_avg_1min_before": load, "cells_per_s": cells / secs,
                "cpu_seconds": cpu, "cells_per_cpu_s": cells / cpu}

    ref = WORK / "terrain_serial"
    print("terrain serial (windowed)", flush=True)
    out["runs"]["serial"] = timed(lambda: terrain_geotiff(dem, ref, PRODUCTS, tile=1024,
                                                          compress="none"), None)
    for n in args.workers:
        got = WORK / f"terrain_{n}"
        with hand_started_cluster(WORK / f"cluster{n}", n) as address, \
                Client(address, set_as_default=False) as client:
            print(f"terrain on {n} worker(s)", flush=True)
            run = timed(lambda c=client, g=got: terrain_on_cluster(
                dem, g, c, PRODUCTS, tile=1024, compress="none"), client)
        run["equal_to_serial"] = all(
            np.array_equal(rst.read_raster(got / f"{p}.tif").values,
                           rst.read_raster(ref / f"{p}.tif").values, equal_nan=True)
            for p in PRODUCTS)
        out["runs"][f"workers_{n}"] = run
    base = out["runs"]["serial"]["seconds"]
    for key, run in out["runs"].items():
        run["speedup_vs_serial"] = base / run["seconds"]
        if key.startswith("workers_"):
            run["cells_per_s_per_worker"] = run["cells_per_s"] / int(key.split("_")[1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--das-gb", type=float, default=6.0)
    ap.add_argument("--channels", type=int, default=2000)
    ap.add_argument("--chunk-windows", type=int, default=2, help="60-s windows per task")
    ap.add_argument("--fs", type=float, default=500.0)
    ap.add_argument("--file-s", type=float, default=30.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--backtest-days", type=int, default=365)
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--start", default="2019-01-01")
    ap.add_argument("--skip-das", action="store_true")
    ap.add_argument("--dem-size", type=int, default=4000, help="0 skips the terrain run")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/scale_out.json")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "machine": platform.platform(), "cpus": os.cpu_count(), "nice": os.nice(0),
        "python": platform.python_version(), "cluster": "dask scheduler + N x `dask worker "
        "--nworkers 1 --nthreads 1` subprocesses on 127.0.0.1; serial = this process, "
        "one thread", "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if args.out.exists():  # sections not rerun keep their last figures
        result = json.loads(args.out.read_text()) | result
    if not args.skip_das:
        result["das_band_energy"] = bench_das(args)
    if args.backtest_days > 0:
        result["daily_backtest"] = bench_backtest(args)
    if args.dem_size > 0:
        result["landslide_terrain"] = bench_terrain(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
