"""Benchmark: the full rule engine vs the paper's Naive Rule-Based baseline.

Prints per-field accuracy and macro-F1 of `naive` and `rules` on
  (a) a generated breast corpus (pathxgen.corpus.generate, another seed, held-out styles when the
      generator supports them), and
  (b) T/N/M on the 888 real OCR'd TCGA reports (non-breast; labels are GDC registry stage, not
      annotations of the text, see the data README): dev half (rules tuned on it), test half, all.

Metrics follow pathx.training.metrics: over examples whose gold label is known; a missing prediction counts
as the class "not reported", so abstaining on a known label costs accuracy and (in F1) adds a
zero-F1 class; F1g is macro-F1 over the gold classes only (abstentions still count as misses).

    python bench/rules.py                 # both parts
    python bench/rules.py --skip-corpus   # TCGA only
    python bench/rules.py --errors t_stage --split test   # print TCGA misses for one field
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pathx import schema  # noqa: E402
from pathx.training.metrics import task_metrics  # noqa: E402
from pathx.rules.engine import RuleEngine  # noqa: E402

TCGA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tcga" / "tcga_pancancer_tnm.jsonl"
TNM = ("t_stage", "n_stage", "m_stage")


def score(task: str, gold: list[str | None], pred: list[str | None]) -> tuple[int, float | None, float | None, float | None]:
    """n, accuracy, macro-F1 as pathx.training.metrics computes it, and macro-F1 over the gold classes only."""
    classes = list(schema.model_classes(task))
    probs = np.zeros((len(pred), len(classes)))
    for i, p in enumerate(pred):
        probs[i, classes.index(p or schema.NOT_REPORTED)] = 1.0
    m = task_metrics(task, classes, gold, probs)
    gold_classes = sorted({g for g in gold if g is not None})
    f1g = [m.per_class_f1.get(c, 0.0) for c in gold_classes]
    return m.n, m.accuracy, m.macro_f1, (float(np.mean(f1g)) if f1g else None)


def table(title: str, tasks, gold: dict, preds: dict[str, dict]) -> dict:
    """Per field: accuracy, macro-F1 (pathx.training.metrics: classes in gold or prediction, so abstaining on
    a known label adds a zero-F1 "not reported" class) and F1g (macro-F1 over gold classes only)."""
    print(f"\n{title}")
    print(f"{'field':<10}{'n':>5}" + "".join(f"{e + ' acc':>11}{e + ' F1':>10}{e + ' F1g':>11}" for e in preds))
    rows: dict[str, list] = {e: [] for e in preds}
    for task in tasks:
        line = f"{task:<10}"
        for k, (e, p) in enumerate(preds.items()):
            n, acc, f1, f1g = score(task, gold[task], p[task])
            line += (f"{n:>5}" if k == 0 else "") + f"{_f(acc):>11}{_f(f1):>10}{_f(f1g):>11}"
            if acc is not None:
                rows[e].append((acc, f1, f1g))
        print(line)
    line = f"{'mean':<10}{'':>5}"
    for e in preds:
        cols = list(zip(*rows[e])) if rows[e] else [(), (), ()]
        line += "".join(f"{_f(np.mean(c) if c else None):>{w}}" for c, w in zip(cols, (11, 10, 11)))
    print(line)
    return rows


def _f(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def run_engines(engine: RuleEngine, texts: list[str], tasks) -> dict[str, dict]:
    preds = {"naive": {t: [] for t in tasks}, "rules": {t: [] for t in tasks}}
    for text in texts:
        nv = engine.naive(text)
        rf = engine.extract(text)
        for t in tasks:
            preds["naive"][t].append(nv[t])
            preds["rules"][t].append(rf[t].value if rf[t] else None)
    return preds


def bench_tcga(engine: RuleEngine, path: Path, errors: str | None, split: str) -> None:
    from pathx.ingestion.segment import reflow

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        r["text"] = reflow(r["text"])  # as pathx run does
    half = len(rows) // 2
    splits = {"dev": rows[:half], "test": rows[half:], "all": rows}
    t0 = time.perf_counter()
    for name in ("dev", "test", "all"):
        part = splits[name]
        gold = {t: [r["labels"].get(t) for r in part] for t in TNM}
        preds = run_engines(engine, [r["text"] for r in part], TNM)
        table(f"(b) TCGA pan-cancer T/N/M, {name} ({len(part)} reports; rules tuned on dev = first half)",
              TNM, gold, preds)
    print(f"    [{time.perf_counter() - t0:.1f} s for {len(rows) * 2} extractions incl. naive]")
    if errors:
        part = splits[split]
        for r in part:
            f = engine.extract(r["text"])[errors]
            got = f.value if f else None
            if got != r["labels"].get(errors) and r["labels"].get(errors) is not None:
                ev = f"{f.evidence!r} [{f.section}/{f.rule}]" if f else "-"
                print(f"{r['id'][:12]} {r['cancer_type']:<5} gold={r['labels'][errors]} got={got} {ev}")


def bench_corpus(engine: RuleEngine, n: int, seed: int, styles: list[str] | None) -> None:
    try:
        from pathxgen import corpus
    except ImportError:
        print("\n(a) generated corpus: pathxgen.corpus is not there yet - skipped")
        return
    from pathx.training.labels import read_labeled

    kwargs = {"formats": ("txt",)}  # text only: this measures the rules, not OCR
    if styles:
        kwargs["styles"] = styles
    with tempfile.TemporaryDirectory() as tmp:
        corpus.generate(Path(tmp), n, seed, **kwargs)
        examples = read_labeled(Path(tmp) / "gold.jsonl")
        texts = [_unit_text(ex) for ex in examples]
    gold = {t: [ex.labels.get(t) for ex in examples] for t in schema.TASKS}
    preds = run_engines(engine, texts, schema.TASKS)
    desc = f"styles {', '.join(styles)}" if styles else "all styles"
    table(f"(a) generated breast corpus, seed {seed}, {len(examples)} specimens ({desc})", schema.TASKS, gold, preds)


def _unit_text(ex) -> str:
    """The text of one labelled unit: inline text, or the file's text cut to the specimen."""
    if ex.text is not None:
        text = ex.text
    else:
        from pathx.ingestion.read import read_report

        text = read_report(ex.path).text
    from pathx.ingestion.segment import reflow, segment

    text = reflow(text)  # as pathx run does: flattened text gets its lines back first
    if ex.specimen is None:
        return text

    for seg in segment(text):
        if seg.specimen == ex.specimen:
            return seg.text
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400, help="generated reports (a)")
    ap.add_argument("--seed", type=int, default=90210, help="generator seed for (a); differs from training seeds")
    ap.add_argument("--styles", nargs="*", help="corpus styles for (a) (default: all)")
    ap.add_argument("--tcga", type=Path, default=TCGA)
    ap.add_argument("--skip-corpus", action="store_true")
    ap.add_argument("--skip-tcga", action="store_true")
    ap.add_argument("--errors", choices=TNM, help="list TCGA misses for this field")
    ap.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    args = ap.parse_args()
    engine = RuleEngine.load()
    print(f"rule set {engine.version} ({engine.digest[:12]})")
    if not args.skip_corpus:
        bench_corpus(engine, args.n, args.seed, args.styles)
    if not args.skip_tcga:
        if args.tcga.exists():
            bench_tcga(engine, args.tcga, args.errors, args.split)
        else:
            print(f"\n(b) TCGA: {args.tcga} not found - skipped")


if __name__ == "__main__":
    main()
