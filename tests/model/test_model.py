"""MultiTaskClassifier on tiny random backbones (a 2-layer Llama and a 2-layer BERT built from
configs, with word-level tokenizers), plus base-model identity and the shipped bases."""
from __future__ import annotations

import json

import pytest
import torch

from pathx import schema
from pathx.model.backbones import BaseModelError, resolve_base, shipped_path, weights_sha256
from pathxgen.tinybase import build_tiny_base
from pathx.errors import PathxError
from pathx.ingestion.prompt import build_prompt
from pathx.model.adapters import make as make_adapter
from pathx.model.build import build_model, load_model
from pathx.model.classifier import pool
from pathx.model.config import CONFIG_FILE, ModelConfig
from pathx.model.inference import Inference as Predictor


@pytest.fixture(scope="module")
def tiny_bases(tmp_path_factory):
    root = tmp_path_factory.mktemp("bases")
    return {fam: build_tiny_base(root / fam, fam) for fam in ("decoder", "encoder")}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PATHX_CACHE_DIR", str(tmp_path / "cache"))


PROMPTS = ["the tumour is positive", "grade g2 nodes negative and her2 equivocal . margin clear", "er"]


def test_pool_reads_the_mask_on_both_padding_sides():
    hidden = torch.arange(2 * 5, dtype=torch.float32).reshape(2, 5, 1)
    right = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    left = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    assert pool(hidden, right, "last").flatten().tolist() == [2.0, 9.0]
    assert pool(hidden, left, "last").flatten().tolist() == [4.0, 9.0]
    assert pool(hidden, left, "cls").flatten().tolist() == [2.0, 5.0]
    assert pool(hidden, right, "mean").flatten().tolist() == [1.0, 7.0]
    # A NaN in a padded row (fully masked attention) must not leak into the mean.
    hidden[0, 4, 0] = float("nan")
    assert pool(hidden, right, "mean").flatten().tolist() == [1.0, 7.0]


