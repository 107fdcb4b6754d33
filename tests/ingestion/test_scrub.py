"""The final scrub (pathx/ingestion/scrub.py) on its own: raw text holding PHI, no de-identification first.

Each form issue 22 found leaking is caught by the scrub alone (the first pass has its own tests,
test_deid_forms.py), clinical tokens stay, placeholders are left alone. Sentences are written here.
"""
from __future__ import annotations

import pytest

from pathx.ingestion.scrub import scrub, scrub_parts
from pathx.outputs.rows import FieldPrediction, evidence_detail, prediction_row

FORMS = [
    ("the prior core biopsy (outside qx14-2875b) showed the same.", ["qx14", "2875"]),
    ("The prior core biopsy (outside QX14-2875B) showed the same.", ["QX14", "2875"]),
    ("see case XQ12-3456C, MRN E1234567, order 12-345678 and 12-sp-34567", ["3456", "1234567", "345678", "34567"]),
    ("labeled with the patient's name (odessa kleinfeld) and \"left breast\"", ["odessa", "kleinfeld"]),
    ("ms. kleinfeld tolerated it; reviewed by dr. marten vossberg.", ["kleinfeld", "marten", "vossberg"]),
    ("Mrs. O'Neil-Haverkamp, PROF. LINDENBROOK and Dr. J. Quarrington", ["Neil", "Haverkamp", "LINDENBROOK", "Quarrington"]),
    ("Patient age 92.", ["92"]),
    ("Age: 97.", ["97"]),
    ("age at diagnosis: 93, now", ["93"]),
    ("Home: Brookhaven MS 39601.", ["Brookhaven", "39601"]),
    ("home: brookhaven, ms 39601; zip 39601-1234", ["brookhaven", "39601"]),
    ("collected march 14, 2023 and 3 Oct 2022; seen 03/14/2023", ["march 14", "Oct 2022", "03/14"]),
    ("Patient: Odessa Kleinfeld-Marsh; later Marsh alone", ["Kleinfeld", "Marsh"]),
]


@pytest.mark.parametrize("text, gone", FORMS)
def test_each_leaked_form_is_removed_by_the_scrub_alone(text, gone):
    out = scrub(text)
    for value in gone:
        assert value not in out, f"{value!r} left in {out!r}"
    assert "[" in out


CLINICAL = [
    "pT2 pN1a(sn) cM0", "ypT1c ypN0", "ER 95%", "PR 0%", "HER2 3+", "HER2 (IHC) 2+, ISH not amplified",
    "tumor 2.3 cm", "Grade 2", "Nottingham grade 3 (3+3+2=8)", "3/12 lymph nodes", "Ki-67 20%",
    "8 o'clock", "A1-A5", "blocks A10-A12 and B1-B3", "SP142", "22C3", "HER2/CEP17 ratio 2.3", "Allred 8/8",
    "MIB-1", "CAP 4.8.1.0", "AJCC 8th edition", "Age 45", "ER positive (90% of cells, strong)", "10:00",
    "6-72 hours in formalin", "pT3(mult)N2aL1V0R0", "G III, pT4bN3aL1V0R0", "The tumor may extend to the margin", "[NAME] [AGE>89] [DATE]",
]


@pytest.mark.parametrize("text", CLINICAL)
def test_clinical_tokens_are_kept(text):
    assert scrub(text) == text


def test_idempotent_and_none_safe():
    text = "reviewed by dr. marten vossberg (outside qx14-2875b), age 93."
    once = scrub(text)
    assert scrub(once) == once and scrub(None) is None and scrub("") == ""


def test_parts_are_scrubbed_as_one_string_and_cut_back():
    parts = scrub_parts(["slides reviewed by dr. ", "marten", " vossberg today; ER 95%"])
    assert parts == ["slides reviewed by dr. ", "[NAME]", " today; ER 95%"]  # placeholder where the span starts


def test_row_evidence_context_is_the_scrubbed_sentence_and_still_holds_the_quote():
    text = ("Patient seen in clinic. ms. kleinfeld, age 93. Estrogen receptor: positive (95%), as on the prior "
            "core biopsy (outside qx14-2875b).\nHER2: negative (1+). Reviewed by dr. marten vossberg.")
    quote = "Estrogen receptor: positive (95%)"
    start = text.index(quote)
    detail = evidence_detail(text, quote, start, start + len(quote), engine="rules", runner_up=None, signals="")
    row = prediction_row("r.txt", None, {"er": FieldPrediction("Positive", evidence=quote, detail=detail)}, "x")
    d = row["evidence_detail"]["er"]
    assert row["evidence"]["er"] == quote
    # the rest of the sentence holds a placeholder: it is cut from the context
    assert d["context"].startswith(quote) and "[ACCESSION]" not in d["context"]
    assert d["context"][d["context_start"]:d["context_start"] + len(d["quote"])] == d["quote"] == quote
    assert (d["start"], d["end"]) == (start, start + len(quote))  # offsets into the de-identified text
    for value in ("kleinfeld", "93", "qx14", "vossberg", "HER2"):
        assert value not in d["context"]


def test_an_unreadable_rules_folder_falls_back_to_the_shipped_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("PATHX_RULES_DIR", str(tmp_path / "unmounted"))
    assert scrub("reviewed by dr. marten vossberg") == "reviewed by dr. [NAME]"


def test_scrub_institutions_towns_phones_ocr_dates_and_ages():
    cases = {
        "Seen at Brackenfield General Hospital today": "[HOSPITAL]",
        "core biopsy at LONGMEADOW CANCER INSTITUTE (see report)": "[HOSPITAL]",
        "copy to northgate valley medical center.": "[HOSPITAL]",
        "Referred by Dr Quell of Lower Tarnby.": "[ADDRESS]",
        "Moved from Elmsworth Falls, OR.": "[ADDRESS]",
        "Tel: 311/555-0187 Fax: 311/555 -0188": "[PHONE]",
        "call 01632 960 123 please": "[PHONE]",
        "printed l4 Octobcr 2O19": "[DATE]",
        "DOB MARCII 2, 1930".replace("MARCII", "MARCH") + " and NOVEMBCR l9, 1928": "[DATE]",
        "on 14.l1.2017 signed": "[DATE]",
        "AGED 9S.": "[AGE>89]",
        "z quellman, md, pathologist": "[NAME]",
        "jar labeled \"Tamsin Orrery - left breast\" received": "[NAME]",
    }
    for text, kind in cases.items():
        out = scrub(text)
        assert kind in out, (text, out)
    assert "Brackenfield" not in scrub("Seen at Brackenfield General Hospital today")
    assert "Orrery" not in scrub('jar labeled "Tamsin Orrery - left breast" received')
    # clinical text next to these forms stays
    for keep in ("pT1N0M0", "T1N0M0", "breast clinic", "Carcinoma, IN SITU", "may I see", "3/12 lymph nodes"):
        assert scrub(keep) == keep, keep


def test_trim_context_drops_identifying_pieces():
    from pathx.ingestion.scrub import trim_context
    before, after = trim_context("Name: [NAME] MRN: [MRN]. Left breast, lumpectomy: ", " is positive. Tel: [PHONE]")
    assert before == "Left breast, lumpectomy: " and after == " is positive"
    assert trim_context("Grade 2. ", " (95%).") == ("Grade 2. ", " (95%).")
