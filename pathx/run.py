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

Exit codes (EXIT_*): 0 all files ok; 3 at least one input file has an error row; 2 usage
error; 4 interrupted (rerun to continue); 75 another run holds the lock (EX_TEMPFAIL).

Decisions:
- The version key is the predictor version plus the ingest options (OCR mode, slicing), so a
  new bundle or rule set, or turning OCR on, reprocesses files.
- Files removed from the input folder keep their rows (the registry keeps what was read);
  error rows of removed files are dropped, as they hold no data.
- A failed file whose content could be hashed is not retried until it or the version key
  changes (an encrypted PDF stays encrypted); a file that could not even be read (permissions,
  vanished, not a regular file) is retried every run. Either way its error row stays in the
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
import errno
import fcntl
import hashlib
import os
import signal
import socket
import stat
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pathx
from pathx import output as out
from pathx.audit import AuditLog, default_audit_path, now_iso
from pathx.fsutil import atomic_write, file_sha256, remove_stale_temps
from pathx.ledger import MAX_CRASHES, Ledger, Record, ledger_path_for
from pathx.pipeline import FileResult, IngestOptions, discover, extract_file

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 4
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron wrappers retry later

# A batch also closes after this many seconds of reading, so slow OCR input commits often.
BATCH_SECONDS = 60.0
MAX_FILE_BYTES = 512 * 1024 * 1024  # larger files get an error row instead of being read into memory
KILL_ENV = "PATHX_TEST_KILL_AT"  # test hook: "point:n" SIGKILLs this process the n-th time at point


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
    skipped: int = 0  # skipped with a logged reason (directory, changed while read, ...)
    errors_in_output: int = 0  # input files whose current output row is an error (drives exit 3)
    rows: int = 0  # rows in the output file
    dropped: int = 0  # error rows of vanished files removed
    interrupted: bool = False
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
    rows: list[dict] = field(default_factory=list)
    predict_seconds: float = 0.0

    @property
    def status(self) -> str:
        return "skipped" if self.skip_reason else ("error" if self.error else "ok")


# --------------------------------------------------------------------------------------------
# lock


class RunLock:
    """fcntl lock on `.<output>.lock`; released by the kernel when the process dies, even by SIGKILL."""

    def __init__(self, output: Path):
        self.path = output.with_name(f".{output.name}.lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()} {now_iso()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            return "unknown"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock; the file stays (removing it would race)
            self._fd = None


# --------------------------------------------------------------------------------------------
# progress


class _Progress:
    def __init__(self, console=None):
        self.console = console

    def start(self, total: int, unchanged: int) -> None: ...
    def advance(self, outcome: Outcome) -> None: ...
    def note(self, text: str) -> None: ...
    def finish(self, summary: RunSummary) -> None: ...
    def close(self) -> None: ...


class _PlainProgress(_Progress):
    """One line per file on stderr: what cron mails and log files want."""

    def _print(self, text: str) -> None:
        stream = self.console.file if self.console is not None else sys.stderr
        print(text, file=stream, flush=True)

    def start(self, total: int, unchanged: int) -> None:
        self.total, self.done, self.t0 = total, 0, time.monotonic()
        self._print(f"pathx run: {total} file(s) to process, {unchanged} unchanged skipped")

    def advance(self, o: Outcome) -> None:
        self.done += 1
        rate = self.done / max(time.monotonic() - self.t0, 1e-6)
        eta = (self.total - self.done) / rate if rate > 0 else 0
        if o.status == "ok":
            r = o.result
            what = f"ok     {o.file} ({len(r.units)} specimen(s), {r.method}, {r.seconds:.2f}s)"
        elif o.status == "error":
            what = f"error  {o.error}"
        else:
            what = f"skip   {o.file}: {o.skip_reason}"
        self._print(f"[{self.done}/{self.total}] {what}  {rate:.2f} files/s ETA {_hms(eta)}")

    def note(self, text: str) -> None:
        self._print(f"pathx run: {text}")

    def finish(self, s: RunSummary) -> None:
        self._print(f"pathx run: {s.message}")


class _RichProgress(_PlainProgress):
    """A progress bar with files/s and ETA for people watching a terminal."""

    def start(self, total: int, unchanged: int) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)

        self.console = self.console or Console(stderr=True)
        self.total, self.done, self.t0 = total, 0, time.monotonic()
        self.bar = Progress(
            TextColumn("[bold]pathx run"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} files/s"), TextColumn("ETA"), TimeRemainingColumn(),
            TextColumn("{task.fields[last]}"), console=self.console, transient=False,
        )
        self.bar.start()
        self.task = self.bar.add_task("run", total=total, rate="-", last="")
        if unchanged:
            self.console.print(f"{unchanged} unchanged file(s) skipped", markup=False, highlight=False)

    def advance(self, o: Outcome) -> None:
        self.done += 1
        rate = self.done / max(time.monotonic() - self.t0, 1e-6)
        self.bar.update(self.task, advance=1, rate=f"{rate:.2f}", last=o.file[-40:])
        if o.status == "error":
            self.console.print(f"error  {o.error}", markup=False, highlight=False)
        elif o.status == "skipped":
            self.console.print(f"skip   {o.file}: {o.skip_reason}", markup=False, highlight=False)

    def note(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text, markup=False, highlight=False)
        else:
            super().note(text)

    def close(self) -> None:
        if getattr(self, "bar", None) is not None:
            self.bar.stop()
            self.bar = None

    def finish(self, s: RunSummary) -> None:
        self.close()
        if self.console is not None:
            self.console.print(f"pathx run: {s.message}", markup=False, highlight=False)
        else:
            super().finish(s)


