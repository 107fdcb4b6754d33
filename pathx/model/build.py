"""Building and loading the classifier: base model + tokenizer + adapter + heads.

    build_model(base, tasks, adapter="lora", ...)    a fresh model to train
    build_from_config(config, base)                  the architecture a stored config describes
    load_model(fit_dir)                              a trained model from a `pathx fit` folder

Bundles are loaded by pathx.bundle.reader, which hands its checked config and tensors to
`build_from_config` + `load_trainable_state_dict`. The backbone's family, pooling default, LoRA
targets, reserved positions and pooler come from its Architecture row; the adapter from the
adapter registry; no model-type or adapter names are tested here.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from pathx import schema
from pathx.errors import PathxError
from pathx.model import adapters
from pathx.model.backbones import BaseModel, BaseModelError, resolve_base
from pathx.model.classifier import MultiTaskClassifier, resolve_device
from pathx.model.config import CONFIG_FILE, WEIGHTS_FILE, ModelConfig
from pathx.model.tokens import load_tokenizer


def load_backbone(base: BaseModel, quant: str | None, device: torch.device):
    from transformers import AutoModel

    kwargs: dict = {"local_files_only": True, "dtype": torch.float32}
    if quant == "nf4":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        kwargs["device_map"] = {"": device.index or 0} if device.type == "cuda" else "cpu"
    elif quant is not None:
        raise PathxError(f"unknown quantisation {quant!r}; use nf4 or none")
    if base.architecture.drop_pooler:
        kwargs["add_pooling_layer"] = False  # pooling is ours; BERT's pooler would sit unused
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # load reports and progress bars are noise in cron logs
    hf_logging.disable_progress_bar()
    try:
        model = AutoModel.from_pretrained(str(base.path), **kwargs)
    except Exception as err:
        raise BaseModelError(f"base {base.source}: cannot load weights ({type(err).__name__}: {str(err)[:120]})") from None
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
    if quant is None:
        model.to(device)
    return model


def _resize_for_pad(backbone: nn.Module, tokenizer) -> None:
    """Grow the embedding matrix for the added pad token; the new row is the mean of the old
    rows, so it is the same on every load (the pad row never reaches a pooled state anyway)."""
    emb = backbone.get_input_embeddings()
    old = emb.weight.shape[0]
    if len(tokenizer) <= old:
        backbone.config.pad_token_id = tokenizer.pad_token_id
        return
    backbone.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    with torch.no_grad():
        w = backbone.get_input_embeddings().weight
        w[old:] = w[:old].float().mean(dim=0).to(w.dtype)
    backbone.config.pad_token_id = tokenizer.pad_token_id


def build_model(
    base: str | os.PathLike | BaseModel,
    tasks: list[str] | tuple[str, ...] | None = None,
    adapter: str | dict | adapters.AdapterConfig = "lora",
    pooling: str | None = None,
    padding_side: str = "right",
    truncation_side: str = "report",
    max_length: int = 512,
    chat_template: bool | None = None,
    quant: str | None = None,
    device: str | torch.device | None = "auto",
    seed: int = 42,
    rule_prior: bool = False,
) -> MultiTaskClassifier:
    """A fresh classifier: base backbone + adapter (randomly initialised) + new heads.

    pooling defaults to "last" for decoders and "mean" for encoders ("task": per-task hint lines); chat_template defaults to
    True for decoders whose tokenizer has one."""
    tasks = list(tasks or schema.TASKS)
    if not isinstance(base, BaseModel):
        base = resolve_base(base)
    config = ModelConfig(
        base=base.identity(),
        tasks=tasks,
        classes={t: list(schema.model_classes(t)) for t in tasks if t in schema.VOCAB},
        adapter=adapters.make(adapter).to_dict(),
        pooling=pooling or base.architecture.default_pooling,
        padding_side=padding_side,
        truncation_side=truncation_side,
        max_length=max_length,
        chat_template=bool(chat_template) if chat_template is not None else None,
        quant=quant,
        rule_prior=rule_prior,
    )
    return assemble(base, config, device, seed)


def assemble(base: BaseModel, config: ModelConfig, device, seed: int) -> MultiTaskClassifier:
    """The classifier a (checked) config describes on `base`: tokenizer with its pad token,
    backbone (resized for the pad), the adapter from the registry, fresh heads (seeded).
    Fills config.chat_template, pad_token, hidden_size and the usable max_length."""
    device, arch = resolve_device(device), base.architecture
    torch.manual_seed(seed)  # adapter and head init
    tokenizer, added = load_tokenizer(base, config.padding_side, config.truncation_side)
    if config.chat_template is None:
        config.chat_template = arch.chat_template_default and bool(getattr(tokenizer, "chat_template", None))
    elif config.chat_template and not getattr(tokenizer, "chat_template", None):
        raise PathxError(f"base {base.name}: tokenizer has no chat template")
    config.pad_token, config.pad_token_added = tokenizer.pad_token, added
    backbone = load_backbone(base, config.quant, device)
    _resize_for_pad(backbone, tokenizer)
    config.hidden_size = int(backbone.config.hidden_size)
    adapter = config.adapter_config
    positions = getattr(backbone.config, "max_position_embeddings", None)
    if positions and arch.absolute_positions:
        # Absolute position tables end at max_position_embeddings; prefix tokens take positions too.
        room = positions - adapter.virtual_tokens - arch.reserved_positions
        config.max_length = min(config.max_length, room)
    for p in backbone.parameters():
        p.requires_grad_(False)
    peft_config = adapter.peft_config(arch)
    if peft_config is not None:
        from peft import get_peft_model

        backbone = get_peft_model(backbone, peft_config)
    model = MultiTaskClassifier(backbone, tokenizer, config)
    _place(model, device, quantised=config.quant is not None)
    return model


def _place(model: MultiTaskClassifier, device: torch.device, quantised: bool) -> None:
    model.heads.to(device)
    model.feature_mean.data, model.feature_std.data = model.feature_mean.to(device), model.feature_std.to(device)
    if not quantised:
        model.to(device)
    else:  # bitsandbytes placed the backbone; adapters follow it
        for p in model.parameters():
            if p.requires_grad and p.device != device:
                p.data = p.data.to(device)


def build_from_config(config: ModelConfig, base: str | os.PathLike | BaseModel | None = None,
                      device: str | torch.device | None = "auto") -> MultiTaskClassifier:
    """The architecture a config describes (base checked by sha256), with untrained adapter and
    heads; follow with load_trainable_state_dict(). The bundle module rebuilds models this way."""
    if not isinstance(base, BaseModel):
        base = resolve_base(base or config.base["name"], expect_sha256=config.base["sha256"])
    elif base.sha256 != config.base["sha256"]:
        raise BaseModelError(f"base {base.source}: weights sha256 differ from the model config's")
    return assemble(base, config.copy(), device, seed=0)


def load_model(
    out_dir: str | os.PathLike, base: str | os.PathLike | None = None, device: str | torch.device | None = "auto"
) -> MultiTaskClassifier:
    """Rebuild a trained classifier from a fit output dir (config.json + adapter_heads.safetensors).

    `base` overrides where the backbone is (a hospital may keep it elsewhere); its weights must
    hash to the sha256 in the config."""
    from safetensors.torch import load_file

    out_dir = Path(out_dir)
    model = build_from_config(ModelConfig.load(out_dir / CONFIG_FILE), base=base, device=device)
    weights = out_dir / WEIGHTS_FILE
    if not weights.exists():
        raise PathxError(f"{weights}: missing")
    model.load_trainable_state_dict(load_file(str(weights)))
    model.eval()
    return model

