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
error; 4 interrupted (rerun to continue); 5 environment fault (rules, model, OCR, permissions,
disk; or the first ENV_STOP_AFTER files all hit one); 6 damaged ledger (rebuild_ledger=True);
75 another run holds the lock (EX_TEMPFAIL). Fatal faults are one `pathx: error:` line.

Fault kinds (Outcome.fault): a "file" fault is in the file's content and is kept against its
hash until it changes; an "environment" fault (errors.EnvironmentFault: missing OCR engine,
rules, permission...) is recorded without a hash, so the file is retried on the next run.
Budgets: `file_timeout` seconds per file's reading (SIGALRM, main thread only); a SIGINT or
SIGTERM while a file is read abandons that file at once (it is read again next run).
File keys are relative paths escaped by names.escape_name (bytes that are not UTF-8, control
characters), the same in the ledger, output, audit log and console.

Decisions:
- The version key is the predictor version plus the ingest options (OCR mode, slicing), so a
  new bundle or rule set, or turning OCR on, reprocesses files.
- Files removed from the input folder keep their rows (the registry keeps what was read);
  error rows of removed files are dropped, as they hold no data. With `prune=True` (--prune)
  every row of a file no longer under INPUT goes, after a complete run only, never for files
  under a folder that could not be listed, and never when INPUT holds no report at all (an
  unmounted share would otherwise empty the output).
- A file moved or renamed inside INPUT (a new or changed path whose content hash equals that of
  a vanished path) takes over the vanished path's rows: it is read as usual and its record
  deletes the old key's rows in the same transaction (Record.replaces), so a kill never leaves
  both or neither. Each vanished path is taken over at most once (two copies moved: two pairs).
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

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import os
import signal
import socket
import sqlite3
import stat
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pathx
from pathx.outputs import rows as out
from pathx.run.audit import AuditLog, default_audit_path, now_iso
from pathx.errors import EnvironmentFault, RuleFileError
from pathx.fsutil import atomic_write, file_sha256, remove_stale_temps
from pathx.run.ledger import MAX_CRASHES, Ledger, Record, ledger_path_for
from pathx.outputs.names import escape_name, safe_text, unescape_name
from pathx.ingestion.pipeline import FileResult, IngestOptions, discover, extract_file

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 4
EXIT_ENVIRONMENT = 5  # the machine, not the reports: rules/model/OCR missing, permissions, disk full
EXIT_LEDGER = 6  # the ledger is damaged; rerun with --rebuild-ledger
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron wrappers retry later

# When the first this-many files of a run (or all of them, if fewer) all fail with an
# environment fault, the run stops: the next ones would fail the same way.
ENV_STOP_AFTER = 5

# A batch also closes after this many seconds of reading, so slow OCR input commits often.
BATCH_SECONDS = 60.0
# Wall-clock budget for reading one file (PDF parsing, OCR, de-identification, rule hints); a
# file over it gets an error row and the run goes on. A long scanned report takes ~1 min.
FILE_TIMEOUT = 300.0
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
    moved: int = 0  # files that took over the rows of a vanished file with the same content
    pruned: int = 0  # files no longer under INPUT whose rows --prune removed
    prune_note: str | None = None  # why --prune removed nothing although files vanished
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
    rows: list[dict] = field(default_factory=list)
    predict_seconds: float = 0.0
    replaces: str | None = None  # key of a vanished file with this content (a move): its rows go

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


# Plain (cron, log file) mode prints a progress line at most this often; errors and skips always.
PROGRESS_SECONDS = 10.0


