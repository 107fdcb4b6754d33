"""One file's work in `pathx run`: stat and hash it against the ledger (prepare_one), then read,
de-identify and segment it under the signal/budget guard (extract_one).

Fault kinds (Outcome.fault): a "file" fault is in the file's bytes and is kept against its
hash until it changes; an "environment" fault is recorded without a hash, so the file is tried
again: on the next run (missing OCR engine or rules, permission denied, out of memory, the file
changed while it was read), or, for a file over the --file-timeout budget, once the budget is
raised or the file's stat changes (Outcome.retry `timeout:S`). Only the first kind is cached.
An environment fault whose cause fails every file (rules, OCR engine) is `systemic`; one file's
lot (permission denied, a timeout, MemoryError, a change while read) never stops a run.
Errors come from ReportError messages (written to be safe) or only the exception type / OS
errno text, with absolute paths replaced by the escaped relative key: never report text.
"""
from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import stat
from pathlib import Path

from pathx.errors import EnvironmentFault, RuleFileError
from pathx.fsutil import file_sha256
from pathx.ingestion.pipeline import IngestOptions, extract_file
from pathx.outputs import rows as out
from pathx.outputs.names import escape_name, safe_text, unescape_name
from pathx.run.ledger import MAX_CRASHES, Ledger
from pathx.run.outcome import Outcome
from pathx.run.signals import FileTimeout, StopFlag, StopNow, kill_point

# Wall-clock budget for reading one file (PDF parsing, OCR, de-identification, rule hints); a
# file over it gets an error row and the run goes on. A long scanned report takes ~1 min.
FILE_TIMEOUT = 300.0
MAX_FILE_BYTES = 512 * 1024 * 1024  # larger files get an error row instead of being read into memory


def version_key(predictor, options: IngestOptions) -> str:
    """What the ledger compares besides the content hash: predictor version + ingest options + the
    de-identification rules' version (new rules redo every file, so no row keeps evidence they now redact)."""
    from pathx.ingestion.deid import load_rules

    opts = dataclasses.asdict(options)
    opts.pop("tasks", None)
    try:
        opts["deid"] = load_rules().version
    except RuleFileError:  # unreadable rules: every file gets its error row, as without this key
        opts["deid"] = "unreadable"
    return f"{predictor.version}|" + ",".join(f"{k}={opts[k]}" for k in sorted(opts))


def _signature(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _change_key(st: os.stat_result) -> tuple:
    """What a write changes: compared before and after reading (ctime too: a write that restores the mtime)."""
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def retry_due(retry: str, file_timeout: float) -> bool:
    """Is an error kept with this retry condition (Record.retry) to be tried again under `file_timeout`?"""
    kind, _, value = retry.partition(":")
    if kind == "timeout":
        try:
            return file_timeout == 0 or file_timeout > float(value)
        except ValueError:
            return True
    return True  # a condition this pathx does not know: try again


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


def _environment(o: Outcome, cause: str, systemic: bool = False, retried: str = "on the next run") -> None:
    """Mark an environment fault: never cached against the file's hash, so retried (see the module doc)."""
    o.error = f"{o.file}: {cause}; retried {retried}"
    o.fault, o.sha256, o.systemic, o.result, o.rows = "environment", None, systemic, None, []


def prepare_one(path: Path, rel: str, ledger: Ledger, version: str, reprocess: bool,
                file_timeout: float = FILE_TIMEOUT) -> Outcome:
    """Stat and hash one path; decide whether it needs processing (outcome has no result yet).

    Unchanged (skipped, its rows kept): same version key and either the same stat signature and a
    hash, or the same hash; or an error kept with a retry condition that is not due (a file over
    the budget of S seconds, same stat, --file-timeout not above S)."""
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
    o.signature, o.before = _signature(st), _change_key(st)
    entry = ledger.entry(rel)
    if not reprocess and entry and entry.version == version and entry.sha256 and entry.signature == o.signature:
        o.skip_reason = "unchanged"
        o.sha256 = entry.sha256
        return o
    if (not reprocess and entry and entry.version == version and entry.retry and entry.signature == o.signature
            and not retry_due(entry.retry, file_timeout)):
        o.skip_reason = "unchanged"  # its error row stays; tried again once the condition changes
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


def extract_one(o: Outcome, root: Path, engine, options: IngestOptions, ledger: Ledger,
                stop: StopFlag | None = None) -> None:
    """Read, de-identify and segment one file into o.result or o.error."""
    if ledger.crashes(o.file, o.sha256) >= MAX_CRASHES:
        o.error = (f"{o.file}: pathx died {MAX_CRASHES} times while reading this file (out of memory, a parser "
                   "crash or a kill); skipped until the file changes")
        return
    ledger.mark_inflight(o.file, o.sha256)
    kill_point("extract")
    stop = stop if stop is not None else StopFlag()  # (a StopFlag is falsy until a signal came)
    try:
        with stop.file():
            res = extract_file(o.path, root, engine, options)
    except StopNow:  # SIGINT/SIGTERM while reading: leave this file to the next run
        ledger.clear_inflight(o.file)
        o.skip_reason = "interrupted while being read; will be processed next run"
        return
    except FileTimeout:  # the machine's speed and the budget, not the bytes: tried again with a larger one
        _environment(o, f"reading took longer than the per-file budget of {stop.file_timeout:g} s (--file-timeout)",
                     retried="when --file-timeout is raised or the file changes")
        o.retry = f"timeout:{stop.file_timeout:g}"
        res = None
    except RuleFileError as err:  # rules missing or broken (PATHX_RULES_DIR on an unmounted disk)
        _environment(o, f"rule files unusable ({safe_text(out.one_line(str(err)))})", systemic=True)
        res = None
    except EnvironmentFault as err:
        _environment(o, safe_text(out.one_line(str(err))), systemic=True)
        res = None
    except OSError as err:  # the file vanished or became unreadable after it was hashed
        _fail_os(o, err)
        res = None
    except MemoryError:  # the machine's memory: tried again (more memory, fewer other jobs)
        _environment(o, "ran out of memory while reading (MemoryError)")
        res = None
    except RecursionError as err:  # nesting in the file's bytes (a PDF object tree): the same every time
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
            if o.fault == "environment":  # the OCR engine is missing: every scanned file would fail
                o.error += "; retried on the next run"
                o.sha256, o.systemic = None, True
        elif not res.units:
            o.error = f"{o.file}: no report text found"
    # The content must not have changed while it was read, or the rows (and the recorded hash) would
    # be stale: an error row now (earlier ok rows stay, batches._commit_batch), read again next run.
    try:
        changed = _change_key(o.path.stat()) != o.before
    except OSError:
        o.error, o.sha256, o.result = f"{o.file}: file disappeared during the run", None, None  # retried
        return
    if changed:
        _environment(o, "changed while it was being read (written to during the run)")
