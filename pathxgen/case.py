"""Ground truth of the synthetic corpus: sample tumours, then derive their contract labels.

A tumour is sampled as clinical facts (size, node counts, Nottingham scores, receptor
percentages, ...) from long-tailed distributions shaped like a screening-era cohort. The
labels are derived from those facts by the AJCC 8th edition and ASCO/CAP 2018/2020 rules, and
then masked to null where the report will not state them (biomarkers pending, M unstated).
The renderers in corpus_styles.py must write every fact a non-null label depends on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

HISTOLOGIES = ("ductal", "lobular", "mixed", "mucinous", "tubular", "micropapillary", "metaplastic")
HISTOLOGY_WEIGHTS = (75, 12, 5, 2.5, 1.5, 2, 1.5)


@dataclass
class Receptor:
    """ER or PR immunohistochemistry."""

    status: str  # Positive / Negative / Equivocal (contract vocabulary)
    pct: int  # percent of tumour nuclei staining (0-100)
    intensity: str  # none / weak / moderate / strong

    @property
    def allred_ps(self) -> int:
        p = self.pct
        if p == 0:
            return 0 if self.intensity == "none" else 1
        return 2 if p <= 10 else 3 if p <= 33 else 4 if p <= 66 else 5

    @property
    def allred_is(self) -> int:
        return {"none": 0, "weak": 1, "moderate": 2, "strong": 3}[self.intensity]

    @property
    def allred(self) -> int:
        return self.allred_ps + self.allred_is

    @property
    def low_positive(self) -> bool:
        return self.status == "Positive" and self.pct <= 10


@dataclass
class Her2:
    ihc: int | None  # 0..3, None when only ISH was done
    ish: str | None  # amplified / not amplified / pending / None (not done)
    ratio: float | None = None
    copies: float | None = None
    cep17: float | None = None
    group: int | None = None  # ASCO/CAP 2018 ISH group 1-5
    final: str | None = None  # contract label once all results in the report are read


@dataclass
class Nodes:
    examined: int
    macro: int = 0
    micro: int = 0
    itc: int = 0
    sentinel: int = 0  # how many of the examined nodes were sentinel nodes
    largest_mm: float | None = None  # largest metastatic deposit
    ene: bool = False

    @property
    def positive(self) -> int:
        return self.macro + self.micro

    @property
    def label(self) -> str | None:
        if self.examined == 0:
            return None
        if self.macro == 0:
            return "N1mi" if self.micro else "N0"
        return "N1" if self.positive <= 3 else "N2" if self.positive <= 9 else "N3"

    @property
    def sub(self) -> str | None:
        """pN subcategory without prefix: 0, 0(i+), 1mi, 1a, 2a, 3a (None = not sampled)."""
        lab = self.label
        if lab is None:
            return None
        if lab == "N0":
            return "0(i+)" if self.itc else "0"
        return {"N1mi": "1mi", "N1": "1a", "N2": "2a", "N3": "3a"}[lab]


@dataclass
class Tumour:
    side: str  # left / right
    kind: str  # invasive / dcis / micro / residual (post-neoadjuvant) / pcr / benign
    procedure: str
    histology: str = "ductal"
    neoadjuvant: bool = False
    t_sub: str | None = None  # 1mi 1a 1b 1c 2 3 4a 4b 4c 4d is 0
    size_mm: float | None = None  # largest invasive focus (DCIS extent for kind == dcis)
    dims: tuple[float, float] = (0.0, 0.0)  # the other two dimensions (mm)
    other_foci_mm: list[float] = field(default_factory=list)
    t4_feature: str | None = None  # ulceration / satellite / chest_wall / both / inflammatory
    dermal_only: bool = False  # dermal invasion without ulceration (not T4)
    nodes: Nodes = field(default_factory=lambda: Nodes(0))
    m: str | None = None  # M0 / M1 / None (not assessed)
    m_written: str = "none"  # none / na / x / m0 / m1
    m1_site: str | None = None
    grade: int | None = None
    scores: tuple[int, int, int] | None = None  # tubules, nuclei, mitoses
    dcis: bool = False
    dcis_grade: int | None = None
    lvi: bool = False
    margin_mm: float | None = None  # closest margin to invasive carcinoma (0 = positive)
    margin_name: str = "posterior"
    er: Receptor | None = None
    pr: Receptor | None = None
    her2: Her2 | None = None
    ki67: int | None = None
    bio_mode: str = "inline"  # inline / addendum / pending / prior_ref / prior_quoted / none
    stage_written: bool = True
    nodes_written: str = "both"  # pn / counts / both
    stage_group: str | None = None
    history: dict = field(default_factory=dict)  # confusers for the clinical history
    phenomena: list[str] = field(default_factory=list)

    @property
    def invasive(self) -> bool:
        return self.kind in ("invasive", "micro", "residual")

    @property
    def prefix(self) -> str:
        return "yp" if self.neoadjuvant else "p"

    def labels(self) -> dict[str, str | None]:
        if self.kind == "benign":
            return dict.fromkeys(("t_stage", "n_stage", "m_stage", "grade", "er", "pr", "her2"))
        t = {"is": "Tis", "0": "T0"}.get(self.t_sub or "", f"T{(self.t_sub or '?')[0]}")
        shown = self.bio_mode not in ("pending", "prior_ref", "none")
        return {
            "t_stage": t,
            "n_stage": self.nodes.label,
            "m_stage": self.m,
            "grade": f"G{self.grade}" if self.grade else None,
            "er": self.er.status if (self.er and shown) else None,
            "pr": self.pr.status if (self.pr and shown) else None,
            "her2": self.her2.final if (self.her2 and shown) else None,
        }


def _w(rng: random.Random, options: dict):
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def _nottingham(rng: random.Random, grade: int) -> tuple[int, int, int]:
    lo, hi = {1: (3, 5), 2: (6, 7), 3: (8, 9)}[grade]
    while True:
        s = (rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3))
        if lo <= sum(s) <= hi:
            return s


def _receptor(rng: random.Random, positive: bool, low_ok: bool = True) -> Receptor:
    if rng.random() < 0.006:  # rare: reported as equivocal / borderline, repeat advised
        return Receptor("Equivocal", rng.choice([1, 2, 3]), "weak")
    if positive:
        if low_ok and rng.random() < 0.05:
            return Receptor("Positive", rng.randint(1, 10), rng.choice(["weak", "weak", "moderate"]))
        pct = rng.choice([15, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 90, 95, 95, 95, 98, 100, 100])
        inten = rng.choices(["weak", "moderate", "strong"], [1, 3, 6])[0]
        return Receptor("Positive", pct, inten)
    if rng.random() < 0.15:
        return Receptor("Negative", 0, "weak")  # "<1%, weak" : Allred 2, still negative
    return Receptor("Negative", 0, "none")


def _her2(rng: random.Random, grade: int | None, er_pos: bool) -> Her2:
    p3 = 0.08 if er_pos else 0.22
    p3 += 0.04 if grade == 3 else 0
    ihc = rng.choices([0, 1, 2, 3], weights=[0.30, 0.38, 0.24, p3 * 1.0])[0]
    if rng.random() < 0.03:  # ISH-only testing
        amp = rng.random() < 0.2
        return _ish(rng, Her2(None, None), amp)
    h = Her2(ihc, None)
    if ihc in (0, 1):
        h.final = "Negative"
    elif ihc == 3:
        h.final = "Positive"
    else:
        roll = rng.random()
        if roll < 0.22:
            h.ish, h.final = "pending", "Equivocal"
        else:
            _ish(rng, h, amplified=roll > 0.82)
    return h


def _ish(rng: random.Random, h: Her2, amplified: bool) -> Her2:
    if amplified:
        h.group = 1
        h.cep17 = round(rng.uniform(1.6, 2.6), 1)
        h.ratio = round(rng.uniform(2.2, 6.5), 1)
        h.copies = round(h.ratio * h.cep17, 1)
        h.ish, h.final = "amplified", "Positive"
    else:
        h.group = 5
        h.cep17 = round(rng.uniform(1.5, 2.5), 1)
        h.copies = round(rng.uniform(1.8, 3.8), 1)
        h.ratio = round(min(h.copies / h.cep17, 1.9), 1)
        h.ish, h.final = "not amplified", "Negative"
    return h


def _size_for(rng: random.Random, t_sub: str) -> float:
    lo, hi = {"1a": (2, 5), "1b": (6, 10), "1c": (11, 20), "2": (21, 50), "3": (51, 110)}.get(t_sub, (15, 100))
    if t_sub in ("1c", "2") and rng.random() < 0.06:  # boundary values: 20 mm is T1c, 50 mm is T2
        return float(hi)
    return float(rng.randint(lo, hi))


def _nodes(rng: random.Random, t_label: str, procedure: str) -> Nodes:
    """Node status correlated with T: N0 dominant, N3 rare."""
    shift = {"T1": 0.0, "T2": 0.12, "T3": 0.22, "T4": 0.3, "T0": 0.0, "Tis": 0.0}.get(t_label, 0.0)
    n = _w(
        rng,
        {
            "N0": 0.70 - shift,
            "N0i": 0.04,
            "N1mi": 0.05,
            "N1": 0.15 + shift * 0.5,
            "N2": 0.04 + shift * 0.3,
            "N3": 0.02 + shift * 0.2,
        },
    )
    dissection = n in ("N2", "N3") or rng.random() < (0.15 + shift)
    if dissection:
        examined = rng.randint(8, 26)
        sentinel = rng.choice([0, 0, 2, 3])
    else:
        examined = rng.choices([1, 2, 3, 4, 5], [25, 30, 25, 12, 8])[0]
        sentinel = examined
    nd = Nodes(examined=examined, sentinel=sentinel)
    if n == "N0i":
        nd.itc = 1
        nd.largest_mm = rng.choice([0.05, 0.1, 0.15, 0.2])
    elif n == "N1mi":
        nd.micro = 1 if examined < 3 or rng.random() < 0.8 else 2
        nd.largest_mm = rng.choice([0.3, 0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 1.8, 2.0])
    elif n != "N0":
        pos = {"N1": rng.randint(1, 3), "N2": rng.randint(4, 9), "N3": rng.randint(10, 18)}[n]
        nd.examined = max(nd.examined, pos + rng.randint(0, 8)) if n != "N1" else max(nd.examined, pos)
        nd.micro = 1 if pos > 1 and rng.random() < 0.2 else 0
        nd.macro = pos - nd.micro
        nd.largest_mm = float(rng.randint(3, 30))
        nd.ene = rng.random() < (0.15 if n == "N1" else 0.5)
    nd.sentinel = min(nd.sentinel, nd.examined)
    return nd


def stage_group(t: str, n: str | None, m: str | None) -> str | None:
    """AJCC 8th anatomic stage group (None when N is unknown)."""
    if m == "M1":
        return "IV"
    if n is None:
        return None
    if n == "N3":
        return "IIIC"
    if t == "T4":
        return "IIIB"
    if t == "Tis":
        return "0" if n == "N0" else None
    table = {
        ("T0", "N1mi"): "IB",
        ("T1", "N1mi"): "IB",
        ("T1", "N0"): "IA",
        ("T0", "N1"): "IIA",
        ("T1", "N1"): "IIA",
        ("T2", "N0"): "IIA",
        ("T2", "N1mi"): "IIB",
        ("T2", "N1"): "IIB",
        ("T3", "N0"): "IIB",
        ("T3", "N1mi"): "IIIA",
        ("T3", "N1"): "IIIA",
        ("T0", "N2"): "IIIA",
        ("T1", "N2"): "IIIA",
        ("T2", "N2"): "IIIA",
        ("T3", "N2"): "IIIA",
    }
    return table.get((t, n))


def sample_tumour(rng: random.Random, side: str, *, kind: str | None = None) -> Tumour:
    """One tumour with consistent facts; `kind` forces a scenario (bilateral second sides)."""
    kind = kind or _w(rng, {"invasive": 0.765, "dcis": 0.10, "micro": 0.025, "residual": 0.075, "pcr": 0.035})
    mastectomy = rng.random() < (0.3 if kind in ("invasive", "micro", "dcis") else 0.5)
    procedure = (
        _w(
            rng,
            {
                "total mastectomy": 3,
                "simple mastectomy": 1,
                "modified radical mastectomy": 1,
                "skin-sparing mastectomy": 1,
                "nipple-sparing mastectomy": 0.6,
            },
        )
        if mastectomy
        else _w(
            rng,
            {
                "lumpectomy": 4,
                "partial mastectomy": 3,
                "segmental mastectomy": 1,
                "wide local excision": 1,
                "excisional biopsy": 0.5,
                "needle-localized excision": 1,
            },
        )
    )
    t = Tumour(side=side, kind=kind, procedure=procedure, neoadjuvant=kind in ("residual", "pcr"))
    if kind == "benign":
        t.procedure = rng.choice(["prophylactic mastectomy", "reduction mammoplasty", "simple mastectomy"])
        return t

    # --- primary tumour ---------------------------------------------------------------
    if kind == "dcis":
        t.t_sub, t.histology = "is", "dcis"
        t.size_mm = float(rng.randint(3, 70))
    elif kind == "micro":
        t.t_sub = "1mi"
        t.size_mm = rng.choice([0.2, 0.3, 0.5, 0.6, 0.8, 1.0])
    elif kind == "pcr":
        t.t_sub = "0"
    else:
        t.histology = rng.choices(HISTOLOGIES, HISTOLOGY_WEIGHTS)[0]
        tcat = _w(
            rng,
            (
                {"1": 0.60, "2": 0.30, "3": 0.062, "4": 0.038}
                if kind == "invasive"
                else {"1": 0.5, "2": 0.35, "3": 0.1, "4": 0.05}
            ),
        )
        if tcat == "1":
            t.t_sub = _w(rng, {"1a": 0.1, "1b": 0.25, "1c": 0.65})
        elif tcat == "4":
            t.t4_feature = _w(
                rng, {"ulceration": 0.35, "satellite": 0.15, "chest_wall": 0.2, "both": 0.1, "inflammatory": 0.2}
            )
            t.t_sub = {"ulceration": "4b", "satellite": "4b", "chest_wall": "4a", "both": "4c", "inflammatory": "4d"}[
                t.t4_feature
            ]
            t.procedure = rng.choice(["modified radical mastectomy", "total mastectomy"])
        else:
            t.t_sub = tcat
        t.size_mm = _size_for(rng, t.t_sub)
        if t.t_sub in ("1c", "2", "3") and rng.random() < 0.08:
            t.dermal_only = True  # confuser: dermal invasion without ulceration stays T1-T3
        if rng.random() < 0.12:
            t.other_foci_mm = sorted(
                (float(rng.randint(1, max(1, int(t.size_mm) - 1))) for _ in range(rng.randint(1, 2))), reverse=True
            )
            t.phenomena.append("multifocal")
    if t.size_mm:
        big = t.size_mm
        t.dims = (round(big * rng.uniform(0.5, 0.95)), round(big * rng.uniform(0.3, 0.8)))
        t.dims = (max(t.dims[0], 1.0), max(t.dims[1], 1.0)) if big >= 2 else (0, 0)

    # --- grade, DCIS component ---------------------------------------------------------
    if t.invasive and kind != "micro":
        gw = {
            "ductal": (22, 46, 32),
            "lobular": (15, 78, 7),
            "mixed": (20, 60, 20),
            "mucinous": (55, 40, 5),
            "tubular": (100, 0, 0),
            "micropapillary": (0, 45, 55),
            "metaplastic": (0, 5, 95),
        }[t.histology]
        t.grade = rng.choices([1, 2, 3], gw)[0]
        t.scores = _nottingham(rng, t.grade)
    t.dcis = kind in ("dcis", "micro") or (t.invasive and rng.random() < 0.6) or (kind == "pcr" and rng.random() < 0.1)
    if t.dcis:
        t.dcis_grade = rng.choices([1, 2, 3], [2, 4, 4])[0]
        if kind == "pcr":
            t.t_sub = "is"  # residual DCIS only after therapy: ypTis
            t.phenomena.append("residual_dcis_only")
    t.lvi = t.invasive and rng.random() < 0.2

    # --- nodes and M ---------------------------------------------------------------------
    t_label = {"is": "Tis", "0": "T0"}.get(t.t_sub, f"T{t.t_sub[0]}")
    if kind == "dcis":
        t.nodes = (
            Nodes(0)
            if (not mastectomy or rng.random() < 0.3) and rng.random() < 0.7
            else Nodes(rng.randint(1, 3), sentinel=0)
        )
        t.nodes.sentinel = t.nodes.examined
    elif kind == "pcr":
        t.nodes = Nodes(rng.randint(1, 12))
        t.nodes.sentinel = t.nodes.examined if t.nodes.examined <= 4 else 0
        if rng.random() < 0.3:
            t.phenomena.append("nodal_treatment_effect")
    elif rng.random() < 0.07:
        t.nodes = Nodes(0)  # no nodes sampled: pNX / not mentioned
    else:
        t.nodes = _nodes(rng, t_label, t.procedure)
    t.m = _w(rng, {"M1": 0.035, "M0": 0.20, None: 0.765}) if kind != "dcis" else _w(rng, {"M0": 0.1, None: 0.9})
    if t.m == "M1":
        t.m_written = "m1"
        t.m1_site = rng.choice(["liver", "bone", "lung", "brain", "ovary", "pleura"])
    elif t.m == "M0":
        t.m_written = "m0"
    else:
        t.m_written = _w(rng, {"none": 0.6, "na": 0.25, "x": 0.15})

    # --- biomarkers ------------------------------------------------------------------
    if t.invasive or (kind == "pcr" and rng.random() < 0.5):
        er_p = {1: 0.93, 2: 0.88, 3: 0.6, None: 0.8}[t.grade]
        if t.histology == "metaplastic":
            er_p = 0.1
        er_pos = rng.random() < er_p
        t.er = _receptor(rng, er_pos)
        t.pr = _receptor(rng, rng.random() < (0.84 if er_pos else 0.05))
        t.her2 = _her2(rng, t.grade, er_pos)
        t.ki67 = rng.choice([None, None, 5, 8, 10, 15, 20, 25, 30, 40, 60, 80])
    elif kind == "dcis" and rng.random() < 0.55:
        t.er = _receptor(rng, rng.random() < 0.85, low_ok=False)
        if rng.random() < 0.4:
            t.pr = _receptor(rng, t.er.status == "Positive" and rng.random() < 0.8, low_ok=False)
    if t.er or t.her2:
        if kind == "pcr":
            t.bio_mode = "prior_quoted"
        else:
            t.bio_mode = _w(
                rng, {"inline": 0.70, "addendum": 0.14, "pending": 0.05, "prior_ref": 0.05, "prior_quoted": 0.06}
            )
    else:
        t.bio_mode = "none"
    if t.her2 and t.her2.ish == "pending":
        t.phenomena.append("her2_ish_pending")

    # --- what the report states ---------------------------------------------------------------
    # Sizes decide T only when the tumour is T1-T3 invasive; T4, Tis, T0, T1mi always get words.
    t.stage_written = not (t.t_sub in ("1a", "1b", "1c", "2", "3") and rng.random() < 0.15)
    if not t.stage_written:
        t.phenomena.append("size_without_pt")
    if t.nodes.examined and rng.random() < 0.18:
        t.nodes_written = "counts"
        t.phenomena.append("node_counts_without_pn")
    elif t.nodes.examined and rng.random() < 0.12:
        t.nodes_written = "pn"
    t.stage_group = stage_group(t_label, t.nodes.label, t.m)
    t.margin_mm = 0.0 if rng.random() < 0.06 else float(rng.choice([0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15]))
    t.margin_name = rng.choice(["posterior", "anterior", "superior", "inferior", "medial", "lateral", "deep"])
    _phenomena(t)
    return t


def _phenomena(t: Tumour) -> None:
    tags = t.phenomena
    tags.append(
        {
            "dcis": "dcis_only",
            "micro": "microinvasion",
            "pcr": "complete_response",
            "residual": "neoadjuvant_residual",
        }.get(t.kind, "invasive")
    )
    if t.t4_feature:
        tags.append("t4_" + t.t4_feature)
    if t.dermal_only:
        tags.append("dermal_invasion_not_t4")
    if t.dcis and t.invasive and t.grade:
        tags.append("dcis_grade_beside_invasive_grade")
    nd = t.nodes
    if nd.itc:
        tags.append("itc_n0i+")
    if nd.label == "N1mi":
        tags.append("micrometastasis")
    if nd.examined == 0 and t.kind != "benign":
        tags.append("nodes_not_sampled")
    if t.m == "M1":
        tags.append("m1_distant_biopsy")
    elif t.m_written == "x":
        tags.append("pMX")
    if t.er and t.er.low_positive:
        tags.append("er_low_positive")
    if t.er and t.er.status == "Equivocal":
        tags.append("er_equivocal")
    if t.her2 and t.her2.ihc == 2 and t.her2.ish in ("amplified", "not amplified"):
        tags.append("her2_2plus_ish_resolved")
    if t.bio_mode != "inline" and t.bio_mode != "none":
        tags.append("biomarkers_" + t.bio_mode)
