"""Slice a specimen's text and build the model prompt (paper III.A.1, supplement S1.B).

Slicing keeps +/-K lines around prioritised anchor headers (FINAL DIAGNOSIS, SYNOPTIC,
ADDENDUM, biomarker results, pathologic stage, ...; rules/anchors.toml), so the 512-token
input holds the evidence and not the boilerplate. Lines are the report's non-blank lines.
Windows are added in anchor priority order while the slice holds at most `max_lines`
lines, merged where they overlap or touch, printed in report order, and separated by the
gap marker ("...") where lines were skipped. A report without any anchor falls back to its
first 2K+1 lines.

Ablation modes: "full" is the whole text (the model truncates it to its token limit);
"random" is a random contiguous run of as many lines as the window slice would keep,
chosen reproducibly from `seed` and the text.

The prompt has the paper's four blocks:

    Field: T Stage, N Stage, ...
    Classes:
    T Stage: Tis, T0, T1, T2, T3, T4, not reported
    ...
    Report:
    <sliced text>

    Hints:
    T_hint: pT1c
    N_hint: none
    ...
    HER2_hint: IHC 2+; FISH amplified

With one task, "Classes:" is followed by that task's classes on the same line. Every task has
its hint line; "none" says the rule engine found no evidence for it.

`build_prompt` returns a Prompt: the text above (a str) carrying the offset of the Hints block, the
span of each hint line and the rule value written in it, so the model never parses them back out.
"""
from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path

from pathx import fields, paths
from pathx.errors import RuleFileError
from pathx.rules.loader import build_refs, compile_pattern, load_compiled, read_versioned

RULE_FILE = "anchors.toml"
MODES = ("window", "full", "random")

# Hint keys of the Hints block, as the paper writes them ("T_hint: pT1c"): from the field registry.
HINT_NAMES: dict[str, str] = fields.HINT_NAMES


@dataclass(frozen=True)
class Anchor:
    name: str
    regex: re.Pattern


@dataclass(frozen=True)
class AnchorRules:
    version: str
    max_lines: int
    gap_marker: str
    anchors: tuple[Anchor, ...]  # highest priority first


def _parse(path: Path) -> AnchorRules:
    data, version = read_versioned(path)
    if not isinstance(data.get("max_lines"), int) or data["max_lines"] < 1:
        raise RuleFileError(f"{path}: 'max_lines' must be a positive integer")
    gap = data.get("gap_marker", "...")
    if not isinstance(gap, str) or "\n" in gap:
        raise RuleFileError(f"{path}: 'gap_marker' must be a one-line string")
    refs = build_refs(data, path)
    raw = data.get("anchor")
    if not isinstance(raw, list) or not raw:
        raise RuleFileError(f"{path}: no [[anchor]] entries")
    anchors = []
    for i, item in enumerate(raw, 1):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            raise RuleFileError(f"{path}: anchor #{i} needs a 'name'")
        anchors.append(Anchor(name, compile_pattern(item.get("pattern"), refs, path, name, re.IGNORECASE)))
    return AnchorRules(version, data["max_lines"], gap, tuple(anchors))


def load_anchors(path: str | Path | None = None) -> AnchorRules:
    """Compiled anchors from `path` (default rules_dir()/anchors.toml), compiled once per version."""
    return load_compiled(Path(path) if path is not None else paths.rules_dir() / RULE_FILE, _parse)


def _anchor_list(anchors) -> tuple[Anchor, ...]:
    """Caller-given anchors: regex strings (priority order) or Anchor objects."""
    out = []
    for i, a in enumerate(anchors):
        out.append(a if isinstance(a, Anchor) else Anchor(f"anchor{i}", re.compile(a, re.IGNORECASE)))
    return tuple(out)


def report_lines(text: str) -> list[str]:
    """The lines slicing counts: non-blank, trailing blanks removed."""
    return [ln.rstrip() for ln in text.splitlines() if ln.strip()]


def find_anchors(lines: list[str], anchors: tuple[Anchor, ...]) -> list[tuple[int, int, str]]:
    """(priority, line index, anchor name) of every anchor line, best first."""
    hits = []
    for i, line in enumerate(lines):
        for prio, anchor in enumerate(anchors):
            if anchor.regex.search(line):
                hits.append((prio, i, anchor.name))
                break  # a line counts once, under its best anchor
    return sorted(hits)


