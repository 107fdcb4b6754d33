"""Importing a filled review sheet (pathx.review.sheet): rows -> sheet -> filled sheet -> labelled data that
read_labeled accepts, with the person's labels, the run's accepted values for the other fields (when the
run output is given), paths to the reports relative to the labelled file, and bad lines reported by
their line number and skipped."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from reviewkit import row, sample_rows, write_jsonl

from pathx import schema
from pathx.errors import DataError
from pathx.outputs.rows import read_rows
from pathx.review import IMPORT_HELP, default_paths, import_sheet, write_review
from pathx.review.page import SHEET_COLUMNS
from pathx.training.labels import read_labeled

HEADER = ",".join(SHEET_COLUMNS)


@pytest.fixture
def run(tmp_path):
    """An input folder holding the sample rows' reports, the run output, and its review sheet."""
    inputs = tmp_path / "reports"
    for name in ("a/r1.txt", "b.txt", "c.txt", "=HYPERLINK(1).txt"):
        (inputs / name).parent.mkdir(parents=True, exist_ok=True)
        (inputs / name).write_text("report\n")
    (inputs / os.fsdecode(b"M\xfcller.txt")).write_text("report\n")  # a Latin-1 name: escaped in the output
    out = write_jsonl(tmp_path / "out.jsonl", sample_rows())
    page, sheet = default_paths(out)
    write_review(read_rows(out), page, sheet, source_name=out.name)
    return inputs, out, sheet


def fill(sheet: Path, answers: dict[int, str], notes: dict[int, str] | None = None) -> Path:
    """Fill correct_value (and note) by sheet line number, as a person would, and save with a BOM."""
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    for line, value in answers.items():
        rows[line - 1][SHEET_COLUMNS.index("correct_value")] = value
    for line, value in (notes or {}).items():
        rows[line - 1][SHEET_COLUMNS.index("note")] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    filled = sheet.with_name("filled.csv")
    filled.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")
    return filled


def by_id(path: Path):
    return {ex.id: ex for ex in read_labeled(path)}


def test_round_trip_gives_the_reviewed_labels_and_the_run_values(run, tmp_path):
    inputs, out, sheet = run
    # sheet lines: 2 =HYPERLINK m_stage, 3 Müller pr, 4 a/r1 t_stage, 5 a/r1 her2, 6 b left grade, 7 b right er
    filled = fill(sheet, {3: "", 4: "t3", 5: "Positive", 6: "not reported", 7: "unknown"}, notes={4: "pT3 in addendum"})
    dest = tmp_path / "labels" / "corrections.jsonl"
    dest.parent.mkdir()
    report = import_sheet(filled, dest, input_root=inputs, source_output=out)
    assert (report.lines, report.confirmed, report.corrected, report.marked_unknown, report.invalid) == (6, 2, 3, 1, [])
    assert report.examples == 5 and report.missing_files == 0 and report.warnings == []
    examples = by_id(dest)
    assert list(examples) == ["=HYPERLINK(1).txt#all", "M\\xfcller.txt#all", "a/r1.txt#all", "b.txt#left",
                              "b.txt#right"]
    a = examples["a/r1.txt#all"]
    assert a.labels == {"t_stage": "T3", "n_stage": "N0", "m_stage": "not reported", "grade": "G2",
                        "er": "Positive", "pr": "Positive", "her2": "Positive"}
    assert a.extra == {"reviewed": ["t_stage", "her2"], "notes": {"t_stage": "pT3 in addendum"}}
    assert a.path == str(inputs / "a" / "r1.txt") and a.specimen is None
    assert examples["b.txt#left"].labels["grade"] == "not reported" and examples["b.txt#left"].specimen == "left"
    assert examples["b.txt#right"].labels["er"] is None and examples["b.txt#right"].labels["pr"] == "Positive"
    assert examples["=HYPERLINK(1).txt#all"].labels["m_stage"] == "not reported"
    muller = examples["M\\xfcller.txt#all"]
    assert muller.labels["pr"] == "Negative" and os.fsencode(muller.path).endswith(b"/M\xfcller.txt")
    assert Path(muller.path).is_file()
    lines = [json.loads(x) for x in dest.read_text(encoding="utf-8").splitlines()]
    assert lines[2]["path"] == "../reports/a/r1.txt"  # relative to the labelled file's folder
    assert report.from_source == 5 * 7 - 6 and report.unknown_labels == 1


