"""Issue 22 "safe to leave running": no rows lost with exit 0, no good report refused.

Real runs of `run_folder` (and the CLI where the exit code is the point) on generated reports, with
the hostile tester's cases: --prune against the wrong INPUT or an unmounted share, an empty INPUT,
symlinked folders (a loop included), a file written to while it is read, unreadable files that sort
first, a file over the time budget, MemoryError. No test waits on the wall clock.
"""
from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from rich.console import Console

import pathx.run.files as run_files
from pathx.ingestion.pipeline import IngestOptions
from pathx.outputs.rows import read_rows
from pathx.run.ledger import ledger_path_for
from pathx.run.runner import ENV_STOP_AFTER, EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_OK, EXIT_USAGE, run_folder

from runkit import TinyPredictor, audit_records, run_env, write_reports


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("PATHX_LOG_DIR", str(tmp_path / "logs"))


def _run(inp, outp, **kw):
    kw.setdefault("progress", "quiet")
    kw.setdefault("options", IngestOptions(ocr="off"))
    return run_folder(inp, outp, TinyPredictor(), **kw)


def _rows(out):
    return {r["file"]: r for r in read_rows(out)}


def _cli(inp, out, tmp, *extra):
    cmd = [sys.executable, "-m", "pathx.cli", "run", str(inp), "-o", str(out), "--engine", "rules", "--quiet", *extra]
    return subprocess.run(cmd, env=run_env(tmp), capture_output=True, text=True, timeout=180, cwd=tmp)


# ------------------------------------------------------------------------------------ INPUT root


def test_prune_against_a_sibling_folder_is_refused_until_input_moved(tmp_path):
    inp, sibling, out = tmp_path / "in", tmp_path / "other", tmp_path / "out.csv"
    write_reports(inp, 6)
    write_reports(sibling, 1, start=40)
    assert _run(inp, out).exit_code == EXIT_OK
    buf = io.StringIO()
    s = _run(sibling, out, prune=True, console=Console(file=buf))
    assert s.exit_code == EXIT_USAGE and s.pruned == 0 and s.processed == 0
    lines = buf.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pathx run: error: --prune refused: INPUT ")
    assert str(sibling) in lines[0] and str(inp) in lines[0] and "--input-moved" in lines[0]
    assert set(_rows(out)) == {f"r{i:03d}.txt" for i in range(6)}  # nothing lost
    # Without --prune another INPUT is read, its rows added; the recorded INPUT stays.
    s = _run(sibling, out)
    assert s.exit_code == EXIT_OK and "not the input this output was built from" in s.message
    assert _run(sibling, out, prune=True).exit_code == EXIT_USAGE
    # The reports really moved: --input-moved records the new INPUT and the prune goes on.
    s = _run(sibling, out, prune=True, input_moved=True)
    assert s.exit_code == EXIT_OK and s.pruned == 6 and set(_rows(out)) == {"r040.txt"}
    assert [r for r in audit_records(s.audit) if r["event"] == "input_root"][0]["path"] == str(sibling.resolve())
    assert _run(sibling, out, prune=True).exit_code == EXIT_OK  # recorded: no flag needed any more


def test_prune_on_the_same_path_with_the_share_unmounted_is_refused(tmp_path, monkeypatch):
    """The mount point is part of the recorded INPUT: an unmounted share's empty mount folder, where a
    stray report was dropped, has the same path but lies on the file system above."""
    inp, out = tmp_path / "share", tmp_path / "out.csv"
    files = write_reports(inp, 5)
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: os.fspath(p) == str(inp) or real_ismount(p))
    assert _run(inp, out).exit_code == EXIT_OK
    monkeypatch.setattr(os.path, "ismount", real_ismount)  # unmounted: one report left on the local disk
    for f in files[1:]:
        f.unlink()
    s = _run(inp, out, prune=True)
    assert s.exit_code == EXIT_USAGE and "on mount" in s.message and len(_rows(out)) == 5


