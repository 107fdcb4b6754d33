"""Training: loss masking, eq. 7 weights, split, a learnable synthetic fit, checkpoint/resume, metrics."""
from __future__ import annotations

import io
import json
import random
from collections import Counter

import numpy as np
import pytest
import torch

from pathx import schema
from pathxgen.tinybase import build_tiny_base
from pathx.errors import DataError, PathxError
from pathx.training.fit import (
    FitConfig,
    PromptExample,
    class_weights,
    fit,
    multitask_loss,
    split_examples,
    evaluate_dir,
)
from pathx.training.metrics import binary_auroc, print_metrics, task_metrics

TASKS = ["grade", "er", "her2"]
GRADE_WORD = {"G1": "g1", "G2": "g2", "G3": "g3"}
ER_WORD = {"Positive": "focal", "Negative": "clear"}  # distinct words per task keep it learnable
HER2_WORD = {"Positive": "positive", "Negative": "negative", "Equivocal": "equivocal"}
FILLER = "the a of and in is tumour size cm nodes lymph invasive carcinoma ductal margin".split()


def synthetic(n: int, seed: int = 0) -> list[PromptExample]:
    """Prompts whose labels are spelled by task-specific words among filler; some labels unknown,
    some explicitly not reported (word absent), HER2 imbalanced like the paper's."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        grade = rng.choice(list(GRADE_WORD))
        er = rng.choice(list(ER_WORD) + [schema.NOT_REPORTED])
        her2 = rng.choices(list(HER2_WORD), weights=[2, 6, 1])[0]
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
        parts = [f"grade {GRADE_WORD[grade]}", f"her2 {HER2_WORD[her2]}"]
        if er != schema.NOT_REPORTED:
            parts.append(f"er {ER_WORD[er]}")
        rng.shuffle(parts)
        prompt = " ".join(words[:3] + [" . ".join(parts)] + words[3:])
        labels = {"grade": grade, "er": er, "her2": her2}
        if i % 7 == 0:
            labels["er"] = None  # unknown: masked
        out.append(PromptExample(f"ex{i:03d}", prompt, labels))
    return out


@pytest.fixture(scope="module")
def decoder_base(tmp_path_factory):
    return build_tiny_base(tmp_path_factory.mktemp("bases") / "llama", "decoder")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PATHX_CACHE_DIR", str(tmp_path / "cache"))


def fast_config(**kw) -> FitConfig:
    base = dict(tasks=TASKS, lr=3e-3, micro_batch=4, grad_accum=2, epochs=3, checkpoint_every=1000,
                device="cpu", log_every=1000)
    base.update(kw)
    return FitConfig(**base)


# -- loss and weights ---------------------------------------------------------------------------


def test_masked_labels_contribute_no_loss_or_gradient():
    torch.manual_seed(0)
    logits = {"er": torch.randn(4, 4, requires_grad=True), "her2": torch.randn(4, 4, requires_grad=True)}
    targets = {"er": torch.tensor([0, -100, 2, -100]), "her2": torch.tensor([-100, -100, -100, -100])}
    loss = multitask_loss(logits, targets)
    loss.backward()
    assert torch.all(logits["er"].grad[[1, 3]] == 0) and torch.any(logits["er"].grad[[0, 2]] != 0)
    assert torch.all(logits["her2"].grad == 0)
    expected = torch.nn.functional.cross_entropy(logits["er"][[0, 2]], torch.tensor([0, 2]), reduction="sum") / 4
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    # Changing a masked row's logits does not change the loss.
    changed = {k: v.detach().clone() for k, v in logits.items()}
    changed["er"][1] += 5.0
    changed["her2"] += 3.0
    assert multitask_loss(changed, targets).item() == pytest.approx(loss.item(), rel=1e-6)


def test_class_weights_follow_equation_7():
    labels = ["Negative"] * 6 + ["Positive"] * 3 + ["Equivocal"] * 1 + [None] * 5
    examples = [PromptExample(str(i), "x", {"her2": lab}) for i, lab in enumerate(labels)]
    w = class_weights(examples, "her2")
    classes = schema.model_classes("her2")
    n, c = 10, 3  # valid samples, observed classes
    assert w[classes.index("Negative")].item() == pytest.approx(n / (c * 6))
    assert w[classes.index("Positive")].item() == pytest.approx(n / (c * 3))
    assert w[classes.index("Equivocal")].item() == pytest.approx(n / (c * 1))
    assert w[classes.index(schema.NOT_REPORTED)].item() == 1.0  # never observed
    # Weights change the loss: a weighted minority target costs w times as much, even alone.
    logits = {"her2": torch.zeros(1, 4)}
    y = {"her2": torch.tensor([classes.index("Equivocal")])}
    assert multitask_loss(logits, y, {"her2": w}).item() == pytest.approx(np.log(4) * n / 3, rel=1e-5)


def test_stratified_split_is_seeded_disjoint_and_proportional():
    examples = synthetic(200, seed=3)
    train, val, test, info = split_examples(examples, TASKS, seed=42)
    ids = [e.id for part in (train, val, test) for e in part]
    assert sorted(ids) == sorted(e.id for e in examples)  # disjoint and complete
    assert (len(train), len(val), len(test)) == (160, 20, 20)
    assert info["stratify_task"] == "her2"  # Equivocal is the scarcest class
    # Every HER2 class is spread over the parts in proportion (within one example per part).
    total = Counter(e.labels["her2"] for e in examples)
    for part, frac in ((val, 0.1), (test, 0.1)):
        counts = Counter(e.labels["her2"] for e in part)
        for cls, n in total.items():
            assert abs(counts[cls] - n * frac) <= 1.0, (cls, counts[cls], n)
    again = split_examples(list(reversed(examples)), TASKS, seed=42)
    assert [e.id for e in again[1]] == [e.id for e in val]  # input order does not matter
    assert [e.id for e in split_examples(examples, TASKS, seed=1)[1]] != [e.id for e in val]


def test_bad_labels_are_rejected_by_id(decoder_base, tmp_path):
    bad = [PromptExample("r1", "grade g1", {"grade": "G4"})]
    with pytest.raises(DataError, match=r"'r1'.*G4"):
        fit(bad, tmp_path / "out", base=decoder_base, config=fast_config())


# -- fitting ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fit_learns_the_synthetic_set_and_writes_its_outputs(decoder_base, tmp_path):
    examples = synthetic(120)
    out = tmp_path / "out"
    result = fit(examples, out, base=decoder_base, config=fast_config(epochs=3, grad_accum=1))
    losses = [h["loss"] for h in result.metrics["history"]]
    assert np.mean(losses[-4:]) < 0.6 * np.mean(losses[:4]), losses
    for name in ("config.json", "adapter_heads.safetensors", "split.json", "metrics.json"):
        assert (out / name).exists(), name
    assert not (out / "checkpoint").exists()
    split = json.loads((out / "split.json").read_text())
    assert split["seed"] == 42 and len(split["val"]) == 12 and len(split["test"]) == 12
    metrics = json.loads((out / "metrics.json").read_text())
    val = metrics["val"]["tasks"]
    # Beat chance (the majority class) on validation: never worse per task, clearly better on average.
    val_ex = [e for e in examples if e.id in set(split["val"])]
    margins = []
    for t in TASKS:
        gold = [e.labels[t] for e in val_ex if e.labels[t] is not None]
        majority = Counter(gold).most_common(1)[0][1] / len(gold)
        assert val[t]["accuracy"] >= majority, (t, val[t]["accuracy"], majority)
        margins.append(val[t]["accuracy"] - majority)
    assert np.mean(margins) > 0.15, margins
    assert metrics["best_val_loss"] == min(h["val_loss"] for h in metrics["history"] if "val_loss" in h)
    assert metrics["training_seconds"] > 0 and metrics["peak_memory"]["cpu_peak_rss_mib"] > 0
    assert len(metrics["history"]) == metrics["steps"] == 3 * 24  # 96 train / 4 per step
    # The saved bundle predicts like the in-memory model and evaluates the same.
    again = evaluate_dir(out, val_ex, device="cpu")
    assert again.tasks["grade"].accuracy == pytest.approx(val["grade"]["accuracy"])
    with pytest.raises(PathxError, match="nothing to resume"):
        fit(examples, out, base=decoder_base, config=fast_config(), resume=True)


class Killed(Exception):
    pass


@pytest.mark.slow
def test_resume_continues_a_killed_fit_to_the_same_end_state(decoder_base, tmp_path):
    examples = synthetic(48, seed=5)
    cfg = fast_config(epochs=2, checkpoint_every=2, eval_every=3)
    whole = fit(examples, tmp_path / "whole", base=decoder_base, config=cfg)
    n_train = len(json.loads((tmp_path / "whole" / "split.json").read_text())["train"])
    assert whole.global_step == 2 * -(-n_train // 8) == 10  # 2 epochs of ceil(n / (4 x 2)) steps

    def kill_at_5(state):
        if state.global_step == 5:
            raise Killed

    with pytest.raises(Killed):
        fit(examples, tmp_path / "killed", base=decoder_base, config=cfg, on_step=kill_at_5)
    state = json.loads((tmp_path / "killed" / "checkpoint" / "state.json").read_text())
    assert state["state"]["global_step"] == 4  # the last checkpoint before the kill
    with pytest.raises(PathxError, match="unfinished"):
        fit(examples, tmp_path / "killed", base=decoder_base, config=cfg)

    seen = []
    resumed = fit(examples, tmp_path / "killed", base=decoder_base, config=cfg, resume=True,
                  on_step=lambda s: seen.append(s.global_step))
    assert seen[0] == 5 and resumed.global_step == whole.global_step == 10
    a, b = whole.model.trainable_state_dict(), resumed.model.trainable_state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k
    assert [h["loss"] for h in resumed.metrics["history"]] == pytest.approx([h["loss"] for h in whole.metrics["history"]])
    assert resumed.metrics["best_step"] == whole.metrics["best_step"]


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_explicit_val_and_single_task_fit_with_encoder(tmp_path):
    base = build_tiny_base(tmp_path / "bert", "encoder")
    examples = synthetic(40, seed=9)
    cfg = fast_config(tasks=["her2"], epochs=1, adapter="ia3", class_weights=[])
    tty = FakeTTY()
    result = fit(examples[:30], tmp_path / "out", base=base, config=cfg, val=examples[30:], test=examples[35:],
                 progress_stream=tty)
    assert "loss" in tty.getvalue() and "tok/s" in tty.getvalue()  # the rich bar drew on the terminal
    assert result.model.tasks == ["her2"]
    split = json.loads((tmp_path / "out" / "split.json").read_text())
    assert split["explicit"] and len(split["val"]) == 10 and len(split["test"]) == 5
    assert set(result.metrics["val"]["tasks"]) == {"her2"}


def test_unknown_as_not_reported_trains_the_abstain_class(decoder_base, tmp_path):
    examples = [PromptExample(f"e{i}", "grade g1" if i % 2 else "margin clear", {"grade": "G1" if i % 2 else None})
                for i in range(12)]
    cfg = fast_config(tasks=["grade"], epochs=1, unknown_as_not_reported=True, split=(0.5, 0.25, 0.25))
    result = fit(examples, tmp_path / "out", base=decoder_base, config=cfg)
    conf = result.metrics["val"]["tasks"]["grade"]
    assert conf["n"] == 3  # every val example counts: None became "not reported"
    assert sum(conf["confusion"][-1]) > 0  # some gold "not reported" rows


# -- metrics ------------------------------------------------------------------------------------


def test_metrics_match_hand_computed_values():
    classes = ["A", "B", "C"]
    gold = ["A", "A", "B", "C", None]
    probs = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [1, 0, 0]])
    m = task_metrics("x", classes, gold, probs)
    assert m.n == 4 and m.accuracy == 0.75
    assert m.confusion == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    # F1: A = 2/3, B = 2/3, C = 1.
    assert m.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert binary_auroc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    assert binary_auroc(np.array([0.5, 0.5]), np.array([0, 1])) == 0.5  # ties count half
    assert binary_auroc(np.array([0.5]), np.array([1])) is None
    # AUROC A: pos {0.8, 0.3} vs neg {0.2, 0.1} -> 1; B: pos {0.7} vs {0.1, 0.6, 0.2} -> 1; C -> 1.
    assert m.auroc == pytest.approx(1.0)


def test_metrics_table_prints(capsys):
    from rich.console import Console

    from pathx.training.metrics import EvalResult

    m = task_metrics("her2", ["Positive", "Negative"], ["Positive", "Negative"], np.array([[0.9, 0.1], [0.2, 0.8]]))
    console = Console(width=100, force_terminal=False)
    print_metrics(EvalResult({"her2": m}, 2), title="test", confusion=True, console=console)
    out = capsys.readouterr().out
    assert "her2" in out and "1.000" in out and "rows gold" in out
