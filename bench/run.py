"""End-to-end `pathx run` throughput per shipped bundle, next to the bare backbone forward pass.

    python bench/run.py [--n 200] [--bundles bundles/*.safetensors]

For each bundle: (1) `pathx run` over N generated text reports (read, de-identify, segment,
hints, slice, batched forward, heads, ledger, atomic output) and (2) the bare model forward pass
(tokenise + backbone + heads, same batching) over exactly the prompts that run built. The
ratio pipeline/forward is the pipeline's overhead; "ingest ms/report" times the CPU stages alone
(read, de-identify, segment, hints, slice, prompt) to show where it goes. All exclude model
loading and a one-batch warm-up, which happen once per process; each timing is the median of
--repeats runs (the pipeline into a fresh output each time), and the ratio is the median of the
per-repeat ratios, so one noisy run does not decide it. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from pathxgen import corpus
from pathx.bundle.core import BundlePredictor
from pathx.bundle.files import list_bundles
from pathx.ingestion.pipeline import discover, extract_file
from pathx.run.runner import run_folder


def bench_bundle(path: Path, reports: Path, workdir: Path, batch_size: int, predict_batch: int | None,
                 repeats: int) -> dict:
    t0 = time.perf_counter()
    predictor = BundlePredictor.load(path, batch_size=predict_batch or 8)
    runner = predictor
    if predictor.info.get("combine"):  # a reader bundle runs as both readers (`--engine auto`)
        from pathx.predictors.combined import CombinedPredictor, CombinePolicy
        from pathx.predictors.simple import RulesPredictor

        runner = CombinedPredictor(RulesPredictor(), predictor, CombinePolicy.from_dict(predictor.info["combine"]))
    load_s = time.perf_counter() - t0
    options = predictor.ingest_options(ocr="off")
    files = discover(reports)
    units = [u for f in files for u in extract_file(f, reports, predictor.engine, options).units]
    t0 = time.perf_counter()
    predictor.predict(units[:8])  # warm-up: the first forward in a process pays one-off set-up costs
    load_s += time.perf_counter() - t0
    pipeline, forward, ingest = [], [], []
    for i in range(repeats):
        out = workdir / f"{path.stem}-{i}.csv"
        t0 = time.perf_counter()
        summary = run_folder(reports, out, runner, options=options, progress="quiet", batch_size=batch_size,
                             audit_path=workdir / f"{path.stem}-{i}.audit.jsonl")
        pipeline.append(time.perf_counter() - t0)
        if summary.exit_code != 0:
            raise SystemExit(f"{path.name}: pathx run exited {summary.exit_code}: {summary.message}")
        t0 = time.perf_counter()
        predictor.inference.unit_proba(units)  # the prompts run built (one per field for evidence input)
        forward.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        [extract_file(f, reports, predictor.engine, options) for f in files]
        ingest.append(time.perf_counter() - t0)
    med = statistics.median
    # Each repeat's pipeline and forward runs are adjacent in time, so their ratio cancels most of
    # a shared VM's slow drifts; the median of those ratios is the figure reported.
    ratios = [p / f for p, f in zip(pipeline, forward)]
    return {"bundle": path.name + (" (combined)" if runner is not predictor else ""), "files": len(files), "units": len(units), "load_s": load_s,
            "pipeline_s": med(pipeline), "forward_s": med(forward), "ingest_s": med(ingest),
            "ratio": med(ratios), "spread": max(ratios) - min(ratios)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--bundles", nargs="*", type=Path, default=None)
    ap.add_argument("--batch-size", type=int, default=128, help="files per run batch (pathx run's default)")
    ap.add_argument("--predict-batch", type=int, default=None, help="sequences per forward (default 8)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per bundle; medians are reported")
    args = ap.parse_args()
    bundles = args.bundles or list_bundles()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus.generate(tmp / "reports", args.n, seed=4242, formats=("txt",))
        (tmp / "reports" / "gold.jsonl").unlink()
        rows = [bench_bundle(b, tmp / "reports", tmp, args.batch_size, args.predict_batch, args.repeats)
                for b in bundles]
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"{'CUDA ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'CPU'}")
    print("| bundle | reports | specimens | pipeline reports/s | forward-only reports/s | pipeline / forward (median of runs) "
          "| ratio spread over runs | ingest ms/report | model load + warm-up s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['bundle']} | {r['files']} | {r['units']} | {r['files'] / r['pipeline_s']:.2f} | "
              f"{r['files'] / r['forward_s']:.2f} | {r['ratio']:.2f}x | {r['spread']:.2f} | "
              f"{1000 * r['ingest_s'] / r['files']:.1f} | {r['load_s']:.1f} |")


if __name__ == "__main__":
    main()