def test_empty_or_unlistable_input_exits_5_and_keeps_every_row(tmp_path, monkeypatch):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    files = write_reports(inp, 3)
    assert _run(inp, out).exit_code == EXIT_OK
    for f in files:
        f.unlink()
    for prune in (False, True):
        s = _run(inp, out, prune=prune)
        assert s.exit_code == EXIT_ENVIRONMENT and "holds no report file" in s.message and s.pruned == 0
        assert len(_rows(out)) == 3
    write_reports(inp, 1)
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(inp):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    s = _run(inp, out, prune=True)
    assert s.exit_code == EXIT_ENVIRONMENT and "cannot be listed (permission denied)" in s.message
    assert len(_rows(out)) == 3 and "./" not in _rows(out)


def test_cli_exit_codes_for_an_empty_input_and_a_wrong_root_prune(tmp_path):
    inp, empty, out = tmp_path / "in", tmp_path / "empty", tmp_path / "out.csv"
    write_reports(inp, 2)
    empty.mkdir()
    assert _cli(inp, out, tmp_path).returncode == EXIT_OK
    proc = _cli(empty, out, tmp_path)
    assert proc.returncode == EXIT_ENVIRONMENT and proc.stderr.startswith("pathx: error: INPUT ")
    assert len(proc.stderr.splitlines()) == 1
    write_reports(empty, 1, start=9)
    proc = _cli(empty, out, tmp_path, "--prune")
    assert proc.returncode == EXIT_USAGE and proc.stderr.startswith("pathx run: error: --prune refused")
    assert len(proc.stderr.splitlines()) == 1 and len(read_rows(out)) >= 2


def test_a_ledger_from_before_the_root_was_recorded_upgrades_and_prunes_from_the_next_run(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    files = write_reports(inp, 3)
    assert _run(inp, out).exit_code == EXIT_OK
    con = sqlite3.connect(ledger_path_for(out))  # as an older pathx left it: no INPUT recorded
    con.execute("DELETE FROM input_root")
    con.commit()
    con.close()
    files[0].unlink()
    s = _run(inp, out, prune=True)
    assert s.exit_code == EXIT_OK and s.pruned == 0 and "did not record its INPUT yet" in s.message
    s = _run(inp, out, prune=True)
    assert s.pruned == 1 and set(_rows(out)) == {"r001.txt", "r002.txt"}


# ------------------------------------------------------------------------ every file accounted for


def test_symlinked_folders_are_followed_once_and_a_loop_is_reported(tmp_path):
    inp, elsewhere, out = tmp_path / "in", tmp_path / "elsewhere", tmp_path / "out.csv"
    write_reports(inp, 1)
    write_reports(elsewhere / "2024", 2, start=10)
    (inp / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "2024" / "up").symlink_to(elsewhere, target_is_directory=True)  # a loop
    (inp / "again").symlink_to(inp / "linked" / "2024", target_is_directory=True)  # a second way in
    buf = io.StringIO()
    s = _run(inp, out, progress="plain", console=Console(file=buf))
    rows = _rows(out)
    assert s.exit_code == EXIT_OK
    assert set(rows) == {"r000.txt", "linked/2024/r010.txt", "linked/2024/r011.txt"}
    skips = {r["file"]: r["reason"] for r in audit_records(s.audit) if r["event"] == "skip"}
    assert "symlink loop" in skips["linked/2024/up/"] and "again/" in skips
    assert "skip   linked/2024/up/: symlink loop" in buf.getvalue()


def test_a_file_written_to_while_it_is_read_gets_no_stale_rows_and_is_read_again(tmp_path, monkeypatch):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    files = write_reports(inp, 3)
    real = run_files.extract_file

    def writer_mid_read(path, *a, **k):  # another process appends while pathx reads
        res = real(path, *a, **k)
        if path.name == "r001.txt":
            with open(path, "a", encoding="utf-8") as fh:
                fh.write("ADDENDUM: HER2 by FISH is amplified.\n")
        return res

    monkeypatch.setattr(run_files, "extract_file", writer_mid_read)
    buf = io.StringIO()
    s = _run(inp, out, progress="plain", console=Console(file=buf))
    rows = _rows(out)
    assert s.exit_code == EXIT_FAILED and rows["r001.txt"]["status"] == "error"
    assert "changed while it was being read" in rows["r001.txt"]["error"]
    assert rows["r001.txt"]["error"].endswith("retried on the next run")
    assert "r001.txt: changed while it was being read" in buf.getvalue()
    rec = [r for r in audit_records(s.audit) if r["event"] == "file" and r["file"] == "r001.txt"]
    assert rec and rec[0]["fault"] == "environment" and rec[0]["sha256"] is None
    monkeypatch.setattr(run_files, "extract_file", real)
    s2 = _run(inp, out)
    assert (s2.exit_code, s2.processed) == (EXIT_OK, 1) and _rows(out)["r001.txt"]["status"] == "ok"
    assert "ADDENDUM" in files[1].read_text()  # the write really happened


# ------------------------------------------------------------------------ faults of the environment


_REAL_SHA256 = run_files.file_sha256


def _unreadable(names):
    """file_sha256 as chmod 000 on another user's files looks to a non-root service user."""
    real = _REAL_SHA256

    def sha(path, *a, **k):
        if path.name in names:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *a, **k)

    return sha


