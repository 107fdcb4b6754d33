"""Segmentation: split a (de-identified) report into one text unit per tumour specimen.

Supplement S1 of the paper: a regex pass finds prioritised anchor headers (SYNOPTIC SUMMARY
(LEFT/RIGHT BREAST), lettered specimens "A. LEFT BREAST, MASTECTOMY:") and cuts the report
into blocks, so the text given to the model for one tumour site holds no evidence from the
other. All patterns live in rules/segment.toml.

How a report is cut
- Every line is classified: a specimen header ("A. LEFT BREAST, MASTECTOMY:", "Part 2: Right
  breast", "B) RIGHT AXILLARY SENTINEL LYMPH NODE", "LEFT BREAST, LUMPECTOMY:"), a synoptic /
  CAP checklist header ("SYNOPTIC SUMMARY (LEFT BREAST)", "Breast, Right: Synoptic Report",
  OCR-damaged ";YNOPTIC"), a shared section header (FINAL DIAGNOSIS, COMMENT, ADDENDUM,
  GROSS DESCRIPTION, ...) or body text. Each header opens a block that runs to the next one.
- A line starting with a known specimen letter but naming no site ("A. Sections show ...",
  under a MICROSCOPY or HISTOLOGY heading) opens a block for that part, except inside a
  synoptic block, whose lettered lines are its items ("B. Type: Solid").
- A specimen or synoptic block takes its side from its header line; else from its letter
  (the side that letter has anywhere else in the report: specimen list, gross description);
  else from a "Laterality: Left" field inside it. Lymph-node specimens thus go with the
  tumour of the same side.
- Shared blocks (the preamble with the clinical history, FINAL DIAGNOSIS headings, comments,
  addenda) go to every unit (a comment that speaks of each side in turn, "Left breast: ... Right
  breast: ...", shows each unit only its own side's statements; the other's are blanked), except that a shared block after the first specimen that
  mentions exactly one side (by side word or specimen letter, e.g. "ADDENDUM (Part C)")
  goes to that side only.

Output contract (one row per specimen side)
- Both sides have their own specimen or synoptic blocks (bilateral report): two units,
  specimen "left" and "right", in the order the report first names them. This holds also
  when one side is benign (a prophylactic contralateral mastectomy); `pipeline.units_from_text`
  then keeps one unit over the whole report, since only a tumour gets a row.
- Otherwise one unit with specimen None holding the whole text - also for a unilateral
  report whose sections name their side (the row is the report; the side is in the text).
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from pathx import paths
from pathx.errors import RuleFileError
from pathx.rules.loader import load_compiled, build_refs, compile_pattern, read_versioned

RULE_FILE = "segment.toml"
LEFT, RIGHT = "left", "right"


@dataclass
class Segment:
    specimen: str | None  # "left", "right" or None
    text: str
    # `text` with the shared blocks' bodies blanked out (same length, headers kept): what this side's
    # own blocks say, for "does this side hold a tumour?" (None: the same as `text`)
    own: str | None = None


@dataclass(frozen=True)
class SegmentRules:
    version: str
    left: re.Pattern
    right: re.Pattern
    specimen_headers: tuple[re.Pattern, ...]
    synoptic_headers: tuple[re.Pattern, ...]
    shared_headers: tuple[re.Pattern, ...]
    laterality_field: re.Pattern
    part_reference: re.Pattern
    inline_field: re.Pattern
    lettered_line: re.Pattern
    synoptic_continuation: re.Pattern
    inline_side: re.Pattern
    reflow: "ReflowRules"


@dataclass(frozen=True)
class ReflowRules:
    min_line_chars: int
    min_joins: int
    wrap_min_lines: int
    wrap_min_chars: int
    wrap_continuation: re.Pattern
    enumerator: re.Pattern
    abbreviation: re.Pattern
    value: re.Pattern
    continues_before: re.Pattern
    continues_after: re.Pattern
    value_label: re.Pattern
    label_value: re.Pattern
    number_unit: re.Pattern
    header_part: re.Pattern


def _parse(path: Path) -> SegmentRules:
    data, version = read_versioned(path)
    refs = build_refs(data, path)
    pats = data.get("patterns")
    if not isinstance(pats, dict):
        raise RuleFileError(f"{path}: missing [patterns] table")

    def one(key: str) -> re.Pattern:
        return compile_pattern(pats.get(key), refs, path, key, re.IGNORECASE)

    def many(key: str) -> tuple[re.Pattern, ...]:
        items = pats.get(key)
        if not isinstance(items, list) or not items:
            raise RuleFileError(f"{path}: rule {key!r} must be a non-empty list of patterns")
        return tuple(compile_pattern(p, refs, path, f"{key}[{i}]", re.IGNORECASE) for i, p in enumerate(items))

    flow = data.get("reflow")
    if not isinstance(flow, dict):
        raise RuleFileError(f"{path}: missing [reflow] table")
    values: dict[str, object] = {}
    for f in dataclasses.fields(ReflowRules):  # numbers first, then one pattern per remaining field
        if f.type == "int":
            if not isinstance(flow.get(f.name), int) or flow[f.name] < 1:
                raise RuleFileError(f"{path}: [reflow] {f.name} must be a positive integer")
            values[f.name] = flow[f.name]
        else:
            values[f.name] = compile_pattern(flow.get(f.name), refs, path, f"reflow.{f.name}", re.IGNORECASE)
    reflow = ReflowRules(**values)
    return SegmentRules(
        version, one("left"), one("right"), many("specimen_headers"), many("synoptic_headers"),
        many("shared_headers"), one("laterality_field"), one("part_reference"), one("inline_field"),
        one("lettered_line"), one("synoptic_continuation"),
        one("inline_side"), reflow,
    )


def load_rules(path: str | Path | None = None) -> SegmentRules:
    """Compiled rules from `path` (default rules_dir()/segment.toml), compiled once per version."""
    return load_compiled(Path(path) if path is not None else paths.rules_dir() / RULE_FILE, _parse)


_JOIN = re.compile(r"\. +(?=\S)")  # several spaces too: an unwrapped line keeps its indentation


def reflow(text: str, rules: SegmentRules | None = None) -> str:
    """Line breaks back into flattened text (rules/segment.toml [reflow]); same length as `text`.

    Only lines that look flattened change. A ". " join inside a sentence becomes two spaces (the
    next word is lower-case, the word before cannot end a sentence, or a count meets its unit), one
    between a label and its value a colon ("ER. 0%" -> "ER: 0%", "GRADE. 3" -> "GRADE: 3"), any
    other join a line break - except after an enumerator starting its line ("B. Breast, left") or
    an abbreviation ("Dr. "). The patterns are in rules/segment.toml [reflow].
    Offsets are kept, so evidence spans found in the result point into the de-identified text.
    """
    rules = (rules or load_rules()).reflow
    if "\n" not in text and len(text) < rules.min_line_chars:
        return text
    text = _unwrap(text, rules)
    out = []
    for line in text.split("\n"):
        if len(line) >= rules.min_line_chars and line.count(". ") >= rules.min_joins:
            line = _reflow_line(line, rules)
        out.append(line)
    return "\n".join(out)


def _unwrap(text: str, rules: ReflowRules) -> str:
    """Hard-wrapped flattened text back to one line per run (see rules/segment.toml [reflow]); same length."""
    lines = text.split("\n")
    chars = list(text)
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        j = i  # the run: lines[i..j] where each next line continues the one before
        while (j + 1 < len(lines) and len(lines[j]) >= rules.wrap_min_chars
               and rules.wrap_continuation.match(lines[j + 1])):
            j += 1
        if j - i + 1 >= rules.wrap_min_lines and sum(lines[k].count(". ") for k in range(i, j + 1)) >= rules.min_joins:
            for k in range(i, j):
                chars[starts[k] + len(lines[k])] = " "  # the line break after line k
        i = j + 1
    return "".join(chars)


def _reflow_line(line: str, rules: ReflowRules) -> str:
    chars = list(line)
    start = 0  # start of the current output line
    for m in _JOIN.finditer(line):
        dot, nxt = m.start(), m.end()
        # The current output line up to this join; its last 80 characters are all any pattern reads
        # (the line grows while joins are spaced over, and a dump must not make this quadratic).
        piece = line[max(start, dot - 80):dot]
        if rules.enumerator.search(piece) or rules.abbreviation.search(piece):
            continue
        if (line[nxt].islower() or rules.continues_before.search(piece) or rules.continues_after.match(line, nxt)
                or (piece[-1:].isdigit() and rules.number_unit.match(line, nxt))):
            chars[dot] = chars[dot + 1] = " "
        elif rules.value.match(line, nxt) or (rules.value_label.search(piece) and rules.label_value.match(line, nxt)):
            chars[dot] = ":"
        else:
            chars[dot + 1] = "\n"
            start = nxt
    for m in rules.header_part.finditer(line):  # "FINAL DIAGNOSIS: A. RIGHT BREAST" -> two lines
        chars[m.start()] = "\n"
    return "".join(chars)


@dataclass
class _Block:
    start: int  # first line index
    kind: str  # "pre" (before any header), "specimen", "synoptic", "shared"
    label: str | None = None  # specimen letter/number from the header
    side: str | None = None
    end: int = 0  # one past the last line


def _side_of(text: str, rules: SegmentRules) -> str | None:
    """left/right when the text names exactly one side, else None."""
    left, right = bool(rules.left.search(text)), bool(rules.right.search(text))
    if left != right:
        return LEFT if left else RIGHT
    return None


def _classify(line: str, rules: SegmentRules) -> tuple[str, str | None] | None:
    """(kind, label) when the line opens a block, else None."""
    for pat in rules.synoptic_headers:
        if pat.search(line):
            return "synoptic", None
    for pat in rules.specimen_headers:
        m = pat.search(line)
        if m:
            return "specimen", m.groupdict().get("label")
    for pat in rules.shared_headers:
        if pat.search(line):
            return "shared", None
    m = rules.lettered_line.search(line)
    if m:
        return "lettered", m.group("label")
    return None


def _blocks(lines: list[str], rules: SegmentRules) -> list[_Block]:
    blocks = [_Block(0, "pre")]
    for i, line in enumerate(lines):
        found = _classify(line, rules)
        if (found and found[0] == "shared" and blocks[-1].kind == "specimen" and rules.inline_field.search(line)
                and not rules.inline_side.search(line)):
            continue  # "Comments: ..." inside a specimen's template belongs to it (unless it names a side)
        if found:
            blocks.append(_Block(i, found[0], found[1]))
    for b, nxt in zip(blocks, blocks[1:] + [None]):
        b.end = nxt.start if nxt else len(lines)
    return [b for b in blocks if b.end > b.start]


def _mentioned_sides(text: str, letter_side: dict[str, str], rules: SegmentRules) -> set[str]:
    sides = set()
    if rules.left.search(text):
        sides.add(LEFT)
    if rules.right.search(text):
        sides.add(RIGHT)
    for m in rules.part_reference.finditer(text):
        label = m.group("label") or m.group("label2")
        if label in letter_side:
            sides.add(letter_side[label])
    return sides


def segment(text: str, rules: SegmentRules | None = None) -> list[Segment]:
    """Split a report into tumour-specimen units (see the module docstring for the contract)."""
    rules = rules or load_rules()
    lines = text.splitlines()
    blocks = _blocks(lines, rules)

    def block_text(b: _Block) -> str:
        return "\n".join(lines[b.start : b.end])

    # 1. Sides of specimen/synoptic blocks from their header lines; letters learn their side.
    letter_side: dict[str, str] = {}
    for b in blocks:
        if b.kind in ("specimen", "synoptic"):
            b.side = _side_of(lines[b.start], rules)
            if b.side and b.label:
                letter_side.setdefault(b.label, b.side)
    # 2. A lettered line of a known specimen letter opens that part's block; any other lettered
    #    line is text of the block before it. Headers without a side: the side of their letter,
    #    else a "Laterality:" field.
    #    Inside a synoptic block lettered lines enumerate its items ("B. Type: Solid"), not parts.
    context = "pre"  # kind of the last block opened by a heading (not by a lettered line)
    for prev, b in zip(blocks, blocks[1:]):
        if b.kind != "lettered":
            context = b.kind
        elif b.label in letter_side and context != "synoptic":
            b.kind = "specimen"
        else:
            b.kind, b.label, b.side = prev.kind, prev.label, prev.side
    for b in blocks:
        if b.kind in ("specimen", "synoptic") and b.side is None:
            if b.label in letter_side:
                b.side = letter_side[b.label]
            else:
                for line in lines[b.start : b.end]:
                    m = rules.laterality_field.search(line)
                    if m:
                        b.side = _side_of(m.group("side"), rules)
                        break
    # 3. Shared blocks after the first specimen that mention only one side belong to it; a
    #    biomarker block naming no side right after a side's synoptic block continues that block.
    seen_specimen = False
    for prev, b in zip([None, *blocks], blocks):
        if b.kind in ("specimen", "synoptic"):
            seen_specimen = True
        elif b.kind == "shared" and seen_specimen:
            sides = _mentioned_sides(block_text(b), letter_side, rules)
            if len(sides) == 1:
                b.side = sides.pop()
            elif (not sides and prev is not None and prev.kind == "synoptic" and prev.side
                  and rules.synoptic_continuation.search(lines[b.start])):
                b.side, b.kind = prev.side, "synoptic"

    order = list(dict.fromkeys(b.side for b in blocks if b.kind in ("specimen", "synoptic") and b.side))
    if len(order) < 2:
        return [Segment(None, text)]
    def own_text(b: _Block) -> str:
        """The block for `Segment.own`: a shared block keeps its heading only, the rest blanked."""
        text = block_text(b)
        if b.side is not None:
            return text
        keep = 0
        if b.kind == "shared":
            heading = next((m for pat in rules.shared_headers if (m := pat.search(lines[b.start]))), None)
            keep = heading.end() if heading else 0
        return text[:keep] + re.sub(r"[^\n]", " ", text[keep:])

    def shared_for(b: _Block, side: str) -> str:
        """A shared block as `side` sees it: the other side's inline statements blanked."""
        text = block_text(b)
        marks = [(m.start(), _side_of(m.group("side"), rules)) for m in rules.inline_side.finditer(text)]
        if len({s for _, s in marks}) < 2:
            return text
        chars = list(text)
        for (start, s), nxt in zip(marks, [*marks[1:], (len(text), None)]):
            if s is not None and s != side:
                for i in range(start, nxt[0]):
                    if chars[i] != "\n":
                        chars[i] = " "
        return "".join(chars)

    # Bilateral: each unit is the shared blocks plus its own side's, in report order.
    return [
        Segment(side, "\n".join(shared_for(b, side) if b.side is None else block_text(b)
                                for b in blocks if b.side in (None, side)),
                "\n".join(own_text(b) for b in blocks if b.side in (None, side)))
        for side in order
    ]
