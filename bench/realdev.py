"""Benchmark: `pathx run` on real breast reports with text-grounded labels, scored row by row.

Runs `pathx run` over a labelled folder (default: ../shared/data/tcga-brca-dev) exactly as a user
would, then matches output rows to label rows by (file, specimen). A label row with no output row
(e.g. a bilateral report given one row) counts as "not reported" for every field; an output row
with no label row is listed as an extra. Empty output = "not reported", which is scored as a class
(accuracy and macro-F1 as pathx.training.metrics computes them, cross-checked with scikit-learn when present).

    python bench/realdev.py                        # default engine (bundles/DEFAULT)
    python bench/realdev.py --engine rules         # the rule engine alone
    python bench/realdev.py --engine rules --errors   # also list every wrong field
    python bench/realdev.py --labels CORPUS/gold.jsonl --reports CORPUS   # a generated corpus (`pathx demo`)

A figure from this script for a model or threshold tuned on these reports must be cross-validated
over reports (k >= 4; as `bench/calibrate_review.py --cv` does for the review policy); the rule engine was developed on them, so its figure here
is a development figure, not a held-out one.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from pathx import schema
from pathx.training.metrics import task_metrics

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "tcga-brca-dev"


def run_rows(reports: Path, engine: str, extra: list[str]) -> list[dict]:
    """`pathx run REPORTS -o OUT.jsonl --engine ENGINE` in a fresh folder; its rows."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        cmd = [sys.executable, "-m", "pathx.cli", "run", str(reports), "-o", str(out), "--engine", engine,
               "--quiet", "--audit", str(Path(tmp) / "audit.jsonl"), *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode not in (0, 3):
            sys.exit(f"pathx run failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def score(labels: list[dict], rows: list[dict]) -> tuple[dict, list[tuple], list[tuple]]:
    by_key = {(r["file"], r.get("specimen") or None): r for r in rows}
    wanted = {(Path(lab["path"]).name, lab.get("specimen")) for lab in labels}
    extras = sorted(k for k in by_key if k not in wanted)
    errors, result = [], {}
    for t in schema.TASKS:
        classes = list(schema.model_classes(t))
        gold, probs = [], np.zeros((len(labels), len(classes)), dtype=np.float32)
        for i, lab in enumerate(labels):
            key = (Path(lab["path"]).name, lab.get("specimen"))
            row = by_key.get(key)
            pred = (row.get(t) if row else None) or schema.NOT_REPORTED
            g = lab["labels"].get(t) or schema.NOT_REPORTED
            gold.append(g)
            probs[i, classes.index(pred if pred in classes else schema.NOT_REPORTED)] = 1.0
            if pred != g:
                errors.append((lab["id"], t, g, pred, "no row" if row is None else ""))
        result[t] = task_metrics(t, classes, gold, probs)
    return result, errors, extras


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEV, help="folder with labels.jsonl and reports/")
    ap.add_argument("--labels", type=Path, help="labelled file (default DATA/labels.jsonl; a generated corpus: "
                                                "its gold.jsonl)")
    ap.add_argument("--reports", type=Path, help="report folder (default DATA/reports; a generated corpus: its folder)")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--errors", action="store_true", help="list every wrong field")
    ap.add_argument("--json", action="store_true")
    args, extra = ap.parse_known_args(argv)
    labels_file = args.labels or args.data / "labels.jsonl"
    labels = [json.loads(line) for line in labels_file.read_text().splitlines() if line.strip()]
    rows = run_rows(args.reports or args.data / "reports", args.engine, extra)
    result, errors, extras = score(labels, rows)
    accs = [result[t].accuracy for t in schema.TASKS]
    f1s = [result[t].macro_f1 for t in schema.TASKS]
    if args.json:
        print(json.dumps({"engine": args.engine, "n": len(labels),
                          "fields": {t: {"accuracy": result[t].accuracy, "macro_f1": result[t].macro_f1}
                                     for t in schema.TASKS},
                          "mean_accuracy": float(np.mean(accs)), "mean_macro_f1": float(np.mean(f1s)),
                          "extra_rows": [list(e) for e in extras]}))
        return
    print(f"engine={args.engine}  label rows={len(labels)}  output rows={len(rows)}  extra rows={len(extras)}")
    print(f"{'field':10} {'accuracy':>9} {'macro-F1':>9}")
    for t in schema.TASKS:
        print(f"{t:10} {result[t].accuracy:9.3f} {result[t].macro_f1:9.3f}")
    print(f"{'mean':10} {np.mean(accs):9.3f} {np.mean(f1s):9.3f}")
    for e in extras:
        print("extra row:", e)
    if args.errors:
        for e in errors:
            print("  %-22s %-8s gold=%-13s pred=%-13s %s" % e)


if __name__ == "__main__":
    main()
