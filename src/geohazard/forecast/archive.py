"""Forecast archive on an embedded database (SQLite by default; any SQLAlchemy URL).

Every issued forecast is stored with its model, training span, parameter or checkpoint
hash, window and sample summary, and the simulated counts, so that a sequence of
forecasts can be evaluated prospectively later. Each write is one transaction, so an
interrupted run loses nothing already stored; SQLite runs in WAL mode with a busy
timeout so that several processes can write concurrently.

The full continuations (every simulated event's time and magnitude, and its longitude,
latitude and depth where simulated) are kept too, one Parquet file per forecast in a
folder beside the database (``forecasts.sqlite`` -> ``forecasts.sqlite.continuations/``),
referenced from the ``continuations`` table; each file is written to a temporary name and
renamed. So the N-, M-, S- and pseudo-likelihood tests can be rerun on archived forecasts
later (:mod:`geohazard.forecast.archive_csep`). An archive written before continuations
were kept still reads: its forecasts hold counts only (:meth:`ForecastArchive.has_continuations`
is false, and :meth:`ForecastArchive.forecast` raises :class:`CountsOnlyError`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from geohazard.exceptions import InputError, OutputError
from geohazard.forecast.base import Continuations
from geohazard.forecast.evaluation import WindowEvaluation
from geohazard.forecast.forecasting import Forecast

log = logging.getLogger(__name__)
_FORMAT = "geohazard-continuations-1"
_COLUMNS = ("longitude", "latitude", "depth")


class CountsOnlyError(InputError):
    """An archived forecast holds only its counts (archived before continuations were kept)."""


class _Base(DeclarativeBase):
    pass


class ForecastRecord(_Base):
    """One issued forecast."""

    __tablename__ = "forecasts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    model: Mapped[str] = mapped_column(String(64), index=True)
    catalog: Mapped[str] = mapped_column(String(256), default="")
    params_hash: Mapped[str] = mapped_column(String(64), default="")
    training_start: Mapped[str] = mapped_column(String(40), default="")
    training_end: Mapped[str] = mapped_column(String(40), default="")
    window_start: Mapped[str] = mapped_column(String(40), index=True)
    window_end: Mapped[str] = mapped_column(String(40))
    t_start_days: Mapped[float] = mapped_column(Float)
    t_end_days: Mapped[float] = mapped_column(Float)
    n_samples: Mapped[int] = mapped_column(Integer)
    expected_count: Mapped[float] = mapped_column(Float)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[bytes] = mapped_column(LargeBinary)


class ContinuationsRecord(_Base):
    """Where the full continuations of one forecast are kept (absent: counts only)."""

    __tablename__ = "continuations"
    forecast_id: Mapped[int] = mapped_column(ForeignKey("forecasts.id"), primary_key=True)
    path: Mapped[str] = mapped_column(String(512))
    n_events: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(40), default="")
    features: Mapped[list[str]] = mapped_column(JSON)
    region: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class EvaluationRecord(_Base):
    """The evaluation of an archived forecast once observations exist."""

    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forecast_id: Mapped[int] = mapped_column(ForeignKey("forecasts.id"), index=True)
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _engine(url_or_path: str | Path) -> Engine:
    url = str(url_or_path)
    if "://" not in url:
        Path(url).parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{url}"
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        _Base.metadata.create_all(engine)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise InputError(f"archive {url_or_path}: cannot open it as a forecast archive "
                         f"({reason})") from None
    return engine


def write_continuations(continuations: Continuations, path: str | Path) -> Path:
    """Write continuations as one Parquet table, atomically (temporary name, then rename).

    Columns: ``sample`` (continuation index), ``time_days``, ``magnitude`` and one column per
    feature (``longitude``, ``latitude``, ``depth`` ...); the schema metadata holds the
    number of continuations (empty ones have no rows) and the window.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    c, target = continuations, Path(path)
    cols = {"sample": np.repeat(np.arange(c.n_samples, dtype=np.int32), c.counts),
            "time_days": np.asarray(c.times, np.float64),
            "magnitude": np.asarray(c.magnitudes, np.float64)}
    cols.update({k: np.asarray(c.features[k], np.float64) for k in sorted(c.features)})
    meta = {"format": _FORMAT, "n_samples": str(c.n_samples), "t_start": repr(float(c.t_start)),
            "t_end": repr(float(c.t_end))}
    table = pa.table(cols).replace_schema_metadata(meta)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write the continuations ({exc.strerror or exc})"
                          ) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def read_continuations(path: str | Path) -> Continuations:
    """Read continuations written by :func:`write_continuations`."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    if meta.get("format") != _FORMAT:
        raise InputError(f"{path}: not a geohazard continuations file")
    n = int(meta["n_samples"])
    sample = table["sample"].to_numpy()
    offsets = np.concatenate(([0], np.cumsum(np.bincount(sample, minlength=n)))).astype(np.int64)
    features = {k: table[k].to_numpy().astype(np.float64) for k in table.column_names
                if k not in ("sample", "time_days", "magnitude")}
    return Continuations(table["time_days"].to_numpy().astype(np.float64),
                         table["magnitude"].to_numpy().astype(np.float64), offsets,
                         float(meta["t_start"]), float(meta["t_end"]), features)


def _continuations_dir(url: str) -> Path | None:
    """The folder beside an SQLite database file; None for other databases."""
    if "://" not in url:
        return Path(url + ".continuations")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(str(parsed.database) + ".continuations")
    return None


class ForecastArchive:
    """Store and query issued forecasts.

    Parameters
    ----------
    url
        A file path (SQLite) or an SQLAlchemy URL.
    continuations_dir
        Folder of the continuation files (default: beside an SQLite file,
        ``<database>.continuations``; other databases keep counts only unless given).
    keep_continuations
        Keep every forecast's full continuations, not only its counts.
    """

    def __init__(self, url: str | Path, continuations_dir: str | Path | None = None,
                 keep_continuations: bool = True) -> None:
        self.url = str(url)
        self._engine: Engine | None = None
        folder = continuations_dir if continuations_dir is not None else \
            _continuations_dir(self.url)
        self.continuations_dir = Path(folder) if folder is not None else None
        self.keep_continuations = keep_continuations
        if keep_continuations and self.continuations_dir is None:
            log.warning("archive %s: no folder for continuations (give continuations_dir); "
                        "forecasts keep their counts only", self.url)
        if "://" in self.url or Path(self.url).exists():  # an existing file is checked now
            self._engine = _engine(url)

    @property
    def engine(self) -> Engine:
        """The database engine; a new SQLite file is created on first use, not before.

        So a run that fails on bad arguments before storing anything leaves no archive.
        """
        if self._engine is None:
            self._engine = _engine(self.url)
        return self._engine

    @property
    def created(self) -> bool:
        """True once the database exists (an existing file, a URL, or after a write)."""
        return self._engine is not None

    def add(self, forecast: Forecast, *, catalog: str = "", params_hash: str = "",
            region: Any = None) -> int:
        """Store ``forecast`` (and its continuations) in one transaction and return its id.

        ``region`` (a :class:`~geohazard.forecast.region.SpatialRegion` or its dict), the
        testing region of a located forecast, is kept for re-evaluating it later.
        """
        start, end = forecast.window_utc()
        info = forecast.info
        rec = ForecastRecord(
            created_at=dt.datetime.now(dt.UTC), model=forecast.model, catalog=catalog,
            params_hash=params_hash or str(info.get("params_hash", "")),
            training_start=str(info.get("training_start", "")),
            training_end=str(info.get("training_end", "")),
            window_start=start.isoformat() if start is not None else str(forecast.t_start),
            window_end=end.isoformat() if end is not None else str(forecast.t_end),
            t_start_days=forecast.t_start, t_end_days=forecast.t_end,
            n_samples=forecast.continuations.n_samples,
            expected_count=forecast.expected_count(),
            summary=json.loads(json.dumps(forecast.summary(), default=str)),
            counts=np.asarray(forecast.counts, dtype="<i8").tobytes(),
        )
        with Session(self.engine) as session, session.begin():
            session.add(rec)
            session.flush()
            self._keep(session, int(rec.id), forecast, region)
            return int(rec.id)

    def _keep(self, session: Session, forecast_id: int, forecast: Forecast,
              region: Any) -> None:
        """Write the continuations file and its row (inside the caller's transaction)."""
        if not self.keep_continuations or self.continuations_dir is None:
            return
        name = f"forecast-{forecast_id:06d}.parquet"
        cont = forecast.continuations
        write_continuations(cont, self.continuations_dir / name)
        if region is not None and not isinstance(region, dict):
            region = region.to_dict()
        session.add(ContinuationsRecord(
            forecast_id=forecast_id, path=name, n_events=int(cont.times.size),
            origin=forecast.origin.isoformat() if forecast.origin is not None else "",
            features=sorted(cont.features), region=region))

    def add_evaluation(self, forecast_id: int, result: WindowEvaluation) -> int:
        """Store the evaluation of forecast ``forecast_id``."""
        self._require_created(forecast_id)
        with Session(self.engine) as session, session.begin():
            if session.get(ForecastRecord, forecast_id) is None:
                raise InputError(f"archive {self.url}: no forecast with id {forecast_id}")
            rec = EvaluationRecord(forecast_id=forecast_id, evaluated_at=dt.datetime.now(dt.UTC),
                                   result=result.to_dict())
            session.add(rec)
            session.flush()
            return int(rec.id)

    def list(self, model: str | None = None, catalog: str | None = None
             ) -> list[dict[str, Any]]:
        """All forecasts (optionally of one model / catalog) as dicts, oldest window first."""
        stmt = select(ForecastRecord).order_by(ForecastRecord.t_start_days, ForecastRecord.id)
        if model is not None:
            stmt = stmt.where(ForecastRecord.model == model)
        if catalog is not None:
            stmt = stmt.where(ForecastRecord.catalog == catalog)
        if not self.created:
            return []
        with Session(self.engine) as session:
            return [self._row(r) for r in session.scalars(stmt)]

    def find(self, model: str, t_start_days: float, t_end_days: float, *, catalog: str = "",
             params_hash: str | None = "", tol_days: float = 1e-6) -> int | None:
        """Id of an archived forecast with this model, catalog, parameters and window, or None.

        ``params_hash=None`` matches any parameters.
        """
        stmt = select(ForecastRecord.id).where(
            ForecastRecord.model == model, ForecastRecord.catalog == catalog,
            ForecastRecord.t_start_days.between(t_start_days - tol_days, t_start_days + tol_days),
            ForecastRecord.t_end_days.between(t_end_days - tol_days, t_end_days + tol_days),
        ).order_by(ForecastRecord.id).limit(1)
        if params_hash is not None:
            stmt = stmt.where(ForecastRecord.params_hash == params_hash)
        if not self.created:
            return None
        with Session(self.engine) as session:
            found = session.scalars(stmt).first()
        return int(found) if found is not None else None

    def counts(self, forecast_id: int) -> np.ndarray:
        """The simulated counts of forecast ``forecast_id``."""
        self._require_created(forecast_id)
        with Session(self.engine) as session:
            rec = session.get(ForecastRecord, forecast_id)
            if rec is None:
                raise InputError(f"archive {self.url}: no forecast with id {forecast_id}")
            return np.frombuffer(rec.counts, dtype="<i8").copy()

    def evaluations(self, forecast_id: int) -> list[dict[str, Any]]:
        """Stored evaluations of one forecast."""
        stmt = select(EvaluationRecord).where(EvaluationRecord.forecast_id == forecast_id)
        if not self.created:
            return []
        with Session(self.engine) as session:
            return [r.result for r in session.scalars(stmt)]

    def has_continuations(self, forecast_id: int) -> bool:
        """Whether the full continuations of forecast ``forecast_id`` are kept."""
        return self._kept(forecast_id)[1] is not None

    def stored_features(self, forecast_id: int) -> list[str] | None:
        """Feature names of the kept continuations (``longitude`` ...); None: counts only."""
        kept = self._kept(forecast_id)[1]
        return list(kept.features) if kept is not None else None

    def region(self, forecast_id: int) -> dict[str, Any] | None:
        """The testing region stored with a located forecast (None if none was given)."""
        kept = self._kept(forecast_id)[1]
        return kept.region if kept is not None else None

    def continuations(self, forecast_id: int) -> Continuations:
        """The full continuations of forecast ``forecast_id``.

        Raises
        ------
        CountsOnlyError
            The forecast was archived with its counts only.
        """
        rec, kept = self._kept(forecast_id)
        if kept is None:
            raise CountsOnlyError(
                f"archive {self.url}: forecast {forecast_id} ({rec.model}, {rec.window_start} to "
                f"{rec.window_end}) holds only counts (archived before continuations were kept)")
        path = (self.continuations_dir or Path(".")) / kept.path
        if not path.is_file():
            raise InputError(f"archive {self.url}: the continuations of forecast {forecast_id} "
                             f"({path}) are missing")
        cont = read_continuations(path)
        if cont.times.size != kept.n_events or cont.n_samples != rec.n_samples:
            raise InputError(f"archive {self.url}: {path} does not match forecast "
                             f"{forecast_id} ({cont.times.size} events, {kept.n_events} stored)")
        return cont

    def forecast(self, forecast_id: int) -> Forecast:
        """Forecast ``forecast_id`` rebuilt from its continuations (see :meth:`continuations`)."""
        cont = self.continuations(forecast_id)
        rec, kept = self._kept(forecast_id)
        origin = pd.Timestamp(kept.origin) if kept is not None and kept.origin else None
        info = {"archive_id": forecast_id, "params_hash": rec.params_hash,
                "training_start": rec.training_start, "training_end": rec.training_end}
        return Forecast(rec.model, cont, origin, rec.summary.get("mag_completeness"), info)

    def _kept(self, forecast_id: int) -> tuple[ForecastRecord, ContinuationsRecord | None]:
        """The forecast's row and its continuations row (None: counts only)."""
        self._require_created(forecast_id)
        with Session(self.engine, expire_on_commit=False) as session:
            rec = session.get(ForecastRecord, forecast_id)
            if rec is None:
                raise InputError(f"archive {self.url}: no forecast with id {forecast_id}")
            return rec, session.get(ContinuationsRecord, forecast_id)

    def _require_created(self, forecast_id: int) -> None:
        """A forecast id cannot exist in an archive not yet created (and none is created)."""
        if not self.created:
            raise InputError(f"archive {self.url}: no forecast with id {forecast_id} "
                             "(the archive holds no forecasts yet)")

    @staticmethod
    def _row(r: ForecastRecord) -> dict[str, Any]:
        return {"id": r.id, "model": r.model, "catalog": r.catalog, "params_hash": r.params_hash,
                "window_start": r.window_start, "window_end": r.window_end,
                "t_start_days": r.t_start_days, "t_end_days": r.t_end_days,
                "n_samples": r.n_samples, "expected_count": r.expected_count,
                "summary": r.summary, "created_at": r.created_at.isoformat()}
