"""Band energy as DASCore patches; the quantity follows the file; clipped bands; short data."""

import warnings

import numpy as np
import pandas as pd
import pytest

from geohazard.das.bands import BandClippedWarning
from geohazard.das.energy import (
    EnergyConfig,
    compute_band_energy,
    energy_array,
    energy_patches,
    patch_band_energy,
)
from geohazard.das.io import scan_file, scan_source
from geohazard.das.quantity import Quantity, quantity_of
from geohazard.das.synthetic import write_foresee
from geohazard.exceptions import DASError

BAND = [(0.5, 7.9)]  # edges between the 0.2 Hz bins of 5-s windows
T0 = 1_630_454_400.0  # 2021-09-01T00:00:00Z, a multiple of every window used here

# What each shared vendor file carries, from its own attributes (DASCore data_type and
# data_units): None where the file states neither.
SHARED_QUANTITY = {
    "ap_sensing_1.hdf5": ("unknown", ""),
    "decimated_optodas.hdf5": ("strain_rate", "1/s"),  # units only: strain/s
    "febus_2.h5": ("strain_rate", "nanostrain/s"),  # data_type 'strainrate'
    "h5_simple_1.h5": ("unknown", ""),
    "h5_simple_2.h5": ("unknown", ""),
    "iDAS005_hdf5_example.626.h5": ("strain_rate", "Hz*nm/m^2/s"),  # as the file states
    "prodml_2.0.h5": ("strain_rate", "Hz*nm/m^2/s"),
    "sample_tdms_file_v4713.tdms": ("strain_rate", ""),
    "silixa_h5_1.hdf5": ("unknown", ""),
    "terra15_v5_test_file.hdf5": ("velocity", "m/s"),
}


def _foresee(folder, seconds=20.0, fs=100.0, n_ch=6, seed=0, **attrs):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(seconds * fs), n_ch)).astype(np.float32)
    path = write_foresee(folder / "f.h5", x, T0, fs)
    if attrs:
        import h5py

        with h5py.File(path, "a") as h5:
            for key, value in attrs.items():
                h5["raw"].attrs[key] = value
    return path


@pytest.mark.parametrize("name", sorted(SHARED_QUANTITY))
def test_quantity_of_each_shared_file(name, das_dir):
    q = scan_file(das_dir / name)[0].quantity
    assert (q.kind, q.units) == SHARED_QUANTITY[name]


def test_quantity_labels_follow_the_kind():
    rate = Quantity("strain_rate", "1/s")
    assert rate.energy_name == "mean squared strain rate"
    assert rate.energy_units == "(1/s)^2" and rate.psd_units == "(1/s)^2/Hz"
    assert rate.psd_db_reference == "dB re 1 (1/s)^2/Hz"
    vel = quantity_of("velocity", "m/s")
    assert vel.energy_name == "mean squared velocity" and vel.psd_units == "(m/s)^2/Hz"
    assert vel.response_units("rms") == "m/s" and vel.response_units("db") == "dB re 1 (m/s)^2"
    strain = quantity_of("", "strain")  # dimensionless units: strain, differentiated
    assert strain.kind == "strain" and strain.strain
    assert strain.energy_name == "mean squared strain rate" and strain.energy_units == "(1/s)^2"
    assert quantity_of("", "m/s").kind == "velocity"
    assert quantity_of("strainrate", "nanostrain/s").units == "nanostrain/s"
    unknown = quantity_of("", None)
    assert unknown.energy_name == "mean squared amplitude"
    assert unknown.energy_units == "(data units)^2"


def test_velocity_file_energy_is_labelled_velocity(das_dir, tmp_path):
    """Terra15 records velocity: never 'mean squared strain rate' again."""
    store = compute_band_energy(das_dir / "terra15_v5_test_file.hdf5", tmp_path / "e",
                                EnergyConfig(bands=((10.0, 100.0),), window_s=0.2))
    meta = store.meta()
    assert meta["quantity"] == "velocity" and meta["energy_units"] == "(m/s)^2"
    assert "mean squared velocity" in meta["definition"]
    arr = energy_array(store.load(), [(10.0, 100.0)], scan_file(
        das_dir / "terra15_v5_test_file.hdf5")[0].quantity)
    assert arr.attrs["units"] == "(m/s)^2" and "velocity" in arr.attrs["long_name"]


