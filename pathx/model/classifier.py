"""The multi-task classifier of the paper (III.B): an LLM backbone used as an encoder, adapted with
peft, pooled to one vector per prompt, and one linear head per task.

    backbone (peft-wrapped) -> last_hidden_state -> pool(attention mask) -> heads[task] -> logits

Decoders (Llama, SmolLM, Qwen, Mistral, ...) are pooled at the terminal non-pad token, encoders
(BERT/MiniLM) by mean or CLS: one vector for all heads, as in the paper. pooling="task" (beyond
the paper) gives each head its own vector, the state at the end of its task's hint line in the
prompt ("HER2_hint: IHC 2+; FISH amplified"), where that task's evidence sits. Pooling reads the attention mask, so it is right for either padding
side; the pad token is always a dedicated token (added when the tokenizer has none or pads with
eos) and the padding side is fixed and stored in the config.

Adapter arms (the paper's four): lora, ia3, prefix, frozen (heads only). Each is a dataclass in
ADAPTERS. Heads are fp32 and run outside autocast; the backbone runs under bf16 autocast and, with
quant="nf4", is stored in 4-bit NormalFloat by bitsandbytes (QLoRA).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from pathx import schema
from pathx.model.backbones import BaseModel, BaseModelError, resolve_base
from pathx.errors import PathxError
from pathx.fsutil import atomic_path
from pathx.ingestion.prompt import parse_prompt

# bitsandbytes (imported by peft) warns on every start that an optional CPU kernel package is
# missing; it falls back to its own NF4 code, so the line is only noise in cron logs.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

CONFIG_FORMAT = "pathx-multitask-1"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "adapter_heads.safetensors"
ADDED_PAD_TOKEN = "<|pathx_pad|>"
NORM_BUFFERS = ("feature_mean", "feature_std")  # saved beside adapters and heads

# LoRA target modules by backbone type: the four attention projections (paper S2).
LORA_TARGETS: dict[str, list[str]] = {
    "decoder": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "bert": ["query", "key", "value", "attention.output.dense"],
    "distilbert": ["q_lin", "k_lin", "v_lin", "out_lin"],
}
BERT_LIKE = {"bert", "roberta", "xlm-roberta", "camembert", "electra"}
ROBERTA_LIKE = {"roberta", "xlm-roberta", "camembert"}  # positions start at padding_idx + 1
COUNTED_POSITIONS = {"bert", "electra"}  # encoders that take plain 0-based position_ids


def _lora_targets(family: str, model_type: str) -> list[str]:
    if family == "decoder":
        return LORA_TARGETS["decoder"]
    if model_type in BERT_LIKE:
        return LORA_TARGETS["bert"]
    if model_type in LORA_TARGETS:
        return LORA_TARGETS[model_type]
    raise PathxError(f"no default LoRA targets for model type {model_type!r}; pass target_modules")


# ---------------------------------------------------------------------------------------------
# Adapter arms


@dataclass
class LoraArm:
    name: str = "lora"
    r: int = 16
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list[str] | None = None  # None: the attention projections of the family

    def peft_config(self, family: str, model_type: str):
        from peft import LoraConfig, TaskType

        return LoraConfig(
            r=self.r,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules=self.target_modules or _lora_targets(family, model_type),
            bias="none",
            task_type=TaskType.FEATURE_EXTRACTION,
        )


@dataclass
class Ia3Arm:
    name: str = "ia3"
    target_modules: list[str] | None = None  # None: peft's defaults for the model type
    feedforward_modules: list[str] | None = None

    def peft_config(self, family: str, model_type: str):
        from peft import IA3Config, TaskType

        return IA3Config(
            target_modules=self.target_modules,
            feedforward_modules=self.feedforward_modules,
            task_type=TaskType.FEATURE_EXTRACTION,
        )


@dataclass
class PrefixArm:
    # peft prefix tuning feeds trained key/value prefixes as past_key_values; the hidden states
    # keep the prompt's length, so pooling by the prompt's own attention mask stays right.
    name: str = "prefix"
    num_virtual_tokens: int = 32

    def peft_config(self, family: str, model_type: str):
        from peft import PrefixTuningConfig, TaskType

        return PrefixTuningConfig(num_virtual_tokens=self.num_virtual_tokens, task_type=TaskType.FEATURE_EXTRACTION)


@dataclass
class FrozenArm:
    name: str = "frozen"

    def peft_config(self, family: str, model_type: str):
        return None  # heads only


ADAPTERS: dict[str, type] = {"lora": LoraArm, "ia3": Ia3Arm, "prefix": PrefixArm, "frozen": FrozenArm}
AdapterArm = LoraArm | Ia3Arm | PrefixArm | FrozenArm


def make_adapter(spec: str | dict | AdapterArm) -> AdapterArm:
    """'lora' | {'name': 'lora', 'r': 8, ...} | an arm instance -> an arm instance."""
    if isinstance(spec, tuple(ADAPTERS.values())):
        return spec
    if isinstance(spec, str):
        spec = {"name": spec}
    params = dict(spec)
    name = params.pop("name", None)
    if name not in ADAPTERS:
        raise PathxError(f"unknown adapter {name!r}; adapters are {', '.join(ADAPTERS)}")
    return ADAPTERS[name](**params)


# ---------------------------------------------------------------------------------------------
# Config stored beside the weights


@dataclass
class ModelConfig:
    base: dict  # BaseModel.identity(): name, sha256, family, model_type
    tasks: list[str]
    classes: dict[str, list[str]]
    adapter: dict
    pooling: str  # "last" | "mean" | "cls" | "task"
    padding_side: str = "right"
    truncation_side: str = "report"  # report (keeps the Hints block) | right | left
    max_length: int = 512
    chat_template: bool = False  # wrap prompts in the tokenizer's chat template (decoders)
    pad_token: str = ""
    pad_token_added: bool = False
    quant: str | None = None
    hidden_size: int = 0
    rule_prior: bool = False  # add a learned table indexed by the rule engine's value to each head's logits
    format: str = CONFIG_FORMAT
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        if d.get("format") != CONFIG_FORMAT:
            raise PathxError(f"model config format {d.get('format')!r} is not {CONFIG_FORMAT}")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ModelConfig:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as err:
            raise PathxError(f"{path}: cannot read model config ({type(err).__name__})") from None


# ---------------------------------------------------------------------------------------------
# Pooling


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: str) -> torch.Tensor:
    """One vector per row from (B, L, H) hidden states, reading only tokens where mask == 1.
    last: the terminal non-pad token; cls: the first non-pad token; mean: average of non-pad."""
    mask = attention_mask.to(hidden.device)
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    positions = torch.arange(hidden.shape[1], device=hidden.device)
    if how == "last":
        return hidden[rows, (mask * positions).argmax(dim=1)]
    if how == "cls":
        return hidden[rows, mask.argmax(dim=1)]  # argmax returns the first maximum
    if how == "mean":
        keep = mask.unsqueeze(-1).bool()
        # where(), not a product: a fully masked pad row may hold NaN, and NaN * 0 is NaN.
        total = torch.where(keep, hidden, torch.zeros((), dtype=hidden.dtype, device=hidden.device)).sum(dim=1)
        return total / keep.sum(dim=1).clamp(min=1).to(hidden.dtype)
    raise PathxError(f"unknown pooling {how!r}; use {', '.join(POOLINGS)}")


POOLINGS = ("last", "mean", "cls", "task")
PADDING_SIDES = ("left", "right")
TRUNCATION_SIDES = ("report", "right", "left")  # report: drop the report's end, keep the Hints block
QUANTS = ("nf4",)  # 4-bit NF4 backbone (QLoRA); None: full precision


class TokenIds(list):
    """Token ids of one prompt; with pooling="task" also `task_positions`, the index of each
    task's pooling token (end of its hint line), in model task order; with a rule prior also
    `rule_values`, the class index of the rule engine's value per task (len(classes): none)."""

    task_positions: list[int] | None = None
    rule_values: list[int] | None = None