class _Progress:
    """Progress of one run. `tick` comes once per file as soon as it is read (so the rate and ETA
    are real, not per batch); `advance` once per file when its batch is committed, which only
    adds what changed since the tick (a prediction failure, a file left for the next run)."""

    def __init__(self, console=None):
        self.console = console

    def start(self, total: int, unchanged: int) -> None: ...
    def tick(self, outcome: Outcome) -> None: ...
    def advance(self, outcome: Outcome) -> None: ...
    def note(self, text: str) -> None: ...
    def finish(self, summary: RunSummary) -> None: ...
    def close(self) -> None: ...

    def _count(self) -> tuple[float, float]:
        """(files/s over this run's files so far, seconds left at that rate)."""
        self.done += 1
        rate = self.done / max(time.monotonic() - self.t0, 1e-6)
        return rate, (self.total - self.done) / rate

    @staticmethod
    def _what(o: Outcome) -> str:
        """What happened to a file, in one line: its escaped name and counts, never its text."""
        if o.status == "ok":
            r = o.result
            return f"ok     {o.file} ({len(r.units)} specimen(s), {r.method}, {r.seconds:.2f}s)"
        if o.status == "error":
            return f"error  {o.error}"
        return f"skip   {o.file}: {o.skip_reason}"

    @staticmethod
    def _shown(o: Outcome) -> tuple:
        return (o.status, o.error, o.skip_reason)


class _PlainProgress(_Progress):
    """Lines on stderr, what cron mails and log files want: every error and skip, and a progress
    line with files/s and ETA at most every PROGRESS_SECONDS (and for the first and last file)."""

    def _print(self, text: str) -> None:
        stream = self.console.file if self.console is not None else sys.stderr
        print(text, file=stream, flush=True)

    def start(self, total: int, unchanged: int) -> None:
        self.total, self.done, self.t0, self.last = total, 0, time.monotonic(), float("-inf")
        self.shown: dict[int, tuple] = {}
        self._print(f"pathx run: {total} file(s) to process, {unchanged} unchanged skipped")

    def tick(self, o: Outcome) -> None:
        rate, eta = self._count()
        now = time.monotonic()
        self.shown[id(o)] = self._shown(o)
        if o.status != "ok" or self.done in (1, self.total) or now - self.last >= PROGRESS_SECONDS:
            self.last = now
            self._print(f"[{self.done}/{self.total}] {self._what(o)}  {rate:.2f} files/s ETA {_hms(eta)}")

    def advance(self, o: Outcome) -> None:
        if self.shown.pop(id(o), None) != self._shown(o):  # changed after it was read (or not ticked)
            self._print(self._what(o))

    def note(self, text: str) -> None:
        self._print(f"pathx run: {text}")

    def finish(self, s: RunSummary) -> None:
        self._print(f"pathx run: {s.message}")


class _RichProgress(_PlainProgress):
    """A progress bar with files/s and ETA, moved per file, for people watching a terminal."""

    def start(self, total: int, unchanged: int) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)

        self.console = self.console or Console(stderr=True)
        self.total, self.done, self.t0 = total, 0, time.monotonic()
        self.shown = {}
        self.bar = Progress(
            TextColumn("[bold]pathx run"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} files/s"), TextColumn("ETA"), TimeRemainingColumn(),
            TextColumn("{task.fields[last]}"), console=self.console, transient=False,
        )
        self.bar.start()
        self.task = self.bar.add_task("run", total=total, rate="-", last="")
        if unchanged:
            self.console.print(f"{unchanged} unchanged file(s) skipped", markup=False, highlight=False)

    def tick(self, o: Outcome) -> None:
        from rich.markup import escape

        rate, _ = self._count()
        self.bar.update(self.task, advance=1, rate=f"{rate:.2f}", last=escape(o.file[-40:]))  # no markup
        self.shown[id(o)] = self._shown(o)
        if o.status != "ok":
            self.console.print(self._what(o), markup=False, highlight=False)

    def advance(self, o: Outcome) -> None:
        if self.shown.pop(id(o), None) != self._shown(o):
            self.console.print(self._what(o), markup=False, highlight=False)

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


class _StopNow(BaseException):
    """Raised inside a file's reading by SIGINT/SIGTERM: the file is left for the next run.

    A BaseException, so no `except Exception` in a parser swallows it."""


class _FileTimeout(BaseException):
    """Raised inside a file's reading when it runs past the per-file budget (SIGALRM)."""


