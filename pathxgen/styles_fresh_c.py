"""fresh_c: an Australian/Canadian structured-synoptic hybrid, held-out wording (see fresh.py).

Anatomical pathology report: header block (UR number, lab number, ISO or dd-Mon-yyyy dates), CLINICAL NOTES,
SPECIMENS by number (or letter), MACROSCOPIC and MICROSCOPIC free-text paragraphs per part, then a
SUMMARY OF FINDINGS per side as numbered items (or a semicolon synoptic block), closing with one staging
line ("pT1c; pN0(sn); M not applicable"). Receptors as Allred with PS/IS, percentages with H-scores,
HER2 "IHC equivocal (2+); SISH ratio 2.3, amplified"; grade as "Nottingham score 3+3+2=8, grade 3"; nodes as
"Sentinel nodes 0/3; non-sentinel 2/11 (total 2/14)". Receptor studies sometimes in an ANCILLARY STUDIES
amendment, HER2 ISH sometimes in a second one. Contract (fresh.py): every non-null label is written.
"""

from __future__ import annotations

import datetime as dt

from pathxgen import fresh as fr
from pathxgen.case import Her2, Nodes, Receptor, Tumour
from pathxgen.phrases import Ctx

MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
TYPE_C = {
    "ductal": ("Invasive carcinoma of no special type (ductal)", "Invasive breast carcinoma, NST", "Invasive ductal carcinoma (NST)"),
    "lobular": ("Invasive lobular carcinoma, classical", "Invasive lobular carcinoma"),
    "mixed": ("Invasive carcinoma, mixed NST and lobular", "Mixed ductal-lobular invasive carcinoma"),
    "mucinous": ("Mucinous carcinoma (pure)", "Invasive mucinous carcinoma"),
    "tubular": ("Tubular carcinoma", "Invasive tubular carcinoma"),
    "micropapillary": ("Invasive micropapillary carcinoma", "Invasive carcinoma with micropapillary pattern"),
    "metaplastic": ("Metaplastic carcinoma (squamous / spindle)", "Metaplastic carcinoma"),
}
NUC = ("low", "intermediate", "high")
INT_WORD = {"weak": "weak", "moderate": "moderate", "strong": "strong", "none": "nil"}


# ====================================================================== small pieces
def date_c(c: Ctx, d: dt.date, style: int) -> str:
    s = (f"{d.year}-{d.month:02d}-{d.day:02d}", f"{d.day:02d}-{MON[d.month - 1]}-{d.year}",
         f"{d.day} {MON[d.month - 1]} {d.year}")[style]
    return c.phi("date", s)


def grade_c(c: Ctx, t: Tumour) -> str:
    a, b, m = t.scores
    g, s = t.grade, a + b + m
    return c.pick(
        f"Nottingham score {a}+{b}+{m}={s}, grade {g}",
        f"grade {g} (tubule formation {a}, nuclear pleomorphism {b}, mitotic count {m}; total {s}/9)",
        f"Histological grade {('I', 'II', 'III')[g - 1]} (Nottingham {s}/9)",
        f"Nottingham grade {g}/3 [tubules {a}, pleomorphism {b}, mitoses {m}]",
        f"{('well', 'moderately', 'poorly')[g - 1]} differentiated, Nottingham grade {g}",
    )


def receptor_c(c: Ctx, abbr: str, long: str, r: Receptor) -> str:
    if r.status == "Equivocal":
        return c.pick(
            f"{abbr}: equivocal. Weak, patchy staining with unsatisfactory internal control; repeat on the excision advised.",
            f"{long}: result equivocal (technically suboptimal, focal weak staining); will be repeated on another block.",
        )
    if r.status == "Negative":
        if r.intensity == "weak":
            return c.pick(f"{abbr}: Allred 2 (PS 1, IS 1) negative; occasional weakly stained nuclei, <1%.",
                          f"{long} negative (<1% of nuclei, weak).")
        return c.pick(f"{abbr}: Allred 0 negative.", f"{long} negative (0%; internal control present).",
                      f"{abbr} negative, no nuclear staining (H-score 0).")
    is_ = r.allred_is
    if r.low_positive:
        return c.pick(
            f"{abbr}: low positive, {r.pct}% {r.intensity} (Allred {r.allred}: PS {r.allred_ps}, IS {is_}).",
            f"{long} {r.pct}% {r.intensity} - low positive (1-10%).",
        )
    return c.pick(
        f"{abbr}: Allred {r.allred} (PS {r.allred_ps}, IS {is_}) positive.",
        f"{long} {r.pct}% {r.intensity} (H-score {r.pct * is_}).",
        f"{abbr} positive - {r.pct}% of invasive nuclei, {INT_WORD[r.intensity]} intensity.",
        f"{long}: POSITIVE, {r.pct}%, {r.intensity} (Allred {r.allred}/8).",
    )


