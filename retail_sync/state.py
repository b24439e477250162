"""The transactional state store: a SQLAlchemy URL, SQLite by default, PostgreSQL in production.

One store holds what must be transactional (the exception lifecycle, the journal outbox and its
audit trail); each owner creates its own tables on it. Writers take a per-shop lock.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Self, TypeVar

import sqlalchemy as sa

from retail_sync.settings import Paths

STATE_URL_ENV = "RETAIL_SYNC_STATE_URL"

_WRITER_OPTION = "retail_sync_writer"
# Keeps each IN (…) list well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500

_Value = TypeVar("_Value")


def default_state_url(paths: Paths) -> str:
    """The embedded default: a SQLite file under the home."""
    return f"sqlite:///{paths.home / 'state' / 'retail_sync.sqlite'}"


def state_url_from_environment(paths: Paths) -> str:
    """`RETAIL_SYNC_STATE_URL` if set (PostgreSQL in production), else the embedded default."""
    return os.environ.get(STATE_URL_ENV) or default_state_url(paths)


def in_chunks(values: Sequence[_Value]) -> Iterator[Sequence[_Value]]:
    """`values` in slices small enough for one IN (…) list."""
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class StateStore:
    """The transactional store behind a SQLAlchemy URL."""

    def __init__(self, url: str, metadata: sa.MetaData | None = None) -> None:
        self.url = url
        self.engine = _engine(url)
        if metadata is not None:
            metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self, shop_id: str) -> Iterator[sa.Connection]:
        """A transaction holding the shop's writer lock (one writer per shop)."""
        with (
            self.engine.connect().execution_options(**{_WRITER_OPTION: True}) as connection,
            connection.begin(),
        ):
            if self.is_postgresql:
                # SQLite's BEGIN IMMEDIATE already serializes writers; PostgreSQL locks per shop.
                connection.execute(
                    sa.text("select pg_advisory_xact_lock(:key)"), {"key": lock_key(shop_id)}
                )
            yield connection


def lock_key(shop_id: str, namespace: str = "retail_sync.lifecycle") -> int:
    """A 64-bit PostgreSQL advisory lock key for one shop within `namespace`."""
    digest = hashlib.sha256(f"{namespace}:{shop_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    # pysqlite starts transactions lazily and never for reads; take the write lock up front so
    # two writers queue instead of failing on a lock upgrade (SQLAlchemy's documented recipe).
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("pragma journal_mode=wal")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Readers take no write lock; with WAL they never wait for a writer.
        writer = connection.get_execution_options().get(_WRITER_OPTION)
        connection.exec_driver_sql("begin immediate" if writer else "begin")

    return engine