def test_unreadable_files_that_sort_first_never_stop_the_run(tmp_path, monkeypatch):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 4, start=10)
    locked = {f"a{i}.txt" for i in range(ENV_STOP_AFTER)}
    for name in locked:
        (inp / name).write_text((inp / "r010.txt").read_text())
    monkeypatch.setattr(run_files, "file_sha256", _unreadable(locked))
    s = _run(inp, out, batch_size=2)
    rows = _rows(out)
    assert s.exit_code == EXIT_FAILED and s.environment_error is None
    assert all(rows[f"r{i:03d}.txt"]["status"] == "ok" for i in range(10, 14))  # every other file read
    assert all(rows[n]["error"] == f"{n}: permission denied" for n in locked)
    monkeypatch.setattr(run_files, "file_sha256", _unreadable(set()))  # the owner fixed the permissions
    s2 = _run(inp, out)
    assert (s2.exit_code, s2.processed) == (EXIT_OK, ENV_STOP_AFTER)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 files; the simulated test above covers it")
def test_chmod_000_files_sorting_first_never_stop_the_run(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 3, start=10)
    locked = [inp / f"a{i}.txt" for i in range(ENV_STOP_AFTER)]
    for p in locked:
        p.write_text("x")
        p.chmod(0)
    try:
        s = _run(inp, out)
        assert s.exit_code == EXIT_FAILED and all(_rows(out)[f"r{i:03d}.txt"]["status"] == "ok" for i in range(10, 13))
    finally:
        for p in locked:
            p.chmod(0o644)


def test_a_file_over_the_budget_is_retried_with_a_larger_one_or_when_touched(tmp_path, monkeypatch):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    files = write_reports(inp, 2)
    real, reads, stuck = run_files.extract_file, [], [True]

    def slow(path, *a, **k):  # r001 is read only when the budget's alarm ends the wait (forced, not hoped for)
        reads.append(path.name)
        if path.name == "r001.txt" and stuck[0]:
            time.sleep(300)  # a hang guard: the 0.05 s budget's SIGALRM interrupts it
        return real(path, *a, **k)

    monkeypatch.setattr(run_files, "extract_file", slow)
    s = _run(inp, out, file_timeout=0.05)
    row = _rows(out)["r001.txt"]
    assert s.exit_code == EXIT_FAILED and "per-file budget of 0.05 s" in row["error"]
    assert row["error"].endswith("retried when --file-timeout is raised or the file changes")
    reads.clear()
    s = _run(inp, out, file_timeout=0.05)  # same budget, same file: not read again
    assert s.exit_code == EXIT_FAILED and reads == [] and s.unchanged == 2
    os.utime(files[1])  # touched: tried again (and over the budget again)
    s = _run(inp, out, file_timeout=0.05)
    assert reads == ["r001.txt"] and s.exit_code == EXIT_FAILED
    stuck[0] = False  # the file reads normally with a larger budget
    s = _run(inp, out, file_timeout=30)  # a larger budget brings it back
    assert s.exit_code == EXIT_OK and _rows(out)["r001.txt"]["status"] == "ok"


