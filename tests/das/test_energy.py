import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geohazard.das.energy import (
    EnergyConfig,
    EnergyStore,
    band_energy,
    compute_band_energy,
    energy_array,
    parse_bands,
    plan_windows,
    to_db,
)
from geohazard.das.io import scan_path
from geohazard.das.synthetic import write_foresee
from geohazard.exceptions import DASError, ParameterError


def slow_band_energy(x, fs, lo, hi):
    """Exact reference: zero the DFT outside the band, invert, mean square."""
    n = x.shape[0]
    spec = np.fft.fft(x, axis=0)
    f = np.abs(np.fft.fftfreq(n, 1 / fs))
    keep = (f >= lo) & ((f < hi) | ((hi >= fs / 2) & (f <= fs / 2)))
    y = np.fft.ifft(spec * keep[:, None], axis=0).real
    return np.mean(y ** 2, axis=0)


@pytest.mark.parametrize("n", [1000, 999, 256])
def test_matches_exact_bandpass(n):
    rng = np.random.default_rng(0)
    fs = 100.0
    x = rng.standard_normal((n, 5)) + 3.0
    bands = [(0.5, 8.0), (2.0, 8.0), (8.0, 125.0), (0.0, 50.0)]
    got = band_energy(x, fs, bands)
    for i, (lo, hi) in enumerate(bands):
        np.testing.assert_allclose(got[i], slow_band_energy(x, fs, lo, hi), rtol=1e-10)
    # the full band is the plain mean square (Parseval)
    np.testing.assert_allclose(got[3], np.mean(x ** 2, axis=0), rtol=1e-10)


def test_sinusoid_energy_is_half_amplitude_squared():
    fs, n = 200.0, 2000
    t = np.arange(n) / fs
    x = 4.0 * np.sin(2 * np.pi * 5.0 * t) + 1.0 * np.sin(2 * np.pi * 30.0 * t)
    e = band_energy(x, fs, [(0.5, 8.0), (8.0, 100.0)])
    np.testing.assert_allclose(e, [8.0, 0.5], rtol=1e-9)


def test_strain_input_is_differentiated():
    fs, n = 100.0, 1000
    t = np.arange(n) / fs
    f0, a = 4.0, 2.0
    strain = a * np.sin(2 * np.pi * f0 * t)
    e = band_energy(strain, fs, [(0.5, 8.0)], strain=True)
    assert e[0] == pytest.approx((a * 2 * np.pi * f0) ** 2 / 2, rel=1e-9)


def test_float32_close_to_float64():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3000, 7))
    e64 = band_energy(x, 250.0, [(0.5, 8.0), (8.0, 125.0)])
    e32 = band_energy(x.astype(np.float32), 250.0, [(0.5, 8.0), (8.0, 125.0)])
    np.testing.assert_allclose(e32, e64, rtol=1e-4)


@settings(max_examples=30, deadline=None)
@given(st.integers(8, 300), st.floats(0.0, 40.0), st.floats(1.0, 60.0),
       st.integers(0, 2**31 - 1))
def test_energy_nonnegative_and_additive(n, lo, width, seed):
    fs = 100.0
    x = np.random.default_rng(seed).standard_normal((n, 2))
    hi = lo + width
    try:
        e = band_energy(x, fs, [(lo, hi)])
    except ParameterError:
        return  # band too narrow for this window: reported, not silently zero
    assert np.all(e >= 0)
    mid = lo + width / 2
    try:
        parts = band_energy(x, fs, [(lo, mid), (mid, hi)])
    except ParameterError:
        return
    np.testing.assert_allclose(parts.sum(0), e[0], rtol=1e-9, atol=1e-12)


