"""The review page and sheet (pathx.review.page): every flagged field listed once in (file, specimen,
task) order with value, confidence, runner-up and highlighted evidence; report text escaped; nothing
on the page loads or runs anything; the sheet has the documented columns and spreadsheet-safe cells."""
from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from reviewkit import HOSTILE, detail, error_row, row, sample_rows, write_jsonl

from pathx import schema
from pathx.outputs.rows import read_rows
from pathx.review import REVIEW_HELP, default_paths, write_review
from pathx.review.page import SHEET_COLUMNS

EXPECTED = [  # (file, specimen, field, value) per sheet line 2.. in order
    ("=HYPERLINK(1).txt", "", "m_stage", "not reported"),
    ("M\\xfcller.txt", "", "pr", "Negative"),
    ("a/r1.txt", "", "t_stage", "T2"),
    ("a/r1.txt", "", "her2", "not reported"),
    ("b.txt", "left", "grade", "G3"),
    ("b.txt", "right", "er", "Positive"),
]


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text outside tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def review(tmp_path):
    """The sample rows written as a JSONL output, read back, and reviewed."""
    out = write_jsonl(tmp_path / "out.jsonl", sample_rows())
    page, sheet = default_paths(out)
    summary = write_review(read_rows(out), page, sheet, source_name=out.name)
    return summary, page.read_text(encoding="utf-8"), sheet.read_text(encoding="utf-8")


def sheet_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_default_paths_sit_beside_the_output(tmp_path):
    assert default_paths(tmp_path / "out.jsonl") == (tmp_path / "out.review.html", tmp_path / "out.review.csv")


def test_summary_counts_rows_and_flagged_fields_per_field(review):
    summary, page, _ = review
    assert (summary.rows, summary.ok_rows, summary.error_rows, summary.flagged_rows) == (7, 6, 1, 5)
    assert summary.flagged_fields == {"t_stage": 1, "n_stage": 0, "m_stage": 1, "grade": 1, "er": 1, "pr": 1,
                                      "her2": 1}
    top = page[: page.index('id=flagged')]
    assert "out.jsonl" in top and "flagged fields</th><th class=n>6<" in top
    for task in schema.TASKS:
        assert f"{schema.FIELD_NAMES[task]} ({task})</td><td class=n>{summary.flagged_fields[task]}<" in top


def test_page_lists_every_flagged_field_in_file_specimen_task_order(review):
    _, page, _ = review
    lines = re.findall(r'<tr id="line-(\d+)"><td>\d+</td><td class=file>(.*?)</td><td>(.*?)</td>'
                       r'<td>[^<]*<br><span class=muted>(\w+)</span></td><td class=value>(.*?)</td>', page)
    shown = [(int(n), f, s, t, re.sub("<.*?>", "", v)) for n, f, s, t, v in lines]
    assert shown == [(i, f.replace("&", "&amp;"), s or "-", t, v) for i, (f, s, t, v) in enumerate(EXPECTED, 2)]


def test_page_shows_confidence_runner_up_and_marks_the_quote(review):
    _, page, _ = review
    t_line = page[page.index('id="line-4"'):page.index('id="line-5"')]
    assert "0.55" in t_line and ">T1<" in t_line and "rules / found" in t_line
    assert "Tumour size 2.3 cm, <mark>pT2</mark> pN0 (sn)." in t_line
    er_line = page[page.index('id="line-7"'):]
    assert "<mark>&lt;b&gt;ER&lt;/b&gt; positive</mark> (weak)" in er_line and "both / found|tie" in er_line
    her2_line = page[page.index('id="line-5"'):page.index('id="line-6"')]
    assert "<mark>" not in her2_line and "HER2 pending; see addendum." in her2_line
    assert '<span class="nr">not reported</span>' in her2_line


def test_report_text_is_escaped_and_nothing_loads_or_runs(review):
    _, page, _ = review
    grade_line = page[page.index('id="line-6"'):page.index('id="line-7"')]
    assert "&lt;script src=&quot;/x.js&quot;&gt;&lt;/script&gt;" in grade_line
    assert "<mark>grade 3</mark> &amp; more" in grade_line
    parser = Tags()
    parser.feed(page)
    tags = {tag for tag, _ in parser.tags}
    assert not tags & {"script", "img", "link", "iframe", "object", "embed", "form", "base", "audio", "video"}
    for tag, attrs in parser.tags:
        assert not {"src", "href", "action", "srcset", "poster", "background"} & set(attrs), tag
        assert not any(a.startswith("on") for a in attrs), tag
    assert HOSTILE in "".join(parser.text)  # shown as text
    assert "url(" not in page and "@import" not in page
    assert "content=\"default-src 'none';" in page
    assert "encrypted PDF &lt;no password&gt;" in page[page.index("id=errors"):]


def test_a_page_without_report_urls_holds_no_url_or_src_at_all(tmp_path):
    rows = [row("x.txt", review=("t_stage",), details={"t_stage": detail("size 25 mm, pT2", "pT2")})]
    write_review(rows, tmp_path / "p.html", tmp_path / "s.csv", source_name="o.jsonl")
    page = (tmp_path / "p.html").read_text(encoding="utf-8").lower()
    assert "http://" not in page and "https://" not in page and "src=" not in page and "<script" not in page


