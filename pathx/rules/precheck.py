"""Literal pre-check: skip a regex on text that lacks every word its matches must contain.

Most rules can only match where one of a few words occurs ("copies", "ratio", "neoadjuvant").
Python's regex engine cannot see that when a pattern starts with optional parts, and tries it
at every position; a substring test on the lower-cased text is far cheaper. Used only on
ASCII text, where lower-casing is exact for ASCII literals (Unicode case folding has cases
such as the long s that would need more care), so skipping never changes a result.
Used by the field rules (rules/match.py) and de-identification (ingestion/deid.py).
"""
from __future__ import annotations

import re
from re import _constants as _sre, _parser as _sre_parse  # stdlib internals; behaviour pinned by tests


def required_literals(regex: re.Pattern) -> frozenset[str] | None:
    """Lower-case ASCII strings at least one of which every match of `regex` contains; None
    when no such set is found (then the regex is always run)."""
    try:
        parsed = _sre_parse.parse(regex.pattern, regex.flags)
    except Exception:  # a pattern the parser of this Python reads differently: no pre-check
        return None
    found = _sequence(list(parsed))
    return found if found and all(found) else None


class PreChecked:
    """Mixin for a dataclass with a compiled `regex` field: adds `literals` (its pre-check)."""

    def __post_init__(self):
        object.__setattr__(self, "literals", required_literals(self.regex))  # also for frozen dataclasses


def may_match(literals: frozenset[str] | None, lowered: str | None) -> bool:
    """False only when `lowered` (the lower-cased text, None for non-ASCII text) lacks them all."""
    return literals is None or lowered is None or any(s in lowered for s in literals)


def ascii_lowered(text: str) -> str | None:
    """The text to give may_match: lower-cased when ASCII, else None (every rule runs)."""
    return text.lower() if text.isascii() else None


def _sequence(items) -> frozenset[str] | None:
    """Best requirement of a sequence: the item (or run of literal characters) whose
    alternatives are longest, since longer strings are rarer."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(cands: frozenset[str] | None) -> None:
        nonlocal best
        if cands and (best is None or min(map(len, cands)) > min(map(len, best))):
            best = cands

    for op, av in items:
        if op is _sre.LITERAL and av < 128:
            run.append(chr(av).lower())
            continue
        if run:
            consider(frozenset({"".join(run)}))
            run = []
        consider(_item(op, av))
    if run:
        consider(frozenset({"".join(run)}))
    return best


def _item(op, av) -> frozenset[str] | None:
    if op is _sre.SUBPATTERN:  # (group, add_flags, del_flags, pattern)
        return _sequence(list(av[-1]))
    if op is _sre.ATOMIC_GROUP:
        return _sequence(list(av))
    if op is _sre.BRANCH:  # every alternative must give a requirement, else there is none
        union: set[str] = set()
        for branch in av[1]:
            found = _sequence(list(branch))
            if not found:
                return None
            union |= found
        return frozenset(union)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):  # (min, max, pattern)
        return _sequence(list(av[2])) if av[0] >= 1 else None
    return None  # character classes, anchors, lookarounds, back-references: no literal
