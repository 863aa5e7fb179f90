"""DAS band energy from files on disk, in multiples of real time, against two baselines.

Synthetic FORESEE-layout files (``--channels`` x ``--fs`` Hz float32, ``--file-s``
seconds each) are written once under ``benchmarks/_work/das_energy/``.  Then, each in a
fresh subprocess so its peak resident memory (``ru_maxrss``) is its own:

* ``ours``: :func:`geohazard.das.energy.compute_band_energy` end to end (scan, read
  from disk, three bands, 60 s windows spanning file boundaries, Parquet parts written),
  for ``--n-files`` and for half as many files (peak memory must not grow with files);
* ``numpy``: the same windows already in memory, one batched ``numpy.fft.rfft`` per
  window along contiguous rows (channel, time) plus the band sums: the plain baseline
  (reading the files is *not* timed);
* ``dascore``: DASCore's own band-energy function ``Patch.fbe`` (pass filter + rolling
  RMS, ``window=step=60 s``) on a 60 s in-memory patch (two files merged by DASCore),
  for the three bands.

Timed sections are run three times and the best is kept (the machine is shared); the
CPU time of the process (all threads) is reported beside the wall time, as multiples
of real time per CPU second, which other users' load disturbs much less.
All three give the same windows; ``ours`` and ``numpy`` agree to float32 precision.

Example::

    nice -n 10 .venv/bin/python benchmarks/bench_das_energy.py \
        --out benchmarks/results/das_energy.json
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "das_energy"
BANDS = ((0.5, 8.0), (2.0, 8.0), (8.0, 125.0))
T0 = 1_630_454_400.0
REPEAT = 3


def make_files(folder: Path, n_files: int, channels: int, fs: float, file_s: float) -> None:
    from geohazard.das.synthetic import write_foresee

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    n = int(file_s * fs)
    for i in range(n_files):
        path = folder / f"f{i:03d}.h5"
        if path.exists():
            continue
        x = rng.standard_normal((n, channels), dtype=np.float32)
        write_foresee(path, x, T0 + i * file_s, fs)


def worker_ours(folder: Path, workers: int) -> dict:
    from geohazard.das.energy import EnergyConfig, compute_band_energy

    out = WORK / f"store_{folder.name}_{workers}"
    cfg = EnergyConfig(bands=BANDS, window_s=60.0, chunk_windows=1, workers=workers)
    times, cpus = [], []
    for _ in range(REPEAT):  # best of REPEAT: the machine is shared
        shutil.rmtree(out, ignore_errors=True)
        tick, cpu = time.perf_counter(), time.process_time()
        store = compute_band_energy(folder, out, cfg)
        times.append(time.perf_counter() - tick)
        cpus.append(time.process_time() - cpu)
    seconds = min(times)
    table = store.load()
    return {"seconds": seconds, "cpu_seconds": min(cpus), "windows": int(table["time"].nunique()),
            "checksum": float(table["0.5-8Hz"].sum())}


def _load_windows(folder: Path, fs: float) -> np.ndarray:
    import h5py

    data = []
    for f in sorted(folder.glob("*.h5")):
        with h5py.File(f) as h5:
            data.append(h5["raw"][:])
    return np.concatenate(data)


def worker_numpy(folder: Path, fs: float) -> dict:
    x = _load_windows(folder, fs)  # (time, channel), not timed
    n = int(60 * fs)
    blocks = [np.ascontiguousarray(x[i:i + n].T) for i in range(0, x.shape[0] - n + 1, n)]
    del x
    freqs = np.fft.rfftfreq(n, 1 / fs)
    masks = [(freqs >= lo) & (freqs < hi) | ((hi >= fs / 2) & (freqs >= lo)) for lo, hi in BANDS]
    times, cpus = [], []
    for _ in range(REPEAT):
        tick, cpu = time.perf_counter(), time.process_time()
        total = 0.0
        for b in blocks:
            p = np.abs(np.fft.rfft(b, axis=1)) ** 2
            e = [2 * p[:, m].sum(1) / n**2 for m in masks]
            total += float(e[0].sum())
        times.append(time.perf_counter() - tick)
        cpus.append(time.process_time() - cpu)
    seconds = min(times)
    return {"seconds": seconds, "cpu_seconds": min(cpus), "windows": len(blocks), "checksum": total,
            "data_s": len(blocks) * 60.0}


def worker_dascore(folder: Path) -> dict:
    import dascore as dc

    files = sorted(folder.glob("*.h5"))[:2]
    patches = [dc.spool(f)[0] for f in files]
    patch = dc.spool(patches).chunk(time=None)[0]
    data_s = patch.shape[patch.dims.index("time")] / 500.0
    tick, cpu = time.perf_counter(), time.process_time()
    for lo, hi in BANDS:
        patch.fbe(time=(lo, min(hi, 249.0)), window=60.0, step=60.0, db=False)
    return {"seconds": time.perf_counter() - tick, "cpu_seconds": time.process_time() - cpu,
            "data_s": data_s}


def run_worker(args: list[str]) -> dict:
    res = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def worker_main(argv: list[str]) -> None:
    kind, folder = argv[0], Path(argv[1])
    if kind == "ours":
        out = worker_ours(folder, int(argv[2]))
    elif kind == "numpy":
        out = worker_numpy(folder, float(argv[2]))
    else:
        out = worker_dascore(folder)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--channels", type=int, default=2000)
    ap.add_argument("--fs", type=float, default=500.0)
    ap.add_argument("--file-s", type=float, default=30.0)
    ap.add_argument("--n-files", type=int, default=8)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/das_energy.json")
    args = ap.parse_args()
    rows = {}
    for n_files in (args.n_files // 2, args.n_files):
        folder = WORK / f"{args.channels}ch_{int(args.fs)}hz_{n_files}files"
        make_files(folder, n_files, args.channels, args.fs, args.file_s)
        data_s = n_files * args.file_s
        for workers in (1, 2):
            r = run_worker(["ours", str(folder), str(workers)])
            r["x_realtime"] = data_s / r["seconds"]
            r["x_realtime_per_cpu_s"] = data_s / r["cpu_seconds"]
            rows[f"ours_{n_files}files_{workers}threads"] = r
    big = WORK / f"{args.channels}ch_{int(args.fs)}hz_{args.n_files}files"
    r = run_worker(["numpy", str(big), str(args.fs)])
    r["x_realtime"] = r["data_s"] / r["seconds"]
    r["x_realtime_per_cpu_s"] = r["data_s"] / r["cpu_seconds"]
    rows["numpy_rfft_in_memory"] = r
    r = run_worker(["dascore", str(big)])
    r["x_realtime"] = r["data_s"] / r["seconds"]
    r["x_realtime_per_cpu_s"] = r["data_s"] / r["cpu_seconds"]
    rows["dascore_fbe_in_memory"] = r
    ours = rows[f"ours_{args.n_files}files_1threads"]
    agree = abs(ours["checksum"] / rows["numpy_rfft_in_memory"]["checksum"] - 1)
    result = {"channels": args.channels, "fs_hz": args.fs, "file_s": args.file_s,
              "bands": BANDS, "window_s": 60.0, "machine": platform.platform(),
              "cpus": __import__("os").cpu_count(),
              "load_avg_1min": __import__("os").getloadavg()[0],
              "ours_vs_numpy_energy_rel_diff": agree, "runs": rows}
    print(f"{'run':30s} {'x real time':>11s} {'x rt/CPU s':>11s} {'seconds':>8s} "
          f"{'peak RSS MB':>12s}")
    for name, r in rows.items():
        print(f"{name:30s} {r['x_realtime']:11.1f} {r['x_realtime_per_cpu_s']:11.1f} "
              f"{r['seconds']:8.2f} {r['peak_rss_mb']:12.0f}")
    print(f"ours vs numpy band energy: relative difference {agree:.2e}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2:])
    else:
        main()
