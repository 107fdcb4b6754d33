"""Two readers: the rule engine and the learned reader (an evidence-input bundle), decided per field.

    CombinePolicy.fit(rows)        per field, from held-out rows (gold, rules value, model value, model p)
    CombinePolicy.decide(...)      -> (label, source): the value both readers give when they agree; where
                                   they differ, the reader that was right more often in that situation
    CombinedPredictor(rules, model, policy)     `pathx run --engine combined` (and `auto` when
                                   bundles/DEFAULT names a bundle that carries a policy)

The situations of one field (the model's label and confidence p, the rules' value):
    agree        same label (a value, or both "not reported")          -> that label
    fill         rules found nothing, the model reads a value          -> the model's value when p >= fill
    dissent      rules found a value, the model says "not reported"    -> "not reported" when p >= dissent
    disagree     both found a value, different ones                    -> the model's value when p >= disagree
A threshold above 1 means the rules always win in that situation. Thresholds are chosen on held-out
rows to maximise the number of right values (ties keep the rules), and stored in the bundle
(`combine` in its metadata) with the rows' provenance; the model reads with or without its hint
line as the bundle's slicing says (`evidence_hints`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pathx import schema

SITUATIONS = ("fill", "dissent", "disagree")
NEVER = 1.01  # a threshold no probability reaches: the rules keep the field in that situation
GRID = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, NEVER)


def situation(rules: str | None, model: str | None) -> str:
    """agree / fill / dissent / disagree for one field (None = not reported)."""
    if rules == model:
        return "agree"
    if rules is None:
        return "fill"
    return "dissent" if model is None else "disagree"


@dataclass
class CombinePolicy:
    """Per field and situation the model-confidence threshold at which the model's value wins."""

    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    fitted_on: str = ""

    def decide(self, task: str, rules: str | None, model: str | None, p: float) -> tuple[str | None, str]:
        """(label, source): source is "both", "rules" or "model"."""
        where = situation(rules, model)
        if where == "agree":
            return rules, "both"
        if p >= self.thresholds.get(task, {}).get(where, NEVER):
            return model, "model"
        return rules, "rules"

    @classmethod
    def fit(cls, rows: dict[str, list[dict]], fitted_on: str = "") -> CombinePolicy:
        """rows: {task: [{"gold", "rules", "model", "p"}]} with labels as strings or None (not
        reported). Each situation's threshold maximises right values over its rows (ties: higher
        threshold, i.e. the rules)."""
        out = {}
        for task, items in rows.items():
            out[task] = {}
            for where in SITUATIONS:
                mine = [r for r in items if situation(r["rules"], r["model"]) == where]
                best, best_right = NEVER, sum(r["rules"] == r["gold"] for r in mine)
                for th in sorted(GRID, reverse=True):
                    right = sum((r["model"] if r["p"] >= th else r["rules"]) == r["gold"] for r in mine)
                    if right > best_right:
                        best, best_right = th, right
                out[task][where] = best
        return cls(out, fitted_on)

    def to_dict(self) -> dict:
        return {"thresholds": self.thresholds, "fitted_on": self.fitted_on}

    @classmethod
    def from_dict(cls, d: dict) -> CombinePolicy:
        th = d.get("thresholds")
        if not isinstance(th, dict) or any(t not in schema.TASKS or not isinstance(v, dict) for t, v in th.items()):
            raise ValueError("combine policy: 'thresholds' must map field names to {situation: threshold}")
        return cls({t: {k: float(x) for k, x in v.items() if k in SITUATIONS} for t, v in th.items()},
                   str(d.get("fitted_on", "")))


class CombinedPredictor:
    """Rules and an evidence-input bundle, per field by the bundle's CombinePolicy.

    Rows carry the decided label, the model's probability of it as confidence (None when the rules'
    value won against the model), the rules' evidence, and needs_review where the readers differ or
    the deciding reader flags the field."""

    def __init__(self, rules, model, policy: CombinePolicy):
        self.rules, self.model, self.policy = rules, model, policy
        self.engine = model.engine
        self.name = f"{model.name}+{rules.name}"
        self.version = f"{model.version}+{rules.version}"
        self.rules_version = rules.engine.version

    def ingest_options(self, **overrides):
        return self.model.ingest_options(**overrides)

    @property
    def stop_check(self):
        """The model's check between forward batches (the runner sets it; see run/predict.py)."""
        return self.model.stop_check

    @stop_check.setter
    def stop_check(self, fn) -> None:
        self.model.stop_check = fn

    def predict(self, units) -> list[dict]:
        from pathx.outputs.rows import FieldPrediction

        if not units:
            return []
        by_rules = self.rules.predict(units)
        by_model = self.model.predict(units)
        out = []
        for r_row, m_row in zip(by_rules, by_model):
            row = {}
            for task in schema.TASKS:
                r, m = r_row[task], m_row[task]
                p = m.confidence if m.confidence is not None else 0.0
                label, source = self.policy.decide(task, r.label, m.label, p)
                detail = dict(r.detail) if r.detail else None
                if detail is not None:
                    detail["engine"] = {"both": "rules+model", "rules": "rules", "model": "model"}[source]
                    if source != "both":
                        detail["runner_up"] = m.label if source == "rules" else r.label
                row[task] = FieldPrediction(
                    label=label,
                    confidence=m.confidence if source != "rules" else None,
                    evidence=r.evidence,
                    needs_review=source != "both" or r.needs_review or m.needs_review,
                    detail=detail,
                )
            out.append(row)
        return out