def ish_c(c: Ctx, h: Her2) -> str:
    probe = c.pick("SISH", "dual-colour ISH", "DISH", "FISH")
    if h.ish == "amplified":
        return c.pick(
            f"{probe} ratio {h.ratio}, amplified",
            f"{probe}: HER2/CEP17 ratio {h.ratio}, mean HER2 copy number {h.copies}/cell - AMPLIFIED (group 1)",
            f"{probe} HER2 {h.copies} signals per nucleus, CEP17 {h.cep17}, ratio {h.ratio}: amplified",
        )
    return c.pick(
        f"{probe} ratio {h.ratio}, not amplified",
        f"{probe}: HER2/CEP17 ratio {h.ratio}, mean HER2 copy number {h.copies}/cell - NOT amplified (group 5)",
        f"{probe} HER2 {h.copies} signals per nucleus, CEP17 {h.cep17}, ratio {h.ratio}: not amplified",
    )


def her2_c(c: Ctx, h: Her2, with_ish: bool = True) -> str:
    if h.ihc is None:
        final = "positive" if h.ish == "amplified" else "negative"
        return f"HER2 by in situ hybridisation only: {ish_c(c, h)}; HER2 {final}."
    if h.ihc == 0:
        return c.pick("HER2 IHC 0 (negative).", "HER2: score 0, no membrane staining - negative.")
    if h.ihc == 1:
        return c.pick("HER2 IHC 1+ (negative; HER2-low).", "HER2: 1+, faint incomplete membrane staining - negative.")
    if h.ihc == 3:
        return c.pick("HER2 IHC 3+ (positive).", "HER2: 3+, strong complete circumferential staining in >10% - positive.")
    if h.ish == "pending" or not with_ish:
        tail = c.pick("ISH requested; an amendment will follow.", "in situ hybridisation to follow.",
                      "referred for ISH.")
        return f"HER2 IHC equivocal (2+); {tail}"
    final = "positive" if h.ish == "amplified" else "negative"
    return c.pick(f"HER2 IHC equivocal (2+); {ish_c(c, h)}.",
                  f"HER2: IHC 2+ (equivocal); {ish_c(c, h)}. Overall HER2 {final}.")


def receptor_block(c: Ctx, t: Tumour, with_ish: bool = True) -> list[str]:
    out = []
    if t.er:
        out.append(receptor_c(c, c.pick("ER", "ER (SP1)"), c.pick("Oestrogen receptor", "Estrogen receptor"), t.er))
    if t.pr:
        out.append(receptor_c(c, c.pick("PR", "PgR"), "Progesterone receptor", t.pr))
    if t.her2:
        out.append(her2_c(c, t.her2, with_ish))
    if t.ki67 is not None and c.chance(0.35):
        out.append(f"Ki-67 (MIB1) approximately {t.ki67}%.")
    return out


def size_c(c: Ctx, mm: float) -> str:
    return fr.mm(c, mm, c.pick("mm", "mm", "cm"))


def nodes_total(nd: Nodes) -> str:
    return f"{nd.positive}/{nd.examined}"


def node_part_text(c: Ctx, nd: Nodes, mode: str) -> str:
    """Free text for one node part (microscopic paragraph)."""
    n = nd.examined
    noun = "node" if n == 1 else "nodes"
    if mode == "pn":
        if nd.positive == 0:
            return f"The {noun} show{'s' if n == 1 else ''} no metastatic carcinoma" + (
                "; a tiny cluster of isolated tumour cells is seen on cytokeratin" if nd.itc else "") + "."
        return "Metastatic carcinoma is present in the nodal tissue" + (" (micrometastatic only)" if nd.macro == 0 else "") + "."
    if nd.positive == 0:
        s = c.pick(f"{fr.count(c, n).capitalize()} {noun}, all free of tumour ({nodes_total(nd)}).",
                   f"No tumour identified in {fr.count(c, n)} {noun} ({nodes_total(nd)}).")
        if nd.itc:
            s += f" Isolated tumour cells ({nd.largest_mm:g} mm) in one node on AE1/AE3 (not counted as positive)."
        return s
    if nd.macro == 0:
        return (f"A micrometastasis measuring {nd.largest_mm:g} mm is present; {nodes_total(nd)} nodes involved "
                "by micrometastatic carcinoma only.")
    s = f"Metastatic carcinoma in {fr.count(c, nd.positive)} of {fr.count(c, n)} {noun} ({nodes_total(nd)})"
    if nd.micro:
        s += f", of which {fr.count(c, nd.micro)} {'is a micrometastasis' if nd.micro == 1 else 'are micrometastases'}"
    if nd.largest_mm:
        s += f"; largest deposit {fr.mm(c, nd.largest_mm, c.pick('mm', 'cm'))}"
    s += "; extranodal extension present" if nd.ene else c.pick("; no extranodal extension", "")
    return s + "."


