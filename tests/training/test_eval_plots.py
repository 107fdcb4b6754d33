"""`pathx eval`: auto-accept coverage and precision from the predictions' needs_review flags, reliability
bins, and the --plots PNGs (confusion per field for every engine, reliability for engines with probabilities)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from pathx.training.evaluation import predictions_from_probs
from pathx.training.metrics import (EvalResult, hard_task_metrics, metrics_table, reliability_bins, review_counts,
                                    task_metrics)
from pathx.training.plots import write_plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) > 1000 and data.startswith(PNG_MAGIC), path


def test_coverage_and_precision_of_auto_accepted_values_by_hand():
    classes = ["Positive", "Negative", "not reported"]
    gold = ["Positive", "Positive", "Negative", "Negative", None, "not reported"]
    labels = ["Positive", "Negative", "Negative", None, "Positive", "not reported"]  # None scores "not reported"
    flags = [False, False, True, False, False, True]
    m = hard_task_metrics("er", classes, gold, labels, needs_review=flags)
    # known gold: 5 (the None is skipped); accepted: rows 0, 1, 3; of those only row 0 is right
    assert m.n == 5 and m.auto_accepted == 3 and m.auto_correct == 1
    assert m.coverage == pytest.approx(3 / 5) and m.auto_precision == pytest.approx(1 / 3)
    assert m.reliability is None  # a hard predictor has no probabilities
    none_accepted = hard_task_metrics("er", classes, gold, labels, needs_review=[True] * 6)
    assert none_accepted.coverage == 0.0 and none_accepted.auto_precision is None
    assert hard_task_metrics("er", classes, gold, labels).coverage is None  # no flags given: not scored
    assert review_counts(np.array([True, False]), np.array([False, False])) == {
        "auto_accepted": 2, "auto_correct": 1, "coverage": 1.0, "auto_precision": 0.5}
    with pytest.raises(ValueError):
        hard_task_metrics("er", classes, gold, labels, needs_review=[False])


def test_pooled_review_numbers_in_the_table_and_json():
    classes = ["G1", "G2"]
    a = hard_task_metrics("grade", classes, ["G1", "G2"], ["G1", "G1"], needs_review=[False, False])  # 2 acc, 1 ok
    b = hard_task_metrics("er", classes, ["G1", "G2"], ["G1", "G2"], needs_review=[False, True])  # 1 acc, 1 ok
    result = EvalResult({"grade": a, "er": b}, 2)
    assert result.overall_review() == {"coverage": pytest.approx(3 / 4), "auto_precision": pytest.approx(2 / 3)}
    d = result.to_dict()
    assert d["review"]["coverage"] == pytest.approx(0.75) and d["tasks"]["er"]["auto_precision"] == 1.0
    assert EvalResult.from_dict(json.loads(json.dumps(d))).tasks["grade"].auto_accepted == 2
    console = Console(width=160, record=True)
    console.print(metrics_table(result))
    text = console.export_text()
    assert "auto-accept" in text and "auto precision" in text and "0.750" in text and "0.667" in text
    plain = EvalResult({"grade": hard_task_metrics("grade", classes, ["G1"], ["G1"])}, 1)
    console = Console(width=160, record=True)
    console.print(metrics_table(plain))
    assert "auto-accept" not in console.export_text() and "review" not in plain.to_dict()


def test_reliability_bins_by_hand():
    bins = reliability_bins(np.array([0.05, 0.55, 0.58, 0.95, 1.0]), np.array([False, True, False, True, True]), 10)
    assert len(bins) == 10 and [b["n"] for b in bins] == [1, 0, 0, 0, 0, 2, 0, 0, 0, 2]
    assert bins[5]["confidence"] == pytest.approx(0.565) and bins[5]["accuracy"] == 0.5
    assert bins[9]["accuracy"] == 1.0 and bins[1]["accuracy"] is None  # 1.0 falls in the last bin
    m = task_metrics("her2", ["Positive", "Negative"], ["Positive", "Negative", "Negative"],
                     np.array([[0.9, 0.1], [0.3, 0.7], [0.65, 0.35]]))
    assert sum(b["n"] for b in m.reliability) == 3 and m.reliability[6]["accuracy"] == 0.0


def test_flags_come_from_the_predictors_own_predict_on_one_forward_pass():
    class Inference:
        calls = 0

        def predict_proba(self, prompts):
            Inference.calls += 1
            return {"er": np.array([[0.9, 0.1], [0.55, 0.45]])}

        def predict(self, prompts):
            probs = self.predict_proba(prompts)["er"]
            return [{"er": (float(p.max()), int(p.argmax()))} for p in probs]

    class Predictor:  # flags as a bundle does: confidence under its threshold
        def __init__(self):
            self.inference = Inference()

        def predict(self, units):
            return [{"er": type("P", (), {"needs_review": row["er"][0] < 0.6})} for row in self.inference.predict(units)]

    predictor = Predictor()
    probs = predictor.inference.predict_proba(["a", "b"])
    preds = predictions_from_probs(predictor, ["a", "b"], probs)
    assert [p["er"].needs_review for p in preds] == [False, True] and Inference.calls == 1


def test_plots_of_an_engine_with_probabilities_include_reliability(tmp_path):
    m = task_metrics("er", ["Positive", "Negative", "not reported"], ["Positive", "Negative", None],
                     np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]), needs_review=[False, True, False])
    empty = task_metrics("pr", ["Positive", "Negative"], [None], np.array([[0.5, 0.5]]))
    written, notes = write_plots(EvalResult({"er": m, "pr": empty}, 3), tmp_path / "new" / "plots", title="t")
    assert sorted(p.name for p in written) == ["er.confusion.png", "er.reliability.png", "pr.confusion.png",
                                               "pr.reliability.png"]
    for p in written:
        assert_png(p)
    assert notes == []


@pytest.mark.slow
def test_eval_rules_plots_on_a_tiny_corpus(tmp_path):
    demo = tmp_path / "demo"

    def pathx(*args):
        proc = subprocess.run([sys.executable, "-m", "pathx.cli", *map(str, args)], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc

    pathx("demo", demo, "--n", 4, "--seed", 2, "--no-scanned")
    plots = tmp_path / "plots"
    proc = pathx("eval", "rules", demo / "gold.jsonl", "--plots", plots, "--json", "--null-is-not-reported")
    result = json.loads(proc.stdout)  # notes go to stderr: --json stays parseable
    assert "no reliability diagram" in proc.stderr and f"to {plots}" in proc.stderr
    for task, m in result["tasks"].items():
        assert_png(plots / f"{task}.confusion.png")
        assert not (plots / f"{task}.reliability.png").exists()
        assert m["reliability"] is None
        assert 0.0 <= m["coverage"] <= 1.0 and m["auto_accepted"] == round(m["coverage"] * m["n"])
    assert "coverage" in result["review"]
    table = pathx("eval", "rules", demo / "gold.jsonl").stdout
    assert "auto-accept" in table
