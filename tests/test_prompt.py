"""Slicing (+/-K lines around prioritised anchors) and the four-block prompt (paper III.A.1)."""
from __future__ import annotations

import shutil

import pytest

from pathx import paths, schema
from pathx.errors import RuleFileError
from pathx.prompt import build_prompt, hint_line_ends, hint_values, load_anchors, slice_report


def _report(n: int, anchors: dict[int, str]) -> str:
    """n numbered filler lines, some replaced by anchor lines, with blank lines between."""
    lines = [anchors.get(i, f"filler line {i}") for i in range(n)]
    return "\n\n".join(lines) + "\n"


def test_window_keeps_k_lines_each_side_of_the_anchor():
    text = _report(40, {20: "FINAL DIAGNOSIS:"})
    got = slice_report(text, k=5).splitlines()
    assert got == [f"filler line {i}" for i in range(15, 20)] + ["FINAL DIAGNOSIS:"] + [f"filler line {i}" for i in range(21, 26)]
    assert slice_report(text, k=2).splitlines() == ["filler line 18", "filler line 19", "FINAL DIAGNOSIS:", "filler line 21", "filler line 22"]


def test_windows_merge_and_keep_report_order():
    text = _report(60, {10: "ER: Positive (95%)", 16: "FINAL DIAGNOSIS:", 45: ";YNOPTIC SUMMARY (LEFT BREAST)"})
    got = slice_report(text, k=3).splitlines()
    # 7..13 and 13..19 touch -> one run; 42..48 is separate; the synoptic anchor (highest
    # priority) comes last because report order, not priority order, is kept.
    assert got == (
        [f"filler line {i}" for i in range(7, 10)] + ["ER: Positive (95%)"] + [f"filler line {i}" for i in range(11, 16)]
        + ["FINAL DIAGNOSIS:"] + [f"filler line {i}" for i in range(17, 20)] + ["..."]
        + [f"filler line {i}" for i in range(42, 45)] + [";YNOPTIC SUMMARY (LEFT BREAST)"] + [f"filler line {i}" for i in range(46, 49)]
    )


def test_budget_keeps_highest_priority_windows():
    # Five anchors far apart; budget of 24 lines fits two 11-line windows.
    text = _report(120, {5: "Lymph nodes: 2/14", 30: "Histologic grade: 3", 55: "ADDENDUM", 80: "FINAL DIAGNOSIS:", 105: "SYNOPTIC REPORT"})
    got = slice_report(text, k=5)
    lines = [ln for ln in got.splitlines() if ln != "..."]
    assert len(lines) == 22 <= load_anchors().max_lines
    assert "SYNOPTIC REPORT" in got and "FINAL DIAGNOSIS:" in got
    assert "ADDENDUM" not in got and "Lymph nodes" not in got
    assert got.index("FINAL DIAGNOSIS:") < got.index("SYNOPTIC REPORT")


def test_no_anchor_falls_back_to_the_start():
    text = _report(30, {})
    assert slice_report(text, k=5).splitlines() == [f"filler line {i}" for i in range(11)]


def test_ocr_damaged_and_lettered_anchors_are_found():
    assert "FINAL DlAGNOSIS" in slice_report(_report(40, {30: "FINAL DlAGNOSIS:"}), k=1)
    assert "B. Invasive lobular carcinoma" in slice_report(_report(40, {30: "B. Invasive lobular carcinoma, 2 cm"}), k=1)
    assert "pT1c pN0" in slice_report(_report(40, {30: "pT1c pN0 (AJCC 8th)"}), k=1)


def test_caller_anchors_override_the_rule_file():
    text = _report(40, {10: "FINAL DIAGNOSIS:", 30: "MY HEADER"})
    assert slice_report(text, k=1, anchors=[r"^MY HEADER"]).splitlines() == ["filler line 29", "MY HEADER", "filler line 31"]


def test_full_mode_is_the_whole_text():
    text = _report(40, {20: "FINAL DIAGNOSIS:"})
    assert slice_report(text, mode="full") == text.strip()


def test_random_mode_same_length_contiguous_and_reproducible():
    text = _report(80, {20: "FINAL DIAGNOSIS:", 60: "ADDENDUM"})
    window = [ln for ln in slice_report(text, k=5).splitlines() if ln != "..."]
    starts = set()
    for seed in range(8):
        got = slice_report(text, mode="random", k=5, seed=seed).splitlines()
        assert got == slice_report(text, mode="random", k=5, seed=seed).splitlines()
        assert len(got) == len(window) == 22
        numbers = [int(ln.split()[-1]) if ln.startswith("filler") else {"FINAL DIAGNOSIS:": 20, "ADDENDUM": 60}[ln] for ln in got]
        assert numbers == list(range(numbers[0], numbers[0] + 22))  # one contiguous run
        starts.add(numbers[0])
    assert len(starts) > 1


def test_bad_mode_is_rejected():
    with pytest.raises(ValueError, match="window, full, random"):
        slice_report("x", mode="middle")


SLICED = "FINAL DIAGNOSIS:\nA. LEFT BREAST: invasive ductal carcinoma, pT1c pN0"


