"""`pathx eval --plots DIR`: per field, a confusion-matrix PNG (every engine) and a reliability diagram PNG
(engines with probabilities: a bundle or fit folder), drawn from an EvalResult alone (metrics.py).

    write_plots(result, folder, title) -> (written paths, notes)

Files: FOLDER/<field>.confusion.png and FOLDER/<field>.reliability.png, each replaced atomically. A field
without reliability bins (a rule engine: no probabilities) gets no reliability diagram and a note says
so. matplotlib draws through its Agg canvas only (no pyplot, no display, no GUI backend): it runs from
cron on a workstation without a screen.
"""
from __future__ import annotations

import io
from pathlib import Path

from pathx.fsutil import atomic_path

DPI = 110


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def confusion_png(m, path: Path, title: str) -> None:
    """Rows gold, columns predicted, counts written in each cell (TaskMetrics.confusion)."""
    import numpy as np

    counts = np.asarray(m.confusion, dtype=float)
    k = len(m.classes)
    fig = _figure(1.4 + 0.62 * k, 1.5 + 0.6 * k)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(1.0, counts.max()))
    ax.set_xticks(range(k), labels=m.classes, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(k), labels=m.classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    high = counts.max() / 2 if counts.max() else 1
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(int(counts[i, j])), ha="center", va="center", fontsize=8,
                    color="white" if counts[i, j] > high else "black")
    acc = "-" if m.accuracy is None else f"{m.accuracy:.3f}"
    ax.set_title(f"{title}\n{m.task}: confusion (n={m.n}, accuracy {acc})", fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def reliability_png(m, path: Path, title: str) -> None:
    """Accuracy per confidence bin against the diagonal (perfect calibration), with bin counts."""
    fig = _figure(4.8, 4.6)
    ax = fig.add_subplot(1, 1, 1)
    bins = [b for b in m.reliability if b["n"]]
    width = m.reliability[0]["hi"] - m.reliability[0]["lo"] if m.reliability else 0.1
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    ax.bar([b["lo"] for b in bins], [b["accuracy"] for b in bins], width=width, align="edge",
           edgecolor="black", color="#4c72b0", alpha=0.8, label="accuracy")
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o", color="#dd8452",
            markersize=4, label="mean confidence")
    for b in bins:
        ax.text(b["lo"] + width / 2, min(b["accuracy"] + 0.02, 0.97), str(b["n"]), ha="center", fontsize=7)
    n = sum(b["n"] for b in bins)
    ece = sum(b["n"] * abs(b["accuracy"] - b["confidence"]) for b in bins) / n if n else None
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (probability of the chosen label)")
    ax.set_ylabel("accuracy")
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title(f"{title}\n{m.task}: reliability (n={n}" + (f", ECE {ece:.3f})" if ece is not None else ")"),
                 fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def write_plots(result, folder: str | Path, title: str = "") -> tuple[list[Path], list[str]]:
    """The PNGs of every field of `result` into `folder` (made if missing); returns (paths, notes)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    for task, m in result.tasks.items():
        path = folder / f"{task}.confusion.png"
        confusion_png(m, path, title)
        written.append(path)
        if m.reliability is None:
            skipped.append(task)
            continue
        path = folder / f"{task}.reliability.png"
        reliability_png(m, path, title)
        written.append(path)
    notes = []
    if skipped:
        notes.append(f"no reliability diagram for {', '.join(skipped)}: the engine gives no probabilities "
                     f"(a rule engine); confusion matrices only")
    return written, notes