class _StopFlag:
    """SIGINT/SIGTERM set the flag (the run finishes its batch); a second SIGINT aborts at once.

    While a file is being read (`reading`), the signal also abandons that file at once
    (_StopNow), so a slow or hostile file cannot keep cron's `timeout` waiting; it is read again
    on the next run. SIGALRM is the per-file budget (`file_timeout` seconds, 0 = none).
    """

    def __init__(self, file_timeout: float = 0.0):
        self.signum: int | None = None
        self.reading = False
        self.file_timeout = file_timeout
        self._old: dict = {}

    def install(self) -> None:
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
            if self.file_timeout > 0:
                self._old[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._alarm)
        except ValueError:  # not the main thread: a library caller handles signals itself
            self._old = {}
            self.file_timeout = 0.0  # SIGALRM cannot be used either

    def _handle(self, signum, frame) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # the ledger is transactional; aborting mid-batch is safe
        self.signum = signum
        if self.reading:
            self.reading = False
            raise _StopNow

    def _alarm(self, signum, frame) -> None:
        if self.reading:
            self.reading = False
            raise _FileTimeout

    @contextlib.contextmanager
    def file(self):
        """Around one file's reading: signals and the budget interrupt it."""
        if self.signum is not None:
            raise _StopNow
        self.reading = True
        if self.file_timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, self.file_timeout)
        try:
            yield
        finally:
            self.reading = False
            if self.file_timeout > 0:
                signal.setitimer(signal.ITIMER_REAL, 0)

    def restore(self) -> None:
        if signal.SIGALRM in self._old:
            signal.setitimer(signal.ITIMER_REAL, 0)
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


def _fail_os(o: Outcome, err: OSError) -> None:
    """A file that cannot be reached: retried every run (no hash); permissions are the machine's fault."""
    o.error, o.sha256 = f"{o.file}: {_os_cause(err)}", None
    o.fault = "environment" if isinstance(err, PermissionError) else "file"


def _environment(o: Outcome, cause: str) -> None:
    """Mark an environment fault: never cached against the file's hash, so retried next run."""
    o.error = f"{o.file}: {cause}; retried on the next run"
    o.fault, o.sha256 = "environment", None


def _prepare(path: Path, rel: str, ledger: Ledger, version: str, reprocess: bool) -> Outcome:
    """Stat and hash one path; decide whether it needs processing (outcome has no result yet)."""
    o = Outcome(path=path, file=rel)
    try:
        st = path.stat()  # follows symlinks: a link to a report is processed as that report
    except OSError as err:
        _fail_os(o, err)
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
        _fail_os(o, err)
        return o
    if not reprocess and entry and entry.version == version and entry.sha256 == o.sha256:
        ledger.update_signature(rel, o.signature)  # touched or copied back: same content
        o.skip_reason = "unchanged"
    return o


def _safe_message(message: str, path: Path, rel: str) -> str:
    """A pipeline message with the absolute path and raw names replaced by the escaped relative name."""
    message = str(message).replace(str(path), rel)
    raw = unescape_name(rel)
    if raw != rel:
        message = message.replace(raw, rel).replace(path.name, escape_name(path.name))
    return safe_text(message)


def _safe_error(message: str, path: Path, rel: str) -> str:
    """A pipeline error message with the absolute path replaced by the relative one."""
    message = out.one_line(_safe_message(message, path, rel))
    return message if rel in message else f"{rel}: {message}"


