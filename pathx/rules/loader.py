"""Reading rule files (rules/*.toml and rules/fields/*.toml) with errors that name the file and the rule.

One syntax for every rule file: a pattern may use `<<name>>` references to word lists
([lists], each an alternation of literal words) and regex macros ([macros], in file order; a
macro may use lists and earlier macros) defined in the same file. Each reference is inserted
as a non-capturing group. See rules/deid.toml for lists, rules/fields/tnm.toml for macros.

Shared by ingestion (deid.py, segment.py, prompt.py) and the field rule set (rules/ruleset.py).
The literal pre-check lives in rules/precheck.py (re-exported here for older imports).
"""
from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Callable, TypeVar

from pathx.errors import RuleFileError
from pathx.rules.precheck import PreChecked, ascii_lowered, may_match, required_literals  # noqa: F401

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


def read_versioned(path: Path) -> tuple[dict, str]:
    """A rule file and its `version` string (every rule file has one); RuleFileError naming the file."""
    data = read_toml(path)
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise RuleFileError(f"{path}: missing string 'version'")
    return data, version

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


def expand(pattern: str, refs: dict[str, str], path: Path | str, rule: str, *, what: str | None = None) -> str:
    """Replace every <<name>> by its fragment; an unknown name is a rule-file error."""

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in refs:
            raise RuleFileError(f"{path}: {what or f'rule {rule!r}'} uses unknown list or macro <<{name}>>")
        return refs[name]

    return _REF.sub(sub, pattern)


def build_refs(data: dict, path: Path | str) -> dict[str, str]:
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
        refs[name] = "(?:" + expand(fragment, refs, path, name, what=f"macro {name!r}") + ")"
    return refs


def compile_pattern(pattern: object, refs: dict[str, str], path: Path | str, rule: str, flags: int = 0,
                    *, what: str | None = None) -> re.Pattern:
    """Expand references and compile; a bad regex names the file and the rule.

    `what` names the thing in errors when it is not a rule ("section 'gross'", "negation.before");
    default "rule '<rule>'"."""
    label = what or f"rule {rule!r}"
    if not isinstance(pattern, str) or not pattern:
        raise RuleFileError(f"{path}: {label} needs a non-empty 'pattern' string")
    try:
        return re.compile(expand(pattern, refs, path, rule, what=label), flags)
    except re.error as err:
        raise RuleFileError(f"{path}: {label} has a bad regex ({err.msg})") from None
