"""Realistic synthetic breast pathology reports with gold labels (the demo and training corpus).

There are no real breast reports here, and the model trained on this corpus ships, so the
generator aims at *variety of wording*: each report draws an institution's house style
(separators, casing, units, date formats, abbreviations) and each fact has many phrasings.

    generate(outdir, n, seed=0, styles=None, formats=("txt", "pdf", "scanned"), phi=True, noise=True)

writes `report_00001.txt|.pdf`, ... and `gold.jsonl` (labelled-data format of docs/design.md,
one line per tumour unit, plus `style`, `format`, `laterality`, `phenomena`, `phi`, `phi_kinds`).
Gold labels are true by construction: tumour facts are sampled first (corpus_case.py), labels
follow from them by AJCC 8th / ASCO-CAP 2018 rules, and a label is null when the report does
not state it (M not assessed, biomarkers pending without addendum, biomarkers only referenced
in another case, DCIS grade, no residual tumour to grade, no nodes sampled).

Styles (STYLES; pass `styles=[...]` to include only some, e.g. to hold styles out of training):
    cap_synoptic        CAP checklist "Key: value" lines ("Primary Tumor (pT): pT1c"), Nottingham components
    narrative           narrative FINAL DIAGNOSIS sentences, optional gross / microscopic sections
    tabular             findings as a table (ASCII box, aligned columns or pipes)
    consult             outside consult / slide review ("We have reviewed slides from ..."), outside grade disagreement
    staging_string      terse abbreviations ("IDC, G2, 1.4 CM ... STAGE: ypT2 pN1a(sn) M0", "ER+ 95% / PR- / HER2 1+")
    bilateral_synoptic  LEFT and RIGHT specimens, "SYNOPTIC SUMMARY (LEFT BREAST)" sections; two units
    lettered            lettered parts ("A. LEFT BREAST, LUMPECTOMY:", "B. LEFT SENTINEL LYMPH NODE #1"),
                        nodes split over parts, margin re-excision parts; 20% bilateral
    addendum            biomarkers (and sometimes HER2 ISH) only in an ADDENDUM, sometimes two addenda
    legacy              older all-caps free text: GROSS / MICROSCOPIC / DIAGNOSIS, Bloom-Richardson, "T2 N1 MX"
    checkbox            printed CAP form with [X]/[ ] options for grade, pT and HER2 score

Phenomena and confusers (listed per unit in gold "phenomena"):
    historical stage/grade/biomarkers in the clinical history (other side or years ago), pre-treatment
    biopsy results and clinical stage before neoadjuvant therapy; DCIS nuclear grade beside invasive grade;
    DCIS only (Tis, grade null, DCIS extent that is not a T size); microinvasion (pT1mi -> T1); complete
    response (ypT0 ypN0 -> T0 N0, grade null) and residual DCIS only (ypTis); negations ("negative for
    metastatic carcinoma (0/12)", "no evidence of invasive carcinoma" in margin parts, "no residual invasive
    carcinoma"); biomarkers pending, in an addendum, referenced to a prior case (null) or quoted from it;
    HER2 2+ resolved by ISH (ASCO/CAP 2018 groups 1/5), ISH pending (Equivocal), ISH-only testing;
    Allred scores, percentages, CAP percentage bins, ER low positive 1-10%, rare equivocal ER/PR; Ki-67,
    fixation "10%" and "positive control" text near the receptors; prior-case references ("see S22-1234");
    node counts without pN (-> N from counts), size without pT (-> T from size, 20 mm = T1, 50 mm = T2),
    multifocal tumours (largest focus), gross specimen dimensions, imaging sizes in the history; ITC
    (N0(i+)), micrometastasis (N1mi), ENE; M1 by biopsy of a distant site, cM0, pMX / "not applicable"
    (null); T4 by skin ulceration, satellite nodules, chest wall or inflammatory carcinoma, dermal invasion
    without ulceration (not T4); anatomic stage groups ("Stage IIA"); benign contralateral side (all null);
    male patients; OCR-like noise in the text (0->O, 1->l, l->1, dropped letters, rn<->m, ";YNOPTIC",
    joined lines, fully flattened reports) with the labels unchanged.

Fresh styles (fresh.FRESH_STYLES; opt-in only, never in the default mix, so default output is unchanged):
    fresh_a             UK/RCPath dataset wording (styles_fresh_a.py), held-out "development" family
    fresh_b             North-American diagnosis-first narrative with addenda (styles_fresh_b.py), "sealed" family
    fresh_c             Australian/Canadian synoptic hybrid, SUMMARY OF FINDINGS (styles_fresh_c.py), "sealed" family
    fresh_d             abroad-and-dictation mix: Spanish/German-in-translation, Indian, CAP Q&A with dotted leaders,
                        dictated run-on text, flattened key=value (styles_fresh_d.py), sealed family, measured once
    All add core needle biopsies (T, N, M null) and lettered bilateral cases; see fresh.py.

Formats: "txt", "pdf" (text layer, pathxgen.pdfwrite) and "scanned" (image-only PDF at 150 dpi with specks
and a slight skew, the OCR path); default weights 45/45/10. PHI (names, MRN, DOB, dates, accession
numbers, physicians, phone/fax, addresses, account numbers, ages over 89, rare e-mail/SSN/URL) is
planted in every report and listed exactly as written in gold "phi".
Class balance is long-tailed like a screening cohort: T1 and N0 dominant, T4, N3, M1, HER2 positive and
equivocal rare (a few percent each), M mostly unstated, G2 the commonest grade, ER positive ~80%.
"""

