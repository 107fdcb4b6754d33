"""De-identification: redact PHI from report text before anything stores, logs or shows it.

Every pattern and cue word lives in rules/deid.toml (versioned); this module only applies
them. Each rule finds spans in the *original* text; overlapping spans are merged (the kind
of the rule listed first wins) and every merged span becomes a typed placeholder such as
[NAME], [DATE], [MRN], [ACCESSION], [PHONE], [ADDRESS], [EMAIL], [SSN], [URL] or [AGE>89].

Names are found from context (cues like "Patient:", "Dr.", "Signed by", "..., M.D."), then
every word of a found name is also redacted wherever else it occurs in the report, so a
surname repeated in the clinical history does not leak.

The same file's [[scrub]] entries are not used here: they are the final scrub's extra patterns
(pathx/ingestion/scrub.py, run with these rules on every string pathx emits: `find_phi(..., scrub=True)`).

Every pattern must run in linear time: none may be tried at every blank of a long run of blanks
(anchor such runs with a look-behind or a possessive quantifier; tests/ingestion/test_deid_forms.py
counts the characters offered to the patterns for N and 10N blanks, and runs 60,000 blanks in a child
under a forced CPU budget, RLIMIT_CPU).

Clinical tokens (pT2, pN1a(sn), 2.3 cm, 95%, 3+, 5/14, Allred 8/8, specimen letters A/B/C)
are kept because no rule matches them: a month/day without a year is a date only after a
date cue, an accession number needs letters and two number groups, and so on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pathx import paths
from pathx.errors import RuleFileError
from pathx.rules.loader import build_refs, compile_pattern, load_compiled, read_versioned
from pathx.rules.precheck import PreChecked, ascii_lowered, may_match

RULE_FILE = "deid.toml"
# Words never propagated as names (list in rules/deid.toml).
NOT_NAME_LIST = "not_name_words"
_NAME_PIECE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class Redaction:
    """One redacted span, as offsets into the text given to `deidentify`."""

    start: int
    end: int
    kind: str  # NAME, DATE, MRN, ...
    rule: str  # the rule that set the kind


@dataclass
class DeidResult:
    text: str  # de-identified text
    counts: dict[str, int]  # placeholder kind -> number of redactions
    spans: list[Redaction] = field(default_factory=list)
    version: str = ""  # version of the rule file used


@dataclass(frozen=True)
class _Rule(PreChecked):
    name: str
    kind: str
    regex: re.Pattern
    propagate: bool
    # Optional pre-check: the rule is tried only on lines this matches (its matches lie within
    # one line). A slow pattern then skips most of the report; the result is the same.
    only_lines_with: re.Pattern | None = None


@dataclass(frozen=True)
class DeidRules:
    path: Path
    version: str
    rules: tuple[_Rule, ...]
    not_names: frozenset[str]  # lower-cased words never propagated as names
    # [[scrub]] entries: the final scrub's own patterns (pathx/ingestion/scrub.py), run on emitted
    # strings after the rules above, never on the report text itself.
    scrub: tuple[_Rule, ...] = ()


def placeholder(kind: str) -> str:
    return f"[{kind}]"


def _parse(path: Path) -> DeidRules:
    data, version = read_versioned(path)
    refs = build_refs(data, path)
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleFileError(f"{path}: no [[rule]] entries")
    raw_scrub = data.get("scrub", [])
    if not isinstance(raw_scrub, list):
        raise RuleFileError(f"{path}: 'scrub' must be [[scrub]] entries")
    seen: set[str] = set()
    rules = _parse_rules(path, refs, raw_rules, seen)
    scrub = _parse_rules(path, refs, raw_scrub, seen)
    not_names = frozenset(w.lower() for w in data.get("lists", {}).get(NOT_NAME_LIST, []))
    return DeidRules(path, version, tuple(rules), not_names, tuple(scrub))


def _parse_rules(path: Path, refs, raw_rules: list, seen: set[str]) -> list[_Rule]:
    rules = []
    for i, raw in enumerate(raw_rules, 1):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = name if isinstance(name, str) and name else f"#{i}"
        if not isinstance(raw, dict) or not isinstance(name, str) or not name:
            raise RuleFileError(f"{path}: rule {label!r} needs a 'name'")
        if name in seen:
            raise RuleFileError(f"{path}: rule {name!r} is defined twice")
        seen.add(name)
        kind = raw.get("kind")
        if not isinstance(kind, str) or not re.fullmatch(r"[A-Z][A-Z0-9>_-]*", kind):
            raise RuleFileError(f"{path}: rule {name!r} needs an upper-case 'kind' such as NAME or DATE")
        unknown = set(raw) - {"name", "kind", "pattern", "ignore_case", "propagate", "only_lines_with"}
        if unknown:
            raise RuleFileError(f"{path}: rule {name!r} has unknown keys: {', '.join(sorted(unknown))}")
        flags = re.IGNORECASE if raw.get("ignore_case", False) else 0
        regex = compile_pattern(raw.get("pattern"), refs, path, name, flags)
        line_filter = (compile_pattern(raw["only_lines_with"], refs, path, f"{name}.only_lines_with", flags)
                       if "only_lines_with" in raw else None)
        rules.append(_Rule(name, kind, regex, bool(raw.get("propagate", False)), line_filter))
    return rules


def load_rules(path: str | Path | None = None) -> DeidRules:
    """Compiled rules from `path` (default rules_dir()/deid.toml); compiled once per file version."""
    return load_compiled(Path(path) if path is not None else paths.rules_dir() / RULE_FILE, _parse)


def _phi_spans(match: re.Match) -> list[tuple[int, int]]:
    """The redacted part of a match: its groups named phi* that took part, else all of it.

    A pattern may have alternatives with and without a phi group ("123-45-6789" or
    "SSN: 123456789"); a match through an alternative without one is redacted whole.
    """
    spans = [match.span(g) for g in match.re.groupindex if g.startswith("phi") and match.group(g) is not None]
    return spans or [match.span()]


def _propagated(text: str, words: set[str], rules: DeidRules) -> list[tuple[int, int]]:
    """Other occurrences of found name words (as written, Title-case or upper-case; lower-case too
    when a found name was written in lower case).

    Each part of a hyphenated name counts on its own ("Smith-Jones" also finds "Jones"), and a
    hyphenated word holding a found part is redacted whole ("Jones-Smith" when "Smith" was found)."""
    forms = set()
    parts = {part for word in words if "-" in word for part in word.split("-")}
    # A name found written in lower case (OCR or lower-cased text): every name word may be too.
    lower = any(w.islower() for w in words if len(w) > 2)
    for word in words | parts:
        if len(word) < 2 or word.lower() in rules.not_names:
            continue
        if len(word) <= 2:
            forms.add(word)  # "Do", "Li", "Ng": other spellings are ordinary words ("DO", "LI")
        else:
            forms.update({word, word.upper(), word[0].upper() + word[1:].lower()})
            if lower:
                forms.add(word.lower())
    if not forms:
        return []
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    regex = re.compile(rf"(?<![\w'’-])(?:[^\W\d_]+-)*(?:{alternation})(?:-[^\W\d_]+)*(?![\w'’-])")
    return [m.span() for m in regex.finditer(text)]


def _matches(rule: _Rule, text: str, lowered: str | None):
    """rule.regex.finditer(text), run only over the lines its pre-check selects (if it has one)."""
    if not may_match(rule.literals, lowered):
        return
    if rule.only_lines_with is None:
        yield from rule.regex.finditer(text)
        return
    last_line = -1
    for hit in rule.only_lines_with.finditer(text):
        start = text.rfind("\n", 0, hit.start()) + 1
        if start == last_line:
            continue  # another hit on a line already scanned
        last_line = start
        end = text.find("\n", hit.start())
        yield from rule.regex.finditer(text, start, len(text) if end < 0 else end + 1)


def find_phi(text: str, rules: DeidRules | None = None, *, scrub: bool = False) -> list[Redaction]:
    """Merged, sorted PHI spans of `text`; `scrub` adds the [[scrub]] patterns (pathx.ingestion.scrub)."""
    rules = rules or load_rules()
    # (start, end, priority, kind, rule); lower priority number wins the kind of a merge.
    found: list[tuple[int, int, int, str, str]] = []
    name_words: set[str] = set()
    lowered = ascii_lowered(text)
    for priority, rule in enumerate(rules.rules + rules.scrub if scrub else rules.rules):
        for match in _matches(rule, text, lowered):
            for start, end in _phi_spans(match):
                if end <= start:
                    continue
                found.append((start, end, priority, rule.kind, rule.name))
                if rule.propagate:
                    name_words.update(_NAME_PIECE.findall(text[start:end]))
    for start, end in _propagated(text, name_words, rules):
        found.append((start, end, len(rules.rules) + len(rules.scrub), "NAME", "name_propagated"))

    found.sort()
    merged: list[Redaction] = []
    cur: list | None = None  # [start, end, priority, kind, rule]
    for start, end, priority, kind, rule in found:
        if cur is not None and start < cur[1]:
            cur[1] = max(cur[1], end)
            if priority < cur[2]:
                cur[2:] = [priority, kind, rule]
            continue
        if cur is not None:
            merged.append(Redaction(cur[0], cur[1], cur[3], cur[4]))
        cur = [start, end, priority, kind, rule]
    if cur is not None:
        merged.append(Redaction(cur[0], cur[1], cur[3], cur[4]))
    return merged


def deidentify(text: str, rules: DeidRules | None = None) -> DeidResult:
    """Replace every PHI span by its typed placeholder; counts say how many of each kind."""
    rules = rules or load_rules()
    spans = find_phi(text, rules)
    pieces, counts, pos = [], {}, 0
    for span in spans:
        pieces.append(text[pos : span.start])
        pieces.append(placeholder(span.kind))
        counts[span.kind] = counts.get(span.kind, 0) + 1
        pos = span.end
    pieces.append(text[pos:])
    return DeidResult("".join(pieces), counts, spans, rules.version)
