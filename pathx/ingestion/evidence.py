"""Evidence input of the learned reader: per field, the report's sentences that name the field.

The paper's anchor window shows the model the lines around a few headers; a site that writes its
receptors under another heading, or an OCR dump flattened to one line, gives the model the wrong
text. Here each field reads its own evidence, chosen by the field's cue lexicon
(`pathx.fields.Field.cues`: names, synonyms, abbreviations, table headings):

    sentences(text)                      (start, end) spans: lines, split again at sentence ends
                                         and long gaps, long runs cut to MAX_SENTENCE chars
    field_evidence(text, task, budget)   cue sentences (most cues first), then their neighbours,
                                         within `budget` characters, printed in report order with
                                         GAP between non-adjacent ones; NO_EVIDENCE when no cue
    unit_evidence(text, tasks, budget)   every field's evidence, the text split once
    evidence_prompt(text, task, ...)     the one-field Field/Classes/Report/Hints prompt of it
    field_prompts(text, tasks, ...)      those prompts for every field of a unit

Contract: deterministic, linear in the text (each cue regex runs once over each sentence), no
PHI of its own (it only copies de-identified text), and the same function builds the prompts for
training, `pathx eval` and `pathx run`.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pathx import fields
from pathx.ingestion.prompt import Prompt, build_prompt

GAP = " ... "
NO_EVIDENCE = "(no sentence names this field)"
MAX_SENTENCE = 320  # characters; a longer run (a flattened table) is cut at spaces
DEFAULT_BUDGET = 400  # characters per field (about 110 MiniLM tokens)

# A sentence ends at . ; ! ? followed by white space (not inside "2.5 cm"), or at a wide gap of
# spaces (columns of a table), or at a line break.
_SPLIT = re.compile(r"(?<=[.;!?])\s+|[ \t]{3,}|\t+")

_GOES_ON = re.compile(r"[a-z]|\d+(?![.)]\s)")


@lru_cache(maxsize=None)
def _cues(task: str) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(c, re.IGNORECASE) for c in fields.field(task).cues)


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the text's sentences, in order, without surrounding white space. A line break
    ends a sentence unless the line ends without punctuation and the next starts in lower case
    or with a number that is no enumeration ("3.4 cm", not "1. LEFT"): a hard-wrapped sentence goes on."""
    spans: list[tuple[int, int]] = []
    pos, run = 0, 0
    lines = text.splitlines(keepends=True)
    for n, line in enumerate(lines):
        pos += len(line)
        body = line.rstrip()
        nxt = lines[n + 1].lstrip() if n + 1 < len(lines) else ""
        if body and _GOES_ON.match(nxt) and not body.endswith((".", ":", ";", "!", "?")):
            continue  # wrapped: the sentence goes on on the next line
        _split_run(spans, text, run, pos)
        run = pos
    return spans


def _split_run(spans: list, text: str, a: int, b: int) -> None:
    cut = a
    for m in _SPLIT.finditer(text, a, b):
        _add(spans, text, cut, m.start())
        cut = m.end()
    _add(spans, text, cut, b)


def _add(spans: list, text: str, a: int, b: int) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    while b - a > MAX_SENTENCE:  # cut a long run at the last space before the limit
        stop = text.rfind(" ", a + MAX_SENTENCE // 2, a + MAX_SENTENCE)
        stop = a + MAX_SENTENCE if stop < 0 else stop
        spans.append((a, stop))
        a = stop
        while a < b and text[a].isspace():
            a += 1
    if b > a:
        spans.append((a, b))


def cue_scores(text: str, spans: list[tuple[int, int]], task: str) -> list[int]:
    """Per sentence: how many of the field's cues it holds; the first cue (the field's own names)
    counts double."""
    cues = _cues(task)
    out = []
    for a, b in spans:
        s = text[a:b]
        out.append(sum((2 if i == 0 else 1) for i, c in enumerate(cues) if c.search(s)))
    return out


def field_evidence(text: str, task: str, budget: int = DEFAULT_BUDGET,
                   spans: list[tuple[int, int]] | None = None) -> str:
    """The field's evidence: cue sentences by descending cue count (ties: report order), then
    each chosen sentence's neighbours, within `budget` characters; report order; NO_EVIDENCE
    when no sentence holds a cue. A repeated sentence (a running header) is taken once.
    `spans`: the text's `sentences`, when the caller has them already (one split per unit)."""
    spans = sentences(text) if spans is None else spans
    scores = cue_scores(text, spans, task)
    order = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
    if not order:
        return NO_EVIDENCE
    chosen: dict[int, str] = {}
    seen: set[str] = set()
    used = 0

    def take(i: int) -> None:
        nonlocal used
        if i in chosen or not 0 <= i < len(spans):
            return
        s = " ".join(text[spans[i][0]:spans[i][1]].split())
        key = s.lower()
        if key in seen:
            return
        if used + len(s) + len(GAP) > budget:
            if chosen:
                return
            s = s[: max(1, budget - len(GAP))]  # the best sentence alone is over budget: its start
        chosen[i] = s
        seen.add(key)
        used += len(s) + len(GAP)

    for i in order:
        take(i)
    for i in list(order):
        if i in chosen:
            take(i - 1)
            take(i + 1)
    parts, prev = [], None
    for i in sorted(chosen):
        if prev is not None:
            parts.append(" " if i == prev + 1 else GAP)
        parts.append(chosen[i])
        prev = i
    return "".join(parts)


def unit_evidence(text: str, tasks, budget: int = DEFAULT_BUDGET) -> dict[str, str]:
    """{task: field_evidence} for every task of a unit, the text split into sentences once."""
    spans = sentences(text)
    return {t: field_evidence(text, t, budget, spans) for t in tasks}


def _prompt(evidence: str, task: str, value: str | None, with_hints: bool) -> Prompt:
    if not with_hints or value is None:
        return build_prompt(evidence, None, (task,))
    return build_prompt(evidence, {task: []}, (task,), {task: value})


def evidence_prompt(text: str, task: str, value: str | None = None, budget: int = DEFAULT_BUDGET,
                    with_hints: bool = True) -> Prompt:
    """The one-field prompt (Field/Classes/Report/Hints) whose Report block is the field's
    evidence and whose hint line holds only the rule engine's value ("T_hint: T2 | none"; the
    rules' evidence is in the Report block already), `none` when the rules found nothing or
    with `with_hints=False` (the model reads alone)."""
    return _prompt(field_evidence(text, task, budget), task, value, with_hints)


def field_prompts(text: str, tasks, values: dict | None, budget: int = DEFAULT_BUDGET,
                  with_hints: bool = True, evidence: dict[str, str] | None = None) -> dict[str, Prompt]:
    """{task: evidence_prompt} for every task of a unit (`evidence`: its unit_evidence, if known)."""
    values = values or {}
    evidence = evidence if evidence is not None else unit_evidence(text, tasks, budget)
    return {t: _prompt(evidence[t], t, values.get(t), with_hints) for t in tasks}
