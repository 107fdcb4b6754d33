"""`pathx run`: a folder of reports -> one output row per (file, specimen), cron-grade.

The order of one run:
1. take the lock beside the output (a second run exits at once, code 75);
2. open the ledger, delete temp files a killed run left, and re-materialise the output if the
   ledger holds a commit the output does not show yet (a kill between commit and rename);
3. discover files; skip those whose content hash and version key match the ledger;
4. per batch: read + de-identify + segment (pipeline.extract_file), predict, commit the batch's
   rows to the ledger in one transaction; rewrite the output atomically from the ledger when
   `flush_seconds` have passed since the last rewrite, and always at the end (the ledger is the
   truth; rewriting a large output after every small batch would cost more than the work);
5. SIGINT/SIGTERM: stop reading new files, commit and flush what is done, exit 4.

Exit codes (EXIT_*): 0 every input file has ok rows; 3 at least one input file has an error row
(also one that could not be read: permissions, a timeout, changed while read); 2 usage error (also
--prune against another INPUT than the ledger recorded, a NAACCR ID collision); 4 interrupted (rerun
to continue); 5 environment fault (rules, model, OCR, disk; INPUT empty or unlistable; or the first
ENV_STOP_AFTER files all hit a systemic one); 6 damaged ledger (rebuild_ledger=True); 75 another run
holds the lock (EX_TEMPFAIL). Fatal faults are one `pathx: error:` line.

This module holds the order of a run (run_folder); each step lives in its own module:
  faults       exit codes, usage and fatal one-line messages, OS errors as safe words
  lock         the fcntl lock beside the output (exit 75)
  opening      opening the audit log (with its fallback) and the ledger (damaged: exit 6, or rebuilt)
  discovery    file keys, unlisted folders, symlink notes, empty INPUT, moves (takeover), --prune, dropping
               vanished error rows
  inputroot    the INPUT the ledger was built from (path + mount point): --prune elsewhere is refused
  batches      the loop: prepare every path, then read, predict and commit batch by batch
  files        one file: stat/hash against the ledger, read under the signal guard; fault kinds
  predict      predicting a batch, and each outcome's ledger record
  materialise  the output rewritten from the ledger (atomically, by the suffix's writer)
  signals      SIGINT/SIGTERM, the per-file budget (SIGALRM), the crash test hook
  progress     the console: a rich bar, plain lines, or nothing
  outcome      RunSummary, Outcome, RunContext
  ledger, audit  the SQLite ledger (with its migrations) and the JSONL audit log

Decisions:
- The version key is the predictor version plus the ingest options (OCR mode, slicing), so a
  new bundle or rule set, or turning OCR on, reprocesses files.
- Files removed from the input folder keep their rows (the registry keeps what was read);
  error rows of removed files are dropped, as they hold no data. With `prune=True` (--prune)
  every row of a file no longer under INPUT goes, after a complete run only, never for files
  under a folder that could not be listed, never when INPUT holds no report at all (exit 5: an
  unmounted share would otherwise empty the output), and never against another INPUT than the
  ledger recorded (exit 2 unless input_moved; inputroot.py).
- Every file found is accounted for: symlinked folders are followed (each real folder once, a
  loop reported); a file written to while it is read gets an error row (its earlier ok rows stay)
  and is read again next run, never stale rows.
- A file moved or renamed inside INPUT (a new or changed path whose content hash equals that of
  a vanished path) takes over the vanished path's rows: it is read as usual and its record
  deletes the old key's rows in the same transaction (Record.replaces), so a kill never leaves
  both or neither. Each vanished path is taken over at most once (two copies moved: two pairs).
- A failed file whose content could be hashed is not retried until it or the version key
  changes (an encrypted PDF stays encrypted); a file that could not even be read (permissions,
  vanished, not a regular file), or failed for the machine's reasons (MemoryError, a change while
  read), is retried every run; one over --file-timeout when the budget grows or its stat changes.
  None of these stops a run: only a systemic fault (rules, OCR engine) hitting the first files does. Either way its error row stays in the
  output and the exit code stays 3 until the file is fixed or removed. Such a passing failure
  never replaces a file's earlier ok rows (they stay; the run still exits 3).
- A file that kills the process while it is read (out of memory, a parser crash) is marked
  in the ledger first; after MAX_CRASHES deaths on the same content it gets an error row, so
  one hostile file cannot stop every later nightly run.
- Nothing on the console, in the audit log or in an error message holds report text: errors
  come from ReportError messages (written to be safe) or only the exception type / OS errno text.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import socket
import sqlite3
import time
import uuid
from pathlib import Path

import pathx
from pathx.errors import EnvironmentFault
from pathx.fsutil import remove_stale_temps
from pathx.ingestion.pipeline import IngestOptions, LinkNote, discover
from pathx.outputs.writer import OutputRefused, OutputWriter, UnknownSuffix, writer_for
from pathx.run.batches import BATCH_SECONDS, ENV_STOP_AFTER, process_files
from pathx.run.discovery import (drop_vanished_errors, empty_input, prune_vanished, relative_key, report_links,
                                 unlisted_outcome, vanished_by_hash)
from pathx.run.faults import (EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LEDGER, EXIT_LOCKED, EXIT_OK,
                              EXIT_USAGE, LedgerDamaged, fatal, os_problem, print_direct, usage_error)
from pathx.run.files import FILE_TIMEOUT, version_key
from pathx.run.inputroot import InputRoot, RootCheck, check_root
from pathx.run.ledger import ledger_path_for
from pathx.run.lock import RunLock
from pathx.run.materialise import materialise, rebuild_from_output
from pathx.run.opening import open_audit, open_ledger
from pathx.run.outcome import Outcome, RunContext, RunSummary
from pathx.run.progress import Progress, make_progress
from pathx.run.signals import StopFlag

__all__ = ["BATCH_SECONDS", "ENV_STOP_AFTER", "EXIT_ENVIRONMENT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_LEDGER",
           "EXIT_LOCKED", "EXIT_OK", "EXIT_USAGE", "FILE_TIMEOUT", "Outcome", "RunLock", "RunSummary", "materialise",
           "rebuild_from_output", "run_folder", "version_key"]


def run_folder(
    input_dir: str | Path,
    output: str | Path,
    predictor,
    *,
    options: IngestOptions | None = None,
    reprocess: bool = False,
    audit_path: str | Path | None = None,
    progress: str = "auto",
    batch_size: int = 128,
    batch_seconds: float = BATCH_SECONDS,
    flush_seconds: float = 30.0,
    console=None,
    rebuild_ledger: bool = False,
    file_timeout: float = FILE_TIMEOUT,
    input_errors: list[tuple[str, str]] | None = None,
    prune: bool = False,
    input_moved: bool = False,
    input_identity: str | Path | None = None,
    naaccr_ids: dict[str, str] | None = None,
) -> RunSummary:
    """Process every report under `input_dir` into `output` (.csv or .jsonl). See the module doc.

    `predictor` may load its model lazily (on its first predict): the lock, the output checks and
    the unchanged-file pass all happen before that. `input_errors` are (key, message) pairs for
    inputs that are not files (bad JSONL records, pipeline.reports_folder): each gets an error row.
    `input_identity` is what INPUT is recorded as in the ledger (inputroot.py; default `input_dir`; the
    CLI passes the .jsonl file it made `input_dir` from); `input_moved` accepts a new one. `naaccr_ids`
    (a .naaccr.xml output only) maps files to a site's patientIdNumbers. A writer that refuses the rows
    (OutputRefused: a NAACCR ID collision) ends the run with one line, exit 2; the ledger keeps its commits.
    """
    t_start = time.monotonic()
    options = options or IngestOptions()
    input_dir, output = Path(input_dir), Path(output)
    checked = _check_and_lock(input_dir, output, batch_size, prune, console, naaccr_ids)
    if isinstance(checked, RunSummary):
        return checked
    writer, lock = checked
    ledger_path = ledger_path_for(output)
    summary = RunSummary(exit_code=EXIT_OK, output=output, ledger=ledger_path)
    ledger = audit = None
    report = Progress()
    stop = StopFlag(file_timeout)
    try:
        ledger, note = open_ledger(ledger_path, output, writer, rebuild_ledger, console)
        if note:
            print_direct(f"pathx run: {note}", console)
        summary.run_id = run_id = uuid.uuid4().hex
        audit, audit_note = open_audit(audit_path, run_id, output)
        summary.audit = audit.path
        if audit_note and progress != "quiet":
            print_direct(f"pathx run: {audit_note}", console)
        report = make_progress(progress, console)
        return _run_locked(input_dir, output, writer, predictor, options, reprocess, batch_size, batch_seconds,
                           flush_seconds, summary, ledger, audit, report, stop, audit_note, t_start, console,
                           input_errors or [], prune, input_moved, input_identity)
    except (LedgerDamaged, EnvironmentFault, OSError, sqlite3.Error) as err:
        report.close()
        return _fault_summary(err, ledger_path, console, summary)
    except OutputRefused as err:  # the format cannot hold these rows as they are: fix the command (exit 2)
        report.close()
        usage_error(str(err), console)
        summary.exit_code, summary.message, summary.environment_error = EXIT_USAGE, str(err), None
        if audit is not None:
            audit.write("end", exit_code=EXIT_USAGE, error=str(err), seconds=round(time.monotonic() - t_start, 3))
        return summary
    finally:
        report.close()
        stop.restore()
        _close_run(summary, audit, ledger, t_start)
        lock.release()


def _check_and_lock(input_dir: Path, output: Path, batch_size: int, prune: bool, console,
                    naaccr_ids: dict[str, str] | None = None) -> RunSummary | tuple[OutputWriter, RunLock]:
    """The usage checks (exit 2) and the lock (exit 75), before anything is written; the output's writer
    and the held lock, or the summary of a run that ends here."""
    try:
        writer = writer_for(output)
    except UnknownSuffix as err:
        return usage_error(str(err), console)
    if naaccr_ids is not None:
        if not hasattr(writer, "with_patient_ids"):
            return usage_error("--naaccr-ids needs a .naaccr.xml output", console)
        writer = writer.with_patient_ids(naaccr_ids)
    if not input_dir.exists():
        return usage_error(f"{input_dir}: input folder does not exist", console)
    if batch_size < 1:
        return usage_error("batch size must be at least 1", console)
    if prune and not input_dir.is_dir():
        return usage_error("--prune needs a folder (or .jsonl) as INPUT, not a single report file", console)
    ledger_path = ledger_path_for(output)
    try:
        if output.exists() and output.stat().st_size > 0 and not ledger_path.exists():
            return usage_error(
                f"{output} exists but was not written by pathx run (no ledger {ledger_path.name} beside it); "
                "move it away or choose another output", console)
        output.parent.mkdir(parents=True, exist_ok=True)
        lock = RunLock(output)
        if not lock.acquire():
            message = f"another pathx run is writing {output} (lock {lock.path} held by {lock.holder()}); exiting"
            print_direct(f"pathx run: {message}", console)
            return RunSummary(exit_code=EXIT_LOCKED, message=message, output=output)
    except OSError as err:
        return fatal(EXIT_ENVIRONMENT, os_problem(err, "cannot use the output folder"), console)
    return writer, lock


def _fault_summary(err: Exception, ledger_path: Path, console, summary: RunSummary) -> RunSummary:
    """A fault that ends the run after the lock: one line, exit 6 (damaged ledger) or 5 (the machine)."""
    if isinstance(err, LedgerDamaged):
        return fatal(EXIT_LEDGER, str(err), console, summary)
    if isinstance(err, EnvironmentFault):
        return fatal(EXIT_ENVIRONMENT, str(err), console, summary)
    if isinstance(err, OSError):
        return fatal(EXIT_ENVIRONMENT, os_problem(err, "cannot write the run's files"), console, summary)
    # sqlite3.Error: disk full or read-only while committing; the transaction rolled back
    cause = " ".join(str(err).split())[:200]  # sqlite's own words; they never hold report text
    if "malformed" in cause or "not a database" in cause:
        return fatal(EXIT_LEDGER, f"the ledger {ledger_path} is damaged ({cause}); rerun with --rebuild-ledger",
                     console, summary)
    return fatal(EXIT_ENVIRONMENT, f"the ledger {ledger_path} cannot be written ({cause}); "
                 "free space or fix its permissions and rerun (nothing committed is lost)", console, summary)


def _close_run(summary: RunSummary, audit, ledger, t_start: float) -> None:
    """Close the audit log and ledger; after a fatal fault mid-run the audit log still says how it ended."""
    if audit is not None and summary.exit_code in (EXIT_LEDGER, EXIT_ENVIRONMENT) and not summary.environment_error:
        try:
            audit.write("end", exit_code=summary.exit_code, error=summary.message,
                        seconds=round(time.monotonic() - t_start, 3))
        except (OSError, ValueError):
            pass
    for closing in (audit, ledger):
        if closing is not None:
            try:
                closing.close()
            except (OSError, sqlite3.Error):
                pass


def _run_locked(input_dir, output, writer, predictor, options, reprocess, batch_size, batch_seconds, flush_seconds,
                summary, ledger, audit, report, stop, audit_note, t_start, console, input_errors,
                prune=False, input_moved=False, input_identity=None) -> RunSummary:
    """The run itself, under the lock, with the ledger and audit log open."""
    stop.install()
    remove_stale_temps(output)
    # A kill between a ledger commit and the rename leaves the output one commit behind.
    if ledger.written_generation != ledger.generation or not output.exists():
        materialise(ledger, output, writer)

    version = version_key(predictor, options)
    root = input_dir if input_dir.is_dir() else input_dir.parent
    audit.write(
        "start", pathx_version=pathx.__version__, predictor=predictor.name,
        predictor_version=predictor.version, rules_version=_rules_version(predictor),
        host=socket.gethostname(), pid=os.getpid(), input=str(input_dir.resolve()),
        output=str(output.resolve()), ledger=str(summary.ledger), version_key=version,
        options={**dataclasses.asdict(options), "reprocess": reprocess, "prune": prune, "input_moved": input_moved,
                 "batch_size": batch_size, "batch_seconds": batch_seconds, "format": writer.name},
        audit_fallback=audit_note,
    )
    # --prune against another folder than the one the ledger was built from: refused before anything is read.
    current = InputRoot.of(input_identity or input_dir) if input_dir.is_dir() else None
    rooted = check_root(ledger, current, prune, input_moved) if current else RootCheck(prune_allowed=False)
    if rooted.refusal:
        audit.write("end", exit_code=EXIT_USAGE, error=rooted.refusal, seconds=round(time.monotonic() - t_start, 3))
        summary.environment_error = None
        usage_error(rooted.refusal, console)
        summary.exit_code, summary.message = EXIT_USAGE, rooted.refusal
        return summary
    summary.root_note = rooted.note
    ctx = RunContext(root, predictor, options, version, summary.run_id, ledger, audit, report,
                      summary, stop, output, writer, flush_seconds, time.monotonic())
    present: set[str] = set()
    try:
        unlisted: list[tuple[Path, OSError]] = []
        links: list[LinkNote] = []
        paths = discover(input_dir, unlisted, links)
        # Inputs that are not report files still get a row each: a folder that cannot be listed
        # (its reports would be missing without a word) and a JSONL record that cannot be used.
        extra = [unlisted_outcome(folder, err, root) for folder, err in unlisted]
        extra += [Outcome(path=input_dir, file=key, error=message, fault="file") for key, message in input_errors]
        summary.files_seen = len(paths) + len(extra)
        present = {relative_key(p, root) for p in paths} | {o.file for o in extra}
        hidden = tuple(o.file for o in extra if o.file.endswith("/"))  # unlisted folders ("./" = INPUT)
        summary.environment_error = empty_input(input_dir, paths, extra, input_identity)
        if not summary.environment_error:
            if rooted.record:
                ledger.set_input_root(current.path, current.mount)
                audit.write("input_root", path=current.path, mount=current.mount, note=rooted.note)
            report_links(ctx, links)
            vanished = vanished_by_hash(ledger, present, hidden) if input_dir.is_dir() else {}
            process_files(ctx, paths, reprocess, batch_size, batch_seconds, extra, vanished)
        summary.interrupted = bool(stop)
        if input_dir.is_dir() and not summary.interrupted and not summary.environment_error:
            if prune and rooted.prune_allowed:
                prune_vanished(ctx, present, hidden, bool(paths))
            drop_vanished_errors(ctx, present)
    except KeyboardInterrupt:  # a second Ctrl-C: stop now; the ledger rolled back what was open
        summary.interrupted = True
    if ledger.written_generation != ledger.generation:
        materialise(ledger, output, writer)
    _finish(ctx, present, t_start)
    if summary.environment_error and type(report) is Progress:  # --quiet still says why it stopped
        print_direct(f"pathx: error: {summary.environment_error}", console)
    return summary


def _rules_version(predictor) -> str | None:
    """The rule-set version for the audit log, without compiling a lazy bundle's rules."""
    if hasattr(predictor, "rules_version"):
        return predictor.rules_version
    return getattr(getattr(predictor, "engine", None), "version", None)


