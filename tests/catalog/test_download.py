"""Download tests on responses in the services' documented formats; no network."""

import urllib.parse

import pandas as pd
import pytest

from geohazard.catalog.download import Query, chunks, download
from geohazard.exceptions import CatalogError

COMCAT_CSV = (
    "time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,updated,place,type\n"
    "2019-07-04T17:33:49.000Z,35.7053333,-117.5038333,10.5,6.4,mw,112,44,0.07,0.19,ci,"
    "ci38443183,2022-06-01T00:00:00.000Z,\"Ridgecrest, CA\",earthquake\n"
    "2019-07-06T03:19:53.040Z,35.7695,-117.5993333,8,7.1,mw,,,,,ci,ci38457511,"
    "2022-06-01T00:00:00.000Z,\"Ridgecrest, CA\",earthquake\n"
)
FDSN_TEXT = (
    "#EventID | Time | Latitude | Longitude | Depth/km | Author | Catalog | Contributor | "
    "ContributorID | MagType | Magnitude | MagAuthor | EventLocationName\n"
    "38443183|2019-07-04T17:33:49.000|35.705|-117.504|10.5|CI|CI|CI|38443183|Mw|6.4|CI|Ridgecrest\n"
    "38457511|2019-07-06T03:19:53.040|35.770|-117.599|8.0|CI|CI|CI|38457511|Mw|7.1|CI|Ridgecrest\n"
)


def recorder(responses):
    calls = []

    def fetch(url):
        calls.append(url)
        return responses.pop(0) if responses else ""

    return fetch, calls


def test_comcat_csv_download_chunks_and_dedups():
    fetch, calls = recorder([COMCAT_CSV, COMCAT_CSV])
    q = Query(pd.Timestamp("2019-07-01", tz="UTC"), pd.Timestamp("2019-07-11", tz="UTC"), 2.5,
              35.0, 36.5, -118.5, -117.0)
    cat = download("comcat", q, chunk_days=5, fetch=fetch)
    assert len(calls) == 2
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(calls[0]).query))
    assert params["format"] == "csv" and params["minmagnitude"] == "2.5"
    assert params["starttime"] == "2019-07-01T00:00:00"
    assert params["endtime"] == "2019-07-06T00:00:00"
    assert params["minlongitude"] == "-118.5"
    assert len(cat) == 2  # duplicates across chunks removed by event id
    assert list(cat.magnitudes) == [6.4, 7.1]
    assert cat["depth"][0] == pytest.approx(10.5)


def test_fdsn_text_download():
    fetch, calls = recorder([FDSN_TEXT])
    q = Query(pd.Timestamp("2019-07-01", tz="UTC"), pd.Timestamp("2019-07-10", tz="UTC"))
    cat = download("fdsn", q, url="scedc", fetch=fetch)
    assert "service.scedc.caltech.edu" in calls[0] and "format=text" in calls[0]
    assert list(cat.magnitudes) == [6.4, 7.1]
    assert cat.times[1] == pd.Timestamp("2019-07-06T03:19:53.04Z")


def test_no_events_and_bad_source():
    fetch, _ = recorder([])
    q = Query(pd.Timestamp("2019-07-01", tz="UTC"), pd.Timestamp("2019-07-02", tz="UTC"))
    with pytest.raises(CatalogError, match="no events"):
        download("comcat", q, fetch=fetch)
    with pytest.raises(CatalogError, match="unknown source"):
        download("isc", q, fetch=fetch)
    with pytest.raises(CatalogError, match="row 1 has"):
        download("fdsn", q, url="http://x", fetch=recorder(["#a|b\n1|2|3\n"])[0])


def test_chunks_cover_range():
    lo, hi = pd.Timestamp("2020-01-01", tz="UTC"), pd.Timestamp("2020-03-15", tz="UTC")
    parts = chunks(lo, hi, 30)
    assert parts[0][0] == lo and parts[-1][1] == hi
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:], strict=False))
