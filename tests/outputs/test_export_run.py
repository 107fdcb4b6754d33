"""End to end: `pathx run` on a small generated corpus (`pathx demo --n 5 --no-scanned`) writes both export
formats; each reads back to the rows of the JSONL run, and the files are valid (fhir.resources, xml.etree)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from fhir.resources.R4B.bundle import Bundle

from pathx import schema
from pathx.outputs.rows import read_rows

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pathx(*args):
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "pathx.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300, check=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("export-run")
    pathx("demo", base / "demo", "--n", "5", "--no-scanned")
    out = {}
    for suffix in (".jsonl", ".fhir.json", ".naaccr.xml"):
        out[suffix] = base / f"out{suffix}"
        pathx("run", base / "demo", "-o", out[suffix], "--engine", "rules", "-q")
    return out


@pytest.mark.slow
def test_both_exports_hold_the_rows_of_the_jsonl_run(runs):
    def key(r):
        return (r["file"], r["specimen"] or "")

    want = sorted(({c: r[c] for c in schema.OUTPUT_COLUMNS} for r in read_rows(runs[".jsonl"])), key=key)
    assert len(want) >= 5
    for suffix in (".fhir.json", ".naaccr.xml"):
        got = sorted(({c: r[c] for c in schema.OUTPUT_COLUMNS} for r in read_rows(runs[suffix])), key=key)
        assert got == want, suffix


def test_the_files_are_valid(runs):
    bundle = Bundle.model_validate_json(runs[".fhir.json"].read_text(encoding="utf-8"))
    assert bundle.type == "collection" and any(e.resource.__resource_type__ == "Observation" for e in bundle.entry)
    root = ET.parse(runs[".naaccr.xml"]).getroot()
    assert root.tag == "{http://naaccr.org/naaccrxml}NaaccrData"
    rows = read_rows(runs[".jsonl"])
    tumors = root.findall("{http://naaccr.org/naaccrxml}Patient/{http://naaccr.org/naaccrxml}Tumor")
    assert len(tumors) == sum(r["status"] == "ok" for r in rows)
    text = runs[".naaccr.xml"].read_text(encoding="utf-8") + runs[".fhir.json"].read_text(encoding="utf-8")
    planted = set()  # the corpus plants fake PHI (MRN, account, phone numbers); none may reach an export
    for report in (runs[".jsonl"].parent / "demo").glob("*.txt"):
        planted |= set(re.findall(r"\b\d{7,}\b", report.read_text(encoding="utf-8")))
    assert planted and not [p for p in planted if p in text]
