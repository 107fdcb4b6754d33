"""fresh_a: a UK histopathology report (RCPath breast dataset wording), held-out wording (see fresh.py).

Numbered (or, for two sides, lettered) specimens; clinical details; macroscopy and microscopy in free text;
then the dataset as a list per side; receptors inline, in a supplementary report, pending, or quoted from
the core. Core biopsies get a B-category and no staging. British spelling throughout.
Contract (fresh.py): every non-null label is written; nothing the facts do not imply is stated.
"""

from __future__ import annotations

from pathxgen import fresh as fr
from pathxgen.case import Her2, Nodes, Receptor, Tumour
from pathxgen.phrases import Ctx

TYPE_UK = {
    "ductal": ("Invasive carcinoma of no special type", "No special type (NST)", "Invasive ductal carcinoma NST"),
    "lobular": ("Invasive lobular carcinoma, classical type", "Invasive lobular carcinoma", "Lobular (classical)"),
    "mixed": ("Mixed type (NST and lobular)", "Invasive carcinoma, mixed NST and lobular"),
    "mucinous": ("Mucinous carcinoma", "Invasive mucinous carcinoma"),
    "tubular": ("Tubular carcinoma",),
    "micropapillary": ("Invasive micropapillary carcinoma",),
    "metaplastic": ("Metaplastic carcinoma (spindle cell and squamous)", "Metaplastic carcinoma"),
}
PROC_UK = {
    "lumpectomy": "wide local excision",
    "partial mastectomy": "wide local excision",
    "segmental mastectomy": "segmentectomy",
    "needle-localized excision": "wire-guided wide local excision",
    "total mastectomy": "mastectomy",
    "simple mastectomy": "simple mastectomy",
    "skin-sparing mastectomy": "skin-sparing mastectomy",
}
NUCLEAR = ("low", "intermediate", "high")


# ====================================================================== facts in words
def _lc(s: str) -> str:
    return s[:1].lower() + s[1:]


def grade_text(c: Ctx, t: Tumour) -> str:
    a, b, m = t.scores
    return c.pick(
        f"{t.grade} (tubules {a}, pleomorphism {b}, mitoses {m}; total {a + b + m}/9)",
        f"{t.grade} (T{a} P{b} M{m})",
        f"{t.grade} (T{a}, P{b}, M{m} = {a + b + m})",
        f"{'I' * t.grade}",
        f"{t.grade}",
        f"Nottingham grade {t.grade} (score {a + b + m}/9)",
    )


def _grade_words(c: Ctx, t: Tumour) -> str:
    g = grade_text(c, t)
    return g if g.startswith("Nottingham") else f"grade {g}"


def receptor_text(c: Ctx, r: Receptor) -> str:
    a = r.allred
    if r.status == "Equivocal":
        return c.pick(
            "Equivocal - weak, patchy staining in a small amount of tumour; repeat on another block advised",
            "Equivocal (borderline staining; please see comment)",
        )
    if r.status == "Negative":
        if r.intensity == "weak":
            return c.pick(f"Negative, Allred score {a}/8 (rare weakly stained nuclei, <1%)", f"Negative (Allred {a}/8)")
        return c.pick("Negative (Allred 0/8)", "Negative, no nuclear staining seen", "Negative (0%)", "Allred 0 - negative")
    if r.low_positive:
        return c.pick(
            f"Low positive ({r.pct}% of nuclei, {r.intensity}; Allred {a}/8)",
            f"Positive, low level: {r.pct}% {r.intensity} staining (Allred {a}/8)",
        )
    return c.pick(
        f"Positive, Allred score {a}/8 (proportion {r.allred_ps}, intensity {r.allred_is})",
        f"Positive ({r.pct}% of tumour nuclei, {r.intensity}; Allred {a}/8)",
        f"{a}/8 (positive)",
        f"Positive - quick score {a}",
    )


def ish_text(c: Ctx, h: Her2) -> str:
    verdict = "amplified" if h.ish == "amplified" else "not amplified"
    return c.pick(
        f"HER2/CEP17 ratio {h.ratio}, mean HER2 copy number {h.copies} per cell: {verdict}",
        f"dual-probe ISH ratio {h.ratio} (HER2 {h.copies}, CEP17 {h.cep17} signals/cell) - {verdict.upper()}",
    )


