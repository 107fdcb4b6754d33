"""Real-report text: reflow of flattened OCR text, lettered parts with their sides, and the phrasing
families found in real breast reports (issue 15).

Every snippet is written here in the shape real TCGA reports take (one line, lines joined by ". ",
capitals, numbers in words, tables split over lines); none is copied from a report. Each family test
runs the text the way `pathx run` does: reflow, then the rule engine (or segmentation).
"""
from __future__ import annotations

import pytest

from pathx.ingestion.pipeline import IngestOptions, units_from_text
from pathx.rules.engine import RuleEngine
from pathx.ingestion.segment import reflow, segment


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    return RuleEngine.load()


def flat(*lines: str) -> str:
    """Lines joined the way OCR export flattens them: one line, '. ' between lines."""
    return ". ".join(lines) + "."


def read(engine: RuleEngine, text: str) -> dict[str, str | None]:
    found = engine.extract(reflow(text))
    return {t: (f.value if f else None) for t, f in found.items()}


# Real flattened reports are long lines (3-10 k characters); reflow only touches lines over 300.
FILLER = ("The specimen is received in formalin and labelled with the name of the patient",
          "Sections are submitted in twelve cassettes as listed in the block key",
          "The remaining tissue is retained in the laboratory for four weeks",
          "Slides were reviewed at the departmental consensus conference")


# ---------------------------------------------------------------- reflow

def test_reflow_restores_lines_and_keeps_every_offset():
    text = flat("SURGICAL PATHOLOGY REPORT", "FINAL DIAGNOSIS", "A. Breast, left, lumpectomy: invasive lobular carcinoma",
                "The mass is firm and", "measures 2 cm", *FILLER, "COMMENT", "Dr. Smith reviewed the slides")
    out = reflow(text)
    assert len(out) == len(text)  # spans found in the reflowed text point into the original
    lines = out.splitlines()
    assert "FINAL DIAGNOSIS." in lines  # a header on its own line again
    assert any(line.startswith("A. Breast, left, lumpectomy") for line in lines)  # enumerator kept with its heading
    assert "The mass is firm and  measures 2 cm." in lines  # a sentence cut by a lost line break reads whole
    assert any(line.startswith("COMMENT.") for line in lines)
    assert "Dr. Smith reviewed the slides." in lines  # no break after an abbreviation


def test_reflow_turns_table_breaks_into_label_value_pairs():
    text = flat("IMMUNOHISTOCHEMISTRY RESULTS", "ER", "95%", "PR", "0%", "HER2", "2+", *FILLER,
                "NOTTINGHAM HISTOLOGIC GRADE", "2", "(SEE NOTE)")
    out = reflow(text)
    assert "ER: 95%" in out and "PR: 0%" in out and "HER2: 2+" in out
    assert "GRADE: 2" in out


def test_reflow_leaves_formatted_text_alone():
    text = "FINAL DIAGNOSIS:\nA. Left breast: invasive ductal carcinoma. Margins negative.\n" * 3
    assert reflow(text) == text


# ---------------------------------------------------------------- segmentation of lettered parts

def test_flattened_lettered_parts_split_by_the_side_in_each_heading():
    text = flat(
        "FINAL DIAGNOSIS",
        "A. Breast, right; total mastectomy: - Invasive ductal carcinoma, Nottingham grade 3, see synopsis",
        "- Six lymph nodes, negative for carcinoma (0/6)",
        "B. Breast, left; total mastectomy: - Invasive lobular carcinoma, Nottingham grade 1, see synopsis",
        "- Two of five lymph nodes positive for carcinoma (2/5)",
        "Breast Tumor Parameters (Part A Right Breast)", "1. Size: 3.1 cm", "2. pTNM: pT2 pN0",
        "Breast Tumor Parameters (Part B Left Breast)", "1. Size: 1.4 cm", "2. pTNM: pT1c pN1a",
        *FILLER,
    )
    engine = RuleEngine.load()
    units = units_from_text(text, "x.txt", engine, IngestOptions())
    by_side = {u.specimen: {t: (f.value if f else None) for t, f in u.findings.items()} for u in units}
    assert list(by_side) == ["right", "left"]
    assert by_side["right"]["t_stage"] == "T2" and by_side["right"]["n_stage"] == "N0"
    assert by_side["right"]["grade"] == "G3"
    assert by_side["left"]["t_stage"] == "T1" and by_side["left"]["n_stage"] == "N1"
    assert by_side["left"]["grade"] == "G1"


