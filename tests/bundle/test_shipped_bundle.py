"""The README's run command with no flags: the shipped default bundle (bundles/DEFAULT) when there is
one, verified against its installed base; otherwise the rule engine. Either must extract demo reports well."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from pathx import schema

from pathxgen import corpus
from pathx.bundle.core import read_metadata, verify
from pathx.bundle.files import default_bundle, list_bundles
from pathx.rules.engine import RuleEngine


def _a_shipped_bundle():
    """The default bundle, else the first shipped one (bundles/DEFAULT may name the rule engine)."""
    return default_bundle() or next(iter(list_bundles()), None)


def test_every_shipped_bundle_is_intact():
    bundles = list_bundles()
    if not bundles:
        pytest.skip("no bundle shipped")
    default = default_bundle()
    assert default is None or default in bundles
    for path in bundles:
        info = read_metadata(path)
        assert info["model"]["base"]["name"] in ("smollm2-135m-instruct", "minilm-l6-v2")
        result = verify(path)  # content hash + the installed base model's weights hash
        assert result.base_checked


def test_default_says_which_engine(tmp_path, monkeypatch):
    from pathx import paths
    from pathx.bundle.files import RULES_DEFAULT, default_bundle_checked
    from pathx.predictors.factory import make_predictor
    from pathx.predictors.simple import RulesPredictor

    monkeypatch.setattr(paths, "bundles_dir", lambda: tmp_path)
    (tmp_path / "DEFAULT").write_text(RULES_DEFAULT + "\n")
    assert default_bundle_checked() is None
    assert isinstance(make_predictor("auto"), RulesPredictor)
    with pytest.raises(Exception, match="bundles/DEFAULT names none"):
        make_predictor("model")


@pytest.mark.slow
def test_readme_run_command_on_demo_reports(tmp_path):
    samples = tmp_path / "samples"
    corpus.generate(samples, 12, seed=77, formats=("txt", "pdf"))
    out = tmp_path / "out.csv"
    proc = subprocess.run([sys.executable, "-m", "pathx.cli", "run", str(samples), "-o", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = list(csv.DictReader(out.open()))
    assert rows and tuple(rows[0]) == schema.OUTPUT_COLUMNS
    default = default_bundle()
    if default is None:
        assert {r["bundle"] for r in rows} == {f"rules-{RuleEngine.load().version}"}
    else:
        info = read_metadata(default)
        assert {r["bundle"] for r in rows} == {f"{info['name']}-{info['version']}"}
    gold = {(g["path"], g["specimen"] or ""): g["labels"]
            for g in map(json.loads, (samples / "gold.jsonl").read_text().splitlines())}
    agree = total = 0
    for r in rows:
        labels = gold.get((r["file"], r["specimen"]))
        if labels is None:
            continue
        for t in schema.TASKS:
            total += 1
            agree += (r[t] or None) == labels[t]
    assert total >= 12 * len(schema.TASKS) * 0.9
    assert agree / total >= 0.8, f"default bundle agrees with gold on only {agree}/{total} fields"


# `pathx run` with atexit reporting whether torch was ever imported.
_WRAP = ("import sys, atexit; atexit.register(lambda: sys.stderr.write('TORCH=%s\\n' % ('torch' in sys.modules)));"
         "from pathx.cli import main; main()")


@pytest.mark.slow
def test_lock_and_no_change_rerun_come_before_the_model(tmp_path):
    """A second run that finds the lock held, and a rerun with nothing new, never load the model (checked
    by whether torch was imported, not by a clock: a busy machine is slow, not wrong)."""
    import os

    from pathx.run.runner import RunLock

    bundle = _a_shipped_bundle()
    if bundle is None:
        pytest.skip("no shipped bundle: nothing heavy to defer")
    samples, out = tmp_path / "samples", tmp_path / "out.csv"
    corpus.generate(samples, 3, seed=5, formats=("txt",))
    env = dict(os.environ, PATHX_LOG_DIR=str(tmp_path / "logs"))
    cmd = [sys.executable, "-c", _WRAP, "run", str(samples), "-o", str(out), "--quiet", "--engine", "model",
           "--bundle", str(bundle)]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    assert first.returncode == 0 and "TORCH=True" in first.stderr, first.stderr[-2000:]
    assert "Warning" not in first.stderr  # --quiet: no dependency warnings on stderr
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 0 and again.stderr.strip() == "TORCH=False", again.stderr
    lock = RunLock(out)
    assert lock.acquire()
    try:
        locked = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    finally:
        lock.release()
    assert locked.returncode == 75 and "TORCH=False" in locked.stderr, locked.stderr


def test_model_that_fails_to_load_after_the_lock_stops_the_run_with_exit_5(tmp_path, monkeypatch):
    """The model loads lazily; a bundle damaged by then is one line and exit 5, no file is blamed."""
    import io
    import shutil

    from rich.console import Console

    from pathx.bundle.core import LazyBundlePredictor
    from pathx.run.runner import EXIT_ENVIRONMENT, run_folder

    bundle = _a_shipped_bundle()
    if bundle is None:
        pytest.skip("no shipped bundle")
    monkeypatch.setenv("PATHX_LOG_DIR", str(tmp_path / "logs"))
    copy = tmp_path / bundle.name
    shutil.copyfile(bundle, copy)
    predictor = LazyBundlePredictor(copy)
    data = bytearray(copy.read_bytes())
    data[-100] ^= 0xFF  # damaged after start-up, before the first file needs the model
    copy.write_bytes(bytes(data))
    samples = tmp_path / "samples"
    corpus.generate(samples, 2, seed=5, formats=("txt",))
    buf = io.StringIO()
    s = run_folder(samples, tmp_path / "out.csv", predictor, options=predictor.ingest_options(ocr="off"),
                   progress="quiet", console=Console(file=buf))
    lines = buf.getvalue().splitlines()
    assert s.exit_code == EXIT_ENVIRONMENT and len(lines) == 1, buf.getvalue()
    assert lines[0].startswith(f"pathx: error: cannot load the model of {copy.name}") and "hash" in lines[0]
    end = json.loads(s.audit.read_text().splitlines()[-1])
    assert end["event"] == "end" and end["exit_code"] == EXIT_ENVIRONMENT and "cannot load" in end["error"]


def test_open_bundle_reads_the_file_once_and_hands_on_one_checked_object(monkeypatch):
    from pathlib import Path

    import pathx.bundle.reader as reader

    bundle = _a_shipped_bundle()
    if bundle is None:
        pytest.skip("no shipped bundle")
    header_hash = read_metadata(bundle)["content_sha256"]
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    monkeypatch.setattr(reader, "read_header", lambda path: pytest.fail("header read a second time"))
    checked = reader.open_bundle(bundle)
    assert reads == [bundle]
    assert checked.content_sha256 == header_hash and checked.key == f"{checked.name}+{header_hash[:12]}"
    assert checked.model_config().adapter_config.name == checked.info["model"]["adapter"]["name"]


def test_every_engine_is_a_predictor():
    from pathx.bundle.core import LazyBundlePredictor
    from pathx.predictors.base import Predictor
    from pathx.predictors.simple import NaivePredictor, RulesPredictor

    engines = [RulesPredictor(), NaivePredictor()]
    bundle = _a_shipped_bundle()
    if bundle is not None:
        engines.append(LazyBundlePredictor(bundle))
    for p in engines:
        assert isinstance(p, Predictor) and p.name and p.version
