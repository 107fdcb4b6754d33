"""Adapter methods (the paper's four arms: lora, ia3, prefix, frozen), one registry.

Each method is a config dataclass registered under its name. It validates its own fields on
construction (a ConfigError naming the field), says what it does to the model (`virtual_tokens`:
positions it takes before the prompt; `mergeable`: whether `bundle export --merge` can fold it
into the base weights) and builds its peft config for a backbone `Architecture`. Model and bundle
code ask the registry (`make`, `get`, `names`); they never test adapter names or classes.

    make("lora") / make({"name": "lora", "r": 8}) / make(LoraAdapter(r=8))  ->  an adapter config
    names()  ->  ("lora", "ia3", "prefix", "frozen")   (the CLI's --adapter choices)

`to_dict()` is what a model config and a bundle store: {"name": ..., **fields}.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from pathx.configcheck import Checker, ConfigError
from pathx.errors import PathxError
from pathx.model.backbones import Architecture


class AdapterError(PathxError):
    """An adapter spec names no registered method."""


@dataclass
class AdapterConfig:
    """Base of the adapter configs; subclasses set `name` and register themselves."""

    name: ClassVar[str] = ""
    mergeable: ClassVar[bool] = False  # LoRA folds into the base weights; frozen has nothing to fold

    @property
    def virtual_tokens(self) -> int:
        """Positions the adapter takes in front of the prompt (shortens an encoder's max length)."""
        return 0

    def peft_config(self, arch: Architecture):
        """The peft config that wraps the backbone, or None (heads only)."""
        return None

    def to_dict(self) -> dict:
        return {"name": self.name, **asdict(self)}


def _check_modules(check: Checker, field: str) -> None:
    value = getattr(check.config, field)
    if value is not None and (isinstance(value, str) or not isinstance(value, (list, tuple))
                              or not value or not all(isinstance(v, str) and v for v in value)):
        check.fail(field, f"must be a non-empty list of module names, not {value!r}")


_REGISTRY: dict[str, type[AdapterConfig]] = {}


def register(cls: type[AdapterConfig]) -> type[AdapterConfig]:
    """Class decorator: make an adapter config available under `cls.name`."""
    if not cls.name or cls.name in _REGISTRY:
        raise ValueError(f"adapter name {cls.name!r} is empty or taken")
    _REGISTRY[cls.name] = cls
    return cls


@register
@dataclass
class LoraAdapter(AdapterConfig):
    name: ClassVar[str] = "lora"
    mergeable: ClassVar[bool] = True
    r: int = 16
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list[str] | None = None  # None: the architecture's attention projections

    def __post_init__(self):
        check = Checker(self)
        check.integer("r", minimum=1)
        check.number("alpha", above=0)
        check.number("dropout", minimum=0, below=1)
        _check_modules(check, "target_modules")

    def peft_config(self, arch: Architecture):
        from peft import LoraConfig, TaskType

        targets = self.target_modules or arch.lora_targets
        if not targets:
            raise PathxError(f"no default LoRA targets for model type {arch.model_type!r}; pass target_modules")
        return LoraConfig(r=self.r, lora_alpha=self.alpha, lora_dropout=self.dropout, target_modules=list(targets),
                          bias="none", task_type=TaskType.FEATURE_EXTRACTION)


@register
@dataclass
class Ia3Adapter(AdapterConfig):
    name: ClassVar[str] = "ia3"
    target_modules: list[str] | None = None  # None: peft's defaults for the model type
    feedforward_modules: list[str] | None = None

    def __post_init__(self):
        check = Checker(self)
        _check_modules(check, "target_modules")
        _check_modules(check, "feedforward_modules")

    def peft_config(self, arch: Architecture):
        from peft import IA3Config, TaskType

        return IA3Config(target_modules=self.target_modules, feedforward_modules=self.feedforward_modules,
                         task_type=TaskType.FEATURE_EXTRACTION)


@register
@dataclass
class PrefixAdapter(AdapterConfig):
    # peft prefix tuning feeds trained key/value prefixes as past_key_values; the hidden states
    # keep the prompt's length, so pooling by the prompt's own attention mask stays right.
    name: ClassVar[str] = "prefix"
    num_virtual_tokens: int = 32

    def __post_init__(self):
        Checker(self).integer("num_virtual_tokens", minimum=1)

    @property
    def virtual_tokens(self) -> int:
        return self.num_virtual_tokens

    def peft_config(self, arch: Architecture):
        from peft import PrefixTuningConfig, TaskType

        return PrefixTuningConfig(num_virtual_tokens=self.num_virtual_tokens, task_type=TaskType.FEATURE_EXTRACTION)


@register
@dataclass
class FrozenAdapter(AdapterConfig):
    """Heads only: the backbone stays as it is."""

    name: ClassVar[str] = "frozen"
    mergeable: ClassVar[bool] = True


def names() -> tuple[str, ...]:
    """Registered adapter names, in registration order."""
    return tuple(_REGISTRY)


def get(name: str) -> type[AdapterConfig]:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise AdapterError(f"unknown adapter {name!r}; adapters are {', '.join(_REGISTRY)}") from None


def make(spec: str | dict | AdapterConfig) -> AdapterConfig:
    """'lora' | {'name': 'lora', 'r': 8, ...} | an adapter config -> an adapter config.

    Raises AdapterError for an unknown name and ConfigError for a bad or unknown field."""
    if isinstance(spec, AdapterConfig):
        return spec
    params = {"name": spec} if isinstance(spec, str) else dict(spec) if isinstance(spec, dict) else None
    if params is None:
        raise AdapterError(f"an adapter is a name or a dict with a name, not {type(spec).__name__}")
    cls = get(params.pop("name", None))
    try:
        return cls(**params)
    except TypeError:
        unknown = sorted(set(params) - set(cls.__dataclass_fields__))
        raise ConfigError(cls.__name__, unknown[0] if unknown else "?", "is not a field of this adapter") from None


__all__ = ["AdapterConfig", "AdapterError", "LoraAdapter", "Ia3Adapter", "PrefixAdapter", "FrozenAdapter",
           "register", "names", "get", "make"]
