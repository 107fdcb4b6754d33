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

import datetime
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
# addenda and parts A-R) and the 888 TCGA pan-cancer texts: every one has at most one date of
# birth, at most one MRN, at most one line starting with "Final diagnosis" and at most one line
# starting with a "Surgical pathology report" title beyond its page headers; so none is flagged.
#
# - PATIENT_FIELDS: cues of values a report has for one patient only. The check counts people, not
#   strings: a date of birth is read as a date, whatever its form (08/28/1918, 1918-08-28,
#   August 28, 1918, 28-Aug-18), and two mentions that can be the same day (03/04/1961 is 4 March
#   or 3 April) are one person; whatever follows the date on its line (a running header's
#   "Page 2 of 3") is not part of it. An MRN is compared without punctuation and leading zeros.
#   Two or more people = that many reports. (An accession number is no such value: a report cites
#   prior cases; an "Acct #" is a billing number beside the MRN.) The values are compared inside
#   the check and never leave it: the error holds counts only.
# - HEADINGS: lines a report has once. MIN_HEADINGS of them = that many reports. A title may repeat
#   as a running page header, so it counts only beyond one per page: the PDF's pages, or the pages
#   the text itself numbers ("Page 2 of 3", form feeds) in a .txt export. A heading line that says
#   it is continued ("FINAL DIAGNOSIS (continued)") is page furniture, not a new report.
# A dump of reports without patient fields or such headings (de-identified upstream, free-form
# notes) is not detected; its rows come out merged as before.
PATIENT_FIELDS: dict[str, str] = {
    "dates of birth": r"\b(?:D\.?O\.?B\.?|Date\s+of\s+Birth|Birth\s*date)\s*[:#]?\s*",
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
_CONTINUED = re.compile(r"\bcont(?:inued|'d|d)?\b|\(cont", re.IGNORECASE)
_PAGE = re.compile(r"\bpage\s*(\d{1,3})(?:\s*(?:of|/)\s*(\d{1,3}))?\b", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), 1)}
_MONTH = r"(?P<mon>[A-Za-z]{3,9})\.?"
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_DATES = [re.compile(rx, re.IGNORECASE) for rx in (
    r"(?P<y>\d{4})[-/.](?P<a>\d{1,2})[-/.](?P<b>\d{1,2})\b",  # 1918-08-28 (year first: month then day)
    r"(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})\b",  # 08/28/1918, 28.08.1918, 8-28-18
    _MONTH + r"\s+" + _DAY + r",?\s+(?P<y>\d{4})\b",  # August 28, 1918
    _DAY + r"[-\s]" + _MONTH + r"[-\s,]+(?P<y>\d{4}|\d{2})\b",  # 28 August 1918, 28-Aug-18
    r"(?P<y>\d{4})(?P<a>\d{2})(?P<b>\d{2})\b",  # 19180828
)]


def _years(y: str) -> list[int]:
    return [int(y)] if len(y) == 4 else [1900 + int(y), 2000 + int(y)]


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return datetime.date(y, m, d).isoformat()
    except ValueError:
        return None


def date_candidates(text: str, pos: int = 0) -> frozenset[str]:
    """The ISO days a date written at `pos` can mean (empty when no date starts there): 08/28/1918 and
    August 28, 1918 give {1918-08-28}; 03/04/1961 gives both 1961-03-04 and 1961-04-03; 28-Aug-18 both
    centuries."""
    for i, rx in enumerate(_DATES):
        m = rx.match(text, pos)
        if not m:
            continue
        g = m.groupdict()
        if g.get("mon") is not None:
            month = _MONTHS.get(g["mon"][:3].lower())
            pairs = [(month, int(g["d"]))] if month else []
        elif i in (0, 4):  # year first: month, day
            pairs = [(int(g["a"]), int(g["b"]))]
        else:  # month/day or day/month: both, where both can be
            pairs = [(int(g["a"]), int(g["b"])), (int(g["b"]), int(g["a"]))]
        found = {iso for y in _years(g["y"]) for mo, d in pairs if (iso := _valid(y, mo, d))}
        if found:
            return frozenset(found)
    return frozenset()


def _people(mentions: list[frozenset[str]]) -> int:
    """How many people the mentions name: mentions that can be the same value are one (union-find)."""
    parent = list(range(len(mentions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, values in enumerate(mentions):
        for v in values:
            if v in owner:
                parent[root(i)] = root(owner[v])
            else:
                owner[v] = i
    return len({root(i) for i in range(len(mentions))})


def _mentions(what: str, rx: re.Pattern, text: str) -> list[frozenset[str]]:
    if what == "dates of birth":
        return [c for m in rx.finditer(text) if (c := date_candidates(text, m.end()))]
    out = []
    for m in rx.finditer(text):
        value = _NOT_ALNUM.sub("", m.group(1)).upper()
        letters = value.rstrip("0123456789")
        out.append(frozenset({letters + (value[len(letters):].lstrip("0") or "0")}))
    return out


def numbered_pages(text: str) -> int:
    """The pages a text numbers itself: the highest "Page N (of M)", or its form feeds + 1."""
    highest = max((int(n) for m in _PAGE.finditer(text) for n in m.groups() if n), default=0)
    return max(highest if highest <= 500 else 0, text.count("\f") + 1 if "\f" in text else 0)


def count_reports(text: str, pages: int = 0) -> tuple[int, str]:
    """How many reports `text` seems to hold (1 when it looks like one) and the evidence, as counts only."""
    best, why = 1, ""
    for what, rx in _FIELDS.items():
        n = _people(_mentions(what, rx, text))
        if n > best:
            best, why = n, f"{n} different {what}"
    pages = max(pages, numbered_pages(text))
    for what, rx in _HEADINGS.items():
        n = 0
        for m in rx.finditer(text):
            end = text.find("\n", m.end())
            n += not _CONTINUED.search(text, m.end(), end if end != -1 else len(text))
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
