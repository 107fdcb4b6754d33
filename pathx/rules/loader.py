"""Reading rule files (rules/*.toml) with errors that name the file and the rule.

Shared by deid.py, segment.py and prompt.py. Patterns may use `<<name>>` references to
word lists and regex macros defined in the same file (see rules/deid.toml for the format).
The literal pre-check at the end serves deid.py and ruleengine.py.
"""
from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from re import _constants as _sre, _parser as _sre_parse  # stdlib internals; behaviour pinned by tests
from typing import Callable, TypeVar

from pathx.errors import RuleFileError

_REF = re.compile(r"<<([A-Za-z_][A-Za-z0-9_]*)>>")


T = TypeVar("T")


def load_compiled(path: Path, parse: Callable[[Path], T]) -> T:
    """`parse(path)`, compiled once per file version: an edited rule file is re-read."""
    try:
        st = path.stat()
    except OSError:
        raise RuleFileError(f"{path}: rule file not found") from None
    return _compiled(parse, str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=32)
def _compiled(parse, path: str, mtime_ns: int, size: int):
    return parse(Path(path))


def read_toml(path: Path) -> dict:
    """Parse a rule file; a missing or malformed file raises RuleFileError naming it."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise RuleFileError(f"{path}: rule file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise RuleFileError(f"{path}: not valid TOML ({err})") from None


# Letters OCR commonly misreads, and what it reads them as ("Narne", "Potient", "Namc").
_OCR_CONFUSIONS = {"m": "(?:m|rn)", "a": "[ao]", "e": "[ec]", "i": "[il1]", "l": "[li1]", "o": "[o0]", "s": "[s5]"}


def _literal(word: str, ocr: bool) -> str:
    if not ocr:
        return re.escape(word)
    return "".join(_OCR_CONFUSIONS.get(ch.lower(), re.escape(ch)) for ch in word)


def word_alternation(words: list[str], ocr: bool = False) -> str:
    """Regex alternation of literal words, longest first so "Patient Name" beats "Patient".

    With `ocr`, each word also matches its usual OCR misreadings (use case-insensitively).
    """
    ordered = sorted(set(words), key=len, reverse=True)
    escaped = [_literal(w, ocr).replace(r"\ ", r"[ \t]+") for w in ordered]
    return "(?:" + "|".join(escaped) + ")"


def expand(pattern: str, refs: dict[str, str], path: Path, rule: str) -> str:
    """Replace every <<name>> by its fragment; an unknown name is a rule-file error."""

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in refs:
            raise RuleFileError(f"{path}: rule {rule!r} uses unknown list or macro <<{name}>>")
        return refs[name]

    return _REF.sub(sub, pattern)


def build_refs(data: dict, path: Path) -> dict[str, str]:
    """Fragments for <<name>>: [lists] as alternations, then [macros] in file order.

    Lists named in the top-level `ocr_tolerant` array also match OCR misreadings.
    """
    refs: dict[str, str] = {}
    lists = data.get("lists", {})
    ocr = data.get("ocr_tolerant", [])
    if not isinstance(ocr, list) or not all(isinstance(n, str) and n in lists for n in ocr):
        raise RuleFileError(f"{path}: 'ocr_tolerant' must list names of [lists]")
    if not isinstance(lists, dict):
        raise RuleFileError(f"{path}: [lists] must be a table of word lists")
    for name, words in lists.items():
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
            raise RuleFileError(f"{path}: list {name!r} must be a non-empty list of strings")
        refs[name] = word_alternation(words, ocr=name in ocr)
    macros = data.get("macros", {})
    if not isinstance(macros, dict):
        raise RuleFileError(f"{path}: [macros] must be a table of regex strings")
    for name, fragment in macros.items():
        if not isinstance(fragment, str):
            raise RuleFileError(f"{path}: macro {name!r} must be a string")
        refs[name] = "(?:" + expand(fragment, refs, path, f"macro {name}") + ")"
    return refs


def compile_pattern(pattern: object, refs: dict[str, str], path: Path, rule: str, flags: int = 0) -> re.Pattern:
    """Expand references and compile; a bad regex names the file and the rule."""
    if not isinstance(pattern, str) or not pattern:
        raise RuleFileError(f"{path}: rule {rule!r} needs a non-empty 'pattern' string")
    try:
        return re.compile(expand(pattern, refs, path, rule), flags)
    except re.error as err:
        raise RuleFileError(f"{path}: rule {rule!r} has a bad regex ({err.msg})") from None


# ----------------------------------------------------------------------------- literal pre-check
# Most rules can only match where one of a few words occurs ("copies", "ratio", "neoadjuvant").
# Python's regex engine cannot see that when a pattern starts with optional parts, and tries it
# at every position; a substring test on the lower-cased text is far cheaper. Used only on
# ASCII text, where lower-casing is exact for ASCII literals (Unicode case folding has cases
# such as the long s that would need more care), so skipping never changes a result.


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
