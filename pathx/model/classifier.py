"""The multi-task classifier of the paper (III.B): an LLM backbone used as an encoder, adapted with
peft, pooled to one vector per prompt, and one linear head per task.

    backbone (peft-wrapped) -> last_hidden_state -> pool(attention mask) -> heads[task] -> logits

Decoders (Llama, SmolLM, Qwen, Mistral, ...) are pooled at the terminal non-pad token, encoders
(BERT/MiniLM) by mean or CLS: one vector for all heads, as in the paper. pooling="task" (beyond
the paper) gives each head its own vector, the state at the end of its task's hint line in the
prompt ("HER2_hint: IHC 2+; FISH amplified"), where that task's evidence sits. Pooling reads the
attention mask, so it is right for either padding side; the pad token is always a dedicated token
(pathx.model.tokens) and the padding side is fixed and stored in the config.

Backbone facts (family, positions) come from the architecture table (pathx.model.backbones),
adapters from their registry (pathx.model.adapters); building and loading is pathx.model.build,
batched inference pathx.model.inference. Heads are fp32 and run outside autocast; the backbone
runs under bf16 autocast where the hardware has bf16 arithmetic (CUDA; a CPU with AVX512-BF16 or
AMX, or PATHX_CPU_BF16=1) and in fp32 elsewhere: on a CPU without it, bf16 matmuls are emulated and
measured 60x slower than fp32 (docs/benchmarks.md). With quant="nf4" the backbone is stored in 4-bit
NormalFloat (QLoRA).
"""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import torch
from torch import nn

from pathx.errors import PathxError
from pathx.fsutil import atomic_path
from pathx.model import tokens
from pathx.model.backbones import architecture
from pathx.model.config import CONFIG_FILE, CONFIG_FORMAT, NORM_BUFFERS, POOLINGS, WEIGHTS_FILE, ModelConfig
from pathx.model.tokens import TokenIds

# bitsandbytes (imported by peft) warns on every start that an optional CPU kernel package is
# missing; it falls back to its own NF4 code, so the line is only noise in cron logs.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)


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




@functools.lru_cache(maxsize=None)
def _cpu_has_bf16() -> bool:
    if os.environ.get("PATHX_CPU_BF16") in ("0", "1"):
        return os.environ["PATHX_CPU_BF16"] == "1"
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


def bf16_autocast(device: torch.device):
    """The backbone's autocast context: bf16 where the device computes it natively, else off (fp32)."""
    enabled = device.type == "cuda" or (device.type == "cpu" and _cpu_has_bf16())
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)



class MultiTaskClassifier(nn.Module):
    """Backbone (peft-wrapped or frozen) + pooled-state standardisation + one linear head per task
    (+ an optional rule prior). Built by pathx.model.build (build_model, load_model)."""

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
        self._wrap = (tokens.split_chat_template(tokenizer) if config.chat_template else None) \
            or tokens.special_tokens(tokenizer)
        self.architecture = architecture(config.base.get("model_type", ""), config.base["family"])
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
            with bf16_autocast(self.device):
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
    def tokenize(self, prompts: list[str]) -> list[TokenIds]:
        """Token ids per prompt, cut to max_length (tokens.tokenize: the Hints block survives)."""
        return tokens.tokenize(self.tokenizer, self._wrap, self.model_config, prompts)

    def collate(self, id_lists: list[list[int]]) -> dict[str, torch.Tensor]:
        """Pad to the longest in the batch on the configured side with the dedicated pad token."""
        return tokens.collate(id_lists, self.tokenizer.pad_token_id, self.model_config)

    def encode(self, prompts: list[str]) -> dict[str, torch.Tensor]:
        return self.collate(self.tokenize(prompts))

    # -- forward ------------------------------------------------------------------------------
    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
               task_positions: torch.Tensor | None = None) -> torch.Tensor:
        """(B, H), or (B, tasks, H) with pooling "task"."""
        # Positions count real tokens only, so left padding gives the same states as right
        # padding (BERT's absolute positions would otherwise shift by the pad count).
        kwargs = {}
        if self.architecture.counted_positions:
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
        with bf16_autocast(device):
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

