"""Evidence input of the learned reader: sentences, cue selection, budget, one prompt per field."""
from __future__ import annotations

import re

import pytest

from pathx import fields
from pathx.ingestion import evidence
from pathx.ingestion.evidence import NO_EVIDENCE, evidence_prompt, field_evidence, sentences
from pathx.ingestion.pipeline import IngestOptions, units_from_text
from pathx.rules.engine import RuleEngine

# Our own sentences, in the shapes real reports use (hard-wrapped, flattened, tables).
WRAPPED = """FINAL DIAGNOSIS:
A. Right breast, excision: infiltrating duct carcinoma, histologic grade 3 of 3, measuring
3.4 cm in greatest extent.  Surgical margins free.
B. Axillary contents: carcinoma present in five of seventeen nodes (5/17).
Oestrogen receptor: 0%      Progesterone receptor: 0%     Her-2/neu: 3+ (strong complete membrane).
Seen by consultant on 4/11/22."""

FLAT = ("Specimen: left breast. Diagnosis: invasive lobular carcinoma, 1.2 cm. Nodes: 0/3 sentinel nodes. "
        "Hormone receptors: ER 80% weak, PgR negative. HER2 IHC 1+. Stage pT1c pN0.")


def texts(text):
    return [text[a:b] for a, b in sentences(text)]


def test_a_hard_wrapped_sentence_stays_one_sentence_and_table_cells_split():
    s = texts(WRAPPED)
    assert any(x.startswith("Right breast") and x.endswith("greatest extent.") for x in s)
    assert "Oestrogen receptor: 0%" in s and "Progesterone receptor: 0%" in s
    assert all("\n" not in x or x.startswith("Right breast") for x in s)


def test_a_flattened_report_splits_at_sentence_ends_not_inside_decimals():
    s = texts(FLAT)
    assert "Diagnosis: invasive lobular carcinoma, 1.2 cm." in s
    assert s[-1] == "Stage pT1c pN0."


def test_each_field_reads_its_own_cue_sentences():
    assert "five of seventeen nodes" in field_evidence(WRAPPED, "n_stage")
    assert "Oestrogen receptor: 0%" in field_evidence(WRAPPED, "er")
    assert "Her-2/neu: 3+" in field_evidence(WRAPPED, "her2")
    assert "grade 3 of 3" in field_evidence(WRAPPED, "grade")
    # a date is not a node count
    assert "4/11/22" not in field_evidence(WRAPPED, "n_stage").split("(5/17).")[0]


def test_no_cue_gives_the_no_evidence_marker():
    assert field_evidence("Skin ellipse with a benign naevus.", "her2") == NO_EVIDENCE


def test_budget_is_kept_and_evidence_is_in_report_order():
    text = " ".join(f"Sentence {i} says nothing." for i in range(40)) + " ER positive 90%. " + \
        " ".join(f"Filler {i} here." for i in range(40)) + " ER Allred 8/8."
    got = field_evidence(text, "er", budget=80)
    assert len(got) <= 80
    assert got.index("ER positive 90%") < got.index("ER Allred 8/8")


def test_a_running_header_repeated_on_every_page_is_taken_once():
    page = "Breast pathology report - ER/PR/HER2 panel attached.\n"
    text = page + "ER: positive (70%).\n" + page + "PR: negative.\n" + page
    assert field_evidence(text, "er").count("panel attached") == 1


def test_the_cut_is_linear_in_text_size():
    """Each cue regex runs once per sentence: the count of regex searches grows with the text, not faster."""
    calls = {"n": 0}
    real = evidence._cues

    class Counting:
        def __init__(self, pattern):
            self.pattern = pattern

        def search(self, s):
            calls["n"] += 1
            return self.pattern.search(s)

    def counting(task):
        return tuple(Counting(p) for p in real(task))

    evidence_cues = evidence._cues
    try:
        evidence._cues = counting
        counts = []
        for n in (50, 500):
            calls["n"] = 0
            field_evidence("Tumour size 2 cm. " * n, "t_stage")
            counts.append(calls["n"])
    finally:
        evidence._cues = evidence_cues
    assert counts[1] == 10 * counts[0]


def test_the_hint_line_holds_the_rule_value_or_none():
    with_value = evidence_prompt(FLAT, "t_stage", "T1")
    alone = evidence_prompt(FLAT, "t_stage", "T1", with_hints=False)
    assert with_value.splitlines()[-1] == "T_hint: T1 | none"
    assert alone.splitlines()[-1] == "T_hint: none"
    assert evidence_prompt(FLAT, "t_stage", None) == alone  # nothing found reads like no hint
    assert alone.startswith("Field: T Stage\nClasses: Tis, T0, T1, T2, T3, T4, not reported\nReport:\n")


def test_every_field_has_a_cue_lexicon_that_compiles():
    for f in fields.FIELDS:
        assert f.cues, f.name
        re.compile(f.cue_pattern, re.IGNORECASE)


@pytest.mark.parametrize("with_hints", [True, False])
def test_evidence_mode_units_carry_one_prompt_per_field(with_hints):
    engine = RuleEngine.load()
    options = IngestOptions(slice_mode="evidence", max_report_chars=300, evidence_hints=with_hints)
    (unit,) = units_from_text(FLAT, "r.txt", engine, options)
    assert set(unit.field_prompts) == set(fields.TASKS)
    for t, p in unit.field_prompts.items():
        assert p.startswith(f"Field: {fields.FIELD_NAMES[t]}\n")
        assert p.hint_spans and list(p.hint_spans) == [t]
    t_line = unit.field_prompts["t_stage"].splitlines()[-1]
    assert t_line == ("T_hint: T1 | none" if with_hints else "T_hint: none")
