"""Calibrate the rule engine's review policy (issue 16) and measure it on held-out data.

    python bench/calibrate_review.py --calibrate GOLD.jsonl [...] [--evaluate NAME=GOLD.jsonl ...]
        [--cv NAME=GOLD.jsonl --k 4] [--write rules/review-policy.json] [--target 0.99] [--min-n 20]

For each labelled unit the rule engine's value per field is compared with the gold label ("not
reported" counts as a value; an unlabelled field counts as "not reported": the generator leaves a
field unlabelled exactly when its report says nothing about it) and the unit's review signals (pathx/review/signals.py) give its cell.
The policy is fitted on --calibrate sets, written with --write, and reported on each --evaluate set:
per field the share of values auto-accepted (coverage) and the share of those that are right
(precision). --cv folds a set by report file (k folds): each fold is scored by a policy fitted on the
--calibrate sets plus the other folds, so a set used in calibration still gets an honest figure.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pathx import schema  # noqa: E402
from pathx.fsutil import atomic_write_text  # noqa: E402
from pathx.ingestion.pipeline import IngestOptions, units_for_examples  # noqa: E402
from pathx.review.policy import ReviewPolicy, summarize  # noqa: E402
from pathx.review.signals import Cues, field_signals  # noqa: E402
from pathx.rules.engine import RuleEngine  # noqa: E402
from pathx.training.labels import read_labeled  # noqa: E402


def records_for(path: Path, engine, cues) -> list[tuple[str, str, str, bool]]:
    """(file, task, cell, right) per labelled field of every unit in a labelled set."""
    examples = read_labeled(path)
    units, _ = units_for_examples(examples, engine, IngestOptions())
    out = []
    for ex, unit in zip(examples, units):
        findings = unit.findings_by(engine)
        ocr = (unit.read_method or "").startswith(("ocr", "mixed"))
        sig = field_signals(engine, unit.text, findings, cues, ocr=ocr)
        for task in schema.TASKS:
            # The generator leaves a field unlabelled exactly when it writes nothing about it, so an
            # unlabelled field is "not reported" (the dev set's text-grounded convention).
            gold = ex.labels.get(task) or schema.NOT_REPORTED
            f = findings.get(task)
            pred = f.value if f else schema.NOT_REPORTED
            out.append((ex.path or ex.id, task, sig[task].cell, pred == gold))
    return out


def table(name: str, stats: dict) -> None:
    tot = {k: sum(s[k] for s in stats.values()) for k in ("n", "accepted", "accepted_right", "right")}
    print(f"\n{name}: field | values | accuracy | auto-accepted | precision of accepted")
    for task, s in [*stats.items(), ("ALL", tot)]:
        if not s["n"]:
            continue
        prec = s["accepted_right"] / s["accepted"] if s["accepted"] else float("nan")
        print(f"  {task:8} | {s['n']:5} | {s['right'] / s['n']:.3f} | {s['accepted'] / s['n']:.3f} | {prec:.4f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calibrate", type=Path, action="append", default=[])
    ap.add_argument("--evaluate", action="append", default=[], metavar="NAME=GOLD")
    ap.add_argument("--cv", action="append", default=[], metavar="NAME=GOLD")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--target", type=float, default=0.99)
    ap.add_argument("--min-n", type=int, default=20)
    ap.add_argument("--write", type=Path)
    ap.add_argument("--show-cells", action="store_true")
    args = ap.parse_args(argv)
    engine, cues = RuleEngine.load(), Cues()
    name = f"rules-{engine.version}"
    cal = [r for p in args.calibrate for r in records_for(p, engine, cues)]
    desc = "; ".join(f"{p.parent.name}/{p.name}" for p in args.calibrate)  # no machine paths in a shipped file
    policy = ReviewPolicy.fit([r[1:] for r in cal], name, target=args.target, min_n=args.min_n, calibration=desc)
    if args.show_cells:
        for task in schema.TASKS:
            print(task, {c: nc for c, nc in policy.counts[task].items()}, "accept:", sorted(policy.accepted_cells(task)))
    table("calibration (in-sample)", summarize(policy, [r[1:] for r in cal]))
    if args.write:
        import json

        atomic_write_text(args.write, json.dumps(policy.to_dict(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {args.write}")
    for spec in args.evaluate:
        label, _, path = spec.partition("=")
        table(f"{label} (held out)", summarize(policy, [r[1:] for r in records_for(Path(path), engine, cues)]))
    for spec in args.cv:
        label, _, path = spec.partition("=")
        recs = records_for(Path(path), engine, cues)
        files = sorted({r[0] for r in recs})
        random.Random(0).shuffle(files)
        fold_of = {f: i % args.k for i, f in enumerate(files)}
        scored = []
        for k in range(args.k):
            train = [r[1:] for r in cal] + [r[1:] for r in recs if fold_of[r[0]] != k]
            pol = ReviewPolicy.fit(train, name, target=args.target, min_n=args.min_n)
            scored += [(r[1:], pol.accepts(r[1], r[2])) for r in recs if fold_of[r[0]] == k]
        stats = {t: {"n": 0, "accepted": 0, "accepted_right": 0, "right": 0} for t in schema.TASKS}
        for (task, cell, right), acc in scored:
            s = stats[task]
            s["n"] += 1
            s["right"] += right
            s["accepted"] += acc
            s["accepted_right"] += acc and right
        table(f"{label} ({args.k}-fold cross-validated over report files)", stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