def node_summary(c: Ctx, t: Tumour, parts: list[Nodes]) -> str:
    nd = t.nodes
    if t.nodes_written == "pn":
        if nd.positive == 0:
            return "Negative" + (" (isolated tumour cells only)" if nd.itc else "") + "; see staging line"
        return ("Involved (micrometastasis)" if nd.macro == 0 else "Involved") + "; see staging line"
    extra = ""
    if nd.micro and not nd.macro:
        extra = f" - micrometastasis only, largest {nd.largest_mm:g} mm"
    elif nd.micro:
        extra = f" ({nd.macro} macro-, {nd.micro} micrometasta{'sis' if nd.micro == 1 else 'ses'})"
    if nd.itc:
        extra += " - ITCs only in one node, not counted" if nd.positive == 0 else ""
    if nd.ene:
        extra += "; ENE present"
    if len(parts) == 2:
        a, b = parts
        return f"Sentinel nodes {nodes_total(a)}; non-sentinel {nodes_total(b)} (total {nodes_total(nd)}){extra}"
    kind = "Sentinel nodes" if nd.sentinel == nd.examined else "Axillary nodes"
    return f"{kind} {nodes_total(nd)}{extra}"


def m_c(c: Ctx, t: Tumour) -> str | None:
    if t.m == "M0":
        return c.pick("cM0", "M0 (clinical)", "cM0 (no distant disease on staging CT)")
    if t.m == "M1":
        return c.pick(f"pM1 ({t.m1_site}, see separate biopsy)", f"M1 - {t.m1_site} metastasis, histologically confirmed")
    return {"na": c.pick("M not applicable", "M: not applicable"), "x": "pMX"}.get(t.m_written)


def staging_line(c: Ctx, t: Tumour) -> str | None:
    bits = []
    if t.stage_written:
        bits.append(fr.t_code(t, multifocal=True))
    if t.nodes_written != "counts" and (t.nodes.examined or c.chance(0.4)):
        bits.append(fr.n_code(c, t))
    m = m_c(c, t)
    if m:
        bits.append(m)
    if not bits:
        return None
    s = "; ".join(bits)
    if t.stage_group and t.stage_written and t.nodes_written != "counts" and c.chance(0.25):
        s += f" (anatomic stage {t.stage_group})"
    return s + c.pick(" [AJCC 8th ed.]", " - AJCC 8", "", " (UICC TNM 8)")


def skin_c(t: Tumour) -> str | None:
    f = t.t4_feature
    if f == "ulceration":
        return "Tumour involves the skin with ulceration of the epidermis"
    if f == "satellite":
        return "Separate macroscopic satellite skin nodules of carcinoma"
    if f == "chest_wall":
        return "Carcinoma invades the chest wall (intercostal muscle)"
    if f == "both":
        return "Skin ulceration and invasion of the chest wall"
    if f == "inflammatory":
        return "Extensive dermal lymphatic tumour emboli; clinically inflammatory carcinoma"
    if t.dermal_only:
        return "Tumour extends into the dermis; epidermis intact, no ulceration"
    return None


# ====================================================================== parts
def node_split(c: Ctx, nd: Nodes) -> list[Nodes]:
    """Sentinel and non-sentinel parts of one side (one part when only one was done); no part holds more
    positive nodes than it has nodes, and the parts add up to the side's counts."""
    if not (0 < nd.sentinel < nd.examined) or c.chance(0.3):
        return [nd]
    kinds = ["macro"] * nd.macro + ["micro"] * nd.micro + ["itc"] * nd.itc
    rest = nd.examined - nd.sentinel
    lo, hi = max(0, len(kinds) - rest), min(len(kinds), nd.sentinel)
    k = c.rng.randint(lo, hi) if c.chance(0.4) else hi
    parts = []
    for examined, share, sentinel in ((nd.sentinel, kinds[:k], nd.sentinel), (rest, kinds[k:], 0)):
        p = Nodes(examined, share.count("macro"), share.count("micro"), share.count("itc"), sentinel)
        p.largest_mm = nd.largest_mm if share else None
        p.ene = nd.ene and "macro" in share
        parts.append(p)
    return parts