def _make_progress(mode: str, console) -> _Progress:
    if mode == "auto":  # a person at a terminal gets a bar; cron and log files get lines
        tty = console.is_terminal if console is not None else sys.stderr.isatty()
        mode = "rich" if tty else "plain"
    return {"rich": _RichProgress, "plain": _PlainProgress, "quiet": _Progress}[mode](console)


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# --------------------------------------------------------------------------------------------
# signals and the kill hook


class _StopFlag:
    """SIGINT/SIGTERM set the flag (the run finishes its batch); a second SIGINT aborts at once."""

    def __init__(self):
        self.signum: int | None = None
        self._old: dict = {}

    def install(self) -> None:
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        except ValueError:  # not the main thread: a library caller handles signals itself
            self._old = {}

    def _handle(self, signum, frame) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # the ledger is transactional; aborting mid-batch is safe
        self.signum = signum

    def restore(self) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)

    def __bool__(self) -> bool:
        return self.signum is not None


_kill_counts: dict[str, int] = {}


def _kill_point(point: str) -> None:
    """Test hook: PATHX_TEST_KILL_AT=point:n SIGKILLs the process the n-th time it reaches point.

    Points: extract (a file is marked in flight, not yet read), commit (batch predicted, not
    committed), written (committed, output not rewritten), rows (output temp file half
    written), rename (temp file complete and synced, not renamed).
    """
    spec = os.environ.get(KILL_ENV)
    if not spec:
        return
    name, _, n = spec.partition(":")
    if name != point:
        return
    _kill_counts[point] = _kill_counts.get(point, 0) + 1
    if _kill_counts[point] == int(n or 1):
        os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------------------------
# per-file work


def _signature(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _os_cause(err: OSError) -> str:
    """An OS error as safe words: the errno text only, never the exception's full message."""
    if isinstance(err, FileNotFoundError):
        return "file disappeared before it could be read (removed or a broken symlink)"
    if err.errno == errno.ELOOP:
        return "symlink loop, cannot be resolved"
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, IsADirectoryError):
        return "is a directory"
    return f"cannot read file ({err.strerror or type(err).__name__})"


def _prepare(path: Path, rel: str, ledger: Ledger, version: str, reprocess: bool) -> Outcome:
    """Stat and hash one path; decide whether it needs processing (outcome has no result yet)."""
    o = Outcome(path=path, file=rel)
    try:
        st = path.stat()  # follows symlinks: a link to a report is processed as that report
    except OSError as err:
        o.error = f"{rel}: {_os_cause(err)}"
        return o
    if stat.S_ISDIR(st.st_mode):
        o.skip_reason = "a directory named like a report, not a file"
        return o
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket or device"
        o.error = f"{rel}: not a regular file ({kind})"  # opening a FIFO would block the run
        return o
    o.signature = _signature(st)
    entry = ledger.entry(rel)
    if not reprocess and entry and entry.version == version and entry.sha256 and entry.signature == o.signature:
        o.skip_reason = "unchanged"
        o.sha256 = entry.sha256
        return o
    if st.st_size == 0:
        o.sha256 = hashlib.sha256(b"").hexdigest()
        o.error = f"{rel}: empty file (0 bytes)"
        return o
    if st.st_size > MAX_FILE_BYTES:
        o.error = f"{rel}: file too large ({st.st_size // (1024 * 1024)} MiB > {MAX_FILE_BYTES // (1024 * 1024)} MiB)"
        return o
    try:
        o.sha256 = file_sha256(path)
    except OSError as err:
        o.error = f"{rel}: {_os_cause(err)}"
        return o
    if not reprocess and entry and entry.version == version and entry.sha256 == o.sha256:
        ledger.update_signature(rel, o.signature)  # touched or copied back: same content
        o.skip_reason = "unchanged"
    return o


