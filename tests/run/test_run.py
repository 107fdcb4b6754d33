"""`pathx run` library behaviour: output contract, incremental ledger, audit log, progress, usage.

In-process runs of `run_folder` on real generated report files (text and PDF) with a small
deterministic predictor (tests/runkit.py); the kill/lock/signal/PHI/offline/bad-input tests
are in test_reliability.py.
"""
from __future__ import annotations

import csv
import io
import json
import os
import time

import pytest
from rich.console import Console

from pathx import schema
from pathx.run.audit import audit_summary
from pathx.run.ledger import ledger_path_for
from pathx.outputs.rows import read_rows
from pathxgen.pdfwrite import write_text_pdf
from pathx.ingestion.pipeline import IngestOptions
from pathx.run.runner import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, RunLock, run_folder

from runkit import TinyPredictor, audit_records, report_text, write_reports


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("PATHX_LOG_DIR", str(tmp_path / "logs"))


def _run(inp, outp, predictor=None, **kw):
    kw.setdefault("progress", "quiet")
    kw.setdefault("options", IngestOptions(ocr="off"))
    return run_folder(inp, outp, predictor or TinyPredictor(), **kw)


def _keys(rows):
    return [(r["file"], r["specimen"] or None) for r in rows]


def test_csv_contract_columns_and_rows(tmp_path):
    inp = tmp_path / "in"
    write_reports(inp, 3)  # r002 is bilateral
    (inp / "sub").mkdir()
    write_text_pdf(inp / "sub" / "p.pdf", report_text(9))
    (inp / "bad.pdf").write_bytes(b"not a pdf at all")
    out = tmp_path / "out.csv"
    s = _run(inp, out)
    assert s.exit_code == EXIT_FAILED
    with out.open(newline="") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == schema.OUTPUT_COLUMNS
    rows = read_rows(out)
    by = {(r["file"], r["specimen"]): r for r in rows}
    assert set(by) == {("bad.pdf", ""), ("r000.txt", ""), ("r001.txt", ""), ("r002.txt", "left"),
                       ("r002.txt", "right"), ("sub/p.pdf", "")}
    ok = by[("r000.txt", "")]
    assert (ok["t_stage"], ok["n_stage"], ok["grade"], ok["er"], ok["pr"], ok["her2"]) == (
        "T2", "N1", "G2", "Positive", "Negative", "Equivocal")
    assert ok["m_stage"] == "" and ok["m_stage_confidence"] == ""  # not reported = empty
    assert ok["er_confidence"] == "0.875" and ok["status"] == "ok" and ok["error"] == ""
    assert ok["bundle"] == "tiny-tiny-1" and ok["needs_review"] == "false"
    assert by[("r002.txt", "right")]["er"] == "Negative" and by[("r002.txt", "right")]["t_stage"] == "T1"
    assert by[("sub/p.pdf", "")]["er"] == "Positive"  # a real text PDF through pypdf
    bad = by[("bad.pdf", "")]
    assert bad["status"] == "error" and bad["t_stage"] == "" and bad["specimen"] == ""
    assert bad["error"].startswith("bad.pdf: ") and "\n" not in bad["error"] and "not a PDF" in bad["error"]
    assert str(tmp_path) not in bad["error"]  # relative path only


def test_jsonl_rows_carry_evidence(tmp_path):
    inp = tmp_path / "in"
    write_reports(inp, 1)
    out = tmp_path / "out.jsonl"
    assert _run(inp, out).exit_code == EXIT_OK
    lines = out.read_text().splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    assert list(row) == list(schema.OUTPUT_COLUMNS) + ["evidence", "evidence_detail"]
    assert set(row["evidence"]) == set(schema.TASKS) == set(row["evidence_detail"])
    assert "ER: Positive" in row["evidence"]["er"] and row["evidence"]["m_stage"] is None
    assert row["specimen"] is None and row["needs_review"] is False and row["er_confidence"] == 0.875


