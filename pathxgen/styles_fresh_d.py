"""fresh_d: reports "from abroad and from dictation", held-out wording (see fresh.py).

Each report draws one of six house styles, as far from fresh_a/b/c (and from each other) as real sites are:

    latam      Spanish-in-translation ("ANATOMOPATHOLOGICAL REPORT", "the neoplasia measures", "axillary
               emptying", "harpoon-guided resection", SBR / Nottingham grade in roman numerals, receptors as
               "positive in 90% of neoplastic nuclei, strong intensity"), lettered parts A), B) ...
    german     German/Austrian-in-translation ("Material", "Macroscopy", "Microscopy", "Critical appraisal",
               "Tumour classification (UICC 8th ed.): pT1c pN0(0/2 sn) L0 V0 Pn0 R0 G2", hormone receptor
               status with the Remmele immunoreactive score "IRS 12/12", HER2 "Score 1+ (negative)",
               "pM1 (HEP)" site codes, regression after neoadjuvant therapy by Sinn), numbered materials
    india      Indian tertiary centre ("HISTOPATHOLOGY REPORT", "Received in formalin ... labelled as",
               "Sections studied show", "IMPRESSION", Modified Bloom Richardson grade, "Her-2/neu",
               "lymphovascular emboli", "Kindly correlate clinically", "Advised IHC" when pending)
    cap_qa     US academic checklist as question / answer lines with dotted leaders
               ("Histologic Grade (Nottingham) ......... Grade 2 (3+2+1 = 6)")
    dictation  voice-recognition narrative: run-on sentences, numbers in words ("one point eight
               centimeters", "three plus two plus one equals six"), "period"/"new paragraph" left in
    flat       a key=value export flattened onto one line, fields split by " | " or " ;; "

Receptors as Allred (PS/IS), H-score, IRS or percentages only, often without the word positive; HER2 by IHC
score and/or ISH ratio words ("HER2/CEP17 ratio 2.6", "no amplification"); nodes as counts without pN in some
reports; M as "cannot be assessed" / pMX (-> not reported). Contract (fresh.py): every non-null label is written
and labels come from the case plan only.
"""

from __future__ import annotations

import datetime as dt

from pathxgen import fresh as fr
from pathxgen.case import Her2, Nodes, Receptor, Tumour
from pathxgen.phrases import Ctx

SUBSTYLES = ("latam", "german", "india", "cap_qa", "dictation", "flat")
SUB_WEIGHTS = (18, 18, 18, 16, 15, 15)
ROMAN = ("I", "II", "III")
DIFF = ("well differentiated", "moderately differentiated", "poorly differentiated")
NUC = ("low", "intermediate", "high")

TYPE = {
    "latam": {
        "ductal": ("Infiltrating ductal carcinoma, not otherwise specified (NOS)", "Invasive carcinoma of no special type (ductal)"),
        "lobular": ("Infiltrating lobular carcinoma, classic variant", "Invasive lobular carcinoma"),
        "mixed": ("Infiltrating carcinoma, mixed (ductal and lobular)",),
        "mucinous": ("Mucinous (colloid) carcinoma",),
        "tubular": ("Tubular carcinoma",),
        "micropapillary": ("Infiltrating micropapillary carcinoma",),
        "metaplastic": ("Metaplastic carcinoma",),
    },
    "german": {
        "ductal": ("Invasive carcinoma of no special type (NST)", "Invasive breast carcinoma NST (formerly invasive ductal)"),
        "lobular": ("Invasive lobular carcinoma, classical type",),
        "mixed": ("Invasive carcinoma, mixed type (NST and lobular)",),
        "mucinous": ("Mucinous carcinoma",),
        "tubular": ("Tubular carcinoma",),
        "micropapillary": ("Invasive micropapillary carcinoma",),
        "metaplastic": ("Metaplastic carcinoma",),
    },
    "india": {
        "ductal": ("Infiltrating duct carcinoma, NOS", "Invasive breast carcinoma of no special type"),
        "lobular": ("Infiltrating lobular carcinoma",),
        "mixed": ("Infiltrating duct carcinoma with lobular component",),
        "mucinous": ("Mucinous carcinoma",),
        "tubular": ("Tubular carcinoma",),
        "micropapillary": ("Invasive micropapillary carcinoma",),
        "metaplastic": ("Metaplastic carcinoma",),
    },
    "us": {
        "ductal": ("Invasive ductal carcinoma", "Invasive carcinoma of no special type (ductal, NOS)"),
        "lobular": ("Invasive lobular carcinoma",),
        "mixed": ("Invasive carcinoma with ductal and lobular features",),
        "mucinous": ("Invasive mucinous carcinoma",),
        "tubular": ("Invasive tubular carcinoma",),
        "micropapillary": ("Invasive micropapillary carcinoma",),
        "metaplastic": ("Metaplastic carcinoma",),
    },
}
PROC = {
    "latam": {
        "lumpectomy": "sectorectomy",
        "partial mastectomy": "quadrantectomy",
        "segmental mastectomy": "segmentectomy",
        "wide local excision": "wide local resection",
        "excisional biopsy": "excisional biopsy",
        "needle-localized excision": "harpoon-guided resection",
        "modified radical mastectomy": "modified radical mastectomy (Madden)",
    },
    "german": {
        "lumpectomy": "breast-conserving segmental resection",
        "partial mastectomy": "breast-conserving excision (BCT)",
        "segmental mastectomy": "segmental resection",
        "wide local excision": "tumourectomy",
        "excisional biopsy": "excisional biopsy",
        "needle-localized excision": "excision after wire marking",
        "total mastectomy": "ablatio mammae",
        "simple mastectomy": "ablatio mammae (simple)",
        "modified radical mastectomy": "modified radical mastectomy (ablatio with axillary dissection)",
    },
    "india": {
        "lumpectomy": "wide local excision (BCS)",
        "partial mastectomy": "breast conservation surgery",
        "modified radical mastectomy": "MRM (modified radical mastectomy)",
        "total mastectomy": "simple mastectomy",
        "needle-localized excision": "wire-guided wide local excision",
    },
}
INT_LATAM = {"weak": "weak", "moderate": "moderate", "strong": "intense", "none": "absent"}
INT_DE = {"weak": "weak", "moderate": "moderate", "strong": "strong", "none": "no"}
UICC_SITE = {"liver": "HEP", "bone": "OSS", "lung": "PUL", "brain": "BRA", "ovary": "OTH", "pleura": "PLE"}


