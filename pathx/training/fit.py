"""Training of the multi-task classifier (paper III.B eq. 6-7, S2).

Inputs are prompt strings with labels (`PromptExample`); building prompts from reports is the
pipeline's job. A label is a class of `schema.model_classes(task)` ("not reported" included: the
head learns to abstain) or None (unknown: masked from that task's loss).

    result = fit(examples, "bundles/run1", base="smollm2-135m-instruct")

Defaults follow the paper: stratified 80/10/10 split (seed 42, on the scarcest task), joint
cross-entropy summed over tasks, HER2 weighted by balanced inverse frequency, AdamW lr 1e-4
(paged 8-bit AdamW with quant="nf4"), weight decay 0.01, cosine schedule with 3% warm-up,
micro-batch 2 x 8 accumulation, max length 512, 3 epochs, early stopping on validation loss with
the best weights kept. A checkpoint every `checkpoint_every` optimizer steps (and on Ctrl-C) lets
`resume=True` continue a killed fit exactly where the checkpoint left it.

Output dir: config.json + adapter_heads.safetensors (best weights, see model.build.load_model),
split.json, metrics.json; checkpoint/ while training.

This module only orchestrates: settings in training.config, examples/split/loss in
training.data, the step loop in training.loop, checkpoints in training.checkpoints, log
lines in training.progress, metrics in training.metrics.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path
from typing import Callable, Iterable

import torch

from pathx import schema
from pathx.errors import DataError, PathxError
from pathx.fsutil import atomic_write_text
from pathx.model.build import build_model
from pathx.model.config import CONFIG_FILE
from pathx.training import checkpoints
from pathx.training.checkpoints import CHECKPOINT_DIR, load_checkpoint, save_checkpoint
from pathx.training.config import FitConfig, FitResult, TrainState
from pathx.training.data import (IGNORE, PromptExample, as_examples, class_weights, multitask_loss, scarcest_task,
                                 split_examples, targets_for)
from pathx.training.loop import TrainData, make_optimizer, total_steps, train_steps
from pathx.training.metrics import EvalResult, evaluate, peak_memory
from pathx.training.progress import Progress

SPLIT_FILE = "split.json"
METRICS_FILE = "metrics.json"
CALIBRATION_EXAMPLES = 256  # training prompts used to standardise the pooled state


def fit(
    train: Iterable | Callable,
    out_dir: str | os.PathLike,
    base: str | os.PathLike = "smollm2-135m-instruct",
    config: FitConfig | None = None,
    val: Iterable | None = None,
    test: Iterable | None = None,
    resume: bool = False,
    on_step: Callable[[TrainState], None] | None = None,
    progress_stream=None,
    init_weights: dict | None = None,
) -> FitResult:
    """Train a MultiTaskClassifier on prompt examples and write the output dir.

    With `val` None the examples are split 80/10/10 (stratified, seed); otherwise `train`, `val`
    and optional `test` are used as given. `on_step(state)` runs after every optimizer step (an
    exception there stops the fit like a kill). `resume=True` continues from out_dir/checkpoint.
    `init_weights` (adapter, heads and norm buffers of a trained model of the same base and tasks,
    e.g. a bundle's: `pathx fit --from`) starts the fit from them instead of a fresh adapter; the
    pooled-state standardisation and rule prior they carry are kept."""
    cfg = config or FitConfig()
    out_dir = Path(out_dir)
    tasks = list(cfg.tasks or schema.TASKS)
    ckpt = _checkpoint_to_resume(out_dir, resume)
    train_ex, val_ex, test_ex = _split(out_dir, cfg, tasks, train, val, test, resumed=ckpt is not None)
    model = build_model(
        base, tasks=tasks, adapter=cfg.adapter, pooling=cfg.pooling, padding_side=cfg.padding_side,
        truncation_side=cfg.truncation_side, max_length=cfg.max_length, chat_template=cfg.chat_template,
        quant=cfg.quant, device=cfg.device, seed=cfg.seed, rule_prior=cfg.rule_prior,
    )
    if init_weights is not None and ckpt is None:
        model.load_trainable_state_dict(init_weights)
    data = _prepare(model, cfg, train_ex, val_ex, fresh=ckpt is None and init_weights is None)
    total = total_steps(len(train_ex), cfg)
    optimizer, scheduler = make_optimizer(model, cfg, total)
    extra = {"fit_config": cfg.to_dict(), "base": model.model_config.base, "total_steps": total}
    if ckpt is not None:
        state, best = _restore(out_dir, ckpt, model, optimizer, scheduler, extra)
    else:
        torch.manual_seed(cfg.seed)
        state, best = TrainState(), None
    progress = Progress(total, state.global_step, cfg.log_every, progress_stream)
    if ckpt is not None:
        progress.message(f"resumed at step {state.global_step}/{total}")
    best = _train(model, optimizer, scheduler, cfg, data, state, total, out_dir, extra, best, progress, on_step)
    if best is None:  # no validation ran (empty val set): keep the last weights
        best = model.trainable_state_dict()
    model.load_trainable_state_dict(best)
    model.save(out_dir)
    metrics = _metrics(model, cfg, state, total, (train_ex, val_ex, test_ex))
    atomic_write_text(out_dir / METRICS_FILE, json.dumps(metrics, indent=1) + "\n")
    shutil.rmtree(out_dir / CHECKPOINT_DIR, ignore_errors=True)
    model.eval()
    return FitResult(out_dir, state.global_step, state.best_val_loss, state.stopped_early, metrics, model)


def _checkpoint_to_resume(out_dir: Path, resume: bool):
    """The checkpoint a resumed fit continues from (None for a fresh fit); refuses a finished
    fit to resume and an unfinished one to be overwritten."""
    ckpt = load_checkpoint(out_dir) if resume else None
    if resume and ckpt is None and (out_dir / METRICS_FILE).exists():
        raise PathxError(f"{out_dir}: fit already finished (metrics.json present); nothing to resume")
    if not resume and (out_dir / CHECKPOINT_DIR).exists():
        raise PathxError(f"{out_dir}: holds an unfinished fit; pass resume=True or use another folder")
    return ckpt


def _split(out_dir: Path, cfg: FitConfig, tasks: list[str], train, val, test, resumed: bool):
    """(train, val, test) examples: the saved split of a resumed fit, a stratified split of
    `train` when `val` is None, else the parts as given. A fresh fit writes split.json."""
    examples = as_examples(train, tasks, cfg.unknown_as_not_reported)
    read = lambda items: as_examples(items, tasks, cfg.unknown_as_not_reported)  # noqa: E731
    if resumed:
        split_doc = json.loads((out_dir / SPLIT_FILE).read_text(encoding="utf-8"))
        everything = {ex.id: ex for ex in examples}
        for extra in (val, test):
            if extra is not None:
                everything.update({ex.id: ex for ex in read(extra)})
        try:
            parts = tuple([everything[i] for i in split_doc[k]] for k in ("train", "val", "test"))
        except KeyError as err:
            raise PathxError(f"{out_dir}: example {err} of the saved split is missing from the inputs") from None
    elif val is None:
        *parts, split_info = split_examples(examples, tasks, cfg.split, cfg.seed)
        split_doc = dict(split_info)
    else:
        parts = [examples, read(val), read(test) if test is not None else []]
        split_doc = {"seed": cfg.seed, "stratify_task": None, "explicit": True}
    if not parts[0]:
        raise DataError("fit: no training examples")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not resumed:
        split_doc.update({k: [e.id for e in part] for k, part in zip(("train", "val", "test"), parts)})
        (out_dir / SPLIT_FILE).write_text(json.dumps(split_doc, indent=1) + "\n", encoding="utf-8")
    return tuple(parts)


def _prepare(model, cfg: FitConfig, train_ex: list, val_ex: list, fresh: bool) -> TrainData:
    """Tokenise and target both parts; a fresh fit also standardises the pooled states on a
    sample of the training prompts and sets the rule prior (a resume restores both)."""
    if fresh:
        sample = random.Random(cfg.seed).sample(train_ex, min(len(train_ex), CALIBRATION_EXAMPLES))
        model.calibrate([e.prompt for e in sample], batch_size=cfg.eval_batch_size)
    tasks = model.tasks
    weights = {t: class_weights(train_ex, t) for t in cfg.class_weights if t in tasks}
    data = TrainData(model.tokenize([e.prompt for e in train_ex]), targets_for(train_ex, model),
                     model.tokenize([e.prompt for e in val_ex]), targets_for(val_ex, model), weights)
    if cfg.rule_prior and fresh:
        classes = model.model_config.classes
        if not any(v < len(classes[t]) for ids in data.ids for t, v in zip(tasks, ids.rule_values)):
            raise DataError("fit: a rule prior needs the rule values in the hint lines (ingest with hint values)")
        model.init_rule_prior(data.ids, data.targets, ignore=IGNORE)
    return data


def _restore(out_dir: Path, ckpt, model, optimizer, scheduler, extra: dict):
    """Load a checkpoint into model, optimizer, scheduler and RNGs: (state, best weights)."""
    doc, trainable, opt_tensors, best = ckpt
    if doc.get("base", {}).get("sha256") != extra["base"]["sha256"] or doc.get("total_steps") != extra["total_steps"]:
        raise PathxError(f"{out_dir}: checkpoint was made with another base model or schedule; cannot resume")
    model.load_trainable_state_dict(trainable)
    optimizer.load_state_dict(checkpoints.unflatten_optimizer(opt_tensors, doc["optimizer"]))
    scheduler.load_state_dict({**doc["scheduler"], "lr_lambdas": [None] * len(optimizer.param_groups)})
    checkpoints.rng_restore(opt_tensors)
    return TrainState(**doc["state"]), best


def _train(model, optimizer, scheduler, cfg: FitConfig, data: TrainData, state: TrainState, total: int,
           out_dir: Path, extra: dict, best, progress: Progress, on_step):
    """Run the step events: log, keep (and save) the best weights, checkpoint every
    `checkpoint_every` steps and on Ctrl-C, call `on_step`. Returns the best weights."""
    rng = checkpoints.rng_snapshot()  # RNG at the last optimizer-step boundary
    run_start = time.perf_counter() - state.train_seconds
    try:
        for event in train_steps(model, optimizer, scheduler, cfg, data, state, total, run_start):
            rng = event.rng
            progress.update(state.global_step, state.epoch, event.loss, event.lr, event.tokens_per_s)
            if event.improved:
                best = model.trainable_state_dict()
                model.save(out_dir)
            if event.validated:
                vloss = event.val_loss
                progress.message(f"step {state.global_step}: val loss {vloss if vloss is None else round(vloss, 4)}"
                                 f" (best {state.best_val_loss} at step {state.best_step})")
            if state.global_step % cfg.checkpoint_every == 0 and not state.finished:
                save_checkpoint(out_dir, model, optimizer, scheduler, state, rng, extra, best)
            if on_step is not None:
                on_step(state)
    except KeyboardInterrupt:
        # Ctrl-C: keep the last finished optimizer step so --resume loses nothing.
        progress.close()
        save_checkpoint(out_dir, model, optimizer, scheduler, state, rng, extra, best)
        raise
    progress.close()
    return best


def _metrics(model, cfg: FitConfig, state: TrainState, total: int, parts) -> dict:
    """metrics.json: fit settings, progress, cost and the val/test metrics of the best weights."""
    train_ex, val_ex, test_ex = parts
    trainable, all_params = model.num_parameters()
    metrics = {
        "base": model.model_config.base,
        "adapter": model.model_config.adapter,
        "quant": cfg.quant,
        "fit_config": cfg.to_dict(),
        "examples": {"train": len(train_ex), "val": len(val_ex), "test": len(test_ex)},
        "steps": state.global_step,
        "total_steps": total,
        "stopped_early": state.stopped_early,
        "best_step": state.best_step,
        "best_val_loss": state.best_val_loss,
        "training_seconds": round(state.train_seconds, 2),
        "tokens_seen": state.tokens_seen,
        "peak_memory": peak_memory(),
        "trainable_params": trainable,
        "total_params": all_params,
        "history": state.history,
    }
    for name, part in (("val", val_ex), ("test", test_ex)):
        if part:
            metrics[name] = evaluate(model, part, cfg.eval_batch_size).to_dict()
    return metrics


def evaluate_dir(out_dir: str | os.PathLike, examples, base: str | os.PathLike | None = None,
                 device: str = "auto", batch_size: int = 8) -> EvalResult:
    """`pathx eval`: metrics of a fit output dir on labelled prompt examples."""
    from pathx.model.inference import Inference

    inference = Inference.load(out_dir, base=base, device=device, batch_size=batch_size)
    return evaluate(inference, as_examples(examples, inference.tasks), batch_size)


__all__ = [
    "PromptExample", "FitConfig", "FitResult", "TrainState", "fit", "evaluate_dir", "split_examples",
    "class_weights", "multitask_loss", "as_examples", "scarcest_task", "CONFIG_FILE",
]
