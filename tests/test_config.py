"""Config dataclasses check themselves on construction; the CLI reports a bad option as a usage
error (exit 2) before any input or output file is touched."""
from __future__ import annotations

import subprocess
import sys

import pytest

from pathx.configcheck import ConfigError
from pathx.training.config import FitConfig
from pathx.ingestion.pipeline import IngestOptions


def test_default_configs_are_valid():
    IngestOptions()
    FitConfig()
    IngestOptions(ocr="off", slice_mode="full", k=0, tasks=["er", "pr"], hint_values=True)  # a list, as JSON gives
    FitConfig(tasks=["grade"], adapter={"name": "lora", "r": 8}, quant="nf4", pooling="task", split=[0.5, 0.25, 0.25],
              class_weights=[], max_steps=2, eval_every=1, chat_template=True, lr=1)


@pytest.mark.parametrize("kw, field", [
    ({"ocr": "bogus"}, "ocr"),
    ({"slice_mode": "middle"}, "slice_mode"),
    ({"k": -1}, "k"),
    ({"k": 2.5}, "k"),
    ({"max_pages": 0}, "max_pages"),
    ({"max_report_chars": 0}, "max_report_chars"),
    ({"tasks": ("t_stage", "colour")}, "tasks"),
    ({"tasks": ()}, "tasks"),
    ({"tasks": "er"}, "tasks"),
    ({"tasks": ("er", "er")}, "tasks"),
    ({"hint_values": "yes"}, "hint_values"),
])
def test_bad_ingest_options_fail_on_construction(kw, field):
    with pytest.raises(ValueError) as err:
        IngestOptions(**kw)
    assert isinstance(err.value, ConfigError) and err.value.field == field
    assert str(err.value).startswith(f"IngestOptions.{field}: ")


@pytest.mark.parametrize("kw, field", [
    ({"micro_batch": 0}, "micro_batch"),
    ({"grad_accum": 0}, "grad_accum"),
    ({"epochs": 0}, "epochs"),
    ({"max_steps": 0}, "max_steps"),
    ({"eval_every": 0}, "eval_every"),
    ({"checkpoint_every": 0}, "checkpoint_every"),
    ({"eval_batch_size": 0}, "eval_batch_size"),
    ({"log_every": 0}, "log_every"),
    ({"max_length": 0}, "max_length"),
    ({"lr": 0.0}, "lr"),
    ({"lr": float("nan")}, "lr"),
    ({"weight_decay": -0.1}, "weight_decay"),
    ({"warmup_ratio": 1.0}, "warmup_ratio"),
    ({"max_grad_norm": 0}, "max_grad_norm"),
    ({"patience": -1}, "patience"),
    ({"tasks": ["colour"]}, "tasks"),
    ({"tasks": []}, "tasks"),
    ({"class_weights": ["colour"]}, "class_weights"),
    ({"adapter": "lorax"}, "adapter"),
    ({"adapter": {"r": 8}}, "adapter"),
    ({"adapter": {"name": "lora", "r": 0}}, "adapter"),  # the adapter's own check, reported on FitConfig.adapter
    ({"adapter": {"name": "prefix", "rank": 4}}, "adapter"),
    ({"quant": "int3"}, "quant"),
    ({"pooling": "first"}, "pooling"),
    ({"padding_side": "middle"}, "padding_side"),
    ({"truncation_side": "middle"}, "truncation_side"),
    ({"chat_template": "on"}, "chat_template"),
    ({"split": (0.5, 0.5, 0.5)}, "split"),
    ({"split": (0.0, 0.5, 0.5)}, "split"),
    ({"split": (0.9, 0.1)}, "split"),
    ({"micro_batch": True}, "micro_batch"),
    ({"device": ""}, "device"),
])
def test_bad_fit_configs_fail_on_construction(kw, field):
    with pytest.raises(ValueError) as err:
        FitConfig(**kw)
    assert isinstance(err.value, ConfigError) and err.value.field == field


def pathx(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pathx.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _reports(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.txt").write_text("FINAL DIAGNOSIS: invasive ductal carcinoma, pT2 N0, ER positive.\n")
    return inp


def _untouched(tmp_path, inp):
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output, ledger, lock or folder
    assert [p.name for p in inp.iterdir()] == ["a.txt"]


@pytest.mark.slow
@pytest.mark.parametrize("args, option", [
    (("fit", "{in}/a.txt", "-o", "{tmp}/fit", "--micro-batch", "0"), "'--micro-batch'"),
    (("fit", "{in}/a.txt", "-o", "{tmp}/fit", "--epochs", "0"), "'--epochs'"),
    (("fit", "{in}/a.txt", "-o", "{tmp}/fit", "--tasks", "t_stage,colour"), "'--tasks'"),
    (("fit", "{in}/a.txt", "-o", "{tmp}/fit", "-k", "-1"), "'-k'"),
    (("extract", "{in}", "-o", "{tmp}/x.jsonl", "-k", "-1"), "'-k'"),
    (("run", "{in}", "-o", "{tmp}/out.csv", "--engine", "rules", "--batch-size", "0"), "'--batch-size'"),
])
def test_cli_reports_bad_options_as_usage_errors_before_touching_files(tmp_path, args, option):
    inp = _reports(tmp_path)
    proc = pathx(*(a.format(tmp=tmp_path, **{"in": inp}) for a in args))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"Invalid value for {option}" in proc.stderr and "Traceback" not in proc.stderr
    _untouched(tmp_path, inp)
