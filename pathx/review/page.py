"""`pathx review OUTPUT` (pathx/cli/review.py): the flagged fields of a run as an HTML review page and a CSV review sheet.

Input: the output rows of `pathx run` (read back with `pathx.outputs.rows.read_rows`; JSONL carries
`review` and `evidence_detail`, see the review contract; CSV rows work too, without evidence).

Flagged field = a task named in a row's `review` (";"-joined, task order). Unknown names in `review`
are ignored. A row with `needs_review` and no field named (an output written before `review` existed)
and every `status=error` row go to a separate "rows to check" list; they have no sheet line.

The HTML page (`out_html`):
- self-contained: inline CSS, no script at all, no image, font, link or form pointing anywhere; a
  Content-Security-Policy meta tag (`default-src 'none'`) stops the browser fetching or running
  anything even if a report held markup. Opens from a USB stick, works with JavaScript off;
- a summary (rows, ok / error rows, flagged fields per field), then one table line per flagged
  field sorted by (file, specimen, task order): sheet line, file, specimen, field, value (or
  "not reported"), confidence, runner-up, engine/signals, and the de-identified evidence context
  with the quote in <mark>; then the error rows (file, error);
- every text is HTML-escaped after control characters other than whitespace (tab, line break) and
  undecodable bytes are made visible (`names.safe_text`), so report text such as "<script>" is
  shown, never run, and a tab shows as a space, not as `\\x09`.

The CSV sheet (`out_csv`): header SHEET_COLUMNS, one line per flagged field in the page's order
(page column "sheet line" = the CSV line number). `evidence` is the context with the quote wrapped
in `[[ ]]` (or the quote alone, or empty), on one line (runs of whitespace, tabs included, as one space). `correct_value` and `note` are empty for the reviewer.
Every text cell goes through `names.csv_cell` (no spreadsheet formulas); the file starts with a
UTF-8 byte-order mark so spreadsheet programs read accents right. `pathx.review.sheet` reads it back.

Both files are replaced atomically (`fsutil.atomic_write_text`).
"""
from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

from pathx import schema
from pathx.fsutil import atomic_write_text
from pathx.ingestion.scrub import scrub_parts
from pathx.outputs.names import csv_cell, safe_text

SHEET_COLUMNS: tuple[str, ...] = (
    "file", "specimen", "field", "value", "confidence", "runner_up", "evidence", "correct_value", "note",
)
MARK_OPEN, MARK_CLOSE = "[[", "]]"  # the quote inside the sheet's evidence cell
BOM = "\ufeff"

REVIEW_LOOP = """\b
The review loop:
  1. pathx run reports/ -o out.jsonl           rows; `review` names the fields to check
  2. pathx review out.jsonl                    out.review.html + out.review.csv
  3. read each flagged field on the page (the evidence is highlighted); in the sheet, fill
     correct_value only where the value is wrong: a label (T2, N1mi, G3, Positive, ...),
     "not reported", or "unknown" (cannot tell); leave it empty when the value is right
  4. pathx review-import out.review.csv --input reports/ --from out.jsonl -o corrections.jsonl
  5. pathx fit corrections.jsonl -o runs/mymodel    (or add it to your labelled data)
"""

REVIEW_HELP = """Write a review page and a review sheet for the fields a run flagged.

OUTPUT is the .jsonl (or .csv) that `pathx run` wrote. Beside it go OUTPUT.review.html (open it in any
browser, also from a USB stick; it loads nothing from the network) and OUTPUT.review.csv (the sheet);
--html and --sheet write them elsewhere. A sheet that already holds a filled correct_value or note is
not replaced without --force (exit 2), so a rerun never loses a reviewer's work.

""" + REVIEW_LOOP + """
Only de-identified text is shown. The sheet's "sheet line" numbers match the page.
"""


@dataclass
class FlaggedField:
    """One sheet line: a field of one row that needs a person's check."""

    file: str
    specimen: str | None
    task: str
    value: str  # a label, or schema.NOT_REPORTED
    confidence: float | None
    runner_up: str | None
    engine: str | None
    signals: str | None
    before: str  # context before the quote
    quote: str  # the marked text ("" = none)
    after: str  # context after the quote


