"""Rule engine (paper supplement S1.A/S1.B): context-aware regex extraction, hints, naive baseline.

The rules are data: TOML files under `rules/fields/` (patterns, section headers and priorities,
negation cues, canonical maps and thresholds). The engine is a thin front over small modules:

    ruleset.py   rule files read, checked against one schema and compiled (RuleSet)
    kinds.py     rule kinds by name: each kind's keys, groups and match -> mention
    context.py   OCR repairs, sections, prior-case contexts, sentences, negation
    match.py     every rule over a text -> Mentions (Finding, Mention)
    resolve.py   per-field resolvers (which one a field uses is in pathx/fields.py)
    naive.py     the paper's Naive Rule-Based baseline (rules/fields/naive.toml)

Per task the best current mention wins (priority, then strength, then first), with the
field-specific logic of resolve.py. Public API: `RuleEngine.load(dir=None)`, `.from_files`,
`.files()`, `.version`, `.digest`, `.extract(text)`, `.hints(text)`, `.describes_tumour(text)`,
`.mentions(text)`, `.sections_of(text)`, `.naive(text)`; `naive_extract(text)`.
"""
from __future__ import annotations

import bisect
import hashlib
from pathlib import Path

from pathx import fields as registry
from pathx import paths
from pathx.errors import RuleFileError
from pathx.rules import match
from pathx.rules.kinds import Rule  # noqa: F401  (re-exported)
from pathx.rules.match import Finding, Mention  # noqa: F401  (re-exported)
from pathx.rules.resolve import RESOLVERS, Report
from pathx.rules.ruleset import RuleSet, parse_files

RULE_GLOB = "fields/*.toml"
MENTION_CACHE = 64  # texts whose mentions are kept (hints and findings of a unit reuse them)


class RuleEngine:
    """Compiled rule set. Build with `load(dir)` or `from_files({relpath: text})`."""

    def __init__(self, files: dict[str, str], ruleset: RuleSet):
        self._files = dict(sorted(files.items()))
        self.ruleset = ruleset
        self.version: str = ruleset.version
        self.digest: str = hashlib.sha256(
            "\0".join(f"{k}\0{v}" for k, v in self._files.items()).encode("utf-8")
        ).hexdigest()
        self.current_min = ruleset.current_min
        self.max_hints = ruleset.max_hints
        self.rules = ruleset.rules
        self.sections = ruleset.sections
        self.contexts = ruleset.contexts
        self.dir: Path | None = None  # the rules folder it was loaded from (None: embedded files)

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
        engine = cls.from_files(files)
        engine.dir = root
        return engine

    @classmethod
    def from_files(cls, files: dict[str, str]) -> "RuleEngine":
        """Rebuild from rule files embedded verbatim (e.g. in a bundle)."""
        return cls(files, parse_files(files))

    def files(self) -> dict[str, str]:
        """The rule files as {relpath: text}, to embed in a bundle."""
        return dict(self._files)

    # ------------------------------------------------------------------ mentions
    def sections_of(self, text: str) -> list[tuple[int, int, str, int]]:
        """(start, end, name, priority) spans covering the text, in order (after OCR repairs)."""
        return match.sections_of(self.ruleset, text)

    def mentions(self, text: str) -> list[Mention]:
        """Every candidate any rule finds, with its section and priority (for debugging and audit).

        A unit's hints and findings are worked out from the same specimen text one after the other,
        so the last few results are cached."""
        cache = self.__dict__.setdefault("_mention_cache", {})
        if text in cache:
            return list(cache[text])
        found = self._find_mentions(text)
        if len(cache) >= MENTION_CACHE:
            cache.pop(next(iter(cache)))
        cache[text] = tuple(found)
        return found

    def _find_mentions(self, text: str) -> list[Mention]:
        return match.find_mentions(self.ruleset, text)

    def _current(self, text: str) -> list[Mention]:
        return [m for m in self.mentions(text) if m.priority >= self.current_min]

    # ------------------------------------------------------------------ resolution
    def extract(self, text: str) -> dict[str, Finding | None]:
        """Resolve every task to one Finding (or None) by section priority, negation and canonical maps."""
        current = self._current(text)
        flags = {m.flag: m for m in sorted(current, key=lambda m: m.start, reverse=True) if m.flag}
        report = Report(flags, self.ruleset.tables)
        by_task: dict[str, list[Mention]] = {t: [] for t in registry.TASKS}
        for m in current:
            if m.flag is None and m.task in by_task:
                by_task[m.task].append(m)
        return {f.name: RESOLVERS[f.resolver](by_task[f.name], report) for f in registry.FIELDS}

    def describes_tumour(self, text: str) -> bool:
        """True when the current sections describe a tumour: invasive carcinoma or DCIS that is not
        negated, or a written T category. A benign side of a two-sided report does not."""
        current = self._current(text)
        if any(m.flag in ("invasive", "dcis") for m in current):
            return True
        return any(m.task == "t_stage" and m.flag is None and m.written and m.value for m in current)

    # ------------------------------------------------------------------ hints
    def hints(self, text: str) -> dict[str, list[str]]:
        """Raw evidence strings per task from current sections, in reading order (paper S1.B).

        HER2 keeps every assay's evidence ("IHC 2+", "FISH amplified") unreconciled.
        """
        usable = [m for m in self._current(text) if m.task and m.flag is None]
        out: dict[str, list[str]] = {}
        for task in registry.TASKS:
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
        """The naive baseline's {task: label | None} (rules/naive.py)."""
        if self.ruleset.naive is None:
            raise RuleFileError("rule files: no [naive] table (expected in fields/naive.toml)")
        return self.ruleset.naive.extract(text)


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