def test_sheet_has_the_columns_and_one_line_per_flagged_field(review):
    _, _, sheet = review
    rows = sheet_rows(sheet)
    assert tuple(rows[0]) == SHEET_COLUMNS == ("file", "specimen", "field", "value", "confidence", "runner_up",
                                               "evidence", "correct_value", "note")
    assert [(r[0], r[1], r[2], r[3]) for r in rows[1:]] == [("'" + EXPECTED[0][0],) + EXPECTED[0][1:]] + EXPECTED[1:]
    t = rows[3]
    assert (t[4], t[5], t[6], t[7], t[8]) == ("0.55", "T1", "Tumour size 2.3 cm, [[pT2]] pN0 (sn).", "", "")
    assert rows[5][6] == "Nottingham " + HOSTILE + " [[grade 3]] & more"
    assert rows[4][6] == "HER2 pending; see addendum." and rows[4][4] == ""  # no quote, no confidence
    assert all(len(r) == len(SHEET_COLUMNS) for r in rows)


def test_sheet_cells_never_start_a_formula(tmp_path):
    rows = [row("+cmd.txt", review=("t_stage",), details={"t_stage": detail("=1+1 then pT2", "pT2")}),
            row("@x.txt", review=("er",), details={"er": detail("-ER positive", "ER positive")})]
    write_review(rows, tmp_path / "p.html", tmp_path / "s.csv", source_name="o.jsonl")
    cells = [c for r in sheet_rows((tmp_path / "s.csv").read_text(encoding="utf-8"))[1:] for c in r]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert "'+cmd.txt" in cells and "'=1+1 then [[pT2]]" in cells and "'-[[ER positive]]" in cells


def test_csv_output_rows_and_rows_without_a_field_list_are_handled(tmp_path):
    old = row("old.txt")
    del old["review"], old["evidence_detail"]
    old["needs_review"] = True
    rows = [old, error_row("e.txt", "e.txt: unreadable"),
            {**row("n.txt", review=("grade",)), "evidence_detail": None, "evidence": None}]
    summary = write_review(rows, tmp_path / "p.html", tmp_path / "s.csv", source_name="o.csv")
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert summary.unnamed_rows == 1 and summary.total_flagged == 1
    assert "old.txt" in page[page.index("id=errors"):] and "(no evidence text)" in page
    assert len(sheet_rows((tmp_path / "s.csv").read_text(encoding="utf-8"))) == 2


def test_control_characters_and_bad_offsets_stay_visible_and_in_place(tmp_path):
    d = detail("pre\x1b[31m pT3 post", "pT3")
    d["context_start"] = 0  # wrong offset: the quote is found in the context instead
    rows = [row("z.txt", review=("t_stage",), values={"t_stage": "T3"}, details={"t_stage": d})]
    write_review(rows, tmp_path / "p.html", tmp_path / "s.csv", source_name="o.jsonl")
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert "pre\\x1b[31m <mark>pT3</mark> post" in page and "\x1b" not in page


def test_tabs_and_line_breaks_show_as_whitespace_not_as_escapes(tmp_path):
    """Report text keeps its tabs (a table pasted from a form): `pathx review` shows them as whitespace on
    the page and as spaces in the sheet, never as `\\x09`; other control characters stay visible."""
    d = detail("ER:\tpositive\t(95%)\r\nPR:\tnegative \x1b[0m", "positive")
    out = write_jsonl(tmp_path / "out.jsonl", [row("z.txt", review=("er",), details={"er": d})])
    proc = subprocess.run([sys.executable, "-m", "pathx.cli", "review", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    page_path, sheet_path = default_paths(out)
    page = page_path.read_bytes().decode("utf-8")
    assert "ER:\t<mark>positive</mark>\t(95%)\r\nPR:\tnegative \\x1b[0m" in page
    assert "\\x09" not in page and "\\x0a" not in page and "\\x0d" not in page and "\x1b" not in page
    evidence = sheet_rows(sheet_path.read_text(encoding="utf-8"))[1][SHEET_COLUMNS.index("evidence")]
    assert evidence == "ER: [[positive]] (95%) PR: negative \\x1b[0m"


def test_no_flag_gives_an_empty_sheet_and_a_page_that_says_so(tmp_path):
    summary = write_review([row("c.txt")], tmp_path / "p.html", tmp_path / "s.csv", source_name="o.jsonl")
    assert summary.total_flagged == 0
    assert "No field is flagged for review." in (tmp_path / "p.html").read_text(encoding="utf-8")
    assert sheet_rows((tmp_path / "s.csv").read_text(encoding="utf-8")) == [list(SHEET_COLUMNS)]


def test_review_help_teaches_the_loop():
    for step in ("pathx run", "pathx review out.jsonl", "correct_value", "pathx review-import", "pathx fit"):
        assert step in REVIEW_HELP


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_outputs_written_by_todays_writer_are_read(tmp_path, suffix):
    """Rows from pathx.outputs.rows: the flagged field is named in `review` and listed by field."""
    from pathx.outputs.rows import FieldPrediction, error_row as writer_error_row, prediction_row, write_rows

    preds = {"t_stage": FieldPrediction("T2", 0.4, "pT2", needs_review=True), "er": FieldPrediction("Positive")}
    rows = [prediction_row("r.txt", "left", preds, "b"), writer_error_row("e.txt", "e.txt: unreadable", "b")]
    out = tmp_path / f"out{suffix}"
    with out.open("w", encoding="utf-8") as fh:
        write_rows(fh, rows, suffix.lstrip("."))
    summary = write_review(read_rows(out), *default_paths(out), source_name=out.name)
    assert (summary.rows, summary.error_rows, summary.unnamed_rows, summary.total_flagged) == (2, 1, 0, 1)
    page = default_paths(out)[0].read_text(encoding="utf-8")
    assert "r.txt</td><td>left</td>" in page and "error: e.txt: unreadable" in page