@pytest.mark.parametrize("family", ["decoder", "encoder"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_padded_batch_pools_like_each_prompt_alone(tiny_bases, family, side):
    model = build_model(tiny_bases[family], tasks=["grade"], adapter="frozen", padding_side=side, device="cpu").eval()
    batch = model.encode(PROMPTS)
    assert batch["attention_mask"].sum(dim=1).tolist() == [len(ids) for ids in model.tokenize(PROMPTS)]
    pad_col = 0 if side == "left" else -1
    assert batch["input_ids"][2, pad_col] == model.tokenizer.pad_token_id  # the short prompt is padded
    with torch.no_grad():
        together = model.pooled(**batch)
        for i, prompt in enumerate(PROMPTS):
            alone = model.pooled(**model.encode([prompt]))
            assert torch.allclose(together[i], alone[0], atol=1e-5), (family, side, i)


def test_decoder_gets_a_dedicated_pad_token(tiny_bases):
    model = build_model(tiny_bases["decoder"], tasks=["er"], adapter="frozen", device="cpu")
    tok = model.tokenizer
    assert tok.pad_token_id is not None and tok.pad_token_id != tok.eos_token_id
    assert model.model_config.pad_token_added
    emb = model.backbone.get_input_embeddings().weight
    assert emb.shape[0] == len(tok)
    assert model.model_config.pooling == "last"
    # An eos at the end of a prompt is a real token: pooling must land on it, not skip it as padding.
    batch = model.collate([[5, 6, tok.eos_token_id], [5]])
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


def test_encoder_keeps_its_pad_and_pools_by_mean(tiny_bases):
    model = build_model(tiny_bases["encoder"], tasks=["er"], adapter="frozen", device="cpu")
    assert not model.model_config.pad_token_added and model.tokenizer.pad_token == "[PAD]"
    assert model.model_config.pooling == "mean"
    assert build_model(tiny_bases["encoder"], tasks=["er"], adapter="frozen", pooling="cls", device="cpu").model_config.pooling == "cls"


def test_heads_cover_contract_classes_plus_not_reported(tiny_bases):
    model = build_model(tiny_bases["decoder"], tasks=["her2", "t_stage"], adapter="frozen", device="cpu")
    assert list(model.heads) == ["her2", "t_stage"]
    assert model.heads["t_stage"].out_features == len(schema.VOCAB["t_stage"]) + 1
    assert model.model_config.classes["her2"][-1] == schema.NOT_REPORTED
    logits = model(**model.encode(PROMPTS))
    assert logits["her2"].shape == (3, 4) and logits["her2"].dtype == torch.float32
    with pytest.raises(PathxError, match="unknown task"):
        build_model(tiny_bases["decoder"], tasks=["ki67"], device="cpu")


ARMS = ["lora", "ia3", "prefix", "frozen"]


@pytest.mark.parametrize("family", ["decoder", "encoder"])
@pytest.mark.parametrize("arm", ARMS)
def test_every_adapter_arm_trains_one_step(tiny_bases, family, arm):
    model = build_model(tiny_bases[family], tasks=["grade", "er"], adapter=arm, device="cpu")
    trainable = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    names = list(trainable)
    assert any(n.startswith("heads.") for n in names)
    if arm == "frozen":
        assert all(n.startswith("heads.") for n in names)
    else:
        marker = {"lora": "lora_", "ia3": "ia3_l", "prefix": "prompt_encoder"}[arm]
        assert any(marker in n for n in names), names
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    logits = model(**model.encode(PROMPTS))
    loss = sum(torch.nn.functional.cross_entropy(lg, torch.zeros(3, dtype=torch.long)) for lg in logits.values())
    loss.backward()
    opt.step()
    changed = [n for n, p in model.named_parameters() if p.requires_grad and not torch.equal(p, trainable[n])]
    assert any(not n.startswith("heads.") for n in changed) or arm == "frozen"
    assert any(n.startswith("heads.") for n in changed)
    # Frozen backbone weights never change.
    assert not model.backbone.get_input_embeddings().weight.requires_grad


def test_nf4_backbone_with_lora_and_paged_adamw_runs_one_step(tiny_bases):
    import bitsandbytes as bnb

    model = build_model(tiny_bases["decoder"], tasks=["her2"], adapter="lora", quant="nf4", device="cpu")
    assert any(type(m).__name__ == "Linear4bit" for m in model.backbone.modules())
    assert model.heads["her2"].weight.dtype == torch.float32
    opt = bnb.optim.PagedAdamW8bit([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    before = model.trainable_state_dict()
    logits = model(**model.encode(PROMPTS))
    torch.nn.functional.cross_entropy(logits["her2"], torch.tensor([0, 1, 2])).backward()
    opt.step()
    after = model.trainable_state_dict()
    assert any(not torch.equal(before[n], after[n]) for n in before if "lora_B" in n)
    assert model.model_config.quant == "nf4"


def test_save_and_load_round_trip_gives_the_same_predictions(tiny_bases, tmp_path):
    model = build_model(tiny_bases["decoder"], tasks=["grade", "her2"], adapter="lora", device="cpu")
    with torch.no_grad():  # make the adapter non-trivial so a failed load would show
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.5)
    model.save(tmp_path / "out")
    cfg = json.loads((tmp_path / "out" / CONFIG_FILE).read_text())
    assert cfg["base"]["sha256"] == weights_sha256(tiny_bases["decoder"])
    assert cfg["padding_side"] == "right" and cfg["max_length"] == 512 and cfg["adapter"]["r"] == 16
    first = Predictor(model).predict(PROMPTS)
    loaded = Predictor.load(tmp_path / "out", device="cpu")
    second = loaded.predict(PROMPTS)
    for a, b in zip(first, second):
        for t in ("grade", "her2"):
            assert a[t].cls == b[t].cls
            assert a[t].confidence == pytest.approx(b[t].confidence, abs=1e-4)
            assert sum(a[t].probs.values()) == pytest.approx(1.0, abs=1e-4)
            assert a[t].label == (None if a[t].cls == schema.NOT_REPORTED else a[t].cls)
    # The state dict of trainable tensors loads into a fresh model with plain load_state_dict.
    fresh = build_model(tiny_bases["decoder"], tasks=["grade", "her2"], adapter="lora", device="cpu", seed=7)
    missing, unexpected = fresh.load_state_dict(model.trainable_state_dict(), strict=False)
    assert not unexpected and all(not n.startswith("heads.") and "lora" not in n for n in missing)


def test_predictor_order_does_not_depend_on_length_sorting(tiny_bases):
    model = build_model(tiny_bases["encoder"], tasks=["er"], adapter="frozen", device="cpu")
    prompts = ["er " * k for k in (7, 1, 4, 9, 2)]
    batched = Predictor(model, batch_size=2).predict_proba(prompts)["er"]
    single = torch.cat([Predictor(model, batch_size=1).predict_proba([p])["er"] for p in prompts])
    assert torch.allclose(batched, single, atol=2e-2)  # bf16 autocast; order must match


def test_loading_refuses_a_different_base(tiny_bases, tmp_path):
    model = build_model(tiny_bases["decoder"], tasks=["er"], adapter="frozen", device="cpu")
    model.save(tmp_path / "out")
    other = build_tiny_base(tmp_path / "other", "decoder", seed=1)
    with pytest.raises(BaseModelError, match="sha256"):
        load_model(tmp_path / "out", base=other, device="cpu")


def test_base_identity_and_errors(tiny_bases, tmp_path):
    a = resolve_base(tiny_bases["encoder"])
    assert a.family == "encoder" and a.model_type == "bert" and len(a.sha256) == 64
    assert resolve_base(tiny_bases["encoder"]).sha256 == a.sha256  # cached, same answer
    with pytest.raises(BaseModelError, match="no such file"):
        resolve_base(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.json").write_text('{"model_type": "llama"}')
    with pytest.raises(BaseModelError, match="safetensors"):
        resolve_base(tmp_path / "empty")
    with pytest.raises(PathxError, match="unknown adapter"):
        make_adapter("lora2")
    assert make_adapter({"name": "prefix", "num_virtual_tokens": 8}).num_virtual_tokens == 8
    with pytest.raises(PathxError, match="format"):
        ModelConfig.from_dict({"format": "other"})


def test_shipped_bases_are_located_by_name():
    smol = shipped_path("smollm2-135m-instruct")
    assert smol.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and smol.stat().st_size > 50_000_000
    minilm = shipped_path("minilm-l6-v2")
    assert (minilm / "model.safetensors").exists() and (minilm / "config.json").exists()
    base = resolve_base("minilm-l6-v2")
    assert base.family == "encoder" and base.path == minilm.resolve()


TASK_PROMPTS = [
    build_prompt("invasive carcinoma grade 2 er positive", {"grade": ["grade 2"], "er": ["er positive"]}, ("grade", "er", "her2")),
    build_prompt("her2 equivocal", {"her2": ["her2 equivocal"]}, ("grade", "er", "her2")),
]


@pytest.mark.parametrize("family", ["decoder", "encoder"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_task_pooling_reads_each_hint_line_end(tiny_bases, family, side):
    model = build_model(tiny_bases[family], tasks=["grade", "er", "her2"], adapter="frozen", pooling="task",
                        padding_side=side, device="cpu").eval()
    ids = model.tokenize(TASK_PROMPTS)
    # the pooled token of each task is the last word of its hint line
    last_words = [[ln.split()[-1] for ln in p.split("Hints:\n")[1].splitlines()] for p in TASK_PROMPTS]
    for row, words in zip(ids, last_words):
        assert [model.tokenizer.convert_ids_to_tokens(row[i]) for i in row.task_positions] == \
            [w if w in model.tokenizer.get_vocab() else model.tokenizer.unk_token for w in words]
    batch = model.collate(ids)
    with torch.no_grad():
        together = model.pooled(**batch)
        assert together.shape == (2, 3, model.model_config.hidden_size)
        for i, prompt in enumerate(TASK_PROMPTS):
            alone = model.pooled(**model.encode([prompt]))
            assert torch.allclose(together[i], alone[0], atol=1e-5), (family, side, i)
        logits = model(**batch)
    assert {t: tuple(v.shape) for t, v in logits.items()} == {"grade": (2, 4), "er": (2, 4), "her2": (2, 4)}
    assert not torch.allclose(together[:, 0], together[:, 2])  # heads read different tokens


@pytest.mark.parametrize("family", ["decoder", "encoder"])
def test_built_prompts_and_their_text_tokenize_alike(tiny_bases, family):
    # A Prompt hands the model its hint spans and rule values; the same text given as a plain string is read
    # for them. Positions, rule-value indices and the cut before the Hints block must not differ.
    tasks = ["grade", "er", "her2"]
    prompts = [build_prompt(report, {"grade": ["grade 2"], "er": ["er | positive"], "her2": ["Hints: her2 0"]},
                            tasks, values=values)
               for report in ("x", "Hints: a report line\nER_hint: no | " + " ".join(["tumour"] * 300))
               for values in ({"grade": "G2", "er": "Positive", "her2": None}, {"grade": None}, {})]
    model = build_model(tiny_bases[family], tasks=tasks, adapter="frozen", pooling="task", rule_prior=True,
                        max_length=96, device="cpu")
    built, text = model.tokenize(prompts), model.tokenize([p.text for p in prompts])
    assert [list(r) for r in built] == [list(r) for r in text]
    assert [r.task_positions for r in built] == [r.task_positions for r in text]
    assert [r.rule_values for r in built] == [r.rule_values for r in text]
    assert built[0].rule_values == [1, 0, 4] and built[1].rule_values == [4, 4, 4]


def test_task_pooling_trains_and_survives_save_load(tiny_bases, tmp_path):
    model = build_model(tiny_bases["decoder"], tasks=["grade", "er", "her2"], adapter="lora", pooling="task", device="cpu")
    model.calibrate(TASK_PROMPTS)
    logits = model(**model.encode(TASK_PROMPTS))
    sum(lg.sum() for lg in logits.values()).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for n, p in model.named_parameters() if "lora" in n)
    model.save(tmp_path / "out")
    again = load_model(tmp_path / "out", base=tiny_bases["decoder"], device="cpu")
    assert again.model_config.pooling == "task"
    p1, p2 = Predictor(model.eval()).predict_proba(TASK_PROMPTS), Predictor(again).predict_proba(TASK_PROMPTS)
    assert all(torch.allclose(p1[t], p2[t], atol=1e-5) for t in p1)
    with pytest.raises(PathxError, match="pooling"):
        build_model(tiny_bases["decoder"], tasks=["er"], pooling="max", device="cpu")


@pytest.mark.parametrize("family", ["decoder", "encoder"])
def test_long_report_is_cut_before_the_hints_block(tiny_bases, family):
    prompt = build_prompt(" ".join(["tumour"] * 400), {"er": ["er positive"]}, ("er", "her2"))
    model = build_model(tiny_bases[family], tasks=["er", "her2"], adapter="frozen", pooling="task",
                        max_length=64, device="cpu")
    ids = model.tokenize([prompt])[0]
    tokens = model.tokenizer.convert_ids_to_tokens(ids)
    assert len(ids) == 64
    pre, post = model._wrap
    assert ids[: len(pre)] == pre and ids[len(ids) - len(post):] == post  # specials survive the cut
    assert tokens[ids.task_positions[0]] == "positive"
    assert ids.task_positions[1] == len(ids) - len(post) - 1  # "none", the prompt's last word
    model.model_config.truncation_side = "right"  # the plain cut loses the hints
    cut = model.tokenizer.convert_ids_to_tokens(model.tokenize([prompt])[0])
    assert cut[-len(post) - 1] == "tumour" and tokens[-len(post) - 1] != "tumour"


def test_rule_prior_starts_from_the_rules_and_survives_save_load(tiny_bases, tmp_path):
    tasks = ["grade", "er"]
    prompts = [build_prompt("x", {"grade": ["g"], "er": ["e"]}, tasks, values={"grade": g, "er": e})
               for g, e in [("G1", "Positive"), ("G3", None), ("G3", "Negative"), (None, "Positive")]]
    model = build_model(tiny_bases["decoder"], tasks=tasks, adapter="lora", pooling="task", rule_prior=True,
                        device="cpu")
    ids = model.tokenize(prompts)
    classes = model.model_config.classes
    assert [row.rule_values for row in ids] == [[0, 0], [2, 4], [2, 1], [4, 0]]  # 4 = no value
    # Labels: grade always agrees with the rules; er says Negative whenever the rules said Positive.
    labels = {"grade": torch.tensor([0, 2, 2, -100]), "er": torch.tensor([1, 0, 1, 1])}
    model.init_rule_prior(ids, labels)
    prior = model.rule_priors["grade"].detach()
    assert prior[0].argmax() == 0 and prior[2].argmax() == 2
    assert torch.allclose(prior[2].exp(), torch.tensor([1, 1, 3, 1]) / 6)  # Laplace: (0+1, 0+1, 2+1, 0+1)/6
    with torch.no_grad():  # heads silent: the model answers what the training counts say
        for head in model.heads.values():
            head.weight.zero_(); head.bias.zero_()
        logits = model(**model.collate(ids))
    assert logits["grade"].argmax(dim=1).tolist()[:3] == [0, 2, 2]
    assert logits["er"].argmax(dim=1).tolist()[0] == classes["er"].index("Negative")
    with pytest.raises(PathxError, match="rule_values"):
        model(input_ids=torch.ones(1, 3, dtype=torch.long), attention_mask=torch.ones(1, 3, dtype=torch.long),
              task_positions=torch.zeros(1, 2, dtype=torch.long))
    sum(lg.sum() for lg in model(**model.collate(ids)).values()).backward()
    assert model.rule_priors["er"].grad is not None  # trained with the rest
    model.save(tmp_path / "out")
    again = load_model(tmp_path / "out", base=tiny_bases["decoder"], device="cpu")
    assert again.model_config.rule_prior and torch.equal(again.rule_priors["grade"], model.rule_priors["grade"])
    p1, p2 = Predictor(model.eval()).predict_proba(prompts), Predictor(again).predict_proba(prompts)
    assert all(torch.allclose(p1[t], p2[t], atol=1e-5) for t in p1)