# ====================================================================== small pieces
def date_d(c: Ctx, d: dt.date, sub: str) -> str:
    if sub == "german":
        s = f"{d.day:02d}.{d.month:02d}.{d.year}"
    elif sub == "latam":
        s = f"{d.day:02d}/{d.month:02d}/{d.year}"
    elif sub == "india":
        s = c.pick(f"{d.day:02d}-{d.month:02d}-{d.year}", f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}")
    else:
        s = f"{d.month:02d}/{d.day:02d}/{d.year}"
    return c.phi("date", s)


def proc(c: Ctx, t: Tumour, sub: str) -> str:
    return PROC.get(sub, {}).get(t.procedure, t.procedure)


def hist(c: Ctx, t: Tumour, sub: str) -> str:
    return c.pick(*TYPE.get(sub, TYPE["us"])[t.histology])


def size_words(mm: float) -> str:
    """'one point eight centimeters' / 'six millimeters' (dictation)."""
    if mm < 10 or mm % 1:
        return f"{fr.words(int(mm))} millimeter{'s' if mm != 1 else ''}" if mm % 1 == 0 else f"{mm:g} millimeters"
    cm, tenth = divmod(int(mm), 10)
    s = fr.words(cm) + (f" point {fr.words(tenth)}" if tenth else "")
    return s + (" centimeter" if cm == 1 and not tenth else " centimeters")


def size_d(c: Ctx, mm: float, sub: str) -> str:
    if sub == "dictation" and c.chance(0.6) and mm >= 1:
        return size_words(mm)
    unit = "cm" if sub in ("india", "latam") and c.chance(0.7) else c.pick("mm", "cm")
    s = fr.mm(c, mm, unit)
    return s.replace(".", ",") if sub == "latam" and unit == "cm" and mm >= 1 and c.chance(0.4) else s


def grade_d(c: Ctx, t: Tumour, sub: str) -> str:
    a, b, m = t.scores
    g, s = t.grade, a + b + m
    if sub == "latam":
        return c.pick(
            f"histological grade {ROMAN[g - 1]} (Scarff-Bloom-Richardson modified by Elston-Ellis, score {s}: {a}+{b}+{m})",
            f"Nottingham histological grade {g} (tubules {a}, nuclear pleomorphism {b}, mitoses {m})",
            f"{DIFF[g - 1]} (SBR {ROMAN[g - 1]})",
        )
    if sub == "german":
        return c.pick(f"G{g} (grading according to Elston and Ellis: {a}+{b}+{m} = {s} points)",
                      f"Nottingham grade {g} (score {s}/9: tubules {a}, pleomorphism {b}, mitoses {m})")
    if sub == "india":
        return c.pick(f"Modified Bloom Richardson grade {ROMAN[g - 1]} (score {a}+{b}+{m} = {s}/9)",
                      f"MBR grade {g} (score {s}/9)", f"Nottingham grade {ROMAN[g - 1]} - {DIFF[g - 1]}")
    if sub == "dictation":
        return c.pick(
            f"Nottingham score {fr.words(a)} plus {fr.words(b)} plus {fr.words(m)} equals {fr.words(s)} which makes it grade {fr.words(g)}",
            f"{DIFF[g - 1]}",
            f"histologic grade {fr.words(g)} of three",
        )
    if sub == "flat":
        return c.pick(f"G{g} ({a}/{b}/{m})", f"NOTT {g} [{a}+{b}+{m}={s}]", f"grade {g}")
    return c.pick(f"Grade {g} (score {a}+{b}+{m} = {s})", f"Nottingham score {a}+{b}+{m} = {s} (grade {g})",
                  f"{DIFF[g - 1].capitalize()} (grade {g})")


def irs_pp(pct: int) -> int:
    return 0 if pct == 0 else 1 if pct < 10 else 2 if pct <= 50 else 3 if pct <= 80 else 4


def receptor_d(c: Ctx, sub: str, name: str, r: Receptor) -> str:
    """ER or PR as written in `sub`. The status word is optional: the numbers alone decide (>= 1% positive)."""
    if r.status == "Equivocal":
        return c.pick(
            f"{name}: equivocal (weak, focal staining with absent internal control); repeat on the resection advised",
            f"{name} - result equivocal, staining not interpretable; will be repeated on another block",
            f"{name}: EQUIVOCAL / indeterminate (suboptimal fixation)",
        )
    ps, is_ = r.allred_ps, r.allred_is
    if r.status == "Negative":
        weak = r.intensity == "weak"
        if sub == "german":
            return (f"{name}: <1 % weakly stained tumour cell nuclei (IRS 0/12), negative" if weak
                    else c.pick(f"{name}: 0 % (IRS 0/12) - negative", f"{name}: no nuclear reaction (IRS 0), negative"))
        if sub == "latam":
            return (f"{name}: negative (less than 1% of neoplastic nuclei, weak intensity)" if weak
                    else f"{name}: negative (0% of neoplastic nuclei)")
        if weak:
            return c.pick(f"{name}: Allred 2/8 (PS 1, IS 1), <1% weak - negative", f"{name} <1% (weak), H-score 0, negative",
                          f"{name} <1% weakly stained nuclei: negative")
        return c.pick(f"{name}: Allred 0/8", f"{name} H-score 0 (negative)", f"{name} 0%", f"{name}: negative (0%)",
                      f"{name}: no nuclear staining (Allred 0)")
    low = " (low positive, 1-10%)" if r.low_positive else ""
    if sub == "german":
        irs = irs_pp(r.pct) * is_
        return c.pick(
            f"{name}: {r.pct} % of tumour cell nuclei with {INT_DE[r.intensity]} staining intensity (IRS {irs}/12){low}",
            f"{name}: positive, IRS {irs} ({r.pct} %, {INT_DE[r.intensity]}){low}",
        )
    if sub == "latam":
        return c.pick(
            f"{name}: positive in {r.pct}% of neoplastic nuclei, {INT_DE[r.intensity]} intensity{low}",
            f"{name}: {r.pct}% ({INT_LATAM[r.intensity]}), Allred {r.allred}/8{low}",
        )
    if r.low_positive:
        return c.pick(f"{name}: Allred {r.allred}/8 (PS {ps}, IS {is_}); {r.pct}% {r.intensity} - low positive",
                      f"{name} {r.pct}% {r.intensity}, H-score {r.pct * is_} (low positive)",
                      f"{name} H-score {r.pct * is_} ({r.pct}% {r.intensity})")
    return c.pick(
        f"{name}: Allred {r.allred}/8 (PS {ps}, IS {is_})",
        f"{name}: Allred {r.allred}/8 (PS {ps}, IS {is_}), positive",
        f"{name} H-score {r.pct * is_}",
        f"{name} H-score {r.pct * is_} ({r.pct}% {r.intensity})",
        f"{name} {r.pct}% {r.intensity}",
        f"{name}: {r.pct}% of tumour cells, {r.intensity} ({'+' * is_})",
    )


