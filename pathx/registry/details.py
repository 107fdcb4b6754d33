"""Detail values (issue 17): the category as written, and the assay results behind a grouped value.

Every detail comes from the rule engine's evidence for the unit, never from a second reading of the
report, and it must agree with the grouped value it refines, else it is left empty:

- `t_detail`, `n_detail`, `m_detail`: the TNM category as written, normalised: prefix (c, p, yp) in
  lower case, the category (T1c, N1mi, N2a, M0), then its suffixes: (m) or (2) for multiple tumours,
  (sn), (f), (i+), (i-), (mol+), (mol-). E.g. `ypT1c`, `pT1mi`, `pT2(m)`, `pN1mi(sn)`, `pN0(i+)`,
  `cM0(i+)`, `pM1`. Empty when the value came from something other than a written category (a tumour
  size, a node count) or when the written category's group is not the grouped value.
- `ihc_her2`: the HER2 IHC score, `0`, `1+`, `2+` or `3+`, from the IHC score mention.
- `ish_her2`: `amplified`, `not amplified` or `equivocal`, from the ISH mentions (status words; a
  ratio or copy number only when the engine grouped it).
- `er_percent`, `pr_percent`: the percentage of stained nuclei as written (e.g. `95`, `<1`), from the
  percentage mention.
"""
from __future__ import annotations

import re

from pathx.fields import DETAIL_COLUMNS  # the output contract names them

_SUFFIX = r"(?:\s?\((?:m|\d{1,2}|sn|f|i\+|i-|mol\+|mol-)\))*"
_T = re.compile(r"(?<![A-Za-z])(?P<pre>y?[pc]?)T(?P<cat>is(?:\s?\((?:DCIS|LCIS|Paget)\))?|0|1mi|1[a-c]?|2|3|4[a-d]?)"
                r"(?![A-Za-z0-9])(?P<suf>" + _SUFFIX + ")", re.IGNORECASE)
_N = re.compile(r"(?<![A-Za-z])(?P<pre>y?[pc]?)N(?P<cat>0|1mi|1[a-c]?|2[ab]?|3[a-c]?)(?![A-Za-z0-9])(?P<suf>"
                + _SUFFIX + ")", re.IGNORECASE)
_M = re.compile(r"(?<![A-Za-z])(?P<pre>[pc]?)M(?P<cat>0|1)(?![A-Za-z0-9])(?P<suf>(?:\s?\(i\+\))?)", re.IGNORECASE)
_IHC = re.compile(r"(?<![\d.])([0-3])\s?\+|\bscore\s*(?:of\s*)?:?\s*([0-3])\b|\b(?:ihc|immunohistochemistry)\D{0,20}?\b([0-3])\b"
                  r"|\b(zero|0)\b", re.IGNORECASE)
_PERCENT = re.compile(r"(<\s?1|>\s?\d{1,2}|\d{1,3}(?:\.\d)?)\s?(?:%|percent)", re.IGNORECASE)
_ISH = {"Positive": "amplified", "Negative": "not amplified", "Equivocal": "equivocal"}
_ISH_RULES = ("ish_status", "ish_ratio", "ish_copies")


def _norm(m: re.Match, letter: str) -> str:
    suf = re.sub(r"\s", "", m.group("suf") or "").lower()
    cat = re.sub(r"\s", "", m.group("cat"))
    cat = cat[:2].lower() + cat[2:] if cat.lower().startswith("is") else cat.lower()
    return f"{m.group('pre').lower()}{letter}{cat}{suf}"


def _t_group(detail: str) -> str:
    cat = re.sub(r"^y?[pc]?T", "", detail).split("(")[0]
    return "Tis" if cat.startswith("is") else "T" + cat[0]


def _n_group(detail: str) -> str:
    cat = re.sub(r"^y?[pc]?N", "", detail).split("(")[0]
    return "N1mi" if cat == "1mi" else "N" + cat[0]


def _m_group(detail: str) -> str:
    return "M" + re.sub(r"^[pc]?M", "", detail)[0]


def _category(text: str, finding, rx: re.Pattern, letter: str, group) -> str | None:
    if finding is None:
        return None
    window = text[finding.start:finding.end + 16]  # suffixes may follow the evidence: "pN0 (i+)"
    for m in rx.finditer(window):
        if m.start() >= finding.end - finding.start:
            break
        detail = _norm(m, letter)
        if group(detail) == finding.value:
            return detail
    return None


def details(engine, text: str, findings: dict, mentions: list | None = None) -> dict[str, str | None]:
    """Detail values of one unit: `findings` are `engine.extract(text)`, `mentions` its
    `engine.mentions(text)` when already at hand (see the module docstring)."""
    out: dict[str, str | None] = dict.fromkeys(DETAIL_COLUMNS)
    out["t_detail"] = _category(text, findings.get("t_stage"), _T, "T", _t_group)
    out["n_detail"] = _category(text, findings.get("n_stage"), _N, "N", _n_group)
    out["m_detail"] = _category(text, findings.get("m_stage"), _M, "M", _m_group)
    mentions = [m for m in (mentions if mentions is not None else engine.mentions(text))
                if m.task in ("her2", "er", "pr")]
    her2 = findings.get("her2")
    if her2 is not None:
        ihc = [m for m in mentions if m.task == "her2" and m.rule.name == "her2_ihc_score"]
        if ihc:
            best = max(ihc, key=lambda m: m.rank())
            hit = _IHC.search(best.evidence)
            if hit:
                score = next(g for g in hit.groups() if g is not None)
                out["ihc_her2"] = "0" if score.lower() in ("0", "zero") else f"{score}+"
        ish = [m for m in mentions if m.task == "her2" and m.rule.name in _ISH_RULES and m.value in _ISH]
        if ish:
            out["ish_her2"] = _ISH[max(ish, key=lambda m: m.rank()).value]
    for task, col in (("er", "er_percent"), ("pr", "pr_percent")):
        f = findings.get(task)
        if f is None:
            continue
        pct = [m for m in mentions if m.task == task and m.value == f.value and m.rule.name.endswith("_percent")]
        if pct:
            hit = _PERCENT.search(max(pct, key=lambda m: m.rank()).evidence)
            if hit:
                out[col] = re.sub(r"\s", "", hit.group(1))
    return out
