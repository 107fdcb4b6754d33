"""The learned reader's path end to end on a tiny real encoder: labelled reports -> one example per
(unit, field) -> fit -> fit folder / bundle -> per-field predictions, each from its own prompt."""
from __future__ import annotations

import json

import pytest
import torch

from pathx import schema
from pathx.bundle.export import export
from pathx.ingestion.pipeline import IngestOptions, units_from_text
from pathx.predictors.bundle import BundlePredictor
from pathx.rules.engine import RuleEngine
from pathx.training.config import FitConfig
from pathx.training.labeled import fit_labeled, prompt_examples
from pathx.training.labels import read_labeled
from pathxgen import corpus
from pathxgen.tinybase import build_tiny_base


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    root = tmp_path_factory.mktemp("reader")
    reports = root / "reports"
    corpus.generate(reports, 8, seed=5, formats=("txt",))
    rows = [json.loads(line) for line in (reports / "gold.jsonl").read_text().splitlines()]
    for r in rows:
        r["labels"] = {t: r["labels"].get(t) or schema.NOT_REPORTED for t in schema.TASKS}
    rows[0]["labels"]["grade"] = None  # unknown: no grade example for this unit
    labeled = reports / "labeled.jsonl"
    labeled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    words = " ".join((reports / r["path"]).read_text() for r in rows).split()
    base = build_tiny_base(root / "base", "encoder", words=words)
    options = IngestOptions(slice_mode="evidence", max_report_chars=300)
    config = FitConfig(max_steps=2, micro_batch=4, grad_accum=1, device="cpu", eval_batch_size=8, max_length=128,
                       class_weights=[])
    fit_dir = root / "fit"
    engine = RuleEngine.load()
    fit_labeled(labeled, fit_dir, base=str(base), config=config, options=options, engine=engine)
    return {"root": root, "rows": rows, "labeled": labeled, "base": base, "fit": fit_dir, "options": options,
            "engine": engine}


@pytest.mark.slow
def test_one_example_per_labelled_field_each_with_its_own_prompt(reader):
    examples, _ = prompt_examples(read_labeled(reader["labeled"]), reader["engine"], reader["options"])
    labelled = sum(1 for r in reader["rows"] for v in r["labels"].values() if v is not None)
    assert len(examples) == labelled
    for ex in examples:
        (task,) = ex.labels
        assert ex.id.endswith("#" + task)
        assert ex.prompt.startswith(f"Field: {schema.FIELD_NAMES[task]}\n")


@pytest.mark.slow
def test_the_fit_records_evidence_input_and_a_bundle_predicts_each_field_from_its_prompt(reader):
    info = json.loads((reader["fit"] / "pipeline.json").read_text())
    assert info["slicing"]["mode"] == "evidence" and info["slicing"]["evidence_hints"] is True
    bundle = export(reader["fit"], reader["root"] / "reader-0.1.0.safetensors", name="reader", version="0.1.0")
    predictor = BundlePredictor.load(bundle, base=str(reader["base"]), device="cpu")
    options = predictor.ingest_options()
    assert options.slice_mode == "evidence" and options.max_report_chars == 300
    text = (reader["labeled"].parent / reader["rows"][1]["path"]).read_text()
    units = units_from_text(text, "x.txt", predictor.engine, options)
    rows = predictor.predict(units)
    probs = predictor.inference.unit_proba(units)
    for i, unit in enumerate(units):
        for task in schema.TASKS:
            alone = predictor.inference.predict_proba([unit.field_prompts[task]])[task][0]
            assert torch.allclose(probs[task][i], alone, atol=1e-5)  # read from its own prompt, nothing else
            top = predictor.inference.model.model_config.classes[task][int(alone.argmax())]
            assert rows[i][task].label == (None if top == schema.NOT_REPORTED else top)


