"""Which keys a run sees, and what happens to the ledger's files that are no longer under INPUT.

File keys are relative paths escaped by names.escape_name (bytes that are not UTF-8, control
characters), the same in the ledger, output, audit log and console. A folder that cannot be
listed gets an error row keyed `folder/` (`./` = INPUT) and hides the files under it from
takeover, --prune and the dropping of error rows. INPUT that holds no report file at all, or cannot
be listed itself, is an environment fault of the run (exit 5: an unmounted share looks like that).
A symlinked folder that discover() did not walk (a loop, or a second way to a folder) gets a console
line and an audit `skip` record; the reports in it are read once, under the first path.
"""
from __future__ import annotations

import time
from pathlib import Path

from pathx.ingestion.pipeline import LinkNote
from pathx.outputs.names import escape_name, safe_text
from pathx.run.ledger import Ledger
from pathx.run.materialise import materialise
from pathx.run.outcome import Outcome, RunContext


def relative_key(path: Path, root: Path) -> str:
    """The `file` key: path relative to the input folder, escaped (names.escape_name)."""
    return escape_name(path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name)


def unlisted_outcome(folder: Path, err: OSError, root: Path) -> Outcome:
    """An error row for a folder whose reports could not be listed (retried every run)."""
    rel = relative_key(folder, root) if folder != root else "."
    o = Outcome(path=folder, file=f"{rel}/")
    cause = "permission denied" if isinstance(err, PermissionError) else (err.strerror or type(err).__name__)
    o.error = f"{o.file}: cannot list this folder ({cause}); the reports in it were not read"
    o.fault = "environment" if isinstance(err, PermissionError) else "file"
    return o


def empty_input(input_dir: Path, paths: list[Path], extra: list[Outcome], identity=None) -> str | None:
    """Why the run cannot go on (exit 5) when INPUT cannot be listed or holds no report file; else None."""
    shown = safe_text(str(identity or input_dir))
    for o in extra:
        if o.file == "./":  # INPUT itself could not be listed
            cause = o.error.split("(", 1)[1].split(")", 1)[0] if "(" in o.error else "cannot be listed"
            return f"INPUT {shown} cannot be listed ({cause}); check the mount and its permissions"
    if not paths and not extra:
        return (f"INPUT {shown} holds no report file (.pdf, .txt): an unmounted share or a wrong path? "
                "Nothing was read or removed")
    return None


def report_links(ctx: RunContext, links: list[LinkNote]) -> None:
    """A console line and an audit `skip` record for each symlinked folder not walked (see the module doc)."""
    for note in links:
        key = relative_key(note.link, ctx.root) + "/"
        first = relative_key(note.first, ctx.root) + "/" if note.first != ctx.root else "./"
        reason = (f"symlink loop (points to {first}, a folder above it); not followed" if note.loop
                  else f"symlinked folder: the same folder as {first}, whose reports are read there")
        ctx.summary.skipped += 1
        ctx.audit.write("skip", file=key, reason=reason)
        ctx.report.note(f"skip   {key}: {reason}")


def _under(file: str, folders: tuple[str, ...]) -> bool:
    """Is `file` inside one of the folders (keys ending in '/', './' = INPUT) that could not be listed?"""
    return any(f == "./" or file.startswith(f) for f in folders)


def vanished_by_hash(ledger: Ledger, present: set[str], hidden: tuple[str, ...]) -> dict[str, list[str]]:
    """Content hash -> keys (sorted) of ledger files no longer under INPUT: candidates a moved file takes over."""
    by_hash: dict[str, list[str]] = {}
    for f, e in sorted(ledger.entries().items()):
        if f not in present and e.sha256 and not f.endswith("/") and not _under(f, hidden):
            by_hash.setdefault(e.sha256, []).append(f)
    return by_hash


def prune_vanished(ctx: RunContext, present: set[str], hidden: tuple[str, ...], found_any: bool) -> None:
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
    materialise(ctx.ledger, ctx.output, ctx.writer)
    ctx.last_flush = time.monotonic()


def drop_vanished_errors(ctx: RunContext, present: set[str]) -> None:
    """Error rows of files no longer in the input hold no data: drop them (ok rows stay)."""
    gone = [f for f, e in ctx.ledger.entries().items() if e.status == "error" and f not in present]
    if gone:
        ctx.ledger.drop(gone)
        ctx.summary.dropped = len(gone)
        ctx.audit.write("dropped", files=gone, reason="error rows of files no longer in the input folder")
        materialise(ctx.ledger, ctx.output, ctx.writer)
