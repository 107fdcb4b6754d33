"""Fresh report styles: held-out wording for the synthetic corpus, written apart from the rule engine.

Four opt-in style families, NOT in the default mix (`corpus.STYLES` and its weights are unchanged, so the demo
corpus and every default-style output stay byte-identical); select them by name:

    corpus.generate(outdir, 300, styles=("fresh_b",))      # or python bench/rules.py --styles fresh_b

    fresh_a   "development": UK/RCPath style (styles_fresh_a.py): numbered specimens, macroscopy/microscopy
              free text, the RCPath breast dataset list ("Invasive grade: 2 (T3 P2 M1)", "Allred 8/8",
              "HER2 IHC score 2+ ... not amplified", "pT2 pN1a (2/14)"), supplementary reports, B5 cores
    fresh_b   "sealed held-out": North-American diagnosis-first narrative/synoptic hybrid (styles_fresh_b.py):
              lettered parts, COMMENT paragraphs, receptors in addenda with percentages and intensities,
              HER2 IHC then FISH in a later addendum, numbers in words, a third of reports flattened to one line
    fresh_c   "sealed held-out": Australian/Canadian structured-synoptic hybrid (styles_fresh_c.py): parts by
              number or letter, macroscopic/microscopic paragraphs, a numbered SUMMARY OF FINDINGS or semicolon
              synoptic block per side, "Nottingham score 3+3+2=8, grade 3", "ER: Allred 7 (PS 4, IS 3)
              positive", "HER2 IHC equivocal (2+); SISH ratio 2.3, amplified", "Sentinel nodes 0/3;
              non-sentinel 2/11 (total 2/14)", "pT1c; pN0(sn); M not applicable", ANCILLARY STUDIES amendments
    fresh_d   "sealed held-out, measured once": six house styles per report (styles_fresh_d.py): Spanish- and
              German-in-translation ("Tumour classification (UICC 8th ed.): pT1c pN0(0/2 sn) L0 V0 Pn0 R0 G2",
              "IRS 12/12", "pM1 (HEP)"), Indian tertiary centre ("Modified Bloom Richardson grade II", "Her-2/neu"),
              CAP-like question/answer lines with dotted leaders, voice-dictated run-on narrative with numbers
              in words, and key=value exports flattened to one line; receptors as Allred / H-score / IRS /
              percentages only, HER2 by score and ISH ratio words ("no amplification")

Their wording was written from pathology practice and the dev-set label rules only: nobody tuned the rule
engine on it. Keep it that way: do not edit these sentences to make the engine score better.

Case sampling (`sample_case`) starts from case.sample_tumour and adds, for these styles only:
  - core needle biopsies (`CoreBiopsy`): T, N and M are not reported (gold null); grade and biomarkers are;
  - bilateral cases in lettered parts (second side benign 20%; M copied: it belongs to the patient);
  - equivocal ER / PR enriched to ~2% each, so a few hundred reports hold every label value;
  - HER2 ISH numbers made consistent with the ASCO/CAP group the case model states (group 1 amplified:
    ratio >= 2 and >= 4 copies; group 5 not amplified: ratio < 2 and < 4 copies).
Contract of a style function `(Ctx, tumours) -> str` (as in styles.py): every non-null label of a tumour is
written (pT code, or the invasive size when `stage_written` is false; pN code and/or node counts; the M
statement; grade; biomarkers); labels are read after rendering, since a style may move biomarkers to an addendum.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import fields

from pathxgen.case import Nodes, Receptor, Tumour, sample_tumour
from pathxgen.phrases import Ctx

ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


class CoreBiopsy(Tumour):
    """A core needle biopsy of the tumour: no T (no resection), no nodes, no M; grade and biomarkers stand."""

    def labels(self) -> dict[str, str | None]:
        lab = super().labels()
        lab.update(t_stage=None, n_stage=None, m_stage=None)
        return lab


def words(n: int) -> str:
    """English words for 0-99 ("twenty-one")."""
    if n < 20:
        return ONES[n]
    tens, one = divmod(n, 10)
    return TENS[tens] + (f"-{ONES[one]}" if one else "")


def count(c: Ctx, n: int, p_words: float = 0.5) -> str:
    return words(n) if c.chance(p_words) and n < 100 else str(n)


def mm(c: Ctx, value: float, unit: str) -> str:
    """A size in the report's unit: '18 mm' or '1.8 cm' (sub-millimetre values always in mm)."""
    if unit == "mm" or value < 1:
        return f"{value:g} mm"
    return f"{value / 10:.1f} cm"