def her2_text(c: Ctx, h: Her2, with_ish: bool = True) -> str:
    if h.ihc is None:
        return f"IHC not performed; ISH: {ish_text(c, h)}"
    if h.ihc in (0, 1):
        low = c.pick("", " (HER2-low)") if h.ihc == 1 else c.pick("", " (HER2-null)")
        score = f"{h.ihc}{'+' if h.ihc else ''}"
        return c.pick(f"Negative (IHC score {score}){low}", f"IHC {score} - negative{low}")
    if h.ihc == 3:
        return c.pick("Positive (IHC score 3+)", "IHC 3+ (positive)", "Score 3+, positive")
    head = c.pick("Borderline (IHC score 2+)", "IHC 2+ (equivocal)", "Score 2+ (borderline)")
    if h.ish == "pending" or not with_ish:
        return head + c.pick("; sent for ISH - a supplementary report will follow", "; in situ hybridisation requested")
    final = "HER2 POSITIVE" if h.final == "Positive" else c.pick("HER2 negative", "HER2 negative (HER2-low)")
    return f"{head}; ISH: {ish_text(c, h)} - {final}"


def node_text(c: Ctx, nd: Nodes, where: str) -> str:
    """One node part in words, counts included ("Two of 14 ... (2/14)")."""
    n, pos = nd.examined, nd.positive
    nodes = f"{fr.count(c, n, 0.3).capitalize()} {where}lymph node{'s' if n > 1 else ''}"
    if pos == 0:
        s = c.pick(f"{nodes}, all free of tumour ({pos}/{n})", f"{nodes}, no metastatic carcinoma seen (0/{n})")
        if nd.itc:
            s += f"; one node contains isolated tumour cells only ({nd.largest_mm:g} mm)"
        return s
    bits = []
    if nd.macro:
        bits.append(f"{fr.count(c, nd.macro, 0.3)} with macrometastas{'es' if nd.macro > 1 else 'is'}")
    if nd.micro:
        bits.append(f"{fr.count(c, nd.micro, 0.3)} with micrometastas{'es' if nd.micro > 1 else 'is'} only")
    largest = f"largest deposit {nd.largest_mm:g} mm" if nd.largest_mm else ""
    if nd.ene:
        ene = c.pick("extranodal extension present", "with extracapsular spread")
    else:
        ene = c.pick("no extranodal extension", "")
    extra = ", ".join(x for x in (largest, ene) if x)
    return f"{nodes}: {pos}/{n} involved ({'; '.join(bits)}{'; ' + extra if extra else ''})"


def m_text(c: Ctx, t: Tumour) -> str | None:
    if t.m == "M0":
        return c.pick("cM0", "M0", "cM0 (staging CT clear)")
    if t.m == "M1":
        return c.pick(f"pM1 ({t.m1_site}, biopsy proven)", f"M1 ({t.m1_site} metastasis, confirmed histologically)")
    return {"na": c.pick("M not applicable", "pM: not applicable"), "x": c.pick("pMX", "MX")}.get(t.m_written)


def stage_line(c: Ctx, t: Tumour, nd_all: Nodes) -> str | None:
    bits = []
    if t.stage_written:
        bits.append(fr.t_code(t, multifocal=c.chance(0.5)))
    if t.nodes_written != "counts" and (nd_all.examined or c.chance(0.4)):
        code = fr.n_code(c, t)
        if nd_all.examined and t.nodes_written == "both" and c.chance(0.7):
            code += f" ({nd_all.positive}/{nd_all.examined})"
        bits.append(code)
    m = m_text(c, t)
    if m and c.chance(0.6):
        bits.append(m.split(" (")[0] if m.startswith(("cM0", "M0")) else m)
        m = None
    line = " ".join(bits)
    if m:
        line += ("; " if line else "") + f"Distant metastasis: {m}"
    return line or None


def skin_text(c: Ctx, t: Tumour) -> str | None:
    f = t.t4_feature
    texts = {
        "ulceration": "carcinoma ulcerates the overlying epidermis",
        "satellite": "separate satellite nodules of carcinoma in the dermis, away from the main mass",
        "chest_wall": "carcinoma infiltrates intercostal muscle at the deep aspect (chest wall)",
        "both": "carcinoma ulcerates the skin and infiltrates intercostal muscle (chest wall)",
        "inflammatory": "numerous tumour emboli in dermal lymphatics; clinically inflammatory carcinoma",
    }
    if f:
        return texts[f]
    if t.dermal_only:
        return c.pick("dermal infiltration, epidermis intact (no ulceration)", "carcinoma reaches the dermis; no ulceration")
    return None


