"""Run-output rows as the review contract (/work/tools/review-contract.md) describes them, written by hand:
the runner that writes `review` and `evidence_detail` is being built in parallel."""
from __future__ import annotations

import json
from pathlib import Path

from pathx import schema

HOSTILE = '<script src="/x.js"></script><img src=x onerror=alert(1)>'


def detail(context: str, quote: str, *, runner_up=None, engine="rules", signals="found") -> dict:
    """An evidence_detail entry; an empty quote is the contract's "no value, text around the cue"."""
    if not quote:
        return {"quote": "", "start": -1, "end": -1, "context": context, "context_start": -1,
                "engine": engine, "runner_up": runner_up, "signals": signals}
    cs = context.index(quote)
    return {"quote": quote, "start": 100 + cs, "end": 100 + cs + len(quote), "context": context,
            "context_start": cs, "engine": engine, "runner_up": runner_up, "signals": signals}


def row(file: str, specimen=None, *, review=(), values=None, conf=None, details=None) -> dict:
    """An ok row; `values` default to a full set of labels, `details` give evidence_detail per task."""
    values = {"t_stage": "T1", "n_stage": "N0", "m_stage": None, "grade": "G2", "er": "Positive",
              "pr": "Positive", "her2": "Negative", **(values or {})}
    details = details or {}
    out = {"file": file, "specimen": specimen}
    out.update({t: values[t] for t in schema.TASKS})
    out.update({f"{t}_confidence": (conf or {}).get(t, 0.99) for t in schema.TASKS})
    out.update(needs_review=bool(review), status="ok", error=None, bundle="rules-1.1")
    out["evidence"] = {t: (details[t]["quote"] or None) if t in details else None for t in schema.TASKS}
    out["review"] = ";".join(t for t in schema.TASKS if t in review)
    out["evidence_detail"] = {t: details.get(t) for t in schema.TASKS}
    return out


def error_row(file: str, error: str) -> dict:
    out = {col: None for col in schema.OUTPUT_COLUMNS}
    out.update(file=file, needs_review=True, status="error", error=error, bundle="rules-1.1",
               evidence={t: None for t in schema.TASKS}, review="", evidence_detail={t: None for t in schema.TASKS})
    return out


def sample_rows() -> list[dict]:
    """Five ok rows (one per kind of flag) and an error row, deliberately out of order."""
    return [
        row("b.txt", "right", review=("er",), values={"er": "Positive"}, conf={"er": 0.61},
            details={"er": detail("Receptors: <b>ER</b> positive (weak), PR negative.", "<b>ER</b> positive",
                                  runner_up="Negative", engine="both", signals="found|tie")}),
        row("a/r1.txt", review=("her2", "t_stage"), values={"t_stage": "T2", "her2": None},
            conf={"t_stage": 0.55, "her2": None},
            details={"t_stage": detail("Tumour size 2.3 cm, pT2 pN0 (sn).", "pT2", runner_up="T1"),
                     "her2": detail("HER2 pending; see addendum.", "", signals="cue")}),
        row("b.txt", "left", review=("grade",), values={"grade": "G3"},
            details={"grade": detail(f"Nottingham {HOSTILE} grade 3 & more", "grade 3", runner_up="G2",
                                     engine="model", signals="model")}),
        row("=HYPERLINK(1).txt", review=("m_stage",), details={"m_stage": detail("", "")}),
        row("c.txt"),  # nothing flagged
        row("M\\xfcller.txt", review=("pr",), values={"pr": "Negative"},
            details={"pr": detail("PR: 0% (negative)", "negative")}),
        error_row("bad.pdf", "bad.pdf: encrypted PDF <no password>"),
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
