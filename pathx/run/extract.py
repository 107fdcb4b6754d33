"""`pathx extract`: what the model sees, per file and specimen, as JSONL (the registrar's debugging tool).

One line per (file, specimen) with the de-identified text, its slice, the prompt and the rule
engine's hints (all through the final scrub, pathx.ingestion.scrub); a file that cannot be read gives
one `status=error` line. File names and messages
are escaped as `pathx run` shows them (names.escape_name / safe_text). The output is replaced
atomically (fsutil.atomic_write), so a killed extract leaves the previous file, never half a new one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pathx.fsutil import atomic_write
from pathx.ingestion.pipeline import IngestOptions, discover, extract_file
from pathx.ingestion.scrub import scrub
from pathx.outputs.rows import scrub_error
from pathx.outputs.names import escape_name, safe_text


def _scrubbed(value):
    """Every string inside hints (a str, list or dict of them) through the final scrub."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(v) for v in value]
    return value


@dataclass
class ExtractSummary:
    files: int = 0
    failed: int = 0  # files with an error line
    specimens: int = 0


def extract_to_jsonl(input_path: Path, output: Path, engine, options: IngestOptions,
                     progress: Callable[[str], object] = lambda line: None) -> ExtractSummary:
    """Extract every report under `input_path` into `output`; `progress` gets one line per file
    (`[i/n] file: k specimen(s) via method`, or the file's one-line error). `engine` fills the hints
    (a RuleEngine, or None for none)."""
    root = input_path if input_path.is_dir() else input_path.parent
    files = discover(input_path)
    summary = ExtractSummary(files=len(files))

    def write(fh) -> None:
        for i, path in enumerate(files, 1):
            res = extract_file(path, root, engine, options)
            res.file = escape_name(res.file)  # as `pathx run` shows it (names.py)
            res.error = scrub_error(safe_text(res.error), res.file) if res.error else None
            base = {"file": res.file, "method": res.method, "pages": res.pages,
                    "warnings": [scrub(safe_text(w)) for w in res.warnings]}
            if res.error:
                summary.failed += 1
                fh.write(json.dumps({**base, "specimen": None, "status": "error", "error": res.error}) + "\n")
                progress(f"[{i}/{len(files)}] {res.error}")
                continue
            for u in res.units:  # de-identified text, through the final scrub as well (ingestion.scrub)
                fh.write(json.dumps({**base, "specimen": u.specimen, "status": "ok", "text": scrub(u.text),
                                     "slice": scrub(u.sliced), "prompt": scrub(str(u.prompt)),
                                     "hints": _scrubbed(u.hints)}) + "\n")
            summary.specimens += len(res.units)
            progress(f"[{i}/{len(files)}] {res.file}: {len(res.units)} specimen(s) via {res.method}")

    atomic_write(output, write)
    return summary