@pytest.mark.slow
def test_a_bundle_with_a_combine_policy_runs_both_readers_under_auto(reader, tmp_path):
    from pathx.predictors.combined import NEVER, CombinedPredictor
    from pathx.predictors.factory import make_predictor

    info = json.loads((reader["fit"] / "pipeline.json").read_text())
    fit2 = tmp_path / "fit2"
    fit2.mkdir()
    for f in reader["fit"].iterdir():
        if f.is_file():
            (fit2 / f.name).write_bytes(f.read_bytes())
    # rules win everywhere except: the model fills a field the rules left empty
    info["combine"] = {"thresholds": {t: {"fill": 0.0, "dissent": NEVER, "disagree": NEVER} for t in schema.TASKS},
                       "fitted_on": "test"}
    (fit2 / "pipeline.json").write_text(json.dumps(info))
    bundle = export(fit2, tmp_path / "reader-0.2.0.safetensors", name="reader", version="0.2.0")
    predictor = make_predictor("auto", bundle=bundle, base=str(reader["base"]), device="cpu")
    assert isinstance(predictor, CombinedPredictor)
    units = units_from_text((reader["labeled"].parent / reader["rows"][1]["path"]).read_text(), "x.txt",
                            predictor.engine, predictor.ingest_options())
    combined = predictor.predict(units)
    rules = predictor.rules.predict(units)
    model = predictor.model.predict(units)
    for c, r, m in zip(combined, rules, model):
        for t in schema.TASKS:
            want = r[t].label if r[t].label is not None else m[t].label
            assert c[t].label == want
            assert c[t].needs_review == (r[t].label != m[t].label or r[t].needs_review or m[t].needs_review)
    assert isinstance(make_predictor("model", bundle=bundle, base=str(reader["base"]), device="cpu"),
                      BundlePredictor)  # the model alone stays available


@pytest.mark.slow
def test_fit_from_a_bundle_continues_its_weights_and_keeps_its_shape_and_policy(reader, tmp_path):
    """Site adaptation: `pathx fit --from BUNDLE` starts from the bundle's adapter and heads."""
    from click.testing import CliRunner

    from pathx.bundle.reader import open_bundle
    from pathx.cli.main import main as cli
    from pathx.model.config import WEIGHTS_FILE
    from safetensors.torch import load_file

    info = json.loads((reader["fit"] / "pipeline.json").read_text())
    info["combine"] = {"thresholds": {"er": {"fill": 0.5}}, "fitted_on": "test"}
    src = tmp_path / "src"
    src.mkdir()
    for f in reader["fit"].iterdir():
        if f.is_file():
            (src / f.name).write_bytes(f.read_bytes())
    (src / "pipeline.json").write_text(json.dumps(info))
    bundle = export(src, tmp_path / "site-0.1.0.safetensors", name="site", version="0.1.0")
    out = tmp_path / "adapted"
    result = CliRunner().invoke(cli, ["fit", str(reader["labeled"]), "-o", str(out), "--from", str(bundle),
                                      "--base", str(reader["base"]), "--max-steps", "1", "--micro-batch", "2",
                                      "--lr", "1e-9", "--device", "cpu", "--recipe", "paper"])
    assert result.exit_code == 0, result.output
    adapted = json.loads((out / "pipeline.json").read_text())
    assert adapted["slicing"]["mode"] == "evidence" and adapted["combine"] == info["combine"]
    assert adapted["adapted_from"]["bundle"] == "site-0.1.0"
    config = json.loads((out / "config.json").read_text())
    assert config["pooling"] == open_bundle(bundle).info["model"]["pooling"]  # not the paper recipe's
    before, after = open_bundle(bundle).tensors, load_file(str(out / WEIGHTS_FILE))
    assert set(before) == set(after)
    # a step at lr 1e-9 leaves the weights where the bundle had them (a fresh adapter would not be)
    assert all(torch.allclose(before[k].float(), after[k].float(), atol=1e-4) for k in before)


@pytest.mark.slow
def test_pathx_eval_scores_an_evidence_input_fit_per_field(reader):
    from pathx.training.evaluation import evaluate_labeled

    result = evaluate_labeled(reader["fit"], reader["labeled"], base=str(reader["base"]), device="cpu")
    assert set(result.tasks) == set(schema.TASKS)
    assert result.n_examples == len(reader["rows"])
    assert all(m.auto_accepted is not None for m in result.tasks.values())
