"""Slicing (+/-K lines around prioritised anchors) and the four-block prompt (paper III.A.1)."""
from __future__ import annotations

import json
import pickle
import random
import shutil

import pytest

from pathx import paths, schema
from pathx.errors import RuleFileError
from pathx.ingestion.prompt import (HINT_NAMES, Prompt, build_prompt, hint_line_ends, hint_values, load_anchors, parse_prompt,
                          slice_report)


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


PIECES = ["ER", "pT1c", "G3", "Hints:", "Hints: not the block", "ER_hint: x", "Grade_hint: G1 | y", " | ", "|", "?",
          "none", "\n", "IHC 2+", "FISH amplified", "x" * 90, ""]


def _generated_prompts(n: int, seed: int = 7):
    """Prompts over awkward reports and evidence (header look-alikes, hint-line look-alikes, the value
    separator, newlines, over-long evidence), random task subsets and orders, with and without values."""
    rng = random.Random(seed)

    def text(k):
        return "".join(rng.choice(PIECES) + rng.choice(["", " ", "\n"]) for _ in range(k))

    for _ in range(n):
        tasks = tuple(rng.sample(schema.TASKS, rng.randint(1, len(schema.TASKS))))
        hints = {t: [text(rng.randint(0, 4)) for _ in range(rng.randint(0, 4))]
                 for t in rng.sample(schema.TASKS, rng.randint(0, len(schema.TASKS)))}
        values = None if rng.random() < 0.4 else {
            t: rng.choice([None, "?", "", *schema.model_classes(t)]) for t in rng.sample(schema.TASKS, rng.randint(0, 7))}
        asked = rng.choice([tasks, schema.TASKS, tuple(rng.sample(schema.TASKS, 3))])
        yield build_prompt(text(rng.randint(0, 12)), hints, tasks, values), values, asked


def _read_back(text: str, tasks) -> tuple[int, list[int], list[str | None]]:
    """The facts the model used to parse out of prompt text before Prompt carried them, read line by line:
    the last line starting "Hints:", then per task the first later line starting with its hint name, its
    end offset, and the value before " | " on it."""
    lines, starts, at = text.split("\n"), [], 0
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    header = max((i for i, ln in enumerate(lines) if ln.startswith("Hints:") and i > 0), default=None)
    ends, values = [], []
    for t in tasks:
        i = next((j for j in range(header + 1, len(lines)) if lines[j].startswith(HINT_NAMES[t] + ":")), None) \
            if header is not None else None
        ends.append(len(text) if i is None else starts[i] + len(lines[i]))
        body = "" if i is None else lines[i][len(HINT_NAMES[t]) + 1:].strip()
        value = body.split(" | ", 1)[0].strip() if " | " in body else None
        values.append(None if value in (None, "", "?") else value)
    return (-1 if header is None else starts[header] - 1), ends, values


def test_prompt_carries_the_facts_the_text_would_give_on_many_generated_prompts():
    without_values = 0
    for prompt, values, asked in _generated_prompts(3000):
        assert isinstance(prompt, Prompt) and type(prompt.text) is str and prompt.text == prompt
        hints_at, ends, read_values = _read_back(prompt.text, asked)
        assert prompt.hints_at == hints_at and prompt.hint_line_ends(asked) == ends
        if values is not None:
            assert prompt.values_for(asked) == read_values
        else:  # no values written: none carried, even where evidence holds " | " and reads like one
            assert prompt.values_for(asked) == [None] * len(asked)
            without_values += 1
        text_path = parse_prompt(prompt.text, asked)  # text from outside: the same facts
        assert (text_path.hints_at, text_path.hint_line_ends(asked)) == (hints_at, ends)
        assert text_path.values_for(asked) == read_values
        for t, (start, end) in prompt.hint_spans.items():  # each span is exactly its task's line
            line = prompt.text[start:end]
            assert line.startswith(HINT_NAMES[t] + ": ") and "\n" not in line and prompt.text[end:end + 1] in ("", "\n")
    assert without_values > 500


def test_a_prompt_keeps_its_facts_through_pickle_and_is_plain_text_in_json():
    prompt = build_prompt(SLICED, {"grade": ["GRADE 3"]}, ("grade", "er"), values={"grade": "G3"})
    again = pickle.loads(pickle.dumps(prompt))
    assert isinstance(again, Prompt) and again == prompt
    assert (again.hints_at, again.hint_spans, again.rule_values) == (prompt.hints_at, prompt.hint_spans, prompt.rule_values)
    assert json.loads(json.dumps({"prompt": prompt}))["prompt"] == prompt.text
    assert type(prompt + "\nQuestion") is str and type(prompt[:10]) is str  # derived text carries no facts
    assert parse_prompt(prompt) is prompt


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