def test_reflowed_segments_keep_the_report_text():
    text = flat("FINAL DIAGNOSIS", "A. Breast, right, excision: carcinoma", "B. Breast, left, excision: carcinoma", *FILLER)
    segs = segment(reflow(text))
    assert [s.specimen for s in segs] == ["right", "left"]


# ---------------------------------------------------------------- T

@pytest.mark.parametrize("sentence, want", [
    ("The tumor is 3.2 x 2.0 x 1.5 cm in dimensions", "T2"),
    ("Tumor is 1.6 by 1.1 by 0.9 cm", "T1"),
    ("Invasive ductal carcinoma (maximum tumor diameter 5.6 cm, malignancy grade 2)", "T3"),
    ("SIZE OF TUMOR: Maximum dimension invasive component: 1.9 cm", "T1"),
    ("Invasive lobular carcinoma forming a 2.4 x 2.2 x 2 cm mass", "T2"),
    ("INVASIVE DUCTAL CARCINOMA, GRADE II. (MODERATE TUBULE FORMATION). MEASURING 2.6 CM IN GREATEST DIMENSION", "T2"),
    ("Tumor classification: pT2m (maximum diameter 2.9 cm), pN0", "T2"),
    ("Tumor classification: NOS, G III, pT3(mult)N2aL1V0R0", "T3"),
    ("invasive carcinoma (AJCCpt2), no lymphovascular invasion", "T2"),
])
def test_t_from_written_category_or_largest_dimension(engine, sentence, want):
    assert read(engine, flat("DIAGNOSIS", sentence, *FILLER))["t_stage"] == want


def test_comma_decimals_are_read_as_decimals(engine):
    assert read(engine, flat("Diagnosis", "Invasive carcinoma. Tumour sized 1,8 x 1,2 x 1,0 cm", *FILLER))["t_stage"] == "T1"


# ---------------------------------------------------------------- N

@pytest.mark.parametrize("sentence, want", [
    ("LEFT AXILLARY LYMPH NODES: Five (out of sixteen) axillary lymph nodes are positive for metastatic carcinoma", "N2"),
    ("Metastatic carcinoma in twenty-one of twenty-four (21/24) axillary lymph nodes", "N3"),
    ("Tumor classification: NOS, G II, pT2NOi+(sn)LOVORO", "N0"),
    ("Tumor classification: G III, pT4b(mult)N3aL1V0R0", "N3"),
])
def test_n_from_category_suffixes_and_counts_in_words(engine, sentence, want):
    assert read(engine, flat("DIAGNOSIS", sentence, *FILLER))["n_stage"] == want


@pytest.mark.parametrize("heading", [
    "LYMPH NODES",
    "Lymph nodes, right axillary sentinel #1 & #2, excisions -",
])
def test_node_heading_with_its_result_on_the_next_line(engine, heading):
    assert read(engine, flat("DIAGNOSIS", heading, "Negative for malignancy", *FILLER))["n_stage"] == "N0"


# ---------------------------------------------------------------- grade

@pytest.mark.parametrize("sentence, want", [
    ("Microscopic description: Carcinoma ductale invasivum - NHG2 (3+2+1: 4 mitoses/10 HPF)", "G2"),
    ("Invasive carcinoma of the left breast (NHG 3, pT1c)", "G3"),
    ("Invasive mammary carcinoma, no special type, high combined histologic grade", "G3"),
    ("INVASIVE DUCTAL CARCINOMA, HIGH NUCLEAR GRADE, NOTTINGHAM HISTOLOGIC GRADE: 3", "G3"),
])
def test_grade_phrasings(engine, sentence, want):
    assert read(engine, flat("DIAGNOSIS", sentence, *FILLER))["grade"] == want


