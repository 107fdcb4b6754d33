"""Institutional report layouts of the synthetic corpus (see corpus.py for the list).

Each style is a function `(Ctx, tumours) -> str`. The text holds PHI markers that corpus.py
replaces after noise. A style may change `Tumour.bio_mode` (the addendum-driven style moves
biomarkers to an addendum) before labels are read, so labels are always taken after rendering.
Contract for every style: each non-null label of a tumour is written (stage code, or size when
`stage_written` is false; pN code and/or node counts; the M statement; grade; biomarkers).
"""

from __future__ import annotations

from pathxgen import phrases as ph
from pathxgen.case import Tumour
from pathxgen.phrases import Ctx


# ====================================================================== shared pieces
def header(c: Ctx, legacy: bool = False) -> list[str]:
    p = c.p
    age = p.age
    age_s = f"Age: {age}" if c.chance(0.6) else f"{age} Y"
    age_s = c.phi("age", age_s) if age > 89 else age_s
    sex = {"F": c.pick("F", "Female", "F"), "M": c.pick("M", "Male")}[p.sex]
    fac = [p.facility if not legacy else p.facility.upper()]
    if c.chance(0.5):
        fac.append(f"{c.phi('address', p.facility_street)}, {c.phi('address', p.facility_city)}")
    if c.chance(0.6):
        fac.append(f"Tel {c.phi('phone', p.facility_phone)}   Fax {c.phi('phone', p.facility_fax)}")
    title = c.pick(
        "SURGICAL PATHOLOGY REPORT",
        "Surgical Pathology Report",
        "PATHOLOGY REPORT",
        "Final Pathology Report",
        "SURGICAL PATHOLOGY - FINAL REPORT",
        "ANATOMIC PATHOLOGY",
    )
    acc, mrn = c.phi("accession", p.accession), c.phi("mrn", p.mrn)
    name, dob = c.patient_name(), c.date(p.dob)
    coll, recv, rep = c.date(p.collected), c.date(p.received), c.date(p.reported)
    doc = c.doctor(p.clinician)
    layout = c.rng.randrange(4) if not legacy else 3
    if layout == 0:
        block = [
            f"Patient: {name}".ljust(44) + f"MRN: {mrn}",
            f"DOB: {dob} ({age_s})".ljust(44) + f"Sex: {sex}",
            f"Accession #: {acc}".ljust(44) + f"Collected: {coll}",
            f"Received: {recv}".ljust(44) + f"Reported: {rep}",
            f"Ordering Physician: {doc}",
        ]
    elif layout == 1:
        block = [
            f"Name: {name} | MRN: {mrn} | DOB: {dob} | {age_s} | Sex: {sex}",
            f"Case: {acc} | Collected: {coll} | Received: {recv} | Signed: {rep}",
            f"Physician: {doc}",
        ]
    elif layout == 2:
        block = [
            f"{acc}",
            f"{name}",
            f"Med Rec #: {mrn}    Acct #: {c.phi('account', p.account)}",
            f"Date of Birth: {dob}    {age_s}",
            f"Date of Procedure: {coll}",
            f"Date Received: {recv}",
            f"Date Reported: {rep}",
            f"Surgeon: {doc}",
        ]
    else:
        block = [
            f"PATIENT NAME: {name}",
            f"UNIT NO: {mrn}   AGE/SEX: {age}/{sex}   DOB: {dob}",
            f"PATH NO: {acc}   DATE OBTAINED: {coll}   DATE REPORTED: {rep}",
            f"PHYSICIAN: {doc}",
        ]
        if age > 89:
            block[1] = f"UNIT NO: {mrn}   {age_s}   SEX: {sex}   DOB: {dob}"
    if c.chance(0.25):
        block.append(f"Address: {c.phi('address', p.patient_street)}, {c.phi('address', p.patient_city)}")
    if c.chance(0.15):
        block.append(f"Patient phone: {c.phi('phone', p.patient_phone)}")
    if c.chance(0.03):
        block.append(f"SSN: {c.phi('ssn', p.ssn)}")
    if c.chance(0.25):
        block.append(f"cc: {c.doctor(p.cc)}")
    return fac + [title, ""] + block + [""]


def footer(c: Ctx, addendum_lines: list[str] | None = None) -> list[str]:
    p = c.p
    out = [""]
    if c.chance(0.35):
        out.append(
            c.pick(
                "I have personally reviewed the material and approve this final report.",
                "Gross examination performed by pathologists' assistant; microscopic examination by the attending.",
                "The attending pathologist has reviewed all slides and agrees with the diagnosis.",
            )
        )
    if c.chance(0.25):
        out.append(f"Resident: {c.doctor(p.resident)}")
    out.append(
        c.pick(
            f"Electronically signed by {c.doctor(p.pathologist)} on {c.date(p.reported)}",
            f"{c.doctor(p.pathologist)}, Pathologist",
            f"Pathologist: {c.doctor(p.pathologist)}",
            f"*** Electronically Signed Out *** {c.doctor(p.pathologist)} {c.date(p.reported)}",
            f"Signed: {c.doctor(p.pathologist)}   Date: {c.date(p.reported)}",
        )
    )
    if c.chance(0.15):
        out.append(
            c.pick(
                f"Results discussed with Dr. {c.phi('name', p.clinician[2])} on {c.date(p.reported)}.",
                f"Findings called to {c.doctor(p.clinician)} at 14:20.",
            )
        )
    if c.chance(0.04):
        out.append(f"Report copy sent to: {c.phi('email', p.email)}")
    if c.chance(0.04):
        out.append(f"View online: {c.phi('url', p.portal_url)}")
    if addendum_lines:
        out += [""] + addendum_lines
    return out


def history_lines(c: Ctx, tumours: list[Tumour]) -> list[str]:
    label = c.pick(
        "CLINICAL HISTORY:",
        "Clinical History:",
        "CLINICAL INFORMATION:",
        "Clinical Data:",
        "HISTORY:",
        "Pertinent clinical history:",
        "CLINICAL NOTES:",
    )
    text = " ".join(ph.history_text(c, t) for t in tumours[:1])
    if len(tumours) > 1 and tumours[1].kind == "benign" or tumours[0].kind == "benign":
        text += c.pick(" Contralateral prophylactic mastectomy.", " Contralateral risk-reducing surgery.")
    elif len(tumours) > 1:
        text += c.pick(" Bilateral breast carcinoma.", " Bilateral disease.", " Contralateral lesion also biopsied.")
    pre = c.pick("Pre-operative diagnosis: ", "Preop Dx: ", "")
    extra = [f"{pre}{c.pick('breast carcinoma', 'breast cancer', 'malignant neoplasm of breast')}"] if pre else []
    return [label, text] + extra + [""]