def ish_d(c: Ctx, sub: str, h: Her2) -> str:
    probe = c.pick("SISH", "FISH", "CISH", "dual-colour ISH") if sub != "german" else c.pick("FISH", "CISH", "ZytoLight SPEC FISH")
    if h.ish == "amplified":
        if sub == "german":
            return c.pick(f"{probe}: HER2 gene amplification detected (HER2/CEP17 ratio {h.ratio}; mean {h.copies} HER2 signals per cell)",
                          f"{probe}: amplified (ratio {h.ratio})")
        return c.pick(f"{probe}: HER2/CEP17 ratio {h.ratio}, average HER2 copy number {h.copies}/cell - amplified",
                      f"{probe} HER2/CEP17 ratio {h.ratio} (amplified)",
                      f"{probe}: amplification present, ratio {h.ratio}, {h.copies} signals per nucleus")
    if sub == "german":
        return c.pick(f"{probe}: no HER2 gene amplification (HER2/CEP17 ratio {h.ratio}; mean {h.copies} signals per cell)",
                      f"{probe}: not amplified (ratio {h.ratio})")
    return c.pick(f"{probe}: HER2/CEP17 ratio {h.ratio}, average HER2 copy number {h.copies}/cell - no amplification",
                  f"{probe} HER2/CEP17 ratio {h.ratio} (not amplified)",
                  f"{probe}: non-amplified, ratio {h.ratio}, {h.copies} signals per nucleus")


def her2_d(c: Ctx, sub: str, h: Her2, with_ish: bool = True) -> str:
    name = {"german": "HER2/neu", "india": "Her-2/neu", "latam": "HER2 (oncoprotein)"}.get(sub, c.pick("HER2", "HER2 (4B5)"))
    if h.ihc is None:
        return f"{name}: by in situ hybridisation only - {ish_d(c, sub, h)}"
    if h.ihc == 0:
        return c.pick(f"{name}: score 0 (negative)", f"{name} IHC 0, no membrane staining", f"{name}: 0 - negative")
    if h.ihc == 1:
        return c.pick(f"{name}: score 1+ (negative)", f"{name} IHC 1+ (HER2-low, negative)",
                      f"{name}: 1+, faint incomplete membrane staining")
    if h.ihc == 3:
        return c.pick(f"{name}: score 3+ (positive)", f"{name} IHC 3+, complete intense circumferential membrane staining",
                      f"{name}: 3+ - overexpressed")
    if h.ish == "pending" or not with_ish:
        return c.pick(f"{name}: score 2+ (equivocal); in situ hybridisation requested",
                      f"{name} IHC 2+ (borderline) - reflex ISH sent, result to follow",
                      f"{name}: 2+, equivocal, ISH in process")
    return f"{name}: score 2+ (equivocal); {ish_d(c, sub, h)}"


def m_d(c: Ctx, t: Tumour, sub: str) -> str | None:
    """The M statement, or None when the report says nothing about distant metastasis."""
    if t.m == "M1":
        if sub == "german":
            return f"pM1 ({UICC_SITE[t.m1_site]})"
        return c.pick(f"pM1 ({t.m1_site}, biopsy proven)", f"M1 - distant metastasis ({t.m1_site}) confirmed histologically")
    if t.m == "M0":
        return c.pick("cM0", "cM0 (staging CT negative)", "M0")
    if t.m_written == "x":
        return c.pick("pMX", "M: cannot be assessed", "distant metastasis cannot be assessed (MX)")
    if t.m_written == "na":
        return c.pick("pM: not applicable", "M - not applicable")
    return None


def m_phrase(c: Ctx, t: Tumour) -> str:
    """M for run-on text: 'distant metastasis cannot be assessed' etc."""
    if t.m == "M1":
        return f"metastatic disease to the {t.m1_site} is biopsy proven, pM1"
    if t.m == "M0":
        return "clinically cM0"
    return {"x": "distant metastasis cannot be assessed", "na": "M not applicable"}.get(t.m_written, "")


def skin_d(t: Tumour) -> str | None:
    f = t.t4_feature
    return {
        "ulceration": "tumour ulcerates the skin",
        "satellite": "separate satellite nodules in the skin",
        "chest_wall": "infiltration of the chest wall (intercostal muscle)",
        "both": "skin ulceration and chest wall infiltration",
        "inflammatory": "diffuse dermal lymphatic tumour emboli, clinically inflammatory carcinoma",
    }.get(f) or ("dermal infiltration, epidermis intact, no ulceration" if t.dermal_only else None)


def split_nodes(c: Ctx, nd: Nodes) -> list[Nodes]:
    """Sentinel and non-sentinel parts (or one part); positives never exceed a part's nodes; parts sum up."""
    if not (0 < nd.sentinel < nd.examined) or c.chance(0.35):
        return [nd]
    kinds = ["macro"] * nd.macro + ["micro"] * nd.micro + ["itc"] * nd.itc
    rest = nd.examined - nd.sentinel
    lo, hi = max(0, len(kinds) - rest), min(len(kinds), nd.sentinel)
    k = c.rng.randint(lo, hi)
    out = []
    for examined, share, sentinel in ((nd.sentinel, kinds[:k], nd.sentinel), (rest, kinds[k:], 0)):
        p = Nodes(examined, share.count("macro"), share.count("micro"), share.count("itc"), sentinel)
        p.largest_mm = nd.largest_mm if share else None
        if p.micro and not p.macro and nd.macro:  # this part holds only the micrometastasis
            p.largest_mm = c.rng.choice([0.4, 0.8, 1.2, 1.8])
        p.ene = nd.ene and "macro" in share
        out.append(p)
    return out


