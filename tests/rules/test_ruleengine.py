"""Rule engine: context priorities, canonical maps, hints, the naive baseline and rule-file errors.

Each snippet is written the way real reports are, and most contain the trap a keyword matcher
falls into; where the naive baseline should be fooled the test asserts that too.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pathx import paths
from pathx.errors import RuleFileError
from pathx.rules.engine import RuleEngine, naive_extract


@pytest.fixture(scope="module")
def engine() -> RuleEngine:
    return RuleEngine.load()


def value(engine: RuleEngine, text: str, task: str) -> str | None:
    f = engine.extract(text)[task]
    return f.value if f else None


# ---------------------------------------------------------------- section priority

HISTORY_CONFUSER = """CLINICAL HISTORY:
History of left breast carcinoma, previously staged pT1b N0 (2016), ER positive.

FINAL DIAGNOSIS:
A. Right breast, mastectomy:
- Invasive ductal carcinoma, Nottingham grade 2 (2+3+1=6), 3.4 cm.
- Ductal carcinoma in situ, solid type, nuclear grade 3.
- pT2 pN1a
- ER: negative (0%). PR: negative (<1%). HER2 (IHC): 1+, negative.
"""


def test_final_diagnosis_beats_clinical_history(engine):
    found = engine.extract(HISTORY_CONFUSER)
    assert found["t_stage"].value == "T2"
    assert found["t_stage"].section == "final_diagnosis"
    assert found["t_stage"].evidence == "pT2"
    assert HISTORY_CONFUSER[found["t_stage"].start:found["t_stage"].end] == "pT2"
    assert found["er"].value == "Negative"
    # The naive baseline takes the first pT and the first "positive" near ER: both historical.
    naive = naive_extract(HISTORY_CONFUSER)
    assert naive["t_stage"] == "T1"
    assert naive["er"] == "Positive"


def test_prior_case_reference_is_demoted(engine):
    text = (
        "DIAGNOSIS:\nLeft breast, re-excision: residual invasive lobular carcinoma, 1.1 cm.\n"
        "Compare with the prior core biopsy, which was staged pT2 (see S22-1234).\n"
    )
    assert value(engine, text, "t_stage") == "T1"  # from the 1.1 cm size, not the referenced pT2
    assert naive_extract(text)["t_stage"] == "T2"


def test_clinical_stage_in_history_does_not_count(engine):
    text = (
        "CLINICAL HISTORY: cT3 cN1 breast cancer, status post neoadjuvant chemotherapy.\n\n"
        "FINAL DIAGNOSIS:\nResidual invasive ductal carcinoma, 1.4 cm. ypT1c ypN0 (0/3).\n"
    )
    found = engine.extract(text)
    assert (found["t_stage"].value, found["n_stage"].value) == ("T1", "N0")


def test_history_block_ends_at_blank_line(engine):
    # A findings table with an unrecognised title must not be swallowed by the history above it.
    text = (
        "CLINICAL HISTORY:\nBreast mass.\n\nPARAMETER      RESULT\nTumor (pT)     pT3\nGrade          3\n"
    )
    assert value(engine, text, "t_stage") == "T3"


# ---------------------------------------------------------------- addendum and HER2 (ASCO/CAP 2018)

HER2_ADDENDUM = """FINAL DIAGNOSIS:
Invasive ductal carcinoma, grade 3.
HER2 (IHC): Equivocal (2+). FISH to follow.

