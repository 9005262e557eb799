"""Fast writes for large imports: explicit ids allocated up front, then executemany (SQLite) or COPY
(PostgreSQL) inside the caller's transaction. The ORM stays the path for everything interactive."""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import logging
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, models

CHUNK = 5000
COPY_ROWS = 100_000  # rows per CSV block streamed to COPY
# SQLite's page cache while a large load runs (KiB). The default 2 MB makes every insert into the random
# frame-number index re-read pages from the OS; 32 MB holds that index for a million bikes (128 MB was no
# faster once the other indexes are built after the load, and counts against the import's memory).
SQLITE_LOAD_CACHE_KIB = 32_768
SQLITE_SORT_CACHE_KIB = 2_048  # while indexes are built (`index_build_settings`)
# A load of at least this many rows, and at least as many as the table holds, drops the table's secondary
# indexes first and builds them again afterwards: a sorted build is several times faster than a million
# random insertions into each index.
REINDEX_MIN_ROWS = 100_000

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def sqlite_pragmas(**values: int) -> Iterator[None]:
    """SQLite: the given PRAGMAs set on the connection, restored afterwards (nothing on other databases)."""
    if connection.vendor != "sqlite":
        yield
        return
    previous = {}
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute(f"PRAGMA {name}")
            previous[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in previous.items():
                cursor.execute(f"PRAGMA {name} = {value}")


def load_settings() -> contextlib.AbstractContextManager[None]:
    """Connection settings for a bulk load, restored afterwards (SQLite: a larger page cache)."""
    return sqlite_pragmas(cache_size=-SQLITE_LOAD_CACHE_KIB)


def index_build_settings() -> contextlib.AbstractContextManager[None]:
    """SQLite, while indexes are built: the sorter on the machine's cores (`PRAGMA threads`: up to 4 helper
    threads sort runs of keys in parallel) and a small page cache (the sorter's in-memory runs are sized by
    it; with the load's 32 MB cache the runs outgrow the CPU caches). 1M bikes and owners, 9 indexes on 2
    cores: 4.7 s → 3.1 s (docs/performance.md)."""
    return sqlite_pragmas(threads=min(4, os.cpu_count() or 1), cache_size=-SQLITE_SORT_CACHE_KIB)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the length of an import (a context manager, or a decorator).

    A large import keeps millions of objects alive at once (an xlsx chunk's cells, the typed cells, the
    lookups), and each full collection walks all of them: at a million xlsx rows the collections cost ~9 s
    of 60 (docs/performance.md). The import makes no reference cycles that need collecting meanwhile —
    reference counting frees its rows — and collection resumes as it was when the import ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def indexes_deferred(model: type[models.Model], incoming: int) -> Iterator[bool]:
    """Around a large load into `model`'s table: its secondary indexes dropped, then built again.

    Only when `incoming` is at least `REINDEX_MIN_ROWS` and at least the rows the table holds (the first
    census of a town or district), else nothing happens. It runs inside the caller's transaction: a failed
    load rolls the drops back with everything else, and rebuilding a unique index checks it again, so a
    duplicate the importer missed still fails the whole import. Kept: the primary key, SQLite's inline
    UNIQUEs (they cannot be dropped: the ledgers' unique keys are indexes of their own for this reason)
    and, on PostgreSQL, constraints a foreign key relies on. While it runs,
    other connections read the table as it was (SQLite WAL) or wait for the commit (PostgreSQL's DROP
    INDEX locks the table), so it is reserved for loads that dwarf the table. Yields whether it dropped any.
    """
    if not is_bulk_load(model, incoming):
        yield False
        return
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                "AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                [table],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        constraints: list[tuple[str, str]] = []
        if connection.vendor == "postgresql":
            # Unique constraints no foreign key relies on (the frame number's) go too: rebuilding one
            # sorts once, where a million random keys into its index cost seconds. Same lock as above.
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)",
                [table],
            )
            constraints = cursor.fetchall()
            for name, _ in constraints:
                cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    yield bool(indexes or constraints)
    with connection.cursor() as cursor:
        if indexes and connection.vendor == "postgresql":
            # PostgreSQL builds no index on a table with foreign-key checks still pending (Django makes
            # them DEFERRABLE INITIALLY DEFERRED): run them now, and defer the later ones again after.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, definition in constraints:
            cursor.execute(
                f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
            )
        with index_build_settings():
            for _, definition in indexes:
                cursor.execute(definition)
        if indexes and connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextlib.contextmanager
