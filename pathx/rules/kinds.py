"""Rule kinds: how a `[[rule]]` table is checked and how its regex match becomes a mention.

A kind is registered by name in `KINDS` (the `kind` key of a rule). Each kind owns its part of
the rule schema: the keys it takes beyond the common ones, the named groups its pattern must
have, whether it reads a [maps.*] table, the fallback tables it reads, and `interpret`, which
fills a Mention's value / number / flag from a match (False: the match gives nothing usable).

Common keys (every kind): name, task, kind, pattern, strength, negatable, requires,
exclude_before, case_sensitive, negated_value. rules/fields/tnm.toml documents them for authors.

Adding a kind is one subclass of `Kind` decorated with `@register`; nothing else dispatches on
kind names except the resolvers that treat written categories (`Kind.written`) specially.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pathx.rules.precheck import PreChecked

if TYPE_CHECKING:
    from pathx.rules.match import Mention

COMMON_KEYS = frozenset({
    "name", "task", "kind", "pattern", "strength", "negatable", "requires", "exclude_before",
    "case_sensitive", "negated_value",
})

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


@dataclass
class Rule(PreChecked):  # `literals`: skip the regex on texts without any
    """One compiled [[rule]]: its kind's name, tasks, regexes and the keys its kind takes."""

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


# ----------------------------------------------------------------------------- helpers
def norm_key(raw: str) -> str:
    """A map key: lower-cased, white space removed."""
    return re.sub(r"\s+", "", raw).lower()


def group(m: re.Match, base: str) -> tuple[str | None, tuple[int, int] | None]:
    """The first participating group among base, base2 .. base9 (alternatives cannot share a name)."""
    for name in (base, *(f"{base}{k}" for k in range(2, 10))):
        if name in m.re.groupindex and m.group(name) is not None:
            return m.group(name), m.span(name)
    return None, None


def number(raw: str | None) -> float | None:
    """A count in digits or words ("4", "four", "twenty-two"); None when it is neither."""
    if raw is None:
        return None
    raw = " ".join(raw.split()).lower()
    if raw in NUMBER_WORDS:
        return float(NUMBER_WORDS[raw])
    try:
        return float(raw)
    except ValueError:
        return None


def bucket(value: float, uppers: list, labels: list) -> str:
    """The label of the first upper bound `value` does not exceed (the last label above them all)."""
    for upper, label in zip(uppers, labels):
        if value <= upper:
            return label
    return labels[-1]


def _mm(m: re.Match, raw: str) -> float:
    unit = (group(m, "unit")[0] or "mm").lower()
    return float(raw) * (10.0 if unit == "cm" else 1.0)


# ----------------------------------------------------------------------------- the registry
class Kind:
    """Base of the rule kinds. Class attributes are the kind's schema; see the module docstring."""

    name = ""
    keys: frozenset[str] = frozenset()  # keys beyond COMMON_KEYS
    needs_v = False  # the pattern must have a named group v (the value)
    uses_map = False  # the rule names a [maps.*] table in `map`
    written = False  # a written category: resolvers prefer it to derived fallbacks
    needs_task = True
    default_strength = 2
    keeps_negated = False  # a negated match still gives a mention (interpret gets negated=True)
    sentence = False  # mentions record their sentence start (resolvers deduplicate per sentence)
    tables: tuple[str, ...] = ()  # fallback tables read by interpret

    def check(self, r: dict, groups: set[str]) -> str | None:
        """A problem with the rule table beyond the shared checks, or None."""
        return None

    def interpret(self, rule: Rule, m: re.Match, mention: Mention, tables: dict, negated: bool) -> bool:
        raise NotImplementedError


KINDS: dict[str, Kind] = {}


def register(cls: type[Kind]) -> type[Kind]:
    KINDS[cls.name] = cls()
    return cls


@register
class MapKind(Kind):
    """Group v through a [maps.*] table ("" = written but not assessable, e.g. pTX)."""

    name, keys, needs_v, uses_map, written, default_strength = "map", frozenset({"map"}), True, True, True, 3

    def interpret(self, rule, m, mention, tables, negated):
        raw, _ = group(m, "v")
        if raw is None or norm_key(raw) not in rule.map:
            return False
        mention.value = rule.map[norm_key(raw)] or None
        return True


@register
class FixedKind(Kind):
    """A fixed label (`value`) whenever the pattern matches."""

    name, keys, written, default_strength = "fixed", frozenset({"value"}), True, 3

    def interpret(self, rule, m, mention, tables, negated):
        mention.value = rule.value
        return True


@register
class FlagKind(Kind):
    """A report-level flag (`flag`; `negated_flag` when negated) read by the resolvers."""

    name, keys, needs_task, keeps_negated = "flag", frozenset({"flag", "negated_flag"}), False, True

    def check(self, r, groups):
        return None if r.get("flag") else "kind 'flag' needs a flag name"

    def interpret(self, rule, m, mention, tables, negated):
        mention.flag = rule.negated_flag if negated else rule.flag
        return mention.flag is not None


@register
class SizeT(Kind):
    """Tumour dimensions (v, unit) -> T by the largest one through [size_to_t]."""

    name, needs_v, tables = "size_t", True, ("size_to_t",)

    def interpret(self, rule, m, mention, tables, negated):
        raw, _ = group(m, "v")
        dims = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", raw.replace(",", "."))]  # "1,2 cm"
        unit = (group(m, "unit")[0] or "mm").lower()
        mm = max(dims) * (10.0 if unit == "cm" else 1.0)
        if mm <= 0:
            return False
        mention.number = mm
        mention.value = bucket(mm, tables["size_to_t"]["upper_mm"], tables["size_to_t"]["labels"])
        return True