ADDENDUM:
HER2 FISH: HER2/CEP17 ratio 2.6; average HER2 copy number 6.1 signals/cell. Result: AMPLIFIED.
"""


def test_addendum_ish_resolves_equivocal_her2(engine):
    found = engine.extract(HER2_ADDENDUM)
    assert found["her2"].value == "Positive"
    assert found["her2"].section == "addendum"
    # Paper S1.B: the hint keeps both assays' raw evidence, unreconciled.
    hints = engine.hints(HER2_ADDENDUM)["her2"]
    assert any("2+" in h for h in hints) and any("ratio 2.6" in h for h in hints)
    assert naive_extract(HER2_ADDENDUM)["her2"] == "Equivocal"


@pytest.mark.parametrize(
    "ish, expected",
    [
        ("HER2/CEP17 ratio 2.3, average HER2 copy number 5.0", "Positive"),  # group 1
        ("HER2/CEP17 ratio 2.2, average HER2 copy number 3.4", "Negative"),  # group 2
        ("HER2/CEP17 ratio 1.5, average HER2 copy number 6.4", "Positive"),  # group 3
        ("HER2/CEP17 ratio 1.4, average HER2 copy number 4.6", "Negative"),  # group 4
        ("HER2/CEP17 ratio 1.1, average HER2 copy number 2.1", "Negative"),  # group 5
        ("FISH: not amplified", "Negative"),
        ("FISH: amplified", "Positive"),
    ],
)
def test_her2_ish_groups(engine, ish, expected):
    text = f"DIAGNOSIS:\nHER2 by IHC: 2+ (equivocal).\nHER2 in situ hybridization: {ish}.\n"
    assert value(engine, text, "her2") == expected


@pytest.mark.parametrize(
    "ihc, expected",
    [("HER2 (IHC): 0", "Negative"), ("HER2 IHC score 1+", "Negative"),
     ("HER2: Equivocal (2+)", "Equivocal"), ("HER2/neu: 3+ (positive)", "Positive")],
)
def test_her2_ihc_scores(engine, ihc, expected):
    assert value(engine, f"DIAGNOSIS:\nER: positive (90%). {ihc}.\n", "her2") == expected


def test_her2_ihc_3plus_stays_positive(engine):
    text = "DIAGNOSIS:\nHER2 (IHC): 3+, positive. HER2 FISH ratio 1.8, not amplified.\n"
    assert value(engine, text, "her2") == "Positive"


# ---------------------------------------------------------------- negation

def test_negated_nodes_win_over_keyword(engine):
    text = (
        "FINAL DIAGNOSIS:\nA. Breast, lumpectomy: invasive ductal carcinoma, 1.2 cm.\n"
        "B. Axillary lymph nodes: negative for metastatic carcinoma (0/12).\n"
    )
    assert value(engine, text, "n_stage") == "N0"
    text2 = "DIAGNOSIS:\nNo metastatic carcinoma identified in 17 lymph nodes (0/17).\n"
    assert value(engine, text2, "n_stage") == "N0"


def test_no_invasive_carcinoma_means_dcis_only(engine):
    text = (
        "FINAL DIAGNOSIS:\nLeft breast, excision:\n- Ductal carcinoma in situ, high nuclear grade (grade 3),"
        " solid type, spanning 2.5 cm.\n- No evidence of invasive carcinoma.\n"
    )
    found = engine.extract(text)
    assert found["t_stage"].value == "Tis"
    assert found["grade"] is None  # DCIS nuclear grade is not histologic grade
    assert naive_extract(text)["grade"] == "G3"


def test_margin_negation_does_not_make_dcis_only(engine):
    text = (
        "DIAGNOSIS:\nInvasive ductal carcinoma, Nottingham grade 1, 1.5 cm.\nDCIS, nuclear grade 2.\n"
        "Margins: no evidence of invasive carcinoma at the inked margins.\n"
    )
    found = engine.extract(text)
    assert (found["t_stage"].value, found["grade"].value) == ("T1", "G1")


def test_dcis_nuclear_grade_is_not_histologic_grade(engine):
    text = (
        "FINAL DIAGNOSIS:\nDuctal carcinoma in situ, nuclear grade 3, with comedonecrosis.\n"
        "Invasive ductal carcinoma, Nottingham histologic grade 1 (tubules 3, nuclei 1, mitoses 1).\n"
    )
    assert value(engine, text, "grade") == "G1"
    assert naive_extract(text)["grade"] == "G3"


def test_complete_response_is_t0(engine):
    text = (
        "CLINICAL HISTORY: Status post neoadjuvant chemotherapy.\n\n"
        "DIAGNOSIS:\nNo residual invasive carcinoma; treatment effect present. Lymph nodes: 0/4.\n"
    )
    found = engine.extract(text)
    assert (found["t_stage"].value, found["n_stage"].value) == ("T0", "N0")


# ---------------------------------------------------------------- canonical maps

@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("Invasive ductal carcinoma, Grade III", "G3"),
        ("Histologic grade (Nottingham): 3/3", "G3"),
        ("Invasive carcinoma, poorly differentiated", "G3"),
        ("Invasive carcinoma, Nottingham score 8/9", "G3"),
        ("Invasive carcinoma (3+3+2=8)", "G3"),
        ("Invasive carcinoma, Nottingham score 5 of 9", "G1"),
        ("Nottingham grade: tubule formation 2, nuclear pleomorphism 2, mitotic count 3", "G2"),
        ("Invasive lobular carcinoma, moderately differentiated", "G2"),
        ("IDC, NST, Gr1, 12 MM", "G1"),
    ],
)
def test_grade_canonical_map(engine, phrase, expected):
    assert value(engine, f"DIAGNOSIS:\n{phrase}.\n", "grade") == expected


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("ER: Allred score 2 (PS 1 + IS 1)", "Negative"),
        ("ER: Allred score 3 (PS 2 + IS 1)", "Positive"),
        ("Estrogen receptor: 95% of tumor nuclei, strong", "Positive"),
        ("ER: <1% nuclear staining", "Negative"),
        ("ER: 1-10% low positive", "Positive"),
        ("ER (SP1): Negative", "Negative"),
    ],
)
def test_er_canonical_map(engine, phrase, expected):
    assert value(engine, f"DIAGNOSIS:\n{phrase}.\n", "er") == expected


def test_er_pr_windows_do_not_bleed(engine):
    text = "DIAGNOSIS:\nER: negative (0%). PR: positive (80%). HER2: negative (1+).\n"
    found = engine.extract(text)
    assert (found["er"].value, found["pr"].value) == ("Negative", "Positive")
    assert naive_extract(text)["er"] == "Positive"  # "positive" of PR lies in ER's 75-char window


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("pT1mi", "T1"), ("pT1a", "T1"), ("pT1b", "T1"), ("ypT1c", "T1"), ("pT4d", "T4"), ("pT4b", "T4"),
        ("pTX", None), ("pTis", "Tis"), ("ypT0", "T0"), ("pTl", "T1"), ("PT3a", "T3"),
    ],
)
def test_t_codes(engine, phrase, expected):
    assert value(engine, f"DIAGNOSIS:\nStage: {phrase} pN0\n", "t_stage") == expected


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("pN0(i+)", "N0"), ("pN0(mol+)", "N0"), ("pN1mi", "N1mi"), ("pN1a(sn)", "N1"), ("ypN2a", "N2"),
        ("pN3b", "N3"), ("pNX", None), ("pNO", "N0"),
    ],
)
def test_n_codes(engine, phrase, expected):
    assert value(engine, f"DIAGNOSIS:\nStage: pT2 {phrase}\n", "n_stage") == expected


@pytest.mark.parametrize(
    "phrase, expected",
    [("pT2 pN0 pM1", "M1"), ("pT2 N1 M1 (distant metastasis)", "M1"), ("pT2 pN0 cM0", "M0"),
     ("T2 N0 M0", "M0"), ("pT2 pN0 pMX", None)],
)
def test_m_codes(engine, phrase, expected):
    assert value(engine, f"PATHOLOGIC STAGE: {phrase}\n", "m_stage") == expected


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("metastatic carcinoma in 2 of 12 lymph nodes", "N1"),
        ("Lymph nodes: 5/14 positive", "N2"),
        ("Number of lymph nodes with macrometastases: 11", "N3"),
        ("micrometastatic carcinoma (1.2 mm) in 1 of 3 sentinel lymph nodes (1/3)", "N1mi"),
        # AJCC 8: isolated tumour cells only are pN0(i+) - they do not count as positive nodes
        ("isolated tumor cells in 1 of 2 sentinel lymph nodes; no micrometastasis", "N0"),
        ("Sentinel lymph nodes: 0/2. Macrometastases: 0. Micrometastases: 0. ITCs: 1", "N0"),
        ("Lymph nodes with macrometastases: 0; Nodes with micrometastases: 2", "N1mi"),
    ],
)
def test_node_counts_without_pn(engine, phrase, expected):
    assert value(engine, f"FINAL DIAGNOSIS:\nInvasive ductal carcinoma, 1.1 cm. {phrase}.\n", "n_stage") == expected


def test_node_counts_are_summed_over_parts_once(engine):
    text = (
        "FINAL DIAGNOSIS:\nA. Sentinel lymph node #1: metastatic carcinoma in one of one lymph node (1/1).\n"
        "B. Sentinel lymph node #2: metastatic carcinoma (1/1).\nC. Axillary dissection: metastatic"
        " carcinoma in 2 of 10 lymph nodes (2/10).\n"
    )
    assert value(engine, text, "n_stage") == "N2"  # 1 + 1 + 2 = 4 nodes


@pytest.mark.parametrize(
    "phrase, expected",
    [("Tumor size: 1.9 cm", "T1"), ("Tumor size: 20 mm", "T1"), ("Tumor size: 2.1 x 1.5 x 1.0 cm", "T2"),
     ("invasive ductal carcinoma measuring 5.1 cm", "T3"), ("Size of largest invasive focus: 50 mm", "T2")],
)
def test_size_to_t_when_no_pt(engine, phrase, expected):
    assert value(engine, f"DIAGNOSIS:\nInvasive ductal carcinoma. {phrase}.\n", "t_stage") == expected


def test_written_pt_beats_size(engine):
    text = "DIAGNOSIS:\nInvasive carcinoma, 4.5 cm, with skin ulceration. Stage: pT4b pN0.\n"
    assert value(engine, text, "t_stage") == "T4"


def test_ocr_noise(engine):
    text = ";YNOPTIC REPORT:\nPrimary tumor (pT): pTlc\nRegional lymph nodes (pN): pNO\nGrade: lll\n"
    found = engine.extract(text)
    assert (found["t_stage"].value, found["n_stage"].value) == ("T1", "N0")
    assert engine.sections_of(text)[0][2] == "synoptic"  # ";YNOPTIC" still starts the synoptic block
    assert found["t_stage"].evidence == "pTlc"  # evidence is the raw text, not the repaired copy
    assert naive_extract(text)["n_stage"] is None


def test_hints_are_raw_evidence(engine):
    hints = engine.hints(HISTORY_CONFUSER)
    assert "pT2" in hints["t_stage"] and not any("pT1b" in h for h in hints["t_stage"])
    assert all(len(v) <= engine.max_hints for v in hints.values())


# ---------------------------------------------------------------- rule files

def _copy_rules(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(paths.rules_dir() / "fields", dest / "fields")
    return dest


def test_version_files_roundtrip(engine):
    files = engine.files()
    assert "fields/ruleset.toml" in files and engine.version
    again = RuleEngine.from_files(files)
    assert (again.version, again.digest) == (engine.version, engine.digest)
    assert again.extract(HER2_ADDENDUM) == engine.extract(HER2_ADDENDUM)


def test_bad_regex_names_file_and_rule(tmp_path):
    root = _copy_rules(tmp_path)
    grade = root / "fields" / "grade.toml"
    text = grade.read_text(encoding="utf-8")
    grade.write_text(text.replace("pattern = '(?<![\\d+])(?P<a>", "pattern = '(?<![\\d+])((?P<a>", 1),
                     encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        RuleEngine.load(root)
    message = str(err.value)
    assert "fields/grade.toml" in message and "nottingham_sum" in message and "bad regex" in message
    assert "\n" not in message


def test_bad_toml_and_bad_label_are_clear(tmp_path):
    root = _copy_rules(tmp_path)
    tnm = root / "fields" / "tnm.toml"
    good = tnm.read_text(encoding="utf-8")
    tnm.write_text(good + "\n[[rule]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"fields/tnm\.toml: invalid TOML"):
        RuleEngine.load(root)
    tnm.write_text(good.replace('value = "M1"', 'value = "M2"', 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"tnm\.toml: rule 'm1_distant_statement': value 'M2' is not a m_stage"):
        RuleEngine.load(root)
    tnm.write_text(good.replace('kind = "size_t"', 'kind = "sizes"', 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"rule 'invasive_size': kind 'sizes'"):
        RuleEngine.load(root)


def test_missing_rules_dir_is_clear(tmp_path):
    with pytest.raises(RuleFileError, match="no rule files"):
        RuleEngine.load(tmp_path)


# ---------------------------------------------------------------- literal pre-check

def test_required_literals_are_what_every_match_must_contain():
    import re

    from pathx.rules.loader import required_literals

    cases = {
        r"abc": {"abc"},
        r"(?:average|mean)?\s*(?:copy\s+number|copies|signals)": {"number", "copies", "signals"},
        r"(?i:Foo)|bar": {"foo", "bar"},
        r"(?-i:\bER\b)\s*[:=]": {"er"},
        r"(?<=foo)bar": {"bar"},
        r"(?:xy){2,}": {"xy"},
        r"x?": None,  # may match the empty string
        r"(?:foo|[ab])": None,  # one alternative has no literal
        r"a{0,3}": None,
        r"[ab]c\d": {"c"},
    }
    for pattern, expected in cases.items():
        got = required_literals(re.compile(pattern, re.IGNORECASE))
        assert (set(got) if got else None) == expected, pattern


@pytest.mark.slow
def test_literal_precheck_changes_no_mention_and_no_redaction(engine, monkeypatch):
    """Skipping a regex on a text without its words must give the same results as running it."""
    from pathxgen import corpus
    from pathx.ingestion import deid
    from pathx.rules import context, match

    texts = [corpus.render_report(11, i, style, "txt")["text"] for style in corpus.STYLES for i in range(12)]
    texts += [HISTORY_CONFUSER, "ER: positive (95%), PR negative. HER2 FISH ratio 2.4, 5.1 copies."]
    clean = [deid.deidentify(t).text for t in texts]
    fast_phi = [deid.find_phi(t) for t in texts]
    fast = [engine._find_mentions(t) for t in clean]
    assert sum(r.literals is None for r in engine.rules) < len(engine.rules) / 4  # most rules are gated
    monkeypatch.setattr(match, "may_match", lambda literals, lowered: True)
    monkeypatch.setattr(context, "may_match", lambda literals, lowered: True)
    monkeypatch.setattr(deid, "may_match", lambda literals, lowered: True)
    assert [deid.find_phi(t) for t in texts] == fast_phi
    assert [engine._find_mentions(t) for t in clean] == fast
    assert sum(map(len, fast)) > 20 * len(texts)


@pytest.mark.slow
def test_rule_matching_and_hints_are_linear_in_text_size(engine):
    """A one-line dump ten times longer costs about ten times the work, not a hundred (issue 14).

    Many headers and prior-case sentences make the per-mention section/context lookup the cost
    that used to grow with (mentions x sections). Work is counted, not timed (a busy machine must not
    decide it; timings are in bench/rules_scale.py): the Python lines and calls pathx's own code runs
    (sys.settrace), which a lookup per mention over every section multiplies. Measured: 9.98x for 10x
    text; the engine before the fix did about 16x the time on 20 k -> 200 k characters."""
    from pathx.ingestion.segment import reflow

    unit = ("FINAL DIAGNOSIS: invasive ductal carcinoma, Nottingham grade 2, 2.1 cm, pT2 pN0 (0/3) ; "
            "COMMENT: compare prior case (see S20-1234 pT1) ; ER: positive (90%) ; PR: negative (0%) ; "
            "HER2 (IHC): 1+ ; MICROSCOPIC: sections show tumour ; ")
    small, large = work_of(engine, reflow, (unit * 500)[:40_000]), work_of(engine, reflow, (unit * 5000)[:400_000])
    for kind in ("lines", "calls"):
        ratio = large[kind] / small[kind]
        assert ratio <= 10.5, f"10x text took {ratio:.2f}x the {kind} ({small[kind]} -> {large[kind]})"


def work_of(engine, reflow, text: str) -> dict[str, int]:
    """Python lines executed and functions called in pathx's code while reflow, hints and extract read
    `text` (a fresh mention cache): a count of the work, the same on any machine under any load."""
    import sys

    import pathx

    root = os.path.dirname(pathx.__file__)
    counts = {"lines": 0, "calls": 0}

    def tracer(frame, event, arg):
        if event == "call":
            if not frame.f_code.co_filename.startswith(root):
                return None  # the standard library's own lines are not pathx's work
            counts["calls"] += 1
        elif event == "line":
            counts["lines"] += 1
        return tracer

    engine.__dict__.pop("_mention_cache", None)
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        work = reflow(text)
        engine.hints(work)
        engine.extract(work)
    finally:
        sys.settrace(previous)
    return counts
