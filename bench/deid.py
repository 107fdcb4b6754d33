"""Measure de-identification on generated reports with planted PHI.

Prints the recall of planted PHI (target 100%) and the share of non-PHI clinical tokens
lost (target at most 2%), plus the share of all non-PHI words touched and the speed.

Two independent generators: pathxgen/phi_cases.py (written with the rules; exact spans) and
the demo corpus (pathxgen/corpus.py, written separately; its gold lists each planted value, so
the check there is "does the value still appear in the output").

    python bench/deid.py [--n 300] [--seed 1]

A third set, pathxgen/phi_forms.py (demo reports with the forms issue 22 found leaking), is also
measured with the final scrub (pathx/ingestion/scrub.py) on top.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pathx.ingestion.deid import deidentify, load_rules  # noqa: E402
from pathxgen.phi_cases import generate, score  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="reports to generate")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rules = load_rules()
    fixtures = generate(args.n, seed=args.seed)
    started = time.perf_counter()
    sc = score(fixtures, deidentify)
    seconds = time.perf_counter() - started
    by_kind = collections.Counter(p.kind for fx in fixtures for p in fx.phi)

    print(f"deid rules {rules.version}: {args.n} generated reports (seed {args.seed})")
    print(f"planted PHI removed:      {sc.phi_removed}/{sc.phi_planted} = {100 * sc.recall:.2f}%  (target 100%)")
    print(f"clinical tokens lost:     {sc.clinical_lost}/{sc.clinical_total} = {100 * sc.clinical_loss:.2f}%  (target <= 2%)")
    print(f"non-PHI words touched:    {sc.words_lost}/{sc.words_total} = {100 * sc.word_loss:.2f}%")
    print(f"speed:                    {args.n / seconds:.0f} reports/s")
    print("planted by kind:          " + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())))
    corpus_check(args.n, args.seed)
    forms_check(args.n, args.seed)
    if sc.missed:
        # Kinds only: the values are fake, but the habit of not printing PHI is kept.
        print("missed by kind:           " + ", ".join(f"{k} {v}" for k, v in collections.Counter(k for k, _ in sc.missed).items()))


def corpus_check(n: int, seed: int) -> None:
    """The same two numbers on the demo corpus's reports (text format)."""
    try:
        from pathxgen.corpus import STYLES, render_report
    except ImportError:
        print("demo corpus:              not available")
        return
    styles = list(STYLES)
    planted = left = words = touched = 0
    for i in range(n):
        rep = render_report(seed, i, styles[i % len(styles)], "txt")
        text = rep["text"]
        res = deidentify(text)
        planted += len(rep["phi"])
        left += sum(1 for v in rep["phi"] if v in res.text)
        phi = [m.span() for v in rep["phi"] for m in re.finditer(re.escape(v), text)]
        for m in re.finditer(r"\S+", text):
            if any(a < m.end() and m.start() < b for a, b in phi):
                continue
            words += 1
            touched += any(s.start < m.end() and m.start() < s.end for s in res.spans)
    print(f"demo corpus ({n} reports): PHI removed {planted - left}/{planted} = {100 * (planted - left) / planted:.2f}%, "
          f"non-PHI words touched {touched}/{words} = {100 * touched / words:.2f}%")


def forms_check(n: int, seed: int) -> None:
    """The forms issue 22 found leaking (pathxgen/phi_forms.py: demo reports with outside/prior IDs,
    container labels, lower-case titles and names, ages over 89 ending a sentence, town ST ZIP, hyphenated
    surnames): planted checks clean after de-identification, and after it plus the final scrub."""
    from pathxgen.phi_forms import hostile_report, leaks

    try:
        from pathx.ingestion.scrub import scrub
    except ImportError:  # a tree from before the final scrub
        scrub = None
    total = left = left_scrub = 0
    by_kind: collections.Counter = collections.Counter()
    for i in range(n):
        rep = hostile_report(seed, i)
        out = deidentify(rep["text"]).text
        found = leaks(out, rep["checks"])
        total += len(rep["checks"])
        left += len(found)
        by_kind.update(found)
        if scrub is not None:
            left_scrub += len(leaks(scrub(out), rep["checks"]))
    print(f"issue-22 forms ({n} reports): PHI removed {total - left}/{total} = {100 * (total - left) / total:.2f}%"
          + (f"; with the final scrub {total - left_scrub}/{total} = {100 * (total - left_scrub) / total:.2f}%"
             if scrub is not None else "; no final scrub in this tree"))
    if by_kind:
        print("  left by de-identification, by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())))


if __name__ == "__main__":
    main()