def window_lines(lines: list[str], k: int, anchors: tuple[Anchor, ...], max_lines: int) -> list[int]:
    """Sorted indices of the lines a window slice keeps."""
    hits = find_anchors(lines, anchors)
    if not hits:
        return list(range(min(len(lines), 2 * k + 1)))
    keep: set[int] = set()
    for _, i, _ in hits:
        window = set(range(max(0, i - k), min(len(lines), i + k + 1)))
        if keep and len(keep | window) > max_lines:
            continue  # over budget: a lower-priority window that does not fit is skipped
        keep |= window
    return sorted(keep)


def _join(lines: list[str], idx: list[int], gap: str) -> str:
    out, prev = [], None
    for i in idx:
        if prev is not None and i != prev + 1:
            out.append(gap)
        out.append(lines[i])
        prev = i
    return "\n".join(out)


def slice_report(
    text: str,
    mode: str = "window",
    k: int = 5,
    seed: int = 0,
    anchors=None,
    *,
    max_lines: int | None = None,
) -> str:
    """The report text the model sees: window (default), full or random (ablation)."""
    if mode not in MODES:
        raise ValueError(f"slice mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "full":
        return text.strip()
    rules = load_anchors()
    anchor_list = rules.anchors if anchors is None else _anchor_list(anchors)
    budget = rules.max_lines if max_lines is None else max_lines
    lines = report_lines(text)
    idx = window_lines(lines, k, anchor_list, budget)
    if mode == "window":
        return _join(lines, idx, rules.gap_marker)
    # random: same number of lines, one contiguous run, reproducible per (seed, text).
    n = len(idx)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    start = random.Random(f"{seed}:{digest}").randint(0, len(lines) - n) if lines else 0
    return "\n".join(lines[start : start + n])


def _one_line(s: str) -> str:
    return " ".join(str(s).split())


# Hints are anchors, not the answer: a few short strings per field keep the prompt inside the
# model's 512 tokens (the Hints block comes last and would be truncated first).
MAX_HINTS_PER_TASK = 2
MAX_HINT_CHARS = 80
NO_HINT = "none"
VALUE_SEP = " | "  # between the rule value and the evidence of a hint line
UNRESOLVED = "?"  # the rule value when the engine resolved nothing


HINTS_HEADER = "Hints:"


class Prompt(str):
    """A built prompt: its text (the str itself, byte for byte what the model reads) and what
    `build_prompt` knew while writing it, so nothing parses the text back:

      hints_at     character offset of the newline before the Hints block header (-1: no block)
      hint_spans   {task: (start, end)} character span of each task's hint line
      rule_values  {task: label or None} the rule engine's resolved label written in each line
                   (None: resolved nothing, "?", or the prompt was built without values)

    A str subclass, so a Prompt goes wherever prompt text went (JSONL, equality, concatenation);
    anything derived from it (a slice, `+`) is plain text again, without the facts. Text that
    comes from outside (a prompt read from a file, a caller's string) gets them from
    `parse_prompt`, the only reader of prompt text."""

    def __new__(cls, text: str, hints_at: int = -1, hint_spans: dict | None = None,
                rule_values: dict | None = None):
        self = super().__new__(cls, text)
        self.hints_at = hints_at
        self.hint_spans = dict(hint_spans or {})
        self.rule_values = dict(rule_values or {})
        return self

    def __reduce__(self):  # pickles with its facts (str's own reduce would drop them)
        return (Prompt, (str(self), self.hints_at, self.hint_spans, self.rule_values))

    @property
    def text(self) -> str:
        return str(self)

    def hint_line_ends(self, tasks=fields.TASKS) -> list[int]:
        """End offset of each task's hint line (the per-task pooling points), in task order; the
        prompt's end for a task without a line."""
        return [self.hint_spans[t][1] if t in self.hint_spans else len(self) for t in tasks]

    def values_for(self, tasks=fields.TASKS) -> list[str | None]:
        """The rule value written in each task's hint line, in task order (None: no value, no line)."""
        return [self.rule_values.get(t) for t in tasks]


def build_prompt(sliced: str, hints: dict[str, list[str]] | None, tasks=fields.TASKS,
                 values: dict[str, str | None] | None = None) -> Prompt:
    """The four-block prompt (Field, Classes, Report, Hints) for one unit and its tasks, with the
    span of every hint line and the rule values it holds (see Prompt).

    `values` (optional): the rule engine's resolved label per task, written before the evidence
    ("Grade_hint: G3 | GRADE 3 OF 3; nuclear grade 2"; "?" when the engine resolved nothing)."""
    tasks = tuple(tasks)
    unknown = [t for t in tasks if t not in fields.FIELD_NAMES]
    if not tasks or unknown:
        raise ValueError(f"unknown tasks: {', '.join(unknown) or '(none given)'}")
    names = [fields.FIELD_NAMES[t] for t in tasks]
    parts = ["Field: " + ", ".join(names)]
    if len(tasks) == 1:
        parts.append("Classes: " + ", ".join(fields.model_classes(tasks[0])))
    else:
        parts.append("Classes:")
        parts += [f"{fields.FIELD_NAMES[t]}: {', '.join(fields.model_classes(t))}" for t in tasks]
    parts.append("Report:")
    parts.append(sliced.strip())
    parts.append("")
    hints_at = sum(len(part) + 1 for part in parts) - 1  # the newline before the header
    parts.append(HINTS_HEADER)
    at = hints_at + 1 + len(HINTS_HEADER) + 1  # where the next line starts
    spans, found = {}, {}
    hints = hints or {}
    for t in tasks:
        evidence = [_one_line(e)[:MAX_HINT_CHARS] for e in hints.get(t) or [] if _one_line(e)]
        kept = list(dict.fromkeys(evidence))[:MAX_HINTS_PER_TASK]
        line = "; ".join(kept) if kept else NO_HINT
        value = None
        if values is not None and (kept or values.get(t)):
            written = values.get(t) or UNRESOLVED
            line = f"{written}{VALUE_SEP}{line}"
            value = None if written == UNRESOLVED else written
        # Every task gets its line, so a model pooled per task always finds its token there.
        parts.append(f"{HINT_NAMES[t]}: {line}")
        spans.setdefault(t, (at, at + len(parts[-1])))
        found.setdefault(t, value)
        at += len(parts[-1]) + 1
    return Prompt("\n".join(parts), hints_at, spans, found)


def parse_prompt(text: str, tasks=fields.TASKS) -> Prompt:
    """The facts of a prompt that comes as text (read from a file, given by a caller): `text` itself
    when it is a Prompt, else found in the text: the last Hints header, the first line of each
    task's hint name after it, and the value before " | " on that line. Prompts built here never
    come this way."""
    if isinstance(text, Prompt):
        return text
    hints_at = text.rfind("\n" + HINTS_HEADER)
    spans, found = {}, {}
    if hints_at >= 0:
        for t in tasks:
            start = text.find("\n" + HINT_NAMES[t] + ":", hints_at + 1)
            if start < 0:
                continue
            stop = text.find("\n", start + 1)
            spans[t] = (start + 1, len(text) if stop < 0 else stop)
            body = text[spans[t][0] + len(HINT_NAMES[t]) + 1 : spans[t][1]].strip()
            value = body.split(VALUE_SEP, 1)[0].strip() if VALUE_SEP in body else None
            found[t] = None if value in (None, "", UNRESOLVED) else value
    return Prompt(text, hints_at, spans, found)


def hint_line_ends(prompt: str, tasks=fields.TASKS) -> list[int]:
    """Character offset of the end of each task's hint line (the model's per-task pooling
    points), in task order; the prompt's end for a task whose line is missing."""
    return parse_prompt(prompt, tasks).hint_line_ends(tasks)


def hint_values(prompt: str, tasks=fields.TASKS) -> list[str | None]:
    """The rule engine's resolved label per task as written in a prompt built with `values`
    ("Grade_hint: G3 | ..." -> "G3"); None where the engine resolved nothing ("?"), where the
    line has no value, or where the task has no hint line."""
    return parse_prompt(prompt, tasks).values_for(tasks)