def foreign_keys_checked_once(
    load: Sequence[type[models.Model]], first_ids: Mapping[str, int]
) -> Iterator[bool]:
    """PostgreSQL, around a large load into the `load` models' tables: their foreign keys checked by a few
    queries afterwards instead of a trigger call per row (which costs more than the load itself).

    The per-row triggers are switched off with `SET LOCAL session_replication_role = replica` (as pg_restore
    does; the database role needs `GRANT SET ON PARAMETER session_replication_role`, PostgreSQL 15+, else
    nothing changes and the triggers do the work). Afterwards the rows from `first_ids[table]` on are
    checked: a key into a table loaded alongside with one anti-join; the keys into other tables (units, the
    batch) by their distinct values, gathered in one pass for all such columns, whose rows are then looked
    up and locked FOR KEY SHARE, as the triggers would have locked them: a unit cannot be deleted under the
    new rows before the commit. A dangling key raises IntegrityError: nothing is kept.
    Yields whether the triggers were off.
    """
    from django.db import IntegrityError, ProgrammingError, transaction

    if connection.vendor != "postgresql":
        yield False
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a refusal must not end the transaction
            cursor.execute("SET LOCAL session_replication_role = replica")
    except ProgrammingError:  # InsufficientPrivilege: the role may not; the triggers stay on
        yield False
        return
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
    loaded = {m._meta.db_table for m in load}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in load:
            table = model._meta.db_table
            cursor.execute(
                "SELECT a.attname, c.confrelid::regclass::text, r.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1] "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND cardinality(c.conkey) = 1",
                [table],
            )
            keys = cursor.fetchall()
            if table not in first_ids:  # no new row in this table (every owner was registered already)
                continue
            first = first_ids[table]
            # Keys into a table loaded alongside (the bikes' owners): one anti-join each.
            for column, parent, parent_column in [k for k in keys if k[1].strip('"') in loaded]:
                cursor.execute(
                    f"SELECT c.{quote(column)} FROM {quote(table)} AS c WHERE c.id >= %s "
                    f"AND c.{quote(column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {parent} AS p "
                    f"WHERE p.{quote(parent_column)} = c.{quote(column)}) LIMIT 1",
                    [first],
                )
                dangling = cursor.fetchone()
                if dangling is not None:
                    raise IntegrityError(f"{table}.{column} = {dangling[0]} refers to no row of {parent}")
                # The rows it refers to that were there before the load (registered owners) are locked as
                # the triggers would have: none can be deleted under the new rows before the commit.
                before = first_ids.get(parent.strip('"'))
                referred = f"c.{quote(column)}"
                cursor.execute(
                    f"SELECT 1 FROM {parent} AS p WHERE p.{quote(parent_column)} IN (SELECT {referred} "
                    f"FROM {quote(table)} AS c WHERE c.id >= %s AND {referred} IS NOT NULL"
                    + ("" if before is None else f" AND {referred} < %s")
                    + ") FOR KEY SHARE OF p",
                    [first] if before is None else [first, before],
                )
            # Keys into the other tables (units, the batch, shops): their distinct values, all columns in
            # one pass over the new rows (grouping sets), then each parent's rows looked up and locked.
            others = [k for k in keys if k[1].strip('"') not in loaded]
            if not others:
                continue
            columns = [f"c.{quote(column)}" for column, _, _ in others]
            cursor.execute(
                f"SELECT {', '.join(f'GROUPING({c}), {c}' for c in columns)} FROM {quote(table)} AS c "
                f"WHERE c.id >= %s GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in columns)})",
                [first],
            )
            groups = cursor.fetchall()
            for position, (column, parent, parent_column) in enumerate(others):
                values = {
                    row[2 * position + 1]
                    for row in groups
                    if row[2 * position] == 0 and row[2 * position + 1] is not None
                }
                if not values:
                    continue
                cursor.execute(
                    f"SELECT p.{quote(parent_column)} FROM {parent} AS p "
                    f"WHERE p.{quote(parent_column)} = ANY(%s) FOR KEY SHARE OF p",
                    [sorted(values)],
                )
                missing = values - {row[0] for row in cursor.fetchall()}
                if missing:
                    raise IntegrityError(f"{table}.{column} = {min(missing)} refers to no row of {parent}")


@contextlib.contextmanager
def atomic_load(bulk_load: bool, timings: dict[str, float] | None = None) -> Iterator[bool]:
    """`transaction.atomic()` for an import's write; on SQLite, for a load that dwarfs the e-bike ledger
    (`bulk_load`), with foreign keys checked once before the commit instead of on every row.

    With foreign keys on, SQLite never uses its transfer optimisation (`SqliteStaging.move`), which copies
    a million staged bikes in 1.3 s instead of 4 s. Enforcement can only be switched off outside a
    transaction, so the switch happens here, around it (`disable_constraint_checking`, as Django's loaddata
    does), and `PRAGMA foreign_key_check` runs inside it before the commit: a dangling key raises
    IntegrityError and nothing is kept. It checks the whole database, not only the tables the load filled,
    because every other write of the transaction went unchecked too (0.4 s after a million-bike census).
    Inside a caller's transaction the switch is a no-op (SQLite ignores it) and the keys are checked row by
    row as before. Yields whether the per-row checks were off."""
    from django.db import transaction

    restore_autocheckpoint()  # an earlier load's checkpoint has ended: this connection checkpoints again
    unchecked = (
        bulk_load
        and connection.vendor == "sqlite"
        and not connection.in_atomic_block
        and connection.disable_constraint_checking()
    )
    wal = None
    try:
        wal = _wal_path() if unchecked else None
        if wal:
            _pause_autocheckpoint()
        with transaction.atomic():
            yield bool(unchecked)
            if unchecked:
                started = time.perf_counter()
                connection.check_constraints()  # IntegrityError on any dangling key: all rolled back
                if timings is not None:
                    timings["write_key_checks_s"] = round(time.perf_counter() - started, 3)
    except BaseException:
        restore_autocheckpoint(pending_ok=True)  # nothing committed: nothing to copy later
        raise
    finally:
        if unchecked:
            connection.enable_constraint_checking()
    if wal:  # committed: the WAL's pages are copied into the database beside the caller's next steps
        checkpoint_in_background(wal)


