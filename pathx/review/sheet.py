"""`pathx review-import SHEET` (pathx/cli/review.py): a filled review sheet -> labelled data for `pathx fit`.

The sheet is the CSV `pathx.review.page` wrote (columns page.SHEET_COLUMNS; only file, specimen,
field, value and correct_value are required; `note` is kept when present), after a person filled
`correct_value`. Read as UTF-8 with or without a byte-order mark; the delimiter may be ",", ";" or
tab (spreadsheet programs in some locales save with ";"). Cells are read back with names.csv_uncell.

Per sheet line (one flagged field of one (file, specimen)), the label is:
- `correct_value` empty: the value the sheet showed was right -> label = `value`;
- a vocabulary label of that field or "not reported" -> that label (case-insensitive: "t2" -> "T2";
  a stage may keep its prefix and subcategory: "pT1c" -> "T1", "ypN2a" -> "N2", "pN1mi" -> "N1mi",
  "cM0" -> "M0"; a grade may be its digit: "3" -> "G3");
- "unknown" or "?": the reviewer cannot tell -> None (unknown; masked out of that task's loss).
A line with an unknown field, a bad specimen, a file name that is absolute or holds "..", a report
not found under the input folder, a label outside the field's vocabulary, or a second, different label
for a field set on an earlier line is invalid: reported as "line N: why" (N = the line in the CSV file, header = 1) and skipped. Blank
lines are skipped silently. Nothing else is dropped.

Output: one labels.Example per (file, specimen), in first-seen sheet order, written atomically as
labelled-data JSONL (pathx/training/labels.py; read back with read_labeled):
- id = "FILE#SPECIMEN" (specimen "all" when none), as `pathx label` names its examples;
- path = the report, relative to OUT_JSONL's folder. The sheet's `file` is relative to the folder
  `pathx run` read (its INPUT), escaped as in the output (names.escape_name), so `input_root` must be
  that folder: path = relpath(input_root / unescape_name(file), out_jsonl's folder). The sheet lines
  of a report that is not there are invalid ("line N: report not found under the input folder:
  FILE") and skipped, like other invalid lines: `pathx fit` could not read it. When no report of
  the sheet is there (a wrong --input), DataError says so;
- labels: the sheet's labels; every other field, when `source_output` (the run's rows) is given and
  holds this (file, specimen) as an ok row, gets the row's accepted value (null -> "not reported"),
  except fields the row flagged that have no sheet line (left unknown); without `source_output`,
  every field not on the sheet is unknown (None);
- extra keys: "reviewed" (the fields a person checked, task order) and "notes" ({field: note},
  only when a note was written).
Raises DataError (one line naming the file, and the line where there is one) when the sheet cannot be
read (not UTF-8, a line the csv module refuses, such as a cell over its 131,072-character limit), lacks
a required column, or yields no example.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pathx import schema
from pathx.errors import DataError
from pathx.fsutil import atomic_write_text
from pathx.outputs.names import csv_uncell, safe_text, unescape_name
from pathx.review.page import REVIEW_LOOP, review_tasks
from pathx.training.labels import Example, example_to_json

REQUIRED_COLUMNS = ("file", "specimen", "field", "value", "correct_value")
UNKNOWN_WORDS = ("unknown", "?")
SHOWN_PROBLEMS = 10

IMPORT_HELP = """Turn a filled review sheet into labelled data for `pathx fit`.

SHEET is the OUTPUT.review.csv that `pathx review OUTPUT` wrote, with correct_value filled in:
empty = the shown value is right; a label (T2, N1mi, M0, G3, Positive, Negative, Equivocal) or
"not reported" = the right value; "unknown" = cannot tell (the field stays unlabelled).

