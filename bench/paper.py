"""Reproduce the paper's comparative experiments (Tables I-IV) plus a generative baseline (V).

    python bench/paper.py --train work/data/train.jsonl --test work/data/test.jsonl \\
        --base smollm2-135m-instruct --out work/paper --max-train 1500 --epochs 1
    python bench/paper.py --quick --out /tmp/paper-quick      # CI smoke run, tiny random model

Tables (written to OUT/report.md, confusion matrices to OUT/figures/*.png):
  I    naive regex baseline vs the rule engine vs the multi-task model (per field acc / macro-F1 / AUROC)
  II   adapters: frozen (heads only), (IA)3, prefix tuning, LoRA (params, time, peak memory, metrics)
  III  single-task (one LoRA per field) vs multi-task
  IV   window slicing vs full text (512-token truncation) vs a random window of equal length
  V    zero-shot generative answers of the same backbone vs the discriminative model

Every arm writes its own folder under OUT/arms/; an arm whose folder has its metrics is reused and
a killed fit resumes from its checkpoint, so rerunning the same command continues a long run.
The labelled sets are ingested once (read, OCR, de-identify, segment) into OUT/data/; the training
set is split 90/10 into train/val once, so every arm sees the same units.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pathx import fields  # noqa: E402
from pathx.errors import PathxError  # noqa: E402
from pathx.fsutil import atomic_write_text  # noqa: E402
from bench.generative import MAX_NEW_TOKENS  # noqa: E402
from pathx.training.labels import Example, read_labeled, write_labeled  # noqa: E402
from pathx.training.metrics import EvalResult, TaskMetrics, task_metrics  # noqa: E402
from pathx.ingestion.pipeline import IngestOptions, Unit, units_for_examples  # noqa: E402

TABLES = ("I", "II", "III", "IV", "V")
SHORT = fields.SHORT_NAMES

# Settings that change results: a rerun into the same OUT must use the same ones.
RESULT_SETTINGS = ("train", "test", "base", "max_train", "max_test", "epochs", "max_steps", "lr", "micro_batch",
                   "grad_accum", "max_length", "quant", "seed", "quick", "pooling")


# ---------------------------------------------------------------------------------------------
# Arms


@dataclass(frozen=True)
class Arm:
    name: str  # folder under OUT/arms/
    kind: str  # naive | rules | fit | generative
    label: str  # how tables name it
    adapter: str = "lora"
    tasks: tuple[str, ...] = fields.TASKS
    slice_mode: str = "window"
    truncation_side: str = "report"


NAIVE = Arm("naive", "naive", "Naive regex baseline")
RULES = Arm("rules", "rules", "Rule engine (pathx)")
LORA = Arm("mt-lora-window", "fit", "LoRA, multi-task, window slicing")
ADAPTER_ARMS = [Arm("mt-frozen", "fit", "Frozen (heads only)", adapter="frozen"),
                Arm("mt-ia3", "fit", "(IA)3", adapter="ia3"),
                Arm("mt-prefix", "fit", "Prefix tuning", adapter="prefix"),
                LORA]
SINGLE_ARMS = [Arm(f"st-lora-{t}", "fit", f"LoRA, single-task {SHORT[t]}", tasks=(t,)) for t in fields.TASKS]
# Full text: the model's 512-token limit cuts the end of the report, never the Hints block (the paper
# keeps hints in all input conditions).
FULL = Arm("mt-lora-full", "fit", "Full text (report cut to 512 tokens)", slice_mode="full")
RANDOM = Arm("mt-lora-random", "fit", "Random window (same length)", slice_mode="random")
GENERATIVE = Arm("generative", "generative", "Zero-shot generative (same backbone)")

ARMS_BY_TABLE = {
    "I": [NAIVE, RULES, LORA],
    "II": ADAPTER_ARMS,
    "III": [LORA] + SINGLE_ARMS,
    "IV": [LORA, FULL, RANDOM],
    "V": [LORA, GENERATIVE],
}
# Run order: cheap and central arms first, so a partial run already fills Table I.
RUN_ORDER = [NAIVE, RULES, LORA, GENERATIVE, *ADAPTER_ARMS[:3], FULL, RANDOM, *SINGLE_ARMS]

# The paper's numbers (Llama-3-8B-Instruct, 10,677 reports, 3 epochs), for side-by-side reading.
PAPER = {
    "I_naive": {"t_stage": (0.627, 0.447, 0.747), "n_stage": (0.911, 0.739, 0.933), "grade": (0.543, 0.498, 0.752),
                "er": (0.919, 0.618, 0.950), "pr": (0.937, 0.635, 0.964), "her2": (0.558, 0.387, 0.659),
                "mean": (0.749, 0.554, 0.834)},
    "I_model": {"t_stage": (0.994, 0.993, 1.000), "n_stage": (1.000, 1.000, 1.000), "grade": (0.969, 0.969, 0.995),
                "er": (0.977, 0.961, 0.986), "pr": (0.962, 0.957, 0.990), "her2": (0.985, 0.967, 0.989),
                "mean": (0.981, 0.976, 0.996)},
    # params, seconds, MB, acc, F1, AUROC
    "II": {"frozen": (81_940, 5539, 5433, 0.664, 0.490, 0.762), "ia3": (606_228, 9198, 12553, 0.673, 0.512, 0.756),
           "prefix": (213_012, 8517, 10716, 0.978, 0.972, 0.994), "lora": (13_713_428, 3434, 14211, 0.981, 0.976, 0.996)},
    # models, params, seconds, acc, F1, AUROC, per-field F1 (T, N, grade, ER, PR, HER2; no M)
    "III": {"STL": (6, 82_200_000, 3473, 0.928, 0.914, 0.946, (0.991, 1.000, 0.970, 0.919, 0.900, 0.309)),
            "MTL": (1, 13_700_000, 3434, 0.981, 0.976, 0.996, (0.993, 1.000, 0.969, 0.961, 0.957, 0.967))},
    "IV": {"full": (0.982, 0.977, 0.995), "random": (0.854, 0.790, 0.921), "window": (0.981, 0.976, 0.996)},
}


@dataclass
class Context:
    out: Path
    base: str
    args: argparse.Namespace
    data: Path  # OUT/data
    engine: object = None
    failures: list[str] = field(default_factory=list)

    def arm_dir(self, arm: Arm) -> Path:
        return self.out / "arms" / arm.name


# ---------------------------------------------------------------------------------------------
# Data: ingest once, split once


def _bench_data_module():
    """bench/data.py (corpus -> labelled lines)."""
    from bench import data

    return data


def make_quick_data(folder: Path, n_train: int = 8, n_test: int = 4) -> tuple[Path, Path]:
    """A few generated text reports: training styles for train, the held-out styles for test."""
    from pathxgen import corpus

    bd = _bench_data_module()
    if not (folder / "test.jsonl").exists():
        styles = [s for s in corpus.STYLES if s not in bd.HELD_OUT_STYLES]
        corpus.generate(folder / "corpus_train", n_train, seed=1000, styles=styles, formats=("txt",))
        corpus.generate(folder / "corpus_test", n_test, seed=90210, styles=list(bd.HELD_OUT_STYLES), formats=("txt",))
        bd.write(folder / "train.jsonl", bd.corpus_lines(folder / "corpus_train", folder))
        bd.write(folder / "test.jsonl", bd.corpus_lines(folder / "corpus_test", folder))
    return folder / "train.jsonl", folder / "test.jsonl"


def _materialise(examples: list[Example], ocr: str) -> tuple[list[Example], list[str]]:
    """Read/OCR/de-identify/segment once; keep each unit's specimen text (what every arm slices)
    and the whole de-identified report (what the naive baseline reads)."""
    units, warnings = units_for_examples(examples, None, IngestOptions(ocr=ocr))
    out = [Example(id=ex.id, labels=dict(ex.labels), text=u.text, specimen=ex.specimen,
                   extra={"report_text": u.report_text, **{k: v for k, v in ex.extra.items() if k == "style"}})
           for ex, u in zip(examples, units)]
    return out, warnings


def prepare_data(ctx: Context) -> dict:
    """OUT/data/{train,val,test}.jsonl (+ per-field train/val files for single-task arms)."""
    from pathx.training.fit import PromptExample, split_examples

    info_file = ctx.data / "data.json"
    if info_file.exists():
        return json.loads(info_file.read_text(encoding="utf-8"))
    args = ctx.args
    ctx.data.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    train = read_labeled(args.train)
    test = read_labeled(args.test)
    source_sizes = {"train": len(train), "test": len(test)}
    if args.max_train and len(train) > args.max_train:
        keep = set(rng.sample(range(len(train)), args.max_train))
        train = [ex for i, ex in enumerate(train) if i in keep]
    if args.max_test and len(test) > args.max_test:
        keep = set(rng.sample(range(len(test)), args.max_test))
        test = [ex for i, ex in enumerate(test) if i in keep]
    t0 = time.perf_counter()
    train, w_train = _materialise(train, args.ocr)
    test, w_test = _materialise(test, args.ocr)
    ingest_s = time.perf_counter() - t0
    # One stratified 90/10 train/val split (fit's own splitter), shared by every arm.
    stubs = [PromptExample(ex.id, "", ex.labels) for ex in train]
    tr, va, _, split_info = split_examples(stubs, list(fields.TASKS), (0.9, 0.1, 0.0), args.seed)
    if not va:  # tiny sets: validation needs at least one unit
        va, tr = tr[-1:], tr[:-1]
    val_ids = {e.id for e in va}
    train_part = [ex for ex in train if ex.id not in val_ids]
    val_part = [ex for ex in train if ex.id in val_ids]
    write_labeled(ctx.data / "train.jsonl", train_part)
    write_labeled(ctx.data / "val.jsonl", val_part)
    write_labeled(ctx.data / "test.jsonl", test)
    per_task = {}
    for t in fields.TASKS:  # single-task arms train on the units labelled for their field
        tr_t = [ex for ex in train_part if ex.labels.get(t) is not None]
        va_t = [ex for ex in val_part if ex.labels.get(t) is not None] or val_part
        write_labeled(ctx.data / f"train.{t}.jsonl", tr_t)
        write_labeled(ctx.data / f"val.{t}.jsonl", va_t)
        per_task[t] = {"train": len(tr_t), "val": len(va_t)}
    info = {
        "sources": {"train": str(args.train), "test": str(args.test)},
        "source_units": source_sizes,
        "units": {"train": len(train_part), "val": len(val_part), "test": len(test)},
        "per_task": per_task,
        "test_styles": sorted({ex.extra.get("style") for ex in test if ex.extra.get("style")}),
        "stratify_task": split_info.get("stratify_task"),
        "ingest_seconds": round(ingest_s, 1),
        "ingest_warnings": len(w_train) + len(w_test),
    }
    info_file.write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


# ---------------------------------------------------------------------------------------------
# Measuring


class PeakMemory:
    """Peak memory while the block runs: CUDA max allocated (reset first) on a GPU, else the
    process RSS sampled every 50 ms (ru_maxrss would be the whole run's peak, not the arm's)."""

    def __init__(self, device: str):
        self.device = device
        self.cuda = False
        self.peak_mib = self.start_mib = 0.0
        self._stop = threading.Event()

    @staticmethod
    def rss_mib() -> float:
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            from pathx.training.metrics import peak_memory

            return peak_memory()["cpu_peak_rss_mib"]

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_mib = max(self.peak_mib, self.rss_mib())

    def __enter__(self) -> PeakMemory:
        import torch

        from pathx.model.classifier import resolve_device

        self.cuda = resolve_device(self.device).type == "cuda"
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        self.start_mib = self.peak_mib = self.rss_mib()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        import torch

        self._stop.set()
        self._thread.join()
        self.peak_mib = max(self.peak_mib, self.rss_mib())
        if self.cuda:
            self.peak_mib = torch.cuda.max_memory_allocated() / 2**20

    def to_dict(self) -> dict:
        return {"peak_memory_mib": round(self.peak_mib, 1), "memory_kind": "cuda_max_allocated" if self.cuda else
                "cpu_rss", "rss_before_mib": round(self.start_mib, 1)}


def _free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _write_json(path: Path, obj: dict) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1))


def hard_scores(task: str, predictions: list[str | None]) -> np.ndarray:
    """One-hot scores of hard predictions (None = "not reported"): AUROC from 0/1 scores."""
    classes = list(fields.model_classes(task))
    probs = np.zeros((len(predictions), len(classes)))
    for i, p in enumerate(predictions):
        probs[i, classes.index(p or fields.NOT_REPORTED)] = 1.0
    return probs


# ---------------------------------------------------------------------------------------------
# Running arms


def _test_units(ctx: Context) -> tuple[list[Example], list[Unit]]:
    examples = read_labeled(ctx.data / "test.jsonl")
    units = [Unit(file=ex.id, specimen=ex.specimen, text=ex.text, sliced="", prompt="", hints={},
                  report_text=ex.extra.get("report_text") or ex.text) for ex in examples]
    return examples, units


def run_rule_arm(ctx: Context, arm: Arm) -> None:
    from pathx.predictors.simple import NaivePredictor, RulesPredictor

    examples, units = _test_units(ctx)
    predictor = NaivePredictor() if arm.kind == "naive" else RulesPredictor(ctx.engine)
    start = time.perf_counter()
    rows = predictor.predict(units)
    seconds = time.perf_counter() - start
    result = EvalResult({t: task_metrics(t, list(fields.model_classes(t)), [ex.labels.get(t) for ex in examples],
                                         hard_scores(t, [r[t].label for r in rows])) for t in fields.TASKS},
                        len(examples), seconds)
    _write_json(ctx.arm_dir(arm) / "metrics.json", {"test": result.to_dict(), "predictor": predictor.name})


def fit_config(ctx: Context, arm: Arm):
    from pathx.training.fit import FitConfig

    a = ctx.args
    return FitConfig(tasks=list(arm.tasks), adapter=arm.adapter, quant=a.quant, truncation_side=arm.truncation_side,
                     pooling=None if a.pooling == "auto" else a.pooling,
                     max_length=a.max_length, lr=a.lr, micro_batch=a.micro_batch, grad_accum=a.grad_accum,
                     epochs=a.epochs, max_steps=a.max_steps, checkpoint_every=a.checkpoint_every, seed=a.seed,
                     device=a.device, eval_batch_size=a.eval_batch_size)


def run_fit_arm(ctx: Context, arm: Arm) -> None:
    """fit_labeled into the arm's folder (resuming a checkpoint if one is there), test metrics
    in metrics.json["test"]; wall time and peak memory of this session in bench.json."""
    from pathx.training.labeled import fit_labeled

    folder = ctx.arm_dir(arm)
    single = len(arm.tasks) == 1
    suffix = f".{arm.tasks[0]}" if single else ""
    options = IngestOptions(slice_mode=arm.slice_mode, tasks=arm.tasks)
    start = time.perf_counter()
    with PeakMemory(ctx.args.device) as mem, open(folder / "fit.log", "a", encoding="utf-8") as log:
        result = fit_labeled(ctx.data / f"train{suffix}.jsonl", folder, base=ctx.base, config=fit_config(ctx, arm),
                             options=options, engine=ctx.engine, val_path=ctx.data / f"val{suffix}.jsonl",
                             test_path=ctx.data / "test.jsonl", resume=True, progress_stream=log)
    del result
    _free_memory()
    _write_json(folder / "bench.json", {**mem.to_dict(), "wall_seconds": round(time.perf_counter() - start, 1)})


class ArmSkipped(Exception):
    """The arm does not apply to this setup (e.g. an encoder base cannot generate)."""


def run_generative_arm(ctx: Context, arm: Arm) -> None:
    """Answers are appended per batch to answers.jsonl, so a killed run continues where it was."""
    from pathx.model.backbones import resolve_base
    from bench.generative import Answer, GenerativeBaseline, score_answers, timed_answers
    from pathx.ingestion.pipeline import units_for_examples as build_units

    if resolve_base(ctx.base).family != "decoder":
        raise ArmSkipped(f"base {ctx.base} is an encoder; only a decoder can generate answers")
    folder = ctx.arm_dir(arm)
    examples = read_labeled(ctx.data / "test.jsonl")
    units, _ = build_units(examples, ctx.engine, IngestOptions())  # the discriminative model's window + hints
    answers_file = folder / "answers.jsonl"
    done = {}
    if answers_file.exists():
        for line in answers_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                done[row["id"]] = row
    todo = [i for i, ex in enumerate(examples) if ex.id not in done]
    mem_info = {}
    if todo:
        with PeakMemory(ctx.args.device) as mem:
            gen = GenerativeBaseline.load(ctx.base, device=ctx.args.device, batch_size=ctx.args.eval_batch_size)
            step = max(1, ctx.args.eval_batch_size)
            with answers_file.open("a", encoding="utf-8") as fh:
                for s in range(0, len(todo), step):
                    chunk = todo[s : s + step]
                    rows, seconds = timed_answers(gen, [(units[i].sliced, units[i].hints) for i in chunk], fields.TASKS)
                    for i, row in zip(chunk, rows):
                        line = {"id": examples[i].id, "seconds": seconds / len(chunk),
                                "answers": {t: {"raw": a.raw, "label": a.label} for t, a in row.items()}}
                        done[examples[i].id] = line
                        fh.write(json.dumps(line) + "\n")
                    fh.flush()
            del gen
        _free_memory()
        mem_info = mem.to_dict()
    answers = [{t: Answer(**done[ex.id]["answers"][t]) for t in fields.TASKS} for ex in examples]
    seconds = sum(done[ex.id]["seconds"] for ex in examples)
    score = score_answers(answers, [ex.labels for ex in examples], fields.TASKS, seconds)
    _write_json(folder / "metrics.json", {"test": score.metrics.to_dict(), "invalid": score.invalid,
                                          "invalid_rate": score.invalid_rate, "units_per_s": score.units_per_s,
                                          "calls": len(examples) * len(fields.TASKS), **mem_info})


def arm_done(ctx: Context, arm: Arm) -> bool:
    return (ctx.arm_dir(arm) / "metrics.json").exists()


def run_arm(ctx: Context, arm: Arm) -> None:
    folder = ctx.arm_dir(arm)
    if arm_done(ctx, arm):
        print(f"[{arm.name}] reused ({folder})", flush=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "error.txt").unlink(missing_ok=True)
    print(f"[{arm.name}] running ...", flush=True)
    start = time.perf_counter()
    try:
        {"naive": run_rule_arm, "rules": run_rule_arm, "fit": run_fit_arm, "generative": run_generative_arm}[arm.kind](ctx, arm)
    except ArmSkipped as why:
        (folder / "error.txt").write_text(f"skipped: {why}\n", encoding="utf-8")
        print(f"[{arm.name}] skipped: {why}", flush=True)
        return
    except (PathxError, RuntimeError, ValueError, OSError) as err:
        # One failed arm must not lose a multi-hour run: note it, keep going, exit non-zero at the end.
        message = f"{type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''}"
        (folder / "error.txt").write_text(message + "\n", encoding="utf-8")
        ctx.failures.append(f"{arm.name}: {message}")
        print(f"[{arm.name}] FAILED: {message}", file=sys.stderr, flush=True)
        return
    print(f"[{arm.name}] done in {time.perf_counter() - start:.1f} s", flush=True)


# ---------------------------------------------------------------------------------------------
# Reading results


@dataclass
class ArmResult:
    arm: Arm
    test: EvalResult | None = None
    metrics: dict = field(default_factory=dict)  # the arm's metrics.json
    bench: dict = field(default_factory=dict)  # bench.json (fit arms)
    error: str | None = None

    def mean(self, what: str, tasks=None) -> float | None:
        if self.test is None:
            return None
        vals = [getattr(m, what) for t, m in self.test.tasks.items()
                if (tasks is None or t in tasks) and getattr(m, what) is not None]
        return float(np.mean(vals)) if vals else None

    def task(self, task: str) -> TaskMetrics | None:
        return self.test.tasks.get(task) if self.test else None

    def units_per_s(self) -> float | None:
        if self.metrics.get("units_per_s"):
            return self.metrics["units_per_s"]
        if self.test and self.test.seconds:
            return self.test.n_examples / self.test.seconds
        return None


def load_result(ctx: Context, arm: Arm) -> ArmResult:
    folder = ctx.arm_dir(arm)
    res = ArmResult(arm)
    if (folder / "error.txt").exists():
        res.error = (folder / "error.txt").read_text(encoding="utf-8").strip()
    if (folder / "metrics.json").exists():
        res.metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        if res.metrics.get("test"):
            res.test = EvalResult.from_dict(res.metrics["test"])
    if (folder / "bench.json").exists():
        res.bench = json.loads((folder / "bench.json").read_text(encoding="utf-8"))
    return res


def combine_single(results: list[ArmResult]) -> ArmResult | None:
    """The single-task arms as one predictor: each field from its own model."""
    tasks = {r.arm.tasks[0]: r.task(r.arm.tasks[0]) for r in results if r.test is not None}
    if not tasks:
        return None
    out = ArmResult(Arm("st-combined", "fit", "single-task (combined)"), EvalResult(tasks, 0, 0.0))
    out.metrics = {"trainable_params": sum(r.metrics.get("trainable_params", 0) for r in results),
                   "training_seconds": sum(r.metrics.get("training_seconds", 0) for r in results),
                   "models": len(tasks)}
    return out


# ---------------------------------------------------------------------------------------------
# Confusion-matrix PNGs (Pillow; matplotlib is not a dependency)

_ABBREV = {fields.NOT_REPORTED: "NR", "Positive": "Pos", "Negative": "Neg", "Equivocal": "Eqv"}


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed bitmap font
        return ImageFont.load_default()


def confusion_png(path: Path, title: str, result: EvalResult, cell: int = 30) -> None:
    """One panel per field: rows gold, columns predicted, shade = share of the gold row."""
    from PIL import Image, ImageDraw

    tasks = [t for t, m in result.tasks.items() if m.n]
    if not tasks:
        return
    font, small, big = _font(11), _font(10), _font(14)
    size = max(len(result.tasks[t].classes) for t in tasks)
    margin = 40  # room for row labels
    panel_w, panel_h = margin + size * cell + 16, 34 + size * cell + 16
    cols = min(4, len(tasks))
    rows = (len(tasks) + cols - 1) // cols
    img = Image.new("RGB", (cols * panel_w + 10, 30 + rows * panel_h), "white")
    draw = ImageDraw.Draw(img)
    draw.text((8, 6), f"{title}  (rows: gold, columns: predicted)", fill="black", font=big)
    for k, t in enumerate(tasks):
        m = result.tasks[t]
        x0, y0 = 5 + (k % cols) * panel_w, 30 + (k // cols) * panel_h
        draw.text((x0 + margin, y0), f"{SHORT[t]} (n={m.n})", fill="black", font=font)
        conf = np.array(m.confusion)
        labels = [_ABBREV.get(c, c) for c in m.classes]
        gx, gy = x0 + margin, y0 + 30
        for j, lab in enumerate(labels):  # column (predicted) labels
            draw.text((gx + j * cell + 2, gy - 13), lab, fill="black", font=small)
        for i, lab in enumerate(labels):
            draw.text((x0 + 2, gy + i * cell + cell // 3), lab, fill="black", font=small)
            total = conf[i].sum()
            for j in range(len(labels)):
                share = conf[i, j] / total if total else 0.0
                shade = (int(255 - 200 * share), int(255 - 150 * share), 255)
                box = (gx + j * cell, gy + i * cell, gx + (j + 1) * cell, gy + (i + 1) * cell)
                draw.rectangle(box, fill=shade, outline=(150, 150, 150))
                if conf[i, j]:
                    draw.text((box[0] + 3, box[1] + cell // 3), str(conf[i, j]),
                              fill="white" if share > 0.6 else "black", font=small)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


# ---------------------------------------------------------------------------------------------
# The report


def _f(v, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _int(v) -> str:
    return "-" if v in (None, "") else f"{int(v):,}"


def _status(r: ArmResult) -> str:
    if r.error:
        return r.error if r.error.startswith("skipped") else f"failed ({r.error})"
    return "not run"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _triple(m: TaskMetrics | None) -> list[str]:
    return [_f(m.accuracy), _f(m.macro_f1), _f(m.auroc)] if m else ["-", "-", "-"]


def table_one(res: dict[str, ArmResult]) -> list[str]:
    arms = [res[NAIVE.name], res[RULES.name], res[LORA.name]]
    header = ["Field", "n"] + [f"{a} {w}" for a in ("Naive", "Rules", "Model") for w in ("acc", "F1", "AUROC")]
    rows = []
    for t in fields.TASKS:
        n = next((str(r.task(t).n) for r in arms if r.task(t)), "-")
        rows.append([fields.FIELD_NAMES[t], n] + sum((_triple(r.task(t)) for r in arms), []))
    rows.append(["**Mean**", ""] + sum(([_f(r.mean("accuracy")), _f(r.mean("macro_f1")), _f(r.mean("auroc"))]
                                        for r in arms), []))
    notes = [f"- {r.arm.label}: {_status(r)}" for r in arms if r.test is None]
    return _table(header, rows) + ([""] + notes if notes else [])


def _peak(r: ArmResult) -> str:
    return _int(r.bench.get("peak_memory_mib")) if r.bench else "-"


def table_two(res: dict[str, ArmResult]) -> list[str]:
    header = ["Method", "Trainable params", "Train time (s)", "Peak memory (MiB)", "Accuracy", "Macro-F1", "AUROC",
              "paper acc", "paper F1"]
    rows = []
    for arm in ADAPTER_ARMS:
        r = res[arm.name]
        p = PAPER["II"][arm.adapter]
        if r.test is None:
            rows.append([arm.label, _status(r), "", "", "", "", "", _f(p[3]), _f(p[4])])
            continue
        rows.append([arm.label, _int(r.metrics.get("trainable_params")), _f(r.metrics.get("training_seconds"), 0),
                     _peak(r), _f(r.mean("accuracy")), _f(r.mean("macro_f1")), _f(r.mean("auroc")), _f(p[3]), _f(p[4])])
    return _table(header, rows)


def table_three(res: dict[str, ArmResult]) -> list[str]:
    single = [res[a.name] for a in SINGLE_ARMS]
    stl, mtl = combine_single(single), res[LORA.name]
    header = ["Architecture", "Models", "Trainable params", "Train time (s)", "Accuracy", "Macro-F1", "AUROC"] + \
        [f"{SHORT[t]} F1" for t in fields.TASKS]
    rows = []
    for name, r, models in (("Single-task (one LoRA per field)", stl, len(SINGLE_ARMS)), ("Multi-task (one LoRA)", mtl, 1)):
        if r is None or r.test is None:
            rows.append([name, str(models), "not run"] + [""] * (4 + len(fields.TASKS)))
            continue
        per_field = [_f(r.task(t).macro_f1) if r.task(t) else "-" for t in fields.TASKS]
        rows.append([name, str(r.metrics.get("models", models)), _int(r.metrics.get("trainable_params")),
                     _f(r.metrics.get("training_seconds"), 0), _f(r.mean("accuracy")), _f(r.mean("macro_f1")),
                     _f(r.mean("auroc"))] + per_field)
    for name, key in (("*paper STL (Llama-3-8B)*", "STL"), ("*paper MTL (Llama-3-8B)*", "MTL")):
        models, params, secs, acc, f1, auc, per = PAPER["III"][key]
        paper_fields = dict(zip(("t_stage", "n_stage", "grade", "er", "pr", "her2"), per))
        rows.append([name, str(models), _int(params), _int(secs), _f(acc), _f(f1), _f(auc)] +
                    [_f(paper_fields.get(t)) for t in fields.TASKS])
    missing = [f"- {r.arm.label}: {_status(r)}" for r in single if r.test is None]
    return _table(header, rows) + ([""] + missing if missing else [])


def _tokens_per_unit(r: ArmResult) -> float | None:
    m = r.metrics
    if not m.get("tokens_seen") or not m.get("steps"):
        return None
    cfg = m.get("fit_config", {})
    seen = min(m["examples"]["train"] * cfg.get("epochs", 1), m["steps"] * cfg.get("micro_batch", 1) * cfg.get("grad_accum", 1))
    return m["tokens_seen"] / max(seen, 1)


def table_four(res: dict[str, ArmResult]) -> list[str]:
    header = ["Input", "Tokens/unit (train)", "Train time (s)", "Test units/s", "Accuracy", "Macro-F1", "AUROC",
              "paper acc", "paper F1", "paper AUROC"]
    rows = []
    for arm, key in ((FULL, "full"), (RANDOM, "random"), (LORA, "window")):
        r, p = res[arm.name], PAPER["IV"][key]
        label = "Window slicing (+/-5 lines)" if arm is LORA else arm.label
        if r.test is None:
            rows.append([label, _status(r), "", "", "", "", ""] + [_f(v) for v in p])
            continue
        rows.append([label, _f(_tokens_per_unit(r), 0), _f(r.metrics.get("training_seconds"), 0), _f(r.units_per_s(), 1),
                     _f(r.mean("accuracy")), _f(r.mean("macro_f1")), _f(r.mean("auroc"))] + [_f(v) for v in p])
    return _table(header, rows)


def table_five(res: dict[str, ArmResult]) -> list[str]:
    gen, disc = res[GENERATIVE.name], res[LORA.name]
    header = ["Model", "Accuracy", "Macro-F1", "AUROC", "Invalid outputs", "Test units/s"]
    rows = []
    for r, name in ((gen, "Zero-shot generative (chat template, greedy, parsed)"), (disc, "Discriminative multi-task LoRA")):
        if r.test is None:
            rows.append([name, _status(r), "", "", "", ""])
            continue
        invalid = f"{100 * r.metrics['invalid_rate']:.1f}%" if "invalid_rate" in r.metrics else "0% (by construction)"
        auroc = "-" if r is gen else _f(r.mean("auroc"))
        rows.append([name, _f(r.mean("accuracy")), _f(r.mean("macro_f1")), auroc, invalid, _f(r.units_per_s(), 2)])
    out = _table(header, rows)
    if gen.test is not None:
        out += ["", "Per field (generative): " + ", ".join(
            f"{SHORT[t]} acc {_f(gen.task(t).accuracy)} / invalid {100 * gen.metrics['invalid'][t]:.0f}%"
            for t in fields.TASKS if gen.task(t))]
    return out


def claims(res: dict[str, ArmResult]) -> list[str]:
    """The paper's comparative claims, each checked against our numbers."""
    def f1(name): return res[name].mean("macro_f1")

    out = []

    def check(text: str, values: list, holds) -> None:
        if any(v is None for v in values):
            out.append(f"- {text}: **not run**")
        else:
            out.append(f"- {text}: **{'agrees' if holds(*values) else 'contradicts'}** "
                       f"(ours: {', '.join(_f(v, 0 if v >= 10 else 3) for v in values)})")  # seconds whole

    check("I. The multi-task model beats the naive baseline by a wide macro-F1 margin (paper 0.976 vs 0.554); "
          "ours: model, naive", [f1(LORA.name), f1(NAIVE.name)], lambda m, n: m - n > 0.1)
    check("I (ours only). The model beats the full rule engine; ours: model, rules",
          [f1(LORA.name), f1(RULES.name)], lambda m, r: m > r)
    check("II. LoRA has the best macro-F1 of the four adapters (paper 0.976); ours: LoRA, best other",
          [f1(LORA.name), max((f1(a.name) for a in ADAPTER_ARMS[:3] if f1(a.name) is not None), default=None)],
          lambda lo, other: lo >= other)
    check("II. Prefix tuning is close to LoRA (paper 0.972 vs 0.976); ours: prefix, LoRA",
          [f1("mt-prefix"), f1(LORA.name)], lambda p, lo: lo - p <= 0.02)
    check("II. (IA)3 is barely better than frozen heads (paper 0.512 vs 0.490); ours: (IA)3, frozen",
          [f1("mt-ia3"), f1("mt-frozen")], lambda i, fr: abs(i - fr) <= 0.05)
    check("II. Prefix tuning trains slower than LoRA (paper 8,517 s vs 3,434 s, unequal epochs); ours: prefix s, LoRA s",
          [res["mt-prefix"].metrics.get("training_seconds"), res[LORA.name].metrics.get("training_seconds")],
          lambda p, lo: p > lo)
    stl = combine_single([res[a.name] for a in SINGLE_ARMS])
    stl_ok = stl is not None and len(stl.test.tasks) == len(SINGLE_ARMS)
    check("III. Multi-task matches or beats single-task in aggregate macro-F1 (paper 0.976 vs 0.914); ours: MTL, STL",
          [f1(LORA.name), stl.mean("macro_f1") if stl_ok else None], lambda m, s: m >= s - 0.005)
    her2 = res[LORA.name].task("her2")
    check("III. Single-task HER2 collapses while multi-task does not (paper 0.309 vs 0.967); ours: STL, MTL HER2 F1",
          [stl.task("her2").macro_f1 if stl_ok and stl.task("her2") else None, her2.macro_f1 if her2 else None],
          lambda s, m: m - s > 0.1)
    check("IV. Full text is on par with window slicing (paper 0.977 vs 0.976); ours: full, window",
          [f1(FULL.name), f1(LORA.name)], lambda fu, w: abs(fu - w) <= 0.02)
    check("IV. A random window of equal length is much worse (paper 0.790 vs 0.976); ours: random, window",
          [f1(RANDOM.name), f1(LORA.name)], lambda r, w: w - r > 0.05)
    check("V (issue 6). Discriminative heads beat zero-shot generation; ours: discriminative, generative",
          [f1(LORA.name), f1(GENERATIVE.name)], lambda d, g: d > g)
    return out


