"""The run ledger: a SQLite file beside the output that is the source of truth for `pathx run`.

For every input file (by path relative to the input folder) it holds the content hash
(sha256), the version key it was processed with (predictor version + ingest options), its
status and its output rows. The output file is a view of the ledger, rewritten atomically
after each committed batch; a run killed at any point restarts from the last commit.

Also kept here:
- a stat signature (size, mtime_ns, inode) per file, so an unchanged file is skipped
  without re-reading it to hash it (the hash stays the key; the signature is a shortcut);
- an in-flight marker per file while it is being read, so a file that kills pathx (out of
  memory on a hostile PDF, a crash in a parser) is recognised on restart and, after
  `MAX_CRASHES` such deaths, gets an error row instead of killing every nightly run;
- a generation counter, so a restart knows whether the output already shows the last commit;
- the INPUT it was built from (path and mount point, inputroot.py), so --prune never runs against
  another folder or an unmounted share;
- per error, a retry condition (`timeout:S`) for a fault that is not the file's bytes;
- the schema migrations it has had (migrations.py): `Ledger.open` upgrades an older ledger.

A file moved or renamed inside the input folder (same content hash at a new path, old path gone)
is recorded under its new key and the old key's rows are deleted in the same transaction
(Record.replaces), so a kill at any point leaves either the old row or the new one, never both
and never neither.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pathx.run.migrations import migrate

SCHEMA_VERSION = "1"  # meta `schema` of the first layout; later changes are migrations (migrations.py)
MAX_CRASHES = 2  # deaths while reading the same content before it gets an error row


def ledger_path_for(output: str | Path) -> Path:
    """`/data/out/path.csv` -> `/data/out/.path.csv.ledger.sqlite`."""
    output = Path(output)
    return output.with_name(f".{output.name}.ledger.sqlite")


@dataclass
class Entry:
    file: str
    sha256: str | None
    version: str
    status: str
    signature: str | None
    retry: str | None = None  # when a non-content error is tried again (migrations.m003_retry_condition)


@dataclass
class Record:
    """What one processed file commits: its key, status and the rows that replace its old ones."""

    file: str
    sha256: str | None
    status: str
    rows: list[dict]
    signature: str | None = None
    # The key of a vanished file with the same content that this file takes over (a report
    # moved or renamed inside the input folder): its rows go in the same transaction.
    replaces: str | None = None
    # An error that is no fault of the file's bytes but should not be tried on every run (`timeout:S`:
    # tried again once the budget is above S or the file's stat changes); None for everything else.
    retry: str | None = None


class Ledger:
    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn

    @classmethod
    def open(cls, path: str | Path) -> "Ledger":
        path = Path(path)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per batch.
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        # WAL: a commit is one fsync of the log (~7 ms here, against ~20 ms with a rollback
        # journal). FULL: a batch commit survives power loss, not just a kill.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        # A damaged page would otherwise surface mid-run, or never: check the whole file first
        # (about 10 ms per 10,000 files). The caller names the recovery (--rebuild-ledger).
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            conn.close()
            raise sqlite3.DatabaseError(f"database disk image is malformed ({len(problems)} problem(s))")
        try:
            migrate(conn)  # tables created or upgraded; a ledger from before migrations keeps its rows
        except BaseException:
            conn.close()
            raise
        return cls(path, conn)

    def close(self) -> None:
        self.conn.close()

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    @property
    def written_generation(self) -> int:
        """The generation the output file on disk shows (set after each successful rewrite)."""
        return int(self.get_meta("written_generation") or -1)

    def mark_written(self, generation: int) -> None:
        self.set_meta("written_generation", str(generation))

    # -- files --------------------------------------------------------------------------------
    def entry(self, file: str) -> Entry | None:
        row = self.conn.execute(
            "SELECT file, sha256, version, status, signature, retry FROM files WHERE file=?", (file,)
        ).fetchone()
        return Entry(*row) if row else None

    def entries(self) -> dict[str, Entry]:
        rows = self.conn.execute("SELECT file, sha256, version, status, signature, retry FROM files")
        return {r[0]: Entry(*r) for r in rows}

    def update_signature(self, file: str, signature: str) -> None:
        """Same content, new stat (touched, copied back): remember the new shortcut."""
        self.conn.execute("UPDATE files SET signature=? WHERE file=?", (signature, file))

    def record(self, records: list[Record], version: str, run_id: str) -> int:
        """Replace the rows of each file in one transaction; returns the new generation."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with self._transaction():
            for rec in records:
                self.conn.execute("DELETE FROM rows WHERE file=?", (rec.file,))
                self.conn.executemany(
                    "INSERT INTO rows(file, seq, row) VALUES (?, ?, ?)",
                    [(rec.file, i, json.dumps(row, ensure_ascii=False)) for i, row in enumerate(rec.rows)],
                )
                self.conn.execute(
                    "INSERT OR REPLACE INTO files(file, sha256, version, status, signature, run_id, updated, retry)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (rec.file, rec.sha256, version, rec.status, rec.signature, run_id, now, rec.retry),
                )
                self.conn.execute("DELETE FROM inflight WHERE file=?", (rec.file,))
                if rec.replaces and rec.replaces != rec.file:
                    self._forget(rec.replaces)
            generation = self.generation + 1
            self.set_meta("generation", str(generation))
        return generation

    def drop(self, files: list[str]) -> int:
        """Forget files entirely (rows included); returns the new generation."""
        with self._transaction():
            for f in files:
                self._forget(f)
            generation = self.generation + 1
            self.set_meta("generation", str(generation))
        return generation

    def _forget(self, file: str) -> None:
        """Inside a transaction: remove one file's entry, rows and crash marker."""
        self.conn.execute("DELETE FROM rows WHERE file=?", (file,))
        self.conn.execute("DELETE FROM files WHERE file=?", (file,))
        self.conn.execute("DELETE FROM inflight WHERE file=?", (file,))

    # -- the INPUT it was built from (inputroot.py) ---------------------------------------------
    def input_root(self) -> tuple[str, str] | None:
        """(resolved INPUT, its mount point) recorded by an earlier run; None before the first."""
        row = self.conn.execute("SELECT path, mount FROM input_root WHERE id=1").fetchone()
        return (row[0], row[1]) if row else None

    def set_input_root(self, path: str, mount: str) -> None:
        with self._transaction():
            self.conn.execute("INSERT OR REPLACE INTO input_root(id, path, mount, recorded) VALUES (1, ?, ?, ?)",
                              (path, mount, time.strftime("%Y-%m-%dT%H:%M:%S%z")))

    def rows(self) -> Iterator[dict]:
        """All output rows, ordered by file then specimen order within the file."""
        for (row,) in self.conn.execute("SELECT row FROM rows ORDER BY file, seq"):
            yield json.loads(row)

    def row_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM rows").fetchone()[0]

    # -- crash markers ------------------------------------------------------------------------
    def crashes(self, file: str, sha256: str) -> int:
        """How many runs died while reading this exact content."""
        row = self.conn.execute("SELECT sha256, attempts FROM inflight WHERE file=?", (file,)).fetchone()
        return row[1] if row and row[0] == sha256 else 0

    # Markers are written twice per file, so without an fsync (synchronous=NORMAL): in WAL mode
    # that survives any process death, and a power cut can only lose a marker, not corrupt data.
    def mark_inflight(self, file: str, sha256: str) -> None:
        with self._transaction(durable=False):
            attempts = self.crashes(file, sha256)
            self.conn.execute(
                "INSERT OR REPLACE INTO inflight(file, sha256, attempts) VALUES (?, ?, ?)",
                (file, sha256, attempts + 1),
            )

    def clear_inflight(self, file: str) -> None:
        with self._transaction(durable=False):
            self.conn.execute("DELETE FROM inflight WHERE file=?", (file,))

    # -- internals ----------------------------------------------------------------------------
    def _transaction(self, durable: bool = True):
        return _Transaction(self.conn, durable)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection, durable: bool):
        self.conn, self.durable = conn, durable

    def __enter__(self):
        if not self.durable:
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            if not self.durable:
                self.conn.execute("PRAGMA synchronous=FULL")
        return False
