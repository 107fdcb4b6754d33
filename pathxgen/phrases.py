"""Wording of single facts for the synthetic corpus: many phrasings per fact.

`Ctx` carries one report's random generator, its "house style" (separators, casing, units,
date format: an institution is consistent within a report and different from the next one)
and the PHI it planted. The phrase functions below turn one fact of a `Tumour` into text in a
register: "syn" (synoptic key/value), "narr" (diagnosis sentence), "terse" (abbreviations) or
"legacy" (older free text). They never state anything the tumour's facts do not imply.
"""

from __future__ import annotations

import datetime as dt
import random

from pathxgen.case import Receptor, Tumour
from pathxgen.phi import People

NUM_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three twenty-four "
    "twenty-five twenty-six"
).split()

DATE_FORMATS = (
    "{m:02d}/{d:02d}/{Y}",
    "{m}/{d}/{Y}",
    "{m:02d}/{d:02d}/{y:02d}",
    "{b} {d}, {Y}",
    "{d:02d}-{B}-{Y}",
    "{Y}-{m:02d}-{d:02d}",
    "{bb} {d}, {Y}",
    "{m}/{d}/{y:02d}",
    "{d} {b} {Y}",
)
MONTHS = ("January February March April May June July August September October November December").split()


class Ctx:
    """Per-report random choices, house style and the PHI planted so far."""

    def __init__(self, rng: random.Random, people: People):
        self.rng = rng
        self.p = people
        self.planted: list[tuple[str, str]] = []  # (kind, exact string) in marker order
        r = rng
        self.h = {
            "sep": r.choice([": ", ": ", ":  ", ": ", " - ", ":\t", " ... ", " = "]),
            "kcase": r.choice(["title", "title", "upper", "asis"]),
            "dxcase": r.choice(["upper", "upper", "asis"]),
            "bullet": r.choice(["- ", "- ", "* ", "  ", "o ", "> ", "+ "]),
            "unit": r.choice(["cm", "cm", "mm"]),
            "date": r.randrange(len(DATE_FORMATS)),
            "pct": r.choice(["{}%", "{}%", "{} %", "{} percent"]),
            "doc": r.randrange(5),
            "pname": r.randrange(5),
            "ajcc": r.choice(
                [
                    "AJCC 8th Edition",
                    "AJCC 8th ed.",
                    "AJCC 8",
                    "(AJCC, 8th edition)",
                    "AJCC/UICC 8th",
                    "",
                    "AJCC 8th Edition 2018",
                ]
            ),
            "indent": r.choice(["  ", "   ", "    ", "\t", ""]),
            "wrap": r.choice([None, None, None, 64, 72, 80]),
            "numwords": r.random() < 0.4,
        }

    # ------------------------------------------------------------- randomness
    def pick(self, *options):
        return self.rng.choice(options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # ------------------------------------------------------------- PHI
    def phi(self, kind: str, value: str) -> str:
        """Return a marker for `value`; corpus.py swaps markers for values after noise and casing."""
        self.planted.append((kind, value))
        return f"\x01{len(self.planted) - 1}\x02"

    def date(self, d: dt.date, fmt: int | None = None) -> str:
        f = DATE_FORMATS[self.h["date"] if fmt is None else fmt]
        s = f.format(
            m=d.month,
            d=d.day,
            Y=d.year,
            y=d.year % 100,
            b=MONTHS[d.month - 1][:3],
            B=MONTHS[d.month - 1][:3].upper(),
            bb=MONTHS[d.month - 1],
        )
        return self.phi("date", s)

    def patient_name(self, form: int | None = None) -> str:
        p = self.p
        form = self.h["pname"] if form is None else form
        s = [
            f"{p.last.upper()}, {p.first.upper()} {p.middle}",
            f"{p.last}, {p.first} {p.middle}.",
            f"{p.first} {p.middle}. {p.last}",
            f"{p.last.upper()}, {p.first.upper()}",
            f"{p.first} {p.last}",
        ][form]
        return self.phi("name", s)

    def doctor(self, who: tuple[str, str, str], form: int | None = None, title: bool = True) -> str:
        f, m, last = who
        form = self.h["doc"] if form is None else form
        name = [
            f"{f} {m}. {last}",
            f"{last.upper()}, {f.upper()} {m}",
            f"{f} {last}",
            f"{f[0]}. {m}. {last}",
            f"{last}, {f}",
        ][form]
        cred = (
            self.pick(", MD", ", M.D.", " MD", ", DO", ", MD, PhD") if title and form != 1 else (" MD" if title else "")
        )
        return self.phi("name", name) + cred

    def age_text(self, kind: str = "adj") -> str:
        """Age as written in a history; ages over 89 are PHI (HIPAA) and planted as such."""
        age = self.p.age
        sex = "woman" if self.p.sex == "F" else "man"
        s = {"adj": f"{age}-year-old", "yo": f"{age} yo", "y": f"{age} y/o", "years": f"{age} years"}[kind]
        if age > 89:
            s = self.phi("age", s)
        return s + (f" {sex}" if kind in ("adj", "yo", "y") else "")

    # ------------------------------------------------------------- formatting
    def key(self, k: str) -> str:
        mode = self.h["kcase"]
        return k.upper() if mode == "upper" else k

    def kv(self, k: str, v: str, indent: str = "") -> str:
        return f"{indent}{self.key(k)}{self.h['sep']}{v}"

    def dx(self, s: str) -> str:
        return s.upper() if self.h["dxcase"] == "upper" else s

    def size(self, mm: float, unit: str | None = None) -> str:
        unit = unit or (self.h["unit"] if self.rng.random() < 0.85 else self.pick("cm", "mm"))
        if unit == "mm" or mm < 1:
            v = f"{mm:g}"
            return f"{v} mm" if self.rng.random() < 0.9 else f"{v}mm"
        v = f"{mm / 10:.1f}" if mm % 1 == 0 else f"{mm / 10:g}"
        return f"{v} cm" if self.rng.random() < 0.9 else f"{v}cm"

    def dims(self, t: Tumour, unit: str | None = None) -> str:
        unit = unit or self.h["unit"]
        a = [t.size_mm, *t.dims]
        if self.chance(0.15):  # greatest dimension not written first
            a = [a[1], a[0], a[2]]
        if unit == "mm":
            return " x ".join(f"{x:g}" for x in a) + " mm"
        return " x ".join(f"{x / 10:.1f}" for x in a) + " cm"

    def pct(self, n: int) -> str:
        return self.h["pct"].format(n)

    def num(self, n: int, allow_words: bool = True) -> str:
        if allow_words and self.h["numwords"] and n < len(NUM_WORDS):
            return NUM_WORDS[n]
        return str(n)

    def bullet(self, s: str) -> str:
        return f"{self.h['bullet']}{s}"


# ====================================================================== histology
HISTOLOGY = {
    "ductal": (
        "Invasive ductal carcinoma",
        "Invasive carcinoma of no special type (ductal)",
        "Infiltrating ductal carcinoma",
        "Invasive carcinoma, no special type (NST)",
        "Invasive mammary carcinoma, ductal type",
        "Invasive ductal carcinoma, not otherwise specified",
    ),
    "lobular": (
        "Invasive lobular carcinoma",
        "Invasive lobular carcinoma, classic type",
        "Infiltrating lobular carcinoma",
        "Invasive lobular carcinoma, pleomorphic variant",
    ),
    "mixed": (
        "Invasive carcinoma with mixed ductal and lobular features",
        "Invasive mammary carcinoma, mixed ductal and lobular type",
        "Invasive ductal carcinoma with lobular features",
    ),
    "mucinous": ("Mucinous (colloid) carcinoma", "Invasive mucinous carcinoma", "Invasive carcinoma, mucinous type"),
    "tubular": ("Tubular carcinoma", "Invasive tubular carcinoma"),
    "micropapillary": ("Invasive micropapillary carcinoma", "Invasive ductal carcinoma with micropapillary features"),
    "metaplastic": ("Metaplastic carcinoma", "Metaplastic carcinoma with squamous and spindle cell differentiation"),
    "dcis": (
        "Ductal carcinoma in situ",
        "Ductal carcinoma in situ (DCIS)",
        "Intraductal carcinoma",
        "Ductal carcinoma in situ (intraductal carcinoma)",
    ),
}
TERSE_HISTOLOGY = {
    "ductal": ("IDC", "IDC-NST", "INV DUCTAL CA", "IDC, NST"),
    "lobular": ("ILC", "INV LOBULAR CA"),
    "mixed": ("IDC/ILC", "MIXED DUCTAL-LOBULAR CA"),
    "mucinous": ("MUCINOUS CA",),
    "tubular": ("TUBULAR CA",),
    "micropapillary": ("INV MICROPAPILLARY CA",),
    "metaplastic": ("METAPLASTIC CA",),
    "dcis": ("DCIS",),
}
SIDE = {"left": ("Left", "LEFT", "left", "L", "Lt"), "right": ("Right", "RIGHT", "right", "R", "Rt")}


def histology(c: Ctx, t: Tumour, reg: str = "narr") -> str:
    if t.kind == "micro":
        return c.pick(
            "Ductal carcinoma in situ with microinvasion",
            "Microinvasive carcinoma",
            "DCIS with focal microinvasion",
            "Invasive ductal carcinoma, microinvasive",
        )
    if t.kind == "pcr":
        return c.pick(
            "No residual invasive carcinoma",
            "No residual invasive carcinoma (pathologic complete response)",
            "No residual tumor identified",
            "Negative for residual invasive carcinoma",
        )
    if reg == "terse":
        return c.pick(*TERSE_HISTOLOGY[t.histology])
    name = c.pick(*HISTOLOGY[t.histology])
    if t.kind == "residual" and c.chance(0.6):
        name = c.pick("Residual ", "Residual ") + name[0].lower() + name[1:]
        if c.chance(0.5):
            name += c.pick(", with treatment effect", " with chemotherapy-related changes")
    return name


def side(c: Ctx, t: Tumour, terse: bool = False) -> str:
    opts = SIDE[t.side]
    return c.pick(*opts[3:]) if terse else c.pick(*opts[:2]) if c.h["dxcase"] != "upper" else opts[1]


def procedure(c: Ctx, t: Tumour) -> str:
    p = t.procedure
    extra = {
        "lumpectomy": ("Lumpectomy", "Excision (less than total mastectomy)"),
        "partial mastectomy": ("Partial mastectomy", "Partial mastectomy (lumpectomy)"),
        "total mastectomy": ("Total mastectomy", "Mastectomy", "Total mastectomy (including nipple and skin)"),
    }
    return c.pick(*extra.get(p, (p[0].upper() + p[1:],)))


# ====================================================================== grade
def grade_value(c: Ctx, t: Tumour, reg: str = "syn") -> str:
    g = t.grade
    s = sum(t.scores)
    rom = "I" * g
    word = ("well differentiated", "moderately differentiated", "poorly differentiated")[g - 1]
    level = ("low", "intermediate", "high")[g - 1]
    tub, nuc, mit = t.scores
    if reg == "terse":
        return c.pick(
            f"G{g}",
            f"GR {g}",
            f"NG{g}" if False else f"Gr{g}",
            f"NOTT {g}",
            f"SBR {g}",
            f"G{g} ({s}/9)",
            f"grade {g}/3",
            f"GR {rom}",
        )
    if reg == "legacy":
        return c.pick(
            f"modified Bloom-Richardson grade {rom}",
            f"Bloom-Richardson grade {g}/3 (score {s}/9)",
            f"{word}",
            f"histologic grade {rom} of III",
            f"SBR grade {g} ({s} points)",
            f"{word} (grade {rom})",
        )
    bare = reg == "syn"  # a bare "2/3" or "G2" only reads as a grade after a "Grade:" key
    return c.pick(
        f"Grade {g}",
        f"Grade {rom}",
        f"Grade {g} of 3",
        f"{g}/3" if bare else f"grade {g}/3",
        f"Nottingham grade {g}",
        f"Grade {g} (score {s}/9)",
        f"Grade {rom} ({word})",
        f"{word.capitalize()} (grade {g})",
        f"G{g}" if bare else f"Nottingham G{g}",
        f"Nottingham score {s}/9 (grade {g})",
        f"Nottingham score {s} of 9",
        f"{level.capitalize()} grade (Nottingham {g})",
        f"Grade {g} (tubules {tub}, nuclei {nuc}, mitoses {mit}; total {s})",
        f"Nottingham grade {rom} (tubule formation {tub}, nuclear pleomorphism {nuc}, mitotic count {mit} = {s}/9)",
        f"Modified Bloom-Richardson score {s}/9",
        f"Nottingham combined histologic grade {g}",
        f"Grade {g} (scores of {'3, 4 or 5' if g == 1 else '6 or 7' if g == 2 else '8 or 9'})",
    )


def grade_components(c: Ctx, t: Tumour) -> list[tuple[str, str]]:
    tub, nuc, mit = t.scores
    mit_desc = {1: "<= 3 mitoses per mm2", 2: "4-7 mitoses per mm2", 3: ">= 8 mitoses per mm2"}[mit]
    return [
        (
            c.pick("Glandular (Acinar)/Tubular Differentiation", "Tubule formation", "Glandular differentiation"),
            c.pick(f"Score {tub}", f"{tub}", f"Score {tub} ({('>75%', '10-75%', '<10%')[tub - 1]} of tumor area)"),
        ),
        (c.pick("Nuclear Pleomorphism", "Nuclear grade (invasive)", "Nuclear score"), c.pick(f"Score {nuc}", f"{nuc}")),
        (
            c.pick("Mitotic Rate", "Mitotic count", "Mitoses"),
            c.pick(f"Score {mit}", f"Score {mit} ({mit_desc})", f"{mit}"),
        ),
    ]


def dcis_text(c: Ctx, t: Tumour, reg: str = "narr") -> str:
    g = t.dcis_grade
    rom = "I" * g
    lvl = ("low", "intermediate", "high")[g - 1]
    pattern = c.pick(
        "cribriform",
        "solid",
        "cribriform and solid",
        "micropapillary and cribriform",
        "solid and comedo",
        "papillary",
        "flat",
    )
    necro = c.pick("", "", ", with comedonecrosis", ", with central necrosis", ", necrosis absent")
    name = c.pick("Ductal carcinoma in situ", "DCIS", "Ductal carcinoma in-situ", "Intraductal carcinoma")
    if reg == "terse":
        return c.pick(f"DCIS NG{g}", f"DCIS, {lvl.upper()} NUC GR", f"+ DCIS (NG {rom})", f"w/ DCIS, grade {g}")
    return c.pick(
        f"{name}, {pattern} type, nuclear grade {g}{necro}",
        f"{name}, {lvl} nuclear grade ({pattern}){necro}",
        f"{name}, {pattern} pattern, nuclear grade {rom} ({lvl}){necro}",
        f"{name} (grade {g}), {pattern}{necro}",
        f"{name}, {lvl} grade{necro}",
    )


# ====================================================================== T, N, M codes
T_DESC = {
    "is": "Ductal carcinoma in situ",
    "0": "No evidence of primary tumor",
    "1mi": "Tumor <= 1 mm in greatest dimension",
    "1a": "Tumor > 1 mm but <= 5 mm in greatest dimension",
    "1b": "Tumor > 5 mm but <= 10 mm in greatest dimension",
    "1c": "Tumor > 10 mm but <= 20 mm in greatest dimension",
    "2": "Tumor > 20 mm but <= 50 mm in greatest dimension",
    "3": "Tumor > 50 mm in greatest dimension",
    "4a": "Extension to the chest wall; invasion or adherence to pectoralis muscle in the absence of invasion of chest wall structures does not qualify as T4",
    "4b": "Ulceration and/or ipsilateral macroscopic satellite nodules and/or edema of the skin",
    "4c": "Both T4a and T4b are present",
    "4d": "Inflammatory carcinoma",
}
N_DESC = {
    "0": "No regional lymph node metastasis identified",
    "0(i+)": "Isolated tumor cells only (<= 0.2 mm)",
    "1mi": "Micrometastases (> 0.2 mm to 2 mm)",
    "1a": "Metastases in 1-3 axillary lymph nodes, at least one > 2 mm",
    "2a": "Metastases in 4-9 axillary lymph nodes",
    "3a": "Metastases in 10 or more axillary lymph nodes",
    "X": "Regional lymph nodes cannot be assessed",
}


def t_code(c: Ctx, t: Tumour, prefix: bool = True) -> str:
    sub = t.t_sub
    if sub in ("4a", "4b", "4c", "4d") and c.chance(0.1):
        sub = "4"
    pre = t.prefix if prefix else ""
    s = f"{pre}T{sub}"
    if t.other_foci_mm and c.chance(0.5):
        s += "(m)"
    return s


def n_code(c: Ctx, t: Tumour, prefix: bool = True) -> str:
    nd = t.nodes
    pre = t.prefix if prefix else ""
    if nd.sub is None:
        return f"{pre}NX"
    sub = nd.sub
    if sub in ("1a", "2a", "3a") and c.chance(0.3):
        sub = sub[0]
    if sub == "0" and c.chance(0.15):
        sub = "0(i-)"
    sn = "(sn)" if nd.sentinel == nd.examined and nd.examined <= 5 and c.chance(0.55) else ""
    return f"{pre}N{sub}{sn}"


def m_code(c: Ctx, t: Tumour) -> str | None:
    """The M statement of a staging line, or None when the report says nothing about M."""
    w = t.m_written
    if w == "none":
        return None
    if w == "x":
        return c.pick("pMX", "MX", "pMx", "Mx")
    if w == "na":
        return c.pick("pM: not applicable", "M: n/a", "pM not assigned")
    if w == "m0":
        return c.pick("cM0", "M0", "cM0", "pM0", "(cM0)")
    return c.pick("pM1", "M1", "pM1", "cM1")


def m_value(c: Ctx, t: Tumour) -> str | None:
    """The value for a 'Distant Metastasis (pM)' synoptic line."""
    w = t.m_written
    site = (t.m1_site or "").replace("_", " ")
    return {
        "none": None,
        "na": c.pick(
            "Not applicable",
            "Not applicable - pM cannot be determined from the submitted specimen(s)",
            "Not applicable",
            "Cannot be determined",
            "Not assessed",
        ),
        "x": c.pick("pMX", "MX", "pMX - cannot be assessed"),
        "m0": c.pick(
            "cM0", "cM0 (no clinical or radiographic evidence of distant metastasis)", "M0", "Not identified (cM0)"
        ),
        "m1": c.pick(
            f"pM1 (histologically proven metastasis, {site})",
            f"pM1",
            f"M1 - {site} (biopsy-proven)",
            f"Distant metastasis present ({site}, see part C) - pM1",
        ),
    }[w]


def staging_line(c: Ctx, t: Tumour, with_m: bool = True) -> str:
    """A terse TNM string: 'ypT2 pN1a(sn) M0', 'pT1cN0(sn)', 'T2 N1 MX' ..."""
    tc, nc = t_code(c, t), n_code(c, t)
    if t.nodes.examined == 0 and c.chance(0.5):
        nc = ""
    mc = m_code(c, t) if with_m else None
    if mc and " " in mc:
        mc = None if "not" in mc or "n/a" in mc else mc
    if c.chance(0.2) and nc:  # concatenated form
        return tc + nc.lstrip("yp").lstrip("p") + (mc.lstrip("cp(").rstrip(")") if mc else "")
    return " ".join(x for x in (tc, nc, mc) if x)


# ====================================================================== size, foci, skin
def size_statement(c: Ctx, t: Tumour, reg: str) -> str:
    mm = t.size_mm
    if reg == "syn":
        return c.pick(
            f"{c.size(mm)}",
            f"Greatest dimension of largest invasive focus: {c.size(mm)}",
            f"{c.size(mm)} (greatest dimension)",
            f"{c.dims(t)}" if mm >= 2 else c.size(mm),
            f"{c.size(mm)}; additional dimensions {c.size(t.dims[0])} x {c.size(t.dims[1])}" if mm >= 2 else c.size(mm),
        )
    return c.pick(
        f"measuring {c.size(mm)} in greatest dimension",
        f"{c.size(mm)} in greatest dimension",
        f"measuring {c.dims(t)}" if mm >= 2 else f"measuring {c.size(mm)}",
        f"({c.size(mm)})",
        f"spanning {c.size(mm)}",
        f"with a maximum dimension of {c.size(mm)}",
    )


def foci_statement(c: Ctx, t: Tumour) -> str:
    if not t.other_foci_mm:
        return c.pick("Single focus of invasive carcinoma", "Unifocal", "Single focus")
    n = len(t.other_foci_mm) + 1
    others = ", ".join(c.size(x) for x in t.other_foci_mm)
    return c.pick(
        f"Multiple foci of invasive carcinoma ({n} foci; largest {c.size(t.size_mm)}, others {others})",
        f"Multifocal ({n} foci); additional foci measure {others}",
        f"{n} separate foci: {c.size(t.size_mm)}, {others}",
    )


def skin_statement(c: Ctx, t: Tumour) -> str | None:
    f = t.t4_feature
    if f == "ulceration":
        return c.pick(
            "Invasive carcinoma directly invades the dermis and epidermis with skin ulceration",
            "Skin ulceration by invasive carcinoma present",
            "Tumor ulcerates the overlying skin",
        )
    if f == "satellite":
        return c.pick(
            "Macroscopic satellite skin nodules of invasive carcinoma, separate from the primary tumor",
            "Ipsilateral satellite skin nodules present",
        )
    if f == "chest_wall":
        return c.pick(
            "Invasive carcinoma invades the chest wall (intercostal muscle and rib)",
            "Tumor extends into chest wall (serratus anterior and intercostal muscles)",
            "Chest wall invasion present",
        )
    if f == "both":
        return c.pick(
            "Invasive carcinoma ulcerates the skin and invades the chest wall",
            "Skin ulceration and chest wall invasion are both present",
        )
    if f == "inflammatory":
        return c.pick(
            "Extensive dermal lymphovascular invasion; clinical inflammatory carcinoma (skin erythema and edema)",
            "Dermal lymphatic tumor emboli; clinically inflammatory breast carcinoma",
            "Skin with dermal lymphatic invasion, consistent with inflammatory carcinoma",
        )
    if t.dermal_only:
        return c.pick(
            "Invasive carcinoma involves the dermis without ulceration (does not change T category)",
            "Dermal invasion present, no epidermal ulceration",
            "Skin: dermal involvement only, no ulceration",
        )
    if "mastectomy" in t.procedure or c.chance(0.2):
        return c.pick(
            "Skin uninvolved",
            "Skin: negative for carcinoma",
            "Skin not involved by carcinoma",
            "Skin uninvolved by invasive carcinoma",
            "Skin free of tumor",
        )
    return None


def margin_statement(c: Ctx, t: Tumour, reg: str) -> str:
    mm, name = t.margin_mm, t.margin_name
    what = "invasive carcinoma" if t.invasive else "DCIS" if t.dcis else "carcinoma"
    if t.kind == "pcr":
        return c.pick(
            "Margins negative (no residual carcinoma)",
            "Not applicable - no residual tumor",
            "Margins free of carcinoma",
        )
    if mm == 0:
        return c.pick(
            f"Positive: {what} present at inked {name} margin",
            f"{what.capitalize()} extends to the {name} margin",
            f"Margin involved ({name})",
            f"Margins: POSITIVE FOR {what.upper()} ({name.upper()} MARGIN)",
        )
    if reg == "syn":
        return c.pick(
            f"Negative for {what}; closest margin {name}, {c.size(mm, 'mm')}",
            f"Uninvolved by {what}. Distance from closest margin: {c.size(mm, 'mm')} ({name})",
            f"All margins negative (closest: {name} at {c.size(mm, 'mm')})",
        )
    return c.pick(
        f"margins negative; {what} is {c.size(mm, 'mm')} from the {name} margin",
        f"surgical margins free of tumor (closest {c.size(mm, 'mm')}, {name})",
        f"no evidence of {what} at the inked margins; closest approach {c.size(mm, 'mm')} ({name})",
        f"margins uninvolved, {name} margin closest at {c.size(mm, 'mm')}",
    )


def lvi_statement(c: Ctx, t: Tumour) -> str:
    return (
        c.pick("Present", "Present, focal", "Identified", "PRESENT")
        if t.lvi
        else c.pick("Not identified", "Absent", "Not identified", "None seen", "Negative")
    )


# ====================================================================== nodes
def _nodes_ok(c: Ctx, n: int) -> str:
    return c.num(n) if n <= 20 else str(n)


def node_syn_lines(c: Ctx, t: Tumour) -> list[tuple[str, str]]:
    nd = t.nodes
    if nd.examined == 0:
        return [
            (
                c.pick("Regional Lymph Nodes", "Lymph nodes"),
                c.pick("No lymph nodes submitted or found", "Not sampled", "None submitted"),
            )
        ]
    lines = [
        (
            c.pick(
                "Number of Lymph Nodes Examined",
                "Total number of lymph nodes examined",
                "Lymph nodes examined",
                "Number of nodes examined",
            ),
            str(nd.examined),
        )
    ]
    if nd.sentinel and c.chance(0.6):
        lines.append((c.pick("Number of Sentinel Nodes Examined", "Sentinel nodes examined"), str(nd.sentinel)))
    if c.chance(0.35):
        lines.append(
            (
                c.pick("Number of Lymph Nodes with Metastases", "Lymph nodes positive", "Number of positive nodes"),
                str(nd.positive),
            )
        )
    lines.append(
        (
            c.pick(
                "Number of Lymph Nodes with Macrometastases (> 2 mm)", "Nodes with macrometastases", "Macrometastases"
            ),
            str(nd.macro),
        )
    )
    lines.append(
        (
            c.pick(
                "Number of Lymph Nodes with Micrometastases (> 0.2 mm to 2 mm and/or > 200 cells)",
                "Nodes with micrometastases",
                "Micrometastases",
            ),
            str(nd.micro),
        )
    )
    if nd.itc or c.chance(0.6):
        lines.append(
            (
                c.pick(
                    "Number of Lymph Nodes with Isolated Tumor Cells (<= 0.2 mm and <= 200 cells)",
                    "Nodes with isolated tumor cells (ITC)",
                    "ITCs",
                ),
                str(nd.itc),
            )
        )
    if nd.largest_mm:
        lines.append(
            (
                c.pick(
                    "Size of Largest Nodal Metastatic Deposit",
                    "Largest metastatic deposit",
                    "Size of largest metastasis",
                ),
                c.size(nd.largest_mm, "mm"),
            )
        )
    if nd.positive:
        lines.append(
            (
                c.pick("Extranodal Extension", "Extranodal extension (ENE)", "Extracapsular extension"),
                c.pick("Present", "Present, > 2 mm") if nd.ene else c.pick("Not identified", "Absent"),
            )
        )
    if t.neoadjuvant and c.chance(0.5):
        lines.append(("Treatment effect in lymph nodes", c.pick("Present", "Not identified", "Fibrosis in 1 node")))
    return lines


def node_sentence(c: Ctx, t: Tumour, where: str | None = None) -> str:
    """One sentence for all examined nodes: 'METASTATIC CARCINOMA IN 2 OF 14 LYMPH NODES (2/14)'."""
    nd = t.nodes
    n, pos = nd.examined, nd.positive
    ln = c.pick("lymph nodes", "lymph nodes", "nodes") if n != 1 else c.pick("lymph node", "node")
    sln = "sentinel " if nd.sentinel == n and c.chance(0.6) else ""
    if pos == 0:
        base = c.pick(
            f"{_nodes_ok(c, n)} {sln}{ln}, negative for metastatic carcinoma ({pos}/{n})",
            f"{sln}{ln} negative for metastatic carcinoma ({pos}/{n})",
            f"no metastatic carcinoma identified in {_nodes_ok(c, n)} {sln}{ln} (0/{n})",
            f"benign {ln} ({pos}/{n})",
            f"{_nodes_ok(c, n)} {ln}, no tumor seen (0/{n})",
            f"negative for malignancy ({pos}/{n})",
        )
        if nd.itc:
            base += c.pick(
                f"; isolated tumor cells in one node ({nd.largest_mm:g} mm, identified on keratin stain)",
                (
                    f"; one node with isolated tumor cells (<= 0.2 mm), pN0(i+)"
                    if False
                    else f"; isolated tumor cell cluster ({nd.largest_mm:g} mm) in one node"
                ),
                "; rare isolated tumor cells (less than 200 cells) present in one node",
            )
        if t.neoadjuvant and "nodal_treatment_effect" in t.phenomena:
            base += c.pick(
                "; one node with fibrosis consistent with treatment effect", "; treatment-related fibrosis noted"
            )
        return base
    if nd.macro == 0:
        return c.pick(
            f"micrometastatic carcinoma ({nd.largest_mm:g} mm) in {_nodes_ok(c, nd.micro)} of {_nodes_ok(c, n)} {ln} ({pos}/{n})",
            f"{_nodes_ok(c, nd.micro)} of {n} {sln}{ln} with micrometastasis, {nd.largest_mm:g} mm ({pos}/{n})",
            f"metastatic carcinoma in {pos}/{n} {ln}, micrometastasis only (largest {nd.largest_mm:g} mm)",
        )
    detail = []
    if nd.largest_mm:
        detail.append(
            c.pick(
                f"largest deposit {c.size(nd.largest_mm, 'mm')}",
                f"{c.size(nd.largest_mm, 'mm')} largest",
                f"largest metastasis {c.size(nd.largest_mm)}",
            )
        )
    if nd.micro:
        detail.append(f"{c.num(nd.micro)} micrometastasis")
    detail.append(
        c.pick("extranodal extension present", "with extranodal extension", "ENE present")
        if nd.ene
        else c.pick("no extranodal extension", "extranodal extension not identified", "ENE absent")
    )
    d = "; ".join(detail)
    return c.pick(
        f"metastatic carcinoma in {_nodes_ok(c, pos)} of {_nodes_ok(c, n)} {sln}{ln} ({pos}/{n}); {d}",
        f"{_nodes_ok(c, pos)} of {_nodes_ok(c, n)} {ln} positive for metastatic carcinoma ({pos}/{n}), {d}",
        f"metastatic carcinoma involving {pos} of {n} {ln} ({d})",
        f"positive for metastatic carcinoma ({pos}/{n} {ln}); {d}",
    )


def node_terse(c: Ctx, t: Tumour) -> str:
    nd = t.nodes
    lbl = c.pick("LN", "SLN" if nd.sentinel == nd.examined else "ALN", "Nodes", "LNs")
    s = f"{lbl} {nd.positive}/{nd.examined}"
    if nd.itc:
        s += c.pick(" (ITC x1)", " + ITC", " (i+)")
    if nd.micro and not nd.macro:
        s += c.pick(f" (micromet {nd.largest_mm:g}mm)", f" micromet {nd.largest_mm:g} mm")
    elif nd.macro:
        s += (f" (macro, {nd.largest_mm:g}mm" + (", ENE+)" if nd.ene else ", ENE-)")) if nd.largest_mm else " +"
    return s


# ====================================================================== receptors
def _cap_bin(p: int) -> str:
    if p <= 10:
        return f"{p}%"
    lo = (p - 1) // 10 * 10 + 1
    return f"{lo}-{lo + 9}%"


def receptor_value(c: Ctx, r: Receptor, reg: str = "syn") -> str:
    p, inten = r.pct, r.intensity
    ps, is_, al = r.allred_ps, r.allred_is, r.allred
    if r.status == "Equivocal":
        return c.pick(
            "Equivocal (see comment)",
            "Indeterminate / equivocal; repeat testing on excision recommended",
            f"Borderline (equivocal), {p}% weak staining with suboptimal internal control",
        )
    if reg == "terse":
        sign = "+" if r.status == "Positive" else "-"
        return c.pick(
            f"{sign} ({p}%)" if p else f"{sign} (0%)",
            f"{sign}{p}%" if p else sign,
            f"{sign} Allred {al}",
            f"{'POS' if sign == '+' else 'NEG'} {p}%" if p else ("NEG" if sign == "-" else "POS"),
        )
    if r.status == "Negative":
        less = "<1%" if inten == "weak" else "0%"
        return c.pick(
            "Negative",
            f"Negative ({less})",
            f"NEGATIVE ({'less than 1%' if inten == 'weak' else 'no staining'})",
            f"Negative (Allred score {al}/8)",
            f"{less} of tumor cells (negative)",
            f"Negative (0% of cells with nuclear positivity)" if less == "0%" else f"Negative ({less}, weak)",
            f"Allred {al} (PS {ps}, IS {is_}) - negative",
        )
    inten_w = c.pick(inten, inten, f"{inten} intensity", f"{inten} nuclear staining")
    if r.low_positive:
        return c.pick(
            f"Low Positive ({p}%, {inten})",
            f"Low positive (1-10% of cells with nuclear positivity); {p}%, {inten}",
            f"Positive, low ({c.pct(p)}, {inten})",
            f"Positive ({c.pct(p)}, {inten_w}) - low positive, see note",
            f"LOW POSITIVE, {c.pct(p)}",
        )
    return c.pick(
        "Positive",
        f"Positive ({c.pct(p)}, {inten})",
        f"POSITIVE - {c.pct(p)} of tumor cells, {inten} intensity",
        f"Positive, {c.pct(p)} (Allred score {al})",
        f"{c.pct(p)}, {inten_w}",
        f"Positive (Allred {al}/8: proportion {ps}, intensity {is_})",
        f"Positive (greater than 10% of cells demonstrate nuclear positivity)",
        f"Positive; percentage of cells with nuclear positivity {_cap_bin(p)}; average intensity {inten}",
        f"Positive in approximately {c.pct(p)} of tumor nuclei ({inten})",
        f"Allred score {al} (PS {ps} + IS {is_})",
    )


def receptor_sentence(c: Ctx, name: str, r: Receptor) -> str:
    long = {
        "ER": c.pick("estrogen receptor", "ER", "estrogen receptor (ER)"),
        "PR": c.pick("progesterone receptor", "PR", "PgR", "progesterone receptor (PR)"),
    }[name]
    v = receptor_value(c, r, "syn")
    if r.status == "Positive" and c.chance(0.4):
        return c.pick(
            f"The tumor cells are positive for {long} ({c.pct(r.pct)}, {r.intensity})",
            f"{long} is expressed in {c.pct(r.pct)} of tumor nuclei with {r.intensity} intensity",
        )
    if r.status == "Negative" and c.chance(0.4):
        return c.pick(
            f"The tumor cells are negative for {long}",
            f"No {long} expression is identified (0%)",
            f"{long}: no nuclear staining in tumor cells",
        )
    return f"{long}: {v}"


# ====================================================================== HER2
def her2_ihc_value(c: Ctx, ihc: int, reg: str = "syn") -> str:
    if reg == "terse":
        return c.pick(
            f"{ihc}+" if ihc else "0",
            f"IHC {ihc}+" if ihc else "IHC 0",
            {0: "0 (neg)", 1: "1+ (neg)", 2: "2+ (equiv)", 3: "3+ (pos)"}[ihc],
        )
    return {
        0: c.pick(
            "Negative (Score 0)",
            "0 (negative)",
            "Negative (0)",
            "Score 0 - negative",
            "Negative, no staining (score 0)",
            "0, no membrane staining observed - negative",
        ),
        1: c.pick(
            "Negative (Score 1+)",
            "1+ (negative)",
            "Negative (1+)",
            "HER2-low, negative (1+)",
            "1+, faint incomplete membrane staining in >10% of cells - negative",
        ),
        2: c.pick(
            "Equivocal (Score 2+)",
            "2+ (equivocal)",
            "Equivocal (2+)",
            "EQUIVOCAL, 2+",
            "2+, weak to moderate complete membrane staining in >10% of cells - equivocal",
        ),
        3: c.pick(
            "Positive (Score 3+)",
            "3+ (positive)",
            "Positive (3+)",
            "POSITIVE, 3+",
            "3+, complete intense circumferential membrane staining in >10% of tumor cells - positive",
        ),
    }[ihc]


def her2_ish_value(c: Ctx, h, reg: str = "syn") -> str:
    if h.ish == "pending":
        return c.pick(
            "Pending", "Sent for FISH; result to follow in an addendum", "In progress, will be reported separately"
        )
    word = "Amplified" if h.ish == "amplified" else "Not amplified"
    if c.chance(0.3):
        word = "Positive (amplified)" if h.ish == "amplified" else "Negative (not amplified)"
    if reg == "terse":
        return c.pick(
            f"{'AMP' if h.ish == 'amplified' else 'NON-AMP'} (ratio {h.ratio})",
            f"{'+' if h.ish == 'amplified' else '-'} (r {h.ratio}, cn {h.copies})",
        )
    detail = c.pick(
        f"HER2/CEP17 ratio {h.ratio}; average HER2 copy number {h.copies} signals/cell",
        f"ratio {h.ratio}, mean HER2 signals per cell {h.copies}, mean CEP17 {h.cep17}",
        f"HER2:CEP17 = {h.ratio}; HER2 copies/nucleus = {h.copies}",
        f"ratio {h.ratio}; average HER2 copy number {h.copies}; {c.pick('20', '40', '60')} cells counted",
    )
    grp = c.pick("", "", f"; ASCO/CAP 2018 ISH group {h.group}", f" (Group {h.group})")
    return f"{word} ({detail}){grp}"


def her2_lines(c: Ctx, t: Tumour, reg: str = "syn", with_ish: bool = True) -> list[tuple[str, str]]:
    """HER2 key/value lines; with_ish=False leaves the ISH result out (it goes to an addendum)."""
    h = t.her2
    out = []
    if h.ihc is not None:
        out.append(
            (
                c.pick(
                    "HER2 (by immunohistochemistry)",
                    "HER2 by IHC",
                    "HER2/neu (IHC)",
                    "HER2 IHC",
                    "HER2 (4B5)",
                    "HER2 Status (IHC)",
                    "HER-2/neu",
                ),
                her2_ihc_value(c, h.ihc, reg),
            )
        )
    if h.ish and with_ish:
        out.append(
            (
                c.pick(
                    "HER2 (by in situ hybridization)",
                    "HER2 FISH",
                    "HER2 by ISH (dual probe)",
                    "HER2 ISH",
                    "HER2/neu FISH",
                    "HER2 SISH",
                ),
                her2_ish_value(c, h, reg),
            )
        )
        if h.ish != "pending" and c.chance(0.35):
            out.append(
                (
                    c.pick("Final HER2 status", "HER2 status (overall)", "HER2 result"),
                    h.final.upper() if c.chance(0.5) else h.final,
                )
            )
    return out


def ki67_line(c: Ctx, t: Tumour) -> tuple[str, str] | None:
    if t.ki67 is None:
        return None
    return (
        c.pick("Ki-67", "Ki-67 (MIB-1)", "Ki67 proliferation index", "Ki-67 labeling index"),
        c.pick(f"{c.pct(t.ki67)}", f"{c.pct(t.ki67)} of tumor nuclei", f"{t.ki67}% (global)"),
    )


def assay_note(c: Ctx) -> str:
    """Boilerplate that puts stray percentages and 'positive' near the biomarkers (real reports have it)."""
    return c.pick(
        "Specimen fixed in 10% neutral buffered formalin; cold ischemia time < 1 hour; fixation time 6-72 hours.",
        "External and internal positive controls stained appropriately.",
        "Controls: appropriate positive and negative controls were run and performed as expected.",
        "Antibody clones: ER (SP1), PR (1E2), HER2 (4B5), Ventana BenchMark ULTRA. Interpreted per ASCO/CAP guidelines.",
        "Note: ER low positive results (1-10% of cells) have limited data on the benefit of endocrine therapy.",
        "HER2 interpretation per ASCO/CAP 2018 focused update. Tumors with 1+ or 2+/ISH-negative results may be "
        "considered HER2-low for trial eligibility.",
        "These tests were developed and their performance characteristics determined by the laboratory; "
        "they have not been cleared by the FDA.",
        "Image analysis (digital quantitation) used for ER and PR; 10% of slides reviewed manually.",
    )


# ====================================================================== history confusers
def history_text(c: Ctx, t: Tumour, other: Tumour | None = None) -> str:
    """Clinical history: sometimes with an old stage, an old accession or pre-treatment results."""
    p = c.p
    bits = []
    who = c.pick(f"{c.age_text('adj')}", f"{c.age_text('yo')}", f"{c.age_text('y')}", "Patient")
    sd = t.side
    finding = c.pick(
        f"{sd} breast mass",
        f"{sd} breast mass at {c.rng.randint(1, 12)} o'clock",
        f"abnormal screening mammogram, {sd} breast",
        f"palpable {sd} breast lump",
        f"{sd} breast calcifications (BI-RADS {c.pick('4B', '4C', '5')})",
    )
    bits.append(f"{who} with {finding}.")
    bx = c.phi("accession", p.prior_accessions[0])
    if t.kind in ("dcis", "micro"):
        bits.append(c.pick(f"Core biopsy ({bx}) showed DCIS.", f"Stereotactic biopsy {bx}: ductal carcinoma in situ."))
    elif t.neoadjuvant:
        pre_grade = c.rng.choice([2, 3, 3])
        pre = c.pick(
            f"grade {pre_grade}, ER negative, PR negative, HER2 3+",
            f"grade {pre_grade}, triple negative",
            f"grade {pre_grade}, ER+ PR+ HER2-",
            f"Nottingham grade {pre_grade}, ER 90%, PR 5%, HER2 2+ FISH amplified",
        )
        if t.bio_mode == "prior_quoted":
            pre = f"grade {pre_grade}"  # its receptors are quoted from that same biopsy below: no contradiction
        reg = c.pick("AC-T", "TCHP", "ddAC followed by weekly paclitaxel", "carboplatin/paclitaxel and pembrolizumab")
        bits.append(
            c.pick(
                f"Pre-treatment core biopsy ({bx}, {c.date(p.history_dates[0])}): invasive ductal carcinoma, {pre}.",
                f"Biopsy-proven IDC ({bx}), {pre}.",
            )
        )
        bits.append(
            c.pick(
                f"Clinical stage cT{c.rng.randint(2, 3)} cN{c.rng.randint(0, 1)} prior to therapy.",
                "",
                f"Initial clinical stage cT{c.rng.randint(2, 3)}N1.",
            )
        )
        bits.append(
            c.pick(
                f"Status post neoadjuvant chemotherapy ({reg}).",
                f"S/p neoadjuvant {reg}.",
                "Completed neoadjuvant systemic therapy.",
            )
        )
        t.phenomena.append("pretreatment_results_in_history")
    else:
        g = c.rng.randint(1, 3)
        bits.append(
            c.pick(
                f"Core biopsy ({bx}) showed invasive ductal carcinoma.",
                f"Ultrasound-guided biopsy {bx} on {c.date(p.history_dates[0])}: invasive carcinoma, grade {g}.",
                f"Prior biopsy: {bx}.",
                "",
            )
        )
    if c.chance(0.22):
        other_side = "right" if t.side == "left" else "left"
        year = p.old_year
        old = c.pick(
            f"pT1cN0, ER+/PR+/HER2-",
            f"pT2 pN1a, grade 3, triple negative",
            f"stage IA, pT1b N0",
            f"T1N0M0, ER positive",
            f"pT1c(m) pN0(sn), grade 1",
            f"DCIS, pTis",
        )
        where = c.pick(other_side, other_side, sd)
        bits.append(
            c.pick(
                f"History of {where} breast cancer {old} {year}, treated with lumpectomy and radiation.",
                f"Prior {where} breast carcinoma ({old}) in {year}, s/p mastectomy.",
                f"PMH: {where} breast cancer ({year}; {old}; {c.phi('accession', p.prior_accessions[1])}).",
            )
        )
        t.phenomena.append("historical_stage_in_history")
    if c.chance(0.15):
        bits.append(
            c.pick(
                "BRCA2 mutation carrier.",
                "Family history of breast cancer (mother, sister).",
                "Strong family history; genetic testing pending.",
                "On tamoxifen for prior disease.",
            )
        )
    if c.chance(0.1):
        bits.append(f"MRI: {c.size(float(c.rng.randint(8, 60)))} enhancing mass.")
        t.phenomena.append("imaging_size_in_history")
    if t.m == "M1" and c.chance(0.5):
        bits.append(
            c.pick(
                f"Recent imaging concerning for {t.m1_site.replace('_', ' ')} lesion; biopsy submitted as part C.",
                f"New {t.m1_site.replace('_', ' ')} lesions on PET/CT.",
            )
        )
    return " ".join(b for b in bits if b)


def distant_site_dx(c: Ctx, t: Tumour) -> tuple[str, str]:
    """(specimen label, diagnosis) for the biopsy proving M1."""
    site = t.m1_site
    label = {
        "liver": "LIVER, SEGMENT 6 LESION, NEEDLE CORE BIOPSY",
        "bone": "BONE, T10 VERTEBRAL BODY, CT-GUIDED BIOPSY",
        "lung": "LUNG, RIGHT LOWER LOBE NODULE, CORE BIOPSY",
        "brain": "BRAIN, LEFT FRONTAL MASS, RESECTION",
        "ovary": "OVARY, LEFT, OOPHORECTOMY",
        "pleura": "PLEURAL FLUID, CELL BLOCK",
        "supraclavicular_soft_tissue": "LIVER, CORE BIOPSY",
    }[site]
    dx = c.pick(
        "Metastatic carcinoma, consistent with breast primary (GATA3 positive)",
        "Metastatic adenocarcinoma, compatible with mammary origin",
        "Positive for metastatic carcinoma of breast origin (GATA3+, mammaglobin+)",
    )
    return label, dx
