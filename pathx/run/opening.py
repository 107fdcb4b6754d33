"""Opening a run's audit log and ledger: the fallbacks and the errors that name the recovery."""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from pathx.errors import EnvironmentFault
from pathx.outputs.names import safe_text
from pathx.outputs.writer import OutputWriter
from pathx.run.audit import AuditLog, default_audit_path
from pathx.run.faults import LedgerDamaged, os_problem
from pathx.run.ledger import Ledger
from pathx.run.materialise import rebuild_from_output


def open_audit(audit_path, run_id: str, output: Path) -> tuple[AuditLog, str | None]:
    """The run's audit log and a note when it had to fall back from the user log directory.

    An explicit --audit or PATHX_LOG_DIR that cannot be written is an error; the platform default
    (under HOME) that cannot be written (HOME unset, read-only, or another user's) falls back to
    `.pathx-log/` beside the output, and the note says how to choose a place.
    """
    if audit_path is not None:
        return AuditLog(audit_path, run_id), None
    if os.environ.get("PATHX_LOG_DIR"):
        try:
            return AuditLog(default_audit_path(run_id), run_id), None
        except OSError as err:
            raise EnvironmentFault(os_problem(err, "cannot write the audit log in PATHX_LOG_DIR")
                                   + "; point PATHX_LOG_DIR at a writable folder") from None
    default = default_audit_path(run_id)
    try:
        return AuditLog(default, run_id), None
    except OSError as err:
        fallback = output.parent / ".pathx-log" / default.name
        note = (f"audit log: cannot write {safe_text(str(default.parent))} ({err.strerror or type(err).__name__}; HOME "
                f"unset or not writable?); writing {safe_text(str(fallback))} instead; set PATHX_LOG_DIR to choose")
        try:
            return AuditLog(fallback, run_id), note
        except OSError:
            raise EnvironmentFault(os_problem(err, "cannot write the audit log")
                                   + "; set PATHX_LOG_DIR to a writable folder or pass --audit FILE") from None


def open_ledger(ledger_path: Path, output: Path, writer: OutputWriter, rebuild: bool, console) -> tuple[Ledger, str | None]:
    """Open the ledger; a damaged one is an error naming the recovery, or is rebuilt with rebuild=True."""
    try:
        return Ledger.open(ledger_path), None
    except sqlite3.DatabaseError as err:
        words = str(err).lower()
        if isinstance(err, sqlite3.OperationalError) and not ("malformed" in words or "not a database" in words):
            raise  # read-only, not creatable, disk full: reported as an environment fault
        if not rebuild:
            raise LedgerDamaged(
                f"the ledger {ledger_path} is damaged (sqlite: {type(err).__name__}); rerun with --rebuild-ledger: it "
                f"moves the damaged file aside, keeps the rows {output.name} shows and reads every present file "
                "again") from None
    aside = ledger_path.with_name(f"{ledger_path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{ledger_path}{suffix}")
        if part.exists():
            os.replace(part, Path(f"{aside}{suffix}"))
    ledger = Ledger.open(ledger_path)
    kept = rebuild_from_output(ledger, output, writer)
    return ledger, f"ledger rebuilt from {output.name} ({kept} row(s) kept); the damaged one is {aside.name}"
