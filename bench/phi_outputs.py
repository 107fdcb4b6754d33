"""Count planted PHI in everything pathx writes, on demo reports with the forms issue 22 found leaking.

Writes N reports (pathxgen/phi_forms.py: a demo report plus outside/prior accession numbers with a part
letter, a container label with the patient's name, titles and names in lower-case text, ages over 89
ending a sentence, town/state/ZIP without a comma, hyphenated surnames), then runs the real commands:
`pathx run` to CSV, JSONL, FHIR and NAACCR (and their ledgers), `pathx review` (page and sheet),
`pathx extract`, `pathx label` (output, audit sample, coverage), and counts the planted values each
output still holds (kinds only; the values are fake, but the habit of not printing PHI is kept).

    python bench/phi_outputs.py [--n 60] [--seed 22] [--tree DIR]

--tree runs another checkout's pathx (e.g. a `git worktree` of main) for a before/after comparison.
"""
from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pathxgen.phi_forms import hostile_report, leaks  # noqa: E402

RUN_SUFFIXES = (".csv", ".jsonl", ".fhir.json", ".naaccr.xml")


def write_corpus(folder: Path, n: int, seed: int) -> list:
    """N report files in `folder`; returns every report's checks."""
    folder.mkdir(parents=True, exist_ok=True)
    checks = []
    for i in range(n):
        rep = hostile_report(seed, i, lower=bool(i % 2))
        (folder / f"report_{i:03d}.txt").write_text(rep["text"], encoding="utf-8")
        checks += rep["checks"]
    return checks


def run_all(reports: Path, out: Path, pathx: Callable[..., int]) -> dict[str, list[Path]]:
    """Every writer over `reports` through `pathx(*args)`; {output name: files it wrote}."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}
    for suffix in RUN_SUFFIXES:
        target = out / f"out{suffix}"
        pathx("run", str(reports), "-o", str(target), "--engine", "rules", "--quiet")
        ledger = out / f".{target.name}.ledger.sqlite"
        files[suffix.lstrip(".")] = [target]
        files[f"ledger ({suffix.lstrip('.')})"] = [p for p in out.glob(f"{ledger.name}*")]
    pathx("review", str(out / "out.jsonl"))
    files["review page"] = [out / "out.review.html"]
    files["review sheet"] = [out / "out.review.csv"]
    pathx("extract", str(reports), "-o", str(out / "extract.jsonl"))
    files["extract"] = [out / "extract.jsonl"]
    pathx("label", str(reports), "-o", str(out / "label.jsonl"))
    files["label"] = [out / "label.jsonl", out / "label.audit.csv", out / "label.coverage.txt"]
    return files


def count_leaks(files: dict[str, list[Path]], checks) -> dict[str, collections.Counter]:
    """{output name: Counter of leaked kinds}, over every file of each output."""
    found = {}
    for name, paths in files.items():
        text = "".join(p.read_bytes().decode("utf-8", "replace") for p in paths if p.is_file())
        found[name] = collections.Counter(leaks(text, checks))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--tree", type=Path, default=ROOT, help="the pathx checkout to run (default: this one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pathx-phi-") as tmp:
        tmp = Path(tmp)
        checks = write_corpus(tmp / "reports", args.n, args.seed)
        env = {**os.environ, "PYTHONPATH": str(args.tree.resolve()), "PATHX_LOG_DIR": str(tmp / "log"),
               "PATHX_CONFIG_DIR": str(tmp / "config"), "PATHX_DATA_DIR": str(tmp / "data")}

        def pathx(*cli: str) -> int:
            return subprocess.run([sys.executable, "-P", "-m", "pathx.cli", *cli], env=env, cwd=tmp,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode

        files = run_all(tmp / "reports", tmp / "out", pathx)
        files["audit log"] = sorted((tmp / "log").rglob("*"))
        found = count_leaks(files, checks)
        files = {name: [p for p in paths if p.is_file()] for name, paths in files.items()}
    print(f"{args.n} reports (seed {args.seed}), {len(checks)} planted checks, pathx from {args.tree}")
    for name, counter in found.items():
        if not files[name]:  # none of its files was written (checked before the folder went)
            print(f"{name:22s}     - not written")
            continue
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "-"
        print(f"{name:22s} {sum(counter.values()):5d} leaked   {detail}")


if __name__ == "__main__":
    main()
