"""End-to-end latency of ``geohazard forecast issue --model recast --checkpoint`` (issue 17).

Target: the whole command takes at most 1.5 times its sampling call plus the catalog read,
i.e. ``(process wall - read) / sampling <= 1.5``. After one uncounted warm-up run, each run
is two fresh processes, one after the other, with the same command (10,000 continuations of
14 days after the catalog's test start, seed 0, the checkpoint of
``benchmarks/_work/recast17/<catalog>-s0`` with its weights sidecar ``model.pt.npz``):

1. the plain console script ``geohazard``: its wall time from the parent (interpreter start
   to exit) and, from its ``--json``, the sampling call inside it (``seconds``: the
   ``Recast.sample`` call as the forecast times it, history encoding included, and loading
   Numba's compiled kernels when a long history needs them);
2. the same command under a timing wrapper (``perf_counter`` around importing the CLI,
   numpy, the catalog reader (pandas and the catalog modules, first imported there), the
   ``read_catalog`` call and the command, run through the console script's ``main()``; no
   profiler): the breakdown, which heavy modules were imported, and the ratios from this
   one process alone.

The catalog read is recorded two ways: the call alone, and the call plus the import of the
reader (pandas and the catalog modules, after numpy, which the sampler needs anyway); the
ratio is given for both. The 1-minute load average is recorded before
and after each run: the machine is shared. ``--loaded`` runs a CPU-bound busy loop on every
core around each run. Writes only ``catalogs.<name>.e2e`` (``e2e_loaded``) and
``e2e_method`` of ``benchmarks/results/recast_sample_vs_reference.json``.

Example::

    .venv/bin/python benchmarks/bench_recast_e2e.py --runs 7
    .venv/bin/python benchmarks/bench_recast_e2e.py --runs 5 --loaded
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# the same catalogs, checkpoints, window and results file as the sampling benchmark
from bench_recast_reference import CATALOGS, DATA, DAYS, OUT, ROOT, WORK, Competitors, N
from bench_recast_reference import _ckpt as ckpt

HEAVY = ("torch", "lightning", "pytorch_lightning", "scipy", "scipy.stats", "numba", "pandas")

WRAPPER = """
import time
T0 = time.perf_counter()
import gc, json, sys
HEAVY = json.loads(sys.argv[1])
import geohazard.cli.main as cli
t_cli = time.perf_counter()
import numpy
t_np = time.perf_counter()
import geohazard.catalog.io as io
t_cat = time.perf_counter()
read = [0.0]
_read = io.read_catalog
def timed_read(*a, **k):
    t = time.perf_counter()
    try:
        return _read(*a, **k)
    finally:
        read[0] += time.perf_counter() - t
io.read_catalog = timed_read
sys.argv = ["geohazard", *sys.argv[2:]]
t1 = time.perf_counter()
cli.main()  # as the console script: only the named sub-app is built
t2 = time.perf_counter()
gc.freeze()  # as main() does when it is the process itself
print(json.dumps({"cli_import_s": t_cli - T0, "numpy_import_s": t_np - t_cli,
                  "catalog_import_s": t_cat - t_np,
                  "read_call_s": read[0], "command_s": t2 - t1, "inside_s": t2 - T0,
                  "imported": [m for m in HEAVY if m in sys.modules]}))
"""


def issue_args(cat: str, json_out: Path) -> list[str]:
    """The timed command's arguments after ``geohazard``."""
    start = json.loads((DATA / f"{cat}.json").read_text())["test_start"]
    return ["forecast", "issue", "--catalog", str(DATA / f"{cat}.csv"), "--start", start,
            "--model", "recast", "--checkpoint", str(ckpt(cat)), "--days", str(DAYS),
            "--samples", str(N), "--seed", "0", "--json", str(json_out)]


def _console() -> list[str]:
    script = Path(sys.executable).parent / "geohazard"
    found = script if script.exists() else shutil.which("geohazard")
    return [str(found)] if found else [sys.executable, "-m", "geohazard.cli.main"]