# ====================================================================== sections
def _header(c: Ctx) -> list[str]:
    p = c.p
    nhs = c.phi("mrn", f"{c.rng.randint(400, 799)} {c.rng.randint(100, 999)} {c.rng.randint(1000, 9999)}")
    sex = {"F": "Female", "M": "Male"}[p.sex]
    age = f"{p.age} yrs" if p.age <= 89 else c.phi("age", f"{p.age} yrs")
    top = [
        p.facility,
        c.pick("Department of Cellular Pathology", "Histopathology Department", "Cellular Pathology"),
        c.pick("HISTOPATHOLOGY REPORT", "Histopathology Report", "CELLULAR PATHOLOGY REPORT"),
        "",
    ]
    surname, fore = c.phi("name", p.last.upper()), c.phi("name", p.first)
    block = [
        f"Surname: {surname}    Forename: {fore}",
        f"NHS No: {nhs}    Hospital No: {c.phi('mrn', p.mrn)}",
        f"D.O.B.: {fr.uk_date(c, p.dob)}    Age: {age}    Sex: {sex}",
        f"Lab No: {c.phi('accession', p.accession)}",
        f"Date taken: {fr.uk_date(c, p.collected)}    Received: {fr.uk_date(c, p.received)}"
        f"    Authorised: {fr.uk_date(c, p.reported)}",
        f"Consultant: {c.pick('Mr', 'Ms', 'Miss', 'Dr')} {c.phi('name', p.clinician[2])}"
        f"    Location: {c.pick('Breast Unit', 'Breast Clinic', 'Day Surgery', 'Ward 12')}",
    ]
    return top + block + [""]


def _clinical(c: Ctx, ts: list[Tumour]) -> list[str]:
    t = ts[0]
    side = t.side
    if isinstance(t, fr.CoreBiopsy):
        s = c.pick(
            f"Palpable lump {side} breast, ?carcinoma. U5.", f"Screen-detected {side} breast lesion, R5. Core biopsy."
        )
    elif t.neoadjuvant:
        ct = f"cT{min(int((t.t_sub or '2')[0]) + 1, 4) if (t.t_sub or '')[:1].isdigit() and t.t_sub != '0' else 2}"
        s = f"{side.capitalize()} breast cancer, {ct} cN1 at diagnosis. Completed neoadjuvant chemotherapy. Clip in situ."
    elif t.kind == "dcis":
        s = f"Screen-detected calcification, {side} breast. Core B5a. Wire-guided excision."
    else:
        s = c.pick("Screen-detected", "Symptomatic") + f" {side} breast mass at {c.rng.randint(1, 12)} o'clock."
        if t.stage_written and t.size_mm and c.chance(0.5):
            s += f" {t.size_mm + c.rng.choice([-3, 2, 4, 6]):g} mm on ultrasound."
        s += c.pick(" B5b on core.", " Core: invasive carcinoma.", "")
    if len(ts) > 1:
        s += c.pick(" Bilateral surgery.", " Contralateral specimen also sent.")
    elif c.chance(0.08):
        other = "right" if side == "left" else "left"
        s += f" Previous {other} breast cancer {c.p.old_year}: pT1b pN0, grade 1, ER positive (WLE and radiotherapy)."
    if t.m == "M1":
        s += f" Known {t.m1_site} metastasis."
    if c.p.sex == "M":
        s += " Male patient."
    return [c.pick("Clinical details:", "CLINICAL DETAILS", "Clinical information:"), s, ""]


def _parts(c: Ctx, ts: list[Tumour]) -> list[tuple[str, Tumour, Nodes | None]]:
    """(title, tumour, node part or None for the breast part), in report order."""
    out = []
    for t in ts:
        if isinstance(t, fr.CoreBiopsy):
            title = f"{t.side.capitalize()} breast {c.rng.randint(1, 12)} o'clock, ultrasound-guided core biopsy"
            out.append((title, t, None))
            continue
        proc = PROC_UK.get(t.procedure, t.procedure)
        out.append((f"{t.side.capitalize()} breast {proc}", t, None))
        if t.nodes.examined:
            for nd in fr.node_split(c, t.nodes):
                clearance = c.pick("axillary clearance", "axillary node clearance")
                kind = "axillary sentinel lymph node(s)" if nd.sentinel else clearance
                out.append((f"{t.side.capitalize()} {kind}", t, nd))
    return out


