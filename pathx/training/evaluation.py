"""`pathx eval`: a bundle (or fit folder), or the rule engines, scored on labelled data, units and
prompts built as `pathx run` builds them, so the numbers compare like for like."""
from __future__ import annotations

from pathlib import Path

from pathx import schema
from pathx.training.labels import read_labeled
from pathx.ingestion.pipeline import units_for_examples


def evaluate_labeled(model_path: Path, data_file: Path, base: str | None = None, device: str = "auto",
                     null_is_not_reported: bool = False, batch_size: int = 8):
    from pathx.predictors.bundle import BundlePredictor
    from pathx.training.data import PromptExample
    from pathx.training.metrics import evaluate

    predictor = BundlePredictor.load(model_path, base=base, device=device, batch_size=batch_size)
    examples = read_labeled(data_file)
    units, _ = units_for_examples(examples, predictor.engine, predictor.ingest_options())
    prompts = []
    for ex, unit in zip(examples, units):
        labels = {t: ex.labels.get(t) for t in predictor.tasks}
        if null_is_not_reported:
            labels = {t: v if v is not None else schema.NOT_REPORTED for t, v in labels.items()}
        prompts.append(PromptExample(ex.id, unit.prompt, labels))
    return evaluate(predictor.inference, prompts, batch_size)


RULE_ENGINES = ("rules", "naive")


def evaluate_rules_labeled(engine_name: str, data_file: Path, null_is_not_reported: bool = False):
    """The same metrics for `--engine rules|naive`: a found value is a one-hot probability,
    nothing found is "not reported" (AUROC of a hard predictor is its balanced accuracy)."""
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
        classes = list(schema.model_classes(t))
        gold = [ex.labels.get(t) for ex in examples]
        if null_is_not_reported:
            gold = [g if g is not None else schema.NOT_REPORTED for g in gold]
        result[t] = hard_task_metrics(t, classes, gold, [p[t].label for p in preds])
    return EvalResult(result, len(examples), time.perf_counter() - start)


def _engine():
    from pathx.rules.engine import RuleEngine

    return RuleEngine.load()
