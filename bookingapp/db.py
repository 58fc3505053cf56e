"""Database engine behaviour that the booking guarantees depend on."""
from __future__ import annotations

import sqlite3

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# Execution option that asks SQLite for its write lock before the statement runs.
WRITE_LOCK_OPTION = "sqlite_write_lock"

_READ_ONLY_PREFIXES = ("SELECT", "PRAGMA", "WITH", "EXPLAIN")
_installed = False


def acquire_write_lock(session: Session) -> None:
    """Serialise this transaction's check-then-write against every other writer.

    On SQLite this begins the transaction with BEGIN IMMEDIATE (if it has not already
    begun), so a check that follows and the insert after it run under the single write
    lock. On PostgreSQL it does nothing: the exclusion constraint is the guarantee there
    and concurrent checks are welcome.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    # Already inside a transaction on this connection: it began with BEGIN IMMEDIATE (or
    # with a write, which took the lock), so the lock is held and asking again would only
    # cost a statement (a hold asks twice: before its check and before expiring old holds).
    if session.connection().connection.dbapi_connection.in_transaction:
        return
    session.execute(select(1), execution_options={WRITE_LOCK_OPTION: True})


def install_sqlite_behaviour() -> None:
    """SQLite transactions that take the write lock exactly when they need it.

    pysqlite by default begins a DEFERRED transaction lazily before the first write: two
    writers can both read "slot free" and then both insert, or fail with "database is
    locked" when one tries to upgrade its read lock. Here the driver's own transaction
    handling is switched off and the transaction begins with BEGIN IMMEDIATE right before
    the first statement that writes, or that carries WRITE_LOCK_OPTION (see
    acquire_write_lock). Reads before that run in autocommit and hold no lock, so a
    long-lived read-only session (a page being rendered, a test, a worker between polls)
    never blocks writers; a writer waits for another (busy_timeout) instead of
    interleaving. This also makes SAVEPOINT behave as SQLAlchemy expects.
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

    @event.listens_for(Engine, "before_cursor_execute")
    def _begin_immediate_before_first_write(connection, cursor, statement, parameters, context, executemany):
        if connection.dialect.name != "sqlite":
            return
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.in_transaction:
            return
        wants_lock = context is not None and context.execution_options.get(WRITE_LOCK_OPTION, False)
        if wants_lock or not statement.lstrip().upper().startswith(_READ_ONLY_PREFIXES):
            cursor.execute("BEGIN IMMEDIATE")
