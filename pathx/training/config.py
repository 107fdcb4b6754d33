"""The settings and state of a fit: FitConfig (checked on construction), TrainState (saved in
every checkpoint), FitResult. Importing this module does not import torch."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from pathx import schema
from pathx.configcheck import Checker, ConfigError
from pathx.model import adapters
from pathx.model.config import PADDING_SIDES, POOLINGS, QUANTS, TRUNCATION_SIDES


@dataclass
class FitConfig:
    tasks: list[str] | None = None  # None: all of schema.TASKS
    adapter: str | dict = "lora"  # lora | ia3 | prefix | frozen, or {"name": "lora", "r": 8, ...}
    quant: str | None = None  # "nf4": 4-bit backbone (QLoRA) + paged 8-bit AdamW
    pooling: str | None = None  # default: last (decoder), mean (encoder)
    padding_side: str = "right"
    truncation_side: str = "report"  # drop the report's end, keep the Hints block
    chat_template: bool | None = None  # default: on for decoders whose tokenizer has one
    max_length: int = 512
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.03
    micro_batch: int = 2
    grad_accum: int = 8
    epochs: int = 3
    max_steps: int | None = None  # cap on optimizer steps; the schedule follows the cap
    max_grad_norm: float | None = 1.0
    eval_every: int | None = None  # optimizer steps between validations; None: each epoch end
    patience: int = 2  # validations without improvement before stopping
    checkpoint_every: int = 50  # optimizer steps
    class_weights: list[str] = field(default_factory=lambda: ["her2"])  # eq. 7 for these tasks
    rule_prior: bool = False  # logits += a table indexed by the rule value in each hint line (needs hint values)
    unknown_as_not_reported: bool = False  # treat None as "not reported" (fully labelled corpora)
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 42
    device: str = "auto"
    eval_batch_size: int = 8
    log_every: int | None = None  # plain-log interval in steps; None: ~50 lines per fit

    def __post_init__(self):
        check = Checker(self)
        check.names("tasks", schema.TASKS, optional=True)
        self._check_adapter(check)
        check.one_of("quant", QUANTS, optional=True)
        check.one_of("pooling", POOLINGS, optional=True)
        check.one_of("padding_side", PADDING_SIDES)
        check.one_of("truncation_side", TRUNCATION_SIDES)
        check.flag("chat_template", optional=True)
        check.integer("max_length", minimum=1)
        check.number("lr", above=0)
        check.number("weight_decay", minimum=0)
        check.number("warmup_ratio", minimum=0, below=1)
        for name in ("micro_batch", "grad_accum", "epochs", "checkpoint_every", "eval_batch_size"):
            check.integer(name, minimum=1)
        for name in ("max_steps", "eval_every", "log_every"):
            check.integer(name, minimum=1, optional=True)
        check.number("max_grad_norm", above=0, optional=True)
        check.integer("patience", minimum=0)
        check.names("class_weights", schema.TASKS, empty_ok=True)
        check.flag("rule_prior")
        check.flag("unknown_as_not_reported")
        self._check_split(check)
        check.integer("seed")
        if not isinstance(self.device, str) or not self.device:
            check.fail("device", f"must be auto, cpu, cuda or cuda:N, not {self.device!r}")

    def _check_adapter(self, check: Checker) -> None:
        try:
            adapters.make(self.adapter)
        except adapters.AdapterError:
            check.fail("adapter", f"must be one of {', '.join(adapters.names())} (or a dict with such a name), "
                                  f"not {self.adapter!r}")
        except ConfigError as err:
            check.fail("adapter", f"{err.field}: {err.message}")

    def _check_split(self, check: Checker) -> None:
        parts = self.split
        if (not isinstance(parts, (list, tuple)) or len(parts) != 3
                or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and f >= 0 for f in parts)
                or parts[0] <= 0 or abs(sum(parts) - 1) > 1e-6):
            check.fail("split", f"must be three fractions (train, val, test), train > 0, adding up to 1, not {parts!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FitResult:
    out_dir: Path
    global_step: int
    best_val_loss: float | None
    stopped_early: bool
    metrics: dict
    model: object | None = None  # the MultiTaskClassifier, with the best weights loaded


@dataclass
class TrainState:
    """Optimizer-free progress, saved as JSON in each checkpoint."""

    global_step: int = 0
    epoch: int = 0
    step_in_epoch: int = 0  # optimizer steps done in `epoch`
    best_val_loss: float | None = None
    best_step: int = 0
    bad_evals: int = 0
    stopped_early: bool = False
    finished: bool = False
    train_seconds: float = 0.0
    tokens_seen: int = 0
    history: list[dict] = field(default_factory=list)
