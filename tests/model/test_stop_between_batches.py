"""SIGTERM during a model's prediction stops `pathx run` within one forward batch (issue 22: it took 19-43 s,
the rest of a 128-file run batch). Counted, not timed: a forward hook on the real classifier counts forward
batches and sends the real signal to this process after batch K; at most K + 1 may run.

A real bundle (a tiny random base built from a config, random LoRA and heads, exported with the rule set)
behind the real LazyBundlePredictor, in the real runner with its real signal handler."""
from __future__ import annotations

import os
import signal

import pytest
import torch

from pathx import schema
from pathx.bundle.core import export
from pathx.model.build import build_model
from pathx.model.classifier import MultiTaskClassifier
from pathx.model.inference import Inference
from pathx.outputs.rows import read_rows
from pathx.predictors.bundle import LazyBundlePredictor
from pathx.rules.engine import RuleEngine
from pathx.run.audit import audit_summary
from pathx.run.ledger import MAX_CRASHES
from pathx.run.runner import EXIT_INTERRUPTED, EXIT_OK, run_folder
from pathx.training.labeled import write_pipeline_info
from pathxgen.tinybase import build_tiny_base
from runkit import write_reports

FORWARD_BATCH = 2
REPORTS = 8  # r002 and r005 are bilateral: 10 units, 5 forward batches of 2


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("stopbundle")
    base = build_tiny_base(root / "base", "decoder", layers=1)
    model = build_model(base, tasks=list(schema.TASKS), adapter="lora", device="cpu")
    fit_dir = root / "fit"
    model.save(fit_dir)
    data = root / "labels.jsonl"
    data.write_text("{}\n")
    from pathx.ingestion.pipeline import IngestOptions

    write_pipeline_info(fit_dir, IngestOptions(), RuleEngine.load(), [data], {}, [])
    return base, export(fit_dir, root / "tiny-0.1.0.safetensors", name="tiny", version="0.1.0")


class ForwardCounter:
    """Counts forward batches of every MultiTaskClassifier (a global torch forward hook); after batch
    `signal_after` it sends SIGTERM to this process, as cron's `timeout` would."""

    def __init__(self, signal_after: int | None):
        self.signal_after, self.batches = signal_after, 0

    def __enter__(self):
        self.handle = torch.nn.modules.module.register_module_forward_hook(self._hook)
        return self

    def __exit__(self, *exc):
        self.handle.remove()

    def _hook(self, module, args, output):
        if isinstance(module, MultiTaskClassifier):
            self.batches += 1
            if self.batches == self.signal_after:
                os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.parametrize("after", [2])
def test_sigterm_during_prediction_stops_within_one_forward_batch(tiny_bundle, tmp_path, after):
    base, bundle = tiny_bundle
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, REPORTS)

    def run(signal_after):
        predictor = LazyBundlePredictor(bundle, base=str(base), device="cpu", batch_size=FORWARD_BATCH)
        with ForwardCounter(signal_after) as counter:
            summary = run_folder(inp, out, predictor, options=predictor.ingest_options(ocr="off"), progress="quiet")
        return summary, counter.batches

    summary, batches = run(after)
    assert summary.exit_code == EXIT_INTERRUPTED and summary.interrupted
    assert batches <= after + 1, f"{batches} forward batches ran after SIGTERM in batch {after}"
    assert summary.processed == 0 and summary.skipped == REPORTS  # the whole run batch waits for the next run
    assert not out.exists() or read_rows(out) == []
    skipped = audit_summary(summary.audit).skipped
    assert len(skipped) == REPORTS and all("interrupted before its prediction" in why for _, why in skipped)

    # A stop is no crash: stopped again (past MAX_CRASHES times in all), the files are still read afresh,
    # never "pathx died N times while reading this file"; the next plain run gives every row.
    for _ in range(MAX_CRASHES):
        assert run(after)[0].exit_code == EXIT_INTERRUPTED
    summary, batches = run(None)
    assert summary.exit_code == EXIT_OK, summary.message
    rows = read_rows(out)
    assert len(rows) == REPORTS + 2 and {r["status"] for r in rows} == {"ok"}


def test_inference_runs_stop_check_before_every_forward_batch(tiny_bundle):
    """Without a stop every batch runs; a stop_check that raises after K checks leaves K batches run."""
    base, _ = tiny_bundle
    model = build_model(base, tasks=["er"], adapter="frozen", device="cpu")
    prompts = [f"er positive {'tumour ' * i}" for i in range(7)]  # 4 forward batches of 2
    inference = Inference(model, batch_size=FORWARD_BATCH)
    checks = []

    class Stop(BaseException):
        pass

    def stop_after(k):
        def check():
            checks.append(1)
            if len(checks) > k:
                raise Stop

        return check

    with ForwardCounter(None) as counter:
        whole = inference.predict_proba(prompts, stop_check=stop_after(99))
    assert counter.batches == 4 and len(checks) == 4 and whole["er"].shape == (7, len(schema.model_classes("er")))
    checks.clear()
    with ForwardCounter(None) as counter, pytest.raises(Stop):
        inference.predict(prompts, stop_check=stop_after(2))
    assert counter.batches == 2 and len(checks) == 3
