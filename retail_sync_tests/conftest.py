"""Shared fixtures: a throwaway PostgreSQL database per test, and the repository's paths."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
TINY_WORLD = Path(__file__).resolve().parent / "sandbox" / "worlds" / "tiny"
PG_URL_ENV = "RETAIL_SYNC_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class PostgresDatabase:
    """A freshly created, uniquely named database; dropped when the test ends."""

    host: str
    port: int
    user: str
    password: str
    name: str

    @property
    def url(self) -> str:
        """Its SQLAlchemy URL (psycopg2), password included."""
        import sqlalchemy as sa

        return sa.URL.create(
            "postgresql+psycopg2",
            username=self.user,
            password=self.password or None,
            host=self.host,
            port=self.port,
            database=self.name,
        ).render_as_string(hide_password=False)

    def connect(self):  # type: ignore[no-untyped-def]
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=self.name
        )


def _server_parameters() -> dict[str, object]:
    url = urlsplit(os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "password": url.password or "",
        "dbname": url.path.lstrip("/") or "postgres",
    }


@contextmanager
def created_database(prefix: str = "retail_sync_test") -> Iterator[PostgresDatabase]:
    """A new, uniquely named database on the test server, dropped afterwards; no server fails
    under CI=true and skips otherwise."""
    import psycopg2

    parameters = _server_parameters()
    try:
        admin = psycopg2.connect(connect_timeout=5, **parameters)  # type: ignore[arg-type]
    except psycopg2.OperationalError as error:
        message = (
            f"PostgreSQL not reachable at {parameters['host']}:{parameters['port']} "
            f"(set {PG_URL_ENV}): {str(error).strip()}"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PostgresDatabase(
            host=str(parameters["host"]),
            port=int(parameters["port"]),  # type: ignore[call-overload]
            user=str(parameters["user"]),
            password=str(parameters["password"]),
            name=name,
        )
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def postgres_database() -> Iterator[PostgresDatabase]:
    """A new database on the test server for one test."""
    with created_database() as database:
        yield database


LONG_TIMEOUT_SECONDS = 900


def _module_weight(marks: set[frozenset[str]]) -> int:
    """0 for a file marked `long`, 1 for other end-to-end slow files, 2 for slow ones, 3 else;
    `marks` holds each of the file's tests' marker names."""
    if any("long" in names for names in marks):
        return 0
    if any({"e2e", "slow"} <= names for names in marks):
        return 1
    return 2 if any("slow" in names for names in marks) else 3


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest files first. The workers (`-n`, one file each) finish when their last file does:
    starting the few long end-to-end files first lets the many short ones fill in around them,
    instead of a long file starting last and running alone. Files keep their own order."""
    marks: dict[str, set[frozenset[str]]] = {}
    for item in items:
        names = frozenset(mark.name for mark in item.iter_markers())
        marks.setdefault(item.nodeid.split("::")[0], set()).add(names)
    weight = {module: _module_weight(names) for module, names in marks.items()}
    items.sort(key=lambda item: weight[item.nodeid.split("::")[0]])
    for item in items:
        # The suite's 300 s timeout guards against hangs; a long file's scenario (a landing of
        # three 30-day worlds, two demo runs) takes two minutes here and more on a busy machine.
        if item.get_closest_marker("long") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(LONG_TIMEOUT_SECONDS))
