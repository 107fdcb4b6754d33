"""Text augmentations that real reports show, for training a reader (labels unchanged).

    augment(text, rng) -> (text, tags)

Each draws independently: flattened to one line (OCR/export: sentences joined by ". "), hard-wrapped
at a random width, OCR confusions (corpus.ocr_noise), small numbers written in words ("four (4) of
twelve"), upper or lower case, key/value tables flattened (runs of spaces collapsed), and
"field name + bare number" forms ("ER 95%" for "ER: positive (95%)" is left to the styles; here
only separators are dropped: "ER: 95%" -> "ER 95%"). None changes a fact, so the plan's labels hold.
"""
from __future__ import annotations

import random
import re
import textwrap

from pathxgen.corpus import ocr_noise

WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen twenty").split()

_COUNT = re.compile(r"(?<![/\d.])\b(\d{1,2})(\s*(?:/|of|out of)\s*)(\d{1,2})\b(?![/\d.])")
_KEY_SEP = re.compile(r"(?m)^(\s*[A-Za-z][A-Za-z /()-]{1,40}?)\s*[:=]\s+")


def flatten(text: str) -> str:
    """One line, as OCR/export leaves a report: line breaks become '. ' or ' '."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    out = []
    for ln in lines:
        out.append(ln if ln.endswith((".", ":", ";")) else ln + ".")
    return " ".join(out)


def hard_wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(" ".join(p.split()), width) if p.strip() else "" for p in text.split("\n"))


def counts_in_words(text: str, rng: random.Random) -> str:
    """'3 of 12' -> 'three of twelve' or 'three (3) of twelve (12)'."""
    def word(m: re.Match) -> str:
        a, sep, b = int(m.group(1)), m.group(2), int(m.group(3))
        if a >= len(WORDS) or b >= len(WORDS):
            return m.group(0)
        if rng.random() < 0.5:
            return f"{WORDS[a]}{sep}{WORDS[b]}"
        return f"{WORDS[a]} ({a}){sep}{WORDS[b]} ({b})"
    return _COUNT.sub(word, text)


def augment(text: str, rng: random.Random) -> tuple[str, list[str]]:
    tags = []
    if rng.random() < 0.25:
        text, t = ocr_noise(text, rng, rng.uniform(0.01, 0.05))
        tags += t or ["ocr"]
    if rng.random() < 0.3:
        text = counts_in_words(text, rng)
        tags.append("words")
    if rng.random() < 0.15:
        text = _KEY_SEP.sub(lambda m: m.group(1) + " ", text)
        tags.append("bare")
    if rng.random() < 0.15:
        text = re.sub(r"[ \t]{2,}", " ", text)
        tags.append("table-flat")
    r = rng.random()
    if r < 0.3:
        text = flatten(text)
        tags.append("flat")
    elif r < 0.45:
        text = hard_wrap(text, rng.randint(40, 90))
        tags.append("wrap")
    r = rng.random()
    if r < 0.1:
        text = text.upper()
        tags.append("upper")
    elif r < 0.15:
        text = text.lower()
        tags.append("lower")
    return text, tags
