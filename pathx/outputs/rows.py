"""The output contract of `pathx run`: one row per (file, specimen); the format follows the output's
suffix (the writers registered in outputs.writer: .csv, .jsonl).

Columns are exactly `schema.OUTPUT_COLUMNS`. A JSONL row also carries an `evidence` object
(task -> the de-identified snippet a prediction rests on) and `evidence_detail` (task -> quote, its
span in the de-identified specimen text, context, deciding engine, runner-up value, review signals). Output files are only ever
replaced whole and atomically (`fsutil.atomic_write`): readers see the previous complete file or the
new complete file, never a partial line.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TextIO

from pathx import schema
from pathx.outputs.writer import writer_for, writer_named


@dataclass
class FieldPrediction:
    """One predicted field of one specimen."""

    label: str | None  # a schema.VOCAB label, or None = not reported
    confidence: float | None = None  # model probability; None for rule predictors
    evidence: str | None = None  # de-identified snippet (JSONL only)
    needs_review: bool = False  # this field is named in the row's `review` column
    # JSONL `evidence_detail`: {"quote", "start", "end", "context", "context_start", "engine",
    # "runner_up", "signals"} (see evidence_detail()); None when the predictor gives none
    detail: dict | None = None


def evidence_detail(text: str, quote: str, start: int, end: int, *, engine: str, runner_up: str | None,
                    signals: str, around: int = 120, cue: tuple[int, int] | None = None) -> dict:
    """The JSONL evidence of one field: the quote, its span in the de-identified specimen text, and
    up to `around` characters either side on one line (newlines become spaces, so offsets hold).
    With no quote (nothing found), `cue` (the span of a cue word) centres the context instead."""
    lo, hi = (start, end) if start >= 0 else (cue if cue else (0, 0))
    c0, c1 = max(0, lo - around), min(len(text), hi + around)
    context = text[c0:c1].replace("\n", " ").replace("\r", " ") if (start >= 0 or cue) else ""
    return {"quote": quote, "start": start, "end": end, "context": context,
            "context_start": start - c0 if start >= 0 else -1, "engine": engine, "runner_up": runner_up,
            "signals": signals}


def output_format(path: str | Path) -> str:
    """The format's name ('csv', 'jsonl', ...) from the output's suffix; UnknownSuffix (a ValueError)
    naming the registered suffixes for anything else."""
    return writer_for(path).name


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace (the error column is one line) and cap the length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def prediction_row(file: str, specimen: str | None, preds: dict[str, FieldPrediction], bundle: str,
                   extra: dict | None = None) -> dict:
    """A `status=ok` row; labels outside the contract vocabulary raise ValueError (a predictor bug).

    `review` names the fields whose prediction needs review (task order, ";"-joined) and
    `needs_review` is true exactly when it is non-empty. `extra` fills the registry columns
    (schema.DETAIL_COLUMNS, schema.STAGE_COLUMNS); absent ones stay empty."""
    row: dict = {"file": file, "specimen": specimen}
    evidence: dict[str, str | None] = {}
    detail: dict[str, dict | None] = {}
    flagged = []
    for task in schema.TASKS:
        pred = preds.get(task) or FieldPrediction(label=None)
        row[task] = schema.check_label(task, pred.label)
        row[f"{task}_confidence"] = None if pred.confidence is None else round(float(pred.confidence), 4)
        evidence[task] = pred.evidence
        detail[task] = pred.detail
        if pred.needs_review:
            flagged.append(task)
    row["needs_review"] = bool(flagged)
    row["status"] = "ok"
    row["error"] = None
    row["bundle"] = bundle
    row["review"] = ";".join(flagged) or None  # empty (null in JSONL) when no field needs review
    for col in schema.DETAIL_COLUMNS + schema.STAGE_COLUMNS:
        row[col] = (extra or {}).get(col)
    row["evidence"] = evidence
    row["evidence_detail"] = detail
    return row


def error_row(file: str, error: str, bundle: str) -> dict:
    """A `status=error` row: specimen and fields empty, `error` one line naming the file."""
    row = {col: None for col in schema.OUTPUT_COLUMNS}
    row.update(file=file, needs_review=True, status="error", error=one_line(error), bundle=bundle)
    return row


def write_rows(fh: TextIO, rows: Iterable[dict], fmt: str) -> int:
    """Write rows in format `fmt` ('csv', 'jsonl': a registered writer's name); returns the count.
    `pathx run` writes through materialise; this is for callers that hold a stream (tests, review)."""
    return writer_named(fmt).write_rows(fh, rows)


def read_rows(path: str | Path) -> list[dict]:
    """Read an output file back (tests, `pathx audit`, downstream checks). CSV values stay strings."""
    return writer_for(path).read_rows(Path(path).read_text(encoding="utf-8"))