def test_band_errors_name_the_band():
    with pytest.raises(ParameterError, match="0.5-0.6Hz"):
        band_energy(np.ones((100, 1)), 100.0, [(0.5, 0.6)])
    with pytest.raises(ParameterError, match="Nyquist"):
        band_energy(np.ones((100, 1)), 100.0, [(60.0, 80.0)])
    with pytest.raises(ParameterError, match="LOW-HIGH"):
        parse_bands("0.5-8,abc")
    assert parse_bands("0.5-8, 2-8") == ((0.5, 8.0), (2.0, 8.0))
    np.testing.assert_allclose(to_db(np.array([1.0, 100.0])), [0.0, 20.0])


# ----------------------------------------------------------------- streaming
FS = 50.0
T0 = 1_630_454_400.0  # 2021-09-01T00:00:00Z


def _write_files(folder, rng, n_files=4, seconds=7.0, n_ch=6, gap_after=None):
    """Files of `seconds` each; windows of 5 s straddle file boundaries."""
    data, start = [], T0
    for i in range(n_files):
        x = rng.standard_normal((int(seconds * FS), n_ch)).astype(np.float32)
        write_foresee(folder / f"f{i:02d}.h5", x, start, FS)
        data.append(x)
        start += seconds + (30.0 if gap_after == i else 0.0)
    return np.concatenate(data)


def test_windows_across_files_equal_one_array(tmp_path):
    rng = np.random.default_rng(2)
    x = _write_files(tmp_path / "das", rng)
    cfg = EnergyConfig(bands=((0.5, 8.0), (8.0, 25.0)), window_s=5.0, chunk_windows=2)
    table = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    da = energy_array(table, cfg.bands)
    n_w = int(5.0 * FS)
    full = x.shape[0] // n_w  # whole windows
    assert da.sizes["time"] == full  # the last window is 3/5 covered: below min_coverage
    for w in range(full):
        ref = band_energy(x[w * n_w:(w + 1) * n_w], FS, cfg.bands)
        np.testing.assert_allclose(da.values[:, w, :], ref, rtol=1e-5)
    assert (table["coverage"] <= 1).all()


def test_coverage_threshold_and_gaps(tmp_path):
    rng = np.random.default_rng(3)
    _write_files(tmp_path / "das", rng, n_files=2, gap_after=0)
    files = scan_path(tmp_path / "das")
    cfg = EnergyConfig(bands=((0.5, 8.0),), window_s=5.0, min_coverage=0.9)
    table = compute_band_energy(files, tmp_path / "e", cfg).load()
    assert table["coverage"].min() >= 0.9
    starts = plan_windows(files, cfg)
    assert len(table["time"].unique()) < len(starts)  # partial windows left out


def test_resume_skips_finished_and_never_duplicates(tmp_path):
    rng = np.random.default_rng(4)
    _write_files(tmp_path / "das", rng, n_files=5)
    cfg = EnergyConfig(bands=((0.5, 8.0),), window_s=5.0, chunk_windows=1, min_coverage=0.5)
    ref = compute_band_energy(tmp_path / "das", tmp_path / "ref", cfg).load()

    class StopError(Exception):
        pass

    def interrupt(done, total):
        if done == 3:
            raise StopError

    with pytest.raises(StopError):
        compute_band_energy(tmp_path / "das", tmp_path / "run", cfg, progress=interrupt)
    store = EnergyStore(tmp_path / "run")
    assert len(store.finished()) == 3
    calls = []
    compute_band_energy(tmp_path / "das", tmp_path / "run", cfg,
                        progress=lambda d, t: calls.append(t))
    assert calls and calls[-1] == ref["time"].nunique() - 3  # only the rest computed
    again = store.load()
    pd.testing.assert_frame_equal(again, ref)
    compute_band_energy(tmp_path / "das", tmp_path / "run", cfg)  # nothing left to do
    assert len(list((tmp_path / "run" / "parts").glob("*.parquet"))) == ref["time"].nunique()