def _parts(c: Ctx, ts: list[Tumour]) -> list[tuple[str, Tumour, Nodes | None]]:
    out = []
    for t in ts:
        side = t.side.capitalize()
        if isinstance(t, fr.CoreBiopsy):
            out.append((f"{side} breast {c.rng.randint(1, 12)} o'clock, US-guided core biopsy ({c.rng.randint(2, 6)} cores)", t, None))
            continue
        out.append((f"{side} breast, {t.procedure}", t, None))
        if t.nodes.examined:
            for nd in node_split(c, t.nodes):
                out.append((f"{side} {'sentinel lymph node' + ('s' if nd.examined > 1 else '') if nd.sentinel else 'axillary dissection'}",
                            t, nd))
    return out


def _macro(c: Ctx, title: str, t: Tumour, nd: Nodes | None) -> str:
    if nd is not None:
        return f"Fatty tissue containing {fr.count(c, nd.examined)} palpable node{'s' if nd.examined > 1 else ''}, all submitted."
    if isinstance(t, fr.CoreBiopsy):
        return f"Multiple cores of pale tissue up to {c.rng.randint(12, 22)} mm long; all embedded."
    w = c.rng.randint(40, 140) if "mastectomy" not in t.procedure else c.rng.randint(150, 260)
    s = f"Orientated specimen {w} x {c.rng.randint(30, w)} x {c.rng.randint(15, 60)} mm."
    if t.kind == "benign":
        return s + " No discrete lesion."
    if t.kind == "pcr":
        return s + f" Ill-defined fibrous area {c.rng.randint(8, 30)} mm around the clip."
    return s + c.pick(" A firm stellate lesion is sectioned.", " Ill-defined firm area; clip identified.")


def _micro_breast(c: Ctx, t: Tumour) -> str:
    if t.kind == "benign":
        return c.pick("Fibrocystic change and columnar cell change. No atypia or malignancy.",
                      "Benign breast tissue with stromal fibrosis; no in situ or invasive carcinoma.")
    if t.kind == "pcr":
        s = "Tumour bed with hyalinised stroma, haemosiderin and foamy macrophages; no residual invasive carcinoma."
        if t.dcis:
            s += f" Residual DCIS, {NUC[t.dcis_grade - 1]} nuclear grade, {size_c(c, c.rng.randint(2, 12))} in extent."
        return s
    if t.kind == "dcis":
        return (f"Ductal carcinoma in situ, {NUC[t.dcis_grade - 1]} nuclear grade, solid and cribriform, with comedo "
                f"necrosis, spanning {size_c(c, t.size_mm)}. Multiple levels show no invasion.")
    if t.kind == "micro":
        return (f"DCIS ({NUC[t.dcis_grade - 1]} nuclear grade) with a single focus of stromal microinvasion, {t.size_mm:g} mm, confirmed on "
                "p63/calponin (loss of myoepithelium).")
    hist = c.pick(*TYPE_C[t.histology])
    s = f"{hist}. The invasive tumour measures {size_c(c, t.size_mm)} microscopically"
    if t.other_foci_mm:
        s += ", the largest of " + fr.words(len(t.other_foci_mm) + 1) + " foci (others " + ", ".join(
            f"{x:g} mm" for x in t.other_foci_mm) + ")"
    s += f"; {grade_c(c, t)}."
    if t.neoadjuvant:
        s += " There is patchy treatment effect with residual tumour cellularity of about " + f"{c.rng.choice([5, 10, 20, 40])}%."
    if t.dcis:
        s += f" Accompanying DCIS of {NUC[t.dcis_grade - 1]} nuclear grade."
    s += c.pick(" Lymphovascular invasion is seen." if t.lvi else " No lymphovascular invasion.", "")
    sk = skin_c(t)
    return s + (f" {sk}." if sk else "")


def _micro_core(c: Ctx, t: Tumour) -> str:
    if t.kind == "dcis":
        return f"Cores show ductal carcinoma in situ, {NUC[t.dcis_grade - 1]} nuclear grade, with calcification. No invasion seen."
    hist = c.pick(*TYPE_C[t.histology])
    return (f"{hist} in {c.rng.randint(2, 5)} cores, up to {t.size_mm:g} mm of tumour in a single core; "
            f"{grade_c(c, t)} (provisional, on core).")


