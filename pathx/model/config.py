"""The classifier's config, stored beside its weights (config.json) and in a bundle's header.

A ModelConfig checks itself on construction (ModelConfigError, a ConfigError and a PathxError,
naming the field), so a config with an unknown pooling, task or adapter fails where it is built
or read, never deep inside a forward pass. `chat_template` None and `hidden_size` 0 mean "not
yet known": the builder fills them from the tokenizer and the backbone.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pathx import schema
from pathx.configcheck import Checker, ConfigError
from pathx.errors import PathxError
from pathx.model import adapters

CONFIG_FORMAT = "pathx-multitask-1"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "adapter_heads.safetensors"
NORM_BUFFERS = ("feature_mean", "feature_std")  # saved beside adapters and heads

POOLINGS = ("last", "mean", "cls", "task")
PADDING_SIDES = ("left", "right")
TRUNCATION_SIDES = ("report", "right", "left")  # report: drop the report's end, keep the Hints block
QUANTS = ("nf4",)  # 4-bit NF4 backbone (QLoRA); None: full precision
FAMILIES = ("decoder", "encoder")


class ModelConfigError(ConfigError, PathxError):
    """A model config field is invalid; the message names the field."""


@dataclass
class ModelConfig:
    base: dict  # BaseModel.identity(): name, sha256, family, model_type
    tasks: list[str]
    classes: dict[str, list[str]]
    adapter: dict  # adapters.make(...).to_dict()
    pooling: str  # "last" | "mean" | "cls" | "task"
    padding_side: str = "right"
    truncation_side: str = "report"  # report (keeps the Hints block) | right | left
    max_length: int = 512
    chat_template: bool | None = False  # wrap prompts in the tokenizer's chat template (decoders)
    pad_token: str = ""
    pad_token_added: bool = False
    quant: str | None = None
    hidden_size: int = 0
    rule_prior: bool = False  # add a learned table indexed by the rule engine's value to each head's logits
    format: str = CONFIG_FORMAT
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        try:
            self._check(Checker(self))
        except ConfigError as err:
            raise ModelConfigError(err.owner, err.field, err.message) from None

    def _check(self, check: Checker) -> None:
        if self.format != CONFIG_FORMAT:
            check.fail("format", f"model config format {self.format!r} is not {CONFIG_FORMAT}")
        base = self.base
        if not isinstance(base, dict) or not all(isinstance(base.get(k), str) for k in ("name", "sha256")) \
                or base.get("family") not in FAMILIES:
            check.fail("base", "must hold the base model's name, sha256 and family (decoder or encoder)")
        if isinstance(self.tasks, list) and any(t not in schema.VOCAB for t in self.tasks):
            bad = next(t for t in self.tasks if t not in schema.VOCAB)
            check.fail("tasks", f"unknown task {bad!r}; tasks are {', '.join(schema.TASKS)}")
        check.names("tasks", schema.TASKS)
        if not isinstance(self.classes, dict) or any(
                not isinstance(self.classes.get(t), list) or len(self.classes[t]) < 2 for t in self.tasks):
            check.fail("classes", "must list two or more classes for every task")
        if not isinstance(self.adapter, dict):
            check.fail("adapter", f"must be an adapter dict, not {self.adapter!r}")
        adapters.make(self.adapter)  # an unknown name or field raises here
        check.one_of("pooling", POOLINGS)
        check.one_of("padding_side", PADDING_SIDES)
        check.one_of("truncation_side", TRUNCATION_SIDES)
        check.integer("max_length", minimum=1)
        check.flag("chat_template", optional=True)
        check.flag("pad_token_added")
        check.one_of("quant", QUANTS, optional=True)
        check.integer("hidden_size", minimum=0)
        check.flag("rule_prior")

    @property
    def adapter_config(self) -> adapters.AdapterConfig:
        return adapters.make(self.adapter)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        if d.get("format") != CONFIG_FORMAT:
            raise PathxError(f"model config format {d.get('format')!r} is not {CONFIG_FORMAT}")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def copy(self) -> ModelConfig:
        return ModelConfig.from_dict(self.to_dict())

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ModelConfig:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as err:
            if isinstance(err, ModelConfigError):
                raise PathxError(f"{path}: bad model config: {err}") from None
            raise PathxError(f"{path}: cannot read model config ({type(err).__name__})") from None
