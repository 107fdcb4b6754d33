"""Schema migrations of the run ledger (ledger.py): an ordered list of functions, and a table that
records which of them have run (the pattern of simonw/llm's migrations).

Contract:
- MIGRATIONS is append-only: a released migration is never edited, renamed or reordered; a schema
  change is a new function decorated with `@migration` at the end of this file.
- `migrate(conn)` applies, in order, every migration not yet named in the `migrations` table. Each
  runs in its own transaction together with the row that records it (SQLite DDL is
  transactional), so a kill mid-migration leaves it not applied and the next open runs it again.
- The first migration is the schema ledgers had before migrations existed, written with
  `IF NOT EXISTS`: such a ledger (no `migrations` table) passes through it unchanged, keeps its
  rows, and is then upgraded by the later migrations like any other.
- A ledger that names a migration this pathx does not know was written by a newer pathx: opening
  it raises LedgerTooNew (an environment fault, exit 5) rather than guess at its tables.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Callable

from pathx.errors import EnvironmentFault

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


class LedgerTooNew(EnvironmentFault):
    """The ledger was upgraded by a newer pathx than this one."""


def migration(fn: Migration) -> Migration:
    """Register `fn` as the next migration; its name is what the `migrations` table records."""
    MIGRATIONS.append(fn)
    return fn


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations this ledger has had, in the order they ran ([] for a new file)."""
    if conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='migrations'").fetchone() is None:
        return []
    return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY rowid")]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Bring the ledger up to date (the connection must be in autocommit mode, isolation_level=None).

    Returns the names of the migrations applied now; [] when it already was up to date.
    """
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
    done = applied(conn)
    known = {fn.__name__ for fn in MIGRATIONS}
    unknown = [name for name in done if name not in known]
    if unknown:
        raise LedgerTooNew(f"the ledger was written by a newer pathx (schema migration {unknown[0]} is unknown "
                           "here); run that pathx version, or use another output")
    ran = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            fn(conn)
            conn.execute("INSERT INTO migrations(name, applied) VALUES (?, ?)",
                         (fn.__name__, time.strftime("%Y-%m-%dT%H:%M:%S%z")))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        ran.append(fn.__name__)
    return ran


# --------------------------------------------------------------------------------------------
# The migrations, oldest first. Append only.


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    """The schema of ledgers written before migrations existed (meta `schema` = "1")."""
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("""
        CREATE TABLE IF NOT EXISTS files (
            file TEXT PRIMARY KEY,          -- path relative to the input folder (escaped: names.escape_name)
            sha256 TEXT,                    -- NULL when the file could not be read (retried every run)
            version TEXT NOT NULL,          -- predictor version + ingest options it was processed with
            status TEXT NOT NULL,           -- ok | error
            signature TEXT,                 -- size:mtime_ns:inode when hashed
            run_id TEXT NOT NULL,
            updated TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE IF NOT EXISTS rows (
            file TEXT NOT NULL,
            seq INTEGER NOT NULL,
            row TEXT NOT NULL,              -- JSON of one output row (evidence included)
            PRIMARY KEY (file, seq)
        )""")
    conn.execute("""
        CREATE TABLE IF NOT EXISTS inflight (
            file TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            attempts INTEGER NOT NULL
        )""")
    conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '1')")


@migration
def m002_input_root(conn: sqlite3.Connection) -> None:
    """The INPUT a ledger was built from (inputroot.py): its resolved path and the mount point that held it.

    One row at most. An older ledger gets the table empty: its first run records the INPUT it is
    given (a --prune in that run removes nothing), and later runs compare against it.
    """
    conn.execute("""
        CREATE TABLE input_root (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            path TEXT NOT NULL,             -- INPUT, resolved (a .jsonl INPUT: that file)
            mount TEXT NOT NULL,            -- the mount point INPUT was on (an unmounted share differs)
            recorded TEXT NOT NULL
        )""")


@migration
def m003_retry_condition(conn: sqlite3.Connection) -> None:
    """files.retry: when an error that is no fault of the file's bytes is tried again (files.py).

    `timeout:S` = the file ran over a budget of S seconds: skipped while its stat signature is the same
    and --file-timeout is not above S (0 = no limit retries it); NULL = the usual rules.
    """
    conn.execute("ALTER TABLE files ADD COLUMN retry TEXT")
