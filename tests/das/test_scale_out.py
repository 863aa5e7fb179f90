"""DAS band energy on a real Dask cluster of worker processes (issue 18).

Each test compares with the serial run bit for bit (``assert_frame_equal`` with exact
float comparison), including a run where a worker process is killed mid-run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geohazard.das.energy import EnergyConfig, compute_band_energy
from geohazard.das.store import EnergyStore
from geohazard.das.synthetic import write_foresee
from tests.cluster import kill_busiest_worker, local_cluster

pytest.importorskip("distributed")

FS = 50.0
T0 = 1_630_454_400.0  # 2021-09-01T00:00:00Z
CFG = EnergyConfig(bands=((0.5, 8.0), (2.0, 8.0), (8.0, 25.0)), window_s=5.0,
                   chunk_windows=2)


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as c:
        yield c


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Twelve 7-s files (windows straddle file boundaries), 9 channels, one gap."""
    folder = tmp_path_factory.mktemp("das")
    rng = np.random.default_rng(18)
    start = T0
    for i in range(12):
        x = rng.standard_normal((int(7.0 * FS), 9)).astype(np.float32)
        write_foresee(folder / f"f{i:02d}.h5", x, start, FS)
        start += 7.0 + (20.0 if i == 5 else 0.0)
    serial = compute_band_energy(folder, tmp_path_factory.mktemp("serial"), CFG).load()
    return folder, serial


def _exact(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_cluster_equals_serial_bit_for_bit(client, data, tmp_path):
    folder, serial = data
    calls = []
    store = compute_band_energy(folder, tmp_path / "d", CFG, client=client,
                                progress=lambda d, t: calls.append((d, t)))
    _exact(store.load(), serial)
    assert calls[-1][0] == calls[-1][1] == len(calls)
    parts = list((tmp_path / "d" / "parts").glob("part-*.parquet"))
    assert len(parts) <= calls[-1][1]  # at most one part per chunk (none for a gap)
    # a rerun submits only what a serial rerun recomputes (windows below coverage)
    again, serial_again = [], []
    compute_band_energy(folder, tmp_path / "d", CFG, client=client,
                        progress=lambda d, t: again.append(t))
    compute_band_energy(folder, tmp_path / "s", CFG)
    compute_band_energy(folder, tmp_path / "s", CFG, progress=lambda d, t: serial_again.append(t))
    assert again == serial_again and len(again) < len(calls)
    _exact(EnergyStore(tmp_path / "d").load(), serial)


def test_worker_killed_mid_run_loses_and_doubles_nothing(client, data, tmp_path):
    folder, serial = data
    cfg = EnergyConfig(bands=CFG.bands, window_s=CFG.window_s, chunk_windows=1)
    held = []

    def kill_once(done, total):
        if done == 1:
            held.append(kill_busiest_worker(client))

    store = compute_band_energy(folder, tmp_path / "k", cfg, client=client, progress=kill_once)
    assert held and held[0] >= 1  # the killed worker had tasks to lose
    _exact(store.load(), serial)
    n_windows = serial["time"].nunique()
    assert len(list((tmp_path / "k" / "parts").glob("part-*.parquet"))) == n_windows
    assert store.to_array().sizes["time"] == n_windows  # no duplicated or missing rows


def test_a_part_written_twice_is_one_part(data, tmp_path):
    folder, serial = data
    store = compute_band_energy(folder, tmp_path / "s", CFG)
    before = sorted((tmp_path / "s" / "parts").glob("part-*.parquet"))
    again = pd.read_parquet(before[0])
    store.write_part(again.iloc[::-1].reset_index(drop=True))  # the same windows again
    store.write_part(again)
    assert sorted((tmp_path / "s" / "parts").glob("part-*.parquet")) == before
    _exact(EnergyStore(tmp_path / "s").load(), serial)


def test_cli_analyze_on_a_hand_started_cluster(tmp_path):
    """``geohazard das analyze ... --scheduler tcp://127.0.0.1:PORT`` (the README how-to)."""
    from geohazard.das.synthetic import Drain, Pole, Storm, StormConfig, simulate_storms
    from geohazard.distributed import hand_started_cluster
    from tests.badinput import run_main

    tiny = StormConfig(n_channels=8, n_dry=8, dry_gap=2, storms=(Storm(4, 6.0),),
                       poles=(Pole(2, 1.0),), drains=(Drain(5, 0.6, 0.25),), road=(0, 4),
                       file_windows=2)
    sim = simulate_storms(tmp_path / "sim", tiny, rng=3)
    (tmp_path / "cfg.yaml").write_text("chunk_windows: 2\nfigures: false\nreport: false\n")

    def args(out):
        return ["das", "analyze", str(sim.weather_csv.parent / "das"), "--weather",
                str(sim.weather_csv), "--geometry", str(sim.geometry_csv), "--out", str(out),
                "--window", "10", "--config", str(tmp_path / "cfg.yaml")]

    assert run_main(args(tmp_path / "ref")).code == 0
    with hand_started_cluster(tmp_path / "cluster", n_workers=2) as address:
        assert run_main([*args(tmp_path / "run"), "--scheduler", address]).code == 0
    _exact(EnergyStore(tmp_path / "run" / "energy").load(),
           EnergyStore(tmp_path / "ref" / "energy").load())
    for name in ("wind_fits", "rain_fits", "sources"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "run" / "tables" / f"{name}.parquet"),
            pd.read_parquet(tmp_path / "ref" / "tables" / f"{name}.parquet"), check_exact=True)


def test_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    import geohazard.distributed
    from tests.badinput import run_main

    monkeypatch.setattr(geohazard.distributed, "CONNECT_TIMEOUT_S", 1.0)

    folder = tmp_path / "das"
    folder.mkdir()
    write_foresee(folder / "a.h5", np.zeros((500, 3), np.float32), T0, FS)
    (tmp_path / "w.csv").write_text("time,wind_mps,rain_mmph\n2021-09-01T00:00:00,1,0\n"
                                    "2021-09-01T00:01:00,2,0\n")
    res = run_main(["das", "analyze", str(folder), "--weather", str(tmp_path / "w.csv"),
                    "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"])
    assert res.code == 1 and "--scheduler tcp://127.0.0.1:9" in res.err, res.err
    assert "Traceback" not in res.err
    assert len([line for line in res.err.splitlines() if line.startswith("error")]) == 1
    assert not (tmp_path / "out").exists()
    res = run_main(["das", "analyze", str(folder), "--weather", str(tmp_path / "w.csv"),
                    "--out", str(tmp_path / "out"), "--scheduler", "not an address"])
    assert res.code == 1 and "--scheduler" in res.err and not (tmp_path / "out").exists()