def _macro(c: Ctx, title: str, t: Tumour, nd: Nodes | None) -> str:
    if nd is not None:
        fat = c.rng.randint(15, 90)
        return f"Labelled '{title.lower()}'. Fatty tissue {fat} mm, {nd.examined} node(s) identified, all embedded."
    if isinstance(t, fr.CoreBiopsy):
        return f"{c.pick('Three', 'Four', 'Five')} cores of pale tissue up to 18 mm. All embedded."
    w = c.rng.randint(250, 1200) if "mastectomy" in t.procedure else c.rng.randint(12, 160)
    s = f"Labelled '{title.lower()}'. Orientated specimen weighing {w} g."
    if t.invasive and t.size_mm and t.size_mm >= 3 and t.kind != "micro":
        gross = t.size_mm if not t.stage_written else t.size_mm + c.rng.choice([0, 1, 2, -1])
        s += f" Serial slicing shows a firm grey-white tumour {gross:g} mm in maximum dimension."
    elif t.kind == "benign":
        s += " Slicing shows fatty and fibrous tissue without a lesion."
    else:
        s += " No discrete lesion; the marker clip and biopsy cavity are identified."
    return s + c.pick(" Slices 1-12 embedded.", " Representative blocks taken.", "")


def _micro_breast(c: Ctx, t: Tumour) -> str:
    if t.kind == "benign":
        return c.pick(
            "Benign breast tissue with fibrocystic change. No in situ or invasive malignancy.", "Benign. No carcinoma seen."
        )
    if t.kind == "pcr":
        s = "The tumour bed shows fibrosis, elastosis and macrophages in keeping with response to therapy. "
        s += "No residual invasive carcinoma is seen" + ("; a little residual DCIS remains." if t.t_sub == "is" else ".")
        return s
    if t.kind == "dcis":
        return (
            f"Sections show ductal carcinoma in situ of {NUCLEAR[t.dcis_grade - 1]} nuclear grade, "
            f"{c.pick('cribriform', 'solid', 'comedo')} type, spanning {t.size_mm:g} mm. Multiple levels show no invasion."
        )
    if t.kind == "micro":
        return (
            f"There is {NUCLEAR[t.dcis_grade - 1]} grade DCIS with a single focus of microinvasion "
            f"measuring {t.size_mm:g} mm. "
            "No larger invasive component is seen."
        )
    a, b, m = t.scores
    s = f"Sections show {_lc(TYPE_UK[t.histology][0])}"
    if t.neoadjuvant:
        s = "Following neoadjuvant therapy there is residual " + s.split("show ", 1)[1]
    s += c.pick(
        f". Tubule formation scores {a}, nuclear pleomorphism {b} and mitoses {m}, giving grade {t.grade}. ",
        f", grade {t.grade} ({a}+{b}+{m}). ",
    )
    if t.dcis:
        s += f"There is associated {NUCLEAR[t.dcis_grade - 1]} nuclear grade DCIS. "
    s += c.pick("Lymphovascular invasion is ", "Vascular invasion ") + ("seen." if t.lvi else "not seen.")
    return s


def _micro_core(c: Ctx, t: Tumour) -> str:
    if t.kind == "dcis":
        return f"Cores contain {NUCLEAR[t.dcis_grade - 1]} nuclear grade DCIS. No invasion seen. B5a (in situ malignancy)."
    return (
        f"Cores infiltrated by {_lc(TYPE_UK[t.histology][0])}, {_grade_words(c, t)} on core biopsy. "
        f"Invasive tumour spans up to {t.size_mm:g} mm of a single core. "
        f"{c.pick('B5b (invasive malignancy).', 'Category B5b.')}"
    )


def _micro_nodes(c: Ctx, t: Tumour, nd: Nodes) -> str:
    where = "sentinel " if nd.sentinel else ""
    if t.nodes_written != "pn":
        return node_text(c, nd, where) + "."
    if nd.positive == 0:
        s = "Lymph nodes free of metastatic carcinoma"
        return s + ("; isolated tumour cells in one node." if nd.itc else ".")
    if nd.macro == 0:
        return "Micrometastatic carcinoma present (see staging)."
    return "Metastatic carcinoma present" + (" with extranodal extension." if nd.ene else ".")


