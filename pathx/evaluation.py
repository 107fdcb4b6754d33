"""`pathx eval`: a bundle (or fit folder) scored on labelled data, prompts built as `pathx run` does."""
from __future__ import annotations

from pathlib import Path

from pathx import schema
from pathx.labels import read_labeled
from pathx.pipeline import units_for_examples


def evaluate_labeled(model_path: Path, data_file: Path, base: str | None = None, device: str = "auto",
                     null_is_not_reported: bool = False, batch_size: int = 8):
    from pathx.bundle import BundlePredictor
    from pathx.fit import PromptExample
    from pathx.metrics import evaluate

    predictor = BundlePredictor.load(model_path, base=base, device=device, batch_size=batch_size)
    examples = read_labeled(data_file)
    units, _ = units_for_examples(examples, predictor.engine, predictor.ingest_options())
    prompts = []
    for ex, unit in zip(examples, units):
        labels = {t: ex.labels.get(t) for t in predictor.tasks}
        if null_is_not_reported:
            labels = {t: v if v is not None else schema.NOT_REPORTED for t, v in labels.items()}
        prompts.append(PromptExample(ex.id, unit.prompt, labels))
    return evaluate(predictor._predictor, prompts, batch_size)