def one_run(cat: str) -> dict[str, Any]:
    """The plain command, then the wrapped one; their figures."""
    out = WORK / f"recast_e2e_{cat}.json"
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    subprocess.run([*_console(), *issue_args(cat, out)], check=True, cwd=ROOT,
                   capture_output=True)
    wall = time.perf_counter() - t0
    summary = json.loads(out.read_text())["recast"]
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, json.dumps(HEAVY),
                           *issue_args(cat, out)], check=True, cwd=ROOT, capture_output=True,
                          text=True)
    wrapped = json.loads(done.stdout.strip().splitlines()[-1])
    wrapped["process_wall_s"] = time.perf_counter() - t0
    wrapped["sample_call_s"] = json.loads(out.read_text())["recast"]["seconds"]
    sampling = summary["seconds"]
    read_call = wrapped["read_call_s"]
    read_all = read_call + wrapped["catalog_import_s"]
    # the same ratios from the wrapped process alone: its wall, read and sampling in one
    # process (the plain run's figures pair two processes, which a busy machine can part)
    w_wall, w_read, w_samp = (wrapped["process_wall_s"], wrapped["read_call_s"],
                              wrapped["sample_call_s"])
    return {"process_wall_s": wall, "sample_call_s": sampling, "read_call_s": read_call,
            "read_with_import_s": read_all,
            "ratio_read_call": (wall - read_call) / sampling,
            "ratio_read_with_import": (wall - read_all) / sampling,
            "ratio_read_call_one_process": (w_wall - w_read) / w_samp,
            "ratio_read_with_import_one_process":
                (w_wall - w_read - wrapped["catalog_import_s"]) / w_samp,
            "expected_count": summary["expected_count"], "wrapped": wrapped,
            "loadavg_1min_before": load0, "loadavg_1min_after": os.getloadavg()[0]}


def _mmm(values: list[float]) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    return {"min": float(v.min()), "median": float(np.median(v)), "max": float(v.max())}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Min/median/max of every figure, the target check on medians and per run."""
    keys = ("process_wall_s", "sample_call_s", "read_call_s", "read_with_import_s",
            "ratio_read_call", "ratio_read_with_import", "ratio_read_call_one_process",
            "ratio_read_with_import_one_process")
    out: dict[str, Any] = {k: _mmm([r[k] for r in runs]) for k in keys}
    for k in ("cli_import_s", "numpy_import_s", "catalog_import_s", "command_s"):
        out[f"wrapped_{k}"] = _mmm([r["wrapped"][k] for r in runs])
    loads = [r[k] for r in runs for k in ("loadavg_1min_before", "loadavg_1min_after")]
    out["loadavg_1min"] = {"min": min(loads), "max": max(loads)}
    for name in ("read_call", "read_with_import", "read_call_one_process",
                 "read_with_import_one_process"):
        ratios = [r[f"ratio_{name}"] for r in runs]
        out[f"target_1_5x_met_{name}"] = {"median": bool(np.median(ratios) <= 1.5),
                                          "every_run": bool(max(ratios) <= 1.5)}
    out["heavy_modules_imported"] = sorted({m for r in runs for m in r["wrapped"]["imported"]})
    return out


def import_times(cat: str, top: int = 12) -> dict[str, float]:
    """Import time of the command by root package (``-X importtime`` self times summed)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "geohazard.cli.main",
                          *issue_args(cat, WORK / "recast_e2e_importtime.json")], check=True,
                         cwd=ROOT, capture_output=True, text=True)
    times: dict[str, float] = {}
    for line in out.stderr.splitlines():
        parts = line.split("|")
        self_us = parts[0].removeprefix("import time:").strip()
        if len(parts) == 3 and self_us.isdigit():
            name = parts[2].strip().split(".")[0]
            times[name] = times.get(name, 0.0) + int(self_us) / 1e6
    return dict(sorted(times.items(), key=lambda kv: -kv[1])[:top])


