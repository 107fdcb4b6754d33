"""The backbone architecture table, the adapter registry and ModelConfig's own checks (no model
is built: these run in milliseconds)."""
from __future__ import annotations

import pytest

from pathx import schema
from pathx.configcheck import ConfigError
from pathx.errors import PathxError
from pathx.model import adapters
from pathx.model.backbones import ARCHITECTURES, BaseModelError, architecture, family_of
from pathx.model.config import ModelConfig, ModelConfigError


def test_registry_names_are_the_four_arms_and_make_round_trips():
    assert adapters.names() == ("lora", "ia3", "prefix", "frozen")
    for name in adapters.names():
        made = adapters.make(name)
        assert made.name == name and adapters.make(made.to_dict()).to_dict() == made.to_dict()
    # The stored shape is the one bundles carry: name first, then the fields.
    assert adapters.make("lora").to_dict() == {"name": "lora", "r": 16, "alpha": 16, "dropout": 0.05,
                                               "target_modules": None}
    assert adapters.make({"name": "prefix", "num_virtual_tokens": 8}).virtual_tokens == 8
    assert adapters.make("lora").virtual_tokens == 0
    assert [n for n in adapters.names() if adapters.get(n).mergeable] == ["lora", "frozen"]


@pytest.mark.parametrize("spec, field", [
    ({"name": "lora", "r": 0}, "r"),
    ({"name": "lora", "dropout": 1.5}, "dropout"),
    ({"name": "lora", "target_modules": "q_proj"}, "target_modules"),
    ({"name": "prefix", "num_virtual_tokens": -1}, "num_virtual_tokens"),
    ({"name": "ia3", "rank": 4}, "rank"),
])
def test_adapter_configs_check_themselves(spec, field):
    with pytest.raises(ConfigError, match=field):
        adapters.make(spec)


def test_unknown_adapter_is_a_pathx_error():
    with pytest.raises(PathxError, match="unknown adapter 'lora2'"):
        adapters.make("lora2")
    with pytest.raises(PathxError, match="unknown adapter None"):
        adapters.make({"r": 8})


def test_architecture_rows_carry_the_backbone_facts():
    llama, bert, roberta = architecture("llama", "decoder"), architecture("bert", "encoder"), ARCHITECTURES["roberta"]
    assert llama.default_pooling == "last" and llama.counted_positions and "q_proj" in llama.lora_targets
    assert bert.default_pooling == "mean" and bert.counted_positions and bert.drop_pooler and bert.reserved_positions == 0
    assert not roberta.counted_positions and roberta.reserved_positions == 2 and roberta.lora_targets == bert.lora_targets
    assert ARCHITECTURES["deberta-v2"].lora_targets is None  # LoRA needs target_modules there
    # A model type the table lacks gets its family's generic row.
    assert architecture("newllm", "decoder").lora_targets == llama.lora_targets
    assert architecture("newbert", "encoder").lora_targets is None
    with pytest.raises(BaseModelError):
        architecture("x", "other")
    assert family_of({"model_type": "qwen2"}) == "decoder"
    assert family_of({"model_type": "unknown", "architectures": ["FooForCausalLM"]}) == "decoder"


def _config(**changes) -> dict:
    d = {"base": {"name": "b", "sha256": "0" * 64, "family": "encoder", "model_type": "bert"},
         "tasks": ["er"], "classes": {"er": list(schema.model_classes("er"))}, "adapter": {"name": "lora"},
         "pooling": "mean"}
    d.update(changes)
    return d


def test_model_config_checks_itself_where_it_is_built():
    assert ModelConfig(**_config()).adapter_config.name == "lora"
    for changes, field in [({"pooling": "max"}, "pooling"), ({"tasks": ["ki67"]}, "unknown task"),
                           ({"padding_side": "up"}, "padding_side"), ({"max_length": 0}, "max_length"),
                           ({"quant": "int8"}, "quant"), ({"base": {"name": "b"}}, "base"),
                           ({"adapter": {"name": "lora", "r": 0}}, "r")]:
        with pytest.raises(ModelConfigError, match=field):
            ModelConfig(**_config(**changes))
    with pytest.raises(PathxError, match="unknown adapter"):
        ModelConfig(**_config(adapter={"name": "nope"}))
    assert issubclass(ModelConfigError, PathxError) and issubclass(ModelConfigError, ConfigError)
