"""Ingestion glue: one report file -> de-identified, segmented, sliced, prompted units.

read -> de-identify -> segment -> (per specimen) rule-engine hints -> slice -> prompt.
De-identification runs before anything else touches the text, so no later stage, log or
error message can see PHI.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pathx import fields, schema
from pathx.configcheck import Checker
from pathx.ingestion.deid import deidentify
from pathx.errors import EnvironmentFault, ReportError
from pathx.ingestion.ocr import OCR_CHOICES
from pathx.ingestion import evidence
from pathx.ingestion.prompt import MODES
from pathx.ingestion.prompt import Prompt, build_prompt, slice_report
from pathx.ingestion.read import read_report
from pathx.ingestion.reportcheck import not_a_report, several_reports
from pathx.ingestion.segment import Segment, reflow, segment

REPORT_SUFFIXES = (".pdf", ".txt")
# "evidence": the learned reader's input, one prompt per field from its cue sentences (ingestion/evidence.py)
SLICE_MODES = MODES + ("evidence",)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class IngestOptions:
    ocr: str = "auto"  # auto | tesseract | easyocr | off
    slice_mode: str = "window"  # window | full | random | evidence (one prompt per field)
    k: int = 5
    seed: int = 0
    max_pages: int = 200
    # Report characters kept in a window/random prompt, so the Hints block after the report
    # survives the model's 512-token limit (the "full" ablation is truncated by the model only).
    max_report_chars: int = 700
    tasks: tuple[str, ...] = schema.TASKS
    # Also write the rule engine's resolved label in each hint line (beyond the paper's raw evidence).
    hint_values: bool = False
    # Evidence prompts: write the rule engine's hint line (False: `none`, the model reads alone).
    evidence_hints: bool = True

    def __post_init__(self):
        check = Checker(self)
        check.one_of("ocr", OCR_CHOICES)
        check.one_of("slice_mode", SLICE_MODES)
        check.integer("k", minimum=0)
        check.integer("seed")
        check.integer("max_pages", minimum=1)
        check.integer("max_report_chars", minimum=1)
        check.names("tasks", schema.TASKS)
        check.flag("hint_values")
        check.flag("evidence_hints")


@dataclass
class Unit:
    """One tumour specimen of one report, ready for a predictor."""

    file: str  # path relative to the input folder
    specimen: str | None
    text: str  # de-identified specimen text
    sliced: str
    prompt: Prompt  # a str: the model input, with its hint spans and rule values (prompt.Prompt)
    hints: dict[str, list[str]]
    report_text: str = ""  # whole de-identified report (the naive baseline reads it unsegmented)
    # The rule engine's resolved findings, worked out with the hints; predictors reuse them
    # for evidence instead of running the rules over the text again.
    findings: dict | None = None
    # Every candidate mention in `text` (engine.mentions), kept for the review signals and the
    # registry's detail values, so neither runs the rules over the text again.
    mentions: list | None = None
    read_method: str | None = None  # FileResult.method of the file it came from (review: OCR-read text)
    # slice mode "evidence": {task: one-field prompt from the field's cue sentences}; the model
    # reads these instead of `prompt` (which then shows all fields' evidence, for `pathx extract`)
    field_prompts: dict[str, Prompt] | None = None

    def findings_by(self, engine) -> dict:
        """Findings per task from `engine` (the one that made this unit's hints)."""
        return self.findings if self.findings is not None else engine.extract(self.text)

    def mentions_by(self, engine) -> list:
        """Every mention in the unit's text from `engine` (the one that made this unit's hints)."""
        return self.mentions if self.mentions is not None else engine.mentions(self.text)


@dataclass
class FileResult:
    file: str
    units: list[Unit] = field(default_factory=list)
    method: str | None = None  # text / pdf-text / ocr:tesseract / ocr:easyocr / mixed
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # one line, no report text
    # Who is at fault for the error: "file" (kept until the file changes) or "environment"
    # (missing OCR engine, rules, permission...: retried next run). See errors.EnvironmentFault.
    fault: str | None = None
    seconds: float = 0.0


def units_from_text(text: str, file: str, engine, options: IngestOptions) -> list[Unit]:
    """De-identified report text -> one Unit per specimen (flattened text reflowed first)."""
    text = reflow(text)
    segments = segment(text)
    if len(segments) > 1 and engine is not None:
        # One row per tumour: a benign side (a prophylactic contralateral mastectomy) is no tumour
        # specimen, so a report with one tumour side is one unit over the whole text.
        # Only a side's own blocks count: a shared history or note naming carcinoma is no tumour of that side.
        if sum(engine.describes_tumour(seg.own if seg.own is not None else seg.text) for seg in segments) < 2:
            segments = [Segment(None, text)]
    units = []
    for seg in segments:
        unit = _single_unit(seg.text, file, engine, options, report_text=text)
        unit.specimen = seg.specimen
        units.append(unit)
    return units


def extract_file(path: Path, root: Path, engine, options: IngestOptions) -> FileResult:
    """Run ingestion on one file; bad input becomes FileResult.error instead of raising."""
    started = time.perf_counter()
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    result = FileResult(file=rel)
    try:
        read = read_report(path, ocr=options.ocr, max_pages=options.max_pages)
        result.method, result.pages, result.warnings = read.method, read.pages, list(read.warnings)
        problem = not_a_report(read.text) or several_reports(read.text, read.pages)
        if problem:
            raise ReportError(f"{path}: {problem}")
        clean = deidentify(read.text).text
        result.units = units_from_text(clean, rel, engine, options)
        for unit in result.units:
            unit.read_method = read.method
    except ReportError as err:
        # Name the file as the output does (relative to the input folder), not by absolute path.
        result.error = str(err).replace(str(path), rel)
        result.fault = "environment" if isinstance(err, EnvironmentFault) else "file"
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class LinkNote:
    """A symlinked folder discover() did not walk: a loop (it points to a folder above it) or a second
    way to a folder already walked (`first` is where its reports were found)."""

    link: Path
    first: Path
    loop: bool


def discover(root: Path, errors: list[tuple[Path, OSError]] | None = None,
             links: list[LinkNote] | None = None) -> list[Path]:
    """Report files under `root` (recursive, sorted, stable); a single file is its own list.

    Hidden names (a leading dot) are skipped, files and folders alike. Symlinked folders are
    followed, after the real folders under `root`, each real folder walked once: a link to a folder
    walked already (a loop to a folder above it, or a second way to one) is not walked again and is
    appended to `links` as a LinkNote, so the caller can say so. A folder that cannot be listed
    (permissions, I/O error) is appended to `errors` as (folder, OSError) so the caller can give it
    an error row instead of silently missing its reports.
    """
    if root.is_file():
        return [root]

    def failed(err: OSError) -> None:
        if errors is not None:
            errors.append((Path(err.filename) if err.filename else root, err))

    found: list[Path] = []
    seen: dict[tuple[int, int], Path] = {}  # (device, inode) of each folder walked -> where
    pending: list[Path] = []  # symlinked folders, followed once the real tree is walked

    def walk(top: Path) -> None:
        for dirpath, dirnames, filenames in os.walk(top, onerror=failed):
            here = Path(dirpath)
            with contextlib.suppress(OSError):
                st = os.stat(here)
                seen.setdefault((st.st_dev, st.st_ino), here)
            keep = []
            for d in dirnames:
                if d.startswith("."):
                    continue  # also stops the walk into it
                if os.path.islink(here / d):
                    pending.append(here / d)
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in (*filenames, *keep):  # a folder named like a report is reported (and skipped)
                if Path(name).suffix.lower() in REPORT_SUFFIXES and not name.startswith("."):
                    found.append(here / name)

    walk(root)
    while pending:
        # Shallow links first, and of those the one whose target lies highest: its reports keep the
        # shortest name, and a link into a folder another link reaches is the second way in.
        pending.sort(key=lambda p: (len(p.parts), len(Path(os.path.realpath(p)).parts), str(p)))
        link = pending.pop(0)
        try:
            st = os.stat(link)
        except OSError as err:  # gone since it was listed
            failed(err)
            continue
        first = seen.get((st.st_dev, st.st_ino))
        if first is not None:
            if links is not None:  # a loop: following it would walk a folder above the link again, forever
                links.append(LinkNote(link, first, link.is_relative_to(first)))
            continue
        walk(link)
    return sorted(found)


def units_for_examples(examples, engine, options: IngestOptions) -> tuple[list[Unit], list[str]]:
    """Labelled examples -> one Unit each (same order), for `pathx fit` and `pathx eval`.

    A `text` example is one specimen already: it is de-identified, sliced and prompted as is.
    A `path` example is read and segmented like `pathx run` does, and the unit whose specimen
    matches the example's is used; when segmentation disagrees with the label file, the whole
    report stands in for the unit and a warning says so (no example is silently dropped).
    """
    units: list[Unit] = []
    warnings: list[str] = []
    cache: dict[str, FileResult] = {}
    for ex in examples:
        if ex.text is not None:
            clean = reflow(deidentify(ex.text).text)
            unit = _single_unit(clean, ex.id, engine, options)
        else:
            path = Path(ex.path)
            if ex.path not in cache:
                cache[ex.path] = extract_file(path, path.parent, engine, options)
            res = cache[ex.path]
            if res.error:
                raise ReportError(f"example {ex.id}: {res.error}")
            matches = [u for u in res.units if u.specimen == ex.specimen]
            if len(matches) == 1:
                unit = matches[0]
            elif len(res.units) == 1:
                unit = res.units[0]
            else:
                warnings.append(f"example {ex.id}: segmentation found specimens "
                                f"{[u.specimen for u in res.units]}, label file says {ex.specimen}; using whole report")
                unit = _single_unit(res.units[0].report_text, ex.id, engine, options)
        units.append(unit)
    return units, warnings


def _single_unit(text: str, file: str, engine, options: IngestOptions, report_text: str | None = None) -> Unit:
    hints = engine.hints(text) if engine is not None else {}
    findings = engine.extract(text) if engine is not None else None
    mentions = engine.mentions(text) if engine is not None else None  # cached by extract: no second pass
    rule_values = {t: f.value if f else None for t, f in findings.items()} if findings is not None else None
    values = rule_values if options.hint_values else None
    per_field = None
    if options.slice_mode == "evidence":
        found = evidence.unit_evidence(text, options.tasks, options.max_report_chars)
        per_field = evidence.field_prompts(text, options.tasks, rule_values, options.max_report_chars,
                                           with_hints=options.evidence_hints and engine is not None, evidence=found)
        sliced = "\n".join(f"[{fields.FIELD_NAMES[t]}] {found[t]}" for t in options.tasks)
    else:
        sliced = slice_report(text, mode=options.slice_mode, k=options.k, seed=options.seed)
        if options.slice_mode != "full" and len(sliced) > options.max_report_chars:
            sliced = sliced[: options.max_report_chars] + " ..."
    return Unit(file=file, specimen=None, text=text, sliced=sliced,
                prompt=build_prompt(sliced, hints, options.tasks, values), hints=hints,
                report_text=text if report_text is None else report_text, findings=findings, mentions=mentions,
                field_prompts=per_field)


def _unsafe_id(value) -> str | None:
    """Why a JSONL report id cannot name a file, or None: ids become `<id>.txt` in a folder."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return f"id must be a string or a number, not {type(value).__name__}"
    text = str(value)
    if not text.strip():
        return "empty id"
    if "/" in text or "\\" in text:
        return "id looks like a path (holds '/' or '\\')"
    if text.startswith("."):
        return "id starts with '.' (a hidden file name)"
    if not text.isprintable():
        return "id holds control characters"
    return None


@contextlib.contextmanager
def reports_folder(input_path: Path, workdir: Path, errors: list[tuple[str, str]] | None = None):
    """The folder to process: INPUT itself, or for a JSONL of reports ({"id", "text"} per line)
    a temporary folder of one `<id>.txt` per line, removed afterwards. The ledger keys files by
    relative path and content, so reruns over the same JSONL stay incremental.

    A record whose id cannot name a file (hidden, path-like, empty) or names the same file as an
    earlier record (a duplicate, also after unsafe characters became `_`), or whose text is not
    a string, is not written; `errors` gets (key, one-line message) for it, so the caller gives
    it an error row: nothing is dropped or overwritten silently. Messages hold line numbers, no text.
    """
    if not (input_path.is_file() and input_path.suffix.lower() == ".jsonl"):
        yield input_path
        return
    from pathx.outputs.names import escape_name

    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pathx-reports-", dir=workdir) as tmp:
        folder = Path(tmp)
        first_line: dict[str, int] = {}
        with input_path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    raw_id, text = obj["id"], obj["text"]
                except (ValueError, KeyError, TypeError):
                    raise ReportError(f"{input_path}: line {number} is not a JSON object with 'id' and 'text'") from None
                problem = _unsafe_id(raw_id)
                name = SAFE_NAME.sub("_", str(raw_id))[:150] if problem is None else ""
                if problem is None and not isinstance(text, str):
                    problem = f"'text' must be a string, not {type(text).__name__}"
                if problem is None and name in first_line:
                    problem = f"duplicate id (names the same file as line {first_line[name]})"
                if problem is not None:
                    key = f"{escape_name(str(raw_id))[:150] if isinstance(raw_id, (str, int)) else '?'} (line {number})"
                    if errors is not None:
                        errors.append((key, f"{key}: {input_path.name} line {number}: {problem}; record not processed"))
                    continue
                first_line[name] = number
                (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        yield folder
