"""fresh_b: a North-American diagnosis-first narrative/synoptic hybrid, held-out wording (see fresh.py).

DIAGNOSIS first (lettered parts, the side named in each part's heading), then a COMMENT paragraph with the
stage, sometimes a short tumour summary, clinical history and gross; receptors mostly in an ADDENDUM with
percentages and intensities, HER2 by IHC first and the FISH ratio in a later addendum. Node counts and
scores often in words ("three of seventeen"). About a third of reports are flattened onto one line, joined
by ". ", as exported OCR text is. Contract (fresh.py): every non-null label is written.
"""

from __future__ import annotations

from pathxgen import fresh as fr
from pathxgen.case import Her2, Nodes, Receptor, Tumour
from pathxgen.phrases import Ctx

TYPE_NA = {
    "ductal": ("Invasive ductal carcinoma", "Infiltrating ductal carcinoma", "Invasive mammary carcinoma, ductal type"),
    "lobular": ("Invasive lobular carcinoma", "Infiltrating lobular carcinoma, classic type"),
    "mixed": ("Invasive mammary carcinoma with ductal and lobular features",),
    "mucinous": ("Mucinous carcinoma", "Invasive mucinous (colloid) carcinoma"),
    "tubular": ("Tubular carcinoma", "Invasive tubular carcinoma"),
    "micropapillary": ("Invasive micropapillary carcinoma",),
    "metaplastic": ("Metaplastic carcinoma", "Metaplastic carcinoma, spindle cell type"),
}
DIFF = ("well differentiated", "moderately differentiated", "poorly differentiated")
NUC = ("low", "intermediate", "high")
ROMAN = ("I", "II", "III")


