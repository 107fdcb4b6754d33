"""`pathx run` under cron conditions: SIGKILL at several points, the lock, SIGTERM/SIGINT, a
bad-input corpus, PHI never leaking (text and OCR paths), and a run with the network blocked.

Subprocess tests run the real run loop in a child process (tests/runkit.py DRIVER, or the
`pathx` CLI) and kill it for real; PATHX_TEST_KILL_AT makes the child SIGKILL itself at an
exact point so each crash window is hit deterministically.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pathx import schema
from pathx.run.audit import audit_summary
from pathx.run.ledger import ledger_path_for
from pathx.fsutil import TEMP_PREFIX
from pathx.outputs.rows import read_rows
from pathxgen.pdfwrite import write_scanned_pdf, write_text_pdf
from pathx.ingestion.pipeline import IngestOptions
from pathx.run.runner import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, run_folder

import badinputs
from runkit import (GUARD, REPO, TinyPredictor, audit_records, driver_cmd, phi_for, report_text, run_driver, run_env,
                    write_reports)

N_FILES = 7  # with batch size 2: four batches, the last one short


def _complete_rows(path: Path) -> list[dict]:
    """Parse an output file and check it is whole: header, full lines, one row per key."""
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), "partial last line"
    rows = read_rows(path)
    for row in rows:
        assert None not in row.values() and set(schema.OUTPUT_COLUMNS) <= set(row), f"torn row {row}"
    keys = [(r["file"], r["specimen"]) for r in rows]
    assert len(keys) == len(set(keys)), "duplicate (file, specimen) rows"
    return rows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Seven text reports (r002, r005 bilateral) and the output of one clean run over them."""
    base = tmp_path_factory.mktemp("kill")
    inp = base / "in"
    write_reports(inp, N_FILES)
    ref = base / "ref.csv"
    proc = run_driver(inp, ref, base, batch_size=2)
    assert proc.returncode == EXIT_OK, proc.stderr
    return inp, _complete_rows(ref)


@pytest.mark.parametrize("point", ["extract:3", "commit:2", "written:2", "rows:2", "rename:3", "written:4"])
def test_sigkill_then_restart_gives_exactly_one_row_per_specimen(tmp_path, corpus, point):
    inp, reference = corpus
    out = tmp_path / "out.csv"
    killed = run_driver(inp, out, tmp_path, env_extra={"PATHX_TEST_KILL_AT": point}, batch_size=2)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # What a reader sees right after the crash: a complete earlier state, never a torn file.
    before = _complete_rows(out) if out.exists() else []
    files = sorted({r["file"] for r in reference})
    done = sorted({r["file"] for r in before})
    assert len(done) < len(files) and len(done) % 2 == 0  # whole batches of 2 files only
    assert done == files[: len(done)]
    assert before == [r for r in reference if r["file"] in done]  # every file with all its rows

    again = run_driver(inp, out, tmp_path, batch_size=2)
    assert again.returncode == EXIT_OK, again.stderr
    assert _complete_rows(out) == reference
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*")), "stale temp file left behind"
    # The ledger agrees with the output.
    con = sqlite3.connect(ledger_path_for(out))
    assert con.execute("SELECT COUNT(*) FROM rows").fetchone()[0] == len(reference)
    assert con.execute("SELECT COUNT(*) FROM inflight").fetchone()[0] == 0
    con.close()


def test_killed_run_is_reported_incomplete_by_audit_show(tmp_path, corpus):
    inp, _ = corpus
    audit = tmp_path / "a.jsonl"
    run_driver(inp, tmp_path / "o.csv", tmp_path, env_extra={"PATHX_TEST_KILL_AT": "commit:2"}, audit=audit)
    s = audit_summary(audit)
    assert not s.complete and "INCOMPLETE" in s.render() and s.files == 2


def test_file_that_kills_pathx_twice_gets_an_error_row(tmp_path, corpus):
    """A hostile file that takes the process down (OOM, parser crash) must not block every later run."""
    inp, reference = corpus
    out = tmp_path / "out.csv"
    for _ in range(2):
        dead = run_driver(inp, out, tmp_path, env_extra={"PATHX_TEST_KILL_AT": "extract:1"}, batch_size=2)
        assert dead.returncode == -signal.SIGKILL
    third = run_driver(inp, out, tmp_path, batch_size=2)
    assert third.returncode == EXIT_FAILED, third.stderr
    rows = {r["file"]: r for r in _complete_rows(out)}
    assert rows["r000.txt"]["status"] == "error" and "died 2 times while reading" in rows["r000.txt"]["error"]
    assert all(r["status"] == "ok" for f, r in rows.items() if f != "r000.txt")
    assert len(rows) == N_FILES


