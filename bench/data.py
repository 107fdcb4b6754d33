"""Build the labelled data sets every model experiment uses, reproducibly.

    python bench/data.py --out work/data [--n-train 2400] [--n-test 300]

Writes under OUT:
  corpus_train/   generated reports, all styles except the held-out ones (seed 1000, txt + text PDF)
  corpus_test/    generated reports in the HELD-OUT styles only (seed 90210, txt + PDF + 10% scanned)
  train.jsonl     corpus_train units (null -> "not reported": the corpus is fully labelled) plus the
                  first half of the shared TCGA reports (T/N/M labels; other fields unknown = masked)
  test.jsonl      corpus_test units, labelled the same way
  tcga_test.jsonl second half of the TCGA reports (T/N/M only)
The held-out styles are the ones the rule engine was not tuned on, so rules and models face the
same unseen layouts.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from pathx import schema

from pathxgen import corpus

HELD_OUT_STYLES = ("consult", "checkbox")
TCGA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tcga" / "tcga_pancancer_tnm.jsonl"


def corpus_lines(folder: Path, out_base: Path) -> list[dict]:
    lines = []
    for line in (folder / "gold.jsonl").read_text().splitlines():
        row = json.loads(line)
        labels = {t: row["labels"].get(t) or schema.NOT_REPORTED for t in schema.TASKS}
        path = (folder / row["path"]).resolve().relative_to(out_base.resolve())
        lines.append({"id": row["id"], "path": str(path), "specimen": row["specimen"], "labels": labels,
                      "style": row.get("style")})
    return lines


def tcga_lines(tcga: Path) -> tuple[list[dict], list[dict]]:
    rows = [json.loads(l) for l in tcga.read_text().splitlines() if l.strip()]
    out = [{"id": r["id"], "text": r["text"], "specimen": None,
            "labels": {t: r["labels"].get(t) for t in ("t_stage", "n_stage", "m_stage")}, "cancer_type": r["cancer_type"]}
           for r in rows]
    half = len(out) // 2
    return out[:half], out[half:]


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("work/data"))
    ap.add_argument("--n-train", type=int, default=2400)
    ap.add_argument("--n-test", type=int, default=300)
    ap.add_argument("--tcga", type=Path, default=TCGA)
    ap.add_argument("--no-tcga", action="store_true")
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    train_styles = [s for s in corpus.STYLES if s not in HELD_OUT_STYLES]
    corpus.generate(out / "corpus_train", args.n_train, seed=1000, styles=train_styles, formats=("txt", "pdf"))
    corpus.generate(out / "corpus_test", args.n_test, seed=90210, styles=list(HELD_OUT_STYLES))
    train = corpus_lines(out / "corpus_train", out)
    test = corpus_lines(out / "corpus_test", out)
    if not args.no_tcga and args.tcga.exists():
        tcga_train, tcga_test = tcga_lines(args.tcga)
        train += tcga_train
        write(out / "tcga_test.jsonl", tcga_test)
    write(out / "train.jsonl", train)
    write(out / "test.jsonl", test)
    print(f"train.jsonl: {len(train)} units; test.jsonl: {len(test)} units (held-out styles {HELD_OUT_STYLES})")


if __name__ == "__main__":
    main()
