"""The review loop end to end through the real CLI (issue 16): `pathx run` -> `pathx review` -> a person fills
correct_value (here: the gold label of each flagged field) -> `pathx review-import` -> `pathx fit` accepts it.

The tests do not depend on which fields the run flags (without a calibrated review policy every field is),
only that some are."""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pathx import schema
from pathx.ingestion.pipeline import IngestOptions, units_for_examples
from pathx.review.page import SHEET_COLUMNS, default_paths
from pathx.training.labels import read_labeled


def pathx(*args, check=True, timeout=600) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "pathx.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"pathx {' '.join(map(str, args))} -> {proc.returncode}\n{proc.stderr[-3000:]}")
    return proc


def read_sheet(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def write_sheet(path: Path, lines: list[dict]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SHEET_COLUMNS)
        writer.writeheader()
        writer.writerows(lines)


def gold_labels(demo: Path) -> dict[tuple[str, str], dict]:
    """(file, specimen or "") -> gold labels; the generator's null is "not reported" (fully labelled)."""
    out = {}
    for line in (demo / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        g = json.loads(line)
        out[(g["path"], g["specimen"] or "")] = {t: v if v is not None else schema.NOT_REPORTED
                                                 for t, v in g["labels"].items()}
    return out


@pytest.fixture(scope="module")
def loop(tmp_path_factory) -> dict:
    """demo -> run (rules) -> review -> sheet filled with gold -> review-import; the paths and outputs."""
    tmp = tmp_path_factory.mktemp("loop")
    demo = tmp / "reports"
    pathx("demo", demo, "--n", 6, "--seed", 11, "--no-scanned")
    out = tmp / "out.jsonl"
    pathx("run", demo, "-o", out, "--engine", "rules", "--quiet")
    review = pathx("review", out)
    page, sheet = default_paths(out)
    lines = read_sheet(sheet)
    gold = gold_labels(demo)
    for line in lines:  # the reviewer: write the right value on every flagged line
        line["correct_value"] = gold[(line["file"], line["specimen"])][line["field"]]
    lines[0]["note"] = "checked against the slide"
    write_sheet(sheet, lines)
    corrections = tmp / "labels" / "corrections.jsonl"
    corrections.parent.mkdir()
    imported = pathx("review-import", sheet, "--input", demo, "--from", out, "-o", corrections)
    return dict(tmp=tmp, demo=demo, out=out, page=page, sheet=sheet, lines=lines, gold=gold, review=review,
                imported=imported, corrections=corrections)


@pytest.mark.slow
def test_review_writes_page_and_sheet_beside_the_output_and_one_summary_line(loop):
    assert loop["page"].is_file() and loop["sheet"].is_file()
    assert loop["lines"], "the run flagged no field: the loop has nothing to review"
    stdout = loop["review"].stdout.strip()
    assert len(stdout.splitlines()) == 1 and stdout.startswith("review: ")
    assert f"{len(loop['lines'])} flagged field(s)" in stdout
    assert str(loop["page"]) in stdout and str(loop["sheet"]) in stdout
    for task in {line["field"] for line in loop["lines"]}:
        n = sum(line["field"] == task for line in loop["lines"])
        assert f"{task} {n}" in stdout
    assert "<!DOCTYPE html>" in loop["page"].read_text(encoding="utf-8")


def test_import_turns_the_filled_sheet_into_labels_fit_reads_without_warnings(loop):
    examples = read_labeled(loop["corrections"])
    rows = {(r["file"], r["specimen"] or ""): r for r in map(json.loads, loop["out"].read_text().splitlines())}
    reviewed = {(line["file"], line["specimen"]) for line in loop["lines"]}
    assert len(examples) == len(reviewed)
    flagged = {(line["file"], line["specimen"], line["field"]) for line in loop["lines"]}
    for ex in examples:
        file, specimen = ex.id.rsplit("#", 1)
        specimen = "" if specimen == "all" else specimen
        assert Path(ex.path).is_file() and (ex.specimen or "") == specimen
        for task in schema.TASKS:
            if (file, specimen, task) in flagged:  # what the reviewer wrote
                assert ex.labels[task] == loop["gold"][(file, specimen)][task], (ex.id, task)
            else:  # --from: the run's accepted value
                assert ex.labels[task] == (rows[(file, specimen)][task] or schema.NOT_REPORTED), (ex.id, task)
        assert ex.extra["reviewed"] == [t for t in schema.TASKS if (file, specimen, t) in flagged]
    assert any(ex.extra.get("notes") for ex in examples)
    units, warnings = units_for_examples(examples, None, IngestOptions(ocr="off"))
    assert len(units) == len(examples) and warnings == []
    assert "0 invalid" in loop["imported"].stdout and f"wrote {len(examples)} example(s)" in loop["imported"].stdout


@pytest.mark.slow
def test_a_filled_sheet_and_an_existing_import_are_kept_without_force(loop, tmp_path):
    before = loop["sheet"].read_bytes()
    proc = pathx("review", loop["out"], check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("pathx: error: ") and "--force" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and loop["sheet"].read_bytes() == before
    proc = pathx("review-import", loop["sheet"], "--input", loop["demo"], "-o", loop["corrections"], check=False)
    assert proc.returncode == 2 and "exists" in proc.stderr and "--force" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    proc = pathx("review-import", loop["sheet"], "--input", loop["demo"], "--from", loop["out"], "-o", loop["out"],
                 "--force", check=False)
    assert proc.returncode == 2 and "same file" in proc.stderr  # never overwrite the run output
    # elsewhere, with --html/--sheet, and --force on the filled one
    html, sheet = tmp_path / "p.html", tmp_path / "s.csv"
    pathx("review", loop["out"], "--html", html, "--sheet", sheet)
    assert html.is_file() and len(read_sheet(sheet)) == len(loop["lines"])
    pathx("review", loop["out"], "--html", html, "--sheet", sheet)  # an unfilled sheet is replaced (cron reruns)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    proc = pathx("review", loop["out"], "--sheet", other, "--html", html, check=False)
    assert proc.returncode == 2 and "not a review sheet" in proc.stderr and other.read_text() == "a,b\n1,2\n"
    pathx("review", loop["out"], "--html", html, "--sheet", loop["sheet"], "--force")
    assert not any(line["correct_value"] for line in read_sheet(loop["sheet"]))
    write_sheet(loop["sheet"], loop["lines"])  # put the reviewer's work back for the other tests


def test_import_exits_3_on_skipped_lines_and_1_on_a_bad_output(loop, tmp_path):
    lines = [dict(line) for line in loop["lines"]]
    lines[0]["correct_value"] = "T9"
    bad = tmp_path / "bad.csv"
    write_sheet(bad, lines)
    out = tmp_path / "c.jsonl"
    proc = pathx("review-import", bad, "--input", loop["demo"], "-o", out, check=False)
    assert proc.returncode == 3 and "invalid: line 2:" in proc.stdout and out.is_file()
    junk = tmp_path / "junk.jsonl"
    junk.write_text("{not json\n")
    proc = pathx("review", junk, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("pathx: error: ") and len(proc.stderr.splitlines()) == 1


def test_help_teaches_the_loop():
    for command in ("review", "review-import"):
        text = pathx(command, "--help").stdout
        for step in ("pathx run", "pathx review out.jsonl", "correct_value", "pathx review-import", "pathx fit"):
            assert step in text, (command, step)


@pytest.mark.slow
def test_fit_trains_on_the_imported_corrections(loop):
    from pathxgen.tinybase import build_tiny_base

    words = set()
    for p in loop["demo"].glob("*.txt"):
        words.update(re.findall(r"[a-z0-9]+", p.read_text().lower()))
    base = build_tiny_base(loop["tmp"] / "base", "decoder", words=sorted(words))
    fit_dir = loop["tmp"] / "fit"
    proc = pathx("fit", loop["corrections"], "-o", fit_dir, "--base", base, "--max-steps", 1, "--micro-batch", 2,
                 "--grad-accum", 1, "--device", "cpu")
    assert "fit written to" in proc.stdout
    assert (fit_dir / "adapter_heads.safetensors").is_file() and (fit_dir / "metrics.json").is_file()