def _extract(o: Outcome, root: Path, engine, options: IngestOptions, ledger: Ledger,
             stop: _StopFlag | None = None) -> None:
    """Read, de-identify and segment one file into o.result or o.error."""
    if ledger.crashes(o.file, o.sha256) >= MAX_CRASHES:
        o.error = (f"{o.file}: pathx died {MAX_CRASHES} times while reading this file (out of memory, a parser "
                   "crash or a kill); skipped until the file changes")
        return
    ledger.mark_inflight(o.file, o.sha256)
    _kill_point("extract")
    stop = stop if stop is not None else _StopFlag()  # (a _StopFlag is falsy until a signal came)
    try:
        with stop.file():
            res = extract_file(o.path, root, engine, options)
    except _StopNow:  # SIGINT/SIGTERM while reading: leave this file to the next run
        ledger.clear_inflight(o.file)
        o.skip_reason = "interrupted while being read; will be processed next run"
        return
    except _FileTimeout:
        o.error = (f"{o.file}: reading took longer than the per-file budget of {stop.file_timeout:g} s "
                   "(--file-timeout); skipped until the file changes")
        o.fault = "file"
        res = None
    except RuleFileError as err:  # rules missing or broken (PATHX_RULES_DIR on an unmounted disk)
        _environment(o, f"rule files unusable ({safe_text(out.one_line(str(err)))})")
        res = None
    except EnvironmentFault as err:
        _environment(o, safe_text(out.one_line(str(err))))
        res = None
    except OSError as err:  # the file vanished or became unreadable after it was hashed
        _fail_os(o, err)
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
        res.warnings = [_safe_message(w, o.path, o.file) for w in res.warnings]
        o.result = res
        if res.error:
            o.error = _safe_error(res.error, o.path, o.file)
            o.fault = res.fault or "file"
            if o.fault == "environment":
                o.error += "; retried on the next run"
                o.sha256 = None
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
    except EnvironmentFault:
        raise  # the model cannot be loaded: no file can be predicted, the run stops (exit 5)
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
        except EnvironmentFault:
            raise
        except Exception as err:
            o.error = f"{o.file}: prediction failed ({type(err).__name__})"
            o.sha256 = None  # not the file's fault: retried next run
            o.fault = "environment"
            o.rows = []
        o.predict_seconds = elapsed + (time.perf_counter() - t0)


def _record_for(o: Outcome, bundle: str) -> Record:
    # Only a file whose content was read and hashed takes over a moved file's rows; a passing
    # failure (no hash) leaves the old rows where they are.
    replaces = o.replaces if o.sha256 else None
    if o.error:
        return Record(o.file, o.sha256, "error", [out.error_row(o.file, o.error, bundle)],
                      o.signature if o.sha256 else None, replaces)
    return Record(o.file, o.sha256, "ok", o.rows, o.signature, replaces)


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


def _fatal(code: int, message: str, console, summary: RunSummary | None = None) -> RunSummary:
    """A run that cannot go on: one line `pathx: error: ...` (printed even with --quiet), code 5 or 6."""
    message = safe_text(out.one_line(message, limit=600))
    summary = summary or RunSummary(exit_code=code)
    summary.exit_code, summary.message = code, message
    _print_direct(f"pathx: error: {message}", console)
    return summary


def _print_direct(text: str, console) -> None:
    stream = console.file if console is not None else sys.stderr
    print(text, file=stream, flush=True)


def _os_problem(err: OSError, what: str) -> str:
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


