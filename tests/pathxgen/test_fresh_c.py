"""fresh_c (Australian/Canadian synoptic hybrid): opt-in, every label value covered, gold true to the text, files written.

Generator-only tests: the rule engine is never run on fresh_c (a sealed held-out family).
"""

from __future__ import annotations

import collections
import re

import pytest
from pypdf import PdfReader

from pathx import schema
from pathx.training.labels import read_labeled
from pathxgen import corpus, fresh
from pathxgen.case import Tumour

N = 300
SEED = 4242
STYLE = "fresh_c"


@pytest.fixture(scope="module")
def rows() -> list[tuple[Tumour, str, int]]:
    """(tumour, report text, tumours in the report) for N fresh_c reports, text only, no OCR noise."""
    out = []
    for i in range(1, N + 1):
        rep = corpus.render_report(SEED, i, STYLE, "txt", noise=False)
        ts = rep["tumours"]
        units = [t for t in ts if t.kind != "benign"] if len(ts) > 1 else ts
        out += [(t, rep["text"], len(ts)) for t in units]
    return out


def test_fresh_c_is_registered_opt_in():
    assert STYLE in fresh.FRESH_STYLES and STYLE in corpus.ALL_STYLES
    assert STYLE not in corpus.STYLES and STYLE not in corpus.STYLE_WEIGHTS


def test_every_label_value_appears_in_300_reports(rows):
    for task in schema.TASKS:
        seen = collections.Counter(t.labels()[task] for t, _, _ in rows)
        missing = (set(schema.VOCAB[task]) | {None}) - set(seen)
        assert not missing, (task, missing, dict(seen))
    phen = collections.Counter(p for t, _, _ in rows for p in t.phenomena)
    for tag in ("core_biopsy", "size_without_pt", "node_counts_without_pn", "complete_response", "microinvasion",
                "her2_2plus_ish_resolved", "her2_ish_pending", "itc_n0i+", "micrometastasis"):
        assert phen[tag] >= 3, tag
    assert sum(n > 1 for _, _, n in rows) >= 20  # bilateral cases
    assert sum(isinstance(t, fresh.CoreBiopsy) for t, _, _ in rows) >= 10


def _t_from_size(mm: float) -> str:
    return "T1" if mm <= 20 else "T2" if mm <= 50 else "T3"


def test_gold_follows_the_label_rules_and_the_text(rows):
    for t, text, n in rows:
        low = " ".join(text.lower().split())
        lab = t.labels()
        core = isinstance(t, fresh.CoreBiopsy)
        if core:  # core biopsies: T, N, M not reported; grade and receptors stand
            assert lab["t_stage"] is lab["n_stage"] is lab["m_stage"] is None
            assert not re.search(r"\by?p[tnm][0-4ix]", low), text
            assert lab["grade"] == (f"G{t.grade}" if t.grade else None)
        elif t.stage_written:
            assert f"{t.prefix}t{t.t_sub}".lower() in low, (t.t_sub, text)
        elif n == 1:
            assert not re.search(r"\by?pt[0-4i]", low), text
            assert lab["t_stage"] == _t_from_size(t.size_mm), (t.size_mm, lab)
        if t.grade:
            a, b, m = t.scores
            assert f"grade {t.grade}" in low or f"grade {('i', 'ii', 'iii')[t.grade - 1]} " in low, text
        for a, b in re.findall(r"\((\d+)/(\d+)\)", text):  # a node part never has more positives than nodes
            assert int(a) <= int(b), text
        nd = t.nodes
        if not core and nd.examined and n == 1:
            assert bool(re.search(r"\by?pn[0-3]", low)) == (t.nodes_written != "counts"), (t.nodes_written, text)
            if t.nodes_written == "counts":
                assert f"{nd.positive}/{nd.examined}" in text, text
                if nd.micro and not nd.macro:
                    assert "micrometasta" in low
        if n == 1:
            assert bool(re.search(r"\b[cp]?m1\b", low)) == (lab["m_stage"] == "M1"), text
            assert bool(re.search(r"\b[cp]?m0\b", low)) == (lab["m_stage"] == "M0"), text
            if lab["her2"] == "Equivocal":
                assert "2+" in text and "amplified" not in low, text
            if t.her2 and t.her2.ish in ("amplified", "not amplified") and lab["her2"]:
                assert ("not amplified" in low) == (lab["her2"] == "Negative"), text
            for name in ("er", "pr"):
                if lab[name] == "Equivocal":
                    assert "equivocal" in low
            if t.bio_mode in ("pending", "prior_ref"):
                assert "allred" not in low and "h-score" not in low and "her2 ihc" not in low, text


def test_fresh_c_wording_is_its_own():
    texts = [corpus.render_report(SEED, i, STYLE, "txt", noise=False)["text"] for i in range(1, 121)]
    joined = "\n".join(texts)
    assert re.search(r"Nottingham score \d\+\d\+\d=\d, grade [123]", joined)
    assert re.search(r"Allred \d \(PS \d, IS \d\) positive", joined)
    assert re.search(r"Sentinel nodes \d+/\d+; non-sentinel \d+/\d+ \(total \d+/\d+\)", joined)
    assert re.search(r"HER2 IHC equivocal \(2\+\); \S+ ratio [\d.]+, (not )?amplified", joined)
    assert re.search(r"y?pT\w+(\(m\))?; y?pN\w+(\(\w+\))?; ", joined)
    assert "SUMMARY OF FINDINGS" in joined.upper() and "SYNOPTIC - " in joined
    assert "ANCILLARY STUDIES - AMENDMENT 2" in joined or "ANCILLARY STUDIES - AMENDMENT 1" in joined
    assert sum(re.search(r"^A\. ", x, re.M) is not None for x in texts) > 10  # lettered parts
    assert sum(re.search(r"^1\. ", x, re.M) is not None for x in texts) > 10  # numbered parts


def test_generate_writes_txt_and_pdf_with_valid_gold(tmp_path):
    rows = corpus.generate(tmp_path, 16, seed=11, styles=(STYLE,), formats={"txt": 1, "pdf": 1})
    assert {r["style"] for r in rows} == {STYLE}
    assert {r["format"] for r in rows} == {"txt", "pdf"}
    assert len(read_labeled(tmp_path / "gold.jsonl")) == len(rows)
    for r in rows:
        path = tmp_path / r["path"]
        if path.suffix == ".txt":
            text = path.read_text("utf-8")
            assert all(v in text for v in r["phi"]), r["path"]
        else:
            text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
        assert text.strip()


def test_default_generation_never_draws_fresh_c(tmp_path):
    rows = corpus.generate(tmp_path, 40, seed=5, formats=("txt",))
    assert STYLE not in {r["style"] for r in rows}
    mix = corpus.generate(tmp_path / "mix", 20, seed=3, styles=("fresh_b", STYLE), formats=("txt",))
    assert STYLE in {r["style"] for r in mix}