def _safe_error(message: str, path: Path, rel: str) -> str:
    """A pipeline error message with the absolute path replaced by the relative one."""
    message = out.one_line(str(message).replace(str(path), rel))
    return message if rel in message else f"{rel}: {message}"


def _extract(o: Outcome, root: Path, engine, options: IngestOptions, ledger: Ledger) -> None:
    """Read, de-identify and segment one file into o.result or o.error."""
    if ledger.crashes(o.file, o.sha256) >= MAX_CRASHES:
        o.error = (f"{o.file}: pathx died {MAX_CRASHES} times while reading this file (out of memory, a parser "
                   "crash or a kill); skipped until the file changes")
        return
    ledger.mark_inflight(o.file, o.sha256)
    _kill_point("extract")
    try:
        res = extract_file(o.path, root, engine, options)
    except OSError as err:  # the file vanished or became unreadable after it was hashed
        o.error = f"{o.file}: {_os_cause(err)}"
        o.sha256 = None  # retried next run
        res = None
    except (MemoryError, RecursionError) as err:
        o.error = f"{o.file}: file too complex to read ({type(err).__name__})"
        res = None
    except Exception as err:  # a bug or a hostile file; the type only, its message may quote text
        o.error = f"{o.file}: internal error while reading ({type(err).__name__})"
        res = None
    ledger.clear_inflight(o.file)
    if res is not None:
        res.file = o.file
        o.result = res
        if res.error:
            o.error = _safe_error(res.error, o.path, o.file)
        elif not res.units:
            o.error = f"{o.file}: no report text found"
    # The content must not have changed while it was read, or the recorded hash would lie.
    try:
        changed = _signature(o.path.stat()) != o.signature
    except OSError:
        o.error, o.sha256 = f"{o.file}: file disappeared during the run", None  # retried
        return
    if changed:
        o.error, o.skip_reason = None, "changed while it was being read; will be processed next run"


def _predict(batch: list[Outcome], predictor) -> None:
    """Fill rows of the ok outcomes; a predictor failure is isolated to the files it hits."""
    todo = [o for o in batch if o.status == "ok"]
    units = [u for o in todo for u in o.result.units]
    if not units:
        return
    started = time.perf_counter()
    try:
        preds = predictor.predict(units)
        if len(preds) != len(units):
            raise RuntimeError("predictor returned the wrong number of predictions")
        groups, i = [], 0
        for o in todo:
            groups.append(preds[i : i + len(o.result.units)])
            i += len(o.result.units)
        per_file = list(zip(todo, groups))
    except Exception:
        per_file = [(o, None) for o in todo]  # retry file by file to find the one that fails
    elapsed = (time.perf_counter() - started) / max(len(todo), 1)
    for o, group in per_file:
        t0 = time.perf_counter()
        try:
            if group is None:
                group = predictor.predict(o.result.units)
            o.rows = [
                out.prediction_row(o.file, u.specimen, p, predictor.name) for u, p in zip(o.result.units, group)
            ]
        except Exception as err:
            o.error = f"{o.file}: prediction failed ({type(err).__name__})"
            o.sha256 = None  # not the file's fault: retried next run
            o.rows = []
        o.predict_seconds = elapsed + (time.perf_counter() - t0)


def _record_for(o: Outcome, bundle: str) -> Record:
    if o.error:
        return Record(o.file, o.sha256, "error", [out.error_row(o.file, o.error, bundle)],
                      o.signature if o.sha256 else None)
    return Record(o.file, o.sha256, "ok", o.rows, o.signature)


# --------------------------------------------------------------------------------------------
# output


def materialise(ledger: Ledger, output: Path, fmt: str) -> int:
    """Rewrite the output from the ledger, atomically; returns the number of rows."""
    generation = ledger.generation
    count = 0

    def write(fh):
        def rows():
            nonlocal count
            for i, row in enumerate(ledger.rows()):
                if i == 1:
                    fh.flush()  # the first row is on disk: a kill now leaves a half-written file
                    _kill_point("rows")
                count += 1
                yield row

        out.write_rows(fh, rows(), fmt)

    atomic_write(output, write, before_rename=lambda: _kill_point("rename"))
    ledger.mark_written(generation)
    return count


