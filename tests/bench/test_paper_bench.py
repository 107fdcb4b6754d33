"""bench/paper.py --quick end to end (tiny random Llama, generated reports, 2 steps per arm),
its resume/skip behaviour, and the generative baseline's answer parser."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from pathx import schema
from bench.generative import field_prompt, parse_answer
from pathx.training.labels import read_labeled
from pathx.rules.engine import RuleEngine

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "paper.py"
TABLE_HEADINGS = ("## Table I:", "## Table II:", "## Table III:", "## Table IV:", "## Table V ")
NUMBER = re.compile(r"\b\d\.\d{3}\b")


def run_bench(out: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATHX_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out), *extra],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper") / "out"
    cache = out.parent / "cache"
    proc = run_bench(out, cache)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out, cache, proc


def _section(report: str, heading: str) -> str:
    start = report.index(heading)
    end = report.find("\n## ", start + 1)
    return report[start : end if end > 0 else None]


@pytest.mark.slow  # the module's quick_run fixture runs bench/paper.py --quick (~30 s)
def test_quick_report_has_five_tables_with_numbers(quick_run):
    out, _, _ = quick_run
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "QUICK MODE" in report
    for heading in TABLE_HEADINGS:
        body = _section(report, heading)
        rows = [line for line in body.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
        assert len(rows) >= 3, heading
        assert "not run" not in body and "failed" not in body, heading
        assert len(NUMBER.findall(body)) >= 6, heading
    # Table I: one row per field plus the mean, each with 9 metric cells.
    t1 = _section(report, "## Table I:")
    for task in schema.TASKS:
        row = next(line for line in t1.splitlines() if line.startswith(f"| {schema.FIELD_NAMES[task]} |"))
        assert len(NUMBER.findall(row)) == 9, row
    # Table V: an invalid-output rate and a throughput for the generative arm.
    t5 = _section(report, "## Table V ")
    gen_row = next(line for line in t5.splitlines() if line.startswith("| Zero-shot generative"))
    assert re.search(r"\| \d+\.\d% \|", gen_row), gen_row
    assert "## Where our results agree with or contradict the paper" in report
    verdicts = re.findall(r"\*\*(agrees|contradicts|not run)\*\*", report)
    assert len(verdicts) == 11 and "not run" not in verdicts


@pytest.mark.slow  # the module's quick_run fixture runs bench/paper.py --quick (~30 s)
def test_quick_confusion_pngs_exist_and_are_drawn(quick_run):
    out, _, _ = quick_run
    report = (out / "report.md").read_text(encoding="utf-8")
    linked = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", report)
    assert {"figures/cm_naive.png", "figures/cm_rules.png", "figures/cm_mt-lora-window.png",
            "figures/cm_generative.png"} <= set(linked)
    for rel in linked:
        with Image.open(out / rel) as img:
            assert img.format == "PNG" and img.width > 300 and img.height > 100
            colours = {c for _, c in img.convert("RGB").getcolors(1 << 20)}
        # White background, black labels and at least one shaded (blue) cell.
        assert any(b == 255 and r < 200 for r, g, b in colours), rel


@pytest.mark.slow  # the module's quick_run fixture runs bench/paper.py --quick (~30 s)
def test_rules_arm_matches_the_rule_engine_on_the_ingested_test_set(quick_run):
    """Table I's rule column is the engine's own accuracy on the materialised test units."""
    out, _, _ = quick_run
    examples = read_labeled(out / "data" / "test.jsonl")
    engine = RuleEngine.load()
    metrics = json.loads((out / "arms" / "rules" / "metrics.json").read_text())["test"]["tasks"]
    for task in schema.TASKS:
        gold = [ex.labels[task] for ex in examples]
        pred = [(f.value if (f := engine.extract(ex.text)[task]) else None) or schema.NOT_REPORTED for ex in examples]
        expected = sum(g == p for g, p in zip(gold, pred)) / len(gold)
        assert metrics[task]["accuracy"] == pytest.approx(expected), task


@pytest.mark.slow  # the module's quick_run fixture runs bench/paper.py --quick (~30 s)
def test_quick_arms_record_params_time_and_memory(quick_run):
    out, _, _ = quick_run
    arms = out / "arms"
    frozen = json.loads((arms / "mt-frozen" / "metrics.json").read_text())
    lora = json.loads((arms / "mt-lora-window" / "metrics.json").read_text())
    assert 0 < frozen["trainable_params"] < lora["trainable_params"]  # heads only < heads + LoRA
    assert lora["steps"] == 2 and lora["training_seconds"] > 0
    bench = json.loads((arms / "mt-lora-window" / "bench.json").read_text())
    assert bench["peak_memory_mib"] >= bench["rss_before_mib"] > 0
    single = json.loads((arms / "st-lora-her2" / "metrics.json").read_text())
    assert list(single["test"]["tasks"]) == ["her2"]
    answers = (arms / "generative" / "answers.jsonl").read_text().splitlines()
    assert len(answers) == len(read_labeled(out / "data" / "test.jsonl"))


@pytest.mark.slow  # the module's quick_run fixture runs bench/paper.py --quick (~30 s)
def test_rerun_reuses_finished_arms_and_reruns_a_removed_one(quick_run):
    out, cache, _ = quick_run
    (out / "arms" / "mt-frozen" / "metrics.json").unlink()
    proc = run_bench(out, cache, "--tables", "I,II")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "[mt-lora-window] reused" in proc.stdout and "[rules] reused" in proc.stdout
    assert "[mt-frozen] running" in proc.stdout
    assert "[generative]" not in proc.stdout  # Table V not asked for
    assert (out / "arms" / "mt-frozen" / "metrics.json").exists()


@pytest.mark.slow  # the module's quick_run fixture runs bench/paper.py --quick (~30 s)
def test_report_only_runs_no_arm_and_marks_missing_ones(quick_run):
    out, cache, _ = quick_run
    shutil.rmtree(out / "arms" / "st-lora-grade")
    (out / "report.md").unlink()
    proc = run_bench(out, cache, "--report-only")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "running" not in proc.stdout and not (out / "arms" / "st-lora-grade").exists()
    report = (out / "report.md").read_text()
    assert "LoRA, single-task Grade: not run" in report and "## Table V" in report


@pytest.mark.slow  # the module's quick_run fixture runs bench/paper.py --quick (~30 s)
def test_rerun_with_other_settings_is_refused(quick_run):
    out, cache, _ = quick_run
    proc = run_bench(out, cache, "--epochs", "2")
    assert proc.returncode != 0
    assert "other settings (epochs)" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("task,text,expected", [
    ("t_stage", "The T Stage in this report is pT2.", "T2"),
    ("t_stage", "T1c", "T1"),
    ("t_stage", "Tis", "Tis"),
    ("t_stage", "Tis, T0, T1,", None),  # lists the classes: no answer
    ("n_stage", "pN1mi", "N1mi"),
    ("n_stage", "N0(i+)", "N0"),
    ("m_stage", "cM0", "M0"),
    ("grade", "Grade II", "G2"),
    ("grade", "Nottingham grade 3", "G3"),
    ("her2", "HER2 IHC: Negative (1+)", "Negative"),
    ("er", "Positive, not reported.", None),
    ("pr", "Not reported", schema.NOT_REPORTED),
    ("her2", "The HER2_hint: HER2", None),
    ("er", "", None),
])
def test_parse_answer(task, text, expected):
    assert parse_answer(task, text) == expected


def test_field_prompt_asks_one_field_with_its_classes_and_hints():
    prompt = field_prompt("her2", "HER2 (IHC): 2+, equivocal", {"her2": ["HER2 2+"], "er": ["ER positive"]})
    assert prompt.startswith("Field: HER2 Status")
    assert "Positive, Negative, Equivocal, not reported" in prompt
    assert "HER2 2+" in prompt and "ER positive" not in prompt
    assert prompt.rstrip().endswith("Answer with exactly one of: Positive, Negative, Equivocal, not reported.")
