"""Is this text a breast pathology report at all? A cheap vocabulary check before extraction.

Without it, any text file under INPUT ("hello", a copied /etc/shadow, a PDF saved with a .txt
name) went through the rule engine and could come out `status=ok` with a stage. A text passes
when at least MIN_TERMS different terms of VOCABULARY occur in it (whole words, any case).
Real reports, even a two-line core-biopsy result or an OCR'd fax, carry many of them
("breast", "carcinoma", "biopsy", "ER", "margin", "pT2"...); other text carries none or one.

This is the one place the vocabulary lives: a site whose reports use other words (another
language) adds them here. The check never quotes the text: its error names only the file.
"""
from __future__ import annotations

import re

MIN_TERMS = 2

# Regular expressions, matched case-insensitively as whole words. Keep entries short and clinical.
VOCABULARY: tuple[str, ...] = (
    # site
    r"breast", r"mammary", r"nipple", r"axilla(?:ry)?", r"quadrant",
    # disease
    r"(?:adeno)?carcinoma", r"tumou?r", r"neoplasm", r"malignan(?:t|cy)", r"benign", r"ductal", r"lobular",
    r"DCIS", r"LCIS", r"invasive", r"in[- ]situ", r"metasta\w*", r"atypi(?:a|cal)", r"hyperplasia",
    r"fibroadenoma", r"lymph[- ]?nodes?", r"sentinel",
    # procedure and report
    r"pathology", r"patholog(?:ic|ical|ist)", r"specimens?", r"biops(?:y|ies)", r"lumpectomy", r"mastectomy",
    r"excision", r"resection", r"margins?", r"histolog\w*", r"cytology", r"diagnosis",
    # the fields pathx extracts
    r"Nottingham", r"grade", r"estrogen", r"oestrogen", r"progesterone", r"receptors?", r"HER-?2(?:/neu)?",
    r"ERBB2", r"ER", r"PR", r"Ki-?67", r"IHC", r"FISH", r"y?p[TN](?:is|[0-4x])\w*",
)

_TERMS = re.compile(r"\b(?:" + "|".join(f"({t})" for t in VOCABULARY) + r")\b", re.IGNORECASE)
# Enough of the text to decide; a report's header and diagnosis come first.
SCAN_CHARS = 200_000


def report_terms(text: str, enough: int = MIN_TERMS) -> int:
    """How many different VOCABULARY entries occur in `text` (stops counting at `enough`)."""
    found: set[int] = set()
    for m in _TERMS.finditer(text, 0, min(len(text), SCAN_CHARS)):
        found.add(m.lastindex or 0)
        if len(found) >= enough:
            break
    return len(found)


def not_a_report(text: str) -> str | None:
    """None for report text, else the cause (one line, no text quoted) for the error row."""
    n = report_terms(text)
    if n >= MIN_TERMS:
        return None
    return (f"not a breast pathology report ({'no' if n == 0 else 'only one'} breast or pathology term found; "
            "vocabulary in pathx/reportcheck.py)")
