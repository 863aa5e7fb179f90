import numpy as np
import pandas as pd
import pytest

from geohazard.catalog import Catalog, CatalogMetadata, read_catalog
from geohazard.exceptions import CatalogError

PAPER_SPLITS = {
    "SCEDC": (78_086, 22_928, 12_545),
    "QTMSanJacinto": (11_478, 3_366, 4_311),
    "White": (47_701, 33_050, 49_313),
}


@pytest.mark.parametrize("name", sorted(PAPER_SPLITS))
def test_paper_split_counts(catalogs_dir, name):
    cat = read_catalog(catalogs_dir / f"{name}.csv")
    counts = cat.split_counts()
    assert (counts["train"], counts["val"], counts["test"]) == PAPER_SPLITS[name]


def test_scedc_sequence_conventions(catalogs_dir):
    cat = read_catalog(catalogs_dir / "SCEDC.csv")
    assert len(cat) == 125_421
    test = cat.to_sequence("test")
    # every split starts at the catalog start; test is scored from 2014-01-01 to the end
    assert test.t_start == 0.0
    assert test.t_nll_start == pytest.approx(cat.day_of("2014-01-01"))
    assert test.t_end == pytest.approx(cat.day_of("2020-01-01"))
    gaps = test.inter_times
    assert gaps.size == len(test) + 1
    assert np.all(gaps >= 0)
    assert gaps.sum() == pytest.approx(test.t_end - test.t_start)
    assert gaps[-1] == pytest.approx(test.t_end - test.times[-1])
    train = cat.to_sequence("train")
    assert train.times[-1] < train.t_end == pytest.approx(cat.day_of("2005-01-01"))
    assert train.times.dtype == np.float64


def _cat(times, mags, **md):
    return Catalog({"time": pd.to_datetime(times, utc=True), "magnitude": mags},
                   CatalogMetadata(**md))


def test_catalog_is_immutable_and_select_returns_new():
    cat = _cat(["2020-01-01", "2020-01-02", "2020-01-03"], [1.0, 2.5, 3.0])
    with pytest.raises(ValueError):
        cat.magnitudes[0] = 9.0
    sub = cat.select(magnitude=(2.0, None))
    assert len(sub) == 2 and len(cat) == 3
    sub2 = cat.select(time=("2020-01-02", "2020-01-02T12:00"))
    assert list(sub2.magnitudes) == [2.5]
    with pytest.raises(CatalogError, match="no column 'depth'"):
        cat.select(depth=(0, 10))
    with pytest.raises(dataclasses_error()):
        cat.metadata.name = "x"  # type: ignore[misc]


def dataclasses_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_unsorted_input_sorted_with_warning(caplog):
    cat = _cat(["2020-01-03", "2020-01-01"], [1.0, 2.0])
    assert list(cat.magnitudes) == [2.0, 1.0]
    assert "not sorted" in caplog.text


def test_days_are_exact_float64_from_origin():
    cat = _cat(["2020-01-01T00:00:00", "2020-01-01T12:00:00", "2020-01-03T06:00:00"],
               [1.0, 1.0, 1.0], start="2020-01-01")
    np.testing.assert_allclose(cat.days(), [0.0, 0.5, 2.25], rtol=0, atol=1e-12)


def test_metadata_rejects_misordered_splits():
    with pytest.raises(CatalogError, match="split dates"):
        CatalogMetadata(start="2020-01-01", train_start="2019-01-01")


def test_above_completeness_is_strict():
    cat = _cat(["2020-01-01", "2020-01-02", "2020-01-03"], [2.0, 2.01, 3.0])
    assert list(cat.above_completeness(2.0).magnitudes) == [2.01, 3.0]


def test_sequence_features_carried(catalogs_dir):
    cat = read_catalog(catalogs_dir / "QTMSanJacinto_located.csv")
    assert {"x", "y", "latitude", "longitude"} <= set(cat.columns)
    seq = cat.to_sequence(features=("x", "y"))
    assert seq.features["x"].shape == seq.times.shape


def test_time_helpers_invert_each_other_and_share_one_window_test():
    import numpy as np
    import pandas as pd

    from geohazard.catalog.core import Catalog, CatalogMetadata, window_mask

    origin = pd.Timestamp("2001-03-04 05:06:07", tz="UTC")
    days = np.array([0.5, 1.0, 1.0 + 1e-9, 2.25, 1e4 / 3])
    cat = Catalog.from_days(days, [2.0, 2.1, 2.2, 2.3, 2.4], origin,
                            metadata=CatalogMetadata(name="t"), depth=np.arange(5.0))
    assert cat.origin == origin and cat.metadata.name == "t" and "depth" in cat.columns
    np.testing.assert_allclose(cat.days(), days, rtol=0, atol=1e-13)
    assert cat.utc_of(cat.day_of(cat.times[3])) == cat.times[3]
    assert (cat.utc_of(cat.days()) == cat.times).all()
    assert cat.utc_of(1.5) == origin + pd.Timedelta(hours=36)
    np.testing.assert_array_equal(cat.in_window(0.5, 1.0), [False, True, False, False, False])
    np.testing.assert_array_equal(window_mask(cat.days(), 1.0, 3.0), cat.in_window(1.0, 3.0))


def test_from_days_rounds_to_a_resolution_and_sequences_know_utc():
    import numpy as np
    import pandas as pd
    import pytest

    from geohazard.catalog.core import Catalog
    from geohazard.exceptions import CatalogError

    origin = pd.Timestamp("2001-03-04", tz="UTC")
    days = np.array([0.5 + 0.4e-3 / 86_400, 3649.0 + 12.3456789 / 86_400])
    ms = Catalog.from_days(days, [2.0, 2.1], origin, resolution="ms")
    assert list(ms.times) == [origin + pd.Timedelta("12h") + pd.Timedelta("0ms"),
                              origin + pd.Timedelta(days=3649, seconds=12.346)]
    ns = Catalog.from_days(days, [2.0, 2.1], origin)
    assert ns.times[0] == origin + pd.Timedelta("12h") + pd.Timedelta("400us")
    with pytest.raises(CatalogError, match="resolution"):
        Catalog.from_days(days, [2.0, 2.1], origin, resolution="min")  # type: ignore[arg-type]
    seq = ns.to_sequence(t_end="2012-01-01", t_nll_start="2001-03-05")
    assert seq.utc_of(seq.t_nll_start) == pd.Timestamp("2001-03-05", tz="UTC")
    assert (seq.utc_of(seq.times) == ns.times).all()
    np.testing.assert_array_equal(seq.scored, [False, True])  # the one window test
    bare = type(seq)(seq.times, seq.magnitudes, 0.0, seq.t_end, 0.0)
    with pytest.raises(CatalogError, match="no origin"):
        bare.utc_of(1.0)
