"""The README's run command with no flags: the shipped default bundle (bundles/DEFAULT) when there is
one, verified against its installed base; otherwise the rule engine. Either must extract demo reports well."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from pathx import corpus, schema
from pathx.bundle import read_metadata, verify
from pathx.bundlefiles import default_bundle, list_bundles
from pathx.ruleengine import RuleEngine


def test_the_default_bundle_if_shipped_is_intact():
    path = default_bundle()
    if path is None:
        pytest.skip("no bundles/DEFAULT: `pathx run` uses the rule engine")
    assert path in list_bundles()
    info = read_metadata(path)
    assert info["model"]["base"]["name"] in ("smollm2-135m-instruct", "minilm-l6-v2")
    result = verify(path)  # content hash + the installed base model's weights hash
    assert result.base_checked


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
