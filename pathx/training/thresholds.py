"""Review thresholds: per task, the confidence under which a row gets `needs_review`, chosen on
the validation examples so the rows above it reach REVIEW_PRECISION."""
from __future__ import annotations

from pathx import schema

REVIEW_PRECISION = 0.99  # rows not flagged for review must be at least this precise (validation set)


def choose_thresholds(probs: dict, gold: dict[str, list[str | None]], classes: dict[str, list[str]],
                      precision: float = REVIEW_PRECISION) -> dict[str, float]:
    """Per task, the lowest confidence t such that val rows with confidence >= t are >= `precision`
    correct; rows under t get needs_review. 1.0 (review everything) when no t reaches it."""
    thresholds = {}
    for task, p in probs.items():
        conf, pred = p.max(dim=1)
        rows = [(float(c), classes[task][int(k)] == g) for c, k, g in zip(conf, pred, gold[task]) if g is not None]
        if not rows:
            thresholds[task] = 0.5
            continue
        rows.sort(key=lambda r: -r[0])
        best, correct = 1.0, 0
        for i, (c, ok) in enumerate(rows, 1):
            correct += ok
            if correct / i >= precision:
                best = c
        thresholds[task] = round(best, 6)
    return thresholds


def model_thresholds(model, examples, batch_size: int, unknown_as_not_reported: bool = False) -> dict[str, float]:
    """choose_thresholds for a trained model on labelled prompt examples (unknown gold skipped,
    or counted as "not reported" when the fit treated it so)."""
    from pathx.model.inference import Inference

    probs = Inference(model, batch_size=batch_size).predict_proba([e.prompt for e in examples])
    gold = {t: [e.labels.get(t) if e.labels.get(t) is not None or not unknown_as_not_reported
                else schema.NOT_REPORTED for e in examples] for t in probs}
    return choose_thresholds(probs, gold, model.model_config.classes)
