"""What one run and one discovered path come to (RunSummary, Outcome), and what a run's stages share."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: `pathx --help` and the CLI's error table must not import ingestion
    from pathx.ingestion.pipeline import FileResult, IngestOptions
    from pathx.outputs.writer import OutputWriter
    from pathx.run.audit import AuditLog
    from pathx.run.ledger import Ledger
    from pathx.run.progress import Progress
    from pathx.run.signals import StopFlag


@dataclass
class RunSummary:
    exit_code: int
    message: str = ""
    run_id: str = ""
    output: Path | None = None
    ledger: Path | None = None
    audit: Path | None = None
    files_seen: int = 0  # report files discovered
    processed: int = 0  # read (or tried) in this run
    ok: int = 0  # processed in this run, status ok
    failed: int = 0  # failed in this run (error rows, and passing failures that kept old rows)
    unchanged: int = 0  # skipped: same content and version key as in the ledger
    skipped: int = 0  # skipped with a logged reason (directory, symlinked folder walked already, ...)
    errors_in_output: int = 0  # input files whose current output row is an error (drives exit 3)
    rows: int = 0  # rows in the output file
    dropped: int = 0  # error rows of vanished files removed
    moved: int = 0  # files that took over the rows of a vanished file with the same content
    pruned: int = 0  # files no longer under INPUT whose rows --prune removed
    prune_note: str | None = None  # why --prune removed nothing although files vanished
    root_note: str | None = None  # INPUT is not the recorded one (inputroot.check_root)
    interrupted: bool = False
    environment_error: str | None = None  # why the run stopped early (exit 5)
    seconds: float = 0.0


@dataclass
class Outcome:
    """What happened to one discovered path in this run."""

    path: Path
    file: str  # relative path
    sha256: str | None = None
    signature: str | None = None
    result: FileResult | None = None
    error: str | None = None  # one line, names the file
    skip_reason: str | None = None  # not processed, not recorded (logged to the audit)
    fault: str | None = None  # with error: "file" (kept until it changes) or "environment" (retried)
    # with an environment fault: True when its cause would fail every file (rules or OCR engine missing),
    # so a run whose first files all hit one stops (batches._EnvStreak); False for one file's lot
    # (permission denied, a timeout, out of memory, changed while read), which never stops a run.
    systemic: bool = False
    retry: str | None = None  # ledger.Record.retry: `timeout:S` for a file over the budget of S seconds
    before: tuple | None = None  # the stat before reading (size, mtime, ctime, inode): a change while read
    rows: list[dict] = field(default_factory=list)
    predict_seconds: float = 0.0
    replaces: str | None = None  # key of a vanished file with this content (a move): its rows go

    @property
    def status(self) -> str:
        return "skipped" if self.skip_reason else ("error" if self.error else "ok")


@dataclass
class RunContext:
    """What the stages of one run share."""

    root: Path
    predictor: object
    options: IngestOptions
    version: str
    run_id: str
    ledger: Ledger
    audit: AuditLog
    report: Progress
    summary: RunSummary
    stop: StopFlag
    output: Path
    writer: OutputWriter
    flush_seconds: float
    last_flush: float
