"""Ledger schema migrations (pathx.run.migrations): ledgers from before migrations existed open and
upgrade cleanly, keep every row, and each migration runs once, atomically, in order."""
from __future__ import annotations

import json
import sqlite3

import pytest

from pathx.run import migrations
from pathx.run.ledger import Ledger, Record

# The schema `pathx run` wrote before migrations existed (pathx/run/ledger.py `_SCHEMA` on main,
# November 2026), frozen here: ledgers on disk at sites look exactly like this.
PRE_MIGRATION_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    file TEXT PRIMARY KEY,          -- path relative to the input folder
    sha256 TEXT,                    -- NULL when the file could not be read (retried every run)
    version TEXT NOT NULL,          -- predictor version + ingest options it was processed with
    status TEXT NOT NULL,           -- ok | error
    signature TEXT,                 -- size:mtime_ns:inode when hashed
    run_id TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
    file TEXT NOT NULL,
    seq INTEGER NOT NULL,
    row TEXT NOT NULL,              -- JSON of one output row (evidence included)
    PRIMARY KEY (file, seq)
);
CREATE TABLE IF NOT EXISTS inflight (
    file TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    attempts INTEGER NOT NULL
);
"""


def _old_ledger(path):
    """A ledger as the pre-migration code left it: WAL, schema "1", two files, a crash marker."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(PRE_MIGRATION_SCHEMA)
    conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)",
                     [("schema", "1"), ("generation", "7"), ("written_generation", "7")])
    conn.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [("a.txt", "aa" * 32, "rules-1.1|k=5", "ok", "10:1:2", "run1", "2026-11-01T00:00:00+0000"),
                      ("b.pdf", None, "rules-1.1|k=5", "error", None, "run1", "2026-11-01T00:00:00+0000")])
    conn.executemany("INSERT INTO rows VALUES (?, ?, ?)",
                     [("a.txt", 0, json.dumps({"file": "a.txt", "specimen": "A", "status": "ok"})),
                      ("a.txt", 1, json.dumps({"file": "a.txt", "specimen": "B", "status": "ok"})),
                      ("b.pdf", 0, json.dumps({"file": "b.pdf", "specimen": None, "status": "error"}))])
    conn.execute("INSERT INTO inflight VALUES ('c.pdf', ?, 1)", ("cc" * 32,))
    conn.close()


def test_a_ledger_from_before_migrations_opens_and_keeps_everything(tmp_path):
    path = tmp_path / ".out.csv.ledger.sqlite"
    _old_ledger(path)
    ledger = Ledger.open(path)
    assert migrations.applied(ledger.conn) == [fn.__name__ for fn in migrations.MIGRATIONS]
    assert ledger.get_meta("schema") == "1"
    assert ledger.generation == 7 and ledger.written_generation == 7  # the output is not rewritten for nothing
    entries = ledger.entries()
    assert sorted(entries) == ["a.txt", "b.pdf"]
    assert entries["a.txt"].sha256 == "aa" * 32 and entries["a.txt"].signature == "10:1:2"
    assert entries["b.pdf"].status == "error" and entries["b.pdf"].sha256 is None
    assert [r["specimen"] for r in ledger.rows()] == ["A", "B", None]
    assert ledger.crashes("c.pdf", "cc" * 32) == 1
    ledger.record([Record("d.txt", "dd" * 32, "ok", [{"file": "d.txt"}])], "v", "run2")  # and it works on
    assert ledger.generation == 8
    ledger.close()
    again = Ledger.open(path)  # nothing left to apply
    assert migrations.migrate(again.conn) == [] and again.row_count() == 4
    again.close()


def test_a_new_ledger_gets_every_migration_once(tmp_path):
    ledger = Ledger.open(tmp_path / "l.sqlite")
    names = migrations.applied(ledger.conn)
    assert names == [fn.__name__ for fn in migrations.MIGRATIONS] and len(set(names)) == len(names)
    assert ledger.get_meta("schema") == "1" and ledger.generation == 0
    ledger.close()


def test_a_later_migration_upgrades_old_ledgers_once(tmp_path, monkeypatch):
    path = tmp_path / "l.sqlite"
    _old_ledger(path)
    calls = []

    def m999_add_note(conn):
        calls.append(1)
        conn.execute("ALTER TABLE files ADD COLUMN note TEXT")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m999_add_note])
    Ledger.open(path).close()
    ledger = Ledger.open(path)
    assert calls == [1] and migrations.applied(ledger.conn)[-1] == "m999_add_note"
    assert "note" in [r[1] for r in ledger.conn.execute("PRAGMA table_info(files)")]
    assert ledger.row_count() == 3
    ledger.close()


def test_a_failing_migration_leaves_nothing_half_done(tmp_path, monkeypatch):
    path = tmp_path / "l.sqlite"
    _old_ledger(path)

    def m999_breaks(conn):
        conn.execute("CREATE TABLE extra (x TEXT)")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m999_breaks])
    with pytest.raises(RuntimeError):
        Ledger.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='extra'").fetchone() is None
    assert "m999_breaks" not in migrations.applied(conn)
    assert conn.execute("SELECT COUNT(*) FROM rows").fetchone()[0] == 3
    conn.close()


def test_a_ledger_from_a_newer_pathx_is_refused(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger.open(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO migrations(name, applied) VALUES ('m999_from_the_future', 'x')")
    conn.close()
    with pytest.raises(migrations.LedgerTooNew, match="newer pathx"):
        Ledger.open(path)