def gross_lines(c: Ctx, tumours: list[Tumour]) -> list[str]:
    out = [c.pick("GROSS DESCRIPTION:", "Gross Description:", "GROSS:", "Macroscopic description:")]
    letters = "ABCDEFGH"
    for i, t in enumerate(tumours):
        a, b, d = c.rng.randint(60, 220) / 10, c.rng.randint(40, 160) / 10, c.rng.randint(15, 60) / 10
        spec = f'{letters[i * 2]}. Received fresh labeled with the patient\'s name and "{t.side} breast"'
        body = f" is a {a} x {b} x {d} cm {t.procedure} specimen"
        if t.kind in ("invasive", "residual", "micro") and t.size_mm and t.size_mm >= 3:
            # gross size equals the microscopic size unless the stage is written (no ambiguity for T by size)
            gsz = t.size_mm if not t.stage_written else t.size_mm + c.rng.choice([0, 0, 1, 2, -1, 3])
            body += c.pick(
                f". Sectioning reveals a firm, stellate, tan-white mass measuring {gsz / 10:.1f} x "
                f"{t.dims[0] / 10:.1f} x {t.dims[1] / 10:.1f} cm",
                f" containing an ill-defined gritty lesion, {gsz / 10:.1f} cm in greatest dimension",
            )
            body += c.pick(", located 0.3 cm from the posterior inked margin.", ". A biopsy clip is identified.", ".")
        elif t.kind == "pcr":
            body += ". A 2.1 x 1.5 cm area of fibrosis surrounds the biopsy clip; no discrete mass is seen."
        else:
            body += ". No discrete mass is identified; the biopsy site and clip are present."
        out.append(spec + body)
        out.append(
            c.pick(
                "Entirely submitted in 24 cassettes.",
                "Representative sections submitted (A1-A18).",
                "Inking: superior blue, inferior green, anterior red, posterior black.",
                "",
            )
        )
        if t.nodes.examined:
            out.append(
                f'{letters[i * 2 + 1]}. Received in formalin labeled "{t.side} axillary '
                f"{'sentinel ' if t.nodes.sentinel else ''}lymph node(s)\" is fatty tissue, "
                f"{c.rng.randint(10, 90) / 10} cm, submitted entirely."
            )
    return out + [""]


# ====================================================================== biomarkers
def _pending_line(c: Ctx) -> str:
    return c.pick(
        "Breast prognostic markers (ER, PR, HER2) are pending and will be reported in an addendum.",
        "ER, PR and HER2 studies have been ordered on block A3; results to follow as an addendum.",
        "Biomarker studies: PENDING.",
        "Hormone receptor and HER2 testing in progress; an addendum will follow.",
    )


def _bio_lines(c: Ctx, t: Tumour, reg: str, with_ish: bool = True) -> list[str]:
    ind = c.h["indent"]
    lines: list[str] = []
    if reg == "terse":
        parts = []
        if t.er:
            v = ph.receptor_value(c, t.er, "terse")
            parts.append("ER" + (" " if v[0].isalpha() else "") + v)
        if t.pr:
            v = ph.receptor_value(c, t.pr, "terse")
            parts.append(c.pick("PR", "PgR") + (" " if v[0].isalpha() else "") + v)
        if t.her2:
            h = t.her2
            if h.ihc is not None:
                parts.append("HER2 " + ph.her2_ihc_value(c, h.ihc, "terse"))
            if h.ish and with_ish:
                parts.append("FISH " + ph.her2_ish_value(c, h, "terse"))
        return [c.pick(" / ", "; ", ", ", "  ").join(parts)]
    if reg == "narr":
        if t.er:
            lines.append(ph.receptor_sentence(c, "ER", t.er) + ".")
        if t.pr:
            lines.append(ph.receptor_sentence(c, "PR", t.pr) + ".")
        if t.her2:
            lines += [f"{k}: {v}." for k, v in ph.her2_lines(c, t, "syn", with_ish)]
        return [c.dx(x) if c.h["dxcase"] == "upper" and c.chance(0.5) else x for x in lines]
    # syn / table: key-value pairs
    kvs = []
    if t.er:
        kvs.append(
            (
                c.pick(
                    "Estrogen Receptor (ER)",
                    "Estrogen Receptor (ER) Status",
                    "ER",
                    "Estrogen receptor",
                    "ER (clone SP1)",
                    "ER status",
                ),
                ph.receptor_value(c, t.er),
            )
        )
    if t.pr:
        kvs.append(
            (
                c.pick(
                    "Progesterone Receptor (PgR)",
                    "Progesterone Receptor (PR) Status",
                    "PR",
                    "Progesterone receptor",
                    "PgR (clone 1E2)",
                    "PR status",
                ),
                ph.receptor_value(c, t.pr),
            )
        )
    if t.her2:
        kvs += ph.her2_lines(c, t, "syn", with_ish)
    ki = ph.ki67_line(c, t) if t.invasive else None
    if ki and c.chance(0.8):
        kvs.insert(c.rng.randint(0, len(kvs)), ki)  # Ki-67 percentage among receptors: a naive-window confuser
        t.phenomena.append("ki67_near_receptors")
    if reg == "table":
        return _table(c, kvs, ("Marker", "Result"))
    return [c.kv(k, v, ind) for k, v in kvs]


