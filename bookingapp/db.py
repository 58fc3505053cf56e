"""Database engine behaviour that the booking guarantees depend on."""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def install_sqlite_behaviour() -> None:
    """Make every SQLite transaction take the write lock at BEGIN.

    pysqlite by default begins transactions lazily (and deferred), so two writers can both
    read "slot free" and then both insert. With the driver's own transaction handling
    switched off and BEGIN IMMEDIATE emitted by SQLAlchemy, the check and the insert of a
    booking run under one write lock: a second writer waits (busy_timeout) rather than
    interleaving. This is the SQLAlchemy-documented recipe for pysqlite; it also makes
    SAVEPOINT work as it should. WAL lets readers outside transactions carry on.
    """
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

    @event.listens_for(Engine, "begin")
    def _on_begin(connection):
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
