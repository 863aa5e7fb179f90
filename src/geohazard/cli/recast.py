"""``geohazard recast``: train and score the RECAST neural point process.

Every flag is checked against its range before anything is read or written, and errors name
the flag (``--lr``), the file or the run folder, in one line.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from geohazard.cli._common import JsonOpt, console, emit_json, kv_table
from geohazard.exceptions import InputError

app = typer.Typer(help="RECAST neural temporal point process (train, score, sample).",
                  no_args_is_help=True)

CatalogArg = Annotated[Path, typer.Argument(help="Catalog file with split dates (CSV + JSON).")]
CheckpointOpt = Annotated[Path, typer.Option("--checkpoint", help="model.pt from train.")]
ThreadsOpt = Annotated[int, typer.Option(
    "--threads", help="Torch CPU threads; 0 = torch's default. The GRU is latency-bound: "
    "1 is usually fastest, and far faster on a busy machine.")]
SEED_MAX = 2**32 - 1  # Lightning's seed_everything range
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")
# training settings and the flags that set them (others come with --paper-loop)
FLAGS = {"seed": "--seed", "hidden": "--hidden", "lr": "--lr", "batch_windows": "--batch-size",
         "patience": "--patience", "dropout": "--dropout", "features": "--features",
         "paper_loop": "--paper-loop"}


# ---------------------------------------------------------------------------- checks
def _int_in(flag: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise InputError(f"{flag} must be between {lo} and {hi}, got {value}")


def _float_in(flag: str, value: float, lo: float, hi: float, *, lo_open: bool = False,
              hi_open: bool = False) -> None:
    ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and (
        value < hi if hi_open else value <= hi)
    if not ok:
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        raise InputError(f"{flag} must be in {left}{lo:g}, {hi:g}{right}, got {value}")


def _writable_dir(flag: str, path: Path) -> None:
    """``path`` can be (or already is) a folder we may write in."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path}: exists and is not a folder")
    anc = path
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise InputError(f"{flag} {path}: {anc} is a file, not a folder")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise InputError(f"{flag} {path}: {anc} is not writable")


def _writable_file(flag: str, path: Path | None) -> None:
    if path is None:
        return
    if path.is_dir():
        raise InputError(f"{flag} {path}: is a folder; give a file name")
    _writable_dir(flag, path.parent)


def _devices(value: str) -> int | str:
    text = value.strip().lower()
    if text == "auto":
        return text
    if text.isdigit() and 1 <= int(text) <= 1024:
        return int(text)
    raise InputError(f"--devices must be 'auto' or a count from 1 to 1024, got {value!r}")


def _strategy(value: str) -> str:
    from pytorch_lightning.strategies import StrategyRegistry

    known = ["auto", *StrategyRegistry.available_strategies()]
    if value not in known:
        raise InputError(f"--strategy {value!r} is not a Lightning strategy (use auto, ddp, "
                         "ddp_spawn, ...)")
    return value


def _threads(n: int) -> None:
    _int_in("--threads", n, 0, 1024)
    if n > 0:
        import torch

        torch.set_num_threads(n)


def _features(text: str, cat: Any, catalog: Path) -> tuple[str, ...]:
    feats = tuple(f.strip() for f in text.split(",") if f.strip())
    missing = [f for f in feats if f not in cat.columns or f in ("time", "magnitude")]
    if missing:
        extra = [c for c in cat.columns if c not in ("time", "magnitude")]
        raise InputError(f"--features {','.join(missing)}: not an extra column of {catalog} "
                         f"(it has {', '.join(extra) or 'none'})")
    return feats


def _check_splits(cat: Any, catalog: Path, need: int = 0) -> None:
    """The catalog's splits exist, lie inside its data and, with ``need``, hold enough events.

    ``need`` applies to the train and val splits (training and early stopping).
    """
    from geohazard.exceptions import CatalogError

    try:
        counts = cat.split_counts()
    except CatalogError as exc:
        raise InputError(f"{catalog}: {exc}") from None
    md = cat.metadata
    edges = {"train": (md.train_start, md.val_start), "val": (md.val_start, md.test_start)}
    for split, (lo, hi) in edges.items():
        if counts[split] < need:
            raise InputError(
                f"{catalog}: the {split} split ({lo} to {hi}) holds {counts[split]} events; "
                f"RECAST needs at least {need} to {'train' if split == 'train' else 'validate'}"
                ": move the split dates in the sidecar or use a longer catalog")


