import numpy as np
import pytest

from geohazard.das.energy import EnergyConfig, band_energy, compute_band_energy
from geohazard.das.io import (
    SliceReader,
    channel_table,
    read_geometry,
    read_patch,
    scan_file,
    scan_path,
    with_distance,
)
from geohazard.das.synthetic import write_foresee
from geohazard.exceptions import DASError, DataFileNotFoundError

VENDOR_FILES = [
    "ap_sensing_1.hdf5", "decimated_optodas.hdf5", "febus_2.h5", "h5_simple_1.h5",
    "h5_simple_2.h5", "iDAS005_hdf5_example.626.h5", "prodml_2.0.h5",
    "sample_tdms_file_v4713.tdms", "silixa_h5_1.hdf5", "terra15_v5_test_file.hdf5",
]


@pytest.mark.parametrize("name", VENDOR_FILES)
def test_vendor_file_band_energy_finite_positive(name, das_dir, tmp_path):
    info = scan_file(das_dir / name)[0]
    patch = read_patch(das_dir / name)
    assert patch.dims[-1] == "distance" or "distance" in patch.dims
    assert info.n_channel == patch.shape[patch.dims.index("distance")]
    # scans are metadata only; Febus blocks overlap and DASCore trims one sample on read
    assert abs(info.n_time - patch.shape[patch.dims.index("time")]) <= 1
    duration = info.n_time * info.dt_ns / 1e9
    # a band well inside the file's frequency range and resolvable in half the file
    cfg = EnergyConfig(bands=((info.fs / 20, info.fs / 4),), window_s=duration / 2,
                       min_coverage=0.5)
    table = compute_band_energy([info], tmp_path / "e", cfg).load()
    vals = table.iloc[:, 2].to_numpy()
    assert len(table) >= info.n_channel
    data = read_patch(das_dir / name).transpose("time", "distance").data
    dead = np.isnan(data).all(axis=0)  # the Febus file has one dead (all-NaN) channel
    live = ~dead[table["channel"].to_numpy()]
    assert np.all(np.isfinite(vals[live])) and np.all(vals[live] > 0)
    assert np.all(np.isnan(vals[~live]))


@pytest.mark.parametrize("name", ["h5_simple_1.h5", "prodml_2.0.h5", "febus_2.h5"])
def test_streaming_reader_matches_dascore(name, das_dir):
    info = scan_file(das_dir / name)[0]
    data = read_patch(das_dir / name).transpose("time", "distance").data
    reader = SliceReader()
    try:
        got = reader.read(info, 10, 60)
    finally:
        reader.close()
    np.testing.assert_array_equal(got, data[10:60])
    e = band_energy(data[:100].astype(float), info.fs, [(info.fs / 20, info.fs / 4)])[0]
    live = ~np.isnan(data).all(axis=0)
    assert np.all(np.isfinite(e[live])) and np.all(np.isnan(e[~live]))


def test_foresee_fast_path_equals_dascore(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 12)).astype(np.float32)
    path = write_foresee(tmp_path / "f.h5", x, 1_630_454_400.0, 100.0)
    info = scan_file(path)[0]
    assert info.fmt == "FORESEE" and info.extra["offset"] is not None
    assert info.fs == pytest.approx(100.0, rel=1e-6)
    assert info.t0_ns == 1_630_454_400 * 10**9
    patch = read_patch(path, spacing_m=2.0)  # DASCore reads the same file as H5Simple
    np.testing.assert_array_equal(patch.transpose("time", "distance").data, x)
    np.testing.assert_allclose(patch.get_coord("distance").values, np.arange(12) * 2.0)
    reader = SliceReader(slice(3, 7))
    np.testing.assert_array_equal(reader.read(info, 100, 250), x[100:250, 3:7])
    reader.close()


def test_spacing_supplied_for_channel_files(das_dir):
    patch = read_patch(das_dir / "h5_simple_1.h5", spacing_m=2.0)
    dist = patch.get_coord("distance").values
    assert dist[1] - dist[0] == pytest.approx(2.0)
    with pytest.raises(DASError, match="spacing"):
        with_distance(read_patch(das_dir / "h5_simple_1.h5").rename_coords(
            distance="channel"), spacing_m=-1.0)


def test_brady_geometry_maps_channels(das_dir):
    geo = read_geometry(das_dir / "brady_hs_DAS_DTS_coords.csv")
    assert geo.index.name == "channel" and {"x", "y", "z", "distance_m"} <= set(geo.columns)
    assert geo.index.min() == -20 and len(geo) > 8000
    assert np.all(np.diff(geo["distance_m"].to_numpy()) >= 0)
    # map a 100-channel file starting at geometry channel 400
    table = channel_table(100, spacing_m=1.0, geometry=geo, channel_offset=400)
    row = geo.loc[450]
    got = table.loc[table["channel"] == 50].iloc[0]
    assert got["x"] == row["x"] and got["y"] == row["y"]
    assert got["distance_m"] == pytest.approx(row["distance_m"])
    assert table.attrs["geometry_matched"] == 100
    # UTM coordinates of the Brady array: easting ~328 km, northing ~4408 km
    assert 3.2e5 < np.nanmedian(table["x"]) < 3.4e5
    assert 4.40e6 < np.nanmedian(table["y"]) < 4.42e6
    with pytest.raises(DASError, match="none of data channels"):
        channel_table(10, geometry=geo, channel_offset=100_000)


def test_geometry_with_lat_lon_and_aliases(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("Chan,Lat,Lon,Dist\n0,40.79,-77.86,0\n1,40.7901,-77.86,2.0\n")
    geo = read_geometry(p)
    assert list(geo.columns) == ["distance_m", "latitude", "longitude"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DASError, match="no channel column"):
        read_geometry(bad)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataFileNotFoundError):
        scan_path(tmp_path / "nope")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(DASError, match="junk.h5"):
        scan_file(junk)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DASError, match="no DAS files"):
        scan_path(empty)