def test_incremental_skip_replace_add_remove_reprocess(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    files = write_reports(inp, 4)
    (inp / "broken.txt").write_bytes(b"\x00\x01binary")
    s1 = _run(inp, out)
    assert (s1.processed, s1.unchanged, s1.exit_code) == (5, 0, EXIT_FAILED)
    first = out.read_bytes()
    assert ledger_path_for(out).is_file()

    # Unchanged folder: nothing is read, the output is byte-identical.
    pred = TinyPredictor()
    s2 = _run(inp, out, pred)
    assert (s2.processed, s2.unchanged, pred.calls) == (0, 5, 0)
    assert s2.exit_code == EXIT_FAILED  # the broken file still has its error row
    assert out.read_bytes() == first

    # Touched but same content: the hash says unchanged.
    os.utime(files[1], (time.time() + 100, time.time() + 100))
    assert _run(inp, out).unchanged == 5

    # Changed content: reprocessed and its old row replaced (not duplicated).
    files[0].write_text(report_text(0, er="Negative"))
    s3 = _run(inp, out)
    assert s3.processed == 1
    rows = read_rows(out)
    assert [r["er"] for r in rows if r["file"] == "r000.txt"] == ["Negative"]
    assert len(rows) == len(set(_keys(rows)))

    # New file: only it is processed. Removed ok file: its rows stay. Removed broken file: dropped.
    write_reports(inp, 1, start=7)
    files[3].unlink()
    (inp / "broken.txt").unlink()
    s4 = _run(inp, out)
    assert (s4.processed, s4.dropped, s4.exit_code) == (1, 1, EXIT_OK)
    names = {r["file"] for r in read_rows(out)}
    assert "r007.txt" in names and "r003.txt" in names and "broken.txt" not in names

    # --reprocess forces all present files; a new predictor version does too.
    assert _run(inp, out, reprocess=True).processed == 4
    assert _run(inp, out, TinyPredictor(version="tiny-2")).processed == 4
    rows = read_rows(out)
    assert {r["bundle"] for r in rows if r["file"] != "r003.txt"} == {"tiny-tiny-2"}
    assert len(rows) == len(set(_keys(rows)))
    # Turning OCR on changes the version key as well: image-only errors get their second chance.
    assert _run(inp, out, options=IngestOptions(ocr="tesseract")).processed == 4


def test_bilateral_change_to_single_removes_stale_specimen_rows(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out.jsonl"
    inp.mkdir()
    (inp / "a.txt").write_text(report_text(1, bilateral=True))
    _run(inp, out)
    assert sorted(r["specimen"] for r in read_rows(out)) == ["left", "right"]
    (inp / "a.txt").write_text(report_text(1, bilateral=False))
    _run(inp, out)
    assert [r["specimen"] for r in read_rows(out)] == [None]


def test_audit_log_records_run_and_files(tmp_path):
    inp, out, audit = tmp_path / "in", tmp_path / "out.csv", tmp_path / "audit.jsonl"
    write_reports(inp, 2)
    (inp / "folder.pdf").mkdir()
    (inp / "empty.txt").write_bytes(b"")
    s = _run(inp, out, audit_path=audit, options=IngestOptions(ocr="off", k=3))
    recs = audit_records(audit)
    start, end = recs[0], recs[-1]
    assert start["event"] == "start" and end["event"] == "end"
    assert {r["run_id"] for r in recs} == {s.run_id}
    for key in ("pathx_version", "predictor", "predictor_version", "rules_version", "host", "options", "time"):
        assert key in start
    assert start["options"]["k"] == 3 and start["options"]["ocr"] == "off"
    files = {r["file"]: r for r in recs if r["event"] == "file"}
    assert set(files) == {"r000.txt", "r001.txt", "empty.txt"}
    ok = files["r000.txt"]
    assert len(ok["sha256"]) == 64 and ok["method"] == "text" and ok["pages"] == 1 and ok["specimens"] == 1
    assert ok["status"] == "ok" and set(ok["seconds"]) == {"read", "predict"}
    assert files["empty.txt"]["status"] == "error" and "empty" in files["empty.txt"]["error"]
    skips = [r for r in recs if r["event"] == "skip"]
    assert [(r["file"], "directory" in r["reason"]) for r in skips] == [("folder.pdf", True)]
    assert end["exit_code"] == EXIT_FAILED and end["counts"]["processed"] == 3 and end["counts"]["rows"] == 3

    summary = audit_summary(audit)
    assert summary.complete and summary.run_id == s.run_id and summary.files == 3
    assert summary.status["error"] == 1 and summary.specimens == 2
    text = summary.render()
    assert "empty.txt: empty file" in text and "folder.pdf" in text and "exit 3" in text

    # Default location: one new file per run in the log directory; `audit show` finds the latest.
    s2 = _run(inp, out)
    assert s2.audit.parent == tmp_path / "logs" and s2.audit.name.startswith("run-")
    assert audit_summary().run_id == s2.run_id


def test_progress_modes(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 2)
    (inp / "empty.txt").write_bytes(b"")
    buf = io.StringIO()
    _run(inp, out, progress="plain", console=Console(file=buf))
    lines = buf.getvalue().splitlines()
    assert lines[0] == "pathx run: 3 file(s) to process, 0 unchanged skipped"
    assert lines[1].startswith("[1/3] error  empty.txt: empty file")
    # r000.txt: no line (under PROGRESS_SECONDS since the last one); the last file has one.
    assert lines[2].startswith("[3/3] ok     r001.txt (1 specimen(s), text,") and "files/s ETA" in lines[2]
    assert len(lines) == 4
    assert lines[-1].startswith("pathx run: 3 file(s): 3 processed (2 ok, 1 failed)") and lines[-1].endswith("exit 3")

    quiet = io.StringIO()
    _run(inp, out, progress="quiet", reprocess=True, console=Console(file=quiet))
    assert quiet.getvalue() == ""

    # auto on a terminal -> rich bar with files/s and ETA.
    tty = io.StringIO()
    _run(inp, out, progress="auto", reprocess=True,
         console=Console(file=tty, force_terminal=True, width=120))
    assert "files/s" in tty.getvalue() and "ETA" in tty.getvalue() and "\x1b[" in tty.getvalue()
    # auto elsewhere (cron) -> plain lines.
    plain = io.StringIO()
    _run(inp, out, progress="auto", reprocess=True, console=Console(file=plain))
    assert plain.getvalue().startswith("pathx run: 3 file(s) to process") and "\x1b[" not in plain.getvalue()


def test_usage_errors(tmp_path):
    inp = tmp_path / "in"
    write_reports(inp, 1)
    assert _run(inp, tmp_path / "out.xlsx").exit_code == EXIT_USAGE
    assert _run(tmp_path / "missing", tmp_path / "out.csv").exit_code == EXIT_USAGE
    foreign = tmp_path / "theirs.csv"
    foreign.write_text("a,b\n1,2\n")
    s = _run(inp, foreign)
    assert s.exit_code == EXIT_USAGE and "not written by pathx run" in s.message
    assert foreign.read_text() == "a,b\n1,2\n"  # never clobbered


def test_lock_held_in_process_gives_75(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 1)
    holder = RunLock(out)
    assert holder.acquire()
    try:
        s = _run(inp, out)
        assert s.exit_code == EXIT_LOCKED and "another pathx run" in s.message and str(os.getpid()) in s.message
        assert not out.exists()
    finally:
        holder.release()
    assert _run(inp, out).exit_code == EXIT_OK


def test_single_file_input(tmp_path):
    inp = tmp_path / "in"
    paths = write_reports(inp, 2)
    out = tmp_path / "one.csv"
    assert _run(paths[1], out).exit_code == EXIT_OK
    assert [r["file"] for r in read_rows(out)] == ["r001.txt"]


def test_predictor_failure_is_isolated_and_retried(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 3)

    class Flaky(TinyPredictor):
        def predict(self, units):
            if any(u.file == "r001.txt" for u in units):
                raise RuntimeError("model blew up on " + units[0].text)  # message must not leak
            return super().predict(units)

    s = _run(inp, out, Flaky(), batch_size=3)
    rows = {r["file"]: r for r in read_rows(out)}
    assert s.exit_code == EXIT_FAILED
    assert rows["r000.txt"]["status"] == "ok" and rows["r002.txt"]["status"] == "ok"
    assert rows["r001.txt"]["error"] == "r001.txt: prediction failed (RuntimeError)"
    # Not the file's fault: the next run retries it.
    s2 = _run(inp, out)
    assert (s2.processed, s2.exit_code) == (1, EXIT_OK)


def test_file_removed_mid_run_keeps_its_earlier_rows(tmp_path):
    """A passing failure (the file vanishes during the run) must not replace good rows."""
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    files = write_reports(inp, 2)
    _run(inp, out)
    for f in files:  # both change, so both are read again
        f.write_text(f.read_text().replace("2.1 cm", "2.4 cm"))

    def remove_second(call):
        if call == 1:
            files[1].unlink()

    s = _run(inp, out, TinyPredictor(on_predict=remove_second), batch_size=1)
    assert s.exit_code == EXIT_FAILED and s.failed == 1 and s.skipped == 1
    rows = {r["file"]: r for r in read_rows(out)}
    assert rows["r001.txt"]["status"] == "ok"  # the rows from before stay
    recs = audit_records(s.audit)
    assert any(r["event"] == "skip" and r["file"] == "r001.txt" and "disappeared" in r["reason"] for r in recs)
    # Next night the file is simply gone: removed files keep their rows, and all is well.
    s2 = _run(inp, out)
    assert s2.exit_code == EXIT_OK and "r001.txt" in {r["file"] for r in read_rows(out)}


def test_rule_findings_travel_with_units_and_batch_size_changes_no_row(tmp_path):
    from pathx.ingestion.pipeline import discover, extract_file
    from pathx.predictors.simple import RulesPredictor

    inp = tmp_path / "in"
    write_reports(inp, 12)
    predictor = RulesPredictor()
    units = [u for f in discover(inp) for u in extract_file(f, inp, predictor.engine, IngestOptions(ocr="off")).units]
    assert units and all(u.findings == predictor.engine.extract(u.text) for u in units)
    outputs = []
    for size in (1, 5, 64):
        out = tmp_path / f"out-{size}.jsonl"
        assert _run(inp, out, predictor, batch_size=size).exit_code == EXIT_OK
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1] == outputs[2]
    assert sum(1 for line in outputs[0].splitlines() if json.loads(line)["evidence"]["er"]) >= 10


def test_batch_closes_at_its_size_or_its_reading_time(tmp_path):
    inp = tmp_path / "in"
    write_reports(inp, 7)
    by_size, by_time = TinyPredictor(), TinyPredictor()
    assert _run(inp, tmp_path / "a.csv", by_size, batch_size=3).exit_code == EXIT_OK
    assert by_size.calls == 3  # 3 + 3 + 1 files
    # No reading time allowed: every file is its own batch (slow OCR input commits file by file).
    assert _run(inp, tmp_path / "b.csv", by_time, batch_size=64, batch_seconds=0).exit_code == EXIT_OK
    assert by_time.calls == 7
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


def test_names_escape_reversibly_and_csv_cells_are_neutralised():
    from pathx.outputs.names import csv_cell, csv_uncell, escape_name, unescape_name

    raw = os.fsdecode(b"d\xe9p/M\xfcller\n\x1b[31m\\x41 \x85 caf\xc3\xa9 \xe2\x80\xa8.txt")
    shown = escape_name(raw)
    assert shown.isprintable() and shown.isascii() is False  # "café" stays readable
    assert shown == "d\\xe9p/M\\xfcller\\x0a\\x1b[31m\\\\x41 \\x85 café \\u2028.txt"
    assert unescape_name(shown) == raw and os.fsencode(unescape_name(shown)).startswith(b"d\xe9p/M\xfcller")
    assert escape_name("plain name-1.txt") == "plain name-1.txt"
    for v in ("=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "'quoted", "ok.txt"):
        assert csv_uncell(csv_cell(v)) == v
        assert not csv_cell(v).startswith(("=", "+", "-", "@"))


def test_hostile_names_on_the_console_and_through_the_rule_engine(tmp_path):
    """Non-UTF-8 and control-character names: a row each, escaped on the console too."""
    import subprocess
    import sys

    from runkit import run_env

    inp = tmp_path / "in"
    write_reports(inp, 1)
    raw = os.fsencode(inp)
    with open(os.path.join(raw, b"M\xfcller.txt"), "wb") as fh:
        fh.write(report_text(1).encode())
    (inp / "x\n[99] ok     forged\x1b[2J.txt").write_bytes(b"")  # an error row, escaped name
    buf = io.StringIO()
    s = _run(inp, tmp_path / "out.csv", progress="plain", console=Console(file=buf))
    assert s.exit_code == EXIT_FAILED
    console = buf.getvalue()
    assert "\x1b" not in console and "\\x1b[2J" in console and "M\\xfcller.txt" in console
    assert not any(line.startswith("[99]") for line in console.splitlines())
    proc = subprocess.run([sys.executable, "-m", "pathx.cli", "run", str(inp), "-o", str(tmp_path / "r.csv"),
                           "--engine", "rules"], env=run_env(tmp_path), capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == EXIT_FAILED, proc.stderr[-2000:]
    rows = {r["file"]: r for r in read_rows(tmp_path / "r.csv")}
    assert rows["M\\xfcller.txt"]["status"] == "ok" and rows["M\\xfcller.txt"]["er"] == "Positive"
    ext = subprocess.run([sys.executable, "-m", "pathx.cli", "extract", str(inp), "-o", str(tmp_path / "e.jsonl")],
                         env=run_env(tmp_path), capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ext.returncode == EXIT_FAILED and "M\\xfcller.txt: 1 specimen(s)" in ext.stderr and "\x1b" not in ext.stderr
    assert "M\\xfcller.txt" in {json.loads(line)["file"] for line in (tmp_path / "e.jsonl").read_text().splitlines()}


# ------------------------------------------------------------------ fault paths: one line, an exit code


def _one_error_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("pathx: error: ") and "Traceback" not in text, text
    return lines[0]


def test_output_folder_faults_are_one_line_exit_5(tmp_path, monkeypatch):
    import errno

    from pathx.outputs.csv_writer import CsvWriter
    from pathx.run.runner import EXIT_ENVIRONMENT

    inp = tmp_path / "in"
    write_reports(inp, 2)
    (tmp_path / "a_file").write_text("x")
    buf = io.StringIO()
    s = _run(inp, tmp_path / "a_file" / "out.csv", console=Console(file=buf))  # cannot be created
    assert s.exit_code == EXIT_ENVIRONMENT and "cannot use the output folder" in _one_error_line(buf.getvalue())

    out = tmp_path / "o2" / "out.csv"
    out.parent.mkdir()
    (out.parent / ".out.csv.lock").mkdir()  # not a file (root bypasses permissions; this it does not)
    buf = io.StringIO()
    assert _run(inp, out, console=Console(file=buf)).exit_code == EXIT_ENVIRONMENT
    _one_error_line(buf.getvalue())

    def disk_full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "o3" / "out.csv"
    monkeypatch.setattr(CsvWriter, "write_rows", disk_full)
    buf = io.StringIO()
    s = _run(inp, out, console=Console(file=buf))
    line = _one_error_line(buf.getvalue())
    assert s.exit_code == EXIT_ENVIRONMENT and "No space left on device" in line and "free space" in line
    assert not list(out.parent.glob(".pathx-tmp-*"))
    monkeypatch.undo()
    monkeypatch.setenv("PATHX_LOG_DIR", str(tmp_path / "logs"))
    assert _run(inp, out).exit_code == EXIT_OK  # space freed: the next run completes


def test_audit_log_falls_back_when_home_is_not_writable(tmp_path, monkeypatch):
    from pathx.run.runner import EXIT_ENVIRONMENT

    inp, out = tmp_path / "in", tmp_path / "out" / "out.csv"
    write_reports(inp, 1)
    (tmp_path / "a_file").write_text("x")
    monkeypatch.delenv("PATHX_LOG_DIR")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "a_file" / "home"))  # unusable for root as well
    buf = io.StringIO()
    s = _run(inp, out, progress="plain", console=Console(file=buf))
    assert s.exit_code == EXIT_OK and s.audit.parent == out.parent / ".pathx-log" and s.audit.is_file()
    assert "set PATHX_LOG_DIR" in buf.getvalue()
    monkeypatch.setenv("PATHX_LOG_DIR", str(tmp_path / "a_file" / "logs"))  # explicit and unusable: an error
    buf = io.StringIO()
    s = _run(inp, out, reprocess=True, console=Console(file=buf))
    assert s.exit_code == EXIT_ENVIRONMENT and "PATHX_LOG_DIR" in _one_error_line(buf.getvalue())


def test_damaged_ledger_names_the_recovery_and_rebuild_keeps_the_rows(tmp_path):
    import subprocess
    import sys

    from pathx.run.runner import EXIT_LEDGER
    from runkit import run_env

    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 3)
    assert _run(inp, out).exit_code == EXIT_OK
    before = out.read_text()
    ledger = ledger_path_for(out)
    ledger.write_bytes(os.urandom(8192))
    buf = io.StringIO()
    s = _run(inp, out, console=Console(file=buf))
    assert s.exit_code == EXIT_LEDGER and "--rebuild-ledger" in _one_error_line(buf.getvalue())
    assert out.read_text() == before  # nothing touched
    cli = subprocess.run([sys.executable, "-m", "pathx.cli", "run", str(inp), "-o", str(out), "--engine", "rules"],
                         env=run_env(tmp_path), capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert cli.returncode == EXIT_LEDGER and "--rebuild-ledger" in _one_error_line(cli.stderr)

    # A removed report keeps its row through the rebuild; present ones are read again.
    (inp / "r001.txt").unlink()
    s = _run(inp, out, rebuild_ledger=True)
    assert s.exit_code == EXIT_OK and s.processed == 2
    assert out.read_text() == before
    assert list(tmp_path.glob(".out.csv.ledger.sqlite.damaged-*"))
    assert _run(inp, out).processed == 0  # the new ledger works incrementally


def test_auto_engine_with_a_broken_default_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pathx import paths
    from pathx.cli import main
    from pathx.errors import EnvironmentFault
    from pathx.predictors.factory import make_predictor
    from pathx.predictors.simple import RulesPredictor

    bundles = tmp_path / "bundles"
    bundles.mkdir()
    monkeypatch.setattr(paths, "bundles_dir", lambda: bundles)
    assert isinstance(make_predictor("auto"), RulesPredictor)  # no DEFAULT at all: the rule engine
    (bundles / "DEFAULT").write_text("gone-1.0.0.safetensors\n")
    with pytest.raises(EnvironmentFault, match="gone-1.0.0.safetensors"):
        make_predictor("auto")
    (bundles / "gone-1.0.0.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(EnvironmentFault, match="not a pathx bundle"):
        make_predictor("auto", lazy=True)
    inp = tmp_path / "in"
    write_reports(inp, 1)
    res = CliRunner().invoke(main, ["run", str(inp), "-o", str(tmp_path / "o.csv"), "--quiet"])
    assert res.exit_code == 5 and "not a pathx bundle" in _one_error_line(res.output)
    assert not (tmp_path / "o.csv").exists()


def test_unlistable_folder_gets_an_error_row(tmp_path, monkeypatch):
    """A sub-folder the service user cannot list: an error row (retried), not exit 0 with reports missing."""
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 2)
    write_reports(inp / "locked", 1, start=5)
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):  # what chmod 0 does to a non-root user
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    s = _run(inp, out)
    rows = {r["file"]: r for r in read_rows(out)}
    assert s.exit_code == EXIT_FAILED and set(rows) == {"r000.txt", "r001.txt", "locked/"}
    assert rows["locked/"]["error"] == ("locked/: cannot list this folder (permission denied); "
                                         "the reports in it were not read")
    monkeypatch.undo()
    monkeypatch.setenv("PATHX_LOG_DIR", str(tmp_path / "logs"))
    s2 = _run(inp, out)  # fixed: the folder's reports are read, its error row goes
    assert s2.exit_code == EXIT_OK and set(r["file"] for r in read_rows(out)) == {"r000.txt", "r001.txt",
                                                                                   "locked/r005.txt"}


def test_jsonl_ids_are_validated_nothing_dropped_or_overwritten(tmp_path):
    import subprocess
    import sys

    import badinputs
    from runkit import run_env

    src, out = tmp_path / "reports.jsonl", tmp_path / "out.csv"
    expect = badinputs.build_jsonl(src, report_text(2))
    cmd = [sys.executable, "-m", "pathx.cli", "run", str(src), "-o", str(out), "--engine", "rules", "--quiet"]
    proc = subprocess.run(cmd, env=run_env(tmp_path), capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == EXIT_FAILED, proc.stderr[-2000:]
    rows = {r["file"]: r for r in read_rows(out)}
    assert set(rows) == set(expect)
    for key, exp in expect.items():
        assert rows[key]["status"] == exp.status and exp.cause in rows[key]["error"], (key, rows[key]["error"])
    assert rows["a1.txt"]["er"] == "Positive"  # the first a1 kept, not overwritten by line 2
    again = subprocess.run(cmd, env=run_env(tmp_path), capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert again.returncode == EXIT_FAILED and {r["file"] for r in read_rows(out)} == set(expect)


def test_lock_or_ledger_owned_by_another_user_says_chown(tmp_path, monkeypatch):
    """Files root left beside the output, then a run as the cron user: one line naming the fix."""
    from pathx.run.runner import EXIT_ENVIRONMENT

    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 1)
    assert _run(inp, out).exit_code == EXIT_OK
    real_open = os.open

    def as_other_user(path, *a, **k):  # what EACCES looks like to a user who does not own the file
        if os.fspath(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", as_other_user)
    buf = io.StringIO()
    s = _run(inp, out, console=Console(file=buf))
    line = _one_error_line(buf.getvalue())
    assert s.exit_code == EXIT_ENVIRONMENT and "Permission denied" in line and "chown" in line
    assert f"uid {os.getuid()}" in line


def test_moved_file_takes_over_its_row_and_prune_removes_deleted_ones(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    files = write_reports(inp, 4)  # r002 is bilateral (two rows)
    assert _run(inp, out).exit_code == EXIT_OK
    before = read_rows(out)

    # Moved into a sub-folder and renamed: one set of rows, under the new name only.
    (inp / "2024").mkdir()
    files[2].rename(inp / "2024" / "moved.txt")
    s = _run(inp, out)
    assert (s.processed, s.moved, s.exit_code) == (1, 1, EXIT_OK)
    rows = read_rows(out)
    assert {r["file"] for r in rows} == {"r000.txt", "r001.txt", "2024/moved.txt", "r003.txt"}
    assert len(rows) == len(before) and len(rows) == len(set(_keys(rows)))
    assert [r["er"] for r in rows if r["file"] == "2024/moved.txt"] == [r["er"] for r in before
                                                                          if r["file"] == "r002.txt"]
    assert "moved file(s) took over" in s.message
    records = [r for r in audit_records(s.audit) if r.get("event") == "file"]
    assert records[0]["moved_from"] == "r002.txt"

    # --reprocess after a move never brings back the old key either.
    files[1].rename(inp / "r001-renamed.txt")
    s = _run(inp, out, reprocess=True)
    assert s.moved == 1
    rows = read_rows(out)
    assert "r001.txt" not in {r["file"] for r in rows} and len(rows) == len(set(_keys(rows))) == len(before)

    # Two copies of one content moved: each vanished path is taken over once; a copy whose
    # original is still there is a new file (two rows, as the folder holds two files).
    (inp / "c1.txt").write_text(report_text(9))
    (inp / "c2.txt").write_text(report_text(9))
    _run(inp, out)
    (inp / "c1.txt").rename(inp / "d1.txt")
    (inp / "c2.txt").rename(inp / "d2.txt")
    (inp / "r000-copy.txt").write_bytes(files[0].read_bytes())
    s = _run(inp, out)
    assert (s.moved, s.processed) == (2, 3)
    names = {r["file"] for r in read_rows(out)}
    assert {"d1.txt", "d2.txt", "r000.txt", "r000-copy.txt"} <= names and not {"c1.txt", "c2.txt"} & names

    # Deleted without --prune: rows stay. With --prune: gone (ledger too).
    files[3].unlink()
    s = _run(inp, out)
    assert s.pruned == 0 and "r003.txt" in {r["file"] for r in read_rows(out)}
    s = _run(inp, out, prune=True)
    assert (s.pruned, s.processed, s.exit_code) == (1, 0, EXIT_OK) and "pruned" in s.message
    assert "r003.txt" not in {r["file"] for r in read_rows(out)}
    import sqlite3
    con = sqlite3.connect(ledger_path_for(out))
    assert con.execute("SELECT COUNT(*) FROM files WHERE file='r003.txt'").fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM rows").fetchone()[0] == len(read_rows(out))
    con.close()
    pruned = [r for r in audit_records(s.audit) if r.get("event") == "pruned"]
    assert pruned and pruned[0]["files"] == ["r003.txt"]


def test_prune_refuses_an_empty_input_and_a_single_file(tmp_path):
    from pathx.run.runner import EXIT_ENVIRONMENT

    inp, out = tmp_path / "in", tmp_path / "out.csv"
    files = write_reports(inp, 2)
    _run(inp, out)
    # An unmounted share looks like an empty folder: --prune must not empty the output.
    for f in files:
        f.unlink()
    s = _run(inp, out, prune=True)
    assert s.pruned == 0 and s.exit_code == EXIT_ENVIRONMENT and "holds no report file" in s.message
    assert {r["file"] for r in read_rows(out)} == {"r000.txt", "r001.txt"}
    write_reports(inp, 1)
    assert _run(inp / "r000.txt", tmp_path / "one.csv", prune=True).exit_code == EXIT_USAGE


def test_prune_keeps_rows_under_a_folder_that_cannot_be_listed(tmp_path, monkeypatch):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp / "locked", 2)
    write_reports(inp, 1, start=5)
    _run(inp, out)
    import pathx.ingestion.pipeline as pipeline

    real_walk = os.walk

    def walk(top, onerror=None, **kw):  # the sub-folder cannot be listed this time (as root: simulated)
        for dirpath, dirnames, filenames in real_walk(top, onerror=onerror, **kw):
            if dirpath.endswith("locked"):
                onerror(PermissionError(13, "Permission denied", dirpath))
                continue
            yield dirpath, dirnames, filenames

    monkeypatch.setattr(pipeline.os, "walk", walk)
    s = _run(inp, out, prune=True)
    names = {r["file"] for r in read_rows(out)}
    assert {"locked/r000.txt", "locked/r001.txt", "locked/", "r005.txt"} <= names and s.pruned == 0


def test_progress_lines_come_per_file_with_a_real_rate_and_not_too_often(tmp_path, monkeypatch):
    import pathx.run.progress as run_mod

    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 5)
    (inp / "evil\x1b[31m.txt").write_text(report_text(1))
    buf = io.StringIO()
    seen_at_predict: list[str] = []
    monkeypatch.setattr(run_mod, "PROGRESS_SECONDS", 0.0)  # a line for every file
    pred = TinyPredictor(on_predict=lambda call: seen_at_predict.append(buf.getvalue()))
    _run(inp, out, pred, progress="plain", console=Console(file=buf), batch_size=100)
    # One batch of 6: the lines were printed as each file was read, before the batch's prediction.
    assert seen_at_predict[0].count(" files/s ETA ") == 6
    lines = [line for line in buf.getvalue().splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in lines] == [f"[{i}/6" for i in range(1, 7)]
    rates = [float(line.split("  ")[-1].split(" files/s")[0]) for line in lines]
    assert all(r > 0 for r in rates)
    assert lines[-1].endswith("ETA 0:00:00") and "\x1b" not in buf.getvalue() and "evil\\x1b[31m.txt" in buf.getvalue()
    assert "Invasive" not in buf.getvalue() and "ER: Positive" not in buf.getvalue()  # no report text

    # With the default interval a fast run prints only the first and the last file.
    monkeypatch.setattr(run_mod, "PROGRESS_SECONDS", 3600.0)
    buf2 = io.StringIO()
    _run(inp, out, progress="plain", console=Console(file=buf2), reprocess=True)
    assert [line.split("]")[0] for line in buf2.getvalue().splitlines() if line.startswith("[")] == ["[1/6", "[6/6"]