@dataclass
class ReviewSummary:
    """What write_review wrote: counts for the console and the page's summary."""

    rows: int = 0
    ok_rows: int = 0
    error_rows: int = 0
    flagged_rows: int = 0
    flagged_fields: dict[str, int] = field(default_factory=lambda: {t: 0 for t in schema.TASKS})
    unnamed_rows: int = 0  # needs_review but no field named

    @property
    def total_flagged(self) -> int:
        return sum(self.flagged_fields.values())


def default_paths(output: str | Path) -> tuple[Path, Path]:
    """The page and sheet beside a run output: out.jsonl -> out.review.html, out.review.csv."""
    output = Path(output)
    stem = output.with_suffix("")
    return stem.with_name(stem.name + ".review.html"), stem.with_name(stem.name + ".review.csv")


def _text(value) -> str | None:
    """A cell as text: None and "" -> None (CSV output rows hold "" for null)."""
    if value is None:
        return None
    value = str(value)
    return value if value.strip() else None


def _float(value) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() == "true"


def review_tasks(row: dict) -> list[str]:
    """The tasks a row's `review` names, in task order; [] when none (or no `review` key)."""
    named = {part.strip() for part in str(row.get("review") or "").split(";")}
    return [t for t in schema.TASKS if t in named]


def _evidence_parts(row: dict, task: str) -> tuple[str, str, str]:
    """(before, quote, after) from evidence_detail; falls back to the bare evidence snippet."""
    detail = (row.get("evidence_detail") or {}).get(task)
    if isinstance(detail, dict):
        context = str(detail.get("context") or "")
        quote = str(detail.get("quote") or "")
        start = detail.get("context_start")
        if quote and isinstance(start, int) and 0 <= start and context[start:start + len(quote)] == quote:
            return context[:start], quote, context[start + len(quote):]
        if quote and quote in context:  # an offset that does not match: find the quote instead
            start = context.index(quote)
            return context[:start], quote, context[start + len(quote):]
        if quote:
            return "", quote, ""
        return context, "", ""
    evidence = (row.get("evidence") or {}).get(task) if isinstance(row.get("evidence"), dict) else None
    return "", str(evidence or ""), ""


def flagged_fields(rows: list[dict]) -> list[FlaggedField]:
    """Every flagged field of ok rows, sorted by (file, specimen, task order)."""
    order = {t: i for i, t in enumerate(schema.TASKS)}
    found = []
    for row in rows:
        if row.get("status") == "error":
            continue
        for task in review_tasks(row):
            detail = (row.get("evidence_detail") or {}).get(task)
            detail = detail if isinstance(detail, dict) else {}
            # Evidence goes through the final scrub (pathx.ingestion.scrub) again: rows made by pathx run
            # are scrubbed already, an older output's are not.
            before, quote, after = scrub_parts(list(_evidence_parts(row, task)))
            found.append(FlaggedField(
                file=str(row.get("file") or ""), specimen=_text(row.get("specimen")), task=task,
                value=_text(row.get(task)) or schema.NOT_REPORTED,
                confidence=_float(row.get(f"{task}_confidence")),
                runner_up=_text(detail.get("runner_up")), engine=_text(detail.get("engine")),
                signals=_text(detail.get("signals")), before=before, quote=quote, after=after))
    found.sort(key=lambda f: (f.file, f.specimen or "", order[f.task]))
    return found


def summarize(rows: list[dict]) -> ReviewSummary:
    s = ReviewSummary(rows=len(rows))
    for row in rows:
        if row.get("status") == "error":
            s.error_rows += 1
            continue
        s.ok_rows += 1
        tasks = review_tasks(row)
        if tasks:
            s.flagged_rows += 1
        elif _truthy(row.get("needs_review")):
            s.unnamed_rows += 1
        for t in tasks:
            s.flagged_fields[t] += 1
    return s