def _cut(ids: list[int], offsets: list, budget: int, side: str, hints_at: int) -> tuple[list[int], list]:
    """Cut a prompt's tokens to `budget` (see MultiTaskClassifier.tokenize)."""
    if len(ids) <= budget:
        return ids, offsets
    if side == "left":
        return ids[-budget:], offsets[-budget:]
    tail = len(ids)  # first token of the Hints block
    if side == "report" and hints_at >= 0:
        tail = next((i for i, (a, b) in enumerate(offsets) if b > a and a >= hints_at), len(ids))
    keep = budget - (len(ids) - tail)
    if keep <= 0:  # no report left to drop (hints alone too long): cut the end
        return ids[:budget], offsets[:budget]
    return ids[:keep] + ids[tail:], offsets[:keep] + offsets[tail:]


def _special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after a text ([CLS] / [SEP], <s>)."""
    enc = tokenizer("x", return_offsets_mapping=True)
    real = [i for i, (a, b) in enumerate(enc["offset_mapping"]) if b > a]
    ids = list(enc["input_ids"])
    return (ids[: real[0]], ids[real[-1] + 1 :]) if real else (ids, [])


def _last_token_before(offsets, end: int, lo: int = 0) -> int:
    """Index of the last real token (offset != (0, 0)) that starts before character `end`."""
    best = lo
    for i, (a, b) in enumerate(offsets):
        if b > a and a < end:
            best = i
    return best


def _class_index(classes: list[str], value: str | None) -> int:
    """Index of a rule value among a task's classes; len(classes) for none or an unknown value."""
    return classes.index(value) if value in classes else len(classes)


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