def test_energy_patches_are_dascore_patches_with_units(das_dir):
    import dascore as dc

    patches = energy_patches(das_dir / "terra15_v5_test_file.hdf5", [(10.0, 100.0)],
                             window_s=0.2)
    assert list(patches) == ["10-100Hz"]
    p = patches["10-100Hz"]
    assert isinstance(p, dc.Patch) and p.dims == ("time", "distance")
    assert p.attrs.data_type == "frequency_band_energy"
    assert p.attrs.quantity == "velocity" and p.attrs.energy == "mean squared velocity"
    assert p.attrs.energy_units == "(m/s)^2"
    assert dc.get_quantity(p.attrs.data_units) == dc.get_quantity("m**2/s**2")
    assert p.attrs.band == "10-100Hz" and list(p.attrs.band_hz) == [10.0, 100.0]
    src = scan_file(das_dir / "terra15_v5_test_file.hdf5")[0]
    np.testing.assert_allclose(p.get_coord("distance").values, src.distance)
    assert dc.get_quantity(p.get_coord("distance").units) == dc.get_quantity("m")
    step = p.get_coord("time").step
    assert step == np.timedelta64(200, "ms")
    assert np.all(np.isfinite(p.data[1:-1])) and np.nanmin(p.data) > 0


def test_energy_patches_equal_the_long_table(tmp_path):
    path = _foresee(tmp_path, seconds=20.0)
    cfg = EnergyConfig(bands=((0.5, 8.0), (8.0, 25.0)), window_s=5.0)
    table = compute_band_energy(path, tmp_path / "e", cfg).load()
    patches = energy_patches(path, cfg.bands, window_s=5.0, spacing_m=2.0)
    assert list(patches) == ["0.5-8Hz", "8-25Hz"]
    for label, p in patches.items():
        wide = table.pivot(index="time", columns="channel", values=label)
        np.testing.assert_allclose(p.data, wide.to_numpy(), rtol=1e-12)
        times = pd.DatetimeIndex(p.get_coord("time").values).tz_localize("UTC")
        assert (times == wide.index).all()
        np.testing.assert_allclose(p.get_coord("distance").values, 2.0 * np.arange(6))


def test_clipped_band_is_named_by_its_true_edges(tmp_path):
    path = _foresee(tmp_path, fs=100.0)
    with pytest.warns(BandClippedWarning, match=r"2-125Hz.*2-50Hz"):
        patches = energy_patches(path, {"rain": (2.0, 8.0), "rain_broadband": (2.0, 125.0)},
                                 window_s=5.0)
    assert list(patches) == ["rain 2-8Hz", "rain_broadband 2-50Hz"]
    p = patches["rain_broadband 2-50Hz"]
    assert p.attrs.band == "2-50Hz" and p.attrs.band_name == "rain_broadband"
    assert list(p.attrs.band_hz) == [2.0, 50.0]
    assert list(p.attrs.band_requested_hz) == [2.0, 125.0]
    # the energy is that of 2-50 Hz: white noise of unit variance holds 48/50 of it
    assert np.nanmean(p.data) == pytest.approx(0.96, rel=0.03)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a band inside Nyquist warns about nothing
        energy_patches(path, {"rain": (2.0, 8.0)}, window_s=5.0)