def uk_date(c: Ctx, d: dt.date) -> str:
    return c.phi("date", c.pick(f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}"))


def t_code(t: Tumour, multifocal: bool = False) -> str:
    sub = t.t_sub or ""
    code = f"{t.prefix}T{sub}"
    return code + ("(m)" if multifocal and t.other_foci_mm else "")


def n_code(c: Ctx, t: Tumour) -> str:
    nd = t.nodes
    if not nd.examined:
        return f"{t.prefix}NX"
    sn = "(sn)" if nd.sentinel == nd.examined and c.chance(0.4) else ""
    return f"{t.prefix}N{nd.sub}{sn}"


def node_split(c: Ctx, nd: Nodes) -> list[Nodes]:
    """The node parts of one side: sentinel and axillary clearance when both were done, else one part."""
    if not (0 < nd.sentinel < nd.examined) or c.chance(0.3):
        return [nd]
    kinds = ["macro"] * nd.macro + ["micro"] * nd.micro + ["itc"] * nd.itc
    k = min(len(kinds), nd.sentinel)
    if k and c.chance(0.3):
        k -= 1  # the sentinel part need not hold every positive node
    parts = []
    for examined, share, sentinel in ((nd.sentinel, kinds[:k], nd.sentinel), (nd.examined - nd.sentinel, kinds[k:], 0)):
        p = Nodes(examined, share.count("macro"), share.count("micro"), share.count("itc"), sentinel)
        p.largest_mm = nd.largest_mm if share else None
        p.ene = nd.ene and "macro" in share
        parts.append(p)
    return parts


# ====================================================================== sampling
def _to_core(rng: random.Random, t: Tumour) -> CoreBiopsy:
    core = CoreBiopsy(**{f.name: getattr(t, f.name) for f in fields(Tumour)})
    core.procedure = "core needle biopsy"
    core.nodes, core.m, core.m_written = Nodes(0), None, "none"
    core.other_foci_mm, core.dermal_only, core.stage_written = [], False, False
    core.size_mm = float(rng.randint(3, 16))  # length of carcinoma in the cores, not a tumour size
    if core.bio_mode in ("prior_ref", "prior_quoted"):
        core.bio_mode = "inline"  # a core has no earlier specimen to refer to
    keep = ("er_", "her2_", "biomarkers_", "dcis_grade")
    core.phenomena = ["core_biopsy", "dcis_only" if t.kind == "dcis" else "invasive"] + [
        p for p in t.phenomena if p.startswith(keep) and p not in ("biomarkers_prior_ref", "biomarkers_prior_quoted")
    ]
    return core


def _tidy_her2(t: Tumour) -> None:
    h = t.her2
    if not h or h.ratio is None:
        return
    if h.ish == "amplified":
        while h.copies < 4.0:  # group 1: ratio >= 2.0 and >= 4.0 signals per cell
            h.cep17 = round(h.cep17 + 0.1, 1)
            h.copies = round(h.ratio * h.cep17, 1)
    elif h.copies / h.cep17 > h.ratio + 0.05:  # group 5: keep the three numbers consistent
        h.cep17 = round(h.copies / h.ratio + 0.05, 1)


def _enrich(rng: random.Random, t: Tumour) -> None:
    for name in ("er", "pr"):
        r = getattr(t, name)
        if r is not None and r.status != "Equivocal" and rng.random() < 0.02:
            setattr(t, name, Receptor("Equivocal", rng.choice([1, 2]), "weak"))
            t.phenomena.append(f"{name}_equivocal")
    _tidy_her2(t)


def sample_case(rng: random.Random, p_bilateral: float, p_core: float) -> list[Tumour]:
    """The tumours of one fresh-style report (one, or left and right)."""
    first = rng.choice(["left", "right"])
    ts = [sample_tumour(rng, first)]
    if rng.random() < p_bilateral:
        other = "right" if first == "left" else "left"
        second = sample_tumour(rng, other, kind="benign" if rng.random() < 0.2 else None)
        if second.kind != "benign":
            second.m, second.m_written, second.m1_site = ts[0].m, ts[0].m_written, ts[0].m1_site
        ts.append(second)
        if ts[0].side == "right":
            ts.reverse()
    elif rng.random() < p_core and ts[0].kind in ("invasive", "dcis") and not (ts[0].t_sub or "").startswith("4"):
        ts[0] = _to_core(rng, ts[0])
    for t in ts:
        _enrich(rng, t)
    return ts


# ====================================================================== registry
def _registry() -> dict:
    from pathxgen import styles_fresh_a, styles_fresh_b, styles_fresh_c, styles_fresh_d

    return {
        "fresh_a": (styles_fresh_a.render, 0.15, 0.12),
        "fresh_b": (styles_fresh_b.render, 0.15, 0.12),
        "fresh_c": (styles_fresh_c.render, 0.15, 0.12),
        "fresh_d": (styles_fresh_d.render, 0.15, 0.12),
    }


FRESH_STYLES: tuple[str, ...] = ("fresh_a", "fresh_b", "fresh_c", "fresh_d")


def tumours(rng: random.Random, style: str) -> list[Tumour]:
    _, p_bi, p_core = _registry()[style]
    return sample_case(rng, p_bi, p_core)


def render(style: str, c: Ctx, ts: list[Tumour]) -> str:
    return _registry()[style][0](c, ts)