def _open_audit(audit_path, run_id: str, output: Path) -> tuple[AuditLog, str | None]:
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
            raise EnvironmentFault(_os_problem(err, "cannot write the audit log in PATHX_LOG_DIR")
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
            raise EnvironmentFault(_os_problem(err, "cannot write the audit log")
                                   + "; set PATHX_LOG_DIR to a writable folder or pass --audit FILE") from None


def _open_ledger(ledger_path: Path, output: Path, fmt: str, rebuild: bool, console) -> tuple[Ledger, str | None]:
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
    kept = rebuild_from_output(ledger, output, fmt)
    return ledger, f"ledger rebuilt from {output.name} ({kept} row(s) kept); the damaged one is {aside.name}"


class LedgerDamaged(Exception):
    """The ledger cannot be read (exit 6)."""


def rebuild_from_output(ledger: Ledger, output: Path, fmt: str) -> int:
    """Fill a new ledger with the rows the output file shows, marked to be processed again.

    Rows are recorded with no content hash and an empty version key, so every file still in
    the input is read again and its rows replaced; rows of files that are gone stay.
    """
    if not output.exists() or output.stat().st_size == 0:
        return 0
    by_file: dict[str, list[dict]] = {}
    for row in out.read_rows(output):
        if fmt == "csv":  # CSV holds strings: back to the row types
            row = {k: (None if v == "" else v) for k, v in row.items()}
            for k, v in row.items():
                if k.endswith("_confidence") and v is not None:
                    row[k] = float(v)
            row["needs_review"] = row.get("needs_review") == "true"
        by_file.setdefault(row["file"], []).append(row)
    records = [Record(f, None, "error" if any(r.get("status") == "error" for r in rows) else "ok", rows)
               for f, rows in by_file.items()]
    ledger.record(records, "", "rebuild")
    return sum(len(r.rows) for r in records)


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
) -> RunSummary:
    """Process every report under `input_dir` into `output` (.csv or .jsonl). See the module doc.

    `predictor` may load its model lazily (on its first predict): the lock, the output checks and
    the unchanged-file pass all happen before that. `input_errors` are (key, message) pairs for
    inputs that are not files (bad JSONL records, pipeline.reports_folder): each gets an error row.
    """
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
    if prune and not input_dir.is_dir():
        return _usage("--prune needs a folder (or .jsonl) as INPUT, not a single report file", console)
    ledger_path = ledger_path_for(output)
    try:
        if output.exists() and output.stat().st_size > 0 and not ledger_path.exists():
            return _usage(
                f"{output} exists but was not written by pathx run (no ledger {ledger_path.name} beside it); "
                "move it away or choose another output", console)
        output.parent.mkdir(parents=True, exist_ok=True)
        lock = RunLock(output)
        if not lock.acquire():
            message = f"another pathx run is writing {output} (lock {lock.path} held by {lock.holder()}); exiting"
            _print_direct(f"pathx run: {message}", console)
            return RunSummary(exit_code=EXIT_LOCKED, message=message, output=output)
    except OSError as err:
        return _fatal(EXIT_ENVIRONMENT, _os_problem(err, "cannot use the output folder"), console)

    summary = RunSummary(exit_code=EXIT_OK, output=output, ledger=ledger_path)
    ledger = audit = None
    report = _Progress()
    stop = _StopFlag(file_timeout)
    try:
        ledger, note = _open_ledger(ledger_path, output, fmt, rebuild_ledger, console)
        if note:
            _print_direct(f"pathx run: {note}", console)
        summary.run_id = run_id = uuid.uuid4().hex
        audit, audit_note = _open_audit(audit_path, run_id, output)
        summary.audit = audit.path
        if audit_note and progress != "quiet":
            _print_direct(f"pathx run: {audit_note}", console)
        report = _make_progress(progress, console)
        return _run_locked(input_dir, output, fmt, predictor, options, reprocess, batch_size, batch_seconds,
                           flush_seconds, summary, ledger, audit, report, stop, audit_note, t_start, console,
                           input_errors or [], prune)
    except LedgerDamaged as err:
        report.close()
        return _fatal(EXIT_LEDGER, str(err), console, summary)
    except EnvironmentFault as err:
        report.close()
        return _fatal(EXIT_ENVIRONMENT, str(err), console, summary)
    except OSError as err:
        report.close()
        return _fatal(EXIT_ENVIRONMENT, _os_problem(err, "cannot write the run's files"), console, summary)
    except sqlite3.Error as err:  # disk full or read-only while committing; the transaction rolled back
        report.close()
        cause = " ".join(str(err).split())[:200]  # sqlite's own words; they never hold report text
        if "malformed" in cause or "not a database" in cause:
            return _fatal(EXIT_LEDGER, f"the ledger {ledger_path} is damaged ({cause}); rerun with --rebuild-ledger",
                          console, summary)
        return _fatal(EXIT_ENVIRONMENT, f"the ledger {ledger_path} cannot be written ({cause}); "
                      "free space or fix its permissions and rerun (nothing committed is lost)", console, summary)
    finally:
        report.close()
        stop.restore()
        if audit is not None and summary.exit_code in (EXIT_LEDGER, EXIT_ENVIRONMENT) and not summary.environment_error:
            try:  # a fatal fault mid-run: the audit log still says how the run ended
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
        lock.release()