def test_store_refuses_other_settings(tmp_path):
    rng = np.random.default_rng(5)
    _write_files(tmp_path / "das", rng, n_files=2)
    compute_band_energy(tmp_path / "das", tmp_path / "e", EnergyConfig(window_s=5.0,
                                                                       bands=((0.5, 8.0),)))
    with pytest.raises(DASError, match="window_s"):
        compute_band_energy(tmp_path / "das", tmp_path / "e",
                            EnergyConfig(window_s=2.0, bands=((0.5, 8.0),)))


@pytest.mark.parametrize(
    "scheduler", ["threads", pytest.param("processes", marks=pytest.mark.slow)])
def test_dask_engine_matches_serial(tmp_path, scheduler):
    rng = np.random.default_rng(6)
    _write_files(tmp_path / "das", rng, n_files=4)
    cfg = EnergyConfig(bands=((0.5, 8.0), (2.0, 8.0)), window_s=5.0, chunk_windows=1)
    serial = compute_band_energy(tmp_path / "das", tmp_path / "s", cfg).load()
    import dask

    with dask.config.set(scheduler=scheduler, num_workers=2):
        par = compute_band_energy(tmp_path / "das", tmp_path / "d", cfg, engine="dask",
                                  n_workers=2).load()
    pd.testing.assert_frame_equal(serial, par)


def test_overlapping_files_rejected(tmp_path):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((100, 3)).astype(np.float32)
    write_foresee(tmp_path / "a.h5", x, T0, FS)
    write_foresee(tmp_path / "b.h5", x, T0 + 1.0, FS)
    with pytest.raises(DASError, match="overlapping"):
        scan_path(tmp_path)


def test_channel_subset(tmp_path):
    rng = np.random.default_rng(8)
    x = _write_files(tmp_path / "das", rng, n_files=1, seconds=10.0)
    cfg = EnergyConfig(bands=((0.5, 8.0),), window_s=5.0, channels=(2, 5))
    table = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    assert sorted(table["channel"].unique()) == [2, 3, 4]
    w0 = table[table["time"] == table["time"].min()].sort_values("channel")
    start = int((table["time"].min().value / 1e9 - T0) * FS)
    ref = band_energy(x[start:start + 250, 2:5], FS, cfg.bands)[0]
    np.testing.assert_allclose(w0["0.5-8Hz"].to_numpy(), ref, rtol=1e-5)


def test_missing_samples_filled_dead_channels_nan():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((400, 3))
    x[:, 1] = np.nan
    x[10:20, 2] = np.nan
    e = band_energy(x, 100.0, [(1.0, 20.0)])
    assert np.isnan(e[0, 1]) and np.isfinite(e[0, [0, 2]]).all()
    ref = x[:, 2].copy()
    ref[10:20] = np.nanmean(ref)
    assert e[0, 2] == pytest.approx(band_energy(ref, 100.0, [(1.0, 20.0)])[0], rel=1e-10)


def test_channel_blocks_and_pieces_match_reference():
    from geohazard.das import energy as en

    rng = np.random.default_rng(10)
    x = rng.standard_normal((500, en.CHANNEL_BLOCK + 44)).astype(np.float32)
    x[:, en.CHANNEL_BLOCK + 3] = np.nan  # dead channel in the second block
    bands = [(0.5, 8.0), (8.0, 50.0)]
    got = en.band_energy_pieces([x[:123], x[123:400], x[400:]], 100.0, bands)
    ok = np.isfinite(x).all(axis=0)
    for i, (lo, hi) in enumerate(bands):
        ref = slow_band_energy(x[:, ok].astype(float), 100.0, lo, hi)
        np.testing.assert_allclose(got[i, ok], ref, rtol=2e-5)
    assert np.isnan(got[:, ~ok]).all()
    # channel blocks shared among threads: the same numbers, bit for bit
    for workers in (2, 3):
        threaded = en.band_energy_pieces([x[:123], x[123:400], x[400:]], 100.0, bands,
                                         workers=workers)
        np.testing.assert_array_equal(threaded, got)