def _check_model_features(model: Any, cat: Any, catalog: Path, checkpoint: Path) -> None:
    missing = [f for f in model.normaliser_.feature_names if f not in cat.columns]
    if missing:
        raise InputError(f"{catalog}: lacks column(s) {', '.join(missing)} that the model in "
                         f"{checkpoint} was trained with")


# ---------------------------------------------------------------------------- rendering
def _split_rows(scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for split, s in scores.items():
        rows[f"{split} NLL/day (time)"] = s["nll_per_day_time"]
        rows[f"{split} NLL/day (time+mag, learned)"] = s["nll_per_day_time_mag_learned"]
        rows[f"{split} NLL/day (time+mag, GR)"] = s["nll_per_day_time_mag_gr"]
        rows[f"{split} events"] = s["n_events"]
    return rows


def _summary(scores: dict[str, dict[str, Any]]) -> dict[str, Any]:
    keys = ("nll_per_day_time", "nll_per_day_time_mag_learned", "nll_per_day_time_mag_gr",
            "nll_per_event", "n_events", "days")
    return {split: {k: s[k] for k in keys} for split, s in scores.items()}


# ---------------------------------------------------------------------------- train
def _check_train_flags(opts: dict[str, Any]) -> None:
    _int_in("--seed", opts["seed"], 0, SEED_MAX)
    if opts["max_epochs"] is not None:
        _int_in("--max-epochs", opts["max_epochs"], 1, 1_000_000)
    if opts["hidden"] is not None:
        _int_in("--hidden", opts["hidden"], 1, 4096)
    if opts["batch_size"] is not None:
        _int_in("--batch-size", opts["batch_size"], 1, 65536)
    if opts["patience"] is not None:
        _int_in("--patience", opts["patience"], 0, 1_000_000)
    if opts["lr"] is not None:
        _float_in("--lr", opts["lr"], 0.0, 1.0, lo_open=True)
    if opts["dropout"] is not None:
        _float_in("--dropout", opts["dropout"], 0.0, 1.0, hi_open=True)
    if opts["accelerator"] not in ACCELERATORS:
        raise InputError(f"--accelerator must be one of {', '.join(ACCELERATORS)}, got "
                         f"{opts['accelerator']!r}")
    _int_in("--threads", opts["threads"], 0, 1024)
    _int_in("--num-nodes", opts["num_nodes"], 1, 100_000)
    _check_nodes(opts["num_nodes"])


#: Environment variables by which a process learns its place in a multi-node run.
_NODE_ENV = ("MASTER_ADDR", "SLURM_NTASKS", "TORCHELASTIC_RUN_ID")


def _check_nodes(num_nodes: int) -> None:
    """Refuse ``--num-nodes > 1`` in a process that cannot find the other nodes.

    Without it the process would wait for them at 127.0.0.1 for half an hour.
    """
    if num_nodes > 1 and not any(os.environ.get(k) for k in _NODE_ENV):
        raise InputError(f"--num-nodes {num_nodes}: this process does not know where the "
                         "other nodes are: set MASTER_ADDR, MASTER_PORT and NODE_RANK on each "
                         "machine, or start the command with torchrun or srun (see "
                         "docs/how-to/recast-multinode.md)")


def _config(opts: dict[str, Any], feats: tuple[str, ...]) -> Any:
    from geohazard.forecast.recast import TrainConfig

    changes: dict[str, Any] = {"seed": opts["seed"], "features": feats,
                               "strategy": _strategy(opts["strategy"]),
                               "accelerator": opts["accelerator"],
                               "devices": _devices(opts["devices"]),
                               "num_nodes": opts["num_nodes"]}
    for flag, key in (("max_epochs", "max_epochs"), ("hidden", "hidden"), ("lr", "lr"),
                      ("batch_size", "batch_windows"), ("patience", "patience"),
                      ("dropout", "dropout")):
        if opts[flag] is not None:
            changes[key] = opts[flag]
    return TrainConfig.paper(**changes) if opts["paper_loop"] else TrainConfig(**changes)


def _fit(model: Any, cat: Any, resume: bool) -> Any:
    from geohazard.forecast.recast.runstate import RunFolderError
    from geohazard.forecast.recast.train import TrainerSetupError

    try:
        return model.fit(cat, progress=True, resume=resume)
    except RunFolderError as exc:
        reason = exc.reason
        if exc.changes:
            text = ", ".join(f"{FLAGS.get(k, k)} {old!r} -> {new!r}"
                             for k, old, new in exc.changes)
            reason = f"{exc.folder}: holds a run with other settings ({text})"
        raise InputError(f"{reason}; rerun with --no-resume to start afresh (this "
                         "replaces the folder's run), or give another --out") from None
    except TrainerSetupError as exc:
        raise InputError(f"--accelerator/--devices/--num-nodes/--strategy: {exc.reason}"
                         ) from None


@app.command("train")
def train(
    catalog: CatalogArg,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (0 to 2**32 - 1).")] = 0,
    json_out: JsonOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Run folder (checkpoints, run.json, model.pt); default "
        "recast-runs/NAME-sSEED.")] = None,
    max_epochs: Annotated[int | None, typer.Option(help="Epoch cap.")] = None,
    hidden: Annotated[int | None, typer.Option(help="GRU hidden size (default 32).")] = None,
    lr: Annotated[float | None, typer.Option(help="Adam learning rate (default 1e-2).")
                  ] = None,
    batch_size: Annotated[int | None, typer.Option(
        help="Training windows per step (default 16).")] = None,
    patience: Annotated[int | None, typer.Option(
        help="Early-stopping patience in epochs (default 20).")] = None,
    dropout: Annotated[float | None, typer.Option(help="Dropout in [0, 1) (default 0.1).")
                       ] = None,
    paper_loop: Annotated[bool, typer.Option(
        "--paper-loop", help="The paper's schedule: one full-sequence step per epoch.")
    ] = False,
    features: Annotated[str, typer.Option(help="Extra features, comma separated (depth,x,y).")
                        ] = "",
    devices: Annotated[str, typer.Option(help="Lightning devices per node (1, 4, auto).")
                       ] = "1",
    num_nodes: Annotated[int, typer.Option(
        "--num-nodes", help="Machines in a multi-node run (with --strategy ddp): start the "
        "same command on each, with MASTER_ADDR, MASTER_PORT and NODE_RANK set (or under "
        "torchrun / SLURM); rank 0 writes --out, which every node must see to resume.")] = 1,
    strategy: Annotated[str, typer.Option(help="Lightning strategy (auto, ddp).")] = "auto",
    accelerator: Annotated[str, typer.Option(help="cpu, gpu or auto.")] = "cpu",
    resume: Annotated[bool, typer.Option(
        help="Resume from the run folder's last.ckpt (its catalog and settings must match); "
        "--no-resume starts afresh, replacing the folder's old run.")] = True,
    threads: ThreadsOpt = 1,
) -> None:
    """Train RECAST with early stopping on the validation split; report NLL per day."""
    opts = dict(locals())
    _check_train_flags(opts)
    _devices(devices)
    _strategy(strategy)
    _writable_file("--json", json_out)
    if out is not None:
        _writable_dir("--out", out)
    _threads(threads)
    from geohazard.catalog.io import read_catalog
    from geohazard.forecast.recast import Recast

    cat = read_catalog(catalog)
    _check_splits(cat, catalog, need=10)
    cfg = _config(opts, _features(features, cat, catalog))
    run_dir = out or Path("recast-runs") / f"{cat.metadata.name or catalog.stem}-s{seed}"
    _writable_dir("--out", run_dir)
    model = _fit(Recast(cfg, work_dir=run_dir), cat, resume)
    info = model.fit_info_
    if info.global_rank != 0:  # rank 0 alone exports, scores and writes --json
        console.print(f"rank {info.global_rank} of {info.world_size}: trained "
                      f"{info.epochs} epochs; last weights sha256 {info.last_weights_sha256}",
                      soft_wrap=True)
        return
    ckpt = model.save(run_dir / "model.pt")
    scores = model.score_catalog(cat)
    rows = {"epochs": info.epochs, "wall seconds": info.wall_s,
            "stopped early": info.stopped_early, **_split_rows(scores), "checkpoint": ckpt}
    console.print(kv_table(f"RECAST on {cat.metadata.name or catalog.name}", rows))
    emit_json(json_out, {"catalog": str(catalog), "seed": seed, "epochs": info.epochs,
                         "wall_s": info.wall_s, "stopped_early": info.stopped_early,
                         "checkpoint": str(ckpt), "config": cfg.to_dict(),
                         "data_fingerprint": info.data_fingerprint,
                         "world_size": info.world_size,
                         "last_weights_sha256": info.last_weights_sha256,
                         "splits": _summary(scores)})


