"""Bundles: export -> inspect -> verify -> load round trip, tamper/base/pickle refusal, `run` on a bundle."""
from __future__ import annotations

import csv
import json
import os
import pickle
import re
import subprocess
import sys

import pytest
import torch

from pathx import schema

from pathxgen import corpus
from pathxgen.tinybase import build_tiny_base
from pathx.bundle.core import BundleError, BundlePredictor, export, read_metadata, verify
from pathx.training.fit import FitConfig
from pathx.training.labels import read_labeled
from pathx.model.inference import Inference as Predictor
from pathx.ingestion.pipeline import IngestOptions, units_for_examples
from pathx.rules.engine import RuleEngine
from pathx.training.labeled import fit_labeled
from runkit import GUARD, REPO


def _words(folder) -> list[str]:
    words = set()
    for p in folder.glob("*.txt"):
        words.update(re.findall(r"[a-z0-9]+", p.read_text().lower()))
    return sorted(words)[:3000]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle")
    reports = root / "reports"
    corpus.generate(reports, 14, seed=3, formats=("txt",))
    rows = [json.loads(l) for l in (reports / "gold.jsonl").read_text().splitlines()]
    for r in rows:  # the corpus is fully labelled: null means the report states nothing
        r["labels"] = {t: r["labels"].get(t) or schema.NOT_REPORTED for t in schema.TASKS}
    labeled = reports / "labeled.jsonl"
    labeled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    base = build_tiny_base(root / "base", "decoder", words=_words(reports))
    # The non-default input choices (per-task pooling, resolved rule values in the hints, the rule
    # prior) must travel too.
    config = FitConfig(max_steps=2, micro_batch=2, grad_accum=1, device="cpu", eval_batch_size=4,
                       unknown_as_not_reported=True, pooling="task", rule_prior=True)
    fit_dir = root / "fit"
    fit_labeled(labeled, fit_dir, base=str(base), config=config, options=IngestOptions(hint_values=True),
                engine=RuleEngine.load())
    bundle = export(fit_dir, root / "tiny-0.1.0.safetensors", name="tiny", version="0.1.0")
    return {"root": root, "reports": reports, "labeled": labeled, "base": base, "fit": fit_dir, "bundle": bundle}


@pytest.mark.slow
def test_export_inspect_holds_everything_to_reproduce(trained):
    info = read_metadata(trained["bundle"])
    assert info["format"] == "pathx-bundle-1" and info["name"] == "tiny" and info["version"] == "0.1.0"
    assert info["tasks"] == list(schema.TASKS)
    assert info["classes"]["her2"][-1] == schema.NOT_REPORTED
    assert len(info["model"]["base"]["sha256"]) == 64
    assert info["model"]["adapter"]["name"] == "lora" and info["model"]["padding_side"] in ("left", "right")
    assert info["slicing"]["mode"] == "window" and info["slicing"]["k"] == 5 and info["slicing"]["hint_values"]
    assert info["model"]["pooling"] == "task" and info["model"]["rule_prior"]
    assert set(info["thresholds"]) == set(schema.TASKS)
    # The rule set is embedded verbatim and rebuilds an engine with the same version.
    files = info["ruleset"]["files"]
    assert files == RuleEngine.load().files()
    assert RuleEngine.from_files(files).version == info["ruleset"]["version"]
    assert len(info["data"]["sha256"]) == 64 and len(info["content_sha256"]) == 64
    assert trained["bundle"].stat().st_mode & 0o044 == 0o044  # readable by the cron user, not only its writer


@pytest.mark.slow
def test_round_trip_gives_identical_predictions(trained):
    examples = read_labeled(trained["labeled"])
    predictor = BundlePredictor.load(trained["bundle"], base=str(trained["base"]), device="cpu")
    units, _ = units_for_examples(examples, predictor.engine, predictor.ingest_options())
    assert all(" | " in u.prompt.split("\nHints:\n")[1] for u in units)  # rule values in the hints
    from_bundle = predictor.inference.predict_proba([u.prompt for u in units])
    from_fit = Predictor.load(trained["fit"], base=str(trained["base"]), device="cpu").predict_proba(
        [u.prompt for u in units])
    for t in schema.TASKS:
        assert torch.equal(from_bundle[t], from_fit[t])
    assert verify(trained["bundle"], base=str(trained["base"])).base_checked


