"""The `.csv` output: a header of `schema.OUTPUT_COLUMNS`, then one line per (file, specimen).

Empty cell = None, booleans `true`/`false`, confidences as numbers; a text cell a spreadsheet
would run as a formula gets a leading `'` (names.csv_cell). No evidence column (JSONL has it).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, TextIO

from pathx import schema
from pathx.outputs.names import csv_cell, csv_uncell
from pathx.outputs.writer import OutputWriter, register


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return csv_cell(value)  # a file named "=HYPERLINK(...).txt" must not run in a spreadsheet
    return str(value)


@register
class CsvWriter(OutputWriter):
    suffix = ".csv"
    name = "csv"
    help = "one row per specimen, for spreadsheets"

    def write_rows(self, fh: TextIO, rows: Iterable[dict]) -> int:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(schema.OUTPUT_COLUMNS)
        count = 0
        for row in rows:
            writer.writerow([_csv_value(row.get(col)) for col in schema.OUTPUT_COLUMNS])
            count += 1
        return count

    def read_rows(self, text: str) -> list[dict]:
        return [{k: csv_uncell(v) if isinstance(v, str) else v for k, v in row.items()}
                for row in csv.DictReader(io.StringIO(text))]

    def restore(self, row: dict) -> dict:
        row = {k: (None if v == "" else v) for k, v in row.items()}
        for k, v in row.items():
            if k.endswith("_confidence") and v is not None:
                row[k] = float(v)
        row["needs_review"] = row.get("needs_review") == "true"
        return row
