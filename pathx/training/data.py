"""Training data: labelled prompt examples, the stratified split, class weights, targets and the
joint loss (paper III.B eq. 6-7).

A label is a class of `schema.model_classes(task)` ("not reported" included: the head learns to
abstain) or None (unknown: masked from that task's loss, target IGNORE).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from pathx import schema
from pathx.errors import DataError

IGNORE = -100  # target index of a masked (unknown) label


@dataclass
class PromptExample:
    id: str
    prompt: str
    labels: dict[str, str | None]


def as_examples(items, tasks: list[str], unknown_as_not_reported: bool = False) -> list[PromptExample]:
    """Objects with .id/.prompt/.labels, dicts with those keys, or a callable returning either.
    Labels are checked against the head classes; bad ones raise DataError naming the id."""
    if callable(items):
        items = items()
    out, seen = [], set()
    for item in items:
        get = item.get if isinstance(item, dict) else lambda k, _i=item: getattr(_i, k, None)
        ex_id, prompt, labels = get("id"), get("prompt"), get("labels") or {}
        if not isinstance(ex_id, str) or not isinstance(prompt, str):
            raise DataError(f"example {ex_id!r}: needs a string id and a string prompt")
        if ex_id in seen:
            raise DataError(f"example {ex_id!r}: duplicate id")
        seen.add(ex_id)
        clean = {}
        for t in tasks:
            v = labels.get(t)
            if v is None and unknown_as_not_reported:
                v = schema.NOT_REPORTED
            if v is not None and v not in schema.model_classes(t):
                raise DataError(f"example {ex_id!r}: {t} label {v!r} is not one of {', '.join(schema.model_classes(t))}")
            clean[t] = v
        out.append(PromptExample(ex_id, prompt, clean))
    return out


def scarcest_task(examples: list[PromptExample], tasks: list[str]) -> str | None:
    """The task whose rarest observed class has the fewest examples (ties: fewer labelled)."""
    best = None
    for t in tasks:
        counts = Counter(ex.labels.get(t) for ex in examples if ex.labels.get(t) is not None)
        if counts:
            key = (min(counts.values()), sum(counts.values()))
            if best is None or key < best[0]:
                best = (key, t)
    return best[1] if best else None


def _interleaved_pattern(fractions: tuple[float, float, float], length: int = 20) -> list[int]:
    """Slots 0/1/2 (train/val/test) in proportion, spread evenly: 80/10/10 -> T T T T V T ... X."""
    counts = [round(f * length) for f in fractions]
    counts[0] = length - counts[1] - counts[2]
    slots = [((k + 0.5) / c, s) for s, c in enumerate(counts) for k in range(c)]
    return [s for _, s in sorted(slots)]


def split_examples(
    examples: list[PromptExample], tasks: list[str], fractions=(0.8, 0.1, 0.1), seed: int = 42
) -> tuple[list[PromptExample], list[PromptExample], list[PromptExample], dict]:
    """Stratified split on the scarcest task's label (unknown is its own stratum): each stratum
    is shuffled with `seed` and dealt along one evenly interleaved train/val/test pattern, so
    every stratum and the whole set follow the fractions as closely as counts allow."""
    task = scarcest_task(examples, tasks)
    strata: dict[str, list[PromptExample]] = {}
    for ex in examples:
        strata.setdefault(str(ex.labels.get(task)) if task else "all", []).append(ex)
    rng = random.Random(seed)
    pattern = _interleaved_pattern(tuple(fractions))
    parts: list[list[PromptExample]] = [[], [], []]
    position = 0
    for key in sorted(strata):
        group = sorted(strata[key], key=lambda e: e.id)
        rng.shuffle(group)
        for ex in group:
            parts[pattern[position % len(pattern)]].append(ex)
            position += 1
    info = {"seed": seed, "stratify_task": task, "fractions": list(fractions)}
    return parts[0], parts[1], parts[2], info


def class_weights(examples: list[PromptExample], task: str) -> torch.Tensor:
    """Paper eq. 7: w_c = N / (C * n_c) over the examples with a known label, C = the number of
    classes observed; classes never observed get 1 (they have no targets to weight)."""
    classes = schema.model_classes(task)
    counts = Counter(ex.labels.get(task) for ex in examples if ex.labels.get(task) is not None)
    n, c = sum(counts.values()), len(counts)
    return torch.tensor([n / (c * counts[k]) if counts.get(k) else 1.0 for k in classes], dtype=torch.float32)


def targets_for(examples: list[PromptExample], model) -> dict[str, torch.Tensor]:
    """Class-index targets per task in model task order; IGNORE where the label is unknown."""
    out = {}
    for t in model.tasks:
        index = {c: i for i, c in enumerate(model.model_config.classes[t])}
        out[t] = torch.tensor([index[ex.labels[t]] if ex.labels.get(t) is not None else IGNORE for ex in examples])
    return out


def multitask_loss(
    logits: dict[str, torch.Tensor], targets: dict[str, torch.Tensor], weights: dict[str, torch.Tensor] | None = None
) -> torch.Tensor:
    """Eq. 6 for one batch: sum over tasks and examples of w[y] * CE, divided by the batch size.
    Masked targets (IGNORE) contribute exactly nothing; weights are not renormalised, so a
    minority class keeps its extra weight even in a batch of two."""
    weights = weights or {}
    batch = next(iter(logits.values())).shape[0]
    total = sum(lg.sum() for lg in logits.values()) * 0.0  # keeps the graph when all are masked
    for t, lg in logits.items():
        y = targets[t].to(lg.device)
        valid = y != IGNORE
        if valid.any():
            ce = F.cross_entropy(lg[valid].float(), y[valid], reduction="none")
            if weights.get(t) is not None:
                ce = ce * weights[t].to(lg.device)[y[valid]]
            total = total + ce.sum()
    return total / batch
