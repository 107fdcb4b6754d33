"""The output contract of `pathx run`: one row per (file, specimen), CSV or JSONL by suffix.

Columns are exactly `schema.OUTPUT_COLUMNS`. A JSONL row also carries an `evidence` object
(task -> the de-identified snippet a prediction rests on). Output files are only ever
replaced whole and atomically (`fsutil.atomic_write`): readers see the previous complete file or the
new complete file, never a partial line.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TextIO

from pathx import schema
from pathx.outputs.names import csv_cell, csv_uncell

FORMATS = {".csv": "csv", ".jsonl": "jsonl"}


@dataclass
class FieldPrediction:
    """One predicted field of one specimen."""

    label: str | None  # a schema.VOCAB label, or None = not reported
    confidence: float | None = None  # model probability; None for rule predictors
    evidence: str | None = None  # de-identified snippet (JSONL only)
    needs_review: bool = False


def output_format(path: str | Path) -> str:
    """'csv' or 'jsonl' from the output's suffix; ValueError for anything else."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: output must end in .csv or .jsonl")
    return fmt


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace (the error column is one line) and cap the length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def prediction_row(file: str, specimen: str | None, preds: dict[str, FieldPrediction], bundle: str) -> dict:
    """A `status=ok` row; labels outside the contract vocabulary raise ValueError (a predictor bug)."""
    row: dict = {"file": file, "specimen": specimen}
    evidence: dict[str, str | None] = {}
    for task in schema.TASKS:
        pred = preds.get(task) or FieldPrediction(label=None)
        row[task] = schema.check_label(task, pred.label)
        row[f"{task}_confidence"] = None if pred.confidence is None else round(float(pred.confidence), 4)
        evidence[task] = pred.evidence
    row["needs_review"] = any(p.needs_review for p in preds.values())
    row["status"] = "ok"
    row["error"] = None
    row["bundle"] = bundle
    row["evidence"] = evidence
    return row


def error_row(file: str, error: str, bundle: str) -> dict:
    """A `status=error` row: specimen and fields empty, `error` one line naming the file."""
    row = {col: None for col in schema.OUTPUT_COLUMNS}
    row.update(file=file, needs_review=True, status="error", error=one_line(error), bundle=bundle)
    return row


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return csv_cell(value)  # a file named "=HYPERLINK(...).txt" must not run in a spreadsheet
    return str(value)


def write_rows(fh: TextIO, rows: Iterable[dict], fmt: str) -> int:
    """Write rows in the contract's column order; returns how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(schema.OUTPUT_COLUMNS)
        for row in rows:
            writer.writerow([_csv_value(row.get(col)) for col in schema.OUTPUT_COLUMNS])
            count += 1
    else:
        for row in rows:
            obj = {col: row.get(col) for col in schema.OUTPUT_COLUMNS}
            obj["evidence"] = row.get("evidence") or {t: None for t in schema.TASKS}
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_rows(path: str | Path) -> list[dict]:
    """Read an output file back (tests, `pathx audit`, downstream checks). CSV values stay strings."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if output_format(path) == "csv":
        return [{k: csv_uncell(v) if isinstance(v, str) else v for k, v in row.items()}
                for row in csv.DictReader(io.StringIO(text))]
    return [json.loads(line) for line in text.splitlines() if line.strip()]
