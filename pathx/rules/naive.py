"""The paper's Naive Rule-Based baseline (Methods, "Methodological Baseline"), from rules/fields/naive.toml.

Deterministic regex and keyword proximity on the unsegmented report: no sections, no negation,
no priorities, no OCR tolerance. How each field is read comes from the field registry
(`Field.naive`): "code:<key>" = the first match of the [naive] pattern <key>, its group v through
the map named by <key>_map; "marker" = the first [naive.markers] match named for the field, then
the first [[naive.keywords]] class found within +/- `window` characters of it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pathx import fields as registry
from pathx.errors import RuleFileError
from pathx.rules.kinds import norm_key
from pathx.rules.loader import compile_pattern


@dataclass(frozen=True)
class Naive:
    window: int
    codes: dict[str, tuple[re.Pattern, dict[str, str]]]  # task -> (pattern, map)
    markers: dict[str, re.Pattern]  # task -> marker pattern
    keywords: tuple[tuple[str, re.Pattern], ...]  # (label, pattern), checked in order

    def extract(self, text: str) -> dict[str, str | None]:
        """{task: label | None} for every registry field, in output order."""
        out: dict[str, str | None] = {}
        for f in registry.FIELDS:
            out[f.name] = self._code(f.name, text) if f.name in self.codes else self._marker(f.name, text)
        return out

    def _code(self, task: str, text: str) -> str | None:
        regex, table = self.codes[task]
        m = regex.search(text)
        return (table.get(norm_key(m.group("v"))) or None) if m else None

    def _marker(self, task: str, text: str) -> str | None:
        marker = self.markers.get(task)
        m = marker.search(text) if marker else None
        if m is None:
            return None
        window = text[max(0, m.start() - self.window):m.end() + self.window]
        for label, kw in self.keywords:
            if kw.search(window):
                return label
        return None


def compile_naive(f: str, table: dict, maps: dict[str, dict[str, str]], refs: dict[str, str]) -> Naive:
    """Compile the [naive] table of rule file `f`; errors name the file and the key."""

    def regex(what: str, pattern: object) -> re.Pattern:
        return compile_pattern(pattern, refs, f, what, re.IGNORECASE, what=what)

    codes = {}
    for fld in registry.FIELDS:
        if not fld.naive.startswith("code:"):
            continue
        key = fld.naive.split(":", 1)[1]
        if key not in table:
            raise RuleFileError(f"{f}: naive: missing key {key!r} (field {fld.name})")
        map_name = table.get(f"{key}_map")
        if map_name not in maps:
            raise RuleFileError(f"{f}: naive.{key}_map: map {map_name!r} is not defined")
        codes[fld.name] = (regex(f"naive.{key}", table[key]), maps[map_name])
    markers = {t: regex(f"naive.markers.{t}", pat) for t, pat in table.get("markers", {}).items()}
    keywords = []
    for k in table.get("keywords", []):
        if "label" not in k or "pattern" not in k:
            raise RuleFileError(f"{f}: naive.keywords: needs 'label' and 'pattern'")
        keywords.append((k["label"], regex("naive.keywords", k["pattern"])))
    return Naive(int(table.get("window", 75)), codes, markers, tuple(keywords))
