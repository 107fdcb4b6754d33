"""Segmentation of multi-specimen reports into tumour sites (supplement S1)."""
from __future__ import annotations

import shutil

import pytest
from pypdf import PdfReader

from pathx import paths
from pathx.ingestion.deid import deidentify
from pathx.errors import RuleFileError
from pathxgen.pdfwrite import write_text_pdf
from pathx.ingestion.segment import Segment, segment

# A bilateral report: specimen list, lettered diagnoses (node parts without a side in their
# header), OCR-damaged synoptic headers, a comment for both and an addendum for part C.
BILATERAL = """SURGICAL PATHOLOGY REPORT
Patient: [NAME]   MRN: [MRN]   Accession #: [ACCESSION]
CLINICAL HISTORY: Bilateral breast masses on screening.
SPECIMENS SUBMITTED:
A: Left breast, mastectomy
B: Left axillary sentinel lymph node
C: Right breast, lumpectomy
D: Right axillary sentinel lymph node
FINAL DlAGNOSIS:
A. LEFT BREAST, MASTECTOMY:
   - Invasive ductal carcinoma, Nottingham grade 2 (3+2+2=7), 2.3 cm.
B. SENTINEL LYMPH NODE #1, EXCISION:
   - Metastatic carcinoma in 2/3 lymph nodes.
C. RIGHT BREAST, LUMPECTOMY:
   - Invasive lobular carcinoma, grade 1, 1.1 cm.
D. SENTINEL LYMPH NODE #2, EXCISION:
   - Negative for metastatic carcinoma (0/2).
;YNOPTIC SUMMARY (LEFT BREAST)
Pathologic stage: pT2 pN1a
ER: Positive (95%)
SYNOPTIC SUMMARY (RLGHT BREAST)
Pathologic stage: pT1c pNO
ER: Positive (80%)
COMMENT: Both tumours were reviewed at the breast tumour board.
ADDENDUM (Part C): HER2 FISH not amplified, ratio 1.2.
"""


def _lines(seg: Segment) -> set[str]:
    return set(seg.text.splitlines())


def test_bilateral_lettered_report_splits_into_left_and_right():
    left, right = segment(BILATERAL)
    assert (left.specimen, right.specimen) == ("left", "right")
    for seg in (left, right):  # shared text goes with every unit
        assert {"SURGICAL PATHOLOGY REPORT", "CLINICAL HISTORY: Bilateral breast masses on screening.",
                "FINAL DlAGNOSIS:", "COMMENT: Both tumours were reviewed at the breast tumour board."} <= _lines(seg)
    # node specimens follow their letter's side; stages and receptors do not cross over
    assert "   - Metastatic carcinoma in 2/3 lymph nodes." in _lines(left)
    assert "   - Negative for metastatic carcinoma (0/2)." in _lines(right)
    assert "pT2 pN1a" in left.text and "pT1c" not in left.text and "0/2" not in left.text
    assert "pT1c pNO" in right.text and "pT2" not in right.text and "2/3" not in right.text
    assert "ADDENDUM (Part C): HER2 FISH not amplified, ratio 1.2." in _lines(right)
    assert "ADDENDUM" not in left.text
    # original order kept inside each unit
    assert left.text.index("A. LEFT BREAST") < left.text.index("B. SENTINEL") < left.text.index(";YNOPTIC")


CAP_STYLE = """Final Diagnosis
Part 1: Breast, left, mastectomy - invasive carcinoma, see synoptic report.
Part 2: Breast, right, lumpectomy - ductal carcinoma in situ, see synoptic report.
Breast, Left: Synoptic Report
Procedure: Total mastectomy
Histologic Grade: Nottingham grade 3
pT2 pN0
Breast, Right: Synoptic Report
Procedure: Excision
Tumor Size: DCIS 12 mm
pTis pNX
"""


def test_cap_synoptic_sections_per_side():
    segs = segment(CAP_STYLE)
    assert [s.specimen for s in segs] == ["left", "right"]
    assert "pT2 pN0" in segs[0].text and "pTis" not in segs[0].text
    assert "pTis pNX" in segs[1].text and "Nottingham" not in segs[1].text
    assert segs[0].text.startswith("Final Diagnosis\nPart 1: Breast, left")