def test_grade_legend_is_not_a_grade(engine):
    text = flat("DIAGNOSIS", "Invasive carcinoma, nuclear grade 3", *FILLER, "Histologic grades are reported as G1-G3")
    assert read(engine, text)["grade"] is None


# ---------------------------------------------------------------- receptors

@pytest.mark.parametrize("lines, er, pr", [
    (("Results of immunohistochemical examination: Estrogen receptors found in about 60% of tumour cell nuclei",
      "No progesterone receptors found in tumour cell nuclei"), "Positive", "Negative"),
    (("- STUDIES FOR ESTROGEN AND PROGESTERONE RECEPTORS (ER/PR) ARE POSITIVE",), "Positive", "Positive"),
    (("Staining for estrogen and progesterone receptors is negative",), "Negative", "Negative"),
    (("Tumour cells are positive for estrogen and progesterone receptors",), "Positive", "Positive"),
    (("MARKER", "RESULT", "Estrogen Receptor", "Positive: 85 %", "Progesterone Receptor", "Negative: 0 %"),
     "Positive", "Negative"),
    (("Estrogen Receptor: - Performed on block A3: Results: Immunoreactive tumor cells present (90%)",
      "Progesterone Receptor", "- Performed on block A3: Results: Immunoreactive tumor cells present (2%)"),
     "Positive", "Positive"),
])
def test_receptor_free_text_and_table_rows(engine, lines, er, pr):
    found = read(engine, flat("CLINICAL HISTORY", "Mass on imaging", "DIAGNOSIS", *lines, *FILLER))
    assert (found["er"], found["pr"]) == (er, pr)


@pytest.mark.parametrize("lines, want", [
    (("HER2 protein stained with a rabbit monoclonal antibody", "Positive reaction in invasive tumour cells ( Score = 3+ )"),
     "Positive"),
    (("HER2 protein stained with a rabbit monoclonal antibody", "Negative reaction in invasive tumour cells (Score = 1+)"),
     "Negative"),
    (("HER2/neu", "- Performed on block A3: Results: Negative (Score 0)"), "Negative"),
    (("HER-2/neu overexpression", "Negative", "Focal 1+"), "Negative"),
])
def test_her2_result_on_the_line_after_its_label(engine, lines, want):
    assert read(engine, flat("DIAGNOSIS", *lines, *FILLER))["her2"] == want


# ---------------------------------------------------------------- printed forms and consults

def test_unchecked_form_boxes_are_not_answers(engine):
    text = ("FINAL DIAGNOSIS:\nLeft breast, excision: invasive ductal carcinoma.\n\nCHECKLIST\n"
            "Primary tumor (pT)\n  [ ] pTis\n  [ ] pT1b\n  [X] pT1c\n  [ ] pT2\n"
            "Histologic grade\n  ___ Grade 1  _X_ Grade 2  ___ Grade 3\n"
            "Distant metastasis (pM) ... M0\n")
    found = read(engine, text)
    assert (found["t_stage"], found["grade"], found["m_stage"]) == ("T1", "G2", "M0")


@pytest.mark.parametrize("label", ["M category = M0", "Distant Metastasis (M) = M0", "Distant metastasis (pM) ... M0"])
def test_m_after_its_label_with_any_separator(engine, label):
    assert read(engine, f"FINAL DIAGNOSIS:\nInvasive carcinoma, pT2 pN0.\n{label}\n")["m_stage"] == "M0"