from __future__ import annotations

import json
import random
import re
import textwrap
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from pathx import schema
from pathxgen import fresh
from pathxgen.case import Tumour, sample_tumour
from pathxgen.phi import sample_people
from pathxgen.phrases import Ctx
from pathxgen.styles import STYLE_FUNCS

STYLES: tuple[str, ...] = tuple(STYLE_FUNCS)
STYLE_WEIGHTS = {
    "cap_synoptic": 18,
    "narrative": 14,
    "tabular": 8,
    "consult": 7,
    "staging_string": 10,
    "bilateral_synoptic": 6,
    "lettered": 14,
    "addendum": 9,
    "legacy": 7,
    "checkbox": 7,
}
FRESH_WEIGHTS = dict.fromkeys(fresh.FRESH_STYLES, 10)  # opt-in styles: selectable, never drawn by default
ALL_STYLES: tuple[str, ...] = STYLES + fresh.FRESH_STYLES
FORMATS: tuple[str, ...] = ("txt", "pdf", "scanned")
FORMAT_WEIGHTS = {"txt": 0.45, "pdf": 0.45, "scanned": 0.10}
PDF_WIDTH, SCAN_WIDTH = 95, 86  # characters that fit a letter page in pdfwrite's fonts
SCAN_DPI = 150
_MARK = re.compile(r"\x01(\d+)\x02")
PLACEHOLDER = {
    "name": "[NAME]",
    "date": "[DATE]",
    "mrn": "[MRN]",
    "accession": "[ACCESSION]",
    "phone": "[PHONE]",
    "address": "[ADDRESS]",
    "account": "[ID]",
    "age": "[AGE]",
    "email": "[EMAIL]",
    "ssn": "[SSN]",
    "url": "[URL]",
}


# ====================================================================== one report
def _tumours(rng: random.Random, style: str) -> list[Tumour]:
    bilateral = style == "bilateral_synoptic" or (style == "lettered" and rng.random() < 0.2)
    first_side = rng.choice(["left", "right"])
    ts = [sample_tumour(rng, first_side)]
    if bilateral:
        other = "right" if first_side == "left" else "left"
        second = sample_tumour(rng, other, kind="benign" if rng.random() < 0.2 else None)
        if second.kind != "benign":  # M belongs to the patient, not the side
            second.m, second.m_written, second.m1_site = ts[0].m, ts[0].m_written, ts[0].m1_site
        ts.append(second)
        if ts[0].side == "right":
            ts.reverse()  # reports list the left side first more often than not
    return ts


_STAGE_TOKEN = re.compile(r"^\(?y?p?[TNM][0-9OIXx]|^\(?(?:pT|pN|pM|ypT|ypN|cM)", re.I)
_CONFUSE = (
    ("rn", "m"),
    ("m", "rn"),
    ("cl", "d"),
    ("li", "h"),
    ("e", "c"),
    ("a", "o"),
    ("i", "l"),
    ("I", "l"),
    ("l", "1"),
    ("O", "0"),
    ("S", "5"),
    ("B", "8"),
    ("g", "q"),
)


