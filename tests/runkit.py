"""Shared helpers of the `pathx run` tests: report texts with planted PHI, a small deterministic
predictor, and a driver that runs `run_folder` in a subprocess (for kill, lock and signal tests).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from pathx import schema
from pathx.outputs.rows import FieldPrediction

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

FIRST = ["Margarethe", "Osvaldo", "Henrietta", "Bartholomew", "Ingeborg", "Cornelius", "Philippa", "Ambrose"]
LAST = ["Quillfeather", "Vantongeren", "Blackwood", "Okonkwo", "Fairweather", "Lindqvist", "Castellano", "Drummond"]
STREETS = ["Wexford Lane", "Tamarack Court", "Juniper Hollow Road", "Alderney Street"]


def phi_for(i: int) -> dict[str, str]:
    """Distinct fake PHI for report i (values chosen to be easy to search for)."""
    return {
        "name": f"{FIRST[i % len(FIRST)]} {LAST[(i * 3 + 1) % len(LAST)]}",
        "surname": LAST[(i * 3 + 1) % len(LAST)],
        "mrn": f"{48213377 + i * 7919}",
        "dob": f"03/{10 + i % 18:02d}/19{40 + i % 50}",
        "procedure_date": f"02/{11 + i % 17:02d}/2024",
        "phone": f"(617) 555-{142 + i:04d}",
        "street": f"{1842 + i} {STREETS[i % len(STREETS)]}",
        "accession": f"S24-{18833 + i * 13}",
        "physician": f"Dr. Evangeline {LAST[(i * 5 + 2) % len(LAST)]}",
    }


def report_text(i: int, *, er: str = "Positive", t: str = "2", n: str = "1a", grade: int = 2,
                bilateral: bool = False, inline_phi: bool = False) -> str:
    """A small synoptic breast pathology report with planted PHI in the header.

    inline_phi also puts PHI on the very lines predictions rest on (as real addenda do:
    "results called to Dr. X at ..."), so evidence snippets would carry it if de-identification
    missed it.
    """
    p = phi_for(i)
    header = [
        "SURGICAL PATHOLOGY REPORT",
        f"Patient Name: {p['name']}",
        f"MRN: {p['mrn']}",
        f"DOB: {p['dob']}",
        f"Accession #: {p['accession']}",
        f"Date of Procedure: {p['procedure_date']}",
        f"Address: {p['street']}, Brookhaven, MA 02134",
        f"Phone: {p['phone']}",
        f"Ordering Physician: {p['physician']}",
        "",
    ]

    def synoptic(letter: str, side: str, er_: str, t_: str) -> list[str]:
        return [
            f"{letter}. {side} BREAST, LUMPECTOMY:",
            "Invasive ductal carcinoma, 2.1 cm.",
            f"Nottingham histologic grade: {grade}",
            f"Pathologic stage: pT{t_} pN{n}",
            f"ER: {er_} (95%)" if er_ == "Positive" else f"ER: {er_} (0%)",
            *([f"ER and grade results called to {p['physician']} at {p['phone']} on {p['procedure_date']}.",
               f"Patient {p['name']} (MRN {p['mrn']}, DOB {p['dob']}), case {p['accession']}."]
              if inline_phi else []),
            "PR: Negative (0%)",
            "HER2: 2+ Equivocal",
            "",
        ]

    body = ["FINAL DIAGNOSIS:"] + synoptic("A", "LEFT", er, t)
    if bilateral:
        body += synoptic("B", "RIGHT", "Negative", "1c")
    footer = [f"Electronically signed by {p['physician']} on {p['procedure_date']}"]
    return "\n".join(header + body + footer) + "\n"


_PATTERNS = {
    "t_stage": (r"\bp?T(is|[0-4])", lambda m: "Tis" if m.group(1) == "is" else f"T{m.group(1)}"),
    "n_stage": (r"\bp?N([0-3])", lambda m: f"N{m.group(1)}"),
    "grade": (r"grade:\s*([1-3])\b", lambda m: f"G{m.group(1)}"),
    "er": (r"\bER:\s*(Positive|Negative|Equivocal)", lambda m: m.group(1)),
    "pr": (r"\bPR:\s*(Positive|Negative|Equivocal)", lambda m: m.group(1)),
    "her2": (r"\bHER2:[^\n]*?(Positive|Negative|Equivocal)", lambda m: m.group(1)),
}


class TinyPredictor:
    """Deterministic regex predictor for the run tests: real units in, contract labels out.

    Environment knobs (subprocess tests): PATHX_TEST_PREDICT_DELAY (seconds per predict call),
    PATHX_TEST_VERSION (its version, to test reprocessing on a new version).
    """

    engine = None

    def __init__(self, version: str | None = None, delay: float | None = None, on_predict=None):
        self.version = version or os.environ.get("PATHX_TEST_VERSION", "tiny-1")
        self.name = f"tiny-{self.version}"
        self.delay = float(os.environ.get("PATHX_TEST_PREDICT_DELAY", "0")) if delay is None else delay
        self.on_predict = on_predict
        self.calls = 0

    def predict(self, units):
        self.calls += 1
        if self.on_predict is not None:
            self.on_predict(self.calls)
        if self.delay:
            time.sleep(self.delay)
        out = []
        for unit in units:
            row = {}
            for task in schema.TASKS:
                pattern, label = _PATTERNS.get(task, (None, None))
                m = re.search(pattern, unit.text, flags=re.I) if pattern else None
                row[task] = FieldPrediction(
                    label=label(m) if m else None,
                    confidence=0.875 if m else None,
                    evidence=_context(unit.text, m.start()) if m else None,
                    needs_review=False,
                )
            out.append(row)
        return out


def _context(text: str, pos: int) -> str:
    """The matched line and the next one: wide evidence, so a PHI miss upstream would show."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", text.find("\n", pos) + 1)
    return text[start : end if end != -1 else len(text)]