def test_consultant_reading_beats_the_quoted_outside_reading(engine):
    text = ("OUR DIAGNOSIS:\nRight breast, lumpectomy: invasive carcinoma, Nottingham grade 2, 14 mm.\n\n"
            "COMMENT:\nThe outside report lists Nottingham grade 3; on our review the tumour is grade 2.\n")
    found = engine.extract(text)
    assert found["grade"].value == "G2" and found["grade"].section == "final_diagnosis"


def test_lettered_templates_take_their_side_from_the_parts_list():
    text = flat(
        "FINAL DIAGNOSIS", "A. Breast, left, excision -", "Invasive lobular carcinoma",
        "B. Breast, right, excision -", "Invasive ductal carcinoma",
        "Microscopic Description", "A. The following template summarizes the findings in this part: Invasive carcinoma: Present",
        "Histologic grade: Overall grade: 1", "Comments: There is also lobular carcinoma in situ", "Estrogen receptor: 90%",
        "B. The following template summarizes the findings in this part: Invasive carcinoma: Present",
        "Histologic grade: Overall grade: 3", "Comments: None", "Estrogen receptor: 0%", *FILLER,
    )
    engine = RuleEngine.load()
    units = units_from_text(text, "x.txt", engine, IngestOptions())
    got = {u.specimen: (u.findings["grade"].value, u.findings["er"].value) for u in units}
    assert got == {"left": ("G1", "Positive"), "right": ("G3", "Negative")}


def test_micrometastasis_written_in_brackets(engine):
    assert read(engine, flat("Diagnosis", "Invasive ductal carcinoma (NHG2; pT1c; pN1(mi))", *FILLER))["n_stage"] == "N1mi"


def test_count_and_its_nodes_on_separate_lines(engine):
    assert read(engine, flat("DIAGNOSIS", "AXILLARY DISSECTION: NO CARCINOMA IDENTIFIED IN 12", "LYMPH NODES", *FILLER))["n_stage"] == "N0"


def test_isolated_tumour_cells_only_are_n0(engine):
    assert read(engine, flat("DIAGNOSIS", "Total lymph nodes: 1/3", "Type of metastasis: ITC", *FILLER))["n_stage"] == "N0"


def test_a_definition_is_not_a_result(engine):
    text = ("FINAL DIAGNOSIS:\nInvasive carcinoma.\nSPECIMEN:\nPR: Positive (Allred 6)\n"
            "COMMENT: ER/PR negative is defined as an Allred score of 2 or less.\n")
    assert engine.extract(text)["pr"].value == "Positive"


def test_a_benign_contralateral_side_gives_no_row_of_its_own():
    engine = RuleEngine.load()
    one_tumour = ("FINAL DIAGNOSIS:\nA. LEFT BREAST, MASTECTOMY:\n - Invasive ductal carcinoma, 2.4 cm, pT2 pN1a.\n"
                  "B. RIGHT BREAST, PROPHYLACTIC MASTECTOMY:\n - Benign breast tissue, negative for carcinoma.\n"
                  " - Two lymph nodes, negative for metastatic carcinoma (0/2).\n")
    units = units_from_text(one_tumour, "x.txt", engine, IngestOptions())
    assert [u.specimen for u in units] == [None]  # one tumour, one row
    assert units[0].findings["t_stage"].value == "T2"
    two_tumours = one_tumour.replace("Benign breast tissue, negative for carcinoma", "Ductal carcinoma in situ, 6 mm")
    assert [u.specimen for u in units_from_text(two_tumours, "x.txt", engine, IngestOptions())] == ["left", "right"]


def test_flattened_checklist_label_leader_and_value_rejoin(engine):
    text = flat("FINAL DIAGNOSIS", "Invasive carcinoma", *FILLER, "Receptor Status:", "Estrogen receptor ...",
                "Positive (more than 10% of cells stain)", "Ki-67 ..: 15% of tumour nuclei")
    assert read(engine, text)["er"] == "Positive"


