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
    as context the sentence(s) holding it (at most `around` characters either side, for run-on text;
    newlines become spaces). With no quote (nothing found), `cue` (the span of a cue word) picks the
    sentence instead. `prediction_row` passes quote and context through the final scrub
    (pathx.ingestion.scrub); `start`/`end` stay offsets into `text`."""
    from pathx.rules.context import sentence

    lo, hi = (start, end) if start >= 0 else (cue if cue else (0, 0))
    context, context_start = "", -1
    if start >= 0 or cue:
        left, right = sentence(text, lo, hi)
        c0, c1 = max(left, lo - around), min(right, hi + around)
        if c1 < len(text) and text[c1] == ".":
            c1 += 1  # the sentence's full stop
        while c0 < lo and text[c0].isspace():
            c0 += 1
        while c1 > hi and text[c1 - 1].isspace():
            c1 -= 1
        context = text[c0:c1].replace("\n", " ").replace("\r", " ")
        if start >= 0:
            context_start = start - c0
    return {"quote": quote, "start": start, "end": end, "context": context,
            "context_start": context_start, "engine": engine, "runner_up": runner_up,
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
    row["evidence"], row["evidence_detail"] = scrubbed_evidence(evidence, detail)
    return row


def scrubbed_evidence(evidence: dict[str, str | None], detail: dict[str, dict | None]) -> tuple[dict, dict]:
    """Every evidence snippet, quote and context through the final scrub (pathx.ingestion.scrub), in one
    pass per row over the distinct texts; `context_start` then points at the scrubbed quote."""
    from pathx.ingestion.scrub import scrub_groups, trim_context

    groups: dict[tuple[str, ...], int] = {}  # distinct part lists -> their index (fields share sentences)

    def group(*parts: str) -> int:
        return groups.setdefault(parts, len(groups))

    plan = {}
    for task, d in detail.items():
        if not isinstance(d, dict):
            continue
        context, quote, at = str(d.get("context") or ""), str(d.get("quote") or ""), d.get("context_start")
        if quote and isinstance(at, int) and 0 <= at and context[at:at + len(quote)] == quote:
            plan[task] = ("split", group(context[:at], quote, context[at + len(quote):]))
        else:
            plan[task] = ("whole", group(context, quote))
    snippets = {t: group(e) for t, e in evidence.items() if e and not (plan.get(t, ("",))[0] == "split"
                                                                      and detail[t].get("quote") == e)}
    done = scrub_groups([list(parts) for parts in groups])
    evidence, detail = dict(evidence), {t: (dict(d) if isinstance(d, dict) else d) for t, d in detail.items()}
    for task, (how, i) in plan.items():
        parts = done[i]
        if how == "split":
            before, after = trim_context(parts[0], parts[2])
            detail[task].update(quote=parts[1], context=before + parts[1] + after, context_start=len(before))
            if evidence.get(task) and task not in snippets:
                evidence[task] = parts[1]
        else:
            detail[task].update(context=trim_context("", parts[0])[1], quote=parts[1])
    for task, i in snippets.items():
        evidence[task] = done[i][0]
    return evidence, detail


def error_row(file: str, error: str, bundle: str) -> dict:
    """A `status=error` row: specimen and fields empty, `error` one line naming the file."""
    row = {col: None for col in schema.OUTPUT_COLUMNS}
    row.update(file=file, needs_review=True, status="error", error=scrub_error(one_line(error), file),
               bundle=bundle)
    return row


def scrub_error(message: str, file: str | None = None) -> str:
    """An error message through the final scrub; the file name it starts with is kept as written
    (the row's `file` column holds it anyway), so the message still names its file."""
    from pathx.ingestion.scrub import scrub

    prefix = f"{file}:" if file and message.startswith(f"{file}:") else ""
    return prefix + (scrub(message[len(prefix):]) or "")


def write_rows(fh: TextIO, rows: Iterable[dict], fmt: str) -> int:
    """Write rows in format `fmt` ('csv', 'jsonl': a registered writer's name); returns the count.
    `pathx run` writes through materialise; this is for callers that hold a stream (tests, review)."""
    return writer_named(fmt).write_rows(fh, rows)


def read_rows(path: str | Path) -> list[dict]:
    """Read an output file back (tests, `pathx audit`, downstream checks). CSV values stay strings."""
    return writer_for(path).read_rows(Path(path).read_text(encoding="utf-8"))