def node_counts(c: Ctx, nd: Nodes, sub: str, where: str) -> str:
    """Counts of one node part, with micrometastasis / ITC spelled out (N follows from them)."""
    n, pos = nd.examined, nd.positive
    num = (lambda x: fr.words(x)) if sub == "dictation" else (lambda x: fr.count(c, x, 0.25))
    nodes = "node" if n == 1 else "nodes"
    if pos == 0:
        if sub == "latam":
            s = f"{num(n)} {where} lymph {nodes} free of metastasis ({pos}/{n})"
        elif sub == "german":
            s = f"{num(n)} tumour-free {where} lymph {nodes} (0/{n})"
        elif sub == "india":
            s = f"{num(n)} {where} lymph {nodes} isolated, all show reactive changes only (0/{n})"
        else:
            s = f"{num(n)} {where} lymph {nodes}, no metastatic carcinoma (0/{n})"
        if nd.itc:
            s += f"; isolated tumour cells ({nd.largest_mm:g} mm, cytokeratin only) in one node, not counted as metastasis"
        return s
    if nd.macro == 0:
        return f"micrometastasis ({nd.largest_mm:g} mm) in {num(pos)} of {num(n)} {where} lymph {nodes} ({pos}/{n})"
    verb = {"latam": "with metastasis of carcinoma", "german": "with metastasis", "india": "showing metastatic deposits"}.get(
        sub, "involved by metastatic carcinoma")
    s = f"{num(pos)} of {num(n)} {where} lymph {nodes} {verb} ({pos}/{n})"
    if nd.micro:
        s += f", {num(nd.micro)} of them micrometasta{'sis' if nd.micro == 1 else 'ses'}"
    if nd.largest_mm:
        s += f", largest deposit {fr.mm(c, nd.largest_mm, 'mm')}"
    if nd.ene:
        s += ", with extranodal extension"
    elif c.chance(0.4):
        s += ", without extracapsular extension"
    return s


def node_quality(nd: Nodes) -> str:
    """Nodes without counts (pN-only reports)."""
    if nd.positive == 0:
        return "lymph nodes free of metastasis" + (" (isolated tumour cells only)" if nd.itc else "")
    return "nodal metastasis present" + (" (micrometastatic only)" if nd.macro == 0 else "")


def where_of(nd: Nodes) -> str:
    return "sentinel" if nd.sentinel == nd.examined else "axillary"


def nodes_sentence(c: Ctx, t: Tumour, sub: str) -> str | None:
    """All that a side's report says about nodes (None when none were received); pN only where planned."""
    nd = t.nodes
    if not nd.examined:
        return None
    pn = fr.n_code(c, t)
    if t.nodes_written == "pn":
        return f"{node_quality(nd)} ({pn})"
    parts = split_nodes(c, nd)
    s = "; ".join(node_counts(c, p, sub, where_of(p) if len(parts) > 1 or c.chance(0.7) else "") for p in parts)
    s = s.replace("  ", " ")
    if len(parts) > 1 and c.chance(0.6):
        s += f" (total {nd.positive}/{nd.examined})"
    return s + (f" - {pn}" if t.nodes_written == "both" else "")


def t_code_or_none(t: Tumour) -> str | None:
    return fr.t_code(t, multifocal=True) if t.stage_written else None


def tnm_line(c: Ctx, t: Tumour, sub: str) -> str | None:
    """pT pN M as one string, with only the parts the plan says are written."""
    bits = []
    tc = t_code_or_none(t)
    if tc:
        bits.append(tc)
    if t.nodes_written != "counts" and (t.nodes.examined or c.chance(0.4)):
        pn = fr.n_code(c, t)
        if sub == "german" and t.nodes.examined and t.nodes_written == "both":
            sn = " sn" if t.nodes.sentinel == t.nodes.examined else ""
            pn = pn.replace("(sn)", "") + f"({t.nodes.positive}/{t.nodes.examined}{sn})"
        bits.append(pn)
    m = m_d(c, t, sub)
    if m:
        bits.append(m)
    return " ".join(bits) if bits else None


# ====================================================================== biomarkers
def bio_lines(c: Ctx, t: Tumour, sub: str, with_ish: bool = True) -> list[str]:
    out = []
    names = {
        "german": ("Oestrogen receptor (ER)", "Progesterone receptor (PgR)"),
        "latam": ("Estrogen receptors", "Progesterone receptors"),
        "india": ("ER", "PR"),
    }.get(sub, (c.pick("ER", "ER (SP1)", "Estrogen receptor"), c.pick("PR", "PgR", "Progesterone receptor")))
    if t.er:
        out.append(receptor_d(c, sub, names[0], t.er))
    if t.pr:
        out.append(receptor_d(c, sub, names[1], t.pr))
    if t.her2:
        out.append(her2_d(c, sub, t.her2, with_ish))
    if t.ki67 is not None and c.chance(0.4):
        out.append(f"Ki-67 {'proliferation index' if sub != 'flat' else ''} {t.ki67}%".replace("  ", " "))
    return out


def biomarkers(c: Ctx, t: Tumour, sub: str, amend: list[tuple[str, list[str]]]) -> list[str]:
    """Biomarker lines for the body; addenda appended to `amend` as (title, lines)."""
    mode, h = t.bio_mode, t.her2
    acc = c.phi("accession", c.p.prior_accessions[0])
    side = t.side.upper() if sub != "german" else t.side
    if mode == "none":
        return []
    if mode == "pending":
        return [{
            "india": "Advised IHC for ER, PR and Her-2/neu; report to follow.",
            "german": "Hormone receptor status and HER2 status: a supplementary report will follow.",
            "latam": "Immunohistochemical study (hormone receptors, HER2) in process; will be reported separately.",
        }.get(sub, c.pick("ER/PR/HER2: pending, to be reported in an addendum.", "Prognostic markers sent; results to follow."))]
    if mode == "prior_ref":
        return [c.pick(f"Receptor status: see core biopsy {acc} (not repeated).",
                       f"Hormone receptors and HER2 were determined on the previous biopsy {acc}.")]
    if mode == "prior_quoted":
        return [f"On the previous core biopsy ({acc}): " + "; ".join(bio_lines(c, t, sub)) + "."]
    split = h is not None and h.ihc == 2 and h.ish in ("amplified", "not amplified") and c.chance(0.4)
    lines = bio_lines(c, t, sub, with_ish=not split)
    if mode == "addendum":
        title = {"german": f"SUPPLEMENTARY REPORT ({t.side} side) - hormone receptor status",
                 "latam": f"ADDENDUM - IMMUNOHISTOCHEMISTRY ({side} BREAST)",
                 "india": f"IHC REPORT ({side} BREAST)"}.get(sub, f"ADDENDUM - {side} BREAST BIOMARKERS")
        amend.append((title, lines))
        if split:
            amend.append((f"SECOND ADDENDUM - HER2 ISH ({side}, IHC 2+)", [ish_d(c, sub, h)]))
        return [c.pick("Biomarkers: see addendum.", "Receptor studies reported separately (addendum).")]
    if split:
        amend.append((f"ADDENDUM - HER2 ISH ({side}, IHC 2+)", [ish_d(c, sub, h)]))
    return lines


