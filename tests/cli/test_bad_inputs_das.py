"""Bad-input suite for ``geohazard das analyze|simulate``.

Every case runs the real entry point in-process (:mod:`tests.badinput`) and asserts exit 1,
no traceback, one ``error:`` line naming the culprit (flag, file, column or row) and no file
written, changed or removed under the case's folder: ``das analyze`` checks its DAS files,
weather, geometry and settings before it creates the energy store. Each ``setup`` writes a
tiny FORESEE data set (two 10-s files of 4 channels at 100 Hz), a weather CSV and a geometry
CSV, so the module is fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.badinput import Case, check_case

T0 = 1_630_454_400.0  # 2021-09-01T00:00:00Z
FS = 100.0
GOOD_WX = "time,wind_mps,precip_mm\n" + "".join(
    f"2021-09-01T00:00:{s:02d}Z,3.0,0.0\n" for s in range(10, 60, 10)) + \
    "2021-09-01T00:01:00Z,3.0,0.0\n"


def _data(tmp: Path) -> None:
    """``das/`` (two FORESEE files), ``w.csv`` (weather) and ``g.csv`` (geometry)."""
    from geohazard.das.synthetic import write_foresee

    rng = np.random.default_rng(0)
    for i in range(2):
        x = rng.standard_normal((int(10 * FS), 4)).astype(np.float32)
        write_foresee(tmp / "das" / f"f{i}.h5", x, T0 + 10 * i, FS)
    (tmp / "w.csv").write_text(GOOD_WX)
    (tmp / "g.csv").write_text("channel,distance_m\n0,0\n1,2\n2,4\n3,6\n")


def _with(files: dict[str, str | Callable[[Path], None]]) -> Callable[[Path], None]:
    """Setup: the standard data plus ``files`` (name -> text, or a writer of the path)."""
    def setup(tmp: Path) -> None:
        _data(tmp)
        for name, content in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(path)
            else:
                path.write_text(content)
    return setup


def _foreign_h5(path: Path) -> None:
    import h5py

    with h5py.File(path, "w") as h5:
        h5.create_dataset("not_das", data=np.arange(10))


def _wx(header: str, rows: list[str] | None = None) -> str:
    rows = rows or [f"2021-09-01T00:00:{s:02d}Z,3.0,0.0" for s in range(10, 60, 10)]
    return header + "\n" + "\n".join(rows) + "\n"


def _simulation(tmp: Path) -> None:
    from geohazard.das.synthetic import Drain, Pole, Storm, StormConfig, simulate_storms

    simulate_storms(tmp / "sim", StormConfig(
        n_channels=8, n_dry=4, dry_gap=1, storms=(Storm(2, 5.0),), poles=(Pole(2, 1.0),),
        drains=(Drain(5, 0.5, 0.2),), road=(0, 4)), rng=1)


def _old_store(tmp: Path) -> None:
    """An energy store in --out made with other settings (another window length)."""
    _data(tmp)
    (tmp / "out" / "energy" / "parts").mkdir(parents=True)
    (tmp / "out" / "energy" / "store.json").write_text(json.dumps(
        {"bands": [[0.5, 8.0], [2.0, 8.0], [8.0, 50.0]], "window_s": 60.0,
         "min_coverage": 0.9, "channels": None, "fs": 100.0, "n_channel": 4}))


A = ["das", "analyze", "{tmp}/das", "--weather", "{tmp}/w.csv", "--out", "{tmp}/out",
     "--window", "5"]


def _a(*extra: str, weather: str | None = None, path: str | None = None) -> list[str]:
    args = list(A)
    if weather is not None:
        args[4] = weather
    if path is not None:
        args[2] = path
    return args + list(extra)


ANALYZE = [
    # --- DAS files
    Case("das-missing", _a(path="{tmp}/nope"), "nope", _data),
    Case("das-single-foreign-h5", _a(path="{tmp}/x.h5"), "x.h5", _with({"x.h5": _foreign_h5})),
    Case("das-foreign-h5-in-dir", _a(), ["zz.h5", "--skip-unknown"],
         _with({"das/zz.h5": _foreign_h5})),
    Case("das-text-as-h5", _a(path="{tmp}/t.h5"), "t.h5", _with({"t.h5": "not hdf5\n"})),
    Case("das-empty-dir", _a(path="{tmp}/empty"), "empty", _with({"empty/keep.txt": ""})),
    Case("das-csv-as-das", _a(path="{tmp}/w.csv"), "w.csv", _data),
    # --- weather
    Case("weather-dir", _a(weather="{tmp}/das"), ["das", "directory"], _data),
    Case("weather-missing", _a(weather="{tmp}/none.csv"), "none.csv", _data),
    Case("weather-empty", _a(weather="{tmp}/e.csv"), "e.csv", _with({"e.csv": ""})),
    Case("weather-header-only", _a(weather="{tmp}/h.csv"), "h.csv",
         _with({"h.csv": "time,wind_mps,precip_mm\n"})),
    Case("weather-rate-ambiguous", _a(weather="{tmp}/r.csv"), ["rain_rate", "--precip-units"],
         _with({"r.csv": _wx("time,wind_mps,rain_rate")})),
    Case("weather-precip-no-unit", _a(weather="{tmp}/r.csv"), ["precip", "--precip-units"],
         _with({"r.csv": _wx("time,wind_mps,precip")})),
    Case("weather-rate-too-high", _a(weather="{tmp}/r.csv"), ["precip_mm", "--precip-units"],
         _with({"r.csv": _wx("time,wind_mps,precip_mm",
                          ["2021-09-01T00:00:10Z,3,9", "2021-09-01T00:00:20Z,3,0"])})),
    Case("weather-no-wind-col", _a(weather="{tmp}/r.csv"), "--wind-col",
         _with({"r.csv": _wx("time,temp,precip_mm")})),
    Case("precip-col-absent", _a("--precip-col", "rainfall"), ["--precip-col", "rainfall"],
         _data),
    Case("weather-bad-number", _a(weather="{tmp}/r.csv"), ["wind_mps", "row 3"],
         _with({"r.csv": _wx("time,wind_mps,precip_mm",
                          ["2021-09-01T00:00:10Z,3,0", "2021-09-01T00:00:20Z,fast,0"])})),
    Case("weather-bad-time", _a(weather="{tmp}/r.csv"), ["r.csv", "time"],
         _with({"r.csv": _wx("time,wind_mps,precip_mm",
                          ["2021-09-01T00:00:10Z,3,0", "yesterday,3,0"])})),
    Case("weather-negative-wind", _a(weather="{tmp}/r.csv"), "wind_mps",
         _with({"r.csv": _wx("time,wind_mps,precip_mm",
                          ["2021-09-01T00:00:10Z,-3,0", "2021-09-01T00:00:20Z,3,0"])})),
    Case("weather-no-overlap", _a(weather="{tmp}/r.csv"), ["r.csv", "no overlap"],
         _with({"r.csv": _wx("time,wind_mps,precip_mm",
                          ["2020-01-01T00:00:10Z,3,0", "2020-01-01T00:00:20Z,3,0"])})),
    Case("weather-bad-gzip", _a(weather="{tmp}/r.csv.gz"), "r.csv.gz",
         _with({"r.csv.gz": "not gzip\n"})),
    Case("precip-units-unknown", _a("--precip-units", "furlongs"), "--precip-units", _data),
    Case("wind-units-unknown", _a("--wind-units", "furlongs"), "--wind-units", _data),
    Case("timezone-unknown", _a("--timezone", "Mars/Olympus"), "--timezone", _data),
    Case("weather-format-unknown", _a("--weather-format", "xml"), "--weather-format", _data),
    Case("asos-precip-missing", _a("--asos-precip", "{tmp}/p.dat"), "p.dat", _data),
    # --- bands, window and other settings
    Case("bands-above-nyquist", _a("--bands", "0.5-400"), ["--bands", "Nyquist"], _data),
    Case("bands-start-above-nyquist", _a("--bands", "60-80"), ["--bands", "Nyquist"], _data),
    Case("bands-reversed", _a("--bands", "8-2"), "--bands", _data),
    Case("bands-junk", _a("--bands", "abc"), "abc", _data),
    Case("bands-too-narrow", _a("--bands", "0.5-0.6", "--window", "1"), "--window", _data),
    Case("window-negative", _a("--window", "-3"), "--window", _data),
    Case("window-nan", _a("--window", "nan"), "--window", _data),
    Case("window-one-sample", _a("--window", "0.01"), "--window", _data),
    Case("file-shorter-than-window", _a("--window", "30", path="{tmp}/das/f0.h5"),
         ["f0.h5", "10 s", "30 s window", "--window"], _data),
    Case("files-shorter-than-window", _a("--window", "30"),
         ["f0.h5", "20 s", "30 s window", "--window"], _data),
    Case("crs-unknown", _a("--crs", "EPSG:999999"), "--crs", _data),
    Case("spacing-zero", _a("--spacing", "0"), "--spacing", _data),
    Case("event-gap-negative", _a("--event-gap", "-5"), "--event-gap", _data),
    Case("workers-zero", _a("--workers", "0"), "--workers", _data),
    Case("fft-threads-zero", _a("--fft-threads", "0"), "--fft-threads", _data),
    Case("engine-unknown", _a("--engine", "gpu"), "--engine", _data),
    Case("channel-offset-negative", _a("--channel-offset", "-1"), "--channel-offset", _data),
    # --- geometry, config, output
    Case("geometry-missing", _a("--geometry", "{tmp}/nog.csv"), "nog.csv", _data),
    Case("geometry-no-channel", _a("--geometry", "{tmp}/g2.csv"), "g2.csv",
         _with({"g2.csv": "x,y\n1,2\n3,4\n"})),
    Case("geometry-other-channels", _a("--geometry", "{tmp}/g2.csv"), "geometry",
         _with({"g2.csv": "channel,distance_m\n100,0\n101,2\n"})),
    Case("config-missing", _a("--config", "{tmp}/c.yaml"), "c.yaml", _data),
    Case("config-unknown-key", _a("--config", "{tmp}/c.yaml"), ["c.yaml", "windw_s"],
         _with({"c.yaml": "windw_s: 10\n"})),
    Case("config-coverage-range", _a("--config", "{tmp}/c.yaml"), ["c.yaml", "min_coverage"],
         _with({"c.yaml": "min_coverage: 2\n"})),
    Case("config-r2-range", _a("--config", "{tmp}/c.yaml"), ["c.yaml", "r2_min"],
         _with({"c.yaml": "r2_min: -1\n"})),
    Case("out-is-file", _a()[:6] + ["{tmp}/o.txt", "--window", "5"], ["o.txt", "--out"],
         _with({"o.txt": "x"})),
    Case("json-is-dir", _a("--json", "{tmp}/das"), ["--json", "directory"], _data),
    Case("json-parent-is-file", _a("--json", "{tmp}/w.csv/s.json"), ["--json", "w.csv"],
         _data),
    Case("store-other-settings", _a(), ["energy store", "window_s"], _old_store),
]

SIMULATE = [
    Case("sim-seed-negative", ["das", "simulate", "--out", "{tmp}/s", "--seed", "-1"],
         "--seed"),
    Case("sim-preset-unknown", ["das", "simulate", "--out", "{tmp}/s", "--preset", "huge"],
         "--preset"),
    Case("sim-other-preset", ["das", "simulate", "--out", "{tmp}/sim", "--preset", "demo"],
         ["sim", "--overwrite"], _simulation),
    Case("sim-json-is-dir", ["das", "simulate", "--out", "{tmp}/s", "--json", "{tmp}"],
         "--json"),
    Case("sim-out-is-file", ["das", "simulate", "--out", "{tmp}/o.txt"], "o.txt",
         lambda tmp: (tmp / "o.txt").write_text("x")),
    Case("sim-foreign-files", ["das", "simulate", "--out", "{tmp}", "--preset", "demo"],
         "mine.h5", lambda tmp: _foreign_h5((tmp / "das").mkdir() or tmp / "das" / "mine.h5")),
]

CASES = ANALYZE + SIMULATE


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_das_bad_input(case: Case, tmp_path: Path, shared_data: Path) -> None:
    check_case(case, tmp_path, shared_data)


def test_suite_covers_every_das_command() -> None:
    from geohazard.cli.das import app

    commands = {c.name or c.callback.__name__ for c in app.registered_commands}
    tried = {c.args[1] for c in CASES}
    assert commands <= tried, commands - tried
    assert len(CASES) >= 20


def test_cases_are_not_vacuous(tmp_path: Path, shared_data: Path) -> None:
    """The good data the cases corrupt analyses cleanly (so each failure is the culprit's)."""
    from tests.badinput import run_main

    _data(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("figures: false\nreport: false\n")
    res = run_main([a.replace("{tmp}", str(tmp_path)) for a in A] + ["--config", str(cfg)])
    assert res.code == 0, res.output
    assert (tmp_path / "out" / "summary.json").exists()
    with pytest.raises(AssertionError):  # the harness does fail a clean run
        check_case(replace(ANALYZE[0], args=A, setup=None), tmp_path, shared_data)
