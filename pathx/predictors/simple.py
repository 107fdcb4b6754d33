"""The rule-based predictors: the context-aware rule engine and the paper's naive baseline.

Both implement pathx.predictors.base.Predictor (`name`, `version`, `engine`, `predict(units)`).
"""
from __future__ import annotations

from pathx import paths, schema
from pathx.outputs.rows import FieldPrediction
from pathx.rules.engine import RuleEngine, naive_extract


class RulesPredictor:
    """The full context-aware rule engine (paper S1.A), evidence kept for registrars.

    Review: each field's signals (pathx/review/signals.py) are looked up in the review policy
    calibrated for this rule set (`review-policy.json` in the rules folder, pathx/review/policy.py);
    a field whose signal cell the policy does not accept gets `needs_review`. Without a usable policy
    (missing, or calibrated for another rule-set version) every field is flagged: nothing is
    auto-accepted on trust. `policy_problem` says why, for the run's log."""

    def __init__(self, engine: RuleEngine | None = None, policy=None):
        from pathx.review.policy import load_for_engine
        from pathx.review.signals import Cues

        self.engine = engine or RuleEngine.load()
        self.name = f"rules-{self.engine.version}"
        self.version = self.name
        self.cues = Cues()
        if policy is None:
            policy, self.policy_problem = load_for_engine(self.engine.dir or paths.rules_dir(), self.name)
        else:
            self.policy_problem = None
        self.policy = policy
        # The ledger key: a recalibrated (or removed) policy changes the review flags, so files are redone.
        self.version = f"{self.name}+review-{policy.digest if policy is not None else 'none'}"

    def predict(self, units) -> list[dict[str, FieldPrediction]]:
        from pathx.outputs.rows import evidence_detail
        from pathx.review.signals import field_signals

        out = []
        for unit in units:
            findings = unit.findings_by(self.engine)
            ocr = (unit.read_method or "").startswith(("ocr", "mixed"))
            signals = field_signals(self.engine, unit.text, findings, self.cues, ocr=ocr,
                                    mentions=unit.mentions_by(self.engine))
            row = {}
            for task in schema.TASKS:
                f, sig = findings.get(task), signals[task]
                review = self.policy is None or not self.policy.accepts(task, sig.cell)
                detail = evidence_detail(unit.text, f.evidence if f else "", f.start if f else -1,
                                         f.end if f else -1, engine="rules", runner_up=sig.runner_up,
                                         signals=sig.cell, cue=sig.cue_at)
                row[task] = FieldPrediction(label=f.value if f else None, confidence=None,
                                            evidence=f.evidence if f else None, needs_review=review, detail=detail)
            out.append(row)
        return out


class NaivePredictor:
    """The paper's Naive Rule-Based baseline: first match anywhere in the unsegmented report."""

    def __init__(self):
        self.engine = None  # the baseline uses no hints
        self.name = "naive-1"
        self.version = self.name

    def predict(self, units) -> list[dict[str, FieldPrediction]]:
        out = []
        for unit in units:
            labels = naive_extract(unit.report_text or unit.text)
            out.append(
                {
                    t: FieldPrediction(label=labels.get(t), confidence=None, evidence=None, needs_review=False)
                    for t in schema.TASKS
                }
            )
        return out