# ====================================================================== tumour facts per side
def is_core(t: Tumour) -> bool:
    return isinstance(t, fr.CoreBiopsy)


def tumour_sentence(c: Ctx, t: Tumour, sub: str) -> str:
    """What the tumour is: type, size, grade (never a pT code)."""
    if t.kind == "benign":
        return c.pick("Benign breast tissue, no malignancy identified", "fibrocystic changes; negative for malignancy")
    if t.kind == "pcr":
        s = "No residual invasive carcinoma in the tumour bed (fibrosis, histiocytes, haemosiderin)"
        if t.dcis:
            s += f"; residual ductal carcinoma in situ, {NUC[t.dcis_grade - 1]} nuclear grade"
        return s
    if t.kind == "dcis":
        ext = "" if is_core(t) else f", extent {size_d(c, t.size_mm, sub)}"
        return f"Ductal carcinoma in situ, {NUC[t.dcis_grade - 1]} nuclear grade{ext}; no invasion seen"
    if t.kind == "micro":
        return (f"Ductal carcinoma in situ ({NUC[t.dcis_grade - 1]} nuclear grade) with a single focus of microinvasion "
                f"({t.size_mm:g} mm); grade not assigned to the microinvasive focus")
    s = hist(c, t, sub)
    if t.kind == "residual":
        s = "Residual " + s[0].lower() + s[1:] + " with therapy-related changes"
    if is_core(t):
        return f"{s}, {grade_d(c, t, sub)}, in {c.rng.randint(2, 5)} cores (up to {t.size_mm:g} mm of carcinoma in one core)"
    s += f", {grade_d(c, t, sub)}, measuring {size_d(c, t.size_mm, sub)} in greatest dimension"
    if t.other_foci_mm:
        s += f" (largest of {fr.words(len(t.other_foci_mm) + 1)} foci; others " + ", ".join(f"{x:g} mm" for x in t.other_foci_mm) + ")"
    if t.dcis and c.chance(0.6):
        s += f"; accompanying DCIS, {NUC[t.dcis_grade - 1]} nuclear grade"
    return s


def lvi_margin(c: Ctx, t: Tumour) -> list[str]:
    if is_core(t) or t.kind == "benign":
        return []
    out = []
    if t.invasive:
        out.append(c.pick("lymphovascular invasion present" if t.lvi else "no lymphovascular invasion",
                          "vascular-lymphatic invasion: " + ("present" if t.lvi else "not identified")))
    if t.kind != "pcr":
        out.append("margins involved" if t.margin_mm == 0 else
                   f"margins free, nearest {t.margin_name} at {fr.mm(c, t.margin_mm, 'mm')}")
    sk = skin_d(t)
    if sk:
        out.append(sk)
    return out


# ====================================================================== sub-styles
def _latam(c: Ctx, ts: list[Tumour], amend: list) -> list[str]:
    p = c.p
    lines = [c.pick("HOSPITAL UNIVERSITARIO SAN RAFAEL - PATHOLOGICAL ANATOMY SERVICE", "CLINICA SANTA MARIA - ANATOMIA PATOLOGICA"),
             "ANATOMOPATHOLOGICAL REPORT (translated)",
             f"Patient: {c.patient_name()}   Clinical history no.: {c.phi('mrn', p.mrn)}",
             f"Study no.: {c.phi('accession', p.accession)}   Date of reception: {date_d(c, p.received, 'latam')}   "
             f"Date of report: {date_d(c, p.reported, 'latam')}",
             f"Requesting physician: Dr. {c.doctor(p.clinician, title=False)}", ""]
    t0 = ts[0]
    lines += ["CLINICAL DATA:", f"Patient with {'neoplasia' if t0.kind != 'benign' else 'lesion'} of the "
              f"{t0.side} breast" + ("; received neoadjuvant chemotherapy." if t0.neoadjuvant else ".")
              + (f" Known {t0.m1_site} metastasis." if t0.m == "M1" else ""), ""]
    lines.append("DIAGNOSIS:")
    for i, t in enumerate(ts):
        head = f"{chr(65 + i)}) {t.side.upper()} BREAST, " + ("ULTRASOUND-GUIDED TRU-CUT BIOPSY" if is_core(t) else proc(c, t, "latam").upper())
        lines.append(head + ":")
        lines.append(f"   - {tumour_sentence(c, t, 'latam')}.")
        if t.invasive and not is_core(t) and c.chance(0.5):
            lines.append(f"   - Size of the neoplasia: {size_d(c, t.size_mm, 'latam')}.")
        for x in lvi_margin(c, t):
            lines.append(f"   - {x[0].upper() + x[1:]}.")
        if t.kind != "benign" and not is_core(t):
            ns = nodes_sentence(c, t, "latam")
            if ns:
                lines.append(f"   - Lymph nodes ({c.pick('axillary emptying', 'sentinel node and axillary emptying') if t.nodes.sentinel < t.nodes.examined else 'sentinel node'}): {ns}.")
            elif c.chance(0.5):
                lines.append("   - No lymph nodes were sent for study.")
            tnm = tnm_line(c, t, "latam")
            if tnm:
                lines.append(f"   - Pathological staging (pTNM, AJCC 8th edition): {tnm}.")
        if is_core(t):
            lines.append("   - Staging will be carried out on the surgical specimen.")
        bl = biomarkers(c, t, "latam", amend)
        if bl:
            lines.append("   - Immunohistochemistry: " + "; ".join(x.rstrip(".") for x in bl) + ".")
        lines = [x for x in lines if x]
    lines += ["", "MACROSCOPIC DESCRIPTION:",
              f"Received in 10% formalin {len(ts)} specimen(s) identified with the patient's data. "
              "Representative sections are included in cassettes.", "",
              f"Pathologist: Dr. {c.doctor(p.pathologist, title=False)} - Professional licence {c.rng.randint(10000, 99999)}"]
    return lines