def _run_locked(input_dir, output, fmt, predictor, options, reprocess, batch_size, batch_seconds, flush_seconds,
                summary, ledger, audit, report, stop, audit_note, t_start, console, input_errors,
                prune=False) -> RunSummary:
    """The run itself, under the lock, with the ledger and audit log open."""
    stop.install()
    remove_stale_temps(output)
    # A kill between a ledger commit and the rename leaves the output one commit behind.
    if ledger.written_generation != ledger.generation or not output.exists():
        materialise(ledger, output, fmt)

    version = version_key(predictor, options)
    root = input_dir if input_dir.is_dir() else input_dir.parent
    audit.write(
        "start", pathx_version=pathx.__version__, predictor=predictor.name,
        predictor_version=predictor.version, rules_version=_rules_version(predictor),
        host=socket.gethostname(), pid=os.getpid(), input=str(input_dir.resolve()),
        output=str(output.resolve()), ledger=str(summary.ledger), version_key=version,
        options={**dataclasses.asdict(options), "reprocess": reprocess, "prune": prune, "batch_size": batch_size,
                 "batch_seconds": batch_seconds, "format": fmt},
        audit_fallback=audit_note,
    )
    ctx = _RunContext(root, predictor, options, version, summary.run_id, ledger, audit, report,
                      summary, stop, output, fmt, flush_seconds, time.monotonic())
    present: set[str] = set()
    try:
        unlisted: list[tuple[Path, OSError]] = []
        paths = discover(input_dir, unlisted)
        # Inputs that are not report files still get a row each: a folder that cannot be listed
        # (its reports would be missing without a word) and a JSONL record that cannot be used.
        extra = [_unlisted_outcome(folder, err, root) for folder, err in unlisted]
        extra += [Outcome(path=input_dir, file=key, error=message, fault="file") for key, message in input_errors]
        summary.files_seen = len(paths) + len(extra)
        present = {_relative(p, root) for p in paths} | {o.file for o in extra}
        hidden = tuple(o.file for o in extra if o.file.endswith("/"))  # unlisted folders ("./" = INPUT)
        vanished = _vanished(ledger, present, hidden) if input_dir.is_dir() else {}
        _process(ctx, paths, reprocess, batch_size, batch_seconds, extra, vanished)
        summary.interrupted = bool(stop)
        if input_dir.is_dir() and not summary.interrupted and not summary.environment_error:
            if prune:
                _prune(ctx, present, hidden, bool(paths))
            _drop_vanished_errors(ctx, present)
    except KeyboardInterrupt:  # a second Ctrl-C: stop now; the ledger rolled back what was open
        summary.interrupted = True
    if ledger.written_generation != ledger.generation:
        materialise(ledger, output, fmt)
    _finish(ctx, present, t_start)
    if summary.environment_error and type(report) is _Progress:  # --quiet still says why it stopped
        _print_direct(f"pathx: error: {summary.environment_error}", console)
    return summary


@dataclass
class _RunContext:
    """What the stages of one run share."""

    root: Path
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


def _rules_version(predictor) -> str | None:
    """The rule-set version for the audit log, without compiling a lazy bundle's rules."""
    if hasattr(predictor, "rules_version"):
        return predictor.rules_version
    return getattr(getattr(predictor, "engine", None), "version", None)


def _relative(path: Path, root: Path) -> str:
    """The `file` key: path relative to the input folder, escaped (names.escape_name)."""
    return escape_name(path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name)


def _unlisted_outcome(folder: Path, err: OSError, root: Path) -> Outcome:
    """An error row for a folder whose reports could not be listed (retried every run)."""
    rel = _relative(folder, root) if folder != root else "."
    o = Outcome(path=folder, file=f"{rel}/")
    cause = "permission denied" if isinstance(err, PermissionError) else (err.strerror or type(err).__name__)
    o.error = f"{o.file}: cannot list this folder ({cause}); the reports in it were not read"
    o.fault = "environment" if isinstance(err, PermissionError) else "file"
    return o