def _wal_path() -> str | None:
    """The database file, when the connection writes it through a write-ahead log (not in memory)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = str(cursor.fetchone()[0]).lower()
        cursor.execute("PRAGMA main.database_list")  # (seq, name, file); the file is '' in memory
        path = next((row[2] for row in cursor.fetchall() if row[1] == "main"), "")
    return path if mode == "wal" and path else None


# The load's connection checkpoints nothing itself while its background checkpoint may still run: restored,
# the next commit on it (the job's status, a progress update) would copy the whole WAL inline whenever it
# came before the thread had taken the checkpoint lock. Kept on the connection object: (the sqlite3
# connection it was set on, the value before).
AUTOCHECKPOINT_STATE = "_ebsafety_autocheckpoint"


def _pause_autocheckpoint() -> None:
    if getattr(connection, AUTOCHECKPOINT_STATE, None) is None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            previous = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
        setattr(connection, AUTOCHECKPOINT_STATE, (connection.connection, previous))


def restore_autocheckpoint(pending_ok: bool = False) -> None:
    """This thread's connection checkpoints automatically again, as before its last large load, once no
    background checkpoint is running (or at once with `pending_ok`). A connection closed since is left
    alone: the new one has SQLite's default."""
    state = getattr(connection, AUTOCHECKPOINT_STATE, None)
    if state is None:
        return
    raw, previous = state
    if raw is connection.connection:
        with _checkpoints_lock:
            running = any(thread.is_alive() for thread, _ in _checkpoints)
        if running and not pending_ok:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(previous)}")
    setattr(connection, AUTOCHECKPOINT_STATE, None)


_checkpoints: list[tuple[threading.Thread, dict[str, float]]] = []
_checkpoints_lock = threading.Lock()


def checkpoint_in_background(path: str) -> None:
    """Copy the write-ahead log into the database file on a thread of its own (SQLite's "application-
    initiated checkpoint"): after a large load, not inside its commit.

    A million-bike census leaves ~500 MB of pages in the WAL. The connection that commits would otherwise
    copy them into the database and sync it before its COMMIT returns (1–2 s, mostly waiting on the disk).
    The rows are committed either way: readers find them in the WAL. The checkpoint is PASSIVE: it never
    waits for, nor blocks, readers and writers. Best effort: another connection's automatic checkpoint that
    took the lock first does the copy instead (this one then reports busy, logged), and one that comes
    while this runs finds the lock taken and skips (SQLite calls no busy handler for it). The load's own
    connection checkpoints nothing until this ends (`restore_autocheckpoint`). The thread is not a daemon:
    a process (the CLI) ends after it."""
    result: dict[str, float] = {}

    def run() -> None:
        started = time.perf_counter()
        try:
            # mode=rw: a database moved or removed meanwhile is not created empty
            target = f"{Path(path).resolve().as_uri()}?mode=rw"
            with contextlib.closing(sqlite3.connect(target, uri=True)) as database:
                busy, frames, copied = database.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            result["busy"] = busy
            if busy:
                logger.info(
                    "checkpoint of %s: %s of %s pages copied, the rest by another", path, copied, frames
                )
        except sqlite3.Error:
            logger.exception("checkpoint of %s failed (the next one copies the pages)", path)
        result["seconds"] = time.perf_counter() - started

    _start_after_commit(threading.Thread(target=run, name="ebsafety-checkpoint"), result)


def _start_after_commit(thread: threading.Thread, result: dict[str, float]) -> None:
    """Start a committed load's housekeeping thread (`wait_for_checkpoints` waits for it)."""
    with _checkpoints_lock:
        _checkpoints[:] = [(t, r) for t, r in _checkpoints if t.is_alive()]  # a worker runs for months
        _checkpoints.append((thread, result))
    thread.start()


