"""Zero-shot generative baseline (beyond the paper): the base LM *answers* each field as text.

The paper's central claim is that a discriminative head beats open-ended generation (schema
adherence, no invalid outputs). To test it on our data, the same backbone is loaded with its
language-model head (AutoModelForCausalLM), prompted once per field with the chat template
(the same Field / Classes / Report / Hints blocks the classifier sees, plus a question), decoded
greedily for a few tokens, and the answer is parsed to the field's class list. An answer that
names no class, or several different ones, is *invalid*: it counts as "not reported" in the
metrics (as a missing rule prediction does) and is counted separately.

    gen = GenerativeBaseline.load("smollm2-135m-instruct", device="auto")
    answers = gen.answer_units([(sliced, hints), ...], tasks)   # [{task: Answer}]
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

import numpy as np

from pathx import fields
from pathx.errors import PathxError
from pathx.ingestion.prompt import build_prompt

SYSTEM_PROMPT = (
    "You extract structured fields from breast cancer pathology reports. "
    "Answer with exactly one class label from the list and nothing else."
)
MAX_NEW_TOKENS = 16  # a label is a few tokens; small chat models often answer in a short sentence

# Parsing. A TNM answer may carry the usual prefixes/suffixes (pT2, ypN1a, cM0); grade may be
# written "grade 2" or "grade II"; "unknown" and friends mean the model abstains.
_TNM_PREFIX = r"(?:y?p|c|r)?"
_ROMAN = {"i": "1", "ii": "2", "iii": "3"}
_ABSTAIN = r"not\s+reported|not\s+stated|not\s+mentioned|not\s+available|unknown|none|n/?a|cannot\s+be\s+determined"


def _class_pattern(style: str, cls: str) -> str:
    """The pattern of one class in an answer, by the field's registry `answer` style."""
    if style == "tnm":
        suffix = r"(?:[a-d]|\(\w+\+?\))?" if cls not in ("Tis", "N1mi") else ""
        return rf"(?<![A-Za-z0-9]){_TNM_PREFIX}{re.escape(cls)}{suffix}(?![A-Za-z0-9])"
    if style == "grade":
        digit = cls[1]
        roman = [r for r, d in _ROMAN.items() if d == digit][0]
        return rf"\b(?:G{digit}|grade\s*(?:{digit}|{roman})|{roman}\s*/\s*III)\b"
    if style == "word":
        return rf"\b{re.escape(cls)}\b"
    raise ValueError(f"unknown answer style {style!r}; styles are {', '.join(fields.ANSWER_STYLES)}")


def _class_patterns(task: str) -> list[tuple[str, re.Pattern]]:
    """(class, pattern) pairs; more specific spellings first (N1mi before N1)."""
    style = fields.field(task).answer
    out = [(cls, _class_pattern(style, cls)) for cls in sorted(fields.VOCAB[task], key=len, reverse=True)]
    out.append((fields.NOT_REPORTED, rf"(?:{_ABSTAIN})\b"))
    return [(c, re.compile(p, re.IGNORECASE)) for c, p in out]


_PATTERNS = {t: _class_patterns(t) for t in fields.TASKS}


def parse_answer(task: str, text: str) -> str | None:
    """The one class (of fields.model_classes(task)) the answer names, or None (invalid) when it
    names none or several different ones ("Tis, T0, T1" lists the classes; it answers nothing)."""
    named = {cls for cls, pattern in _PATTERNS[task] if pattern.search(text)}
    return named.pop() if len(named) == 1 else None


def field_prompt(task: str, sliced: str, hints: dict[str, list[str]] | None) -> str:
    """The classifier's single-field prompt followed by the question the generator answers."""
    classes = ", ".join(fields.model_classes(task))
    return (build_prompt(sliced, {task: (hints or {}).get(task) or []}, (task,))
            + f"\n\nQuestion: what is the {fields.FIELD_NAMES[task]} in this report? "
            f"Answer with exactly one of: {classes}.")


@dataclass
class Answer:
    raw: str  # the decoded text (no report text: a few generated tokens)
    label: str | None  # parsed class ("not reported" included) or None when invalid

    @property
    def valid(self) -> bool:
        return self.label is not None