def _german(c: Ctx, ts: list[Tumour], amend: list) -> list[str]:
    p = c.p
    lines = [c.pick("Institute of Pathology, Klinikum Nord", "Department of Pathology, Landesklinikum (translated from German)"),
             c.pick("FINDINGS REPORT", "Histopathological findings"),
             f"Patient: {c.patient_name()}, born {date_d(c, p.dob, 'german')}   Case no. {c.phi('mrn', p.mrn)}",
             f"Journal no.: {c.phi('accession', p.accession)}   Receipt of material: {date_d(c, p.received, 'german')}",
             f"Sender: Dr. {c.doctor(p.clinician, title=False)}, Breast Centre", ""]
    mats: list[tuple[Tumour, str]] = []
    for t in ts:
        if is_core(t):
            mats.append((t, f"Mamma {t.side}, punch biopsy (high-speed core biopsy), {c.rng.randint(2, 6)} cylinders"))
            continue
        mats.append((t, f"Mamma {t.side}, {proc(c, t, 'german')}, thread-marked"))
        if t.nodes.examined:
            nd = t.nodes
            kind = ("Sentinel lymph node(s) and axillary dissectate" if 0 < nd.sentinel < nd.examined
                    else "Sentinel lymph node(s)" if nd.sentinel else "Axillary dissectate")
            mats.append((t, f"{kind} {t.side}"))
    lines.append("Material:")
    lines += [f"{i}. {m}" for i, (_, m) in enumerate(mats, 1)]
    t0 = ts[0]
    lines += ["", "Clinical information:",
              ("Status post neoadjuvant chemotherapy. " if t0.neoadjuvant else "")
              + c.pick("Suspicious finding, BI-RADS 5.", "Carcinoma known from core biopsy.", "Request for histological assessment.")
              + (f" Known metastases ({t0.m1_site})." if t0.m == "M1" else ""), ""]
    lines.append("Microscopy:")
    for i, (t, _) in enumerate(mats, 1):
        if t.kind == "benign":
            lines.append(f"{i}. Mammary tissue with fibrocystic mastopathy; no malignancy.")
        elif "ymph" in mats[i - 1][1] or "dissectate" in mats[i - 1][1]:
            lines.append(f"{i}. " + ("Lymph node tissue, see appraisal." if t.nodes.positive or t.nodes.itc or c.chance(0.5)
                                     else "Lymph nodes with sinus histiocytosis, no tumour."))
        else:
            lines.append(f"{i}. {tumour_sentence(c, t, 'german')}.")
    lines += ["", c.pick("Critical appraisal:", "Assessment:")]
    for t in ts:
        if t.kind == "benign":
            lines.append(f"Mamma {t.side}: no evidence of malignancy.")
            continue
        lines.append(f"Mamma {t.side}: {tumour_sentence(c, t, 'german')}.")
        lines += [f"- {x[0].upper() + x[1:]}." for x in lvi_margin(c, t)]
        if is_core(t):
            lines.append("- Final tumour classification on the resection specimen.")
        else:
            ns = nodes_sentence(c, t, "german")
            if ns:
                lines.append(f"- Lymph nodes: {ns}.")
            if t.neoadjuvant and c.chance(0.6):
                reg = 4 if t.kind == "pcr" else c.rng.choice([1, 2, 3])
                lines.append(f"- Tumour regression according to Sinn: regression grade {reg}.")
            tnm = tnm_line(c, t, "german")
            if tnm:
                extra = ""
                if t.invasive and c.chance(0.7):
                    extra = f" L{int(t.lvi)} V0 Pn0 R{int(t.margin_mm == 0)}" + (f" G{t.grade}" if t.grade and c.chance(0.6) else "")
                lines.append(f"- Tumour classification (UICC 8th ed.): {tnm}{extra}")
        bl = biomarkers(c, t, "german", amend)
        if bl:
            lines.append("- Hormone receptor status and HER2 status:")
            lines += [f"  {x}" for x in bl]
    who = c.doctor(p.pathologist, title=False)
    lines += ["", f"Dr. med. {who}, specialist in pathology", f"Report date: {date_d(c, p.reported, 'german')}"]
    return lines