--input is the folder `pathx run` read (the sheet's file names are relative to it); the labelled file
points to the reports from -o's folder. With --from (the run output) every field you did not review
takes the run's accepted value, so each reviewed specimen becomes a fully labelled example; without
it only the reviewed fields are labelled. Lines with an unknown field, a value outside the field's
labels or a report that is not under --input are listed by line number and skipped; the rest is
imported (exit 3 when some were skipped; exit 1 when nothing could be imported).
An existing -o is not replaced without --force (exit 2).

""" + REVIEW_LOOP


@dataclass
class ImportReport:
    """What import_sheet read and wrote (counts, and problems by sheet line)."""

    sheet: str
    output: str = ""
    lines: int = 0  # non-blank sheet lines
    confirmed: int = 0  # correct_value empty or equal to value
    corrected: int = 0  # correct_value set to another label
    marked_unknown: int = 0  # correct_value "unknown" / "?"
    examples: int = 0
    from_source: int = 0  # labels taken from source_output's accepted values
    unknown_labels: int = 0  # fields of written examples left unknown (None)
    missing_files: int = 0  # report files not found under input_root (their lines are invalid)
    invalid: list[str] = field(default_factory=list)  # "line N: why", skipped
    warnings: list[str] = field(default_factory=list)  # "line N: ...", imported anyway

    def text(self) -> str:
        """A console summary: counts, then problems (at most SHOWN_PROBLEMS of each kind)."""
        out = [f"{self.sheet}: {self.lines} line(s): {self.confirmed} confirmed, {self.corrected} corrected, "
               f"{self.marked_unknown} marked unknown, {len(self.invalid)} invalid (skipped)",
               f"wrote {self.examples} example(s) to {self.output} ({self.from_source} label(s) from the run output, "
               f"{self.unknown_labels} unknown)"]
        if self.missing_files:
            out.append(f"{self.missing_files} report(s) not found under the input folder (their lines skipped): "
                       f"check --input")
        for kind, items in (("invalid", self.invalid), ("warning", self.warnings)):
            out += [f"{kind}: {item}" for item in items[:SHOWN_PROBLEMS]]
            if len(items) > SHOWN_PROBLEMS:
                out.append(f"{kind}: ... and {len(items) - SHOWN_PROBLEMS} more")
        return "\n".join(out) + "\n"


@dataclass
class _Line:
    number: int
    file: str
    specimen: str | None
    task: str
    label: str | None
    note: str
    shown: str | None  # the value the sheet showed (None: not a label)
    kind: str  # its ImportReport count: "confirmed", "corrected" or "marked_unknown"


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read the review sheet ({err.strerror or type(err).__name__})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path}: the review sheet is not UTF-8 text; save it as 'CSV UTF-8'") from None


def _csv_problem(path: Path, line: int, err: csv.Error) -> DataError:
    """A one-line DataError for a line the csv module refuses (a cell over its size limit, a stray
    NUL, ...): the file, the line and the cause, never the cell's text."""
    why = str(err)
    if "field larger than field limit" in why:
        why = f"a cell is longer than {csv.field_size_limit():,} characters (is this the review sheet?)"
    else:
        why = f"not readable as CSV ({why.split('(')[0].strip() or type(err).__name__})"
    return DataError(f"{path}: line {line}: {why}")


def _records(path: Path, text: str):
    """(header index by column name, iterator of (line number, cells)) for the sheet's delimiter.

    A line the csv module cannot read raises DataError naming the file and the line."""
    first = text.splitlines()[0] if text.strip() else ""
    for delimiter in (",", ";", "\t"):
        try:
            header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter), [])]
        except csv.Error as err:
            raise _csv_problem(path, 1, err) from None
        if all(col in header for col in REQUIRED_COLUMNS):
            break
    else:
        raise DataError(f"{path}: not a review sheet: the header needs the columns {', '.join(REQUIRED_COLUMNS)}")
    index = {name: header.index(name) for name in dict.fromkeys(header) if name}
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)

    def records():
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                raise _csv_problem(path, start, err) from None
            yield start, cells
            start = reader.line_num + 1

    return index, records()


def filled_lines(path: str | Path) -> int:
    """Lines of an existing review sheet where a person wrote something (correct_value or note); `pathx
    review` does not replace such a sheet without --force. DataError when it is not a review sheet."""
    path = Path(path)
    index, records = _records(path, _read_text(path))
    wanted = [index[c] for c in ("correct_value", "note") if c in index]
    return sum(1 for _number, cells in records if any(i < len(cells) and cells[i].strip() for i in wanted))


STAGE_PREFIX = re.compile(r"^(?:y?[pc]|r|a)(?=[tnm])")  # pT2, ypN1, cM0 -> T2, N1, M0
STAGE_SUBCATEGORY = re.compile(r"^([tn][0-4])(?:mi|[a-d])$")  # T1c, T1mi, T4b, N2a -> T1, T1, T4, N2


