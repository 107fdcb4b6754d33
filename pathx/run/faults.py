"""Exit codes of `pathx run` and the one-line fatal messages (no report text, ever).

Exit codes (EXIT_*): 0 every input file has ok rows; 3 at least one input file has an error row; 2
usage error (also --prune against another INPUT, a NAACCR ID collision); 4 interrupted (rerun to
continue); 5 environment fault (rules, model, OCR, disk; INPUT empty or unlistable; or the first
batches.ENV_STOP_AFTER files all hit a systemic one); 6 damaged ledger (rebuild_ledger=True); 75
another run holds the lock (EX_TEMPFAIL). Fatal faults are one `pathx: error:` line.
The CLI adds 1 (input refused, for its other commands) and 70 (EX_SOFTWARE, an internal error: a
bug); cli.errors.EXIT_CODES is the one documented table (`pathx --help`).
"""
from __future__ import annotations

import errno
import os
import sys

from pathx.outputs import rows as out
from pathx.outputs.names import safe_text
from pathx.run.outcome import RunSummary

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 4
EXIT_ENVIRONMENT = 5  # the machine, not the reports: rules/model/OCR missing, permissions, disk full
EXIT_LEDGER = 6  # the ledger is damaged; rerun with --rebuild-ledger
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron wrappers retry later


class LedgerDamaged(Exception):
    """The ledger cannot be read (exit 6)."""


def usage_error(message: str, console) -> RunSummary:
    """A run refused before anything is touched: one line `pathx run: error: ...`, exit 2."""
    summary = RunSummary(exit_code=EXIT_USAGE, message=message)
    print_direct(f"pathx run: error: {message}", console)
    return summary


def fatal(code: int, message: str, console, summary: RunSummary | None = None) -> RunSummary:
    """A run that cannot go on: one line `pathx: error: ...` (printed even with --quiet), code 5 or 6."""
    message = safe_text(out.one_line(message, limit=600))
    summary = summary or RunSummary(exit_code=code)
    summary.exit_code, summary.message = code, message
    print_direct(f"pathx: error: {message}", console)
    return summary


def print_direct(text: str, console) -> None:
    stream = console.file if console is not None else sys.stderr
    print(text, file=stream, flush=True)


def os_problem(err: OSError, what: str) -> str:
    """`what` failed: the OS cause and the path, plus what to do; no report text is involved."""
    where = f" {safe_text(str(err.filename))}" if err.filename else ""
    cause = err.strerror or type(err).__name__
    hint = ""
    if isinstance(err, PermissionError) and err.filename:
        try:
            owner = os.stat(err.filename).st_uid
            hint = (f"; it belongs to uid {owner}, pathx runs as uid {os.getuid()}: give the output folder and its"
                    " .<output>.* files to the user that runs pathx (chown, see docs/cron.md)")
        except OSError:
            hint = "; check the folder's owner and permissions (docs/cron.md)"
    elif err.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "; free space on that disk and rerun (nothing committed is lost)"
    elif err.errno == errno.EROFS:
        hint = "; the file system is read-only"
    return f"{what}:{where}: {cause}{hint}"
