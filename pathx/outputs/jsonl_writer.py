"""The `.jsonl` output: one JSON object per (file, specimen), `schema.OUTPUT_COLUMNS` in order,
plus `evidence` (task -> the de-identified snippet the prediction rests on, or null) and
`evidence_detail` (task -> {quote, start, end, context, context_start, engine, runner_up, signals} or null)."""
from __future__ import annotations

import json
from typing import Iterable, TextIO

from pathx import schema
from pathx.outputs.writer import OutputWriter, register


@register
class JsonlWriter(OutputWriter):
    suffix = ".jsonl"
    name = "jsonl"
    help = "adds the rule engine's evidence per field"
    evidence = True

    def write_rows(self, fh: TextIO, rows: Iterable[dict]) -> int:
        count = 0
        for row in rows:
            obj = {col: row.get(col) for col in schema.OUTPUT_COLUMNS}
            obj["evidence"] = row.get("evidence") or {t: None for t in schema.TASKS}
            obj["evidence_detail"] = row.get("evidence_detail") or {t: None for t in schema.TASKS}
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
            count += 1
        return count

    def read_rows(self, text: str) -> list[dict]:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
