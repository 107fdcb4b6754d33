"""Benchmark: rule-engine time against text size (a hostile one-line dump must not stall a run).

Builds one-line texts of growing size from the real breast reports (sentence joins replaced, so
reflow cannot cut the line), runs hints + extract as `pathx run` does, and prints seconds and the
ratio to the smallest size. Linear means a 10x text takes about 10x (issue 14 asks <= ~12x).

    python bench/rules_scale.py [--sizes 50000 500000]
"""
from __future__ import annotations

import argparse
import glob
import time
from pathlib import Path

from pathx.rules.engine import RuleEngine
from pathx.ingestion.segment import reflow

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "tcga-brca-dev" / "reports"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50_000, 500_000])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    base = " ".join(Path(f).read_text() for f in sorted(glob.glob(str(DEV / "*.txt")))).replace(". ", " , ")
    engine = RuleEngine.load()
    first = None
    print(f"{'chars':>9} {'seconds':>8} {'x time':>7} {'x size':>7}")
    for n in args.sizes:
        text = (base * (n // len(base) + 1))[:n]
        best = float("inf")
        for _ in range(args.repeat):
            engine.__dict__.pop("_mention_cache", None)
            t0 = time.perf_counter()
            work = reflow(text)
            engine.hints(work)
            engine.extract(work)
            best = min(best, time.perf_counter() - t0)
        first = first or (n, best)
        print(f"{n:>9} {best:>8.2f} {best / first[1]:>7.1f} {n / first[0]:>7.1f}")


if __name__ == "__main__":
    main()
