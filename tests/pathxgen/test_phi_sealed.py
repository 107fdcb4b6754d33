"""The sealed PHI corpus generator: deterministic, every planted string in its file, every kind and variant present.

Checks the generator only: no leak assertion here (the de-identifier is measured by bench/phi_sealed.py).
"""

from __future__ import annotations

import collections
import json
import re

from pathxgen import phi_sealed

N = 120


def test_deterministic_and_seeded(tmp_path):
    a = phi_sealed.generate(tmp_path / "a", n=15, seed=7)
    b = phi_sealed.generate(tmp_path / "b", n=15, seed=7)
    c = phi_sealed.generate(tmp_path / "c", n=15, seed=8)
    assert a == b
    for m in a:
        assert (tmp_path / "a" / m["file"]).read_bytes() == (tmp_path / "b" / m["file"]).read_bytes()
    assert [(tmp_path / "a" / m["file"]).read_text() for m in a] != [(tmp_path / "c" / m["file"]).read_text() for m in c]
    assert (tmp_path / "a" / "planted.jsonl").read_bytes() == (tmp_path / "b" / "planted.jsonl").read_bytes()


def test_planted_strings_occur_and_cover_every_kind(tmp_path):
    manifest = phi_sealed.generate(tmp_path, n=N, seed=0)
    rows = [json.loads(x) for x in (tmp_path / "planted.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows == manifest
    assert [r["file"] for r in rows] == [f"{i:03d}.txt" for i in range(1, N + 1)]
    kinds = collections.Counter()
    variants = collections.Counter()
    for r in rows:
        text = (tmp_path / r["file"]).read_text(encoding="utf-8")
        assert r["planted"], r["file"]
        for p in r["planted"]:
            assert p["kind"] in phi_sealed.KINDS
            assert len(p["text"].strip()) >= phi_sealed.MIN_LEN
            assert p["text"] in text, (r["file"], p)
            kinds[p["kind"]] += 1
        variants.update(r["variants"])
        variants["corpus_body" if r["corpus_body"] else "own_body"] += 1
        variants[r["region"]] += 1
        variants["consult" if r["consult"] else "report"] += 1
        # a believable breast pathology report: tumour, grade, receptors, stage
        low = text.lower()
        assert "breast" in low and re.search(r"carcinoma|\bidc\b|\bilc\b|dcis", low), r["file"]
    assert set(kinds) == set(phi_sealed.KINDS), set(phi_sealed.KINDS) - set(kinds)
    for v in ("upper", "lower", "ocr", "flattened", "corpus_body", "own_body", "us", "uk", "ca", "consult"):
        assert variants[v], v


def test_places_real_reports_hold_identifiers(tmp_path):
    manifest = phi_sealed.generate(tmp_path, n=N, seed=0)
    texts = {m["file"]: (tmp_path / m["file"]).read_text(encoding="utf-8") for m in manifest}
    allt = "\n".join(texts.values())
    for pat in (
        r"(?i)labeled with the patient's name",
        r"(?i)dear dr\.? ",
        r"(?i)page 2 of [234]",
        r"(?i)addendum",
        r"(?i)age: 9\d\.",
        r"\(\w+-?\d\d-\d+[A-C]\d?\)",  # outside case number with the part letter glued on
        r"\b\d\d\.\d\d\.(19|20)\d\d\b",  # dd.mm.yyyy
        r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b",
        r"\b\d{3} \d{3} \d{4}\b",  # NHS number
        r"\b[A-Z]\d[A-Z] \d[A-Z]\d\b",  # Canadian postal code
        r"O'|D'",  # apostrophe surnames
    ):
        assert re.search(pat, allt), pat
    # flattened documents are one line
    flat = [m for m in manifest if "flattened" in m["variants"]]
    assert flat and all(texts[m["file"]].rstrip("\n").count("\n") == 0 for m in flat)
    # a name is planted whole and its parts separately
    m = next(m for m in manifest if any(p["kind"] == "name" for p in m["planted"]))
    parts = {p["text"] for p in m["planted"] if p["kind"] == "name_part"}
    whole = [p["text"] for p in m["planted"] if p["kind"] == "name"]
    assert any(any(x in w for x in parts) for w in whole)