def test_memory_error_is_not_kept_against_the_file(tmp_path, monkeypatch):
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 2)
    real = run_files.extract_file

    def short_of_memory(path, *a, **k):
        if path.name == "r000.txt":
            raise MemoryError
        return real(path, *a, **k)

    monkeypatch.setattr(run_files, "extract_file", short_of_memory)
    s = _run(inp, out)
    assert s.exit_code == EXIT_FAILED and "ran out of memory" in _rows(out)["r000.txt"]["error"]
    monkeypatch.setattr(run_files, "extract_file", real)  # more memory next night
    s = _run(inp, out)
    assert (s.exit_code, s.processed) == (EXIT_OK, 1)


def test_a_file_error_quoting_an_id_or_a_name_is_scrubbed_in_the_audit_log(tmp_path, monkeypatch):
    """The audit log's `error` goes through the final scrub, as the output row's does."""
    from pathx.errors import EnvironmentFault

    inp, out, audit = tmp_path / "in", tmp_path / "out.csv", tmp_path / "audit.jsonl"
    write_reports(inp, 2)
    real = run_files.extract_file

    def quoting(path, *a, **k):
        if path.name == "r000.txt":
            raise EnvironmentFault("reader stopped at: Case QX14-287531 reviewed by Dr. Marten Vossberg on page 2")
        return real(path, *a, **k)

    monkeypatch.setattr(run_files, "extract_file", quoting)
    s = _run(inp, out, audit_path=audit)
    assert s.exit_code != EXIT_OK
    errors = [r["error"] for r in audit_records(audit) if r["event"] == "file" and r.get("error")]
    assert len(errors) == 1 and errors[0].startswith("r000.txt: ") and "reader stopped at" in errors[0]
    for value in ("QX14", "287531", "Marten", "Vossberg"):
        assert value not in errors[0], errors[0]
        assert value not in audit.read_text(encoding="utf-8")
    assert _rows(out)["r000.txt"]["error"] == errors[0]  # the same message as the output row


def test_a_report_with_a_running_patient_header_gets_rows_not_a_refusal(tmp_path):
    from runkit import report_text

    inp, out = tmp_path / "in", tmp_path / "out.csv"
    inp.mkdir()
    lines = report_text(3).splitlines()
    pages = [lines[i:i + 8] for i in range(0, len(lines), 8)]
    header = "Lakeshore Regional Laboratory  DOB 03/14/1961  Page {} of {}"
    text = "\f".join("\n".join([header.format(i + 1, len(pages)), *page]) for i, page in enumerate(pages))
    (inp / "paged.txt").write_text(text.replace("DOB: 03/13/1943", "Date of Birth: March 14, 1961"))
    s = _run(inp, out)
    row = _rows(out)["paged.txt"]
    assert s.exit_code == EXIT_OK and row["status"] == "ok" and row["er"] == "Positive"


def test_a_naaccr_id_collision_stops_the_export_with_exit_2_and_a_mapping_resolves_it(tmp_path, monkeypatch):
    import pathx.outputs.naaccr_writer as naaccr

    inp, out = tmp_path / "in", tmp_path / "out.naaccr.xml"
    write_reports(inp, 1)
    assert _run(inp, out).exit_code == EXIT_OK
    before = out.read_text()
    monkeypatch.setattr(naaccr, "ID_SPACE", 1)  # every path derives the same number
    write_reports(inp, 1, start=1)
    buf = io.StringIO()
    s = _run(inp, out, console=Console(file=buf))
    assert s.exit_code == EXIT_USAGE and out.read_text() == before  # refused, not renumbered
    line = buf.getvalue().strip()
    assert line.startswith("pathx run: error: NAACCR patientIdNumber 00000000 would name two patients (r000.txt "
                           "and r001.txt)") and "\n" not in line
    s = _run(inp, out, naaccr_ids={"r001.txt": "00000042"})  # the site gives one its registry number
    assert s.exit_code == EXIT_OK and "<Item naaccrId=\"patientIdNumber\" naaccrNum=\"20\">00000042<" in out.read_text()