@pytest.mark.parametrize("written, want", [("IIl/III", "G3"), ("lI", "G2"), ("lll", "G3"), ("III/III", "G3")])
def test_grade_read_through_ocr_mixes_of_i_and_l(engine, written, want):
    assert read(engine, f"FINAL DIAGNOSIS:\nInvasive ductal carcinoma, HISTOLOGIC GRADE {written}.\n")["grade"] == want


@pytest.mark.parametrize("procedure, want", [
    ("ultrasound-guided core needle biopsy", None), ("stereotactic biopsy", None),
    ("lumpectomy", "T1"), ("lumpectomy (prior core biopsy showed carcinoma)", "T1"),
])
def test_no_t_from_a_core_biopsy(engine, procedure, want):
    text = (f"FINAL DIAGNOSIS:\nBreast, left, {procedure}:\n"
            "- Invasive ductal carcinoma, Nottingham grade 2, measuring 1.2 cm.\n")
    assert read(engine, text)["t_stage"] == want


def test_a_core_biopsy_with_a_written_pt_keeps_it(engine):
    assert read(engine, "FINAL DIAGNOSIS:\nBreast, left, core needle biopsy: invasive carcinoma, pT1c (per protocol).\n")["t_stage"] == "T1"


# ---------------------------------------------------------------- UK dataset wording (rule set 1.2.0)
def test_a_previous_cancer_in_the_clinical_details_is_not_this_tumour(engine):
    text = ("CLINICAL DETAILS\nPalpable lump, left breast. Earlier right breast carcinoma 2009: pT2 pN1, grade 3, "
            "ER negative (mastectomy).\n\nHISTOLOGY\nInvasive carcinoma of no special type, grade 1.\n"
            "ER - Positive (Allred 7/8)\nTNM (UICC 8) - pT1b pN0\n")
    got = read(engine, text)
    assert (got["t_stage"], got["n_stage"], got["grade"], got["er"]) == ("T1", "N0", "G1", "Positive")


def test_m_after_n_with_a_node_count_between(engine):
    assert read(engine, "pTNM\tpT1a pN0 (0/4) M0")["m_stage"] == "M0"
    assert read(engine, "Stage: pT2 pN1a (2/11), M1")["m_stage"] == "M1"


def test_her2_with_its_assays_in_parentheses(engine):
    assert read(engine, "HER2 (IHC, ISH where required) (core B21-0042) - IHC 0\n  - negative")["her2"] == "Negative"
    assert read(engine, "HER2 (IHC with reflex ISH): 3+")["her2"] == "Positive"


def test_a_dcis_nuclear_grade_label_is_not_the_histologic_grade(engine):
    assert read(engine, "DCIS NUCLEAR GRADE:\tGrade 3. Microinvasion:\tNot identified")["grade"] is None
    assert read(engine, "Nuclear grade: 2. Histologic grade: 3")["grade"] == "G3"


def test_a_node_count_of_three_is_not_a_grade(engine):
    text = "Ductal carcinoma in situ, high nuclear grade.\n2 OF 3 LYMPH NODES POSITIVE FOR METASTATIC CARCINOMA (2/3)."
    assert read(engine, text)["grade"] is None
    assert read(engine, "Invasive lobular carcinoma, 2 of 3, with lobular carcinoma in situ")["grade"] == "G2"


def test_shorthand_fish_sign_settles_an_equivocal_her2(engine):
    assert read(engine, "ER+ (40%), PR+ (5%), HER2 2+ (equiv), FISH - (r 1.4, cn 3.6)")["her2"] == "Negative"
    assert read(engine, "HER2 2+; FISH + (ratio 2.9)")["her2"] == "Positive"


# ---------------------------------------------------------------- North-American diagnosis-first wording
def test_m_alone_as_a_sentence_after_the_staging_statement(engine):
    assert read(engine, "The findings correspond to pT2 pN1a (AJCC 8th edition). M0. The tumor is ER positive.")["m_stage"] == "M0"
    assert read(engine, "Pathologic stage: pT3 pN2a. M1 (liver, biopsy proven). Receptors to follow.")["m_stage"] == "M1"
    assert read(engine, "Invasive grade: 2 (T3 P2 M1)")["m_stage"] is None  # a grade notation, not M


