"""The fresh (held-out wording) styles: opt-in, every label value covered, gold true to the text, files written.

These tests check the generator only. They never run the rule engine on the fresh styles: the styles are a
held-out benchmark, and tuning their wording against the engine would spoil that.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from pathx import schema
from pathx.training.labels import read_labeled
from pathxgen import corpus, fresh
from pathxgen.case import Tumour

N = 300
SEED = 4242


def _units(style: str, noise: bool = False) -> list[tuple[Tumour, str, int]]:
    """(tumour, report text, tumours in the report) for N reports of one style, text only (no files)."""
    out = []
    for i in range(1, N + 1):
        rep = corpus.render_report(SEED, i, style, "txt", noise=noise)
        ts = rep["tumours"]
        rows = [t for t in ts if t.kind != "benign"] if len(ts) > 1 else ts
        out += [(t, rep["text"], len(ts)) for t in rows]
    return out


@pytest.fixture(scope="module", params=("fresh_a", "fresh_b"))  # fresh_c: test_fresh_c.py
def units(request) -> tuple[str, list[tuple[Tumour, str, int]]]:
    return request.param, _units(request.param)


def test_fresh_styles_are_opt_in_and_leave_the_default_mix_alone():
    assert set(fresh.FRESH_STYLES) == {"fresh_a", "fresh_b", "fresh_c", "fresh_d"}
    assert not set(fresh.FRESH_STYLES) & set(corpus.STYLES)  # never drawn by default: demo output unchanged
    assert corpus.STYLES == tuple(corpus.STYLE_WEIGHTS)
    assert corpus.ALL_STYLES == corpus.STYLES + fresh.FRESH_STYLES


def test_every_label_value_appears_in_300_reports(units):
    style, rows = units
    for task in schema.TASKS:
        seen = collections.Counter(t.labels()[task] for t, _, _ in rows)
        missing = set(schema.VOCAB[task]) | {None}
        missing -= set(seen)
        assert not missing, (style, task, missing, dict(seen))
    phen = collections.Counter(p for t, _, _ in rows for p in t.phenomena)
    for tag in ("core_biopsy", "size_without_pt", "node_counts_without_pn", "complete_response", "microinvasion"):
        assert phen[tag] >= 3, (style, tag)
    assert sum(n > 1 for _, _, n in rows) >= 20  # bilateral cases


def _t_from_size(mm: float) -> str:
    return "T1" if mm <= 20 else "T2" if mm <= 50 else "T3"


def _fractions(text: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"\((\d+)/(\d+)\)", text)]


def test_gold_follows_the_label_rules_and_the_text(units):
    style, rows = units
    for t, text, n in rows:
        low = " ".join(text.lower().split())  # wrapped lines joined
        low = re.sub(r"previous \w+ breast cancer [^)]*\)", "", low)  # an old cancer's stage is never the answer
        lab = t.labels()
        core = isinstance(t, fresh.CoreBiopsy)
        if core:  # README: core biopsies -> T, N and M not reported; grade and receptors stand
            assert lab["t_stage"] is lab["n_stage"] is lab["m_stage"] is None
            assert not re.search(r"\by?p[tn][0-4i]", low), low
            assert lab["grade"] == (f"G{t.grade}" if t.grade else None)
        elif t.stage_written:
            assert f"{t.prefix}t{t.t_sub}".lower() in low, (style, t.t_sub, text)
        elif n == 1:  # size only: T from the largest invasive dimension, no pT anywhere
            assert not re.search(r"\by?pt[0-4i]", low), text
            assert lab["t_stage"] == _t_from_size(t.size_mm), (t.size_mm, lab)
        nd = t.nodes
        if not core and nd.examined and n == 1:
            pn = re.search(r"\by?pn[0-3]", low)
            assert bool(pn) == (t.nodes_written != "counts"), (t.nodes_written, text)
            if t.nodes_written == "counts":
                fr = _fractions(text)
                if style == "fresh_a":
                    assert f"{nd.positive}/{nd.examined} involved" in text, text
                else:  # fresh_b: node parts sum to the side's counts
                    assert (sum(a for a, _ in fr), sum(b for _, b in fr)) == (nd.positive, nd.examined), (fr, text)
        if n == 1:
            m_text = re.sub(r"p\d,? m\d", "", low)  # the UK grade notation "T3 P2 M1" is not an M stage
            assert bool(re.search(r"\b[cp]?m1\b", m_text)) == (lab["m_stage"] == "M1"), text
            assert bool(re.search(r"\b[cp]?m0\b", m_text)) == (lab["m_stage"] == "M0"), text
            if lab["her2"] == "Equivocal":
                assert "2+" in text and "amplified" not in low
            if t.her2 and t.her2.ish in ("amplified", "not amplified") and lab["her2"]:
                assert ("not amplified" in low) == (lab["her2"] == "Negative"), text
            for name in ("er", "pr"):
                if lab[name] == "Equivocal":
                    assert "equivocal" in low


def test_her2_ish_numbers_match_the_asco_cap_group(units):
    _, rows = units
    for t, _, _ in rows:
        h = t.her2
        if h and h.ish == "amplified":
            assert h.ratio >= 2.0 and h.copies >= 4.0
        elif h and h.ish == "not amplified":
            assert h.ratio < 2.0 and h.copies < 4.0 and abs(h.copies / h.cep17 - h.ratio) <= 0.1


def test_fresh_b_flattens_some_reports_and_writes_counts_in_words():
    rows = _units("fresh_b")
    texts = {text for _, text, _ in rows}
    assert sum("\n\n" not in x for x in texts) > 0.2 * len(texts)  # one line (wrapped for the page at most)
    assert any(re.search(r"\b(one|two|three|four|five) of [a-z-]+ lymph nodes", x.lower()) for x in texts)
    assert sum("ADDENDUM 2" in x for x in texts) >= 10  # HER2 FISH in its own later addendum


def test_generate_writes_txt_and_pdf_with_valid_gold(tmp_path):
    for style in fresh.FRESH_STYLES:
        out = tmp_path / style
        rows = corpus.generate(out, 16, seed=11, styles=(style,), formats={"txt": 1, "pdf": 1})
        assert {r["style"] for r in rows} == {style}
        assert {r["format"] for r in rows} == {"txt", "pdf"}
        assert len(read_labeled(out / "gold.jsonl")) == len(rows)
        for r in rows:
            path = out / r["path"]
            if path.suffix == ".txt":
                text = path.read_text("utf-8")
                assert all(v in text for v in r["phi"]), r["path"]
            else:
                text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
            assert text.strip()


def test_default_generation_never_draws_a_fresh_style(tmp_path):
    rows = corpus.generate(tmp_path, 30, seed=3, formats=("txt",))
    assert not {r["style"] for r in rows} & set(fresh.FRESH_STYLES)
    both = corpus.generate(tmp_path / "mix", 20, seed=3, styles=("fresh_a", "fresh_b"), formats=("txt",))
    assert {r["style"] for r in both} == {"fresh_a", "fresh_b"}