# ====================================================================== summary of findings
def _biomarkers(c: Ctx, t: Tumour, amend: list[list[str]]) -> list[str]:
    """Receptor items for the summary; addenda (ANCILLARY STUDIES) appended to `amend`."""
    mode, h = t.bio_mode, t.her2
    acc = c.phi("accession", c.p.prior_accessions[0])
    if mode == "none":
        return []
    if mode == "pending":
        return [c.pick("ER/PR/HER2: requested; results to follow as an amendment.",
                       "Hormone receptors and HER2: in progress.")]
    if mode == "prior_ref":
        return [c.pick(f"Receptor status: as per core biopsy {acc}; not repeated.",
                       f"ER, PR, HER2: refer to previous report {acc}.")]
    if mode == "prior_quoted":
        return [f"From core biopsy {acc}: " + " ".join(receptor_block(c, t))]
    head = f"{t.side.capitalize()} breast, block {c.pick('1C', '1D', '1E', '2B')}:"
    split = h is not None and h.ihc == 2 and h.ish in ("amplified", "not amplified") and c.chance(0.4)
    if mode == "addendum":
        block = receptor_block(c, t, with_ish=not split)
        amend.append([head] + block)
        if split:
            amend.append([f"{t.side.capitalize()} breast, HER2 ISH (IHC 2+):", ish_c(c, h).capitalize() + "."])
        return [c.pick("Receptors: see ancillary studies amendment.", "ER/PR/HER2: to follow (amendment).")]
    block = receptor_block(c, t, with_ish=not split)
    if split:
        amend.append([f"{t.side.capitalize()} breast, HER2 ISH (IHC 2+ on primary report):", ish_c(c, h).capitalize() + "."])
    return block


def _summary(c: Ctx, t: Tumour, node_parts: list[Nodes], amend: list[list[str]], numbered: bool) -> list[str]:
    side = t.side.upper()
    items: list[tuple[str, str]] = []
    if t.kind == "benign":
        return [f"SUMMARY OF FINDINGS - {side} BREAST: benign; no carcinoma.", ""]
    core = isinstance(t, fr.CoreBiopsy)
    items.append(("Specimen", "core needle biopsy" if core else t.procedure))
    if t.kind == "dcis":
        items.append(("Histological type", f"DCIS only, {NUC[t.dcis_grade - 1]} nuclear grade"))
        if not core:
            items.append(("DCIS extent", size_c(c, t.size_mm)))
    elif t.kind == "micro":
        items.append(("Histological type", "DCIS with microinvasion"))
        items.append(("Invasive size", f"{t.size_mm:g} mm (single focus)"))
        items.append(("Grade", "not assigned to a microinvasive focus"))
    elif t.kind == "pcr":
        items.append(("Residual invasive carcinoma", "none (pathological complete response in the breast)"))
        items.append(("Grade", "not applicable"))
    else:
        items.append(("Histological type", c.pick(*TYPE_C[t.histology])))
        if not core:
            sz = size_c(c, t.size_mm) + (" (largest focus; multifocal)" if t.other_foci_mm else "")
            items.append(("Invasive tumour size", sz))
        items.append(("Grade" + (" (core)" if core else ""), grade_c(c, t)))
        if t.dcis and c.chance(0.6):
            items.append(("Associated DCIS", f"present, {NUC[t.dcis_grade - 1]} nuclear grade"))
        items.append(("LVI", "present" if t.lvi else "not identified"))
    if not core:
        sk = skin_c(t)
        if sk:
            items.append(("Skin / chest wall", sk))
        if t.kind not in ("pcr",):
            mg = "involved" if t.margin_mm == 0 else f"clear, closest {t.margin_name} {fr.mm(c, t.margin_mm, 'mm')}"
            items.append(("Margins", mg))
        if t.nodes.examined:
            items.append(("Lymph nodes", node_summary(c, t, node_parts)))
        else:
            items.append(("Lymph nodes", c.pick("none received", "not submitted")))
    items += [("Biomarkers" if i == 0 else "", x) for i, x in enumerate(_biomarkers(c, t, amend))]
    if core:
        items.append(("Comment", c.pick("Staging deferred to the excision.", "Size and stage to be assessed on resection.")))
    else:
        st = staging_line(c, t)
        if st:
            items.append(("Staging", st))
    if numbered:
        head = c.pick("SUMMARY OF FINDINGS", "Summary of findings") + f" ({t.side} breast)"
        out, n = [head], 0
        for k, v in items:
            if k:
                n += 1
                out.append(f"{n}. {k}: {v}")
            else:
                out.append(f"   {v}")
        return out + [""]
    # synoptic hybrid: semicolon-separated lines
    head = f"SYNOPTIC - {side} BREAST"
    out, cur = [head], []
    for k, v in items:
        if k in ("Biomarkers", "", "Staging", "Lymph nodes", "Comment"):
            if cur:
                out.append("; ".join(cur))
                cur = []
            out.append(f"{k}: {v}" if k else f"  {v}")
        else:
            cur.append(f"{k}: {v}")
    if cur:
        out.append("; ".join(cur))
    return out + [""]