def _finish(ctx: RunContext, present: set[str], t_start: float) -> None:
    summary, stop = ctx.summary, ctx.stop
    entries = ctx.ledger.entries()
    summary.errors_in_output = sum(1 for f in present if f in entries and entries[f].status == "error")
    summary.rows = ctx.ledger.row_count()
    if summary.environment_error:
        summary.exit_code = EXIT_ENVIRONMENT
    elif summary.interrupted:
        summary.exit_code = EXIT_INTERRUPTED
    elif summary.errors_in_output or summary.failed:
        summary.exit_code = EXIT_FAILED
    summary.seconds = time.monotonic() - t_start
    summary.message = _summary_message(summary, stop)
    ctx.audit.write(
        "end",
        counts={"seen": summary.files_seen, "processed": summary.processed, "ok": summary.ok,
                "failed": summary.failed, "unchanged": summary.unchanged, "skipped": summary.skipped,
                "errors_in_output": summary.errors_in_output, "rows": summary.rows,
                "dropped": summary.dropped, "moved": summary.moved, "pruned": summary.pruned},
        exit_code=summary.exit_code, interrupted=summary.interrupted,
        signal=signal.Signals(stop.signum).name if stop else None, seconds=round(summary.seconds, 3),
    )
    ctx.report.finish(summary)


def _summary_message(s: RunSummary, stop: StopFlag) -> str:
    parts = [
        f"{s.files_seen} file(s): {s.processed} processed ({s.ok} ok, {s.failed} failed), "
        f"{s.unchanged} unchanged, {s.skipped} skipped",
        f"{s.rows} row(s) in {s.output}",
    ]
    if s.moved:
        parts.append(f"{s.moved} moved file(s) took over their old rows")
    if s.pruned:
        parts.append(f"{s.pruned} file(s) no longer in INPUT pruned")
    if s.prune_note:
        parts.append(s.prune_note)
    if s.root_note:
        parts.append(s.root_note)
    if s.errors_in_output:
        parts.append(f"{s.errors_in_output} file(s) with error rows")
    if s.interrupted:
        by = signal.Signals(stop.signum).name if stop else "a second Ctrl-C"
        parts.append(f"interrupted by {by}; rerun to continue")
    if s.environment_error:
        parts.insert(0, f"error: {s.environment_error}")
    parts.append(f"audit {s.audit}")
    return "; ".join(parts) + f"; exit {s.exit_code}"
