"""The learned reader (issue: a model that reads): training data, fit and first-sight evaluation.

    python bench/reader.py data --out work/reader            # per-field evidence examples (JSONL)
    python bench/reader.py fit --out work/reader [--resume]  # MiniLM + LoRA on them (checkpoints, resumable)
    python bench/reader.py eval --out work/reader            # rules vs model vs combined, first sight
    python bench/reader.py bundle --out work/reader          # combine policy into the bundle, export

Training data teaches reading, not copying: labels come from the generator's plan (never the rule
engine), every style family except the held-out ones, each report augmented the way real reports
differ (pathxgen/augment.py: flattened, hard-wrapped, OCR confusions, numbers in words, bare
"field number" forms, case), plus the real TCGA non-breast reports for T and N (their registry M is
not text-grounded: left out). Each unit gives one example per field: that field's evidence prompt
(pathx/ingestion/evidence.py) with the rule engine's hint line, dropped at random (HINT_DROP) so the
model learns to read without it. The dev reports are never used here: figures on them are first-sight.

Evaluation (`eval`): per field macro-F1 and accuracy ("not reported" is a class) of
  rules              the rule engine (pathx run --engine rules)
  model+hints        the reader with the rules' hint line
  model alone        the reader with the hint line empty ("reads alone")
  fill               rules, and the reader alone where the rules found nothing
on the held-out style families (generated, never trained on) and on the real dev set (never trained on).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from pathx import fields, schema
from pathx.ingestion.deid import deidentify
from pathx.ingestion.evidence import evidence_prompt
from pathx.ingestion.pipeline import IngestOptions, units_from_text
from pathx.ingestion.segment import reflow
from pathx.rules.engine import RuleEngine

from pathxgen import corpus
from pathxgen.augment import augment

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
HELD_OUT = ("fresh_c", "checkbox")  # style families the reader never sees in training (first-sight)
TRAIN_STYLES = tuple(s for s in corpus.ALL_STYLES if s not in HELD_OUT and s != "fresh_d")
HINT_DROP = 0.5
NR_KEEP = 0.5
BUDGET = 400  # evidence characters per field
OPTIONS = IngestOptions(slice_mode="evidence", max_report_chars=BUDGET)
BASE = "minilm-l6-v2"


def plan_labels(tumour) -> dict:
    return {t: v if v is not None else schema.NOT_REPORTED for t, v in tumour.labels().items()}


def generated_units(seed: int, n: int, styles, engine, aug: bool):
    """(id, unit, labels, style, tags) for n generated reports (txt), units matched to the plan's tumours."""
    out, skipped = [], 0
    for i in range(n):
        style = styles[i % len(styles)]
        rep = corpus.render_report(seed, i, style, "txt")
        ts = [t for t in rep["tumours"] if not (len(rep["tumours"]) > 1 and t.kind == "benign")]
        text, tags = rep["text"], []
        if aug:
            text, tags = augment(text, random.Random(f"aug:{seed}:{i}"))
        clean = reflow(deidentify(text).text)
        units = units_from_text(clean, f"g{seed}-{i}", engine, OPTIONS)
        if len(ts) == 1 and len(units) == 1:
            pairs = [(units[0], ts[0])]
        else:
            by_side = {u.specimen: u for u in units}
            pairs = [(by_side[t.side], t) for t in ts if t.side in by_side]
            if len(pairs) != len(ts):
                skipped += 1
                continue
        for u, t in pairs:
            out.append((f"g{seed}-{i}" + (f":{t.side}" if len(ts) > 1 else ""), u, plan_labels(t), style, tags))
    return out, skipped