def _noise_word(w: str, rng: random.Random) -> str:
    """One OCR-like error that a reader can still undo; digits that carry values are never touched."""
    if _STAGE_TOKEN.match(w):
        # real OCR of staging strings: pN0 -> pNO, pT1c -> pTlc
        if "0" in w and rng.random() < 0.6:
            return w.replace("0", "O", 1)
        if "1" in w:
            return w.replace("1", "l", 1)
        return w
    if any(ch.isdigit() for ch in w):
        return w.replace("0/", "O/", 1) if w.startswith("(0/") else w
    if len(w) >= 6 and w.isalpha() and rng.random() < 0.35:
        i = rng.randrange(1, len(w) - 1)
        return w[:i] + w[i + 1 :]  # dropped letter
    if w[:1] == "S" and w.isupper() and len(w) > 4:
        return ";" + w[1:]  # ;YNOPTIC
    for a, b in rng.sample(_CONFUSE, len(_CONFUSE)):
        if a in w and not (b.isdigit() and w.isalpha() and len(w) < 4):
            return w.replace(a, b, 1)
    return w


def ocr_noise(text: str, rng: random.Random, level: float) -> tuple[str, list[str]]:
    """OCR-like corruption of report text outside PHI markers; returns (text, phenomena)."""
    tags = ["ocr_noise"]
    pieces = re.split(r"(\x01\d+\x02|\s+)", text)
    for i, piece in enumerate(pieces):
        if piece and not piece.isspace() and not piece.startswith("\x01") and rng.random() < level:
            pieces[i] = _noise_word(piece, rng)
    text = "".join(pieces)
    lines = text.split("\n")
    if rng.random() < 0.12:
        # flattened like the TCGA OCR text: one line, sentences joined by '. '
        tags.append("flattened")
        return ". ".join(x.strip() for x in lines if x.strip()), tags
    out = []
    for line in lines:
        if out and line.strip() and out[-1].strip() and rng.random() < level * 2:
            out[-1] = out[-1].rstrip() + rng.choice([" ", ". ", "  "]) + line.strip()  # joined lines
            if "joined_lines" not in tags:
                tags.append("joined_lines")
        else:
            out.append(line + (" " if rng.random() < level else ""))
    return "\n".join(out), tags


def _wrap(text: str, width: int | None) -> str:
    if not width:
        return text
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        out += textwrap.wrap(
            line,
            width,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
            expand_tabs=False,
            replace_whitespace=False,
        ) or [""]
    return "\n".join(out)


def render_report(seed: int, index: int, style: str, fmt: str, *, phi: bool = True, noise: bool = True) -> dict:
    """Text and units of one report (no files written). Deterministic in (seed, index, style, fmt)."""
    rng = random.Random(f"pathx-corpus:{seed}:{index}:{style}")
    people = sample_people(rng)
    ts = fresh.tumours(rng, style) if style in fresh.FRESH_STYLES else _tumours(rng, style)
    c = Ctx(rng, people)
    raw = fresh.render(style, c, ts) if style in fresh.FRESH_STYLES else STYLE_FUNCS[style](c, ts)
    tags: list[str] = []
    nrng = random.Random(f"pathx-noise:{seed}:{index}")
    if noise and nrng.random() < (0.3 if fmt != "scanned" else 0.1):
        raw, tags = ocr_noise(raw, nrng, nrng.uniform(0.01, 0.06) if fmt != "scanned" else 0.01)
    # swap markers for PHI (spaces protected from wrapping), wrap for the page, restore spaces
    planted = c.planted
    value = (lambda k, v: v) if phi else (lambda k, v: PLACEHOLDER[k])
    text = _MARK.sub(lambda m: value(*planted[int(m.group(1))]).replace(" ", "\x03"), raw)
    width = {"txt": c.h["wrap"], "pdf": PDF_WIDTH, "scanned": SCAN_WIDTH}[fmt]
    if fmt != "txt":
        text = text.replace("\t", "    ")
    text = _wrap(text, width).replace("\x03", " ")
    seen: dict[str, str] = {}  # only markers that made it into the text (options not picked also planted)
    if phi:
        for m in _MARK.finditer(raw):
            kind, v = planted[int(m.group(1))]
            seen.setdefault(v, kind)
    return {"text": text, "tumours": ts, "tags": tags, "phi": list(seen), "phi_kinds": list(seen.values())}