def analyze_after_commit(kinds: Sequence[type[models.Model]]) -> None:
    """PostgreSQL: the tables' planner statistics renewed once the load's transaction has committed, on a
    thread of its own with a connection of its own (autovacuum would, some time later): the next queries
    (lists, exports) then plan for a table of a million rows, not an empty one. The rows are committed
    without waiting for it (0.6 s at a million bikes and owners); as the SQLite checkpoint, it is not a
    daemon: a process (the CLI) ends after it. Nothing happens if the transaction rolls back."""
    from django.db import DatabaseError, transaction

    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in kinds)
    result: dict[str, float] = {}

    def run() -> None:
        started = time.perf_counter()
        try:
            with connection.cursor() as cursor:  # this thread's own connection
                cursor.execute(f"ANALYZE {tables}")
        except DatabaseError:
            logger.exception("ANALYZE %s after an import failed (autovacuum renews the statistics)", tables)
        finally:
            connection.close()
            result["seconds"] = time.perf_counter() - started

    transaction.on_commit(
        lambda: _start_after_commit(threading.Thread(target=run, name="ebsafety-analyze"), result)
    )


def wait_for_checkpoints() -> float:
    """Wait for the background checkpoints (and PostgreSQL's statistics, `analyze_after_commit`) started so
    far; returns the seconds they took. This thread's connection then checkpoints automatically again."""
    with _checkpoints_lock:
        pending, _checkpoints[:] = list(_checkpoints), []
    spent = 0.0
    for thread, result in pending:
        thread.join()
        spent += result.get("seconds", 0.0)
    restore_autocheckpoint()
    return spent


def is_bulk_load(model: type[models.Model], incoming: int) -> bool:
    """A load large enough, and large against what the table holds, for the bulk paths (indexes built
    after the load, foreign keys checked once): the first census of a town or district."""
    return incoming >= REINDEX_MIN_ROWS and holds_at_most(model, incoming)


def holds_at_most(model: type[models.Model], rows: int) -> bool:
    """Does the table hold at most `rows` rows? Counted only up to `rows` + 1, so the answer costs no more
    than reading that many rows, however large the table."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT %s) AS head", [rows + 1])
        return int(cursor.fetchone()[0]) <= rows


SPILL_PREFIX = "ebsafety-import-"
SPILL_MAX_AGE_SECONDS = 24 * 3600


def spill_root() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def remove_stale_spills(max_age_seconds: int = SPILL_MAX_AGE_SECONDS) -> int:
    """Remove spill directories older than `max_age_seconds`: an import removes its own when it ends, even
    on failure; only a process killed mid-import (the database then rolls back) leaves one behind."""

    removed = 0
    cutoff = time.time() - max_age_seconds
    for path in spill_root().glob(f"{SPILL_PREFIX}*"):
        try:
            if path.stat().st_mtime >= cutoff:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:  # a worksheet part (`sheet_parts`)
                path.unlink()
            removed += 1
        except FileNotFoundError:  # removed meanwhile by its own import
            continue
        except OSError:  # not ours to remove (another user's, in a shared temporary directory)
            continue
    return removed


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys for rows about to be inserted (in this transaction or a later one)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence looked up once (per row, pg_get_serial_sequence made 200,000 ids take 0.56 s
            # instead of 0.06 s); the values themselves stay on the server unless another session's
            # nextval interleaved with ours, so that they are not one run.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                "SELECT MIN(v), MAX(v), COUNT(*), "
                "CASE WHEN MAX(v) - MIN(v) + 1 = COUNT(*) THEN NULL ELSE array_agg(v ORDER BY v) END "
                "FROM (SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s)) AS r",
                [sequence, count],
            )
            first, last, _, scattered = cursor.fetchone()
            return list(range(first, last + 1)) if scattered is None else list(scattered)
    # SQLite: ids above both the largest one and the table's AUTOINCREMENT counter, and the counter moved
    # past them, in a transaction of their own (or the caller's): other writers' new rows then take ids
    # above these, whether the rows come before or after the caller's transaction (a documented use of
    # sqlite_sequence). Ids reserved and never used are gaps, as after a rolled-back insert.
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        counter = cursor.fetchone()
        start = max(top, counter[0] if counter else 0) + 1
        end = start + count - 1
        if counter:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [end, table])
        else:
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, end])
    return list(range(start, end + 1))


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (tuples in `columns` order, ids included) without the ORM's per-object overhead."""
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})"
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


class _OneInFlight:
    """One background job at a time on a thread of its own (the writers below): submitting waits for the
    previous one, so at most one chunk waits in memory, and its failure surfaces at the next step."""

    def __init__(self, name: str) -> None:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: Future[None] | None = None

    def _submit(self, job: Callable[..., None], *args: Any) -> None:
        self._wait()
        self._pending = self._worker.submit(job, *args)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _stop(self) -> None:
        """Let a job still running end (the import failed meanwhile); its outcome no longer matters."""
        self._worker.shutdown(wait=True)
        self._pending = None


class Background(_OneInFlight):
    """Jobs run one at a time on a thread of its own while the caller goes on: `submit` waits for the job
    before (so at most one waits), and a job's failure is raised at the next `submit` or `wait`."""

    def submit(self, job: Callable[..., None], *args: Any) -> None:
        self._submit(job, *args)

    def wait(self) -> None:
        """Wait for the last job; its failure, if any, is raised here."""
        self._wait()

    def stop(self) -> None:
        """Let a job still running end, its outcome no longer wanted (the import failed meanwhile)."""
        self._stop()