@register
class NodeCount(Kind):
    """Positive nodes (pos [of tot], or a fixed `count`) -> N through [count_to_n]; negated counts 0."""

    name, keys, keeps_negated, tables = "node_count", frozenset({"deposit", "count", "total"}), True, ("count_to_n",)
    sentence = True

    def check(self, r, groups):
        return None if "pos" in groups or r.get("count") is not None else "kind 'node_count' needs group pos or a count"

    def interpret(self, rule, m, mention, tables, negated):
        if negated:  # "no metastatic carcinoma in 17 lymph nodes"
            mention.number, mention.deposit, mention.value = 0.0, rule.deposit or "any", "N0"
            return True
        pos = float(rule.count) if rule.count is not None else number(group(m, "pos")[0])
        tot = number(group(m, "tot")[0])
        if pos is None or (tot is not None and pos > tot):
            return False
        mention.number, mention.deposit, mention.of_total = pos, rule.deposit or "any", tot
        mention.value = bucket(pos, tables["count_to_n"]["upper"], tables["count_to_n"]["labels"])
        return True


@register
class NodeDeposit(Kind):
    """A nodal deposit: `deposit` (macro/micro/itc), or its size (v, unit) through [deposit_mm]."""

    name, keys, tables = "node_deposit", frozenset({"deposit"}), ("deposit_mm",)

    def interpret(self, rule, m, mention, tables, negated):
        raw, _ = group(m, "v")
        deposit = rule.deposit
        if raw is not None:
            mm = _mm(m, raw)
            mention.number = mm
            dm = tables["deposit_mm"]
            deposit = "itc" if mm <= dm["itc_max"] else "micro" if mm <= dm["micro_max"] else "macro"
        mention.deposit = deposit
        mention.value = {"itc": "N0", "micro": "N1mi"}.get(deposit or "")
        return deposit is not None


def _nottingham(total: int, mention: Mention, tables: dict) -> bool:
    for label, (lo, hi) in tables["thresholds"]["nottingham"].items():
        if lo <= total <= hi:
            mention.value, mention.number = label, float(total)
            return True
    return False


@register
class GradeScore(Kind):
    """A Nottingham total score (v, in digits or words) -> grade through [thresholds.nottingham]."""

    name, needs_v, tables = "grade_score", True, ("thresholds",)

    def interpret(self, rule, m, mention, tables, negated):
        score = number(group(m, "v")[0])  # digits or a word ("four")
        return score is not None and _nottingham(int(score), mention, tables)


@register
class GradeSum(Kind):
    """Nottingham components (a + b + c [= v]) -> grade; a wrong written sum gives nothing."""

    name, tables = "grade_sum", ("thresholds",)

    def check(self, r, groups):
        return None if {"a", "b", "c"} <= groups else "kind 'grade_sum' needs named groups a, b and c"

    def interpret(self, rule, m, mention, tables, negated):
        raw, _ = group(m, "v")
        total = sum(int(m.group(g)) for g in ("a", "b", "c"))
        if raw is not None and int(raw) != total:
            return False  # "3+3+2=9" is an arithmetic slip we should not guess about
        return _nottingham(total, mention, tables)


@register
class Percent(Kind):
    """Percentage of stained nuclei (v [- hi], "<" lt) -> Positive / Negative through [receptor]."""

    name, needs_v, tables = "percent", True, ("receptor",)

    def interpret(self, rule, m, mention, tables, negated):
        value = float(group(m, "v")[0])
        hi = number(group(m, "hi")[0])
        if group(m, "lt")[0] is not None:
            value -= 1e-6  # "<1%" is below 1%
        elif hi is not None:
            value = max(value, hi)
        if value > 100:
            return False
        mention.number = value
        mention.value = "Positive" if value >= tables["receptor"]["positive_min_percent"] else "Negative"
        return True


@register
class Allred(Kind):
    """Allred score (v, or proportion a + intensity b) -> Positive / Negative through [receptor]."""

    name, tables = "allred", ("receptor",)

    def check(self, r, groups):
        return None if "v" in groups or {"a", "b"} <= groups else "kind 'allred' needs group v or groups a and b"

    def interpret(self, rule, m, mention, tables, negated):
        raw, _ = group(m, "v")
        score = int(raw) if raw is not None else int(m.group("a")) + int(m.group("b"))
        if score > 8:
            return False
        mention.number = float(score)
        mention.value = "Positive" if score >= tables["receptor"]["allred_positive_min"] else "Negative"
        return True


class _MappedValue(Kind):
    """Group v through the rule's map; a key the map lacks (or maps to "") gives nothing."""

    keys, needs_v, uses_map = frozenset({"map"}), True, True

    def interpret(self, rule, m, mention, tables, negated):
        mention.value = rule.map.get(norm_key(group(m, "v")[0])) or None
        return mention.value is not None


@register
class Her2Ihc(_MappedValue):
    """HER2 IHC score (maps.her2_ihc: 0/1+ negative, 2+ equivocal, 3+ positive)."""

    name = "her2_ihc"


@register
class Her2Ish(_MappedValue):
    """HER2 ISH status words (maps.ish_status)."""

    name = "her2_ish"


class _Measure(Kind):
    """A number (v) kept for the HER2 resolver (ASCO/CAP 2018 groups through [her2])."""

    needs_v = True

    def interpret(self, rule, m, mention, tables, negated):
        mention.number = float(group(m, "v")[0])
        return 0 < mention.number < 100


@register
class Her2Ratio(_Measure):
    name = "her2_ratio"


@register
class Her2Copies(_Measure):
    name = "her2_copies"