def machine_info(device: str) -> str:
    import torch

    from pathx.model.classifier import resolve_device

    dev = resolve_device(device)
    gpu = f", GPU {torch.cuda.get_device_name(dev)}" if dev.type == "cuda" else ""
    return (f"{platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores{gpu}; "
            f"Python {platform.python_version()}, torch {torch.__version__}; device {dev}")


def write_report(ctx: Context, info: dict) -> Path:
    res = {a.name: load_result(ctx, a) for a in [NAIVE, RULES, GENERATIVE, FULL, RANDOM, *ADAPTER_ARMS, *SINGLE_ARMS]}
    figures = []
    for arm in (NAIVE, RULES, LORA, GENERATIVE, *ADAPTER_ARMS[:3], FULL, RANDOM):
        r = res[arm.name]
        if r.test is not None:
            png = ctx.out / "figures" / f"cm_{arm.name}.png"
            confusion_png(png, arm.label, r.test)
            figures.append((arm, png))
    a = ctx.args
    lines = [f"# pathx: the paper's experiments on our data", ""]
    if a.quick:
        lines += ["> **QUICK MODE**: a tiny random model, a handful of reports and 2 optimizer steps per arm. "
                  "The numbers below only show that the machinery runs; they say nothing about the methods.", ""]
    lines += [
        f"Generated {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by:",
        "", "```", "python bench/paper.py " + " ".join(a.argv), "```", "",
        f"- Machine: {machine_info(a.device)}",
        f"- Backbone: `{ctx.base}`; {a.epochs} epoch(s){f', at most {a.max_steps} steps' if a.max_steps else ''} per arm, "
        f"lr {a.lr}, micro-batch {a.micro_batch} x {a.grad_accum} accumulation, max length {a.max_length} tokens"
        f"{', nf4 backbone' if a.quant else ''}; seed {a.seed}.",
        f"- Data: `{info['sources']['train']}` ({info['source_units']['train']} units"
        f"{f', {a.max_train} sampled' if a.max_train else ''}) split 90/10 into {info['units']['train']} train / "
        f"{info['units']['val']} validation units; test `{info['sources']['test']}`: {info['units']['test']} units"
        + (f" in the held-out styles {', '.join(info['test_styles'])}" if info.get("test_styles") else "") + ".",
        "",
        "## How to read this", "",
        "- Every number is on the test set, per field over units whose gold label is known, then averaged over the "
        "7 fields (the paper drops M stage; we keep it). *Accuracy*; *macro-F1* over the classes present in gold or "
        "prediction (`not reported` is a class: abstaining on a stated value costs F1); *AUROC* macro one-vs-rest from "
        "the head's probabilities for models, from hard 0/1 scores for the naive and rule predictors (which makes it "
        "a balanced-accuracy-like number, not a ranking measure), and not given for generated answers.",
        "- The paper's numbers come from Llama-3-8B-Instruct on 10,677 real reports trained for 3 epochs; ours from "
        "a much smaller backbone on generated reports whose test layouts were held out of training (and of the rule "
        "tuning). Compare directions and gaps, not absolute values.",
        "- Every arm uses the same units, train/validation split, hyperparameters and Hints block (rule-engine "
        "evidence, as in the paper). The paper gave LoRA 1 epoch and the other adapters 3; here all get the same "
        "budget, so Table II's times compare per-epoch cost, not time to convergence.",
        "- Peak memory: on a GPU, CUDA max allocated during the arm; on CPU, the process's peak resident memory "
        "during the arm, which includes what the process held before it (data, libraries: see `rss_before_mib` in "
        "each arm's `bench.json`). CPU times on a shared machine are noisy (other jobs run beside this one).",
        "- Single-task arms train each field's LoRA on the units labelled for that field only (TCGA reports carry "
        "T/N/M labels only); the multi-task model masks unknown labels instead.",
        "- Full text: the 512-token limit cuts the end of the report, never the Hints block; window and random "
        "slices keep at most 700 report characters, the random window has the same number of lines as the window.",
        "- Generated answers: one chat-template prompt per field (the classifier's Field/Classes/Report/Hints blocks "
        f"plus a question), greedy decoding of up to {MAX_NEW_TOKENS} tokens, parsed to the class the answer names; an answer "
        "naming no class or several different ones is *invalid* and scored as `not reported`. Units/s counts test specimens per second of model time "
        "(7 generations per unit vs one forward pass), ingestion excluded.",
        "", "## Table I: naive baseline vs rule engine vs multi-task model", ""]
    lines += table_one(res)
    lines += ["", "Paper (Llama-3-8B, no M stage): naive mean acc / F1 / AUROC "
              + " / ".join(_f(v) for v in PAPER["I_naive"]["mean"]) + "; multi-task "
              + " / ".join(_f(v) for v in PAPER["I_model"]["mean"]) + ".",
              "", "## Table II: adapter strategies (multi-task, window slicing)", ""]
    lines += table_two(res)
    lines += ["", "## Table III: single-task vs multi-task", ""]
    lines += table_three(res)
    lines += ["", "## Table IV: input ablation", ""]
    lines += table_four(res)
    lines += ["", "## Table V (beyond the paper): zero-shot generation vs discriminative heads", ""]
    lines += table_five(res)
    lines += ["", "## Where our results agree with or contradict the paper", ""]
    lines += claims(res)
    if a.quick:
        lines += ["", "(Quick mode: the verdicts above are about noise.)"]
    lines += ["", "## Confusion matrices (test set)", ""]
    for arm, png in figures:
        lines += [f"### {arm.label}", "", f"![{arm.label}]({png.relative_to(ctx.out).as_posix()})", ""]
    failed = [r for r in res.values() if r.error and not r.error.startswith("skipped")]
    if failed:
        lines += ["## Failed arms", ""] + [f"- {r.arm.name}: {r.error}" for r in failed]
    report = ctx.out / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


