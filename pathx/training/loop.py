"""The training loop as a generator of step events (spaCy/thinc style).

    for event in train_steps(model, optimizer, scheduler, cfg, data, state, total_steps, run_start):
        ...  # log, keep the best weights, checkpoint, call back; then the loop goes on

Each event is one finished optimizer step (micro-batches of `cfg.micro_batch`, gradients
accumulated over `cfg.grad_accum`, clipped, AdamW, the cosine schedule), after the validation
that step was due for. The loop updates `state` (steps, epoch, history, best validation loss,
early stopping) before it yields; the consumer acts on the event and the loop stops once
`state.finished`. Epoch order is `randperm(seed + epoch)`, and `state.step_in_epoch` skips the
groups a resumed fit has done, so a resume continues exactly where its checkpoint left off.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from pathx.training.checkpoints import rng_snapshot
from pathx.training.config import FitConfig, TrainState
from pathx.training.data import multitask_loss


@dataclass
class TrainData:
    """Tokenised prompts, class-index targets and class weights of the train and val parts."""

    ids: list
    targets: dict[str, torch.Tensor]
    val_ids: list
    val_targets: dict[str, torch.Tensor]
    weights: dict[str, torch.Tensor]


@dataclass
class StepEvent:
    """One finished optimizer step; `state` is already updated."""

    state: TrainState
    loss: float
    lr: float
    tokens_per_s: float
    rng: dict  # RNG states right after the step: what a checkpoint of this step restores
    validated: bool = False
    val_loss: float | None = None
    improved: bool = False  # the validation loss is the best so far: keep these weights


def total_steps(n_train: int, cfg: FitConfig) -> int:
    """Optimizer steps of the whole fit (epochs x ceil(micro-batches / accumulation)), capped by max_steps."""
    steps_per_epoch = math.ceil(math.ceil(n_train / cfg.micro_batch) / cfg.grad_accum)
    total = steps_per_epoch * cfg.epochs
    return min(total, cfg.max_steps) if cfg.max_steps is not None else total


def cosine_with_warmup(total: int, warmup: int) -> Callable[[int], float]:
    """LR factor: linear warm-up to 1 over `warmup` steps ((step + 1) / (warmup + 1), never 0),
    then a half cosine to 0 at `total`. transformers' get_cosine_schedule_with_warmup starts at
    0 (step / warmup), so it would change every shipped recipe's learning rates; not used."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


def make_optimizer(model, cfg: FitConfig, total: int):
    """(optimizer, scheduler): AdamW (paged 8-bit with quant="nf4") and the cosine schedule."""
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.quant == "nf4":
        import bitsandbytes as bnb

        optimizer = bnb.optim.PagedAdamW8bit(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    warmup = math.ceil(cfg.warmup_ratio * total)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_warmup(total, warmup))


def batches(order: list[int], size: int) -> list[list[int]]:
    return [order[i : i + size] for i in range(0, len(order), size)]


def validation_loss(model, ids: list, targets: dict[str, torch.Tensor], weights: dict,
                    batch_size: int) -> float | None:
    """Mean per-example joint loss (same weighting as training), no dropout, no grad."""
    if not ids:
        return None
    was = model.training
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    total = 0.0
    with torch.no_grad():
        for chunk in batches(order, batch_size):
            logits = model(**model.collate([ids[i] for i in chunk]))
            y = {t: v[chunk] for t, v in targets.items()}
            total += float(multitask_loss(logits, y, weights)) * len(chunk)
    model.train(was)
    return total / len(ids)


def _epoch_groups(n: int, cfg: FitConfig, epoch: int) -> list[list[list[int]]]:
    """The epoch's optimizer steps, each a list of micro-batches of example indices."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed + epoch)).tolist()
    micro = batches(order, cfg.micro_batch)
    return [micro[i : i + cfg.grad_accum] for i in range(0, len(micro), cfg.grad_accum)]


def _optimizer_step(model, optimizer, scheduler, cfg: FitConfig, group, data: TrainData) -> tuple[float, int]:
    """Forward/backward over the group's micro-batches, clip, step: (summed loss, tokens)."""
    step_tokens, step_loss = 0, 0.0
    for chunk in group:
        batch = model.collate([data.ids[i] for i in chunk])
        logits = model(**batch)
        y = {t: v[chunk] for t, v in data.targets.items()}
        loss = multitask_loss(logits, y, data.weights) / len(group)
        loss.backward()
        step_loss += float(loss.detach())
        step_tokens += int(batch["attention_mask"].sum())
    if cfg.max_grad_norm:
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return step_loss, step_tokens


def _validate(model, cfg: FitConfig, data: TrainData, state: TrainState, event: StepEvent) -> None:
    """Run a due validation; update best loss, patience and early stopping in `state`."""
    vloss = validation_loss(model, data.val_ids, data.val_targets, data.weights, cfg.eval_batch_size)
    state.history[-1]["val_loss"] = vloss
    event.validated, event.val_loss = True, vloss
    if vloss is None or state.best_val_loss is None or vloss < state.best_val_loss:
        state.best_val_loss, state.best_step, state.bad_evals = vloss, state.global_step, 0
        event.improved = True
    else:
        state.bad_evals += 1
    if vloss is not None and state.bad_evals >= cfg.patience:
        state.stopped_early = True
        state.finished = True


def train_steps(model, optimizer, scheduler, cfg: FitConfig, data: TrainData, state: TrainState, total: int,
                run_start: float) -> Iterator[StepEvent]:
    """Yield one StepEvent per optimizer step until the fit is finished (see the module docstring)."""
    model.train()
    while not state.finished and state.epoch < cfg.epochs and state.global_step < total:
        groups = _epoch_groups(len(data.ids), cfg, state.epoch)
        for group in groups[state.step_in_epoch :]:
            t0 = time.perf_counter()
            loss, tokens = _optimizer_step(model, optimizer, scheduler, cfg, group, data)
            rng = rng_snapshot()
            state.global_step += 1
            state.step_in_epoch += 1
            state.tokens_seen += tokens
            state.train_seconds = time.perf_counter() - run_start
            lr = scheduler.get_last_lr()[0]
            event = StepEvent(state, loss, lr, tokens / max(time.perf_counter() - t0, 1e-9), rng)
            state.history.append({"step": state.global_step, "epoch": state.epoch, "loss": loss, "lr": lr})
            end_of_epoch = state.step_in_epoch == len(groups)
            if ((cfg.eval_every and state.global_step % cfg.eval_every == 0)
                    or (cfg.eval_every is None and end_of_epoch) or state.global_step == total):
                _validate(model, cfg, data, state, event)
            if state.global_step >= total:
                state.finished = True
            yield event
            if state.finished:
                return
        state.epoch += 1
        state.step_in_epoch = 0
    state.finished = True