def _india(c: Ctx, ts: list[Tumour], amend: list) -> list[str]:
    p = c.p
    lines = [c.pick("DEPARTMENT OF PATHOLOGY - REGIONAL CANCER CENTRE", "GOVERNMENT MEDICAL COLLEGE & HOSPITAL, DEPARTMENT OF PATHOLOGY"),
             "HISTOPATHOLOGY REPORT",
             f"Name: {c.patient_name()}   Age/Sex: {c.age_text('years')}/{p.sex}   UHID: {c.phi('mrn', p.mrn)}",
             f"Biopsy No: {c.phi('accession', p.accession)}   Date of receipt: {date_d(c, p.received, 'india')}   "
             f"Date of report: {date_d(c, p.reported, 'india')}",
             f"Referred by: Dr. {c.doctor(p.clinician, title=False)} (Surgical Oncology)", ""]
    for i, t in enumerate(ts):
        tag = chr(65 + i) if len(ts) > 1 else ""
        spec = "Trucut biopsy" if is_core(t) else proc(c, t, "india")
        lines.append(f"SPECIMEN {tag}: {t.side.capitalize()} breast - {spec}".replace("SPECIMEN :", "SPECIMEN:"))
        whole = t.procedure.endswith("mastectomy") and t.procedure not in ("partial mastectomy", "segmental mastectomy")
        big = (c.rng.randint(15, 25), c.rng.randint(10, 18), c.rng.randint(3, 7)) if whole else (
            c.rng.randint(5, 11), c.rng.randint(4, 8), c.rng.randint(2, 5))
        g = ("Received in formalin multiple linear greyish white cores, largest measuring "
             f"{c.rng.randint(10, 20)} mm. Entirely submitted." if is_core(t) else
             f"Received in formalin {spec} specimen labelled as '{t.side} breast' measuring "
             f"{big[0]} x {big[1]} x {big[2]} cm" + (" with nipple areola complex." if whole else "."))
        lines += ["GROSS:", g]
        if t.invasive and not is_core(t):
            lines.append(f"Cut section shows a grey white firm tumour measuring {size_d(c, t.size_mm, 'india')}"
                         + (" (in maximum dimension)" if c.chance(0.5) else "") + ".")
        ts_ = tumour_sentence(c, t, "india")
        lines += ["MICROSCOPY:", f"Sections studied show {ts_[0].lower()}{ts_[1:]}."]
        extra = lvi_margin(c, t)
        if t.invasive and not is_core(t):
            extra = [x.replace("lymphovascular invasion present", "lymphovascular emboli: seen")
                      .replace("no lymphovascular invasion", "lymphovascular emboli: not seen") for x in extra]
            extra.append(c.pick("perineural invasion: absent", "PNI: not seen"))
        lines += [f"{x[0].upper() + x[1:]}." for x in extra]
        lines.append("")
    lines.append("IMPRESSION:")
    for i, t in enumerate(ts):
        tag = f"({chr(65 + i)}) " if len(ts) > 1 else ""
        if t.kind == "benign":
            lines.append(f"{tag}{t.side.capitalize()} breast: benign breast tissue. No evidence of malignancy.")
            continue
        bits = [f"{tag}{t.side.capitalize()} breast, {'trucut biopsy' if is_core(t) else proc(c, t, 'india')}:"]
        bits.append(f"  - {tumour_sentence(c, t, 'india')}.")
        if not is_core(t):
            ns = nodes_sentence(c, t, "india")
            if ns:
                bits.append(f"  - Axillary lymph nodes: {ns}.")
            elif c.chance(0.5):
                bits.append("  - Lymph nodes: not received.")
            tnm = tnm_line(c, t, "india")
            if tnm:
                bits.append(f"  - pTNM stage (AJCC 8th ed.): {tnm}")
        bl = biomarkers(c, t, "india", amend)
        if bl:
            bits.append("  - IHC: " + ", ".join(x.rstrip(".") for x in bl) + ".")
        lines += bits
    lines += ["", "Note: Kindly correlate clinically and radiologically.",
              f"Consultant Pathologist: Dr. {c.doctor(p.pathologist, title=False)}, MD (Pathology)   Sd/-"]
    return lines


def _leader(k: str, v: str, width: int) -> str:
    dots = "." * max(3, width - len(k))
    return f"{k} {dots} {v}"


def _cap_qa(c: Ctx, ts: list[Tumour], amend: list) -> list[str]:
    p = c.p
    w = c.pick(44, 48, 52)
    lines = [p.facility, "SURGICAL PATHOLOGY REPORT",
             f"Patient: {c.patient_name()}   MRN: {c.phi('mrn', p.mrn)}   Accession: {c.phi('accession', p.accession)}",
             f"Collected: {date_d(c, p.collected, 'us')}   Signed: {date_d(c, p.reported, 'us')}", ""]
    for i, t in enumerate(ts):
        lines.append(f"PART {chr(65 + i)}: {t.side.upper()} BREAST, {'CORE NEEDLE BIOPSY' if is_core(t) else t.procedure.upper()}")
        if t.kind == "benign":
            lines += [_leader("Is carcinoma present?", "No (benign breast tissue)", w), ""]
            continue
        qa: list[tuple[str, str]] = [("What procedure was performed?", "core needle biopsy" if is_core(t) else t.procedure)]
        if t.kind == "pcr":
            qa.append(("Is residual invasive carcinoma present?", "No"))
        elif t.kind == "dcis":
            qa.append(("What is the histologic type?", "ductal carcinoma in situ only"))
            qa.append(("What is the DCIS nuclear grade?", f"{NUC[t.dcis_grade - 1]} (grade {t.dcis_grade})"))
            if not is_core(t):
                qa.append(("What is the size (extent) of DCIS?", size_d(c, t.size_mm, "cap_qa")))
        elif t.kind == "micro":
            qa.append(("What is the histologic type?", "DCIS with microinvasion"))
            qa.append(("What is the size of the invasive focus?", f"{t.size_mm:g} mm"))
        else:
            qa.append(("What is the histologic type?", hist(c, t, "us")))
            qa.append(("What is the Nottingham histologic grade?", grade_d(c, t, "cap_qa")))
            if not is_core(t):
                qa.append(("What is the size of the largest invasive focus?", size_d(c, t.size_mm, "cap_qa")))
                if t.other_foci_mm:
                    qa.append(("Are there additional foci?", f"Yes, {len(t.other_foci_mm)}"))
            qa.append(("Is lymphovascular invasion present?", "Yes" if t.lvi else "No"))
        if not is_core(t):
            sk = skin_d(t)
            if sk:
                qa.append(("Skin / chest wall?", sk))
            if t.kind != "pcr":
                qa.append(("Are the margins involved?", "Yes" if t.margin_mm == 0 else
                           f"No; closest {t.margin_name}, {fr.mm(c, t.margin_mm, 'mm')}"))
            nd = t.nodes
            if not nd.examined:
                qa.append(("Were lymph nodes submitted?", "No"))
            elif t.nodes_written == "pn":
                qa.append(("Are lymph nodes involved?", node_quality(nd)))
            else:
                qa.append(("How many lymph nodes were examined?", str(nd.examined)))
                qa.append(("How many have macrometastases (>2 mm)?", str(nd.macro)))
                qa.append(("How many have micrometastases (>0.2-2 mm)?", str(nd.micro)))
                if nd.itc or c.chance(0.5):
                    qa.append(("How many have isolated tumor cells only?", str(nd.itc)))
                if nd.positive and c.chance(0.7):
                    qa.append(("Size of largest nodal deposit?", fr.mm(c, nd.largest_mm, "mm")))
                if nd.positive:
                    qa.append(("Extranodal extension?", "present" if nd.ene else "not identified"))
            if t.stage_written:
                qa.append(("What is the primary tumor category (pT)?", fr.t_code(t, multifocal=True)))
            if t.nodes_written != "counts" and nd.examined:
                qa.append(("What is the regional lymph node category (pN)?", fr.n_code(c, t)))
            m = m_d(c, t, "cap_qa")
            if m:
                qa.append(("Distant metastasis (M)?", m))
        bl = biomarkers(c, t, "cap_qa", amend)
        if bl:
            qa.append(("Biomarker results?", bl[0]))
            qa += [("", x) for x in bl[1:]]
        for k, v in qa:
            lines.append(_leader(k, v, w) if k else " " * (w + 5) + v)
        lines.append("")
    lines.append(f"Electronically signed: {c.doctor(p.pathologist)}")
    return lines


