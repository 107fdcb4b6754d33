"""The synthetic corpus: reproducible, valid labels, long-tailed classes, gold true to the files, PHI present."""

from __future__ import annotations

import collections
import hashlib
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from pathx import schema

from pathxgen import corpus
from pathx.training.labels import read_labeled


def _text(path: Path) -> str:
    if path.suffix == ".txt":
        return path.read_text(encoding="utf-8")
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, list[dict]]:
    """400 noise-free txt/PDF reports: file text can be checked against gold without OCR errors."""
    out = tmp_path_factory.mktemp("clean")
    return out, corpus.generate(out, 400, seed=3, formats=("txt", "pdf"), noise=False)


def test_same_seed_same_files_and_gold_and_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    fmts = {"txt": 1, "pdf": 1, "scanned": 0.3}
    corpus.generate(a, 25, seed=7, formats=fmts)
    corpus.generate(b, 25, seed=7, formats=fmts)
    corpus.generate(c, 25, seed=8, formats=fmts)
    assert any(p.suffix == ".pdf" for p in a.iterdir())
    assert _digest(a) == _digest(b)  # byte-identical, scanned PDFs included
    assert (a / "gold.jsonl").read_text() != (c / "gold.jsonl").read_text()


def test_gold_is_valid_labelled_data_with_contract_vocabularies(clean):
    out, rows = clean
    examples = read_labeled(out / "gold.jsonl")  # the format pathx fit reads; raises on any bad line
    assert len(examples) == len(rows) > 400  # bilateral reports give two units
    for row in rows:
        assert set(row["labels"]) == set(schema.TASKS)
        for task, value in row["labels"].items():
            assert value is None or value in schema.VOCAB[task], (row["id"], task, value)
        assert row["style"] in corpus.STYLES and row["phenomena"] and row["phi"]
        assert (out / row["path"]).is_file()
    bilateral = [r for r in rows if r["specimen"] is not None]
    assert bilateral and {r["specimen"] for r in bilateral} == {"left", "right"}
    assert all(r["id"].endswith(":" + r["specimen"]) for r in bilateral)


def test_class_balance_is_long_tailed_like_a_cohort():
    rows = []
    for i in range(1, 1800):  # text only, no files: the label distribution of ~2,000 units
        style = corpus.STYLES[i % len(corpus.STYLES)]
        rows += [t.labels() for t in corpus.render_report(1, i, style, "txt", noise=False)["tumours"]]
    assert len(rows) >= 1900

    def share(task: str, label: str | None) -> float:
        known = [r[task] for r in rows if r[task] is not None] if label is not None else [r[task] for r in rows]
        return sum(v == label for v in known) / len(known)

    t = collections.Counter(r["t_stage"] for r in rows if r["t_stage"])
    n = collections.Counter(r["n_stage"] for r in rows if r["n_stage"])
    g = collections.Counter(r["grade"] for r in rows if r["grade"])
    assert t.most_common(1)[0][0] == "T1" and share("t_stage", "T1") > 0.4
    assert n.most_common(1)[0][0] == "N0" and share("n_stage", "N0") > 0.55
    assert g.most_common(1)[0][0] == "G2"
    for task, label in [
        ("t_stage", "T4"),
        ("n_stage", "N3"),
        ("m_stage", "M1"),
        ("her2", "Positive"),
        ("her2", "Equivocal"),
        ("t_stage", "T0"),
        ("t_stage", "Tis"),
        ("n_stage", "N1mi"),
    ]:
        assert 0.02 <= share(task, label) <= 0.25, (task, label, share(task, label))
    assert share("m_stage", None) > 0.6  # M mostly not stated
    assert 0.72 <= share("er", "Positive") <= 0.88
    assert 0.0 < share("er", "Equivocal") < 0.02


def test_every_style_and_format_is_produced(tmp_path):
    rows = corpus.generate(tmp_path, 80, seed=5, formats={"txt": 1, "pdf": 1, "scanned": 0.4})
    assert {r["style"] for r in rows} == set(corpus.STYLES) and len(corpus.STYLES) >= 7
    assert {r["format"] for r in rows} == {"txt", "pdf", "scanned"}
    scanned = next(tmp_path / r["path"] for r in rows if r["format"] == "scanned")
    reader = PdfReader(scanned)
    assert not (reader.pages[0].extract_text() or "").strip()  # image only: no text layer
    assert "/XObject" in reader.pages[0]["/Resources"]


def test_held_out_styles_and_bad_arguments(tmp_path):
    rows = corpus.generate(tmp_path, 30, seed=2, styles=["consult", "legacy"], formats=("txt",))
    assert {r["style"] for r in rows} == {"consult", "legacy"}
    assert {r["format"] for r in rows} == {"txt"}
    with pytest.raises(ValueError, match="nonesuch"):
        corpus.generate(tmp_path, 1, styles=["nonesuch"])
    with pytest.raises(ValueError, match="docx"):
        corpus.generate(tmp_path, 1, formats=("docx",))