def _label(task: str, text: str) -> str:
    """A label of `task` from a person's text (case-insensitive; a stage may carry its p/c/yp prefix and
    a subcategory, N1mi staying N1mi; a grade may be its digit); ValueError otherwise."""
    wanted = " ".join(text.split()).lower()
    if task.endswith("_stage"):
        wanted = STAGE_PREFIX.sub("", wanted)
    elif task == "grade" and wanted in ("1", "2", "3"):
        wanted = "g" + wanted
    by_lower = {label.lower(): label for label in schema.model_classes(task)}
    if wanted in by_lower:
        return by_lower[wanted]
    sub = STAGE_SUBCATEGORY.match(wanted) if task.endswith("_stage") else None
    if sub and sub.group(1) in by_lower:
        return by_lower[sub.group(1)]
    raise ValueError(f"{_shorten(text)!r} is not one of {', '.join(schema.model_classes(task))}")


def _shorten(text: str, limit: int = 40) -> str:
    """A person's cell for a one-line message: visible characters, at most `limit` of them."""
    text = safe_text(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse(number: int, cell) -> _Line:
    """One sheet record -> _Line; ValueError (the reason) for an invalid one."""
    file = csv_uncell(cell("file"))
    if not file.strip():
        raise ValueError("no file")
    raw = Path(unescape_name(file))
    if "\0" in str(raw):
        raise ValueError("the file name holds a NUL character")
    if raw.is_absolute() or ".." in raw.parts:
        raise ValueError("the file must be relative to the input folder")
    task = csv_uncell(cell("field").strip()).lower()
    if task not in schema.TASKS:
        raise ValueError(f"unknown field {_shorten(task)!r}; fields are {', '.join(schema.TASKS)}")
    specimen = csv_uncell(cell("specimen").strip()).lower() or None
    if specimen not in schema.SPECIMENS:
        raise ValueError(f"specimen must be left, right or empty, got {_shorten(specimen)!r}")
    correct = csv_uncell(cell("correct_value").strip())
    try:
        shown, why = _label(task, csv_uncell(cell("value").strip())), ""
    except ValueError as err:
        shown, why = None, str(err)
    if correct.lower() in UNKNOWN_WORDS:
        label, kind = None, "marked_unknown"
    elif correct:
        label = _label(task, correct)
        kind = "confirmed" if label == shown else "corrected"
    elif shown is None:
        raise ValueError(f"correct_value is empty and value {why}")
    else:
        label, kind = shown, "confirmed"
    return _Line(number, file, specimen, task, label, csv_uncell(cell("note").strip()), shown, kind)


def read_sheet(path: str | Path, report: ImportReport) -> list[_Line]:
    """The sheet's valid lines (first label per field wins); invalid ones go to report.invalid."""
    path = Path(path)
    index, records = _records(path, _read_text(path))
    lines: list[_Line] = []
    seen: dict[tuple, _Line] = {}
    for number, cells in records:
        if not any(c.strip() for c in cells):
            continue
        report.lines += 1

        def cell(name: str) -> str:
            i = index.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        try:
            line = _parse(number, cell)
        except ValueError as err:
            report.invalid.append(f"line {number}: {err}")
            continue
        key = (line.file, line.specimen, line.task)
        earlier = seen.get(key)
        if earlier is not None:
            if earlier.label != line.label:
                report.invalid.append(f"line {number}: {line.task} of this specimen is already {earlier.label!r} "
                                      f"on line {earlier.number}")
            else:
                report.warnings.append(f"line {number}: repeats line {earlier.number}")
            continue
        seen[key] = line
        lines.append(line)
        setattr(report, line.kind, getattr(report, line.kind) + 1)  # the ImportReport count
    return lines


def _source_rows(source) -> dict[tuple, dict]:
    """ok rows of the run output (a path read with read_rows, or rows) by (file, specimen)."""
    if source is None:
        return {}
    if isinstance(source, (str, Path)):
        from pathx.outputs.rows import read_rows

        try:
            source = read_rows(source)
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise DataError(f"{source}: cannot read the run output ({type(err).__name__})") from None
    return {(str(r.get("file") or ""), r.get("specimen") or None): r
            for r in source if r.get("status") != "error"}


def _now(task: str, row: dict) -> str | None:
    try:
        return _row_label(task, row)
    except ValueError:
        return None


def _row_label(task: str, row: dict) -> str | None:
    value = row.get(task)
    if value is None or value == "":
        return schema.NOT_REPORTED
    return schema.check_label(task, str(value))


def _example(lines: list[_Line], row: dict | None, path: str, report: ImportReport) -> Example:
    """One Example from the sheet lines of one (file, specimen) and its run-output row, if any."""
    first = lines[0]
    labels: dict[str, str | None] = {t: None for t in schema.TASKS}
    by_task = {ln.task: ln for ln in lines}
    if row is not None:
        flagged = set(review_tasks(row))
        for task in schema.TASKS:
            if task in by_task or task in flagged:
                continue
            try:
                labels[task] = _row_label(task, row)
                report.from_source += 1
            except ValueError:
                report.warnings.append(f"line {first.number}: the run output's {task} is not a label; left unknown")
        for ln in lines:
            if ("review" in row and ln.task not in flagged) or _now(ln.task, row) != ln.shown:
                report.warnings.append(f"line {ln.number}: the run output now differs for {ln.task} "
                                       f"(sheet from another run?); the sheet is imported as filled")
    for ln in lines:
        labels[ln.task] = ln.label
    report.unknown_labels += sum(1 for v in labels.values() if v is None)
    notes = {ln.task: ln.note for ln in sorted(lines, key=lambda ln: schema.TASKS.index(ln.task)) if ln.note}
    extra: dict = {"reviewed": [t for t in schema.TASKS if t in by_task]}
    if notes:
        extra["notes"] = notes
    return Example(id=f"{first.file}#{first.specimen or 'all'}", labels=labels, path=path,
                   specimen=first.specimen, extra=extra)


def _json_line(obj: dict) -> str:
    """One JSONL line; names with bytes that are not UTF-8 (surrogates) are written as \\u escapes."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj, ensure_ascii=True)
    return line + "\n"


def import_sheet(sheet_csv: str | Path, out_jsonl: str | Path, *, input_root: str | Path,
                 source_output: str | Path | list[dict] | None = None) -> ImportReport:
    """Read a filled review sheet, write labelled data to `out_jsonl` (atomically); see the module doc.

    `input_root`: the folder `pathx run` read (the sheet's file names are relative to it).
    `source_output`: the run output the sheet came from (a path, or its rows), or None.
    """
    sheet_csv, out_jsonl = Path(sheet_csv), Path(out_jsonl)
    report = ImportReport(sheet=str(sheet_csv), output=str(out_jsonl))
    lines = read_sheet(sheet_csv, report)
    rows = _source_rows(source_output)
    groups: dict[tuple, list[_Line]] = {}
    for ln in lines:
        groups.setdefault((ln.file, ln.specimen), []).append(ln)
    base = out_jsonl.parent.resolve()
    root = Path(input_root).resolve()
    out, missing, found = [], set(), set()
    for (file, specimen), group in groups.items():
        report_path = root / unescape_name(file)
        if file in missing or (file not in found and not report_path.is_file()):
            _skip_missing(group, file, missing, report)
            continue
        found.add(file)
        row = rows.get((file, specimen))
        if source_output is not None and row is None:
            report.warnings.append(f"line {group[0].number}: {safe_text(file)} ({specimen or 'no specimen'}) is not "
                                   f"an ok row of the run output; fields not on the sheet left unknown")
        ex = _example(group, row, str(report_path), report)
        obj = example_to_json(ex)
        obj["path"] = _relative(report_path, base)
        out.append(_json_line(obj))
    report.examples = len(out)
    report.invalid.sort(key=lambda item: int(item.split(":", 1)[0].removeprefix("line ")))
    if not out and missing and not found:
        raise DataError(f"{sheet_csv}: none of the {len(missing)} report(s) it names is under {root}: check --input "
                        f"(the folder `pathx run` read)")
    if not out:
        shown = "; ".join(report.invalid[:SHOWN_PROBLEMS]) or "no filled line"
        raise DataError(f"{sheet_csv}: no example to import: {shown}")
    atomic_write_text(out_jsonl, "".join(out))
    return report


def _skip_missing(group: list[_Line], file: str, missing: set[str], report: ImportReport) -> None:
    """The lines of a report that is not under the input folder: invalid, and no longer counted as read."""
    if file not in missing:
        missing.add(file)
        report.missing_files += 1
    for ln in group:
        report.invalid.append(f"line {ln.number}: report not found under the input folder: {safe_text(file)}")
        setattr(report, ln.kind, getattr(report, ln.kind) - 1)


def _relative(path: Path, base: Path) -> str:
    """`path` relative to `base` ("../reports/a.txt"), or absolute where no relative path exists."""
    try:
        return os.path.relpath(path, base)
    except ValueError:  # another drive (Windows)
        return str(path)
