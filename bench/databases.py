"""Where a benchmark runs: its own SQLite file always, and, when DATABASE_URL names a PostgreSQL server, a
scratch database on that server too (created afresh and dropped after; the database DATABASE_URL names is
never touched). Benchmarks print their figures for each, one after the other.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]


def _postgres_server() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql") else None


def _admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def _scratch(url: str, name: str) -> Iterator[str]:
    db = f"bench_{name}_{os.getpid()}"
    _admin(url, f'DROP DATABASE IF EXISTS "{db}"')
    _admin(url, f'CREATE DATABASE "{db}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{db}"))
    finally:
        _admin(url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def targets(name: str) -> Iterator[tuple[str, str]]:
    """(label, DATABASE_URL) for each database this benchmark runs on; a scratch database lives while the
    caller works on it (the generator drops it when resumed)."""
    sqlite = REPO / "var" / f"bench-{name}.sqlite3"
    sqlite.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite}{suffix}").unlink(missing_ok=True)
    yield "SQLite", f"sqlite:///{sqlite}"
    server = _postgres_server()
    if server is None:
        print(f"(bench.{name}: set DATABASE_URL to a PostgreSQL server to measure on PostgreSQL too)")
        return
    with _scratch(server, name) as url:
        yield "PostgreSQL", url
