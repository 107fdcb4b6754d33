"""The run loop of `pathx run`: prepare every path, then read, predict and commit them in batches.

A batch closes at batch_size files or after batch_seconds of reading, whichever comes first; it
is committed to the ledger in one transaction, audited, and the output rewritten when
flush_seconds have passed. A stop (SIGINT/SIGTERM) finishes the batch with what is read.
"""
from __future__ import annotations

import time
from pathlib import Path

from pathx.run.audit import AuditLog
from pathx.run.files import extract_one, prepare_one
from pathx.run.discovery import relative_key
from pathx.run.materialise import materialise
from pathx.run.outcome import Outcome, RunContext
from pathx.run.predict import predict_batch, record_for
from pathx.run.signals import kill_point

# When the first this-many files of a run (or all of them, if fewer) all fail with a systemic
# environment fault (rules, OCR engine), the run stops: the next ones would fail the same way. One
# file's lot (permission denied, a timeout, MemoryError) neither counts nor stops anything.
ENV_STOP_AFTER = 5

# A batch also closes after this many seconds of reading, so slow OCR input commits often.
BATCH_SECONDS = 60.0


def process_files(ctx: RunContext, paths: list[Path], reprocess: bool, batch_size: int,
                  batch_seconds: float, extra: list[Outcome] = (), vanished: dict[str, list[str]] | None = None) -> None:
    """Prepare every path (unchanged ones only counted), then read, predict and commit the rest batch by
    batch until done, stopped by a signal, or stopped by an environment fault that hits every file.
    `extra` are outcomes that already hold their error (unlisted folders, bad JSONL records);
    `vanished` maps content hashes to keys of vanished files that a moved file takes over."""
    summary = ctx.summary
    # Cheap pass first (stat, hash only when the stat changed) so the progress total is real work.
    todo: list[Outcome] = list(extra)
    for path in paths:
        o = prepare_one(path, relative_key(path, ctx.root), ctx.ledger, ctx.version, reprocess, ctx.stop.file_timeout)
        if o.skip_reason == "unchanged":
            summary.unchanged += 1
        else:
            if vanished and o.sha256 and vanished.get(o.sha256):
                o.replaces = vanished[o.sha256].pop(0)  # moved here: takes over that row
            todo.append(o)
    ctx.report.start(len(todo), summary.unchanged)

    # A batch closes at batch_size files or after batch_seconds of reading, whichever comes
    # first: fast text input gets long length-sorted batches, slow OCR input still commits often.
    pending = iter(todo)
    env_streak = _EnvStreak(min(ENV_STOP_AFTER, len(todo)))
    while not ctx.stop and not summary.environment_error:
        batch: list[Outcome] = []
        opened = time.monotonic()
        for o in pending:
            if o.status == "ok":
                # The engine is looked up here, not at start: a lazy bundle compiles its rules on
                # first use, so a run with nothing to do never pays for it.
                extract_one(o, ctx.root, getattr(ctx.predictor, "engine", None), ctx.options, ctx.ledger, ctx.stop)
            batch.append(o)
            ctx.report.tick(o)  # per file, as it is read: a real rate and ETA
            summary.environment_error = env_streak.see(o)
            if (len(batch) >= batch_size or ctx.stop or summary.environment_error
                    or time.monotonic() - opened >= batch_seconds):
                break  # on a stop: finish the batch with what is read; the rest waits for the next run
        if not batch:
            break
        predict_batch(batch, ctx.predictor, ctx.stop, ctx.ledger)
        _commit_batch(ctx, batch, interrupted=bool(ctx.stop))


class _EnvStreak:
    """Stop a run whose first files all fail with a systemic environment fault (the rest would too).

    Files that fail for a reason of their own (Outcome.systemic False: permission denied, a timeout,
    MemoryError) are passed over: five unreadable files that sort first never stop a run."""

    def __init__(self, needed: int):
        self.needed, self.count, self.broken = needed, 0, False

    def see(self, o: Outcome) -> str | None:
        if self.broken or o.skip_reason or (o.error and o.fault == "environment" and not o.systemic):
            return None
        if o.error is None or o.fault != "environment":
            self.broken = True  # some file got past the environment: no longer every file
            return None
        self.count += 1
        if self.count < self.needed:
            return None
        cause = o.error[len(o.file) + 2:] if o.error.startswith(f"{o.file}: ") else o.error
        cause = cause.removesuffix("; retried on the next run")
        return (f"the first {self.count} file(s) all failed for a reason outside them ({cause}); "
                "stopped early, fix the cause and rerun (these files are retried)")


def _commit_batch(ctx: RunContext, batch: list[Outcome], interrupted: bool) -> None:
    """Record the batch in the ledger (one transaction), audit it, rewrite the output."""
    summary, records, committed = ctx.summary, [], []
    for o in batch:
        earlier = ctx.ledger.entry(o.file)
        if not o.skip_reason and o.error and interrupted:
            # Ctrl-C also reaches OCR child processes; an error seen during shutdown may be
            # ours, so it is not recorded and the file is read again next run.
            o.skip_reason = "interrupted; will be processed next run"
        elif not o.skip_reason and o.error and o.sha256 is None and earlier and earlier.status == "ok":
            # A passing failure (file gone mid-run, predictor crash) never replaces good rows.
            o.skip_reason = f"{o.error}; earlier rows kept, retried next run"
            summary.failed += 1
        if o.skip_reason:
            summary.skipped += 1
            ctx.audit.write("skip", file=o.file, reason=o.skip_reason)
        else:
            record = record_for(o, ctx.predictor.name)
            record.rows = [ctx.writer.stored_row(r) for r in record.rows]  # no text the output lacks
            records.append(record)
            committed.append(o)
            summary.processed += 1
            summary.failed += bool(o.error)
            summary.ok += not o.error
        ctx.report.advance(o)
    kill_point("commit")
    if records:
        ctx.ledger.record(records, ctx.version, ctx.run_id)
        summary.moved += sum(1 for r in records if r.replaces)
        for o in committed:  # audited once committed: a killed batch leaves no false claims
            _audit_file(ctx.audit, o)
        kill_point("written")
        if time.monotonic() - ctx.last_flush >= ctx.flush_seconds:
            materialise(ctx.ledger, ctx.output, ctx.writer)
            ctx.last_flush = time.monotonic()


def _audit_file(audit: AuditLog, o: Outcome) -> None:
    r = o.result
    audit.write(
        "file", file=o.file, sha256=o.sha256, status="error" if o.error else "ok", error=o.error,
        moved_from=o.replaces if o.sha256 else None,
        fault=o.fault if o.error else None,
        method=r.method if r else None, pages=r.pages if r else 0,
        specimens=len(o.rows), warnings=list(r.warnings) if r else [],
        seconds={"read": round(r.seconds, 4) if r else 0.0, "predict": round(o.predict_seconds, 4)},
    )
