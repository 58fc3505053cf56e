"""The backup recipe of docs/operations.md, run: a dump of a live database restored into a fresh
one holds the same rows, the same migration revision and (PostgreSQL) the no-overlap constraint."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bookingapp.domain import booking as booking_ops
from tests.fleet.conftest import NOW, TOMORROW_10
from tests.helpers import is_postgres


def some_data(session, salon) -> None:
    business, service, alice, bob = salon
    booking_ops.hold(session, business, service, TOMORROW_10, staff=alice, now=NOW)
    booking_ops.hold(session, business, service, TOMORROW_10, staff=bob, now=NOW)
    session.commit()


def snapshot(url: str) -> dict:
    """Every table's row count, the migration revision, and the exclusion constraints."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            counts = {table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                      for table in tables}
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            exclusions = []
            if connection.dialect.name == "postgresql":
                exclusions = connection.execute(text(
                    "SELECT conname FROM pg_constraint WHERE contype = 'x' ORDER BY conname")).scalars().all()
    finally:
        engine.dispose()
    return {"counts": counts, "revision": revision, "exclusions": exclusions}


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.skipif(not is_postgres(), reason="pg_dump and pg_restore are PostgreSQL's")
def test_pg_dump_restores_into_a_fresh_database(session, salon, database_url, tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed")
    some_data(session, salon)
    dump = tmp_path / "bookingapp.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), libpq(database_url)], check=True)

    source = make_url(database_url)
    restored_url = source.set(database=f"{source.database}_restore")
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{restored_url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{restored_url.database}"'))
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname",
                        libpq(restored_url.render_as_string(hide_password=False)), str(dump)], check=True)
        original, restored = snapshot(database_url), snapshot(restored_url.render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{restored_url.database}" WITH (FORCE)'))
        admin.dispose()
    assert restored == original
    assert original["counts"]["bookings"] == 2
    assert original["exclusions"], "the no-overlap constraint should be there to restore"


@pytest.mark.skipif(is_postgres(), reason="the SQLite demo's backup")
def test_sqlite_online_backup_restores_into_a_fresh_file(session, salon, database_url, tmp_path):
    some_data(session, salon)
    source_path = make_url(database_url).database
    copy_path = tmp_path / "backup.sqlite"
    with sqlite3.connect(source_path) as source, sqlite3.connect(copy_path) as copy:
        source.backup(copy)  # what `sqlite3 instance/bookingapp.sqlite ".backup backup.sqlite"` does
    original, restored = snapshot(database_url), snapshot(f"sqlite:///{copy_path}")
    assert restored == original
    assert original["counts"]["bookings"] == 2