@pytest.mark.slow
def test_planted_phi_is_in_the_txt_and_text_pdf_files(clean):
    out, rows = clean
    kinds = collections.Counter()
    for row in rows:
        text = _text(out / row["path"])
        missing = [v for v in row["phi"] if v not in text]
        assert not missing, (row["path"], missing)
        kinds.update(row["phi_kinds"])
    for kind in ("name", "mrn", "date", "accession", "phone", "address", "age"):
        assert kinds[kind] > 0, kind
    assert any(re.fullmatch(r"[A-Z'\-]+, [A-Z'\-]+ [A-Z]", v) for r in rows for v in r["phi"])  # DOE, JANE A
    assert any(re.fullmatch(r"S\d\d-\d{6}", v) for r in rows for v in r["phi"])  # S24-012345


def test_phi_false_writes_placeholders(tmp_path):
    rows = corpus.generate(tmp_path, 5, seed=1, formats=("txt",), phi=False)
    assert all(r["phi"] == [] for r in rows)
    assert "[NAME]" in (tmp_path / rows[0]["path"]).read_text()


@pytest.mark.slow
def test_gold_agrees_with_file_text(clean):
    """Handwritten invariants: the text holds the evidence for each rare or tricky label."""
    out, rows = clean
    seen = collections.Counter()
    for row in rows:
        lab, text = row["labels"], _text(out / row["path"])
        low = text.lower()
        if lab["t_stage"] == "T4":
            seen["T4"] += 1
            assert re.search(r"skin|chest wall|t4|inflammatory", low), row["id"]
        if lab["t_stage"] == "T0":
            seen["T0"] += 1
            assert "no residual" in low and "t0" in low and lab["grade"] is None, row["id"]
        if lab["t_stage"] == "Tis":
            seen["Tis"] += 1
            assert lab["grade"] is None and re.search(r"in[ -]situ|dcis|intraductal", low), row["id"]
        if lab["m_stage"] == "M1":
            seen["M1"] += 1
            assert "m1" in low and "metasta" in low, row["id"]
        if lab["n_stage"] == "N1mi":
            seen["N1mi"] += 1
            assert re.search(r"n1mi|micromet", low), row["id"]
        if lab["her2"] == "Equivocal":
            seen["HER2 equivocal"] += 1
            assert "2+" in text and re.search(r"pending|to follow|reported separately|in progress", low), row["id"]
        if lab["her2"] == "Positive":
            assert re.search(r"3\+|amplified|amp\b|fish \+", low), row["id"]
        single = row["specimen"] is None and row["style"] != "checkbox"  # checkbox forms list every pT option
        if single and lab["t_stage"] != "T4":
            assert not re.search(r"\bp?t4[abcd]?\b", low.split("diagnosis", 1)[-1]), row["id"]
        if row["style"] == "addendum" and lab["er"] is not None:
            assert "addendum" in low, row["id"]
        if "biomarkers_pending" in row["phenomena"] or "biomarkers_prior_ref" in row["phenomena"]:
            assert lab["er"] is None and lab["pr"] is None and lab["her2"] is None
        if single and "size_without_pt" in row["phenomena"]:
            assert not re.search(rf"\bp{lab['t_stage'].lower()}", low.split("diagnosis", 1)[-1]), row["id"]
    assert min(seen.values()) >= 1 and len(seen) == 6, seen


def test_noise_changes_text_but_not_labels():
    changed = 0
    for i in range(1, 200):
        clean = corpus.render_report(4, i, "cap_synoptic", "txt", noise=False)
        noisy = corpus.render_report(4, i, "cap_synoptic", "txt", noise=True)
        assert [t.labels() for t in clean["tumours"]] == [t.labels() for t in noisy["tumours"]]
        assert noisy["phi"] == clean["phi"]  # PHI is never corrupted by the noise
        if noisy["tags"]:
            changed += 1
            assert noisy["text"] != clean["text"]
    assert 30 <= changed <= 100


@pytest.mark.slow
def test_generation_of_many_reports_completes(tmp_path):
    """300 reports of both formats (generation speed is not asserted: a busy machine is slow, not wrong)."""
    rows = corpus.generate(tmp_path, 300, seed=11, formats=("txt", "pdf"))
    assert len({r["path"] for r in rows}) == 300


def test_gold_jsonl_matches_returned_rows(clean):
    out, rows = clean
    lines = [json.loads(x) for x in (out / "gold.jsonl").read_text().splitlines()]
    assert lines == rows
