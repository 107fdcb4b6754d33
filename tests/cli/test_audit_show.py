"""`pathx audit show` finds a run's log wherever `pathx run` wrote it: the user log directory, or the
`.pathx-log/` fallback beside the output when that directory cannot be written (HOME unset or read-only).
Real `pathx run` and `pathx audit show` processes on generated reports."""
from __future__ import annotations

import os
import subprocess
import sys

from runkit import write_reports


def pathx(*args, env, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pathx.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)


def _env(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PATHX_LOG_DIR", "XDG_STATE_HOME")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))
    return {**env, **{k: str(v) for k, v in changes.items()}}


def test_audit_show_reads_the_fallback_log_beside_the_output(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out" / "out.csv"
    write_reports(inp, 2)
    (tmp_path / "a_file").write_text("x")
    no_home = _env(HOME=tmp_path / "a_file" / "home")  # the user log directory cannot be made, even by root
    run = pathx("run", inp, "-o", out, "--engine", "rules", env=no_home)
    assert run.returncode == 0, run.stderr
    fallback = list((out.parent / ".pathx-log").glob("run-*.jsonl"))
    assert len(fallback) == 1 and "set PATHX_LOG_DIR" in run.stderr + run.stdout

    # from the output's folder with no argument, as an operator would after reading the run's note
    shown = pathx("audit", "show", env=no_home, cwd=out.parent)
    assert shown.returncode == 0, shown.stderr
    assert f"audit log  {fallback[0].resolve()}" in shown.stdout
    assert "processed  2 files (2 ok, 0 error)" in shown.stdout and "(complete)" in shown.stdout
    # from anywhere, naming the output or its folder
    for arg in (out, out.parent):
        shown = pathx("audit", "show", arg, env=no_home, cwd=tmp_path)
        assert shown.returncode == 0 and f"audit log  {fallback[0]}" in shown.stdout, (arg, shown.stderr)

    # HOME usable again: the output's newest run is found in the user log directory; another output's run
    # there is not taken for it
    home = _env(HOME=tmp_path / "home")
    other = tmp_path / "other.csv"
    assert pathx("run", inp, "-o", out, "--engine", "rules", "--reprocess", env=home).returncode == 0
    assert pathx("run", inp, "-o", other, "--engine", "rules", env=home).returncode == 0
    logs = sorted((tmp_path / "home").rglob("run-*.jsonl"))
    assert len(logs) == 2
    shown = pathx("audit", "show", out, env=home, cwd=tmp_path)
    assert shown.returncode == 0 and f"->  {out}" in shown.stdout and str(other) not in shown.stdout


def test_audit_show_without_a_log_is_one_input_error_line(tmp_path):
    env = _env(HOME=tmp_path / "home")
    proc = pathx("audit", "show", env=env, cwd=tmp_path)
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("pathx: error: no pathx run audit logs in ") and ".pathx-log" in proc.stderr
    (tmp_path / "out.csv").write_text("file,status\n")
    proc = pathx("audit", "show", tmp_path / "out.csv", env=env, cwd=tmp_path)
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert "out.csv is not an audit log, and no run that wrote it has one in" in proc.stderr
