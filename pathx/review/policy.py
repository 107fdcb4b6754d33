"""Calibrated review policy: which field values may be auto-accepted and which a person must check.

A policy holds, per field, the counts of right and wrong values per signal cell
(signals.FieldSignals.cell) on calibration data, and accepts a cell when it was seen at least
`min_n` times and its own precision (share of right values) is at least `target` (0.99: >= 99% of
auto-accepted values right). Each accepted cell must reach the target on its own, so a poor cell
cannot ride on a large good one (pooling cells best-first let a 75%-right cell through on the
calibration data and fell to 93% precision on real reports). Every other cell, and any cell never
seen in calibration, is flagged for review: a signal combination the policy knows nothing
about is never auto-accepted.

The policy is data (JSON, `to_dict`/`from_dict`, validated on load) tied to the engine it was
calibrated for (`engine`: e.g. "rules-1.2.0"); `load_for_engine` refuses a policy calibrated
for another engine version, so changed rules flag everything until recalibrated.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pathx import schema


class PolicyError(ValueError):
    """A review-policy file that cannot be used (bad JSON, wrong fields, other engine)."""


@dataclass
class ReviewPolicy:
    engine: str  # predictor version the policy was calibrated for
    target: float = 0.99
    min_n: int = 20
    # task -> cell -> [n, correct] over the calibration data (all cells seen, accepted or not)
    counts: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    calibration: str = ""  # what data, one line

    def __post_init__(self):
        if not 0.5 <= self.target <= 1.0:
            raise PolicyError(f"target must be in [0.5, 1], got {self.target}")
        if self.min_n < 1:
            raise PolicyError(f"min_n must be >= 1, got {self.min_n}")
        unknown = set(self.counts) - set(schema.TASKS)
        if unknown:
            raise PolicyError(f"unknown fields {sorted(unknown)}")
        for task, cells in self.counts.items():
            for cell, nc in cells.items():
                if not (isinstance(nc, list) and len(nc) == 2 and 0 <= nc[1] <= nc[0]):
                    raise PolicyError(f"{task}/{cell}: counts must be [n, correct] with correct <= n")
        self._accept = {t: _choose(cells, self.target, self.min_n) for t, cells in self.counts.items()}

    def accepts(self, task: str, cell: str) -> bool:
        """True when a value in this cell is auto-accepted (no review)."""
        return cell in self._accept.get(task, ())

    def accepted_cells(self, task: str) -> set[str]:
        return set(self._accept.get(task, ()))

    @classmethod
    def fit(cls, records: Iterable[tuple[str, str, bool]], engine: str, *, target: float = 0.99, min_n: int = 20,
            calibration: str = "") -> "ReviewPolicy":
        """records: (task, cell, value_was_right) over calibration data."""
        n: dict[str, Counter] = {t: Counter() for t in schema.TASKS}
        ok: dict[str, Counter] = {t: Counter() for t in schema.TASKS}
        for task, cell, right in records:
            n[task][cell] += 1
            ok[task][cell] += bool(right)
        counts = {t: {c: [n[t][c], ok[t][c]] for c in sorted(n[t])} for t in schema.TASKS}
        return cls(engine=engine, target=target, min_n=min_n, counts=counts, calibration=calibration)

    @property
    def digest(self) -> str:
        """Short content hash: part of the rule predictor's ledger version, so a recalibrated policy
        re-flags files already processed."""
        import hashlib

        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode("utf-8")).hexdigest()[:12]

    def to_dict(self) -> dict:
        return {"format": "pathx-review-policy/1", "engine": self.engine, "target": self.target,
                "min_n": self.min_n, "calibration": self.calibration, "counts": self.counts}

    @classmethod
    def from_dict(cls, data: dict, where: str = "review policy") -> "ReviewPolicy":
        if not isinstance(data, dict) or data.get("format") != "pathx-review-policy/1":
            raise PolicyError(f"{where}: not a pathx review policy (format pathx-review-policy/1)")
        try:
            return cls(engine=str(data["engine"]), target=float(data["target"]), min_n=int(data["min_n"]),
                       counts=data["counts"], calibration=str(data.get("calibration", "")))
        except (KeyError, TypeError, ValueError) as err:
            raise PolicyError(f"{where}: {err}") from None

    @classmethod
    def load(cls, path: str | Path) -> "ReviewPolicy":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise PolicyError(f"{path}: cannot read review policy ({type(err).__name__})") from None
        return cls.from_dict(data, str(path))

    def check_engine(self, engine: str, where: str = "review policy") -> None:
        if self.engine != engine:
            raise PolicyError(f"{where} was calibrated for {self.engine}, not {engine}; recalibrate "
                              "(python bench/calibrate_review.py)")


POLICY_FILE = "review-policy.json"


def load_for_engine(rules_dir: str | Path, engine: str) -> tuple["ReviewPolicy | None", str | None]:
    """The review policy in `rules_dir` when it was calibrated for `engine`: (policy, None);
    else (None, why) - a missing, unreadable or stale policy flags every field, never crashes a run."""
    path = Path(rules_dir) / POLICY_FILE
    if not path.exists():
        return None, f"no review policy ({path.name}) in the rules folder: every field is flagged for review"
    try:
        policy = ReviewPolicy.load(path)
        policy.check_engine(engine, str(path.name))
    except PolicyError as err:
        return None, f"{err}: every field is flagged for review"
    return policy, None


def _choose(cells: dict[str, list[int]], target: float, min_n: int) -> set[str]:
    """Cells seen at least `min_n` times whose own precision is at least `target`."""
    return {c for c, (n, ok) in cells.items() if n >= min_n and ok >= target * n}


def summarize(policy: ReviewPolicy, records: Iterable[tuple[str, str, bool]]) -> dict[str, dict[str, int]]:
    """Per task on (held-out) records: values, auto-accepted, auto-accepted and right, right overall."""
    out = {t: {"n": 0, "accepted": 0, "accepted_right": 0, "right": 0} for t in schema.TASKS}
    for task, cell, right in records:
        s = out[task]
        s["n"] += 1
        s["right"] += bool(right)
        if policy.accepts(task, cell):
            s["accepted"] += 1
            s["accepted_right"] += bool(right)
    return out