def biomarkers(c: Ctx, t: Tumour, reg: str) -> tuple[list[str], list[str]]:
    """(lines in the report body, lines for an addendum); both empty when nothing is tested."""
    if t.bio_mode == "none":
        return [], []
    title = c.pick(
        "BREAST BIOMARKER TESTING:",
        "Breast Biomarker Testing",
        "PROGNOSTIC MARKERS:",
        "Immunohistochemistry:",
        "HORMONE RECEPTORS AND HER2:",
        "Biomarker studies (block A3):",
        "Receptor Status:",
    )
    p = c.p
    note = [ph.assay_note(c)] if c.chance(0.4) else []
    if t.bio_mode == "addendum":
        return [_pending_line(c)], [title] + _bio_lines(c, t, reg) + note
    if t.bio_mode == "pending":
        return [_pending_line(c)], []
    if t.bio_mode == "prior_ref":
        acc = c.phi("accession", p.prior_accessions[0])
        return [
            c.pick(
                f"ER, PR and HER2 were performed on the prior core biopsy ({acc}) and are not repeated.",
                f"Biomarkers: see {acc}.",
                f"Prognostic markers previously reported (see {acc}).",
            )
        ], []
    if t.bio_mode == "prior_quoted":
        acc = c.phi("accession", p.prior_accessions[0])
        lead = c.pick(
            f"Biomarker results (performed on core biopsy {acc}):",
            f"Previously reported on {acc} ({c.date(p.history_dates[0])}):",
            f"Breast biomarkers from the pre-operative biopsy ({acc}):",
        )
        return [lead] + _bio_lines(c, t, reg) + note, []
    # inline; a resolved HER2 2+ sometimes has its ISH result in an addendum
    h = t.her2
    split = h is not None and h.ihc == 2 and h.ish in ("amplified", "not amplified") and c.chance(0.45)
    body = [title] + _bio_lines(c, t, reg, with_ish=not split) + note
    if split:
        body.append(
            c.pick("HER2 FISH has been ordered; results will be reported in an addendum.", "Reflex HER2 ISH to follow.")
        )
        add = [
            c.pick("HER2 FISH (block A3):", "HER2 in situ hybridization:", "HER2 ISH results:"),
            f"{c.pick('Result', 'HER2 (ISH)', 'FISH')}: {ph.her2_ish_value(c, h)}",
            c.pick(
                f"Final HER2 status: {h.final.upper()}",
                f"HER2 status: {h.final} (IHC 2+, ISH {h.ish})",
                f"Interpretation: HER2 {h.final.lower()} by ISH",
            ),
        ]
        t.phenomena.append("her2_ish_in_addendum")
        return body, add
    return body, []


def addendum_block(c: Ctx, lines: list[str], n: int = 1) -> list[str]:
    if not lines:
        return []
    p = c.p
    head = c.pick(
        f"ADDENDUM{f' {n}' if n > 1 or c.chance(0.3) else ''}:",
        f"ADDENDUM REPORT ({c.date(p.addendum)})",
        f"*** ADDENDUM *** {c.date(p.addendum)}",
        "Addendum",
        "ADDENDUM DIAGNOSIS:",
    )
    sign = c.pick(
        f"Addendum signed by {c.doctor(p.pathologist)} on {c.date(p.addendum)}",
        f"{c.doctor(p.pathologist)} (addendum) {c.date(p.addendum)}",
        f"Electronically signed: {c.doctor(p.pathologist)}",
    )
    return [head] + lines + [sign]


# ====================================================================== diagnosis blocks
def _stage_bits(c: Ctx, t: Tumour) -> tuple[str | None, str | None, str | None]:
    tc = ph.t_code(c, t) if t.stage_written else None
    nc = ph.n_code(c, t) if t.nodes_written != "counts" and (t.nodes.examined or c.chance(0.3)) else None
    return tc, nc, ph.m_code(c, t)


def dx_items(c: Ctx, t: Tumour, with_nodes: bool = True, with_stage: bool = True) -> list[str]:
    """The diagnosis bullets of a breast specimen, without the 'LEFT BREAST, ...:' line."""
    items = []
    if t.kind == "benign":
        return [
            c.pick(
                "Benign breast tissue with fibrocystic changes",
                "No evidence of malignancy",
                "Benign breast parenchyma; negative for atypia and carcinoma",
                "Fibroadenoma (0.8 cm); no carcinoma identified",
            )
        ]
    if t.kind == "pcr":
        items.append(
            c.pick(
                "No residual invasive carcinoma identified",
                "No residual invasive carcinoma or carcinoma in situ",
                "Tumor bed with treatment-related changes; no residual invasive carcinoma (pathologic complete response)",
            )
            if t.t_sub == "0"
            else c.pick(
                "No residual invasive carcinoma; residual ductal carcinoma in situ present",
                "Residual DCIS only; no residual invasive carcinoma",
            )
        )
        if t.dcis and t.t_sub == "is":
            items.append(ph.dcis_text(c, t))
        items.append(
            c.pick(
                "Residual cancer burden: RCB-0 (pathologic complete response)",
                "Biopsy clip site identified",
                "Fibrosis and hemosiderin-laden macrophages at tumor bed (2.1 cm)",
            )
        )
    elif t.kind == "dcis":
        items.append(f"{ph.histology(c, t)}, {ph.dcis_text(c, t).split(', ', 1)[-1]}")
        items.append(
            c.pick(
                f"DCIS spans {c.size(t.size_mm)}",
                f"Extent of DCIS: {c.size(t.size_mm)} (estimated)",
                f"Size (extent) of DCIS: at least {c.size(t.size_mm)}",
            )
        )
        items.append(
            c.pick(
                "No invasive carcinoma identified",
                "Negative for invasive carcinoma",
                "No evidence of invasive carcinoma on multiple levels",
            )
        )
    elif t.kind == "micro":
        items.append(ph.dcis_text(c, t))
        items.append(
            c.pick(
                f"Focus of microinvasion measuring {t.size_mm:g} mm",
                f"{ph.histology(c, t)} ({t.size_mm:g} mm)",
                f"Microinvasive carcinoma, single focus, {t.size_mm:g} mm in greatest extent",
            )
        )
    else:
        h = ph.histology(c, t)
        g = ph.grade_value(c, t, "narr")
        items.append(
            c.pick(
                f"{h}, {g}, {ph.size_statement(c, t, 'narr')}",
                f"{h} ({g}), {ph.size_statement(c, t, 'narr')}",
                f"{h}, {ph.size_statement(c, t, 'narr')}; " f"histologic grade: {g}",
            )
        )
        if t.other_foci_mm:
            items.append(ph.foci_statement(c, t))
        if t.dcis:
            items.append(
                ph.dcis_text(c, t)
                + c.pick("", "", ", comprising 10% of the tumor", ", extensive intraductal component")
            )
        if t.neoadjuvant:
            items.append(
                c.pick(
                    f"Residual cancer burden: RCB-{c.pick('I', 'II', 'III')}",
                    f"Treatment effect present; residual tumor cellularity {c.pct(c.rng.choice([5, 10, 30, 60]))}",
                )
            )
        if t.histology in ("lobular", "mixed") and c.chance(0.5):
            items.append(
                c.pick(
                    "E-cadherin negative in tumor cells, supporting lobular phenotype",
                    "E-cadherin: negative (loss of expression)",
                )
            )
        items.append(f"{c.pick('Lymphovascular invasion', 'Angiolymphatic invasion', 'LVI')}: {ph.lvi_statement(c, t)}")
    sk = ph.skin_statement(c, t)
    if sk:
        items.append(sk)
    if t.kind != "pcr" or c.chance(0.5):
        items.append(ph.margin_statement(c, t, "narr"))
    if "mastectomy" in t.procedure and c.chance(0.4):
        items.append(c.pick("Nipple: negative for Paget disease", "Nipple and areola without tumor"))
    if with_nodes and t.nodes.examined and t.nodes_written != "pn":
        items.append(ph.node_sentence(c, t))
    if t.m == "M1":
        items.append(
            c.pick(
                f"Distant metastasis, biopsy-proven ({t.m1_site}; see separate specimen)",
                f"Metastatic carcinoma in {t.m1_site} biopsy (see below)",
            )
        )
    if with_stage:
        tc, nc, mc = _stage_bits(c, t)
        bits = " ".join(x for x in (tc, nc, mc) if x)
        if bits:
            items.append(
                c.pick(
                    f"Pathologic stage: {bits}",
                    f"{c.h['ajcc'] or 'AJCC'} stage: {bits}",
                    f"pTNM: {bits}",
                    f"Stage ({c.h['ajcc'] or 'AJCC 8'}): {bits}",
                    bits,
                )
            )
        if t.stage_group and c.chance(0.12) and t.stage_written:
            items.append(f"Anatomic stage group: {t.stage_group}")
            t.phenomena.append("stage_group")
    return [x[:1].upper() + x[1:] for x in items]