DRIVER = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from runkit import TinyPredictor
from pathx.ingestion.pipeline import IngestOptions
from pathx.run.runner import run_folder
args = {args!r}
summary = run_folder(Path(args["input"]), Path(args["output"]), TinyPredictor(),
                     options=IngestOptions(ocr=args.get("ocr", "off")), batch_size=args.get("batch_size", 2),
                     flush_seconds=args.get("flush_seconds", 0), audit_path=args.get("audit"), progress=args.get("progress", "plain"),
                     reprocess=args.get("reprocess", False), prune=args.get("prune", False))
sys.exit(summary.exit_code)
"""


def driver_cmd(input_dir: Path, output: Path, **kw) -> list[str]:
    args = {"input": str(input_dir), "output": str(output), **{k: (str(v) if isinstance(v, Path) else v)
                                                               for k, v in kw.items()}}
    return [sys.executable, "-c", DRIVER.format(tests=str(TESTS), args=args)]


def run_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Environment of a subprocess run: log/config dirs inside the test's tmp folder."""
    env = dict(os.environ)
    env.update(PATHX_LOG_DIR=str(tmp / "logs"), PATHX_CONFIG_DIR=str(tmp / "config"),
               PATHX_CACHE_DIR=str(tmp / "cache"), PATHX_DATA_DIR=str(tmp / "data"),
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    env.pop("PATHX_TEST_KILL_AT", None)
    env.update(extra)
    return env


def run_driver(input_dir: Path, output: Path, tmp: Path, env_extra: dict | None = None, timeout=120, **kw):
    return subprocess.run(driver_cmd(input_dir, output, **kw), env=run_env(tmp, **(env_extra or {})),
                          capture_output=True, text=True, timeout=timeout, cwd=tmp)


def write_reports(folder: Path, n: int, start: int = 0) -> list[Path]:
    """n plain-text reports (fast: no PDF, no OCR) named r000.txt, r001.txt, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        p = folder / f"r{i:03d}.txt"
        p.write_text(report_text(i, bilateral=(i % 3 == 2)), encoding="utf-8")
        paths.append(p)
    return paths


def audit_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


# sitecustomize.py for a subprocess: refuses and logs any IP connection or DNS look-up.
GUARD = '''
"""Test guard: any attempt to open a network connection is logged and refused."""
import os, socket, sys
_LOG = os.environ["PATHX_SOCKET_LOG"]

def _refuse(what):
    with open(_LOG, "a") as fh:
        fh.write(what + "\\n")
    raise OSError("network access blocked by the pathx test guard: " + what)

_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse("connect %r" % (address,))
    return _connect(self, address)

def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse("connect_ex %r" % (address,))
    return _connect_ex(self, address)

def getaddrinfo(host, *args, **kwargs):
    _refuse("getaddrinfo %r" % (host,))

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

# Chain to a sitecustomize further down the path, if any, so the guard changes nothing else.
import importlib.util
_here = os.path.dirname(os.path.abspath(__file__))
for _entry in sys.path:
    _cand = os.path.join(_entry or ".", "sitecustomize.py")
    if os.path.abspath(_entry or ".") != _here and os.path.isfile(_cand):
        _spec = importlib.util.spec_from_file_location("_chained_sitecustomize", _cand)
        _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
        break
'''