class GenerativeBaseline:
    """A causal LM with its LM head, greedy-decoding short answers in batches (left padding)."""

    def __init__(self, model, tokenizer, device, name: str, batch_size: int = 8,
                 max_new_tokens: int = MAX_NEW_TOKENS, max_input_tokens: int = 1024):
        self.model, self.tokenizer, self.device, self.name = model, tokenizer, device, name
        self.batch_size, self.max_new_tokens, self.max_input_tokens = batch_size, max_new_tokens, max_input_tokens
        self.chat = bool(getattr(tokenizer, "chat_template", None))

    @classmethod
    def load(cls, base: str | os.PathLike, device: str = "auto", batch_size: int = 8,
             max_new_tokens: int = MAX_NEW_TOKENS) -> GenerativeBaseline:
        """Load the base from the folder basemodels.resolve_base gives. Refuses a folder whose
        LM head was not saved (an untied head dropped by a GGUF conversion): the answers of a
        random head would be noise, not a baseline."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from pathx.model.backbones import resolve_base
        from pathx.model.classifier import resolve_device

        info = resolve_base(base)
        if info.family != "decoder":
            raise PathxError(f"base {info.name}: an encoder cannot generate; the generative baseline needs a decoder")
        dev = resolve_device(device)
        dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
        hf_logging.disable_progress_bar()
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # "newly initialised lm_head" is checked below instead
        try:
            model, loading = AutoModelForCausalLM.from_pretrained(str(info.path), dtype=dtype,
                                                                  output_loading_info=True)
        finally:
            hf_logging.set_verbosity(verbosity)
            hf_logging.enable_progress_bar()
        tied = bool(getattr(model.config, "tie_word_embeddings", False))
        if not tied and any("lm_head" in k for k in loading.get("missing_keys", [])):
            raise PathxError(f"base {info.name}: {info.path} holds no LM head weights; "
                             "point --base at the original Hugging Face folder for the generative baseline")
        model.to(dev).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(info.path))
        tokenizer.padding_side = "left"  # generation continues at the right end of every row
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        return cls(model, tokenizer, dev, info.name, batch_size, max_new_tokens)

    def render(self, user_text: str) -> str:
        """The chat-formatted prompt (system + user + assistant header), or plain text for a
        tokenizer without a chat template."""
        if self.chat:
            messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user_text}]
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return f"{SYSTEM_PROMPT}\n\n{user_text}\nAnswer:"

    def generate(self, user_texts: list[str]) -> list[str]:
        """Greedy answers, one per user text, in order (length-sorted batches)."""
        import torch

        texts = [self.render(u) for u in user_texts]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = [""] * len(texts)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            # Left truncation keeps the question and the assistant header when a prompt is too long.
            self.tokenizer.truncation_side = "left"
            enc = self.tokenizer([texts[i] for i in chunk], return_tensors="pt", padding=True, truncation=True,
                                 max_length=self.max_input_tokens, add_special_tokens=not self.chat)
            enc = {k: v.to(self.device) for k, v in enc.items()}
            with torch.no_grad():
                gen = self.model.generate(**enc, max_new_tokens=self.max_new_tokens, do_sample=False,
                                          pad_token_id=self.tokenizer.pad_token_id)
            new = gen[:, enc["input_ids"].shape[1]:]
            for i, text in zip(chunk, self.tokenizer.batch_decode(new, skip_special_tokens=True)):
                out[i] = text.strip()
        return out

    def answer_units(self, units: list[tuple[str, dict]], tasks=fields.TASKS) -> list[dict[str, Answer]]:
        """One prompt per (unit, field): `units` are (sliced report, hints) pairs."""
        tasks = list(tasks)
        prompts = [field_prompt(t, sliced, hints) for sliced, hints in units for t in tasks]
        raw = self.generate(prompts)
        rows = []
        for u in range(len(units)):
            row = {}
            for k, t in enumerate(tasks):
                text = raw[u * len(tasks) + k]
                row[t] = Answer(raw=text[:80], label=parse_answer(t, text))
            rows.append(row)
        return rows


@dataclass
class GenerativeScore:
    metrics: object  # pathx.training.metrics.EvalResult (answers as one-hot scores)
    invalid: dict[str, float]  # per task: share of answers naming no (or no single) class
    invalid_rate: float  # over all (unit, task) answers
    units_per_s: float


def score_answers(answers: list[dict[str, Answer]], gold: list[dict[str, str | None]], tasks,
                  seconds: float) -> GenerativeScore:
    """Metrics as pathx.training.metrics computes them; an invalid answer scores as "not reported"."""
    from pathx.training.metrics import EvalResult, task_metrics

    result, invalid, total_bad = {}, {}, 0
    for t in tasks:
        classes = list(fields.model_classes(t))
        probs = np.zeros((len(answers), len(classes)))
        bad = 0
        for i, row in enumerate(answers):
            label = row[t].label
            bad += label is None
            probs[i, classes.index(label or fields.NOT_REPORTED)] = 1.0
        result[t] = task_metrics(t, classes, [g.get(t) for g in gold], probs)
        invalid[t] = bad / len(answers) if answers else 0.0
        total_bad += bad
    n = len(answers) * len(list(tasks))
    return GenerativeScore(
        metrics=EvalResult(result, len(answers), seconds),
        invalid=invalid,
        invalid_rate=total_bad / n if n else 0.0,
        units_per_s=len(answers) / seconds if seconds > 0 else 0.0,
    )


def timed_answers(baseline: GenerativeBaseline, units: list[tuple[str, dict]], tasks) -> tuple[list, float]:
    start = time.perf_counter()
    rows = baseline.answer_units(units, tasks)
    return rows, time.perf_counter() - start


__all__ = ["GenerativeBaseline", "Answer", "GenerativeScore", "parse_answer", "field_prompt", "score_answers",
           "timed_answers", "SYSTEM_PROMPT"]