@pytest.mark.slow
def test_merged_copy_predicts_like_the_bundle_without_the_base(trained, tmp_path):
    from safetensors import safe_open

    from pathx.bundle.core import export_merged, load_bundle_model

    merged = export_merged(trained["bundle"], tmp_path / "tiny-0.1.0.merged.safetensors", base=str(trained["base"]))
    with safe_open(str(merged), "pt") as fh:
        names = set(fh.keys())
    assert "rule_priors.grade" in names and not any("lora" in n for n in names)
    examples = read_labeled(trained["labeled"])
    bundle_model = load_bundle_model(trained["bundle"], base=str(trained["base"]), device="cpu")
    engine = RuleEngine.load()
    units, _ = units_for_examples(examples, engine, IngestOptions(hint_values=True))
    prompts = [u.prompt for u in units]
    want = Predictor(bundle_model.eval()).predict_proba(prompts)
    got = Predictor(load_bundle_model(merged, device="cpu")).predict_proba(prompts)  # no base given
    for t in schema.TASKS:  # bf16 forward: base + LoRA and the folded weights round differently
        assert torch.allclose(want[t], got[t], atol=1e-2), t
    # Without the prior tables the merged copy would answer differently (guards their export).
    with safe_open(str(merged), "pt") as fh:
        assert torch.equal(fh.get_tensor("rule_priors.er"), bundle_model.rule_priors["er"].detach())


def _flip(src, dst, offset_from_end: int | None = None, find: bytes | None = None):
    data = bytearray(src.read_bytes())
    i = data.index(find) if find else len(data) - offset_from_end
    data[i] ^= 0x01
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.slow
def test_flipped_byte_fails_verify_and_refuses_to_load(trained, tmp_path):
    in_tensor = _flip(trained["bundle"], tmp_path / "t.safetensors", offset_from_end=3)
    with pytest.raises(BundleError, match="content hash mismatch"):
        verify(in_tensor)
    with pytest.raises(BundleError, match="content hash mismatch"):
        BundlePredictor.load(in_tensor, base=str(trained["base"]), device="cpu")
    # Metadata is covered too: an edited threshold or version is a modified file.
    in_meta = _flip(trained["bundle"], tmp_path / "m.safetensors", find=b"0.1.0")
    with pytest.raises(BundleError, match="content hash mismatch"):
        verify(in_meta)


def test_wrong_base_model_is_refused(trained, tmp_path):
    other = build_tiny_base(tmp_path / "other", "decoder", words=_words(trained["reports"]), seed=7)
    with pytest.raises(BundleError, match="wrong base model"):
        BundlePredictor.load(trained["bundle"], base=str(other), device="cpu")
    with pytest.raises(BundleError, match="wrong base model"):
        verify(trained["bundle"], base=str(other))


def test_pickle_files_are_refused_without_unpickling(trained, tmp_path):
    zipped = tmp_path / "torchsave.safetensors"
    torch.save({"w": torch.zeros(2)}, zipped)
    raw = tmp_path / "raw.safetensors"
    raw.write_bytes(pickle.dumps({"w": [0.0, 1.0]}))
    for bad in (zipped, raw):
        with pytest.raises(BundleError, match="pickle"):
            verify(bad)
        with pytest.raises(BundleError, match="pickle"):
            BundlePredictor.load(bad, device="cpu")
    # A real bundle whose header length happens to start with byte 0x80 is still a bundle.
    from safetensors.torch import save_file

    for pad in range(0, 300):
        odd = tmp_path / "odd.safetensors"
        save_file({"w": torch.zeros(1)}, str(odd), metadata={"x": "y" * pad})
        if odd.read_bytes()[0] == 0x80:
            break
    assert odd.read_bytes()[0] == 0x80
    with pytest.raises(BundleError, match="not a pathx bundle"):
        read_metadata(odd)  # got past the pickle check: refused for what it really is
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(BundleError, match="not a safetensors file"):
        read_metadata(junk)


@pytest.mark.slow
def test_cli_run_on_bundle_writes_every_contract_column_offline(trained, tmp_path):
    """The model path (transformers, peft, safetensors) runs with every IP socket refused."""
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "sockets.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(guard), str(REPO), os.environ.get("PYTHONPATH", "")]),
               PATHX_SOCKET_LOG=str(log), HF_HUB_OFFLINE="0", TRANSFORMERS_OFFLINE="0")
    out = tmp_path / "out.csv"
    env_cmd = [sys.executable, "-m", "pathx.cli", "run", str(trained["reports"]), "-o", str(out),
               "--engine", "model", "--bundle", str(trained["bundle"]), "--base", str(trained["base"]),
               "--device", "cpu", "--quiet"]
    proc = subprocess.run(env_cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not log.exists(), log.read_text()
    with out.open() as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == schema.OUTPUT_COLUMNS
        rows = list(reader)
    assert len(rows) >= 14
    for row in rows:
        assert row["status"] == "ok" and row["bundle"] == "tiny-0.1.0"
        for t in schema.TASKS:
            assert 0.0 < float(row[f"{t}_confidence"]) <= 1.0
            assert row[t] == "" or row[t] in schema.VOCAB[t]
        assert row["needs_review"] in ("true", "false")


@pytest.mark.slow
def test_cli_verify_reports_tampering_in_one_line(trained, tmp_path):
    bad = _flip(trained["bundle"], tmp_path / "bad.safetensors", offset_from_end=5)
    proc = subprocess.run([sys.executable, "-m", "pathx.cli", "bundle", "verify", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "bad.safetensors" in proc.stderr and "content hash mismatch" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
