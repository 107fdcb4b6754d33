"""The field rule set: rules/fields/*.toml read, checked and compiled in one place.

The rule files are data; together they hold one schema of top-level keys:

    [ruleset]      version (in every output row's `bundle` column as rules-<version>), current_min_priority,
                   default_section, default_priority, max_hints            (exactly one file)
    [macros] [lists] ocr_tolerant   `<<name>>` references, per file (see rules/loader.py)
    [maps.NAME]    raw value -> contract label (keys compared lower-cased, without spaces); shared by all files
    [[rule]]       one extraction rule; its `kind` (rules/kinds.py) says which keys it takes
    [[section]]    name, priority, header [, ends_at_blank_line]
    [[context]]    name, priority, pattern: the sentence around a match takes that priority
    [[ocr]]        name, pattern, replace (same length)
    [negation]     before, after, clause_break, window [, unchecked]
    [naive]        the naive baseline (rules/naive.py)
    [NAME]         any other table: a fallback table read by kinds and resolvers (size_to_t, count_to_n,
                   deposit_mm, thresholds, receptor, her2); each may be defined once

Older rule files, as embedded verbatim in bundles (the shipped minilm-prior-0.2.0 holds rule set
1.0.0), used a second macro syntax: `{{name}}` references to a [patterns] table. `_upgrade_legacy`
reads them as the current syntax ([macros] + `<<name>>`), so they compile to the same regexes.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from pathx import fields as registry
from pathx.errors import RuleFileError
from pathx.rules.context import Context, Negation, Section
from pathx.rules.kinds import COMMON_KEYS, KINDS, Rule, norm_key
from pathx.rules.loader import build_refs, compile_pattern
from pathx.rules.naive import Naive, compile_naive
from pathx.rules.resolve import RESOLVER_TABLES

SYNTAX_KEYS = ("macros", "lists", "ocr_tolerant")
ARRAYS = {"rule": "rules", "section": "sections", "context": "contexts", "ocr": "ocr"}
SECTION_HEAD = r"(?:^|(?<=\.\s)|(?<=\.))[ \t*#>\-]*(?P<h>"  # a header starts a line or follows a sentence end
_LEGACY_REF = re.compile(r"\{\{(\w+)\}\}")


@dataclass
class _Parsed:
    """Everything read from the rule files before compilation; arrays keep their file."""

    ruleset: dict = field(default_factory=dict)
    refs: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> <<name>> fragments
    maps: dict[str, dict[str, str]] = field(default_factory=dict)
    tables: dict[str, tuple[str, dict]] = field(default_factory=dict)  # name -> (file, table)
    rules: list[tuple[str, dict]] = field(default_factory=list)
    sections: list[tuple[str, dict]] = field(default_factory=list)
    contexts: list[tuple[str, dict]] = field(default_factory=list)
    ocr: list[tuple[str, dict]] = field(default_factory=list)
    negation: tuple[str, dict] | None = None
    naive: tuple[str, dict] | None = None


@dataclass
class RuleSet:
    """The compiled rule set (what RuleEngine runs)."""

    version: str
    current_min: int  # sections at or above this priority are "current"
    default: tuple[str, int]  # (section name, priority) of text before any header
    max_hints: int
    sections: list[Section]
    contexts: list[Context]
    ocr: list[tuple[re.Pattern, str]]
    negation: Negation
    tables: dict[str, dict]
    rules: list[Rule]
    naive: Naive | None


def parse_files(files: dict[str, str]) -> RuleSet:
    """Parse, check and compile rule files given as {relpath: text}; errors name file and rule."""
    parsed = _Parsed()
    for rel, text in sorted(files.items()):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise RuleFileError(f"{rel}: invalid TOML ({err})") from None
        _collect(rel, _upgrade_legacy(data), parsed)
    if not parsed.ruleset:
        raise RuleFileError("rule files: no [ruleset] table with a version (expected in fields/ruleset.toml)")
    return _compile(parsed)


def _upgrade_legacy(data: dict) -> dict:
    """A file in the old syntax ([patterns] + `{{name}}`) as the current one ([macros] + `<<name>>`)."""
    if "patterns" not in data:
        return data

    def conv(value):
        if isinstance(value, str):
            return _LEGACY_REF.sub(r"<<\1>>", value)
        if isinstance(value, list):
            return [conv(v) for v in value]
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        return value

    data = {("macros" if k == "patterns" else k): v for k, v in data.items()}
    return {k: (v if k == "maps" else conv(v)) for k, v in data.items()}


def _collect(rel: str, data: dict, p: _Parsed) -> None:
    """Merge one parsed rule file into the rule set, checking table shapes."""
    p.refs[rel] = build_refs(data, rel)
    for key, value in data.items():
        if key in SYNTAX_KEYS:
            continue
        if key == "ruleset":
            if p.ruleset:
                raise RuleFileError(f"{rel}: [ruleset] defined twice (also in {p.ruleset['__file__']})")
            if not isinstance(value, dict) or not value.get("version"):
                raise RuleFileError(f"{rel}: [ruleset] needs a version")
            p.ruleset = {**value, "__file__": rel}
        elif key == "maps":
            for name, table in value.items():
                if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                    raise RuleFileError(f"{rel}: map {name!r} must map strings to labels")
                if name in p.maps:
                    raise RuleFileError(f"{rel}: map {name!r} defined twice")
                p.maps[name] = {norm_key(k): v for k, v in table.items()}
        elif key in ARRAYS:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise RuleFileError(f"{rel}: [[{key}]] must be an array of tables")
            getattr(p, ARRAYS[key]).extend((rel, item) for item in value)
        elif key in ("negation", "naive"):
            setattr(p, key, (rel, value))
        elif isinstance(value, dict):
            if key in p.tables:
                raise RuleFileError(f"{rel}: [{key}] defined twice (also in {p.tables[key][0]})")
            p.tables[key] = (rel, value)
        else:
            raise RuleFileError(f"{rel}: unknown top-level key {key!r}")


def _req(f: str, table: dict, key: str, what: str):
    if key not in table:
        name = table.get("name")
        label = f"{what} {name!r}" if name else what
        raise RuleFileError(f"{f}: {label}: missing key {key!r}")
    return table[key]


def _compile(p: _Parsed) -> RuleSet:
    rs = p.ruleset

    def regex(f: str, what: str, pattern: object, flags: int = re.IGNORECASE) -> re.Pattern:
        return compile_pattern(pattern, p.refs[f], f, what, flags, what=what)

    sections = [
        Section(_req(f, s, "name", "section"), int(_req(f, s, "priority", "section")),
                regex(f, f"section {s.get('name')!r}", SECTION_HEAD + _req(f, s, "header", "section") + ")",
                      re.IGNORECASE | re.MULTILINE),
                bool(s.get("ends_at_blank_line", False)))
        for f, s in p.sections
    ]
    contexts = [
        Context(_req(f, c, "name", "context"), int(_req(f, c, "priority", "context")),
                regex(f, f"context {c.get('name')!r}", _req(f, c, "pattern", "context")))
        for f, c in p.contexts
    ]
    ocr = [(regex(f, f"ocr {o.get('name')!r}", _req(f, o, "pattern", "ocr")), str(_req(f, o, "replace", "ocr")))
           for f, o in p.ocr]
    if p.negation is None:
        raise RuleFileError(f"{rs['__file__']}: no [negation] table")
    nf, neg = p.negation
    negation = Negation(
        before=regex(nf, "negation.before", _req(nf, neg, "before", "negation")),
        after=regex(nf, "negation.after", _req(nf, neg, "after", "negation")),
        clause_break=regex(nf, "negation.clause_break", _req(nf, neg, "clause_break", "negation")),
        window=int(neg.get("window", 60)),
        unchecked=regex(nf, "negation.unchecked", neg["unchecked"]) if "unchecked" in neg else None,
    )
    needed = sorted({t for kind in KINDS.values() for t in kind.tables} | set(RESOLVER_TABLES))
    for name in needed:
        if name not in p.tables:
            raise RuleFileError(f"rule files: missing [{name}] table")
    tables = {name: table for name, (_, table) in p.tables.items()}
    rules: list[Rule] = []
    names: set[str] = set()
    for f, r in p.rules:
        rule = _rule(f, r, p.maps, lambda what, pat, flags=re.IGNORECASE, f=f: regex(f, what, pat, flags))
        if rule.name in names:
            raise RuleFileError(f"{f}: rule {rule.name!r}: duplicate rule name")
        names.add(rule.name)
        rules.append(rule)
    naive = compile_naive(*p.naive, p.maps, p.refs[p.naive[0]]) if p.naive else None
    return RuleSet(
        version=str(rs["version"]), current_min=int(rs.get("current_min_priority", 20)),
        default=(str(rs.get("default_section", "body")), int(rs.get("default_priority", 50))),
        max_hints=int(rs.get("max_hints", 4)), sections=sections, contexts=contexts, ocr=ocr,
        negation=negation, tables=tables, rules=rules, naive=naive,
    )


def _rule(f: str, r: dict, maps: dict, regex) -> Rule:
    """One [[rule]] checked against the common keys and its kind's schema, and compiled."""
    name = r.get("name")
    if not isinstance(name, str) or not name:
        raise RuleFileError(f"{f}: a [[rule]] has no name")
    where = f"rule {name!r}"

    def bad(problem: str) -> RuleFileError:
        return RuleFileError(f"{f}: {where}: {problem}")

    kind = KINDS.get(r.get("kind"))
    if kind is None:
        raise bad(f"kind {r.get('kind')!r} is not one of {', '.join(sorted(KINDS))}")
    unknown = set(r) - COMMON_KEYS - kind.keys
    if unknown:
        raise bad(f"unknown key(s) {', '.join(sorted(unknown))} (kind {kind.name!r} takes "
                  f"{', '.join(sorted(kind.keys)) or 'no others'})")
    task = r.get("task", [])
    tasks = tuple([task] if isinstance(task, str) else task)
    for t in tasks:
        if t not in registry.TASKS:
            raise bad(f"task {t!r} is not one of {', '.join(registry.TASKS)}")
    if not tasks and kind.needs_task:
        raise bad("needs a task")
    compiled = regex(where, r.get("pattern"), 0 if r.get("case_sensitive") else re.IGNORECASE)
    groups = set(compiled.groupindex)
    if kind.needs_v and "v" not in groups:
        raise bad(f"kind {kind.name!r} needs a named group (?P<v>...) in its pattern")
    problem = kind.check(r, groups)
    if problem:
        raise bad(problem)
    rule_map = _rule_map(r, kind, tasks, maps, bad) if kind.uses_map else None
    if "value" in kind.keys:
        for t in tasks:
            if r.get("value") not in registry.VOCAB[t]:
                raise bad(f"value {r.get('value')!r} is not a {t} label")
    strength = r.get("strength", kind.default_strength)
    if not isinstance(strength, int):
        raise bad("strength must be an integer")
    opt = lambda key: regex(f"{where} {key}", r[key]) if key in r else None  # noqa: E731
    return Rule(
        name=name, file=f, tasks=tasks, kind=kind.name, regex=compiled, strength=strength, map=rule_map,
        value=r.get("value"), flag=r.get("flag"), negated_flag=r.get("negated_flag"),
        negated_value=r.get("negated_value"), negatable=bool(r.get("negatable", False)),
        requires=opt("requires"), exclude_before=opt("exclude_before"), deposit=r.get("deposit"),
        count=r.get("count"), total=bool(r.get("total", False)),
    )


def _rule_map(r: dict, kind, tasks, maps: dict, bad) -> dict[str, str]:
    map_name = r.get("map")
    if map_name not in maps:
        raise bad(f"map {map_name!r} is not defined (known: {', '.join(sorted(maps))})")
    for t in tasks:
        for key, label in maps[map_name].items():
            if label and label not in registry.VOCAB[t]:
                raise bad(f"map {map_name!r} sends {key!r} to {label!r}, not a {t} label")
    return maps[map_name]
