"""Rule engine (paper supplement S1.A/S1.B): context-aware regex extraction, hints, naive baseline.

The rules are data: TOML files under `rules/fields/` (patterns, section headers and priorities,
negation cues, canonical maps and thresholds). This module only knows the *kinds* of rules and
how candidates are resolved:

1. OCR repairs (same-length) make a matching copy of the text; evidence is cut from the original.
2. Section headers split the report (FINAL DIAGNOSIS, SYNOPTIC, ADDENDUM, CLINICAL HISTORY, ...);
   inline prior-case references demote their sentence. Each section has a priority.
3. Every rule yields mentions: task, value (a contract label), span, section, priority, strength.
   Negatable mentions are dropped (or flipped) when a negation cue governs them.
4. Per task the best current mention wins (priority, then strength, then first), with the
   field-specific logic that needs more than one mention: DCIS-only -> Tis and no grade;
   written T/N before size / node-count fallbacks; node counts summed per section; HER2 IHC
   combined with ISH ratio / copy number per ASCO/CAP 2018.

`naive_extract` is the paper's Naive Rule-Based baseline, driven by `rules/fields/naive.toml`.
"""
from __future__ import annotations

import bisect
import hashlib
import heapq
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pathx import paths, schema
from pathx.errors import RuleFileError
from pathx.rules.loader import PreChecked, ascii_lowered, may_match

RULE_GLOB = "fields/*.toml"
KINDS = {
    "map", "fixed", "flag", "size_t", "node_count", "node_deposit", "grade_score", "grade_sum",
    "percent", "allred", "her2_ihc", "her2_ish", "her2_ratio", "her2_copies",
}
# Kinds whose value comes from the named group `v` (or v2, v3 in other alternatives).
NEEDS_V = {"map", "size_t", "grade_score", "percent", "her2_ihc", "her2_ish", "her2_ratio", "her2_copies"}
RULE_KEYS = {
    "name", "task", "kind", "pattern", "map", "value", "flag", "negated_flag", "negated_value",
    "strength", "negatable", "requires", "exclude_before", "case_sensitive", "deposit", "count", "total",
}
DEFAULT_STRENGTH = {"map": 3, "fixed": 3}
NUMBER_WORDS = {
    "no": 0, "none": 0, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "single": 1, "a single": 1,
}
# "twenty-two", "thirty one" ... "forty-nine": node counts written in words.
NUMBER_WORDS.update({
    f"{tens}{sep}{unit}": base + k
    for tens, base in (("twenty", 20), ("thirty", 30), ("forty", 40))
    for k, unit in enumerate(("one", "two", "three", "four", "five", "six", "seven", "eight", "nine"), 1)
    for sep in ("-", " ")
} | {"thirty": 30, "forty": 40})
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
SENTENCE_BREAK = re.compile(r"\.(?=\s)|[;\n]")
BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Finding:
    """One resolved field: the contract label and why (evidence == text[start:end])."""

    value: str
    evidence: str
    start: int
    end: int
    section: str
    rule: str = ""


@dataclass
class Rule(PreChecked):  # `literals`: skip the regex on texts without any
    name: str
    file: str
    tasks: tuple[str, ...]
    kind: str
    regex: re.Pattern
    strength: int
    map: dict[str, str] | None = None
    value: str | None = None
    flag: str | None = None
    negated_flag: str | None = None
    negated_value: str | None = None
    negatable: bool = False
    requires: re.Pattern | None = None
    exclude_before: re.Pattern | None = None
    deposit: str | None = None
    count: int | None = None
    total: bool = False


@dataclass
class Mention:
    """A candidate for one task (or a report-level flag) found by one rule."""

    rule: Rule
    task: str | None
    value: str | None
    start: int
    end: int
    evidence: str
    section: str
    priority: int
    strength: int
    number: float | None = None  # node count, ISH ratio / copies, deposit size (mm)
    deposit: str | None = None  # macro / micro / itc for node mentions
    flag: str | None = None
    of_total: float | None = None  # "2 of 12": the 12
    sentence: int = -1  # start of the sentence (node counts are deduplicated per sentence)

    def rank(self) -> tuple:
        return (self.priority, self.strength, -self.start)

    def finding(self, value: str | None = None) -> Finding:
        return Finding(value or self.value, self.evidence, self.start, self.end, self.section, self.rule.name)


@dataclass
class Section(PreChecked):
    name: str
    priority: int
    regex: re.Pattern
    ends_at_blank_line: bool = False


@dataclass
class Context(PreChecked):
    name: str
    priority: int
    regex: re.Pattern


