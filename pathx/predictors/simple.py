"""The rule-based predictors: the context-aware rule engine and the paper's naive baseline.

Both implement pathx.predictors.base.Predictor (`name`, `version`, `engine`, `predict(units)`).
"""
from __future__ import annotations

from pathx import schema
from pathx.outputs.rows import FieldPrediction
from pathx.rules.engine import RuleEngine, naive_extract


class RulesPredictor:
    """The full context-aware rule engine (paper S1.A), evidence kept for registrars."""

    def __init__(self, engine: RuleEngine | None = None):
        self.engine = engine or RuleEngine.load()
        self.name = f"rules-{self.engine.version}"
        self.version = self.name

    def predict(self, units) -> list[dict[str, FieldPrediction]]:
        out = []
        for unit in units:
            findings = unit.findings_by(self.engine)
            row = {}
            for task in schema.TASKS:
                f = findings.get(task)
                row[task] = FieldPrediction(
                    label=f.value if f else None,
                    confidence=None,
                    evidence=f.evidence if f else None,
                    needs_review=False,
                )
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
