"""Audit log of `pathx run`: one JSONL file per run, no report text and no PHI.

Records (one JSON object per line, each with `event` and `run_id`):
- `start`: time, pathx version, predictor name/version, rule-set version, host, input, output,
  options.
- `file`: per processed file: relative path, sha256, extraction path (pdf-text, ocr:tesseract,
  ...), pages, specimens, status, error (the same one-line message as the output row, through the
  final scrub like every `error` written here),
  fault (file | environment, for errors), warnings, seconds (read and predict).
- `skip`: a path that was not processed, with the reason (a directory named like a report, a
  file that changed while it was read, ...). Unchanged files are only counted, in `end`.
- `dropped`: error rows of files that no longer exist, removed from the output.
- `end`: time, counts, exit code, whether the run was interrupted.

The start record's `audit_fallback` says when the user log directory could not be written
(HOME unset or read-only) and the log went to `.pathx-log/` beside the output instead.

File names are written as paths relative to the input folder (escaped: names.escape_name),
the same as the output's `file` column: sites must not put PHI in report file names (pathx cannot tell a name from an ID).
A run killed with SIGKILL has no `end` record; `audit_summary` reports it as incomplete.
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pathx import paths


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def default_audit_path(run_id: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    return paths.log_dir() / f"run-{stamp}-{run_id[:8]}.jsonl"


class AuditLog:
    """Append-only JSONL writer; every record is flushed at once so a killed run keeps its trail."""

    def __init__(self, path: str | Path, run_id: str):
        self.path = Path(path)
        self.run_id = run_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # backslashreplace: a stray surrogate from a file name must not kill the run (names are
        # escaped before they get here; this is the safety net).
        self._fh = self.path.open("a", encoding="utf-8", errors="backslashreplace")

    def write(self, event: str, **fields) -> None:
        """Append one record; its `error` goes through the final scrub (pathx.ingestion.scrub) first, as
        the output row's does: a message may quote the report (a parser's, a file system's)."""
        if isinstance(fields.get("error"), str):
            from pathx.outputs.rows import scrub_error  # lazy: the scrub loads the de-identification rules

            fields["error"] = scrub_error(fields["error"], fields.get("file"))
        record = {"event": event, "run_id": self.run_id, "time": now_iso(), **fields}
        self._fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()

    def close(self) -> None:
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
        finally:
            self._fh.close()


@dataclass
class AuditSummary:
    path: Path
    run_id: str | None = None
    start: dict = field(default_factory=dict)
    end: dict | None = None
    files: int = 0
    status: Counter = field(default_factory=Counter)
    methods: Counter = field(default_factory=Counter)
    pages: int = 0
    specimens: int = 0
    seconds: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.end is not None

    def render(self) -> str:
        s, e = self.start, self.end or {}
        lines = [
            f"audit log  {self.path}",
            f"run        {self.run_id}  ({'complete' if self.complete else 'INCOMPLETE: no end record, the run was killed or is still going'})",
            f"started    {s.get('time', '?')}   ended {e.get('time', '-')}",
            f"pathx      {s.get('pathx_version', '?')}   predictor {s.get('predictor', '?')}"
            f"   rules {s.get('rules_version') or '-'}   host {s.get('host', '?')}",
            f"input      {s.get('input', '?')}  ->  {s.get('output', '?')}",
        ]
        if e:
            counts = e.get("counts", {})
            lines.append(
                "counts     " + ", ".join(f"{k} {v}" for k, v in counts.items())
                + f"   exit {e.get('exit_code')}" + ("   (interrupted)" if e.get("interrupted") else "")
            )
        lines.append(
            f"processed  {self.files} files ({self.status.get('ok', 0)} ok, {self.status.get('error', 0)} error), "
            f"{self.pages} pages, {self.specimens} specimens, {self.seconds:.1f} s"
        )
        if self.methods:
            lines.append("paths      " + ", ".join(f"{m} {n}" for m, n in self.methods.most_common()))
        if self.slowest:
            lines.append("slowest    " + ", ".join(f"{f} {sec:.1f}s" for sec, f in self.slowest))
        for f, err in self.errors[:20]:
            lines.append(f"error      {err}")
        if len(self.errors) > 20:
            lines.append(f"error      ... and {len(self.errors) - 20} more")
        for f, reason in self.skipped[:20]:
            lines.append(f"skipped    {f}: {reason}")
        return "\n".join(lines)


def find_audit(path: str | Path | None = None) -> Path:
    """A run's audit file: `path` itself, else the newest run-*.jsonl in `path` or the log dir."""
    target = Path(path) if path is not None else paths.log_dir()
    if target.is_file():
        return target
    runs = sorted(target.glob("run-*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name)) if target.is_dir() else []
    if not runs:
        raise FileNotFoundError(f"no pathx run audit logs in {target}")
    return runs[-1]


def audit_summary(path: str | Path | None = None, run_id: str | None = None) -> AuditSummary:
    """Summarise one run: the given run id, else the last run recorded in the file."""
    audit_file = find_audit(path)
    records = []
    for line in audit_file.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line of a killed run
    if run_id is None:
        starts = [r for r in records if r.get("event") == "start"]
        run_id = starts[-1]["run_id"] if starts else (records[-1].get("run_id") if records else None)
    summary = AuditSummary(path=audit_file, run_id=run_id)
    timings = []
    for r in records:
        if r.get("run_id") != run_id:
            continue
        event = r.get("event")
        if event == "start":
            summary.start = r
        elif event == "end":
            summary.end = r
        elif event == "file":
            summary.files += 1
            summary.status[r.get("status")] += 1
            if r.get("method"):
                summary.methods[r["method"]] += 1
            summary.pages += r.get("pages") or 0
            summary.specimens += r.get("specimens") or 0
            secs = sum((r.get("seconds") or {}).values())
            summary.seconds += secs
            timings.append((secs, r.get("file")))
            if r.get("status") == "error":
                summary.errors.append((r.get("file"), r.get("error")))
        elif event == "skip":
            summary.skipped.append((r.get("file"), r.get("reason")))
    summary.slowest = sorted(timings, reverse=True)[:3]
    return summary
