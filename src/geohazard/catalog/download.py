"""Download catalogs from FDSN event web services (ComCat is one) in their text formats.

Requests follow the FDSN event service specification (``/fdsnws/event/1/query`` with
``starttime``, ``endtime``, ``minmagnitude``, box or radius, ``orderby=time-asc``);
ComCat is asked for ``format=csv``, other services for ``format=text``. Long ranges are
split into time chunks so no single request exceeds a service's event limit.
"""

from __future__ import annotations

import logging
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from geohazard.catalog.core import Catalog, CatalogMetadata, to_utc
from geohazard.catalog.io import _clean_frame, parse_comcat_csv, parse_fdsn_text
from geohazard.exceptions import CatalogError

log = logging.getLogger(__name__)

COMCAT_URL = "https://earthquake.usgs.gov/fdsnws/event/1/query"
FDSN_SERVICES = {
    "scedc": "https://service.scedc.caltech.edu/fdsnws/event/1/query",
    "iris": "https://service.iris.edu/fdsnws/event/1/query",
    "ncedc": "https://service.ncedc.org/fdsnws/event/1/query",
    "usgs": COMCAT_URL,
}
Fetcher = Callable[[str], str]


@dataclass(frozen=True)
class Query:
    """An event query: time range, magnitude floor and an optional box."""

    start: pd.Timestamp
    end: pd.Timestamp
    min_magnitude: float | None = None
    min_latitude: float | None = None
    max_latitude: float | None = None
    min_longitude: float | None = None
    max_longitude: float | None = None

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise CatalogError(f"download: end {self.end} must be after start {self.start}")
        if self.min_magnitude is not None and not (
                math.isfinite(self.min_magnitude) and -5.0 <= self.min_magnitude <= 10.0):
            raise CatalogError(f"download: min_magnitude {self.min_magnitude:g} is outside "
                               "[-5, 10]")
        for lo, hi, what, limit in ((self.min_latitude, self.max_latitude, "latitude", 90.0),
                                    (self.min_longitude, self.max_longitude, "longitude",
                                     360.0)):
            if (lo is None) != (hi is None):
                raise CatalogError(f"download: give both min and max {what}, or neither")
            if lo is not None and not (-limit <= lo < hi <= limit):
                raise CatalogError(f"download: {what} range {lo:g}..{hi:g} is not increasing "
                                   f"within [-{limit:g}, {limit:g}]")

    def params(self) -> dict[str, str]:
        """FDSN query parameters (without ``format``)."""
        out = {"starttime": self.start.strftime("%Y-%m-%dT%H:%M:%S"),
               "endtime": self.end.strftime("%Y-%m-%dT%H:%M:%S"), "orderby": "time-asc"}
        pairs = {"minmagnitude": self.min_magnitude, "minlatitude": self.min_latitude,
                 "maxlatitude": self.max_latitude, "minlongitude": self.min_longitude,
                 "maxlongitude": self.max_longitude}
        out.update({k: str(v) for k, v in pairs.items() if v is not None})
        return out


def _http_get(url: str) -> str:
    """Fetch ``url`` as text; an FDSN 204 (no data) gives an empty string."""
    try:
        with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 - user-chosen URL
            if resp.status == 204:
                return ""
            return resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        raise CatalogError(f"{url}: service answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise CatalogError(f"{url}: cannot reach service ({exc.reason})") from None


def chunks(
    start: pd.Timestamp, end: pd.Timestamp, days: float
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Split ``[start, end)`` into consecutive pieces of at most ``days``."""
    edges = list(pd.date_range(start, end, freq=pd.Timedelta(days=days)))
    if edges[-1] < end:
        edges.append(end)
    return list(zip(edges[:-1], edges[1:], strict=True))


def download(source: str, query: Query, *, url: str | None = None, chunk_days: float = 365.0,
             fetch: Fetcher = _http_get) -> Catalog:
    """Download a catalog from ComCat (``source='comcat'``) or any FDSN event service.

    Parameters
    ----------
    source
        ``comcat`` or ``fdsn``.
    query
        Time range, magnitude floor and box.
    url
        Service query URL for ``fdsn`` (or a key of ``FDSN_SERVICES``); ComCat's by default.
    chunk_days
        Length of the time pieces requested one at a time.
    fetch
        Function URL -> response text (tests pass recorded responses).
    """
    if not (math.isfinite(chunk_days) and chunk_days > 0):
        raise CatalogError(f"download: chunk_days must be positive, got {chunk_days:g}")
    if source not in {"comcat", "fdsn"}:
        raise CatalogError(f"download: unknown source {source!r}; use 'comcat' or 'fdsn'")
    base = COMCAT_URL if source == "comcat" else FDSN_SERVICES.get(url or "", url)
    if not base:
        raise CatalogError("download: --url is required for source 'fdsn'")
    fmt = "csv" if source == "comcat" else "text"
    frames = []
    for lo, hi in chunks(query.start, query.end, chunk_days):
        params = Query(lo, hi, *list(query.__dict__.values())[2:]).params() | {"format": fmt}
        full = f"{base}?{urllib.parse.urlencode(params)}"
        log.info("requesting %s", full)
        text = fetch(full)
        if not text.strip():
            continue
        frame = parse_comcat_csv(text, full) if fmt == "csv" else parse_fdsn_text(text, full)
        frames.append(frame)
    if not frames:
        raise CatalogError(f"download: the service returned no events for {query}")
    df = pd.concat(frames, ignore_index=True)
    if "event_id" in df.columns:
        df = df.drop_duplicates(subset="event_id")
    clean = _clean_frame(df, base)  # type: ignore[arg-type]
    md = CatalogMetadata(name=source, source=base, mag_completeness=query.min_magnitude,
                         start=to_utc(query.start),
                         end=min(to_utc(query.end), pd.Timestamp.now(tz="UTC")))
    return Catalog(clean, md)