NUMBERED = """CLINICAL HISTORY: synchronous bilateral cancers.
DIAGNOSIS:
Part 1: Left breast, lumpectomy:
 - Invasive carcinoma, no special type, grade 2, 1.8 cm.
Part 2: Right breast, lumpectomy
 - Invasive lobular carcinoma, grade 2, 2.6 cm.
Part 3: Left axillary sentinel lymph node:
 - One of one lymph node positive for metastatic carcinoma (1/1).
B) RIGHT AXILLARY SENTINEL LYMPH NODE
 - Isolated tumour cells, pN0(i+) (0/3).
CHECKLIST
Laterality: Right
Margins: negative, 4 mm
"""


def test_numbered_parts_and_laterality_field():
    left, right = segment(NUMBERED)
    assert (left.specimen, right.specimen) == ("left", "right")
    assert "(1/1)" in left.text and "(1/1)" not in right.text
    assert "pN0(i+)" in right.text and "pN0(i+)" not in left.text
    # a checklist without a side in its header takes it from its "Laterality:" field
    assert "Margins: negative, 4 mm" in right.text and "Margins" not in left.text
    assert "CLINICAL HISTORY: synchronous bilateral cancers." in left.text and "DIAGNOSIS:" in right.text


UNILATERAL = """FINAL DIAGNOSIS:
A. LEFT BREAST, MASTECTOMY:
 - Invasive ductal carcinoma, grade 3, 3.1 cm.
B. LEFT AXILLARY SENTINEL LYMPH NODES:
 - Metastatic carcinoma in 3/4 lymph nodes.
SYNOPTIC SUMMARY (LEFT BREAST)
pT2 pN1a
"""


def test_unilateral_report_is_one_unit_without_specimen():
    assert segment(UNILATERAL) == [Segment(None, UNILATERAL)]


def test_benign_contralateral_side_gets_its_own_unit():
    # A prophylactic contralateral mastectomy is a specimen of its own: its unit has no
    # stage evidence (its row reads "not reported") and its node count stays out of the left.
    text = UNILATERAL + """C. RIGHT BREAST, PROPHYLACTIC MASTECTOMY:
 - Benign breast tissue, negative for carcinoma.
D. RIGHT SENTINEL LYMPH NODE:
 - Negative for metastatic carcinoma (0/2).
"""
    left, right = segment(text)
    assert (left.specimen, right.specimen) == ("left", "right")
    assert "3/4" in left.text and "pT2 pN1a" in left.text and "0/2" not in left.text
    assert "0/2" in right.text and "pT2" not in right.text and "3/4" not in right.text
    assert left.text.startswith("FINAL DIAGNOSIS:") and right.text.startswith("FINAL DIAGNOSIS:\nC. RIGHT")


def test_text_without_any_header_is_one_unchanged_unit():
    text = "Invasive ductal carcinoma of the right breast, 1.2 cm, pT1c pN0.\nER positive.\n"
    assert segment(text) == [Segment(None, text)]
    assert segment("") == [Segment(None, "")]


def test_bilateral_report_read_back_from_a_real_pdf(tmp_path):
    raw = BILATERAL.replace("[NAME]", "Doe, Jane").replace("[MRN]", "00482913").replace("[ACCESSION]", "S24-12345")
    pdf = write_text_pdf(tmp_path / "bilateral.pdf", raw)
    extracted = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    segs = segment(deidentify(extracted).text)
    assert [s.specimen for s in segs] == ["left", "right"]
    assert all("Jane" not in s.text and "[NAME]" in s.text for s in segs)
    assert "pT2" in segs[0].text and "pT2" not in segs[1].text


