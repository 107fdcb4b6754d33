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

Output dir: config.json + adapter_heads.safetensors (best weights, see model.load_model),
split.json, metrics.json; checkpoint/ while training.
"""
from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch
import torch.nn.functional as F

from pathx import schema
from pathx.errors import DataError, PathxError
from pathx.training.metrics import EvalResult, evaluate, peak_memory
from pathx.configcheck import Checker
from pathx.fsutil import atomic_write_text
from pathx.model.classifier import (ADAPTERS, CONFIG_FILE, PADDING_SIDES, POOLINGS, QUANTS, TRUNCATION_SIDES, MultiTaskClassifier, build_model)

SPLIT_FILE = "split.json"
METRICS_FILE = "metrics.json"
CHECKPOINT_DIR = "checkpoint"
IGNORE = -100  # target index of a masked (unknown) label
CALIBRATION_EXAMPLES = 256  # training prompts used to standardise the pooled state


@dataclass
class PromptExample:
    id: str
    prompt: str
    labels: dict[str, str | None]


@dataclass
class FitConfig:
    tasks: list[str] | None = None  # None: all of schema.TASKS
    adapter: str | dict = "lora"  # lora | ia3 | prefix | frozen, or {"name": "lora", "r": 8, ...}
    quant: str | None = None  # "nf4": 4-bit backbone (QLoRA) + paged 8-bit AdamW
    pooling: str | None = None  # default: last (decoder), mean (encoder)
    padding_side: str = "right"
    truncation_side: str = "report"  # drop the report's end, keep the Hints block
    chat_template: bool | None = None  # default: on for decoders whose tokenizer has one
    max_length: int = 512
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.03
    micro_batch: int = 2
    grad_accum: int = 8
    epochs: int = 3
    max_steps: int | None = None  # cap on optimizer steps; the schedule follows the cap
    max_grad_norm: float | None = 1.0
    eval_every: int | None = None  # optimizer steps between validations; None: each epoch end
    patience: int = 2  # validations without improvement before stopping
    checkpoint_every: int = 50  # optimizer steps
    class_weights: list[str] = field(default_factory=lambda: ["her2"])  # eq. 7 for these tasks
    rule_prior: bool = False  # logits += a table indexed by the rule value in each hint line (needs hint values)
    unknown_as_not_reported: bool = False  # treat None as "not reported" (fully labelled corpora)
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 42
    device: str = "auto"
    eval_batch_size: int = 8
    log_every: int | None = None  # plain-log interval in steps; None: ~50 lines per fit

    def __post_init__(self):
        check = Checker(self)
        check.names("tasks", schema.TASKS, optional=True)
        self._check_adapter(check)
        check.one_of("quant", QUANTS, optional=True)
        check.one_of("pooling", POOLINGS, optional=True)
        check.one_of("padding_side", PADDING_SIDES)
        check.one_of("truncation_side", TRUNCATION_SIDES)
        check.flag("chat_template", optional=True)
        check.integer("max_length", minimum=1)
        check.number("lr", above=0)
        check.number("weight_decay", minimum=0)
        check.number("warmup_ratio", minimum=0, below=1)
        for name in ("micro_batch", "grad_accum", "epochs", "checkpoint_every", "eval_batch_size"):
            check.integer(name, minimum=1)
        for name in ("max_steps", "eval_every", "log_every"):
            check.integer(name, minimum=1, optional=True)
        check.number("max_grad_norm", above=0, optional=True)
        check.integer("patience", minimum=0)
        check.names("class_weights", schema.TASKS, empty_ok=True)
        check.flag("rule_prior")
        check.flag("unknown_as_not_reported")
        self._check_split(check)
        check.integer("seed")
        if not isinstance(self.device, str) or not self.device:
            check.fail("device", f"must be auto, cpu, cuda or cuda:N, not {self.device!r}")

    def _check_adapter(self, check: Checker) -> None:
        spec = self.adapter
        if isinstance(spec, tuple(ADAPTERS.values())):
            return
        name = spec.get("name") if isinstance(spec, dict) else spec
        if name not in ADAPTERS:
            check.fail("adapter", f"must be one of {', '.join(ADAPTERS)} (or a dict with such a name), not {spec!r}")

    def _check_split(self, check: Checker) -> None:
        parts = self.split
        if (not isinstance(parts, (list, tuple)) or len(parts) != 3
                or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and f >= 0 for f in parts)
                or parts[0] <= 0 or abs(sum(parts) - 1) > 1e-6):
            check.fail("split", f"must be three fractions (train, val, test), train > 0, adding up to 1, not {parts!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FitResult:
    out_dir: Path
    global_step: int
    best_val_loss: float | None
    stopped_early: bool
    metrics: dict
    model: MultiTaskClassifier | None = None  # with the best weights loaded


@dataclass
class TrainState:
    """Optimizer-free progress, saved as JSON in each checkpoint."""

    global_step: int = 0
    epoch: int = 0
    step_in_epoch: int = 0  # optimizer steps done in `epoch`
    best_val_loss: float | None = None
    best_step: int = 0
    bad_evals: int = 0
    stopped_early: bool = False
    finished: bool = False
    train_seconds: float = 0.0
    tokens_seen: int = 0
    history: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Examples, split, weights


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


def targets_for(examples: list[PromptExample], model: MultiTaskClassifier) -> dict[str, torch.Tensor]:
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


# ---------------------------------------------------------------------------------------------
# Checkpoints: tensors in safetensors, everything else in JSON (no pickles).


def _flatten_optimizer(sd: dict) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, state = {}, {}
    for pid, st in sd["state"].items():
        entry = {}
        for k, v in st.items():
            if torch.is_tensor(v):
                tensors[f"opt.{pid}.{k}"] = v.detach().to("cpu", copy=True).contiguous()
                entry[k] = {"tensor": f"opt.{pid}.{k}"}
            else:
                entry[k] = v
        state[str(pid)] = entry
    return tensors, {"state": state, "param_groups": sd["param_groups"]}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state = {}
    for pid, entry in meta["state"].items():
        state[int(pid)] = {
            k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v for k, v in entry.items()
        }
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(out_dir: Path, model, optimizer, scheduler, state: TrainState, rng: dict, extra: dict,
                    best: dict[str, torch.Tensor] | None = None) -> None:
    from safetensors.torch import save_file

    final = out_dir / CHECKPOINT_DIR
    tmp = out_dir / (CHECKPOINT_DIR + ".tmp")
    old = out_dir / (CHECKPOINT_DIR + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(model.trainable_state_dict(), str(tmp / "trainable.safetensors"))
    if best is not None:  # the best weights so far belong to this state, not to a later one
        save_file(best, str(tmp / "best.safetensors"))
    opt_tensors, opt_meta = _flatten_optimizer(optimizer.state_dict())
    opt_tensors.update({f"rng.{k}": v for k, v in rng.items()})
    save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
    sched = {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"}
    doc = {"state": asdict(state), "optimizer": opt_meta, "scheduler": sched, "rng": sorted(rng), **extra}
    (tmp / "state.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    # Swap in atomically enough: a kill leaves either checkpoint/ or checkpoint.old/ complete.
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(out_dir: Path) -> tuple[dict, dict, dict, dict | None] | None:
    """(state doc, trainable tensors, optimizer+rng tensors, best tensors or None)."""
    from safetensors.torch import load_file

    for name in (CHECKPOINT_DIR, CHECKPOINT_DIR + ".old"):
        d = out_dir / name
        if (d / "state.json").exists():
            try:
                doc = json.loads((d / "state.json").read_text(encoding="utf-8"))
                best = load_file(str(d / "best.safetensors")) if (d / "best.safetensors").exists() else None
                return doc, load_file(str(d / "trainable.safetensors")), load_file(str(d / "optimizer.safetensors")), best
            except (OSError, ValueError) as err:
                raise PathxError(f"{d}: checkpoint unreadable ({type(err).__name__})") from None
    return None


def _rng_snapshot() -> dict[str, torch.Tensor]:
    rng = {"torch": torch.get_rng_state().clone()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state().clone()
    return rng


def _rng_restore(tensors: dict[str, torch.Tensor]) -> None:
    if "rng.torch" in tensors:
        torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])


# ---------------------------------------------------------------------------------------------
# Progress


class _Progress:
    """Rich progress bar on a TTY; plain log lines (cron, files) otherwise."""

    def __init__(self, total: int, start_step: int, log_every: int | None, stream=None):
        self.total, self.start_step = total, start_step
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self.log_every = log_every or max(1, total // 50)
        self.bar = None
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("fit"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(), console=Console(file=self.stream),
            )
            self.bar.start()
            self.task = self.bar.add_task("fit", total=total, completed=start_step, info="")

    def update(self, step: int, epoch: int, loss: float, lr: float, tokens_per_s: float) -> None:
        done = step - self.start_step
        eta = (time.perf_counter() - self.t0) / max(done, 1) * (self.total - step)
        info = f"epoch {epoch + 1} loss {loss:.4f} lr {lr:.2e} {tokens_per_s:,.0f} tok/s"
        if self.bar is not None:
            self.bar.update(self.task, completed=step, info=info)
        elif step % self.log_every == 0 or step == self.total:
            print(f"step {step}/{self.total} {info} eta {time.strftime('%H:%M:%S', time.gmtime(eta))}",
                  file=self.stream, flush=True)

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.console.print(text)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# ---------------------------------------------------------------------------------------------
# Fit


def _batches(n: int, size: int, order: list[int]) -> list[list[int]]:
    return [order[i : i + size] for i in range(0, n, size)]


def validation_loss(model: MultiTaskClassifier, ids: list[list[int]], targets: dict[str, torch.Tensor],
                    weights: dict, batch_size: int) -> float | None:
    """Mean per-example joint loss (same weighting as training), no dropout, no grad."""
    if not ids:
        return None
    was = model.training
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    total = 0.0
    with torch.no_grad():
        for chunk in _batches(len(order), batch_size, order):
            logits = model(**model.collate([ids[i] for i in chunk]))
            y = {t: v[chunk] for t, v in targets.items()}
            total += float(multitask_loss(logits, y, weights)) * len(chunk)
    model.train(was)
    return total / len(ids)


def _make_optimizer(model: MultiTaskClassifier, cfg: FitConfig):
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.quant == "nf4":
        import bitsandbytes as bnb

        return bnb.optim.PagedAdamW8bit(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _cosine_with_warmup(total: int, warmup: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


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
) -> FitResult:
    """Train a MultiTaskClassifier on prompt examples and write the output dir.

    With `val` None the examples are split 80/10/10 (stratified, seed); otherwise `train`, `val`
    and optional `test` are used as given. `on_step(state)` runs after every optimizer step (an
    exception there stops the fit like a kill). `resume=True` continues from out_dir/checkpoint."""
    cfg = config or FitConfig()
    out_dir = Path(out_dir)
    tasks = list(cfg.tasks or schema.TASKS)
    examples = as_examples(train, tasks, cfg.unknown_as_not_reported)
    ckpt = load_checkpoint(out_dir) if resume else None
    if resume and ckpt is None and (out_dir / METRICS_FILE).exists():
        raise PathxError(f"{out_dir}: fit already finished (metrics.json present); nothing to resume")
    if not resume and (out_dir / CHECKPOINT_DIR).exists():
        raise PathxError(f"{out_dir}: holds an unfinished fit; pass resume=True or use another folder")

    # Split (a resumed fit reuses the saved one).
    if ckpt is not None:
        split_doc = json.loads((out_dir / SPLIT_FILE).read_text(encoding="utf-8"))
        everything = {ex.id: ex for ex in examples}
        for extra in (val, test):
            if extra is not None:
                everything.update({ex.id: ex for ex in as_examples(extra, tasks, cfg.unknown_as_not_reported)})
        try:
            train_ex, val_ex, test_ex = ([everything[i] for i in split_doc[k]] for k in ("train", "val", "test"))
        except KeyError as err:
            raise PathxError(f"{out_dir}: example {err} of the saved split is missing from the inputs") from None
    elif val is None:
        train_ex, val_ex, test_ex, split_info = split_examples(examples, tasks, cfg.split, cfg.seed)
        split_doc = {**split_info, "train": [e.id for e in train_ex], "val": [e.id for e in val_ex],
                     "test": [e.id for e in test_ex]}
    else:
        train_ex = examples
        val_ex = as_examples(val, tasks, cfg.unknown_as_not_reported)
        test_ex = as_examples(test, tasks, cfg.unknown_as_not_reported) if test is not None else []
        split_doc = {"seed": cfg.seed, "stratify_task": None, "explicit": True, "train": [e.id for e in train_ex],
                     "val": [e.id for e in val_ex], "test": [e.id for e in test_ex]}
    if not train_ex:
        raise DataError("fit: no training examples")
    out_dir.mkdir(parents=True, exist_ok=True)
    if ckpt is None:
        (out_dir / SPLIT_FILE).write_text(json.dumps(split_doc, indent=1) + "\n", encoding="utf-8")

    model = build_model(
        base, tasks=tasks, adapter=cfg.adapter, pooling=cfg.pooling, padding_side=cfg.padding_side,
        truncation_side=cfg.truncation_side, max_length=cfg.max_length, chat_template=cfg.chat_template,
        quant=cfg.quant, device=cfg.device, seed=cfg.seed, rule_prior=cfg.rule_prior,
    )
    if ckpt is None:  # standardise pooled states on a sample of the training prompts (a resume restores them)
        sample = random.Random(cfg.seed).sample(train_ex, min(len(train_ex), CALIBRATION_EXAMPLES))
        model.calibrate([e.prompt for e in sample], batch_size=cfg.eval_batch_size)
    weights = {t: class_weights(train_ex, t) for t in cfg.class_weights if t in tasks}
    train_ids, val_ids = model.tokenize([e.prompt for e in train_ex]), model.tokenize([e.prompt for e in val_ex])
    train_y, val_y = targets_for(train_ex, model), targets_for(val_ex, model)
    if cfg.rule_prior and ckpt is None:
        if not any(v < len(model.model_config.classes[t]) for ids in train_ids
                   for t, v in zip(tasks, ids.rule_values)):
            raise DataError("fit: a rule prior needs the rule values in the hint lines (ingest with hint values)")
        model.init_rule_prior(train_ids, train_y, ignore=IGNORE)

    micro_per_epoch = math.ceil(len(train_ex) / cfg.micro_batch)
    steps_per_epoch = math.ceil(micro_per_epoch / cfg.grad_accum)
    total_steps = steps_per_epoch * cfg.epochs
    if cfg.max_steps is not None:
        total_steps = min(total_steps, cfg.max_steps)
    warmup = math.ceil(cfg.warmup_ratio * total_steps)
    optimizer = _make_optimizer(model, cfg)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _cosine_with_warmup(total_steps, warmup))
    state = TrainState()
    best_state: dict[str, torch.Tensor] | None = None
    ckpt_extra = {"fit_config": cfg.to_dict(), "base": model.model_config.base, "total_steps": total_steps}

    if ckpt is not None:
        doc, trainable, opt_tensors, best_state = ckpt
        if doc.get("base", {}).get("sha256") != model.model_config.base["sha256"] or doc.get("total_steps") != total_steps:
            raise PathxError(f"{out_dir}: checkpoint was made with another base model or schedule; cannot resume")
        model.load_trainable_state_dict(trainable)
        optimizer.load_state_dict(_unflatten_optimizer(opt_tensors, doc["optimizer"]))
        scheduler.load_state_dict({**doc["scheduler"], "lr_lambdas": [None] * len(optimizer.param_groups)})
        state = TrainState(**doc["state"])
        _rng_restore(opt_tensors)
    else:
        torch.manual_seed(cfg.seed)

    def keep_best() -> None:
        nonlocal best_state
        best_state = model.trainable_state_dict()
        model.save(out_dir)

    def checkpoint(rng: dict) -> None:
        save_checkpoint(out_dir, model, optimizer, scheduler, state, rng, ckpt_extra, best_state)

    progress = _Progress(total_steps, state.global_step, cfg.log_every, progress_stream)
    if ckpt is not None:
        progress.message(f"resumed at step {state.global_step}/{total_steps}")
    model.train()
    boundary_rng = _rng_snapshot()
    run_start = time.perf_counter() - state.train_seconds
    try:
        while not state.finished and state.epoch < cfg.epochs and state.global_step < total_steps:
            gen = torch.Generator().manual_seed(cfg.seed + state.epoch)
            order = torch.randperm(len(train_ex), generator=gen).tolist()
            micro = _batches(len(order), cfg.micro_batch, order)
            groups = [micro[i : i + cfg.grad_accum] for i in range(0, len(micro), cfg.grad_accum)]
            for group in groups[state.step_in_epoch :]:
                step_t0, step_tokens, step_loss = time.perf_counter(), 0, 0.0
                for chunk in group:
                    batch = model.collate([train_ids[i] for i in chunk])
                    logits = model(**batch)
                    y = {t: v[chunk] for t, v in train_y.items()}
                    loss = multitask_loss(logits, y, weights) / len(group)
                    loss.backward()
                    step_loss += float(loss.detach())
                    step_tokens += int(batch["attention_mask"].sum())
                if cfg.max_grad_norm:
                    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                boundary_rng = _rng_snapshot()
                state.global_step += 1
                state.step_in_epoch += 1
                state.tokens_seen += step_tokens
                state.train_seconds = time.perf_counter() - run_start
                lr = scheduler.get_last_lr()[0]
                tps = step_tokens / max(time.perf_counter() - step_t0, 1e-9)
                state.history.append({"step": state.global_step, "epoch": state.epoch, "loss": step_loss, "lr": lr})
                progress.update(state.global_step, state.epoch, step_loss, lr, tps)
                end_of_epoch = state.step_in_epoch == len(groups)
                due = (cfg.eval_every and state.global_step % cfg.eval_every == 0) or (
                    cfg.eval_every is None and end_of_epoch
                ) or state.global_step == total_steps
                if due:
                    vloss = validation_loss(model, val_ids, val_y, weights, cfg.eval_batch_size)
                    state.history[-1]["val_loss"] = vloss
                    if vloss is None or state.best_val_loss is None or vloss < state.best_val_loss:
                        state.best_val_loss, state.best_step, state.bad_evals = vloss, state.global_step, 0
                        keep_best()
                    else:
                        state.bad_evals += 1
                    progress.message(f"step {state.global_step}: val loss {vloss if vloss is None else round(vloss, 4)}"
                                     f" (best {state.best_val_loss} at step {state.best_step})")
                    if vloss is not None and state.bad_evals >= cfg.patience:
                        state.stopped_early = True
                        state.finished = True
                if state.global_step >= total_steps:
                    state.finished = True
                if state.global_step % cfg.checkpoint_every == 0 and not state.finished:
                    checkpoint(boundary_rng)
                if on_step is not None:
                    on_step(state)
                if state.finished:
                    break
            if state.finished:
                break
            state.epoch += 1
            state.step_in_epoch = 0
        state.finished = True
    except KeyboardInterrupt:
        # Ctrl-C: keep the last finished optimizer step so --resume loses nothing.
        progress.close()
        checkpoint(boundary_rng)
        raise
    progress.close()

    if best_state is None:  # no validation ran (empty val set): keep the last weights
        keep_best()
    model.load_trainable_state_dict(best_state)
    model.save(out_dir)
    metrics = {
        "base": model.model_config.base,
        "adapter": model.model_config.adapter,
        "quant": cfg.quant,
        "fit_config": cfg.to_dict(),
        "examples": {"train": len(train_ex), "val": len(val_ex), "test": len(test_ex)},
        "steps": state.global_step,
        "total_steps": total_steps,
        "stopped_early": state.stopped_early,
        "best_step": state.best_step,
        "best_val_loss": state.best_val_loss,
        "training_seconds": round(state.train_seconds, 2),
        "tokens_seen": state.tokens_seen,
        "peak_memory": peak_memory(),
        "trainable_params": model.num_parameters()[0],
        "total_params": model.num_parameters()[1],
        "history": state.history,
    }
    for name, part in (("val", val_ex), ("test", test_ex)):
        if part:
            metrics[name] = evaluate(model, part, cfg.eval_batch_size).to_dict()
    atomic_write_text(out_dir / METRICS_FILE, json.dumps(metrics, indent=1) + "\n")
    shutil.rmtree(out_dir / CHECKPOINT_DIR, ignore_errors=True)
    model.eval()
    return FitResult(out_dir, state.global_step, state.best_val_loss, state.stopped_early, metrics, model)


def evaluate_dir(out_dir: str | os.PathLike, examples, base: str | os.PathLike | None = None,
                 device: str = "auto", batch_size: int = 8) -> EvalResult:
    """`pathx eval`: metrics of a fit output dir on labelled prompt examples."""
    from pathx.model.classifier import Predictor

    predictor = Predictor.load(out_dir, base=base, device=device, batch_size=batch_size)
    return evaluate(predictor, as_examples(examples, predictor.tasks), batch_size)


__all__ = [
    "PromptExample", "FitConfig", "FitResult", "TrainState", "fit", "evaluate_dir", "split_examples",
    "class_weights", "multitask_loss", "as_examples", "scarcest_task", "CONFIG_FILE",
]
