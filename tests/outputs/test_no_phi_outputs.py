"""No planted PHI in anything pathx writes (issue 22): the real commands on generated reports.

Reports are demo reports with PHI planted in the forms a hostile tester found leaking
(pathxgen/phi_forms.py); every command runs in-process through the CLI on real files, no mocks:
`pathx run` to each output format (and its ledger), `pathx review`, `pathx extract`, `pathx label`.
Each output must hold none of the planted values and still show its evidence.
"""
from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from bench.phi_outputs import count_leaks, run_all, write_corpus
from pathx.cli.main import main


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("phi-outputs")
    checks = write_corpus(tmp / "reports", 4, seed=22)
    runner = CliRunner()

    def pathx(*args: str) -> int:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, args
        return result.exit_code

    files = run_all(tmp / "reports", tmp / "out", pathx)
    return files, checks, tmp / "out"


OUTPUTS = ["csv", "jsonl", "fhir.json", "naaccr.xml", "ledger (csv)", "ledger (jsonl)", "ledger (fhir.json)",
           "ledger (naaccr.xml)", "review page", "review sheet", "extract", "label"]


@pytest.mark.parametrize("name", OUTPUTS)
def test_no_planted_phi_in_the_output(written, name):
    files, checks, _ = written
    assert files[name] and all(p.is_file() for p in files[name])
    assert count_leaks({name: files[name]}, checks)[name] == {}


def test_jsonl_evidence_context_is_present_and_holds_its_quote(written):
    _, _, out = written
    rows = [json.loads(line) for line in (out / "out.jsonl").read_text().splitlines()]
    details = [d for r in rows for d in r["evidence_detail"].values() if d and d["quote"]]
    assert len(details) >= 10  # most fields of the 4 reports
    for d in details:
        assert d["context"][d["context_start"]:d["context_start"] + len(d["quote"])] == d["quote"]
        assert "\n" not in d["context"] and len(d["context"]) <= len(d["quote"]) + 2 * 120 + 1


def test_review_page_and_sheet_still_show_the_evidence(written):
    _, _, out = written
    assert "<mark>" in (out / "out.review.html").read_text()
    assert "[[" in (out / "out.review.csv").read_text(encoding="utf-8-sig")


def test_extract_and_label_still_hold_the_clinical_text(written):
    _, _, out = written
    extracted = [json.loads(line) for line in (out / "extract.jsonl").read_text().splitlines()]
    labelled = [json.loads(line) for line in (out / "label.jsonl").read_text().splitlines()]
    assert extracted and labelled
    assert all(("invasive" in e["text"].lower() or "carcinoma" in e["text"].lower()) for e in extracted)
    assert any(lab["labels"].get("er") for lab in labelled)
    assert "evidence" in (out / "label.audit.csv").read_text()


def test_ledger_of_a_csv_run_holds_no_evidence_but_a_jsonl_run_keeps_it(written):
    _, _, out = written

    def rows(name):
        with sqlite3.connect(out / f".{name}.ledger.sqlite") as conn:
            return [json.loads(r) for (r,) in conn.execute("SELECT row FROM rows")]

    assert rows("out.csv") and all("evidence" not in r and "evidence_detail" not in r for r in rows("out.csv"))
    assert all("evidence_detail" in r for r in rows("out.jsonl") if r["status"] == "ok")


def test_new_deidentification_rules_redo_every_file():
    # Rows made under older rules may hold evidence the new ones redact: the ledger key changes with them.
    from pathx.ingestion.deid import load_rules
    from pathx.ingestion.pipeline import IngestOptions
    from pathx.run.files import version_key

    class Predictor:
        version = "rules-x"

    assert f"deid={load_rules().version}" in version_key(Predictor(), IngestOptions())