# ---------------------------------------------------------------------------------------------
# CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=Path, help="labelled JSONL to train on (bench/data.py writes work/data/train.jsonl)")
    ap.add_argument("--test", type=Path, help="labelled JSONL to test on")
    ap.add_argument("--base", default="smollm2-135m-instruct", help="shipped base name or a local model folder")
    ap.add_argument("--out", type=Path, required=True, help="output folder (arms, figures, report.md)")
    ap.add_argument("--max-train", type=int, default=None, help="sample this many training units (seeded)")
    ap.add_argument("--max-test", type=int, default=None, help="sample this many test units (seeded)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps per arm")
    ap.add_argument("--tables", default=",".join(TABLES), help="comma-separated subset of I,II,III,IV,V")
    ap.add_argument("--quick", action="store_true", help="tiny random model, a few generated reports, 2 steps per arm")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite OUT/report.md from the arms already finished, run none (a long run in parts)")
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--micro-batch", type=int, default=4)
    ap.add_argument("--grad-accum", type=int, default=4)
    ap.add_argument("--max-length", type=int, default=512, help="tokens per input (the paper's limit)")
    ap.add_argument("--pooling", choices=["auto", "last", "mean", "cls", "task"], default="auto",
                    help="auto = the paper's terminal token (decoders) / mean (encoders); task = pathx's per-field hint lines")
    ap.add_argument("--quant", choices=["nf4"], default=None, help="4-bit backbone (QLoRA), for large bases on a GPU")
    ap.add_argument("--eval-batch-size", type=int, default=8)
    ap.add_argument("--checkpoint-every", type=int, default=20)
    ap.add_argument("--ocr", default="auto", help="OCR engine for scanned PDFs while ingesting (auto|tesseract|off)")
    ap.add_argument("--device", default="auto", help="auto (GPU when present), cpu, cuda, cuda:1 ...")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    tables = [t.strip().upper() for t in args.tables.split(",") if t.strip()]
    bad = [t for t in tables if t not in TABLES]
    if bad or not tables:
        ap.error(f"--tables: unknown table(s) {', '.join(bad) or '(none)'}; choose from {','.join(TABLES)}")
    args.table_list = tables
    if args.quick:
        args.max_steps = args.max_steps or 2
        args.micro_batch, args.grad_accum = 2, 1
    elif not (args.train and args.test):
        ap.error("--train and --test are required (or --quick)")
    return args


