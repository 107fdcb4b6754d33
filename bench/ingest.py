"""Ingestion benchmark: pages/s of the Read stage on this machine.

Text-layer PDFs (pypdf), and scanned image-only PDFs per installed OCR engine, with the
character error rate (CER) of the OCR text against the text that was printed.

    python bench/ingest.py                      # all installed engines
    python bench/ingest.py --engines tesseract --scanned-pages 3 --scan-dpi 150

EasyOCR lives outside the main venv (it needs torchvision); run this script with that
venv's python and PYTHONPATH pointing at the repository to include it.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from pathx.ingestion import ocr as ocr_engines  # noqa: E402
from pathx.ingestion import read  # noqa: E402
from pathxgen.pdfwrite import LINES_PER_PAGE, write_scanned_pdf, write_text_pdf  # noqa: E402

SITES = ["LEFT BREAST", "RIGHT BREAST"]
TYPES = ["Invasive ductal carcinoma", "Invasive lobular carcinoma", "Ductal carcinoma in situ"]


def report_page(rng: random.Random, page: int) -> list[str]:
    """One page of pathology-report-like lines (numbers, %, +, / and codes OCR must keep)."""
    lines = [f"SURGICAL PATHOLOGY REPORT  (page {page})", "FINAL DIAGNOSIS:"]
    while len(lines) < LINES_PER_PAGE - 2:
        letter = "ABCDEFGH"[len(lines) % 8]
        size = rng.randint(4, 60) / 10
        er, pr = rng.choice([0, 1, 5, 40, 80, 95]), rng.choice([0, 2, 10, 30, 70, 90])
        lines += [
            f"{letter}. {rng.choice(SITES)}, MASTECTOMY: {rng.choice(TYPES)}.",
            f"Nottingham grade {rng.randint(1, 3)} (tubules {rng.randint(1, 3)}, nuclei "
            f"{rng.randint(1, 3)}, mitoses {rng.randint(1, 3)}); tumor size {size} cm.",
            f"Lymph nodes: {rng.randint(0, 5)}/{rng.randint(5, 20)} positive; "
            f"pT{rng.randint(1, 4)} pN{rng.randint(0, 3)} pM0.",
            f"ER: {'Positive' if er >= 1 else 'Negative'} ({er}%), PR: {pr}%, HER2 IHC {rng.randint(0, 3)}+.",
            "Margins: negative, closest margin 0.4 cm (posterior).",
        ]
    return lines[: LINES_PER_PAGE - 2]


def corpus(pages: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    return "\n".join("\n".join(report_page(rng, p + 1)) for p in range(pages))


def _normalise(text: str) -> str:
    # Compare content, not layout: one space between words, one line per printed line.
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: Levenshtein distance / reference length (numpy row DP).

    Quadratic: fine for a few pages (~4k characters each), not for a hundred.
    """
    ref, hyp = _normalise(reference), _normalise(hypothesis)
    if ref == hyp:
        return 0.0
    if not ref:
        return float(bool(hyp))
    h = np.frombuffer(hyp.encode("utf-32-le"), dtype=np.uint32)
    prev = np.arange(len(h) + 1, dtype=np.int64)
    offsets = np.arange(len(h) + 1, dtype=np.int64)
    for ch in ref:
        cost = (h != ord(ch)).astype(np.int64)
        row = np.empty_like(prev)
        row[0] = prev[0] + 1
        row[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        # Insertions along the row: row[j] = min_k<=j (row[k] + j - k).
        row = np.minimum.accumulate(row - offsets) + offsets
        prev = row
    return float(prev[-1]) / len(ref)


def bench_text(pages: int, workdir: Path) -> dict:
    text = corpus(pages)
    pdf = write_text_pdf(workdir / "text.pdf", text)
    started = time.perf_counter()
    result = read.read_report(pdf, ocr="off")
    seconds = time.perf_counter() - started
    assert result.method == "pdf-text", result.method
    return {"kind": "text PDF (pypdf)", "pages": pages, "seconds": seconds, "cer": cer(text, result.text)}


def bench_scanned(engine: str, pages: int, scan_dpi: int, noise: float, workdir: Path) -> dict:
    text = corpus(pages)
    pdf = write_scanned_pdf(workdir / f"scan-{scan_dpi}.pdf", text, dpi=scan_dpi, noise=noise, seed=3)
    if engine == "easyocr":
        # Load the networks outside the timing: once per process, not per page.
        warm = time.perf_counter()
        ocr_engines.get_engine("easyocr")
        print(f"easyocr model load: {time.perf_counter() - warm:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    result = read.read_report(pdf, ocr=engine)
    seconds = time.perf_counter() - started
    assert result.method == f"ocr:{engine}", result.method
    return {
        "kind": f"scanned {scan_dpi} dpi -> ocr:{engine} @ {read.OCR_DPI} dpi",
        "pages": pages,
        "seconds": seconds,
        "cer": cer(text, result.text),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text-pages", type=int, default=100)
    ap.add_argument("--scanned-pages", type=int, default=3)
    ap.add_argument("--scan-dpi", type=int, default=150, help="resolution of the simulated scan")
    ap.add_argument("--ocr-dpi", type=int, default=read.OCR_DPI, help="render resolution for OCR")
    ap.add_argument("--noise", type=float, default=0.0, help="scanner specks (see pdfwrite)")
    ap.add_argument("--engines", default=",".join(ocr_engines.available_engines()))
    args = ap.parse_args()
    read.OCR_DPI = args.ocr_dpi

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rows.append(bench_text(args.text_pages, workdir))
        for engine in [e for e in args.engines.split(",") if e]:
            rows.append(bench_scanned(engine, args.scanned_pages, args.scan_dpi, args.noise, workdir))

    cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    print(f"pathx ingest benchmark on {cpu}, Python {platform.python_version()}")
    print(f"{'path':<46} {'pages':>5} {'seconds':>8} {'pages/s':>8} {'s/page':>7} {'CER':>7}")
    for r in rows:
        print(f"{r['kind']:<46} {r['pages']:>5} {r['seconds']:>8.2f} {r['pages'] / r['seconds']:>8.2f} "
              f"{r['seconds'] / r['pages']:>7.2f} {r['cer']:>7.2%}")


if __name__ == "__main__":
    main()