@dataclass
class _Parsed:
    """Everything read from the rule files before compilation."""

    ruleset: dict = field(default_factory=dict)
    patterns: dict[str, str] = field(default_factory=dict)
    maps: dict[str, dict[str, str]] = field(default_factory=dict)
    tables: dict[str, tuple[str, dict]] = field(default_factory=dict)  # name -> (file, table)
    rules: list[tuple[str, dict]] = field(default_factory=list)
    sections: list[tuple[str, dict]] = field(default_factory=list)
    contexts: list[tuple[str, dict]] = field(default_factory=list)
    ocr: list[tuple[str, dict]] = field(default_factory=list)
    negation: tuple[str, dict] | None = None
    naive: tuple[str, dict] | None = None


def _norm_key(raw: str) -> str:
    return re.sub(r"\s+", "", raw).lower()


def _group(m: re.Match, base: str) -> tuple[str | None, tuple[int, int] | None]:
    """The first participating group among base, base2 .. base9 (alternatives cannot share a name)."""
    for name in (base, *(f"{base}{k}" for k in range(2, 10))):
        if name in m.re.groupindex and m.group(name) is not None:
            return m.group(name), m.span(name)
    return None, None


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    raw = " ".join(raw.split()).lower()
    if raw in NUMBER_WORDS:
        return float(NUMBER_WORDS[raw])
    try:
        return float(raw)
    except ValueError:
        return None


