"""The synthetic catalogs of geohazard.examples share one split definition (issue 12)."""

from __future__ import annotations

import pytest

from geohazard.examples import (
    SPLIT_FRACTIONS,
    etas_catalog,
    renewal_catalog,
    split_dates,
    synthetic_catalog,
)


@pytest.mark.parametrize("make", [lambda: synthetic_catalog(years=1, rng=1),
                                  lambda: etas_catalog(days=400.0, rng=1),
                                  lambda: renewal_catalog(300, rng=1)])
def test_every_synthetic_catalog_splits_at_the_same_fractions(make):
    cat = make()
    md = cat.metadata
    span = cat.day_of(md.end)
    got = [cat.day_of(md.train_start) / span, cat.day_of(md.val_start) / span,
           cat.day_of(md.test_start) / span]
    assert got == pytest.approx(list(SPLIT_FRACTIONS), abs=1e-12)
    assert cat.origin == md.start and (cat.magnitudes > md.mag_completeness).all()


def test_the_demo_catalog_keeps_its_split_dates():
    """The stored demo summary (tests/data/demo_summary_seed0.json) was made with these."""
    assert SPLIT_FRACTIONS == (0.1, 0.6, 0.8)
    dates = split_dates("2000-01-01", 3650.0)
    assert [str(d.date()) for d in dates.values()] == ["2000-12-31", "2005-12-30", "2007-12-30"]
    md = etas_catalog(rng=0).metadata
    assert (md.train_start, md.val_start, md.test_start) == tuple(dates.values())
