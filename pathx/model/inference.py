"""Batched inference of a MultiTaskClassifier: length-sorted dynamic padding, no_grad, bf16
autocast where the device computes bf16 natively (classifier.bf16_autocast). `Predictor.predict_proba`
gives {task: (n, C) probabilities}; `predict` the top class per task as a TaskPrediction ("not
reported" becomes label None, as in the output contract); `predict_fields` / `field_proba` the same
for evidence input, each task from its own prompt.

All take `stop_check`, called before each forward batch: it raises to abandon the prediction (the
runner's raises StopNow once SIGINT/SIGTERM came), so a stop waits for one forward batch at most,
not for every prompt of a run batch (128 files: tens of seconds on a CPU)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import torch

from pathx import schema
from pathx.model.classifier import MultiTaskClassifier


@dataclass
class TaskPrediction:
    label: str | None  # contract label; None when the model says "not reported"
    cls: str  # the head's class, "not reported" included
    confidence: float  # probability of `cls`
    probs: dict[str, float]


class Inference:
    """Batched inference: length-sorted dynamic padding, no_grad, bf16 autocast where native."""

    def __init__(self, model: MultiTaskClassifier, batch_size: int = 8):
        self.model = model
        self.batch_size = batch_size

    @classmethod
    def load(cls, out_dir: str | os.PathLike, base: str | os.PathLike | None = None,
             device: str | torch.device | None = "auto", batch_size: int = 8) -> Inference:
        from pathx.model.build import load_model

        return cls(load_model(out_dir, base=base, device=device), batch_size=batch_size)

    @property
    def tasks(self) -> list[str]:
        return self.model.tasks

    def predict_proba(self, prompts: list[str], stop_check: Callable[[], None] | None = None
                      ) -> dict[str, torch.Tensor]:
        """{task: (n, C) float32 probabilities} in the order of `prompts`; `stop_check()` runs before each
        forward batch and may raise to stop (nothing is returned then)."""
        model = self.model
        was_training = model.training
        model.eval()
        ids = model.tokenize(list(prompts))
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        probs = {t: torch.zeros(len(ids), len(model.model_config.classes[t])) for t in model.tasks}
        try:
            with torch.no_grad():
                for start in range(0, len(order), self.batch_size):
                    if stop_check is not None:
                        stop_check()
                    chunk = order[start : start + self.batch_size]
                    logits = model(**model.collate([ids[i] for i in chunk]))
                    for t, lg in logits.items():
                        probs[t][chunk] = torch.softmax(lg.float(), dim=-1).cpu()
        finally:
            model.train(was_training)
        return probs

    def predict(self, prompts: list[str], stop_check: Callable[[], None] | None = None
                ) -> list[dict[str, TaskPrediction]]:
        probs = self.predict_proba(prompts, stop_check)
        out: list[dict[str, TaskPrediction]] = [{} for _ in range(len(prompts))]
        for t, p in probs.items():
            for i in range(len(prompts)):
                out[i][t] = self._task_prediction(t, p[i])
        return out

    def predict_fields(self, field_prompts: list[dict[str, str]], stop_check: Callable[[], None] | None = None
                       ) -> list[dict[str, TaskPrediction]]:
        """Per unit {task: one-field prompt} (evidence input) -> per unit {task: prediction}, each
        task read by its own head from its own prompt, all prompts in one batched pass."""
        probs = self.field_proba(field_prompts, stop_check)
        return [{t: self._task_prediction(t, p[i]) for t, p in probs.items()} for i in range(len(field_prompts))]

    def field_proba(self, field_prompts: list[dict[str, str]], stop_check: Callable[[], None] | None = None
                    ) -> dict[str, torch.Tensor]:
        """{task: (n, C) probabilities}, row i from task's head on unit i's prompt for that task."""
        flat = [(i, t, p) for i, prompts in enumerate(field_prompts) for t, p in prompts.items() if t in self.tasks]
        probs = self.predict_proba([p for _, _, p in flat], stop_check)
        out = {t: torch.zeros(len(field_prompts), len(self.model.model_config.classes[t])) for t in self.tasks}
        for row, (i, t, _) in enumerate(flat):
            out[t][i] = probs[t][row]
        return out

    def unit_proba(self, units) -> dict[str, torch.Tensor]:
        """{task: (n, C)} for ingestion units: their field prompts (evidence input) or their prompt."""
        if units and all(getattr(u, "field_prompts", None) is not None for u in units):
            return self.field_proba([u.field_prompts for u in units])
        return self.predict_proba([u.prompt for u in units])

    def _task_prediction(self, task: str, p: torch.Tensor) -> TaskPrediction:
        classes = self.model.model_config.classes[task]
        conf, idx = p.max(dim=-1)
        cls = classes[int(idx)]
        return TaskPrediction(label=None if cls == schema.NOT_REPORTED else cls, cls=cls, confidence=float(conf),
                              probs={c: float(v) for c, v in zip(classes, p.tolist())})