class IdPool:
    """Ids of one table reserved ahead on the caller's thread (`ensure`, which may query) and handed out
    in order by a job on another (`take`, which never does): the job then creates rows without a
    connection of its own (PostgresCopier's pools too). Reserved in blocks; those never taken are gaps in
    the table's ids, as after a rolled-back insert."""

    BLOCK = 50_000

    def __init__(self, allocate: Callable[[int], list[int]], block: int | None = None) -> None:
        self._allocate = allocate
        self._ids: list[int] = []
        self._next = 0
        if block is not None:
            self.BLOCK = block

    @property
    def left(self) -> int:
        """Ids ready to take."""
        return len(self._ids) - self._next

    def ensure(self, count: int) -> None:
        """At least `count` ids ready to take (call it while no job takes from the pool)."""
        left = self.left
        if left < count:
            self._ids = self._ids[self._next :] + self._allocate(max(count - left, self.BLOCK))
            self._next = 0

    def take(self, count: int) -> list[int]:
        """The next `count` ids (`ensure` made them ready)."""
        if self.left < count:
            raise RuntimeError(f"{count} ids taken, {self.left} reserved")
        ids = self._ids[self._next : self._next + count]
        self._next += count
        return ids


def prefetched(items: Iterator[Any]) -> Generator[Any, None, None]:
    """`items`, each made on a thread of its own while the caller works on the one before (as `Background`,
    for an iterator): at most that one waits made. A failure making one is raised where it is taken;
    leaving the loop early stops the thread."""
    ready: queue.Queue[tuple[bool, Any]] = queue.Queue()
    room = threading.Semaphore(1)  # one item made ahead, no more
    stopped = threading.Event()
    end = object()

    def make() -> None:
        try:
            while True:
                room.acquire()  # before the next is made: the caller's, and at most this one
                if stopped.is_set():
                    return
                item = next(items, end)
                ready.put((True, item))
                if item is end:
                    return
                item = None
        except BaseException as exc:
            ready.put((False, exc))

    thread = threading.Thread(target=make, name="ebsafety-read", daemon=True)
    thread.start()
    try:
        while True:
            made, item = ready.get()
            room.release()
            if not made:
                raise item
            if item is end:
                return
            yield item
            item = None  # not kept while the next one is made
    finally:
        stopped.set()
        room.release()  # a thread waiting for room sees the stop
        thread.join()


class FrameSpill(_OneInFlight):
    """Frames kept on disk (Arrow IPC files in a temporary directory) until they are read back in order:
    the checked rows of a large import wait there for the write, instead of in memory. Each frame is
    written on a thread of its own while the caller checks the next chunk (one write in flight)."""

    def __init__(self) -> None:
        super().__init__("ebsafety-spill")
        self.directory: Path | None = None
        self.paths: list[Path] = []
        self.rows = 0

    def append(self, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        path = self.workdir() / f"{len(self.paths):05d}.arrow"
        self._submit(self._write, frame, path)
        self.paths.append(path)
        self.rows += len(frame)

    @staticmethod
    def _write(frame: pl.DataFrame, path: Path) -> None:
        frame.write_ipc(path, compression="lz4")

    def workdir(self) -> Path:
        """The spill's temporary directory (made now if no frame came yet): room for the import's other
        temporary files, removed with it."""
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix=SPILL_PREFIX, dir=spill_root()))
        return self.directory

    def __iter__(self) -> Iterator[pl.DataFrame]:
        return self.read()

    def read(self, columns: list[str] | None = None) -> Iterator[pl.DataFrame]:
        """The frames in the order they were appended (only `columns` of them, when given)."""
        self._wait()
        for path in self.paths:
            yield pl.read_ipc(path, columns=columns)

    def close(self) -> None:
        self._stop()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory, self.paths, self.rows = None, [], 0