def version_key(predictor, options: IngestOptions) -> str:
    """What the ledger compares besides the content hash: predictor version + ingest options."""
    opts = dataclasses.asdict(options)
    opts.pop("tasks", None)
    return f"{predictor.version}|" + ",".join(f"{k}={opts[k]}" for k in sorted(opts))


def _usage(message: str, console) -> RunSummary:
    summary = RunSummary(exit_code=EXIT_USAGE, message=message)
    _print_direct(f"pathx run: error: {message}", console)
    return summary


def _print_direct(text: str, console) -> None:
    stream = console.file if console is not None else sys.stderr
    print(text, file=stream, flush=True)


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
) -> RunSummary:
    """Process every report under `input_dir` into `output` (.csv or .jsonl). See the module doc."""
    t_start = time.monotonic()
    options = options or IngestOptions()
    input_dir, output = Path(input_dir), Path(output)
    try:
        fmt = out.output_format(output)
    except ValueError as err:
        return _usage(str(err), console)
    if not input_dir.exists():
        return _usage(f"{input_dir}: input folder does not exist", console)
    if batch_size < 1:
        return _usage("batch size must be at least 1", console)
    output.parent.mkdir(parents=True, exist_ok=True)
    ledger_path = ledger_path_for(output)
    if output.exists() and output.stat().st_size > 0 and not ledger_path.exists():
        return _usage(
            f"{output} exists but was not written by pathx run (no ledger {ledger_path.name} beside it); "
            "move it away or choose another output", console)

    lock = RunLock(output)
    if not lock.acquire():
        message = f"another pathx run is writing {output} (lock {lock.path} held by {lock.holder()}); exiting"
        _print_direct(f"pathx run: {message}", console)
        return RunSummary(exit_code=EXIT_LOCKED, message=message, output=output)

    run_id = uuid.uuid4().hex
    stop = _StopFlag()
    ledger = Ledger.open(ledger_path)
    audit = AuditLog(audit_path or default_audit_path(run_id), run_id)
    summary = RunSummary(exit_code=EXIT_OK, run_id=run_id, output=output, ledger=ledger_path, audit=audit.path)
    report = _make_progress(progress, console)
    try:
        stop.install()
        remove_stale_temps(output)
        # A kill between a ledger commit and the rename leaves the output one commit behind.
        if ledger.written_generation != ledger.generation or not output.exists():
            materialise(ledger, output, fmt)

        engine = getattr(predictor, "engine", None)
        version = version_key(predictor, options)
        root = input_dir if input_dir.is_dir() else input_dir.parent
        audit.write(
            "start", pathx_version=pathx.__version__, predictor=predictor.name,
            predictor_version=predictor.version, rules_version=getattr(engine, "version", None),
            host=socket.gethostname(), pid=os.getpid(), input=str(input_dir.resolve()),
            output=str(output.resolve()), ledger=str(ledger_path), version_key=version,
            options={**dataclasses.asdict(options), "reprocess": reprocess, "batch_size": batch_size,
                     "batch_seconds": batch_seconds, "format": fmt},
        )
        ctx = _RunContext(root, engine, predictor, options, version, run_id, ledger, audit, report,
                          summary, stop, output, fmt, flush_seconds, time.monotonic())
        present: set[str] = set()
        try:
            paths = discover(input_dir)
            summary.files_seen = len(paths)
            present = {_relative(p, root) for p in paths}
            _process(ctx, paths, reprocess, batch_size, batch_seconds)
            summary.interrupted = bool(stop)
            if input_dir.is_dir() and not summary.interrupted:
                _drop_vanished_errors(ctx, present)
        except KeyboardInterrupt:  # a second Ctrl-C: stop now; the ledger rolled back what was open
            summary.interrupted = True
        if ledger.written_generation != ledger.generation:
            materialise(ledger, output, fmt)
        _finish(ctx, present, t_start)
        return summary
    finally:
        report.close()
        stop.restore()
        audit.close()
        ledger.close()
        lock.release()