# ---- the sheet ----------------------------------------------------------------------------------

def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def sheet_evidence(f: FlaggedField) -> str:
    """The sheet's evidence cell: context with the quote in [[ ]], one line."""
    if f.quote:
        text = f"{f.before}{MARK_OPEN}{f.quote}{MARK_CLOSE}{f.after}"
    else:
        text = f.before + f.after
    return safe_text(" ".join(text.split()))  # tabs and line breaks are spaces, not `\\x09`


def sheet_text(fields: list[FlaggedField]) -> str:
    """The CSV review sheet (with its BOM) for these flagged fields."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SHEET_COLUMNS)
    for f in fields:
        cells = [f.file, f.specimen or "", f.task, f.value, _num(f.confidence), f.runner_up or "",
                 sheet_evidence(f), "", ""]
        writer.writerow([csv_cell(safe_text(c)) for c in cells])
    return BOM + buf.getvalue()


# ---- the page -----------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:1.5em;color:#111;background:#fff}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #bbb;padding:.3em .45em;vertical-align:top;text-align:left}
th{background:#eee;position:sticky;top:0}tbody tr:nth-child(even){background:#f7f7f7}
.summary{width:auto}.summary td.n{text-align:right}
.file{word-break:break-all;font-family:ui-monospace,Consolas,monospace;font-size:.9em}
.value{font-weight:bold;white-space:nowrap}.nr{color:#555;font-style:italic;font-weight:normal}
.muted{color:#666;font-size:.85em}.ev{font-family:ui-monospace,Consolas,monospace;font-size:.9em;max-width:60em}
mark{background:#ffe14d;color:#000;padding:0 .1em;font-weight:bold}
.note{background:#eef4ff;border:1px solid #9bb8e8;padding:.5em .8em;max-width:60em}
@media print{th{position:static}}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


# Whitespace a browser shows as whitespace (HTML's own: tab, newline, form feed, carriage return);
# every other control character is made visible.
HTML_WHITESPACE = "\t\n\f\r"


def _h(text) -> str:
    """Display text: tabs and line breaks kept as whitespace, other control characters and undecodable
    bytes made visible (`\\x1b`), then HTML-escaped."""
    text = str(text)
    if not (text.isascii() and text.isprintable()):
        text = "".join(c if c in HTML_WHITESPACE else safe_text(c) for c in text)
    return html.escape(text, quote=True)


def _value_html(value: str) -> str:
    return f'<span class="nr">{_h(value)}</span>' if value == schema.NOT_REPORTED else _h(value)


def _evidence_html(f: FlaggedField) -> str:
    if not (f.before or f.quote or f.after):
        return '<span class="muted">(no evidence text)</span>'
    marked = f"<mark>{_h(f.quote)}</mark>" if f.quote else ""
    note = "" if f.quote else '<br><span class="muted">no value found; text around the cue</span>'
    return f"{_h(f.before)}{marked}{_h(f.after)}{note}"


def _summary_html(s: ReviewSummary, source_name: str, sheet_name: str) -> str:
    lines = [
        f"<tr><td>rows (file, specimen)</td><td class=n>{s.rows}</td></tr>",
        f"<tr><td>ok rows</td><td class=n>{s.ok_rows}</td></tr>",
        f"<tr><td>error rows</td><td class=n>{s.error_rows}</td></tr>",
        f"<tr><td>rows with flagged fields</td><td class=n>{s.flagged_rows}</td></tr>",
        f"<tr><th>flagged fields</th><th class=n>{s.total_flagged}</th></tr>",
    ]
    lines += [f"<tr><td>{_h(schema.FIELD_NAMES[t])} ({_h(t)})</td><td class=n>{n}</td></tr>"
              for t, n in s.flagged_fields.items()]
    return (f"<h1>pathx review: {_h(source_name)}</h1>\n"
            f"<table class=summary id=summary>{''.join(lines)}</table>\n"
            f'<p class=note>Check each flagged field below against its evidence (the highlighted text). '
            f"In the review sheet <b>{_h(sheet_name)}</b>, fill <b>correct_value</b> on the same sheet line "
            f"only where the value is wrong (a label, <i>not reported</i>, or <i>unknown</i>); leave it empty "
            f"where it is right. Then run <code>pathx review-import</code> and <code>pathx fit</code>.</p>\n")


def _fields_html(fields: list[FlaggedField]) -> str:
    if not fields:
        return "<h2>Flagged fields</h2>\n<p>No field is flagged for review.</p>\n"
    head = ("<tr><th>sheet line</th><th>file</th><th>specimen</th><th>field</th><th>value</th>"
            "<th>confidence</th><th>runner-up</th><th>evidence (de-identified)</th></tr>")
    body = []
    for line, f in enumerate(fields, start=2):
        how = " / ".join(_h(x) for x in (f.engine, f.signals) if x)
        body.append(
            f'<tr id="line-{line}"><td>{line}</td><td class=file>{_h(f.file)}</td>'
            f"<td>{_h(f.specimen or '-')}</td><td>{_h(schema.FIELD_NAMES[f.task])}"
            f"<br><span class=muted>{_h(f.task)}</span></td><td class=value>{_value_html(f.value)}</td>"
            f"<td>{_h(_num(f.confidence) or '-')}{'<br><span class=muted>' + how + '</span>' if how else ''}</td>"
            f"<td>{_value_html(f.runner_up) if f.runner_up else '-'}</td>"
            f"<td class=ev>{_evidence_html(f)}</td></tr>")
    return (f"<h2>Flagged fields ({len(fields)})</h2>\n<table id=flagged><thead>{head}</thead>\n"
            f"<tbody>\n" + "\n".join(body) + "\n</tbody></table>\n")


def _other_rows_html(rows: list[dict]) -> str:
    errors = sorted((r for r in rows if r.get("status") == "error"), key=lambda r: str(r.get("file") or ""))
    unnamed = sorted((r for r in rows if r.get("status") != "error" and not review_tasks(r)
                      and _truthy(r.get("needs_review"))),
                     key=lambda r: (str(r.get("file") or ""), _text(r.get("specimen")) or ""))
    if not errors and not unnamed:
        return ""
    body = [f"<tr><td class=file>{_h(r.get('file') or '')}</td><td>-</td>"
            f"<td>error: {_h(r.get('error') or '')}</td></tr>" for r in errors]
    body += [f"<tr><td class=file>{_h(r.get('file') or '')}</td><td>{_h(_text(r.get('specimen')) or '-')}</td>"
             f"<td>needs review; the output names no field (written by an older pathx?)</td></tr>"
             for r in unnamed]
    return ("<h2>Rows to check as a whole (" + str(len(body)) + ")</h2>\n<p class=muted>Not on the review sheet: "
            "fix the file or rerun, then review again.</p>\n<table id=errors><thead><tr><th>file</th>"
            "<th>specimen</th><th>problem</th></tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>\n")


def page_html(rows: list[dict], fields: list[FlaggedField], summary: ReviewSummary, *,
              source_name: str, sheet_name: str) -> str:
    """The whole self-contained review page."""
    return ("<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name=referrer content=no-referrer>\n'
            '<meta name=viewport content="width=device-width, initial-scale=1">\n'
            f"<title>pathx review: {_h(source_name)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + _summary_html(summary, source_name, sheet_name) + _fields_html(fields) + _other_rows_html(rows)
            + "</body>\n</html>\n")


def write_review(rows: list[dict], out_html: str | Path, out_csv: str | Path, *, source_name: str) -> ReviewSummary:
    """Write the review page and the review sheet for `rows` (both atomically); returns the counts.

    `source_name` names the run output on the page (e.g. its file name; shown escaped, never opened).
    """
    rows = list(rows)
    fields = flagged_fields(rows)
    summary = summarize(rows)
    out_csv = Path(out_csv)
    atomic_write_text(out_csv, sheet_text(fields))
    atomic_write_text(out_html, page_html(rows, fields, summary, source_name=source_name, sheet_name=out_csv.name))
    return summary
