"""Forecast archive on an embedded database (SQLite by default; any SQLAlchemy URL).

Every issued forecast is stored with its model, training span, parameter or checkpoint
hash, window and sample summary, and the simulated counts, so that a sequence of
forecasts can be evaluated prospectively later. Each write is one transaction, so an
interrupted run loses nothing already stored; SQLite runs in WAL mode with a busy
timeout so that several processes can write concurrently.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
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
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from geohazard.exceptions import InputError
from geohazard.forecast.evaluation import WindowEvaluation
from geohazard.forecast.forecasting import Forecast


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


class ForecastArchive:
    """Store and query issued forecasts.

    Parameters
    ----------
    url
        A file path (SQLite) or an SQLAlchemy URL.
    """

    def __init__(self, url: str | Path) -> None:
        self.url = str(url)
        self._engine: Engine | None = None
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

    def add(self, forecast: Forecast, *, catalog: str = "", params_hash: str = "") -> int:
        """Store ``forecast`` in one transaction and return its id."""
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
            return int(rec.id)

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