def _unit_phenomena(t: Tumour, report: dict, n_units: int) -> list[str]:
    tags = list(dict.fromkeys(t.phenomena))
    nd = t.nodes
    if nd.examined and nd.positive == 0:
        tags.append("negated_nodes")
    if n_units > 1:
        tags.append("bilateral")
    if t.kind == "benign":
        tags.append("benign_side")
    if t.m is None:
        tags.append("m_not_stated" if t.m_written == "none" else "m_not_assessed")
    return tags + report["tags"]


# ====================================================================== files
def _write_scanned(path: Path, text: str, seed: int) -> None:
    """Image-only PDF via pdfwrite's page renderer, with fixed PDF dates so files are reproducible."""
    from pathxgen.pdfwrite import LINES_PER_PAGE, render_page_image

    lines = text.splitlines() or [""]
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    rng = random.Random(seed)
    noise = rng.choice([0.0, 0.1, 0.2, 0.3])
    images = [render_page_image(pg, dpi=SCAN_DPI, noise=noise, seed=seed + i) for i, pg in enumerate(pages)]
    fixed = time.gmtime(0)
    images[0].save(
        path, "PDF", resolution=SCAN_DPI, save_all=True, append_images=images[1:], creationDate=fixed, modDate=fixed
    )


def _format_weights(formats: Sequence[str] | Mapping[str, float]) -> dict[str, float]:
    weights = dict(formats) if isinstance(formats, Mapping) else {f: FORMAT_WEIGHTS.get(f, 0.0) for f in formats}
    bad = [f for f in weights if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown format(s) {', '.join(map(str, bad))}; formats are {', '.join(FORMATS)}")
    if not weights or sum(weights.values()) <= 0:
        raise ValueError("formats: need at least one format with a positive weight")
    return weights


def generate(
    outdir: str | Path,
    n: int,
    seed: int = 0,
    styles: Sequence[str] | None = None,
    formats: Sequence[str] | Mapping[str, float] = FORMATS,
    phi: bool = True,
    noise: bool = True,
) -> list[dict]:
    """Write `n` reports and `gold.jsonl` into `outdir`; return the gold rows (one per tumour unit).

    styles: names from ALL_STYLES to draw from (None = STYLES, the default mix, without the fresh styles);
    formats: names (default weights 45/45/10) or a {name: weight} mapping; phi=False writes "[NAME]"-style placeholders instead of fake PHI;
    noise=False turns off OCR-like text noise (scanned PDFs still need OCR).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    chosen = list(STYLES if styles is None else styles)
    unknown = [s for s in chosen if s not in ALL_STYLES]
    if unknown or not chosen:
        raise ValueError(f"unknown or no style(s) {', '.join(map(str, unknown))}; styles are {', '.join(ALL_STYLES)}")
    fw = _format_weights(formats)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    for i in range(1, n + 1):
        pick = random.Random(f"pathx-pick:{seed}:{i}")
        style = pick.choices(chosen, weights=[STYLE_WEIGHTS.get(s) or FRESH_WEIGHTS[s] for s in chosen])[0]
        fmt = pick.choices(list(fw), weights=list(fw.values()))[0]
        rep = render_report(seed, i, style, fmt, phi=phi, noise=noise)
        name = f"report_{i:05d}.{'txt' if fmt == 'txt' else 'pdf'}"
        path = outdir / name
        if fmt == "txt":
            path.write_text(rep["text"] + "\n", encoding="utf-8")
        elif fmt == "pdf":
            from pathxgen.pdfwrite import write_text_pdf

            write_text_pdf(path, rep["text"])
        else:
            _write_scanned(path, rep["text"], seed * 100003 + i)
        ts = rep["tumours"]
        if len(ts) > 1 and any(t.kind == "benign" for t in ts):
            # One row per tumour: the benign side of a two-sided report gets no row of its own.
            ts = [t for t in ts if t.kind != "benign"]
        for t in ts:
            labels = {k: schema.check_label(k, v) for k, v in t.labels().items()}
            rows.append(
                {
                    "id": f"report_{i:05d}" + (f":{t.side}" if len(ts) > 1 else ""),
                    "path": name,
                    "specimen": t.side if len(ts) > 1 else None,
                    "labels": labels,
                    "style": style,
                    "format": fmt,
                    "laterality": t.side,
                    "phenomena": _unit_phenomena(t, rep, len(ts)),
                    "phi": rep["phi"],
                    "phi_kinds": rep["phi_kinds"],
                }
            )
    with (outdir / "gold.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return rows