def dx_block(c: Ctx, t: Tumour, label: str, bullets: bool = True, **kw) -> list[str]:
    items = [c.dx(x) for x in dx_items(c, t, **kw)]
    head = c.dx(label)
    if bullets:
        return [head] + [c.h["indent"] + c.bullet(x + c.pick(".", "", ".")) for x in items]
    return [head, c.pick(". ", "; ").join(items) + "."]


def synoptic(c: Ctx, t: Tumour, title: str | None = None, checkbox: bool = False) -> list[str]:
    """CAP-style key/value checklist for one tumour."""
    ind = c.h["indent"]
    kv = lambda k, v, i=ind: c.kv(k, v, i)  # noqa: E731
    title = title or c.pick(
        "SYNOPTIC REPORT",
        "Synoptic Summary",
        "CAP SYNOPTIC - INVASIVE CARCINOMA OF THE BREAST",
        "BREAST CANCER SYNOPTIC",
        "Cancer Case Summary (CAP Breast Invasive 4.8)",
        "TUMOR SUMMARY",
        "SYNOPTIC REPORT - BREAST (RESECTION)",
    )
    if t.kind == "dcis":
        title = c.pick("SYNOPTIC REPORT - DCIS", "Cancer Case Summary: DCIS of the Breast", "DCIS SYNOPTIC")
    lines = [title]
    lines.append(kv("Procedure", ph.procedure(c, t)))
    lines.append(kv(c.pick("Specimen Laterality", "Laterality", "Side"), ph.SIDE[t.side][c.pick(0, 1)]))
    if c.chance(0.6):
        lines.append(
            kv(
                "Tumor Site",
                c.pick(
                    "Upper outer quadrant",
                    "Lower inner quadrant",
                    f"{c.rng.randint(1, 12)} o'clock",
                    "Central",
                    "Upper inner quadrant",
                    "Retroareolar",
                ),
            )
        )
    if t.kind == "dcis":
        lines.append(kv("Histologic Type", ph.histology(c, t)))
        lines.append(kv(c.pick("Size (Extent) of DCIS", "DCIS extent"), c.size(t.size_mm)))
        lines.append(
            kv(
                c.pick("Nuclear Grade", "DCIS nuclear grade"),
                c.pick(
                    f"Grade {'I' * t.dcis_grade}",
                    f"Grade {t.dcis_grade}",
                    ("Low", "Intermediate", "High")[t.dcis_grade - 1],
                ),
            )
        )
        lines.append(kv("Microinvasion", c.pick("Not identified", "Absent")))
    elif t.kind == "pcr":
        lines.append(
            kv("Histologic Type", c.pick("No residual invasive carcinoma", "Not applicable (no residual tumor)"))
        )
        lines.append(kv("Treatment Effect", c.pick("Present, no residual invasive carcinoma", "Complete response")))
    else:
        lines.append(kv("Histologic Type", ph.histology(c, t)))
        if t.grade:
            if checkbox:
                lines.append(c.key("Histologic Grade (Nottingham)"))
                lines += _boxes(
                    c,
                    [f"Grade {g} (scores of {r})" for g, r in ((1, "3, 4 or 5"), (2, "6 or 7"), (3, "8 or 9"))],
                    t.grade - 1,
                )
            else:
                if c.chance(0.55):
                    lines.append(c.key(c.pick("Histologic Grade (Nottingham Histologic Score)", "Histologic Grade")))
                    lines += [kv(k, v) for k, v in ph.grade_components(c, t)]
                    lines.append(
                        kv(c.pick("Overall Grade", "Total score / grade", "Nottingham grade"), ph.grade_value(c, t))
                    )
                else:
                    lines.append(
                        kv(
                            c.pick(
                                "Histologic Grade",
                                "Nottingham Histologic Grade",
                                "Grade",
                                "Histologic grade (Nottingham)",
                            ),
                            ph.grade_value(c, t),
                        )
                    )
        lines.append(
            kv(
                c.pick("Tumor Size", "Size of Largest Invasive Carcinoma", "Invasive tumor size", "Tumor size"),
                ph.size_statement(c, t, "syn") if t.kind != "micro" else f"{t.size_mm:g} mm (microinvasion)",
            )
        )
        if t.other_foci_mm or c.chance(0.5):
            lines.append(kv("Tumor Focality", ph.foci_statement(c, t)))
        if t.dcis:
            lines.append(
                kv(
                    c.pick("Ductal Carcinoma In Situ (DCIS)", "DCIS", "In situ component"),
                    c.pick("Present", "Present, negative for extensive intraductal component", "Present"),
                )
            )
            lines.append(
                kv(
                    c.pick("Nuclear Grade", "DCIS nuclear grade", "Nuclear grade (DCIS)"),
                    c.pick(
                        f"Grade {'I' * t.dcis_grade} ({('low', 'intermediate', 'high')[t.dcis_grade - 1]})",
                        f"{t.dcis_grade}",
                        ("Low", "Intermediate", "High")[t.dcis_grade - 1],
                    ),
                    ind * 2,
                )
            )
        elif c.chance(0.4):
            lines.append(kv("Ductal Carcinoma In Situ (DCIS)", c.pick("Not identified", "Absent")))
        lines.append(kv(c.pick("Lymphovascular Invasion", "Lymph-vascular invasion", "LVI"), ph.lvi_statement(c, t)))
        if t.neoadjuvant:
            lines.append(
                kv(
                    c.pick("Treatment Effect in the Breast", "Response to neoadjuvant therapy"),
                    c.pick(
                        "Probable or definite response, residual invasive carcinoma present",
                        f"Partial response; RCB-{c.pick('I', 'II', 'III')}",
                    ),
                )
            )
    sk = ph.skin_statement(c, t)
    if sk:
        lines.append(kv(c.pick("Skin", "Skin involvement"), sk))
    elif t.t4_feature:
        raise AssertionError("T4 without skin statement")
    lines.append(kv(c.pick("Margins", "Margin Status", "Surgical margins"), ph.margin_statement(c, t, "syn")))
    if t.nodes_written != "pn" or not t.nodes.examined:
        lines.append(c.key(c.pick("Regional Lymph Nodes", "Lymph Nodes", "REGIONAL LYMPH NODES")))
        lines += [kv(k, v) for k, v in ph.node_syn_lines(c, t)]
    if t.m == "M1":
        lines.append(
            kv(
                c.pick("Distant Metastasis", "Distant site(s) involved"),
                f"{t.m1_site}, {c.pick('biopsy-proven', 'histologically confirmed')} (part C)",
            )
        )
    # pTNM
    lines.append(
        c.key(
            c.pick(
                f"pTNM Classification ({c.h['ajcc'] or 'AJCC 8th Edition'})",
                "Pathologic Stage Classification",
                "STAGE (pTNM)",
                "AJCC Pathologic Staging",
            )
        )
    )
    if t.neoadjuvant and c.chance(0.6):
        lines.append(kv("Modified Classification", c.pick("y (post-neoadjuvant therapy)", "y")))
    if t.other_foci_mm and c.chance(0.3):
        lines.append(kv("TNM Descriptors", "m (multiple primary tumors)"))
    if t.stage_written:
        tc = ph.t_code(c, t)
        if checkbox:
            opts = ["pTis", "pT0", "pT1mi", "pT1a", "pT1b", "pT1c", "pT2", "pT3", "pT4a", "pT4b", "pT4c", "pT4d"]
            cur = "pT" + t.t_sub
            lines.append(c.key("Primary Tumor (pT)"))
            lines += _boxes(c, [f"{o} ({ph.T_DESC[o[2:]]})" if c.chance(0.3) else o for o in opts], opts.index(cur))
        else:
            desc = (
                f": {ph.T_DESC.get(t.t_sub, '')}" if c.chance(0.35) and t.t_sub in ph.T_DESC and "(m)" not in tc else ""
            )
            lines.append(
                kv(
                    c.pick(
                        "Primary Tumor (pT)",
                        "Primary Tumor (T)",
                        "pT",
                        "pT Category",
                        "Primary tumor",
                        "T category",
                        "Tumor (pT)",
                    ),
                    tc + desc,
                )
            )
    nd = t.nodes
    if t.nodes_written != "counts" or not nd.examined:
        if nd.examined or c.chance(0.5):
            nc = ph.n_code(c, t)
            desc = f": {ph.N_DESC.get(nc.split('N', 1)[1].replace('(sn)', ''), '')}" if c.chance(0.3) else ""
            if nd.examined == 0 and c.chance(0.5):
                nc = c.pick("pNX", "Not applicable (no nodes submitted)", "Cannot be assessed")
            lines.append(
                kv(
                    c.pick(
                        "Regional Lymph Nodes (pN)",
                        "pN",
                        "pN Category",
                        "Regional lymph nodes",
                        "N category",
                        "Lymph nodes (pN)",
                    ),
                    nc + desc.rstrip(": "),
                )
            )
    mv = ph.m_value(c, t)
    if mv:
        lines.append(
            kv(
                c.pick(
                    "Distant Metastasis (pM)", "pM", "Distant metastasis (M)", "M category", "Distant Metastasis (M)"
                ),
                mv,
            )
        )
    elif c.chance(0.15):
        lines.append(kv("Distant Metastasis (pM)", c.pick("Not applicable", "Not applicable")))
        t.m_written = "na"  # the line says nothing about M: still null
    return lines