def test_nottingham_score_in_words(engine):
    assert read(engine, "The combined Nottingham score is four (tubules 1, nuclei 1, mitoses 2).")["grade"] == "G1"
    assert read(engine, "INVASIVE DUCTAL CARCINOMA, NOTTINGHAM COMBINED SCORE\n   EIGHT OF NINE, 22 MM")["grade"] == "G3"


def test_a_receptor_result_on_the_wrapped_next_line(engine):
    text = "ADDENDUM: block A4: Estrogen receptor (ER, clone SP1):\n  POSITIVE. Percentage of nuclei: 70 percent."
    assert read(engine, text)["er"] == "Positive"


def test_hard_wrapped_flattened_text_is_unwrapped_then_reflowed():
    text = ("City Hospital Laboratory. SURGICAL PATHOLOGY. Patient: [NAME]    MR#: [MRN]. Date: [DATE].\n"
            + "\n".join("  " + s for s in [
                "DIAGNOSIS: A. Breast, left, lumpectomy: - Infiltrating ductal carcinoma,",
                "measuring 18 mm in greatest dimension. - Margins negative. B. Lymph nodes,",
                "left sentinel, biopsy: - No metastatic carcinoma in two lymph nodes (0/2).",
                "COMMENT: Pathologic stage: pT1c pN0(sn). The tumor is estrogen receptor",
                "positive (90%), progesterone receptor positive (60%) and HER2 negative (1+).",
                "Clinical information: 61-year-old woman with a left breast mass. Signed out.",
            ]))
    out = reflow(text)
    assert len(out) == len(text)
    lines = [line.strip() for line in out.split("\n")]
    assert any(line.startswith("COMMENT: Pathologic stage") for line in lines)
    assert any(line.startswith("B. Lymph nodes") for line in lines)


def test_each_side_keeps_its_own_inline_statements_in_a_shared_comment():
    text = """DIAGNOSIS:
A. Breast, left, lumpectomy: infiltrating ductal carcinoma, 12 mm.
B. Breast, right, mastectomy: infiltrating lobular carcinoma, 35 mm.
COMMENT: Left breast: Pathologic stage: pT1c pN0. Right breast: Pathologic stage: pT2 pN1a.
"""
    units = {s.specimen: s.text for s in segment(text)}
    assert "pT1c" in units["left"] and "pT2 pN1a" not in units["left"]
    assert "pT2 pN1a" in units["right"] and "pT1c" not in units["right"]


# ---------------------------------------------------------------- summary-of-findings wording
def test_a_nottingham_sum_is_not_read_as_its_first_score(engine):
    assert read(engine, "Invasive carcinoma; Nottingham score 3+2+3=8, grade 3.")["grade"] == "G3"


def test_m_after_n_separated_by_a_semicolon(engine):
    assert read(engine, "Staging: pT2; pN1a; M0 (clinical) (UICC TNM 8)")["m_stage"] == "M0"


def test_a_resection_still_to_come_is_no_resection(engine):
    text = ("Specimen: ultrasound-guided core biopsy (4 cores).\nMICROSCOPY\nInvasive ductal carcinoma in 4 cores, "
            "up to 11 mm in a single core.\nComment: Size and stage to be assessed on resection.")
    assert read(engine, text)["t_stage"] is None


def test_summary_of_findings_blocks_per_side():
    text = """SPECIMENS
1. Left breast, wide local excision
2. Right breast, mastectomy
Summary of findings (left breast)
HER2: score 0 - negative.
SUMMARY OF FINDINGS (right breast)
HER2: score 3+ - positive.
"""
    units = {s.specimen: s.text for s in segment(text)}
    assert "score 0" in units["left"] and "score 0" not in units["right"]
    assert "score 3+" in units["right"] and "score 3+" not in units["left"]
