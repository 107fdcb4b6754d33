"""The tokenizer side of the classifier: a dedicated pad token, the chat-template or special-token
wrap around every prompt, the cut that keeps the Hints block, and per-task pooling positions.

Everything here reads only the tokenizer (no torch model), so it is the same for training and
inference and for every backbone.
"""
from __future__ import annotations

from pathx.errors import PathxError
from pathx.model.backbones import BaseModel, BaseModelError

ADDED_PAD_TOKEN = "<|pathx_pad|>"


class TokenIds(list):
    """Token ids of one prompt; with pooling="task" also `task_positions`, the index of each
    task's pooling token (end of its hint line), in model task order; with a rule prior also
    `rule_values`, the class index of the rule engine's value per task (len(classes): none)."""

    task_positions: list[int] | None = None
    rule_values: list[int] | None = None


def cut(ids: list[int], offsets: list, budget: int, side: str, hints_at: int) -> tuple[list[int], list]:
    """Cut a prompt's tokens to `budget` (see MultiTaskClassifier.tokenize): "left" keeps the end;
    "right" the start; "report" drops the end of the report and keeps the Hints block from `hints_at`."""
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


def special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after a text ([CLS] / [SEP], <s>)."""
    enc = tokenizer("x", return_offsets_mapping=True)
    real = [i for i, (a, b) in enumerate(enc["offset_mapping"]) if b > a]
    ids = list(enc["input_ids"])
    return (ids[: real[0]], ids[real[-1] + 1 :]) if real else (ids, [])


def last_token_before(offsets, end: int, lo: int = 0) -> int:
    """Index of the last real token (offset != (0, 0)) that starts before character `end`."""
    best = lo
    for i, (a, b) in enumerate(offsets):
        if b > a and a < end:
            best = i
    return best


def class_index(classes: list[str], value: str | None) -> int:
    """Index of a rule value among a task's classes; len(classes) for none or an unknown value."""
    return classes.index(value) if value in classes else len(classes)


def split_chat_template(tokenizer) -> tuple[list[int], list[int]] | None:
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
    if tok.pad_token is None or tok.pad_token_id in eos_ids or (base.architecture.pad_must_be_set and tok.pad_token_id is None):
        tok.add_special_tokens({"pad_token": ADDED_PAD_TOKEN})
        added = True
    tok.padding_side = padding_side
    tok.truncation_side = "right" if truncation_side == "report" else truncation_side
    return tok, added



def tokenize(tokenizer, wrap: tuple[list[int], list[int]], config, prompts: list[str]) -> list[TokenIds]:
    """Token ids per prompt (cut to config.max_length, not padded), as TokenIds.

    `wrap` (special tokens or the chat template) surrounds the prompt and always survives a cut.
    The default cut ("report") drops the end of the Report block, so Field/Classes and the Hints
    block (and the pooled tokens) stay; "right"/"left" cut the prompt's end/start."""
    from pathx.ingestion.prompt import parse_prompt

    prompts = list(prompts)
    pre, post = wrap
    budget = max(1, config.max_length - len(pre) - len(post))
    enc = tokenizer([str(p) for p in prompts], add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    out = []
    for prompt, ids, offsets in zip(prompts, enc["input_ids"], enc["offset_mapping"]):
        prompt = parse_prompt(prompt, config.tasks)  # a built Prompt as it is; plain text is read once
        ids, offsets = cut(list(ids), list(offsets), budget, config.truncation_side, prompt.hints_at)
        row = TokenIds(pre + ids + post)
        if config.pooling == "task":
            row.task_positions = [len(pre) + last_token_before(offsets, e) for e in prompt.hint_line_ends(config.tasks)]
        if config.rule_prior:
            row.rule_values = [class_index(config.classes[t], v)
                               for t, v in zip(config.tasks, prompt.values_for(config.tasks))]
        out.append(row)
    return out


def collate(id_lists: list[list[int]], pad_id: int, config) -> dict:
    """Pad to the longest in the batch on config.padding_side with `pad_id`; adds task_positions
    (pooling "task") and rule_values (rule prior), which need ids from `tokenize`."""
    import torch

    width = max(len(ids) for ids in id_lists)
    input_ids = torch.full((len(id_lists), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(id_lists), width), dtype=torch.long)
    per_task = config.pooling == "task"
    positions = torch.zeros((len(id_lists), len(config.tasks)), dtype=torch.long)
    for i, ids in enumerate(id_lists):
        shift = 0 if config.padding_side == "right" else width - len(ids)
        input_ids[i, shift : shift + len(ids)] = torch.tensor(ids, dtype=torch.long)
        mask[i, shift : shift + len(ids)] = 1
        if per_task:
            if getattr(ids, "task_positions", None) is None:
                raise PathxError("pooling 'task' needs ids from model.tokenize() (task positions)")
            positions[i] = torch.tensor(ids.task_positions, dtype=torch.long) + shift
    batch = {"input_ids": input_ids, "attention_mask": mask}
    if per_task:
        batch["task_positions"] = positions
    if config.rule_prior:
        if any(getattr(ids, "rule_values", None) is None for ids in id_lists):
            raise PathxError("a rule prior needs ids from model.tokenize() (rule values)")
        batch["rule_values"] = torch.tensor([ids.rule_values for ids in id_lists], dtype=torch.long)
    return batch