def test_waterfall_draws_an_energy_patch(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = _foresee(tmp_path, seconds=30.0, data_type="strain_rate", units="1/s")
    patch = energy_patches(path, [(0.5, 8.0)], window_s=5.0, spacing_m=2.0)["0.5-8Hz"]
    assert patch.attrs.energy == "mean squared strain rate"
    ax = patch.viz.waterfall(show=False)
    assert ax.get_images() or ax.collections  # something was drawn
    plt.close("all")


def test_spool_and_patch_sources_give_the_same_energy(tmp_path):
    import dascore as dc

    from geohazard.das.io import read_patch

    path = _foresee(tmp_path, seconds=20.0)
    # FORESEE timestamps are float seconds (fs 99.9999994 Hz from the file), a patch's
    # are whole ns (100 Hz): a band edge on a bin (8 Hz) would take one bin more or less
    ref = energy_patches(path, BAND, window_s=5.0)["0.5-7.9Hz"]
    patch = read_patch(path)
    for source in (patch, dc.spool([patch]), dc.spool(path)):
        got = energy_patches(source, BAND, window_s=5.0)["0.5-7.9Hz"]
        np.testing.assert_allclose(got.data, ref.data, rtol=1e-6)
    assert scan_source(dc.spool(path))[0].fmt == "FORESEE"  # whole files stream as paths
    cut = dc.spool(path).select(time=(None, np.datetime64(int((T0 + 10) * 1e9), "ns")))
    assert scan_source(cut)[0].fmt == "memory"  # a cut patch is read from the spool
    got = energy_patches(cut, BAND, window_s=5.0)["0.5-7.9Hz"]
    np.testing.assert_allclose(got.data[:2], ref.data[:2], rtol=1e-6)
    assert np.isnan(got.data[2:]).all()  # one sample of the third window: not covered
    # a spool of two patches (a split record) equals the whole record
    half = patch.select(time=(None, np.datetime64(int((T0 + 10) * 1e9), "ns")))
    rest = patch.select(time=(np.datetime64(int((T0 + 10) * 1e9) + 1, "ns"), None))
    infos = scan_source(dc.spool([rest, half]))
    assert [i.t0_ns for i in infos] == sorted(i.t0_ns for i in infos)
    two = energy_patches(dc.spool([half, rest]), BAND, window_s=5.0)["0.5-7.9Hz"]
    np.testing.assert_allclose(two.data, ref.data, rtol=1e-6)


def test_data_shorter_than_a_window_is_a_clear_error(tmp_path):
    path = _foresee(tmp_path, seconds=3.0)
    with pytest.raises(DASError, match=r"f\.h5: holds 3 s of data, shorter than one 60 s "
                                       r"window \(--window\)"):
        compute_band_energy(path, tmp_path / "e", EnergyConfig(window_s=60.0))
    assert not (tmp_path / "e").exists()
    with pytest.raises(DASError, match=r"f\.h5.*60 s window"):
        energy_patches(path, window_s=60.0)
    empty = patch_band_energy(_read(path), EnergyConfig(window_s=60.0))
    assert empty.empty  # a patch piece may fill no window; the table says so plainly
    with pytest.raises(DASError, match="no windows"):
        energy_array(empty, EnergyConfig().bands)


def _read(path):
    from geohazard.das.io import read_patch

    return read_patch(path)


@pytest.mark.parametrize("name", sorted(SHARED_QUANTITY))
def test_energy_patches_of_every_shared_file(name, das_dir):
    info = scan_file(das_dir / name)[0]
    duration = info.n_time * info.dt_ns / 1e9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vendor files warn about their own metadata
        patches = energy_patches(das_dir / name, [(info.fs / 20, info.fs / 4)],
                                 window_s=duration / 2, min_coverage=0.5)
    (patch,) = patches.values()
    kind, _ = SHARED_QUANTITY[name]
    assert patch.attrs.quantity == kind
    assert patch.attrs.energy == {"strain_rate": "mean squared strain rate",
                                  "velocity": "mean squared velocity",
                                  "unknown": "mean squared amplitude"}[kind]
    assert patch.shape[1] == info.n_channel and np.nanmax(patch.data) > 0
    if info.distance is not None:
        np.testing.assert_allclose(patch.get_coord("distance").values, info.distance)