def test_without_the_run_output_only_reviewed_fields_are_labelled(run, tmp_path):
    inputs, _, sheet = run
    report = import_sheet(fill(sheet, {4: "T1"}), tmp_path / "c.jsonl", input_root=inputs)
    a = by_id(tmp_path / "c.jsonl")["a/r1.txt#all"]
    assert a.labels == {t: None for t in schema.TASKS} | {"t_stage": "T1", "her2": "not reported"}
    assert report.from_source == 0 and report.corrected == 1 and report.confirmed == 5


def test_flagged_fields_left_off_the_sheet_stay_unknown(run, tmp_path):
    inputs, out, sheet = run
    text = sheet.read_text(encoding="utf-8-sig").splitlines()
    del text[4]  # line 5: a/r1.txt her2
    sheet.write_text("\n".join(text) + "\n", encoding="utf-8")
    import_sheet(sheet, tmp_path / "c.jsonl", input_root=inputs, source_output=read_rows(out))
    a = by_id(tmp_path / "c.jsonl")["a/r1.txt#all"]
    assert a.labels["her2"] is None and a.labels["t_stage"] == "T2" and a.labels["n_stage"] == "N0"


def test_invalid_lines_are_reported_by_number_and_skipped(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.txt").write_text("r")
    sheet = tmp_path / "s.csv"
    sheet.write_text("\n".join([
        HEADER,
        "x.txt,,t_stage,T2,0.5,,ev,,",          # 2 ok: confirmed
        "x.txt,,size,T2,,,,,",                   # 3 unknown field
        "x.txt,,grade,G2,,,,G4,",                # 4 not a grade
        "x.txt,middle,er,Positive,,,,,",         # 5 bad specimen
        "",                                      # 6 blank: skipped silently
        "x.txt,,t_stage,T2,,,,T3,",              # 7 conflicts with line 2
        "../etc/passwd,,er,Positive,,,,,",       # 8 outside the input folder
        '"multi\nline.txt",,pr,Maybe,,,,,',      # 9-10 bad value, empty correct_value
        "x.txt,,her2,Negative,,,,,",             # 11 ok
        "x.txt,,her2,Negative,,,,,",             # 12 repeat: a warning
        ",,,,,,,,",                              # 13 empty cells: skipped silently
    ]) + "\n", encoding="utf-8")
    report = import_sheet(sheet, tmp_path / "c.jsonl", input_root=tmp_path / "in")
    numbers = [p.split(":")[0] for p in report.invalid]
    assert numbers == ["line 3", "line 4", "line 5", "line 7", "line 8", "line 9"]
    assert "unknown field 'size'" in report.invalid[0] and "'G4' is not one of G1, G2, G3" in report.invalid[1]
    assert "already 'T2' on line 2" in report.invalid[3] and "value 'Maybe' is not one of" in report.invalid[5]
    assert report.warnings == ["line 12: repeats line 11"] and report.lines == 9
    assert by_id(tmp_path / "c.jsonl")["x.txt#all"].labels == {t: None for t in schema.TASKS} | {
        "t_stage": "T2", "her2": "Negative"}
    text = report.text()
    assert "9 line(s): 2 confirmed, 0 corrected, 0 marked unknown, 6 invalid (skipped)" in text
    assert "invalid: line 4: grade: 'G4'" not in text and "invalid: line 4:" in text


def test_spreadsheet_dialects_are_read(tmp_path):
    """Semicolons (some locales), a BOM, CRLF, case and spacing changes, a quoted formula-looking name."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "-x.txt").write_text("r")
    sheet = tmp_path / "s.csv"
    sheet.write_bytes("\ufeffFile;Specimen;Field;Value;Correct_Value\r\n'-x.txt;LEFT; ER ;positive; negative \r\n"
                      .encode("utf-8"))
    report = import_sheet(sheet, tmp_path / "c.jsonl", input_root=tmp_path / "in")
    ex = by_id(tmp_path / "c.jsonl")["-x.txt#left"]
    assert ex.labels["er"] == "Negative" and ex.specimen == "left" and report.corrected == 1


def test_a_sheet_from_another_run_is_warned_about_not_dropped(run, tmp_path):
    inputs, out, sheet = run
    rows = read_rows(out)
    rows[1]["t_stage"] = "T3"  # a/r1.txt: the output changed since the sheet was written
    report = import_sheet(sheet, tmp_path / "c.jsonl", input_root=inputs, source_output=rows)
    assert report.missing_files == 0 and report.examples == 5 and report.invalid == []
    assert [w for w in report.warnings if "differs" in w] == [
        "line 4: the run output now differs for t_stage (sheet from another run?); the sheet is imported as filled"]


def test_a_missing_report_makes_its_lines_invalid_not_silently_imported(run, tmp_path):
    """A sheet line whose report is not under --input would give `pathx fit` a path it cannot read: it is an
    invalid line (listed, skipped, exit 3 on the command line), the other reports are imported."""
    inputs, out, sheet = run
    (inputs / "b.txt").unlink()  # sheet lines 6 (b.txt left) and 7 (b.txt right)
    report = import_sheet(sheet, tmp_path / "c.jsonl", input_root=inputs, source_output=out)
    assert report.missing_files == 1 and report.examples == 3
    assert report.invalid == ["line 6: report not found under the input folder: b.txt",
                              "line 7: report not found under the input folder: b.txt"]
    assert not any(ex_id.startswith("b.txt") for ex_id in by_id(tmp_path / "c.jsonl"))
    text = report.text()
    assert "6 line(s): 4 confirmed, 0 corrected, 0 marked unknown, 2 invalid (skipped)" in text
    assert "1 report(s) not found under the input folder (their lines skipped): check --input" in text
    # a wrong --input: no report is there, nothing is written
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"none of the 4 report\(s\) it names is under .*empty: check --input"):
        import_sheet(sheet, tmp_path / "d.jsonl", input_root=tmp_path / "empty")
    assert not (tmp_path / "d.jsonl").exists()


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pathx.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_cli_missing_report_and_wrong_input_are_errors_not_exit_0(run, tmp_path):
    inputs, out, sheet = run
    (inputs / "b.txt").unlink()
    proc = _cli("review-import", sheet, "--input", inputs, "--from", out, "-o", tmp_path / "c.jsonl")
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.splitlines() == [
        f"pathx: error: {sheet}: 2 sheet line(s) skipped, the rest imported; first: line 6: report not found "
        "under the input folder: b.txt"]
    assert "invalid: line 7: report not found under the input folder: b.txt" in proc.stdout
    (tmp_path / "empty").mkdir()
    proc = _cli("review-import", sheet, "--input", tmp_path / "empty", "-o", tmp_path / "d.jsonl")
    assert proc.returncode == 1 and not (tmp_path / "d.jsonl").exists()
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("pathx: error: ")
    assert "none of the 4 report(s)" in proc.stderr and "check --input" in proc.stderr


def test_cli_a_cell_over_the_csv_field_limit_is_one_input_error_line(run, tmp_path):
    """Python's csv module refuses a cell over 131,072 characters (csv.Error): one line naming the sheet and
    the line, the exit code of a refused input (1), never `internal error` (70) or a traceback."""
    inputs, out, sheet = run
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    cells = next(csv.reader([lines[2]]))
    cells[SHEET_COLUMNS.index("note")] = "x" * 200_000  # a pasted report, or a file that is no sheet
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    lines[2] = buf.getvalue()
    big = tmp_path / "big.csv"
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = _cli("review-import", big, "--input", inputs, "-o", tmp_path / "c.jsonl")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        f"pathx: error: {big}: line 3: a cell is longer than 131,072 characters (is this the review sheet?)"]
    assert "Traceback" not in proc.stderr and "x" * 100 not in proc.stderr + proc.stdout
    assert not (tmp_path / "c.jsonl").exists()
    # the header line too; and `pathx review` meeting such a file where its sheet goes keeps it
    big.write_text("file,specimen,field,value,correct_value," + "y" * 140_000 + "\n", encoding="utf-8")
    proc = _cli("review-import", big, "--input", inputs, "-o", tmp_path / "c.jsonl")
    assert proc.returncode == 1 and proc.stderr.splitlines() == [
        f"pathx: error: {big}: line 1: a cell is longer than 131,072 characters (is this the review sheet?)"]
    proc = _cli("review", out, "--sheet", big)
    assert proc.returncode == 2 and "not a review sheet; use --force" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_unusable_sheets_raise_one_line_data_errors(tmp_path):
    bad = tmp_path / "s.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="header needs the columns file, specimen, field, value, correct_value"):
        import_sheet(bad, tmp_path / "c.jsonl", input_root=tmp_path)
    bad.write_bytes(HEADER.encode() + b"\nM\xfcller.txt,,er,Positive,,,,,\n")
    with pytest.raises(DataError, match="not UTF-8 text; save it as 'CSV UTF-8'"):
        import_sheet(bad, tmp_path / "c.jsonl", input_root=tmp_path)
    bad.write_text(HEADER + "\nx.txt,,er,Positive,,,,Maybe,\n")
    with pytest.raises(DataError, match="no example to import: line 2: 'Maybe' is not one of"):
        import_sheet(bad, tmp_path / "c.jsonl", input_root=tmp_path)
    assert not (tmp_path / "c.jsonl").exists()
    with pytest.raises(DataError, match="cannot read the review sheet"):
        import_sheet(tmp_path / "none.csv", tmp_path / "c.jsonl", input_root=tmp_path)


def test_import_help_teaches_the_loop():
    for step in ("pathx review-import", "--input", "--from", "pathx fit", "not reported", "unknown"):
        assert step in IMPORT_HELP


def test_labels_are_read_the_way_pathologists_write_them(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.txt").write_text("r")
    answers = {"t_stage": "pT1c", "n_stage": "pN1mi", "m_stage": "cM0", "grade": "3", "er": "NEGATIVE",
               "pr": " Not   reported ", "her2": "?"}
    sheet = tmp_path / "s.csv"
    sheet.write_text(HEADER + "\n" + "".join(f"x.txt,,{t},G1,,,,{a},\n" for t, a in answers.items())
                     + "x.txt,,t_stage,T1,,,,pN1,\n" + '"a\\x00b.txt",,er,Positive,,,,,\n', encoding="utf-8")
    report = import_sheet(sheet, tmp_path / "c.jsonl", input_root=tmp_path / "in")
    assert by_id(tmp_path / "c.jsonl")["x.txt#all"].labels == {
        "t_stage": "T1", "n_stage": "N1mi", "m_stage": "M0", "grade": "G3", "er": "Negative", "pr": "not reported",
        "her2": None}
    assert len(report.invalid) == 2
    assert report.invalid[0].startswith("line 9: 'pN1' is not one of Tis")
    assert report.invalid[1] == "line 10: the file name holds a NUL character"


def test_imported_examples_are_read_by_fit_from_the_reports(tmp_path):
    """The labelled file's paths reach the reports and specimens as `pathx fit` reads them (no warning)."""
    from runkit import report_text

    from pathx.ingestion.pipeline import IngestOptions, units_for_examples
    from pathx.rules.engine import RuleEngine

    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    (inputs / "one.txt").write_text(report_text(0))
    (inputs / "sub" / "two.txt").write_text(report_text(1, bilateral=True))
    rows = [row("one.txt", review=("grade",)), row("sub/two.txt", "left", review=("er",)),
            row("sub/two.txt", "right", review=("t_stage",))]
    (tmp_path / "run").mkdir()
    out = write_jsonl(tmp_path / "run" / "out.jsonl", rows)
    write_review(read_rows(out), *default_paths(out), source_name=out.name)
    import_sheet(fill(default_paths(out)[1], {3: "Negative"}), tmp_path / "labels.jsonl", input_root=inputs,
                 source_output=out)
    examples = read_labeled(tmp_path / "labels.jsonl")
    assert [(e.id, e.specimen, e.labels["er"]) for e in examples] == [
        ("one.txt#all", None, "Positive"), ("sub/two.txt#left", "left", "Negative"),
        ("sub/two.txt#right", "right", "Positive")]
    units, warnings = units_for_examples(examples, RuleEngine.load(), IngestOptions())
    assert warnings == [] and [u.specimen for u in units] == [None, "left", "right"]