# ---------------------------------------------------------------------------------------------
# The model


class MultiTaskClassifier(nn.Module):
    def __init__(self, backbone: nn.Module, tokenizer, config: ModelConfig):
        super().__init__()
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.model_config = config
        self.heads = nn.ModuleDict(
            {t: nn.Linear(config.hidden_size, len(config.classes[t]), dtype=torch.float32) for t in config.tasks}
        )
        if not getattr(tokenizer, "is_fast", False):
            raise PathxError("the base model's tokenizer has no fast (Rust) version; pathx needs its character offsets")
        # Token ids before/after every prompt: the chat template's, else the tokenizer's specials.
        self._wrap = (_split_chat_template(tokenizer) if config.chat_template else None) or _special_tokens(tokenizer)
        # Per-dimension standardisation of the pooled state, set from training data by
        # `calibrate()`. Decoder states carry a few huge, nearly constant dimensions (pairwise
        # cosine ~0.99 across reports for SmolLM2), which otherwise drown the signal the linear
        # heads need; identity until calibrated. Saved with the heads.
        self.register_buffer("feature_mean", torch.zeros(config.hidden_size))
        self.register_buffer("feature_std", torch.ones(config.hidden_size))
        # Rule prior: logits[task] += rule_priors[task][rule value], one row per class the rule
        # engine can state plus one for "resolved nothing". Set from training counts by
        # `init_rule_prior()` (log P(gold | rule value)), then trained with the rest: the model
        # starts from the rules' answer and the backbone learns where to depart from it.
        self.rule_priors = nn.ParameterDict(
            {t: nn.Parameter(torch.zeros(len(config.classes[t]) + 1, len(config.classes[t])))
             for t in config.tasks} if config.rule_prior else {}
        )

    @torch.no_grad()
    def calibrate(self, prompts: list[str], batch_size: int = 8) -> None:
        """Set the pooled-state mean/std from (a sample of) the training prompts."""
        was_training = self.training
        self.eval()
        feats = []
        ids = self.tokenize(list(prompts))
        for i in range(0, len(ids), batch_size):
            batch = self.collate(ids[i : i + batch_size])
            positions = batch.get("task_positions")
            with torch.autocast(self.device.type, dtype=torch.bfloat16):
                feats.append(self.pooled(batch["input_ids"].to(self.device), batch["attention_mask"].to(self.device),
                                         None if positions is None else positions.to(self.device)).float())
        f = torch.cat(feats).reshape(-1, self.model_config.hidden_size)  # task vectors pooled together
        self.feature_mean.copy_(f.mean(dim=0))
        self.feature_std.copy_(f.std(dim=0).clamp(min=1e-3) if len(f) > 1 else torch.ones_like(f[0]))
        self.train(was_training)

    @torch.no_grad()
    def init_rule_prior(self, ids: list[TokenIds], labels: dict[str, torch.Tensor], ignore: int = -100,
                        smoothing: float = 1.0) -> None:
        """Set each task's rule prior to log P(gold class | rule value), counted over the training
        prompts (ids from `tokenize`) and their class-index labels (`ignore` = unlabelled),
        Laplace-smoothed."""
        if not self.model_config.rule_prior:
            raise PathxError("this model has no rule prior (fit it with rule_prior=True)")
        values = [row.rule_values for row in ids]
        for i, t in enumerate(self.model_config.tasks):
            k = len(self.model_config.classes[t])
            counts = torch.full((k + 1, k), smoothing)
            for row, y in zip(values, labels[t].tolist()):
                if y != ignore:
                    counts[row[i], y] += 1
            self.rule_priors[t].copy_((counts / counts.sum(dim=1, keepdim=True)).log())

    @property
    def tasks(self) -> list[str]:
        return list(self.model_config.tasks)

    @property
    def device(self) -> torch.device:
        return next(self.heads.parameters()).device

    # -- tokenisation -------------------------------------------------------------------------
    def tokenize(self, prompts: list[str]) -> list[list[int]]:
        """Token ids per prompt (cut to max_length, not padded), as TokenIds.

        Special tokens or the chat template wrap the prompt and always survive a cut. The
        default cut ("report") drops the end of the Report block, so Field/Classes and the Hints
        block (and the pooled tokens) stay; "right"/"left" cut the prompt's end/start."""
        cfg = self.model_config
        prompts = list(prompts)
        pre, post = self._wrap
        budget = max(1, cfg.max_length - len(pre) - len(post))
        enc = self.tokenizer([str(p) for p in prompts], add_special_tokens=False, return_offsets_mapping=True,
                             verbose=False)
        out = []
        for prompt, ids, offsets in zip(prompts, enc["input_ids"], enc["offset_mapping"]):
            prompt = parse_prompt(prompt, cfg.tasks)  # a built Prompt as it is; plain text is read once
            ids, offsets = _cut(list(ids), list(offsets), budget, cfg.truncation_side, prompt.hints_at)
            row = TokenIds(pre + ids + post)
            if cfg.pooling == "task":
                row.task_positions = [len(pre) + _last_token_before(offsets, e) for e in prompt.hint_line_ends(cfg.tasks)]
            if cfg.rule_prior:
                row.rule_values = [_class_index(cfg.classes[t], v) for t, v in zip(cfg.tasks, prompt.values_for(cfg.tasks))]
            out.append(row)
        return out

    def collate(self, id_lists: list[list[int]]) -> dict[str, torch.Tensor]:
        """Pad to the longest in the batch on the configured side with the dedicated pad token."""
        width = max(len(ids) for ids in id_lists)
        pad_id = self.tokenizer.pad_token_id
        input_ids = torch.full((len(id_lists), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(id_lists), width), dtype=torch.long)
        per_task = self.model_config.pooling == "task"
        positions = torch.zeros((len(id_lists), len(self.model_config.tasks)), dtype=torch.long)
        for i, ids in enumerate(id_lists):
            shift = 0 if self.model_config.padding_side == "right" else width - len(ids)
            input_ids[i, shift : shift + len(ids)] = torch.tensor(ids, dtype=torch.long)
            mask[i, shift : shift + len(ids)] = 1
            if per_task:
                if getattr(ids, "task_positions", None) is None:
                    raise PathxError("pooling 'task' needs ids from model.tokenize() (task positions)")
                positions[i] = torch.tensor(ids.task_positions, dtype=torch.long) + shift
        batch = {"input_ids": input_ids, "attention_mask": mask}
        if per_task:
            batch["task_positions"] = positions
        if self.model_config.rule_prior:
            if any(getattr(ids, "rule_values", None) is None for ids in id_lists):
                raise PathxError("a rule prior needs ids from model.tokenize() (rule values)")
            batch["rule_values"] = torch.tensor([ids.rule_values for ids in id_lists], dtype=torch.long)
        return batch

    def encode(self, prompts: list[str]) -> dict[str, torch.Tensor]:
        return self.collate(self.tokenize(prompts))

    # -- forward ------------------------------------------------------------------------------
    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
               task_positions: torch.Tensor | None = None) -> torch.Tensor:
        """(B, H), or (B, tasks, H) with pooling "task"."""
        # Positions count real tokens only, so left padding gives the same states as right
        # padding (BERT's absolute positions would otherwise shift by the pad count).
        kwargs = {}
        if self.model_config.base.get("family") == "decoder" or self.model_config.base.get("model_type") in COUNTED_POSITIONS:
            kwargs["position_ids"] = (attention_mask.cumsum(dim=-1) - 1).clamp(min=0)
        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        hidden = out.last_hidden_state
        if self.model_config.pooling == "task":
            if task_positions is None:
                raise PathxError("pooling 'task' needs task_positions (use model.collate)")
            rows = torch.arange(hidden.shape[0], device=hidden.device).unsqueeze(1)
            return hidden[rows, task_positions.to(hidden.device)]
        return pool(hidden, attention_mask, self.model_config.pooling)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                task_positions: torch.Tensor | None = None,
                rule_values: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        device = self.device
        input_ids, attention_mask = input_ids.to(device), attention_mask.to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            pooled = self.pooled(input_ids, attention_mask, task_positions)
        # Heads stay in full precision.
        with torch.autocast(device.type, enabled=False):
            pooled = (pooled.float() - self.feature_mean) / self.feature_std
            tasks = self.model_config.tasks
            if pooled.dim() == 3:  # per-task vectors, in model task order
                logits = {t: self.heads[t](pooled[:, i]) for i, t in enumerate(tasks)}
            else:
                logits = {t: self.heads[t](pooled) for t in tasks}
            if self.model_config.rule_prior:
                if rule_values is None:
                    raise PathxError("this model has a rule prior: pass rule_values (use model.collate)")
                rule_values = rule_values.to(device)
                logits = {t: logits[t] + self.rule_priors[t][rule_values[:, i]] for i, t in enumerate(tasks)}
            return logits

    # -- weights ------------------------------------------------------------------------------
    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """Adapter + head tensors (what training changes), names as in named_parameters(), so
        `load_trainable_state_dict` or `load_state_dict(sd, strict=False)` restores them."""
        state = {n: p.detach().to("cpu", copy=True).contiguous() for n, p in self.named_parameters() if p.requires_grad}
        state.update({n: b.detach().to("cpu", copy=True) for n, b in self.named_buffers() if n in NORM_BUFFERS})
        return state

    def load_trainable_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        params = {n: p for n, p in self.named_parameters() if p.requires_grad}
        params.update({n: b for n, b in self.named_buffers() if n in NORM_BUFFERS})
        # Fits made before pooled-state standardisation have no norm buffers: identity.
        missing, unexpected = set(params) - set(state) - set(NORM_BUFFERS), set(state) - set(params)
        if missing or unexpected:
            raise PathxError(
                f"adapter/head weights do not fit this model: {len(missing)} missing, {len(unexpected)} unexpected"
                + f" (e.g. {sorted(missing or unexpected)[0]})"
            )
        with torch.no_grad():
            for name, tensor in state.items():
                if params[name].shape != tensor.shape:
                    raise PathxError(f"adapter/head weight {name}: shape {tuple(tensor.shape)} != {tuple(params[name].shape)}")
                params[name].copy_(tensor.to(params[name].dtype))

    def num_parameters(self) -> tuple[int, int]:
        """(trainable, total)."""
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return trainable, sum(p.numel() for p in self.parameters())

    def save(self, out_dir: str | os.PathLike) -> None:
        """Write config.json + adapter_heads.safetensors."""
        from safetensors.torch import save_file

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(out_dir / WEIGHTS_FILE) as tmp:
            save_file(self.trainable_state_dict(), str(tmp), metadata={"format": CONFIG_FORMAT})
        self.model_config.save(out_dir / CONFIG_FILE)