class RuleEngine:
    """Compiled rule set. Build with `load(dir)` or `from_files({relpath: text})`."""

    def __init__(self, files: dict[str, str], parsed: _Parsed):
        self._files = dict(sorted(files.items()))
        self.version: str = str(parsed.ruleset["version"])
        self.digest: str = hashlib.sha256(
            "\0".join(f"{k}\0{v}" for k, v in self._files.items()).encode("utf-8")
        ).hexdigest()
        self._compile(parsed)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, dir: str | Path | None = None) -> "RuleEngine":
        """Read and compile `dir/fields/*.toml` (default: pathx.paths.rules_dir())."""
        root = Path(dir) if dir is not None else paths.rules_dir()
        found = sorted(root.glob(RULE_GLOB))
        if not found:
            raise RuleFileError(f"{root / 'fields'}: no rule files (*.toml) found")
        files = {}
        for path in found:
            rel = path.relative_to(root).as_posix()
            try:
                files[rel] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise RuleFileError(f"{path}: cannot read rule file ({type(err).__name__})") from None
        return cls.from_files(files)

    @classmethod
    def from_files(cls, files: dict[str, str]) -> "RuleEngine":
        """Rebuild from rule files embedded verbatim (e.g. in a bundle)."""
        parsed = _Parsed()
        for rel, text in sorted(files.items()):
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as err:
                raise RuleFileError(f"{rel}: invalid TOML ({err})") from None
            _collect(rel, data, parsed)
        if not parsed.ruleset:
            raise RuleFileError("rule files: no [ruleset] table with a version (expected in fields/ruleset.toml)")
        return cls(files, parsed)

    def files(self) -> dict[str, str]:
        """The rule files as {relpath: text}, to embed in a bundle."""
        return dict(self._files)

    # ------------------------------------------------------------------ compilation
    def _compile(self, p: _Parsed) -> None:
        rs_file, rs = p.ruleset["__file__"], p.ruleset
        self.current_min = int(rs.get("current_min_priority", 20))
        self.default_section = str(rs.get("default_section", "body"))
        self.default_priority = int(rs.get("default_priority", 50))
        self.max_hints = int(rs.get("max_hints", 4))
        self._patterns = p.patterns

        self.sections = [
            Section(_req(f, s, "name", "section"), int(_req(f, s, "priority", "section")),
                    self._regex(f, f"section {s.get('name')!r}",
                                r"(?:^|(?<=\.\s)|(?<=\.))[ \t*#>\-]*(?P<h>" + _req(f, s, "header", "section") + ")",
                                flags=re.IGNORECASE | re.MULTILINE),
                    bool(s.get("ends_at_blank_line", False)))
            for f, s in p.sections
        ]
        self.contexts = [
            Context(_req(f, c, "name", "context"), int(_req(f, c, "priority", "context")),
                    self._regex(f, f"context {c.get('name')!r}", _req(f, c, "pattern", "context")))
            for f, c in p.contexts
        ]
        self.ocr = [
            (self._regex(f, f"ocr {o.get('name')!r}", _req(f, o, "pattern", "ocr")), str(_req(f, o, "replace", "ocr")))
            for f, o in p.ocr
        ]
        if p.negation is None:
            raise RuleFileError(f"{rs_file}: no [negation] table")
        nf, neg = p.negation
        self.neg_before = self._regex(nf, "negation.before", _req(nf, neg, "before", "negation"))
        self.neg_after = self._regex(nf, "negation.after", _req(nf, neg, "after", "negation"))
        self.clause_break = self._regex(nf, "negation.clause_break", _req(nf, neg, "clause_break", "negation"))
        self.neg_window = int(neg.get("window", 60))
        # A form's empty box right before a mention: that option was not chosen ("[ ] pT2").
        self.unchecked = self._regex(nf, "negation.unchecked", neg["unchecked"]) if "unchecked" in neg else None

        self.size_to_t = self._table(p, "size_to_t")
        self.count_to_n = self._table(p, "count_to_n")
        self.deposit_mm = self._table(p, "deposit_mm")
        self.nottingham = self._table(p, "thresholds")["nottingham"]
        self.receptor = self._table(p, "receptor")
        self.her2 = self._table(p, "her2")

        self.rules: list[Rule] = []
        names: set[str] = set()
        for f, r in p.rules:
            rule = self._rule(f, r, p.maps)
            if rule.name in names:
                raise RuleFileError(f"{f}: rule {rule.name!r}: duplicate rule name")
            names.add(rule.name)
            self.rules.append(rule)
        self._naive = self._compile_naive(p)

    def _table(self, p: _Parsed, name: str) -> dict:
        if name not in p.tables:
            raise RuleFileError(f"rule files: missing [{name}] table")
        return p.tables[name][1]

    def _expand(self, where: str, what: str, pattern: str, depth: int = 0) -> str:
        def sub(m: re.Match) -> str:
            key = m.group(1)
            if key not in self._patterns:
                raise RuleFileError(f"{where}: {what}: unknown pattern placeholder {{{{{key}}}}}")
            if depth > 5:
                raise RuleFileError(f"{where}: {what}: placeholders nest too deeply")
            # Grouped, so an alternation inside a named pattern stays inside it.
            return "(?:" + self._expand(where, what, self._patterns[key], depth + 1) + ")"

        return PLACEHOLDER.sub(sub, pattern)

    def _regex(self, where: str, what: str, pattern: object, flags: int = re.IGNORECASE) -> re.Pattern:
        if not isinstance(pattern, str) or not pattern:
            raise RuleFileError(f"{where}: {what}: pattern must be a non-empty string")
        expanded = self._expand(where, what, pattern)
        try:
            return re.compile(expanded, flags)
        except re.error as err:
            raise RuleFileError(f"{where}: {what}: bad regular expression ({err.msg} at position {err.pos})") from None

    def _rule(self, f: str, r: dict, maps: dict) -> Rule:
        name = r.get("name")
        if not isinstance(name, str) or not name:
            raise RuleFileError(f"{f}: a [[rule]] has no name")
        where = f"rule {name!r}"

        def bad(problem: str) -> RuleFileError:
            return RuleFileError(f"{f}: {where}: {problem}")

        unknown = set(r) - RULE_KEYS
        if unknown:
            raise bad(f"unknown key(s) {', '.join(sorted(unknown))}")
        kind = r.get("kind")
        if kind not in KINDS:
            raise bad(f"kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
        task = r.get("task", [])
        tasks = tuple([task] if isinstance(task, str) else task)
        for t in tasks:
            if t not in schema.TASKS:
                raise bad(f"task {t!r} is not one of {', '.join(schema.TASKS)}")
        if not tasks and kind != "flag":
            raise bad("needs a task")
        flags = 0 if r.get("case_sensitive") else re.IGNORECASE
        regex = self._regex(f, where, r.get("pattern"), flags)
        groups = set(regex.groupindex)
        if kind in NEEDS_V and "v" not in groups:
            raise bad(f"kind {kind!r} needs a named group (?P<v>...) in its pattern")
        if kind == "grade_sum" and not {"a", "b", "c"} <= groups:
            raise bad("kind 'grade_sum' needs named groups a, b and c")
        if kind == "allred" and "v" not in groups and not {"a", "b"} <= groups:
            raise bad("kind 'allred' needs group v or groups a and b")
        if kind == "node_count" and "pos" not in groups and r.get("count") is None:
            raise bad("kind 'node_count' needs group pos or a count")
        rule_map = None
        if kind in ("map", "her2_ish", "her2_ihc"):
            map_name = r.get("map")
            if map_name not in maps:
                raise bad(f"map {map_name!r} is not defined (known: {', '.join(sorted(maps))})")
            rule_map = maps[map_name]
            for t in tasks:
                for key, label in rule_map.items():
                    if label and label not in schema.VOCAB[t]:
                        raise bad(f"map {map_name!r} sends {key!r} to {label!r}, not a {t} label")
        value = r.get("value")
        if kind == "fixed":
            for t in tasks:
                if value not in schema.VOCAB[t]:
                    raise bad(f"value {value!r} is not a {t} label")
        if kind == "flag" and not r.get("flag"):
            raise bad("kind 'flag' needs a flag name")
        strength = r.get("strength", DEFAULT_STRENGTH.get(kind, 2))
        if not isinstance(strength, int):
            raise bad("strength must be an integer")
        opt = lambda key: self._regex(f, f"{where} {key}", r[key]) if key in r else None  # noqa: E731
        return Rule(
            name=name, file=f, tasks=tasks, kind=kind, regex=regex, strength=strength, map=rule_map,
            value=value, flag=r.get("flag"), negated_flag=r.get("negated_flag"),
            negated_value=r.get("negated_value"), negatable=bool(r.get("negatable", False)),
            requires=opt("requires"), exclude_before=opt("exclude_before"), deposit=r.get("deposit"),
            count=r.get("count"), total=bool(r.get("total", False)),
        )

    def _compile_naive(self, p: _Parsed) -> dict | None:
        if p.naive is None:
            return None
        f, n = p.naive
        cfg: dict = {"window": int(n.get("window", 75))}
        for key in ("t", "n", "m", "grade"):
            cfg[key] = self._regex(f, f"naive.{key}", _req(f, n, key, "naive"))
            map_name = n.get(f"{key}_map")
            if map_name not in p.maps:
                raise RuleFileError(f"{f}: naive.{key}_map: map {map_name!r} is not defined")
            cfg[f"{key}_map"] = p.maps[map_name]
        cfg["markers"] = {t: self._regex(f, f"naive.markers.{t}", pat) for t, pat in n.get("markers", {}).items()}
        cfg["keywords"] = [
            (_req(f, k, "label", "naive.keywords"), self._regex(f, "naive.keywords", _req(f, k, "pattern", "naive.keywords")))
            for k in n.get("keywords", [])
        ]
        return cfg

    # ------------------------------------------------------------------ text structure
    def _repair(self, text: str) -> str:
        """OCR repairs on a copy used for matching; same-length only, so spans stay valid."""
        for regex, replace in self.ocr:
            text = regex.sub(lambda m: replace if len(replace) == len(m.group()) else m.group(), text)
        return text

    def sections_of(self, text: str) -> list[tuple[int, int, str, int]]:
        """(start, end, name, priority) spans covering the text, in order (after OCR repairs)."""
        return self._sections(self._repair(text))

    def _sections(self, text: str, lowered: str | None = None) -> list[tuple[int, int, str, int]]:
        hits = []
        for sec in self.sections:
            if not may_match(sec.literals, lowered):
                continue
            for m in sec.regex.finditer(text):
                hits.append((m.start("h"), m.end("h"), sec))
        hits.sort(key=lambda h: (h[0], -h[1]))
        spans: list[tuple[int, int, str, int]] = []
        last_end = -1
        starts = []  # (start, header end, Section) without overlaps: keep the first, longest match
        for start, end, sec in hits:
            if start >= last_end:
                starts.append((start, end, sec))
                last_end = end
        bounds = [(0, 0, None)] + starts
        for k, (start, hdr_end, sec) in enumerate(bounds):
            stop = bounds[k + 1][0] if k + 1 < len(bounds) else len(text)
            name = sec.name if sec else self.default_section
            prio = sec.priority if sec else self.default_priority
            if sec is not None and sec.ends_at_blank_line:
                blank = BLANK_LINE.search(text, hdr_end, stop)
                if blank:
                    spans.append((start, blank.start(), name, prio))
                    start, name, prio = blank.start(), self.default_section, self.default_priority
            spans.append((start, stop, name, prio))
        return [s for s in spans if s[1] > s[0]]

    @staticmethod
    def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
        left = max((m.end() for m in SENTENCE_BREAK.finditer(text, max(0, start - 400), start)), default=max(0, start - 400))
        nxt = SENTENCE_BREAK.search(text, end)
        return left, (nxt.start() if nxt else len(text))

    def _clause_before(self, text: str, start: int) -> str:
        lo = max(0, start - self.neg_window)
        before = text[lo:start]
        breaks = list(self.clause_break.finditer(before))
        return before[breaks[-1].end():] if breaks else before

    def _clause_after(self, text: str, end: int) -> str:
        after = text[end:end + self.neg_window]
        brk = self.clause_break.search(after)
        return after[:brk.start()] if brk else after

    def _negated(self, text: str, start: int, end: int) -> bool:
        return bool(self.neg_before.search(self._clause_before(text, start))) or bool(
            self.neg_after.search(self._clause_after(text, end))
        )

    # ------------------------------------------------------------------ mentions
    def mentions(self, text: str) -> list[Mention]:
        """Every candidate any rule finds, with its section and priority (for debugging and audit).

        A unit's hints and findings are worked out from the same specimen text one after the other,
        so the last few results are cached."""
        cache = self.__dict__.setdefault("_mention_cache", {})
        if text in cache:
            return list(cache[text])
        found = self._find_mentions(text)
        if len(cache) >= 64:
            cache.pop(next(iter(cache)))
        cache[text] = tuple(found)
        return found

    def _find_mentions(self, text: str) -> list[Mention]:
        work = self._repair(text)
        lowered = ascii_lowered(work)
        spans = self._sections(work, lowered)
        demoted = []  # (start, end, name, priority) sentences around prior-case references
        for ctx in self.contexts:
            if not may_match(ctx.literals, lowered):
                continue
            for m in ctx.regex.finditer(work):
                s, e = self._sentence(work, m.start(), m.end())
                demoted.append((s, e, ctx.name, ctx.priority))

        # Both lookups bisect, so a huge text with many sections and contexts stays linear.
        span_starts = [sp[0] for sp in spans]
        demoted_at = _lowest_cover(demoted)

        def place(pos: int) -> tuple[str, int]:
            name, prio = self.default_section, self.default_priority
            k = bisect.bisect_right(span_starts, pos) - 1
            if k >= 0 and spans[k][0] <= pos < spans[k][1]:
                name, prio = spans[k][2], spans[k][3]
            k = bisect.bisect_right(demoted_at[0], pos) - 1
            if k >= 0 and demoted_at[1][k] is not None and demoted_at[1][k][1] < prio:
                name, prio = demoted_at[1][k]
            return name, prio

        out: list[Mention] = []
        for rule in self.rules:
            if not may_match(rule.literals, lowered):
                continue
            for m in rule.regex.finditer(work):
                if m.end() == m.start():
                    continue
                if rule.exclude_before and rule.exclude_before.search(self._clause_before(work, m.start())):
                    continue
                if self.unchecked and self.unchecked.search(work, max(0, m.start() - 12), m.start()):
                    continue
                if rule.requires:
                    s, e = self._sentence(work, m.start(), m.end())
                    if not rule.requires.search(work, s, e):
                        continue
                negated = rule.negatable and self._negated(work, m.start(), m.end())
                if negated and not (rule.negated_flag or rule.negated_value or rule.kind == "node_count"):
                    continue
                _, ev_span = _group(m, "ev")
                start, end = ev_span or m.span()
                section, priority = place(start)
                for task in rule.tasks or (None,):
                    mention = Mention(rule, task, None, start, end, text[start:end], section, priority, rule.strength)
                    if rule.kind == "node_count":
                        mention.sentence = self._sentence(work, start, end)[0]
                    if self._interpret(rule, m, mention, negated):
                        out.append(mention)
        return out

    def _interpret(self, rule: Rule, m: re.Match, mention: Mention, negated: bool) -> bool:
        """Fill value / number / flag from the match; False when the match gives nothing usable."""
        raw, _ = _group(m, "v")
        kind = rule.kind
        if kind == "flag":
            mention.flag = rule.negated_flag if negated else rule.flag
            return mention.flag is not None
        if negated and kind == "node_count":  # "no metastatic carcinoma in 17 lymph nodes"
            mention.number, mention.deposit, mention.value = 0.0, rule.deposit or "any", "N0"
            return True
        if negated:
            mention.value = rule.negated_value
            return mention.value is not None
        if kind == "map":
            if raw is None:
                return False
            key = _norm_key(raw)
            if key not in rule.map:
                return False
            mention.value = rule.map[key] or None  # "" = written but not assessable (pTX)
            return True
        if kind == "fixed":
            mention.value = rule.value
            return True
        if kind == "size_t":
            dims = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", raw.replace(",", "."))]  # "1,2 cm"
            unit = (_group(m, "unit")[0] or "mm").lower()
            mm = max(dims) * (10.0 if unit == "cm" else 1.0)
            if mm <= 0:
                return False
            mention.number = mm
            mention.value = _bucket(mm, self.size_to_t["upper_mm"], self.size_to_t["labels"])
            return True
        if kind == "node_count":
            pos = float(rule.count) if rule.count is not None else _number(_group(m, "pos")[0])
            tot = _number(_group(m, "tot")[0])
            if pos is None or (tot is not None and pos > tot):
                return False
            mention.number, mention.deposit, mention.of_total = pos, rule.deposit or "any", tot
            mention.value = _bucket(pos, self.count_to_n["upper"], self.count_to_n["labels"])
            return True
        if kind == "node_deposit":
            deposit = rule.deposit
            if raw is not None:
                unit = (_group(m, "unit")[0] or "mm").lower()
                mm = float(raw) * (10.0 if unit == "cm" else 1.0)
                mention.number = mm
                dm = self.deposit_mm
                deposit = "itc" if mm <= dm["itc_max"] else "micro" if mm <= dm["micro_max"] else "macro"
            mention.deposit = deposit
            mention.value = {"itc": "N0", "micro": "N1mi"}.get(deposit or "")
            return deposit is not None
        if kind in ("grade_score", "grade_sum"):
            if kind == "grade_sum":
                parts = [int(m.group(g)) for g in ("a", "b", "c")]
                total = sum(parts)
                if raw is not None and int(raw) != total:
                    return False  # "3+3+2=9" is an arithmetic slip we should not guess about
            else:
                total = int(raw)
            for label, (lo, hi) in self.nottingham.items():
                if lo <= total <= hi:
                    mention.value, mention.number = label, float(total)
                    return True
            return False
        if kind == "percent":
            value = float(raw)
            hi = _number(_group(m, "hi")[0])
            if _group(m, "lt")[0] is not None:
                value -= 1e-6  # "<1%" is below 1%
            elif hi is not None:
                value = max(value, hi)
            if value > 100:
                return False
            mention.number = value
            mention.value = "Positive" if value >= self.receptor["positive_min_percent"] else "Negative"
            return True
        if kind == "allred":
            score = int(raw) if raw is not None else int(m.group("a")) + int(m.group("b"))
            if score > 8:
                return False
            mention.number = float(score)
            mention.value = "Positive" if score >= self.receptor["allred_positive_min"] else "Negative"
            return True
        if kind == "her2_ihc":
            mention.value = rule.map.get(_norm_key(raw)) or None  # maps.her2_ihc: 0/1+ neg, 2+ equivocal, 3+ pos
            return mention.value is not None
        if kind == "her2_ish":
            key = _norm_key(raw)
            mention.value = rule.map.get(key) or None
            return mention.value is not None
        if kind in ("her2_ratio", "her2_copies"):
            mention.number = float(raw)
            return 0 < mention.number < 100
        return False

    # ------------------------------------------------------------------ resolution
    def extract(self, text: str) -> dict[str, Finding | None]:
        """Resolve every task to one Finding (or None) by section priority, negation and canonical maps."""
        mentions = self.mentions(text)
        current = [m for m in mentions if m.priority >= self.current_min]
        flags = {m.flag: m for m in sorted(current, key=lambda m: m.start, reverse=True) if m.flag}
        dcis_only = "dcis" in flags and "no_invasive" in flags and "invasive" not in flags
        by_task = {t: [m for m in current if m.task == t and m.flag is None] for t in schema.TASKS}
        return {
            "t_stage": self._resolve_t(by_task["t_stage"], flags, dcis_only),
            "n_stage": self._resolve_n(by_task["n_stage"]),
            "m_stage": self._resolve_written(by_task["m_stage"]),
            "grade": None if dcis_only else _best(by_task["grade"]),
            "er": _best(by_task["er"]),
            "pr": _best(by_task["pr"]),
            "her2": self._resolve_her2(by_task["her2"]),
        }

    def describes_tumour(self, text: str) -> bool:
        """True when the current sections describe a tumour: invasive carcinoma or DCIS that is not
        negated, or a written T category. A benign side of a two-sided report does not."""
        current = [m for m in self.mentions(text) if m.priority >= self.current_min]
        if any(m.flag in ("invasive", "dcis") for m in current):
            return True
        return any(m.task == "t_stage" and m.flag is None and m.rule.kind in ("map", "fixed") and m.value for m in current)

    @staticmethod
    def _resolve_written(ms: list[Mention]) -> Finding | None:
        written = [m for m in ms if m.rule.kind in ("map", "fixed")]
        if not written:
            return None
        valued = [m for m in written if m.value]
        return _best(valued)  # only "X" (not assessable) written -> None

    def _resolve_t(self, ms: list[Mention], flags: dict[str, Mention], dcis_only: bool) -> Finding | None:
        written = [m for m in ms if m.rule.kind in ("map", "fixed")]
        if written:
            return self._resolve_written(written)
        if "core_biopsy" in flags and "resection" not in flags:
            return None  # a core biopsy is not staged: its extent in a core is not the tumour's size
        if dcis_only:
            return flags["dcis"].finding("Tis")
        if {"no_residual", "neoadjuvant"} <= set(flags) and "invasive" not in flags and "dcis" not in flags:
            return flags["no_residual"].finding("T0")
        if "no_invasive" in flags and "invasive" not in flags:
            return None  # a size here is not the size of an invasive carcinoma
        return _best([m for m in ms if m.rule.kind == "size_t"])

    def _resolve_n(self, ms: list[Mention]) -> Finding | None:
        written = [m for m in ms if m.rule.kind in ("map", "fixed")]
        if written:
            return self._resolve_written(written)
        nodal = [m for m in ms if m.rule.kind in ("node_count", "node_deposit")]
        if not nodal:
            return None
        # Counts from the best sections only, each statement counted once: a synoptic total and the
        # diagnosis lines count the same nodes, so totals win over summing the parts.
        top = max(m.priority for m in nodal)
        counts = [m for m in nodal if m.priority == top and m.rule.kind == "node_count"]
        deposits = [m for m in nodal if m.rule.kind == "node_deposit"]
        totals = [m for m in counts if m.rule.total]
        dm = self.deposit_mm
        if totals:
            firsts = {}
            for m in sorted(totals, key=lambda m: m.start):
                firsts.setdefault(m.rule.name, m)
            macro = sum(m.number for m in firsts.values() if m.deposit in ("any", "macro"))
            micro = sum(m.number for m in firsts.values() if m.deposit == "micro")
            positives = macro + micro
            evidence = max(firsts.values(), key=lambda m: (m.number, -m.start))
            if positives == 0:
                return evidence.finding("N0")
            if macro == 0 and micro <= dm["micro_max_nodes"]:
                return evidence.finding("N1mi")
            return evidence.finding(_bucket(positives, self.count_to_n["upper"], self.count_to_n["labels"]))
        if counts:
            counted: list[Mention] = []
            for m in sorted(counts, key=lambda m: m.start):
                if any(_same_count(m, c) for c in counted):
                    continue  # "in three of three lymph nodes (3/3)", or a line repeated in another section
                counted.append(m)
            positives = sum(m.number for m in counted)
            evidence = max(counts, key=lambda m: (m.number, -m.start))
        else:
            positives, evidence = None, None
        kinds = {m.deposit for m in deposits}
        if positives is None:  # no counts: a deposit statement alone
            d = _best(deposits)
            return d if d and d.value else None
        if positives == 0 or kinds == {"itc"}:  # isolated tumour cells only: pN0(i+)
            return evidence.finding("N0")
        if positives <= dm["micro_max_nodes"] and "micro" in kinds and "macro" not in kinds:
            micro = next(m for m in deposits if m.deposit == "micro")
            return micro.finding("N1mi")
        return evidence.finding(_bucket(positives, self.count_to_n["upper"], self.count_to_n["labels"]))

    def _resolve_her2(self, ms: list[Mention]) -> Finding | None:
        ihc = _best_mention([m for m in ms if m.rule.kind in ("her2_ihc", "map")])
        ratio = _best_mention([m for m in ms if m.rule.kind == "her2_ratio"])
        copies = _best_mention([m for m in ms if m.rule.kind == "her2_copies"])
        ish_word = _best_mention([m for m in ms if m.rule.kind == "her2_ish"])
        ish_value, ish_mention = None, None
        if ratio or copies:
            ish_value = self._ish_group(ratio.number if ratio else None, copies.number if copies else None)
            ish_mention = ratio or copies
        elif ish_word:
            ish_value, ish_mention = ish_word.value, ish_word
        if ish_value is None:
            return ihc.finding() if ihc else None
        if ihc is not None and ihc.value == "Positive" and ihc.priority >= ish_mention.priority:
            return ihc.finding()  # IHC 3+ is positive whatever ISH shows
        # ISH resolves an equivocal (2+) or pending IHC, and is the reflex test after any IHC.
        return ish_mention.finding(ish_value)

    def _ish_group(self, ratio: float | None, copies: float | None) -> str:
        """ASCO/CAP 2018 HER2 ISH groups (dual probe), simplified as rules/fields/receptors.toml says."""
        cut, low, high = self.her2["ratio_cut"], self.her2["copies_low"], self.her2["copies_high"]
        if ratio is not None and copies is not None:
            if ratio >= cut:
                return "Positive" if copies >= low else "Negative"  # group 1 / group 2
            return "Positive" if copies >= high else "Negative"  # group 3 / groups 4-5
        if ratio is not None:
            return "Positive" if ratio >= cut else "Negative"
        if copies >= high:
            return "Positive"
        return "Negative" if copies < low else "Equivocal"

    # ------------------------------------------------------------------ hints
    def hints(self, text: str) -> dict[str, list[str]]:
        """Raw evidence strings per task from current sections, in reading order (paper S1.B).

        HER2 keeps every assay's evidence ("IHC 2+", "FISH amplified") unreconciled.
        """
        usable = [m for m in self.mentions(text) if m.task and m.flag is None and m.priority >= self.current_min]
        out: dict[str, list[str]] = {}
        for task in schema.TASKS:
            kept: list[Mention] = []  # non-overlapping, sorted by start (bisect keeps this linear-ish)
            starts: list[int] = []
            # Longest first, so "ER: Negative (0%)" hides the "ER: Negative" inside it.
            for m in sorted((m for m in usable if m.task == task), key=lambda m: (m.start - m.end, m.start)):
                k = bisect.bisect_left(starts, m.start)
                if (k > 0 and kept[k - 1].end > m.start) or (k < len(kept) and kept[k].start < m.end):
                    continue  # overlaps a longer mention already kept
                kept.insert(k, m)
                starts.insert(k, m.start)
            texts: list[str] = []
            seen: set[str] = set()
            for m in kept:
                flat = " ".join(m.evidence.split())
                if flat.lower() not in seen:
                    seen.add(flat.lower())
                    texts.append(flat)
            out[task] = texts[: self.max_hints]
        return out

    # ------------------------------------------------------------------ naive baseline
    def naive(self, text: str) -> dict[str, str | None]:
        cfg = self._naive
        if cfg is None:
            raise RuleFileError("rule files: no [naive] table (expected in fields/naive.toml)")
        out: dict[str, str | None] = {}
        for task, key in (("t_stage", "t"), ("n_stage", "n"), ("m_stage", "m"), ("grade", "grade")):
            m = cfg[key].search(text)
            out[task] = (cfg[f"{key}_map"].get(_norm_key(m.group("v"))) or None) if m else None
        for task in ("er", "pr", "her2"):
            out[task] = None
            marker = cfg["markers"].get(task)
            m = marker.search(text) if marker else None
            if m is None:
                continue
            window = text[max(0, m.start() - cfg["window"]):m.end() + cfg["window"]]
            for label, kw in cfg["keywords"]:
                if kw.search(window):
                    out[task] = label
                    break
        return out


def _req(f: str, table: dict, key: str, what: str):
    if key not in table:
        name = table.get("name")
        label = f"{what} {name!r}" if name else what
        raise RuleFileError(f"{f}: {label}: missing key {key!r}")
    return table[key]


def _collect(rel: str, data: dict, p: _Parsed) -> None:
    """Merge one parsed rule file into the rule set, checking table shapes."""
    def need_list(key: str) -> list:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise RuleFileError(f"{rel}: [[{key}]] must be an array of tables")
        return value

    for key, value in data.items():
        if key == "ruleset":
            if p.ruleset:
                raise RuleFileError(f"{rel}: [ruleset] defined twice (also in {p.ruleset['__file__']})")
            if not isinstance(value, dict) or not value.get("version"):
                raise RuleFileError(f"{rel}: [ruleset] needs a version")
            p.ruleset = {**value, "__file__": rel}
        elif key == "patterns":
            for name, pat in value.items():
                if name in p.patterns and p.patterns[name] != pat:
                    raise RuleFileError(f"{rel}: pattern {name!r} defined twice with different text")
                p.patterns[name] = pat
        elif key == "maps":
            for name, table in value.items():
                if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                    raise RuleFileError(f"{rel}: map {name!r} must map strings to labels")
                if name in p.maps:
                    raise RuleFileError(f"{rel}: map {name!r} defined twice")
                p.maps[name] = {_norm_key(k): v for k, v in table.items()}
        elif key in ("rule", "section", "context", "ocr"):
            getattr(p, {"rule": "rules", "section": "sections", "context": "contexts", "ocr": "ocr"}[key]).extend(
                (rel, item) for item in need_list(key)
            )
        elif key in ("negation", "naive"):
            setattr(p, key, (rel, value))
        elif isinstance(value, dict):
            if key in p.tables:
                raise RuleFileError(f"{rel}: [{key}] defined twice (also in {p.tables[key][0]})")
            p.tables[key] = (rel, value)
        else:
            raise RuleFileError(f"{rel}: unknown top-level key {key!r}")


def _lowest_cover(ranges: list[tuple[int, int, str, int]]) -> tuple[list[int], list[tuple[str, int] | None]]:
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


def _same_count(a: Mention, b: Mention) -> bool:
    """Two node-count mentions that state the same count: same sentence, or the same words elsewhere."""
    if a.number != b.number or (a.of_total is not None and b.of_total is not None and a.of_total != b.of_total):
        return False
    return a.sentence == b.sentence or (a.rule is b.rule and _norm_key(a.evidence) == _norm_key(b.evidence))


def _bucket(value: float, uppers: list, labels: list) -> str:
    for upper, label in zip(uppers, labels):
        if value <= upper:
            return label
    return labels[-1]


def _best_mention(ms: list[Mention]) -> Mention | None:
    ms = [m for m in ms if m.value is not None or m.number is not None]
    return max(ms, key=Mention.rank) if ms else None


def _best(ms: list[Mention]) -> Finding | None:
    ms = [m for m in ms if m.value]
    return max(ms, key=Mention.rank).finding() if ms else None


_DEFAULT: RuleEngine | None = None


def default_engine() -> RuleEngine:
    """The engine for the default rules directory, compiled once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RuleEngine.load()
    return _DEFAULT


def naive_extract(text: str, engine: RuleEngine | None = None) -> dict[str, str | None]:
    """The paper's Naive Rule-Based baseline: {task: label | None} (see rules/fields/naive.toml)."""
    return (engine or default_engine()).naive(text)