def test_malformed_segment_rules_name_file_and_rule(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), rules)
    monkeypatch.setenv("PATHX_RULES_DIR", str(rules))
    path = rules / "segment.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("laterality_field = '''", "laterality_field = '''(?P<x"), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"segment\.toml: rule 'laterality_field' has a bad regex"):
        segment(BILATERAL)


UK_BILATERAL = """CELLULAR PATHOLOGY REPORT
Specimens:
A. Right breast wide local excision
B. Right axillary sentinel node
C. Left breast mastectomy

Histology:
A. Invasive carcinoma of no special type, scores 3 + 2 + 2 = 7, grade 2.
B. Two nodes, both free of tumour (0/2).
C. Invasive lobular carcinoma, grade 2, 28 mm.

Summary of findings (breast dataset) - LEFT
Side - Left
Invasive tumour size - 28 mm
ER - Positive (Allred 8/8)

MINIMUM DATASET
Side: Right
Invasive tumour size: 14 mm
ER: Negative (Allred 0/8)

Supplementary report
Right breast, HER2 by IHC: score 3+ (positive).
"""


def test_uk_datasets_and_lettered_histology_lines_go_to_their_side():
    units = {s.specimen: s.text for s in segment(UK_BILATERAL)}
    assert set(units) == {"left", "right"}
    left, right = units["left"], units["right"]
    # lettered histology lines follow the side their letter has in the specimen list
    assert "scores 3 + 2 + 2" in right and "scores 3 + 2 + 2" not in left
    assert "Invasive lobular carcinoma" in left and "Invasive lobular carcinoma" not in right
    # dataset blocks: side from the header, else from "Side: ..."
    assert "Allred 8/8" in left and "Allred 8/8" not in right
    assert "Allred 0/8" in right and "Allred 0/8" not in left
    # a supplementary report naming one side goes to that side
    assert "score 3+" in right and "score 3+" not in left


def test_lettered_items_of_a_synoptic_block_are_not_parts():
    text = """FINAL DIAGNOSIS
A. Breast, right; mastectomy: invasive ductal carcinoma, see parameters.
B. Breast, left; mastectomy: invasive lobular carcinoma, see parameters.
Breast Pathologic Parameters (Part A Right Breast)
A. Tumor size: 3.1 cm.
B. Histologic grade: III.
Breast Pathologic Parameters (Part B Left Breast)
A. Tumor size: 1.2 cm.
B. Histologic grade: I.
"""
    units = {s.specimen: s.text for s in segment(text)}
    assert "3.1 cm" in units["right"] and "grade: III" in units["right"]
    assert "3.1 cm" not in units["left"] and "1.2 cm" in units["left"] and "grade: I." in units["left"]


def test_a_lettered_line_of_an_unknown_letter_stays_in_its_block():
    text = """A. Left breast, excision: invasive carcinoma, grade 1.
B. Right breast, excision: invasive carcinoma, grade 3.
Comment:
X. This line is not a specimen, and nothing below it changes.
"""
    units = {s.specimen: s.text for s in segment(text)}
    assert all("X. This line" in t for t in units.values())  # a shared comment reaches both sides


def test_a_side_holds_a_tumour_only_by_its_own_blocks():
    """A shared note naming carcinoma does not make a benign side a tumour specimen."""
    from pathx.ingestion.pipeline import IngestOptions, units_from_text
    from pathx.rules.engine import RuleEngine

    text = """FINAL DIAGNOSIS:
A) RIGHT BREAST, EXCISION: FIBROCYSTIC CHANGE. NO MALIGNANCY.
B) LEFT BREAST, MASTECTOMY: INFILTRATING DUCTAL CARCINOMA, 2.5 CM.
NOTE: The invasive carcinoma is a T2 tumour; see synoptic report.
"""
    units = units_from_text(text, "r.txt", RuleEngine.load(), IngestOptions())
    assert [u.specimen for u in units] == [None]


def test_a_biomarker_block_after_a_sides_synoptic_continues_it():
    text = """DIAGNOSIS:
A. LEFT BREAST, MASTECTOMY: invasive ductal carcinoma.
B. RIGHT BREAST, LUMPECTOMY: invasive lobular carcinoma.
Tumor summary, left breast:
TNM: pT2 pN0
Breast biomarker testing:
Estrogen receptor: 95 percent, strong.
CAP CANCER CASE SUMMARY
Laterality: Right
TNM: pT1c pN0
Immunohistochemistry:
ER: Negative (0 percent).
"""
    units = {s.specimen: s.text for s in segment(text)}
    assert "95 percent" in units["left"] and "95 percent" not in units["right"]
    assert "Negative (0 percent)" in units["right"] and "Negative (0 percent)" not in units["left"]
