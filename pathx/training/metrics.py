"""Per-task classification metrics (the paper's Tables I-III) in plain numpy.

For each task, over the examples whose gold label is known (not None): accuracy, macro-F1 over the
classes present in gold or prediction, macro AUROC one-vs-rest over the classes present in gold
(both positives and negatives needed), and the confusion matrix over the head's classes.
Also training time and peak memory (CPU RSS or CUDA max allocated).

Two optional parts, over the same examples (known gold):
- reliability: for a predictor with probabilities, RELIABILITY_BINS equal-width bins of the chosen label's
  probability (confidence) with each bin's count, mean confidence and accuracy (a reliability diagram's
  data; None for a hard predictor: rule engines, one-hot scores);
- review: given each prediction's needs_review flag, the auto-accept `coverage` (share of values not
  flagged) and `auto_precision` (accuracy of those auto-accepted values; None when none is), with the
  counts `auto_accepted` and `auto_correct`.
"""
from __future__ import annotations

import resource
import sys
from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class TaskMetrics:
    task: str
    n: int  # examples with a known gold label
    accuracy: float | None
    macro_f1: float | None
    auroc: float | None  # macro one-vs-rest; None when no class has both positives and negatives
    classes: list[str]
    confusion: list[list[int]]  # rows: gold, columns: predicted, in `classes` order
    per_class_f1: dict[str, float] = field(default_factory=dict)
    # reliability bins: [{"lo", "hi", "n", "confidence", "accuracy"}] (None: a hard predictor)
    reliability: list[dict] | None = None
    # review (None when the predictions' needs_review flags were not given)
    auto_accepted: int | None = None  # values whose prediction was not flagged for review
    auto_correct: int | None = None  # of those, values equal to gold
    coverage: float | None = None  # auto_accepted / n
    auto_precision: float | None = None  # auto_correct / auto_accepted (None when nothing is accepted)


RELIABILITY_BINS = 10


def reliability_bins(confidence: np.ndarray, correct: np.ndarray, n_bins: int = RELIABILITY_BINS) -> list[dict]:
    """Equal-width confidence bins over [0, 1] (the last one closed): count, mean confidence and accuracy
    of the values in each (None for an empty bin)."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    index = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    bins = []
    for b in range(n_bins):
        inside = index == b
        n = int(inside.sum())
        bins.append({"lo": b / n_bins, "hi": (b + 1) / n_bins, "n": n,
                     "confidence": float(confidence[inside].mean()) if n else None,
                     "accuracy": float(correct[inside].mean()) if n else None})
    return bins


def review_counts(correct: np.ndarray, needs_review: np.ndarray) -> dict:
    """Auto-accept coverage and precision of values whose `needs_review` is False (see the module doc)."""
    correct = np.asarray(correct, dtype=bool)
    accepted = ~np.asarray(needs_review, dtype=bool)
    n, n_accepted, n_correct = len(correct), int(accepted.sum()), int((correct & accepted).sum())
    return {"auto_accepted": n_accepted, "auto_correct": n_correct,
            "coverage": n_accepted / n if n else None,
            "auto_precision": n_correct / n_accepted if n_accepted else None}


def binary_auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve via the rank-sum (Mann-Whitney U) statistic; ties get mid ranks."""
    positive = positive.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def task_metrics(task: str, classes: list[str], gold: list[str | None], probs: np.ndarray,
                 needs_review: list[bool] | None = None, reliability: bool = True) -> TaskMetrics:
    """`gold[i]` is a class name or None (unknown, skipped); `probs` is (n, len(classes)).
    `needs_review[i]`: prediction i was flagged for review (gives coverage and auto-precision);
    `reliability=False` for a hard predictor (no reliability bins)."""
    index = {c: k for k, c in enumerate(classes)}
    keep = [i for i, g in enumerate(gold) if g is not None]
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    if needs_review is not None and len(needs_review) != len(gold):
        raise ValueError(f"{task}: {len(needs_review)} needs_review flags for {len(gold)} examples")
    if not keep:
        empty = review_counts(np.zeros(0, bool), np.zeros(0, bool)) if needs_review is not None else {}
        if reliability:
            empty["reliability"] = reliability_bins(np.zeros(0), np.zeros(0, bool))
        return TaskMetrics(task, 0, None, None, None, list(classes), confusion.tolist(), **empty)
    y = np.array([index[gold[i]] for i in keep])
    p = np.asarray(probs, dtype=np.float64)[keep]
    pred = p.argmax(axis=1)
    extra: dict = {}
    if reliability:
        extra["reliability"] = reliability_bins(p.max(axis=1), pred == y)
    if needs_review is not None:
        extra.update(review_counts(pred == y, np.array([bool(needs_review[i]) for i in keep], dtype=bool)))
    np.add.at(confusion, (y, pred), 1)
    f1s = {}
    for k in sorted(set(y.tolist()) | set(pred.tolist())):
        tp = confusion[k, k]
        fp = confusion[:, k].sum() - tp
        fn = confusion[k, :].sum() - tp
        f1s[classes[k]] = float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0
    aucs = [a for k in sorted(set(y.tolist())) if (a := binary_auroc(p[:, k], y == k)) is not None]
    return TaskMetrics(
        task=task,
        n=len(keep),
        accuracy=float((pred == y).mean()),
        macro_f1=float(np.mean(list(f1s.values()))),
        auroc=float(np.mean(aucs)) if aucs else None,
        classes=list(classes),
        confusion=confusion.tolist(),
        per_class_f1=f1s,
        **extra,
    )


