"""The CLI end to end: demo -> extract / label / run (folder and JSONL input) -> fit -> eval -> bundle."""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pathx import schema
from pathxgen.tinybase import build_tiny_base
from pathx.training.labels import read_labeled


def pathx(*args, check=True, timeout=600) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "pathx.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"pathx {' '.join(map(str, args))} -> {proc.returncode}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "samples"
    pathx("demo", out, "--n", 10, "--seed", 5, "--no-scanned")
    return out


def test_help_teaches_every_command():
    text = pathx("--help").stdout
    for command in ("run", "review", "review-import", "extract", "demo", "label", "fit", "eval", "bundle", "audit"):
        assert re.search(rf"^\s+{command}\s", text, re.M), command
    run_help = pathx("run", "--help").stdout
    assert "Exit codes" in run_help and "75" in run_help and ".jsonl" in run_help


def test_demo_writes_reports_and_valid_gold(demo):
    files = sorted(p.name for p in demo.iterdir() if p.suffix in (".txt", ".pdf"))
    assert len(files) == 10
    gold = read_labeled(demo / "gold.jsonl")
    assert len(gold) >= 10 and all(Path(ex.path).exists() for ex in gold)


def test_extract_shows_deidentified_slices_and_prompts(demo, tmp_path):
    out = tmp_path / "texts.jsonl"
    pathx("extract", demo, "-o", out)
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(rows) >= 10 and all(r["status"] == "ok" for r in rows)
    gold = [json.loads(l) for l in (demo / "gold.jsonl").read_text().splitlines()]
    planted = {s for g in gold for s in g["phi"] if len(s) >= 6}
    dump = out.read_text()
    assert planted and not [s for s in planted if s in dump]  # de-identified before it is shown
    for r in rows:
        assert r["prompt"].startswith("Field: T Stage") and "\nReport:\n" in r["prompt"] and "\nHints:" in r["prompt"]
        assert r["method"] in ("text", "pdf-text")


@pytest.mark.slow
def test_run_rules_and_naive_write_the_contract(demo, tmp_path):
    for engine in ("rules", "naive"):
        out = tmp_path / f"{engine}.csv"
        pathx("run", demo, "-o", out, "--engine", engine, "--quiet")
        with out.open() as fh:
            reader = csv.DictReader(fh)
            assert tuple(reader.fieldnames) == schema.OUTPUT_COLUMNS
            rows = list(reader)
        assert len(rows) >= 10 and {r["status"] for r in rows} == {"ok"}
        assert all(r["bundle"].startswith(engine) for r in rows)


@pytest.mark.slow
def test_eval_scores_the_rule_engines_like_run_predicts(demo, tmp_path):
    """`pathx eval rules` agrees with what `pathx run --engine rules` writes for the same units."""
    scored = json.loads(pathx("eval", "rules", demo / "gold.jsonl", "--json").stdout)
    naive = json.loads(pathx("eval", "naive", demo / "gold.jsonl", "--json").stdout)
    assert scored["n_examples"] == len(read_labeled(demo / "gold.jsonl"))
    assert scored["mean_macro_f1"] > naive["mean_macro_f1"]
    out = tmp_path / "rules.csv"
    pathx("run", demo, "-o", out, "--engine", "rules", "--quiet")
    rows = {(r["file"], r["specimen"]): r for r in csv.DictReader(out.open())}
    for task in schema.TASKS:
        pairs = [(ex.labels[task], rows[(Path(ex.path).name, ex.specimen or "")][task] or schema.NOT_REPORTED)
                 for ex in read_labeled(demo / "gold.jsonl") if ex.labels.get(task) is not None]
        accuracy = sum(g == p for g, p in pairs) / len(pairs)
        assert scored["tasks"][task]["accuracy"] == pytest.approx(accuracy), task
    assert pathx("eval", tmp_path / "missing.safetensors", demo / "gold.jsonl", check=False).returncode != 0


@pytest.mark.slow
def test_run_and_label_accept_a_jsonl_of_report_texts(tmp_path):
    reports = tmp_path / "reports.jsonl"
    texts = {
        "case-1": "FINAL DIAGNOSIS:\nInvasive ductal carcinoma, Nottingham grade 3.\npT2 pN1a\nER positive (95%)",
        "case-2": "FINAL DIAGNOSIS:\nColon adenocarcinoma. pT3 pN0 (0/14).",
    }
    reports.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in texts.items()))
    out = tmp_path / "out.csv"
    pathx("run", reports, "-o", out, "--engine", "rules", "--quiet")
    rows = {r["file"]: r for r in csv.DictReader(out.open())}
    assert rows["case-1.txt"]["t_stage"] == "T2" and rows["case-1.txt"]["grade"] == "G3"
    assert rows["case-2.txt"]["n_stage"] == "N0"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pathx-reports-")]  # temp folder removed
    rerun = pathx("run", reports, "-o", out, "--engine", "rules")
    assert "0 processed" in rerun.stderr + rerun.stdout  # incremental across temp folders
    labeled = tmp_path / "labeled.jsonl"
    pathx("label", reports, "-o", labeled)
    got = {ex.extra["source"]: ex.labels for ex in read_labeled(labeled)}
    assert got["case-1.txt"]["er"] == "Positive"


