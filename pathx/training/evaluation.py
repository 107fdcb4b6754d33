"""`pathx eval`: a bundle (or fit folder), or the rule engines, scored on labelled data, units and
prompts built as `pathx run` builds them, so the numbers compare like for like."""
from __future__ import annotations

from pathlib import Path

from pathx import schema
from pathx.training.labels import read_labeled
from pathx.ingestion.pipeline import units_for_examples


def evaluate_labeled(model_path: Path, data_file: Path, base: str | None = None, device: str = "auto",
                     null_is_not_reported: bool = False, batch_size: int = 8):
    """Metrics of a bundle (or fit folder) on labelled data, with reliability bins and, from the
    needs_review flags its predictions carry in `pathx run`, auto-accept coverage and precision."""
    import time

    from pathx.predictors.bundle import BundlePredictor
    from pathx.training.metrics import EvalResult, task_metrics

    predictor = BundlePredictor.load(model_path, base=base, device=device, batch_size=batch_size)
    examples = read_labeled(data_file)
    units, _ = units_for_examples(examples, predictor.engine, predictor.ingest_options())
    start = time.perf_counter()
    probs = predictor.inference.unit_proba(units)
    preds = predictions_from_probs(predictor, units, probs)
    classes = predictor.inference.model.model_config.classes
    result = {}
    for t in predictor.inference.tasks:
        gold = _gold(examples, t, null_is_not_reported)
        result[t] = task_metrics(t, classes[t], gold, probs[t].numpy(),
                                 needs_review=[bool(p[t].needs_review) for p in preds])
    return EvalResult(result, len(examples), time.perf_counter() - start)


def predictions_from_probs(predictor, units, probs) -> list[dict]:
    """`predictor.predict(units)` (labels, confidences, needs_review as `pathx run` writes them) on
    probabilities already computed for the units' prompts: the forward pass runs once for both."""
    import copy

    inference = copy.copy(predictor.inference)

    def cached(prompts, stop_check=None):
        if len(prompts) != len(units):  # not the units' prompts: compute them
            return predictor.inference.predict_proba(prompts, stop_check)
        return probs

    inference.predict_proba = cached
    inference.field_proba = lambda field_prompts, stop_check=None: probs if len(field_prompts) == len(units) \
        else predictor.inference.field_proba(field_prompts, stop_check)
    shim = copy.copy(predictor)
    shim.inference = inference
    return shim.predict(units)


def _gold(examples, task: str, null_is_not_reported: bool) -> list[str | None]:
    gold = [ex.labels.get(task) for ex in examples]
    return [g if g is not None else schema.NOT_REPORTED for g in gold] if null_is_not_reported else gold


RULE_ENGINES = ("rules", "naive")


def evaluate_rules_labeled(engine_name: str, data_file: Path, null_is_not_reported: bool = False):
    """The same metrics for `--engine rules|naive`: a found value is a one-hot probability,
    nothing found is "not reported" (AUROC of a hard predictor is its balanced accuracy); no
    reliability bins (no probabilities); coverage and auto-precision from the needs_review flags."""
    import time

    from pathx.training.metrics import EvalResult, hard_task_metrics
    from pathx.ingestion.pipeline import IngestOptions
    from pathx.predictors.factory import make_predictor

    predictor = make_predictor(engine_name)
    examples = read_labeled(data_file)
    units, _ = units_for_examples(examples, getattr(predictor, "engine", None) or _engine(), IngestOptions(ocr="auto"))
    start = time.perf_counter()
    preds = predictor.predict(units)
    result = {}
    for t in schema.TASKS:
        result[t] = hard_task_metrics(t, list(schema.model_classes(t)), _gold(examples, t, null_is_not_reported),
                                      [p[t].label for p in preds], needs_review=[bool(p[t].needs_review) for p in preds])
    return EvalResult(result, len(examples), time.perf_counter() - start)


def _engine():
    from pathx.rules.engine import RuleEngine

    return RuleEngine.load()