def one_hot(labels: list[str | None], classes: list[str], fallback: str = "not reported") -> np.ndarray:
    """Scores of a hard predictor: probability 1 on each predicted label; a label that is None or
    not among `classes` scores as `fallback` ("not reported")."""
    probs = np.zeros((len(labels), len(classes)), dtype=np.float32)
    for i, label in enumerate(labels):
        probs[i, classes.index(label if label in classes else fallback)] = 1.0
    return probs


def hard_task_metrics(task: str, classes: list[str], gold: list[str | None], labels: list[str | None],
                      needs_review: list[bool] | None = None) -> TaskMetrics:
    """task_metrics of a hard predictor (rule engines, generative answers): its labels scored
    one-hot (so its AUROC is its balanced accuracy); no reliability bins (no probabilities)."""
    return task_metrics(task, classes, gold, one_hot(labels, classes), needs_review=needs_review, reliability=False)


@dataclass
class EvalResult:
    tasks: dict[str, TaskMetrics]
    n_examples: int
    seconds: float = 0.0

    def mean_macro_f1(self) -> float | None:
        vals = [m.macro_f1 for m in self.tasks.values() if m.macro_f1 is not None]
        return float(np.mean(vals)) if vals else None

    def has_review(self) -> bool:
        """The predictions' needs_review flags were scored (coverage and auto-precision are there)."""
        return any(m.auto_accepted is not None for m in self.tasks.values())

    def overall_review(self) -> dict:
        """Coverage and auto-precision over every field value (pooled counts, not a mean of ratios)."""
        scored = [m for m in self.tasks.values() if m.auto_accepted is not None]
        n = sum(m.n for m in scored)
        accepted = sum(m.auto_accepted for m in scored)
        correct = sum(m.auto_correct for m in scored)
        return {"coverage": accepted / n if n else None, "auto_precision": correct / accepted if accepted else None}

    def to_dict(self) -> dict:
        return {
            "n_examples": self.n_examples,
            "seconds": round(self.seconds, 3),
            "mean_macro_f1": self.mean_macro_f1(),
            **({"review": self.overall_review()} if self.has_review() else {}),
            "tasks": {t: asdict(m) for t, m in self.tasks.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> EvalResult:
        return cls(tasks={t: TaskMetrics(**m) for t, m in d.get("tasks", {}).items()},
                   n_examples=d.get("n_examples", 0), seconds=d.get("seconds", 0.0))


def evaluate(model_or_predictor, examples, batch_size: int = 8) -> EvalResult:
    """Metrics of a MultiTaskClassifier (or its Inference) on examples with .prompt and .labels.

    A label None is unknown and skipped; "not reported" counts as a class like any other."""
    import time

    from pathx.model.inference import Inference

    predictor = model_or_predictor if isinstance(model_or_predictor, Inference) else Inference(model_or_predictor, batch_size)
    examples = list(examples)
    start = time.perf_counter()
    probs = predictor.predict_proba([ex.prompt for ex in examples])
    classes = predictor.model.model_config.classes
    result = {
        t: task_metrics(t, classes[t], [ex.labels.get(t) for ex in examples], probs[t].numpy())
        for t in predictor.tasks
    }
    return EvalResult(result, len(examples), time.perf_counter() - start)


def peak_memory() -> dict[str, float]:
    """Peak resident memory of this process (MiB) and, on CUDA, peak allocated GPU memory (MiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mib = rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux
    out = {"cpu_peak_rss_mib": round(rss_mib, 1)}
    try:
        import torch

        if torch.cuda.is_available():
            out["cuda_max_allocated_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    except ImportError:
        pass
    return out


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def metrics_table(result: EvalResult, title: str = "metrics"):
    """A rich Table: one row per task plus the mean."""
    from rich.table import Table

    review = result.has_review()
    table = Table(title=title, caption=("auto-accept: share of values not flagged for review; auto precision: "
                                        "accuracy of those values (mean row: over all values)") if review else None)
    for col in ("task", "n", "accuracy", "macro-F1", "AUROC") + (("auto-accept", "auto precision") if review else ()):
        table.add_column(col, justify="left" if col == "task" else "right")
    for t, m in result.tasks.items():
        table.add_row(t, str(m.n), _fmt(m.accuracy), _fmt(m.macro_f1), _fmt(m.auroc),
                      *((_fmt(m.coverage), _fmt(m.auto_precision)) if review else ()))
    accs = [m.accuracy for m in result.tasks.values() if m.accuracy is not None]
    aucs = [m.auroc for m in result.tasks.values() if m.auroc is not None]
    overall = result.overall_review() if review else {}
    table.add_row("mean", str(result.n_examples), _fmt(float(np.mean(accs)) if accs else None),
                  _fmt(result.mean_macro_f1()), _fmt(float(np.mean(aucs)) if aucs else None),
                  *((_fmt(overall["coverage"]), _fmt(overall["auto_precision"])) if review else ()), style="bold")
    return table


def confusion_table(m: TaskMetrics):
    from rich.table import Table

    table = Table(title=f"{m.task}: rows gold, columns predicted")
    table.add_column("")
    for c in m.classes:
        table.add_column(c, justify="right")
    for c, row in zip(m.classes, m.confusion):
        table.add_row(c, *(str(v) for v in row))
    return table


def print_metrics(result: EvalResult, title: str = "metrics", confusion: bool = False, console=None) -> None:
    from rich.console import Console

    console = console or Console()
    console.print(metrics_table(result, title))
    if confusion:
        for m in result.tasks.values():
            if m.n:
                console.print(confusion_table(m))