def check_settings(out: Path, args: argparse.Namespace) -> None:
    """Refuse to mix arms trained under different settings in one OUT folder."""
    now = {k: str(getattr(args, k)) for k in RESULT_SETTINGS}
    path = out / "settings.json"
    if path.exists():
        before = json.loads(path.read_text(encoding="utf-8"))
        diff = [k for k in RESULT_SETTINGS if before.get(k) != now[k]]
        if diff:
            raise SystemExit(f"error: {out} holds a run with other settings ({', '.join(diff)}); use another --out")
    else:
        _write_json(path, now)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    base = args.base
    if args.quick:
        import torch

        from pathxgen.tinybase import build_tiny_base

        # A tiny model gains nothing from threads, and on a busy machine two spinning OpenMP
        # threads make it ~5x slower than one.
        torch.set_num_threads(1)

        tiny = out / "quick-base"
        if not (tiny / "config.json").exists():
            build_tiny_base(tiny, "decoder")
        base = str(tiny.resolve())
        if not (args.train and args.test):
            args.train, args.test = make_quick_data(out / "quick-data")
    args.base = base
    check_settings(out, args)
    from pathx.rules.engine import RuleEngine

    ctx = Context(out=out, base=base, args=args, data=out / "data", engine=RuleEngine.load())
    started = time.perf_counter()
    try:
        info = prepare_data(ctx)
    except PathxError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    wanted = {a.name for t in args.table_list for a in ARMS_BY_TABLE[t]}
    for arm in RUN_ORDER:
        if arm.name in wanted and not args.report_only:
            run_arm(ctx, arm)
            write_report(ctx, info)  # a partial report is there while a long run goes on
    report = write_report(ctx, info)
    print(f"report: {report} ({time.perf_counter() - started:.0f} s)")
    if ctx.failures:
        print(f"{len(ctx.failures)} arm(s) failed: " + "; ".join(ctx.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
