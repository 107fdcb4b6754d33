"""Tiny random base models for tests and quick benchmark runs, built offline from a config and a
word-level tokenizer (no download, a few seconds on CPU)."""
from __future__ import annotations

import os
from pathlib import Path

# Tiny random bases for tests (built offline from a config and a word-level tokenizer).

TINY_WORDS = (
    "the a of and in is tumour tumor size cm grade nodes node lymph positive negative equivocal "
    "er pr her2 stage t n m field classes report hints status invasive carcinoma ductal lobular "
    "margin clear focal present absent not reported pt1 pt2 pt3 pn0 pn1 g1 g2 g3 : , . 1 2 3"
).split()


def build_tiny_base(outdir: str | os.PathLike, family: str = "decoder", words: list[str] | None = None,
                    seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """Write a tiny random Llama (decoder) or BERT (encoder) with a word-level tokenizer to
    `outdir` as a Hugging Face folder. The Llama tokenizer has eos but no pad token on purpose."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, LlamaConfig, LlamaModel, PreTrainedTokenizerFast

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    vocab_words = sorted(set(w.lower() for w in (words or TINY_WORDS)))
    if family == "decoder":
        specials = ["<unk>", "<s>", "</s>"]
    else:
        specials = ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {tok: i for i, tok in enumerate(specials + vocab_words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=specials[0]))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    from tokenizers import normalizers

    tok.normalizer = normalizers.Lowercase()
    if family == "decoder":
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", vocab["<s>"])]
        )
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    else:
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
        )
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                       cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    fast.model_max_length = 512
    torch.manual_seed(seed)
    if family == "decoder":
        config = LlamaConfig(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=2 * hidden,
                             num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                             max_position_embeddings=1024, bos_token_id=vocab["<s>"], eos_token_id=vocab["</s>"],
                             tie_word_embeddings=True)
        model = LlamaModel(config)
    elif family == "encoder":
        config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=2 * hidden,
                            num_hidden_layers=layers, num_attention_heads=4, max_position_embeddings=1024,
                            pad_token_id=vocab["[PAD]"])
        model = BertModel(config, add_pooling_layer=False)
    else:
        raise ValueError(f"family must be decoder or encoder, got {family!r}")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(str(outdir))
    finally:
        hf_logging.enable_progress_bar()
    fast.save_pretrained(str(outdir))
    return outdir
