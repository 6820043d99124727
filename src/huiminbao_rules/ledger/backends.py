"""The two databases a ledger runs on, behind one small interface: embedded SQLite
(standard library ``sqlite3``, WAL) and PostgreSQL (psycopg 3, the ``postgres`` extra).

SQL is written once with ``?`` placeholders; the PostgreSQL connection turns them into
``%s``. Every write is one transaction that first takes the person-year's lock:

- SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock before anything is read,
  so writers queue (for up to the busy timeout) instead of failing or deadlocking;
- PostgreSQL: ``SELECT … FOR UPDATE`` on the person-year's row, so writers of different
  people run side by side and writers of the same person queue.

A transaction that fails on a conflict the database detects (a unique key two writers
inserted at once, a deadlock, a serialization failure) is rolled back and run again.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from huiminbao_rules.ledger.errors import LedgerError

T = TypeVar("T")

SQLITE_SYNCHRONOUS = ("full", "normal", "off")
DEFAULT_SYNCHRONOUS = "normal"
DEFAULT_TIMEOUT_MS = 60_000
_RETRIES = 20


class Tx:
    """One open transaction: run statements, fetch rows."""

    def __init__(self, cursor: Any, placeholder: str):
        self._cur = cursor
        self._ph = placeholder

    def _sql(self, sql: str) -> str:
        return sql if self._ph == "?" else sql.replace("?", "%s")

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cur.execute(self._sql(sql), tuple(params))

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cur.executemany(self._sql(sql), [tuple(r) for r in rows])

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self._cur.execute(self._sql(sql), tuple(params))
        return self._cur.fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cur.execute(self._sql(sql), tuple(params))
        return list(self._cur.fetchall())


class Backend:
    dialect: str
    where: str

    def write(self, work: Callable[[Tx], T]) -> T:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, work: Callable[[Tx], T]) -> T:  # pragma: no cover - interface
        raise NotImplementedError

    def lock_suffix(self) -> str:
        return ""

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SQLiteBackend(Backend):
    dialect = "sqlite"

    def __init__(self, path: str, *, synchronous: str = DEFAULT_SYNCHRONOUS, timeout_ms: int = DEFAULT_TIMEOUT_MS,
                 create: bool = True):
        self.where = path
        self.synchronous = synchronous
        if not create and not Path(path).is_file():
            raise LedgerError(f"{path}: no ledger here; create one with `huiminbao ledger init --db {path}`")
        try:
            self._conn = sqlite3.connect(path, timeout=timeout_ms / 1000, isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            mode = self._pragma_when_free("PRAGMA journal_mode", timeout_ms)
            if mode.lower() != "wal":
                mode = self._pragma_when_free("PRAGMA journal_mode = WAL", timeout_ms)
                if mode.lower() != "wal":
                    raise LedgerError(f"{path}: SQLite would not switch to WAL (journal_mode is {mode})")
            self._conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise LedgerError(f"{path}: cannot open the SQLite ledger: {exc}") from None

    def _pragma_when_free(self, pragma: str, timeout_ms: int) -> str:
        """The pragma's answer. Reading or setting the journal mode while other processes open
        the same file can report "database is locked" without waiting on the busy handler (WAL
        recovery), so it is retried, with a growing pause, up to the busy timeout."""
        deadline = time.monotonic() + timeout_ms / 1000
        pause_ms = 5
        while True:
            try:
                return str(self._conn.execute(pragma).fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause_ms / 1000 > deadline:
                    raise
                time.sleep(pause_ms / 1000)
                pause_ms = min(pause_ms * 2, 250)

    @contextmanager
    def _tx(self, begin: str) -> Iterator[Tx]:
        cur = self._conn.cursor()
        try:
            cur.execute(begin)
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"{self.where}: the ledger stayed locked past the busy timeout: {exc}") from None
        try:
            yield Tx(cur, "?")
            cur.execute("COMMIT")
        except BaseException as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.IntegrityError):
                raise  # the ledger's own checks come first: this is a bug
            if isinstance(exc, sqlite3.Error):
                raise LedgerError(f"{self.where}: SQLite: {exc}") from None
            raise
        finally:
            cur.close()

    def write(self, work: Callable[[Tx], T]) -> T:
        with self._tx("BEGIN IMMEDIATE") as tx:
            return work(tx)

    def read(self, work: Callable[[Tx], T]) -> T:
        with self._tx("BEGIN") as tx:
            return work(tx)

    def close(self) -> None:
        self._conn.close()


class PostgresBackend(Backend):
    dialect = "postgresql"

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError:
            raise LedgerError(
                "a PostgreSQL ledger needs psycopg 3: pip install 'huiminbao_rules[postgres]'") from None
        self._psycopg = psycopg
        parts = urlsplit(url)
        self.where = f"postgresql://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}{parts.path}"
        try:
            self._conn = psycopg.connect(url, autocommit=False)
        except psycopg.Error as exc:
            raise LedgerError(f"{self.where}: cannot connect: {str(exc).strip().splitlines()[0]}") from None

    def lock_suffix(self) -> str:
        return " FOR UPDATE"

    def _run(self, work: Callable[[Tx], T]) -> T:
        errors = self._psycopg.errors
        transient = (errors.UniqueViolation, errors.DeadlockDetected, errors.SerializationFailure)
        for attempt in range(_RETRIES):
            try:
                with self._conn.cursor() as cur:
                    result = work(Tx(cur, "%s"))
                self._conn.commit()
                return result
            except transient:
                self._conn.rollback()
                if attempt == _RETRIES - 1:
                    raise
            except self._psycopg.OperationalError as exc:
                self._rollback()
                raise LedgerError(f"{self.where}: PostgreSQL: {str(exc).strip().splitlines()[0]}") from None
            except BaseException:
                self._rollback()
                raise
        raise AssertionError("unreachable")

    def _rollback(self) -> None:
        try:
            self._conn.rollback()
        except self._psycopg.Error:
            pass  # the connection is gone: the server has rolled the transaction back

    def write(self, work: Callable[[Tx], T]) -> T:
        return self._run(work)

    def read(self, work: Callable[[Tx], T]) -> T:
        return self._run(work)

    def close(self) -> None:
        self._conn.close()


def _encodable(text: str) -> bool:
    try:
        os.fsencode(text)
    except UnicodeError:
        return False
    return True


def connect(url: str, *, create: bool = True) -> Backend:
    """A backend for ``sqlite:///PATH[?synchronous=full|normal|off&timeout=SECONDS]`` or
    ``postgresql://…`` (``postgres://`` too)."""
    if "\x00" in url or not _encodable(url):
        shown = "the postgresql:// URL" if url.startswith(("postgresql://", "postgres://")) else url  # no password shown
        raise LedgerError(f"{shown}: not a ledger URL or file name (it holds a NUL character or a lone surrogate)")
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(url)
    if url.startswith("sqlite:///"):
        rest = url[len("sqlite:///"):]
        path, _, query = rest.partition("?")
        if not path:
            raise LedgerError(f"{url}: no file: write sqlite:///PATH")
        options = dict(parse_qsl(query, keep_blank_values=True))
        unknown = sorted(set(options) - {"synchronous", "timeout"})
        if unknown:
            raise LedgerError(f"{url}: unknown option {', '.join(unknown)}; accepted: synchronous, timeout")
        synchronous = options.get("synchronous", DEFAULT_SYNCHRONOUS).lower()
        if synchronous not in SQLITE_SYNCHRONOUS:
            raise LedgerError(f"{url}: synchronous={synchronous!r}; accepted: {', '.join(SQLITE_SYNCHRONOUS)}")
        try:
            text = options.get("timeout", str(DEFAULT_TIMEOUT_MS // 1000))
            if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,3})?", text, re.ASCII):  # no 1_0, １０, 1e9 or NaN
                raise InvalidOperation
            seconds = Decimal(text)
        except InvalidOperation:
            raise LedgerError(f"{url}: timeout={options['timeout']!r} is not a number of seconds") from None
        return SQLiteBackend(path, synchronous=synchronous, timeout_ms=int(seconds * 1000), create=create)
    raise LedgerError(f"{url}: not a ledger URL; accepted: sqlite:///PATH, postgresql://…")