# ---------------------------------------------------------------------------- score, sample
@app.command("score")
def score(
    catalog: CatalogArg,
    checkpoint: CheckpointOpt,
    json_out: JsonOpt = None,
    threads: ThreadsOpt = 1,
) -> None:
    """Score a catalog's train / val / test splits with a trained checkpoint."""
    _writable_file("--json", json_out)
    _threads(threads)
    from geohazard.catalog.io import read_catalog
    from geohazard.forecast.recast import Recast

    cat = read_catalog(catalog)
    _check_splits(cat, catalog)
    model = Recast.load(checkpoint)
    _check_model_features(model, cat, catalog, checkpoint)
    scores = model.score_catalog(cat)
    console.print(kv_table(f"RECAST scores on {cat.metadata.name or catalog.name}",
                           _split_rows(scores)))
    emit_json(json_out, {"catalog": str(catalog), "checkpoint": str(checkpoint),
                         "splits": _summary(scores)})


@app.command("sample")
def sample(
    catalog: CatalogArg,
    checkpoint: CheckpointOpt,
    start: Annotated[str, typer.Option(help="Forecast start (UTC); default the test start.")
                     ] = "",
    days: Annotated[float, typer.Option(help="Horizon in days.")] = 14.0,
    n: Annotated[int, typer.Option("--n", help="Number of continuations.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (0 to 2**32 - 1).")] = 0,
    json_out: JsonOpt = None,
    threads: ThreadsOpt = 1,
) -> None:
    """Simulate continuations after a start time, conditioned on all earlier events."""
    _float_in("--days", days, 0.0, 36525.0, lo_open=True)
    _int_in("--n", n, 1, 1_000_000)
    _int_in("--seed", seed, 0, SEED_MAX)
    _writable_file("--json", json_out)
    _threads(threads)
    import numpy as np

    from geohazard.catalog.core import to_utc
    from geohazard.catalog.io import read_catalog
    from geohazard.forecast.recast import Recast

    t_start = to_utc(start, "--start") if start else None
    cat = read_catalog(catalog)
    model = Recast.load(checkpoint)
    _check_model_features(model, cat, catalog, checkpoint)
    if t_start is None and cat.metadata.test_start is None:
        raise InputError(f"{catalog}: no test_start in its sidecar; give --start")
    t0 = cat.check_covered(t_start if t_start is not None else cat.metadata.test_start,
                           "--start")
    history = cat.to_sequence(t_end=t0, features=model.normaliser_.feature_names)
    cont = model.sample(history, days, n, rng=seed)
    counts = cont.counts
    q = np.quantile(counts, [0.05, 0.5, 0.95])
    rows = {"start": str(t0), "days": days, "continuations": n, "mean count": counts.mean(),
            "5/50/95% count": f"{q[0]:.0f} / {q[1]:.0f} / {q[2]:.0f}"}
    console.print(kv_table("RECAST continuations", rows))
    emit_json(json_out, {"start": str(t0), "days": days, "n": n, "seed": seed,
                         "mean_count": float(counts.mean()), "count_quantiles_5_50_95": q})


@app.command("export")
def export(
    checkpoint: Annotated[Path, typer.Argument(help="model.pt from train.")],
) -> None:
    """Write the checkpoint's weights sidecar (MODEL.pt.npz), replacing any.

    With it, loading the model and issuing forecasts run without torch (about a second
    less per command); train writes it beside every new model.pt.
    """
    from geohazard.forecast.recast.estimator import export_sidecar

    console.print(f"wrote {export_sidecar(checkpoint)}", soft_wrap=True)