def test_store_to_array_equals_pivot(tmp_path):
    rng = np.random.default_rng(11)
    _write_files(tmp_path / "das", rng, n_files=3)
    cfg = EnergyConfig(bands=((0.5, 8.0), (8.0, 25.0)), window_s=5.0, chunk_windows=2)
    store = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg)
    a = store.to_array(cfg.bands, dtype=np.float64)
    b = energy_array(store.load(), cfg.bands)
    np.testing.assert_array_equal(a.values, b.values)
    assert (a.time.values == b.time.values).all()


def test_patch_band_energy_equals_streaming(tmp_path):
    from geohazard.das.energy import patch_band_energy
    from geohazard.das.io import read_patch

    rng = np.random.default_rng(12)
    _write_files(tmp_path / "das", rng, n_files=1, seconds=20.0)
    cfg = EnergyConfig(bands=((0.5, 8.0), (8.0, 25.0)), window_s=5.0)
    streamed = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    patch = read_patch(tmp_path / "das" / "f00.h5")  # DASCore (H5Simple) patch
    direct = patch_band_energy(patch, cfg)
    pd.testing.assert_frame_equal(direct.reset_index(drop=True), streamed, rtol=1e-6)


def test_dascore_spool_route_matches_streaming(tmp_path):
    import dascore as dc

    from geohazard.das.energy import spool_band_energy

    rng = np.random.default_rng(13)
    _write_files(tmp_path / "das", rng, n_files=3)  # 5 s windows straddle 7 s files
    cfg = EnergyConfig(bands=((0.5, 8.0),), window_s=5.0, min_coverage=0.99)
    streamed = compute_band_energy(tmp_path / "das", tmp_path / "e", cfg).load()
    via_spool = spool_band_energy(dc.spool(tmp_path / "das").update(), cfg)
    pd.testing.assert_frame_equal(via_spool[["time", "channel"]], streamed[["time", "channel"]])
    np.testing.assert_allclose(via_spool["0.5-8Hz"], streamed["0.5-8Hz"], rtol=1e-5)


def test_live_ingestion_completes_tail_window_later(tmp_path):
    import shutil

    rng = np.random.default_rng(14)
    _write_files(tmp_path / "all", rng, n_files=3)  # 7 s files, 5 s windows
    cfg = EnergyConfig(bands=((0.5, 8.0),), window_s=5.0, min_coverage=0.3)
    fresh = compute_band_energy(tmp_path / "all", tmp_path / "fresh", cfg).load()
    live = tmp_path / "live"
    live.mkdir()
    for name in ("f00.h5", "f01.h5"):
        shutil.copy(tmp_path / "all" / name, live / name)
    first = compute_band_energy(live, tmp_path / "store", cfg, final=False).load()
    # window [10 s, 15 s) holds 4 s of data so far (>= min_coverage) but waits
    assert first["time"].nunique() == 2
    shutil.copy(tmp_path / "all" / "f02.h5", live / "f02.h5")
    again = compute_band_energy(live, tmp_path / "store", cfg).load()
    pd.testing.assert_frame_equal(again, fresh)


def test_band_edges_do_not_depend_on_the_clock_last_digits():
    """A band edge on a bin gives the same bins at 100 Hz and at a float-timestamp 99.99999994 Hz
    (FORESEE files read directly vs the same data through a DASCore patch)."""
    from geohazard.das.bands import band_bins

    n = 1000  # 10 s at 100 Hz: bins every 0.1 Hz, so 2 Hz and 8 Hz fall on bins 20 and 80
    for fs in (100.0, 99.99999994, 100.00000006):
        assert band_bins(n, fs, (2.0, 8.0)) == (20, 80)  # [lo, hi): 8 Hz itself excluded
        assert band_bins(n, fs, (0.5, 8.0)) == (5, 80)
    # An edge between bins still rounds up to the next bin.
    assert band_bins(n, 100.0, (2.05, 8.05)) == (21, 81)
