"""Text context for the field rules: OCR repairs, sections, prior-case contexts, sentences, negation.

1. OCR repairs (same-length) make a matching copy of the text; evidence is cut from the original.
2. Section headers split the report (FINAL DIAGNOSIS, SYNOPTIC, ADDENDUM, CLINICAL HISTORY, ...);
   each section has a priority. Inline contexts (prior-case references, legends) demote the
   sentence around them. `Placer` gives any position its (section, priority).
3. A negatable mention is negated when a cue governs it in its clause (`Negation`).

Everything here is compiled by rules/ruleset.py from rules/fields/ruleset.toml.
"""
from __future__ import annotations

import bisect
import heapq
import re
from dataclasses import dataclass

from pathx.rules.precheck import PreChecked, may_match

SENTENCE_BREAK = re.compile(r"\.(?=\s)|[;\n]")
BLANK_LINE = re.compile(r"\n[ \t]*\n")

Span = tuple[int, int, str, int]  # (start, end, name, priority)


@dataclass
class Section(PreChecked):
    name: str
    priority: int
    regex: re.Pattern  # group h = the header
    ends_at_blank_line: bool = False


@dataclass
class Context(PreChecked):
    name: str
    priority: int
    regex: re.Pattern


@dataclass(frozen=True)
class Negation:
    """Negation cues: `before` in the clause before a mention (within `window` characters),
    `after` right after it; `unchecked` an empty form box just before it; `clause_break` ends
    a clause."""

    before: re.Pattern
    after: re.Pattern
    clause_break: re.Pattern
    window: int
    unchecked: re.Pattern | None

    def clause_before(self, text: str, start: int) -> str:
        lo = max(0, start - self.window)
        before = text[lo:start]
        breaks = list(self.clause_break.finditer(before))
        return before[breaks[-1].end():] if breaks else before

    def clause_after(self, text: str, end: int) -> str:
        after = text[end:end + self.window]
        brk = self.clause_break.search(after)
        return after[:brk.start()] if brk else after

    def negated(self, text: str, start: int, end: int) -> bool:
        return bool(self.before.search(self.clause_before(text, start))) or bool(
            self.after.search(self.clause_after(text, end))
        )

    def unchecked_box(self, text: str, start: int) -> bool:
        """A form's empty box right before a mention: that option was not chosen ("[ ] pT2")."""
        return bool(self.unchecked and self.unchecked.search(text, max(0, start - 12), start))


def repair(text: str, ocr: list[tuple[re.Pattern, str]]) -> str:
    """OCR repairs on a copy used for matching; same-length only, so spans stay valid."""
    for regex, replace in ocr:
        text = regex.sub(lambda m: replace if len(replace) == len(m.group()) else m.group(), text)
    return text


def sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around text[start:end] (looking back at most 400 characters)."""
    left = max((m.end() for m in SENTENCE_BREAK.finditer(text, max(0, start - 400), start)), default=max(0, start - 400))
    nxt = SENTENCE_BREAK.search(text, end)
    return left, (nxt.start() if nxt else len(text))


def split_sections(text: str, sections: list[Section], default: tuple[str, int],
                   lowered: str | None = None) -> list[Span]:
    """(start, end, name, priority) spans covering the text, in order; text before the first
    header (or with none) is the `default` (name, priority)."""
    hits = []
    for sec in sections:
        if not may_match(sec.literals, lowered):
            continue
        for m in sec.regex.finditer(text):
            hits.append((m.start("h"), m.end("h"), sec))
    hits.sort(key=lambda h: (h[0], -h[1]))
    last_end = -1
    starts = []  # (start, header end, Section) without overlaps: keep the first, longest match
    for start, end, sec in hits:
        if start >= last_end:
            starts.append((start, end, sec))
            last_end = end
    spans: list[Span] = []
    bounds = [(0, 0, None)] + starts
    for k, (start, hdr_end, sec) in enumerate(bounds):
        stop = bounds[k + 1][0] if k + 1 < len(bounds) else len(text)
        name, prio = (sec.name, sec.priority) if sec else default
        if sec is not None and sec.ends_at_blank_line:
            blank = BLANK_LINE.search(text, hdr_end, stop)
            if blank:
                spans.append((start, blank.start(), name, prio))
                start, (name, prio) = blank.start(), default
        spans.append((start, stop, name, prio))
    return [s for s in spans if s[1] > s[0]]


class Placer:
    """(section, priority) of any text position: its section, unless a context covering the
    position demotes it further. Both lookups bisect, so a huge text with many sections and
    contexts stays linear."""

    def __init__(self, text: str, sections: list[Section], contexts: list[Context], default: tuple[str, int],
                 lowered: str | None = None):
        self.default = default
        self.spans = split_sections(text, sections, default, lowered)
        self.span_starts = [sp[0] for sp in self.spans]
        demoted = []  # (start, end, name, priority) sentences around prior-case references
        for ctx in contexts:
            if not may_match(ctx.literals, lowered):
                continue
            for m in ctx.regex.finditer(text):
                s, e = sentence(text, m.start(), m.end())
                demoted.append((s, e, ctx.name, ctx.priority))
        self.demoted_at = lowest_cover(demoted)

    def __call__(self, pos: int) -> tuple[str, int]:
        name, prio = self.default
        spans = self.spans
        k = bisect.bisect_right(self.span_starts, pos) - 1
        if k >= 0 and spans[k][0] <= pos < spans[k][1]:
            name, prio = spans[k][2], spans[k][3]
        bounds, values = self.demoted_at
        k = bisect.bisect_right(bounds, pos) - 1
        if k >= 0 and values[k] is not None and values[k][1] < prio:
            name, prio = values[k]
        return name, prio


def lowest_cover(ranges: list[Span]) -> tuple[list[int], list[tuple[str, int] | None]]:
    """Step function over text positions: (boundaries, value), where value[k] holds from boundaries[k]
    to the next boundary and is the (name, priority) of the lowest-priority range covering it (the
    first such range in list order on ties), or None. A sweep with a heap: O(k log k) for k ranges."""
    events = sorted({p for s, e, _, _ in ranges for p in (s, e)})
    by_start = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    heap: list[tuple[int, int]] = []
    values: list[tuple[str, int] | None] = []
    j = 0
    for pos in events:
        while j < len(by_start) and ranges[by_start[j]][0] <= pos:
            i = by_start[j]
            heapq.heappush(heap, (ranges[i][3], i))
            j += 1
        while heap and ranges[heap[0][1]][1] <= pos:  # ended: drop lazily from the top
            heapq.heappop(heap)
        values.append((ranges[heap[0][1]][2], ranges[heap[0][1]][3]) if heap else None)
    return events, values