# ====================================================================== header and assembly
def _header(c: Ctx, ds: int) -> list[str]:
    p = c.p
    return [
        p.facility,
        c.pick("ANATOMICAL PATHOLOGY REPORT", "Department of Anatomical Pathology", "Laboratory Medicine - Surgical Pathology"),
        f"Name: {c.patient_name()}   {c.pick('UR No', 'URN', 'PHN', 'Chart #')}: {c.phi('mrn', p.mrn)}   Sex: {p.sex}",
        f"DOB: {date_c(c, p.dob, ds)}   Lab No: {c.phi('accession', p.accession)}",
        f"Collected: {date_c(c, p.collected, ds)}   Received: {date_c(c, p.received, ds)}   "
        f"Authorised: {date_c(c, p.reported, ds)}",
        f"Referring doctor: Dr {c.doctor(p.clinician, title=False)}",
        "",
    ]


def _clinical(c: Ctx, ts: list[Tumour], ds: int) -> list[str]:
    t = ts[0]
    if isinstance(t, fr.CoreBiopsy):
        s = f"{t.side.capitalize()} breast lesion, {c.pick('M5', 'U5', 'BI-RADS 5', 'R5')}. ? carcinoma."
    elif t.neoadjuvant:
        s = f"{t.side.capitalize()} breast carcinoma diagnosed {date_c(c, c.p.history_dates[0], ds)}; post neoadjuvant chemotherapy."
    else:
        s = f"{c.age_text()}. {t.side.capitalize()} breast {'carcinoma on core' if t.invasive else 'calcifications'}; for {t.procedure}."
    if len(ts) > 1:
        s += " Bilateral surgery."
    if t.m == "M1":
        s += f" Known {t.m1_site} metastases."
    return [c.pick("CLINICAL NOTES", "Clinical notes:", "CLINICAL INFORMATION"), s, ""]


def render(c: Ctx, ts: list[Tumour]) -> str:
    ds = c.rng.randrange(3)
    parts = _parts(c, ts)
    lettered = c.chance(0.35)
    label = [(chr(65 + i) if lettered else str(i + 1)) for i in range(len(parts))]
    lines = _header(c, ds) + _clinical(c, ts, ds)
    lines += [c.pick("SPECIMENS", "Specimen(s) received:")] + [f"{x}. {p[0]}" for x, p in zip(label, parts)] + [""]
    lines.append(c.pick("MACROSCOPIC", "Macroscopic description:", "GROSS"))
    lines += [f"{x}. {_macro(c, *p)}" for x, p in zip(label, parts)] + [""]
    lines.append(c.pick("MICROSCOPIC", "Microscopic description:", "MICROSCOPY"))
    for x, (_, t, nd) in zip(label, parts):
        if nd is not None:
            body = node_part_text(c, nd, t.nodes_written)
        elif isinstance(t, fr.CoreBiopsy):
            body = _micro_core(c, t)
        else:
            body = _micro_breast(c, t)
        lines.append(f"{x}. {body}")
    lines.append("")
    amend: list[list[str]] = []
    numbered = c.chance(0.6)
    for t in ts:
        node_parts = [nd for (_, u, nd) in parts if u is t and nd is not None]
        lines += _summary(c, t, node_parts, amend, numbered)
    who = c.doctor(c.p.pathologist, title=False)
    lines.append(c.pick(f"Reported by Dr {who}, FRCPA", f"Pathologist: Dr {who}, FRCPC", f"Dr {who} (electronically authorised)"))
    for n, block in enumerate(amend, 1):
        lines += ["", f"ANCILLARY STUDIES - AMENDMENT {n} ({date_c(c, c.p.addendum, ds)})"] + block
    return "\n".join(lines)