def _wait_for(predicate, timeout=300.0):
    """Poll until `predicate()` holds; `timeout` only guards against a hang (a busy machine is slow, not
    wrong), no test asserts how long anything took."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _rows_now(out: Path) -> int:
    try:
        return len(read_rows(out))
    except (OSError, ValueError):
        return 0


def test_kill_between_rare_flushes_loses_nothing(tmp_path, corpus):
    """The default run rewrites the output only every flush_seconds: a kill in between leaves an
    older output, and the restart publishes the ledger's commits and finishes the rest."""
    inp, reference = corpus
    out = tmp_path / "out.csv"
    killed = run_driver(inp, out, tmp_path, env_extra={"PATHX_TEST_KILL_AT": "written:3"}, batch_size=2,
                        flush_seconds=3600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (_complete_rows(out) if out.exists() else []) == []  # committed, not yet published
    con = sqlite3.connect(ledger_path_for(out))
    assert con.execute("SELECT COUNT(DISTINCT file) FROM rows").fetchone()[0] == 6  # three batches of 2
    con.close()
    again = run_driver(inp, out, tmp_path, batch_size=2, flush_seconds=3600)
    assert again.returncode == EXIT_OK, again.stderr
    assert _complete_rows(out) == reference


def test_second_run_on_same_output_exits_75_at_once(tmp_path, corpus):
    inp, reference = corpus
    out = tmp_path / "out.csv"
    # The first run holds the lock until it is killed (each predict sleeps far longer than the test).
    env = run_env(tmp_path, PATHX_TEST_PREDICT_DELAY="3600")
    first = subprocess.Popen(driver_cmd(inp, out, batch_size=1), env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = out.with_name(".out.csv.lock")
        assert _wait_for(lambda: lock.exists() and lock.read_text().startswith(str(first.pid)))
        second = run_driver(inp, out, tmp_path, timeout=600)
        assert second.returncode == EXIT_LOCKED
        assert "another pathx run is writing" in second.stderr and str(first.pid) in second.stderr
        # At once: the second run ended while the first, which never finishes, still runs (not timed).
        assert first.poll() is None  # the first run is unaffected
    finally:
        first.kill()  # SIGKILL: the kernel drops the lock with the process
        first.wait()
    third = run_driver(inp, out, tmp_path, batch_size=2)
    assert third.returncode == EXIT_OK, third.stderr
    assert _complete_rows(out) == reference


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_finishes_batch_flushes_and_exits_4(tmp_path, corpus, sig):
    inp, reference = corpus
    out, audit = tmp_path / "out.csv", tmp_path / "audit.jsonl"
    env = run_env(tmp_path, PATHX_TEST_PREDICT_DELAY="1.0")
    proc = subprocess.Popen(driver_cmd(inp, out, batch_size=2, audit=audit), env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert _wait_for(lambda: _rows_now(out) >= 2)  # the first batch is flushed
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=600)  # a hang guard, not a measure
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert f"interrupted by {sig.name}" in stderr
    rows = _complete_rows(out)
    assert 0 < len({r["file"] for r in rows}) < N_FILES
    # Every file in the output is whole (all its specimens) and equal to the clean run's rows.
    ref_by_file = {}
    for r in reference:
        ref_by_file.setdefault(r["file"], []).append(r)
    for f in {r["file"] for r in rows}:
        assert [r for r in rows if r["file"] == f] == ref_by_file[f]
    end = audit_records(audit)[-1]
    assert end["event"] == "end" and end["interrupted"] and end["signal"] == sig.name and end["exit_code"] == 4

    rerun = run_driver(inp, out, tmp_path, batch_size=2)
    assert rerun.returncode == EXIT_OK
    assert _complete_rows(out) == reference


# ---------------------------------------------------------------------------------- bad input


BUDGET = 10.0  # per-file seconds in the bad-input run (the 5 MB one-line text alone takes > 60 s)


@pytest.mark.slow
def test_bad_input_corpus_each_kind_errors_or_is_skipped_and_run_completes(tmp_path):
    inp, out, audit = tmp_path / "in", tmp_path / "out.csv", tmp_path / "audit.jsonl"
    expect, not_built = badinputs.build(inp, report_text(3))
    assert len(expect) - 2 + len(not_built) >= 18  # kinds besides the two good files

    def vanish(call):  # a file removed while the run is going (after discovery, before its turn)
        if call == 1:
            (inp / "zz_vanishes.txt").unlink()

    s = run_folder(inp, out, TinyPredictor(on_predict=vanish), options=IngestOptions(ocr="off"),
                   batch_size=3, audit_path=audit, progress="quiet", file_timeout=BUDGET)
    # The whole hostile folder completes; the slow one-line file gets its per-file budget error row
    # (one_line_5mb.txt in `expect`, checked below), which is what bounds the run: no clock is read.
    assert s.exit_code == EXIT_FAILED
    rows = _complete_rows(out)
    by_file = {r["file"]: r for r in rows}
    recs = audit_records(audit)
    skips = {r["file"]: r["reason"] for r in recs if r["event"] == "skip"}
    for name, exp in expect.items():
        if exp.status == "skip":
            assert name not in by_file and exp.cause in skips[name], name
            continue
        row = by_file[name]
        assert row["status"] == exp.status, (name, row["error"])
        if exp.status == "error":
            err = row["error"]
            assert err.startswith(f"{name}: ") and exp.cause in err and "\n" not in err, (name, err)
            assert row["specimen"] == "" and all(row[t] == "" for t in schema.TASKS)
    assert set(by_file) == {n for n, e in expect.items() if e.status != "skip"}
    # Nothing of the files' content reaches an error message or the audit log.
    everything = out.read_text() + audit.read_text()
    assert badinputs.SECRET not in everything and "Featherstonehaugh" not in everything
    # The good reports among them give exactly the rows a clean run of the same report gives.
    clean_in, clean_out = tmp_path / "clean", tmp_path / "clean.csv"
    clean_in.mkdir()
    (clean_in / "r.txt").write_text(report_text(3))
    assert run_folder(clean_in, clean_out, TinyPredictor(), options=IngestOptions(ocr="off"),
                      progress="quiet").exit_code == EXIT_OK
    (clean,) = [{k: v for k, v in r.items() if k != "file"} for r in read_rows(clean_out)]
    good = [n for n, e in expect.items() if e.status == "ok" and n != "windows1252.txt"]
    assert len(good) >= 6
    for name in good:
        assert {k: v for k, v in by_file[name].items() if k != "file"} == clean, name
    # Names are escaped the same way everywhere: console, audit, ledger; the CSV cell of a
    # formula name is neutralised.
    assert "'=HYPERLINK(1+1).txt" in out.read_text() and "\x1b" not in out.read_text()
    ledger_files = {f for (f,) in sqlite3.connect(ledger_path_for(out)).execute("SELECT file FROM files")}
    assert {"M\\xfcller.txt", "d\\xe9p\\xf4t/r.txt"} <= ledger_files
    files = {r["file"]: r for r in recs if r["event"] == "file"}
    assert files["M\\xfcller.txt"]["status"] == "ok"
    assert any("not UTF-8" in w for w in files["windows1252.txt"]["warnings"])
    assert recs[-1]["event"] == "end" and recs[-1]["exit_code"] == EXIT_FAILED

    # Second run: hashable failures are not retried, unreadable ones are; the vanished file's
    # error row goes; still one row per file and exit 3.
    s2 = run_folder(inp, out, TinyPredictor(), options=IngestOptions(ocr="off"), batch_size=3, progress="quiet",
                    file_timeout=BUDGET)
    assert s2.exit_code == EXIT_FAILED and s2.dropped == 1
    rows2 = {r["file"]: r for r in _complete_rows(out)}
    assert set(rows2) == set(by_file) - {"zz_vanishes.txt"}
    assert s2.processed == 4  # fifo, two loop links, dangling link: no content hash, retried


# ---------------------------------------------------------------------------------- PHI


def _pathx_cli_run(inp: Path, out: Path, tmp: Path, *extra: str, prefix: list[str] | None = None,
                   env_extra: dict | None = None):
    cmd = (prefix or []) + [sys.executable, "-m", "pathx.cli", "run", str(inp), "-o", str(out), *extra]
    return subprocess.run(cmd, env=run_env(tmp, **(env_extra or {})), capture_output=True, text=True,
                          timeout=300, cwd=tmp)


@pytest.mark.slow
def test_no_phi_in_outputs_audit_console_or_errors_text_and_ocr(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    planted = []
    for i, kind in enumerate(["txt", "pdf", "scanned", "bilateral"]):
        planted.append(phi_for(i))
        text = report_text(i, bilateral=kind == "bilateral", inline_phi=True)
        if kind == "scanned":
            write_scanned_pdf(inp / f"case{i}.pdf", text, dpi=150)
        elif kind == "pdf":
            write_text_pdf(inp / f"case{i}.pdf", text)
        else:
            (inp / f"case{i}.txt").write_text(text)
    # Broken files whose bytes hold PHI: their error messages must not quote it.
    planted.append(phi_for(10))
    leak = report_text(10)
    (inp / "case10.pdf").write_text(leak)  # text named .pdf
    planted.append(phi_for(11))
    (inp / "case11.txt").write_bytes(report_text(11).encode() + b"\x00" * 50)  # binary

    # The CLI with the rule engine, and a predictor whose evidence is two whole lines (so PHI
    # that de-identification missed would show in the JSONL evidence).
    outputs = [tmp_path / "out.csv", tmp_path / "out.jsonl"]
    cli = _pathx_cli_run(inp, outputs[0], tmp_path, "--engine", "rules", "--ocr", "tesseract")
    wide = run_driver(inp, outputs[1], tmp_path, ocr="tesseract")
    console = [cli.stdout, cli.stderr, wide.stdout, wide.stderr]
    assert cli.returncode == wide.returncode == EXIT_FAILED, cli.stderr[-2000:] + wide.stderr[-2000:]
    jsonl = read_rows(outputs[1])
    methods = {r["file"]: r for r in audit_records(next((tmp_path / "logs").glob("run-*.jsonl"))) if r["event"] == "file"}
    assert methods["case2.pdf"]["method"] == "ocr:tesseract"  # the OCR path really ran
    assert {r["file"] for r in jsonl if r["status"] == "ok"} == {"case0.txt", "case1.pdf", "case2.pdf", "case3.txt"}
    assert any(r["er"] == "Positive" for r in jsonl)  # the reports were read, not just dropped

    haystacks = {
        "csv": outputs[0].read_text(),
        "jsonl": outputs[1].read_text(),
        "console": "\n".join(console),
        "audit": "\n".join(p.read_text() for p in (tmp_path / "logs").glob("*.jsonl")),
        "ledger": ledger_path_for(outputs[1]).read_bytes().decode("latin-1"),
        "errors": "\n".join(r["error"] or "" for r in jsonl),
    }
    leaks = []
    for phi in planted:
        for kind, value in phi.items():
            for where, hay in haystacks.items():
                if value.lower() in hay.lower():
                    leaks.append(f"{kind} {value!r} in {where}")
    assert not leaks, leaks


# ---------------------------------------------------------------------------------- offline



def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
def test_run_with_network_blocked(tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "sockets.log"
    env = {"PYTHONPATH": f"{guard}{os.pathsep}{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "PATHX_SOCKET_LOG": str(log)}
    # The guard works: a plain connection attempt is refused and logged.
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9), 1)"],
                           env=run_env(tmp_path, **env), capture_output=True, text=True)
    assert probe.returncode != 0 and "blocked by the pathx test guard" in probe.stderr
    log.unlink()

    inp = tmp_path / "in"
    write_reports(inp, 2)
    write_text_pdf(inp / "c.pdf", report_text(5))
    prefix = ["unshare", "-n"] if _unshare_works() else []  # and no network namespace at all, where allowed
    proc = _pathx_cli_run(inp, tmp_path / "out.csv", tmp_path, "--engine", "rules", prefix=prefix, env_extra=env)
    assert proc.returncode == EXIT_OK, proc.stderr[-2000:]
    assert not log.exists(), log.read_text()
    rows = read_rows(tmp_path / "out.csv")
    assert len(rows) == 3 and all(r["status"] == "ok" for r in rows)
    # pathx itself switches the Hugging Face libraries offline.
    check = subprocess.run([sys.executable, "-c", "import os, pathx; print(os.environ['HF_HUB_OFFLINE'], "
                            "os.environ['TRANSFORMERS_OFFLINE'])"], env=run_env(tmp_path, HF_HUB_OFFLINE="0"),
                           capture_output=True, text=True)
    assert check.stdout.split() == ["1", "1"]


# ---------------------------------------------------------------------------------- fault kinds


def test_missing_ocr_engine_is_an_environment_fault_retried_next_run(tmp_path, monkeypatch):
    """OCR engine missing from cron's PATH: an error row now, read again once it is installed."""
    inp, out, audit = tmp_path / "in", tmp_path / "out.csv", tmp_path / "audit.jsonl"
    write_reports(inp, 1)
    write_scanned_pdf(inp / "scan.pdf", report_text(4), dpi=150)
    (tmp_path / "bin").mkdir()
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    s = run_folder(inp, out, TinyPredictor(), options=IngestOptions(ocr="tesseract"), progress="quiet",
                   audit_path=audit)
    assert s.exit_code == EXIT_FAILED
    row = {r["file"]: r for r in read_rows(out)}["scan.pdf"]
    assert "not installed" in row["error"] and row["error"].endswith("retried on the next run")
    rec = [r for r in audit_records(audit) if r["event"] == "file" and r["file"] == "scan.pdf"]
    assert rec[0]["fault"] == "environment" and rec[0]["sha256"] is None
    monkeypatch.setenv("PATH", path)
    s2 = run_folder(inp, out, TinyPredictor(), options=IngestOptions(ocr="tesseract"), progress="quiet")
    assert (s2.processed, s2.exit_code) == (1, EXIT_OK)
    assert {r["file"]: r for r in read_rows(out)}["scan.pdf"]["er"] == "Positive"


def test_a_fault_that_hits_every_file_stops_the_run_with_exit_5(tmp_path, monkeypatch):
    """PATHX_RULES_DIR on an unmounted disk: one clear line, exit 5; nothing cached, all retried."""
    from rich.console import Console

    from pathx.run.runner import ENV_STOP_AFTER, EXIT_ENVIRONMENT

    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, ENV_STOP_AFTER + 3)
    monkeypatch.setenv("PATHX_RULES_DIR", str(tmp_path / "unmounted"))
    buf = io.StringIO()
    s = run_folder(inp, out, TinyPredictor(), options=IngestOptions(ocr="off"), batch_size=2, progress="quiet",
                   console=Console(file=buf))
    assert s.exit_code == EXIT_ENVIRONMENT and s.processed == ENV_STOP_AFTER
    lines = buf.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pathx: error: the first {ENV_STOP_AFTER} file(s) all failed")
    assert "rule files" in lines[0] and "unmounted" in lines[0]
    cli = _pathx_cli_run(inp, tmp_path / "cli.csv", tmp_path, "--engine", "rules", "--quiet",
                         env_extra={"PATHX_RULES_DIR": str(tmp_path / "unmounted")})
    assert cli.returncode == EXIT_ENVIRONMENT and cli.stderr.startswith("pathx: error: rule files unusable")
    assert len(cli.stderr.splitlines()) == 1
    monkeypatch.delenv("PATHX_RULES_DIR")
    s2 = run_folder(inp, out, TinyPredictor(), options=IngestOptions(ocr="off"), progress="quiet")
    assert (s2.exit_code, s2.processed) == (EXIT_OK, ENV_STOP_AFTER + 3)


def test_pdf_bomb_split_into_many_streams_stays_small(tmp_path):
    """150 streams of 30 MB (each under the per-stream cap): an error, and well under 1 GB of memory."""
    bomb = badinputs.many_streams_bomb_pdf(tmp_path / "bomb.pdf")
    code = ("import resource, sys; from pathx.ingestion.read import read_report; from pathx.errors import ReportError\n"
            "try:\n    read_report(sys.argv[1], ocr='off'); print('READ')\n"
            "except ReportError as err:\n    print('ERROR', err)\n"
            "print('RSS_MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, str(bomb)], env=run_env(tmp_path), capture_output=True,
                          text=True, timeout=300)
    seconds = time.monotonic() - t0
    assert "ERROR" in proc.stdout and "in total" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    rss = int(proc.stdout.split("RSS_MB")[1])
    print(f"150-stream bomb: {bomb.stat().st_size / 1e6:.1f} MB file, peak RSS {rss} MB, {seconds:.1f} s")
    assert rss < 1024


def test_sigterm_inside_a_slow_file_is_honoured_within_seconds(tmp_path):
    """cron's `timeout` sends SIGTERM: pathx stops even in the middle of one long file, exit 4.

    Not timed: the file takes over a minute to read and has no budget (--file-timeout 0), batches are one
    file, so a run that finished reading it before stopping would commit its row; it has none."""
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    write_reports(inp, 2)
    badinputs.one_line_text(inp / "slow.txt", report_text(1))
    cmd = [sys.executable, "-m", "pathx.cli", "run", str(inp), "-o", str(out), "--engine", "rules",
           "--file-timeout", "0", "--batch-size", "1"]
    proc = subprocess.Popen(cmd, env=run_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        def reading_slow():
            try:
                con = sqlite3.connect(f"file:{ledger_path_for(out)}?mode=ro", uri=True, timeout=1)
                return con.execute("SELECT 1 FROM inflight WHERE file='slow.txt'").fetchone() is not None
            except sqlite3.Error:
                return False
        assert _wait_for(reading_slow)
        time.sleep(1.0)  # well inside the file's reading (over a minute)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=600)  # a hang guard, not a measure
    finally:
        proc.kill()
    assert proc.returncode == EXIT_INTERRUPTED
    rows = {r["file"]: r for r in _complete_rows(out)}
    assert set(rows) == {"r000.txt", "r001.txt"}  # the slow file was abandoned mid-read, left for the next run
    con = sqlite3.connect(ledger_path_for(out))
    assert con.execute("SELECT COUNT(*) FROM inflight").fetchone()[0] == 0  # not counted as a crash


@pytest.mark.parametrize("point", ["extract:2", "commit:1", "written:1", "rename:2", "written:2"])
def test_sigkill_while_moved_files_take_over_never_loses_or_doubles_a_row(tmp_path, corpus, point):
    """Reports moved inside INPUT (no --prune), with a SIGKILL at each crash window: the rerun ends
    with exactly the reference rows under the new names, each exactly once; then a --prune of a
    deleted report killed mid-publish, and its rerun."""
    src, reference = corpus
    inp, out = tmp_path / "in", tmp_path / "out.csv"
    shutil.copytree(src, inp)
    assert run_driver(inp, out, tmp_path, batch_size=2).returncode == EXIT_OK
    moves = {"r001.txt": "moved/r001.txt", "r002.txt": "r002-renamed.txt", "r004.txt": "moved/r4.txt"}
    (inp / "moved").mkdir()
    for old, new in moves.items():
        (inp / old).rename(inp / new)
    (inp / "r006.txt").unlink()
    renamed = sorted(({**r, "file": moves.get(r["file"], r["file"])} for r in reference),
                     key=lambda r: (r["file"], r["specimen"]))

    def check(expected):
        rows = sorted(_complete_rows(out), key=lambda r: (r["file"], r["specimen"]))
        assert rows == expected
        con = sqlite3.connect(ledger_path_for(out))
        assert con.execute("SELECT COUNT(*) FROM rows").fetchone()[0] == len(expected)
        assert sorted(f for (f,) in con.execute("SELECT file FROM files")) == sorted({r["file"] for r in expected})
        con.close()

    killed = run_driver(inp, out, tmp_path, env_extra={"PATHX_TEST_KILL_AT": point}, batch_size=2)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after_kill = {r["file"] for r in _complete_rows(out)}  # never a torn file, never a file under two names
    for old, new in moves.items():
        assert (old in after_kill) != (new in after_kill), f"{old} -> {new}: {sorted(after_kill)}"
    again = run_driver(inp, out, tmp_path, batch_size=2)
    assert again.returncode == EXIT_OK, again.stderr
    check(renamed)  # the deleted r006.txt keeps its rows without --prune

    pruned = run_driver(inp, out, tmp_path, env_extra={"PATHX_TEST_KILL_AT": "rename:1"}, batch_size=2, prune=True)
    assert pruned.returncode == -signal.SIGKILL, pruned.stderr
    assert run_driver(inp, out, tmp_path, batch_size=2, prune=True).returncode == EXIT_OK
    check([r for r in renamed if r["file"] != "r006.txt"])