def _dataset(c: Ctx, t: Tumour, sup: list[str]) -> list[str]:
    """The RCPath-style list of one resected side; receptor lines go to `sup` when supplementary."""
    sep = c.pick(": ", ": ", " - ", "\t")
    kv = []
    if t.kind == "benign":
        return [f"{t.side.capitalize()} breast: benign, no carcinoma.", ""]
    kv.append(("Side", t.side.capitalize()))
    kv.append(("Specimen type", PROC_UK.get(t.procedure, t.procedure)))
    if t.kind in ("invasive", "residual"):
        kv.append(("Invasive carcinoma", "Present"))
        kv.append(("Invasive tumour type", c.pick(*TYPE_UK[t.histology])))
        kv.append(("Invasive grade", grade_text(c, t)))
        size = f"{t.size_mm:g} mm"
        if t.other_foci_mm:
            others = ", ".join(f"{x:g}" for x in t.other_foci_mm)
            size += f" (multifocal: {len(t.other_foci_mm) + 1} foci, others {others} mm)"
        kv.append(("Maximum invasive tumour size", size))
        if t.dcis and c.chance(0.5):
            kv.append(("Whole tumour size (invasive + in situ)", f"{t.size_mm + c.rng.randint(2, 15):g} mm"))
    elif t.kind == "micro":
        kv.append(("Invasive carcinoma", f"Microinvasion only, single focus {t.size_mm:g} mm"))
        kv.append(("Invasive grade", "Not graded (microinvasion)"))
    elif t.kind == "pcr":
        kv.append(("Invasive carcinoma", "No residual invasive carcinoma (pathological complete response)"))
        kv.append(("Invasive grade", "Not applicable"))
    else:
        kv.append(("Invasive carcinoma", "Not seen"))
        kv.append(("Size of DCIS", f"{t.size_mm:g} mm"))
    if t.dcis:
        kv.append(("DCIS", f"Present, {NUCLEAR[t.dcis_grade - 1]} nuclear grade"))
    if t.invasive:
        kv.append(("Lymphovascular invasion", "Present" if t.lvi else c.pick("Not seen", "Not identified")))
    sk = skin_text(c, t)
    if sk:
        kv.append(("Skin", sk))
    if t.margin_mm is not None and t.kind != "pcr":
        mg = t.margin_mm
        where = t.margin_name
        kv.append(("Margins", f"Carcinoma reaches the {where} margin" if mg == 0 else f"Clear, nearest {where} {mg:g} mm"))
    nd = t.nodes
    if nd.examined and t.nodes_written != "pn":
        itc = " (isolated tumour cells in one)" if nd.itc else ""
        kv.append(("Axillary nodes", f"{nd.positive}/{nd.examined} involved{itc}"))
        if nd.micro and nd.positive:
            kv.append(("Node metastases", f"{nd.macro} macrometastasis(es), {nd.micro} micrometastasis(es)"))
    elif not nd.examined and c.chance(0.5):
        kv.append(("Axillary nodes", "None submitted"))
    kv += _receptor_kv(c, t, sup)
    st = stage_line(c, t, nd)
    if st:
        kv.append((c.pick("Pathological staging (TNM 8)", "TNM (UICC 8)", "pTNM"), st))
    head = c.pick("BREAST CANCER DATASET", "Summary of findings (RCPath dataset)", "DATASET") + f" - {t.side.upper()}"
    return [head] + [f"{k}{sep}{v}" for k, v in kv] + [""]


def _receptor_pairs(c: Ctx, t: Tumour, with_ish: bool = True) -> list[tuple[str, str]]:
    kv = []
    if t.er:
        kv.append((c.pick("Oestrogen receptor (ER)", "ER status", "ER"), receptor_text(c, t.er)))
    if t.pr:
        kv.append((c.pick("Progesterone receptor (PR)", "PR status", "PgR"), receptor_text(c, t.pr)))
    if t.her2:
        kv.append((c.pick("HER2", "HER2 status", "HER2 (IHC, ISH where required)"), her2_text(c, t.her2, with_ish)))
    if t.ki67 is not None and c.chance(0.4):
        kv.append(("Ki67 (MIB-1)", f"{t.ki67}%"))
    return kv