def tcga_units(engine, half: str):
    rows = [json.loads(line) for line in (SHARED / "tcga" / "tcga_pancancer_tnm.jsonl").read_text().splitlines() if line.strip()]
    rows = rows[: len(rows) // 2] if half == "first" else rows[len(rows) // 2 :]
    out = []
    for r in rows:
        clean = reflow(deidentify(r["text"]).text)
        units = units_from_text(clean, r["id"], engine, OPTIONS)
        if len(units) != 1:
            continue
        labels = {t: r["labels"].get(t) for t in ("t_stage", "n_stage")}
        out.append((r["id"], units[0], {t: v for t, v in labels.items() if v}, "tcga", []))
    return out


def examples(units, seed: int, drop: float, keep_nr: float = NR_KEEP):
    """One example per (unit, labelled field): its evidence prompt, hint line dropped at rate `drop`;
    a generated "not reported" label kept at rate `keep_nr` (the commonest target, thinned for CPU time)."""
    rng = random.Random(f"drop:{seed}")
    out, dropped = [], 0
    for uid, unit, labels, style, _tags in units:
        for t, y in labels.items():
            if y is None or (y == schema.NOT_REPORTED and style != "tcga" and rng.random() >= keep_nr):
                continue
            keep = rng.random() >= drop
            dropped += not keep
            f = unit.findings.get(t) if unit.findings else None
            prompt = evidence_prompt(unit.text, t, f.value if f else None, BUDGET, with_hints=keep)
            out.append({"id": f"{uid}#{t}", "prompt": str(prompt), "labels": {t: y}, "style": style})
    return out, dropped


def cmd_data(args) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    engine = RuleEngine.load()
    start = time.perf_counter()
    train, skipped = generated_units(1000, args.n, TRAIN_STYLES, engine, aug=True)
    print(f"{len(train)} training units", flush=True)
    val, vskipped = generated_units(2000, args.n_val, TRAIN_STYLES, engine, aug=True)
    tcga = tcga_units(engine, "first")
    tr, d1 = examples(train + tcga, 1, HINT_DROP)
    va, d2 = examples(val, 2, HINT_DROP)
    for name, rows in (("train", tr), ("val", va)):
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    info = {"train_units": len(train), "tcga_units": len(tcga), "val_units": len(val), "skipped_reports": skipped + vskipped,
            "train_examples": len(tr), "val_examples": len(va), "hint_drop": HINT_DROP, "not_reported_kept": NR_KEEP,
            "hint_dropped": {"train": round(d1 / max(1, len(tr)), 3), "val": round(d2 / max(1, len(va)), 3)},
            "styles": list(TRAIN_STYLES), "held_out": list(HELD_OUT), "budget": BUDGET, "seconds": round(time.perf_counter() - start, 1)}
    (out / "data.json").write_text(json.dumps(info, indent=1) + "\n")
    print(json.dumps(info, indent=1))


def cmd_fit(args) -> None:
    from pathx.training.config import FitConfig
    from pathx.training.fit import fit
    from pathx.training.labeled import write_pipeline_info
    from pathx.training.thresholds import model_thresholds

    out = Path(args.out)
    read = lambda name: [json.loads(line) for line in (out / name).read_text().splitlines()]  # noqa: E731
    train, val = read("train.jsonl"), read("val.jsonl")
    cfg = FitConfig(adapter={"name": "lora", "r": 16, "alpha": 16}, pooling="mean", max_length=args.max_length,
                    lr=args.lr, micro_batch=args.micro_batch, grad_accum=1, epochs=args.epochs, eval_every=args.eval_every,
                    checkpoint_every=args.eval_every // 2, patience=3, eval_batch_size=64, class_weights=[],
                    max_steps=args.max_steps)
    run = out / (args.run or "run")
    init = None
    if args.init:  # continue a finished fit (a second pass with a new schedule)
        from safetensors.torch import load_file

        init = load_file(str(Path(args.init) / "adapter_heads.safetensors"))
    result = fit(train, run, base=BASE, config=cfg, val=val, resume=args.resume and (run / "checkpoint").exists(),
                 progress_stream=sys.stdout, init_weights=init)
    from pathx.training.data import as_examples

    thresholds = model_thresholds(result.model, as_examples(val, list(schema.TASKS)), 64)
    engine = RuleEngine.load()
    write_pipeline_info(run, OPTIONS, engine, [out / "train.jsonl", out / "val.jsonl"], thresholds, [])
    print(json.dumps(result.metrics.get("val", {}), indent=1)[:3000])


def eval_sets(engine, n: int, sealed: bool = False) -> dict:
    """{name: () -> units} of the first-sight sets: each held-out style family (generated, no
    augmentation), the real dev set and the second half of the TCGA reports (T and N). The sealed
    family fresh_d only with `sealed` (it is measured once, with the final model)."""
    from pathx.ingestion.pipeline import units_for_examples
    from pathx.training.labels import read_labeled

    def style_set(style):
        return lambda: generated_units(90210, n, (style,), engine, aug=False)[0]

    def dev_set():
        examples = read_labeled(SHARED / "tcga-brca-dev" / "labels.jsonl")
        units, _ = units_for_examples(examples, engine, OPTIONS)
        return [(ex.id, u, dict(ex.labels), "dev", []) for ex, u in zip(examples, units)]

    sets = {style: style_set(style) for style in HELD_OUT + (("fresh_d",) if sealed else ())}
    if (SHARED / "tcga-brca-dev" / "labels.jsonl").exists():
        sets["dev"] = dev_set
    sets["tcga2"] = lambda: tcga_units(engine, "second")
    return sets


def score_set(units, model, engine) -> dict:
    """Per field: gold and the hard labels of rules / model+hints / model alone / fill, model probabilities."""
    from pathx.ingestion.evidence import field_prompts

    alone = [field_prompts(u.text, schema.TASKS, None, BUDGET, with_hints=False) for _, u, *_ in units]
    p_h = model.field_proba([u.field_prompts for _, u, *_ in units])
    p_a = model.field_proba(alone)
    out = {}
    for t in schema.TASKS:
        classes = model.model.model_config.classes[t]
        rows = []
        for i, (uid, u, labels, style, _tags) in enumerate(units):
            if labels.get(t) is None:
                continue
            f = (u.findings or {}).get(t)
            rows.append({"id": uid, "gold": labels[t], "rules": (f.value if f else None) or schema.NOT_REPORTED,
                         "hints": classes[int(p_h[t][i].argmax())], "alone": classes[int(p_a[t][i].argmax())],
                         "p_alone": round(float(p_a[t][i].max()), 4), "p_hints": round(float(p_h[t][i].max()), 4)})
        for r in rows:
            r["fill"] = r["rules"] if r["rules"] != schema.NOT_REPORTED else r["alone"]
        out[t] = rows
    return out


def _none(label: str) -> str | None:
    return None if label == schema.NOT_REPORTED else label


def policy_rows(scored: dict, which: str) -> dict:
    """CombinePolicy.fit rows from scored rows, the model read alone or with hints."""
    return {t: [{"gold": _none(r["gold"]), "rules": _none(r["rules"]), "model": _none(r[which]),
                 "p": r["p_" + which]} for r in rows] for t, rows in scored.items()}


def apply_policy(scored: dict, policy, which: str, key: str) -> None:
    for t, rows in scored.items():
        for r in rows:
            label, _ = policy.decide(t, _none(r["rules"]), _none(r[which]), r["p_" + which])
            r[key] = label or schema.NOT_REPORTED


READERS = ("rules", "hints", "alone", "fill", "comb_alone", "comb_hints")


def f1_table(scored: dict) -> dict:
    from pathx.training.metrics import hard_task_metrics

    table = {}
    for t, rows in scored.items():
        if not rows:
            continue
        classes = list(schema.model_classes(t))
        gold = [r["gold"] for r in rows]
        table[t] = {k: hard_task_metrics(t, classes, gold, [r[k] for r in rows]).macro_f1 for k in READERS}
        table[t]["n"] = len(rows)
    return table


def cmd_eval(args) -> None:
    from pathx.predictors.bundle import BundlePredictor

    out = Path(args.out)
    engine = RuleEngine.load()
    model = BundlePredictor.load(Path(args.model or out / "run"), device="cpu", batch_size=64).inference
    from pathx.predictors.combined import CombinePolicy

    results = {}
    # The combine policy is fitted on the validation reports (training styles, held out from training,
    # augmented), never on a set it is scored on below.
    val_units, _ = generated_units(2000, args.n_val, TRAIN_STYLES, engine, aug=True)
    val_scored = score_set(val_units, model, engine)
    policies = {w: CombinePolicy.fit(policy_rows(val_scored, w), fitted_on="bench/reader.py validation reports "
                                     f"(seed 2000, {args.n_val} generated, training styles, augmented; model {w})")
                for w in ("alone", "hints")}
    results["policies"] = {w: p.to_dict() for w, p in policies.items()}
    print(json.dumps(results["policies"], indent=1))
    for name, make in eval_sets(engine, args.n, args.sealed).items():
        if args.sets and name not in args.sets.split(","):
            continue
        units = make()
        scored = score_set(units, model, engine)
        for w, p in policies.items():
            apply_policy(scored, p, w, "comb_" + w)
        table = f1_table(scored)
        results[name] = {"table": table, "rows": scored}
        print(f"\n{name}: {len(units)} units   macro-F1 per field ({', '.join(READERS)})")
        for t, row in table.items():
            print(f"  {t:8} n={row['n']:4} " + " ".join(f"{row[k]:.3f}" for k in READERS))
        means = {k: sum(r[k] for r in table.values()) / len(table) for k in READERS}
        results[name]["mean"] = means
        print("  mean          " + " ".join(f"{means[k]:.3f}" for k in READERS))
    Path(args.write or out / "eval.json").write_text(json.dumps(results, indent=1) + "\n")


def cmd_bundle(args) -> None:
    """Write the combine policy (model read alone or with hints, as chosen), recipe and first-sight
    figures into the fit folder's pipeline.json, then export the bundle."""
    from pathx.bundle.export import export

    out = Path(args.out)
    run = out / args.run
    results = json.loads(Path(args.eval or out / "eval.json").read_text())
    pipeline = json.loads((run / "pipeline.json").read_text())
    pipeline["slicing"]["evidence_hints"] = args.model_input == "hints"
    pipeline["combine"] = results["policies"][args.model_input]
    pipeline["recipe"] = {"name": "minilm-reader", "trained_by": "bench/reader.py", "data": json.loads((out / "data.json").read_text())}
    pipeline["evaluation"] = {name: {"mean_macro_f1": r["mean"], "macro_f1": {t: {k: v for k, v in row.items()} for t, row in r["table"].items()}}
                              for name, r in results.items() if name != "policies"}
    (run / "pipeline.json").write_text(json.dumps(pipeline, indent=1) + "\n")
    path = export(run, args.bundle, name="minilm-reader", version=args.version)
    print(path, path.stat().st_size, "bytes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data")
    d.add_argument("--out", default="work/reader")
    d.add_argument("--n", type=int, default=1100)
    d.add_argument("--n-val", type=int, default=80)
    f = sub.add_parser("fit")
    f.add_argument("--out", default="work/reader")
    f.add_argument("--resume", action="store_true")
    f.add_argument("--epochs", type=int, default=1)
    f.add_argument("--lr", type=float, default=2e-3)
    f.add_argument("--micro-batch", type=int, default=16)
    f.add_argument("--max-length", type=int, default=160)
    f.add_argument("--eval-every", type=int, default=100)
    f.add_argument("--max-steps", type=int, default=None)
    f.add_argument("--run", help="fit folder name under OUT (default run)")
    f.add_argument("--init", help="start from this finished fit folder's weights")
    e = sub.add_parser("eval")
    e.add_argument("--out", default="work/reader")
    e.add_argument("--model", help="fit folder or bundle (default OUT/run)")
    e.add_argument("--n", type=int, default=120, help="reports per held-out style")
    e.add_argument("--sealed", action="store_true", help="also the sealed family fresh_d: once, final model only")
    e.add_argument("--n-val", type=int, default=80, help="validation reports the combine policy is fitted on")
    e.add_argument("--sets", help="only these sets (comma-separated: fresh_c,checkbox,dev,tcga2,fresh_d)")
    e.add_argument("--write", help="save the results here (default OUT/eval.json)")
    b = sub.add_parser("bundle")
    b.add_argument("--out", default="work/reader")
    b.add_argument("--model-input", choices=("alone", "hints"), default="alone")
    b.add_argument("--run", default="run", help="fit folder name under OUT")
    b.add_argument("--eval", help="eval results of that fit (default OUT/eval.json)")
    b.add_argument("--version", default="0.1.0")
    b.add_argument("--bundle", default="bundles/minilm-reader-0.1.0.safetensors")
    args = ap.parse_args()
    {"data": cmd_data, "fit": cmd_fit, "eval": cmd_eval, "bundle": cmd_bundle}[args.cmd](args)


if __name__ == "__main__":
    main()