def _process(ctx: _RunContext, paths: list[Path], reprocess: bool, batch_size: int,
             batch_seconds: float, extra: list[Outcome] = (), vanished: dict[str, list[str]] | None = None) -> None:
    summary = ctx.summary
    # Cheap pass first (stat, hash only when the stat changed) so the progress total is real work.
    todo: list[Outcome] = list(extra)
    for path in paths:
        o = _prepare(path, _relative(path, ctx.root), ctx.ledger, ctx.version, reprocess)
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
                _extract(o, ctx.root, getattr(ctx.predictor, "engine", None), ctx.options, ctx.ledger, ctx.stop)
            batch.append(o)
            ctx.report.tick(o)  # per file, as it is read: a real rate and ETA
            summary.environment_error = env_streak.see(o)
            if (len(batch) >= batch_size or ctx.stop or summary.environment_error
                    or time.monotonic() - opened >= batch_seconds):
                break  # on a stop: finish the batch with what is read; the rest waits for the next run
        if not batch:
            break
        _predict(batch, ctx.predictor)
        _commit_batch(ctx, batch, interrupted=bool(ctx.stop))


class _EnvStreak:
    """Stop a run whose first files all fail with an environment fault (the rest would too)."""

    def __init__(self, needed: int):
        self.needed, self.count, self.broken = needed, 0, False

    def see(self, o: Outcome) -> str | None:
        if self.broken or o.skip_reason:
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
        summary.moved += sum(1 for r in records if r.replaces)
        for o in committed:  # audited once committed: a killed batch leaves no false claims
            _audit_file(ctx.audit, o)
        _kill_point("written")
        if time.monotonic() - ctx.last_flush >= ctx.flush_seconds:
            materialise(ctx.ledger, ctx.output, ctx.fmt)
            ctx.last_flush = time.monotonic()


def _under(file: str, folders: tuple[str, ...]) -> bool:
    """Is `file` inside one of the folders (keys ending in '/', './' = INPUT) that could not be listed?"""
    return any(f == "./" or file.startswith(f) for f in folders)


def _vanished(ledger: Ledger, present: set[str], hidden: tuple[str, ...]) -> dict[str, list[str]]:
    """Content hash -> keys (sorted) of ledger files no longer under INPUT: candidates a moved file takes over."""
    by_hash: dict[str, list[str]] = {}
    for f, e in sorted(ledger.entries().items()):
        if f not in present and e.sha256 and not f.endswith("/") and not _under(f, hidden):
            by_hash.setdefault(e.sha256, []).append(f)
    return by_hash


def _prune(ctx: _RunContext, present: set[str], hidden: tuple[str, ...], found_any: bool) -> None:
    """--prune: remove the rows of every file no longer under INPUT (one transaction)."""
    gone = [f for f in sorted(ctx.ledger.entries()) if f not in present and not _under(f, hidden)]
    if not gone:
        return
    if not found_any:
        ctx.summary.prune_note = (f"--prune removed nothing: INPUT holds no report file (unmounted?) and the "
                                  f"output has {len(gone)} file(s)")
        ctx.audit.write("prune_refused", files=len(gone), reason="no report file under INPUT")
        return
    ctx.ledger.drop(gone)
    ctx.summary.pruned = len(gone)
    ctx.audit.write("pruned", files=gone, reason="--prune: no longer under INPUT")
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


def _summary_message(s: RunSummary, stop: _StopFlag) -> str:
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
    if s.errors_in_output:
        parts.append(f"{s.errors_in_output} file(s) with error rows")
    if s.interrupted:
        by = signal.Signals(stop.signum).name if stop else "a second Ctrl-C"
        parts.append(f"interrupted by {by}; rerun to continue")
    if s.environment_error:
        parts.insert(0, f"error: {s.environment_error}")
    parts.append(f"audit {s.audit}")
    return "; ".join(parts) + f"; exit {s.exit_code}"