def _receptor_kv(c: Ctx, t: Tumour, sup: list[str]) -> list[tuple[str, str]]:
    mode, acc = t.bio_mode, c.phi("accession", c.p.prior_accessions[0])
    if mode == "none":
        return []
    if mode == "pending":
        return [("ER, PR, HER2", c.pick("Requested; a supplementary report will follow", "To follow"))]
    if mode == "prior_ref":
        return [("Receptor status", c.pick(f"Reported on the core biopsy ({acc}); not repeated", f"See core biopsy {acc}"))]
    if mode == "prior_quoted":
        return [(f"{k} (core biopsy {acc})", v) for k, v in _receptor_pairs(c, t)]
    if mode == "addendum":
        sup += [f"{t.side.capitalize()} breast, receptor status (block {c.rng.randint(2, 9)}):"]
        sup += [f"  {k}: {v}" for k, v in _receptor_pairs(c, t)]
        return [("Receptors", c.pick("To follow in a supplementary report", "Pending (see supplementary report)"))]
    h = t.her2
    split = h is not None and h.ihc == 2 and h.ish in ("amplified", "not amplified") and c.chance(0.4)
    kv = _receptor_pairs(c, t, with_ish=not split)
    if split:
        final = "positive" if h.final == "Positive" else "negative"
        ish = ish_text(c, h)
        sup += [f"{t.side.capitalize()} breast, HER2 in situ hybridisation (IHC 2+ on this specimen):",
                f"  {ish[:1].upper() + ish[1:]}.", f"  Final HER2 status: {final}."]
    return kv


def _core_summary(c: Ctx, t: Tumour, sup: list[str]) -> list[str]:
    kv = [("Side", t.side.capitalize()), ("Specimen", "Core biopsy")]
    if t.kind == "dcis":
        kv += [("Diagnosis", f"DCIS, {NUCLEAR[t.dcis_grade - 1]} nuclear grade"), ("B category", "B5a")]
    else:
        kv += [("Diagnosis", c.pick(*TYPE_UK[t.histology])), ("Grade (core)", grade_text(c, t)), ("B category", "B5b")]
    kv += _receptor_kv(c, t, sup)
    return [c.pick("CORE BIOPSY SUMMARY", "Summary")] + [f"{k}: {v}" for k, v in kv] + [""]


def render(c: Ctx, ts: list[Tumour]) -> str:
    parts = _parts(c, ts)
    lettered = len(ts) > 1 or c.chance(0.3)
    label = [(chr(65 + i) if lettered else str(i + 1)) for i in range(len(parts))]
    lines = _header(c)
    lines += [c.pick("Specimen(s):", "Nature of specimen:", "SPECIMENS")] + [f"{x}. {p[0]}" for x, p in zip(label, parts)]
    lines += [""] + _clinical(c, ts)
    lines.append(c.pick("MACROSCOPIC DESCRIPTION", "Macroscopy:", "Macroscopic:"))
    lines += [f"{x}. {_macro(c, *p)}" for x, p in zip(label, parts)] + [""]
    lines.append(c.pick("MICROSCOPIC DESCRIPTION", "Microscopy:", "Histology:"))
    for x, (title, t, nd) in zip(label, parts):
        if nd is not None:
            body = _micro_nodes(c, t, nd)
        elif isinstance(t, fr.CoreBiopsy):
            body = _micro_core(c, t)
        else:
            body = _micro_breast(c, t)
        lines.append(f"{x}. {body}")
    lines.append("")
    sup: list[str] = []
    for t in ts:
        lines += _core_summary(c, t, sup) if isinstance(t, fr.CoreBiopsy) else _dataset(c, t, sup)
    if c.chance(0.4):
        lines += [c.pick("SNOMED:", "Codes:") + " " + c.pick("T04000 M85003", "T04020 M85203", "T04000 M80103"), ""]
    who = c.doctor(c.p.pathologist, title=False)
    lines.append(
        c.pick(f"Reported by: Dr {who}, Consultant Histopathologist", f"Authorised by {who} on {fr.uk_date(c, c.p.reported)}")
    )
    if sup:
        lines += ["", c.pick("SUPPLEMENTARY REPORT", "Supplementary Report") + f" ({fr.uk_date(c, c.p.addendum)})"] + sup
        lines.append(f"Supplementary report authorised by Dr {c.doctor(c.p.pathologist, title=False)}")
    return "\n".join(lines)
