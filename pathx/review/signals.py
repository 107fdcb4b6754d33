"""Review signals: what predicts that a field's value is wrong, worked out per (unit, field).

The signals are discrete so a calibrated policy (policy.py) can count, per field and per signal cell,
how often the value was right on calibration data. For the rule engine:

- `found`: the engine resolved a value (else the output is "not reported").
- `conflict`: other mentions of the field in the specimen's text give a different value:
  `none`, `outranked` (the chosen value's best mention has a higher (priority, strength) than any
  other value's), `tie` (equal rank) or `lower` (the value was chosen against a stronger mention,
  e.g. by a resolution rule such as summing node counts or ISH overriding IHC).
- `cue`: no value was resolved although a cue of the field is in the text (its `mention` pattern in
  the field registry):
  the commonest real error is "value in the text, output empty".
- `read`: `text` or `ocr` (a page of the file was OCR-read: character damage is likely).

`cell(signals)` is the key the policy looks up, e.g. "value|none|text" or "empty|cue|ocr".
`runner_up` names the best other value among the mentions (for the review page).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathx import fields

CONFLICTS = ("none", "outranked", "tie", "lower")


@dataclass(frozen=True)
class FieldSignals:
    """The review signals of one field of one unit (see the module docstring)."""

    found: bool
    conflict: str = "none"
    cue: bool = False
    ocr: bool = False
    runner_up: str | None = None
    cue_at: tuple[int, int] | None = None  # span of the cue word when `cue`

    def __post_init__(self):
        if self.conflict not in CONFLICTS:
            raise ValueError(f"conflict must be one of {', '.join(CONFLICTS)}, got {self.conflict!r}")

    @property
    def cell(self) -> str:
        """The policy key: found/empty | conflict or cue | text/ocr."""
        middle = self.conflict if self.found else ("cue" if self.cue else "nocue")
        return f"{'value' if self.found else 'empty'}|{middle}|{'ocr' if self.ocr else 'text'}"


class Cues:
    """Cue patterns per field: each field's `mention` regex in the registry (pathx/fields.py),
    matched case-insensitively."""

    def __init__(self, patterns: dict[str, str] | None = None):
        patterns = patterns or {f.name: f.mention for f in fields.FIELDS}
        missing = [t for t in fields.TASKS if t not in patterns]
        if missing:
            raise ValueError(f"no cue pattern for {', '.join(missing)}")
        self.patterns = {t: re.compile(patterns[t], re.IGNORECASE) for t in fields.TASKS}

    def find(self, task: str, text: str) -> tuple[int, int] | None:
        m = self.patterns[task].search(text)
        return m.span() if m else None


def field_signals(engine, text: str, findings: dict, cues: Cues, *, ocr: bool = False,
                  mentions: list | None = None) -> dict[str, FieldSignals]:
    """Signals per task for one unit: `findings` are the engine's resolved findings of `text`,
    `mentions` its mentions when already at hand (else the engine finds them)."""
    by_task: dict[str, list] = {t: [] for t in fields.TASKS}
    for m in (mentions if mentions is not None else engine.mentions(text)):
        if m.task in by_task and m.value:
            by_task[m.task].append(m)
    out = {}
    for task in fields.TASKS:
        f = findings.get(task)
        ms = by_task[task]
        others = [m for m in ms if f is None or m.value != f.value]
        runner = max(others, key=lambda m: m.rank()).value if others else None
        if f is None:
            at = cues.find(task, text)
            out[task] = FieldSignals(False, cue=at is not None, ocr=ocr, runner_up=runner, cue_at=at)
            continue
        conflict = "none"
        if others:
            mine = [(m.priority, m.strength) for m in ms if m.value == f.value]
            best_other = max((m.priority, m.strength) for m in others)
            best_mine = max(mine) if mine else (-1, -1)
            conflict = "outranked" if best_mine > best_other else "tie" if best_mine == best_other else "lower"
        out[task] = FieldSignals(True, conflict=conflict, ocr=ocr, runner_up=runner)
    return out