@dataclass
class _RunContext:
    """What the stages of one run share."""

    root: Path
    engine: object
    predictor: object
    options: IngestOptions
    version: str
    run_id: str
    ledger: Ledger
    audit: AuditLog
    report: _Progress
    summary: RunSummary
    stop: _StopFlag
    output: Path
    fmt: str
    flush_seconds: float
    last_flush: float


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def _process(ctx: _RunContext, paths: list[Path], reprocess: bool, batch_size: int,
             batch_seconds: float) -> None:
    summary = ctx.summary
    # Cheap pass first (stat, hash only when the stat changed) so the progress total is real work.
    todo: list[Outcome] = []
    for path in paths:
        o = _prepare(path, _relative(path, ctx.root), ctx.ledger, ctx.version, reprocess)
        if o.skip_reason == "unchanged":
            summary.unchanged += 1
        else:
            todo.append(o)
    ctx.report.start(len(todo), summary.unchanged)

    # A batch closes at batch_size files or after batch_seconds of reading, whichever comes
    # first: fast text input gets long length-sorted batches, slow OCR input still commits often.
    pending = iter(todo)
    while not ctx.stop:
        batch: list[Outcome] = []
        opened = time.monotonic()
        for o in pending:
            if o.status == "ok":
                _extract(o, ctx.root, ctx.engine, ctx.options, ctx.ledger)
            batch.append(o)
            if len(batch) >= batch_size or ctx.stop or time.monotonic() - opened >= batch_seconds:
                break  # on a stop: finish the batch with what is read; the rest waits for the next run
        if not batch:
            break
        _predict(batch, ctx.predictor)
        _commit_batch(ctx, batch, interrupted=bool(ctx.stop))


def _commit_batch(ctx: _RunContext, batch: list[Outcome], interrupted: bool) -> None:
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
            records.append(_record_for(o, ctx.predictor.name))
            committed.append(o)
            summary.processed += 1
            summary.failed += bool(o.error)
            summary.ok += not o.error
        ctx.report.advance(o)
    _kill_point("commit")
    if records:
        ctx.ledger.record(records, ctx.version, ctx.run_id)
        for o in committed:  # audited once committed: a killed batch leaves no false claims
            _audit_file(ctx.audit, o)
        _kill_point("written")
        if time.monotonic() - ctx.last_flush >= ctx.flush_seconds:
            materialise(ctx.ledger, ctx.output, ctx.fmt)
            ctx.last_flush = time.monotonic()


def _drop_vanished_errors(ctx: _RunContext, present: set[str]) -> None:
    """Error rows of files no longer in the input hold no data: drop them (ok rows stay)."""
    gone = [f for f, e in ctx.ledger.entries().items() if e.status == "error" and f not in present]
    if gone:
        ctx.ledger.drop(gone)
        ctx.summary.dropped = len(gone)
        ctx.audit.write("dropped", files=gone, reason="error rows of files no longer in the input folder")
        materialise(ctx.ledger, ctx.output, ctx.fmt)


def _finish(ctx: _RunContext, present: set[str], t_start: float) -> None:
    summary, stop = ctx.summary, ctx.stop
    entries = ctx.ledger.entries()
    summary.errors_in_output = sum(1 for f in present if f in entries and entries[f].status == "error")
    summary.rows = ctx.ledger.row_count()
    if summary.interrupted:
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
                "dropped": summary.dropped},
        exit_code=summary.exit_code, interrupted=summary.interrupted,
        signal=signal.Signals(stop.signum).name if stop else None, seconds=round(summary.seconds, 3),
    )
    ctx.report.finish(summary)


def _audit_file(audit: AuditLog, o: Outcome) -> None:
    r = o.result
    audit.write(
        "file", file=o.file, sha256=o.sha256, status="error" if o.error else "ok", error=o.error,
        method=r.method if r else None, pages=r.pages if r else 0,
        specimens=len(o.rows), warnings=list(r.warnings) if r else [],
        seconds={"read": round(r.seconds, 4) if r else 0.0, "predict": round(o.predict_seconds, 4)},
    )


def _summary_message(s: RunSummary, stop: _StopFlag) -> str:
    parts = [
        f"{s.files_seen} file(s): {s.processed} processed ({s.ok} ok, {s.failed} failed), "
        f"{s.unchanged} unchanged, {s.skipped} skipped",
        f"{s.rows} row(s) in {s.output}",
    ]
    if s.errors_in_output:
        parts.append(f"{s.errors_in_output} file(s) with error rows")
    if s.interrupted:
        by = signal.Signals(stop.signum).name if stop else "a second Ctrl-C"
        parts.append(f"interrupted by {by}; rerun to continue")
    parts.append(f"audit {s.audit}")
    return "; ".join(parts) + f"; exit {s.exit_code}"