def ensure_sidecar(cat: str) -> None:
    """Write the checkpoint's weights sidecar if it has none (``geohazard recast export``)."""
    from geohazard.forecast.recast.weights import sidecar_path

    if not sidecar_path(ckpt(cat)).exists():
        subprocess.run([*_console(), "recast", "export", str(ckpt(cat))], check=True,
                       cwd=ROOT)


METHOD = (
    "One warm-up run first (not counted: it compiles edited modules' bytecode and fills "
    "the page cache). Per run, two fresh processes one after the other: (1) the plain "
    "console script "
    "`geohazard forecast issue --model recast --checkpoint model.pt` (sidecar model.pt.npz "
    "beside it): process_wall_s measured by the parent from start to exit, sample_call_s read "
    "from its --json (`seconds`, the Recast.sample call inside that process, history encoding "
    "included); (2) the same command under a perf_counter wrapper (no profiler): import of "
    "the CLI, of numpy, of the catalog reader (pandas and the catalog modules), the "
    "read_catalog call, the command. "
    "ratio_read_call = (process_wall_s - read_call_s) / sample_call_s; ratio_read_with_import "
    "also counts the reader's import as part of the read; the *_one_process ratios take the "
    "wall, read and sampling of the wrapped process alone (its wall from the parent). "
    "Target: ratio <= 1.5. Load "
    "average: 1-minute, before and after each run (the machine is shared, 2 cores)."
)


def run(res: dict[str, Any], cat: str, runs: int, loaded: bool = False) -> dict[str, Any]:
    """``runs`` runs of ``cat``; replaces ``res['catalogs'][cat]['e2e']`` (``e2e_loaded``
    with a CPU-bound busy loop on every core around the runs)."""
    ensure_sidecar(cat)
    one_run(cat)  # warm-up, not counted: bytecode of edited modules, the page cache
    done = []
    for i in range(runs):
        with Competitors() if loaded else contextlib.nullcontext():
            r = one_run(cat)
        done.append(r)
        print(f"{cat} e2e {i}: process {r['process_wall_s']:.2f} s, sampling "
              f"{r['sample_call_s']:.2f} s, read {r['read_call_s']:.2f} s (+ import "
              f"{r['wrapped']['catalog_import_s']:.2f}), ratio {r['ratio_read_call']:.2f} / "
              f"{r['ratio_read_with_import']:.2f}; one process "
              f"{r['ratio_read_call_one_process']:.2f} / "
              f"{r['ratio_read_with_import_one_process']:.2f} (load "
              f"{r['loadavg_1min_before']:.1f})",
              flush=True)
    slot = {"runs": done, "summary": summarise(done), "imports_by_package_s": import_times(cat),
            "command": "geohazard " + " ".join(issue_args(cat, Path("OUT.json")))}
    key = "e2e_loaded" if loaded else "e2e"
    res.setdefault("catalogs", {}).setdefault(cat, {})[key] = slot
    res["e2e_method"] = METHOD
    return slot


def main() -> None:
    """Run the end-to-end part and write it into the results JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalogs", nargs="+", default=list(CATALOGS))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--loaded", action="store_true",
                    help="a CPU-bound busy loop on every core around each run (e2e_loaded)")
    args = ap.parse_args()
    from geohazard.io_utils import write_json_atomic

    res = json.loads(args.out.read_text()) if args.out.exists() else {}
    for cat in args.catalogs:
        s = run(res, cat, args.runs, loaded=args.loaded)["summary"]
        print(f"{cat}: process {s['process_wall_s']}, sampling {s['sample_call_s']}, ratios "
              f"{s['ratio_read_call']['median']:.2f} / {s['ratio_read_with_import']['median']:.2f}"
              f" (max {s['ratio_read_call']['max']:.2f} / {s['ratio_read_with_import']['max']:.2f};"
              f" one process, max {s['ratio_read_call_one_process']['max']:.2f} / "
              f"{s['ratio_read_with_import_one_process']['max']:.2f}), heavy modules "
              f"{s['heavy_modules_imported']}", flush=True)
        write_json_atomic(args.out, res)


if __name__ == "__main__":
    main()
