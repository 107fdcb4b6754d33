"""Matching: every rule run over a text, each match placed in its section and turned into mentions.

A mention is one candidate for one task (or a report-level flag): value (a contract label),
span, section, priority and strength. Negatable mentions are dropped (or flipped, per their
kind) when a negation cue governs them. Rules run on the OCR-repaired copy of the text; evidence
is cut from the original (repairs keep the length).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pathx.rules.context import Placer, repair, sentence, split_sections
from pathx.rules.kinds import KINDS, Rule, group
from pathx.rules.precheck import ascii_lowered, may_match

if TYPE_CHECKING:
    from pathx.rules.ruleset import RuleSet


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

    @property
    def written(self) -> bool:
        """From a written category (kind map / fixed), not a derived fallback."""
        return KINDS[self.rule.kind].written


def sections_of(rs: RuleSet, text: str) -> list[tuple[int, int, str, int]]:
    """(start, end, name, priority) spans covering the text, in order (after OCR repairs)."""
    return split_sections(repair(text, rs.ocr), rs.sections, rs.default)


def find_mentions(rs: RuleSet, text: str) -> list[Mention]:
    """Every candidate any rule finds in `text`, in rule order then match order."""
    work = repair(text, rs.ocr)
    lowered = ascii_lowered(work)
    place = Placer(work, rs.sections, rs.contexts, rs.default, lowered)
    neg = rs.negation
    out: list[Mention] = []
    for rule in rs.rules:
        if not may_match(rule.literals, lowered):
            continue
        kind = KINDS[rule.kind]
        for m in rule.regex.finditer(work):
            if m.end() == m.start():
                continue
            if rule.exclude_before and rule.exclude_before.search(neg.clause_before(work, m.start())):
                continue
            if neg.unchecked_box(work, m.start()):
                continue
            if rule.requires:
                s, e = sentence(work, m.start(), m.end())
                if not rule.requires.search(work, s, e):
                    continue
            negated = rule.negatable and neg.negated(work, m.start(), m.end())
            if negated and not (rule.negated_flag or rule.negated_value or kind.keeps_negated):
                continue
            _, ev_span = group(m, "ev")
            start, end = ev_span or m.span()
            section, priority = place(start)
            for task in rule.tasks or (None,):
                mention = Mention(rule, task, None, start, end, text[start:end], section, priority, rule.strength)
                if kind.sentence:
                    mention.sentence = sentence(work, start, end)[0]
                if negated and not kind.keeps_negated:
                    mention.value = rule.negated_value
                    ok = mention.value is not None
                else:
                    ok = kind.interpret(rule, m, mention, rs.tables, negated)
                if ok:
                    out.append(mention)
    return out