class SqliteStaging(_OneInFlight):
    """Rows bound for SQLite tables, written first to a staging database file through ADBC (Arrow columns
    into SQLite in C: no Python object per value), then moved with one `INSERT … SELECT` per table inside
    the import's transaction. Python's sqlite3 `executemany` binds every value from a Python object: a
    million new bikes and owners cost ~17 s that way, and ~5 s this way (docs/performance.md).

    The staging file is the import's own (in its spill directory); the main connection ATTACHes it only to
    move the rows, and `close()` detaches and removes it. Ids are allocated here, as the rows are not in the
    main tables yet when the next chunk needs its ids.
    """

    PREFIX = "ebs_stage_"
    MAX_ATTACHED = 8  # SQLite attaches at most 10 databases to a connection

    @classmethod
    def usable(cls) -> bool:
        """Detach the staging files earlier imports left attached (possible once their transaction has
        ended: SQLite refuses to detach a database used in the current one), and say whether there is room
        for another. Only tests run many imports in one transaction; they then fall back to executemany."""
        from django.db import OperationalError

        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA database_list")
            names = [row[1] for row in cursor.fetchall() if str(row[1]).startswith(cls.PREFIX)]
            left = 0
            for name in names:
                try:
                    cursor.execute(f"DETACH DATABASE {quote(name)}")
                except OperationalError:
                    left += 1
        return left < cls.MAX_ATTACHED

    def __init__(self, directory: Path) -> None:
        import adbc_driver_sqlite.dbapi as adbc

        self.path = directory / "staging.sqlite3"
        self.alias = f"{self.PREFIX}{directory.name.replace('-', '_')}"[:60]
        self.connection = adbc.connect(str(self.path), autocommit=True)
        with self.connection.cursor() as cursor:
            # Throwaway rows: no rollback journal, no fsync (a crash loses nothing the import still needs).
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
        # table → its columns (table order), the tables in the order first written
        self.tables: dict[str, list[str]] = {}
        self.reserved: dict[str, list[tuple[int, int]]] = {}  # table → the id ranges reserved (first, last)
        self.attached = False
        super().__init__("ebsafety-staging")

    def allocate_ids(self, model: type[models.Model], count: int) -> list[int]:
        """Ids reserved now (`allocate_ids`: other writers' new rows take ids above them), so rows may be
        staged before the import's transaction begins. Each call reserves what it needs, no more."""
        ids = allocate_ids(model, count)
        if ids:
            self.reserved.setdefault(model._meta.db_table, []).append((ids[0], ids[-1]))
        return ids

    def ids_taken(self) -> list[str]:
        """The tables holding a row with an id this staging reserved: a writer that did not reserve its
        ids (none of ebsafety's). Ask inside the import's transaction, before the move."""
        quote = connection.ops.quote_name
        taken = []
        with connection.cursor() as cursor:
            for table, blocks in self.reserved.items():
                for first, last in blocks:
                    cursor.execute(
                        f"SELECT 1 FROM main.{quote(table)} WHERE id BETWEEN %s AND %s LIMIT 1", [first, last]
                    )
                    if cursor.fetchone() is not None:
                        taken.append(table)
                        break
        return taken

    def append(self, model: type[models.Model], frame: pl.DataFrame) -> None:
        """Stage the rows. The ingest runs on the staging's own thread (the driver releases the interpreter)
        while the caller prepares the next chunk; one ingest at a time, so at most one chunk waits in memory.
        A failed ingest raises here on the next call, or in `move()`."""
        table = model._meta.db_table
        # Columns of nulls only have no SQLite type for the driver: send them as text (NULL either way).
        frame = frame.with_columns(pl.col(pl.Null).cast(pl.String))
        if table not in self.tables:
            self._wait()  # the staging connection does one thing at a time
            self.tables[table] = self._create(table)
        # Every column of the table, in its order (a missing one fails here, before anything is staged).
        self._submit(self._ingest, table, frame.select(self.tables[table]))

    def prepare(self, kinds: Sequence[type[models.Model]]) -> None:
        """The staging tables of these models made now, on this thread: `append` then runs no query on
        the main connection (a job on another thread may call it)."""
        for model in kinds:
            table = model._meta.db_table
            if table not in self.tables:
                self._wait()
                self.tables[table] = self._create(table)

    def _create(self, table: str) -> list[str]:
        """The staging table: the destination's own definition. Returns its columns in table order."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = %s", [table])
            definition = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA main.table_info({connection.ops.quote_name(table)})")
            columns = [row[1] for row in cursor.fetchall()]
        with self.connection.cursor() as cursor:
            cursor.execute(definition)
        return columns

    def _ingest(self, table: str, frame: pl.DataFrame) -> None:
        with self.connection.cursor() as cursor:
            cursor.adbc_ingest(table, frame, mode="append")

    def attach(self) -> str:
        """The staging file attached to the main connection (every staged row in it); returns its alias."""
        self._wait()
        if not self.attached:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"ATTACH DATABASE %s AS {connection.ops.quote_name(self.alias)}", [str(self.path)]
                )
            self.attached = True
        return self.alias

    def restamp(self, columns: Sequence[str], value: Any) -> None:
        """Set `columns` of every staged row to `value` (the rows' timestamps, when they were staged on
        another day than they are written)."""
        self._wait()
        with self.connection.cursor() as cursor:
            for table in self.tables:
                assignments = ", ".join(f"{connection.ops.quote_name(c)} = ?" for c in columns)
                cursor.execute(
                    f"UPDATE {connection.ops.quote_name(table)} SET {assignments}", [value] * len(columns)
                )

    def move(self) -> None:
        """Into the main tables, in the order they were first written (owners before bikes). SQLite copies
        the stored records as they are (its transfer optimisation, a third of the time) when foreign keys
        are off (`atomic_load`) and the destination has no index the staging table lacks: its indexes
        dropped (`indexes_deferred`: a first census). The staging tables, created as the destination's
        are, have no index at all, so the ingest only appends. Otherwise the same statement inserts row by
        row, with every check."""
        self.attach()
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in self.tables:
                # Identical tables and `SELECT *` alone: the form SQLite's transfer optimisation needs.
                cursor.execute(
                    f"INSERT INTO main.{quote(table)} SELECT * FROM {quote(self.alias)}.{quote(table)}"
                )

    def close(self) -> None:
        """Close the staging connection, detach the file if SQLite allows it now (else the next import's
        `usable()` does), and remove it (an attached file can be unlinked; its space returns on detach)."""
        from django.db import OperationalError

        self._stop()
        self.connection.close()
        if self.attached:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DETACH DATABASE {connection.ops.quote_name(self.alias)}")
            except OperationalError:
                pass  # used in the transaction still open around the import
            self.attached = False
        self.path.unlink(missing_ok=True)


class PostgresCopier(_OneInFlight):
    """PostgreSQL: new rows COPYed on a thread of its own while the caller prepares the next chunk. The
    server does most of a large import's work (parsing and storing the rows); the client's preparation of
    the next chunk now runs beside it instead of after it.

    The COPY uses Django's own connection (psycopg's, which is thread-safe: one statement at a time), so it
    is part of the import's transaction. Ids come from a pool reserved ahead in blocks: a `nextval` query per
    chunk would wait for the COPY in flight on the same connection. Unused ids are gaps in the sequence, as
    after any rolled-back insert. One COPY in flight at a time; a failure surfaces at the next append or at
    `move()`, which waits for the last one (call it before anything else reads the new rows).

    The tables in `exclusive` are the transaction's alone until its commit (a bulk load dropped their
    indexes: `indexes_deferred`, ACCESS EXCLUSIVE). Their columns that take one value for every new row
    (timestamps, the unit, the batch, the status …) default to it for the length of the load instead of
    being sent and parsed a million times (a million bikes' COPY: 3.05–3.38 → 2.52–2.56 s); `move()` puts
    their defaults back as they were. No other transaction can see the temporary defaults, and a rollback
    undoes them with the rows.
    """

    ID_BLOCK = 200_000

    def __init__(self, exclusive: Iterable[type[models.Model]] = ()) -> None:
        connection.ensure_connection()
        self.raw = connection.connection
        super().__init__("ebsafety-copy")
        self._pools: dict[str, IdPool] = {}  # table → its ids reserved ahead
        self._exclusive = {model._meta.db_table for model in exclusive}
        self._defaults: dict[str, dict[str, Any]] = {}  # table → the constants its columns default to now
        self._restore: dict[str, dict[str, str | None]] = {}  # table → its columns' defaults before the load

    def allocate_ids(self, model: type[models.Model], count: int) -> list[int]:
        table = model._meta.db_table
        if table not in self._pools:
            self._pools[table] = IdPool(partial(allocate_ids, model), self.ID_BLOCK)
        pool = self._pools[table]
        if pool.left < count:
            self._wait()  # the reservation waits for the COPY anyway; surface its error first
            pool.ensure(count)
        return pool.take(count)

    def append(
        self, model: type[models.Model], frame: pl.DataFrame, constants: Mapping[str, Any] | None = None
    ) -> None:
        """The rows as CSV here, while the server still parses the previous block; then the COPY. The
        `constants` are the value of their column for every row: a column default (`exclusive` tables),
        else sent with each row."""
        table = model._meta.db_table
        constants = dict(constants or {})
        defaults: dict[str, Any] = {}
        if table in self._exclusive:
            defaults, constants = constants, {}
        if constants:
            frame = frame.with_columns(
                pl.repeat(value, frame.height, eager=True).alias(column)
                for column, value in constants.items()
            )
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in frame.columns)
        sql = f"COPY {quote(table)} ({columns}) FROM STDIN (FORMAT csv)"
        blocks = [_csv_block(frame.slice(start, COPY_ROWS)) for start in range(0, frame.height, COPY_ROWS)]
        self._submit(self._copy, table, defaults, sql, blocks)

    def _copy(self, table: str, defaults: dict[str, Any], sql: str, blocks: list[bytes]) -> None:
        with self.raw.cursor() as cursor:
            self._set_defaults(cursor, table, defaults)
            with cursor.copy(sql) as copy:
                for block in blocks:
                    copy.write(block)

    def _set_defaults(self, cursor: Any, table: str, defaults: dict[str, Any]) -> None:
        """The columns of `defaults` default to their value (on the COPY's thread, before its COPY); their
        defaults before the load are read the first time, for `move()` to put back."""
        from psycopg import sql

        current = self._defaults.setdefault(table, {})
        changed = {c: v for c, v in defaults.items() if c not in current or current[c] != v}
        if not changed:
            return
        unread = [c for c in changed if c not in self._restore.get(table, {})]
        if unread:
            cursor.execute(
                "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                "WHERE a.attrelid = %s::regclass AND a.attname = ANY(%s)",
                [table, unread],
            )
            self._restore.setdefault(table, {}).update(dict(cursor.fetchall()))
        clauses = sql.SQL(", ").join(
            sql.SQL("ALTER COLUMN {} SET DEFAULT {}").format(sql.Identifier(c), sql.Literal(v))
            for c, v in changed.items()
        )
        _run_pending_key_checks(cursor)
        cursor.execute(sql.SQL("ALTER TABLE {} ").format(sql.Identifier(table)) + clauses)
        current.update(changed)

    def move(self) -> None:
        """Wait for the last COPY: every appended row is then in its table (in this transaction), and the
        columns' defaults are as before the load."""
        self._wait()
        from psycopg import sql

        with self.raw.cursor() as cursor:
            if self._restore:
                _run_pending_key_checks(cursor)
            for table, restore in self._restore.items():
                clauses = sql.SQL(", ").join(
                    sql.SQL("ALTER COLUMN {} DROP DEFAULT").format(sql.Identifier(c))
                    if expression is None
                    else sql.SQL("ALTER COLUMN {} SET DEFAULT {}").format(
                        sql.Identifier(c), sql.SQL(expression)
                    )
                    for c, expression in restore.items()
                )
                cursor.execute(sql.SQL("ALTER TABLE {} ").format(sql.Identifier(table)) + clauses)
        self._restore.clear()
        self._defaults.clear()

    def close(self) -> None:
        self._stop()


def _run_pending_key_checks(cursor: Any) -> None:
    """PostgreSQL: the foreign-key checks the transaction deferred so far (Django's keys are DEFERRABLE
    INITIALLY DEFERRED) run now, and the later ones are deferred again. A table with checks pending cannot be
    altered; a failed check raises here instead of at the commit, and the transaction is rolled back alike."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def copy_csv(
    cursor: Any, sql: str, frame: pl.DataFrame, progress: Callable[[int], None] | None = None
) -> None:
    """`frame` through `COPY … FROM STDIN (FORMAT csv)` on a psycopg cursor, a CSV block at a time."""
    with cursor.copy(sql) as copy:
        for start in range(0, frame.height, COPY_ROWS):
            copy.write(_csv_block(frame.slice(start, COPY_ROWS)))
            if progress is not None:
                progress(min(start + COPY_ROWS, frame.height))


def _csv_block(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    return buffer.getvalue()


def insert_columns(
    model: type[models.Model],
    columns: Sequence[str],
    values: Mapping[str, pl.Series],
    constants: Mapping[str, Any],
    *,
    progress: Callable[..., None] | None = None,
    total: int | None = None,
    staging: SqliteStaging | PostgresCopier | None = None,
) -> int:
    """Insert rows given column-wise: a series per column in `values`, the same value for every row in
    `constants` (timestamps, the unit, the batch). With `staging`, the rows go to it (`SqliteStaging`,
    `PostgresCopier`). Else PostgreSQL gets the rows as CSV blocks through COPY (values
    already in the database's text form: dates ISO, booleans true/false, empty text quoted, NULL unquoted);
    SQLite gets them through executemany in chunks, each row a tuple built by zip, never a Python loop."""
    if not values:
        return 0
    length = len(next(iter(values.values())))
    if isinstance(staging, PostgresCopier):
        present = [c for c in columns if c in values]
        staging.append(
            model, _frame(present, values, {}, length), {c: constants[c] for c in columns if c not in values}
        )
        return length
    if staging is not None:
        staging.append(model, _frame(columns, values, constants, length))
        return length
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            report = None if progress is None else (lambda done: progress(done, total or length))
            sql = f"COPY {table} ({quoted}) FROM STDIN (FORMAT csv)"
            copy_csv(cursor.cursor, sql, _frame(columns, values, constants, length), report)
            return length
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"
        for start in range(0, length, CHUNK):
            parts = [
                values[c].slice(start, CHUNK).to_list() if c in values else itertools.repeat(constants[c])
                for c in columns
            ]
            cursor.executemany(sql, list(zip(*parts, strict=False)))
            if progress is not None and (start // CHUNK) % 20 == 0:
                progress(min(start + CHUNK, length), total or length)
    return length


def _frame(
    columns: Sequence[str], values: Mapping[str, pl.Series], constants: Mapping[str, Any], length: int
) -> pl.DataFrame:
    """All columns as one frame, constants repeated (COPY's CSV needs every column of every row)."""
    return pl.DataFrame(
        [
            values[c].alias(c) if c in values else pl.repeat(constants[c], length, eager=True).alias(c)
            for c in columns
        ]
    )


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """UPDATE … SET columns WHERE id = last value of each row tuple."""
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    sql = f'UPDATE {table} SET {assignments} WHERE "id" = %s'
    written = 0
    with connection.cursor() as cursor:
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def chunks(items: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    """Slices small enough for an IN (…) list on every backend (SQLite allows 999 parameters by default)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