def _dictation(c: Ctx, ts: list[Tumour], amend: list) -> list[str]:
    p = c.p
    per = c.pick(" period", "", "")
    para = c.pick(" new paragraph ", " ", " ")
    lines = [p.facility, f"PATHOLOGY REPORT - DICTATED {date_d(c, p.reported, 'us')}",
             f"PT: {c.patient_name()}  MR#: {c.phi('mrn', p.mrn)}  CASE: {c.phi('accession', p.accession)}", ""]
    out = []
    for i, t in enumerate(ts):
        part = f"part {fr.words(i + 1)}" if c.chance(0.5) else f"part {chr(65 + i)}"
        what = "core biopsies" if is_core(t) else proc(c, t, "us")
        s = f"{part} is labeled {t.side} breast {what} and "
        if t.kind == "benign":
            out.append(s + f"this shows benign breast tissue only with no malignancy{per}")
            continue
        ts_ = tumour_sentence(c, t, "dictation")
        s += f"this shows {ts_[0].lower()}{ts_[1:]}"
        extra = lvi_margin(c, t)
        if extra:
            s += ", " + ", and ".join(extra)
        if not is_core(t):
            ns = nodes_sentence(c, t, "dictation")
            if ns:
                s += f", and the lymph nodes show {ns}"
            tnm = t_code_or_none(t)
            stage = []
            if tnm:
                stage.append(tnm)
            if t.nodes_written != "counts" and t.nodes.examined:
                stage.append(fr.n_code(c, t))
            mp = m_phrase(c, t)
            if stage:
                s += f"{per}{para}the stage is {' '.join(stage)}" + (f" and {mp}" if mp else "")
            elif mp:
                s += f", {mp}"
        else:
            s += ", staging deferred to the excision"
        bl = biomarkers(c, t, "dictation", amend)
        if bl:
            s += f"{per}{para}" + c.pick("prognostic markers ", "the stains show ") + ", ".join(x.rstrip(".") for x in bl)
        out.append(s + per + ".")
    body = para.join(out) if c.chance(0.5) else "\n\n".join(out)
    lines += ["FINAL DIAGNOSIS:", body[0].upper() + body[1:], "",
              f"Dictated by {c.doctor(p.pathologist)}; transcribed by voice recognition, not proofread{per}."]
    return lines


def _flat(c: Ctx, ts: list[Tumour], amend: list) -> list[str]:
    p = c.p
    sep = c.pick(" | ", " ;; ", " || ")
    kv = c.pick("=", ": ", ":")
    f = [f"RPT{kv}SURG PATH", f"NAME{kv}{c.patient_name()}", f"MRN{kv}{c.phi('mrn', p.mrn)}",
         f"ACC{kv}{c.phi('accession', p.accession)}", f"DT{kv}{date_d(c, p.reported, 'us')}"]
    for t in ts:
        sd = "L" if t.side == "left" else "R"
        f.append(f"SIDE{kv}{sd}")
        f.append(f"SPEC{kv}{'CORE BX' if is_core(t) else t.procedure.upper()}")
        if t.kind == "benign":
            f.append(f"DX{kv}BENIGN, NO CA")
            continue
        f.append(f"DX{kv}{tumour_sentence(c, t, 'flat').upper()}")
        if t.invasive and not is_core(t):
            f.append(f"SIZE{kv}{fr.mm(c, t.size_mm, c.pick('mm', 'cm'))}")
            f.append(f"LVI{kv}{'Y' if t.lvi else 'N'}")
            f.append(f"MARG{kv}{'POS' if t.margin_mm == 0 else 'NEG ' + fr.mm(c, t.margin_mm, 'mm')}")
        if not is_core(t):
            nd = t.nodes
            if nd.examined and t.nodes_written != "pn":
                f.append(f"LN{kv}{nd.positive}/{nd.examined}")
                if nd.micro:
                    f.append(f"LN MICRO{kv}{nd.micro}" + (" (MICROMET ONLY)" if not nd.macro else ""))
                if nd.itc:
                    f.append(f"LN ITC{kv}{nd.itc} (ISOLATED TUMOUR CELLS, NOT COUNTED)")
                if nd.ene:
                    f.append(f"ENE{kv}Y")
            elif nd.examined:
                f.append(f"LN{kv}{node_quality(nd).upper()}")
            else:
                f.append(f"LN{kv}NONE RECD")
            if t.stage_written:
                f.append(f"PT{kv}{fr.t_code(t, multifocal=True)}")
            if t.nodes_written != "counts" and nd.examined:
                f.append(f"PN{kv}{fr.n_code(c, t)}")
            m = m_d(c, t, "flat")
            if m:
                f.append(f"M{kv}{m}")
        bl = biomarkers(c, t, "flat", amend)
        f += [f"IHC{kv}{x}" for x in bl]
    f.append(f"PATH{kv}{c.doctor(p.pathologist)}")
    return [sep.join(f)]


RENDER = {"latam": _latam, "german": _german, "india": _india, "cap_qa": _cap_qa, "dictation": _dictation, "flat": _flat}


def pick_substyle(c: Ctx) -> str:
    return c.rng.choices(SUBSTYLES, SUB_WEIGHTS)[0]


def render(c: Ctx, ts: list[Tumour]) -> str:
    sub = pick_substyle(c)
    amend: list[tuple[str, list[str]]] = []
    lines = RENDER[sub](c, ts, amend)
    for title, block in amend:
        date = date_d(c, c.p.addendum, sub if sub in ("german", "latam", "india") else "us")
        if sub == "flat":
            lines[-1] += f" | ADD{title.split('-', 1)[-1].strip().replace(' ', '_')}: " + "; ".join(block) + f" ({date})"
        else:
            lines += ["", f"{title} ({date})"] + [f"  {x}" + ("" if x.endswith(".") else ".") for x in block]
    text = "\n".join(lines)
    if sub in ("latam", "india", "german") and c.chance(0.15):
        text = text.upper()  # upper-case print-outs
    return text