def _split_chat_template(tokenizer) -> tuple[list[int], list[int]] | None:
    """Token ids before and after the user message in the chat template."""
    if not getattr(tokenizer, "chat_template", None):
        return None
    marker = "\u2063PATHXPROMPT\u2063"
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": marker}], tokenize=False, add_generation_prompt=True
    )
    before, after = text.split(marker)
    enc = lambda s: list(tokenizer(s, add_special_tokens=False)["input_ids"]) if s else []  # noqa: E731
    return enc(before), enc(after)


def load_tokenizer(base: BaseModel, padding_side: str, truncation_side: str):
    """The base's tokenizer with a dedicated pad token. Returns (tokenizer, pad_token_added)."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(base.path), local_files_only=True)
    except Exception as err:
        raise BaseModelError(f"base {base.source}: cannot load tokenizer ({type(err).__name__})") from None
    eos_ids = {tok.eos_token_id} if tok.eos_token_id is not None else set()
    added = False
    # pad == eos would make the terminal eos look like padding (pitfall on Llama-3 chat templates).
    if tok.pad_token is None or tok.pad_token_id in eos_ids or (base.family == "decoder" and tok.pad_token_id is None):
        tok.add_special_tokens({"pad_token": ADDED_PAD_TOKEN})
        added = True
    tok.padding_side = padding_side
    tok.truncation_side = "right" if truncation_side == "report" else truncation_side
    return tok, added


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
    if base.model_type in BERT_LIKE:
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
    adapter: str | dict | AdapterArm = "lora",
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
    for t in tasks:
        if t not in schema.VOCAB:
            raise PathxError(f"unknown task {t!r}; tasks are {', '.join(schema.TASKS)}")
    if not isinstance(base, BaseModel):
        base = resolve_base(base)
    arm = make_adapter(adapter)
    config = ModelConfig(
        base=base.identity(),
        tasks=tasks,
        classes={t: list(schema.model_classes(t)) for t in tasks},
        adapter=asdict(arm),
        pooling=pooling or ("last" if base.family == "decoder" else "mean"),
        padding_side=padding_side,
        truncation_side=truncation_side,
        max_length=max_length,
        chat_template=bool(chat_template) if chat_template is not None else None,
        quant=quant,
        rule_prior=rule_prior,
    )
    return _assemble(base, config, device, seed)


def _assemble(base: BaseModel, config: ModelConfig, device, seed: int) -> MultiTaskClassifier:
    if config.pooling not in POOLINGS:
        raise PathxError(f"unknown pooling {config.pooling!r}; use {', '.join(POOLINGS)}")
    if config.padding_side not in PADDING_SIDES or config.truncation_side not in TRUNCATION_SIDES:
        raise PathxError("padding_side must be left or right; truncation_side report, left or right")
    device = resolve_device(device)
    torch.manual_seed(seed)  # adapter and head init
    tokenizer, added = load_tokenizer(base, config.padding_side, config.truncation_side)
    if config.chat_template is None:
        config.chat_template = base.family == "decoder" and bool(getattr(tokenizer, "chat_template", None))
    elif config.chat_template and not getattr(tokenizer, "chat_template", None):
        raise PathxError(f"base {base.name}: tokenizer has no chat template")
    config.pad_token, config.pad_token_added = tokenizer.pad_token, added
    backbone = load_backbone(base, config.quant, device)
    _resize_for_pad(backbone, tokenizer)
    config.hidden_size = int(backbone.config.hidden_size)
    arm = make_adapter(config.adapter)
    positions = getattr(backbone.config, "max_position_embeddings", None)
    if positions and base.family == "encoder":
        # Absolute position tables end at max_position_embeddings; prefix tokens take positions too.
        room = positions - (arm.num_virtual_tokens if isinstance(arm, PrefixArm) else 0)
        room -= 2 if base.model_type in ROBERTA_LIKE else 0
        config.max_length = min(config.max_length, room)
    for p in backbone.parameters():
        p.requires_grad_(False)
    peft_config = arm.peft_config(base.family, base.model_type)
    if peft_config is not None:
        from peft import get_peft_model

        backbone = get_peft_model(backbone, peft_config)
    model = MultiTaskClassifier(backbone, tokenizer, config)
    model.heads.to(device)
    model.feature_mean.data, model.feature_std.data = model.feature_mean.to(device), model.feature_std.to(device)
    if config.quant is None:
        model.to(device)
    else:  # bitsandbytes placed the backbone; adapters follow it
        for p in model.parameters():
            if p.requires_grad and p.device != device:
                p.data = p.data.to(device)
    return model


def build_from_config(config: ModelConfig, base: str | os.PathLike | BaseModel | None = None,
                      device: str | torch.device | None = "auto") -> MultiTaskClassifier:
    """The architecture a config describes (base checked by sha256), with untrained adapter and
    heads; follow with load_trainable_state_dict(). The bundle module rebuilds models this way."""
    if not isinstance(base, BaseModel):
        base = resolve_base(base or config.base["name"], expect_sha256=config.base["sha256"])
    elif base.sha256 != config.base["sha256"]:
        raise BaseModelError(f"base {base.source}: weights sha256 differ from the model config's")
    return _assemble(base, ModelConfig.from_dict(config.to_dict()), device, seed=0)


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


# ---------------------------------------------------------------------------------------------
# Inference


@dataclass
class TaskPrediction:
    label: str | None  # contract label; None when the model says "not reported"
    cls: str  # the head's class, "not reported" included
    confidence: float  # probability of `cls`
    probs: dict[str, float]


class Predictor:
    """Batched inference: length-sorted dynamic padding, no_grad, bf16 autocast."""

    def __init__(self, model: MultiTaskClassifier, batch_size: int = 8):
        self.model = model
        self.batch_size = batch_size

    @classmethod
    def load(cls, out_dir: str | os.PathLike, base: str | os.PathLike | None = None,
             device: str | torch.device | None = "auto", batch_size: int = 8) -> Predictor:
        return cls(load_model(out_dir, base=base, device=device), batch_size=batch_size)

    @property
    def tasks(self) -> list[str]:
        return self.model.tasks

    def predict_proba(self, prompts: list[str]) -> dict[str, torch.Tensor]:
        """{task: (n, C) float32 probabilities} in the order of `prompts`."""
        model = self.model
        was_training = model.training
        model.eval()
        ids = model.tokenize(list(prompts))
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        probs = {t: torch.zeros(len(ids), len(model.model_config.classes[t])) for t in model.tasks}
        try:
            with torch.no_grad():
                for start in range(0, len(order), self.batch_size):
                    chunk = order[start : start + self.batch_size]
                    logits = model(**model.collate([ids[i] for i in chunk]))
                    for t, lg in logits.items():
                        probs[t][chunk] = torch.softmax(lg.float(), dim=-1).cpu()
        finally:
            model.train(was_training)
        return probs

    def predict(self, prompts: list[str]) -> list[dict[str, TaskPrediction]]:
        probs = self.predict_proba(prompts)
        classes = self.model.model_config.classes
        out: list[dict[str, TaskPrediction]] = [{} for _ in range(len(prompts))]
        for t, p in probs.items():
            conf, idx = p.max(dim=-1)
            for i in range(len(prompts)):
                cls = classes[t][int(idx[i])]
                out[i][t] = TaskPrediction(
                    label=None if cls == schema.NOT_REPORTED else cls,
                    cls=cls,
                    confidence=float(conf[i]),
                    probs={c: float(v) for c, v in zip(classes[t], p[i].tolist())},
                )
        return out