def test_label_writes_coverage_and_audit_sample(demo, tmp_path):
    out = tmp_path / "labeled.jsonl"
    proc = pathx("label", demo, "-o", out, "--audit-n", 3)
    examples = read_labeled(out)
    assert len(examples) >= 10 and all(ex.text for ex in examples)
    coverage = out.with_suffix(".coverage.txt").read_text()
    assert "t_stage" in coverage and "found" in coverage and coverage in proc.stdout
    audit_rows = list(csv.DictReader(out.with_suffix(".audit.csv").open()))
    assert len({r["id"] for r in audit_rows}) == 3 and len(audit_rows) == 3 * len(schema.TASKS)


@pytest.mark.slow
def test_fit_eval_export_run_with_a_tiny_model(demo, tmp_path):
    words = set()
    for p in demo.glob("*.txt"):
        words.update(re.findall(r"[a-z0-9]+", p.read_text().lower()))
    base = build_tiny_base(tmp_path / "base", "decoder", words=sorted(words))
    fit_dir = tmp_path / "fit"
    proc = pathx("fit", demo / "gold.jsonl", "-o", fit_dir, "--base", base, "--max-steps", 2, "--micro-batch", 2,
                 "--grad-accum", 1, "--null-is-not-reported", "--device", "cpu")
    assert "macro-F1" in proc.stdout
    for name in ("config.json", "adapter_heads.safetensors", "split.json", "metrics.json", "pipeline.json"):
        assert (fit_dir / name).is_file(), name
    metrics = json.loads((fit_dir / "metrics.json").read_text())
    assert "test" in metrics or "val" in metrics
    ev = pathx("eval", fit_dir, demo / "gold.jsonl", "--base", base, "--device", "cpu", "--json",
               "--null-is-not-reported")
    result = json.loads(ev.stdout)
    assert result["n_examples"] >= 10 and set(result["tasks"]) == set(schema.TASKS)
    bundle = tmp_path / "tiny-1.0.0.safetensors"
    pathx("bundle", "export", fit_dir, "-o", bundle, "--name", "tiny")
    assert "tiny" in pathx("bundle", "inspect", bundle).stdout
    info = json.loads(pathx("bundle", "inspect", bundle, "--json").stdout)
    assert "fields/tnm.toml" in info["ruleset"]["files"] and "deid.toml" in info["rule_files"]
    verify = pathx("bundle", "verify", bundle, "--base", base)
    assert verify.stdout.startswith("ok:")
    # an existing bundle is kept without --force, replaced with it
    before = bundle.read_bytes()
    proc = pathx("bundle", "export", fit_dir, "-o", bundle, "--name", "tiny", "--version", "1.0.1", check=False)
    assert proc.returncode == 2 and proc.stderr.splitlines() == [
        f"pathx: error: {bundle} exists; use --force to replace it"] and bundle.read_bytes() == before
    pathx("bundle", "export", fit_dir, "-o", bundle, "--name", "tiny", "--version", "1.0.1", "--force")
    assert json.loads(pathx("bundle", "inspect", bundle, "--json").stdout)["version"] == "1.0.1"


def test_bundle_export_keeps_an_existing_output_without_force(tmp_path):
    """Refused before anything is read (exit 2, one line), for the bundle and, with --merge, its merged copy;
    with --force the export goes on (here to the check of the fit folder, which is empty: exit 1)."""
    fit_dir = tmp_path / "fit"
    fit_dir.mkdir()
    bundle = tmp_path / "site-1.0.0.safetensors"
    bundle.write_bytes(b"the bundle bundles/DEFAULT names")
    proc = pathx("bundle", "export", fit_dir, "-o", bundle, check=False)
    assert proc.returncode == 2 and proc.stderr.splitlines() == [
        f"pathx: error: {bundle} exists; use --force to replace it"]
    assert bundle.read_bytes() == b"the bundle bundles/DEFAULT names"
    merged = tmp_path / "new-1.0.0.merged.safetensors"
    merged.write_bytes(b"merged")
    proc = pathx("bundle", "export", fit_dir, "-o", tmp_path / "new-1.0.0.safetensors", "--merge", check=False)
    assert proc.returncode == 2 and proc.stderr.splitlines() == [
        f"pathx: error: {merged} exists; use --force to replace it"]
    proc = pathx("bundle", "export", fit_dir, "-o", bundle, "--force", check=False)
    assert proc.returncode == 1 and "not a finished fit" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert "--force" in pathx("bundle", "export", "--help").stdout


@pytest.mark.slow
def test_usage_errors_exit_2(tmp_path):
    proc = pathx("run", tmp_path, "-o", tmp_path / "out.xlsx", check=False)
    assert proc.returncode == 2 and ".csv, .jsonl, .fhir.json or .naaccr.xml" in proc.stderr
    proc = pathx("fit", __file__, "-o", tmp_path / "f", "--tasks", "t_stage,colour", check=False)
    assert proc.returncode == 2 and "colour" in proc.stderr
    proc = pathx("fit", __file__, "-o", tmp_path / "f", "--rule-prior", "--no-hint-values", check=False)
    assert proc.returncode == 2 and "--hint-values" in proc.stderr
