"""`pathx label`: bootstrap labels for unlabelled reports with the rule engine (paper S1.A).

Writes the labelled-data format (one line per specimen, de-identified text inline so the file
holds no PHI; the text and the audit sample's evidence also pass the final scrub, pathx.ingestion.scrub), plus the paper's two quality loops:
- Coverage Loop: which files and fields found no value, grouped by cause;
- Accuracy Loop: a seeded random sample of specimens with their evidence, for manual review.
"""
from __future__ import annotations

import csv
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pathx import fields
from pathx.training.labels import Example, write_labeled
from pathx.ingestion.pipeline import IngestOptions, discover, extract_file
from pathx.ingestion.scrub import scrub
from pathx.outputs.rows import scrub_error

# A field is "mentioned" when its registry `mention` pattern appears; a mention without a value is
# a rule gap worth a look, no mention at all usually means the report does not state it.
MENTION = {f.name: f.mention for f in fields.FIELDS}
MENTION_RE = {t: re.compile(p, re.IGNORECASE) for t, p in MENTION.items()}


@dataclass
class LabelReport:
    units: int = 0
    files: int = 0
    file_errors: list[str] = field(default_factory=list)
    found: Counter = field(default_factory=Counter)  # task -> units with a value
    missing: dict = field(default_factory=lambda: defaultdict(Counter))  # task -> cause -> count
    missing_files: dict = field(default_factory=lambda: defaultdict(list))  # (task, cause) -> files


def label_folder(input_path: Path, output: Path, engine, options: IngestOptions,
                 audit_n: int = 50, seed: int = 0) -> LabelReport:
    root = input_path if input_path.is_dir() else input_path.parent
    report = LabelReport()
    examples: list[Example] = []
    evidence_rows = []
    for path in discover(input_path):
        res = extract_file(path, root, engine, options)
        report.files += 1
        if res.error:
            report.file_errors.append(scrub_error(res.error, res.file))
            continue
        for unit in res.units:
            findings = unit.findings_by(engine)
            labels = {t: (findings[t].value if findings.get(t) else None) for t in fields.TASKS}
            ex_id = f"{unit.file}#{unit.specimen or 'all'}"
            examples.append(Example(id=ex_id, labels=labels, text=scrub(unit.text), specimen=unit.specimen,
                                    extra={"source": unit.file}))
            report.units += 1
            for t in fields.TASKS:
                if labels[t] is not None:
                    report.found[t] += 1
                    evidence_rows.append((ex_id, t, labels[t], scrub(findings[t].evidence), findings[t].section))
                else:
                    cause = "mentioned, no value resolved" if MENTION_RE[t].search(unit.text) else "not mentioned"
                    report.missing[t][cause] += 1
                    report.missing_files[(t, cause)].append(unit.file)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_labeled(output, examples)
    _write_audit_sample(output.with_suffix(".audit.csv"), evidence_rows, examples, audit_n, seed)
    _write_coverage(output.with_suffix(".coverage.txt"), report)
    return report


def _write_audit_sample(path: Path, evidence_rows, examples, n: int, seed: int) -> None:
    """Accuracy Loop: every field of a random sample of specimens, with a blank verdict column."""
    chosen = {ex.id for ex in random.Random(seed).sample(examples, min(n, len(examples)))}
    by_id = defaultdict(dict)
    for ex_id, task, label, evidence, section in evidence_rows:
        by_id[ex_id][task] = (label, evidence, section)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "field", "label", "evidence", "section", "reviewer_correct_label"])
        for ex in examples:
            if ex.id not in chosen:
                continue
            for t in fields.TASKS:
                label, evidence, section = by_id[ex.id].get(t, (None, None, None))
                w.writerow([ex.id, t, label or "", evidence or "", section or "", ""])


def coverage_text(report: LabelReport) -> str:
    lines = [f"files: {report.files}  specimens: {report.units}  file errors: {len(report.file_errors)}", ""]
    lines.append(f"{'field':<9} {'found':>7}  missing by cause")
    for t in fields.TASKS:
        causes = ", ".join(f"{c}: {k}" for c, k in report.missing[t].most_common()) or "-"
        lines.append(f"{t:<9} {report.found[t]:>7}  {causes}")
    gaps = [(t, c) for (t, c) in report.missing_files if c.startswith("mentioned")]
    if gaps:
        lines += ["", "Rule gaps to review (mentioned but unresolved), first files:"]
        for t, c in gaps:
            files = sorted(set(report.missing_files[(t, c)]))
            lines.append(f"  {t}: " + ", ".join(files[:8]) + (" ..." if len(files) > 8 else ""))
    if report.file_errors:
        lines += ["", "File errors:"] + [f"  {e}" for e in report.file_errors]
    return "\n".join(lines) + "\n"


def _write_coverage(path: Path, report: LabelReport) -> None:
    path.write_text(coverage_text(report), encoding="utf-8")