def _boxes(c: Ctx, options: list[str], chosen: int) -> list[str]:
    on, off = c.pick(("[X]", "[ ]"), ("[x]", "[ ]"), ("(X)", "( )"), ("_X_", "___"), ("[*]", "[ ]"))
    ind = c.h["indent"] or "  "
    if c.chance(0.5):
        return [f"{ind}{on if i == chosen else off} {o}" for i, o in enumerate(options)]
    return [ind + "  ".join(f"{on if i == chosen else off} {o}" for i, o in enumerate(options))]


def _table(c: Ctx, rows: list[tuple[str, str]], head: tuple[str, str]) -> list[str]:
    w = max(len(head[0]), *(len(k) for k, _ in rows)) + 2
    style = c.rng.randrange(3)
    if style == 0:
        v = max(len(head[1]), *(len(x) for _, x in rows)) + 2
        rule = "+" + "-" * w + "+" + "-" * v + "+"
        return (
            [rule, f"| {head[0].ljust(w - 1)}| {head[1].ljust(v - 1)}|", rule]
            + [f"| {k.ljust(w - 1)}| {x.ljust(v - 1)}|" for k, x in rows]
            + [rule]
        )
    if style == 1:
        return [f"{head[0].upper().ljust(w)}{head[1].upper()}", "-" * (w + 20)] + [f"{k.ljust(w)}{x}" for k, x in rows]
    return [f"{head[0]} | {head[1]}"] + [f"{k} | {x}" for k, x in rows]


