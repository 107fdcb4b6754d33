"""The final scrub: the last PHI filter on every string pathx emits besides the de-identified text itself.

De-identification (deid.py) runs once on the report, before anything reads it; what it misses reaches
every output that quotes the report. This module is the second, independent net, applied where
emitted strings are made:

- evidence: `outputs.rows.evidence_detail` (quote and context) and `outputs.rows.prediction_row`
  (the `evidence` snippet), so the ledger, JSONL, review page and sheet, FHIR and NAACCR all receive
  scrubbed text; the error cause of an error row (`outputs.rows.error_row`);
- `pathx extract` (text, slice, prompt, hints, warnings) and `pathx label` (text, audit sample).

Contract of `scrub(text) -> str`:
- every span that a de-identification rule (rules/deid.toml [[rule]]) or a scrub rule ([[scrub]]: ID
  shapes of letters and digits, long digit runs, title + name in any case, month-day dates, ages over
  89, town/state/ZIP) matches becomes its placeholder ([NAME], [ID], [DATE], ...), as deid writes them;
- clinical tokens stay: pT2, ypT1c, pN1a(sn), ER 95%, HER2 3+, 2.3 cm, Grade 2, 3/12 lymph nodes,
  Ki-67 20%, 8 o'clock, A1-A12, SP142 (tests/ingestion/test_scrub.py);
- placeholders are left alone, so scrub(scrub(x)) == scrub(x);
- it reads no file but the rule file (the shipped one when the configured one cannot be read; with neither,
  every piece becomes [WITHHELD]), logs nothing, and never raises on text or puts it in an exception.

`trim_context(before, after)` cuts an evidence context (already scrubbed) back to the clinical text next to
the quote: every sentence or field before the quote up to the last one holding a placeholder or an
identifier field ("MRN:", "Patient:", ...), and every one after from the first such, are dropped.

`scrub_groups(groups)` does scrub_parts for several groups in one pass (names found in one group are
also redacted in the others). `scrub_parts(parts)` scrubs the concatenation of several adjacent pieces (context before, quote, context
after) and returns the pieces, so a name cut by a piece boundary is still found and offsets into the
joined result stay exact. Each redaction's placeholder goes to the piece where the span starts.
"""
from __future__ import annotations

import re

from pathx import paths
from pathx.errors import RuleFileError
from pathx.ingestion.deid import RULE_FILE, DeidRules, find_phi, load_rules, placeholder

WITHHELD = placeholder("WITHHELD")  # the whole string, when no rule file can be read at all


def _rules() -> DeidRules | None:
    """The configured rules; the shipped ones when those cannot be read (an unmounted rules folder must
    not stop an error row being written, nor let it out unscrubbed); None when neither can."""
    try:
        return load_rules()
    except RuleFileError:
        try:
            return load_rules(paths._shipped("_rules", "rules") / RULE_FILE)
        except RuleFileError:
            return None


def scrub(text: str | None, rules: DeidRules | None = None) -> str | None:
    """`text` with every PHI-shaped span replaced by its placeholder (None stays None)."""
    if not text:
        return text
    return scrub_parts([text], rules)[0]


# Between groups in scrub_groups: no pattern crosses a NUL on a line of its own.
BARRIER = "\n\x00\n"


def scrub_groups(groups: list[list[str]], rules: DeidRules | None = None) -> list[list[str]]:
    """scrub_parts of each group, in one pass over them all (a row's evidence: one call, not fourteen)."""
    flat: list[str] = []
    for group in groups:
        flat += group
        flat.append(BARRIER)
    done = iter(scrub_parts(flat, rules))
    out = []
    for group in groups:
        out.append([next(done) for _ in group])
        next(done)  # the barrier
    return out


def scrub_parts(parts: list[str], rules: DeidRules | None = None) -> list[str]:
    """Scrub "".join(parts) as one string; return it cut back into len(parts) pieces."""
    joined = "".join(parts)
    if not joined.strip():
        return list(parts)
    rules = rules or _rules()
    if rules is None:
        return [WITHHELD if part else part for part in parts]
    spans = find_phi(joined, rules, scrub=True)
    if not spans:
        return list(parts)
    bounds, pos = [], 0
    for part in parts:
        bounds.append((pos, pos + len(part)))
        pos += len(part)
    out = []
    for lo, hi in bounds:
        pieces, at = [], lo
        for span in spans:
            if span.end <= lo or span.start >= hi:
                continue
            if span.start >= at:
                pieces.append(joined[at:span.start])
            if span.start >= lo:  # the placeholder goes where the span starts
                pieces.append(placeholder(span.kind))
            at = max(at, min(span.end, hi))
        pieces.append(joined[at:hi])
        out.append("".join(pieces))
    return out


# Where a context is cut: a sentence end, a semicolon, a field separator, a run of blanks.
_PIECE_BREAK = re.compile(r"\.(?=\s)|[;|]|\s{2,}")
# A placeholder, or a header field that holds an identifier ("MRN:", "Patient Name:", "DOB", "Tel:").
_IDENTIFYING = re.compile(
    r"\[[A-Z][A-Z0-9>_-]*\]|(?i:\b(?:patient(?:[ ]+name)?|pt|name|surname|forenames?|mrn|med\.?[ ]*rec\.?|dob|d\.o\.b|"
    r"date[ ]+of[ ]+birth|physician|surgeon|clinician|consultant|pathologist|hospital|address|phone|tel|fax|"
    r"e-?mail|acc(?:ession)?|case)\b[ \t]*(?:[:#]|no\b))")


def trim_context(before: str, after: str) -> tuple[str, str]:
    """(before, after) without the pieces that hold a placeholder or an identifier field: before the quote,
    everything up to the end of the piece holding the last such; after it, everything from the start of
    the piece holding the first such."""
    hits = list(_IDENTIFYING.finditer(before))
    if hits:
        stop = _PIECE_BREAK.search(before, hits[-1].end())
        before = before[stop.end():].lstrip() if stop else ""
    hit = _IDENTIFYING.search(after)
    if hit:
        starts = [m.start() for m in _PIECE_BREAK.finditer(after, 0, hit.start())]
        after = after[:starts[-1]].rstrip() if starts else ""
    return before, after
