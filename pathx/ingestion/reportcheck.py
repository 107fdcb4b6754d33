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


# --------------------------------------------------------------------------------------------
# Several reports in one file (a dump of 200 reports in one .txt): flagged, never merged.
#
# A file holds several reports when it names several patients or repeats the headings a report
# has once. Measured on 300 `pathx demo` reports, the 44 TCGA-BRCA dev reports (long ones with
# addenda and parts A-R) and the 888 TCGA pan-cancer texts: every one has at most one distinct
# date of birth, at most one distinct MRN, at most one line starting with "Final diagnosis" and
# at most one line starting with a "Surgical pathology report" title; so none is flagged.
#
# - PATIENT_FIELDS: cues of values a report has for one patient only. Two or more distinct
#   values of one cue = that many reports. (An accession number is no such value: a report cites
#   prior cases; an "Acct #" is a billing number beside the MRN.) The values are compared inside
#   the check and never leave it: the error holds counts only.
# - HEADINGS: lines a report has once. MIN_HEADINGS of them = that many reports. A title line may
#   repeat as a page header, so in a PDF it counts only beyond one per page.
# A dump of reports without patient fields or such headings (de-identified upstream, free-form
# notes) is not detected; its rows come out merged as before.
PATIENT_FIELDS: dict[str, str] = {
    "dates of birth": r"\b(?:D\.?O\.?B\.?|Date\s+of\s+Birth|Birth\s*date)\s*[:#]?\s*([0-9A-Za-z][0-9A-Za-z ,./-]{4,18}[0-9])",
    "MRNs": r"\b(?:MRN|MR\s*(?:#|No\.?|Number)|Med(?:ical)?\s*Rec(?:ord)?\.?\s*(?:#|No\.?|Number)?)\s*[:#]?\s*"
            r"([A-Z]{0,3}[0-9][0-9-]{3,14})",
}
HEADINGS: dict[str, str] = {
    "'Final diagnosis' headings": r"^[^\w\n]*final\s+(?:pathologic(?:al)?\s+)?diagnos[ie]s\b",
    "report titles": r"^[^\w\n]*(?:surgical\s+|anatomic\s+)?patholog(?:y|ical)\s+(?:report|consultation)\b",
}
MIN_HEADINGS = 3  # two "Final diagnosis" lines can be a report and its revision

_FIELDS = {what: re.compile(rx, re.IGNORECASE) for what, rx in PATIENT_FIELDS.items()}
_HEADINGS = {what: re.compile(rx, re.IGNORECASE | re.MULTILINE) for what, rx in HEADINGS.items()}
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def count_reports(text: str, pages: int = 0) -> tuple[int, str]:
    """How many reports `text` seems to hold (1 when it looks like one) and the evidence, as counts only."""
    best, why = 1, ""
    for what, rx in _FIELDS.items():
        n = len({_NOT_ALNUM.sub("", m.group(1)).upper() for m in rx.finditer(text)})
        if n > best:
            best, why = n, f"{n} different {what}"
    for what, rx in _HEADINGS.items():
        n = sum(1 for _ in rx.finditer(text))
        if what == "report titles" and pages > 1:
            n = n - pages + 1 if n > pages else 0  # one per page may be a running page header
        if n >= MIN_HEADINGS and n > best:
            best, why = n, f"{n} {what}"
    return best, why


def several_reports(text: str, pages: int = 0) -> str | None:
    """None for one report, else the cause (one line, counts only) for the file's error row."""
    n, why = count_reports(text, pages)
    if n < 2:
        return None
    return (f"holds at least {n} reports ({why}); split it into one file per report "
            "(this check is in pathx/reportcheck.py)")
