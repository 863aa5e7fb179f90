"""Bad-input suite for ``geohazard catalog|etas|forecast|report``.

Every case runs the real entry point in-process (:mod:`tests.badinput`) and asserts exit 1,
no traceback, one ``error:`` line naming the culprit (flag, file, column or row) and no file
written, changed or removed. Cases use a tiny synthetic catalog written by ``setup`` or the
small shared QTMSanJacinto catalog, and fail before any model is fitted, so the module is fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.badinput import Case, check_case

QTM = "{shared}/catalogs/QTMSanJacinto.csv"
CAT = "{tmp}/cat.csv"
PARAMS = "{tmp}/p.json"
GOOD_PARAMS = {"mu": 0.5, "k": 0.002, "alpha": 1.0, "c": 0.01, "p": 1.2}


def _tiny(tmp: Path, n: int = 200, sidecar: dict | None = None, mags: list | None = None,
          name: str = "cat") -> None:
    """A small catalog over 2020: ``n`` events above Mc 1.0, with a sidecar."""
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 365, n))
    times = (np.datetime64("2020-01-01T00:00:00") + (t * 86400).astype("timedelta64[s]"))
    m = mags if mags is not None else list(np.round(1.0 + rng.exponential(0.43, n) + 0.01, 2))
    lines = ["time,magnitude,latitude,longitude"] + [
        f"{a}Z,{b},{33.5 + 0.01 * (i % 7)},{-116.5 + 0.01 * (i % 5)}"
        for i, (a, b) in enumerate(zip(times.astype(str), m, strict=False))]
    (tmp / f"{name}.csv").write_text("\n".join(lines) + "\n")
    meta = {"name": name, "mag_completeness": 1.0, "start": "2020-01-01", "end": "2021-01-01",
            "train_start": "2020-01-01", "val_start": "2020-07-01", "test_start": "2020-10-01"}
    meta.update(sidecar or {})
    (tmp / f"{name}.json").write_text(json.dumps(meta))


def _params(values: dict | str) -> callable:
    def setup(tmp: Path) -> None:
        _tiny(tmp)
        text = values if isinstance(values, str) else json.dumps(values)
        (tmp / "p.json").write_text(text)
    return setup


def _mag(value: str, row: int = 3) -> callable:
    def setup(tmp: Path) -> None:
        _tiny(tmp, n=20)
        lines = (tmp / "cat.csv").read_text().splitlines()
        parts = lines[row].split(",")
        parts[1] = value
        lines[row] = ",".join(parts)
        (tmp / "cat.csv").write_text("\n".join(lines) + "\n")
    return setup


def _side(**changes: object) -> callable:
    def setup(tmp: Path) -> None:
        _tiny(tmp, sidecar=changes)
    return setup


def _junk_head(tmp: Path) -> None:
    """A located catalog and a KernelRecast checkpoint whose head file is not an npz."""
    _tiny(tmp)
    (tmp / "k.pt").write_bytes(b"not a checkpoint")
    (tmp / "k.pt.head.npz").write_bytes(b"not an npz")


def _archive_text(tmp: Path) -> None:
    _tiny(tmp)
    (tmp / "a.sqlite").write_text("not a database\n")


CATALOG = [
    Case("info-missing", ["catalog", "info", "{tmp}/nope.csv"], "nope.csv"),
    Case("info-inf-mag", ["catalog", "info", CAT], ["magnitude", "row 3"], _mag("inf")),
    Case("info-neg-inf-mag", ["catalog", "info", CAT], ["magnitude", "row 3"], _mag("-inf")),
    Case("info-text-mag", ["catalog", "info", CAT], ["magnitude", "row 3"], _mag("big")),
    Case("info-mag-99", ["catalog", "info", CAT], ["magnitude", "row 3"], _mag("99")),
    Case("info-dir", ["catalog", "info", "{tmp}"], "directory", _tiny),
    Case("info-sidecar-json", ["catalog", "info", CAT], "cat.json",
         lambda t: (_tiny(t), (t / "cat.json").write_text("{bad"))),
    Case("info-split-after-data", ["catalog", "info", CAT], ["test_start", "2030"],
         _side(end=None, test_start="2030-01-01")),
    Case("convert-xlsx", ["catalog", "convert", CAT, "{tmp}/out.xlsx"], ".xlsx", _tiny),
    Case("convert-missing", ["catalog", "convert", "{tmp}/nope.csv", "{tmp}/o.csv"], "nope.csv"),
    Case("plot-missing", ["catalog", "plot", "{tmp}/nope.csv", "--out", "{tmp}/p"], "nope.csv"),
    Case("download-bad-start", ["catalog", "download", "--out", "{tmp}/d.csv", "--start", "soon",
                                "--end", "2020-01-02"], "--start"),
    Case("download-end-first", ["catalog", "download", "--out", "{tmp}/d.csv", "--start",
                                "2020-01-02", "--end", "2020-01-01"], "--end"),
    Case("download-chunk-0", ["catalog", "download", "--out", "{tmp}/d.csv", "--start",
                              "2020-01-01", "--end", "2020-01-02", "--chunk-days", "0"],
         "--chunk-days"),
    Case("download-bbox-3", ["catalog", "download", "--out", "{tmp}/d.csv", "--start",
                             "2020-01-01", "--end", "2020-01-02", "--bbox", "1,2,3"], "--bbox"),
    Case("download-bbox-lat", ["catalog", "download", "--out", "{tmp}/d.csv", "--start",
                               "2020-01-01", "--end", "2020-01-02", "--bbox", "-117,95,-116,96"],
         "--bbox"),
    Case("download-minmag-nan", ["catalog", "download", "--out", "{tmp}/d.csv", "--start",
                                 "2020-01-01", "--end", "2020-01-02", "--min-magnitude", "nan"],
         "--min-magnitude"),
    Case("download-xlsx", ["catalog", "download", "--out", "{tmp}/d.xlsx", "--start",
                           "2020-01-01", "--end", "2020-01-02"], ".xlsx"),
]

ETAS = [
    Case("fit-starts-0", ["etas", "fit", CAT, "--starts", "0"], "--starts", _tiny),
    Case("fit-n-max-5", ["etas", "fit", CAT, "--constrained", "--n-max", "5"], "--n-max", _tiny),
    Case("fit-n-max-0", ["etas", "fit", CAT, "--constrained", "--n-max", "0"], "--n-max", _tiny),
    Case("fit-p-min-low", ["etas", "fit", CAT, "--constrained", "--p-min", "0.9"], "--p-min",
         _tiny),
    Case("fit-taper-neg", ["etas", "fit", CAT, "--taper-days", "-3"], "--taper-days", _tiny),
    Case("fit-alpha-text", ["etas", "fit", CAT, "--fixed-alpha", "abc"], "--fixed-alpha", _tiny),
    Case("fit-alpha-9", ["etas", "fit", CAT, "--fixed-alpha", "9"], "--fixed-alpha", _tiny),
    Case("fit-no-mc", ["etas", "fit", CAT], "mag_completeness",
         _side(mag_completeness=None)),
    Case("fit-empty-train", ["etas", "fit", CAT], ["train", "10 scored events"],
         _side(train_start="2020-12-30", val_start="2020-12-30", test_start="2020-12-31")),
    Case("score-params-missing", ["etas", "score", CAT, "--params", "{tmp}/none.json"],
         "none.json", _tiny),
    Case("score-params-json", ["etas", "score", CAT, "--params", PARAMS], "p.json",
         _params("{mu: 1")),
    Case("score-params-p-neg", ["etas", "score", CAT, "--params", PARAMS], ["p.json", "'p'"],
         _params({**GOOD_PARAMS, "p": -1})),
    Case("score-params-nan", ["etas", "score", CAT, "--params", PARAMS], ["p.json", "nan"],
         _params('{"mu": NaN, "k": 0.01, "alpha": 1, "c": 0.01, "p": 1.2}')),
    Case("score-params-tau-text", ["etas", "score", CAT, "--params", PARAMS], ["p.json", "tau"],
         _params({**GOOD_PARAMS, "tau": "long"})),
    Case("score-params-b-text", ["etas", "score", CAT, "--params", PARAMS],
         ["p.json", "b_value"], _params({**GOOD_PARAMS, "b_value": "x"})),
    Case("score-params-catalogs-list", ["etas", "score", CAT, "--params", PARAMS],
         ["p.json", "catalogs"], _params({"catalogs": [1, "a"]})),
    Case("score-params-binary", ["etas", "score", CAT, "--params", PARAMS], "p.json",
         lambda t: (_tiny(t), (t / "p.json").write_bytes(b"\xff\xfe\x00garbage"))),
    Case("sim-days-0", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.csv",
                        "--days", "0"], "--days", _params(GOOD_PARAMS)),
    Case("sim-days-huge", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.csv",
                           "--days", "1e6"], "--days", _params(GOOD_PARAMS)),
    Case("sim-mc-nan", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.csv",
                        "--mc", "nan"], "--mc", _params(GOOD_PARAMS)),
    Case("sim-b-0", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.csv",
                     "--b", "0"], "--b", _params(GOOD_PARAMS)),
    Case("sim-mmax-below-mc", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.csv",
                               "--m-max", "1.5"], "--m-max", _params(GOOD_PARAMS)),
    Case("sim-explosive", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.csv",
                           "--days", "10"], "--allow-explosive",
         _params({**GOOD_PARAMS, "k": 0.5, "p": 1.01})),
    Case("sim-start-text", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.csv",
                            "--start", "someday"], "--start", _params(GOOD_PARAMS)),
    Case("sim-seed-neg", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.csv",
                          "--days", "10", "--seed", "-1"], "--seed", _params(GOOD_PARAMS)),
    Case("sim-out-xlsx", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/s.xlsx",
                          "--days", "10"], ".xlsx", _params(GOOD_PARAMS)),
    Case("sim-history-missing", ["etas", "simulate", "--params", PARAMS, "--out",
                                 "{tmp}/s.csv", "--history", "{tmp}/h.csv"], "h.csv",
         _params(GOOD_PARAMS)),
]

_FC = ["forecast", "issue", "--catalog", CAT, "--model", "poisson", "--samples", "50"]
_BT = ["forecast", "backtest", "--catalog", CAT, "--model", "poisson", "--samples", "50"]
_RUN = ["forecast", "run", "--catalog", CAT, "--archive", "{tmp}/a.sqlite", "--model",
        "poisson", "--samples", "50"]
_REP = ["report", "forecast", "--catalog", CAT, "--out", "{tmp}/r.html", "--model", "poisson",
        "--samples", "50"]

FORECAST = [
    Case("issue-after-data", [*_FC, "--start", "2025-01-01"],
         ["--start", "--allow-extrapolation"], _tiny),
    Case("issue-qtm-after-data", ["forecast", "issue", "--catalog", QTM, "--start", "2025-01-01",
                                  "--model", "poisson", "--samples", "50"], ["--start", "2018"]),
    Case("issue-before-data", [*_FC, "--start", "2019-01-01"], "--start", _tiny),
    Case("issue-start-text", [*_FC, "--start", "tomorrow-ish"], "--start", _tiny),
    Case("issue-days-0", [*_FC, "--start", "2020-11-01", "--days", "0"], "--days", _tiny),
    Case("issue-days-nan", [*_FC, "--start", "2020-11-01", "--days", "nan"], "--days", _tiny),
    Case("issue-samples-0", [*_FC, "--start", "2020-11-01", "--samples", "0"], "--samples",
         _tiny),
    Case("issue-mc-nan", [*_FC, "--start", "2020-11-01", "--mc", "nan"], "--mc", _tiny),
    Case("issue-mc-neg", [*_FC, "--start", "2020-11-01", "--mc", "-5"], "--mc", _tiny),
    Case("issue-mc-huge", [*_FC, "--start", "2020-11-01", "--mc", "9"], "--mc", _tiny),
    Case("issue-model", [*_FC, "--start", "2020-11-01", "--model", "magic"], "--model", _tiny),
    Case("issue-dh-0", [*_FC, "--start", "2020-11-01", "--spatial", "--dh", "0"], "--dh", _tiny),
    Case("issue-meta-missing", [*_FC, "--start", "2020-11-01", "--meta", "{tmp}/m.json"],
         "m.json", _tiny),
    Case("issue-checkpoint-missing", [*_FC, "--start", "2020-11-01", "--model", "recast",
                                      "--checkpoint", "{tmp}/none.ckpt"], "none.ckpt", _tiny),
    Case("issue-kernel-not-spatial", [*_FC, "--start", "2020-11-01", "--model",
                                      "recast-kernel"], "--spatial", _tiny),
    Case("issue-kernel-head-missing", [*_FC, "--start", "2020-11-01", "--spatial", "--model",
                                       "recast-kernel", "--checkpoint", "{tmp}/k.pt"],
         ["--checkpoint", "k.pt"], _tiny),
    Case("issue-kernel-head-junk", [*_FC, "--start", "2020-11-01", "--spatial", "--model",
                                    "recast-kernel", "--checkpoint", "{tmp}/k.pt"],
         "k.pt.head.npz", _junk_head),
    Case("issue-archive-not-db", [*_FC, "--start", "2020-11-01", "--archive", "{tmp}/a.sqlite"],
         "a.sqlite", _archive_text),
    Case("backtest-days-0", [*_BT, "--days", "0"], "--days", _tiny),
    Case("backtest-days-neg", [*_BT, "--days", "-14"], "--days", _tiny),
    Case("backtest-samples-0", [*_BT, "--samples", "0"], "--samples", _tiny),
    Case("backtest-start-after", [*_BT, "--start", "2025-01-01"], "--start", _tiny),
    Case("backtest-end-first", [*_BT, "--start", "2020-10-01", "--end", "2020-09-01"], "--end",
         _tiny),
    Case("backtest-no-window", [*_BT, "--start", "2020-12-25", "--days", "30"], "--days",
         _tiny),
    Case("run-every-0", [*_RUN, "--start", "2020-12-01", "--every", "0"], "--every", _tiny),
    Case("run-days-0", [*_RUN, "--start", "2020-12-01", "--days", "0"], "--days", _tiny),
    Case("run-samples-0", [*_RUN, "--start", "2020-12-01", "--samples", "0"], "--samples",
         _tiny),
    Case("run-start-after", [*_RUN, "--start", "2025-01-01"], "--start", _tiny),
    Case("run-end-first", [*_RUN, "--start", "2020-12-01", "--end", "2020-11-01"], "--end",
         _tiny),
    Case("run-refit-0", [*_RUN, "--start", "2020-12-01", "--refit-every", "0"],
         "--refit-every", _tiny),
    Case("run-model", [*_RUN, "--start", "2020-12-01", "--model", "magic"], "--model", _tiny),
    Case("run-mc-nan", [*_RUN, "--start", "2020-12-01", "--mc", "nan"], "--mc", _tiny),
    Case("evaluate-missing-archive", ["forecast", "evaluate", "--catalog", CAT, "--archive",
                                      "{tmp}/none.sqlite"], "none.sqlite", _tiny),
    Case("evaluate-not-db", ["forecast", "evaluate", "--catalog", CAT, "--archive",
                             "{tmp}/a.sqlite"], "a.sqlite", _archive_text),
    Case("report-start-after", [*_REP, "--start", "2025-01-01"], "--start", _tiny),
    Case("report-days-0", [*_REP, "--start", "2020-11-01", "--days", "0"], "--days", _tiny),
    Case("report-samples-0", [*_REP, "--start", "2020-11-01", "--samples", "0"], "--samples",
         _tiny),
    Case("report-bt-end-first", [*_REP, "--start", "2020-11-01", "--backtest-end",
                                 "2020-10-01"], "--backtest-end", _tiny),
]

def _dir(name: str) -> callable:
    def setup(tmp: Path) -> None:
        _tiny(tmp)
        (tmp / name).mkdir()
        (tmp / name / "keep.txt").write_text("x")
    return setup


OUTPUTS = [  # unwritable outputs are refused before any work (nothing half-written)
    Case("info-json-folder", ["catalog", "info", CAT, "--json", "{tmp}/o.json"], "--json",
         _dir("o.json")),
    Case("plot-out-file", ["catalog", "plot", CAT, "--out", CAT], "--out", _tiny),
    Case("convert-out-folder", ["catalog", "convert", CAT, "{tmp}/o.csv"], "o.csv", _dir("o.csv")),
    Case("convert-parent-file", ["catalog", "convert", CAT, "{tmp}/cat.json/x.csv"], "cat.json",
         _tiny),
    Case("fit-json-parent-file", ["etas", "fit", CAT, "--json", "{tmp}/cat.csv/f.json"],
         "--json", _tiny),
    Case("score-json-folder", ["etas", "score", CAT, "--params", PARAMS, "--json",
                               "{tmp}/o.json"], "--json",
         lambda t: (_params(GOOD_PARAMS)(t), (t / "o.json").mkdir())),
    Case("sim-out-folder", ["etas", "simulate", "--params", PARAMS, "--out", "{tmp}/o.csv",
                            "--days", "10"], "--out",
         lambda t: (_params(GOOD_PARAMS)(t), (t / "o.csv").mkdir())),
    Case("issue-report-folder", [*_FC, "--start", "2020-11-01", "--report", "{tmp}/o.json"],
         "--report", _dir("o.json")),
    Case("backtest-json-parent-file", [*_BT, "--json", "{tmp}/cat.csv/b.json"], "--json", _tiny),
    Case("run-archive-folder", ["forecast", "run", "--catalog", CAT, "--archive", "{tmp}/o.json",
                                "--start", "2020-12-01", "--model", "poisson"], "o.json",
         _dir("o.json")),
    Case("evaluate-report-folder", ["forecast", "evaluate", "--catalog", CAT, "--archive",
                                    "{tmp}/a.sqlite", "--report", "{tmp}/o.json"], "--report",
         lambda t: (_dir("o.json")(t), (t / "a.sqlite").write_bytes(b""))),
    Case("report-out-folder", [*_REP, "--start", "2020-11-01", "--out", "{tmp}/o.json"], "--out",
         _dir("o.json")),
    Case("backtest-end-text", [*_BT, "--end", "later"], "--end", _tiny),
    Case("backtest-before-data", [*_BT, "--start", "2019-01-01"], "--start", _tiny),
    Case("run-seed-neg", [*_RUN, "--start", "2020-12-01", "--seed", "-3"], "--seed", _tiny),
]

CASES = CATALOG + ETAS + FORECAST + OUTPUTS


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clean_line(case: Case, tmp_path: Path, shared_data: Path) -> None:
    """Exit 1, one ``error:`` line naming the culprit, nothing written."""
    check_case(case, tmp_path, shared_data)


def test_the_suite_covers_every_command() -> None:
    """At least one case per command of catalog, etas, forecast and report."""
    commands = {" ".join(c.args[:2]) for c in CASES}
    assert {"catalog info", "catalog convert", "catalog plot", "catalog download", "etas fit",
            "etas score", "etas simulate", "forecast issue", "forecast backtest",
            "forecast run", "forecast evaluate", "report forecast"} <= commands
    assert len(CASES) >= 30