# ====================================================================== facts in words
def size_na(c: Ctx, mm: float) -> str:
    if mm % 10 == 0 and mm >= 10 and c.chance(0.3):
        cm = int(mm // 10)
        return f"{fr.words(cm)} centimeter{'s' if cm > 1 else ''}"
    return fr.mm(c, mm, c.pick("cm", "cm", "mm"))


def grade_na(c: Ctx, t: Tumour) -> str:
    a, b, m = t.scores
    g, s = t.grade, a + b + m
    return c.pick(
        f"Nottingham grade {g} of 3 (tubules {a}, nuclei {b}, mitoses {m}; total score {s})",
        f"modified Bloom-Richardson grade {ROMAN[g - 1]}/III",
        f"{DIFF[g - 1]} (combined histologic grade {g})",
        f"Nottingham combined score {fr.count(c, s)} of nine",
        f"histologic grade {fr.words(g)} (score {s}/9)",
        f"Nottingham grade {ROMAN[g - 1]}",
    )


def receptor_na(c: Ctx, name: str, r: Receptor) -> str:
    if r.status == "Equivocal":
        return c.pick(
            f"{name}: EQUIVOCAL. Staining is weak and focal with suboptimal fixation; "
            "repeat testing on another block is suggested.",
            f"{name}: equivocal result (borderline); please correlate and consider repeat testing.",
        )
    if r.status == "Negative":
        if r.intensity == "weak":
            return f"{name}: NEGATIVE (less than 1% of tumor cell nuclei with weak staining; internal control positive)."
        return c.pick(
            f"{name}: NEGATIVE (0%). Internal control cells stain appropriately.",
            f"{name}: negative, no staining of tumor nuclei.",
            f"{name}: NEGATIVE.",
        )
    pct = c.pick(f"{r.pct}%", f"{r.pct} percent") if r.pct != 100 else "100%"
    if r.low_positive and not name.upper().startswith("E"):
        return f"{name}: LOW POSITIVE ({pct} of tumor nuclei, {r.intensity} intensity)."
    if r.low_positive:
        return c.pick(
            f"{name}: LOW POSITIVE ({pct} of tumor nuclei, {r.intensity} intensity).",
            f"{name}: positive, low ({pct}, {r.intensity}). "
            "Cancers with 1-10% of cells staining are reported as ER low positive.",
        )
    return c.pick(
        f"{name}: POSITIVE. Percentage of tumor nuclei staining: {pct}. Average intensity: {r.intensity}.",
        f"{name}: positive ({pct}, {r.intensity} intensity).",
        f"{name}: POSITIVE ({pct} {r.intensity}; Allred score {r.allred}/8).",
    )


def her2_ihc_na(c: Ctx, h: Her2) -> str:
    name = c.pick("HER2 (clone 4B5) by immunohistochemistry", "HER2/neu by IHC", "HER2 IHC")
    if h.ihc in (0, 1):
        score = f"{h.ihc}{'+' if h.ihc else ''}"
        return c.pick(f"{name}: NEGATIVE (score {score}).", f"{name}: score {score}, negative.")
    if h.ihc == 3:
        return c.pick(
            f"{name}: POSITIVE (score 3+), complete intense membrane staining in >10% of cells.", f"{name}: 3+ (positive)."
        )
    tail = c.pick(" Reflex FISH has been ordered.", " HER2 FISH to follow.", "")
    return f"{name}: EQUIVOCAL (score 2+).{tail}"


def her2_fish_na(c: Ctx, h: Her2) -> list[str]:
    amp = h.ish == "amplified"
    verdict = "AMPLIFIED" if amp else "NOT AMPLIFIED"
    lines = [
        c.pick("HER2 FISH (dual probe, PathVysion):", "HER2 gene amplification by FISH:", "HER2 in situ hybridization:"),
        f"Average HER2 copy number per cell: {h.copies}",
        f"Average CEP17 copy number per cell: {h.cep17}",
        f"HER2/CEP17 ratio: {h.ratio}",
        f"RESULT: {verdict} (ASCO/CAP 2018 group {h.group}).",
    ]
    lines.append(c.pick(f"Final HER2 status: {'POSITIVE' if amp else 'NEGATIVE'}.", ""))
    return [x for x in lines if x]


def nodes_na(c: Ctx, nd: Nodes, mode: str) -> str:
    """One node part as a diagnosis line; counts in words half of the time."""
    n, pos = nd.examined, nd.positive
    of = f"{fr.count(c, pos if pos else max(nd.itc, 1))} of {fr.count(c, n)} lymph node{'s' if n > 1 else ''}"
    if mode == "pn":
        if pos == 0:
            return "Lymph nodes negative for metastatic carcinoma" + (" (isolated tumor cells only)" if nd.itc else "")
        return "Lymph node metastasis present" + (" (micrometastasis)" if nd.macro == 0 else "")
    if pos == 0:
        s = c.pick(f"{fr.count(c, n).capitalize()} lymph node{'s' if n > 1 else ''}, negative for metastatic carcinoma (0/{n})",
                   f"No metastatic carcinoma in {fr.count(c, n)} lymph node{'s' if n > 1 else ''} (0/{n})")
        if nd.itc:
            s += f"; isolated tumor cells ({nd.largest_mm:g} mm) in one node, detected on cytokeratin stain"
        return s
    if nd.macro == 0:
        return f"Micrometastatic carcinoma ({nd.largest_mm:g} mm) in {of} ({pos}/{n})"
    s = f"Metastatic carcinoma in {of} ({pos}/{n})"
    if nd.micro:
        s += f", {fr.count(c, nd.macro)} macrometasta{'ses' if nd.macro > 1 else 'sis'}"
        s += f" and {fr.count(c, nd.micro)} micrometasta{'ses' if nd.micro > 1 else 'sis'}"
    s += f"; largest metastatic deposit {fr.mm(c, nd.largest_mm, 'cm')}" if nd.largest_mm else ""
    return s + ("; extranodal extension present" if nd.ene else c.pick("; no extranodal extension", ""))


def m_na(c: Ctx, t: Tumour) -> str | None:
    if t.m == "M0":
        return c.pick("cM0", "M0", "Distant metastasis: cM0")
    if t.m == "M1":
        return c.pick(f"pM1 ({t.m1_site} biopsy positive)", f"M1 ({t.m1_site}, biopsy proven)")
    return {"na": c.pick("Distant metastasis: not applicable", "pM: not applicable"), "x": "pMX"}.get(t.m_written)


def skin_na(c: Ctx, t: Tumour) -> str | None:
    texts = {
        "ulceration": "Carcinoma involves the dermis with ulceration of the skin",
        "satellite": "Satellite skin nodules of carcinoma separate from the primary tumor",
        "chest_wall": "Carcinoma invades the chest wall (intercostal muscle)",
        "both": "Carcinoma ulcerates the skin and invades the chest wall",
        "inflammatory": "Extensive dermal lymphatic tumor emboli; clinical inflammatory carcinoma",
    }
    if t.t4_feature:
        return texts[t.t4_feature]
    if t.dermal_only:
        return "Carcinoma invades the dermis without ulceration of the epidermis"
    return None


# ====================================================================== diagnosis
def _breast_items(c: Ctx, t: Tumour) -> list[str]:
    if t.kind == "benign":
        return [c.pick("Benign breast tissue with fibrocystic changes", "Negative for atypia and malignancy")]
    if isinstance(t, fr.CoreBiopsy):
        if t.kind == "dcis":
            return [f"Ductal carcinoma in situ, {NUC[t.dcis_grade - 1]} nuclear grade", "No invasive carcinoma identified"]
        return [f"{c.pick(*TYPE_NA[t.histology])}, {grade_na(c, t)}",
                f"Carcinoma spans {fr.mm(c, t.size_mm, 'cm')} in the largest core",
                "Lymphovascular invasion " + ("present" if t.lvi else "not identified")]
    if t.kind == "pcr":
        out = ["No residual invasive carcinoma (pathologic complete response in the breast)" if t.t_sub == "0"
               else "Residual ductal carcinoma in situ only; no residual invasive carcinoma"]
        return out + ["Tumor bed with fibrosis and chronic inflammation, consistent with treatment effect"]
    if t.kind == "dcis":
        return [f"Ductal carcinoma in situ, {NUC[t.dcis_grade - 1]} nuclear grade, {c.pick('solid', 'cribriform', 'comedo')} type",
                f"DCIS spans {size_na(c, t.size_mm)} in greatest extent", "Negative for invasive carcinoma"]
    if t.kind == "micro":
        return [f"Ductal carcinoma in situ, {NUC[t.dcis_grade - 1]} nuclear grade",
                f"Microinvasive carcinoma, one focus ({t.size_mm:g} mm)"]
    head = ("Residual " if t.neoadjuvant else "") + c.pick(*TYPE_NA[t.histology])
    head = head[:1] + head[1:].lower() if t.neoadjuvant else head
    size = c.pick(f"measuring {size_na(c, t.size_mm)} in greatest dimension", f"{size_na(c, t.size_mm)}")
    items = [c.pick(f"{head}, {grade_na(c, t)}, {size}", f"{head}, {size}, {grade_na(c, t)}")]
    if t.other_foci_mm:
        others = " and ".join(fr.mm(c, x, "cm") for x in t.other_foci_mm)
        foci = fr.count(c, len(t.other_foci_mm) + 1)
        items.append(f"Multifocal: {foci} separate invasive foci; the size given is the largest focus (others {others})")
    if t.dcis:
        items.append(f"Ductal carcinoma in situ, {NUC[t.dcis_grade - 1]} nuclear grade, associated with the invasive tumor")
    lvi = "identified" if t.lvi else "not identified"
    items.append(c.pick("Lymphovascular invasion: ", "Angiolymphatic invasion ") + lvi)
    if t.neoadjuvant:
        items.append(f"Residual cancer burden class {c.pick('RCB-I', 'RCB-II', 'RCB-III')}")
    return items


def _margin_na(c: Ctx, t: Tumour) -> str:
    what = "carcinoma" if t.kind != "dcis" else "DCIS"
    if t.margin_mm == 0:
        return f"{what.capitalize()} present at the inked {t.margin_name} margin"
    return c.pick(f"Margins negative; closest margin ({t.margin_name}) {fr.mm(c, t.margin_mm, 'cm')}",
                  f"{what.capitalize()} is {fr.mm(c, t.margin_mm, 'mm')} from the {t.margin_name} margin")


def _parts(c: Ctx, ts: list[Tumour]) -> list[tuple[str, list[str]]]:
    """(part heading, diagnosis items) for every part, breast first then its nodes, side by side."""
    out = []
    for t in ts:
        side = t.side.upper() if c.chance(0.5) else t.side.capitalize()
        if isinstance(t, fr.CoreBiopsy):
            head = f"Breast, {side}, {c.rng.randint(1, 12)} o'clock, ultrasound-guided core needle biopsy"
            out.append((head, _breast_items(c, t)))
            continue
        items = _breast_items(c, t)
        sk = skin_na(c, t)
        items += [sk] if sk else []
        if t.kind not in ("benign", "pcr"):
            items.append(_margin_na(c, t))
        out.append((f"Breast, {side}, {t.procedure}", items))
        if t.nodes.examined:
            for nd in fr.node_split(c, t.nodes):
                line = nodes_na(c, nd, t.nodes_written)
                if t.kind == "pcr" and c.chance(0.5):
                    line += "; fibrosis in keeping with treatment effect, no residual tumor"
                if nd.sentinel:
                    head = f"Lymph nodes, {side} sentinel lymph node{'s' if nd.examined > 1 else ''}, biopsy"
                else:
                    head = f"{side} axillary contents, dissection"
                out.append((head, [line]))
    return out


def _stage_sentence(c: Ctx, t: Tumour) -> str | None:
    bits = []
    if t.stage_written:
        bits.append(fr.t_code(t))
    if t.nodes_written != "counts" and (t.nodes.examined or c.chance(0.4)):
        bits.append(fr.n_code(c, t))
    m = m_na(c, t)
    code = " ".join(bits)
    if not code and not m:
        return None
    s = ""
    if code:
        s = c.pick(f"The findings correspond to {code} (AJCC 8th edition)", f"Pathologic stage: {code}", f"AJCC 8: {code}")
    if m:
        s += (". " if s else "") + m
    return s + "."


# ====================================================================== comment and addenda
def _receptor_phrase(c: Ctx, t: Tumour) -> str:
    """Inline receptor results as one comment sentence (ISH in the same sentence when not split off)."""
    bits = []
    for name, r in (("estrogen receptor", t.er), ("progesterone receptor", t.pr)):
        if r is None:
            continue
        if r.status == "Positive":
            bits.append(f"{name} positive ({r.pct}%, {r.intensity})")
        else:
            bits.append(f"{name} {r.status.lower()}" + (" (<1%)" if r.status == "Negative" else ""))
    h = t.her2
    if h is not None:
        if h.ihc is None:
            amp = "amplified" if h.ish == "amplified" else "not amplified"
            bits.append(f"HER2 {amp} by FISH (ratio {h.ratio}, {h.copies} copies per cell)")
        elif h.ihc == 2:
            bits.append("HER2 equivocal (2+) by IHC")
        else:
            bits.append(f"HER2 {'positive' if h.ihc == 3 else 'negative'} ({h.ihc}{'+' if h.ihc else ''}) by IHC")
    return "The tumor is " + ", ".join(bits) + "."


def _addendum_lines(c: Ctx, t: Tumour, with_her2: bool) -> list[str]:
    side = t.side.capitalize()
    out = [f"{side} breast, block {c.pick('A3', 'A4', 'A5', 'A6')}" + c.pick(" (invasive carcinoma):", ":")]
    if t.er:
        out.append(receptor_na(c, c.pick("Estrogen receptor (ER, clone SP1)", "ESTROGEN RECEPTOR", "ER"), t.er))
    if t.pr:
        out.append(receptor_na(c, c.pick("Progesterone receptor (PR, clone 1E2)", "PROGESTERONE RECEPTOR", "PgR"), t.pr))
    if with_her2 and t.her2 and t.her2.ihc is not None:
        out.append(her2_ihc_na(c, t.her2))
    if t.ki67 is not None and c.chance(0.3):
        out.append(f"Ki-67 proliferation index: {t.ki67}%.")
    return out


def _biomarkers(c: Ctx, t: Tumour) -> tuple[str | None, list[list[str]]]:
    """(comment sentence, addenda) for one side. HER2 ISH, when done, is always its own later addendum."""
    mode, h = t.bio_mode, t.her2
    acc = c.phi("accession", c.p.prior_accessions[0])
    if mode == "none":
        return None, []
    if mode == "pending":
        return c.pick("ER, PR and HER2 studies are pending.", "Prognostic marker studies are in progress."), []
    if mode == "prior_ref":
        return f"ER, PR and HER2 were performed on the prior core biopsy ({acc}) and are not repeated.", []
    if mode == "inline" and c.chance(0.7):
        mode = t.bio_mode = "addendum"  # this house mostly reports receptors in an addendum
    fish = [her2_fish_na(c, h)] if h and h.ish in ("amplified", "not amplified") else []
    pending_fish = h is not None and h.ish == "pending"
    if mode == "prior_quoted":
        s = f"For reference, the core biopsy ({acc}) showed: " + _receptor_phrase(c, t)
        if fish:
            s += f" HER2 FISH on the core: ratio {h.ratio}, {h.ish}."
        return s, []
    if mode == "inline":
        s = _receptor_phrase(c, t) + (" FISH is pending at the reference laboratory." if pending_fish else "")
        return s, fish
    add = _addendum_lines(c, t, with_her2=True)
    if pending_fish:
        add.append("HER2 FISH has been sent to the reference laboratory; results will be reported separately.")
    lead = c.pick("Hormone receptor and HER2 studies have been ordered and will be reported in an addendum.",
                  "ER, PR and HER2 testing is in progress on block A3; see addendum.")
    return lead, [add] + fish


def _comment(c: Ctx, ts: list[Tumour]) -> tuple[list[str], list[list[str]]]:
    sentences, addenda = [], []
    for t in ts:
        pre = f"{t.side.capitalize()} breast: " if len(ts) > 1 else ""
        if t.kind == "benign":
            continue
        if isinstance(t, fr.CoreBiopsy):
            sentences.append(pre + c.pick("Tumor size, margins and staging will be assessed on the excision specimen.",
                                          "Definitive size and stage are deferred to the resection."))
        else:
            st = _stage_sentence(c, t)
            if st:
                sentences.append(pre + st)
        if t.grade and t.scores and c.chance(0.4):
            a, b, m = t.scores
            total = fr.count(c, a + b + m)
            sentences.append(pre + f"The combined Nottingham score is {total} (tubules {a}, nuclei {b}, mitoses {m}).")
        s, add = _biomarkers(c, t)
        if s:
            sentences.append(pre + s)
        addenda += add
    return ([c.pick("COMMENT:", "Comment:"), " ".join(sentences)] if sentences else []), addenda


# ====================================================================== other sections
def _header(c: Ctx) -> list[str]:
    p = c.p
    sex = {"F": "F", "M": "M"}[p.sex]
    age = f"{p.age}Y" if p.age <= 89 else c.phi("age", f"{p.age}Y")
    return [
        p.facility,
        c.pick("SURGICAL PATHOLOGY REPORT", "Pathology Consultation Report", "FINAL SURGICAL PATHOLOGY"),
        f"Patient: {c.patient_name()}    MR#: {c.phi('mrn', p.mrn)}    Acc#: {c.phi('accession', p.accession)}",
        f"DOB: {c.date(p.dob)} ({age}/{sex})    Procedure: {c.date(p.collected)}    Signed: {c.date(p.reported)}",
        f"Submitting: {c.doctor(p.clinician)}",
        "",
    ]


def _history(c: Ctx, ts: list[Tumour]) -> list[str]:
    t = ts[0]
    if isinstance(t, fr.CoreBiopsy):
        s = f"{c.pick('BI-RADS 5', 'Suspicious')} {t.side} breast mass on imaging; core biopsy."
    elif t.neoadjuvant:
        when = c.date(c.p.history_dates[0])
        s = f"{t.side.capitalize()} breast cancer diagnosed on core biopsy {when}, s/p neoadjuvant chemotherapy."
    else:
        s = f"{c.age_text()} with a {t.side} breast {'mass' if t.invasive else 'calcifications'}; {t.procedure}."
    if len(ts) > 1:
        s += " Bilateral procedures."
    if t.m == "M1":
        s += f" Known {t.m1_site} metastasis."
    return [c.pick("CLINICAL HISTORY:", "Clinical information:"), s, ""]


def _gross(c: Ctx, parts: list[tuple[str, list[str]]]) -> list[str]:
    out = [c.pick("GROSS DESCRIPTION:", "Gross:")]
    for i, (head, _) in enumerate(parts):
        side = "left" if "left" in head.lower() else "right"
        what = "breast" if head.startswith("Breast") else c.pick("axillary nodes", "axillary contents", "sentinel node")
        if "sentinel" in head.lower():
            what = "sentinel node" + ("s" if "nodes" in head else "")
        elif "dissection" in head:
            what = "axillary contents"
        out.append(f"{chr(65 + i)}. Received in formalin labeled with the patient's name and \"{side} {what}\"; "
                   f"{c.pick('submitted entirely', 'representative sections submitted')}.")
    return out + [""]


def _flatten(text: str) -> str:
    """One line, as exported OCR text: sentences joined by '. ', headings by a space."""
    out = ""
    for line in (x.strip() for x in text.split("\n")):
        if line:
            out += line if not out else (" " if out.endswith(":") else ". ") + line.rstrip(".")
    return out + "."


def render(c: Ctx, ts: list[Tumour]) -> str:
    parts = _parts(c, ts)
    upper = c.chance(0.5)
    lines = _header(c) + [c.pick("DIAGNOSIS:", "FINAL DIAGNOSIS:", "Diagnosis:")]
    for i, (head, items) in enumerate(parts):
        lines.append(f"{chr(65 + i)}. {head.upper() if upper else head}:")
        lines += ["   - " + (x.upper() if upper else x) for x in items]
    lines.append("")
    comment, addenda = _comment(c, ts)
    lines += comment + [""] if comment else []
    lines += _history(c, ts) + _gross(c, parts)
    lines.append(f"{c.pick('Electronically signed by', 'Pathologist:')} {c.doctor(c.p.pathologist)} {c.date(c.p.reported)}")
    for n, add in enumerate(addenda, 1):
        lines += ["", f"ADDENDUM {n} ({c.date(c.p.addendum)}):"] + add + [f"Addendum signed by {c.doctor(c.p.pathologist)}"]
    text = "\n".join(lines)
    return _flatten(text) if c.chance(0.33) else text