def _parts_for(c: Ctx, t: Tumour, start: int) -> tuple[list[str], int]:
    """Lettered parts of one side: breast, sentinel nodes split across parts, margins."""
    letters = "ABCDEFGHIJKLMN"
    out = []
    i = start
    out += dx_block(
        c, t, f"{letters[i]}. {ph.SIDE[t.side][1]} BREAST, {t.procedure.upper()}:", with_nodes=False, with_stage=False
    )
    i += 1
    nd = t.nodes
    if nd.examined:
        # split nodes into 1-3 parts; positives go to the first parts
        k = min(nd.examined, c.rng.randint(1, 3)) if nd.examined <= 5 else 1
        sizes = [nd.examined // k + (1 if j < nd.examined % k else 0) for j in range(k)]
        macro, micro, itc = nd.macro, nd.micro, nd.itc
        for j, n in enumerate(sizes):
            m_here = min(macro, n)
            mi_here = min(micro, n - m_here)
            it_here = min(itc, n - m_here - mi_here)
            macro, micro, itc = macro - m_here, micro - mi_here, itc - it_here
            kind = (
                "SENTINEL LYMPH NODE" + (f" #{j + 1}" if k > 1 else "")
                if nd.sentinel == nd.examined
                else "AXILLARY LYMPH NODES, DISSECTION" if nd.examined > 5 else "AXILLARY LYMPH NODE"
            )
            head = f"{letters[i]}. {ph.SIDE[t.side][1]} {kind}, EXCISION:"
            pos = m_here + mi_here
            if pos == 0:
                s = c.pick(
                    f"{c.num(n)} lymph node{'s' if n > 1 else ''}, negative for metastatic carcinoma (0/{n})",
                    f"benign lymph node{'s' if n > 1 else ''} (0/{n})",
                    f"no tumor seen in {c.num(n)} node{'s' if n > 1 else ''} (0/{n})",
                )
                if it_here:
                    s += f"; isolated tumor cells present ({nd.largest_mm:g} mm)"
            elif m_here == 0:
                s = f"micrometastatic carcinoma ({nd.largest_mm:g} mm) in {mi_here} of {n} lymph node{'s' if n > 1 else ''} ({pos}/{n})"
            else:
                s = (
                    f"metastatic carcinoma in {c.num(pos)} of {c.num(n)} lymph node{'s' if n > 1 else ''} ({pos}/{n})"
                    + (f", {mi_here} micrometastasis" if mi_here else "")
                    + (f"; largest deposit {c.size(nd.largest_mm, 'mm')}" if nd.largest_mm and j == 0 else "")
                    + ("; extranodal extension present" if nd.ene and j == 0 else "")
                )
            out += [c.dx(head), c.h["indent"] + c.bullet(c.dx(s))]
            i += 1
    if c.chance(0.3):
        out += [
            c.dx(f"{letters[i]}. {ph.SIDE[t.side][1]} BREAST, ADDITIONAL {t.margin_name.upper()} MARGIN, EXCISION:"),
            c.h["indent"]
            + c.bullet(
                c.dx(
                    c.pick(
                        "Benign breast tissue; no evidence of invasive carcinoma or DCIS",
                        "Negative for carcinoma",
                        "No evidence of invasive carcinoma; biopsy site changes",
                        "Fibrocystic changes; negative for malignancy",
                    )
                )
            ),
        ]
        t.phenomena.append("negated_margin_part")
        i += 1
    return out, i


def _m1_part(c: Ctx, t: Tumour, letter: str) -> list[str]:
    lab, dx = ph.distant_site_dx(c, t)
    return [c.dx(f"{letter}. {lab}:"), c.h["indent"] + c.bullet(c.dx(dx))]


def _stage_summary(c: Ctx, t: Tumour) -> list[str]:
    tc, nc, mc = _stage_bits(c, t)
    bits = " ".join(x for x in (tc, nc, mc) if x)
    return (
        [
            c.pick(
                f"Pathologic stage ({c.h['ajcc'] or 'AJCC 8th'}): {bits}",
                f"STAGE: {bits}",
                f"pTNM: {bits}",
                f"TNM: {bits}",
            )
        ]
        if bits
        else []
    )


# ====================================================================== styles
def style_cap_synoptic(c: Ctx, ts: list[Tumour]) -> str:
    t = ts[0]
    out = header(c) + history_lines(c, ts)
    if c.chance(0.5):
        out += gross_lines(c, ts)
    out.append(c.pick("FINAL DIAGNOSIS:", "DIAGNOSIS:", "Final Diagnosis", "FINAL PATHOLOGIC DIAGNOSIS:"))
    out += dx_block(c, t, f"{ph.side(c, t)} breast, {t.procedure}:", bullets=c.chance(0.7), with_stage=c.chance(0.3))
    if t.m == "M1":
        out += _m1_part(c, t, "C")
    out.append("")
    out += synoptic(c, t)
    body, add = biomarkers(c, t, "syn")
    out += [""] + body
    out += footer(c, addendum_block(c, add))
    return "\n".join(out)


def style_narrative(c: Ctx, ts: list[Tumour]) -> str:
    t = ts[0]
    out = header(c) + history_lines(c, ts)
    if c.chance(0.6):
        out += gross_lines(c, ts)
    if c.chance(0.4):
        out += [
            c.pick("MICROSCOPIC DESCRIPTION:", "Microscopic:"),
            c.pick(
                "Sections confirm the diagnosis below.",
                "The microscopic findings support the diagnosis.",
                "Sections show an infiltrating neoplasm forming nests, cords and tubules within a desmoplastic stroma.",
            ),
            "",
        ]
    out.append(c.pick("FINAL DIAGNOSIS:", "DIAGNOSIS:", "PATHOLOGIC DIAGNOSIS:", "Diagnosis"))
    items = dx_items(c, t)
    lead = c.dx(f"{ph.side(c, t)} breast, {t.procedure}: ")
    if c.chance(0.5):
        out += [lead + c.dx(items[0]) + "."] + [c.dx(x) + "." for x in items[1:]]
    else:
        out.append(lead + c.dx(". ".join(items)) + ".")
    if t.m == "M1":
        lab, dx = ph.distant_site_dx(c, t)
        out += ["", c.dx(f"Separate specimen, {lab.lower()}: {dx}.")]
    body, add = biomarkers(c, t, "narr")
    out += [""] + ([c.pick("COMMENT:", "Comment:", "NOTE:")] + body if body else [])
    out += footer(c, addendum_block(c, add))
    return "\n".join(out)


def style_tabular(c: Ctx, ts: list[Tumour]) -> str:
    t = ts[0]
    out = header(c) + history_lines(c, ts)
    out.append(c.pick("DIAGNOSIS SUMMARY", "FINAL DIAGNOSIS (TABULAR)", "PATHOLOGY FINDINGS", "Summary of findings"))
    rows = [("Specimen", f"{ph.SIDE[t.side][0]} breast, {t.procedure}")]
    syn = [x for x in synoptic(c, t) if c.h["sep"] in x]
    for x in syn:
        k, v = x.split(c.h["sep"], 1)
        rows.append((k.strip(), v.strip()))
    body, add = biomarkers(c, t, "table")
    out += _table(c, rows, c.pick(("Parameter", "Result"), ("Feature", "Finding"), ("Item", "Value")))
    if t.m == "M1":
        out += [""] + _m1_part(c, t, "C")
    out += [""] + body
    out += footer(c, addendum_block(c, add))
    return "\n".join(out)


def style_consult(c: Ctx, ts: list[Tumour]) -> str:
    t = ts[0]
    p = c.p
    outside = c.pick(
        "Lakeside Community Hospital",
        "Delta Regional Medical Center",
        "an outside institution",
        "Northside Surgical Center",
        "St. Luke's Hospital",
    )
    oacc = c.phi("accession", p.prior_accessions[2])
    out = header(c) + [
        c.pick(
            "OUTSIDE CONSULTATION", "CONSULTATION REPORT", "SECOND OPINION / SLIDE REVIEW", "Outside Pathology Review"
        ),
        "",
    ]
    out.append(
        c.pick(
            f"We have reviewed slides from {outside}, case {oacc} (collected {c.date(p.collected)}), consisting of "
            f"{c.rng.randint(6, 30)} H&E slides and {c.rng.randint(0, 6)} immunostains, submitted at the request of {c.doctor(p.clinician)}.",
            f"Slides and blocks received in consultation from {outside} (their {oacc}, dated {c.date(p.collected)}).",
            f"Review of outside material ({oacc}) from {outside}.",
        )
    )
    out.append("")
    out.append(c.pick("OUR DIAGNOSIS:", "DIAGNOSIS (on review):", "REVIEW DIAGNOSIS:", "Our interpretation:"))
    out += dx_block(c, t, f"{ph.side(c, t)} breast, {t.procedure} ({oacc}):", bullets=c.chance(0.6))
    if t.m == "M1":
        out += _m1_part(c, t, "C")
    out.append("")
    comment = [c.pick("COMMENT:", "Comment:")]
    if t.grade and c.chance(0.5):
        other = 3 if t.grade != 3 else 2
        comment.append(
            c.pick(
                f"The outside report lists Nottingham grade {other}; on our review the tumor is best "
                f"classified as grade {t.grade}.",
                f"We respectfully disagree with the outside grade ({other}); see diagnosis above.",
            )
        )
        t.phenomena.append("outside_value_disagrees")
    else:
        comment.append(
            c.pick(
                "We agree with the outside diagnosis.",
                "Our findings are in agreement with the outside report.",
                "Concur with the outside interpretation.",
            )
        )
    out += comment
    body, add = biomarkers(c, t, c.pick("syn", "narr"))
    if body:
        out += (
            [""]
            + [
                c.pick(
                    f"Biomarkers (performed at {outside}, reviewed and concurred):",
                    "Outside biomarker results, concur:",
                    "Receptor studies:",
                )
            ]
            + body
        )
    out += footer(c, addendum_block(c, add))
    return "\n".join(out)


def style_staging_string(c: Ctx, ts: list[Tumour]) -> str:
    t = ts[0]
    out = header(c)
    if c.chance(0.5):
        out += [c.pick("HX:", "CLIN:", "Hx:") + " " + ph.history_text(c, t), ""]
    sd = ph.side(c, t, terse=True)
    bits = [f"{sd} BREAST, {t.procedure.upper()}:"]
    if t.kind == "pcr":
        bits.append(
            c.pick("NO RESIDUAL INVASIVE CA", "pCR, NO RESIDUAL TUMOR") if t.t_sub == "0" else "RESIDUAL DCIS ONLY"
        )
    elif t.kind == "dcis":
        bits.append(f"{ph.dcis_text(c, t, 'terse')}, {c.size(t.size_mm)}, NO INVASION")
    elif t.kind == "micro":
        bits.append(f"{ph.dcis_text(c, t, 'terse')} W/ MICROINVASION ({t.size_mm:g}MM)")
    else:
        bits.append(f"{ph.histology(c, t, 'terse')}, {ph.grade_value(c, t, 'terse')}, {c.size(t.size_mm).upper()}")
        if t.dcis:
            bits.append(ph.dcis_text(c, t, "terse"))
        bits.append(c.pick("LVI+", "LVI present") if t.lvi else c.pick("LVI-", "LVI neg", "NO LVI"))
    sk = ph.skin_statement(c, t)
    if sk and (t.t4_feature or c.chance(0.5)):
        bits.append(sk.upper())
    bits.append("MARGINS " + ("POS" if t.margin_mm == 0 else f"NEG ({t.margin_mm:g}MM {t.margin_name.upper()[:4]})"))
    out.append(c.pick("DX: ", "DIAGNOSIS: ", "FINAL DX: ") + bits[0] + " " + c.pick(", ", "; ").join(bits[1:]) + ".")
    if t.nodes.examined and t.nodes_written != "pn":
        out.append(ph.node_terse(c, t) + ".")
    if t.m == "M1":
        lab, dx = ph.distant_site_dx(c, t)
        out.append(f"{lab}: {dx.upper()}.")
    line = (
        ph.staging_line(c, t)
        if (t.stage_written and t.nodes_written != "counts")
        else " ".join(x for x in _stage_bits(c, t) if x)
    )
    if line:
        out.append(c.pick("STAGE: ", "TNM: ", "", "pSTAGE ") + line)
    body, add = biomarkers(c, t, "terse")
    out += body
    out += footer(c, addendum_block(c, add))
    return "\n".join(out)


def style_bilateral_synoptic(c: Ctx, ts: list[Tumour]) -> str:
    out = header(c) + history_lines(c, ts)
    out.append(c.pick("FINAL DIAGNOSIS:", "DIAGNOSIS:"))
    letter = 0
    for t in ts:
        parts, letter = _parts_for(c, t, letter)
        out += parts
    if any(t.m == "M1" for t in ts):
        out += _m1_part(c, next(t for t in ts if t.m == "M1"), "ABCDEFGHIJKLMN"[letter])
    adds = []
    for t in ts:
        if t.kind == "benign":
            continue
        out.append("")
        sd = ph.SIDE[t.side][1]
        title = c.pick(
            f"SYNOPTIC SUMMARY ({sd} BREAST)",
            f"SYNOPTIC SUMMARY - {sd} BREAST",
            f"{sd} BREAST - SYNOPTIC REPORT",
            f"Synoptic Report: {ph.SIDE[t.side][0]} Breast",
        )
        out += synoptic(c, t, title=title)
        body, add = biomarkers(c, t, "syn")
        out += body
        if add:
            adds += [f"{sd} BREAST:"] + add
    out += footer(c, addendum_block(c, adds))
    return "\n".join(out)


def style_lettered(c: Ctx, ts: list[Tumour]) -> str:
    out = header(c) + history_lines(c, ts)
    if c.chance(0.3):
        out += gross_lines(c, ts)
    out.append(c.pick("FINAL DIAGNOSIS:", "DIAGNOSIS:", "FINAL PATHOLOGIC DIAGNOSIS:"))
    letter = 0
    for t in ts:
        parts, letter = _parts_for(c, t, letter)
        out += parts
    if any(t.m == "M1" for t in ts):
        out += _m1_part(c, next(t for t in ts if t.m == "M1"), "ABCDEFGHIJKLMN"[letter])
    adds = []
    for t in ts:
        if t.kind == "benign":
            continue
        out.append("")
        sd = ph.SIDE[t.side][1]
        if len(ts) > 1:
            out.append(c.pick(f"{sd} BREAST:", f"Tumor summary, {ph.SIDE[t.side][2]} breast:", f"{sd}:"))
        out += _stage_summary(c, t) if t.stage_written or t.nodes_written != "counts" or t.m_written != "none" else []
        if not t.stage_written and c.chance(0.5):
            out.append(f"Invasive tumor size: {c.size(t.size_mm)}")
        if t.grade and c.chance(0.2):
            out.append(f"Histologic grade: {ph.grade_value(c, t)}")
        body, add = biomarkers(c, t, c.pick("syn", "narr", "terse"))
        out += body
        if add:
            adds += ([f"{sd} BREAST:"] if len(ts) > 1 else []) + add
    out += footer(c, addendum_block(c, adds))
    return "\n".join(out)


def style_addendum(c: Ctx, ts: list[Tumour]) -> str:
    t = ts[0]
    if t.bio_mode in ("inline", "prior_quoted") or (t.bio_mode == "pending" and c.chance(0.6)):
        t.bio_mode = "addendum"  # this house always issues biomarkers as an addendum
    out = header(c) + history_lines(c, ts)
    out.append(c.pick("FINAL DIAGNOSIS:", "DIAGNOSIS:"))
    out += dx_block(c, t, f"{ph.side(c, t)} breast, {t.procedure}:", bullets=True)
    if t.m == "M1":
        out += _m1_part(c, t, "C")
    if c.chance(0.5):
        out += [""] + synoptic(c, t)
    body, add = biomarkers(c, t, c.pick("syn", "narr", "table"))
    out += [""] + body
    n = 1
    extra = []
    if c.chance(0.3):
        extra = addendum_block(
            c,
            [
                c.pick(
                    "Additional levels on block A2 were examined; no change in diagnosis.",
                    "Oncotype DX has been requested at the clinician's request.",
                    "Tumor-infiltrating lymphocytes: 10% (stromal).",
                )
            ],
            1,
        )
        n = 2
    out += footer(c, extra + ([""] if extra else []) + addendum_block(c, add, n))
    return "\n".join(out)


def style_legacy(c: Ctx, ts: list[Tumour]) -> str:
    t = ts[0]
    c.h["dxcase"] = "upper"
    out = header(c, legacy=True)
    out += ["CLINICAL DATA: " + ph.history_text(c, t).upper(), ""]
    out += [x.upper() if "\x01" not in x else x for x in gross_lines(c, ts)]
    desc = []
    if t.invasive and t.kind != "micro":
        desc.append(
            f"SECTIONS SHOW AN {ph.histology(c, t).upper()}, {ph.grade_value(c, t, 'legacy').upper()}, "
            f"{ph.size_statement(c, t, 'narr').upper()}."
        )
        if t.dcis:
            desc.append(f"THERE IS ASSOCIATED {ph.dcis_text(c, t).upper()}.")
    out += ["MICROSCOPIC DESCRIPTION:", " ".join(desc) or "SEE DIAGNOSIS.", ""]
    out.append("DIAGNOSIS:")
    out += dx_block(
        c, t, f"{ph.SIDE[t.side][1]} BREAST, {t.procedure.upper()}:", bullets=c.chance(0.5), with_stage=False
    )
    if t.m == "M1":
        out += _m1_part(c, t, "C")
    tc, nc, mc = _stage_bits(c, t)
    bits = " ".join(
        x.replace("p", "", 1) if x and x.startswith("p") and c.chance(0.5) else x for x in (tc, nc, mc) if x
    )
    if bits:
        out.append(
            c.pick("TNM STAGE: ", "STAGE: ", "PATHOLOGIC STAGE ")
            + bits.upper().replace("(SN)", "(sn)").replace("(I+)", "(i+)").replace("(I-)", "(i-)")
        )
    body, add = biomarkers(c, t, c.pick("narr", "syn"))
    if body:
        out += [
            "",
            c.pick("ESTROGEN/PROGESTERONE RECEPTOR ASSAY (IMMUNOPEROXIDASE) AND HER-2/NEU:", "SPECIAL STUDIES:"),
        ]
        out += [x.upper() if "\x01" not in x else x for x in body]
    out += footer(c, addendum_block(c, [x.upper() if "\x01" not in x else x for x in add]))
    return "\n".join(out)


def style_checkbox(c: Ctx, ts: list[Tumour]) -> str:
    t = ts[0]
    out = header(c) + history_lines(c, ts)
    out.append(c.pick("FINAL DIAGNOSIS:", "DIAGNOSIS:"))
    out += dx_block(c, t, f"{ph.side(c, t)} breast, {t.procedure}:", with_stage=False)
    if t.m == "M1":
        out += _m1_part(c, t, "C")
    out += [""] + synoptic(
        c,
        t,
        title=c.pick("CAP CANCER PROTOCOL - BREAST (checklist)", "CHECKLIST: INVASIVE BREAST CARCINOMA"),
        checkbox=True,
    )
    body, add = biomarkers(c, t, "syn")
    if body and t.her2 and t.her2.ihc is not None and t.bio_mode == "inline" and c.chance(0.6):
        body.append(c.key("HER2 IHC score"))
        body += _boxes(c, ["0", "1+", "2+", "3+"], t.her2.ihc)
    out += [""] + body
    out += footer(c, addendum_block(c, add))
    return "\n".join(out)


STYLE_FUNCS = {
    "cap_synoptic": style_cap_synoptic,
    "narrative": style_narrative,
    "tabular": style_tabular,
    "consult": style_consult,
    "staging_string": style_staging_string,
    "bilateral_synoptic": style_bilateral_synoptic,
    "lettered": style_lettered,
    "addendum": style_addendum,
    "legacy": style_legacy,
    "checkbox": style_checkbox,
}