def test_prompt_multitask_format_exactly():
    hints = {"t_stage": ["pT1c"], "her2": ["IHC 2+", "FISH\namplified", "IHC 2+"], "grade": []}
    assert build_prompt(SLICED, hints) == (
        "Field: T Stage, N Stage, M Stage, Histologic Grade, ER Status, PR Status, HER2 Status\n"
        "Classes:\n"
        "T Stage: Tis, T0, T1, T2, T3, T4, not reported\n"
        "N Stage: N0, N1mi, N1, N2, N3, not reported\n"
        "M Stage: M0, M1, not reported\n"
        "Histologic Grade: G1, G2, G3, not reported\n"
        "ER Status: Positive, Negative, Equivocal, not reported\n"
        "PR Status: Positive, Negative, Equivocal, not reported\n"
        "HER2 Status: Positive, Negative, Equivocal, not reported\n"
        "Report:\n"
        "FINAL DIAGNOSIS:\n"
        "A. LEFT BREAST: invasive ductal carcinoma, pT1c pN0\n"
        "\n"
        "Hints:\n"
        "T_hint: pT1c\n"
        "N_hint: none\n"
        "M_hint: none\n"
        "Grade_hint: none\n"
        "ER_hint: none\n"
        "PR_hint: none\n"
        "HER2_hint: IHC 2+; FISH amplified"
    )


def test_prompt_single_task_and_empty_hints():
    assert build_prompt(SLICED, {}, tasks=("n_stage",)) == (
        "Field: N Stage\n"
        "Classes: N0, N1mi, N1, N2, N3, not reported\n"
        "Report:\n" + SLICED + "\n\nHints:\nN_hint: none"
    )
    # hints for tasks outside the prompt are left out; every hint name is the paper's
    all_hints = {t: ["x"] for t in schema.TASKS}
    assert build_prompt(SLICED, all_hints, tasks=("er", "pr")).endswith("Hints:\nER_hint: x\nPR_hint: x")
    rendered = build_prompt(SLICED, all_hints).split("Hints:\n")[1].splitlines()
    assert [ln.split(":")[0] for ln in rendered] == ["T_hint", "N_hint", "M_hint", "Grade_hint", "ER_hint", "PR_hint", "HER2_hint"]


def test_prompt_with_rule_values_leads_each_hint_line():
    hints = {"grade": ["GRADE 3 OF 3", "nuclear grade 2"], "er": ["ER weakly staining"]}
    values = {"grade": "G3", "er": None, "her2": None}
    lines = build_prompt(SLICED, hints, ("grade", "er", "her2"), values=values).split("Hints:\n")[1].splitlines()
    assert lines == ["Grade_hint: G3 | GRADE 3 OF 3; nuclear grade 2", "ER_hint: ? | ER weakly staining", "HER2_hint: none"]


def test_hint_values_read_back_the_rule_value_of_each_line():
    hints = {"grade": ["GRADE 3 OF 3"], "er": ["ER weakly staining"], "her2": ["HER2 | IHC 2+"]}
    values = {"grade": "G3", "er": None, "her2": "Equivocal"}
    prompt = build_prompt("Report text\nGrade_hint: G1 | not a hint line", hints, ("grade", "er", "her2"), values=values)
    assert hint_values(prompt, ("grade", "er", "her2")) == ["G3", None, "Equivocal"]
    assert hint_values(prompt, ("pr",)) == [None]  # no line for the task
    assert hint_values(build_prompt(SLICED, {"grade": ["G2"]}, ("grade",)), ("grade",)) == [None]  # no values


def test_hint_line_ends_point_at_each_task_line():
    prompt = build_prompt("Hints: a report line that looks like a header\nER 95%", {"er": ["ER 95%"]})
    ends = hint_line_ends(prompt)
    lines = [prompt[:e].rsplit("\n", 1)[1] for e in ends]
    assert lines == ["T_hint: none", "N_hint: none", "M_hint: none", "Grade_hint: none", "ER_hint: ER 95%",
                     "PR_hint: none", "HER2_hint: none"]
    assert ends[-1] == len(prompt)
    # a line cut off by truncation points at the prompt's end
    assert hint_line_ends(prompt[: ends[3]])[4:] == [ends[3]] * 3


def test_prompt_rejects_unknown_task():
    with pytest.raises(ValueError, match="stage_group"):
        build_prompt(SLICED, {}, tasks=("t_stage", "stage_group"))


def test_window_prompt_stays_compact():
    # 24 report lines of a wordy report + all classes + hints: well under 512 tokens at
    # ~3.5 characters per token for report text.
    text = _report(200, {i: f"FINAL DIAGNOSIS: invasive ductal carcinoma, grade {i % 3 + 1}, margins clear by {i} mm"
                         for i in range(0, 200, 7)})
    prompt = build_prompt(slice_report(text), {t: ["evidence 1", "evidence 2"] for t in schema.TASKS})
    assert len(prompt) < 1800


def test_malformed_anchor_file_names_file_and_anchor(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), rules)
    monkeypatch.setenv("PATHX_RULES_DIR", str(rules))
    path = rules / "anchors.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('name = "addendum"\npattern = \'\'\'', 'name = "addendum"\npattern = \'\'\'(', 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"anchors\.toml: rule 'addendum' has a bad regex"):
        slice_report("FINAL DIAGNOSIS:")
