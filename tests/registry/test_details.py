"""Detail values (pathx/registry/details.py): categories as written, assay results, and agreement with the
grouped values over a generated corpus. Sentences are our own, in the shapes pathology reports use."""
from __future__ import annotations

import re

import pytest

from pathx.ingestion.pipeline import IngestOptions, units_for_examples
from pathx.registry.details import DETAIL_COLUMNS, details
from pathx.rules.engine import RuleEngine
from pathx.training.labels import read_labeled
from pathxgen import corpus


@pytest.fixture(scope="module")
def engine():
    return RuleEngine.load()


def _details(engine, text):
    return details(engine, text, engine.extract(text))


@pytest.mark.parametrize("text, expect", [
    ("DIAGNOSIS: invasive ductal carcinoma. Stage: ypT1c ypN0 cM0(i+)",
     {"t_detail": "ypT1c", "n_detail": "ypN0", "m_detail": "cM0(i+)"}),
    ("AJCC: pT1mi pN1mi(sn) pMX", {"t_detail": "pT1mi", "n_detail": "pN1mi(sn)", "m_detail": None}),
    ("Pathologic stage: pT2(m) pN0 (i+)", {"t_detail": "pT2(m)", "n_detail": "pN0(i+)"}),
    ("Staging (AJCC 8th): pT3 pN2a pM1", {"t_detail": "pT3", "n_detail": "pN2a", "m_detail": "pM1"}),
])
def test_tnm_categories_as_written(engine, text, expect):
    got = _details(engine, text)
    for col, value in expect.items():
        assert got[col] == value, (col, got)


def test_size_only_t_gives_no_t_detail(engine):
    got = _details(engine, "Invasive ductal carcinoma. Tumor size: 2.4 cm in greatest dimension.")
    assert engine.extract("Invasive ductal carcinoma. Tumor size: 2.4 cm in greatest dimension.")["t_stage"]
    assert got["t_detail"] is None


@pytest.mark.parametrize("text, ihc, ish", [
    ("HER2 by IHC: 2+ (equivocal). HER2 FISH: amplified, HER2/CEP17 ratio 2.4.", "2+", "amplified"),
    ("HER2 (4B5): score 0, negative.", "0", None),
    ("HER2 immunohistochemistry: 3+ positive.", "3+", None),
    ("HER2 IHC 2+; dual-probe ISH not amplified (ratio 1.2).", "2+", "not amplified"),
])
def test_her2_assays(engine, text, ihc, ish):
    got = _details(engine, text)
    assert (got["ihc_her2"], got["ish_her2"]) == (ihc, ish), got


def test_receptor_percentages(engine):
    got = _details(engine, "Estrogen receptor: positive (90% strong). Progesterone receptor: negative, <1% of nuclei.")
    assert (got["er_percent"], got["pr_percent"]) == ("90", "<1")


def _group(col: str, detail: str) -> str:
    letter = col[0].upper()
    cat = re.sub(rf"^y?[pc]?{letter}", "", detail).split("(")[0]
    if cat.startswith("is"):
        return "Tis"
    return f"{letter}1mi" if cat == "1mi" and letter == "N" else f"{letter}{cat[0]}"


@pytest.mark.slow
def test_details_agree_with_grouped_values_over_a_generated_corpus(engine, tmp_path):
    corpus.generate(tmp_path, 60, seed=31, formats=("txt",))
    examples = read_labeled(tmp_path / "gold.jsonl")
    units, _ = units_for_examples(examples, engine, IngestOptions())
    filled = dict.fromkeys(DETAIL_COLUMNS, 0)
    for unit in units:
        findings = engine.extract(unit.text)
        got = details(engine, unit.text, findings)
        for col, task in (("t_detail", "t_stage"), ("n_detail", "n_stage"), ("m_detail", "m_stage")):
            if got[col]:
                assert findings[task] is not None and _group(col, got[col]) == findings[task].value, (col, got[col])
        if got["ihc_her2"] or got["ish_her2"]:
            assert findings["her2"] is not None
        for col, task in (("er_percent", "er"), ("pr_percent", "pr")):
            if got[col]:
                assert findings[task] is not None
        for col in DETAIL_COLUMNS:
            filled[col] += got[col] is not None
    # Generated reports write categories and assay results often: each detail must show up.
    assert all(n > 0 for n in filled.values()), filled


def test_run_rows_on_the_demo_corpus_keep_details_in_line_with_their_grouped_values(tmp_path):
    """`pathx run` over a demo corpus (text and text-PDF reports): every detail value written to a row
    agrees with the grouped value of that row, and the stage groups are those of the row's labels."""
    from pathx.predictors.factory import make_predictor
    from pathx.registry.staging import anatomic_stage, prognostic_stage
    from pathx.run.runner import run_folder
    from pathx.outputs.rows import read_rows

    corpus.generate(tmp_path / "demo", 40, seed=0, formats=("txt", "pdf"))
    out = tmp_path / "out.jsonl"
    run_folder(tmp_path / "demo", out, make_predictor("rules"), progress="quiet")
    rows = [r for r in read_rows(out) if r["status"] == "ok"]
    assert len(rows) >= 40
    seen = 0
    for r in rows:
        for col, task in (("t_detail", "t_stage"), ("n_detail", "n_stage"), ("m_detail", "m_stage")):
            if r[col]:
                seen += 1
                assert _group(col, r[col]) == r[task], (r["file"], col, r[col], r[task])
        for col, task in (("ihc_her2", "her2"), ("ish_her2", "her2"), ("er_percent", "er"), ("pr_percent", "pr")):
            if r[col]:
                assert r[task] is not None, (r["file"], col)
        assert r["anatomic_stage"] == anatomic_stage(r["t_stage"], r["n_stage"], r["m_stage"])
        assert r["prognostic_stage"] == prognostic_stage(
            r["t_stage"], r["n_stage"], r["m_stage"], r["grade"], r["er"], r["pr"], r["her2"],
            yp=(r["t_detail"] or "").startswith("yp"))
    assert seen > 20
    assert any(r["anatomic_stage"] for r in rows)
