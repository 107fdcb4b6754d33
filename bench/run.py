"""End-to-end `pathx run` throughput per shipped bundle, next to the bare backbone forward pass.

    python bench/run.py [--n 200] [--bundles bundles/*.safetensors]

For each bundle: (1) `pathx run` over N generated text reports (read, de-identify, segment,
hints, slice, batched forward, heads, ledger, atomic output) and (2) the bare model forward pass
(tokenise + backbone + heads, same batching) over exactly the prompts that run built. The
ratio pipeline/forward is the pipeline's overhead; "ingest ms/report" times the CPU stages alone
(read, de-identify, segment, hints, slice, prompt) to show where it goes. All exclude model
loading, which happens once per process. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import torch

from pathx import corpus
from pathx.bundle import BundlePredictor
from pathx.bundlefiles import list_bundles
from pathx.pipeline import discover, extract_file
from pathx.run import run_folder


def bench_bundle(path: Path, reports: Path, workdir: Path, batch_size: int, predict_batch: int | None) -> dict:
    t0 = time.perf_counter()
    predictor = BundlePredictor.load(path, batch_size=predict_batch or 8)
    load_s = time.perf_counter() - t0
    options = predictor.ingest_options(ocr="off")
    out = workdir / f"{path.stem}.csv"
    t0 = time.perf_counter()
    summary = run_folder(reports, out, predictor, options=options, progress="quiet", batch_size=batch_size,
                         audit_path=workdir / f"{path.stem}.audit.jsonl")
    pipeline_s = time.perf_counter() - t0
    files = discover(reports)
    t0 = time.perf_counter()
    units = [u for f in files for u in extract_file(f, reports, predictor.engine, options).units]
    ingest_s = time.perf_counter() - t0
    prompts = [u.prompt for u in units]
    t0 = time.perf_counter()
    predictor._predictor.predict_proba(prompts)
    forward_s = time.perf_counter() - t0
    return {"bundle": path.name, "files": len(files), "units": len(units), "load_s": load_s,
            "pipeline_s": pipeline_s, "forward_s": forward_s, "ingest_s": ingest_s, "exit": summary.exit_code}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--bundles", nargs="*", type=Path, default=None)
    ap.add_argument("--batch-size", type=int, default=32, help="files per run batch (pathx run's default)")
    ap.add_argument("--predict-batch", type=int, default=None, help="sequences per forward (default 8)")
    args = ap.parse_args()
    bundles = args.bundles or list_bundles()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus.generate(tmp / "reports", args.n, seed=4242, formats=("txt",))
        (tmp / "reports" / "gold.jsonl").unlink()
        rows = [bench_bundle(b, tmp / "reports", tmp, args.batch_size, args.predict_batch) for b in bundles]
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"{'CUDA ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'CPU'}")
    print("| bundle | reports | specimens | pipeline reports/s | forward-only reports/s | pipeline / forward "
          "| ingest ms/report | model load s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['bundle']} | {r['files']} | {r['units']} | {r['files'] / r['pipeline_s']:.2f} | "
              f"{r['files'] / r['forward_s']:.2f} | {r['pipeline_s'] / r['forward_s']:.2f}x | "
              f"{1000 * r['ingest_s'] / r['files']:.1f} | {r['load_s']:.1f} |")


if __name__ == "__main__":
    main()
